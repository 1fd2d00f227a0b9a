// Every HTTP call the mini-program makes, by name. Nothing else in src/ may spell out an
// /api/v1 path: api/index.js calls these by name, and test/e2e/contract.e2e.test.js checks
// each entry against the real server's /openapi.json (method and path must exist there).
//
// auth:    'none'     — public, no token sent
//          'optional' — token sent when we have one (e.g. browse shows my_status), no sign-in
//          'required' — signs in first if needed (privacy agreement, wx.login)
// sends:   JSON body fields the app may send; headers: request headers it relies on. The
//          contract test checks both against the server's schema.
// pending: the endpoint is announced but not in the server yet. The screens are built against
//          the announced contract; the contract test skips these and says so when they appear.

const ENDPOINTS = {
  // Org — the network of venues
  orgTree: { method: 'GET', path: '/api/v1/org/tree', auth: 'none' },
  orgUnits: { method: 'GET', path: '/api/v1/org/units', auth: 'none' },
  orgNearest: { method: 'GET', path: '/api/v1/org/units/nearest', auth: 'none' },
  orgUnit: { method: 'GET', path: '/api/v1/org/units/{id}', auth: 'none' },

  // Sign-in and my account
  signIn: { method: 'POST', path: '/api/v1/auth/wechat', auth: 'none', sends: ['code'] },
  signOut: { method: 'POST', path: '/api/v1/auth/logout', auth: 'required' },
  me: { method: 'GET', path: '/api/v1/me', auth: 'required' },
  updateMe: { method: 'PATCH', path: '/api/v1/me', auth: 'required', sends: ['display_name'] },
  deleteMe: { method: 'DELETE', path: '/api/v1/me', auth: 'required' },
  bindPhone: { method: 'POST', path: '/api/v1/me/phone', auth: 'required', sends: ['code'] },
  exportMe: { method: 'GET', path: '/api/v1/me/export', auth: 'required' },
  redeemInvitation: { method: 'POST', path: '/api/v1/auth/invitations/redeem', auth: 'required', sends: ['code'] },
  family: { method: 'GET', path: '/api/v1/me/family', auth: 'required' },
  addFamily: {
    method: 'POST', path: '/api/v1/me/family', auth: 'required',
    sends: ['name', 'relation', 'birth_date', 'guardian_consent']
  },
  removeFamily: { method: 'DELETE', path: '/api/v1/me/family/{id}', auth: 'required' },
  recordSubscriptions: { method: 'POST', path: '/api/v1/me/subscriptions', auth: 'required', sends: ['kinds'] },
  noShows: { method: 'GET', path: '/api/v1/me/no-shows', auth: 'required' },

  // Activities
  activities: { method: 'GET', path: '/api/v1/activities', auth: 'optional' },
  activity: { method: 'GET', path: '/api/v1/activities/{id}', auth: 'optional' },
  lottery: { method: 'GET', path: '/api/v1/activities/{id}/lottery', auth: 'none' },

  // Bookings
  book: {
    method: 'POST', path: '/api/v1/bookings', auth: 'required',
    sends: ['session_id', 'family_member_id', 'join_waitlist'], headers: ['Idempotency-Key']
  },
  cancelBooking: { method: 'POST', path: '/api/v1/bookings/{id}/cancel', auth: 'required', headers: ['Idempotency-Key'] },
  booking: { method: 'GET', path: '/api/v1/bookings/{id}', auth: 'required' },
  myBookings: { method: 'GET', path: '/api/v1/me/bookings', auth: 'required' },

  // WAITING FOR ENDPOINT — announced contract:
  // → {booking_id, token, qr_png_base64, qr_svg, holder_masked, activity_title, starts_at,
  //    unit_name, room, status}
  ticket: { method: 'GET', path: '/api/v1/bookings/{id}/ticket', auth: 'required', pending: true },
  // WAITING FOR ENDPOINT — volunteer check-in: {session_id, token, nonce}
  checkinScan: { method: 'POST', path: '/api/v1/checkin/scan', auth: 'required', pending: true, sends: ['session_id', 'token', 'nonce'] },

  // WAITING FOR ENDPOINT — ratings (评价), as being built in the server:
  // POST {booking_id, session_id?, score 1–5, content_score?, teacher_score?, venue_score?,
  //       organisation_score?, tags? (≤5, each ≤10 chars), comment? (≤300)}
  //   → {id, comment_status: none | published | held}
  rate: {
    method: 'POST', path: '/api/v1/ratings', auth: 'required', pending: true,
    sends: ['booking_id', 'session_id', 'score', 'content_score', 'teacher_score', 'venue_score', 'organisation_score', 'tags', 'comment']
  },
  // → {activity_id, count, average, items: [{id, name (masked), score, tags, comment, created_at, replies}]}
  activityRatings: { method: 'GET', path: '/api/v1/activities/{id}/ratings', auth: 'none', pending: true },

  // WAITING FOR ENDPOINT — demand requests (点单 / 我想看的活动):
  // GET ?unit_id&status&sort=support|newest → {items: [DemandView]}
  demands: { method: 'GET', path: '/api/v1/demands', auth: 'optional', pending: true },
  // POST {kind, unit_id, preferred_time?, age_group?, description (5–300)} → {id, visibility}
  createDemand: {
    method: 'POST', path: '/api/v1/demands', auth: 'required', pending: true,
    sends: ['kind', 'unit_id', 'preferred_time', 'age_group', 'description']
  },
  // → {supporters}
  supportDemand: { method: 'POST', path: '/api/v1/demands/{id}/support', auth: 'required', pending: true }
}

Object.keys(ENDPOINTS).forEach(function (name) {
  ENDPOINTS[name].name = name
})

module.exports = ENDPOINTS
