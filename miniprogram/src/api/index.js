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
  unitRooms: (id, opts) => request.call('unitRooms', merge({ params: { id } }, opts)),
  unitRoomsBusy: (id, query, opts) => request.call('unitRoomsBusy', merge({ params: { id }, query }, opts)),
  onlineList: (query, opts) => request.call('onlineList', merge({ query }, opts)),
  activityOnline: (id, opts) => request.call('activityOnline', merge({ params: { id } }, opts)),
  libraryList: (query, opts) => request.call('libraryList', merge({ query }, opts)),
  libraryGet: (id, opts) => request.call('libraryGet', merge({ params: { id } }, opts)),
  libraryView: (id, opts) => request.call('libraryView', merge({ params: { id }, data: {} }, opts)),
  libraryRate: (id, body, opts) => request.call('libraryRate', merge({ params: { id }, data: body }, opts)),
  unitTeams: (id, query, opts) => request.call('unitTeams', merge({ params: { id }, query }, opts)),
  teamPage: (id, opts) => request.call('teamPage', merge({ params: { id } }, opts)),
  myTeams: (opts) => request.call('myTeams', merge({}, opts)),
  joinTeam: (body, opts) => request.call('joinTeam', merge({ data: body }, opts)),
  askToJoinTeam: (id, body, opts) => request.call('askToJoinTeam', merge({ params: { id }, data: body }, opts)),
  registerTeam: (body, opts) => request.call('registerTeam', merge({ data: body }, opts)),
  providerMe: (opts) => request.call('providerMe', merge({}, opts)),
  providerRegister: (body, opts) => request.call('providerRegister', merge({ data: body }, opts)),
  providerOfferings: (opts) => request.call('providerOfferings', merge({}, opts)),
  providerOfferingCreate: (body, opts) => request.call('providerOfferingCreate', merge({ data: body }, opts)),
  providerOrders: (opts) => request.call('providerOrders', merge({}, opts)),
  providerOrderAccept: (id, opts) => request.call('providerOrderAccept', merge({ params: { id } }, opts)),
  providerOrderPropose: (id, body, opts) => request.call('providerOrderPropose', merge({ params: { id }, data: body }, opts)),
  resetTeamCode: (id, opts) => request.call('resetTeamCode', merge({ params: { id } }, opts)),
  setTeamRecruiting: (id, recruiting, opts) => request.call('setTeamRecruiting', merge({ params: { id }, data: { recruiting } }, opts)),
  teamJoinRequests: (id, opts) => request.call('teamJoinRequests', merge({ params: { id } }, opts)),
  decideTeamJoinRequest: (id, requestId, accept, opts) =>
    request.call('decideTeamJoinRequest', merge({ params: { id, request_id: requestId }, data: { accept } }, opts)),
  teamMembers: (id, opts) => request.call('teamMembers', merge({ params: { id } }, opts)),
  handOverTeam: (id, userId, opts) => request.call('handOverTeam', merge({ params: { id }, data: { user_id: userId } }, opts)),
  roomBook: (body, opts) => request.call('roomBook', merge({ data: body }, opts)),
  myRoomBookings: (opts) => request.call('myRoomBookings', merge({}, opts)),
  cancelRoomBooking: (id, opts) => request.call('cancelRoomBooking', merge({ params: { id } }, opts)),
  checkinRoomBooking: (id, roomId, opts) => request.call('checkinRoomBooking', merge({ params: { id }, data: { room_id: roomId } }, opts)),

  // account
  signIn: () => request.signIn(),
  signOut: (opts) => request.call('signOut', merge({}, opts)),
  me: (opts) => request.call('me', merge({}, opts)),
  updateMe: (displayName, opts) =>
    request.call('updateMe', merge({ data: { display_name: displayName } }, opts)),
  deleteMe: (opts) => request.call('deleteMe', merge({}, opts)),
  bindPhone: (code, opts) => request.call('bindPhone', merge({ data: { code } }, opts)),
  exportMe: (opts) => request.call('exportMe', merge({}, opts)),
  myCalendar: (opts) => request.call('myCalendar', merge({}, opts)),
  resetMyCalendar: (opts) => request.call('resetMyCalendar', merge({}, opts)),
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
  myMessages: (opts) => request.call('myMessages', merge({}, opts)),
  readMessages: (opts) => request.call('readMessages', merge({}, opts)),
  reportCreate: (body, opts) => request.call('reportCreate', merge({ data: body }, opts)),
  transferCreate: (id, opts) => request.call('transferCreate', merge({ params: { id } }, opts)),
  transferRevoke: (id, opts) => request.call('transferRevoke', merge({ params: { id } }, opts)),
  transferGet: (code, opts) => request.call('transferGet', merge({ params: { code } }, opts)),
  transferAccept: (code, body, opts) =>
    request.call('transferAccept', merge({ params: { code }, data: body || {} }, opts)),

  ticket: (id, opts) => request.call('ticket', merge({ params: { id } }, opts)),

  // ratings and demand requests
  rate: (body, opts) => request.call('rate', merge({ data: body }, opts)),
  activityRatings: (id, opts) => request.call('activityRatings', merge({ params: { id } }, opts)),
  demands: (query, opts) => request.call('demands', merge({ query }, opts)),
  createDemand: (body, opts) => request.call('createDemand', merge({ data: body }, opts)),
  supportDemand: (id, opts) => request.call('supportDemand', merge({ params: { id } }, opts)),

  // volunteering and check-in (writes carrying a nonce are safe to repeat after a network failure)
  myVolunteering: (opts) => request.call('myVolunteering', merge({}, opts)),
  volunteerOpportunities: (query, opts) => request.call('volunteerOpportunities', merge({ query }, opts)),
  shiftSignup: (id, note, opts) => request.call('shiftSignup', merge({ params: { id }, data: { note: note || undefined } }, opts)),
  shiftWithdraw: (id, opts) => request.call('shiftWithdraw', merge({ params: { id } }, opts)),
  myShifts: (opts) => request.call('myShifts', merge({}, opts)),
  volunteerProfile: (opts) => request.call('volunteerProfile', merge({}, opts)),
  volunteerProfileSave: (body, opts) => request.call('volunteerProfileSave', merge({ data: body }, opts)),
  volunteerCertificate: (opts) => request.call('volunteerCertificate', merge({}, opts)),
  volunteerTeams: (opts) => request.call('volunteerTeams', merge({}, opts)),
  volunteerTeamApply: (id, note, opts) => request.call('volunteerTeamApply', merge({ params: { id }, data: { note: note || undefined } }, opts)),
  myVolunteerTeams: (opts) => request.call('myVolunteerTeams', merge({}, opts)),
  activitySupporters: (id, opts) => request.call('activitySupporters', merge({ params: { id } }, opts)),
  volunteerApply: (unitId, note, opts) =>
    request.call('volunteerApply', merge({ data: { unit_id: unitId, note: note || undefined } }, opts)),
  checkinScan: (body, opts) => request.call('checkinScan', merge({ data: body, retrySafe: true }, opts)),
  checkinUndo: (id, reason, opts) => request.call('checkinUndo', merge({ params: { id }, data: { reason } }, opts)),
  checkinList: (sessionId, opts) => request.call('checkinList', merge({ params: { id: sessionId } }, opts)),
  checkinSync: (sessionId, scans, opts) =>
    request.call('checkinSync', merge({ params: { id: sessionId }, data: { scans }, retrySafe: true }, opts)),
  checkinStats: (sessionId, opts) => request.call('checkinStats', merge({ params: { id: sessionId } }, opts)),
  checkinSelf: (sessionId, opts) => request.call('checkinSelf', merge({ data: { session_id: sessionId } }, opts)),
  checkinLookup: (sessionId, name, last4, opts) =>
    request.call('checkinLookup', merge({ params: { id: sessionId }, query: { name: name, phone_last4: last4 } }, opts)),
  checkinManual: (sessionId, bookingId, opts) =>
    request.call('checkinManual', merge({ params: { id: sessionId }, data: { booking_id: bookingId } }, opts)),
  checkinConflicts: (sessionId, opts) => request.call('checkinConflicts', merge({ params: { id: sessionId } }, opts)),
  checkinConflictResolve: (id, resolution, opts) =>
    request.call('checkinConflictResolve', merge({ params: { id }, data: { resolution } }, opts)),
  headcount: (sessionId, count, nonce, opts) =>
    request.call('headcount', merge({ params: { id: sessionId }, data: { count, nonce }, retrySafe: true }, opts)),

  // staff
  feedbackInbox: (query, opts) => request.call('feedbackInbox', merge({ query }, opts)),
  feedbackCounts: (unitId, opts) => request.call('feedbackCounts', merge({ query: { unit_id: unitId } }, opts)),
  feedbackRead: (ids, opts) => request.call('feedbackRead', merge({ data: { ids } }, opts)),
  feedbackReply: (id, content, opts) => request.call('feedbackReply', merge({ params: { id }, data: { content } }, opts)),
  feedbackHandle: (id, opts) => request.call('feedbackHandle', merge({ params: { id } }, opts)),
  feedbackModerate: (id, decision, opts) =>
    request.call('feedbackModerate', merge({ params: { id }, data: { decision } }, opts)),
  manageDemands: (query, opts) => request.call('manageDemands', merge({ query }, opts)),
  triageDemand: (id, status, reason, opts) =>
    request.call('triageDemand', merge({ params: { id }, data: { status, reason: reason || '' } }, opts)),
  manageActivities: (query, opts) => request.call('manageActivities', merge({ query }, opts)),
  manageSessions: (query, opts) => request.call('manageSessions', merge({ query }, opts)),
  sessionRoster: (sessionId, opts) => request.call('sessionRoster', merge({ params: { id: sessionId } }, opts)),
  createActivity: (body, opts) => request.call('createActivity', merge({ data: body }, opts)),
  publishActivity: (id, opts) => request.call('publishActivity', merge({ params: { id } }, opts)),
  menuItems: (unitId, opts) => request.call('menuItems', merge({ query: { unit_id: unitId } }, opts)),
  menuVote: (id, unitId, opts) => request.call('menuVote', merge({ params: { id }, data: { unit_id: unitId } }, opts)),
  menuOrder: (body, opts) => request.call('menuOrder', merge({ data: body }, opts)),
  menuOrders: (unitId, opts) => request.call('menuOrders', merge({ query: { unit_id: unitId } }, opts)),
  statsSatisfaction: (unitId, opts) => request.call('statsSatisfaction', merge({ query: { unit_id: unitId } }, opts)),
  statsDemand: (unitId, opts) => request.call('statsDemand', merge({ query: { unit_id: unitId } }, opts)),
  statsReplies: (unitId, opts) => request.call('statsReplies', merge({ query: { unit_id: unitId } }, opts)),
  statsTargets: (unitId, opts) => request.call('statsTargets', merge({ query: { unit_id: unitId } }, opts)),
  evalUnitStatus: (unitId, opts) => request.call('evalUnitStatus', merge({ params: { unit_id: unitId } }, opts)),
  partnerRequests: (status, opts) => request.call('partnerRequests', merge({ query: { status } }, opts)),
  partnerAnswer: (activityId, unitId, confirm, opts) =>
    request.call(confirm ? 'partnerConfirm' : 'partnerDecline', merge({ params: { id: activityId, unit_id: unitId } }, opts)),
  // bytes: the image (ArrayBuffer) as read from the chosen file
  fileUpload: (unitId, bytes, contentType, opts) =>
    request.call('fileUpload', merge({ query: { unit_id: unitId, visibility: 'staff' }, data: bytes, contentType: contentType }, opts)),
  evidenceList: (sessionId, opts) => request.call('evidenceList', merge({ params: { id: sessionId } }, opts)),
  evidenceAttach: (sessionId, fileId, note, opts) =>
    request.call('evidenceAttach', merge({ params: { id: sessionId }, data: { file_id: fileId, note: note || '' } }, opts)),

  // staff console sign-in
  consoleScan: (nonce, opts) => request.call('consoleScan', merge({ params: { nonce } }, opts)),
  consoleConfirm: (nonce, approve, opts) =>
    request.call('consoleConfirm', merge({ params: { nonce }, data: { approve: !!approve } }, opts))
}
