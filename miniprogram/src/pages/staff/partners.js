// 联办确认 (staff): joint activities my units are named in as a partner. A partner counts towards
// the yearly targets only once it confirms here (docs/plans.md); declining says it took no part.
const api = require('../../api/index')
const format = require('../../utils/format')
const display = require('../../utils/display')

function view(r) {
  return {
    key: r.activity_id + ':' + r.unit_id,
    activityId: r.activity_id,
    unitId: r.unit_id,
    title: r.title,
    organizer: r.organizer_name,
    unit: r.unit_name,
    when: r.first_start ? format.formatDate(r.first_start) : ''
  }
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    status: 'loading',
    message: '',
    items: []
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
    this.setData({ status: 'loading' })
    return api.partnerRequests('pending', { showError: false }).then(function (r) {
      const items = (r.items || []).map(view)
      self.setData({ items: items, status: items.length ? 'ok' : 'empty', message: items.length ? '' : '没有待确认的联办活动' })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  answer: function (e, confirm) {
    const self = this
    if (this.saving) return
    const ds = e.currentTarget.dataset
    this.saving = true
    return api.partnerAnswer(Number(ds.activity), Number(ds.unit), confirm, { loading: '正在提交…' }).then(function () {
      self.saving = false
      wx.showToast({ title: confirm ? '已确认参与' : '已拒绝', icon: 'none' })
      return self.load()
    }, function () {
      self.saving = false
    })
  },

  onConfirm: function (e) {
    return this.answer(e, true)
  },

  onDecline: function (e) {
    return this.answer(e, false)
  },

  onStateAction: function () {
    this.load()
  }
}))
