// 供给方服务: a troupe, teacher, social organisation, enterprise or individual artist registers
// with the main center (the record waits for review), sees the review result and its record
// (deliveries, residents' ratings, 差评), and adds offerings — performances, lectures,
// exhibitions, course modules — with duration, audience, venue requirements and a price in yuan
// that is sent as whole fen (docs/procurement.md).
const api = require('../../api/index')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')
const money = require('../../utils/money')

const KINDS = ['troupe', 'teacher', 'social_org', 'enterprise', 'artist']
const OFFERING_KINDS = ['performance', 'lecture', 'exhibition', 'course']

Page(display.page({
  navTitleKey: 'nav_provider',
  data: {
    status: 'loading', // loading | ok | error
    message: '',
    provider: null, // null: not registered yet
    editing: false,
    kindLabels: [],
    offeringKindLabels: [],
    form: { name: '', kindIndex: -1, contact_name: '', phone: '', intro: '', qualifications: '' },
    offerings: [],
    adding: false,
    offer: { title: '', kindIndex: -1, duration: '', audience: '', requirements: '', price: '' },
    error: '',
    submitting: false
  },

  onLoad: function () {
    this.load()
  },

  onShow: function () {
    if (this.data.status === 'ok') this.load()
  },

  onLanguage: function () {
    this.setData({
      kindLabels: KINDS.map(function (k) { return i18n.t('pv_kind_' + k) }),
      offeringKindLabels: OFFERING_KINDS.map(function (k) { return i18n.t('pv_okind_' + k) })
    })
  },

  load: function () {
    const self = this
    this.onLanguage()
    return api.providerMe({ showError: false }).then(function (p) {
      return api.providerOfferings({ showError: false }).then(function (res) {
        self.setData({
          status: 'ok',
          provider: self.decorate(p),
          offerings: (res.items || []).map(function (o) { return self.decorateOffering(o) })
        })
      })
    }, function (err) {
      if (err && err.code === 'not_provider') {
        self.setData({ status: 'ok', provider: null, editing: true, offerings: [] })
        return
      }
      self.setData({ status: 'error', message: err.message })
    })
  },

  decorate: function (p) {
    const r = p.record || {}
    return Object.assign({}, p, {
      statusLabel: i18n.t('pv_status_' + p.status),
      average: r.average_score_x100 == null ? '' : money.hundredths(r.average_score_x100)
    })
  },

  decorateOffering: function (o) {
    return Object.assign({}, o, {
      kindText: i18n.t('pv_okind_' + o.kind),
      priceText: o.price_fen === 0 ? i18n.t('pv_free') : money.yuan(o.price_fen),
      statusLabel: i18n.t('pv_status_' + o.status)
    })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  },

  onEdit: function () {
    const p = this.data.provider
    this.setData({
      editing: true,
      error: '',
      form: { name: p.name, kindIndex: KINDS.indexOf(p.kind), contact_name: p.contact_name, phone: '', intro: p.intro, qualifications: p.qualifications }
    })
  },

  onField: function (e) {
    const key = 'form.' + e.currentTarget.dataset.field
    const patch = { error: '' }
    patch[key] = e.detail.value
    this.setData(patch)
  },
  onKind: function (e) { this.setData({ 'form.kindIndex': Number(e.detail.value), error: '' }) },

  onRegister: function () {
    if (this.data.submitting) return Promise.resolve()
    const self = this
    const f = this.data.form
    const name = (f.name || '').trim()
    let missing = ''
    if (!name) missing = 'pv_need_name'
    else if (f.kindIndex < 0) missing = 'pv_need_kind'
    if (missing) {
      this.setData({ error: i18n.t(missing) })
      return Promise.resolve()
    }
    const body = { name: name, kind: KINDS[f.kindIndex], contact_name: (f.contact_name || '').trim(), intro: (f.intro || '').trim(), qualifications: (f.qualifications || '').trim() }
    // The phone is shown masked; an edit keeps it unless a new one is typed.
    if ((f.phone || '').trim()) body.phone = f.phone.trim()
    else if (this.data.provider) delete body.phone
    this.setData({ submitting: true, error: '' })
    return api.providerRegister(body, { showError: false }).then(function () {
      self.setData({ submitting: false, editing: false })
      wx.showToast({ title: i18n.t('pv_sent'), icon: 'success' })
      return self.load()
    }, function (err) {
      self.setData({ submitting: false, error: err.message })
    })
  },

  onAdd: function () {
    this.setData({ adding: true, error: '', offer: { title: '', kindIndex: -1, duration: '', audience: '', requirements: '', price: '' } })
  },
  onCancelAdd: function () { this.setData({ adding: false, error: '' }) },
  onOffer: function (e) {
    const key = 'offer.' + e.currentTarget.dataset.field
    const patch = { error: '' }
    patch[key] = e.detail.value
    this.setData(patch)
  },
  onOfferKind: function (e) { this.setData({ 'offer.kindIndex': Number(e.detail.value), error: '' }) },

  onSubmitOffer: function () {
    if (this.data.submitting) return Promise.resolve()
    const self = this
    const o = this.data.offer
    const title = (o.title || '').trim()
    const duration = Number(o.duration)
    const fen = (o.price || '').trim() === '' ? 0 : money.toFen(o.price)
    let missing = ''
    if (!title) missing = 'pv_need_title'
    else if (o.kindIndex < 0) missing = 'pv_need_okind'
    else if (!(duration >= 1 && duration <= 10080 && Math.floor(duration) === duration)) missing = 'pv_need_duration'
    else if (fen == null) missing = 'pv_need_price'
    if (missing) {
      this.setData({ error: i18n.t(missing) })
      return Promise.resolve()
    }
    this.setData({ submitting: true, error: '' })
    return api.providerOfferingCreate({
      title: title,
      kind: OFFERING_KINDS[o.kindIndex],
      duration_minutes: duration,
      audience: (o.audience || '').trim(),
      requirements: (o.requirements || '').trim(),
      price_fen: fen
    }, { showError: false }).then(function () {
      self.setData({ submitting: false, adding: false })
      wx.showToast({ title: i18n.t('pv_sent'), icon: 'success' })
      return self.load()
    }, function (err) {
      self.setData({ submitting: false, error: err.message })
    })
  },

  onOrders: function () {
    wx.navigateTo({ url: '/pages/provider/orders' })
  }
}))
