// One upcoming session in a list (a BrowseItem of GET /activities).
const i18n = require('../../utils/i18n')
const format = require('../../utils/format')

function view(item) {
  if (!item) return {}
  return {
    title: item.title,
    kindLabel: item.kind_label,
    time: format.formatRange(item.starts_at, item.ends_at),
    place: item.unit_name,
    seats: format.seatsText(item),
    tone: format.seatsTone(item),
    course: !!item.is_course,
    mine: item.my_status ? format.statusText(item.my_status) : '',
    mineStatus: item.my_status || '',
    distance: format.distanceText(item.distance_m)
  }
}

Component({
  behaviors: i18n.behavior ? [i18n.behavior] : [],
  options: { styleIsolation: 'apply-shared' },
  properties: {
    item: { type: Object, value: null }
  },
  data: { v: {} },
  observers: {
    item: function (item) {
      this.setData({ v: view(item) })
    }
  },
  methods: {
    onTap: function () {
      const item = this.data.item || {}
      this.triggerEvent('select', { activityId: item.activity_id, sessionId: item.session_id })
    }
  }
})
