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
const i18n = require('../../utils/i18n')

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_mydata',
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
      this.setData({ status: 'empty', message: i18n.t('md_signed_out') })
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
            name: p.display_name || i18n.t('md_no_name'),
            phone: p.phone || i18n.t('md_no_phone'),
            createdAt: p.created_at ? format.formatDateTime(p.created_at) : '',
            bookings: (data.bookings || []).length,
            family: (data.family_members || []).length,
            roles: (data.roles || []).length,
            sessions: data.active_sessions || 0,
            bookingsText: i18n.t('md_n_bookings', { n: (data.bookings || []).length }),
            familyText: i18n.t('md_n_family', { n: (data.family_members || []).length }),
            rolesText: i18n.t('md_n_roles', { n: (data.roles || []).length }),
            sessionsText: i18n.t('md_n_sessions', { n: data.active_sessions || 0 })
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
        wx.showToast({ title: i18n.t('md_copied'), icon: 'none' })
      }
    })
  },

  onDelete: async function () {
    const first = await ui.confirm({
      title: i18n.t('md_delete_title'),
      content: i18n.t('md_d1_content'),
      confirmText: i18n.t('md_d1_ok'),
      cancelText: i18n.t('md_keep')
    })
    if (!first) return
    const second = await ui.confirm({
      title: i18n.t('md_d2_title'),
      content: i18n.t('md_d2_content'),
      confirmText: i18n.t('md_d2_ok'),
      cancelText: i18n.t('md_keep'),
      confirmColor: '#B00020'
    })
    if (!second) return
    try {
      await api.deleteMe({ loading: i18n.t('md_deleting'), showError: 'modal' })
    } catch (err) {
      return
    }
    storage.clearPersonal()
    privacy.forget()
    wx.showToast({ title: i18n.t('md_deleted'), icon: 'success' })
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
