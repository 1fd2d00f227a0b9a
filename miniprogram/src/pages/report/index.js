// 举报: report a public comment (kind=rating) or a demand (kind=demand) — a reason and, if
// wanted, a few words. The server checks everything again (one report per person and item, at
// most 10 an hour); the outcome arrives later in 我的消息.
const api = require('../../api/index')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

// As the server lists them (GET /api/v1/reports/reasons); kept here so the page works offline
// of that call and in the order reviewers expect. Labels come from the catalogue.
const REASONS = ['abuse', 'porn', 'politics', 'ads', 'fraud', 'privacy', 'other']
function reasons(on) {
  return REASONS.map(function (code) {
    return { code: code, label: i18n.t('rp_' + code), on: code === on }
  })
}
const MAX_DETAIL = 200

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_report',
  data: {
    kind: 'rating',
    id: 0,
    excerpt: '',
    reasons: [],
    reason: '',
    detail: '',
    error: '',
    state: 'form' // form | done
  },

  onLoad: function (q) {
    const kind = q.kind === 'demand' ? 'demand' : 'rating'
    let excerpt = ''
    try {
      excerpt = decodeURIComponent(q.text || '')
    } catch (e) {
      excerpt = q.text || ''
    }
    this.setData({ kind: kind, id: Number(q.id) || 0, excerpt: excerpt.slice(0, 60), reasons: reasons('') })
  },

  onLanguage: function () {
    this.setData({ reasons: reasons(this.data.reason) })
  },

  onReason: function (e) {
    const code = e.currentTarget.dataset.code
    this.setData({
      reason: code,
      error: '',
      reasons: reasons(code)
    })
  },

  onDetail: function (e) {
    this.setData({ detail: e.detail.value })
  },

  onSubmit: async function () {
    if (this.saving) return
    if (!this.data.reason) {
      this.setData({ error: i18n.t('rp_pick_reason') })
      return
    }
    const detail = (this.data.detail || '').trim()
    if (this.data.reason === 'other' && !detail) {
      this.setData({ error: i18n.t('rp_other_needs_detail') })
      return
    }
    if (detail.length > MAX_DETAIL) {
      this.setData({ error: i18n.t('rp_detail_long', { n: MAX_DETAIL }) })
      return
    }
    const body = { target_kind: this.data.kind, target_id: this.data.id, reason: this.data.reason }
    if (detail) body.detail = detail
    this.saving = true
    try {
      await api.reportCreate(body, { loading: i18n.t('rp_sending'), showError: false })
      this.setData({ state: 'done', error: '' })
    } catch (err) {
      // Already reported counts as done for the person: the report is there.
      if (err.code === 'already_reported') this.setData({ state: 'done', error: '' })
      else this.setData({ error: err.message || i18n.t('rp_failed') })
    } finally {
      this.saving = false
    }
  },

  onBack: function () {
    wx.navigateBack()
  }
}))
