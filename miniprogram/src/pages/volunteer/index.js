// 志愿者签到核验 — entrance placeholder.
// WAITING FOR ENDPOINT: POST /api/v1/checkin/scan {session_id, token, nonce} → {result,
// message, colour: green | amber | red, holder_masked, …}. The scan flow below is wired to
// that contract and stays off (config.features.checkin) until the volunteer screens are built
// (session choice, offline list, undo).
const api = require('../../api/index')
const request = require('../../utils/request')
const session = require('../../utils/session')
const config = require('../../config')

const SCAN_ROLES = ['volunteer', 'point_coordinator', 'branch_staff', 'center_staff', 'center_admin']

Page({
  data: {
    signedIn: false,
    canScan: false,
    enabled: config.features.checkin,
    sessionId: '',
    result: null
  },

  onShow: function () {
    const u = session.user()
    const canScan = !!(u && (u.roles || []).some(function (r) {
      return SCAN_ROLES.indexOf(r.role) >= 0
    }))
    this.setData({ signedIn: session.isSignedIn(), canScan: canScan, enabled: config.features.checkin })
  },

  onSessionId: function (e) {
    this.setData({ sessionId: e.detail.value })
  },

  onScan: function () {
    const self = this
    if (!this.data.enabled) {
      wx.showModal({
        title: '即将开放',
        content: '扫码核验功能正在开发中，开放后志愿者可以在这里扫描居民的电子票签到。',
        showCancel: false,
        confirmText: '知道了'
      })
      return
    }
    const sessionId = Number(this.data.sessionId)
    if (!sessionId) {
      wx.showToast({ title: '请先填写场次编号', icon: 'none' })
      return
    }
    wx.scanCode({
      onlyFromCamera: true,
      scanType: ['qrCode'],
      success: function (res) {
        api
          .checkinScan(
            { session_id: sessionId, token: res.result, nonce: request.newIdempotencyKey() },
            { loading: '正在核验…', showError: 'modal' }
          )
          .then(function (r) {
            self.setData({ result: r })
          }, function () {})
      }
    })
  }
})
