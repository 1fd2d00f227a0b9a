// 我的订单 (供给方): orders branches and points placed for my offerings — never another
// provider's (the service answers only mine). A requested order can be accepted for its date or
// answered with another date (the unit then confirms it); later steps (purchase, delivery) are
// shown as they happen (docs/procurement.md).
const api = require('../../api/index')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')
const money = require('../../utils/money')

Page(display.page({
  navTitleKey: 'nav_provider_orders',
  data: {
    status: 'loading', // loading | ok | error
    message: '',
    orders: [],
    proposing: 0, // the order whose other date is being picked
    proposeDate: '',
    proposeNote: '',
    error: '',
    busy: 0
  },

  onLoad: function () {
    this.load()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () { wx.stopPullDownRefresh() })
  },

  load: function () {
    const self = this
    return api.providerOrders({ showError: false }).then(function (res) {
      const orders = (res.items || []).map(function (o) {
        return Object.assign({}, o, {
          statusLabel: i18n.t('po_status_' + o.status),
          amountText: o.amount_fen == null ? money.yuan(o.price_fen) : money.yuan(o.amount_fen),
          canAnswer: o.status === 'requested'
        })
      })
      self.setData({ status: orders.length ? 'ok' : 'empty', message: orders.length ? '' : i18n.t('po_empty'), orders: orders })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  },

  onAccept: function (e) {
    const id = Number(e.currentTarget.dataset.id)
    if (this.data.busy) return Promise.resolve()
    const self = this
    this.setData({ busy: id, error: '' })
    return api.providerOrderAccept(id, { showError: false }).then(function () {
      self.setData({ busy: 0 })
      wx.showToast({ title: i18n.t('po_accepted'), icon: 'success' })
      return self.load()
    }, function (err) {
      self.setData({ busy: 0, error: err.message })
    })
  },

  onPropose: function (e) {
    const id = Number(e.currentTarget.dataset.id)
    const o = this.data.orders.find(function (x) { return x.id === id })
    this.setData({ proposing: id, proposeDate: o ? o.requested_date : '', proposeNote: '', error: '' })
  },
  onProposeDate: function (e) { this.setData({ proposeDate: e.detail.value, error: '' }) },
  onProposeNote: function (e) { this.setData({ proposeNote: e.detail.value }) },
  onCancelPropose: function () { this.setData({ proposing: 0, error: '' }) },

  onSendPropose: function () {
    if (this.data.busy) return Promise.resolve()
    const self = this
    const id = this.data.proposing
    const o = this.data.orders.find(function (x) { return x.id === id })
    if (!this.data.proposeDate || (o && this.data.proposeDate === o.requested_date)) {
      this.setData({ error: i18n.t('po_need_date') })
      return Promise.resolve()
    }
    this.setData({ busy: id, error: '' })
    return api.providerOrderPropose(id, { date: this.data.proposeDate, note: (this.data.proposeNote || '').trim() }, { showError: false }).then(function () {
      self.setData({ busy: 0, proposing: 0 })
      wx.showToast({ title: i18n.t('po_proposed'), icon: 'success' })
      return self.load()
    }, function (err) {
      self.setData({ busy: 0, error: err.message })
    })
  }
}))
