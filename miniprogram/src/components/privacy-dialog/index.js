// Our own privacy dialog (用户隐私保护指引). Put one on every page that may need personal
// data; utils/privacy.js opens the one on screen — before sign-in, and when WeChat's
// wx.onNeedPrivacyAuthorization fires for a privacy interface.
const privacy = require('../../utils/privacy')
const i18n = require('../../utils/i18n')

Component({
  behaviors: i18n.behavior ? [i18n.behavior] : [],
  options: { styleIsolation: 'apply-shared' },
  data: {
    visible: false,
    // base library ≥ 2.32.3 records consent with this open-type in the same tap
    openType: true
  },
  lifetimes: {
    attached: function () {
      let openType = true
      try {
        openType = wx.canIUse('button.open-type.agreePrivacyAuthorization')
      } catch (e) {
        openType = false
      }
      this.setData({ openType: !!openType })
      privacy.register(this)
    },
    detached: function () {
      privacy.unregister(this)
    }
  },
  pageLifetimes: {
    // the page on screen owns the dialog
    show: function () {
      privacy.register(this)
    }
  },
  methods: {
    open: function () {
      this.setData({ visible: true })
    },
    close: function () {
      if (this.data.visible) this.setData({ visible: false })
    },
    onAgree: function () {
      privacy.agree()
    },
    onDisagree: function () {
      privacy.disagree()
    },
    onReadGuide: function () {
      wx.navigateTo({ url: '/pages/privacy/index' })
    },
    onOpenContract: function () {
      if (typeof wx.openPrivacyContract === 'function') wx.openPrivacyContract({})
    },
    noop: function () {}
  }
})
