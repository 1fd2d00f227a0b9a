// 今日场次 (staff): today's sessions in my unit and the units below it, with live check-in
// counts (booked / admitted / walk-ins, refreshed every 30 s while on screen) and the roster.
// Sessions come from GET /manage/sessions?unit_id&date (every session of that China date, a
// course's lessons included, however many activities the unit runs); counts from
// GET /sessions/{id}/checkin/stats; the roster from GET /sessions/{id}/bookings. “HH:MM 更新”
// is the time of the last refresh that answered; when refreshes fail the page says so.
const api = require('../../api/index')
const format = require('../../utils/format')
const config = require('../../config')
const staff = require('../../utils/staff')
const display = require('../../utils/display')

const ROSTER_STATUS = { confirmed: '已预约', waitlisted: '候补', entered: '已报名摇号', cancelled: '已取消' }

// s: one item of GET /manage/sessions
function sessionView(s) {
  return {
    sessionId: s.session_id,
    activityId: s.activity_id,
    title: s.title,
    lesson: s.is_course ? '第 ' + s.lesson_no + ' 课' : '',
    startsAt: s.starts_at,
    endsAt: s.ends_at,
    time: format.formatClock(s.starts_at) + '–' + format.formatClock(s.ends_at),
    place: s.unit_name + (s.room ? ' · ' + s.room : ''),
    unitName: s.unit_name,
    walkIn: s.booking_mode === 'none',
    capacity: s.capacity,
    stats: null,
    roster: null,
    ended: new Date(s.ends_at).getTime() <= Date.now(),
    photosUrl: '/pages/staff/photos?unit_id=' + s.unit_id + '&session_id=' + s.session_id,
    scanUrl: '/pages/volunteer/scan?session_id=' + s.session_id + '&title=' + encodeURIComponent(s.title) +
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
      // Registration questions' answers, as「问题：回答」lines (unanswered ones left out).
      const answers = (r.questions || []).map(function (q, k) {
        const a = (x.answers || [])[k]
        return a ? q + '：' + a : ''
      }).filter(function (l) { return l })
      return {
        answers: answers,
        id: x.booking_id,
        name: x.name + (x.is_family_member ? '（家庭成员）' : ''),
        status: x.status === 'waitlisted' && x.waitlist_position ? '候补第 ' + x.waitlist_position + ' 位' : ROSTER_STATUS[x.status] || x.status,
        checked: !!x.checked_in_at,
        checkedText: x.checked_in_at ? '已签到 ' + format.formatClock(x.checked_in_at) : '未签到'
      }
    })
  }
}

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    unit: null,
    canScan: false,
    canPhotos: false,
    today: '',
    status: 'loading',
    message: '',
    sessions: [],
    truncated: false,
    updatedAt: '', // the last refresh that answered
    stale: '' // why the counts may be older than that
  },

  onLoad: function (query) {
    const unit = staff.unitFrom(query)
    if (!unit) {
      this.setData({ status: 'error', message: '没有可查看的单位，请从“工作人员”进入' })
      return
    }
    this.setData({ unit: unit, canScan: staff.mayUse('scan', unit.unitId), canPhotos: staff.mayUse('photos', unit.unitId), today: format.formatDate(Date.now()) })
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
    return api.manageSessions({ unit_id: this.data.unit.unitId, date: today }, { showError: false })
      .then(function (res) {
        const sessions = (res.items || []).map(sessionView)
        self.setData({
          today: format.formatDate(today + 'T12:00:00+08:00'),
          sessions: sessions,
          truncated: !!res.truncated,
          status: sessions.length ? 'ok' : 'empty',
          message: sessions.length ? '' : '今天没有活动'
        })
        return self.refreshStats()
      }, function (err) {
        if (self.data.sessions.length && (err.code === 'network' || err.status >= 500)) {
          // keep today's list on screen; only the counts are old
          self.setData({ stale: '网络不畅，未能刷新' + (self.data.updatedAt ? '，人数停在 ' + self.data.updatedAt : '') })
          return
        }
        self.setData({ status: 'error', message: err.message })
      })
  },

  refreshStats: function () {
    const self = this
    const list = this.data.sessions
    if (!list.length) return Promise.resolve()
    return Promise.all(list.map(function (s) {
      return api.checkinStats(s.sessionId, { showError: false }).catch(function () {
        return null
      })
    })).then(function (all) {
      const patch = {}
      let answered = 0
      all.forEach(function (st, i) {
        if (st) {
          patch['sessions[' + i + '].stats'] = st
          answered++
        }
      })
      if (answered) patch.updatedAt = format.formatClock(Date.now())
      const since = answered ? '' : self.data.updatedAt
      if (answered === all.length) patch.stale = ''
      else if (answered) patch.stale = (all.length - answered) + ' 场的人数未能刷新'
      else patch.stale = '网络不畅，未能刷新人数' + (since ? '，停在 ' + since : '')
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
}))
