// 今日场次 (staff): today's sessions in my unit and the units below it, with live check-in
// counts (booked / admitted / walk-ins, refreshed every 30 s while on screen) and the roster.
// Sessions come from GET /manage/activities (published activities) and each candidate's
// GET /activities/{id}; counts from GET /sessions/{id}/checkin/stats; the roster from
// GET /sessions/{id}/bookings.
const api = require('../../api/index')
const format = require('../../utils/format')
const config = require('../../config')
const staff = require('../../utils/staff')

const MAX_DETAILS = 30
const LOOK_BACK_DAYS = 200 // a course that started this long ago may still have a lesson today

const ROSTER_STATUS = { confirmed: '已预约', waitlisted: '候补', entered: '已报名摇号', cancelled: '已取消' }

function chinaDayStart(day) {
  return Date.parse(day + 'T00:00:00+08:00')
}

function sessionView(a, s) {
  return {
    sessionId: s.id,
    activityId: a.id,
    title: a.title,
    startsAt: s.starts_at,
    endsAt: s.ends_at,
    time: format.formatClock(s.starts_at) + '–' + format.formatClock(s.ends_at),
    place: s.unit_name + (s.room ? ' · ' + s.room : ''),
    unitName: s.unit_name,
    walkIn: a.booking_mode === 'none',
    capacity: s.capacity,
    stats: null,
    roster: null,
    scanUrl: '/pages/volunteer/scan?session_id=' + s.id + '&title=' + encodeURIComponent(a.title) +
      '&starts_at=' + encodeURIComponent(s.starts_at) + '&ends_at=' + encodeURIComponent(s.ends_at) +
      '&unit=' + encodeURIComponent(s.unit_name)
  }
}

function rosterView(r) {
  return {
    booked: r.booked,
    waitlisted: r.waitlisted,
    checkedIn: r.checked_in,
    items: (r.items || []).map(function (x) {
      return {
        id: x.booking_id,
        name: x.name + (x.is_family_member ? '（家庭成员）' : ''),
        status: x.status === 'waitlisted' && x.waitlist_position ? '候补第 ' + x.waitlist_position + ' 位' : ROSTER_STATUS[x.status] || x.status,
        checked: !!x.checked_in_at,
        checkedText: x.checked_in_at ? '已签到 ' + format.formatClock(x.checked_in_at) : '未签到'
      }
    })
  }
}

Page({
  data: {
    unit: null,
    canScan: false,
    today: '',
    status: 'loading',
    message: '',
    sessions: [],
    updatedAt: ''
  },

  onLoad: function (query) {
    const unit = staff.unitFrom(query)
    if (!unit) {
      this.setData({ status: 'error', message: '没有可查看的单位，请从“工作人员”进入' })
      return
    }
    this.setData({ unit: unit, canScan: staff.mayUse('scan', unit.unitId), today: format.formatDate(Date.now()) })
    this.load()
  },

  onShow: function () {
    const self = this
    if (this.shownOnce && this.data.status === 'ok') this.refreshStats()
    this.shownOnce = true
    if (!this.timer) {
      this.timer = setInterval(function () {
        if (self.data.status === 'ok') self.refreshStats()
      }, config.liveRefreshMs)
    }
  },

  onHide: function () {
    this.stopTimer()
  },

  onUnload: function () {
    this.stopTimer()
  },

  stopTimer: function () {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  load: function () {
    const self = this
    if (!this.data.unit) return Promise.resolve()
    if (!this.data.sessions.length) this.setData({ status: 'loading' })
    const today = format.chinaDate()
    const end = chinaDayStart(format.addDays(today, 1))
    return api.manageActivities({ unit_id: this.data.unit.unitId, status: 'published' }, { showError: false })
      .then(function (res) {
        const candidates = (res.items || []).filter(function (a) {
          const t = Date.parse(a.first_start)
          return !isNaN(t) && t < end && t > end - LOOK_BACK_DAYS * 86400000
        }).slice(0, MAX_DETAILS)
        return Promise.all(candidates.map(function (a) {
          return api.activity(a.id, { showError: false }).catch(function () {
            return null
          })
        }))
      })
      .then(function (details) {
        const sessions = []
        details.forEach(function (d) {
          if (!d || !d.activity) return
          ;(d.activity.sessions || []).forEach(function (s) {
            if (s.status !== 'cancelled' && format.chinaDate(s.starts_at) === today) sessions.push(sessionView(d.activity, s))
          })
        })
        sessions.sort(function (a, b) {
          return Date.parse(a.startsAt) - Date.parse(b.startsAt)
        })
        self.setData({
          sessions: sessions,
          status: sessions.length ? 'ok' : 'empty',
          message: sessions.length ? '' : '今天没有活动'
        })
        return self.refreshStats()
      })
      .catch(function (err) {
        self.setData({ status: 'error', message: err.message })
      })
  },

  refreshStats: function () {
    const self = this
    const list = this.data.sessions
    return Promise.all(list.map(function (s) {
      return api.checkinStats(s.sessionId, { showError: false }).catch(function () {
        return null
      })
    })).then(function (all) {
      const patch = {}
      all.forEach(function (st, i) {
        if (st) patch['sessions[' + i + '].stats'] = st
      })
      patch.updatedAt = format.formatClock(Date.now())
      self.setData(patch)
    })
  },

  onRoster: function (e) {
    const self = this
    const i = Number(e.currentTarget.dataset.index)
    const s = this.data.sessions[i]
    if (!s) return
    if (s.roster) {
      this.setData({ ['sessions[' + i + '].roster']: null })
      return
    }
    return api.sessionRoster(s.sessionId, { loading: '正在加载名单…', showError: 'toast' }).then(function (r) {
      self.setData({ ['sessions[' + i + '].roster']: rosterView(r) })
    }, function () {})
  },

  onScan: function (e) {
    wx.navigateTo({ url: e.currentTarget.dataset.url })
  },

  onStateAction: function () {
    this.load()
  }
})
