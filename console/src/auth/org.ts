// The network as the console sees it: the public tree (loaded once), a parent map for "is this unit
// inside my subtree", and the unit the screens are currently looking at (the header's unit picker).
import { reactive } from 'vue'
import { api, type Schemas } from '../api/client'
import { session, grants } from './session'
import { within } from './access'

export type Unit = Schemas['Unit']
export type TreeNode = Schemas['TreeNode']

export const org = reactive({
  loaded: false,
  tree: [] as TreeNode[],
  units: new Map<number, Unit>(),
  /** The unit the screens work on; null until chosen. */
  unitId: null as number | null,
})

export const LEVEL_LABELS: Record<string, string> = {
  main: '总馆',
  direct_branch: '直属分馆',
  branch: '分馆',
  point: '服务点',
}

export async function loadOrg(force = false) {
  if (org.loaded && !force) return
  // Staff see closed units too (marked), for their history.
  const tree = await api.get<TreeNode[]>('/api/v1/org/tree', { include_closed: true })
  indexTree(tree)
}

export function indexTree(tree: TreeNode[]) {
  org.tree = tree
  org.units = new Map()
  const parents = new Map<number, number | null>()
  const walk = (n: TreeNode) => {
    org.units.set(n.unit.id, n.unit)
    parents.set(n.unit.id, n.unit.parent_id ?? null)
    n.children.forEach(walk)
  }
  tree.forEach(walk)
  session.parents = parents
  org.loaded = true
}

/** The top units of the person's grants (a grant below another grant's unit is covered by it). */
export function rootUnits(): number[] {
  const ids = [...new Set(grants().map((g) => g.unit_id))]
  return ids.filter((id) => !ids.some((o) => o !== id && within(id, o, session.parents)))
}

/** The tree cut down to the subtrees the person holds a grant at. */
export function scopedTree(): TreeNode[] {
  const roots = new Set(rootUnits())
  const out: TreeNode[] = []
  const walk = (n: TreeNode) => {
    if (roots.has(n.unit.id)) out.push(n)
    else n.children.forEach(walk)
  }
  org.tree.forEach(walk)
  return out
}

export function unitName(id: number | null | undefined): string {
  if (id == null) return ''
  return org.units.get(id)?.name || `单位 ${id}`
}

/** Units in the subtree of `id` (itself first). */
export function subtree(id: number): Unit[] {
  const out: Unit[] = []
  const find = (n: TreeNode): TreeNode | null => {
    if (n.unit.id === id) return n
    for (const c of n.children) {
      const f = find(c)
      if (f) return f
    }
    return null
  }
  let node: TreeNode | null = null
  for (const t of org.tree) {
    node = find(t)
    if (node) break
  }
  const walk = (n: TreeNode) => {
    out.push(n.unit)
    n.children.forEach(walk)
  }
  if (node) walk(node)
  return out
}

export function defaultUnit(): number | null {
  const roots = rootUnits()
  return roots.length ? roots[0] : null
}

export function currentUnit(): number | null {
  if (org.unitId == null) org.unitId = defaultUnit()
  return org.unitId
}
