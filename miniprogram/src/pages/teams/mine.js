// 我的团队: my art teams (and my children's) with the member count, the invitation code where I
// lead, and joining a team with a code from its leader (docs/teams.md).
const api = require('../../api/index')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

function statusText(s) {
  return i18n.t('tm_status_' + s)
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_my_teams',
  data: {
    status: 'loading', // loading | ok | empty | error
    message: '',
    teams: [], // {id, name, genre, unitName, members, statusText, verified, leader, code, requests, reason}
    code: '',
    joining: false,
    error: ''
  },

  // Opened from a leader's invitation card (?code=): the code is filled in, ready to join.
  onLoad: function (query) {
    const code = query && query.code ? decodeURIComponent(query.code) : ''
    if (code) this.setData({ code: code })
    this.load()
  },

  // Back from 登记团队 or 团队管理: the status, code or leadership may have changed.
  onShow: function () {
    if (this.loaded) this.load()
    this.loaded = true
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
    return api.myTeams({ showError: false }).then(function (res) {
      const teams = (res.items || []).map(function (m) {
        return {
          id: m.team.id,
          name: m.team.name,
          genre: m.team.genre,
          unitName: m.team.unit_name,
          membersText: i18n.t('tm_members', { n: m.team.members }),
          statusText: statusText(m.status),
          verified: m.status === 'verified',
          leader: m.role === 'leader',
          child: m.family_member_id != null,
          code: m.invite_code || '',
          requests: m.pending_requests || 0,
          reason: m.decline_reason || ''
        }
      })
      self.setData({ status: teams.length ? 'ok' : 'empty', message: teams.length ? '' : i18n.t('tm_none'), teams: teams })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  },

  onCodeInput: function (e) {
    this.setData({ code: e.detail.value, error: '' })
  },

  onJoin: function () {
    const self = this
    const code = (this.data.code || '').trim()
    if (!code) {
      this.setData({ error: i18n.t('tm_code_empty') })
      return Promise.resolve()
    }
    this.setData({ joining: true, error: '' })
    return api.joinTeam({ code: code }, { showError: false }).then(function (res) {
      self.setData({ joining: false, code: '' })
      wx.showToast({ title: i18n.t('tm_joined'), icon: 'success' })
      return self.load().then(function () { return res })
    }, function (err) {
      self.setData({ joining: false, error: err.message })
    })
  },

  onCopyCode: function (e) {
    wx.setClipboardData({ data: e.currentTarget.dataset.code })
  },

  // 登记团队: register a team I will lead (pages/teams/register).
  onRegister: function () {
    wx.navigateTo({ url: '/pages/teams/register' })
  },

  // 团队管理: the leader's tools for one team (pages/teams/lead).
  onLead: function (e) {
    wx.navigateTo({ url: '/pages/teams/lead?id=' + e.currentTarget.dataset.id })
  },

  onOpen: function (e) {
    const id = e.currentTarget.dataset.id
    const verified = e.currentTarget.dataset.verified
    if (verified) wx.navigateTo({ url: '/pages/teams/detail?id=' + id })
  }
}))
