// A live page, replay or library resource on one of the mini-program's business domains, in a
// web-view (the service only accepts such links, D231). ?url= is encoded.
const display = require('../../utils/display')

Page(display.page({
  navTitleKey: 'nav_web',
  data: { url: '' },

  onLoad: function (query) {
    const url = query && query.url ? decodeURIComponent(query.url) : ''
    // Only https: anything else would not open in a web-view anyway.
    this.setData({ url: /^https:\/\//.test(url) ? url : '' })
  }
}))
