/**
 * @jest-environment ./test/helpers/jsdom-fetch-env.js
 */
// A resident's journey through the mini-program's own pages and request module, against the
// real server (fake WeChat + serve on free ports, a fresh SQLite file):
// sign in → browse a branch → open an activity → book → see it in 我的预约 → cancel;
// and a vote for the main center's cultural menu at a service point (文化菜单).
const path = require('path')
const mp = require('../helpers/mp')
const { startStack } = require('../helpers/server')
const { createWxRequest } = require('../helpers/wx-request-fetch')
const { shoot } = require('../helpers/screenshot')

const { SRC, loadPage, waitFor, text, texts, tap, stubModal, simulate } = mp
const config = require(path.join(SRC, 'config'))
const format = require(path.join(SRC, 'utils/format'))
const session = require(path.join(SRC, 'utils/session'))
const request = require(path.join(SRC, 'utils/request'))

const MEILIN = 10 // 梅林分馆 in the demo Futian network
const TITLE = '梅林社区合唱入门（测试）'

let stack
let admin
let activity

function inDays(n, clock) {
  return format.addDays(format.chinaDate(), n) + 'T' + clock + ':00+08:00'
}

// the resident's WeChat: wx.login gets a real code from the fake WeChat
function residentWeChat(openid) {
  wx.request = createWxRequest(__node)
  wx.login = function (o) {
    stack.loginCode(openid).then(
      (code) => o.success({ code, errMsg: 'login:ok' }),
      (e) => o.fail({ errMsg: 'login:fail ' + e.message })
    )
  }
}

// The last navigation, as WeChat hands it to the next page: the query exactly as written in
// the URL (WeChat does not decode it; a page that forgets to decode shows %E6%A2%85…).
function navigatedTo(nav) {
  const url = nav.mock.calls[nav.mock.calls.length - 1][0].url
  const [route, qs] = url.replace(/^\//, '').split('?')
  const query = {}
  ;(qs || '').split('&').filter(Boolean).forEach((pair) => {
    const i = pair.indexOf('=')
    query[i < 0 ? pair : pair.slice(0, i)] = i < 0 ? '' : pair.slice(i + 1)
  })
  return { route, query }
}

beforeAll(async () => {
  stack = await startStack()
  config.baseUrl = stack.baseUrl
  admin = await stack.admin('o-admin')
  activity = await stack.createActivity(admin, {
    title: TITLE,
    kind: 'training',
    organizer_unit_id: MEILIN,
    description: '零基础合唱入门，适合中老年朋友。',
    booking_mode: 'fcfs',
    sessions: [{ unit_id: MEILIN, room: '多功能厅', starts_at: inDays(7, '19:30'), ends_at: inDays(7, '21:00'), capacity: 2 }]
  })
}, 90000)

afterAll(async () => {
  if (stack) await stack.stop()
})

beforeEach(() => {
  mp.resetStorage()
  residentWeChat('o-resident-1')
})

test('sign in → browse a branch → open an activity → book → 我的预约 → cancel', async () => {
  // 1. sign in from 我的 (privacy agreement first)
  const me = loadPage('pages/me/index')
  await tap(me, '.sign-in')
  const dialog = me.querySelector('.privacy')
  await waitFor(() => dialog.querySelector('.dialog'))
  dialog.querySelector('.dialog-agree').dispatchEvent('agreeprivacyauthorization')
  await waitFor(() => me.data.signedIn && me.data.status === 'ok' && me.data.user && me.data.noShow, 10000)
  expect(text(me, '.name')).toBe('文化馆居民')
  expect(text(me, '.no-show-count')).toMatch(/爽约 0 次/)
  const token = session.token()
  expect(token).toBeTruthy()

  // 2. browse 梅林分馆 on the 活动 tab
  const nav = mp.spyWx('navigateTo').mockImplementation(() => {})
  const list = loadPage('pages/activities/index')
  await waitFor(() => list.data.branches.length > 10 && list.data.status !== 'loading', 10000)
  const branchIndex = list.data.branches.findIndex((b) => b.id === MEILIN)
  expect(list.data.branches[branchIndex].label).toBe('梅林分馆')
  list.querySelector('.branch-picker').dispatchEvent('change', { detail: { value: branchIndex } })
  await waitFor(() => list.data.unit && list.data.unit.id === MEILIN && list.data.status === 'ok', 10000)
  expect(text(list, '.venue >>> .venue-name')).toBe('福田区文化馆梅林分馆')
  expect(texts(list, '.item >>> .card-title')).toContain(TITLE)
  const cardIndex = list.data.items.findIndex((i) => i.title === TITLE)
  expect(text(list, '.item >>> .card-seats')).toBeDefined()
  list.querySelectorAll('.item')[cardIndex].querySelector('.activity-card').dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  const toDetail = navigatedTo(nav)
  expect(toDetail.route).toBe('pages/activity/detail')
  expect(Number(toDetail.query.id)).toBe(activity.id)

  // 3. open the activity
  const detail = loadPage(toDetail.route, { query: toDetail.query })
  await waitFor(() => detail.data.status === 'ok', 10000)
  expect(text(detail, '.title-text')).toBe(TITLE)
  expect(text(detail, '.session-seats')).toBe('剩余 2 个名额')
  expect(text(detail, '.action-btn')).toBe('立即预约')

  // 4. book, with the confirmation, then allow reminders
  const modal = stubModal([true, true])
  mp.spyWx('requestSubscribeMessage').mockImplementation((o) => setTimeout(() => o.success({
    errMsg: 'requestSubscribeMessage:ok', tmpl_booking_confirmed: 'accept', tmpl_session_reminder: 'accept', tmpl_activity_changed: 'accept'
  }), 0))
  await tap(detail, '.action-btn')
  await waitFor(() => detail.data.myBookings.length === 1 && detail.data.action.kind === 'booked', 10000)
  expect(modal.mock.calls[0][0].title).toBe('确认预约')
  expect(text(detail, '.my-booking-status')).toBe('已预约')
  expect(text(detail, '.session-seats')).toBe('剩余 1 个名额')
  await waitFor(() => modal.mock.calls.length === 2)
  expect(modal.mock.calls[1][0].title).toBe('预约成功')

  // 5. 我的预约 shows it; open the booking
  nav.mockClear()
  const bookings = loadPage('pages/bookings/index')
  await waitFor(() => bookings.data.status === 'ok', 10000)
  expect(texts(bookings, '.upcoming-list .booking >>> .booking-title')).toEqual([TITLE])
  expect(texts(bookings, '.upcoming-list .booking >>> .booking-status')).toEqual(['已预约'])
  bookings.querySelector('.booking').querySelector('.booking-card').dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  const toBooking = navigatedTo(nav)
  expect(toBooking.route).toBe('pages/booking/detail')

  const ticket = loadPage(toBooking.route, { query: toBooking.query })
  await waitFor(() => ticket.data.status === 'ok' && ['soon', 'ok'].includes(ticket.data.ticket.state), 10000)
  expect(text(ticket, '.title-text')).toBe(TITLE)
  expect(text(ticket, '.place')).toBe('梅林分馆 · 多功能厅')
  // the QR ticket endpoint was announced before it was built: check it when the server has it
  if (await stack.has('GET', '/api/v1/bookings/{id}/ticket')) {
    expect(ticket.data.ticket.state).toBe('ok')
    expect(ticket.data.ticket.src).toMatch(/^data:image\/png;base64,iVBOR/)
    expect(mp.storage()['ch_ticket_' + toBooking.query.id].ticket.token).toBeTruthy()
  } else {
    expect(text(ticket, '.qr-soon')).toMatch(/即将上线/)
  }

  // 6. cancel, with the confirmation
  modal.mockRestore()
  const cancelModal = stubModal([true])
  await tap(ticket, '.cancel-btn')
  await waitFor(() => ticket.data.b.status === 'cancelled', 10000)
  expect(cancelModal.mock.calls[0][0].title).toBe('取消预约')
  expect(text(ticket, '.status')).toBe('已取消')

  // the server agrees: cancelled, the seat is back, the reminders were recorded
  const mine = await stack.get('/me/bookings', token)
  expect(mine.items.map((b) => b.status)).toEqual(['cancelled'])
  const after = await stack.get('/activities/' + activity.id)
  expect(after.activity.sessions[0].seats_left).toBe(2)

  // and 我的预约 moves it to the past
  bookings.instance.onShow()
  await waitFor(() => bookings.data.past.length === 1 && bookings.data.upcoming.length === 0, 10000)
})

test('full → waiting list → promoted when a seat is freed; a retried booking is not doubled', async () => {
  const small = await stack.createActivity(admin, {
    title: '一人名额讲座',
    kind: 'lecture',
    organizer_unit_id: MEILIN,
    booking_mode: 'fcfs',
    sessions: [{ unit_id: MEILIN, room: '书画室', starts_at: inDays(8, '10:00'), ends_at: inDays(8, '11:30'), capacity: 1 }]
  })
  const sessionId = small.sessions[0].id
  const first = await stack.signIn('o-first')
  await (await __node.fetch(stack.api('/bookings'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + first },
    body: JSON.stringify({ session_id: sessionId })
  })).json()

  // the resident, through the app's request module
  mp.agreedPrivacy()
  mp.spyWx('showToast').mockImplementation(() => {})
  const full = await request.call('book', { data: { session_id: sessionId }, idempotencyKey: request.newIdempotencyKey(), showError: false }).catch((e) => e)
  expect(full).toMatchObject({ status: 409, code: 'session_full', message: '名额已满，可以排队候补' })

  const key = request.newIdempotencyKey()
  const queued = await request.call('book', { data: { session_id: sessionId, join_waitlist: true }, idempotencyKey: key })
  const again = await request.call('book', { data: { session_id: sessionId, join_waitlist: true }, idempotencyKey: key })
  expect(queued).toMatchObject({ status: 'waitlisted', waitlist_position: 1 })
  expect(again.id).toBe(queued.id)

  // the first person cancels: the resident moves up at once
  const firstBookings = await stack.get('/me/bookings', first)
  await __node.fetch(stack.api('/bookings/' + firstBookings.items[0].id + '/cancel'), {
    method: 'POST', headers: { authorization: 'Bearer ' + first }
  })
  const page = loadPage('pages/booking/detail', { query: { id: String(queued.id) } })
  await waitFor(() => page.data.status === 'ok' && page.data.b.status === 'confirmed', 10000)
  expect(text(page, '.status')).toBe('已预约')
})

test('a family member under 14 needs guardian consent, then can be booked for a children’s class', async () => {
  const kids = await stack.createActivity(admin, {
    title: '少儿国画体验课',
    kind: 'training',
    organizer_unit_id: 4,
    booking_mode: 'fcfs',
    age_min: 6,
    age_max: 12,
    sessions: [{ unit_id: 4, starts_at: inDays(9, '09:30'), ends_at: inDays(9, '11:00'), capacity: 10 }]
  })
  mp.agreedPrivacy()
  mp.spyWx('showToast').mockImplementation(() => {})
  const back = mp.spyWx('navigateBack').mockImplementation(() => {})

  const family = loadPage('pages/family/index', { query: { add: '1' } })
  expect(family.data.status).toBe('empty') // signed out: asks to sign in
  await waitFor(() => family.querySelector('.state').querySelector('.state-action'))
  family.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => family.data.status === 'ok', 10000)
  family.querySelector('.name-input').dispatchEvent('input', { detail: { value: '小明' } })
  family.querySelector('.birth-picker').dispatchEvent('change', { detail: { value: format.addDays(format.chinaDate(), -8 * 366) } })
  await simulate.sleep(0)
  await tap(family, '.consent')
  await tap(family, '.submit')
  await waitFor(() => back.mock.calls.length === 1, 10000)

  const modal = stubModal([true, false])
  const detail = loadPage('pages/activity/detail', { query: { id: String(kids.id) } })
  await waitFor(() => detail.data.status === 'ok' && detail.data.members.length === 1, 10000)
  expect(text(detail, '.age')).toBe('适合 6–12 岁')
  detail.querySelector('.attendees').querySelectorAll('.attendee')[1].dispatchEvent('tap')
  await waitFor(() => detail.data.attendeeId === detail.data.members[0].id)
  await tap(detail, '.action-btn')
  await waitFor(() => detail.data.myBookings.length === 1, 10000)
  expect(detail.data.myBookings[0].attendee).toBe('小明')
  expect(modal.mock.calls[0][0].content).toContain('为【小明】预约')
})

test('我想看的活动: ask for one, and another resident supports it (when the server has demands)', async () => {
  if (!(await stack.has('POST', '/api/v1/demands'))) {
    console.log('skipped: this server has no /api/v1/demands yet')
    return
  }
  mp.agreedPrivacy()
  await stack.markSeen('o-resident-1') // active within two hours, as WeChat's text check requires
  wx.setStorageSync('ch_my_unit', { id: MEILIN, name: '福田区文化馆梅林分馆', short_name: '梅林分馆' })
  const modal = stubModal([true])
  const page = loadPage('pages/demand/index')
  await waitFor(() => ['ok', 'empty'].includes(page.data.status), 10000)
  await tap(page, '.show-form')
  await waitFor(() => page.data.showForm, 10000)
  expect(text(page, '.unit-value')).toBe('梅林分馆 ▾')
  page.querySelector('.description').dispatchEvent('input', { detail: { value: '想学粤剧唱腔，适合退休人员' } })
  await simulate.sleep(0)
  await tap(page, '.submit')
  await waitFor(() => modal.mock.calls.length === 1, 10000)
  expect(modal.mock.calls[0][0].content).toBe('已发布，其他居民可以支持您的想法。')
  await waitFor(() => page.data.status === 'ok' && page.data.items.some((d) => d.description === '想学粤剧唱腔，适合退休人员'), 10000)

  // a neighbour supports it
  mp.resetStorage()
  residentWeChat('o-neighbour')
  mp.agreedPrivacy()
  mp.spyWx('showToast').mockImplementation(() => {})
  const other = loadPage('pages/demand/index')
  await waitFor(() => other.data.status === 'ok', 10000)
  const idx = other.data.items.findIndex((d) => d.description === '想学粤剧唱腔，适合退休人员')
  expect(idx).toBeGreaterThanOrEqual(0)
  const before = other.data.items[idx].supporters
  expect(other.data.items[idx].canSupport).toBe(true)
  other.querySelector('.demand-support').dispatchEvent('tap') // the only request on the list
  await waitFor(() => other.data.items[idx].supporters === before + 1, 10000)
  expect(other.data.items[idx].iSupport).toBe(true)
})

test('文化菜单: the main center publishes an item, a resident votes at a point; a second vote reads 已投票', async () => {
  // the main-center admin publishes a menu item for this year and next
  const year = format.chinaDate().slice(0, 4)
  const created = await (await __node.fetch(stack.api('/menu/items'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + admin },
    body: JSON.stringify({
      title: '粤剧折子戏专场（测试）', kind: 'performance', description: '总馆粤剧团送戏到社区', quota: 2,
      period_start: year + '-01-01', period_end: (Number(year) + 1) + '-12-31'
    })
  })).json()
  expect(created.id).toBeTruthy()
  // a service point of 梅林分馆, from the public tree
  const tree = await stack.get('/org/tree')
  const meilin = tree[0].children.find((c) => c.unit.id === MEILIN)
  const point = meilin.children.find((c) => c.unit.level === 'point').unit

  mp.resetStorage()
  residentWeChat('o-menu-voter')
  mp.agreedPrivacy()
  const toast = mp.spyWx('showToast').mockImplementation(() => {})
  const query = { unit_id: String(point.id), unit_name: encodeURIComponent(point.short_name) }
  const page = loadPage('pages/menu/index', { query })
  await waitFor(() => page.data.status === 'ok', 10000)
  const i = page.data.items.findIndex((m) => m.id === created.id)
  expect(i).toBeGreaterThanOrEqual(0)
  expect(texts(page, '.item-title')[i]).toBe('粤剧折子戏专场（测试）')
  expect(texts(page, '.item-kind')[i]).toBe(page.data.items[i].kind)
  expect(texts(page, '.item-votes')[i]).toBe('这里已有 0 票')
  expect(text(page, '.unit-value')).toBe(point.short_name + ' ▾')

  // vote (signs in on the way), with the confirmation
  const modal = stubModal([true])
  page.querySelectorAll('.vote-btn')[i].dispatchEvent('tap')
  await waitFor(() => page.data.items[i].voted, 10000)
  expect(modal.mock.calls[0][0].title).toBe('确认投票')
  expect(texts(page, '.item-votes')[i]).toBe('这里已有 1 票')
  expect(texts(page, '.vote-btn')[i]).toBe('已投票')
  // the server counts it at the point and at its branch, not elsewhere
  const at = async (unitId) => (await stack.get('/menu/items?unit_id=' + unitId)).items.find((m) => m.id === created.id).votes
  expect(await at(point.id)).toBe(1)
  expect(await at(MEILIN)).toBe(1)
  expect(await at(4)).toBe(0)

  // another visit: the count shows 1; voting again is refused and reads 已投票
  modal.mockRestore()
  const again = stubModal([true])
  const second = loadPage('pages/menu/index', { query })
  await waitFor(() => second.data.status === 'ok', 10000)
  const j = second.data.items.findIndex((m) => m.id === created.id)
  expect(texts(second, '.item-votes')[j]).toBe('这里已有 1 票')
  second.querySelectorAll('.vote-btn')[j].dispatchEvent('tap')
  await waitFor(() => second.data.items[j].voted, 10000)
  expect(again).toHaveBeenCalledTimes(1)
  expect(texts(second, '.vote-btn')[j]).toBe('已投票')
  expect(texts(second, '.item-votes')[j]).toBe('这里已有 1 票')
  expect(toast.mock.calls.pop()[0].title).toBe('您已经为这个项目投过票')
  expect(await at(point.id)).toBe(1)
})

test('ticket → checked in at the door → rate it → the rating shows on the activity (when the server has them)', async () => {
  const needed = [['GET', '/api/v1/bookings/{id}/ticket'], ['POST', '/api/v1/checkin/scan'], ['POST', '/api/v1/ratings'], ['GET', '/api/v1/activities/{id}/ratings']]
  for (const [m, p] of needed) {
    if (!(await stack.has(m, p))) {
      console.log('skipped: this server has no ' + m + ' ' + p + ' yet')
      return
    }
  }
  // starts in 30 minutes: check-in is open (it opens an hour before)
  const start = new Date(Date.now() + 30 * 60000)
  const end = new Date(Date.now() + 120 * 60000)
  const soon = await stack.createActivity(admin, {
    title: '书法公开课',
    kind: 'lecture',
    organizer_unit_id: MEILIN,
    booking_mode: 'fcfs',
    sessions: [{ unit_id: MEILIN, room: '书画室', starts_at: start.toISOString(), ends_at: end.toISOString(), capacity: 20 }]
  })
  mp.resetStorage()
  residentWeChat('o-resident-3')
  mp.agreedPrivacy()
  mp.spyWx('showToast').mockImplementation(() => {})
  const booking = await request.call('book', { data: { session_id: soon.sessions[0].id }, idempotencyKey: request.newIdempotencyKey() })

  const ticketPage = loadPage('pages/booking/detail', { query: { id: String(booking.id) } })
  await waitFor(() => ticketPage.data.ticket.state === 'ok', 10000)
  const token = mp.storage()['ch_ticket_' + booking.id].ticket.token

  // a staff member scans the QR code at the door
  const scan = await (await __node.fetch(stack.api('/checkin/scan'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + admin },
    body: JSON.stringify({ session_id: soon.sessions[0].id, token, nonce: 'e2e-' + Date.now() })
  })).json()
  expect(scan.result).toBe('admitted')

  const nav = mp.spyWx('navigateTo').mockImplementation(() => {})
  const after = loadPage('pages/booking/detail', { query: { id: String(booking.id) } })
  await waitFor(() => after.data.b.canRate, 10000)
  expect(text(after, '.status')).toBe('已签到')
  await tap(after, '.rate-btn')
  const toRating = navigatedTo(nav)
  expect(toRating.route).toBe('pages/rating/index')

  await stack.markSeen('o-resident-3')
  const rating = loadPage(toRating.route, { query: toRating.query })
  expect(text(rating, '.rating-title')).toBe('书法公开课')
  rating.querySelectorAll('.score-star')[4].dispatchEvent('tap')
  rating.querySelector('.comment').dispatchEvent('input', { detail: { value: '老师讲得很清楚' } })
  await simulate.sleep(0)
  await tap(rating, '.submit')
  await waitFor(() => rating.data.state === 'done', 10000)

  const detail = loadPage('pages/activity/detail', { query: { id: String(soon.id) } })
  await waitFor(() => detail.data.ratings, 10000)
  expect(text(detail, '.rating-comment')).toBe('老师讲得很清楚')
  expect(text(detail, '.rating-average')).toBe('★ 5.0')
})

// No signal at the door: the phone saw 我的预约 once with a signal; now every request fails.
function noSignal() {
  wx.request = function (o) {
    setTimeout(() => o.fail && o.fail({ errMsg: 'request:fail timeout' }), 0)
    return { abort() {} }
  }
}

test('no signal at the door: 我的预约 keeps the saved bookings, marked, and the QR ticket opens offline', async () => {
  const start = inDays(3, '10:00')
  const talk = await stack.createActivity(admin, {
    title: '家门口的川剧讲座',
    kind: 'lecture',
    organizer_unit_id: MEILIN,
    booking_mode: 'fcfs',
    sessions: [{ unit_id: MEILIN, starts_at: start, ends_at: inDays(3, '11:30'), capacity: 30 }]
  })
  residentWeChat('o-resident-offline')
  mp.agreedPrivacy()
  mp.spyWx('showToast').mockImplementation(() => {})
  const booking = await request.call('book', { data: { session_id: talk.sessions[0].id }, idempotencyKey: request.newIdempotencyKey() })

  // with a signal: the list, and the ticket saved ahead without ever opening it
  const bookings = loadPage('pages/bookings/index')
  await waitFor(() => bookings.data.status === 'ok' && mp.storage()['ch_ticket_' + booking.id], 10000)
  const savedToken = mp.storage()['ch_ticket_' + booking.id].ticket.token
  expect(savedToken).toBeTruthy()

  // at the door, no signal: the list stays, with the note, and the card opens the saved ticket
  noSignal()
  bookings.instance.onShow()
  await waitFor(() => bookings.data.offline, 10000)
  expect(text(bookings, '.offline-text')).toMatch(/^网络不畅，显示的是 .+ 保存的预约。电子票可以离线出示。$/)
  expect(texts(bookings, '.upcoming-list .booking >>> .booking-title')).toEqual(['家门口的川剧讲座'])
  shoot(bookings, 'offline-bookings')
  const nav = mp.spyWx('navigateTo').mockImplementation(() => {})
  bookings.querySelector('.booking').querySelector('.booking-card').dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  mp.spyWx('getScreenBrightness').mockImplementation((o) => o.complete && o.complete())
  mp.spyWx('setScreenBrightness').mockImplementation(() => {})
  const ticket = mp.openUrl(nav.mock.calls[0][0].url)
  await waitFor(() => ticket.data.ticket.state === 'cached', 10000)
  expect(text(ticket, '.title-text')).toBe('家门口的川剧讲座')
  expect(text(ticket, '.qr-cached')).toMatch(/^离线电子票/)
  expect(ticket.data.ticket.src).toMatch(/^data:image\/png;base64,iVBOR/)
  shoot(ticket, 'offline-ticket', { images: [['qr', ticket.data.ticket.src]], height: 1500 })
})

test('an account deleted on another phone: browsing goes on anonymously, asks to sign in again, and makes no new account', async () => {
  residentWeChat('o-resident-deleted')
  mp.agreedPrivacy()
  await request.signIn()
  const token = session.token()
  // the same person deletes the account on another phone
  const del = await __node.fetch(stack.api('/me'), { method: 'DELETE', headers: { authorization: 'Bearer ' + token } })
  expect(del.status).toBe(200)

  const login = mp.spyWx('login')
  const toast = mp.spyWx('showToast').mockImplementation(() => {})
  const list = loadPage('pages/activities/index')
  await waitFor(() => list.data.status === 'ok', 10000)
  expect(list.data.items.length).toBeGreaterThan(0)
  expect(login).not.toHaveBeenCalled() // no silent sign-in, so no new account
  expect(session.isSignedIn()).toBe(false)
  expect(toast.mock.calls.map((c) => c[0].title)).toContain('登录已失效，请到“我的”重新登录')
  const me = loadPage('pages/me/index')
  await waitFor(() => me.data.status === 'ok')
  expect(text(me, '.revoked-note')).toMatch(/^登录已失效/)
  expect(me.querySelector('.sign-in')).toBeDefined()
  // 我的预约 asks for a sign-in instead of making an account
  const bookings = loadPage('pages/bookings/index')
  expect(bookings.data.status).toBe('empty')
  expect(login).not.toHaveBeenCalled()
})

test('the venue code: WeChat opens pages/checkin/self with the scene, the resident is checked in (✓), the server counts her', async () => {
  const start = new Date(Date.now() + 30 * 60000)
  const end = new Date(Date.now() + 120 * 60000)
  const talk = await stack.createActivity(admin, {
    title: '社区广场舞展演',
    kind: 'performance',
    organizer_unit_id: MEILIN,
    booking_mode: 'fcfs',
    sessions: [{ unit_id: MEILIN, room: '梅林社区广场', outside: true, starts_at: start.toISOString(), ends_at: end.toISOString(), capacity: 50 }]
  })
  const sid = talk.sessions[0].id
  residentWeChat('o-resident-venue')
  mp.agreedPrivacy()
  mp.spyWx('showToast').mockImplementation(() => {})
  await request.call('book', { data: { session_id: sid }, idempotencyKey: request.newIdempotencyKey() })
  mp.spyWx('vibrateShort').mockImplementation(() => {})
  // the code staff print (GET /sessions/{id}/venue-code) opens this page with scene s=<session>
  const page = mp.openUrl('/pages/checkin/self?scene=' + encodeURIComponent('s=' + sid))
  await waitFor(() => page.data.status === 'ok', 10000)
  expect(text(page, '.answer-symbol')).toBe('✓')
  expect(text(page, '.answer-title')).toBe('签到成功')
  const stats = await stack.get('/sessions/' + sid + '/checkin/stats', admin)
  expect(stats.admitted).toBe(1)
  // again: the server says she has already checked in (!)
  const again = mp.openUrl('/pages/checkin/self?scene=' + encodeURIComponent('s=' + sid))
  await waitFor(() => again.data.status === 'ok', 10000)
  expect(text(again, '.answer-symbol')).toBe('!')
})

test('转让: the holder makes a code on the booking page, a friend accepts it on the share page; the seat moves, the old ticket dies', async () => {
  const act = await stack.createActivity(admin, {
    title: '转让体验讲座',
    kind: 'lecture',
    organizer_unit_id: MEILIN,
    booking_mode: 'fcfs',
    sessions: [{ unit_id: MEILIN, room: '书画室', starts_at: inDays(9, '10:00'), ends_at: inDays(9, '11:30'), capacity: 1 }]
  })
  const sessionId = act.sessions[0].id
  const holder = await stack.signIn('o-transfer-holder')
  const booked = await (await __node.fetch(stack.api('/bookings'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + holder },
    body: JSON.stringify({ session_id: sessionId })
  })).json()
  expect(booked.status).toBe('confirmed')

  // the holder, in the app: 转让给家人朋友 → a code and a share card
  residentWeChat('o-transfer-holder')
  mp.agreedPrivacy()
  mp.spyWx('setScreenBrightness').mockImplementation(() => {})
  const page = loadPage('pages/booking/detail', { query: { id: String(booked.id) } })
  await waitFor(() => page.data.status === 'ok' && page.data.ticket.state === 'ok', 10000)
  const oldTicket = mp.storage()['ch_ticket_' + booked.id].ticket.token
  stubModal([true])
  await tap(page, '.transfer-btn')
  await waitFor(() => page.data.transfer, 10000)
  const code = text(page, '.transfer-code')
  expect(code).toMatch(/^[A-Z2-9]{10}$/)
  const share = page.instance.onShareAppMessage({ from: 'button' })
  const [route, qs] = share.path.replace(/^\//, '').split('?')
  expect(route).toBe('pages/transfer/accept')

  // the friend opens the share card on their own phone
  mp.resetStorage()
  residentWeChat('o-transfer-friend')
  mp.agreedPrivacy()
  const redirect = mp.spyWx('redirectTo').mockImplementation(() => {})
  const accept = loadPage(route, { query: { code: qs.split('=')[1] } })
  await waitFor(() => accept.data.offer, 10000)
  expect(text(accept, '.offer-title')).toBe('转让体验讲座')
  await tap(accept, '.accept-btn')
  await waitFor(() => redirect.mock.calls.length === 1, 10000)
  const newId = Number(redirect.mock.calls[0][0].url.split('id=')[1])
  const friend = session.token()
  const mine = await stack.get('/bookings/' + newId, friend)
  expect(mine).toMatchObject({ status: 'confirmed', session_id: sessionId })
  const ticket = await stack.get('/bookings/' + newId + '/ticket', friend)
  expect(ticket.token).not.toBe(oldTicket)

  // the holder's booking ended; the seat did not return to the pool
  const old = await stack.get('/bookings/' + booked.id, holder)
  expect(old.status).toBe('cancelled')
  const after = await stack.get('/activities/' + act.id)
  expect(after.activity.sessions[0].seats_left).toBe(0)
  // a second use of the code is refused in the one error shape
  const again = await (await __node.fetch(stack.api('/transfers/' + code + '/accept'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + (await stack.signIn('o-transfer-late')) },
    body: '{}'
  })).json()
  expect(again.error).toMatchObject({ status: 409, code: 'transfer_used' })
})

test('场次通知: staff send a notice to a session; the attendee reads it in 我的消息 (marked new, then read)', async () => {
  const act = await stack.createActivity(admin, {
    title: '通知体验讲座',
    kind: 'lecture',
    organizer_unit_id: MEILIN,
    booking_mode: 'fcfs',
    sessions: [{ unit_id: MEILIN, room: '书画室', starts_at: inDays(10, '10:00'), ends_at: inDays(10, '11:30'), capacity: 5 }]
  })
  const sessionId = act.sessions[0].id
  const post = async (p, body, token) => (await __node.fetch(stack.api(p), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
    body: JSON.stringify(body)
  })).json()
  const reader = await stack.signIn('o-notice-reader')
  expect((await post('/bookings', { session_id: sessionId }, reader)).status).toBe('confirmed')
  const sent = await post('/sessions/' + sessionId + '/notices', { body: '教室改到三楼 301，请带好毛笔' }, admin)
  expect(sent.recipients).toBe(1)

  residentWeChat('o-notice-reader')
  mp.agreedPrivacy()
  const page = loadPage('pages/messages/index')
  await waitFor(() => page.data.status === 'ok', 10000)
  expect(texts(page, '.message-body')).toEqual(['教室改到三楼 301，请带好毛笔'])
  expect(text(page, '.message-title')).toMatch(/^通知体验讲座（/)
  expect(texts(page, '.message-new')).toEqual(['新'])
  // opening the list marked it read on the server
  let after
  for (let i = 0; i < 50; i++) {
    after = await stack.get('/me/messages', session.token())
    if (after.unread === 0) break
    await simulate.sleep(100)
  }
  expect(after.unread).toBe(0)
})

test('举报: a resident reports a demand from the list, staff uphold it, the reporter reads the outcome in 我的消息', async () => {
  const post = async (p, body, token) => (await __node.fetch(stack.api(p), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
    body: JSON.stringify(body)
  })).json()
  const poster = await stack.signIn('o-ad-poster')
  await stack.markSeen('o-ad-poster')
  const made = await post('/demands', { kind: 'lecture', unit_id: MEILIN, description: '加微信领免费鸡蛋，名额有限' }, poster)
  expect(made.visibility).toBe('published')

  residentWeChat('o-reporter')
  mp.agreedPrivacy()
  await stack.signIn('o-reporter')
  wx.setStorageSync('ch_my_unit', { id: MEILIN, name: '福田区文化馆梅林分馆', short_name: '梅林分馆' })
  const list = loadPage('pages/demand/index')
  await waitFor(() => list.data.status === 'ok' && list.data.items.some((d) => d.id === made.id), 10000)
  const nav = mp.spyWx('navigateTo')
  const idx = list.data.items.findIndex((d) => d.id === made.id)
  list.querySelectorAll('.demand-report')[idx].dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  const to = navigatedTo(nav)
  expect(to.route).toBe('pages/report/index')
  const page = loadPage(to.route, { query: to.query })
  expect(text(page, '.excerpt')).toBe('“加微信领免费鸡蛋，名额有限”')
  page.querySelectorAll('.reason')[3].dispatchEvent('tap') // 广告营销
  await simulate.sleep(0)
  await tap(page, '.submit')
  await waitFor(() => page.data.state === 'done', 10000)

  // Staff of the unit see it in the queue and uphold it: hidden from the public list.
  const queue = await stack.get('/reports', admin)
  const item = queue.items.find((i) => i.target_kind === 'demand' && i.target_id === made.id)
  expect(item.reasons).toEqual([{ reason: 'ads', label: '广告营销', count: 1 }])
  expect((await post('/reports/demand/' + made.id + '/decide', { decision: 'uphold' }, admin)).reports).toBe(1)
  const publicList = await stack.get('/demands?unit_id=' + MEILIN)
  expect(publicList.items.some((d) => d.id === made.id)).toBe(false)

  const inbox = loadPage('pages/messages/index')
  await waitFor(() => inbox.data.status === 'ok', 10000)
  expect(text(inbox, '.message-title')).toBe('举报处理结果')
  expect(text(inbox, '.message-body')).toMatch(/已被隐藏/)
})

test('报名问题: the booking step asks the training’s questions, checks them, shows the server’s refusal when staff added one meanwhile; staff read the answers', async () => {
  const act = await stack.createActivity(admin, {
    title: '古筝入门班（测试）',
    kind: 'training',
    organizer_unit_id: MEILIN,
    booking_mode: 'fcfs',
    questions: [
      { text: '您的古筝水平', kind: 'single', options: ['零基础', '初级', '中级'], required: true },
      { text: '学习经历', kind: 'text' }
    ],
    sessions: [{ unit_id: MEILIN, room: '书画室', starts_at: inDays(10, '14:00'), ends_at: inDays(10, '15:30'), capacity: 10 }]
  })
  residentWeChat('o-questions')
  mp.agreedPrivacy()
  const modal = stubModal([true, true, true, true, false])
  const page = loadPage('pages/activity/detail', { query: { id: String(act.id) } })
  await waitFor(() => page.data.status === 'ok', 10000)
  expect(texts(page, '.question-text')).toEqual(['1. 您的古筝水平', '2. 学习经历'])
  expect(texts(page, '.question-badge')).toEqual(['必答', '选答'])

  // Nothing chosen: the page asks first (after signing in), nothing reaches the server.
  await tap(page, '.action-btn')
  await waitFor(() => modal.mock.calls.length === 1, 10000)
  expect(modal.mock.calls[0][0].content).toBe('请先回答报名问题：“您的古筝水平”')
  await waitFor(() => !page.instance.busy)
  const token = session.token()
  expect((await stack.get('/me/bookings', token)).items).toEqual([])

  // Staff add a required question while the page is open (nobody has booked yet).
  const patched = await (await __node.fetch(stack.api('/activities/' + act.id), {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + admin },
    body: JSON.stringify({ questions: act.questions.concat([{ text: '想学的曲目', kind: 'text', required: true }]) })
  })).json()
  expect(patched.questions).toHaveLength(3)

  page.querySelectorAll('.option')[1].dispatchEvent('tap')
  page.querySelector('.answer-text').dispatchEvent('input', { detail: { value: '学过半年' } })
  await tap(page, '.action-btn')
  // the server's own words; the page reloads with the new question and keeps the answers
  await waitFor(() => modal.mock.calls.length === 3, 10000)
  expect(modal.mock.calls[2][0]).toMatchObject({ title: '请检查报名问题', content: '请回答报名问题“想学的曲目”' })
  await waitFor(() => page.data.questions.length === 3 && page.data.questions[2].error, 10000)
  expect(page.data.questions[0].options[1].on).toBe(true)
  expect(page.data.questions[1].value).toBe('学过半年')
  await waitFor(() => !page.instance.busy)
  shoot(page, 'booking-questions', { height: 2750 })
  page.querySelectorAll('.answer-text')[1].dispatchEvent('input', { detail: { value: '渔舟唱晚' } })
  await tap(page, '.action-btn')
  await waitFor(() => page.data.myBookings.length === 1, 10000)

  // Staff read the answers on the roster.
  const roster = await stack.get('/sessions/' + act.sessions[0].id + '/bookings', admin)
  expect(roster.questions).toEqual(['您的古筝水平', '学习经历', '想学的曲目'])
  expect(roster.items[0].answers).toEqual(['初级', '学过半年', '渔舟唱晚'])
  // and now the questions are frozen
  const locked = await (await __node.fetch(stack.api('/activities/' + act.id), {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + admin },
    body: JSON.stringify({ questions: [] })
  })).json()
  expect(locked.error).toMatchObject({ status: 409, code: 'questions_locked' })
})
