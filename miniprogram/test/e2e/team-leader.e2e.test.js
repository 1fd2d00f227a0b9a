/**
 * @jest-environment ./test/helpers/jsdom-fetch-env.js
 */
// A team's leader against the real server: registers the team on 登记团队 (pending on 我的团队),
// the main center verifies it (API), then on 团队管理 the leader replaces the invitation code,
// opens recruiting, accepts a resident's join request (asked through the API) and starts
// 预约场地 for the team.
const path = require('path')
const mp = require('../helpers/mp')
const { startStack } = require('../helpers/server')
const { createWxRequest } = require('../helpers/wx-request-fetch')

const { SRC, loadPage, waitFor, texts, text } = mp
const config = require(path.join(SRC, 'config'))

const MEILIN = 10 // 梅林分馆 in the demo Futian network

let stack
let admin

function residentWeChat(openid) {
  wx.request = createWxRequest(__node)
  wx.login = function (o) {
    stack.loginCode(openid).then(
      (code) => o.success({ code, errMsg: 'login:ok' }),
      (e) => o.fail({ errMsg: 'login:fail ' + e.message })
    )
  }
}

async function call(method, p, body, token) {
  const res = await __node.fetch(stack.api(p), {
    method,
    headers: Object.assign({ 'content-type': 'application/json' }, token ? { authorization: 'Bearer ' + token } : {}),
    body: method === 'GET' ? undefined : JSON.stringify(body || {})
  })
  return { status: res.status, body: await res.json() }
}

beforeAll(async () => {
  stack = await startStack()
  config.baseUrl = stack.baseUrl
  admin = await stack.admin('o-admin')
}, 90000)

afterAll(async () => {
  if (stack) await stack.stop()
})

beforeEach(() => {
  mp.resetStorage()
  mp.agreedPrivacy()
  residentWeChat('o-lead-leader')
})

test('register → verified → new code, recruiting, a request accepted, 预约场地 for the team', async () => {
  const redirect = mp.spyWx('redirectTo')
  const reg = loadPage('pages/teams/register')
  await waitFor(() => reg.data.status === 'ok', 15000)
  const unitIndex = reg.data.units.findIndex((u) => u.id === MEILIN)
  expect(unitIndex).toBeGreaterThanOrEqual(0)
  reg.instance.onUnit({ detail: { value: unitIndex } })
  reg.instance.onName({ detail: { value: '梅林舞蹈队（测试）' } })
  reg.instance.onGenre({ detail: { value: 1 } }) // 舞蹈
  reg.instance.onRehearsal({ detail: { value: '每周五 19:00' } })
  reg.instance.onDescription({ detail: { value: '广场舞与民族舞' } })
  const created = await reg.instance.onSubmit()
  expect(created.status).toBe('pending')
  expect(redirect.mock.calls[0][0].url).toBe('/pages/teams/mine')

  const mine = loadPage('pages/teams/mine')
  await waitFor(() => mine.data.status === 'ok', 15000)
  expect(texts(mine, '.team-name')).toEqual(['梅林舞蹈队（测试）'])
  expect(texts(mine, '.team-status')).toEqual(['待审核'])
  expect(texts(mine, '.team-genre')).toEqual(['舞蹈'])

  // the main center's admin verifies it (docs/teams.md)
  const verified = await call('POST', '/manage/teams/' + created.id + '/verify', {}, admin)
  expect(verified.status).toBe(200)

  const lead = loadPage('pages/teams/lead', { query: { id: String(created.id) } })
  await waitFor(() => lead.data.status === 'ok', 15000)
  expect(text(lead, '.tl-status')).toBe('已认证')
  const oldCode = text(lead, '.tl-code')
  expect(oldCode).toBe(created.invite_code)
  expect(texts(lead, '.tl-member-name')).toHaveLength(1)

  mp.stubModal([true])
  await lead.instance.onResetCode()
  const newCode = text(lead, '.tl-code')
  expect(newCode).not.toBe(oldCode)
  const member = await stack.signIn('o-lead-member')
  const stale = await call('POST', '/teams/join', { code: oldCode }, member)
  expect(stale.status).toBe(404)
  expect(stale.body.error.code).toBe('invalid_team_code')

  await lead.instance.onRecruiting({ detail: { value: true } })
  expect(lead.data.team.recruiting).toBe(true)
  const page = await call('GET', '/teams/' + created.id)
  expect(page.body.team.recruiting).toBe(true)

  const asked = await call('POST', '/teams/' + created.id + '/join-requests', { message: '想跳民族舞' }, member)
  expect(asked.status).toBe(200)
  await lead.instance.load()
  expect(texts(lead, '.tl-request-message')).toEqual(['想跳民族舞'])
  expect(JSON.stringify(lead.data)).not.toContain('o-lead')

  await lead.instance.onAccept({ currentTarget: { dataset: { id: asked.body.id } } })
  await waitFor(() => lead.data.requests.length === 0 && lead.data.members.length === 2, 15000)
  expect(lead.data.heirs).toHaveLength(1) // the new adult member may take over

  const nav = mp.spyWx('navigateTo')
  lead.instance.onBookRoom()
  expect(nav.mock.calls[0][0].url).toBe('/pages/rooms/index?unit_id=' + MEILIN + '&name=' + encodeURIComponent('梅林分馆') + '&team_id=' + created.id)
}, 60000)
