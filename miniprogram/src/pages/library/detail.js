// A library resource: cover, kind, unit, duration, tags; 打开观看 opens the web page or the
// Channels video (an article shows its text here); the view is counted once a day for a signed-in
// resident (D234); 1–5 stars with an optional comment (D235).
const api = require('../../api/index')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')
const session = require('../../utils/session')
const online = require('../../utils/online')
const watch = require('../../utils/watch')

function stars(score) {
  return [1, 2, 3, 4, 5].map(function (n) {
    return { n: n, on: n <= score, label: i18n.t('lb_star_aria', { n: n }) }
  })
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_resource',
  data: {
    status: 'loading',
    message: '',
    r: null,
    isArticle: false,
    score: 0,
    stars: stars(0),
    comment: '',
    rateError: '',
    saving: false,
    comments: []
  },

  onLoad: function (query) {
    this.id = Number(query && query.id)
    this.load()
  },

  load: function () {
    const self = this
    return api.libraryGet(this.id, { showError: false }).then(function (res) {
      self.resource = res
      const base = require('../../config').baseUrl
      const act = online.resourceAction(res)
      self.setData({
        status: 'ok',
        isArticle: act.kind === 'article',
        r: {
          title: res.title,
          summary: res.summary,
          body: res.body,
          kind: i18n.t('lb_kind_' + res.kind),
          unit: res.unit_name,
          cover: res.cover_url ? base + res.cover_url : '',
          duration: online.durationText(res.duration_s, i18n.t),
          tags: (res.tags || []).join(' · '),
          views: i18n.t('lb_views', { n: res.views }),
          rating: online.ratingText(res.rating_average, res.rating_count, i18n.t)
        },
        score: res.my_score || 0,
        stars: stars(res.my_score || 0),
        comment: res.my_comment || '',
        comments: (res.comments || []).map(function (c, i) {
          return { key: i, name: c.name, stars: '★★★★★'.slice(0, c.score), comment: c.comment }
        })
      })
      // Counted once per person and day by the server; only when signed in (no sign-in prompt
      // just for a count).
      if (session.isSignedIn()) {
        api.libraryView(self.id, { showError: false }).then(function () {}, function () {})
      }
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  },

  onOpen: function () {
    if (this.resource) watch.open(online.resourceAction(this.resource))
  },

  onStar: function (e) {
    const n = Number(e.currentTarget.dataset.n)
    this.setData({ score: n, stars: stars(n), rateError: '' })
  },

  onComment: function (e) {
    this.setData({ comment: e.detail.value })
  },

  onRate: function () {
    const self = this
    if (!this.data.score) {
      this.setData({ rateError: i18n.t('lb_rate_choose') })
      return Promise.resolve()
    }
    this.setData({ saving: true, rateError: '' })
    const body = { score: this.data.score }
    if (this.data.comment.trim()) body.comment = this.data.comment.trim()
    return api.libraryRate(this.id, body, { showError: false }).then(function (res) {
      self.setData({ saving: false })
      wx.showToast({ title: i18n.t(res.comment_status === 'held' ? 'lb_rate_held' : 'lb_rate_saved'), icon: 'none' })
      if (self.data.r) {
        self.setData({ 'r.rating': online.ratingText(res.rating_average, res.rating_count, i18n.t) })
      }
    }, function (err) {
      self.setData({ saving: false, rateError: err.message })
    })
  },

  onShareAppMessage: function () {
    return { title: this.data.r ? this.data.r.title : i18n.t('nav_library'), path: '/pages/library/detail?id=' + this.id }
  }
}))
