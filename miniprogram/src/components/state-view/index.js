// Loading, empty and error states, the same on every page.
const i18n = require('../../utils/i18n')

Component({
  behaviors: i18n.behavior ? [i18n.behavior] : [],
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
