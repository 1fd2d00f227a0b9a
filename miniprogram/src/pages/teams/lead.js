// 团队管理: the leader's tools for one team (from 我的团队): the invitation code (show, copy,
// replace), recruiting on/off (verified teams), pending join requests (accept/decline), handing
// leadership to an adult member (names masked by the service), and 预约场地 — the home unit's
// rooms, where pages/roombook then has this team picked as the booker (docs/teams.md).
const api = require('../../api/index')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

Page(display.page({
  navTitleKey: 'nav_team_lead',
  data: {
    status: 'loading', // loading | ok | error
    message: '',
    team: null, // {id, name, unitId, unitName, statusText, verified, recruiting, code}
    requests: [], // {id, name, message, when}
    members: [], // {userId, name, leader}
    heirs: [], // adult members who may take over: {userId, name}
    heirLabels: [],
    heirIndex: 0,
    busy: false
  },

  onLoad: function (query) {
    this.teamId = Number(query && query.id)
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
    const id = this.teamId
    return api.myTeams({ showError: false }).then(function (res) {
      const m = (res.items || []).find(function (x) { return x.team.id === id && x.role === 'leader' })
      if (!m) {
        self.setData({ status: 'error', message: i18n.t('tl_not_leader') })
        return
      }
      const verified = m.status === 'verified'
      return Promise.all([
        api.teamJoinRequests(id, { showError: false }),
        api.teamMembers(id, { showError: false })
      ]).then(function (r) {
        const requests = (r[0].items || []).filter(function (q) { return q.status === 'pending' }).map(function (q) {
          return { id: q.id, name: q.name, message: q.message || '', when: (q.created_at || '').slice(0, 10) }
        })
        const members = (r[1].items || []).map(function (p) {
          return { userId: p.user_id, child: p.family_member_id != null, name: p.name, leader: p.role === 'leader' }
        })
        // Only account holders (adults) can lead; the service checks again (docs/teams.md).
        const heirs = members.filter(function (p) { return !p.child && !p.leader })
        self.setData({
          status: 'ok',
          message: '',
          team: {
            id: id,
            name: m.team.name,
            unitId: m.team.unit_id,
            unitName: m.team.unit_name,
            statusText: i18n.t('tm_status_' + m.status),
            verified: verified,
            recruiting: !!m.team.recruiting,
            code: m.invite_code || '',
            reason: m.decline_reason || ''
          },
          requests: requests,
          members: members,
          heirs: heirs,
          heirLabels: heirs.map(function (h) { return h.name }),
          heirIndex: 0
        })
      })
    }).catch(function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  },

  // The invitation as a link: a chat card that opens 我的团队 with the code filled in.
  onShareAppMessage: function () {
    const team = this.data.team || {}
    return {
      title: i18n.t('tl_invite_title', { name: team.name || '' }),
      path: '/pages/teams/mine?code=' + encodeURIComponent(team.code || '')
    }
  },

  onCopyCode: function () {
    wx.setClipboardData({ data: this.data.team.code })
  },

  // Replace the code after asking: the old one stops working at once.
  onResetCode: function () {
    const self = this
    return new Promise(function (resolve) {
      wx.showModal({
        title: i18n.t('tl_reset_title'),
        content: i18n.t('tl_reset_content'),
        confirmText: i18n.t('tl_reset_ok'),
        success: function (res) {
          if (!res.confirm) return resolve()
          resolve(api.resetTeamCode(self.teamId, { showError: 'modal' }).then(function (r) {
            self.setData({ 'team.code': r.invite_code })
            wx.showToast({ title: i18n.t('tl_reset_done'), icon: 'success' })
          }, function () {}))
        },
        fail: function () { resolve() }
      })
    })
  },

  onRecruiting: function (e) {
    const self = this
    const on = !!e.detail.value
    this.setData({ busy: true })
    return api.setTeamRecruiting(this.teamId, on, { showError: 'modal' }).then(function () {
      self.setData({ busy: false, 'team.recruiting': on })
      wx.showToast({ title: i18n.t(on ? 'tl_recruiting_on' : 'tl_recruiting_off'), icon: 'none' })
    }, function () {
      self.setData({ busy: false, 'team.recruiting': !on })
    })
  },

  decide: function (requestId, accept) {
    const self = this
    this.setData({ busy: true })
    return api.decideTeamJoinRequest(this.teamId, requestId, accept, { showError: 'modal' }).then(function () {
      self.setData({ busy: false })
      wx.showToast({ title: i18n.t(accept ? 'tl_accepted' : 'tl_declined'), icon: 'none' })
      return self.load()
    }, function () {
      self.setData({ busy: false })
    })
  },

  onAccept: function (e) {
    return this.decide(Number(e.currentTarget.dataset.id), true)
  },

  onDecline: function (e) {
    return this.decide(Number(e.currentTarget.dataset.id), false)
  },

  onHeir: function (e) {
    this.setData({ heirIndex: Number(e.detail.value) })
  },

  // Hand leadership over after asking; the page then no longer belongs to me: back to 我的团队.
  onHandOver: function () {
    const self = this
    const heir = this.data.heirs[this.data.heirIndex]
    if (!heir) return Promise.resolve()
    return new Promise(function (resolve) {
      wx.showModal({
        title: i18n.t('tl_handover_title'),
        content: i18n.t('tl_handover_content', { name: heir.name }),
        confirmText: i18n.t('tl_handover_ok'),
        confirmColor: '#B00020',
        success: function (res) {
          if (!res.confirm) return resolve()
          resolve(api.handOverTeam(self.teamId, heir.userId, { showError: 'modal' }).then(function () {
            wx.showToast({ title: i18n.t('tl_handover_done'), icon: 'success' })
            wx.redirectTo({ url: '/pages/teams/mine' })
          }, function () {}))
        },
        fail: function () { resolve() }
      })
    })
  },

  // 预约场地: the home unit's rooms, with this team handed on to the booking form.
  onBookRoom: function () {
    const t = this.data.team
    wx.navigateTo({ url: '/pages/rooms/index?unit_id=' + t.unitId + '&name=' + encodeURIComponent(t.unitName) + '&team_id=' + t.id })
  }
}))
