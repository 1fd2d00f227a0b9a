// 文化点单 (staff): the main center's cultural menu (what it can send: performances, lectures,
// trainings, with a quota and a period), an order for my unit on a date in that period, and my
// unit's orders with their state.
const api = require('../../api/index')
const format = require('../../utils/format')
const staff = require('../../utils/staff')
const display = require('../../utils/display')

const ORDER_STATUS = {
  requested: '待总馆审核',
  approved: '已同意，待配送',
  rejected: '未通过',
  delivered: '已配送'
}

function dateText(d) {
  return d ? format.formatDate(d + 'T04:00:00Z') : ''
}

function itemView(m, today) {
  const left = Math.max(0, m.quota - m.used)
  return {
    id: m.id,
    title: m.title,
    kind: m.kind_label,
    description: m.description || '',
    period: dateText(m.period_start) + ' 至 ' + dateText(m.period_end),
    quota: '已安排 ' + m.used + ' / ' + m.quota + ' 场',
    votes: m.votes,
    start: m.period_start > today ? m.period_start : today,
    end: m.period_end,
    canOrder: left > 0 && m.period_end >= today
  }
}

function orderView(o) {
  return {
    id: o.id,
    title: o.title,
    unit: o.unit_name,
    date: dateText(o.requested_date),
    note: o.note || '',
    status: o.status,
    statusText: ORDER_STATUS[o.status] || o.status,
    reason: o.reason || '',
    activityId: o.activity_id || null
  }
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    unit: null,
    tab: 'items', // items | orders
    status: 'loading',
    message: '',
    items: [],
    orders: [],
    orderFor: 0,
    orderDate: '',
    orderNote: '',
    orderError: ''
  },

  onLoad: function (query) {
    const unit = staff.unitFrom(query)
    if (!unit) {
      this.setData({ status: 'error', message: '没有可点单的单位，请从“工作人员”进入' })
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
    const id = this.data.unit.unitId
    const today = format.chinaDate()
    return Promise.all([api.menuItems(id, { showError: false }), api.menuOrders(id, { showError: false })]).then(function (r) {
      self.setData({
        items: (r[0].items || []).map(function (m) {
          return itemView(m, today)
        }),
        orders: (r[1].items || []).map(orderView)
      })
      self.showTab()
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  showTab: function () {
    const list = this.data.tab === 'items' ? this.data.items : this.data.orders
    this.setData({
      status: list.length ? 'ok' : 'empty',
      message: list.length ? '' : this.data.tab === 'items' ? '总馆暂时没有可点的项目' : '还没有点过单'
    })
  },

  onTab: function (e) {
    this.setData({ tab: e.currentTarget.dataset.tab, orderFor: 0 })
    this.showTab()
  },

  onOrder: function (e) {
    const id = Number(e.currentTarget.dataset.id)
    const item = this.data.items.filter(function (m) {
      return m.id === id
    })[0]
    this.setData({ orderFor: id, orderDate: item ? item.start : '', orderNote: '', orderError: '' })
  },

  onOrderDate: function (e) {
    this.setData({ orderDate: e.detail.value, orderError: '' })
  },

  onOrderNote: function (e) {
    this.setData({ orderNote: e.detail.value })
  },

  onOrderCancel: function () {
    this.setData({ orderFor: 0, orderError: '' })
  },

  onOrderSubmit: function () {
    const self = this
    if (this.saving) return
    if (!this.data.orderDate) {
      this.setData({ orderError: '请选择希望的日期' })
      return
    }
    const body = { menu_item_id: this.data.orderFor, unit_id: this.data.unit.unitId, requested_date: this.data.orderDate }
    const note = (this.data.orderNote || '').trim()
    if (note) body.note = note
    this.saving = true
    return api.menuOrder(body, { loading: '正在提交…', showError: false }).then(function () {
      self.saving = false
      self.setData({ orderFor: 0, tab: 'orders' })
      wx.showToast({ title: '已提交，等待总馆审核', icon: 'none' })
      return self.load()
    }, function (err) {
      self.saving = false
      self.setData({ orderError: err.message })
    })
  },

  onOpenActivity: function (e) {
    wx.navigateTo({ url: '/pages/activity/detail?id=' + e.currentTarget.dataset.id })
  },

  onStateAction: function () {
    this.load()
  }
}))
