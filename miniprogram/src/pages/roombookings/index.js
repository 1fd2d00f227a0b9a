// 我的场地预约: one's own room bookings and those of the teams one leads, with cancel (until
// the room's deadline; the service says when) and check-in at the door: the leader scans the
// room's code (scene r=<room id>) and the service checks it is this booking's room and time.
// Shows each team's no-show standing (the residents' rule, counted per team).
const api = require('../../api/index')
const format = require('../../utils/format')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

// The room id a door code carries: the scanned path's scene (r=12, URL-encoded) or the raw text.
function roomFromScan(res) {
  const raw = decodeURIComponent((res && (res.path || res.result)) || '')
  const m = /(?:^|[?&=])r=(\d+)/.exec(raw)
  return m ? Number(m[1]) : 0
}

function item(b, now) {
  const ended = Date.parse(b.ends_at) <= now
  return {
    id: b.id,
    roomId: b.room_id,
    room: b.room_name,
    unit: b.unit_name,
    who: b.team_name || i18n.t('rbs_for_me'),
    when: format.formatRange(b.starts_at, b.ends_at),
    statusText: b.no_show ? i18n.t('rbs_no_show') : b.checked_in_at ? i18n.t('rbs_checked_in') : i18n.t('rbs_st_' + b.status),
    reason: b.decline_reason,
    canCancel: b.can_cancel,
    canCheckin: b.status === 'confirmed' && !b.checked_in_at && !ended
  }
}

Page(display.page({
  navTitleKey: 'nav_roombookings',
  data: { status: 'loading', message: '', items: [], standing: [] },

  // Opened by scanning the door code with WeChat's own camera: the scene names the room
  // (r=<room id>); the one booking of mine that can check in there now is checked in.
  onLoad: function (options) {
    this.doorRoom = roomFromScan({ path: (options && options.scene) || '' })
    const self = this
    this.load().then(function () { self.checkInAtDoor() })
  },

  checkInAtDoor: function () {
    const room = this.doorRoom
    this.doorRoom = 0
    if (!room || this.data.status !== 'ok') return
    const here = this.data.items.filter(function (b) { return b.roomId === room && b.canCheckin })
    if (here.length !== 1) {
      wx.showToast({ title: i18n.t(here.length ? 'rbs_pick_booking' : 'rbs_none_here'), icon: 'none' })
      return
    }
    const self = this
    return api.checkinRoomBooking(here[0].id, room).then(function (a) {
      wx.showToast({ title: a.message, icon: 'none' })
      return self.load()
    }, function () {})
  },
  onShow: function () {
    if (this.shownOnce) this.load()
    this.shownOnce = true
  },
  onPullDownRefresh: function () {
    return this.load().then(function () { wx.stopPullDownRefresh() })
  },

  load: function () {
    const self = this
    return api.myRoomBookings({ showError: false }).then(function (res) {
      const now = Date.now()
      const items = (res.items || []).map(function (b) { return item(b, now) })
      const standing = (res.standing || []).filter(function (s) { return s.no_shows > 0 || s.suspended_until }).map(function (s) {
        return {
          key: String(s.team_id || 0),
          text: (s.team_name || i18n.t('rbs_for_me')) + i18n.t('rbs_standing', { n: s.no_shows, limit: s.limit, days: s.window_days }) +
            (s.suspended_until ? i18n.t('rbs_suspended', { until: format.formatDateTime(s.suspended_until) }) : '')
        }
      })
      self.setData({ status: items.length ? 'ok' : 'empty', message: items.length ? '' : i18n.t('rbs_none'), items: items, standing: standing })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onCancel: function (e) {
    const id = Number(e.currentTarget.dataset.id)
    const self = this
    wx.showModal({
      title: i18n.t('rbs_cancel_title'),
      content: i18n.t('rbs_cancel_content'),
      confirmText: i18n.t('rbs_cancel_ok'),
      cancelText: i18n.t('rbs_keep'),
      success: function (res) {
        if (!res.confirm) return
        api.cancelRoomBooking(id).then(function () {
          wx.showToast({ title: i18n.t('rbs_cancelled'), icon: 'none' })
          self.load()
        }, function () {})
      }
    })
  },

  onCheckin: function (e) {
    const id = Number(e.currentTarget.dataset.id)
    const self = this
    wx.scanCode({
      onlyFromCamera: true,
      success: function (res) {
        const room = roomFromScan(res)
        if (!room) {
          wx.showToast({ title: i18n.t('rbs_bad_code'), icon: 'none' })
          return
        }
        api.checkinRoomBooking(id, room).then(function (a) {
          wx.showToast({ title: a.message, icon: 'none' })
          self.load()
        }, function () {})
      }
    })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  }
}))
