// 我的消息: notices the staff of my sessions sent (教室变更、请带好材料…), newest first. The same
// notice also arrives as a WeChat subscribe message when I allowed 活动变更提醒; this list keeps
// them all. Opening the list marks them read (POST /me/messages/read).
const api = require('../../api/index')
const format = require('../../utils/format')
const display = require('../../utils/display')
const i18n = require('../../utils/i18n')

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  navTitleKey: 'nav_messages',
  data: {
    status: 'loading', // loading | ok | empty | error
    message: '',
    items: [] // {id, title, body, time, unread}
  },

  onLoad: function () {
    this.load()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  load: function () {
    const self = this
    return api.myMessages({ showError: false }).then(function (res) {
      const items = (res.items || []).map(function (m) {
        return { id: m.id, title: m.title, body: m.body, time: format.formatDateTime(m.created_at), unread: !m.read }
      })
      self.setData({ status: items.length ? 'ok' : 'empty', message: items.length ? '' : i18n.t('msg_empty'), items: items })
      if (res.unread) api.readMessages({ showError: false }).catch(function () {})
    }, function (err) {
      self.setData({ status: 'error', message: err.message })
    })
  },

  onStateAction: function () {
    this.setData({ status: 'loading' })
    this.load()
  }
}))
