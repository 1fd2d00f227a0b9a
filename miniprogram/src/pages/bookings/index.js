// 我的预约: upcoming bookings (tickets) and past or cancelled ones. The last list is kept in
// storage with a copy of each booking, and the tickets of the next confirmed ones are fetched
// ahead: with a weak signal the saved list stays on screen (marked as saved at …) and every
// card still opens its booking and its QR ticket (pages/booking/detail reads the same copies).
const api = require('../../api/index')
const request = require('../../utils/request')
const session = require('../../utils/session')
const storage = require('../../utils/storage')
const format = require('../../utils/format')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

const SAVED_MAX = 100 // bookings kept in the saved list (upcoming first)
const TICKETS_AHEAD = 5 // upcoming confirmed bookings whose ticket is saved before it is needed

// A failure worth falling back to the saved list for: no connection, or the service is down.
function offlineError(err) {
  return !!err && (err.code === 'network' || err.status >= 500)
}

function split(items, now) {
  const upcoming = []
  const past = []
  ;(items || []).forEach(function (b) {
    if (b.status !== 'cancelled' && Date.parse(b.ends_at) > now) upcoming.push(b)
    else past.push(b)
  })
  return { upcoming: upcoming, past: past }
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  tabPage: true, // the tab texts follow the language (utils/i18n)
  navTitleKey: 'nav_bookings',
  data: {
    signedIn: false,
    tab: 'upcoming', // upcoming | past
    upcoming: [],
    past: [],
    status: 'loading',
    message: '',
    offline: false, // showing the saved list after a failed refresh
    savedAt: ''
  },

  onLoad: function () {
    this.refresh()
  },

  onShow: function () {
    // bookings change on other pages; refresh whenever the tab comes back
    if (this.shownOnce) this.refresh()
    this.shownOnce = true
  },

  onPullDownRefresh: function () {
    return this.refresh().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  refresh: function () {
    const signedIn = session.isSignedIn()
    this.setData({ signedIn: signedIn })
    if (!signedIn) {
      this.setData({ status: 'empty', message: i18n.t('bk_sign_in_hint') })
      return Promise.resolve()
    }
    return this.load()
  },

  load: function () {
    const self = this
    if (!this.data.upcoming.length && !this.data.past.length) this.setData({ status: 'loading' })
    return api.myBookings({ showError: false }).then(
      function (res) {
        const parts = split(res.items, Date.now())
        self.setData({
          upcoming: parts.upcoming,
          past: parts.past,
          signedIn: true,
          status: 'ok',
          offline: false,
          savedAt: ''
        })
        self.save(parts)
        return self.saveTicketsAhead(parts.upcoming)
      },
      function (err) {
        const saved = offlineError(err) && session.isSignedIn() ? storage.get(storage.KEYS.bookings, null) : null
        if (saved && saved.items) {
          // keep (or bring back) the saved bookings; the tickets open from their own copies
          const parts = split(saved.items, Date.now())
          self.setData({
            upcoming: parts.upcoming,
            past: parts.past,
            signedIn: true,
            status: 'ok',
            offline: true,
            savedAt: format.formatDateTime(saved.saved_at)
          })
          return
        }
        self.setData({ status: 'error', message: err.message, signedIn: session.isSignedIn() })
      }
    )
  },

  // The list and a copy of each booking, as pages/booking/detail saves them.
  save: function (parts) {
    const now = new Date().toISOString()
    const items = parts.upcoming.concat(parts.past).slice(0, SAVED_MAX)
    storage.set(storage.KEYS.bookings, { items: items, saved_at: now })
    items.forEach(function (b) {
      const key = storage.KEYS.bookingPrefix + b.id
      const old = storage.get(key, null)
      if (!old || !old.booking || old.booking.status !== b.status || old.booking.checked_in_at !== b.checked_in_at) {
        storage.set(key, { booking: b, saved_at: now })
      }
    })
  },

  // Tickets of the next confirmed bookings, fetched once (a ticket's QR never changes), quietly.
  saveTicketsAhead: function (upcoming) {
    const todo = upcoming.filter(function (b) {
      return b.status === 'confirmed' && !b.checked_in_at && !storage.get(storage.KEYS.ticketPrefix + b.id, null)
    }).slice(0, TICKETS_AHEAD)
    return todo.reduce(function (chain, b) {
      return chain.then(function () {
        return api.ticket(b.id, { showError: false }).then(function (t) {
          if (t && t.qr_png_base64) storage.set(storage.KEYS.ticketPrefix + b.id, { ticket: t, saved_at: new Date().toISOString() })
        }, function () {})
      })
    }, Promise.resolve())
  },

  onRetry: function () {
    wx.showToast({ title: i18n.t('bk_refreshing'), icon: 'loading' })
    return this.load()
  },

  onSignIn: function () {
    const self = this
    api.signIn().then(
      function () {
        self.refresh()
      },
      function (err) {
        request.showError(err)
      }
    )
  },

  onStateAction: function () {
    if (!session.isSignedIn()) this.onSignIn()
    else this.load()
  },

  onTab: function (e) {
    this.setData({ tab: e.currentTarget.dataset.tab })
  },

  onSelect: function (e) {
    wx.navigateTo({ url: '/pages/booking/detail?id=' + e.detail.id })
  },

  onBrowse: function () {
    wx.switchTab({ url: '/pages/activities/index' })
  }
}))
