// “为谁预约”: myself or one of my family members.
const format = require('../../utils/format')
const i18n = require('../../utils/i18n')

function rows(members, selected) {
  const list = [{ id: 0, name: i18n.t('ad_self'), note: '', selected: !selected }]
  ;(members || []).forEach(function (m) {
    list.push({
      id: m.id,
      name: m.name,
      note: format.relationText(m.relation) + ' · ' + i18n.t('age_years', { n: m.age }),
      selected: selected === m.id
    })
  })
  return list
}

Component({
  behaviors: i18n.behavior ? [i18n.behavior] : [],
  options: { styleIsolation: 'apply-shared' },
  properties: {
    members: { type: Array, value: [] },
    selectedId: { type: Number, value: 0 }
  },
  data: { rows: [] },
  observers: {
    'members, selectedId': function (members, selectedId) {
      this.setData({ rows: rows(members, selectedId) })
    }
  },
  methods: {
    onPick: function (e) {
      const id = Number(e.currentTarget.dataset.id) || 0
      this.triggerEvent('change', { id: id })
    },
    onAdd: function () {
      this.triggerEvent('add', {})
    }
  }
})
