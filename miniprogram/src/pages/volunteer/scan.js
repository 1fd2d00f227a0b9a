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
//
// Every answer is told three ways (utils/outcome.js): colours that differ in lightness, a large
// ✓ / ! / ✗, and a vibration pattern of its own — plus an optional sound (提示音, kept on the phone).
//
// Staff (not volunteers: the server refuses them) also get, for a resident without a phone or
// with a flat battery, 查找居民 by name + last 4 phone digits (GET …/checkin/lookup) and 人工核验
// (POST …/checkin/manual); and the session's offline-sync conflicts (GET …/checkin/conflicts),
// each marked handled with what was found (POST /checkin/conflicts/{id}/resolve).
const api = require('../../api/index')
const request = require('../../utils/request')
const format = require('../../utils/format')
const config = require('../../config')
const offline = require('../../utils/offline-checkin')
const scanView = require('../../utils/scan-view')
const outcome = require('../../utils/outcome')
const storage = require('../../utils/storage')
const session = require('../../utils/session')
const roles = require('../../utils/roles')
const ui = require('../../utils/ui')
const display = require('../../utils/display')

const SOUND_KEY = 'ch_scan_sound' // the 提示音 switch (not personal data)
const BOOKING_STATUS = { confirmed: '已预约', waitlisted: '候补中', entered: '摇号中', cancelled: '已取消' }

function hitView(h) {
  return {
    bookingId: h.booking_id,
    holder: h.holder_masked,
    phone: h.phone_masked || '',
    status: BOOKING_STATUS[h.status] || h.status,
    admissible: h.status === 'confirmed' && !h.checked_in,
    checkedIn: !!h.checked_in
  }
}

function conflictView(c) {
  return {
    id: c.id,
    holder: c.holder_masked,
    first: format.formatClock(c.first_admitted_at),
    second: format.formatClock(c.second_scanned_at),
    resolved: !!c.resolved_at,
    resolution: c.resolution || ''
  }
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
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
    walkIns: null,
    sound: false,
    // staff only
    isStaff: false,
    lookupName: '',
    lookupLast4: '',
    lookupError: '',
    hits: null, // [hitView] after a search
    conflicts: [], // open ones
    resolvedCount: 0
  },

  onLoad: function (query) {
    const self = this
    const sessionId = Number(query.session_id)
    this.setData({
      sessionId: sessionId,
      title: query.title ? decodeURIComponent(query.title) : '',
      when: query.starts_at ? format.formatRange(decodeURIComponent(query.starts_at), query.ends_at ? decodeURIComponent(query.ends_at) : '') : '',
      place: query.unit ? decodeURIComponent(query.unit) : '',
      sound: storage.get(SOUND_KEY, false) === true,
      isStaff: roles.hasAny((session.user() || {}).roles, roles.MANAGE)
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
    this.loadConflicts()
    this.syncNow(true)
  },

  onShow: function () {
    // the phone stays awake at the door
    if (wx.setKeepScreenOn) wx.setKeepScreenOn({ keepScreenOn: true })
    if (this.shownOnce && this.data.sessionId) {
      this.showLocal()
      this.loadStats()
      this.loadConflicts()
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
    if (this.stopVibration) this.stopVibration()
  },

  onPullDownRefresh: function () {
    const self = this
    return Promise.all([this.loadStats(), this.syncNow(true), this.loadConflicts()]).then(function () {
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
    view = Object.assign({}, view, { symbol: outcome.symbol(view.tone) })
    this.setData({ view: view, counts: counts, undoable: undoable, showResult: true })
    if (undoable) {
      this.undoTimer = setTimeout(function () {
        self.setData({ undoable: false })
      }, view.undoUntil - Date.now())
    }
    if (this.stopVibration) this.stopVibration()
    this.stopVibration = outcome.vibrate(view.tone)
    if (this.data.sound) outcome.play(view.tone)
  },

  onSoundChange: function (e) {
    const on = !!e.detail.value
    storage.set(SOUND_KEY, on)
    this.setData({ sound: on })
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
  },

  // --- staff: a resident without a phone ----------------------------------------------------------

  onLookupName: function (e) {
    this.setData({ lookupName: e.detail.value, lookupError: '' })
  },

  onLookupLast4: function (e) {
    this.setData({ lookupLast4: e.detail.value, lookupError: '' })
  },

  onLookup: function () {
    const self = this
    const name = this.data.lookupName.trim()
    const last4 = this.data.lookupLast4.trim()
    if (!name) {
      this.setData({ lookupError: '请填写居民的姓名（与预约时的称呼或家庭成员姓名一致）' })
      return Promise.resolve()
    }
    if (!/^\d{4}$/.test(last4)) {
      this.setData({ lookupError: '请填写居民账号绑定手机号的后 4 位数字' })
      return Promise.resolve()
    }
    return api.checkinLookup(this.data.sessionId, name, last4, { loading: '正在查找…', showError: false }).then(function (r) {
      self.setData({ hits: (r.items || []).map(hitView), lookupError: '' })
    }, function (err) {
      self.setData({ hits: null, lookupError: err.message })
    })
  },

  onManual: async function (e) {
    const i = Number(e.currentTarget.dataset.index)
    const h = (this.data.hits || [])[i]
    if (!h || this.busy) return
    const ok = await ui.confirm({
      title: '人工核验',
      content: '确认让 ' + h.holder + (h.phone ? '（' + h.phone + '）' : '') + ' 入场？已核对姓名和手机号后 4 位。',
      confirmText: '确认入场',
      cancelText: '取消'
    })
    if (!ok) return
    this.busy = true
    let a
    try {
      a = await api.checkinManual(this.data.sessionId, h.bookingId, { loading: '正在核验…', showError: 'modal' })
    } catch (err) {
      return
    } finally {
      this.busy = false
    }
    this.setData({ ['hits[' + i + '].checkedIn']: a.result === 'admitted' || a.result === 'already_admitted', ['hits[' + i + '].admissible']: false })
    if (this.data.stats) this.setData({ 'stats.admitted': a.admitted_count, 'stats.booked': a.booked_count })
    this.showView(scanView.fromAnswer(a, Date.now(), config.undoMinutes), { admitted: a.admitted_count, booked: a.booked_count })
  },

  // --- staff: offline-sync conflicts ------------------------------------------------------------

  loadConflicts: function () {
    const self = this
    if (!this.data.isStaff || !this.data.sessionId) return Promise.resolve()
    return api.checkinConflicts(this.data.sessionId, { showError: false }).then(function (r) {
      const all = (r.items || []).map(conflictView)
      self.setData({
        conflicts: all.filter(function (c) {
          return !c.resolved
        }),
        resolvedCount: all.filter(function (c) {
          return c.resolved
        }).length
      })
    }, function () {
      // a volunteer's role elsewhere, or no signal: the count in 今日人数 still shows
    })
  },

  onResolve: function (e) {
    const self = this
    const c = this.data.conflicts[Number(e.currentTarget.dataset.index)]
    if (!c) return
    wx.showModal({
      title: '处理冲突：' + c.holder,
      editable: true,
      placeholderText: '核实结果，例如：同一人重复扫码',
      confirmText: '标记处理',
      cancelText: '取消',
      success: function (res) {
        if (!res.confirm) return
        const text = (res.content || '').trim()
        if (!text) {
          wx.showToast({ title: '请写明核实结果', icon: 'none' })
          return
        }
        api.checkinConflictResolve(c.id, text.slice(0, 200), { loading: '正在保存…', showError: 'modal' }).then(function () {
          wx.showToast({ title: '已处理', icon: 'success' })
          self.loadConflicts()
          self.loadStats()
        }, function (err) {
          if (err.code === 'already_resolved') self.loadConflicts()
        })
      }
    })
  }
}))
