/**
 * @jest-environment ./test/helpers/jsdom-fetch-env.js
 */
// The staff pages where a phone is the natural tool, against the real server (fake WeChat +
// serve on free ports, fresh SQLite):
//  - 联办确认: a point names its branch as partner of a lecture; the branch's staff confirm it on
//    pages/staff/partners and the server records the confirmation (it now counts as joint);
//  - 活动照片: after a session at the branch, the staff pick it on pages/staff/photos, choose two
//    photos (wx.chooseMedia), upload them with a note, and see them back as thumbnails; the
//    server holds them as the session's evidence, re-encoded, staff-only.
const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')
const mp = require('../helpers/mp')
const { startStack } = require('../helpers/server')
const { createWxRequest } = require('../helpers/wx-request-fetch')

const { SRC, loadPage, waitFor, text, texts, tap } = mp
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

function appWeChat(openid) {
  wx.request = createWxRequest(__node)
  wx.login = function (o) {
    stack.loginCode(openid).then(
      (code) => o.success({ code, errMsg: 'login:ok' }),
      (e) => o.fail({ errMsg: 'login:fail ' + e.message })
    )
  }
}

// a published activity at `unit` starting in an hour
async function activity(title, unit, extra) {
  const start = new Date(Date.now() + 60 * 60000)
  const end = new Date(Date.now() + 120 * 60000)
  return stack.createActivity(staffToken, Object.assign({
    title, kind: 'lecture', organizer_unit_id: unit, booking_mode: 'none',
    sessions: [{ unit_id: unit, room: '社区广场', outside: true, starts_at: start.toISOString(), ends_at: end.toISOString() }]
  }, extra || {}))
}

beforeAll(async () => {
  stack = await startStack()
  config.baseUrl = stack.baseUrl
  admin = await stack.admin('o-admin')
  const token = await stack.signIn('o-staff')
  const inv = await call('POST', '/admin/invitations', admin, { role: 'branch_staff', unit_id: MEILIN })
  await call('POST', '/auth/invitations/redeem', token, { code: inv.code })
  staffToken = token
}, 90000)

afterAll(async () => {
  if (stack) await stack.stop()
})

beforeEach(() => {
  mp.resetStorage()
  mp.agreedPrivacy()
  mp.spyWx('showToast').mockImplementation(() => {})
  appWeChat('o-staff')
})

test('联办确认: the branch confirms the point’s joint lecture from its phone; the server counts it as confirmed', async () => {
  const units = await stack.get('/org/units')
  const point = (units.items || units).find((u) => u.code === 'ft-p-meilin-longwei')
  const a = await activity('龙尾联办讲座', point.id, { joint_unit_ids: [MEILIN] })
  const page = loadPage('pages/staff/partners')
  await waitFor(() => page.data.status === 'ok', 10000)
  const i = page.data.items.findIndex((x) => x.activityId === a.id)
  expect(i).toBeGreaterThanOrEqual(0)
  expect(texts(page, '.partner-title')[i]).toBe('龙尾联办讲座')
  expect(texts(page, '.partner-meta')[i]).toBe('龙尾服务点主办 · 联办：梅林分馆')
  page.querySelectorAll('.partner-confirm')[i].dispatchEvent('tap')
  await waitFor(() => !page.data.items.some((x) => x.activityId === a.id), 10000)
  expect(wx.showToast).toHaveBeenCalledWith({ title: '已确认参与', icon: 'none' })
  const confirmed = await call('GET', '/partner-requests?status=confirmed', staffToken)
  expect(confirmed.items.find((x) => x.activity_id === a.id)).toMatchObject({ unit_id: MEILIN, status: 'confirmed' })
})

test('活动照片: pick the ended session, choose two photos, upload with a note, see them back', async () => {
  const a = await activity('梅林合唱展演', MEILIN)
  const sessionId = a.sessions[0].id
  // The session has been held: move it into the past (today, China time, if the day allows).
  const now = Date.now()
  const end = new Date(Math.max(now - 5 * 60000, now - ((now + 8 * 3600e3) % 86400e3) + 2 * 60000))
  const start = new Date(end.getTime() - 60000)
  execFileSync('sqlite3', [path.join(stack.dir, 'culturehub.db'),
    `UPDATE sessions SET starts_at = '${start.toISOString().replace(/\.\d+Z$/, 'Z')}', ends_at = '${end.toISOString().replace(/\.\d+Z$/, 'Z')}' WHERE id = ${sessionId}`])

  const image = fs.readFileSync(path.join(SRC, 'images', 'tab-me.png'))
  // readFile answers an ArrayBuffer of the page's own realm (as WeChat does)
  const bytes = new ArrayBuffer(image.length)
  new Uint8Array(bytes).set(image)
  mp.spyWx('chooseMedia').mockImplementation((o) => setTimeout(() => o.success({
    type: 'image', tempFiles: [{ tempFilePath: 'wxfile://tmp/one.png', size: image.length, fileType: 'image' }, { tempFilePath: 'wxfile://tmp/two.png', size: image.length, fileType: 'image' }]
  }), 0))
  mp.spyWx('getFileSystemManager').mockImplementation(() => ({
    readFile: (o) => setTimeout(() => o.success({ data: bytes }), 0)
  }))
  // Thumbnails: a real download with the header the page sends.
  mp.spyWx('downloadFile').mockImplementation((o) => {
    __node.fetch(o.url, { headers: o.header }).then(async (r) => {
      const body = Buffer.from(await r.arrayBuffer())
      o.success({ statusCode: r.status, tempFilePath: 'wxfile://thumb/' + body.length + '-' + r.headers.get('content-type') })
    }, () => o.fail({ errMsg: 'downloadFile:fail' }))
  })

  const day = new Date(start.getTime() + 8 * 3600e3).toISOString().slice(0, 10)
  const page = loadPage('pages/staff/photos', { query: { unit_id: String(MEILIN), session_id: String(sessionId), date: day } })
  await waitFor(() => page.data.current === sessionId, 10000)
  expect(text(page, '.no-photos')).toBe('这一场还没有照片')
  page.instance.onNote({ detail: { value: '合唱团合影' } })
  await tap(page, '.add-photos')
  await waitFor(() => page.data.progressText === '' && (page.data.failed || page.data.photos.length), 15000)
  expect(page.data.failed).toBe('')
  await waitFor(() => page.data.photos.length === 2 && page.data.photos.every((p) => p.src), 15000)
  expect(page.data.failed).toBe('')
  expect(texts(page, '.thumb-note')).toEqual(['合唱团合影', '合唱团合影'])
  page.data.photos.forEach((p) => expect(p.src).toMatch(/^wxfile:\/\/thumb\/\d+-image\//))
  expect(text(page, '.session-count')).toBe('2 张')

  const ev = await call('GET', '/sessions/' + sessionId + '/evidence', staffToken)
  expect(ev.held).toBe(true)
  expect(ev.items.map((x) => x.note)).toEqual(['合唱团合影', '合唱团合影'])
  // staff-only: no thumbnail without a token
  const anon = await __node.fetch(stack.baseUrl + ev.items[0].thumb_url)
  expect(anon.status).toBe(401)
})

test('考核待办: a point coordinator sees the open round’s deadlines, what is missing and an open rectification', async () => {
  const units = await stack.get('/org/units')
  const list = units.items || units
  const main = list.find((u) => u.code === 'ft-main')
  const point = list.find((u) => u.code === 'ft-p-meilin-longwei')
  // The district opens a round and records an unannounced check with a rectification due.
  const district = await stack.signIn('o-district')
  const inv = await call('POST', '/admin/invitations', admin, { role: 'district_supervisor', unit_id: main.id })
  await call('POST', '/auth/invitations/redeem', district, { code: inv.code })
  const coordinator = await stack.signIn('o-coordinator')
  const inv2 = await call('POST', '/admin/invitations', admin, { role: 'point_coordinator', unit_id: point.id })
  await call('POST', '/auth/invitations/redeem', coordinator, { code: inv2.code })
  const due = (days) => new Date(Date.now() + days * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z')
  const year = new Date(Date.now() + 8 * 3600e3).getUTCFullYear()
  const round = await call('POST', '/evaluation/rounds', district, {
    year, period: 'year', title: year + '年度考核', point_self_due: due(3), point_score_due: due(6), branch_self_due: due(9),
    branch_score_due: due(12), main_self_due: due(15), district_due: due(18)
  })
  await call('POST', '/spot-checks', district, { unit_id: point.id, kind: 'unannounced', visited_on: '2020-01-02', findings: '开放时间未公示', rectify_by: '2020-01-10' })

  appWeChat('o-coordinator')
  const page = loadPage('pages/staff/evaluation', { query: { unit_id: String(point.id), unit_name: encodeURIComponent(point.short_name) } })
  await waitFor(() => page.data.status === 'ok', 10000)
  expect(text(page, '.round-title')).toBe(round.title)
  expect(text(page, '.entry-status')).toBe('本单位：自评中')
  expect(text(page, '.entry-due')).toMatch(/^本步截止 \d+月\d+日/)
  expect(text(page, '.step-mine .step-label')).toBe('服务点自评')
  // The default point indicators: every one the unit fills in is still missing a value.
  expect(texts(page, '.missing-title')).toEqual(expect.arrayContaining(['设施达标与开放时间', '群众需求响应', '创新与亮点']))
  expect(texts(page, '.missing-what')).toEqual(expect.arrayContaining(['未填写']))
  expect(text(page, '.rect-findings')).toBe('开放时间未公示')
  expect(text(page, '.rect-by')).toBe('整改期限 2020-01-10（已逾期）')
  expect(text(page, '.facilities')).toBe('设施达标 0 / 5 项')
})
