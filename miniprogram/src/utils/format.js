// Display helpers. The server speaks RFC 3339 UTC; residents read China time (UTC+8),
// whatever time zone the phone is set to.
const i18n = require('./i18n')

const WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六']
// English (utils/i18n): Sat 5 Dec 19:30
const WEEKDAYS_EN = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

function en() {
  return i18n.lang() === 'en'
}
const CHINA_OFFSET_MS = 8 * 3600 * 1000

function pad(n) {
  return n < 10 ? '0' + n : String(n)
}

// Parts of an instant in China time.
function chinaParts(value) {
  const ms = typeof value === 'number' ? value : Date.parse(value)
  if (isNaN(ms)) return null
  const d = new Date(ms + CHINA_OFFSET_MS)
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    weekday: WEEKDAYS[d.getUTCDay()],
    weekdayIndex: d.getUTCDay()
  }
}

// 2026-12-05 (China date) of an instant, or of now.
function chinaDate(value) {
  const p = chinaParts(value === undefined ? Date.now() : value)
  return p ? p.year + '-' + pad(p.month) + '-' + pad(p.day) : ''
}

function addDays(dateStr, days) {
  const ms = Date.parse(dateStr + 'T00:00:00Z') + days * 86400000
  const d = new Date(ms)
  return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate())
}

// 12月5日（周六）
function formatDate(value) {
  const p = chinaParts(value)
  if (!p) return ''
  if (en()) return WEEKDAYS_EN[p.weekdayIndex] + ' ' + p.day + ' ' + MONTHS_EN[p.month - 1]
  return p.month + '月' + p.day + '日（' + p.weekday + '）'
}

function formatClock(value) {
  const p = chinaParts(value)
  return p ? pad(p.hour) + ':' + pad(p.minute) : ''
}

// 12月5日（周六）19:30
function formatDateTime(value) {
  const p = chinaParts(value)
  if (!p) return ''
  return formatDate(value) + (en() ? ' ' : '') + formatClock(value)
}

// 12月5日（周六）19:30–21:00, or both dates when it spans days
function formatRange(start, end) {
  if (!start) return ''
  if (!end) return formatDateTime(start)
  if (chinaDate(start) === chinaDate(end)) return formatDateTime(start) + '–' + formatClock(end)
  return formatDateTime(start) + (en() ? ' to ' : ' 至 ') + formatDateTime(end)
}

function ageText(min, max) {
  const hasMin = min !== null && min !== undefined
  const hasMax = max !== null && max !== undefined
  if (en()) {
    if (hasMin && hasMax) return 'Ages ' + min + '–' + max
    if (hasMin) return 'Ages ' + min + ' and over'
    if (hasMax) return 'Ages ' + max + ' and under'
    return 'All ages'
  }
  if (hasMin && hasMax) return '适合 ' + min + '–' + max + ' 岁'
  if (hasMin) return '适合 ' + min + ' 岁及以上'
  if (hasMax) return '适合 ' + max + ' 岁及以下'
  return '不限年龄'
}

function modeText(mode) {
  if (en()) return mode === 'lottery' ? 'Lottery' : mode === 'none' ? 'No booking: just come' : 'First come, first served'
  if (mode === 'lottery') return '摇号报名'
  if (mode === 'none') return '无需预约，直接到场'
  return '先到先得'
}

// What a list item or session says about seats.
function seatsText(item) {
  if (item.booking_mode === 'none' || item.capacity === null || item.capacity === undefined) {
    return en() ? 'No booking: just come' : '无需预约，直接到场'
  }
  if (en()) {
    if (item.booking_mode === 'lottery') return 'Lottery · ' + item.capacity + ' places'
    if (item.seats_left > 0) return item.seats_left + (item.seats_left === 1 ? ' place left' : ' places left')
    if (item.waitlist_length > 0) return 'Full · ' + item.waitlist_length + ' waiting'
    return 'Full · join the waiting list'
  }
  if (item.booking_mode === 'lottery') return '摇号报名 · 名额 ' + item.capacity + ' 个'
  if (item.seats_left > 0) return '剩余 ' + item.seats_left + ' 个名额'
  if (item.waitlist_length > 0) return '已约满 · ' + item.waitlist_length + ' 人候补中'
  return '已约满 · 可排队候补'
}

function seatsTone(item) {
  if (item.booking_mode === 'none' || item.capacity === null || item.capacity === undefined) return 'open'
  if (item.booking_mode === 'lottery') return 'lottery'
  return item.seats_left > 0 ? 'ok' : 'full'
}

const STATUS = {
  confirmed: '已预约',
  waitlisted: '候补中',
  entered: '已报名摇号',
  cancelled: '已取消'
}

const STATUS_EN = {
  confirmed: 'Booked',
  waitlisted: 'Waiting list',
  entered: 'In the lottery',
  cancelled: 'Cancelled'
}

function statusText(status, waitlistPosition, checkedInAt) {
  if (en()) {
    if (checkedInAt) return 'Checked in'
    if (status === 'waitlisted' && waitlistPosition) return 'Waiting list no. ' + waitlistPosition
    return STATUS_EN[status] || status || ''
  }
  if (checkedInAt) return '已签到'
  if (status === 'waitlisted' && waitlistPosition) return '候补第 ' + waitlistPosition + ' 位'
  return STATUS[status] || status || ''
}

const RELATIONS = [
  { value: 'child', label: '子女' },
  { value: 'elder', label: '长辈' },
  { value: 'spouse', label: '配偶' },
  { value: 'other', label: '其他' }
]

const RELATION_KEYS = { child: 'rel_child', elder: 'rel_elder', spouse: 'rel_spouse', other: 'rel_other' }

function relationText(value) {
  const r = RELATIONS.filter(function (x) {
    return x.value === value
  })[0]
  return r ? (RELATION_KEYS[r.value] ? i18n.t(RELATION_KEYS[r.value]) : r.label) : value || ''
}

// The relations for a picker, labelled in the current language.
function relations() {
  return RELATIONS.map(function (r) {
    return { value: r.value, label: relationText(r.value) }
  })
}

function distanceText(m) {
  if (m === null || m === undefined) return ''
  if (en()) return m < 1000 ? m + ' m' : (m / 1000).toFixed(1) + ' km'
  if (m < 1000) return m + ' 米'
  return (m / 1000).toFixed(1) + ' 公里'
}

// Whole years between a YYYY-MM-DD birth date and a China date (default today).
function ageOn(birthDate, onDate) {
  const b = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate || '')
  const t = /^(\d{4})-(\d{2})-(\d{2})$/.exec(onDate || chinaDate())
  if (!b || !t) return null
  let age = Number(t[1]) - Number(b[1])
  if (Number(t[2]) < Number(b[2]) || (t[2] === b[2] && Number(t[3]) < Number(b[3]))) age--
  return age
}

// date_from / date_to (China dates) for a date chip: today, weekend, week, month, all
function dateRange(value, today) {
  today = today || chinaDate()
  if (value === 'today') return { date_from: today, date_to: today }
  if (value === 'week') return { date_from: today, date_to: addDays(today, 6) }
  if (value === 'month') return { date_from: today, date_to: addDays(today, 29) }
  if (value === 'weekend') {
    const w = new Date(today + 'T00:00:00Z').getUTCDay() // 0 = Sunday
    if (w === 0) return { date_from: today, date_to: today }
    const sat = addDays(today, 6 - w)
    return { date_from: sat, date_to: addDays(sat, 1) }
  }
  return {}
}

// A page's query value as WeChat hands it over: exactly as the opening page wrote it into the
// URL (navigateTo does not decode). Pages encode with encodeURIComponent; this reads it back,
// and leaves a value that is not valid percent-encoding as it is.
function queryText(value) {
  if (value === undefined || value === null) return ''
  try {
    return decodeURIComponent(String(value))
  } catch (e) {
    return String(value)
  }
}

module.exports = {
  queryText,
  dateRange,
  chinaParts,
  chinaDate,
  addDays,
  formatDate,
  formatClock,
  formatDateTime,
  formatRange,
  ageText,
  modeText,
  seatsText,
  seatsTone,
  statusText,
  relationText,
  relations,
  distanceText,
  ageOn,
  RELATIONS,
  CONSENT_AGE: 14
}
