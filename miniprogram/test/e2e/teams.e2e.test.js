/**
 * @jest-environment ./test/helpers/jsdom-fetch-env.js
 */
// Art teams against the real server: a leader registers a team at 梅林分馆 (API), the main center
// verifies it; a second resident joins with the code on 我的团队; the venue's 社团风采 list and
// the team page show it without member names.
const path = require('path')
const mp = require('../helpers/mp')
const { startStack } = require('../helpers/server')
const { createWxRequest } = require('../helpers/wx-request-fetch')

const { SRC, loadPage, waitFor, texts, text } = mp
const config = require(path.join(SRC, 'config'))

const MEILIN = 10 // 梅林分馆 in the demo Futian network

let stack
let team

function residentWeChat(openid) {
  wx.request = createWxRequest(__node)
  wx.login = function (o) {
    stack.loginCode(openid).then(
      (code) => o.success({ code, errMsg: 'login:ok' }),
      (e) => o.fail({ errMsg: 'login:fail ' + e.message })
    )
  }
}

async function post(p, body, token) {
  const res = await __node.fetch(stack.api(p), {
    method: 'POST',
    headers: Object.assign({ 'content-type': 'application/json' }, token ? { authorization: 'Bearer ' + token } : {}),
    body: JSON.stringify(body || {})
  })
  return res.json()
}

beforeAll(async () => {
  stack = await startStack()
  config.baseUrl = stack.baseUrl
  const admin = await stack.admin('o-admin')
  const leader = await stack.signIn('o-team-leader')
  team = await post('/teams', { unit_id: MEILIN, name: '梅林合唱团（测试）', genre: '合唱', rehearsal_time: '每周三 19:00' }, leader)
  await post('/manage/teams/' + team.id + '/verify', {}, admin)
}, 90000)

afterAll(async () => {
  if (stack) await stack.stop()
})

beforeEach(() => {
  mp.resetStorage()
  mp.agreedPrivacy()
  residentWeChat('o-team-member')
})

test('join with the code on 我的团队; the team shows on 社团风采 and its page', async () => {
  const mine = loadPage('pages/teams/mine')
  await waitFor(() => mine.data.status === 'empty', 15000)
  mine.instance.onCodeInput({ detail: { value: team.invite_code.toLowerCase() } })
  await mine.instance.onJoin()
  await waitFor(() => mine.data.status === 'ok', 15000)
  expect(texts(mine, '.team-name')).toEqual(['梅林合唱团（测试）'])
  expect(texts(mine, '.team-members')).toEqual(['2 人'])
  expect(texts(mine, '.team-code')).toEqual([]) // only the leader sees the code

  const list = loadPage('pages/teams/list', { query: { unit_id: String(MEILIN), name: encodeURIComponent('梅林分馆') } })
  await waitFor(() => list.data.status === 'ok', 15000)
  expect(texts(list, '.team-name')).toContain('梅林合唱团（测试）')

  const page = loadPage('pages/teams/detail', { query: { id: String(team.id) } })
  await waitFor(() => page.data.status === 'ok', 15000)
  expect(text(page, '.team-genre')).toBe('合唱')
  expect(text(page, '.team-unit')).toBe('梅林分馆')
  expect(JSON.stringify(page.data)).not.toContain('o-team')
})
