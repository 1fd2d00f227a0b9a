// Small helpers shared by the staff pages (pages/staff/*).
const storage = require('./storage')
const session = require('./session')
const roles = require('./roles')
const config = require('../config')

// The unit a staff page works on: ?unit_id=…&unit_name=… from the 工作人员 page, else the
// last one chosen there, else the first staff unit of the person.
function unitFrom(query) {
  query = query || {}
  const mine = roles.staffUnits((session.user() || {}).roles)
  let id = Number(query.unit_id) || storage.get(storage.KEYS.staffUnit, null)
  let found = mine.filter(function (u) {
    return u.unitId === Number(id)
  })[0]
  if (!id && mine.length) {
    found = mine[0]
    id = found.unitId
  }
  if (!id) return null
  return {
    unitId: Number(id),
    unitName: query.unit_name ? decodeURIComponent(query.unit_name) : found ? found.unitName : ''
  }
}

function mayUse(tool, unitId) {
  return roles.can((session.user() || {}).roles, tool, unitId)
}

// ★★★☆☆
function stars(n) {
  const k = Math.max(0, Math.min(5, Math.round(Number(n) || 0)))
  return '★★★★★'.slice(0, k) + '☆☆☆☆☆'.slice(0, 5 - k)
}

function kindLabel(kind) {
  const k = config.kinds.filter(function (x) {
    return x.value === kind
  })[0]
  return k ? k.label : kind || ''
}

module.exports = { unitFrom, mayUse, stars, kindLabel }
