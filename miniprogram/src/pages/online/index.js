// 线上活动: online and hybrid activities — live now, coming up (with the start time) and replays.
// Watching needs no booking (D232). Live on WeChat Channels opens with wx.openChannelsLive after
// wx.getChannelsLiveInfo; a web page opens in pages/online/web (a business domain, D231).
const api = require('../../api/index')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')
const format = require('../../utils/format')
const online = require('../../utils/online')
const watch = require('../../utils/watch')

function rows(items, now) {
  return items.map(function (it) {
    const state = online.stateAt(it, now)
    return {
      id: it.activity_id,
      title: it.title,
      unit: it.organizer_name,
      poster: it.poster_url && it.poster_url.charAt(0) === '/' ? require('../../config').baseUrl + it.poster_url : it.poster_url,
      state: state,
      stateText: i18n.t('ol_state_' + state),
      modeText: i18n.t(it.mode === 'hybrid' ? 'ol_hybrid' : 'ol_online'),
      when: format.formatRange(it.starts_at, it.ends_at),
      button: state === 'live' ? i18n.t('ol_watch_live') : state === 'replay' ? i18n.t('ol_watch_replay') : i18n.t('ol_details'),
      raw: it
    }
  })
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_online',
  data: {
    status: 'loading',
    message: '',
    items: []
  },

  onLoad: function (query) {
    this.unitId = Number(query && query.unit_id) || 0
    this.load()
  },

  onShow: function () {
    // Back from a live or replay: states may have moved on.
    if (this.items) this.render()
  },

  onLanguage: function () {
    if (this.items) this.render()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  load: function () {
    const self = this
    const query = this.unitId ? { unit_id: this.unitId } : {}
    return api.onlineList(query, { showError: false }).then(function (res) {
      self.items = res.items || []
      self.render()
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  render: function () {
    const list = rows(this.items, Date.now())
    this.setData({
      status: list.length ? 'ok' : 'empty',
      message: list.length ? '' : i18n.t('ol_empty'),
      items: list.map(function (r) { const c = Object.assign({}, r); delete c.raw; return c })
    })
    this.rows = list
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  },

  onTap: function (e) {
    const row = (this.rows || [])[e.currentTarget.dataset.index]
    if (!row) return
    watch.open(online.action(row.raw, row.state), function (act) {
      wx.navigateTo({ url: '/pages/activity/detail?id=' + act.id })
    })
  },

  onShareAppMessage: function () {
    return { title: i18n.t('nav_online'), path: '/pages/online/index' }
  }
}))
