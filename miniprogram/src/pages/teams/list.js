// 社团风采: the verified art teams of a venue and the venues below it, by genre. Reached from the
// venue card with ?unit_id=&name=.
const api = require('../../api/index')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

const GENRES = ['合唱', '舞蹈', '戏曲', '器乐', '书画', '摄影', '朗诵', '其他']

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_teams',
  data: {
    status: 'loading',
    message: '',
    unitName: '',
    genres: GENRES,
    genre: '',
    teams: []
  },

  onLoad: function (query) {
    this.unitId = Number(query && query.unit_id)
    this.setData({ unitName: query && query.name ? decodeURIComponent(query.name) : '' })
    this.load()
  },

  onLanguage: function () {
    if (this.data.status === 'ok') this.load()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  load: function () {
    const self = this
    if (!this.unitId) {
      this.setData({ status: 'error', message: i18n.t('rm_no_unit') })
      return Promise.resolve()
    }
    const query = this.data.genre ? { genre: this.data.genre } : {}
    return api.unitTeams(this.unitId, query, { showError: false }).then(function (res) {
      const base = require('../../config').baseUrl
      const teams = (res.items || []).map(function (t) {
        return {
          id: t.id,
          name: t.name,
          genre: t.genre,
          unitName: t.unit_name,
          membersText: i18n.t('tm_members', { n: t.members }),
          recruiting: t.recruiting,
          photo: t.photos && t.photos.length ? base + t.photos[0].url : ''
        }
      })
      self.setData({ status: teams.length ? 'ok' : 'empty', message: teams.length ? '' : i18n.t('tm_none_here'), teams: teams })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onGenre: function (e) {
    const g = e.currentTarget.dataset.genre
    this.setData({ genre: this.data.genre === g ? '' : g, status: 'loading' })
    return this.load()
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  },

  onOpen: function (e) {
    wx.navigateTo({ url: '/pages/teams/detail?id=' + e.currentTarget.dataset.id })
  },

  onShareAppMessage: function () {
    return {
      title: (this.data.unitName ? this.data.unitName + ' · ' : '') + i18n.t('nav_teams'),
      path: '/pages/teams/list?unit_id=' + this.unitId + '&name=' + encodeURIComponent(this.data.unitName)
    }
  },

  onShareTimeline: function () {
    return {
      title: (this.data.unitName ? this.data.unitName + ' · ' : '') + i18n.t('nav_teams'),
      query: 'unit_id=' + this.unitId + '&name=' + encodeURIComponent(this.data.unitName)
    }
  }
}))
