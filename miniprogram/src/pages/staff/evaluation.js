// 考核待办 (staff, docs/evaluation.md): the unit's state in the open evaluation round — the
// round's deadlines (its own steps marked), the step its entry is at, the indicators still
// without a value or evidence, and open spot-check rectifications. Filling in happens in the
// console (考核填报与评分); this page tells a point coordinator what is due.
const api = require('../../api/index')
const format = require('../../utils/format')
const display = require('../../utils/display')

const STEPS = [
  { key: 'point_self_due', label: '服务点自评', level: 'point' },
  { key: 'point_score_due', label: '分馆评分服务点', level: '' },
  { key: 'branch_self_due', label: '分馆自评', level: 'branch' },
  { key: 'branch_score_due', label: '总馆评分分馆', level: '' },
  { key: 'main_self_due', label: '总馆自评', level: 'main' },
  { key: 'district_due', label: '区级评分验收', level: '' }
]

const STATUS = { self: '自评中', submitted: '已提交，待上级评分', scored: '已评分' }

// The page's view of GET /evaluation/units/{id}/status; `now` in ms.
function view(s, now) {
  const r = s.round
  const e = s.entry
  const out = {
    hasRound: !!r,
    title: r ? r.title : '',
    steps: [],
    status: e ? STATUS[e.status] || e.status : '',
    returned: e && e.status === 'self' && e.return_comment ? e.return_comment : '',
    due: e ? format.formatDate(e.due) : '',
    overdue: !!(e && e.status === 'self' && Date.parse(e.due) < now),
    result: e && e.status === 'scored' && e.total != null ? e.total + ' / ' + e.full_marks + (e.grade_label ? ' · ' + e.grade_label : '') : '',
    missing: (s.missing || []).map(function (m) {
      return { key: m.position + m.what, title: m.title, what: m.what === 'value' ? '未填写' : '缺佐证材料' }
    }),
    rectifications: (s.rectifications || []).map(function (c) {
      return { id: c.id, findings: c.findings, by: c.rectify_by || '', overdue: !!(c.rectify_by && c.rectify_by < format.chinaDate(now)) }
    }),
    facilities: s.facilities_total ? s.facilities_met + ' / ' + s.facilities_total : ''
  }
  if (r) {
    out.steps = STEPS.map(function (st) {
      return { key: st.key, label: st.label, when: format.formatDateTime(r[st.key]), mine: !!(e && st.level === e.level), past: Date.parse(r[st.key]) < now }
    })
  }
  return out
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    status: 'loading',
    message: '',
    unitName: '',
    v: null
  },

  onLoad: function (q) {
    this.unitId = Number((q || {}).unit_id)
    this.setData({ unitName: decodeURIComponent((q || {}).unit_name || '') })
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
    return api.evalUnitStatus(this.unitId, { showError: false }).then(function (s) {
      const v = view(s, Date.now())
      self.setData({ v: v, status: v.hasRound ? 'ok' : 'empty', message: v.hasRound ? '' : '目前没有进行中的考核' })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onStateAction: function () {
    this.load()
  }
}))
