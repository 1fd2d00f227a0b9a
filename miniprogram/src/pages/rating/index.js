// 评价活动: stars and an optional comment for a session I attended.
// POST /api/v1/ratings (see api/endpoints.js). On a server without it (404 route_not_found)
// the page says rating is coming.
const api = require('../../api/index')
const ui = require('../../utils/ui')
const format = require('../../utils/format')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

// The service stores the tags in Chinese (staff read them): the Chinese text is sent, the label shown.
const TAGS = [
  { text: '内容精彩', key: 'rt_tag_content' },
  { text: '老师专业', key: 'rt_tag_teacher' },
  { text: '场地舒适', key: 'rt_tag_venue' },
  { text: '组织有序', key: 'rt_tag_organised' },
  { text: '适合老人', key: 'rt_tag_elderly' },
  { text: '适合孩子', key: 'rt_tag_children' }
]
const ASPECTS = [
  { key: 'content_score', label: 'rt_a_content' },
  { key: 'teacher_score', label: 'rt_a_teacher' },
  { key: 'venue_score', label: 'rt_a_venue' },
  { key: 'organisation_score', label: 'rt_a_organisation' }
]
const WORDS = ['', 'rt_w1', 'rt_w2', 'rt_w3', 'rt_w4', 'rt_w5']

function stars(value) {
  return [1, 2, 3, 4, 5].map(function (n) {
    return { n: n, on: n <= value, label: i18n.t('rt_star', { n: n }) }
  })
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_rating',
  data: {
    bookingId: null,
    sessionId: null,
    title: '',
    score: 0,
    scoreStars: stars(0),
    scoreWord: '',
    aspects: ASPECTS.map(function (a) {
      return { key: a.key, label: i18n.t(a.label), value: 0, stars: stars(0) }
    }),
    tags: TAGS.map(function (t) {
      return { text: t.text, label: i18n.t(t.key), on: false }
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
    this.onLanguage()
  },

  // Labels in the current language; the picks and the Chinese tag values stay.
  onLanguage: function () {
    const d = this.data
    this.setData({
      scoreStars: stars(d.score),
      scoreWord: d.score ? i18n.t(WORDS[d.score]) : '',
      aspects: d.aspects.map(function (a, i) {
        return Object.assign({}, a, { label: i18n.t(ASPECTS[i].label), stars: stars(a.value) })
      }),
      tags: d.tags.map(function (x, i) {
        return Object.assign({}, x, { label: i18n.t(TAGS[i].key) })
      })
    })
  },

  onScore: function (e) {
    const n = Number(e.currentTarget.dataset.n)
    this.setData({ score: n, scoreStars: stars(n), scoreWord: i18n.t(WORDS[n]), error: '' })
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
      wx.showToast({ title: i18n.t('rt_max_tags'), icon: 'none' })
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
      this.setData({ error: i18n.t('rt_need_score') })
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
      res = await api.rate(body, { loading: i18n.t('rt_sending'), showError: false })
    } catch (err) {
      this.saving = false
      if (err.status === 404 && err.code === 'route_not_found') {
        this.setData({ state: 'soon' })
        return
      }
      await ui.alert(err.message, i18n.t('rt_not_sent'))
      return
    }
    this.saving = false
    this.setData({
      state: 'done',
      doneText: i18n.t(res.comment_status === 'held' ? 'rt_thanks_held' : 'rt_thanks')
    })
  },

  onBack: function () {
    wx.navigateBack({ delta: 1 })
  }
}))
