// 数据 (staff): satisfaction, residents' demand, the reply rate and the policy's annual
// targets for my unit and the units below it, as simple bar charts (components/bar-chart).
const api = require('../../api/index')
const staff = require('../../utils/staff')
const display = require('../../utils/display')

function round1(x) {
  return Math.round(x * 10) / 10
}

// Satisfaction rows are per unit, kind and month: one bar per unit, weighted by ratings.
function satisfaction(rows) {
  const byUnit = {}
  const order = []
  let ratings = 0
  let sum = 0
  ;(rows || []).forEach(function (r) {
    if (!byUnit[r.unit_id]) {
      byUnit[r.unit_id] = { name: r.unit_name, ratings: 0, sum: 0, low: 0 }
      order.push(r.unit_id)
    }
    const u = byUnit[r.unit_id]
    u.ratings += r.ratings
    u.sum += r.average * r.ratings
    u.low += r.low_scores
    ratings += r.ratings
    sum += r.average * r.ratings
  })
  return {
    overall: ratings ? round1(sum / ratings).toFixed(1) : '',
    count: ratings,
    bars: order.map(function (id) {
      const u = byUnit[id]
      const avg = u.ratings ? u.sum / u.ratings : 0
      return {
        key: 'u' + id,
        label: u.name,
        value: round1(avg),
        max: 5,
        text: avg.toFixed(1) + ' 分 · ' + u.ratings + ' 条' + (u.low ? '（差评 ' + u.low + '）' : ''),
        tone: avg >= 4 ? 'good' : avg < 3 ? 'warn' : 'main'
      }
    })
  }
}

// Demand rows are per unit and kind: one bar per unit, fulfilled out of all requests.
function demand(rows) {
  const byUnit = {}
  const order = []
  ;(rows || []).forEach(function (r) {
    if (!byUnit[r.unit_id]) {
      byUnit[r.unit_id] = { name: r.unit_name, total: 0, fulfilled: 0, supporters: 0 }
      order.push(r.unit_id)
    }
    const u = byUnit[r.unit_id]
    u.total += r.total
    u.fulfilled += r.fulfilled
    u.supporters += r.supporters
  })
  return order.map(function (id) {
    const u = byUnit[id]
    const pct = u.total ? Math.round((u.fulfilled / u.total) * 100) : 0
    return {
      key: 'd' + id,
      label: u.name + '（' + u.supporters + ' 人支持）',
      value: u.fulfilled,
      max: u.total,
      text: '已举办 ' + u.fulfilled + ' / ' + u.total + ' 条（' + pct + '%）',
      tone: 'main'
    }
  })
}

function replies(r) {
  return {
    hours: r.avg_hours_to_first_reply === null || r.avg_hours_to_first_reply === undefined ? '' : String(round1(r.avg_hours_to_first_reply)),
    bars: [
      {
        key: 'reply',
        label: '评论回复率',
        value: r.reply_percent,
        max: 100,
        text: r.reply_percent + '%（' + r.replied + ' / ' + r.commented + ' 条）',
        tone: r.reply_percent >= 80 ? 'good' : 'main'
      },
      {
        key: 'low',
        label: '差评跟进',
        value: r.low_scores_handled,
        max: r.low_scores,
        text: r.low_scores ? r.low_scores_handled + ' / ' + r.low_scores + ' 条' : '没有差评',
        tone: r.low_scores && r.low_scores_handled < r.low_scores ? 'warn' : 'good'
      }
    ]
  }
}

function targets(t) {
  return {
    year: t.year,
    bars: (t.items || []).map(function (x) {
      return {
        key: x.category,
        label: x.label + (x.joint_or_delivered ? '（含总馆配送或联办 ' + x.joint_or_delivered + ' 场）' : ''),
        value: x.count,
        max: x.target,
        text: x.count + ' / ' + x.target + ' 场' + (x.met ? ' · 已达标' : ''),
        tone: x.met ? 'good' : 'main'
      }
    })
  }
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    unit: null,
    status: 'loading',
    message: '',
    satisfaction: null,
    demand: [],
    replies: null,
    targets: null
  },

  onLoad: function (query) {
    const unit = staff.unitFrom(query)
    if (!unit) {
      this.setData({ status: 'error', message: '没有可查看的单位，请从“工作人员”进入' })
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
    const o = { showError: false }
    return Promise.all([api.statsSatisfaction(id, o), api.statsDemand(id, o), api.statsReplies(id, o), api.statsTargets(id, o)]).then(function (r) {
      self.setData({
        satisfaction: satisfaction(r[0].items),
        demand: demand(r[1].items),
        replies: replies(r[2]),
        targets: targets(r[3]),
        status: 'ok'
      })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onStateAction: function () {
    this.load()
  }
}))
