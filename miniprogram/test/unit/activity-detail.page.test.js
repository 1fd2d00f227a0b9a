const { loadPage, waitFor, text, texts, tap, stubRequest, stubModal, apiError, signedIn, agreedPrivacy, resetStorage, simulate, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

const ROUTE = 'pages/activity/detail'
const SESSION = { token: 'new-token', expires_at: '2099-01-01T00:00:00Z', user: fx.me() }

function detail(activity, myBookings) {
  return { data: { activity: activity || fx.activity(), my_bookings: myBookings || [] } }
}

function open(query) {
  return loadPage(ROUTE, { query: Object.assign({ id: '1', session: '11' }, query) })
}

beforeEach(() => {
  resetStorage()
  spyWx('setNavigationBarTitle').mockImplementation(() => {})
})

test('shows time, place, seats, ages, mode and description', async () => {
  stubRequest({ 'GET /api/v1/activities/1': detail(fx.activity({ age_min: 50, joint_unit_names: ['翰岭服务点'] })) })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.title-text')).toBe('梅林社区合唱入门')
  expect(text(page, '.kind')).toBe('公益艺术培训')
  expect(text(page, '.organizer')).toBe('梅林分馆（联合：翰岭服务点）')
  expect(text(page, '.age')).toBe('适合 50 岁及以上')
  expect(text(page, '.mode')).toBe('先到先得')
  expect(text(page, '.session-time')).toBe('12月5日（周六）19:30–21:00')
  expect(text(page, '.session-place')).toBe('梅林分馆 · 多功能厅')
  expect(text(page, '.session-seats')).toBe('剩余 12 个名额')
  expect(text(page, '.description')).toBe('零基础合唱，欢迎中老年朋友。')
  expect(text(page, '.action-btn')).toBe('立即预约')
  expect(text(page, '.action-hint')).toBe('剩余 12 个名额')
  expect(text(page, '.sign-in-family')).toBe('为家人预约')
})

test('an uploaded poster (a path on the service) is shown from the service\'s full address', async () => {
  stubRequest({ 'GET /api/v1/activities/1': detail(fx.activity({ poster_url: '/api/v1/files/5', poster_file_id: 5 })) })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.v.poster).toBe(require('../../src/config').baseUrl + '/api/v1/files/5')
  expect(page.data.v.poster.startsWith('http')).toBe(true)
})

test('signed out: privacy dialog → sign-in → confirm → book with an Idempotency-Key → subscribe', async () => {
  spyWx('login').mockImplementation((o) => setTimeout(() => o.success({ code: 'c1' }), 0))
  const modal = stubModal([true, true]) // confirm booking, then “接收提醒”
  const sub = spyWx('requestSubscribeMessage').mockImplementation((o) => setTimeout(() => o.success({
    errMsg: 'requestSubscribeMessage:ok', tmpl_booking_confirmed: 'accept', tmpl_session_reminder: 'accept', tmpl_activity_changed: 'reject'
  }), 0))
  spyWx('showToast').mockImplementation(() => {})
  const req = stubRequest({
    'GET /api/v1/activities/1': [detail(), detail(), detail(fx.activity(), [fx.booking()])],
    'POST /api/v1/auth/wechat': { data: SESSION },
    'GET /api/v1/me/family': { data: { items: [] } },
    'POST /api/v1/bookings': { data: fx.booking() },
    'POST /api/v1/me/subscriptions': { data: { ok: true } }
  })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.action-btn')
  // our privacy dialog is on this page
  const dialog = page.querySelector('.privacy')
  await waitFor(() => dialog.querySelector('.dialog'))
  dialog.querySelector('.dialog-agree').dispatchEvent('agreeprivacyauthorization')
  await waitFor(() => req.calls.some((c) => c.path === '/api/v1/bookings'))
  const confirmModal = modal.mock.calls[0][0]
  expect(confirmModal.title).toBe('确认预约')
  expect(confirmModal.content).toContain('为【本人】预约：')
  expect(confirmModal.content).toContain('地点：梅林分馆 多功能厅')
  const book = req.calls.find((c) => c.path === '/api/v1/bookings')
  expect(book.data).toEqual({ session_id: 11 })
  expect(book.header.Authorization).toBe('Bearer new-token')
  expect(book.header['Idempotency-Key']).toMatch(/^mp-/)
  await waitFor(() => req.calls.some((c) => c.path === '/api/v1/me/subscriptions'))
  expect(modal.mock.calls[1][0].title).toBe('预约成功')
  expect(sub.mock.calls[0][0].tmplIds).toEqual(['tmpl_booking_confirmed', 'tmpl_session_reminder', 'tmpl_activity_changed'])
  expect(req.calls.find((c) => c.path === '/api/v1/me/subscriptions').data).toEqual({ kinds: ['booking_confirmed', 'session_reminder'] })
  await waitFor(() => page.data.myBookings.length === 1)
  expect(text(page, '.my-booking-status')).toBe('已预约')
  expect(text(page, '.action-btn')).toBe('已预约')
})

test('book for a family member; no reminders when declined', async () => {
  agreedPrivacy()
  signedIn()
  stubModal([true, false])
  const sub = spyWx('requestSubscribeMessage')
  const req = stubRequest({
    'GET /api/v1/activities/1': detail(fx.activity({ age_min: 6, age_max: 12 })),
    'GET /api/v1/me/family': { data: { items: [fx.member()] } },
    'POST /api/v1/bookings': { data: fx.booking({ family_member_id: 3, attendee_name: '小明' }) }
  })
  const page = open()
  await waitFor(() => page.data.status === 'ok' && page.data.members.length === 1)
  expect(texts(page, '.attendees >>> .attendee-name')).toEqual(['本人', '小明', '添加家庭成员'])
  page.querySelector('.attendees').querySelectorAll('.attendee')[1].dispatchEvent('tap')
  await waitFor(() => page.data.attendeeId === 3)
  await tap(page, '.action-btn')
  await waitFor(() => req.calls.some((c) => c.path === '/api/v1/bookings'))
  expect(req.calls.find((c) => c.path === '/api/v1/bookings').data).toEqual({ session_id: 11, family_member_id: 3 })
  await simulate.sleep(10)
  expect(sub).not.toHaveBeenCalled()
})

test('a seat taken meanwhile: the server says session_full, the person joins the waiting list with a new key', async () => {
  agreedPrivacy()
  signedIn()
  const modal = stubModal([true, true, true, false])
  const req = stubRequest({
    'GET /api/v1/activities/1': detail(),
    'GET /api/v1/me/family': { data: { items: [] } },
    'POST /api/v1/bookings': [
      apiError(409, 'session_full', '名额已满，可以排队候补', { waitlist_length: 2 }),
      { data: fx.booking({ status: 'waitlisted', waitlist_position: 3 }) }
    ]
  })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.action-btn')
  await waitFor(() => req.calls.filter((c) => c.path === '/api/v1/bookings').length === 2)
  const [first, second] = req.calls.filter((c) => c.path === '/api/v1/bookings')
  expect(modal.mock.calls[1][0]).toMatchObject({ title: '名额已满', confirmText: '排队候补' })
  expect(modal.mock.calls[1][0].content).toContain('目前已有 2 人候补')
  expect(second.data).toEqual({ session_id: 11, join_waitlist: true })
  expect(second.header['Idempotency-Key']).not.toBe(first.header['Idempotency-Key'])
  await waitFor(() => modal.mock.calls.length === 4)
  expect(modal.mock.calls[3][0].title).toBe('已加入候补')
  expect(modal.mock.calls[3][0].content).toContain('候补第 3 位')
})

test("a refusal shows the server's message; a network failure keeps the key for the next tap", async () => {
  agreedPrivacy()
  signedIn()
  const modal = stubModal([true, true, true, true])
  const req = stubRequest({
    'GET /api/v1/activities/1': detail(),
    'GET /api/v1/me/family': { data: { items: [] } },
    'POST /api/v1/bookings': [
      { networkError: 'timeout' },
      { networkError: 'timeout' },
      apiError(422, 'age_not_allowed', '该活动面向 60–不限 岁，本人不符合年龄要求')
    ]
  })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.action-btn')
  await waitFor(() => modal.mock.calls.length === 2)
  expect(modal.mock.calls[1][0].content).toMatch(/网络不畅.*不会重复预约/)
  await waitFor(() => !page.instance.busy) // the person has closed the notice
  await tap(page, '.action-btn')
  await waitFor(() => modal.mock.calls.length === 4)
  const keys = req.calls.filter((c) => c.path === '/api/v1/bookings').map((c) => c.header['Idempotency-Key'])
  expect(keys).toHaveLength(3) // one automatic retry, then the person's second tap
  expect(new Set(keys).size).toBe(1)
  expect(modal.mock.calls[3][0]).toMatchObject({ title: '未能完成', content: '该活动面向 60–不限 岁，本人不符合年龄要求' })
})

test('cancelling the confirmation books nothing', async () => {
  agreedPrivacy()
  signedIn()
  stubModal([false])
  const req = stubRequest({ 'GET /api/v1/activities/1': detail(), 'GET /api/v1/me/family': { data: { items: [] } } })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.action-btn')
  await simulate.sleep(10)
  expect(req.calls.some((c) => c.method === 'POST')).toBe(false)
})

test('the button follows the session: full → 排队候补, lottery, walk-in, not yet open, closed, cancelled', async () => {
  const cases = [
    [fx.activity({}, [fx.session({ seats_left: 0, waitlist_length: 4 })]), '排队候补', '名额已满，前面有 4 人候补', false, ''],
    [fx.activity({ booking_mode: 'lottery', lottery_draw_at: '2099-12-02T04:00:00Z' }), '报名摇号', '12月2日（周三）12:00 公开摇号', false, ''],
    [fx.activity({ booking_mode: 'none' }, [fx.session({ capacity: null, seats_left: null })]), '无需预约，直接到场', '按时到场即可参加', true, '不用预约：这个活动直接到场，按时来就可以参加。'],
    [fx.activity({}, [fx.session({ booking_opens_at: '2099-12-01T02:00:00Z' })]), '12月1日（周二）10:00 开放预约', '', true, '还不能预约：12月1日（周二）10:00 开始预约，请到时再来。'],
    [fx.activity({}, [fx.session({ booking_closes_at: '2000-01-01T00:00:00Z' })]), '预约已截止', '', true, '不能预约：预约已于 1月1日（周六）08:00 截止。'],
    [fx.activity({ status: 'cancelled', cancel_reason: '场地维修' }), '活动已取消', '场地维修', true, '不能预约：这个活动已取消（场地维修）。']
  ]
  const req = stubRequest({ 'GET /api/v1/activities/1': () => detail(cases[i][0]).valueOf() })
  let i = 0
  for (i = 0; i < cases.length; i++) {
    const page = open()
    await waitFor(() => page.data.status === 'ok')
    expect([page.data.action.label, page.data.action.hint, page.data.action.disabled, page.data.action.reason]).toEqual(cases[i].slice(1))
    expect(text(page, '.action-btn')).toBe(cases[i][1])
    // why a button is disabled is readable text above it, not only the grey button's label
    if (cases[i][3]) expect(text(page, '.action-reason')).toBe(cases[i][4])
    else expect(page.querySelector('.action-reason')).toBeUndefined()
    page.detach()
  }
  expect(req.calls.filter((c) => c.path === '/api/v1/activities/1')).toHaveLength(cases.length)
})

test('a course lists its lessons and books the course once', async () => {
  agreedPrivacy()
  signedIn()
  stubModal([true, false])
  const course = fx.activity({ is_course: true, booking_mode: 'lottery', lottery_draw_at: '2099-12-02T04:00:00Z', title: '少儿国画班' }, [
    fx.session({ id: 22, lesson_no: 2, starts_at: '2099-12-12T01:30:00Z', ends_at: '2099-12-12T03:00:00Z' }),
    fx.session({ id: 21, lesson_no: 1, starts_at: '2099-12-05T01:30:00Z', ends_at: '2099-12-05T03:00:00Z' })
  ])
  const req = stubRequest({
    'GET /api/v1/activities/1': detail(course),
    'GET /api/v1/me/family': { data: { items: [] } },
    'POST /api/v1/bookings': { data: fx.booking({ status: 'entered', session_id: 21, is_course: true }) }
  })
  const page = open({ session: '22' })
  await waitFor(() => page.data.status === 'ok')
  expect(texts(page, '.session-time')).toEqual(['第 1 节 · 12月5日（周六）09:30–11:00', '第 2 节 · 12月12日（周六）09:30–11:00'])
  expect(text(page, '.section-title')).toBe('课程安排（报名一次包含全部课时）')
  await tap(page, '.action-btn')
  await waitFor(() => req.calls.some((c) => c.path === '/api/v1/bookings'))
  expect(req.calls.find((c) => c.path === '/api/v1/bookings').data).toEqual({ session_id: 21 })
})

test('choosing another session of a multi-session activity', async () => {
  stubRequest({
    'GET /api/v1/activities/1': detail(fx.activity({}, [
      fx.session(),
      fx.session({ id: 12, starts_at: '2099-12-06T11:30:00Z', ends_at: '2099-12-06T13:00:00Z', seats_left: 0, waitlist_length: 0 })
    ]))
  })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.selectedSessionId).toBe(11)
  page.querySelectorAll('.session')[1].dispatchEvent('tap')
  await waitFor(() => page.data.selectedSessionId === 12)
  expect(text(page, '.action-btn')).toBe('排队候补')
})

test('cancel my booking from the activity page, after a confirmation', async () => {
  agreedPrivacy()
  signedIn()
  const modal = stubModal([true])
  spyWx('showToast').mockImplementation(() => {})
  const req = stubRequest({
    'GET /api/v1/activities/1': [detail(fx.activity(), [fx.booking()]), detail(fx.activity(), [fx.booking({ status: 'cancelled' })])],
    'GET /api/v1/me/family': { data: { items: [] } },
    'POST /api/v1/bookings/5/cancel': { data: fx.booking({ status: 'cancelled' }) }
  })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.my-booking-status')).toBe('已预约')
  await tap(page, '.my-booking-cancel')
  await waitFor(() => page.data.myBookings[0] && page.data.myBookings[0].active === false)
  expect(modal.mock.calls[0][0].content).toContain('取消后名额会让给候补的居民')
  expect(req.calls.find((c) => c.path === '/api/v1/bookings/5/cancel').header['Idempotency-Key']).toMatch(/^mp-/)
  expect(text(page, '.my-booking-status')).toBe('已取消')
})

test('navigation to the session venue, the lottery record, and a missing activity', async () => {
  const openLoc = spyWx('openLocation').mockImplementation(() => {})
  const modal = stubModal([true])
  stubRequest({
    'GET /api/v1/activities/1': detail(fx.activity({ booking_mode: 'lottery', lottery_draw_at: '2099-12-02T04:00:00Z' })),
    'GET /api/v1/activities/1/lottery': { data: { activity_id: 1, capacity: 10, draw_at: '2099-12-02T04:00:00Z', seed_sha256: 'ab'.repeat(32), entries: [3, 4, 5], algorithm: '…' } },
    'GET /api/v1/activities/9': apiError(404, 'not_found', '该活动不存在')
  })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.session-nav')
  expect(openLoc.mock.calls[0][0]).toMatchObject({ latitude: 22.56892, longitude: 114.05276, name: '梅林分馆 多功能厅' })
  await tap(page, '.lottery-link')
  await waitFor(() => modal.mock.calls.length === 1)
  expect(modal.mock.calls[0][0].content).toContain('报名：3 人')
  expect(modal.mock.calls[0][0].content).toContain('随机种子承诺（SHA-256）：abababababababab…')

  const missing = open({ id: '9' })
  await waitFor(() => missing.data.status === 'error')
  expect(text(missing, '.state >>> .state-text')).toBe('该活动不存在')
})

test('residents’ ratings show when the server has them (endpoint announced, not built yet)', async () => {
  const req = stubRequest({
    'GET /api/v1/activities/1': detail(),
    'GET /api/v1/activities/1/ratings': {
      data: {
        activity_id: 1, count: 2, average: 4.5,
        items: [{ id: 1, name: '王*明', score: 5, tags: ['内容精彩'], comment: '老师很耐心', created_at: '2026-11-20T02:00:00Z', replies: [{ id: 1, unit_name: '梅林分馆', content: '谢谢支持', created_at: '2026-11-21T02:00:00Z' }] }]
      }
    }
  })
  const page = open()
  await waitFor(() => page.data.ratings)
  expect(text(page, '.rating-average')).toBe('★ 4.5')
  expect(text(page, '.rating-comment')).toBe('老师很耐心')
  expect(text(page, '.rating-stars')).toBe('★★★★★')
  expect(text(page, '.rating-reply')).toBe('梅林分馆回复：谢谢支持')
  expect(req.calls.find((c) => c.path === '/api/v1/activities/1/ratings').header.Authorization).toBeUndefined()
  // 举报 a comment: the report page, with the comment's first words.
  const nav = spyWx('navigateTo')
  await tap(page, '.rating-report')
  await waitFor(() => nav.mock.calls.length === 1)
  expect(nav.mock.calls[0][0].url).toBe('/pages/report/index?kind=rating&id=1&text=' + encodeURIComponent('老师很耐心'))
})

test('no ratings section while the endpoint is missing', async () => {
  stubRequest({
    'GET /api/v1/activities/1': detail(),
    'GET /api/v1/activities/1/ratings': apiError(404, 'route_not_found', '请求的接口不存在')
  })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  await simulate.sleep(10)
  expect(page.data.ratings).toBeNull()
  expect(page.querySelector('.ratings')).toBeUndefined()
})

test('in English: labels, the button, its hint and the reason it is disabled', async () => {
  require('../../src/utils/i18n').setLang('en')
  stubRequest({ 'GET /api/v1/activities/1': detail(fx.activity({ age_min: 50, joint_unit_names: ['翰岭服务点'] })) })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.lang).toBe('en')
  expect(text(page, '.organizer')).toBe('梅林分馆 (with 翰岭服务点)') // names are the service's data
  expect(text(page, '.action-btn')).toBe('Book now')
  expect(text(page, '.action-hint')).toBe('12 seats left')
  expect(text(page, '.sign-in-family')).toBe('Book for family')
  expect(text(page, '.session-nav')).toBe('Directions')
  expect(text(page, '.share-btn')).toBe('Share with a friend')
  // a finished event: the disabled button says why, in English
  stubRequest({ 'GET /api/v1/activities/1': detail(fx.activity({ status: 'finished' })) })
  const over = open()
  await waitFor(() => over.data.status === 'ok')
  expect(text(over, '.action-btn')).toBe('Event over')
  expect(text(over, '.action-reason')).toBe('Cannot book: the event is over.')
})

test('registration questions: large options, checked before submitting, answers sent by position', async () => {
  agreedPrivacy()
  signedIn()
  const qs = [
    { text: '您的古筝水平', kind: 'single', options: ['零基础', '初级'], required: true },
    { text: '会哪些乐器', kind: 'multiple', options: ['古筝', '二胡', '琵琶'], required: false },
    { text: '学习经历', kind: 'text', options: [], required: false }
  ]
  const modal = stubModal([true, true, false])
  const req = stubRequest({
    'GET /api/v1/activities/1': detail(fx.activity({ questions: qs })),
    'GET /api/v1/me/family': { data: { items: [] } },
    'POST /api/v1/bookings': { data: fx.booking() }
  })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.questions .section-title')).toBe('报名问题')
  expect(texts(page, '.question-text')).toEqual(['1. 您的古筝水平', '2. 会哪些乐器', '3. 学习经历'])
  expect(texts(page, '.question-badge')).toEqual(['必答', '选答', '选答'])
  expect(texts(page, '.option-label')).toEqual(['零基础', '初级', '古筝', '二胡', '琵琶'])
  // Nothing answered: the page says which question, sends nothing, and marks it.
  await tap(page, '.action-btn')
  await waitFor(() => modal.mock.calls.length === 1)
  expect(modal.mock.calls[0][0]).toMatchObject({ title: '请检查报名问题', content: '请先回答报名问题：“您的古筝水平”' })
  await waitFor(() => page.data.questions[0].error)
  expect(page.querySelectorAll('.question-error')).toHaveLength(1)
  expect(req.calls.some((c) => c.path === '/api/v1/bookings')).toBe(false)
  await waitFor(() => !page.instance.busy)
  // Answer and book.
  page.querySelectorAll('.option')[1].dispatchEvent('tap')
  page.querySelectorAll('.option')[4].dispatchEvent('tap')
  page.querySelectorAll('.option')[2].dispatchEvent('tap')
  await waitFor(() => page.data.questions[1].options[0].on)
  expect(page.data.questions[0].error).toBe(false)
  expect(texts(page, '.option-mark')).toEqual(['○', '●', '☑', '☐', '☑'])
  page.querySelector('.answer-text').dispatchEvent('input', { detail: { value: ' 学过两年 ' } })
  await tap(page, '.action-btn')
  await waitFor(() => req.calls.some((c) => c.path === '/api/v1/bookings'))
  expect(req.calls.find((c) => c.path === '/api/v1/bookings').data).toEqual({
    session_id: 11, answers: [['初级'], ['古筝', '琵琶'], ['学过两年']]
  })
  // the reminder question comes last: wait for it, so it does not reach the next test
  await waitFor(() => modal.mock.calls.length === 3)
  await waitFor(() => !page.instance.busy)
})

test("registration questions: the server's invalid_answers is shown and the question marked", async () => {
  agreedPrivacy()
  signedIn()
  const qs = [
    { text: '您的古筝水平', kind: 'single', options: ['零基础', '初级'], required: false },
    { text: '学习经历', kind: 'text', options: [], required: false }
  ]
  const modal = stubModal([true, true])
  stubRequest({
    'GET /api/v1/activities/1': detail(fx.activity({ questions: qs })),
    'GET /api/v1/me/family': { data: { items: [] } },
    'POST /api/v1/bookings': apiError(422, 'invalid_answers', '请回答报名问题“学习经历”', { position: 2, reason: 'missing' })
  })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.action-btn')
  await waitFor(() => modal.mock.calls.length === 2)
  expect(modal.mock.calls[1][0]).toMatchObject({ title: '请检查报名问题', content: '请回答报名问题“学习经历”' })
  await waitFor(() => page.data.questions[1].error)
  await waitFor(() => !page.instance.busy)
})

test('registration questions in English, and none shown when booking is not possible', async () => {
  require('../../src/utils/i18n').setLang('en')
  const qs = [{ text: '您的古筝水平', kind: 'single', options: ['零基础', '初级'], required: true }]
  stubRequest({ 'GET /api/v1/activities/1': detail(fx.activity({ questions: qs })) })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.questions .section-title')).toBe('Registration questions')
  expect(text(page, '.question-badge')).toBe('Required')
  expect(text(page, '.question-hint')).toBe('Choose one')
  stubRequest({ 'GET /api/v1/activities/1': detail(fx.activity({ questions: qs, status: 'finished' })) })
  const over = open()
  await waitFor(() => over.data.status === 'ok')
  expect(over.querySelectorAll('.question')).toHaveLength(0)
})
