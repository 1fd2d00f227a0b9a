// 数字资源库: the units' curated videos, audio, articles, course materials and exhibition
// galleries, by kind and text (a unit's own list with ?unit_id=&name=). Featured first.
const api = require('../../api/index')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')
const online = require('../../utils/online')

const KINDS = ['video', 'audio', 'article', 'course', 'gallery']
const PAGE_SIZE = 20

function kinds() {
  return [{ key: '', label: i18n.t('lb_all') }].concat(KINDS.map(function (k) {
    return { key: k, label: i18n.t('lb_kind_' + k) }
  }))
}

function card(r) {
  const base = require('../../config').baseUrl
  return {
    id: r.id,
    title: r.title,
    summary: r.summary,
    kind: i18n.t('lb_kind_' + r.kind),
    unit: r.unit_name,
    featured: r.featured,
    cover: r.cover_url ? base + r.cover_url + '/thumb' : '',
    duration: online.durationText(r.duration_s, i18n.t),
    views: i18n.t('lb_views', { n: r.views }),
    rating: online.ratingText(r.rating_average, r.rating_count, i18n.t),
    tags: (r.tags || []).join(' · ')
  }
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_library',
  data: {
    status: 'loading',
    message: '',
    kinds: [],
    kind: '',
    q: '',
    items: [],
    hasMore: false
  },

  onLoad: function (query) {
    this.unitId = Number(query && query.unit_id) || 0
    this.setData({ kinds: kinds(), kind: query && KINDS.indexOf(query.kind) >= 0 ? query.kind : '' })
    this.load(1)
  },

  onLanguage: function () {
    this.setData({ kinds: kinds() })
    if (this.data.status === 'ok') this.load(1)
  },

  onPullDownRefresh: function () {
    return this.load(1).then(function () {
      wx.stopPullDownRefresh()
    })
  },

  query: function (page) {
    const q = { page: page, page_size: PAGE_SIZE }
    if (this.data.kind) q.kind = this.data.kind
    if (this.unitId) q.unit_id = this.unitId
    const text = this.data.q.trim()
    if (text) q.q = text.slice(0, 30)
    return q
  },

  load: function (page) {
    const self = this
    this.page = page
    return api.libraryList(this.query(page), { showError: false }).then(function (res) {
      const more = (res.items || []).map(card)
      const items = page === 1 ? more : self.data.items.concat(more)
      self.setData({
        status: items.length ? 'ok' : 'empty',
        message: items.length ? '' : i18n.t('lb_empty'),
        items: items,
        hasMore: !!res.has_more
      })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onKind: function (e) {
    this.setData({ kind: e.currentTarget.dataset.kind, status: 'loading' })
    return this.load(1)
  },

  onInput: function (e) {
    this.setData({ q: e.detail.value })
  },

  onSearch: function () {
    this.setData({ status: 'loading' })
    return this.load(1)
  },

  onMore: function () {
    return this.load((this.page || 1) + 1)
  },

  onReachBottom: function () {
    if (this.data.hasMore) return this.onMore()
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load(1)
  },

  onOpen: function (e) {
    wx.navigateTo({ url: '/pages/library/detail?id=' + e.currentTarget.dataset.id })
  },

  onShareAppMessage: function () {
    return { title: i18n.t('nav_library'), path: '/pages/library/index' + (this.unitId ? '?unit_id=' + this.unitId : '') }
  }
}))
