// A team's page (社团风采): genre, home venue, photos, rehearsal time, coming performances and
// awards — never member names or phones. A recruiting team takes join requests (申请加入).
const api = require('../../api/index')
const format = require('../../utils/format')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_team',
  data: {
    status: 'loading',
    message: '',
    id: 0,
    team: null, // {name, genre, unitName, description, rehearsal, membersText, recruiting, photos}
    upcoming: [],
    awards: [],
    asked: false
  },

  onLoad: function (query) {
    this.setData({ id: Number(query && query.id) })
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
    return api.teamPage(this.data.id, { showError: false }).then(function (res) {
      const base = require('../../config').baseUrl
      const t = res.team
      self.teamName = t.name
      self.setData({
        status: 'ok',
        team: {
          name: t.name,
          genre: t.genre,
          unitName: t.unit_name,
          description: t.description,
          rehearsal: t.rehearsal_time,
          membersText: i18n.t('tm_members', { n: t.members }),
          recruiting: t.recruiting,
          photos: (t.photos || []).map(function (p) { return base + p.url })
        },
        upcoming: (res.upcoming || []).map(function (p) {
          return {
            id: p.activity_id,
            title: p.title,
            when: p.starts_at ? format.formatDate(p.starts_at) + ' ' + format.formatClock(p.starts_at) : '',
            unitName: p.unit_name,
            delivered: p.delivered
          }
        }),
        awards: (res.awards || []).map(function (a) {
          return { id: a.id, title: a.title, when: a.awarded_on, level: i18n.t('tm_level_' + a.level) }
        })
      })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  },

  onActivity: function (e) {
    wx.navigateTo({ url: '/pages/activity/detail?id=' + e.currentTarget.dataset.id })
  },

  // 申请加入: the leader answers on 我的团队.
  onAsk: function () {
    const self = this
    return api.askToJoinTeam(this.data.id, {}, { showError: false }).then(function () {
      self.setData({ asked: true })
      wx.showToast({ title: i18n.t('tm_asked'), icon: 'success' })
    }, function (err) {
      wx.showToast({ title: err.message, icon: 'none' })
    })
  },

  onShareAppMessage: function () {
    return { title: this.teamName || i18n.t('nav_team'), path: '/pages/teams/detail?id=' + this.data.id }
  },

  onShareTimeline: function () {
    return { title: this.teamName || i18n.t('nav_team'), query: 'id=' + this.data.id }
  }
}))
