// 预约详情 / 电子票: the booking, and a big bright QR ticket. The last loaded copies of both are
// kept in storage, so the ticket still shows with a weak signal at the door.
const api = require('../../api/index')
const request = require('../../utils/request')
const storage = require('../../utils/storage')
const format = require('../../utils/format')
const ui = require('../../utils/ui')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

function view(b) {
  const active = b.status !== 'cancelled'
  return {
    id: b.id,
    activityId: b.activity_id,
    sessionId: b.session_id,
    title: b.activity_title,
    attendee: b.attendee_name,
    status: b.status,
    statusText: format.statusText(b.status, b.waitlist_position, b.checked_in_at),
    tone: b.checked_in_at ? 'checked' : b.status,
    time: format.formatRange(b.starts_at, b.is_course ? null : b.ends_at),
    courseEnd: b.is_course ? format.formatDate(b.ends_at) : '',
    place: b.unit_name,
    room: b.room,
    checkedIn: b.checked_in_at ? format.formatDateTime(b.checked_in_at) : '',
    canCancel: active && !b.checked_in_at && Date.parse(b.cancel_until) > Date.now(),
    // 转让: a confirmed seat, not yet used, until the cancellation deadline (the server decides)
    canTransfer: b.status === 'confirmed' && !b.checked_in_at && Date.parse(b.cancel_until) > Date.now(),
    cancelUntil: format.formatDateTime(b.cancel_until),
    waitlisted: b.status === 'waitlisted',
    entered: b.status === 'entered',
    confirmed: b.status === 'confirmed' && !b.checked_in_at,
    // attended (checked in): may rate it; the server enforces the rating period
    canRate: b.status === 'confirmed' && !!b.checked_in_at,
    createdAt: format.formatDateTime(b.created_at),
    // 添加到手机日历: a seat that is held or may still be (not a cancelled one)
    canCalendar: active && !!b.starts_at,
    startsAt: b.starts_at,
    endsAt: b.is_course ? '' : b.ends_at
  }
}

// wx.addPhoneCalendar takes whole Unix seconds.
function calendarEvent(b) {
  const ev = {
    title: b.title,
    startTime: Math.floor(Date.parse(b.startsAt) / 1000),
    location: [b.place, b.room].filter(Boolean).join(' '),
    description: i18n.t('bd_cal_description'),
    alarm: true,
    alarmOffset: 3600
  }
  if (b.endsAt) ev.endTime = Math.floor(Date.parse(b.endsAt) / 1000)
  return ev
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_booking',
  data: {
    id: null,
    status: 'loading',
    message: '',
    b: {},
    offline: false,
    savedAt: '',
    // an open transfer code: {code, expires, path}, shown once after 转让给家人朋友
    transfer: null,
    // ticket.state: loading | ok | cached | soon | error
    ticket: { state: 'loading', src: '', holder: '', savedAt: '' }
  },

  onLoad: function (query) {
    const id = Number(query && query.id)
    this.setData({ id: id })
    if (!id) {
      this.setData({ status: 'error', message: i18n.t('bd_not_found') })
      return
    }
    const cached = storage.get(storage.KEYS.bookingPrefix + id, null)
    if (cached && cached.booking) {
      this.setData({ status: 'ok', b: view(cached.booking), savedAt: format.formatDateTime(cached.saved_at) })
    }
    this.load()
  },

  onShow: function () {
    this.visible = true
    this.brighten()
  },

  onHide: function () {
    this.visible = false
    this.restoreBrightness()
  },

  onUnload: function () {
    this.visible = false
    this.restoreBrightness()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  load: function () {
    const self = this
    const id = this.data.id
    return api.booking(id, { showError: false }).then(
      function (b) {
        const savedAt = new Date().toISOString()
        storage.set(storage.KEYS.bookingPrefix + id, { booking: b, saved_at: savedAt })
        self.setData({ status: 'ok', b: view(b), offline: false, savedAt: '' })
        if (b.status === 'confirmed' && !b.checked_in_at) return self.loadTicket()
        self.setData({ 'ticket.state': 'none' })
      },
      function (err) {
        if (self.data.status === 'ok') {
          // keep showing the saved copy
          self.setData({ offline: true })
          if (self.data.b.confirmed) self.showCachedTicket('error')
          return
        }
        self.setData({ status: 'error', message: err.message })
      }
    )
  },

  // GET /api/v1/bookings/{id}/ticket → {booking_id, token, qr_png_base64, qr_svg, holder_masked,
  // activity_title, starts_at, unit_name, room, status}. On a server without it (404
  // route_not_found) the page says the e-ticket is coming; the booking is shown either way.
  loadTicket: function () {
    const self = this
    const id = this.data.id
    return api.ticket(id, { showError: false }).then(
      function (t) {
        const saved = { ticket: t, saved_at: new Date().toISOString() }
        storage.set(storage.KEYS.ticketPrefix + id, saved)
        self.setData({
          ticket: {
            state: 'ok',
            src: 'data:image/png;base64,' + t.qr_png_base64,
            holder: t.holder_masked || '',
            savedAt: ''
          }
        })
        self.brighten()
      },
      function (err) {
        const missing = err.status === 404 && (err.code === 'route_not_found' || err.code === 'not_found')
        self.showCachedTicket(missing ? 'soon' : 'error')
      }
    )
  },

  showCachedTicket: function (otherwise) {
    const saved = storage.get(storage.KEYS.ticketPrefix + this.data.id, null)
    if (saved && saved.ticket && saved.ticket.qr_png_base64) {
      this.setData({
        ticket: {
          state: 'cached',
          src: 'data:image/png;base64,' + saved.ticket.qr_png_base64,
          holder: saved.ticket.holder_masked || '',
          savedAt: format.formatDateTime(saved.saved_at)
        }
      })
      this.brighten()
      return
    }
    this.setData({ ticket: { state: otherwise, src: '', holder: '', savedAt: '' } })
  },

  // Full brightness while a QR code is on screen, restored when leaving.
  brighten: function () {
    const self = this
    const state = this.data.ticket.state
    if (!this.visible || (state !== 'ok' && state !== 'cached') || this.brightened) return
    this.brightened = true
    wx.getScreenBrightness({
      success: function (res) {
        self.previousBrightness = res.value
      },
      complete: function () {
        wx.setScreenBrightness({ value: 1 })
        wx.setKeepScreenOn({ keepScreenOn: true })
      }
    })
  },

  restoreBrightness: function () {
    if (!this.brightened) return
    this.brightened = false
    if (typeof this.previousBrightness === 'number') wx.setScreenBrightness({ value: this.previousBrightness })
    wx.setKeepScreenOn({ keepScreenOn: false })
  },

  onRetryTicket: function () {
    this.setData({ 'ticket.state': 'loading' })
    this.loadTicket()
  },

  // POST /api/v1/ratings (pages/rating says so on a server without it)
  onRate: function () {
    const b = this.data.b
    wx.navigateTo({ url: '/pages/rating/index?booking=' + b.id + '&title=' + encodeURIComponent(b.title) })
  },

  onOpenActivity: function () {
    wx.navigateTo({ url: '/pages/activity/detail?id=' + this.data.b.activityId })
  },

  // 添加到手机日历. A refusal of the calendar permission offers WeChat's settings page; a
  // cancel in the system dialog says nothing.
  onAddCalendar: function () {
    const b = this.data.b
    wx.addPhoneCalendar(Object.assign(calendarEvent(b), {
      success: function () {
        wx.showToast({ title: i18n.t('bd_cal_added'), icon: 'success' })
      },
      fail: function (err) {
        const msg = String((err && err.errMsg) || '')
        if (/cancel/i.test(msg)) return
        if (/auth|deny|denied|permission/i.test(msg)) {
          ui.confirm({
            title: i18n.t('bd_cal_denied_title'),
            content: i18n.t('bd_cal_denied'),
            confirmText: i18n.t('bd_cal_settings'),
            cancelText: i18n.t('bd_cal_later')
          }).then(function (ok) {
            if (ok) wx.openSetting({})
          })
          return
        }
        wx.showToast({ title: i18n.t('bd_cal_failed'), icon: 'none' })
      }
    }))
  },

  // BookingView carries no coordinates: look the session up in its activity.
  onNavigate: function () {
    const b = this.data.b
    api.activity(b.activityId, { loading: i18n.t('bd_finding'), showError: 'toast' }).then(function (res) {
      const s = (res.activity.sessions || []).filter(function (x) {
        return x.id === b.sessionId
      })[0] || (res.activity.sessions || [])[0]
      if (!s || s.lat === null || s.lat === undefined) {
        wx.showToast({ title: i18n.t('bd_no_location'), icon: 'none' })
        return
      }
      wx.openLocation({ latitude: Number(s.lat), longitude: Number(s.lng), name: s.unit_name, address: s.address, scale: 16 })
    }, function () {})
  },

  onCancel: async function () {
    if (this.busy) return
    this.busy = true
    try {
      const b = this.data.b
      const ok = await ui.confirm({
        title: i18n.t('bd_cancel'),
        content: i18n.t('bd_cancel_content', { who: b.attendee, title: b.title }),
        confirmText: i18n.t('bd_cancel_yes'),
        cancelText: i18n.t('bd_cancel_no')
      })
      if (!ok) return
      const key = request.newIdempotencyKey()
      let updated
      try {
        updated = await api.cancelBooking(this.data.id, { idempotencyKey: key, loading: i18n.t('bd_cancelling'), showError: 'modal' })
      } catch (err) {
        return
      }
      storage.set(storage.KEYS.bookingPrefix + this.data.id, { booking: updated, saved_at: new Date().toISOString() })
      storage.remove(storage.KEYS.ticketPrefix + this.data.id)
      this.restoreBrightness()
      this.setData({ b: view(updated), ticket: { state: 'none', src: '', holder: '', savedAt: '' } })
      wx.showToast({ title: i18n.t('bd_cancelled'), icon: 'success' })
    } finally {
      this.busy = false
    }
  },

  // 转让给家人朋友: a one-time code (30 minutes, never past the cancellation deadline) sent
  // through a share card; whoever accepts it gets the seat and a new ticket, this one stops working.
  onTransfer: async function () {
    if (this.busy) return
    this.busy = true
    try {
      const b = this.data.b
      const ok = await ui.confirm({
        title: i18n.t('bd_transfer_title'),
        content: i18n.t('bd_transfer_content'),
        confirmText: i18n.t('bd_transfer_make'),
        cancelText: i18n.t('bd_transfer_no')
      })
      if (!ok) return
      let t
      try {
        t = await api.transferCreate(b.id, { loading: i18n.t('bd_making'), showError: 'modal' })
      } catch (err) {
        return
      }
      this.setData({ transfer: { code: t.code, expires: format.formatDateTime(t.expires_at), path: '/' + t.path } })
    } finally {
      this.busy = false
    }
  },

  onRevokeTransfer: function () {
    const self = this
    return api.transferRevoke(this.data.b.id, { showError: 'toast' }).then(function () {
      self.setData({ transfer: null })
      wx.showToast({ title: i18n.t('bd_revoked'), icon: 'success' })
    }, function () {})
  },

  // The share button hands the transfer page to a chat; the menu shares the activity.
  onShareAppMessage: function (res) {
    const b = this.data.b
    if (res && res.from === 'button' && this.data.transfer) {
      return { title: i18n.t('bd_share_title', { title: b.title }), path: this.data.transfer.path }
    }
    return { title: b.title, path: '/pages/activity/detail?id=' + b.activityId }
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  }
}))
