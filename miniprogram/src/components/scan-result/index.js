// The one-glance answer after a scan: the whole screen in one colour (green 通过, amber 注意,
// red 不能入场), one big word and one line, readable at arm's length. The page builds `view`
// with utils/scan-view.js and decides whether undo is still allowed.
Component({
  options: { styleIsolation: 'apply-shared' },
  properties: {
    show: { type: Boolean, value: false },
    view: { type: Object, value: null }, // {tone, title, detail, lines, tags, offline, canRetry}
    counts: { type: Object, value: null }, // {admitted, booked}
    undoable: { type: Boolean, value: false }
  },
  methods: {
    onNext: function () {
      this.triggerEvent('next', {})
    },
    onRetry: function () {
      this.triggerEvent('retry', {})
    },
    onUndo: function () {
      this.triggerEvent('undo', { checkinId: this.data.view && this.data.view.checkinId })
    },
    onClose: function () {
      this.triggerEvent('close', {})
    },
    noop: function () {}
  }
})
