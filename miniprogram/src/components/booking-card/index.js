// One of my bookings (a BookingView).
const i18n = require('../../utils/i18n')
const format = require('../../utils/format')

function view(b) {
  if (!b) return {}
  return {
    title: b.activity_title,
    time: format.formatRange(b.starts_at, b.is_course ? null : b.ends_at),
    place: b.unit_name + (b.room ? ' · ' + b.room : ''),
    attendee: b.attendee_name,
    status: format.statusText(b.status, b.waitlist_position, b.checked_in_at),
    tone: b.checked_in_at ? 'checked' : b.status,
    course: !!b.is_course
  }
}

Component({
  behaviors: i18n.behavior ? [i18n.behavior] : [],
  options: { styleIsolation: 'apply-shared' },
  properties: {
    booking: { type: Object, value: null }
  },
  data: { v: {} },
  observers: {
    booking: function (b) {
      this.setData({ v: view(b) })
    }
  },
  methods: {
    onTap: function () {
      const b = this.data.booking || {}
      this.triggerEvent('select', { id: b.id })
    }
  }
})
