// 我的: profile, phone (only when the person chooses to), family members, my data, and the
// volunteer and staff entrances.
const api = require('../../api/index')
const request = require('../../utils/request')
const session = require('../../utils/session')
const storage = require('../../utils/storage')
const format = require('../../utils/format')
const roles = require('../../utils/roles')
const offline = require('../../utils/offline-checkin')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')
const t = i18n.t

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  tabPage: true,
  navTitleKey: 'nav_me',
  data: {
    noShowText: '',
    signedIn: false,
    status: 'ok',
    message: '',
    user: null,
    name: '',
    phoneMasked: '',
    roles: [],
    isVolunteer: false,
    isStaff: false,
    noShow: null,
    revoked: false, // the server ended our sign-in (elsewhere): say so next to 微信登录
    largeText: false
  },

  onLoad: function () {
    this.setData({ largeText: display.large() })
    this.refresh()
  },

  // 大字模式: bigger text (≥ 18 pt) and darker grey text everywhere. This page restyles at once;
  // every other page does when it is shown next (display.page applies it on show).
  onLargeText: function (e) {
    const on = !!e.detail.value
    display.setLarge(on)
    this.setData({ largeText: on })
    this.applyDisplay()
  },

  // 语言 Language: kept on this phone; this page, the tab bar and every open page follow at once,
  // other pages when they are shown next.
  onLang: function (e) {
    i18n.setLang(e.currentTarget.dataset.lang)
    this.applyDisplay()
    display.applyToOpenPages()
    if (this.data.noShow) this.showNoShow(this.rawNoShow)
  },

  onShow: function () {
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
    this.setData({ signedIn: signedIn, revoked: !signedIn && session.wasRevoked() })
    if (!signedIn) {
      this.setData({ user: null, status: 'ok' })
      return Promise.resolve()
    }
    const cached = session.user()
    if (cached && !this.data.user) this.showUser(cached)
    return this.load()
  },

  load: function () {
    const self = this
    if (!this.data.user) this.setData({ status: 'loading' })
    return Promise.all([api.me({ showError: false }), api.noShows({ showError: false }).catch(function () {
      return null
    })]).then(
      function (r) {
        session.setUser(r[0])
        self.showUser(r[0])
        self.showNoShow(r[1])
        self.setData({ status: 'ok', signedIn: true })
      },
      function (err) {
        if (!session.isSignedIn()) {
          self.setData({ signedIn: false, user: null, status: 'ok', revoked: session.wasRevoked() })
          return
        }
        if (self.data.user) request.showError(err)
        else self.setData({ status: 'error', message: err.message })
      }
    )
  },

  showUser: function (u) {
    this.setData({
      user: u,
      name: u.display_name || t('me_default_name'),
      phoneMasked: u.phone_masked || '',
      roles: (u.roles || []).map(function (r) {
        return { id: r.grant_id, text: r.role_label + ' · ' + r.unit_name }
      }),
      isVolunteer: roles.isVolunteer(u.roles),
      isStaff: roles.isStaff(u.roles)
    })
  },

  showNoShow: function (n) {
    this.rawNoShow = n
    if (!n) {
      this.setData({ noShow: null })
      return
    }
    this.setData({
      noShow: {
        count: n.count,
        limit: n.limit,
        windowDays: n.window_days,
        suspended: !!n.suspended_until,
        until: n.suspended_until ? format.formatDateTime(n.suspended_until) : '',
        reason: n.reason || ''
      },
      noShowText: t('me_no_shows', { days: n.window_days, count: n.count, limit: n.limit })
    })
  },

  onSignIn: function () {
    const self = this
    api.signIn().then(
      function (s) {
        self.showUser(s.user)
        self.setData({ signedIn: true })
        self.load()
      },
      function (err) {
        request.showError(err)
      }
    )
  },

  onEditName: function () {
    const self = this
    wx.showModal({
      title: t('me_name_title'),
      editable: true,
      placeholderText: t('me_name_placeholder'),
      content: this.data.user && this.data.user.display_name ? this.data.user.display_name : '',
      confirmText: t('me_save'),
      success: function (res) {
        if (!res.confirm) return
        const name = (res.content || '').trim()
        if (!name) {
          wx.showToast({ title: t('me_name_empty'), icon: 'none' })
          return
        }
        api.updateMe(name, { loading: t('me_saving'), showError: 'modal' }).then(function (u) {
          session.setUser(u)
          self.showUser(u)
          wx.showToast({ title: t('me_saved'), icon: 'success' })
        }, function () {})
      }
    })
  },

  // <button open-type="getPhoneNumber">: only when the person taps it, never at entry.
  onPhone: function (e) {
    const self = this
    const detail = (e && e.detail) || {}
    if (!detail.code) {
      wx.showToast({ title: t('me_phone_skipped'), icon: 'none' })
      return
    }
    request
      .phoneCode(detail.code)
      .then(function (code) {
        return api.bindPhone(code, { loading: t('me_binding'), showError: 'modal' })
      })
      .then(function (u) {
        session.setUser(u)
        self.showUser(u)
        wx.showToast({ title: t('me_bound'), icon: 'success' })
      }, function (err) {
        request.showError(err, 'modal')
      })
  },

  onRedeem: function () {
    const self = this
    wx.showModal({
      title: t('me_redeem'),
      editable: true,
      placeholderText: t('me_redeem_placeholder'),
      confirmText: t('me_ok'),
      success: function (res) {
        if (!res.confirm) return
        const code = (res.content || '').trim()
        if (!code) return
        api.redeemInvitation(code, { loading: t('me_checking'), showError: 'modal' }).then(function (u) {
          session.setUser(u)
          self.showUser(u)
          wx.showModal({ title: t('me_joined'), content: t('me_your_roles') + self.data.roles.map(function (r) {
            return r.text
          }).join('；'), showCancel: false, confirmText: t('me_got_it') })
        }, function () {})
      }
    })
  },

  onSignOut: function () {
    const unsynced = offline.queue().length
    wx.showModal({
      title: t('me_sign_out'),
      content: (unsynced ? t('me_unsynced', { n: unsynced }) : '') + t('me_sign_out_content'),
      confirmText: t('me_sign_out_confirm'),
      success: function (res) {
        if (!res.confirm) return
        api.signOut({ showError: false }).catch(function () {}).then(function () {
          storage.clearPersonal()
          wx.showToast({ title: t('me_signed_out'), icon: 'success' })
          wx.reLaunch({ url: '/pages/me/index' })
        })
      }
    })
  },

  onGo: function (e) {
    const url = e.currentTarget.dataset.url
    if (url) wx.navigateTo({ url: url })
  },

  onRateHint: function () {
    wx.showModal({
      title: t('me_rate_title'),
      content: t('me_rate_content'),
      confirmText: t('me_rate_go'),
      cancelText: t('me_got_it'),
      success: function (res) {
        if (res.confirm) wx.switchTab({ url: '/pages/bookings/index' })
      }
    })
  },

  onStateAction: function () {
    this.load()
  }
}))
