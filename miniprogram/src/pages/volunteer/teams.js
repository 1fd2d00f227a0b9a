// 志愿服务队: the district's culture volunteers' federation and its teams; recruiting teams take
// applications here (their recruiting page lists the team's open shifts: pages/volunteer/shifts
// ?team_id=). My applications show their state.
const api = require('../../api/index')
const session = require('../../utils/session')
const display = require('../../utils/display')

const STATUS = { pending: '申请审核中', approved: '已加入', declined: '未通过', left: '已退出' }

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    status: 'loading',
    message: '',
    teams: []
  },

  onLoad: function () {
    this.load()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  load: function () {
    const self = this
    const mine = session.isSignedIn() ? api.myVolunteerTeams({ showError: false }).catch(function () { return { items: [] } }) : Promise.resolve({ items: [] })
    return Promise.all([api.volunteerTeams({ showError: false }), mine]).then(function (r) {
      const state = {}
      ;(r[1].items || []).forEach(function (a) {
        if (!state[a.team_id] || a.status === 'pending' || a.status === 'approved') state[a.team_id] = a.status
      })
      const all = r[0].items || []
      const names = {}
      all.forEach(function (t) { names[t.id] = t.name })
      const teams = all.map(function (t) {
        const mineState = state[t.id] || ''
        return {
          id: t.id,
          name: t.name,
          parent: t.parent_id ? names[t.parent_id] || '' : '',
          unit: t.unit_name,
          intro: t.intro || '',
          members: t.members + ' 名队员',
          recruiting: t.recruiting,
          mineText: STATUS[mineState] || '',
          canApply: t.recruiting && mineState !== 'pending' && mineState !== 'approved'
        }
      })
      self.setData({ teams: teams, status: teams.length ? 'ok' : 'empty', message: teams.length ? '' : '还没有志愿服务队' })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  },

  onApply: function (e) {
    const self = this
    const id = Number(e.currentTarget.dataset.id)
    return api.volunteerTeamApply(id, '', { loading: '正在提交…', showError: false }).then(function () {
      wx.showToast({ title: '已提交申请', icon: 'success' })
      return self.load()
    }, function (err) {
      wx.showModal({ title: '未能申请', content: err.message, showCancel: false, confirmText: '知道了' })
    })
  },

  onShifts: function (e) {
    const d = e.currentTarget.dataset
    wx.navigateTo({ url: '/pages/volunteer/shifts?team_id=' + d.id + '&team=' + encodeURIComponent(d.name) })
  },

  onShareAppMessage: function () {
    return { title: '文化志愿服务队招募', path: '/pages/volunteer/teams' }
  }
}))
