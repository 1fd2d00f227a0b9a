// 活动详情: time, place, seats or queue, audience ages, course lessons; book, join the
// waiting list, enter the lottery or cancel — each after a confirmation, for myself or a
// family member; subscribe-message request right after a successful booking.
const api = require('../../api/index')
const request = require('../../utils/request')
const session = require('../../utils/session')
const format = require('../../utils/format')
const subscribe = require('../../utils/subscribe')
const ui = require('../../utils/ui')
const display = require('../../utils/display')
const poster = require('../../utils/poster')
const i18n = require('../../utils/i18n')
const questions = require('../../utils/questions')

function sessionView(s, selectedId, mode) {
  const item = Object.assign({ booking_mode: mode }, s)
  return {
    id: s.id,
    lessonNo: s.lesson_no,
    time: format.formatRange(s.starts_at, s.ends_at),
    unitName: s.unit_name,
    room: s.room,
    address: s.address,
    lng: s.lng,
    lat: s.lat,
    lessonText: i18n.t('ad_lesson', { n: s.lesson_no }),
    seats: format.seatsText(item),
    tone: format.seatsTone(item),
    cancelled: s.status === 'cancelled',
    selected: s.id === selectedId
  }
}

function bookingView(b) {
  const active = b.status !== 'cancelled'
  return {
    id: b.id,
    sessionId: b.session_id,
    familyMemberId: b.family_member_id || 0,
    attendee: b.attendee_name,
    statusText: format.statusText(b.status, b.waitlist_position, b.checked_in_at),
    tone: b.checked_in_at ? 'checked' : b.status,
    active: active,
    canCancel: active && !b.checked_in_at && Date.parse(b.cancel_until) > Date.now(),
    cancelUntil: i18n.t('ad_cancel_until', { at: format.formatDateTime(b.cancel_until) })
  }
}

// The seat pool a booking takes: the chosen session, or a course's first lesson.
function poolSession(activity, selectedId) {
  const sessions = activity.sessions || []
  if (activity.is_course) {
    return sessions.slice().sort(function (a, b) {
      return a.lesson_no - b.lesson_no
    })[0]
  }
  return sessions.filter(function (s) {
    return s.id === selectedId
  })[0] || sessions[0]
}

// What the big button does for this session and attendee. A disabled button also gets
// `reason`: why, as a sentence shown in full above it (a grey button is hard to read).
function actionFor(activity, s, myBookings, attendeeId, now) {
  const a = baseAction(activity, s, myBookings, attendeeId, now)
  a.reason = a.disabled ? reasonFor(a, activity, s) : ''
  return a
}

function reasonFor(a, activity, s) {
  switch (a.kind) {
    case 'cancelled':
      if (activity.status === 'cancelled') return i18n.t('ad_r_cancelled', { why: activity.cancel_reason ? i18n.t('paren_open') + activity.cancel_reason + i18n.t('paren_close') : '' })
      return i18n.t('ad_r_session_cancelled')
    case 'finished':
      return i18n.t('ad_r_finished')
    case 'none':
      return i18n.t(s ? 'ad_r_walk_in' : 'ad_r_no_sessions')
    case 'booked':
      return i18n.t('ad_r_booked', { label: a.label })
    case 'notopen':
      return i18n.t('ad_r_not_open', { at: format.formatDateTime(s.booking_opens_at) })
    case 'closed':
      return i18n.t('ad_r_closed', { at: format.formatDateTime(s.booking_closes_at) })
    default:
      return ''
  }
}

function baseAction(activity, s, myBookings, attendeeId, now) {
  now = now || Date.now()
  if (activity.status === 'cancelled') {
    return { kind: 'cancelled', label: i18n.t('ad_l_cancelled'), disabled: true, hint: activity.cancel_reason || '' }
  }
  if (activity.status === 'finished') return { kind: 'finished', label: i18n.t('ad_l_finished'), disabled: true, hint: '' }
  if (!s) return { kind: 'none', label: i18n.t('ad_l_none'), disabled: true, hint: '' }
  if (activity.booking_mode === 'none' || s.capacity === null || s.capacity === undefined) {
    return { kind: 'none', label: i18n.t('ad_l_walk_in'), disabled: true, hint: i18n.t('ad_h_walk_in') }
  }
  if (s.status === 'cancelled') return { kind: 'cancelled', label: i18n.t('ad_l_session_cancelled'), disabled: true, hint: '' }
  const mine = myBookings.filter(function (b) {
    return b.active && b.sessionId === s.id && b.familyMemberId === (attendeeId || 0)
  })[0]
  if (mine) return { kind: 'booked', label: mine.statusText, disabled: true, hint: i18n.t('ad_h_booked') }
  if (s.booking_opens_at && Date.parse(s.booking_opens_at) > now) {
    return { kind: 'notopen', label: i18n.t('ad_l_opens', { at: format.formatDateTime(s.booking_opens_at) }), disabled: true, hint: '' }
  }
  if (s.booking_closes_at && Date.parse(s.booking_closes_at) <= now) {
    return { kind: 'closed', label: i18n.t('ad_l_closed'), disabled: true, hint: '' }
  }
  if (activity.booking_mode === 'lottery') {
    return {
      kind: 'lottery',
      label: i18n.t('ad_l_lottery'),
      disabled: false,
      hint: activity.lottery_draw_at ? i18n.t('ad_draw_at', { at: format.formatDateTime(activity.lottery_draw_at) }) : ''
    }
  }
  if (s.seats_left > 0) return { kind: 'book', label: i18n.t('ad_l_book'), disabled: false, hint: i18n.t('ad_h_seats', { n: s.seats_left }) }
  return {
    kind: 'waitlist',
    label: i18n.t('ad_l_waitlist'),
    disabled: false,
    hint: s.waitlist_length > 0 ? i18n.t('ad_h_waiting', { n: s.waitlist_length }) : i18n.t('ad_h_full')
  }
}

const VERB = { book: 'ad_v_book', waitlist: 'ad_v_waitlist', lottery: 'ad_v_lottery' }

Page(display.page({ // 大字模式 and WeChat's font size (page-meta)
  data: {
    id: null,
    status: 'loading',
    message: '',
    activity: null,
    v: {},
    sessions: [],
    selectedSessionId: null,
    myBookings: [],
    members: [],
    attendeeId: 0,
    signedIn: false,
    action: { kind: 'none', label: '', disabled: true, hint: '', reason: '' },
    ratings: null,
    posterPath: '',
    supporters: '',
    posterBusy: false,
    // Registration questions (报名问题) with the answers so far; see utils/questions.js.
    questions: []
  },

  onLoad: function (query) {
    const id = Number(query && query.id)
    const sessionId = Number(query && query.session) || null
    this.setData({ id: id, selectedSessionId: sessionId, signedIn: session.isSignedIn() })
    if (!id) {
      this.setData({ status: 'error', message: i18n.t('ad_not_found') })
      return
    }
    this.load()
    if (session.isSignedIn()) this.loadFamily()
    // Moments (朋友圈) sharing is off unless the page turns it on.
    if (typeof wx.showShareMenu === 'function') {
      wx.showShareMenu({ withShareTicket: false, menus: ['shareAppMessage', 'shareTimeline'] })
    }
  },

  // Texts built here (reasons, seats, dates) follow the language: render again.
  onLanguage: function () {
    if (this.loadedOnce) this.load()
  },

  onShow: function () {
    // back from adding a family member
    if (this.loadedOnce && session.isSignedIn()) this.loadFamily()
  },

  onPullDownRefresh: function () {
    return this.load().then(function () {
      wx.stopPullDownRefresh()
    })
  },

  load: function () {
    const self = this
    if (!this.loadedOnce) this.setData({ status: 'loading' })
    return api.activity(this.data.id, { showError: false }).then(
      function (res) {
        const first = !self.loadedOnce
        self.loadedOnce = true
        self.render(res.activity, res.my_bookings || [])
        if (first) {
          self.loadRatings()
          self.loadSupporters()
        }
      },
      function (err) {
        if (self.loadedOnce) {
          request.showError(err)
          return
        }
        self.setData({ status: 'error', message: err.message })
      }
    )
  },

  loadFamily: function () {
    const self = this
    return api.family({ showError: false }).then(
      function (res) {
        const members = res.items || []
        const stillThere = members.some(function (m) {
          return m.id === self.data.attendeeId
        })
        self.setData({ members: members, attendeeId: stillThere ? self.data.attendeeId : 0, signedIn: true })
        self.updateAction()
      },
      function () {
        // not fatal: the person can still book for themselves
      }
    )
  },

  // GET /api/v1/activities/{id}/ratings. On a server without it (404), or while there are no
  // ratings, the section stays hidden.
  // 支持单位: sponsors and partners who agreed to be named (never amounts). Quietly absent on failure.
  loadSupporters: function () {
    const self = this
    return api.activitySupporters(this.data.id, { showError: false }).then(
      function (r) {
        const names = ((r && r.items) || []).map(function (x) {
          return x.name
        })
        if (names.length) self.setData({ supporters: names.join(i18n.t('ad_supporters_sep')) })
      },
      function () {}
    )
  },

  loadRatings: function () {
    const self = this
    return api.activityRatings(this.data.id, { showError: false }).then(
      function (r) {
        if (!r || !r.count) return
        self.setData({
          ratings: {
            count: r.count,
            countText: i18n.t('ad_ratings_count', { n: r.count }),
            average: typeof r.average === 'number' ? r.average.toFixed(1) : '',
            items: (r.items || []).slice(0, 3).map(function (x) {
              return {
                id: x.id,
                name: x.name,
                stars: '★★★★★'.slice(0, Math.max(0, Math.min(5, x.score))),
                comment: x.comment,
                tags: (x.tags || []).join(' · '),
                replies: (x.replies || []).map(function (rp) {
                  return { id: rp.id, who: rp.unit_name, content: rp.content }
                })
              }
            })
          }
        })
      },
      function () {}
    )
  },

  // 举报 a published comment: the report page asks the reason (needs a sign-in, like booking).
  onReport: function (e) {
    const d = e.currentTarget.dataset
    wx.navigateTo({ url: '/pages/report/index?kind=rating&id=' + d.id + '&text=' + encodeURIComponent(String(d.text || '').slice(0, 30)) })
  },

  render: function (activity, myBookings) {
    const sessions = (activity.sessions || []).slice().sort(function (a, b) {
      return a.lesson_no - b.lesson_no || Date.parse(a.starts_at) - Date.parse(b.starts_at)
    })
    let selected = this.data.selectedSessionId
    if (activity.is_course || !sessions.some(function (s) {
      return s.id === selected
    })) {
      const firstOpen = sessions.filter(function (s) {
        return s.status !== 'cancelled'
      })[0]
      selected = (firstOpen || sessions[0] || {}).id || null
    }
    const drawn = !!activity.lottery_drawn_at
    // Answers typed so far survive a reload while the questions stay the same.
    const qs = activity.questions || []
    this.answers = questions.carry((this.activity && this.activity.questions) || [], this.answers || [], qs)
    this.activity = activity
    this.setData({
      status: 'ok',
      activity: activity,
      selectedSessionId: selected,
      sessions: sessions.map(function (s) {
        return sessionView(s, selected, activity.booking_mode)
      }),
      myBookings: myBookings.map(bookingView),
      questions: questions.view(qs, this.answers, this.answerError),
      signedIn: session.isSignedIn(),
      v: {
        title: activity.title,
        kindLabel: activity.kind_label,
        organizer: activity.organizer_name,
        joint: (activity.joint_unit_names || []).join('、'),
        description: activity.description,
        // An uploaded poster is a path on the service (/api/v1/files/{id}); <image> needs the full address.
        poster: activity.poster_url && activity.poster_url.charAt(0) === '/' ? require('../../config').baseUrl + activity.poster_url : activity.poster_url,
        age: format.ageText(activity.age_min, activity.age_max),
        mode: format.modeText(activity.booking_mode),
        isCourse: !!activity.is_course,
        lessons: sessions.length,
        courseText: i18n.t('ad_course', { n: sessions.length }),
        lottery: activity.booking_mode === 'lottery',
        lotteryDrawAt: activity.lottery_draw_at ? i18n.t('ad_draw_at', { at: format.formatDateTime(activity.lottery_draw_at) }) : '',
        lotteryDrawn: drawn,
        lotteryDrawnAt: drawn ? i18n.t('ad_drawn', { at: format.formatDateTime(activity.lottery_drawn_at) }) : '',
        cancelled: activity.status === 'cancelled',
        cancelReason: activity.cancel_reason || '',
        mainCenter: !!activity.delivered_by_main_center
      }
    })
    wx.setNavigationBarTitle({ title: activity.title })
    this.updateAction()
  },

  updateAction: function () {
    if (!this.activity) return
    const s = poolSession(this.activity, this.data.selectedSessionId)
    this.setData({ action: actionFor(this.activity, s, this.data.myBookings, this.data.attendeeId) })
  },

  onPickSession: function (e) {
    if (this.data.v.isCourse) return
    const id = Number(e.currentTarget.dataset.id)
    const mode = this.activity.booking_mode
    this.setData({
      selectedSessionId: id,
      sessions: (this.activity.sessions || [])
        .slice()
        .sort(function (a, b) {
          return a.lesson_no - b.lesson_no || Date.parse(a.starts_at) - Date.parse(b.starts_at)
        })
        .map(function (s) {
          return sessionView(s, id, mode)
        })
    })
    this.updateAction()
  },

  onNavigate: function (e) {
    const s = this.data.sessions[Number(e.currentTarget.dataset.index)]
    if (!s || s.lat === null || s.lat === undefined) {
      wx.showToast({ title: i18n.t('ad_no_location'), icon: 'none' })
      return
    }
    wx.openLocation({
      latitude: Number(s.lat),
      longitude: Number(s.lng),
      name: s.unitName + (s.room ? ' ' + s.room : ''),
      address: s.address,
      scale: 16
    })
  },

  // A tap on an option of a registration question.
  onChoose: function (e) {
    const d = e.currentTarget.dataset
    const qs = this.activity.questions || []
    this.answers = questions.choose(qs, this.answers, Number(d.q), String(d.option))
    if (this.answerError === Number(d.q) + 1) this.answerError = 0
    this.setData({ questions: questions.view(qs, this.answers, this.answerError) })
  },

  onWrite: function (e) {
    const i = Number(e.currentTarget.dataset.q)
    this.answers = questions.write(this.answers, i, e.detail.value)
    if (this.answerError === i + 1) {
      this.answerError = 0
      this.setData({ ['questions[' + i + '].error']: false })
    }
  },

  showAnswerError: function (position) {
    this.answerError = position
    this.setData({ questions: questions.view(this.activity.questions || [], this.answers, position) })
  },

  onAttendee: function (e) {
    this.setData({ attendeeId: (e.detail && e.detail.id) || 0 })
    this.updateAction()
  },

  onAddMember: function () {
    wx.navigateTo({ url: '/pages/family/index?add=1' })
  },

  onSignInForFamily: function () {
    const self = this
    api.signIn().then(
      function () {
        self.setData({ signedIn: true })
        self.loadFamily()
        self.load()
      },
      function (err) {
        request.showError(err)
      }
    )
  },

  attendeeName: function () {
    const id = this.data.attendeeId
    const m = this.data.members.filter(function (x) {
      return x.id === id
    })[0]
    return m ? m.name : i18n.t('ad_self')
  },

  // The big button.
  onAction: async function () {
    const action = this.data.action
    if (action.disabled || this.busy) return
    this.busy = true
    try {
      if (!session.isSignedIn()) {
        try {
          await api.signIn()
        } catch (err) {
          request.showError(err)
          return
        }
        this.setData({ signedIn: true })
        await Promise.all([this.load(), this.loadFamily()])
        if (this.data.action.disabled) return // e.g. already booked from another phone
      }
      await this.book(this.data.action.kind === 'waitlist')
    } finally {
      this.busy = false
    }
  },

  book: async function (joinWaitlist) {
    const kind = this.data.action.kind === 'lottery' ? 'lottery' : joinWaitlist ? 'waitlist' : 'book'
    const s = poolSession(this.activity, this.data.selectedSessionId)
    const qs = this.activity.questions || []
    // The answers are checked here first, so a resident hears what is missing before anything
    // is sent; the service checks again.
    const problem = questions.check(qs, this.answers)
    if (problem) {
      this.showAnswerError(problem.position)
      await ui.alert(problem.message, i18n.t('aq_check'))
      return
    }
    const who = this.attendeeName()
    const lines = [
      i18n.t('ad_c_who', { who: who, verb: i18n.t(VERB[kind]) }),
      this.activity.title,
      i18n.t('ad_c_time', { time: format.formatRange(s.starts_at, s.ends_at) }) + (this.activity.is_course ? i18n.t('ad_c_lessons', { n: this.data.sessions.length }) : ''),
      i18n.t('ad_c_place', { place: s.unit_name + (s.room ? ' ' + s.room : '') })
    ]
    if (kind === 'waitlist') lines.push(i18n.t('ad_c_waitlist'))
    if (kind === 'lottery') lines.push(i18n.t('ad_c_lottery'))
    const ok = await ui.confirm({
      title: i18n.t(kind === 'waitlist' ? 'ad_t_waitlist' : kind === 'lottery' ? 'ad_t_lottery' : 'ad_t_book'),
      content: lines.join('\n'),
      confirmText: i18n.t(kind === 'waitlist' ? 'ad_ok_waitlist' : kind === 'lottery' ? 'ad_ok_lottery' : 'ad_ok_book'),
      cancelText: i18n.t('ad_not_now')
    })
    if (!ok) return

    const body = { session_id: s.id }
    if (this.data.attendeeId) body.family_member_id = this.data.attendeeId
    if (joinWaitlist) body.join_waitlist = true
    if (qs.length) body.answers = questions.payload(qs, this.answers)
    // One key per action; a retry of the same action after a network failure reuses it,
    // so the server answers the first result instead of booking twice.
    const sig = JSON.stringify(body)
    if (!this.pending || this.pending.sig !== sig) this.pending = { sig: sig, key: request.newIdempotencyKey() }
    let booking
    try {
      booking = await api.book(body, {
        idempotencyKey: this.pending.key,
        loading: i18n.t('ad_submitting'),
        showError: false
      })
    } catch (err) {
      if (err.code !== 'network') this.pending = null
      await this.refused(err)
      return
    }
    this.pending = null
    this.load()
    this.askToSubscribe(booking)
  },

  refused: async function (err) {
    if (err.code === 'network') {
      await ui.alert(i18n.t('ad_unknown'))
      return
    }
    if (err.code === 'session_full') {
      const n = err.details && err.details.waitlist_length
      const ok = await ui.confirm({
        title: i18n.t('ad_full'),
        content: err.message + (n ? i18n.t('ad_full_waiting', { n: n }) : ''),
        confirmText: i18n.t('ad_wait'),
        cancelText: i18n.t('ad_no_thanks')
      })
      this.load()
      if (ok) await this.book(true)
      return
    }
    if (err.code === 'guardian_consent_required') {
      const ok = await ui.confirm({ title: i18n.t('ad_guardian'), content: err.message, confirmText: i18n.t('ad_handle'), cancelText: i18n.t('ad_cancel') })
      if (ok) wx.navigateTo({ url: '/pages/family/index' })
      return
    }
    if (err.code === 'invalid_answers') {
      // The service's own words, and the question it means marked on the page.
      // The questions may have changed since the page was opened (staff appended one): reload,
      // keeping the answers to the questions that stayed the same.
      if (err.details && err.details.position) this.showAnswerError(err.details.position)
      await ui.alert(err.message, i18n.t('aq_check'))
      await this.load()
      return
    }
    if (err.code === 'privacy_declined') {
      request.showError(err)
      return
    }
    await ui.alert(err.message, i18n.t('ad_failed'))
    this.load()
  },

  askToSubscribe: function (booking) {
    const title = booking.status === 'waitlisted'
      ? i18n.t('ad_done_waitlisted')
      : i18n.t(booking.status === 'entered' ? 'ad_done_entered' : 'ad_done_booked')
    const detail = booking.status === 'waitlisted'
      ? i18n.t('ad_d_waitlisted', { n: booking.waitlist_position })
      : i18n.t(booking.status === 'entered' ? 'ad_d_entered' : 'ad_d_booked')
    // requestSubscribeMessage needs a tap: it runs inside the modal's confirm callback.
    wx.showModal({
      title: title,
      content: detail + i18n.t('ad_remind', { extra: booking.status === 'waitlisted' ? i18n.t('ad_remind_waitlist') : booking.status === 'entered' ? i18n.t('ad_remind_lottery') : '' }),
      confirmText: i18n.t('ad_remind_yes'),
      cancelText: i18n.t('ad_remind_no'),
      success: function (res) {
        if (res.confirm) subscribe.request(subscribe.kindsAfterBooking(booking.status))
      }
    })
  },

  onViewBooking: function (e) {
    wx.navigateTo({ url: '/pages/booking/detail?id=' + e.currentTarget.dataset.id })
  },

  onCancelBooking: async function (e) {
    const id = Number(e.currentTarget.dataset.id)
    const b = this.data.myBookings.filter(function (x) {
      return x.id === id
    })[0]
    if (!b || this.busy) return
    this.busy = true
    try {
      const ok = await ui.confirm({
        title: i18n.t('ad_cancel_title'),
        content: i18n.t('ad_cancel_content', { who: b.attendee }),
        confirmText: i18n.t('ad_cancel_yes'),
        cancelText: i18n.t('ad_cancel_no')
      })
      if (!ok) return
      const key = request.newIdempotencyKey()
      try {
        await api.cancelBooking(id, { idempotencyKey: key, loading: i18n.t('ad_cancelling'), showError: 'modal' })
      } catch (err) {
        this.load()
        return
      }
      wx.showToast({ title: i18n.t('ad_cancelled_toast'), icon: 'success' })
      await this.load()
    } finally {
      this.busy = false
    }
  },

  onShowLottery: function () {
    api.lottery(this.data.id, { loading: i18n.t('ad_loading'), showError: 'modal' }).then(function (r) {
      const lines = [
        i18n.t('ad_ly_capacity', { n: r.capacity }),
        i18n.t('ad_ly_entries', { n: (r.entries || []).length }),
        r.drawn_at ? i18n.t('ad_ly_drawn', { at: format.formatDateTime(r.drawn_at) }) : r.draw_at ? i18n.t('ad_ly_draw', { at: format.formatDateTime(r.draw_at) }) : '',
        r.seed_sha256 ? i18n.t('ad_ly_commit', { h: r.seed_sha256.slice(0, 16) }) : '',
        r.seed ? i18n.t('ad_ly_seed', { h: r.seed.slice(0, 16) }) : i18n.t('ad_ly_later')
      ].filter(Boolean)
      wx.showModal({ title: i18n.t('ad_ly_title'), content: lines.join('\n'), showCancel: false, confirmText: i18n.t('ad_got_it') })
    }, function () {})
  },

  onStateAction: function () {
    this.load()
  },

  onShareAppMessage: function () {
    return {
      title: (this.activity && this.activity.title) || i18n.t('ad_share_title'),
      path: '/pages/activity/detail?id=' + this.data.id
    }
  },

  // 朋友圈: the timeline opens this page with the query alone.
  onShareTimeline: function () {
    return {
      title: (this.activity && this.activity.title) || i18n.t('ad_share_title'),
      query: 'id=' + this.data.id
    }
  },

  // 生成海报: the service's poster with title, time, place and organiser written on it.
  onPoster: async function () {
    if (!this.activity || this.data.posterBusy) return
    const a = this.activity
    const s = poolSession(a, this.data.selectedSessionId) || (a.sessions || [])[0] || {}
    this.setData({ posterBusy: true })
    wx.showLoading({ title: i18n.t('ad_making'), mask: true })
    try {
      const raw = await poster.download('activity', this.data.id)
      const lines = poster.layout({
        title: a.title,
        time: s.starts_at ? format.formatRange(s.starts_at, s.ends_at) : '',
        place: [s.unit_name, s.room].filter(Boolean).join(' · '),
        unit: a.organizer_name ? i18n.t('ad_organizer_line', { name: a.organizer_name }) : '',
        footer: i18n.t('ad_poster_footer')
      })
      let path = raw
      try {
        path = await poster.compose(this, 'poster-canvas', raw, lines)
      } catch (e) {
        // no canvas here: the service's poster still carries the QR code
      }
      this.setData({ posterPath: path })
    } catch (e) {
      wx.showToast({ title: i18n.t('ad_poster_failed'), icon: 'none' })
    } finally {
      wx.hideLoading()
      this.setData({ posterBusy: false })
    }
  },

  onSavePoster: function () {
    if (!this.data.posterPath) return Promise.resolve('none')
    return poster.save(this.data.posterPath, {
      saved: i18n.t('ad_album_saved'),
      failed: i18n.t('ad_album_failed'),
      permissionTitle: i18n.t('ad_album_title'),
      permissionContent: i18n.t('ad_album_content'),
      openSettings: i18n.t('ad_album_settings')
    })
  },

  onClosePoster: function () {
    this.setData({ posterPath: '' })
  }
}))
