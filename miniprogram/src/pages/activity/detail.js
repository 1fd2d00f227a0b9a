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
    cancelUntil: format.formatDateTime(b.cancel_until)
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
      if (activity.status === 'cancelled') return '不能预约：这个活动已取消' + (activity.cancel_reason ? '（' + activity.cancel_reason + '）' : '') + '。'
      return '不能预约：这一场已取消，请选择其他场次。'
    case 'finished':
      return '不能预约：活动已经结束。'
    case 'none':
      return s ? '不用预约：这个活动直接到场，按时来就可以参加。' : '暂时不能预约：还没有安排场次。'
    case 'booked':
      return '已经预约过这一场（' + a.label + '），不用再预约。要取消请看下方“我的预约”。'
    case 'notopen':
      return '还不能预约：' + format.formatDateTime(s.booking_opens_at) + ' 开始预约，请到时再来。'
    case 'closed':
      return '不能预约：预约已于 ' + format.formatDateTime(s.booking_closes_at) + ' 截止。'
    default:
      return ''
  }
}

function baseAction(activity, s, myBookings, attendeeId, now) {
  now = now || Date.now()
  if (activity.status === 'cancelled') {
    return { kind: 'cancelled', label: '活动已取消', disabled: true, hint: activity.cancel_reason || '' }
  }
  if (activity.status === 'finished') return { kind: 'finished', label: '活动已结束', disabled: true, hint: '' }
  if (!s) return { kind: 'none', label: '暂无场次', disabled: true, hint: '' }
  if (activity.booking_mode === 'none' || s.capacity === null || s.capacity === undefined) {
    return { kind: 'none', label: '无需预约，直接到场', disabled: true, hint: '按时到场即可参加' }
  }
  if (s.status === 'cancelled') return { kind: 'cancelled', label: '该场次已取消', disabled: true, hint: '' }
  const mine = myBookings.filter(function (b) {
    return b.active && b.sessionId === s.id && b.familyMemberId === (attendeeId || 0)
  })[0]
  if (mine) return { kind: 'booked', label: mine.statusText, disabled: true, hint: '可在下方“我的预约”中查看或取消' }
  if (s.booking_opens_at && Date.parse(s.booking_opens_at) > now) {
    return { kind: 'notopen', label: format.formatDateTime(s.booking_opens_at) + ' 开放预约', disabled: true, hint: '' }
  }
  if (s.booking_closes_at && Date.parse(s.booking_closes_at) <= now) {
    return { kind: 'closed', label: '预约已截止', disabled: true, hint: '' }
  }
  if (activity.booking_mode === 'lottery') {
    return {
      kind: 'lottery',
      label: '报名摇号',
      disabled: false,
      hint: activity.lottery_draw_at ? format.formatDateTime(activity.lottery_draw_at) + ' 公开摇号' : ''
    }
  }
  if (s.seats_left > 0) return { kind: 'book', label: '立即预约', disabled: false, hint: '剩余 ' + s.seats_left + ' 个名额' }
  return {
    kind: 'waitlist',
    label: '排队候补',
    disabled: false,
    hint: s.waitlist_length > 0 ? '名额已满，前面有 ' + s.waitlist_length + ' 人候补' : '名额已满，有人取消时按顺序递补'
  }
}

const VERB = { book: '预约', waitlist: '排队候补', lottery: '报名摇号' }

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
    ratings: null
  },

  onLoad: function (query) {
    const id = Number(query && query.id)
    const sessionId = Number(query && query.session) || null
    this.setData({ id: id, selectedSessionId: sessionId, signedIn: session.isSignedIn() })
    if (!id) {
      this.setData({ status: 'error', message: '没有找到这个活动' })
      return
    }
    this.load()
    if (session.isSignedIn()) this.loadFamily()
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
        if (first) self.loadRatings()
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
  loadRatings: function () {
    const self = this
    return api.activityRatings(this.data.id, { showError: false }).then(
      function (r) {
        if (!r || !r.count) return
        self.setData({
          ratings: {
            count: r.count,
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
    this.activity = activity
    this.setData({
      status: 'ok',
      activity: activity,
      selectedSessionId: selected,
      sessions: sessions.map(function (s) {
        return sessionView(s, selected, activity.booking_mode)
      }),
      myBookings: myBookings.map(bookingView),
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
        lottery: activity.booking_mode === 'lottery',
        lotteryDrawAt: activity.lottery_draw_at ? format.formatDateTime(activity.lottery_draw_at) : '',
        lotteryDrawn: drawn,
        lotteryDrawnAt: drawn ? format.formatDateTime(activity.lottery_drawn_at) : '',
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
      wx.showToast({ title: '该场馆暂未标注位置', icon: 'none' })
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
    return m ? m.name : '本人'
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
    const who = this.attendeeName()
    const lines = [
      '为【' + who + '】' + VERB[kind] + '：',
      this.activity.title,
      '时间：' + format.formatRange(s.starts_at, s.ends_at) + (this.activity.is_course ? '（共 ' + this.data.sessions.length + ' 节课）' : ''),
      '地点：' + s.unit_name + (s.room ? ' ' + s.room : '')
    ]
    if (kind === 'waitlist') lines.push('有人取消时按顺序自动递补，递补成功会通知您。')
    if (kind === 'lottery') lines.push('报名截止后公开摇号，中签自动确认，未中签按顺序候补。')
    const ok = await ui.confirm({
      title: kind === 'waitlist' ? '确认排队候补' : kind === 'lottery' ? '确认报名摇号' : '确认预约',
      content: lines.join('\n'),
      confirmText: kind === 'waitlist' ? '确认候补' : kind === 'lottery' ? '确认报名' : '确认预约',
      cancelText: '再想想'
    })
    if (!ok) return

    const body = { session_id: s.id }
    if (this.data.attendeeId) body.family_member_id = this.data.attendeeId
    if (joinWaitlist) body.join_waitlist = true
    // One key per action; a retry of the same action after a network failure reuses it,
    // so the server answers the first result instead of booking twice.
    const sig = JSON.stringify(body)
    if (!this.pending || this.pending.sig !== sig) this.pending = { sig: sig, key: request.newIdempotencyKey() }
    let booking
    try {
      booking = await api.book(body, {
        idempotencyKey: this.pending.key,
        loading: '正在提交…',
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
      await ui.alert('网络不畅，暂时不知道是否预约成功。请稍后再点一次按钮，不会重复预约；也可以在“我的预约”中查看。')
      return
    }
    if (err.code === 'session_full') {
      const n = err.details && err.details.waitlist_length
      const ok = await ui.confirm({
        title: '名额已满',
        content: err.message + (n ? '\n目前已有 ' + n + ' 人候补。' : ''),
        confirmText: '排队候补',
        cancelText: '不用了'
      })
      this.load()
      if (ok) await this.book(true)
      return
    }
    if (err.code === 'guardian_consent_required') {
      const ok = await ui.confirm({ title: '需要监护人同意', content: err.message, confirmText: '去处理', cancelText: '取消' })
      if (ok) wx.navigateTo({ url: '/pages/family/index' })
      return
    }
    if (err.code === 'privacy_declined') {
      request.showError(err)
      return
    }
    await ui.alert(err.message, '未能完成')
    this.load()
  },

  askToSubscribe: function (booking) {
    const title = booking.status === 'waitlisted'
      ? '已加入候补'
      : booking.status === 'entered' ? '已报名摇号' : '预约成功'
    const detail = booking.status === 'waitlisted'
      ? '您是候补第 ' + booking.waitlist_position + ' 位，有空位时自动递补。'
      : booking.status === 'entered' ? '开奖后会公布结果。' : '请按时到场，凭“我的预约”中的电子票入场。'
    // requestSubscribeMessage needs a tap: it runs inside the modal's confirm callback.
    wx.showModal({
      title: title,
      content: detail + '\n\n需要微信提醒吗？（开始前提醒、时间地点变更' + (booking.status === 'waitlisted' ? '、递补结果' : booking.status === 'entered' ? '、摇号结果' : '') + '）',
      confirmText: '接收提醒',
      cancelText: '暂不需要',
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
        title: '取消预约',
        content: '确定取消【' + b.attendee + '】的这个预约吗？取消后名额会让给候补的居民。',
        confirmText: '确定取消',
        cancelText: '不取消'
      })
      if (!ok) return
      const key = request.newIdempotencyKey()
      try {
        await api.cancelBooking(id, { idempotencyKey: key, loading: '正在取消…', showError: 'modal' })
      } catch (err) {
        this.load()
        return
      }
      wx.showToast({ title: '已取消', icon: 'success' })
      await this.load()
    } finally {
      this.busy = false
    }
  },

  onShowLottery: function () {
    api.lottery(this.data.id, { loading: '正在加载…', showError: 'modal' }).then(function (r) {
      const lines = [
        '名额：' + r.capacity + ' 个',
        '报名：' + (r.entries || []).length + ' 人',
        r.drawn_at ? '开奖时间：' + format.formatDateTime(r.drawn_at) : r.draw_at ? '计划开奖：' + format.formatDateTime(r.draw_at) : '',
        r.seed_sha256 ? '随机种子承诺（SHA-256）：' + r.seed_sha256.slice(0, 16) + '…' : '',
        r.seed ? '公开的随机种子：' + r.seed.slice(0, 16) + '…' : '开奖后公布随机种子，任何人都可复核结果。'
      ].filter(Boolean)
      wx.showModal({ title: '摇号公示', content: lines.join('\n'), showCancel: false, confirmText: '知道了' })
    }, function () {})
  },

  onStateAction: function () {
    this.load()
  },

  onShareAppMessage: function () {
    return {
      title: (this.activity && this.activity.title) || '福田文化馆活动',
      path: '/pages/activity/detail?id=' + this.data.id
    }
  }
}))
