// 我的志愿服务: where I serve today and in the coming days (each with 扫码签到), my service
// hours, and offline check-ins still waiting to be synced. Someone without the role can apply
// to a branch or service point here (POST /volunteers/applications).
const api = require('../../api/index')
const request = require('../../utils/request')
const session = require('../../utils/session')
const format = require('../../utils/format')
const roles = require('../../utils/roles')
const offline = require('../../utils/offline-checkin')
const display = require('../../utils/display')

function scanUrl(s) {
  return '/pages/volunteer/scan?session_id=' + s.sessionId +
    '&title=' + encodeURIComponent(s.title || '') +
    '&starts_at=' + encodeURIComponent(s.startsAt || '') +
    '&ends_at=' + encodeURIComponent(s.endsAt || '') +
    '&unit=' + encodeURIComponent(s.unitName || '')
}

function dayLabel(day, today) {
  if (day === today) return '今天'
  if (day === format.addDays(today, 1)) return '明天'
  return format.formatDate(day + 'T04:00:00Z')
}

// Assignments → {today: [...], later: [...]}; a day assignment covers every session at its
// unit that day; past ones are left out.
function group(assignments, today) {
  const out = { today: [], later: [] }
  ;(assignments || []).forEach(function (a) {
    const day = a.session_id ? format.chinaDate(a.starts_at) : a.day
    if (!day || day < today) return
    const v = {
      id: a.id,
      kind: a.session_id ? 'session' : 'day',
      sessionId: a.session_id || null,
      title: a.session_id ? a.title || '活动' : a.unit_name + '全天值守',
      unitId: a.unit_id,
      unitName: a.unit_name,
      day: day,
      dayLabel: dayLabel(day, today),
      startsAt: a.starts_at || '',
      endsAt: a.ends_at || '',
      when: a.session_id ? format.formatRange(a.starts_at, a.ends_at) : dayLabel(day, today) + ' 全天'
    }
    v.url = v.kind === 'session' ? scanUrl(v) : ''
    if (day === today) out.today.push(v)
    else out.later.push(v)
  })
  return out
}

function hoursView(h) {
  if (!h) return { total: '0', records: [] }
  return {
    total: String(Math.round((h.total_hours || 0) * 10) / 10),
    records: (h.records || []).map(function (r) {
      return {
        key: r.assignment_id,
        title: r.title,
        day: r.day ? dayLabelPlain(r.day) : '',
        unit: r.unit_name,
        text: r.minutes > 0 ? (Math.round((r.minutes / 60) * 10) / 10) + ' 小时' : r.scans > 0 ? '活动结束后计入' : '未开始'
      }
    })
  }
}

function dayLabelPlain(day) {
  return format.formatDate(day + 'T04:00:00Z')
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    signedIn: false,
    status: 'loading', // loading | ok | empty | error
    message: '',
    isVolunteer: false,
    today: [],
    later: [],
    hours: { total: '0', records: [] },
    pendingCount: 0,
    syncing: false,
    days: {}, // assignment id → {status, sessions}
    // applying
    units: [],
    unitIndex: 0,
    note: '',
    applied: false,
    applyError: ''
  },

  onLoad: function () {
    const self = this
    this.unsubscribe = offline.subscribe(function () {
      self.showPending()
    })
    this.refresh()
  },

  onShow: function () {
    if (this.shownOnce) this.refresh()
    this.shownOnce = true
  },

  onUnload: function () {
    if (this.unsubscribe) this.unsubscribe()
  },

  onPullDownRefresh: function () {
    return this.refresh().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  refresh: function () {
    const signedIn = session.isSignedIn()
    this.setData({ signedIn: signedIn })
    this.showPending()
    if (!signedIn) {
      this.setData({ status: 'empty', message: '登录后查看您的志愿服务安排和服务时长' })
      return Promise.resolve()
    }
    if (offline.queue().length) this.onSync()
    return this.load()
  },

  load: function () {
    const self = this
    if (this.data.status !== 'ok') this.setData({ status: 'loading' })
    return api.me({ showError: false }).then(function (me) {
      session.setUser(me)
      const isVolunteer = roles.isVolunteer(me.roles)
      self.setData({ isVolunteer: isVolunteer })
      if (!isVolunteer) {
        self.setData({ status: 'ok' })
        return self.loadUnits()
      }
      return api.myVolunteering({ showError: false }).then(function (v) {
        const g = group(v.assignments, format.chinaDate())
        self.setData({ today: g.today, later: g.later, hours: hoursView(v.hours), status: 'ok' })
        self.markLists()
        // with a signal, today's offline lists download by themselves
        return offline.prepareToday({ force: true, assignments: v.assignments }).then(function () {
          self.markLists()
        })
      })
    }).catch(function (err) {
      self.setData({ status: 'error', message: err.message, signedIn: session.isSignedIn() })
    })
  },

  // “离线名单已下载（N 人）” under each of today's sessions whose list is on the phone
  markLists: function () {
    const patch = {}
    this.data.today.forEach(function (a, i) {
      if (a.kind !== 'session') return
      const l = offline.list(a.sessionId)
      patch['today[' + i + '].listText'] = l ? '离线名单已下载（' + l.entries.length + ' 人），没有信号也能核验' : ''
    })
    if (Object.keys(patch).length) this.setData(patch)
  },

  showPending: function () {
    this.setData({ pendingCount: offline.queue().length, syncing: offline.syncing() })
  },

  onSignIn: function () {
    const self = this
    api.signIn().then(function () {
      self.refresh()
    }, function (err) {
      request.showError(err)
    })
  },

  onStateAction: function () {
    if (!session.isSignedIn()) this.onSignIn()
    else this.load()
  },

  onOpportunities: function () {
    wx.navigateTo({ url: '/pages/volunteer/shifts' })
  },

  onMyShifts: function () {
    wx.navigateTo({ url: '/pages/volunteer/shifts?tab=mine' })
  },

  onVTeams: function () {
    wx.navigateTo({ url: '/pages/volunteer/teams' })
  },

  onScan: function (e) {
    wx.navigateTo({ url: e.currentTarget.dataset.url })
  },

  // A day assignment: the sessions at that unit on that day (public browse list).
  onDay: function (e) {
    const self = this
    const id = Number(e.currentTarget.dataset.id)
    const a = this.data.today.concat(this.data.later).filter(function (x) {
      return x.id === id
    })[0]
    if (!a) return
    if (this.data.days[id] && this.data.days[id].status === 'ok') {
      this.setData({ ['days.' + id]: null })
      return
    }
    this.setData({ ['days.' + id]: { status: 'loading', sessions: [] } })
    api.activities({ unit_id: a.unitId, date_from: a.day, date_to: a.day, page_size: 50 }, { showError: false }).then(function (res) {
      const sessions = (res.items || []).map(function (it) {
        const s = { sessionId: it.session_id, title: it.title, startsAt: it.starts_at, endsAt: it.ends_at, unitName: it.unit_name, when: format.formatRange(it.starts_at, it.ends_at) }
        s.url = scanUrl(s)
        return s
      })
      self.setData({ ['days.' + id]: { status: sessions.length ? 'ok' : 'empty', sessions: sessions } })
    }, function (err) {
      self.setData({ ['days.' + id]: { status: 'error', sessions: [], message: err.message } })
    })
  },

  onSync: function () {
    const self = this
    this.setData({ syncing: true })
    return offline.sync().then(function (r) {
      self.showPending()
      if (r.synced) wx.showToast({ title: '已同步 ' + r.synced + ' 条', icon: 'none' })
      if (r.issues.length) {
        wx.showModal({
          title: '同步完成',
          content: r.issues.length + ' 条离线签到需要工作人员核对，详情在该场次的扫码页。',
          showCancel: false,
          confirmText: '知道了'
        })
      }
      return r
    })
  },

  // --- applying to volunteer -----------------------------------------------------------------

  loadUnits: function () {
    const self = this
    if (this.data.units.length) return Promise.resolve()
    return api.orgTree({ showError: false }).then(function (roots) {
      const units = []
      const walk = function (node, prefix) {
        const u = node.unit
        if (u.level !== 'main') units.push({ id: u.id, label: prefix ? prefix + ' · ' + u.short_name : u.short_name })
        ;(node.children || []).forEach(function (c) {
          walk(c, u.level === 'main' ? '' : u.short_name)
        })
      }
      ;(roots || []).forEach(function (r) {
        walk(r, '')
      })
      self.setData({ units: units })
    }, function () {})
  },

  onUnit: function (e) {
    this.setData({ unitIndex: Number(e.detail.value) || 0 })
  },

  onNote: function (e) {
    this.setData({ note: e.detail.value })
  },

  onApply: function () {
    const self = this
    const unit = this.data.units[this.data.unitIndex]
    if (!unit) {
      this.setData({ applyError: '请选择想服务的分馆或服务点' })
      return
    }
    api.volunteerApply(unit.id, (this.data.note || '').trim(), { loading: '正在提交…', showError: false }).then(function () {
      self.setData({ applied: true, applyError: '' })
    }, function (err) {
      if (err.code === 'already_applied') self.setData({ applied: true, applyError: '' })
      else self.setData({ applyError: err.message })
    })
  }
}))
