// 场地: a venue's rooms (kind, capacity, facilities, accessibility, opening hours, photos) and
// when each is taken in the coming two weeks (GET …/rooms/busy: only busy or closed, never
// what or who). Reached from the venue card with ?unit_id=&name=.
const api = require('../../api/index')
const format = require('../../utils/format')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

// weekday 1 = Monday … 7 = Sunday, as the service sends it
function hoursText(hours) {
  if (!hours || !hours.length) return i18n.t('rm_not_open')
  return hours.map(function (h) { return i18n.t('rm_wd_' + h.weekday) + ' ' + h.opens + '-' + h.closes }).join(i18n.t('rm_sep'))
}

// Busy spans of one room grouped by China day: [{day, spans: [{text, closed}]}].
function busyDays(spans) {
  const days = []
  spans.forEach(function (b) {
    const day = format.formatDate(b.starts_at)
    let d = days.find(function (x) { return x.day === day })
    if (!d) {
      d = { day: day, spans: [] }
      days.push(d)
    }
    d.spans.push({ text: format.formatClock(b.starts_at) + '–' + format.formatClock(b.ends_at), closed: b.state === 'closed' })
  })
  return days
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_rooms',
  data: {
    status: 'loading', // loading | ok | empty | error
    message: '',
    unitName: '',
    rooms: [] // {id, name, kind, capacity, facilities, accessibility, hours, photos, days}
  },

  onLoad: function (query) {
    this.unitId = Number(query && query.unit_id)
    // From 我的团队 → 预约场地: the team to book for, handed on to pages/roombook.
    this.teamId = Number(query && query.team_id) || 0
    const name = query && query.name ? decodeURIComponent(query.name) : ''
    this.setData({ unitName: name })
    this.load()
  },

  onShow: function () {
    // after the display helper set the plain title: name the venue too
    if (this.data.unitName) wx.setNavigationBarTitle({ title: this.data.unitName + ' · ' + i18n.t('nav_rooms') })
  },

  onLanguage: function () {
    if (this.data.status === 'ok') this.load()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  load: function () {
    const self = this
    if (!this.unitId) {
      this.setData({ status: 'error', message: i18n.t('rm_no_unit') })
      return Promise.resolve()
    }
    return api.unitRoomsBusy(this.unitId, { weeks: 2 }, { showError: false }).then(function (res) {
      const rooms = (res.rooms || []).map(function (r) {
        const spans = (res.busy || []).filter(function (b) { return b.room_id === r.id })
        return {
          id: r.id,
          name: r.name,
          kind: r.kind,
          capacity: r.capacity,
          facilities: (r.facilities || []).join(i18n.t('rm_list_sep')),
          capacityText: i18n.t('rm_people', { n: r.capacity }),
          accessibility: r.accessibility,
          hours: hoursText(r.hours),
          // An uploaded photo is a path on the service; <image> needs the full address.
          photos: (r.photos || []).map(function (p) { return require('../../config').baseUrl + p.url }),
          days: busyDays(spans),
          // 预约: teams (their leader) where bookable; residents too where open to residents
          bookable: r.bookable_by !== 'none',
          bookText: i18n.t(r.bookable_by === 'residents' ? 'rm_book' : 'rm_book_team')
        }
      })
      self.setData({ status: rooms.length ? 'ok' : 'empty', message: rooms.length ? '' : i18n.t('rm_none'), rooms: rooms })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onBook: function (e) {
    wx.navigateTo({ url: '/pages/roombook/index?room_id=' + e.currentTarget.dataset.id + '&unit_id=' + this.unitId + (this.teamId ? '&team_id=' + this.teamId : '') })
  },

  onMine: function () {
    wx.navigateTo({ url: '/pages/roombookings/index' })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  }
}))
