// 群众需求 (staff): residents' requests in my scope, held ones included. Accept, put into the
// plan, or decline with a reason residents will read (POST /demands/{id}/triage).
const api = require('../../api/index')
const format = require('../../utils/format')
const ui = require('../../utils/ui')
const staff = require('../../utils/staff')
const display = require('../../utils/display')

const STATUS = {
  open: '待处理',
  accepted: '已采纳',
  planned: '已列入计划',
  declined: '暂不安排',
  fulfilled: '已举办',
  merged: '已合并'
}
const TABS = [
  { value: 'open', label: '待处理' },
  { value: 'accepted', label: '已采纳' },
  { value: 'planned', label: '已列入计划' },
  { value: 'all', label: '全部' }
]

function view(d) {
  return {
    id: d.id,
    kind: d.kind_label,
    unit: d.unit_name,
    poster: d.poster,
    description: d.description,
    time: d.preferred_time || '',
    age: d.age_group || '',
    status: d.status,
    statusText: STATUS[d.status] || d.status,
    reason: d.status_reason || '',
    held: d.visibility === 'held',
    supporters: d.supporters,
    open: d.status === 'open' || d.status === 'accepted' || d.status === 'planned',
    when: format.formatDate(d.created_at)
  }
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    unit: null,
    tabs: TABS,
    tab: 'open',
    status: 'loading',
    message: '',
    items: []
  },

  onLoad: function (query) {
    const unit = staff.unitFrom(query)
    if (!unit) {
      this.setData({ status: 'error', message: '没有可处理的单位，请从“工作人员”进入' })
      return
    }
    this.setData({ unit: unit })
    this.load()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  load: function () {
    const self = this
    if (!this.data.unit) return Promise.resolve()
    this.setData({ status: 'loading' })
    const q = { unit_id: this.data.unit.unitId }
    if (this.data.tab !== 'all') q.status = this.data.tab
    return api.manageDemands(q, { showError: false }).then(function (res) {
      const items = (res.items || []).map(view)
      self.setData({
        items: items,
        status: items.length ? 'ok' : 'empty',
        message: items.length ? '' : self.data.tab === 'open' ? '没有待处理的需求' : '没有记录'
      })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onTab: function (e) {
    this.setData({ tab: e.currentTarget.dataset.tab })
    this.load()
  },

  // accept / plan: a confirmation; decline: the reason, which residents see.
  onTriage: async function (e) {
    const id = Number(e.currentTarget.dataset.id)
    const to = e.currentTarget.dataset.to
    let reason = ''
    if (to === 'declined') {
      const res = await new Promise(function (resolve) {
        wx.showModal({
          title: '暂不安排',
          editable: true,
          placeholderText: '请写明原因，居民可以看到',
          confirmText: '提交',
          success: resolve,
          fail: function () {
            resolve({ confirm: false })
          }
        })
      })
      if (!res.confirm) return
      reason = (res.content || '').trim()
      if (!reason) {
        wx.showToast({ title: '请写明不采纳的原因', icon: 'none' })
        return
      }
    } else {
      const ok = await ui.confirm(to === 'accepted'
        ? { title: '采纳这条需求', content: '支持这条需求的居民会收到通知。', confirmText: '采纳' }
        : { title: '列入活动计划', content: '支持这条需求的居民会收到通知。', confirmText: '列入计划' })
      if (!ok) return
    }
    return this.triage(id, to, reason)
  },

  triage: function (id, to, reason) {
    const self = this
    return api.triageDemand(id, to, reason, { loading: '正在提交…', showError: 'modal' }).then(function (d) {
      const i = self.data.items.findIndex(function (x) {
        return x.id === id
      })
      if (i >= 0) self.setData({ ['items[' + i + ']']: view(d) })
      wx.showToast({ title: STATUS[d.status] || '已更新', icon: 'none' })
    }, function () {})
  },

  onStateAction: function () {
    this.load()
  }
}))
