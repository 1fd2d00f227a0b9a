// 确认登录管理后台: opened by the mini-program code the staff console shows (扫码登录), with the
// login code's nonce as the code's scene. Tells the person what is asking to sign in (browser,
// time, approximate place) and asks 确认登录 / 取消. The server binds the code to the first
// staff member who scans it, and only that person's answer counts.
const api = require('../../api/index')
const format = require('../../utils/format')
const display = require('../../utils/display')

const NONCE = /^[A-Za-z0-9_-]{22}$/

// The scene arrives URL-encoded in `query.scene` when WeChat opens the page from the code.
function nonceFrom(query) {
  const raw = (query && (query.scene || query.nonce)) || ''
  let value = raw
  try {
    value = decodeURIComponent(raw)
  } catch (e) {
    value = raw
  }
  return NONCE.test(value) ? value : ''
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    status: 'loading', // loading | ok | error
    message: '',
    phase: 'ask', // ask | busy | confirmed | cancelled
    nonce: '',
    browser: '',
    place: '',
    ip: '',
    time: ''
  },

  onLoad: function (query) {
    const nonce = nonceFrom(query)
    if (!nonce) {
      this.setData({ status: 'error', message: '二维码无效，请在电脑上刷新二维码后重新扫码' })
      return
    }
    this.setData({ nonce: nonce })
    this.scan()
  },

  // Signs in if needed (privacy agreement first), then binds the code to this person.
  scan: function () {
    const self = this
    this.setData({ status: 'loading', message: '' })
    return api.consoleScan(this.data.nonce, { showError: false }).then(function (v) {
      self.setData({
        status: 'ok',
        phase: 'ask',
        browser: v.browser || '未知浏览器',
        place: v.place || '未知',
        ip: v.ip || '',
        time: format.formatDateTime(v.created_at)
      })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  decide: function (approve) {
    const self = this
    if (this.data.phase !== 'ask') return Promise.resolve()
    this.setData({ phase: 'busy' })
    return api.consoleConfirm(this.data.nonce, approve, {
      showError: false,
      loading: approve ? '正在确认…' : '正在取消…'
    }).then(function () {
      self.setData({ phase: approve ? 'confirmed' : 'cancelled' })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onConfirm: function () {
    return this.decide(true)
  },

  onCancel: function () {
    return this.decide(false)
  },

  onDone: function () {
    const pages = typeof getCurrentPages === 'function' ? getCurrentPages() : []
    if (pages.length > 1) wx.navigateBack({ delta: 1 })
    else wx.reLaunch({ url: '/pages/home/index' })
  }
}))
