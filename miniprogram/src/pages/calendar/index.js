// 日历订阅: a personal iCalendar link listing the sessions I booked, for any calendar app. The
// service keeps only a hash of the link (D226), so it is shown when made; this phone keeps the
// copy it was shown. 重置 makes a new link and the old one stops working at once.
const api = require('../../api/index')
const request = require('../../utils/request')
const session = require('../../utils/session')
const storage = require('../../utils/storage')
const format = require('../../utils/format')
const ui = require('../../utils/ui')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')
const config = require('../../config')

// The service answers a full URL when it knows its public address, else a path on its API base.
function absolute(url) {
  return /^https?:\/\//.test(url) ? url : config.baseUrl + url
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_calendar',
  data: {
    signedIn: false,
    status: 'loading',
    message: '',
    active: false,
    createdAt: '',
    url: ''
  },

  onLoad: function () {
    this.refresh()
  },

  refresh: function () {
    const signedIn = session.isSignedIn()
    this.setData({ signedIn: signedIn })
    if (!signedIn) {
      this.setData({ status: 'empty', message: i18n.t('cal_signed_out') })
      return Promise.resolve()
    }
    return this.load()
  },

  load: function () {
    const self = this
    this.setData({ status: 'loading' })
    return api.myCalendar({ showError: false }).then(
      function (r) {
        const kept = storage.get(storage.KEYS.calendarUrl, null)
        // A copy from before a reset on another phone is not shown as if it still worked.
        const url = r.active && kept && kept.created_at === r.created_at ? kept.url : ''
        self.setData({
          status: 'ok',
          active: !!r.active,
          createdAt: r.created_at ? format.formatDateTime(r.created_at) : '',
          url: url
        })
      },
      function (err) {
        self.setData({ status: 'error', message: err.message })
      }
    )
  },

  onStateAction: function () {
    if (this.data.signedIn) this.load()
    else this.onSignIn()
  },

  make: async function () {
    let r
    try {
      r = await api.resetMyCalendar({ loading: i18n.t('cal_making'), showError: 'modal' })
    } catch (err) {
      return
    }
    const url = absolute(r.url)
    storage.set(storage.KEYS.calendarUrl, { url: url, created_at: r.created_at })
    this.setData({ active: true, url: url, createdAt: format.formatDateTime(r.created_at) })
  },

  onCreate: function () {
    return this.make()
  },

  onReset: async function () {
    const ok = await ui.confirm({
      title: i18n.t('cal_reset_title'),
      content: i18n.t('cal_reset_content'),
      confirmText: i18n.t('cal_reset_ok'),
      cancelText: i18n.t('cal_keep')
    })
    if (!ok) return
    return this.make()
  },

  onCopy: function () {
    if (!this.data.url) return
    wx.setClipboardData({
      data: this.data.url,
      success: function () {
        wx.showToast({ title: i18n.t('cal_copied'), icon: 'none' })
      }
    })
  },

  onSignIn: function () {
    const self = this
    api.signIn().then(function () {
      self.refresh()
    }, function (err) {
      request.showError(err)
    })
  }
}))
