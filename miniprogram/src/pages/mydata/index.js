// 我的数据: see everything the service holds about me, copy it out, or delete my account
// (PIPL art. 45 and 47).
const api = require('../../api/index')
const request = require('../../utils/request')
const session = require('../../utils/session')
const storage = require('../../utils/storage')
const privacy = require('../../utils/privacy')
const format = require('../../utils/format')
const ui = require('../../utils/ui')
const display = require('../../utils/display')

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    signedIn: false,
    status: 'loading',
    message: '',
    summary: null,
    json: ''
  },

  onLoad: function () {
    this.refresh()
  },

  refresh: function () {
    const signedIn = session.isSignedIn()
    this.setData({ signedIn: signedIn })
    if (!signedIn) {
      this.setData({ status: 'empty', message: '您还没有登录，我们没有保存您的个人信息' })
      return Promise.resolve()
    }
    return this.load()
  },

  load: function () {
    const self = this
    this.setData({ status: 'loading' })
    return api.exportMe({ showError: false }).then(
      function (data) {
        const p = data.profile || {}
        self.exported = data
        self.setData({
          status: 'ok',
          json: JSON.stringify(data, null, 2),
          summary: {
            name: p.display_name || '（未填写）',
            phone: p.phone || '（未绑定）',
            createdAt: p.created_at ? format.formatDateTime(p.created_at) : '',
            bookings: (data.bookings || []).length,
            family: (data.family_members || []).length,
            roles: (data.roles || []).length,
            sessions: data.active_sessions || 0
          }
        })
      },
      function (err) {
        self.setData({ status: 'error', message: err.message })
      }
    )
  },

  onStateAction: function () {
    this.load()
  },

  onCopy: function () {
    wx.setClipboardData({
      data: this.data.json,
      success: function () {
        wx.showToast({ title: '已复制，可粘贴保存', icon: 'none' })
      }
    })
  },

  onDelete: async function () {
    const first = await ui.confirm({
      title: '注销账号',
      content: '注销后，您的称呼、手机号、家庭成员和微信身份标识将被清除，未开始的预约将无法使用，身份权限也会撤销。',
      confirmText: '继续注销',
      cancelText: '不注销'
    })
    if (!first) return
    const second = await ui.confirm({
      title: '请再次确认',
      content: '注销后无法恢复。确定注销吗？',
      confirmText: '确定注销',
      cancelText: '不注销',
      confirmColor: '#B00020'
    })
    if (!second) return
    try {
      await api.deleteMe({ loading: '正在注销…', showError: 'modal' })
    } catch (err) {
      return
    }
    storage.clearPersonal()
    privacy.forget()
    wx.showToast({ title: '账号已注销', icon: 'success' })
    wx.reLaunch({ url: '/pages/home/index' })
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
