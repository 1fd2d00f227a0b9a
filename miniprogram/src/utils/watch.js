// Opens what utils/online decided: a web-view page, a Channels live or video. The only place
// that calls the Channels APIs (base library 2.15+; the Channels account must be the
// mini-program's own subject or an associated one, docs/online.md).
const i18n = require('./i18n')

function open(act, onDetail) {
  if (act.kind === 'web') {
    wx.navigateTo({ url: '/pages/online/web?url=' + encodeURIComponent(act.url) })
  } else if (act.kind === 'channels_live') {
    wx.getChannelsLiveInfo({
      finderUserName: act.finderUserName,
      success: function (info) {
        // status 2: live now; otherwise Channels has nothing to open yet.
        if (info.status !== 2) {
          wx.showToast({ title: i18n.t('ol_not_live'), icon: 'none' })
          return
        }
        wx.openChannelsLive({
          finderUserName: act.finderUserName,
          feedId: info.feedId,
          nonceId: info.nonceId,
          fail: function () { wx.showToast({ title: i18n.t('ol_open_failed'), icon: 'none' }) }
        })
      },
      fail: function () { wx.showToast({ title: i18n.t('ol_open_failed'), icon: 'none' }) }
    })
  } else if (act.kind === 'channels_video') {
    wx.openChannelsActivity({
      finderUserName: act.finderUserName,
      feedId: act.feedId,
      fail: function () { wx.showToast({ title: i18n.t('ol_open_failed'), icon: 'none' }) }
    })
  } else if (onDetail) {
    onDetail(act)
  }
}

module.exports = { open: open }
