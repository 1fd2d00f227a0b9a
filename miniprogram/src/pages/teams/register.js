// 登记团队: a resident registers an art team at its home unit (the branch or point it rehearses
// at) and becomes its leader. The team waits for that unit's staff (待审核); 我的团队 shows the
// status and, when declined, the reason (docs/teams.md).
const api = require('../../api/index')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

// The service's fixed list (server/src/teams.rs GENRES); the value sent is the Chinese name.
const GENRES = ['合唱', '舞蹈', '戏曲', '器乐', '书画', '摄影', '朗诵', '其他']

function flatten(nodes, out) {
  ;(nodes || []).forEach(function (n) {
    out.push({ id: n.unit.id, label: n.unit.short_name || n.unit.name })
    flatten(n.children, out)
  })
  return out
}

Page(display.page({
  navTitleKey: 'nav_team_register',
  data: {
    status: 'loading', // loading | ok | error
    message: '',
    units: [],
    unitLabels: [],
    unitIndex: -1,
    genres: GENRES,
    genreLabels: [],
    genreIndex: -1,
    name: '',
    description: '',
    rehearsal: '',
    error: '',
    submitting: false
  },

  onLoad: function () {
    this.load()
  },

  onLanguage: function () {
    this.setData({ genreLabels: GENRES.map(function (g) { return i18n.t('tm_genre_' + GENRES.indexOf(g)) }) })
  },

  load: function () {
    const self = this
    this.onLanguage()
    return api.orgTree({ showError: false }).then(function (roots) {
      const units = flatten(roots, [])
      self.setData({ status: 'ok', units: units, unitLabels: units.map(function (u) { return u.label }) })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  },

  onUnit: function (e) { this.setData({ unitIndex: Number(e.detail.value), error: '' }) },
  onGenre: function (e) { this.setData({ genreIndex: Number(e.detail.value), error: '' }) },
  onName: function (e) { this.setData({ name: e.detail.value, error: '' }) },
  onDescription: function (e) { this.setData({ description: e.detail.value }) },
  onRehearsal: function (e) { this.setData({ rehearsal: e.detail.value }) },

  onSubmit: function () {
    if (this.data.submitting) return Promise.resolve()
    const self = this
    const unit = this.data.units[this.data.unitIndex]
    const name = (this.data.name || '').trim()
    let missing = ''
    if (!unit) missing = 'tm_reg_need_unit'
    else if (!name) missing = 'tm_reg_need_name'
    else if (this.data.genreIndex < 0) missing = 'tm_reg_need_genre'
    if (missing) {
      this.setData({ error: i18n.t(missing) })
      return Promise.resolve()
    }
    this.setData({ submitting: true, error: '' })
    return api.registerTeam({
      unit_id: unit.id,
      name: name,
      genre: GENRES[this.data.genreIndex],
      description: (this.data.description || '').trim(),
      rehearsal_time: (this.data.rehearsal || '').trim()
    }, { showError: false }).then(function (res) {
      self.setData({ submitting: false })
      wx.showToast({ title: i18n.t('tm_reg_done'), icon: 'success' })
      wx.redirectTo({ url: '/pages/teams/mine' })
      return res
    }, function (err) {
      self.setData({ submitting: false, error: err.message })
    })
  }
}))
