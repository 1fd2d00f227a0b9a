// Subscribe messages (订阅消息). WeChat only shows the request from a tap, so this is called
// from the confirm button of the “预约成功” modal, right after a successful booking. At most
// three templates per request. Accepted kinds are reported to POST /me/subscriptions — one
// accept allows the server one message of that kind.
const config = require('../config')
const api = require('../api/index')

// What is worth hearing about after each kind of booking.
function kindsAfterBooking(status) {
  if (status === 'waitlisted') return ['waitlist_promoted', 'session_reminder', 'activity_changed']
  if (status === 'entered') return ['lottery_result', 'session_reminder', 'activity_changed']
  return ['booking_confirmed', 'session_reminder', 'activity_changed']
}

function request(kinds) {
  const list = kinds
    .filter(function (k) {
      return !!config.subscribeTemplates[k]
    })
    .slice(0, 3)
  const tmplIds = list.map(function (k) {
    return config.subscribeTemplates[k]
  })
  return new Promise(function (resolve) {
    if (!tmplIds.length || typeof wx.requestSubscribeMessage !== 'function') {
      resolve([])
      return
    }
    wx.requestSubscribeMessage({
      tmplIds: tmplIds,
      success: function (res) {
        const accepted = list.filter(function (k) {
          const v = res[config.subscribeTemplates[k]]
          return v === 'accept' || v === 'acceptWithAudio'
        })
        if (!accepted.length) {
          resolve([])
          return
        }
        api
          .recordSubscriptions(accepted, { showError: false })
          .then(function () {
            wx.showToast({ title: '已开启提醒', icon: 'success' })
            resolve(accepted)
          })
          .catch(function () {
            resolve([])
          })
      },
      fail: function () {
        // switched off in settings, or cannot show now: booking is done all the same
        resolve([])
      }
    })
  })
}

module.exports = { kindsAfterBooking, request }
