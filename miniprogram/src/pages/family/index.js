// 家庭成员: people I book for. A child under 14 needs my consent as guardian (PIPL art. 31).
const api = require('../../api/index')
const request = require('../../utils/request')
const session = require('../../utils/session')
const format = require('../../utils/format')
const display = require('../../utils/display')

function emptyForm() {
  return { name: '', relationIndex: 0, birthDate: '', consent: false }
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
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
    this.setData({ today: format.chinaDate(), backAfterAdd: add, showForm: add })
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
      this.setData({ status: 'empty', message: '登录后可以添加家庭成员，为家人预约活动' })
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
      this.setData({ error: '请填写姓名' })
      return
    }
    if (name.length > 20) {
      this.setData({ error: '姓名不超过 20 个字' })
      return
    }
    if (!f.birthDate) {
      this.setData({ error: '请选择出生日期' })
      return
    }
    if (this.data.isChild && !f.consent) {
      this.setData({ error: '为 14 周岁以下儿童登记，需要您以监护人身份同意' })
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
      await api.addFamily(body, { loading: '正在保存…', showError: 'modal' })
    } catch (err) {
      return
    } finally {
      this.saving = false
    }
    wx.showToast({ title: '已添加', icon: 'success' })
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
      title: '删除家庭成员',
      content: '确定删除【' + m.name + '】吗？删除后 TA 的姓名和出生日期会被清除。',
      confirmText: '删除',
      confirmColor: '#B00020',
      success: function (res) {
        if (!res.confirm) return
        api.removeFamily(id, { loading: '正在删除…', showError: 'modal' }).then(function () {
          wx.showToast({ title: '已删除', icon: 'success' })
          self.load()
        }, function () {})
      }
    })
  }
}))
