// 工作人员: the staff member's units (one chosen at a time) and the tools their role allows
// there — 反馈 (with unread / flagged / held counts), 需求, 今日场次, 发布活动, 点单, 联办确认, 活动照片, 数据, 考核待办.
const api = require('../../api/index')
const request = require('../../utils/request')
const session = require('../../utils/session')
const storage = require('../../utils/storage')
const roles = require('../../utils/roles')
const display = require('../../utils/display')

const TOOLS = [
  { key: 'feedback', page: 'feedback', label: '居民反馈', hint: '评价、回复、审核' },
  { key: 'demands', page: 'demands', label: '群众需求', hint: '采纳、列入计划、答复' },
  { key: 'today', page: 'today', label: '今日场次', hint: '签到人数、名单' },
  { key: 'publish', page: 'publish', label: '发布活动', hint: '简单活动，一次发布' },
  { key: 'menu', page: 'menu', label: '文化点单', hint: '向总馆点单' },
  { key: 'partners', page: 'partners', label: '联办确认', hint: '确认联合开展的活动' },
  { key: 'photos', page: 'photos', label: '活动照片', hint: '场次结束后上传照片' },
  { key: 'stats', page: 'stats', label: '数据', hint: '满意度、需求、目标' },
  { key: 'evaluation', page: 'evaluation', label: '考核待办', hint: '截止时间、缺项、整改' }
]

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    signedIn: false,
    status: 'loading', // loading | ok | empty | error
    message: '',
    units: [],
    unitIndex: 0,
    unit: null,
    tools: [],
    counts: null,
    roleTexts: []
  },

  onLoad: function () {
    this.refresh()
  },

  onShow: function () {
    if (this.shownOnce && this.data.unit) this.loadCounts()
    this.shownOnce = true
  },

  onPullDownRefresh: function () {
    return this.refresh().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  refresh: function () {
    const self = this
    const signedIn = session.isSignedIn()
    this.setData({ signedIn: signedIn })
    if (!signedIn) {
      this.setData({ status: 'empty', message: '请先登录。工作人员身份由上级单位通过邀请码发放。' })
      return Promise.resolve()
    }
    if (!this.data.units.length) this.setData({ status: 'loading' })
    return api.me({ showError: false }).then(function (me) {
      session.setUser(me)
      const units = roles.staffUnits(me.roles)
      const saved = storage.get(storage.KEYS.staffUnit, null)
      const idx = Math.max(0, units.findIndex(function (u) {
        return u.unitId === saved
      }))
      self.setData({
        units: units,
        roleTexts: (me.roles || []).map(function (r) {
          return { id: r.grant_id, text: r.role_label + ' · ' + r.unit_name }
        }),
        status: 'ok'
      })
      if (units.length) return self.choose(idx)
    }, function (err) {
      self.setData({ status: 'error', message: err.message, signedIn: session.isSignedIn() })
    })
  },

  choose: function (index) {
    const unit = this.data.units[index]
    const mine = (session.user() || {}).roles || []
    this.setData({
      unitIndex: index,
      unit: unit,
      counts: null,
      tools: TOOLS.filter(function (t) {
        return roles.can(mine, t.key, unit.unitId)
      })
    })
    storage.set(storage.KEYS.staffUnit, unit.unitId)
    return this.loadCounts()
  },

  loadCounts: function () {
    const self = this
    const unit = this.data.unit
    if (!unit || !roles.can((session.user() || {}).roles, 'feedback', unit.unitId)) return Promise.resolve()
    return api.feedbackCounts(unit.unitId, { showError: false }).then(function (c) {
      self.setData({ counts: c })
    }, function () {
      self.setData({ counts: null })
    })
  },

  onUnit: function (e) {
    this.choose(Number(e.currentTarget.dataset.index))
  },

  onTool: function (e) {
    const unit = this.data.unit
    wx.navigateTo({
      url: '/pages/staff/' + e.currentTarget.dataset.page + '?unit_id=' + unit.unitId + '&unit_name=' + encodeURIComponent(unit.unitName)
    })
  },

  onSignIn: function () {
    const self = this
    api.signIn().then(function () {
      self.refresh()
    }, function (err) {
      request.showError(err)
    })
  },

  onStateAction: function () {
    if (!session.isSignedIn()) this.onSignIn()
    else this.refresh()
  }
}))
