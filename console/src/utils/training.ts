// Staff training (业务培训): what the activity form sends, and how the yearly summary is shown.
// The service decides who may attend and what counts (server/src/training.rs, docs/plans.md).

export const TRAINING_KIND_LABELS: Record<string, string> = {
  management: '管理培训',
  business: '业务培训',
  coordinator: '协管员培训',
}

export interface AudienceForm {
  audience: 'public' | 'staff'
  training_kind: string
  by_district: boolean
}

/** The fields of a new activity's body for its audience: nothing for a public activity (the
 *  service's default), the training kind and the district flag for a staff-only training. */
export function audienceFields(f: AudienceForm): Record<string, unknown> {
  if (f.audience !== 'staff') return {}
  const out: Record<string, unknown> = { audience: 'staff', training_kind: f.training_kind }
  if (f.by_district) out.by_district = true
  return out
}

export interface CheckRow {
  level: string
  unit_name: string
  requirement: string
  required: number
  counted: number
  met: boolean
  gap: number
}

/** One line a planning officer reads: "园岭分馆 每年至少 1 次协管员培训：0/1，缺 1". */
export function checkLine(c: CheckRow): string {
  const who = c.level === 'district' ? '区级' : c.unit_name
  return `${who} ${c.requirement}：${c.counted}/${c.required}${c.met ? '，已达标' : `，缺 ${c.gap}`}`
}

/** Unmet checks first, then by unit name, so the gaps are what the eye meets. */
export function sortChecks<T extends CheckRow>(checks: T[]): T[] {
  return [...checks].sort((a, b) => Number(a.met) - Number(b.met) || a.unit_name.localeCompare(b.unit_name, 'zh'))
}
