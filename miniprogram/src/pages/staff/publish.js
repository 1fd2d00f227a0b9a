// 发布活动 (staff): a simple one-session activity — title, kind, place (my units and the
// service points below them), date and times, seats or 直接到场 — created as a draft
// (POST /activities) and published at once (POST /activities/{id}/publish). Courses, lotteries
// and posters stay in the admin console.
const api = require('../../api/index')
const session = require('../../utils/session')
const format = require('../../utils/format')
const config = require('../../config')
const roles = require('../../utils/roles')
const ui = require('../../utils/ui')
const staff = require('../../utils/staff')
const display = require('../../utils/display')

const MODES = [
  { value: 'fcfs', label: '需要预约（先到先得）' },
  { value: 'none', label: '无需预约，直接到场' }
]

function emptyForm() {
  return { title: '', kindIndex: 0, placeIndex: 0, room: '', date: format.chinaDate(), start: '', end: '', modeIndex: 0, capacity: '', description: '' }
}

// Places I may publish at: each unit where I manage activities, and everything below it.
function placesFrom(tree, myRoles, preferredId) {
  const manage = (myRoles || []).filter(function (r) {
    return roles.MANAGE.indexOf(r.role) >= 0
  })
  const places = []
  const seen = {}
  const add = function (node, organizerId, prefix) {
    const u = node.unit
    if (!seen[u.id]) {
      seen[u.id] = true
      places.push({ id: u.id, organizerId: organizerId, label: prefix ? prefix + ' · ' + u.short_name : u.short_name })
    }
    ;(node.children || []).forEach(function (c) {
      add(c, organizerId, u.level === 'main' ? '' : u.short_name)
    })
  }
  const find = function (nodes, id) {
    for (let i = 0; i < (nodes || []).length; i++) {
      if (nodes[i].unit.id === id) return nodes[i]
      const hit = find(nodes[i].children, id)
      if (hit) return hit
    }
    return null
  }
  manage.forEach(function (r) {
    const node = find(tree, r.unit_id)
    if (node) add(node, r.unit_id, '')
  })
  const idx = places.findIndex(function (p) {
    return p.id === preferredId
  })
  if (idx > 0) places.unshift(places.splice(idx, 1)[0])
  return places
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    unit: null,
    status: 'loading', // loading | ok | error | done
    message: '',
    kinds: config.kinds,
    modes: MODES,
    today: format.chinaDate(),
    places: [],
    form: emptyForm(),
    error: '',
    draftId: null,
    published: null // {id, title}
  },

  onLoad: function (query) {
    this.setData({ unit: staff.unitFrom(query) })
    this.load()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  load: function () {
    const self = this
    this.setData({ status: 'loading' })
    return api.orgTree({ showError: false }).then(function (tree) {
      const places = placesFrom(tree, (session.user() || {}).roles, self.data.unit && self.data.unit.unitId)
      if (!places.length) {
        self.setData({ status: 'error', message: '您没有发布活动的权限。需要服务点协管员或分馆、总馆工作人员身份。' })
        return
      }
      self.setData({ places: places, status: 'ok' })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onField: function (e) {
    const field = e.currentTarget.dataset.field
    this.setData({ ['form.' + field]: e.detail.value, error: '' })
  },

  onPick: function (e) {
    const field = e.currentTarget.dataset.field
    this.setData({ ['form.' + field]: Number(e.detail.value) || 0, error: '' })
  },

  // The request body, or an error message for the person.
  build: function () {
    const f = this.data.form
    const title = (f.title || '').trim()
    if (!title) return { error: '请填写活动名称' }
    if (title.length > 60) return { error: '活动名称不超过 60 个字' }
    const place = this.data.places[f.placeIndex]
    if (!place) return { error: '请选择活动地点' }
    if (!f.date || !f.start || !f.end) return { error: '请选择日期、开始和结束时间' }
    const startsAt = f.date + 'T' + f.start + ':00+08:00'
    const endsAt = f.date + 'T' + f.end + ':00+08:00'
    if (Date.parse(endsAt) <= Date.parse(startsAt)) return { error: '结束时间应晚于开始时间' }
    if (Date.parse(startsAt) <= Date.now()) return { error: '开始时间已经过去，请重新选择' }
    const mode = MODES[f.modeIndex].value
    const s = { unit_id: place.id, starts_at: startsAt, ends_at: endsAt }
    if ((f.room || '').trim()) s.room = f.room.trim()
    if (mode === 'fcfs') {
      const cap = Number(f.capacity)
      if (!(Number.isInteger(cap) && cap >= 1 && cap <= 100000)) return { error: '请填写名额（1 到 100000 之间的整数）' }
      s.capacity = cap
    }
    const body = {
      title: title,
      kind: this.data.kinds[f.kindIndex].value,
      organizer_unit_id: place.organizerId,
      booking_mode: mode,
      sessions: [s]
    }
    if ((f.description || '').trim()) body.description = f.description.trim()
    return {
      body: body,
      summary: title + '\n' + format.formatRange(startsAt, endsAt) + '\n' + place.label + (s.room ? ' · ' + s.room : '') +
        '\n' + (mode === 'fcfs' ? '名额 ' + s.capacity + ' 个' : '无需预约，直接到场')
    }
  },

  onSubmit: async function () {
    if (this.saving) return
    if (this.data.draftId) return this.publish(this.data.draftId)
    const b = this.build()
    if (b.error) {
      this.setData({ error: b.error })
      return
    }
    const ok = await ui.confirm({ title: '确认发布', content: b.summary, confirmText: '发布' })
    if (!ok) return
    this.saving = true
    let draft
    try {
      draft = await api.createActivity(b.body, { loading: '正在保存…', showError: false })
    } catch (err) {
      this.saving = false
      if (err.code !== 'privacy_declined') await ui.alert(err.message, '未能发布')
      return
    }
    this.saving = false
    this.setData({ draftId: draft.id })
    return this.publish(draft.id)
  },

  publish: async function (id) {
    this.saving = true
    try {
      const a = await api.publishActivity(id, { loading: '正在发布…', showError: false })
      this.saving = false
      this.setData({ status: 'done', published: { id: a.id, title: a.title }, draftId: null, error: '' })
      wx.showToast({ title: '已发布', icon: 'success' })
    } catch (err) {
      this.saving = false
      this.setData({ error: '已保存为草稿，但发布失败：' + err.message })
    }
  },

  onView: function () {
    wx.navigateTo({ url: '/pages/activity/detail?id=' + this.data.published.id })
  },

  onAnother: function () {
    this.setData({ status: 'ok', form: emptyForm(), published: null, draftId: null, error: '' })
  },

  onStateAction: function () {
    this.load()
  }
}))
