// Local storage: only our own opaque session token, the person's choices, and offline copies
// of their bookings and tickets. Never WeChat's session_key or anything secret.
const KEYS = {
  session: 'ch_session', // {token, expires_at, user}
  privacy: 'ch_privacy_agreed', // privacy guide version agreed to
  myUnit: 'ch_my_unit', // {id, name, short_name} — “我的分馆”
  bookingPrefix: 'ch_booking_', // last loaded copy of one booking
  ticketPrefix: 'ch_ticket_' // last loaded copy of one ticket (QR), for a weak signal
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

// Everything personal (used on sign-out and account deletion). The privacy agreement and
// the chosen branch are not personal data and stay.
function clearPersonal() {
  remove(KEYS.session)
  let keys = []
  try {
    keys = (wx.getStorageInfoSync().keys || [])
  } catch (e) {
    keys = []
  }
  keys.forEach(function (k) {
    if (k.indexOf(KEYS.bookingPrefix) === 0 || k.indexOf(KEYS.ticketPrefix) === 0) remove(k)
  })
}

module.exports = { KEYS, get, set, remove, clearPersonal }
