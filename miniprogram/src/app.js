const privacy = require('./utils/privacy')

App({
  globalData: {
    // set by 首页 before switching to the 活动 tab (switchTab cannot carry a query)
    browseUnitId: null
  },
  onLaunch: function () {
    // Our own dialog answers WeChat's privacy checks (location, phone number, clipboard…).
    privacy.install()
  }
})
