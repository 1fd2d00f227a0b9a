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
//          (None is pending at the moment.)

const ENDPOINTS = {
  // Org — the network of venues
  orgTree: { method: 'GET', path: '/api/v1/org/tree', auth: 'none' },
  orgUnits: { method: 'GET', path: '/api/v1/org/units', auth: 'none' },
  orgNearest: { method: 'GET', path: '/api/v1/org/units/nearest', auth: 'none' },
  orgUnit: { method: 'GET', path: '/api/v1/org/units/{id}', auth: 'none' },
  unitRooms: { method: 'GET', path: '/api/v1/org/units/{id}/rooms', auth: 'none' },
  unitRoomsBusy: { method: 'GET', path: '/api/v1/org/units/{id}/rooms/busy', auth: 'none' },
  // Online programmes and the resource library (线上活动, 数字资源库)
  onlineList: { method: 'GET', path: '/api/v1/online', auth: 'none' },
  activityOnline: { method: 'GET', path: '/api/v1/activities/{id}/online', auth: 'none' },
  libraryList: { method: 'GET', path: '/api/v1/library', auth: 'none' },
  libraryGet: { method: 'GET', path: '/api/v1/library/{id}', auth: 'optional' },
  libraryView: { method: 'POST', path: '/api/v1/library/{id}/view', auth: 'required' },
  libraryRate: { method: 'PUT', path: '/api/v1/library/{id}/rating', auth: 'required', sends: ['score', 'comment'] },
  // Art teams (社团风采, 我的团队)
  unitTeams: { method: 'GET', path: '/api/v1/org/units/{id}/teams', auth: 'none' },
  teamPage: { method: 'GET', path: '/api/v1/teams/{id}', auth: 'none' },
  myTeams: { method: 'GET', path: '/api/v1/me/teams', auth: 'required' },
  joinTeam: { method: 'POST', path: '/api/v1/teams/join', auth: 'required', sends: ['code', 'family_member_id'] },
  askToJoinTeam: {
    method: 'POST', path: '/api/v1/teams/{id}/join-requests', auth: 'required',
    sends: ['family_member_id', 'message']
  },
  registerTeam: {
    method: 'POST', path: '/api/v1/teams', auth: 'required',
    sends: ['unit_id', 'name', 'genre', 'description', 'rehearsal_time']
  },
  // Providers (供给方): one's own record, offerings and orders (docs/procurement.md)
  providerMe: { method: 'GET', path: '/api/v1/providers/me', auth: 'required' },
  providerRegister: {
    method: 'POST', path: '/api/v1/providers/me', auth: 'required',
    sends: ['name', 'kind', 'contact_name', 'phone', 'intro', 'qualifications']
  },
  providerOfferings: { method: 'GET', path: '/api/v1/providers/me/offerings', auth: 'required' },
  providerOfferingCreate: {
    method: 'POST', path: '/api/v1/providers/me/offerings', auth: 'required',
    sends: ['title', 'kind', 'description', 'duration_minutes', 'audience', 'requirements', 'price_fen']
  },
  providerOrders: { method: 'GET', path: '/api/v1/providers/me/orders', auth: 'required' },
  providerOrderAccept: { method: 'POST', path: '/api/v1/procurement/orders/{id}/accept', auth: 'required' },
  providerOrderPropose: { method: 'POST', path: '/api/v1/procurement/orders/{id}/propose', auth: 'required', sends: ['date', 'note'] },
  // The leader's tools (我的团队 → 团队管理)
  resetTeamCode: { method: 'POST', path: '/api/v1/teams/{id}/invite-code', auth: 'required' },
  setTeamRecruiting: { method: 'POST', path: '/api/v1/teams/{id}/recruiting', auth: 'required', sends: ['recruiting'] },
  teamJoinRequests: { method: 'GET', path: '/api/v1/teams/{id}/join-requests', auth: 'required' },
  decideTeamJoinRequest: {
    method: 'POST', path: '/api/v1/teams/{id}/join-requests/{request_id}/decide', auth: 'required',
    sends: ['accept']
  },
  teamMembers: { method: 'GET', path: '/api/v1/teams/{id}/members', auth: 'required' },
  handOverTeam: { method: 'POST', path: '/api/v1/teams/{id}/hand-over', auth: 'required', sends: ['user_id'] },
  // 场地预约: a team's leader (team_id) or a resident books a slot; mine, cancel, check-in at the door
  roomBook: {
    method: 'POST', path: '/api/v1/room-bookings', auth: 'required',
    sends: ['room_id', 'team_id', 'starts_at', 'ends_at', 'purpose']
  },
  myRoomBookings: { method: 'GET', path: '/api/v1/me/room-bookings', auth: 'required' },
  cancelRoomBooking: { method: 'POST', path: '/api/v1/room-bookings/{id}/cancel', auth: 'required' },
  checkinRoomBooking: { method: 'POST', path: '/api/v1/room-bookings/{id}/checkin', auth: 'required', sends: ['room_id'] },

  // Sign-in and my account
  signIn: { method: 'POST', path: '/api/v1/auth/wechat', auth: 'none', sends: ['code'] },
  signOut: { method: 'POST', path: '/api/v1/auth/logout', auth: 'required' },
  me: { method: 'GET', path: '/api/v1/me', auth: 'required' },
  updateMe: { method: 'PATCH', path: '/api/v1/me', auth: 'required', sends: ['display_name'] },
  deleteMe: { method: 'DELETE', path: '/api/v1/me', auth: 'required' },
  bindPhone: { method: 'POST', path: '/api/v1/me/phone', auth: 'required', sends: ['code'] },
  exportMe: { method: 'GET', path: '/api/v1/me/export', auth: 'required' },
  myCalendar: { method: 'GET', path: '/api/v1/me/calendar', auth: 'required' },
  resetMyCalendar: { method: 'POST', path: '/api/v1/me/calendar', auth: 'required' },
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
  // share posters (PNG, fetched with wx.downloadFile by utils/poster.js)
  activityPoster: { method: 'GET', path: '/api/v1/activities/{id}/poster.png', auth: 'none' },
  unitPoster: { method: 'GET', path: '/api/v1/org/units/{id}/poster.png', auth: 'none' },

  // Bookings
  book: {
    method: 'POST', path: '/api/v1/bookings', auth: 'required',
    sends: ['session_id', 'family_member_id', 'join_waitlist', 'answers'], headers: ['Idempotency-Key']
  },
  cancelBooking: { method: 'POST', path: '/api/v1/bookings/{id}/cancel', auth: 'required', headers: ['Idempotency-Key'] },
  booking: { method: 'GET', path: '/api/v1/bookings/{id}', auth: 'required' },
  myBookings: { method: 'GET', path: '/api/v1/me/bookings', auth: 'required' },

  // 我的消息: → {items: [{id, kind: 'session_notice', title, body, page, created_at, read}], unread}
  myMessages: { method: 'GET', path: '/api/v1/me/messages', auth: 'required' },
  readMessages: { method: 'POST', path: '/api/v1/me/messages/read', auth: 'required' },

  // 举报 a public comment or a demand → {id} (422 validation_failed, 404 not_found when it is no
  // longer public, 409 already_reported, 429 rate_limited); the outcome arrives in 我的消息
  // (kind 'report_outcome').
  reportCreate: { method: 'POST', path: '/api/v1/reports', auth: 'required', sends: ['target_kind', 'target_id', 'reason', 'detail'] },

  // 转让 (pass a booking on): create → {code, expires_at, path, booking_id} (409 transfer_too_late,
  // transfer_admitted, transfer_not_confirmed); revoke → {ok}; preview → {status: open | accepted |
  // revoked | expired, activity_title, starts_at, ends_at, unit_name, room, from_name, expires_at};
  // accept {family_member_id?} → BookingView (404 transfer_not_found, 409 transfer_used,
  // transfer_expired, transfer_to_self, already_booked, 403 booking_suspended)
  transferCreate: { method: 'POST', path: '/api/v1/bookings/{id}/transfer', auth: 'required' },
  transferRevoke: { method: 'DELETE', path: '/api/v1/bookings/{id}/transfer', auth: 'required' },
  transferGet: { method: 'GET', path: '/api/v1/transfers/{code}', auth: 'required' },
  transferAccept: { method: 'POST', path: '/api/v1/transfers/{code}/accept', auth: 'required', sends: ['family_member_id'] },

  // QR ticket → {booking_id, token, qr_png_base64, qr_svg, holder_masked, activity_title,
  //              starts_at, ends_at, unit_name, address, room, status}
  ticket: { method: 'GET', path: '/api/v1/bookings/{id}/ticket', auth: 'required' },

  // Ratings (评价): POST {booking_id, session_id?, score 1–5, content_score?, teacher_score?,
  // venue_score?, organisation_score?, tags? (≤5, each ≤10 chars), comment? (≤300)}
  //   → {id, comment_status: none | published | held}
  rate: {
    method: 'POST', path: '/api/v1/ratings', auth: 'required',
    sends: ['booking_id', 'session_id', 'score', 'content_score', 'teacher_score', 'venue_score', 'organisation_score', 'tags', 'comment']
  },
  // → {activity_id, count, average, items: [{id, name (masked), score, tags, comment, created_at, replies}]}
  activityRatings: { method: 'GET', path: '/api/v1/activities/{id}/ratings', auth: 'none' },

  // Demand requests (我想看的活动): GET ?unit_id&status&sort=support|newest → {items: [DemandView]}
  demands: { method: 'GET', path: '/api/v1/demands', auth: 'optional' },
  // POST {kind, unit_id, preferred_time?, age_group?, description (5–300)} → DemandView
  createDemand: {
    method: 'POST', path: '/api/v1/demands', auth: 'required',
    sends: ['kind', 'unit_id', 'preferred_time', 'age_group', 'description']
  },
  // → {supporters}
  supportDemand: { method: 'POST', path: '/api/v1/demands/{id}/support', auth: 'required' },

  // Volunteering and check-in at the door (pages/volunteer/*, utils/offline-checkin.js)
  // → {assignments: [{id, session_id?, unit_id, unit_name, day?, title?, starts_at?, ends_at?}],
  //    hours: {total_hours, records: [{title, day, scans, minutes, unit_name}]}}
  myVolunteering: { method: 'GET', path: '/api/v1/me/volunteer', auth: 'required' },
  volunteerApply: { method: 'POST', path: '/api/v1/volunteers/applications', auth: 'required', sends: ['unit_id', 'note'] },
  // Volunteering beyond the door (pages/volunteer/shifts, teams, certificate; docs/volunteering.md)
  // → {items: [{id, unit_name, title, description, shifts: [{id, role_name, starts_at, ends_at, place, needed, taken, remaining}]}]}
  volunteerOpportunities: { method: 'GET', path: '/api/v1/volunteer-opportunities', auth: 'none' },
  // {note} → ShiftSignup; 409 shift_full, already_signed_up, shift_closed
  shiftSignup: { method: 'POST', path: '/api/v1/volunteer-shifts/{id}/signups', auth: 'required', sends: ['note'] },
  shiftWithdraw: { method: 'POST', path: '/api/v1/shift-signups/{id}/withdraw', auth: 'required' },
  // → {items: [ShiftSignup], hours: {total_minutes, shift_minutes, door_minutes, by_role, milestone_hours, next_milestone_hours}}
  myShifts: { method: 'GET', path: '/api/v1/me/shifts', auth: 'required' },
  volunteerProfile: { method: 'GET', path: '/api/v1/me/volunteer-profile', auth: 'required' },
  volunteerProfileSave: { method: 'PUT', path: '/api/v1/me/volunteer-profile', auth: 'required', sends: ['skills', 'intro'] },
  // → {code, name, total_minutes, hours, milestone_hours, issued_at, issuer, by_role}; 409 no_service_hours
  volunteerCertificate: { method: 'GET', path: '/api/v1/me/volunteer-certificate', auth: 'required' },
  // → {items: [{id, name, intro, unit_name, parent_id, recruiting, members}]}
  volunteerTeams: { method: 'GET', path: '/api/v1/volunteer-teams', auth: 'none' },
  volunteerTeamApply: { method: 'POST', path: '/api/v1/volunteer-teams/{id}/apply', auth: 'required', sends: ['note'] },
  myVolunteerTeams: { method: 'GET', path: '/api/v1/me/volunteer-teams', auth: 'required' },
  // 支持单位 on the activity page → {items: [{name, relation}]}
  activitySupporters: { method: 'GET', path: '/api/v1/activities/{id}/supporters', auth: 'none' },
  // → ScanAnswer {result, message, colour, checkin_id, holder_masked, is_family_member,
  //   is_child, party_size, admitted_at, admitted_by, expected, admitted_count, booked_count}.
  //   The nonce makes a retry return the first answer (request opts.retrySafe).
  checkinScan: { method: 'POST', path: '/api/v1/checkin/scan', auth: 'required', sends: ['session_id', 'token', 'nonce'] },
  checkinUndo: { method: 'POST', path: '/api/v1/checkin/{id}/undo', auth: 'required', sends: ['reason'] },
  // → {session_id, title, starts_at, ends_at, expires_at, entries: [{ticket_hash, holder_masked, is_family_member}]}
  checkinList: { method: 'GET', path: '/api/v1/sessions/{id}/checkin-list', auth: 'required' },
  // {scans: [{nonce, token, scanned_at}]} → {answers: [ScanAnswer]} (offline duplicates: `conflict`)
  checkinSync: { method: 'POST', path: '/api/v1/sessions/{id}/checkin/sync', auth: 'required', sends: ['scans'] },
  // → {session_id, capacity, booked, admitted, walk_ins, open_conflicts}
  checkinStats: { method: 'GET', path: '/api/v1/sessions/{id}/checkin/stats', auth: 'required' },
  // A resident at the venue's code (pages/checkin/self): {session_id} → ScanAnswer
  checkinSelf: { method: 'POST', path: '/api/v1/checkin/self', auth: 'required', sends: ['session_id'] },
  // Staff at the door (pages/volunteer/scan): a resident without a phone, by name + last 4 digits
  // GET ?name&phone_last4 → {items: [{booking_id, holder_masked, phone_masked, status, checked_in}]}
  checkinLookup: { method: 'GET', path: '/api/v1/sessions/{id}/checkin/lookup', auth: 'required' },
  // {booking_id} → ScanAnswer
  checkinManual: { method: 'POST', path: '/api/v1/sessions/{id}/checkin/manual', auth: 'required', sends: ['booking_id'] },
  // → {items: [{id, booking_id, checkin_id, holder_masked, first_admitted_at, second_scanned_at, resolved_at, resolution}]}
  checkinConflicts: { method: 'GET', path: '/api/v1/sessions/{id}/checkin/conflicts', auth: 'required' },
  // {resolution} → {ok}; a second time → 409 already_resolved
  checkinConflictResolve: { method: 'POST', path: '/api/v1/checkin/conflicts/{id}/resolve', auth: 'required', sends: ['resolution'] },
  // {count, nonce} → {session_id, walk_ins}
  headcount: { method: 'POST', path: '/api/v1/sessions/{id}/headcount', auth: 'required', sends: ['count', 'nonce'] },

  // Staff (pages/staff/*)
  // GET ?unit_id&state=unread|unhandled|flagged|held&sort=newest|lowest&before&limit
  //   → {items: [InboxItem], next_before, counts: {total, unread, flagged_unhandled, held}}
  feedbackInbox: { method: 'GET', path: '/api/v1/feedback', auth: 'required' },
  feedbackCounts: { method: 'GET', path: '/api/v1/feedback/counts', auth: 'required' },
  feedbackRead: { method: 'POST', path: '/api/v1/feedback/read', auth: 'required', sends: ['ids'] },
  feedbackReply: { method: 'POST', path: '/api/v1/feedback/{id}/replies', auth: 'required', sends: ['content'] },
  feedbackHandle: { method: 'POST', path: '/api/v1/feedback/{id}/handle', auth: 'required' },
  feedbackModerate: { method: 'POST', path: '/api/v1/feedback/{id}/moderate', auth: 'required', sends: ['decision'] },
  // GET ?unit_id&status → {items: [DemandView]} (held ones included)
  manageDemands: { method: 'GET', path: '/api/v1/manage/demands', auth: 'required' },
  triageDemand: { method: 'POST', path: '/api/v1/demands/{id}/triage', auth: 'required', sends: ['status', 'reason'] },
  // GET ?unit_id (required)&status → {items: [{id, title, kind, status, organizer_unit_id, organizer_name, first_start, booked, capacity}]}
  manageActivities: { method: 'GET', path: '/api/v1/manage/activities', auth: 'required' },
  // GET ?unit_id (required)&date (China date, default today) → {date, truncated, items: [{session_id,
  //   activity_id, title, kind, booking_mode, is_course, lesson_no, unit_id, unit_name, room, starts_at,
  //   ends_at, capacity, booked}]}: every session of that day at the unit and below (今日场次)
  manageSessions: { method: 'GET', path: '/api/v1/manage/sessions', auth: 'required' },
  // → {session_id, capacity, booked, waitlisted, checked_in, items: [{booking_id, name, is_family_member, status, waitlist_position, checked_in_at}]}
  sessionRoster: { method: 'GET', path: '/api/v1/sessions/{id}/bookings', auth: 'required' },
  createActivity: {
    method: 'POST', path: '/api/v1/activities', auth: 'required',
    sends: ['title', 'kind', 'organizer_unit_id', 'description', 'booking_mode', 'sessions']
  },
  publishActivity: { method: 'POST', path: '/api/v1/activities/{id}/publish', auth: 'required' },
  // 文化菜单 (public; pages/menu/index for residents, pages/staff/menu for staff)
  // GET ?unit_id → {items: [{id, title, kind, kind_label, description, quota, used, period_start, period_end, status, votes}]}
  //   (votes: at that unit and the units below it)
  menuItems: { method: 'GET', path: '/api/v1/menu/items', auth: 'optional' },
  // {unit_id} → {ok: true}; a second vote for the item at the unit → 409 already_voted, unknown item → 404
  menuVote: { method: 'POST', path: '/api/v1/menu/items/{id}/votes', auth: 'required', sends: ['unit_id'] },
  menuOrder: {
    method: 'POST', path: '/api/v1/menu/orders', auth: 'required',
    sends: ['menu_item_id', 'unit_id', 'requested_date', 'note']
  },
  // GET ?unit_id → {items: [{id, title, unit_name, requested_date, note, status, reason, activity_id}]}
  menuOrders: { method: 'GET', path: '/api/v1/menu/orders', auth: 'required' },
  // all GET ?unit_id
  statsSatisfaction: { method: 'GET', path: '/api/v1/stats/satisfaction', auth: 'required' },
  statsDemand: { method: 'GET', path: '/api/v1/stats/demand', auth: 'required' },
  statsReplies: { method: 'GET', path: '/api/v1/stats/replies', auth: 'required' },
  statsTargets: { method: 'GET', path: '/api/v1/stats/targets', auth: 'required' },
  // 联办确认 (pages/staff/partners): GET ?status → {items: [{activity_id, title, kind, organizer_name,
  //   unit_id, unit_name, status, first_start}]} for my units; confirm / decline as the partner unit
  // 考核待办 (pages/staff/evaluation): the unit's state in the open evaluation round →
  //   {round?, entry?, missing:[{position, title, what}], rectifications, facilities_met, facilities_total}
  evalUnitStatus: { method: 'GET', path: '/api/v1/evaluation/units/{unit_id}/status', auth: 'required' },
  partnerRequests: { method: 'GET', path: '/api/v1/partner-requests', auth: 'required' },
  partnerConfirm: { method: 'POST', path: '/api/v1/activities/{id}/partners/{unit_id}/confirm', auth: 'required' },
  partnerDecline: { method: 'POST', path: '/api/v1/activities/{id}/partners/{unit_id}/decline', auth: 'required' },
  // 活动照片 (pages/staff/photos): upload ?unit_id&visibility=staff with the image itself as the
  //   body (not a form; re-encoded without EXIF/GPS) → {id, url, thumb_url, …}; then attach it to
  //   a held session {file_id, note} → Evidence {id, file_id, url, thumb_url, note, added_by};
  //   list → {session_id, held, items: [Evidence]} (409 session_not_held for a session not held)
  fileUpload: { method: 'POST', path: '/api/v1/files', auth: 'required', sends: [] },
  evidenceList: { method: 'GET', path: '/api/v1/sessions/{id}/evidence', auth: 'required' },
  evidenceAttach: { method: 'POST', path: '/api/v1/sessions/{id}/evidence', auth: 'required', sends: ['file_id', 'note'] },

  // 扫码登录管理后台 (pages/console/confirm, opened by the console's mini-program code)
  // scan → {nonce, status: 'scanned', browser, place, ip, created_at, expires_at};
  //   403 console_not_staff, 409 login_code_used, 410 login_code_expired, 404
  consoleScan: { method: 'POST', path: '/api/v1/console/login-codes/{nonce}/scan', auth: 'required' },
  // {approve} → {status: 'confirmed' | 'rejected'}
  consoleConfirm: { method: 'POST', path: '/api/v1/console/login-codes/{nonce}/confirm', auth: 'required', sends: ['approve'] }
}

Object.keys(ENDPOINTS).forEach(function (name) {
  ENDPOINTS[name].name = name
})

module.exports = ENDPOINTS
