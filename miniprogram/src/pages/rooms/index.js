// 场地: a venue's rooms (kind, capacity, facilities, accessibility, opening hours, photos) and
// when each is taken in the coming two weeks (GET …/rooms/busy: only busy or closed, never
// what or who). Reached from the venue card with ?unit_id=&name=.
const api = require('../../api/index')
const format = require('../../utils/format')
const display = require('../../utils/display')

const WEEKDAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日']

function hoursText(hours) {
  if (!hours || !hours.length) return '暂不开放'
  return hours.map(function (h) { return WEEKDAYS[h.weekday - 1] + ' ' + h.opens + '-' + h.closes }).join('，')
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
  data: {
    status: 'loading', // loading | ok | empty | error
    message: '',
    unitName: '',
    rooms: [] // {id, name, kind, capacity, facilities, accessibility, hours, photos, days}
  },

  onLoad: function (query) {
    this.unitId = Number(query && query.unit_id)
    const name = query && query.name ? decodeURIComponent(query.name) : ''
    this.setData({ unitName: name })
    if (name) wx.setNavigationBarTitle({ title: name + ' · 场地' })
    this.load()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  load: function () {
    const self = this
    if (!this.unitId) {
      this.setData({ status: 'error', message: '没有指定场馆' })
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
          facilities: (r.facilities || []).join('、'),
          accessibility: r.accessibility,
          hours: hoursText(r.hours),
          // An uploaded photo is a path on the service; <image> needs the full address.
          photos: (r.photos || []).map(function (p) { return require('../../config').baseUrl + p.url }),
          days: busyDays(spans)
        }
      })
      self.setData({ status: rooms.length ? 'ok' : 'empty', message: rooms.length ? '' : '该场馆暂未登记场地', rooms: rooms })
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  }
}))
