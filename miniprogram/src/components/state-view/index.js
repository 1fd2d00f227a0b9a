// Loading, empty and error states, the same on every page.
Component({
  options: { styleIsolation: 'apply-shared' },
  properties: {
    status: { type: String, value: 'loading' }, // loading | empty | error | ok
    message: { type: String, value: '' },
    actionText: { type: String, value: '' }
  },
  methods: {
    onAction: function () {
      this.triggerEvent('action', {})
    }
  }
})
