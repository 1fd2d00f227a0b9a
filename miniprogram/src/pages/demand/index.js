// 我想看的活动（点单）: residents ask for activities and support each other's requests;
// staff answer them (GET/POST /api/v1/demands, POST /api/v1/demands/{id}/support). On a
// server without them (404 route_not_found) the page says the feature is coming.
const api = require('../../api/index')
const config = require('../../config')
const storage = require('../../utils/storage')
const format = require('../../utils/format')
const ui = require('../../utils/ui')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

const STATUS = {
  open: 'dm_s_open',
  accepted: 'dm_s_accepted',
  planned: 'dm_s_planned',
  declined: 'dm_s_declined',
  fulfilled: 'dm_s_fulfilled',
  merged: 'dm_s_merged'
}
// Sent and stored in Chinese (staff read them); shown in the current language.
const AGE_GROUPS = ['不限', '儿童', '青少年', '中青年', '老年人']
const AGE_KEYS = ['dm_age_any', 'dm_age_children', 'dm_age_teens', 'dm_age_adults', 'dm_age_older']

function ageLabel(value) {
  const i = AGE_GROUPS.indexOf(value)
  return i >= 0 ? i18n.t(AGE_KEYS[i]) : value
}

function labels() {
  return {
    kinds: config.kinds.map(function (k) {
      return { value: k.value, label: i18n.t('kind_' + k.value) }
    }),
    ages: AGE_KEYS.map(function (k) {
      return i18n.t(k)
    })
  }
}

function view(d) {
  return {
    id: d.id,
    kind: d.kind_label,
    unit: d.unit_name,
    poster: d.poster,
    description: d.description,
    time: d.preferred_time,
    age: d.age_group ? ageLabel(d.age_group) : d.age_group,
    status: d.status,
    statusText: STATUS[d.status] ? i18n.t(STATUS[d.status]) : d.status,
    reason: d.status_reason,
    held: d.visibility === 'held',
    supporters: d.supporters,
    supportersText: i18n.t('dm_supporters', { n: d.supporters }),
    iSupport: !!d.i_support,
    canSupport: !d.i_support && (d.status === 'open' || d.status === 'accepted' || d.status === 'planned'),
    activityId: d.activity_id || null,
    createdAt: format.formatDate(d.created_at)
  }
}

function emptyForm() {
  return { kindIndex: 0, unitIndex: 0, ageIndex: 0, time: '', description: '' }
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_demand',
  data: {
    status: 'loading', // loading | ok | empty | error | soon
    message: '',
    items: [],
    myUnit: null,
    scope: 'mine', // mine | all
    showForm: false,
    form: emptyForm(),
    kinds: config.kinds,
    units: [],
    ages: AGE_GROUPS,
    error: ''
  },

  onLoad: function (options) {
    const myUnit = storage.get(storage.KEYS.myUnit, null)
    // Opened from a demand message (?id=…): show every unit, so that demand is in the list.
    const fromMessage = !!(options && options.id)
    this.setData(Object.assign({ myUnit: myUnit, scope: myUnit && !fromMessage ? 'mine' : 'all' }, labels()))
    this.load()
  },

  onLanguage: function () {
    this.setData(labels())
    if (this.data.status === 'ok') this.load()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  load: function () {
    const self = this
    this.setData({ status: 'loading' })
    const query = { sort: 'support' }
    if (this.data.scope === 'mine' && this.data.myUnit) query.unit_id = this.data.myUnit.id
    return api.demands(query, { showError: false }).then(
      function (res) {
        const items = (res.items || []).map(view)
        self.setData({
          items: items,
          status: items.length ? 'ok' : 'empty',
          message: items.length ? '' : i18n.t('dm_empty')
        })
      },
      function (err) {
        if (err.status === 404 && err.code === 'route_not_found') {
          self.setData({ status: 'soon' })
          return
        }
        self.setData({ status: 'error', message: err.message })
      }
    )
  },

  onScope: function (e) {
    this.setData({ scope: e.currentTarget.dataset.scope })
    this.load()
  },

  onStateAction: function () {
    if (this.data.status === 'empty') this.onShowForm()
    else this.load()
  },

  onSupport: function (e) {
    const self = this
    const id = Number(e.currentTarget.dataset.id)
    api.supportDemand(id, { loading: i18n.t('dm_sending'), showError: 'modal' }).then(function (res) {
      const items = self.data.items.map(function (d) {
        return d.id === id ? Object.assign({}, d, { supporters: res.supporters, supportersText: i18n.t('dm_supporters', { n: res.supporters }), iSupport: true, canSupport: false }) : d
      })
      self.setData({ items: items })
      wx.showToast({ title: i18n.t('dm_supported_toast'), icon: 'success' })
    }, function () {})
  },

  // 举报 a published demand; the report page asks the reason.
  onReport: function (e) {
    const d = e.currentTarget.dataset
    wx.navigateTo({ url: '/pages/report/index?kind=demand&id=' + d.id + '&text=' + encodeURIComponent(String(d.text || '').slice(0, 30)) })
  },

  onOpenActivity: function (e) {
    wx.navigateTo({ url: '/pages/activity/detail?id=' + e.currentTarget.dataset.id })
  },

  // the venue list for the form: the main center and the branches
  loadUnits: function () {
    const self = this
    if (this.data.units.length) return Promise.resolve()
    return api.orgTree({ showError: 'toast' }).then(function (roots) {
      const units = []
      ;(roots || []).forEach(function (root) {
        units.push({ id: root.unit.id, label: root.unit.short_name || root.unit.name })
        ;(root.children || []).forEach(function (c) {
          if (c.unit.level !== 'point') units.push({ id: c.unit.id, label: c.unit.short_name || c.unit.name })
        })
      })
      const mine = self.data.myUnit
      const index = mine ? Math.max(0, units.findIndex(function (u) {
        return u.id === mine.id
      })) : 0
      self.setData({ units: units, 'form.unitIndex': index })
    })
  },

  onShowForm: function () {
    const self = this
    this.loadUnits().then(function () {
      self.setData({ showForm: true, error: '' })
    }, function () {})
  },

  onHideForm: function () {
    this.setData({ showForm: false, error: '' })
  },

  onKind: function (e) {
    this.setData({ 'form.kindIndex': Number(e.detail.value) || 0 })
  },

  onUnit: function (e) {
    this.setData({ 'form.unitIndex': Number(e.detail.value) || 0 })
  },

  onAge: function (e) {
    this.setData({ 'form.ageIndex': Number(e.detail.value) || 0 })
  },

  onTime: function (e) {
    this.setData({ 'form.time': e.detail.value })
  },

  onDescription: function (e) {
    this.setData({ 'form.description': e.detail.value })
  },

  onSubmit: async function () {
    if (this.saving) return
    const f = this.data.form
    const description = (f.description || '').trim()
    if (description.length < 5) {
      this.setData({ error: i18n.t('dm_too_short') })
      return
    }
    const unit = this.data.units[f.unitIndex]
    if (!unit) {
      this.setData({ error: i18n.t('dm_no_unit') })
      return
    }
    const body = { kind: this.data.kinds[f.kindIndex].value, unit_id: unit.id, description: description }
    if ((f.time || '').trim()) body.preferred_time = f.time.trim()
    if (f.ageIndex > 0) body.age_group = AGE_GROUPS[f.ageIndex]
    this.saving = true
    let res
    try {
      res = await api.createDemand(body, { loading: i18n.t('dm_sending'), showError: false })
    } catch (err) {
      this.saving = false
      if (err.status === 404 && err.code === 'route_not_found') {
        this.setData({ status: 'soon', showForm: false })
        return
      }
      if (err.code !== 'privacy_declined') await ui.alert(err.message, i18n.t('dm_not_sent'))
      return
    }
    this.saving = false
    this.setData({ showForm: false, form: emptyForm(), error: '' })
    await ui.alert(i18n.t(res.visibility === 'held' ? 'dm_sent_held' : 'dm_sent'), i18n.t('dm_thanks'))
    await this.load()
  }
}))
