// What the signed-in person may do, used only to decide which screens and buttons to show. The
// service decides every request itself (server/src/access.rs) and tells the console, per grant,
// which actions that grant allows (`actions` in GET /api/v1/console/session): there is no copy of
// the role table here.
export type Role =
  | 'volunteer'
  | 'point_coordinator'
  | 'branch_staff'
  | 'center_staff'
  | 'center_admin'
  | 'district_supervisor'
  | 'evaluator'

/** Action names as the service spells them (access::Action::name). */
export type Action =
  | 'scan_tickets'
  | 'manage_checkin'
  | 'manage_activities'
  | 'read_activity_data'
  | 'read_feedback'
  | 'reply_feedback'
  | 'triage_demand'
  | 'order_menu'
  | 'read_stats'
  | 'read_staff'
  | 'read_audit'
  | 'edit_unit'
  | 'waive_no_show'
  | 'export_ledger'
  | 'manage_menu'
  | 'manage_plan'
  | 'manage_staff'
  | 'moderate_reports'
  | 'manage_rooms'
  | 'manage_teams'
  | 'manage_library'
  | 'read_evaluation'
  | 'self_assess'
  | 'score_points'
  | 'score_branches'
  | 'manage_evaluation'
  | 'spot_check'
  | 'third_party_assess'
  | 'read_cloud_log'
  | 'manage_cloud'
  | 'review_providers'
  | 'procure'
  | 'approve_purchase'
  | 'manage_budgets'
  | 'manage_volunteering'
  | 'manage_sponsors'
  | 'manage_operators'
  | 'read_operators'
  | `grant_${Role}`

export const ROLES: Role[] = ['volunteer', 'point_coordinator', 'branch_staff', 'center_staff', 'center_admin', 'district_supervisor', 'evaluator']

export const ROLE_LABELS: Record<Role, string> = {
  volunteer: '志愿者',
  point_coordinator: '服务点文体协管员',
  branch_staff: '分馆工作人员',
  center_staff: '总馆工作人员',
  center_admin: '总馆管理员',
  district_supervisor: '区级督导（考核验收）',
  evaluator: '第三方评估',
}

/**
 * The header's capability tag for someone without ordinary write rights (`read_only` from the
 * service): a district supervisor reads everything but runs the evaluation (templates, rounds,
 * spot checks, scoring and accepting the main center); an evaluator writes only its assigned
 * assessments. Null when the person has ordinary write rights (no tag).
 */
export function capabilityTag(grants: Grant[], readOnly: boolean): { text: string; title: string } | null {
  if (!readOnly) return null
  if (grants.some((g) => g.actions.includes('manage_evaluation')))
    return { text: '只读 · 可考核验收', title: '业务数据只读；可设置考核、督导暗访、评分并验收总馆' }
  if (grants.some((g) => g.actions.includes('third_party_assess')))
    return { text: '只读 · 第三方评估', title: '业务数据只读；仅可填写被指派的第三方评估' }
  return { text: '只读', title: '只读' }
}

/** Roles that exist only at the main center (the service answers 422 elsewhere). */
export const ROOT_ONLY: Role[] = ['center_staff', 'center_admin', 'district_supervisor', 'evaluator']

export interface Grant {
  grant_id?: number
  role: Role
  role_label?: string
  unit_id: number
  unit_name?: string
  unit_short_name?: string
  unit_level?: string
  unit_path?: string
  /** What this grant allows at its unit and below, as the service says. */
  actions: string[]
}

/** A parent map of the network (unit id → parent id), enough to answer "is X inside Y's subtree". */
export type ParentMap = Map<number, number | null>

export function within(unit: number, ancestor: number, parents: ParentMap): boolean {
  let cur: number | null | undefined = unit
  let guard = 0
  while (cur != null && guard++ < 64) {
    if (cur === ancestor) return true
    cur = parents.get(cur)
  }
  return false
}

/** May the person do `action` at `unit` (or, with no unit, anywhere)? */
export function can(grants: Grant[], action: Action, unit?: number | null, parents?: ParentMap): boolean {
  return grants.some((g) => g.actions.includes(action) && (unit == null || !parents || within(unit, g.unit_id, parents)))
}

/** The roles the person may hand out at `unit`. */
export function grantableAt(grants: Grant[], unit: number | null, parents: ParentMap): Role[] {
  return ROLES.filter((r) => can(grants, `grant_${r}`, unit, parents))
}
