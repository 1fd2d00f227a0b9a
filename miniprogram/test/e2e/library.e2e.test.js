/**
 * @jest-environment ./test/helpers/jsdom-fetch-env.js
 */
// 线上活动 and 数字资源库 against the real server: the main center puts a Channels video and an
// article into 梅林分馆's library and makes an activity an online one; a resident finds them on
// the mini-program's pages, opens the video (counted once a day) and rates it.
const path = require('path')
const mp = require('../helpers/mp')
const { startStack } = require('../helpers/server')
const { createWxRequest } = require('../helpers/wx-request-fetch')

const { SRC, loadPage, waitFor, texts, text } = mp
const config = require(path.join(SRC, 'config'))

const MEILIN = 10 // 梅林分馆 in the demo Futian network

let stack
let admin
let video
let activity

function residentWeChat(openid) {
  wx.request = createWxRequest(__node)
  wx.login = function (o) {
    stack.loginCode(openid).then(
      (code) => o.success({ code, errMsg: 'login:ok' }),
      (e) => o.fail({ errMsg: 'login:fail ' + e.message })
    )
  }
}

async function send(method, p, body, token) {
  const res = await __node.fetch(stack.api(p), {
    method,
    headers: Object.assign({ 'content-type': 'application/json' }, token ? { authorization: 'Bearer ' + token } : {}),
    body: JSON.stringify(body || {})
  })
  const v = await res.json()
  if (!res.ok) throw new Error(method + ' ' + p + ': ' + JSON.stringify(v))
  return v
}

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

beforeAll(async () => {
  stack = await startStack()
  config.baseUrl = stack.baseUrl
  admin = await stack.admin('o-admin')
  video = await send('POST', '/manage/library', {
    unit_id: MEILIN, kind: 'video', title: '粤剧身段入门（测试）', summary: '十分钟学会基本身段', tags: ['粤剧', '戏曲'],
    duration_s: 600, platform: 'channels', finder_user_name: 'sphFutianTest', feed_id: 'export/e2e-video', published: true, featured: true
  }, admin)
  await send('POST', '/manage/library', {
    unit_id: MEILIN, kind: 'article', title: '梅林的非遗故事（测试）', platform: 'none', body: '很久以前……', tags: ['非遗'], published: true
  }, admin)
  const start = Date.now() + 2 * 3600 * 1000
  activity = await stack.createActivity(admin, {
    title: '线上书法讲座（测试）', kind: 'lecture', organizer_unit_id: MEILIN, booking_mode: 'none',
    sessions: [{ unit_id: MEILIN, starts_at: iso(start), ends_at: iso(start + 5400 * 1000) }]
  })
  await send('PUT', '/activities/' + activity.id + '/online', { mode: 'online', platform: 'channels', finder_user_name: 'sphFutianTest' }, admin)
}, 90000)

afterAll(async () => {
  if (stack) await stack.stop()
})

beforeEach(() => {
  mp.resetStorage()
  mp.agreedPrivacy()
  residentWeChat('o-library-resident')
})

test('线上活动 lists the online lecture as coming up, with no booking needed', async () => {
  const page = loadPage('pages/online/index')
  await waitFor(() => page.data.status === 'ok', 15000)
  const i = page.data.items.findIndex((x) => x.id === activity.id)
  expect(i).toBeGreaterThanOrEqual(0)
  expect(texts(page, '.online-title')[i]).toBe('线上书法讲座（测试）')
  expect(texts(page, '.state')[i]).toBe('即将开始')
  expect(texts(page, '.online-button')[i]).toBe('查看详情')
})

test('数字资源库: search and kinds; the video opens in Channels, is counted once, and is rated', async () => {
  const list = loadPage('pages/library/index', { query: { unit_id: String(MEILIN) } })
  await waitFor(() => list.data.status === 'ok', 15000)
  expect(texts(list, '.resource-title')).toEqual(['粤剧身段入门（测试）', '梅林的非遗故事（测试）'])
  expect(texts(list, '.featured')).toEqual(['精选'])
  await list.instance.onKind({ currentTarget: { dataset: { kind: 'article' } } })
  expect(texts(list, '.resource-title')).toEqual(['梅林的非遗故事（测试）'])
  list.instance.onInput({ detail: { value: '粤剧' } })
  await list.instance.onKind({ currentTarget: { dataset: { kind: '' } } })
  expect(texts(list, '.resource-title')).toEqual(['粤剧身段入门（测试）'])

  // Signed in: opening the page counts the view, once a day.
  const token = await stack.signIn('o-library-resident')
  wx.setStorageSync('ch_session', { token: token, expires_at: new Date(Date.now() + 86400000).toISOString(), user: { id: 0, display_name: '', phone: null, phone_masked: null, roles: [] } })
  const open = mp.spyWx('openChannelsActivity').mockImplementation(() => {})
  const page = loadPage('pages/library/detail', { query: { id: String(video.id) } })
  await waitFor(() => page.data.status === 'ok', 15000)
  expect(text(page, '.detail-title')).toBe('粤剧身段入门（测试）')
  expect(text(page, '.detail-unit')).toMatch(/梅林分馆$/)
  page.instance.onOpen()
  expect(open.mock.calls[0][0]).toMatchObject({ finderUserName: 'sphFutianTest', feedId: 'export/e2e-video' })
  let counted
  await waitFor(() => {
    stack.get('/library/' + video.id).then((v) => { counted = v.views })
    return counted === 1
  }, 15000)
  const again = loadPage('pages/library/detail', { query: { id: String(video.id) } })
  await waitFor(() => again.data.status === 'ok', 15000)

  page.instance.onStar({ currentTarget: { dataset: { n: 5 } } })
  await page.instance.onRate()
  await waitFor(() => text(page, '.detail-rating') === '5.0 分（1 人评价）', 15000)
  const after = await stack.get('/library/' + video.id, token)
  expect(after.my_score).toBe(5)
  expect(after.views).toBe(1)
})
