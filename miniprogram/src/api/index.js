// Named calls of the Culture Hub API. Pages use these; each goes through utils/request.js
// with an endpoint name from ./endpoints.js. `opts` passes through (loading, showError,
// idempotencyKey).
const request = require('../utils/request')

function merge(base, opts) {
  return Object.assign({}, opts || {}, base)
}

module.exports = {
  // org
  orgTree: (opts) => request.call('orgTree', merge({}, opts)),
  orgUnits: (query, opts) => request.call('orgUnits', merge({ query }, opts)),
  nearestUnits: (lng, lat, limit, opts) =>
    request.call('orgNearest', merge({ query: { lng, lat, limit } }, opts)),
  unit: (id, opts) => request.call('orgUnit', merge({ params: { id } }, opts)),

  // account
  signIn: () => request.signIn(),
  signOut: (opts) => request.call('signOut', merge({}, opts)),
  me: (opts) => request.call('me', merge({}, opts)),
  updateMe: (displayName, opts) =>
    request.call('updateMe', merge({ data: { display_name: displayName } }, opts)),
  deleteMe: (opts) => request.call('deleteMe', merge({}, opts)),
  bindPhone: (code, opts) => request.call('bindPhone', merge({ data: { code } }, opts)),
  exportMe: (opts) => request.call('exportMe', merge({}, opts)),
  redeemInvitation: (code, opts) =>
    request.call('redeemInvitation', merge({ data: { code } }, opts)),
  family: (opts) => request.call('family', merge({}, opts)),
  addFamily: (member, opts) => request.call('addFamily', merge({ data: member }, opts)),
  removeFamily: (id, opts) => request.call('removeFamily', merge({ params: { id } }, opts)),
  recordSubscriptions: (kinds, opts) =>
    request.call('recordSubscriptions', merge({ data: { kinds } }, opts)),
  noShows: (opts) => request.call('noShows', merge({}, opts)),

  // activities
  activities: (query, opts) => request.call('activities', merge({ query }, opts)),
  activity: (id, opts) => request.call('activity', merge({ params: { id } }, opts)),
  lottery: (id, opts) => request.call('lottery', merge({ params: { id } }, opts)),

  // bookings
  book: (body, opts) => request.call('book', merge({ data: body }, opts)),
  cancelBooking: (id, opts) => request.call('cancelBooking', merge({ params: { id } }, opts)),
  booking: (id, opts) => request.call('booking', merge({ params: { id } }, opts)),
  myBookings: (opts) => request.call('myBookings', merge({}, opts)),

  // WAITING FOR ENDPOINT: GET /api/v1/bookings/{id}/ticket (see endpoints.js)
  ticket: (id, opts) => request.call('ticket', merge({ params: { id } }, opts)),
  // WAITING FOR ENDPOINT: POST /api/v1/checkin/scan (see endpoints.js)
  checkinScan: (body, opts) => request.call('checkinScan', merge({ data: body }, opts)),
  // WAITING FOR ENDPOINTS: ratings and demand requests (see endpoints.js)
  rate: (body, opts) => request.call('rate', merge({ data: body }, opts)),
  activityRatings: (id, opts) => request.call('activityRatings', merge({ params: { id } }, opts)),
  demands: (query, opts) => request.call('demands', merge({ query }, opts)),
  createDemand: (body, opts) => request.call('createDemand', merge({ data: body }, opts)),
  supportDemand: (id, opts) => request.call('supportDemand', merge({ params: { id } }, opts))
}
