// 举报: report a public comment (kind=rating) or a demand (kind=demand) — a reason and, if
// wanted, a few words. The server checks everything again (one report per person and item, at
// most 10 an hour); the outcome arrives later in 我的消息.
const api = require('../../api/index')
const display = require('../../utils/display')

// As the server lists them (GET /api/v1/reports/reasons); kept here so the page works offline
// of that call and in the order reviewers expect.
const REASONS = [
  { code: 'abuse', label: '辱骂攻击' },
  { code: 'porn', label: '色情低俗' },
  { code: 'politics', label: '政治敏感' },
  { code: 'ads', label: '广告营销' },
  { code: 'fraud', label: '诈骗或虚假信息' },
  { code: 'privacy', label: '泄露他人隐私' },
  { code: 'other', label: '其他' }
]
const MAX_DETAIL = 200

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    kind: 'rating',
    id: 0,
    excerpt: '',
    reasons: REASONS.map(function (r) {
      return { code: r.code, label: r.label, on: false }
    }),
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
    this.setData({ kind: kind, id: Number(q.id) || 0, excerpt: excerpt.slice(0, 60) })
  },

  onReason: function (e) {
    const code = e.currentTarget.dataset.code
    this.setData({
      reason: code,
      error: '',
      reasons: this.data.reasons.map(function (r) {
        return Object.assign({}, r, { on: r.code === code })
      })
    })
  },

  onDetail: function (e) {
    this.setData({ detail: e.detail.value })
  },

  onSubmit: async function () {
    if (this.saving) return
    if (!this.data.reason) {
      this.setData({ error: '请选择举报原因' })
      return
    }
    const detail = (this.data.detail || '').trim()
    if (this.data.reason === 'other' && !detail) {
      this.setData({ error: '选择“其他”时请写明原因' })
      return
    }
    if (detail.length > MAX_DETAIL) {
      this.setData({ error: '补充说明不能超过 ' + MAX_DETAIL + ' 个字' })
      return
    }
    const body = { target_kind: this.data.kind, target_id: this.data.id, reason: this.data.reason }
    if (detail) body.detail = detail
    this.saving = true
    try {
      await api.reportCreate(body, { loading: '正在提交…', showError: false })
      this.setData({ state: 'done', error: '' })
    } catch (err) {
      // Already reported counts as done for the person: the report is there.
      if (err.code === 'already_reported') this.setData({ state: 'done', error: '' })
      else this.setData({ error: err.message || '提交失败，请稍后再试' })
    } finally {
      this.saving = false
    }
  },

  onBack: function () {
    wx.navigateBack()
  }
}))
