// 扫码签到 for one session (?session_id=…&title=…&starts_at=…&ends_at=…&unit=…).
//
// wx.scanCode → POST /checkin/scan {session_id, token, nonce}: a fresh nonce per scan, the
// same nonce when the request is repeated (automatic retry, the 重试 button, and the offline
// queue), so the server never admits one scan twice. The answer fills the screen
// (components/scan-result). Undo is offered for 15 minutes after an admission.
//
// Weak signal: 下载离线名单 keeps the session's list (ticket hashes, masked names) until its
// expires_at. When a scan cannot reach the server, the ticket is checked against the list
// (utils/offline-checkin.js), shown as 离线核验, and queued; the queue syncs on page show,
// when WeChat reports the network back, and with 立即同步. Conflicts found by sync are listed.
const api = require('../../api/index')
const request = require('../../utils/request')
const format = require('../../utils/format')
const config = require('../../config')
const offline = require('../../utils/offline-checkin')
const scanView = require('../../utils/scan-view')

Page({
  data: {
    sessionId: 0,
    title: '',
    when: '',
    place: '',
    statsStatus: 'loading', // loading | ok | error
    statsMessage: '',
    stats: null, // {booked, admitted, walk_ins, open_conflicts, capacity}
    list: null, // {count, until}
    pendingCount: 0,
    issues: [],
    syncing: false,
    showResult: false,
    view: null,
    counts: null,
    undoable: false,
    headInput: '',
    walkIns: null
  },

  onLoad: function (query) {
    const self = this
    const sessionId = Number(query.session_id)
    this.setData({
      sessionId: sessionId,
      title: query.title ? decodeURIComponent(query.title) : '',
      when: query.starts_at ? format.formatRange(decodeURIComponent(query.starts_at), query.ends_at ? decodeURIComponent(query.ends_at) : '') : '',
      place: query.unit ? decodeURIComponent(query.unit) : ''
    })
    if (!sessionId) {
      this.setData({ statsStatus: 'error', statsMessage: '缺少场次信息，请从“我的志愿服务”或“今日场次”进入' })
      return
    }
    this.onNetwork = function (res) {
      if (res && res.isConnected) self.syncNow(true)
    }
    wx.onNetworkStatusChange(this.onNetwork)
    this.unsubscribe = offline.subscribe(function () {
      self.showLocal()
    })
    offline.purge()
    this.showLocal()
    this.loadStats()
    this.syncNow(true)
  },

  onShow: function () {
    // the phone stays awake at the door
    if (wx.setKeepScreenOn) wx.setKeepScreenOn({ keepScreenOn: true })
    if (this.shownOnce && this.data.sessionId) {
      this.showLocal()
      this.loadStats()
      this.syncNow(true)
    }
    this.shownOnce = true
  },

  onHide: function () {
    if (wx.setKeepScreenOn) wx.setKeepScreenOn({ keepScreenOn: false })
  },

  onUnload: function () {
    if (wx.setKeepScreenOn) wx.setKeepScreenOn({ keepScreenOn: false })
    if (this.onNetwork && wx.offNetworkStatusChange) wx.offNetworkStatusChange(this.onNetwork)
    if (this.unsubscribe) this.unsubscribe()
    if (this.undoTimer) clearTimeout(this.undoTimer)
  },

  onPullDownRefresh: function () {
    const self = this
    return Promise.all([this.loadStats(), this.syncNow(true)]).then(function () {
      self.showLocal()
      wx.stopPullDownRefresh()
    })
  },

  // Everything kept on the phone: the list, the queue, the issues sync reported.
  showLocal: function () {
    const sid = this.data.sessionId
    const l = offline.list(sid)
    const data = {
      list: l ? { count: l.entries.length, until: format.formatDateTime(l.expires_at) } : null,
      pendingCount: offline.pending(sid).length,
      syncing: offline.syncing(),
      issues: offline.issues(sid).map(function (x) {
        return {
          key: x.nonce,
          holder: x.holder_masked || '居民',
          message: x.message || '',
          conflict: x.result === 'conflict',
          when: '离线核验于 ' + format.formatClock(x.scanned_at)
        }
      })
    }
    if (l && !this.data.title) {
      data.title = l.title
      data.when = format.formatRange(l.starts_at, l.ends_at)
    }
    this.setData(data)
  },

  loadStats: function () {
    const self = this
    if (!this.data.stats) this.setData({ statsStatus: 'loading' })
    return api.checkinStats(this.data.sessionId, { showError: false }).then(function (s) {
      self.setData({ stats: s, statsStatus: 'ok', walkIns: s.walk_ins })
    }, function (err) {
      if (self.data.stats) return // keep the last counts
      self.setData({
        statsStatus: 'error',
        statsMessage: err.code === 'network' ? '网络不畅，人数暂时看不到。仍可扫码；下载过离线名单的，会按名单核验。' : err.message
      })
    })
  },

  // --- scanning ---------------------------------------------------------------------------------

  onScan: function () {
    const self = this
    wx.scanCode({
      onlyFromCamera: true,
      scanType: ['qrCode'],
      success: function (res) {
        if (res && res.result) self.verify(res.result, request.newIdempotencyKey())
      },
      fail: function () {
        // cancelled, or the camera is not allowed: nothing to show
      }
    })
  },

  // One scan: online first; the same nonce is used for every repeat of it.
  verify: function (token, nonce) {
    const self = this
    if (this.busy) return Promise.resolve()
    this.busy = true
    this.current = { token: token, nonce: nonce }
    return api
      .checkinScan({ session_id: this.data.sessionId, token: token, nonce: nonce }, { loading: '正在核验…', showError: false, timeout: config.scanTimeout })
      .then(function (a) {
        self.busy = false
        self.showAnswer(a, token)
        if (offline.pending(self.data.sessionId).length) self.syncNow(true)
      }, function (err) {
        self.busy = false
        if (err.code === 'network') self.checkOffline(token, nonce)
        else self.showView(scanView.fromError(err), null)
      })
  },

  showAnswer: function (a, token) {
    const now = Date.now()
    if (a.result === 'admitted' || a.result === 'already_admitted') {
      offline.markSeen(this.data.sessionId, token, a.admitted_at || new Date(now).toISOString(), a.holder_masked)
    }
    const view = scanView.fromAnswer(a, now, config.undoMinutes)
    const counts = { admitted: a.admitted_count, booked: a.booked_count }
    if (this.data.stats) {
      this.setData({ 'stats.admitted': a.admitted_count, 'stats.booked': a.booked_count })
    }
    this.showView(view, counts)
  },

  checkOffline: function (token, nonce) {
    const verdict = offline.checkOffline(this.data.sessionId, token, nonce)
    this.showLocal()
    this.showView(scanView.fromOffline(verdict), null)
  },

  showView: function (view, counts) {
    const self = this
    if (this.undoTimer) clearTimeout(this.undoTimer)
    const undoable = !!(view.canUndo && view.undoUntil > Date.now())
    this.setData({ view: view, counts: counts, undoable: undoable, showResult: true })
    if (undoable) {
      this.undoTimer = setTimeout(function () {
        self.setData({ undoable: false })
      }, view.undoUntil - Date.now())
    }
    if (view.tone !== 'green' && wx.vibrateLong) wx.vibrateLong({})
  },

  onResultNext: function () {
    this.setData({ showResult: false })
    this.onScan()
  },

  onResultClose: function () {
    this.setData({ showResult: false })
  },

  onResultRetry: function () {
    if (!this.current) return
    this.setData({ showResult: false })
    this.verify(this.current.token, this.current.nonce)
  },

  onResultUndo: function () {
    const self = this
    const view = this.data.view
    if (!view || !view.checkinId || view.undoUntil <= Date.now()) {
      this.setData({ undoable: false })
      wx.showToast({ title: '已超过 ' + config.undoMinutes + ' 分钟，请联系工作人员更正', icon: 'none' })
      return
    }
    wx.showModal({
      title: '撤销这次入场',
      editable: true,
      placeholderText: '撤销原因，例如：扫错了票',
      confirmText: '撤销',
      success: function (res) {
        if (!res.confirm) return
        const reason = (res.content || '').trim()
        if (!reason) {
          wx.showToast({ title: '请填写撤销原因', icon: 'none' })
          return
        }
        api.checkinUndo(view.checkinId, reason, { loading: '正在撤销…', showError: 'modal' }).then(function () {
          self.setData({ showResult: false, undoable: false })
          wx.showToast({ title: '已撤销', icon: 'success' })
          self.loadStats()
        }, function () {})
      }
    })
  },

  // --- offline list and sync --------------------------------------------------------------------

  onDownload: function () {
    const self = this
    offline.download(this.data.sessionId, { loading: '正在下载名单…', showError: 'modal' }).then(function (l) {
      self.showLocal()
      wx.showToast({ title: '已下载 ' + l.entries.length + ' 人', icon: 'none' })
    }, function () {})
  },

  // quiet: automatic (page show, network back) — tell only what changed.
  syncNow: function (quiet) {
    const self = this
    if (!offline.pending(this.data.sessionId).length && quiet) return Promise.resolve(null)
    this.setData({ syncing: true })
    return offline.sync().then(function (r) {
      self.showLocal()
      if (r.issues.length) {
        wx.showModal({
          title: '同步完成',
          content: (r.synced ? '已同步 ' + r.synced + ' 条。' : '') + r.issues.length + ' 条需要工作人员核对，见“同步发现的问题”。',
          showCancel: false,
          confirmText: '知道了'
        })
      } else if (r.synced) {
        wx.showToast({ title: '离线签到已同步 ' + r.synced + ' 条', icon: 'none' })
      } else if (r.error && !quiet) {
        wx.showToast({ title: '网络不畅，稍后会自动同步', icon: 'none' })
      }
      if (r.synced || r.issues.length) self.loadStats()
      return r
    })
  },

  onSync: function () {
    this.syncNow(false)
  },

  onClearIssues: function () {
    const self = this
    wx.showModal({
      title: '清除记录',
      content: '这些问题已告知工作人员了吗？清除后本机不再显示。',
      confirmText: '清除',
      success: function (res) {
        if (!res.confirm) return
        offline.clearIssues(self.data.sessionId)
        self.showLocal()
      }
    })
  },

  // --- head count (walk-in events) --------------------------------------------------------------

  onHeadInput: function (e) {
    this.headNonce = null // a new number is a new entry
    this.setData({ headInput: e.detail.value })
  },

  onHeadSubmit: function () {
    const self = this
    const count = parseInt(this.data.headInput, 10)
    if (!(count >= 1 && count <= 10000)) {
      wx.showToast({ title: '请填写 1 到 10000 之间的人数', icon: 'none' })
      return
    }
    if (!this.headNonce) this.headNonce = request.newIdempotencyKey()
    api.headcount(this.data.sessionId, count, this.headNonce, { loading: '正在登记…', showError: 'modal' }).then(function (r) {
      self.headNonce = null
      self.setData({ walkIns: r.walk_ins, headInput: '' })
      if (self.data.stats) self.setData({ 'stats.walk_ins': r.walk_ins })
      wx.showToast({ title: '已登记 ' + count + ' 人', icon: 'none' })
    }, function () {})
  },

  onStateAction: function () {
    this.loadStats()
  }
})
