// 我的预约: upcoming bookings (tickets) and past or cancelled ones.
const api = require('../../api/index')
const request = require('../../utils/request')
const session = require('../../utils/session')

function split(items, now) {
  const upcoming = []
  const past = []
  ;(items || []).forEach(function (b) {
    if (b.status !== 'cancelled' && Date.parse(b.ends_at) > now) upcoming.push(b)
    else past.push(b)
  })
  return { upcoming: upcoming, past: past }
}

Page({
  data: {
    signedIn: false,
    tab: 'upcoming', // upcoming | past
    upcoming: [],
    past: [],
    status: 'loading',
    message: ''
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
      this.setData({ status: 'empty', message: '登录后可以查看您的预约和电子票' })
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
          status: 'ok'
        })
      },
      function (err) {
        self.setData({ status: 'error', message: err.message, signedIn: session.isSignedIn() })
      }
    )
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
})
