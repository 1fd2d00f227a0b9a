// 评价活动: stars and an optional comment for a session I attended.
// POST /api/v1/ratings (see api/endpoints.js). On a server without it (404 route_not_found)
// the page says rating is coming.
const api = require('../../api/index')
const ui = require('../../utils/ui')
const format = require('../../utils/format')
const display = require('../../utils/display')

const TAGS = ['内容精彩', '老师专业', '场地舒适', '组织有序', '适合老人', '适合孩子']
const ASPECTS = [
  { key: 'content_score', label: '活动内容' },
  { key: 'teacher_score', label: '老师讲解' },
  { key: 'venue_score', label: '场地环境' },
  { key: 'organisation_score', label: '组织服务' }
]
const WORDS = ['', '很不满意', '不满意', '一般', '满意', '非常满意']

function stars(value) {
  return [1, 2, 3, 4, 5].map(function (n) {
    return { n: n, on: n <= value }
  })
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    bookingId: null,
    sessionId: null,
    title: '',
    score: 0,
    scoreStars: stars(0),
    scoreWord: '',
    aspects: ASPECTS.map(function (a) {
      return { key: a.key, label: a.label, value: 0, stars: stars(0) }
    }),
    tags: TAGS.map(function (t) {
      return { text: t, on: false }
    }),
    comment: '',
    error: '',
    state: 'form', // form | done | soon
    doneText: ''
  },

  onLoad: function (query) {
    this.setData({
      bookingId: Number(query && query.booking) || null,
      sessionId: Number(query && query.session) || null,
      title: format.queryText(query && query.title)
    })
  },

  onScore: function (e) {
    const n = Number(e.currentTarget.dataset.n)
    this.setData({ score: n, scoreStars: stars(n), scoreWord: WORDS[n], error: '' })
  },

  onAspect: function (e) {
    const i = Number(e.currentTarget.dataset.index)
    const n = Number(e.currentTarget.dataset.n)
    const key = 'aspects[' + i + ']'
    const update = {}
    update[key + '.value'] = n
    update[key + '.stars'] = stars(n)
    this.setData(update)
  },

  onTag: function (e) {
    const i = Number(e.currentTarget.dataset.index)
    const picked = this.data.tags.filter(function (t) {
      return t.on
    }).length
    const on = !this.data.tags[i].on
    if (on && picked >= 5) {
      wx.showToast({ title: '最多选 5 个', icon: 'none' })
      return
    }
    const update = {}
    update['tags[' + i + '].on'] = on
    this.setData(update)
  },

  onComment: function (e) {
    this.setData({ comment: e.detail.value })
  },

  onSubmit: async function () {
    if (this.saving) return
    if (!this.data.score) {
      this.setData({ error: '请先点星星给出总体评价' })
      return
    }
    const body = { booking_id: this.data.bookingId, score: this.data.score }
    if (this.data.sessionId) body.session_id = this.data.sessionId
    this.data.aspects.forEach(function (a) {
      if (a.value) body[a.key] = a.value
    })
    const tags = this.data.tags.filter(function (t) {
      return t.on
    }).map(function (t) {
      return t.text
    })
    if (tags.length) body.tags = tags
    const comment = (this.data.comment || '').trim()
    if (comment) body.comment = comment
    this.saving = true
    let res
    try {
      res = await api.rate(body, { loading: '正在提交…', showError: false })
    } catch (err) {
      this.saving = false
      if (err.status === 404 && err.code === 'route_not_found') {
        this.setData({ state: 'soon' })
        return
      }
      await ui.alert(err.message, '未能提交')
      return
    }
    this.saving = false
    this.setData({
      state: 'done',
      doneText: res.comment_status === 'held' ? '感谢您的评价！您的留言将在审核后公开。' : '感谢您的评价！'
    })
  },

  onBack: function () {
    wx.navigateBack({ delta: 1 })
  }
}))
