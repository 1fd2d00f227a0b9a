/**
 * @jest-environment ./test/helpers/jsdom-fetch-env.js
 */
// A volunteer's and a branch staff member's journeys through the mini-program's own pages and
// request module, against the real server (fake WeChat + serve on free ports, fresh SQLite):
//  - volunteer: 我的志愿服务 → 扫码签到 → download the offline list → scan (admitted) → the same
//    ticket again (already admitted) → the network goes (wx.request fails) → a ticket another
//    volunteer already admitted online is admitted offline and queued → the network is back →
//    sync runs by itself → the conflict is listed (and recorded on the server);
//  - branch staff: 我的 → 工作人员 → 居民反馈 (a low rating) → reply → mark handled → 群众需求 →
//    accept one, decline another with a reason.
const path = require('path')
const mp = require('../helpers/mp')
const { startStack } = require('../helpers/server')
const { createWxRequest } = require('../helpers/wx-request-fetch')

const { SRC, loadPage, waitFor, text, texts, tap, stubModal, simulate } = mp
const config = require(path.join(SRC, 'config'))

const MEILIN = 10 // 梅林分馆 in the demo Futian network

let stack
let admin
let staffToken

async function call(method, p, token, body) {
  const headers = { 'content-type': 'application/json' }
  if (token) headers.authorization = 'Bearer ' + token
  const res = await __node.fetch(stack.api(p), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const data = await res.json()
  if (!res.ok) throw new Error(method + ' ' + p + ' → ' + res.status + ' ' + JSON.stringify(data))
  return data
}

// someone signed in (through the API) holding `role` at `unit`
async function member(openid, role, unit, displayName) {
  const token = await stack.signIn(openid)
  const inv = await call('POST', '/admin/invitations', admin, { role, unit_id: unit })
  const me = await call('POST', '/auth/invitations/redeem', token, { code: inv.code })
  if (displayName) await call('PATCH', '/me', token, { display_name: displayName })
  return { token, id: me.id }
}

// a published one-session activity at 梅林分馆 starting in 30 minutes (check-in is open)
async function soonActivity(title) {
  const start = new Date(Date.now() + 30 * 60000)
  const end = new Date(Date.now() + 120 * 60000)
  return stack.createActivity(staffToken, {
    title, kind: 'lecture', organizer_unit_id: MEILIN, booking_mode: 'fcfs',
    // No room named: several of these overlap, and a room's calendar refuses that (rooms.rs).
    sessions: [{ unit_id: MEILIN, starts_at: start.toISOString(), ends_at: end.toISOString(), capacity: 20 }]
  })
}

// a resident with a confirmed booking and its QR token
async function ticketHolder(openid, sessionId, name) {
  const token = await stack.signIn(openid)
  if (name) await call('PATCH', '/me', token, { display_name: name })
  const b = await call('POST', '/bookings', token, { session_id: sessionId })
  const t = await stack.get('/bookings/' + b.id + '/ticket', token)
  return { token, bookingId: b.id, ticket: t.token }
}

// the app's WeChat: wx.login gets a real code from the fake WeChat, wx.request goes over HTTP
function appWeChat(openid) {
  wx.request = createWxRequest(__node)
  wx.login = function (o) {
    stack.loginCode(openid).then(
      (code) => o.success({ code, errMsg: 'login:ok' }),
      (e) => o.fail({ errMsg: 'login:fail ' + e.message })
    )
  }
}

function navigatedTo(nav) {
  const url = nav.mock.calls[nav.mock.calls.length - 1][0].url
  const [route, qs] = url.replace(/^\//, '').split('?')
  const query = {}
  new URLSearchParams(qs || '').forEach((v, k) => { query[k] = v })
  return { route, query }
}

beforeAll(async () => {
  stack = await startStack()
  config.baseUrl = stack.baseUrl
  admin = await stack.admin('o-admin')
  staffToken = (await member('o-staff', 'branch_staff', MEILIN)).token
}, 90000)

afterAll(async () => {
  if (stack) await stack.stop()
})

beforeEach(() => {
  mp.resetStorage()
  mp.agreedPrivacy()
  mp.spyWx('showToast').mockImplementation(() => {})
})

test('volunteer: scan online, again, then offline against the list, queued, synced by itself, conflict shown', async () => {
  const activity = await soonActivity('书法公开课（签到测试）')
  const sessionId = activity.sessions[0].id
  const vol = await member('o-vol-1', 'volunteer', MEILIN, '王芳')
  const other = await member('o-vol-2', 'volunteer', MEILIN, '李强')
  for (const v of [vol, other]) await call('POST', '/sessions/' + sessionId + '/assignments', staffToken, { user_id: v.id })
  const first = await ticketHolder('o-r-1', sessionId, '张三丰')
  const second = await ticketHolder('o-r-2', sessionId, '赵敏')

  appWeChat('o-vol-1')
  const network = []
  mp.spyWx('onNetworkStatusChange').mockImplementation((fn) => network.push(fn))
  mp.spyWx('offNetworkStatusChange').mockImplementation(() => {})
  const nav = mp.spyWx('navigateTo').mockImplementation(() => {})

  // 我的志愿服务: today's assignment → 扫码签到 (the app signs in through wx.login)
  const mine = loadPage('pages/volunteer/index')
  mine.instance.onSignIn()
  await waitFor(() => mine.data.status === 'ok' && mine.data.today.length === 1, 10000)
  expect(text(mine, '.assignment-title')).toBe('书法公开课（签到测试）')
  expect(text(mine, '.assignment-place')).toBe('梅林分馆')
  // with a signal, today's list came down by itself (both tickets, from the real server)
  await waitFor(() => mine.data.today[0].listText, 10000)
  expect(text(mine, '.list-ready')).toBe('离线名单已下载（2 人），没有信号也能核验')
  await tap(mine, '.scan-btn')
  const toScan = navigatedTo(nav)
  expect(toScan.route).toBe('pages/volunteer/scan')
  expect(Number(toScan.query.session_id)).toBe(sessionId)

  const page = loadPage(toScan.route, { query: toScan.query })
  expect(text(page, '.session-title')).toBe('书法公开课（签到测试）')
  await waitFor(() => page.data.statsStatus === 'ok', 10000)
  expect([text(page, '.stat-booked'), text(page, '.stat-admitted')]).toEqual(['2', '0'])

  expect(page.data.list.count).toBe(2) // already on the phone
  // 更新离线名单 fetches it again
  await tap(page, '.download-btn')
  await waitFor(() => page.data.list, 10000)
  expect(page.data.list.count).toBe(2)

  const tokens = [first.ticket, first.ticket, second.ticket]
  mp.spyWx('scanCode').mockImplementation((o) => setTimeout(() => o.success({ result: tokens.shift(), scanType: 'QR_CODE' }), 0))
  const result = () => page.querySelector('.result')

  // online: admitted, then the same ticket again → already admitted, by whom
  await tap(page, '.scan-btn')
  await waitFor(() => page.data.showResult && page.data.view.result === 'admitted', 10000)
  expect(text(result(), '.result-title')).toBe('核验通过')
  expect(text(result(), '.result-detail')).toBe('张*丰（本人）')
  expect(text(result(), '.result-counts')).toBe('已入场 1 人 / 预约 2 人')
  expect(result().querySelector('.result-undo')).toBeDefined()
  result().querySelector('.result-next').dispatchEvent('tap')
  await waitFor(() => page.data.view.result === 'already_admitted', 10000)
  expect(text(result(), '.result-title')).toBe('已入场')
  expect(text(result(), '.result-detail')).toMatch(/^已入场 \d\d:\d\d 由志愿者王\*$/)
  result().querySelector('.result-close').dispatchEvent('tap')

  // meanwhile another volunteer admits the second ticket online
  const elsewhere = await call('POST', '/checkin/scan', other.token, { session_id: sessionId, token: second.ticket, nonce: 'other-phone-1' })
  expect(elsewhere.result).toBe('admitted')

  // the network goes: the transport fails, the app checks the ticket against the list
  wx.request = function (o) {
    setTimeout(() => o.fail({ errMsg: 'request:fail net::ERR_INTERNET_DISCONNECTED' }), 0)
    return { abort() {} }
  }
  await tap(page, '.scan-btn')
  await waitFor(() => page.data.showResult && page.data.view.result === 'offline_admitted', 10000)
  expect(text(result(), '.offline-badge')).toBe('离线核验')
  expect(text(result(), '.result-title')).toBe('离线核验通过')
  expect(text(result(), '.result-detail')).toBe('赵*（本人）')
  result().querySelector('.result-close').dispatchEvent('tap')
  await simulate.sleep(0)
  expect(text(page, '.pending-text')).toBe('待同步 1 条')

  // the network is back: WeChat tells the app, the queue syncs by itself, the conflict shows
  wx.request = createWxRequest(__node)
  const modal = stubModal([true])
  expect(network.length).toBeGreaterThan(0)
  network.forEach((fn) => fn({ isConnected: true, networkType: 'wifi' }))
  await waitFor(() => page.data.pendingCount === 0 && page.data.issues.length === 1, 10000)
  expect(page.querySelector('.pending-notice')).toBeUndefined()
  expect(text(page, '.issue-holder')).toMatch(/^赵\* · 离线核验于 \d\d:\d\d$/)
  expect(text(page, '.issue-message')).toBe('这张票已由另一台设备核验，已记录待工作人员处理')
  await waitFor(() => modal.mock.calls.length === 1)
  expect(modal.mock.calls[0][0].content).toMatch(/1 条需要工作人员核对/)

  // the server agrees: two admitted, one conflict for staff
  const stats = await stack.get('/sessions/' + sessionId + '/checkin/stats', staffToken)
  expect(stats).toMatchObject({ booked: 2, admitted: 2, open_conflicts: 1 })
  const conflicts = await stack.get('/sessions/' + sessionId + '/checkin/conflicts', staffToken)
  expect(conflicts.items).toHaveLength(1)
  expect(conflicts.items[0].holder_masked).toBe('赵*')
  await waitFor(() => page.data.stats && page.data.stats.open_conflicts === 1, 10000)
  expect(text(page, '.stat-conflicts')).toBe('有 1 条离线冲突待工作人员处理')
  page.detach()
  mine.detach()
})

test('branch staff: inbox with a low rating → reply → handled; demands → accept one, decline one with a reason', async () => {
  // a resident attended (checked in by staff at the door), rated it low, and asked for two activities
  const activity = await soonActivity('粤剧欣赏讲座')
  const sessionId = activity.sessions[0].id
  const resident = await ticketHolder('o-r-3', sessionId, '钱多多')
  await call('POST', '/checkin/scan', staffToken, { session_id: sessionId, token: resident.ticket, nonce: 'door-1' })
  await stack.markSeen('o-r-3') // WeChat's text check wants a recent visit; the inbox shows it either way
  await call('POST', '/ratings', resident.token, { booking_id: resident.bookingId, score: 2, comment: '音响太大声，听不清' })
  await call('POST', '/demands', resident.token, { kind: 'training', unit_id: MEILIN, description: '想学粤剧唱腔，适合退休人员' })
  const neighbour = await stack.signIn('o-r-4')
  await stack.markSeen('o-r-4')
  await call('POST', '/demands', neighbour, { kind: 'other', unit_id: MEILIN, description: '想在晚上学交谊舞' })

  appWeChat('o-staff')
  const nav = mp.spyWx('navigateTo').mockImplementation(() => {})

  // 我的 → sign in → the 工作人员 entrance
  const me = loadPage('pages/me/index')
  await tap(me, '.sign-in')
  await waitFor(() => me.data.signedIn && me.data.status === 'ok' && me.data.isStaff, 10000)
  await tap(me, '.go-staff')
  const toHub = navigatedTo(nav)
  expect(toHub.route).toBe('pages/staff/index')

  const hub = loadPage(toHub.route)
  await waitFor(() => hub.data.status === 'ok' && hub.data.counts, 10000)
  expect(text(hub, '.unit-name')).toBe('福田区文化馆梅林分馆')
  const before = hub.data.counts
  expect(before.unread).toBeGreaterThanOrEqual(1)
  expect(before.flagged_unhandled).toBeGreaterThanOrEqual(1)
  expect(text(hub, '.count-unread')).toBe(String(before.unread))
  await tap(hub, '.tool-feedback')
  const toInbox = navigatedTo(nav)
  expect(toInbox.route).toBe('pages/staff/feedback')

  // the inbox: the low rating, unread (other ratings of the branch may be there too)
  const inbox = loadPage(toInbox.route, { query: toInbox.query })
  await waitFor(() => inbox.data.status === 'ok', 10000)
  const i = inbox.data.items.findIndex((r) => r.title === '粤剧欣赏讲座')
  expect(i).toBeGreaterThanOrEqual(0)
  const it = () => inbox.data.items[i]
  // the i-th item's button among those items that have it
  const button = (sel, has) => inbox.querySelectorAll(sel)[inbox.data.items.slice(0, i).filter(has).length]
  expect(texts(inbox, '.rating-title')[i]).toBe('粤剧欣赏讲座')
  expect(texts(inbox, '.rating-score')[i]).toBe('★★☆☆☆ 2 分')
  expect(it()).toMatchObject({ comment: '音响太大声，听不清', name: '钱*多', unit: '梅林分馆', flagged: true, read: false, handled: false })
  const ratingId = it().id
  const modal = stubModal([true, true])
  if (it().held) {
    // held by the text check: publish it first
    button('.publish-btn', (x) => x.held).dispatchEvent('tap')
    await waitFor(() => !it().held, 10000)
  }

  // reply in public
  button('.reply-btn', () => true).dispatchEvent('tap')
  await waitFor(() => inbox.data.replyFor === ratingId)
  inbox.querySelector('.reply-input').dispatchEvent('input', { detail: { value: '已调整音响，欢迎下次再来' } })
  await simulate.sleep(0)
  await tap(inbox, '.reply-send')
  await waitFor(() => it().replies.length === 1, 10000)
  expect(it().replies[0].content).toBe('已调整音响，欢迎下次再来')
  expect(texts(inbox, '.reply-content')).toContain('已调整音响，欢迎下次再来')

  // mark it handled
  button('.handle-btn', (x) => !x.handled).dispatchEvent('tap')
  await waitFor(() => it().handled, 10000)
  expect(inbox.data.counts.flagged_unhandled).toBe(before.flagged_unhandled - 1)
  expect(text(inbox, '.count-flagged')).toBe(String(before.flagged_unhandled - 1))

  // the server agrees
  const after = await stack.get('/feedback?unit_id=' + MEILIN, staffToken)
  const rated = after.items.find((r) => r.id === ratingId)
  expect(rated).toMatchObject({ read: true, handled: true })
  expect(rated.replies.map((r) => r.content)).toEqual(['已调整音响，欢迎下次再来'])
  expect(after.counts.flagged_unhandled).toBe(before.flagged_unhandled - 1)
  expect(after.counts.unread).toBe(before.unread - 1)

  // 群众需求: accept one, decline the other with a reason
  await tap(hub, '.tool-demands')
  const toDemands = navigatedTo(nav)
  expect(toDemands.route).toBe('pages/staff/demands')
  const demands = loadPage(toDemands.route, { query: toDemands.query })
  await waitFor(() => demands.data.status === 'ok', 10000)
  const idx = (d) => demands.data.items.findIndex((x) => x.description === d)
  const opera = idx('想学粤剧唱腔，适合退休人员')
  const dance = idx('想在晚上学交谊舞')
  expect(opera).toBeGreaterThanOrEqual(0)
  expect(dance).toBeGreaterThanOrEqual(0)
  const nth = (sel, k, has) => demands.querySelectorAll(sel)[demands.data.items.slice(0, k).filter(has).length]
  modal.mockRestore()
  const triageModal = stubModal([true, { confirm: true, content: '暂无合适的晚间场地，明年再安排' }])
  nth('.accept-btn', opera, (x) => x.open && x.status !== 'accepted').dispatchEvent('tap')
  await waitFor(() => demands.data.items[opera].status === 'accepted', 10000)
  nth('.decline-btn', dance, (x) => x.open).dispatchEvent('tap')
  await waitFor(() => demands.data.items[dance].status === 'declined', 10000)
  expect(triageModal.mock.calls[1][0].editable).toBe(true)
  expect(texts(demands, '.demand-reason')).toContain('答复：暂无合适的晚间场地，明年再安排')

  const managed = await stack.get('/manage/demands?unit_id=' + MEILIN, staffToken)
  const byText = (d) => managed.items.find((x) => x.description === d)
  expect(byText('想学粤剧唱腔，适合退休人员').status).toBe('accepted')
  expect(byText('想在晚上学交谊舞')).toMatchObject({ status: 'declined', status_reason: '暂无合适的晚间场地，明年再安排' })
  ;[demands, inbox, hub, me].forEach((p) => p.detach())
})

test('staff at the door: 今日场次 lists the session; a resident without a phone is found (name + last 4) and admitted; the offline conflict is resolved', async () => {
  const activity = await soonActivity('无手机居民入场测试')
  const sessionId = activity.sessions[0].id
  // 孙奶奶 booked on her phone (bound to 13800138000), but comes without it
  const grandma = await ticketHolder('o-r-grandma', sessionId, '孙奶奶')
  await call('POST', '/me/phone', grandma.token, { code: await stack.phoneCode('13800138000') })
  // a ticket admitted online and again from an offline phone: a conflict for staff
  const twice = await ticketHolder('o-r-twice', sessionId, '周一')
  await call('POST', '/checkin/scan', staffToken, { session_id: sessionId, token: twice.ticket, nonce: 'door-online-1' })
  await call('POST', '/sessions/' + sessionId + '/checkin/sync', staffToken, { scans: [{ nonce: 'door-offline-1', token: twice.ticket, scanned_at: new Date().toISOString() }] })

  // the branch staff member's phone
  appWeChat('o-staff')
  const request = require(path.join(SRC, 'utils/request'))
  const session = require(path.join(SRC, 'utils/session'))
  await request.signIn()
  session.setUser(await request.call('me'))

  // 今日场次: the session, from GET /manage/sessions
  const today = loadPage('pages/staff/today', { query: { unit_id: String(MEILIN), unit_name: encodeURIComponent('梅林分馆') } })
  await waitFor(() => today.data.status === 'ok' && today.data.updatedAt, 10000)
  const i = today.data.sessions.findIndex((s) => s.sessionId === sessionId)
  expect(i).toBeGreaterThanOrEqual(0)
  expect(texts(today, '.session-title')[i]).toBe('无手机居民入场测试')
  expect(texts(today, '.count-admitted')[i]).toBe('1')
  const nav = mp.spyWx('navigateTo').mockImplementation(() => {})
  today.querySelectorAll('.scan-btn')[i].dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  today.detach()

  // the scan page, opened as WeChat opens it
  const page = mp.openUrl(nav.mock.calls[0][0].url)
  expect(text(page, '.session-title')).toBe('无手机居民入场测试')
  await waitFor(() => page.data.conflicts.length === 1, 10000)
  expect(text(page, '.conflict-holder')).toBe('周*')
  stubModal([{ confirm: true, content: '同一人，两台手机都扫了' }])
  await tap(page, '.resolve-btn')
  await waitFor(() => page.data.resolvedCount === 1, 10000)
  const conflicts = await stack.get('/sessions/' + sessionId + '/checkin/conflicts', staffToken)
  expect(conflicts.items[0].resolution).toBe('同一人，两台手机都扫了')

  // 孙奶奶: name + last 4 digits → her booking → 人工核验
  page.querySelector('.lookup-name').dispatchEvent('input', { detail: { value: '孙奶奶' } })
  page.querySelector('.lookup-last4').dispatchEvent('input', { detail: { value: '8000' } })
  await tap(page, '.lookup-btn')
  await waitFor(() => page.data.hits && page.data.hits.length === 1, 10000)
  expect(text(page, '.hit-holder')).toBe('孙*奶 138****8000')
  stubModal([true])
  mp.spyWx('vibrateShort').mockImplementation(() => {})
  await tap(page, '.manual-btn')
  await waitFor(() => page.data.showResult, 10000)
  const r = page.querySelector('.result')
  expect(text(r, '.result-symbol')).toBe('✓')
  expect(r.querySelector('.overlay').dom.className).toContain('tone-green')
  expect(text(page, '.hit-status')).toBe('已入场')
  const stats = await stack.get('/sessions/' + sessionId + '/checkin/stats', staffToken)
  expect(stats).toMatchObject({ booked: 2, admitted: 2, open_conflicts: 0 })
  page.detach()
})
