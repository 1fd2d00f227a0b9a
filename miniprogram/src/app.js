const privacy = require('./utils/privacy')
const offline = require('./utils/offline-checkin')
const display = require('./utils/display')

App({
  globalData: {
    // set by 首页 before switching to the 活动 tab (switchTab cannot carry a query)
    browseUnitId: null
  },
  onShow: function () {
    // back in the foreground (at most every 10 minutes): fresh lists for today's sessions
    offline.prepareToday()
  },

  onLaunch: function () {
    // Our own dialog answers WeChat's privacy checks (location, phone number, clipboard…).
    privacy.install()
    // Volunteers' offline check-ins upload by themselves when the network comes back.
    offline.watchNetwork()
    offline.purge()
    // a volunteer opening the app with a signal gets today's offline lists without asking
    offline.prepareToday()
    // dark mode switched while the app is open: large-text contrast follows the theme
    if (wx.onThemeChange) {
      wx.onThemeChange(function () {
        display.applyToOpenPages()
      })
    }
  }
})
