// What the signed-in person may do, used only to decide which screens and buttons to show. The
// service decides every request itself (server/src/access.rs); this is the same table as
// docs/api.md "Roles and actions", so a read-only role sees no write control it could not use.
export type Role =
  | 'volunteer'
  | 'point_coordinator'
  | 'branch_staff'
  | 'center_staff'
  | 'center_admin'
  | 'district_supervisor'
  | 'evaluator'

export type Action =
  | 'ScanTickets'
  | 'ManageCheckin'
  | 'ManageActivities'
  | 'ReadActivityData'
  | 'ReadFeedback'
  | 'ReplyFeedback'
  | 'TriageDemand'
  | 'OrderMenu'
  | 'ReadStats'
  | 'ReadStaff'
  | 'ReadAudit'
  | 'GrantVolunteer'
  | 'EditUnit'
  | 'WaiveNoShow'
  | 'ExportLedger'
  | 'GrantStaff'
  | 'ManageMenu'
  | 'GrantRoot'

const STAFF: Role[] = ['point_coordinator', 'branch_staff', 'center_staff', 'center_admin']
const BRANCH_UP: Role[] = ['branch_staff', 'center_staff', 'center_admin']
const READERS: Role[] = [...STAFF, 'district_supervisor', 'evaluator']

const TABLE: Record<Action, Role[]> = {
  ScanTickets: ['volunteer', ...STAFF],
  ManageCheckin: STAFF,
  ManageActivities: STAFF,
  ReadActivityData: READERS,
  ReadFeedback: READERS,
  ReplyFeedback: STAFF,
  TriageDemand: STAFF,
  OrderMenu: STAFF,
  ReadStats: READERS,
  ReadStaff: [...STAFF, 'district_supervisor'],
  ReadAudit: [...STAFF, 'district_supervisor'],
  GrantVolunteer: STAFF,
  EditUnit: BRANCH_UP,
  WaiveNoShow: BRANCH_UP,
  ExportLedger: [...BRANCH_UP, 'district_supervisor', 'evaluator'],
  GrantStaff: BRANCH_UP,
  ManageMenu: ['center_staff', 'center_admin'],
  GrantRoot: ['center_admin'],
}

export function allows(role: Role, action: Action): boolean {
  return TABLE[action].includes(role)
}

export const ROLE_LABELS: Record<Role, string> = {
  volunteer: '志愿者',
  point_coordinator: '服务点文体协管员',
  branch_staff: '分馆工作人员',
  center_staff: '总馆工作人员',
  center_admin: '总馆管理员',
  district_supervisor: '区级督导（只读）',
  evaluator: '第三方评估（只读）',
}

/** Roles that may sign in to the console (the service refuses the others: console_not_staff). */
export const CONSOLE_ROLES: Role[] = [...STAFF, 'district_supervisor', 'evaluator']

/** Which roles a role may hand out (docs/api.md "Who may grant which role"). */
export function grantableBy(role: Role): Role[] {
  switch (role) {
    case 'center_admin':
      return ['volunteer', 'point_coordinator', 'branch_staff', 'center_staff', 'center_admin', 'district_supervisor', 'evaluator']
    case 'center_staff':
    case 'branch_staff':
      return ['volunteer', 'point_coordinator', 'branch_staff']
    case 'point_coordinator':
      return ['volunteer']
    default:
      return []
  }
}

export const ROOT_ONLY: Role[] = ['center_staff', 'center_admin', 'district_supervisor', 'evaluator']

export interface Grant {
  role: Role
  unit_id: number
  unit_name?: string
  unit_level?: string
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
  return grants.some(
    (g) => allows(g.role, action) && (unit == null || !parents || within(unit, g.unit_id, parents)),
  )
}

/** Is every grant read-only (district supervisor, evaluator)? */
export function readOnly(grants: Grant[]): boolean {
  return grants.length > 0 && grants.every((g) => g.role === 'district_supervisor' || g.role === 'evaluator')
}
