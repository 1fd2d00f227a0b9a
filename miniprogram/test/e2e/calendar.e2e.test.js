/**
 * @jest-environment ./test/helpers/jsdom-fetch-env.js
 */
// 日历订阅 against the real server (issue 17): a resident books a session, makes the calendar
// link on 我的 › 日历订阅, the link serves an iCalendar with that session, 重置 makes the old
// link stop working; 添加到手机日历 on the booking gives WeChat the session's time in seconds.
const path = require('path')
const mp = require('../helpers/mp')
const { startStack } = require('../helpers/server')
const { createWxRequest } = require('../helpers/wx-request-fetch')

const { SRC, loadPage, waitFor, stubModal, spyWx } = mp
const config = require(path.join(SRC, 'config'))

const MEILIN = 10 // 梅林分馆 in the demo Futian network
const TITLE = '社区合唱, 冬季场; 日历测试'

let stack
let sessionStart

function inDays(days, hhmm) {
  const d = new Date(Date.now() + days * 86400000 + 8 * 3600000)
  const [h, m] = hhmm.split(':').map(Number)
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), h - 8, m)).toISOString()
}

if (!wx.addPhoneCalendar) wx.addPhoneCalendar = function () {}

beforeAll(async () => {
  stack = await startStack()
  config.baseUrl = stack.baseUrl
  const admin = await stack.admin('o-admin')
  sessionStart = inDays(6, '19:30')
  await stack.createActivity(admin, {
    title: TITLE,
    kind: 'performance',
    organizer_unit_id: MEILIN,
    booking_mode: 'fcfs',
    sessions: [{ unit_id: MEILIN, room: '多功能厅', starts_at: sessionStart, ends_at: inDays(6, '21:00'), capacity: 5 }]
  })
}, 90000)

afterAll(async () => {
  if (stack) await stack.stop()
})

beforeEach(() => {
  mp.resetStorage()
  mp.agreedPrivacy()
  wx.request = createWxRequest(__node)
  wx.login = function (o) {
    stack.loginCode('o-cal-resident').then(
      (code) => o.success({ code, errMsg: 'login:ok' }),
      (e) => o.fail({ errMsg: 'login:fail ' + e.message })
    )
  }
})

test('book → 日历订阅 → the link serves my session → 重置 → old link 404', async () => {
  const token = await stack.signIn('o-cal-resident')
  wx.setStorageSync('ch_session', { token, expires_at: '2099-01-01T00:00:00Z', user: { id: 1 } })
  const list = await stack.get('/open/activities?unit_id=' + MEILIN)
  const s = list.items.find((i) => i.title === TITLE)
  expect(s).toBeTruthy()
  const booked = await (await __node.fetch(stack.api('/bookings'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
    body: JSON.stringify({ session_id: s.session_id })
  })).json()
  expect(booked.status).toBe('confirmed')

  // 添加到手机日历 on the booking page.
  const add = spyWx('addPhoneCalendar').mockImplementation(() => {})
  const detail = loadPage('pages/booking/detail', { query: { id: String(booked.id) } })
  await waitFor(() => detail.data.status === 'ok', 15000)
  detail.querySelector('.calendar-btn').dispatchEvent('tap')
  await waitFor(() => add.mock.calls.length === 1)
  expect(add.mock.calls[0][0].startTime).toBe(Date.parse(sessionStart) / 1000)
  expect(add.mock.calls[0][0].title).toBe(TITLE)

  const page = loadPage('pages/calendar/index')
  await waitFor(() => page.data.status === 'ok', 15000)
  expect(page.data.active).toBe(false)
  page.querySelector('.create-btn').dispatchEvent('tap')
  await waitFor(() => page.data.url !== '', 15000)
  const url = page.data.url
  expect(url).toMatch(/\/api\/v1\/calendar\/[0-9a-f]{64}\.ics$/)
  const res = await __node.fetch(url)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/calendar/)
  const ics = await res.text()
  expect(ics).toContain('BEGIN:VCALENDAR\r\n')
  expect(ics).toContain('TZID:Asia/Shanghai')
  expect(ics).toContain('社区合唱\\, 冬季场\\; 日历测试')

  stubModal([true])
  page.querySelector('.reset-btn').dispatchEvent('tap')
  await waitFor(() => page.data.url !== '' && page.data.url !== url, 15000)
  expect((await __node.fetch(url)).status).toBe(404)
  expect((await __node.fetch(page.data.url)).status).toBe(200)
}, 60000)
