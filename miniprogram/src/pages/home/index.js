// 首页: what's on at my branch, near me, or anywhere in the district.
const api = require('../../api/index')
const storage = require('../../utils/storage')
const format = require('../../utils/format')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  tabPage: true, // the tab texts follow the language (utils/i18n)
  navTitleKey: 'nav_home',
  data: {
    mode: 'all', // mine | near | all
    myUnit: null,
    nearest: null,
    nearestDistance: '',
    items: [],
    status: 'loading',
    message: ''
  },

  onLoad: function () {
    const myUnit = storage.get(storage.KEYS.myUnit, null)
    this.setData({ myUnit: myUnit, mode: myUnit ? 'mine' : 'all' })
    this.load()
  },

  onShow: function () {
    // “我的分馆” may have been chosen on the 活动 tab meanwhile
    const myUnit = storage.get(storage.KEYS.myUnit, null)
    const before = this.data.myUnit
    if ((myUnit && myUnit.id) !== (before && before.id)) {
      this.setData({ myUnit: myUnit })
      if (myUnit && this.data.mode !== 'near') {
        this.setData({ mode: 'mine' })
        this.load()
      }
    }
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  onSwitch: function (e) {
    const mode = e.currentTarget.dataset.mode
    if (mode === this.data.mode && this.data.status !== 'error') return
    if (mode === 'mine' && !this.data.myUnit) {
      this.onChooseBranch()
      return
    }
    this.setData({ mode: mode })
    this.load()
  },

  locate: function () {
    const self = this
    if (this.coords) return Promise.resolve(this.coords)
    return new Promise(function (resolve, reject) {
      wx.getLocation({
        type: 'gcj02',
        success: function (res) {
          self.coords = { lng: res.longitude, lat: res.latitude }
          resolve(self.coords)
        },
        fail: function () {
          reject(new Error(i18n.t('home_no_location')))
        }
      })
    })
  },

  load: function () {
    const self = this
    const seq = (this.seq = (this.seq || 0) + 1)
    this.setData({ status: 'loading', message: '' })
    let work
    if (this.data.mode === 'near') {
      work = this.locate().then(function (c) {
        return Promise.all([
          api.nearestUnits(c.lng, c.lat, 1, { showError: false }),
          api.activities({ lng: c.lng, lat: c.lat, page_size: 10 }, { showError: false })
        ]).then(function (r) {
          const near = r[0].items && r[0].items[0]
          return {
            items: r[1].items,
            nearest: near ? near.unit : null,
            nearestDistance: near ? format.distanceText(near.distance_m) : ''
          }
        })
      })
    } else {
      const query = { page_size: 10 }
      if (this.data.mode === 'mine' && this.data.myUnit) query.unit_id = this.data.myUnit.id
      work = api.activities(query, { showError: false }).then(function (page) {
        return { items: page.items, nearest: null, nearestDistance: '' }
      })
    }
    return work.then(
      function (r) {
        if (seq !== self.seq) return
        self.setData({
          items: r.items || [],
          nearest: r.nearest,
          nearestDistance: r.nearestDistance,
          status: r.items && r.items.length ? 'ok' : 'empty',
          message: self.emptyMessage()
        })
      },
      function (err) {
        if (seq !== self.seq) return
        self.setData({ status: 'error', message: err.message, items: [] })
      }
    )
  },

  emptyMessage: function () {
    if (this.data.mode === 'mine') return i18n.t('home_empty_mine')
    if (this.data.mode === 'near') return i18n.t('home_empty_near')
    return i18n.t('home_empty_all')
  },

  onSelect: function (e) {
    const d = e.detail || {}
    wx.navigateTo({ url: '/pages/activity/detail?id=' + d.activityId + '&session=' + d.sessionId })
  },

  onMore: function () {
    const app = getApp()
    if (app && app.globalData) {
      app.globalData.browseUnitId = this.data.mode === 'mine' && this.data.myUnit ? this.data.myUnit.id : null
    }
    wx.switchTab({ url: '/pages/activities/index' })
  },

  onChooseBranch: function () {
    wx.showToast({ title: i18n.t('home_choose_hint'), icon: 'none', duration: 3000 })
    wx.switchTab({ url: '/pages/activities/index' })
  },

  onStateAction: function () {
    if (this.data.status === 'empty') {
      this.setData({ mode: 'all' })
    }
    this.load()
  },

  // 线上活动 and 数字资源库 (issue 17).
  onOnline: function () {
    wx.navigateTo({ url: '/pages/online/index' })
  },

  onLibrary: function () {
    wx.navigateTo({ url: '/pages/library/index' })
  }
}))
