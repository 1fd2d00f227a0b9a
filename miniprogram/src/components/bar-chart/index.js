// Horizontal bars drawn with plain views (no chart library): one row per item, the label and
// the value in words above a bar whose length is value / max.
//   items: [{key, label, value, max, text, tone: 'main' | 'good' | 'warn'}]
function rows(items) {
  return (items || []).map(function (it, i) {
    const max = Number(it.max) > 0 ? Number(it.max) : 0
    const value = Number(it.value) || 0
    const percent = max ? Math.max(0, Math.min(100, Math.round((value / max) * 100))) : 0
    return {
      key: it.key === undefined ? String(i) : String(it.key),
      label: it.label || '',
      text: it.text === undefined ? String(value) : it.text,
      percent: percent,
      tone: it.tone || 'main'
    }
  })
}

Component({
  options: { styleIsolation: 'apply-shared' },
  properties: {
    items: { type: Array, value: [] },
    emptyText: { type: String, value: '' }
  },
  data: { rows: [] },
  observers: {
    items: function (items) {
      this.setData({ rows: rows(items) })
    }
  },
  lifetimes: {
    attached: function () {
      this.setData({ rows: rows(this.data.items) })
    }
  }
})
