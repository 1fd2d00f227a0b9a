// 接收转让: opened from the share card a booking holder sent (path ?code=…), or by typing the
// code they read out. Shows what the seat is, then accepts it: the seat, and a new ticket, are
// mine; the holder's ticket stops working (POST /transfers/{code}/accept, one transaction).
const api = require('../../api/index')
const format = require('../../utils/format')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

const STATUS_TEXT = { accepted: 'tr_accepted', revoked: 'tr_revoked', expired: 'tr_expired' }

function clean(code) {
  let c = code || ''
  try {
    c = decodeURIComponent(c)
  } catch (e) {
    // keep it as it came
  }
  return c.replace(/[\s-]/g, '').toUpperCase()
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_transfer',
  data: {
    status: 'ok', // loading | ok | error
    message: '',
    code: '',
    typed: '',
    offer: null, // {title, time, place, from, expires, open, statusText}
    busy: false
  },

  onLoad: function (query) {
    const code = clean(query && query.code)
    if (code) {
      this.setData({ code: code })
      this.load()
    }
  },

  load: function () {
    const self = this
    this.setData({ status: 'loading', message: '' })
    return api.transferGet(this.data.code, { showError: false }).then(function (p) {
      self.setData({
        status: 'ok',
        offer: {
          title: p.activity_title,
          time: format.formatRange(p.starts_at, p.ends_at),
          place: p.unit_name + (p.room ? ' · ' + p.room : ''),
          from: p.from_name,
          expires: format.formatDateTime(p.expires_at),
          open: p.status === 'open',
          statusText: STATUS_TEXT[p.status] ? i18n.t(STATUS_TEXT[p.status]) : ''
        }
      })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onInput: function (e) {
    this.setData({ typed: e.detail.value })
  },

  onLookUp: function () {
    const code = clean(this.data.typed)
    if (code.length < 6) {
      wx.showToast({ title: i18n.t('tr_incomplete'), icon: 'none' })
      return
    }
    this.setData({ code: code })
    return this.load()
  },

  onAccept: function () {
    if (this.data.busy) return
    const self = this
    this.setData({ busy: true })
    return api.transferAccept(this.data.code, {}, { loading: i18n.t('tr_accepting'), showError: 'modal' }).then(function (b) {
      self.setData({ busy: false })
      wx.redirectTo({ url: '/pages/booking/detail?id=' + b.id })
    }, function () {
      self.setData({ busy: false })
      self.load()
    })
  },

  onStateAction: function () {
    if (this.data.code) this.load()
  }
}))
