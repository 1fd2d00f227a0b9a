/**
 * @jest-environment ./test/helpers/jsdom-fetch-env.js
 */
// A resident books a practice room through the mini-program's own pages and request module,
// against the real server: 场地 → 预约 → 我的场地预约 → cancel, and the slot is free again.
const path = require('path')
const mp = require('../helpers/mp')
const { startStack } = require('../helpers/server')
const { createWxRequest } = require('../helpers/wx-request-fetch')

const { SRC, loadPage, waitFor, texts, stubModal, spyWx } = mp
const config = require(path.join(SRC, 'config'))

const MEILIN = 10 // 梅林分馆 in the demo Futian network

let stack
let roomId

async function send(method, p, body, token) {
  const f = globalThis.__node ? globalThis.__node.fetch : globalThis.fetch
  const res = await f(stack.api(p), {
    method,
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const data = await res.json()
  if (!res.ok) throw new Error(method + ' ' + p + ' → ' + res.status + ' ' + JSON.stringify(data))
  return data
}

function residentWeChat(openid) {
  wx.request = createWxRequest(__node)
  wx.login = function (o) {
    stack.loginCode(openid).then(
      (code) => o.success({ code, errMsg: 'login:ok' }),
      (e) => o.fail({ errMsg: 'login:fail ' + e.message })
    )
  }
}

beforeAll(async () => {
  stack = await startStack()
  config.baseUrl = stack.baseUrl
  const admin = await stack.admin('o-admin')
  const hours = [1, 2, 3, 4, 5, 6, 7].map((d) => ({ weekday: d, opens: '09:00', closes: '21:00' }))
  const room = await send('POST', '/rooms', {
    unit_id: MEILIN, name: '琴房（测试）', kind: '琴房', capacity: 4, bookable_by: 'residents', auto_confirm: true,
    rules: { book_ahead_days: 7, max_slot_minutes: 120, weekly_hours_per_team: 4, cancel_hours_before: 2 }, hours
  }, admin)
  roomId = room.id
}, 90000)

afterAll(async () => {
  if (stack) await stack.stop()
})

beforeEach(() => {
  mp.resetStorage()
  mp.agreedPrivacy()
  residentWeChat('o-room-resident')
})

test('场地 → 预约 → 我的场地预约 → cancel', async () => {
  const nav = spyWx('navigateTo')
  const redirect = spyWx('redirectTo')
  const rooms = loadPage('pages/rooms/index', { query: { unit_id: String(MEILIN) } })
  await waitFor(() => rooms.data.status === 'ok', 15000)
  const i = rooms.data.rooms.filter((r) => r.bookable).findIndex((r) => r.id === roomId)
  expect(i).toBeGreaterThanOrEqual(0)
  rooms.querySelectorAll('.room-book')[i].dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  expect(nav.mock.calls[0][0].url).toBe('/pages/roombook/index?room_id=' + roomId + '&unit_id=' + MEILIN)

  const form = loadPage('pages/roombook/index', { query: { room_id: String(roomId), unit_id: String(MEILIN) } })
  await waitFor(() => form.data.status === 'ok', 15000)
  expect(form.data.bookerLabels).toEqual(['我自己'])
  form.querySelector('.rb-start').dispatchEvent('change', { detail: { value: 4 } }) // 10:00
  await waitFor(() => form.data.startIndex === 4)
  form.querySelector('.rb-end').dispatchEvent('change', { detail: { value: 2 } }) // 11:00
  await waitFor(() => form.data.endIndex === 2)
  form.querySelector('.rb-submit').dispatchEvent('tap')
  await waitFor(() => redirect.mock.calls.length === 1, 15000)

  const mine = loadPage('pages/roombookings/index')
  await waitFor(() => mine.data.status === 'ok', 15000)
  expect(texts(mine, '.rbs-room')).toEqual(['琴房（测试）'])
  expect(texts(mine, '.rbs-status')).toEqual(['已确认'])
  const busy = await stack.get('/org/units/' + MEILIN + '/rooms/busy?weeks=2')
  expect(busy.busy.filter((b) => b.room_id === roomId)).toHaveLength(1)

  stubModal([true])
  mine.querySelector('.rbs-cancel').dispatchEvent('tap')
  await waitFor(() => texts(mine, '.rbs-status')[0] === '已取消', 15000)
  const after = await stack.get('/org/units/' + MEILIN + '/rooms/busy?weeks=2')
  expect(after.busy.filter((b) => b.room_id === roomId)).toHaveLength(0)
}, 60000)
