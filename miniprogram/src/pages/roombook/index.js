// 预约场地: book a slot in one room, for a team the person leads (verified teams, from
// GET /me/room-bookings → standing) or for themselves where the room is open to residents.
// Days within the room's book-ahead window that have opening hours; start and end on quarter
// hours inside that day's span, at most the room's longest slot. The service checks every rule
// again and answers with a clear message (taken, weekly hours, suspended…).
const api = require('../../api/index')
const format = require('../../utils/format')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

function pad(n) { return n < 10 ? '0' + n : String(n) }
function minutes(hhmm) { return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5)) }
function hhmm(m) { return pad(Math.floor(m / 60)) + ':' + pad(m % 60) }

// China dates from tomorrow on, within `ahead` days, whose weekday has opening hours.
function bookableDays(room, now) {
  const today = format.chinaDate(now)
  const out = []
  for (let i = 1; i <= Math.min(room.rules.book_ahead_days, 60); i++) {
    const d = format.addDays(today, i)
    const wd = ((new Date(d + 'T00:00:00Z').getUTCDay() + 6) % 7) + 1
    const h = (room.hours || []).find(function (x) { return x.weekday === wd })
    if (h) out.push({ date: d, label: format.formatDate(Date.parse(d + 'T04:00:00Z')), opens: h.opens, closes: h.closes })
  }
  return out
}

// Quarter hours from `from` to `to` (inclusive), as 'HH:MM'.
function quarters(from, to) {
  const out = []
  for (let m = from; m <= to; m += 15) out.push(hhmm(m))
  return out
}

Page(display.page({
  navTitleKey: 'nav_roombook',
  data: {
    status: 'loading',
    message: '',
    room: null,
    days: [],
    dayIndex: 0,
    starts: [],
    startIndex: 0,
    ends: [],
    endIndex: 0,
    bookers: [], // [{team_id|null, label}]
    bookerIndex: 0,
    purpose: '',
    submitting: false
  },

  onLoad: function (query) {
    this.roomId = Number(query && query.room_id)
    this.unitId = Number(query && query.unit_id)
    // ?team_id= (from 我的团队 → 预约场地 via pages/rooms): that team is picked as the booker.
    this.teamId = Number(query && query.team_id) || 0
    this.load()
  },

  load: function () {
    const self = this
    return Promise.all([
      api.unitRoomsBusy(this.unitId, { weeks: 1 }, { showError: false }),
      api.myRoomBookings({ showError: false })
    ]).then(function (res) {
      const room = (res[0].rooms || []).find(function (r) { return r.id === self.roomId })
      if (!room || room.bookable_by === 'none') {
        self.setData({ status: 'error', message: i18n.t('rb_not_bookable') })
        return
      }
      const bookers = []
      ;(res[1].standing || []).forEach(function (s) {
        if (s.team_id) bookers.push({ team_id: s.team_id, label: i18n.t('rb_for_team', { name: s.team_name || '' }) })
      })
      if (room.bookable_by === 'residents') bookers.push({ team_id: null, label: i18n.t('rb_for_me') })
      if (!bookers.length) {
        self.setData({ status: 'error', message: i18n.t('rb_teams_only') })
        return
      }
      const days = bookableDays(room, Date.now())
      const preset = bookers.findIndex(function (b) { return self.teamId && b.team_id === self.teamId })
      self.setData({
        bookerIndex: Math.max(0, preset),
        status: days.length ? 'ok' : 'empty',
        message: days.length ? '' : i18n.t('rb_no_days'),
        room: { id: room.id, name: room.name, max: room.rules.max_slot_minutes, cancelHours: room.rules.cancel_hours_before, weekly: room.rules.weekly_hours_per_team },
        rulesText: i18n.t('rb_rules', { max: room.rules.max_slot_minutes, weekly: room.rules.weekly_hours_per_team, cancel: room.rules.cancel_hours_before }),
        bookers: bookers,
        bookerLabels: bookers.map(function (b) { return b.label }),
        days: days,
        dayLabels: days.map(function (d) { return d.label + ' ' + d.opens + '–' + d.closes })
      })
      if (days.length) self.pickDay(0)
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  pickDay: function (i) {
    const d = this.data.days[i]
    const starts = quarters(minutes(d.opens), minutes(d.closes) - 30)
    this.setData({ dayIndex: i, starts: starts, startIndex: 0 })
    this.pickStart(0)
  },

  pickStart: function (i) {
    const d = this.data.days[this.data.dayIndex]
    const s = minutes(this.data.starts[i])
    const ends = quarters(s + 30, Math.min(minutes(d.closes), s + this.data.room.max))
    this.setData({ startIndex: i, ends: ends, endIndex: Math.min(ends.length - 1, 4) })
  },

  onDay: function (e) { this.pickDay(Number(e.detail.value)) },
  onStart: function (e) { this.pickStart(Number(e.detail.value)) },
  onEnd: function (e) { this.setData({ endIndex: Number(e.detail.value) }) },
  onBooker: function (e) { this.setData({ bookerIndex: Number(e.detail.value) }) },
  onPurpose: function (e) { this.setData({ purpose: e.detail.value }) },

  onSubmit: function () {
    if (this.data.submitting) return
    const self = this
    const d = this.data.days[this.data.dayIndex]
    const at = function (t) { return d.date + 'T' + t + ':00+08:00' }
    const booker = this.data.bookers[this.data.bookerIndex]
    this.setData({ submitting: true })
    return api.roomBook({
      room_id: this.roomId,
      team_id: booker.team_id,
      starts_at: at(this.data.starts[this.data.startIndex]),
      ends_at: at(this.data.ends[this.data.endIndex]),
      purpose: this.data.purpose
    }).then(function (b) {
      self.setData({ submitting: false })
      wx.showToast({ title: i18n.t(b.status === 'confirmed' ? 'rb_done_confirmed' : 'rb_done_pending'), icon: 'none' })
      wx.redirectTo({ url: '/pages/roombookings/index' })
    }, function () {
      // the request helper already showed the service's message
      self.setData({ submitting: false })
    })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  }
}))
