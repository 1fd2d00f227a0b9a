// 隐私保护指引: what we collect, why, for how long, and the person's rights — with the
// dedicated rules for children under 14.
const privacy = require('../../utils/privacy')
const config = require('../../config')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_privacy',
  data: {
    agreed: false,
    version: config.privacyVersion
  },

  onLoad: function (query) {
    this.setData({ agreed: privacy.hasAgreed() })
    if (query && query.section === 'children') {
      wx.pageScrollTo({ selector: '#children', duration: 0 })
    }
  },

  onShow: function () {
    this.setData({ agreed: privacy.hasAgreed() })
  },

  onOpenContract: function () {
    if (typeof wx.openPrivacyContract === 'function') wx.openPrivacyContract({})
  },

  onAgree: function () {
    privacy.agree()
    this.setData({ agreed: true })
    wx.showToast({ title: i18n.t('pv_agreed_toast'), icon: 'success' })
  },

  onMyData: function () {
    wx.navigateTo({ url: '/pages/mydata/index' })
  }
}))
