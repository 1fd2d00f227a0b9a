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

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
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
      name: u.display_name || '文化馆居民',
      phoneMasked: u.phone_masked || '',
      roles: (u.roles || []).map(function (r) {
        return { id: r.grant_id, text: r.role_label + ' · ' + r.unit_name }
      }),
      isVolunteer: roles.isVolunteer(u.roles),
      isStaff: roles.isStaff(u.roles)
    })
  },

  showNoShow: function (n) {
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
      }
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
      title: '修改称呼',
      editable: true,
      placeholderText: '例如：王阿姨（不超过 20 个字）',
      content: this.data.user && this.data.user.display_name ? this.data.user.display_name : '',
      confirmText: '保存',
      success: function (res) {
        if (!res.confirm) return
        const name = (res.content || '').trim()
        if (!name) {
          wx.showToast({ title: '称呼不能为空', icon: 'none' })
          return
        }
        api.updateMe(name, { loading: '正在保存…', showError: 'modal' }).then(function (u) {
          session.setUser(u)
          self.showUser(u)
          wx.showToast({ title: '已保存', icon: 'success' })
        }, function () {})
      }
    })
  },

  // <button open-type="getPhoneNumber">: only when the person taps it, never at entry.
  onPhone: function (e) {
    const self = this
    const detail = (e && e.detail) || {}
    if (!detail.code) {
      wx.showToast({ title: '未绑定手机号，不影响预约', icon: 'none' })
      return
    }
    request
      .phoneCode(detail.code)
      .then(function (code) {
        return api.bindPhone(code, { loading: '正在绑定…', showError: 'modal' })
      })
      .then(function (u) {
        session.setUser(u)
        self.showUser(u)
        wx.showToast({ title: '已绑定', icon: 'success' })
      }, function (err) {
        request.showError(err, 'modal')
      })
  },

  onRedeem: function () {
    const self = this
    wx.showModal({
      title: '使用邀请码',
      editable: true,
      placeholderText: '请输入分馆或服务点给您的邀请码',
      confirmText: '确定',
      success: function (res) {
        if (!res.confirm) return
        const code = (res.content || '').trim()
        if (!code) return
        api.redeemInvitation(code, { loading: '正在核对…', showError: 'modal' }).then(function (u) {
          session.setUser(u)
          self.showUser(u)
          wx.showModal({ title: '已加入', content: '您的身份：' + self.data.roles.map(function (r) {
            return r.text
          }).join('；'), showCancel: false, confirmText: '知道了' })
        }, function () {})
      }
    })
  },

  onSignOut: function () {
    const unsynced = offline.queue().length
    wx.showModal({
      title: '退出登录',
      content: (unsynced ? '还有 ' + unsynced + ' 条离线签到没有同步，退出后会丢失，请先联网同步。' : '') +
        '退出后，本机保存的预约和电子票副本会一并清除。',
      confirmText: '退出',
      success: function (res) {
        if (!res.confirm) return
        api.signOut({ showError: false }).catch(function () {}).then(function () {
          storage.clearPersonal()
          wx.showToast({ title: '已退出', icon: 'success' })
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
      title: '评价活动',
      content: '参加活动并签到后，在“我的预约”里打开那次活动，就可以评价。',
      confirmText: '去查看',
      cancelText: '知道了',
      success: function (res) {
        if (res.confirm) wx.switchTab({ url: '/pages/bookings/index' })
      }
    })
  },

  onStateAction: function () {
    this.load()
  }
}))
