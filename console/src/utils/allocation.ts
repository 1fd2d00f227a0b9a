// The allocation rules of the yearly plan, as the service applies them (server/src/plans.rs,
// `allocation_balance`), for showing what is left while staff type: per target kind, the
// branches within the district's target, each branch's points within the branch's allocation.

export interface BalanceUnit {
  id: number
  short_name: string
  level: string
  parent_id?: number | null
}

export interface BalanceRow {
  unit_name: string
  category: string
  target: number
  allocated: number
  remaining: number
  state: 'under' | 'full' | 'over'
}

/** `alloc` is keyed `${unit_id}:${category}`. */
export function allocationBalance(
  categories: readonly string[],
  targets: Record<string, number>,
  alloc: Record<string, number | undefined>,
  units: BalanceUnit[],
  districtName = '全区',
): BalanceRow[] {
  const val = (unit: number, c: string) => alloc[`${unit}:${c}`] || 0
  const branches = units.filter((u) => u.level === 'branch' || u.level === 'direct_branch')
  const rows: BalanceRow[] = []
  const push = (unit_name: string, category: string, target: number, allocated: number) => {
    const remaining = target - allocated
    rows.push({ unit_name, category, target, allocated, remaining, state: remaining < 0 ? 'over' : remaining === 0 ? 'full' : 'under' })
  }
  for (const c of categories) {
    push(districtName, c, targets[c] || 0, branches.reduce((n, b) => n + val(b.id, c), 0))
    for (const b of branches) {
      const points = units.filter((u) => u.level === 'point' && u.parent_id === b.id).reduce((n, u) => n + val(u.id, c), 0)
      if (val(b.id, c) > 0 || points > 0) push(b.short_name, c, val(b.id, c), points)
    }
  }
  return rows
}
