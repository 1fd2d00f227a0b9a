// Local storage: only our own opaque session token, the person's choices, offline copies of
// their bookings and tickets, and — for volunteers — a session's offline check-in list (ticket
// hashes and masked names) with the scans waiting to be synced. Never WeChat's session_key.
const KEYS = {
  session: 'ch_session', // {token, expires_at, user}
  privacy: 'ch_privacy_agreed', // privacy guide version agreed to
  myUnit: 'ch_my_unit', // {id, name, short_name} — “我的分馆”
  bookings: 'ch_bookings', // last loaded 我的预约 list {items, saved_at}, for a weak signal
  bookingPrefix: 'ch_booking_', // last loaded copy of one booking
  ticketPrefix: 'ch_ticket_', // last loaded copy of one ticket (QR), for a weak signal
  staffUnit: 'ch_staff_unit', // the unit a staff member last worked on (id)
  calendarUrl: 'ch_calendar_url', // {url, created_at}: my calendar link, shown once by the service
  // offline check-in (utils/offline-checkin.js); all of them start with checkinPrefix
  checkinPrefix: 'ch_checkin_',
  checkinListPrefix: 'ch_checkin_list_', // one session's list, until its expires_at
  checkinSeenPrefix: 'ch_checkin_seen_', // tickets this phone saw admitted, per session
  checkinIssuesPrefix: 'ch_checkin_issues_', // what sync reported back, per session
  checkinQueue: 'ch_checkin_queue' // offline admissions waiting for sync (all sessions)
}

function get(key, fallback) {
  try {
    const v = wx.getStorageSync(key)
    return v === '' || v === undefined || v === null ? fallback : v
  } catch (e) {
    return fallback
  }
}

function set(key, value) {
  try {
    wx.setStorageSync(key, value)
  } catch (e) {
    // storage full or unavailable: the app still works online
  }
}

function remove(key) {
  try {
    wx.removeStorageSync(key)
  } catch (e) {
    // ignore
  }
}

// Everything personal (used on sign-out and account deletion), offline check-in data
// included. The privacy agreement and the chosen branch are not personal data and stay.
function clearPersonal() {
  remove(KEYS.session)
  remove(KEYS.staffUnit)
  remove(KEYS.calendarUrl)
  remove(KEYS.bookings)
  keys().forEach(function (k) {
    if (k.indexOf(KEYS.bookingPrefix) === 0 || k.indexOf(KEYS.ticketPrefix) === 0 || k.indexOf(KEYS.checkinPrefix) === 0) {
      remove(k)
    }
  })
}

function keys() {
  try {
    return wx.getStorageInfoSync().keys || []
  } catch (e) {
    return []
  }
}

module.exports = { KEYS, get, set, remove, keys, clearPersonal }
