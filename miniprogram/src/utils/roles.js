// Who may do what, for showing the right entrances (the server decides for real; these mirror
// server/src/access.rs). Roles come from GET /me: [{grant_id, role, role_label, unit_id, unit_name}].
const SCAN = ['volunteer', 'point_coordinator', 'branch_staff', 'center_staff', 'center_admin']
const STAFF = ['point_coordinator', 'branch_staff', 'center_staff', 'center_admin', 'district_supervisor', 'evaluator']
const MANAGE = ['point_coordinator', 'branch_staff', 'center_staff', 'center_admin']

// tool → roles that may use it
const TOOLS = {
  feedback: STAFF, // read the inbox
  reply: MANAGE, // reply, mark handled, publish/reject held comments
  demands: MANAGE, // triage
  today: STAFF, // today's sessions, counts, rosters
  scan: SCAN,
  publish: MANAGE,
  menu: MANAGE, // order from the main center's menu
  partners: MANAGE, // confirm or decline a joint activity my unit is named in
  photos: MANAGE, // attach photos to a held session (UploadFiles: whoever runs the activities)
  stats: STAFF,
  evaluation: STAFF // the open evaluation round: deadlines, what is missing (ReadEvaluation)
}

function hasAny(roles, wanted) {
  return (roles || []).some(function (r) {
    return wanted.indexOf(r.role) >= 0
  })
}

function isVolunteer(roles) {
  return hasAny(roles, SCAN)
}

function isStaff(roles) {
  return hasAny(roles, STAFF)
}

// The staff roles, one per unit (the first grant at a unit wins), as the unit choices.
function staffUnits(roles) {
  const seen = {}
  const out = []
  ;(roles || []).forEach(function (r) {
    if (STAFF.indexOf(r.role) < 0 || seen[r.unit_id]) return
    seen[r.unit_id] = true
    out.push({ unitId: r.unit_id, unitName: r.unit_name, role: r.role, roleLabel: r.role_label })
  })
  return out
}

// May someone with these roles use `tool` at `unitId`? (A grant covers its unit and those below;
// without the org tree here, we only match the unit itself — the server has the last word.)
function can(roles, tool, unitId) {
  const wanted = TOOLS[tool] || []
  return (roles || []).some(function (r) {
    return wanted.indexOf(r.role) >= 0 && (unitId === undefined || unitId === null || Number(r.unit_id) === Number(unitId))
  })
}

module.exports = { SCAN, STAFF, MANAGE, TOOLS, hasAny, isVolunteer, isStaff, staffUnits, can }
