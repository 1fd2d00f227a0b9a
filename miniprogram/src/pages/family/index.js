// 家庭成员: people I book for. A child under 14 needs my consent as guardian (PIPL art. 31).
const api = require('../../api/index')
const request = require('../../utils/request')
const session = require('../../utils/session')
const format = require('../../utils/format')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

function emptyForm() {
  return { name: '', relationIndex: 0, birthDate: '', consent: false }
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_family',
  data: {
    signedIn: false,
    status: 'loading',
    message: '',
    members: [],
    showForm: false,
    form: emptyForm(),
    relations: format.RELATIONS,
    age: null,
    isChild: false,
    today: '',
    backAfterAdd: false,
    error: ''
  },

  onLoad: function (query) {
    const add = !!(query && query.add)
    this.setData({ today: format.chinaDate(), backAfterAdd: add, showForm: add, relations: format.relations() })
    this.refresh()
  },

  onPullDownRefresh: function () {
    return this.refresh().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  refresh: function () {
    const signedIn = session.isSignedIn()
    this.setData({ signedIn: signedIn })
    if (!signedIn) {
      this.setData({ status: 'empty', message: i18n.t('fm_sign_in_hint') })
      return Promise.resolve()
    }
    return this.load()
  },

  load: function () {
    const self = this
    if (!this.data.members.length) this.setData({ status: 'loading' })
    return api.family({ showError: false }).then(
      function (res) {
        const members = (res.items || []).map(function (m) {
          return {
            id: m.id,
            name: m.name,
            relation: format.relationText(m.relation),
            age: m.age,
            ageText: i18n.t('age_years', { n: m.age }),
            consent: !!m.guardian_consent_at,
            consentAt: m.guardian_consent_at ? format.formatDate(m.guardian_consent_at) : ''
          }
        })
        self.setData({ members: members, status: 'ok', signedIn: true })
      },
      function (err) {
        self.setData({ status: 'error', message: err.message })
      }
    )
  },

  onStateAction: function () {
    const self = this
    if (session.isSignedIn()) {
      this.load()
      return
    }
    api.signIn().then(
      function () {
        self.refresh()
      },
      function (err) {
        request.showError(err)
      }
    )
  },

  onShowForm: function () {
    this.setData({ showForm: true, form: emptyForm(), age: null, isChild: false, error: '' })
  },

  onHideForm: function () {
    this.setData({ showForm: false, error: '' })
  },

  onName: function (e) {
    this.setData({ 'form.name': e.detail.value })
  },

  onRelation: function (e) {
    this.setData({ 'form.relationIndex': Number(e.detail.value) || 0 })
  },

  onBirth: function (e) {
    const birth = e.detail.value
    const age = format.ageOn(birth)
    this.setData({
      'form.birthDate': birth,
      age: age,
      isChild: age !== null && age < format.CONSENT_AGE,
      'form.consent': false
    })
  },

  onConsent: function () {
    this.setData({ 'form.consent': !this.data.form.consent })
  },

  onReadRules: function () {
    wx.navigateTo({ url: '/pages/privacy/index?section=children' })
  },

  onSubmit: async function () {
    if (this.saving) return
    const f = this.data.form
    const name = (f.name || '').trim()
    if (!name) {
      this.setData({ error: i18n.t('fm_name_empty') })
      return
    }
    if (name.length > 20) {
      this.setData({ error: i18n.t('fm_name_long') })
      return
    }
    if (!f.birthDate) {
      this.setData({ error: i18n.t('fm_birth_empty') })
      return
    }
    if (this.data.isChild && !f.consent) {
      this.setData({ error: i18n.t('fm_consent_needed') })
      return
    }
    this.setData({ error: '' })
    const body = {
      name: name,
      relation: format.RELATIONS[f.relationIndex].value,
      birth_date: f.birthDate
    }
    if (this.data.isChild) body.guardian_consent = true
    this.saving = true
    try {
      await api.addFamily(body, { loading: i18n.t('fm_saving'), showError: 'modal' })
    } catch (err) {
      return
    } finally {
      this.saving = false
    }
    wx.showToast({ title: i18n.t('fm_added'), icon: 'success' })
    if (this.data.backAfterAdd) {
      wx.navigateBack({ delta: 1 })
      return
    }
    this.setData({ showForm: false, form: emptyForm(), age: null, isChild: false })
    await this.load()
  },

  onRemove: function (e) {
    const self = this
    const id = Number(e.currentTarget.dataset.id)
    const m = this.data.members.filter(function (x) {
      return x.id === id
    })[0]
    if (!m) return
    wx.showModal({
      title: i18n.t('fm_remove_title'),
      content: i18n.t('fm_remove_content', { name: m.name }),
      confirmText: i18n.t('fm_remove_ok'),
      confirmColor: '#B00020',
      success: function (res) {
        if (!res.confirm) return
        api.removeFamily(id, { loading: i18n.t('fm_removing'), showError: 'modal' }).then(function () {
          wx.showToast({ title: i18n.t('fm_removed'), icon: 'success' })
          self.load()
        }, function () {})
      }
    })
  }
}))
