// 场馆签到: opened by WeChat from the venue's mini-program code that staff print for a session
// (GET /sessions/{id}/venue-code: scene `s=<session id>`, page pages/checkin/self). Signs in if
// needed (our privacy dialog first) and checks the resident in: POST /checkin/self {session_id}.
// The answer is the server's (签到成功 / 您已经签到过了 / 需要预约 / 不在签到时间), shown with its
// colour and a large ✓ / ! / ✗ (utils/outcome.js).
const api = require('../../api/index')
const outcome = require('../../utils/outcome')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

// The outcome's headline in the UI's language (the server's detail line follows its own).
const TITLES = { green: 'ci_green', amber: 'ci_amber', red: 'ci_red' }

// The scene arrives URL-encoded in `query.scene` (`s%3D12`); a link may pass session_id.
function sessionFrom(query) {
  query = query || {}
  if (query.session_id && /^\d+$/.test(String(query.session_id))) return Number(query.session_id)
  let scene = query.scene || ''
  try {
    scene = decodeURIComponent(scene)
  } catch (e) {
    // keep it as it came
  }
  const m = /(?:^|&)s=(\d+)(?:&|$)/.exec(scene)
  return m ? Number(m[1]) : null
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_checkin',
  data: {
    status: 'loading', // loading | ok | error
    message: '',
    sessionId: null,
    answer: null // {tone, symbol, title, detail}
  },

  onLoad: function (query) {
    const id = sessionFrom(query)
    if (!id) {
      this.setData({ status: 'error', message: i18n.t('ci_bad_code') })
      return
    }
    this.setData({ sessionId: id })
    this.checkIn()
  },

  checkIn: function () {
    const self = this
    this.setData({ status: 'loading', message: '' })
    return api.checkinSelf(this.data.sessionId, { showError: false }).then(function (a) {
      const t = outcome.tone(a.colour)
      self.setData({
        status: 'ok',
        answer: { tone: t, symbol: outcome.symbol(t), title: i18n.t(TITLES[t]), detail: a.message || '' }
      })
      outcome.vibrate(t)
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onStateAction: function () {
    if (this.data.sessionId) this.checkIn()
    else this.onDone()
  },

  onBookings: function () {
    wx.switchTab({ url: '/pages/bookings/index' })
  },

  onDone: function () {
    wx.switchTab({ url: '/pages/home/index' })
  }
}))
