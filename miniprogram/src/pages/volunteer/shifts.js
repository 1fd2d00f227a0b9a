// 志愿岗位: opportunities posted by the venues (or one team's, ?team_id=&team=) with their shifts
// and places left, sign-up; 我的班次 with my hours by role and milestone, withdrawing before the
// start; my skills profile. Reached from 我的志愿服务 and the teams' recruiting pages.
const api = require('../../api/index')
const request = require('../../utils/request')
const session = require('../../utils/session')
const display = require('../../utils/display')
const vol = require('../../utils/volunteering')

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    tab: 'open', // open | mine
    status: 'loading', // loading | ok | empty | error
    message: '',
    teamName: '',
    opportunities: [],
    mineStatus: 'loading',
    mineMessage: '',
    mine: [],
    hours: vol.hoursView(null),
    skills: '',
    intro: '',
    profileSaved: false,
    busy: false
  },

  onLoad: function (query) {
    this.teamId = query && query.team_id ? Number(query.team_id) : null
    this.setData({ teamName: query && query.team ? decodeURIComponent(query.team) : '', tab: query && query.tab === 'mine' ? 'mine' : 'open' })
    this.refresh()
  },

  onPullDownRefresh: function () {
    return this.refresh().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  refresh: function () {
    return Promise.all([this.loadOpen(), this.loadMine()])
  },

  loadOpen: function () {
    const self = this
    const query = this.teamId ? { team_id: this.teamId } : {}
    return api.volunteerOpportunities(query, { showError: false }).then(function (res) {
      const items = (res.items || []).map(vol.opportunityView)
      self.setData({ opportunities: items, status: items.length ? 'ok' : 'empty', message: items.length ? '' : '暂时没有招募中的志愿岗位' })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  loadMine: function () {
    const self = this
    if (!session.isSignedIn()) {
      this.setData({ mineStatus: 'empty', mineMessage: '登录后查看我报名的班次和服务时长' })
      return Promise.resolve()
    }
    return Promise.all([api.myShifts({ showError: false }), api.volunteerProfile({ showError: false })]).then(function (r) {
      const mine = vol.mineView(r[0].items)
      self.setData({
        mine: mine,
        hours: vol.hoursView(r[0].hours),
        mineStatus: 'ok',
        mineMessage: '',
        skills: r[1].skills || '',
        intro: r[1].intro || ''
      })
    }, function (err) {
      self.setData({ mineStatus: 'error', mineMessage: err.message })
    })
  },

  onTab: function (e) {
    this.setData({ tab: e.currentTarget.dataset.tab })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.loadOpen()
  },

  onMineAction: function () {
    const self = this
    if (session.isSignedIn()) return this.loadMine()
    return api.signIn().then(function () {
      return self.loadMine()
    }, function (err) {
      request.showError(err)
    })
  },

  onSignUp: function (e) {
    const self = this
    const id = Number(e.currentTarget.dataset.id)
    if (this.data.busy) return Promise.resolve()
    this.setData({ busy: true })
    return api.shiftSignup(id, '', { loading: '正在报名…', showError: false }).then(function () {
      wx.showToast({ title: '已报名', icon: 'success' })
      return self.refresh()
    }, function (err) {
      wx.showModal({ title: '未能报名', content: err.message, showCancel: false, confirmText: '知道了' })
      if (err.code === 'shift_full') return self.loadOpen()
    }).then(function () {
      self.setData({ busy: false })
    })
  },

  onWithdraw: function (e) {
    const self = this
    const id = Number(e.currentTarget.dataset.id)
    return new Promise(function (resolve) {
      wx.showModal({
        title: '取消报名',
        content: '取消后名额会让给其他志愿者。',
        confirmText: '取消报名',
        cancelText: '再想想',
        success: function (r) {
          if (!r.confirm) return resolve(false)
          api.shiftWithdraw(id, { loading: '正在取消…' }).then(function () {
            wx.showToast({ title: '已取消', icon: 'success' })
            return self.refresh()
          }, function () {}).then(function () {
            resolve(true)
          })
        },
        fail: function () {
          resolve(false)
        }
      })
    })
  },

  onSkills: function (e) {
    this.setData({ skills: e.detail.value, profileSaved: false })
  },

  onIntro: function (e) {
    this.setData({ intro: e.detail.value, profileSaved: false })
  },

  onSaveProfile: function () {
    const self = this
    return api.volunteerProfileSave({ skills: (this.data.skills || '').trim(), intro: (this.data.intro || '').trim() }, { loading: '正在保存…' }).then(function () {
      self.setData({ profileSaved: true })
    }, function () {})
  },

  onCertificate: function () {
    wx.navigateTo({ url: '/pages/volunteer/certificate' })
  },

  onTeams: function () {
    wx.navigateTo({ url: '/pages/volunteer/teams' })
  },

  onShareAppMessage: function () {
    return {
      title: this.data.teamName ? this.data.teamName + ' · 志愿岗位招募' : '志愿岗位招募',
      path: '/pages/volunteer/shifts' + (this.teamId ? '?team_id=' + this.teamId + '&team=' + encodeURIComponent(this.data.teamName) : '')
    }
  }
}))
