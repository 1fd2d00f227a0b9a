/**
 * @jest-environment ./test/helpers/jsdom-fetch-env.js
 */
// 扫码登录 against the real server: a browser (the staff console, played here with fetch) asks
// for a login code; a staff member opens the mini-program's confirm page from that code (its
// scene is the nonce), sees what is signing in, and confirms — the browser's poll then carries
// the console session. Also: 取消 reaches the browser as `rejected`, and a resident is refused.
const path = require('path')
const mp = require('../helpers/mp')
const { startStack } = require('../helpers/server')
const { createWxRequest } = require('../helpers/wx-request-fetch')

const { SRC, loadPage, waitFor, text, tap } = mp
const config = require(path.join(SRC, 'config'))

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
const MEILIN = 10 // 梅林分馆 in the demo Futian network

let stack
let admin

async function call(method, p, token, body) {
  const headers = { 'content-type': 'application/json' }
  if (token) headers.authorization = 'Bearer ' + token
  const res = await __node.fetch(stack.api(p), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const data = await res.json()
  if (!res.ok) throw new Error(method + ' ' + p + ' → ' + res.status + ' ' + JSON.stringify(data))
  return data
}

async function member(openid, role, unit) {
  const token = await stack.signIn(openid)
  const inv = await call('POST', '/admin/invitations', admin, { role, unit_id: unit })
  const me = await call('POST', '/auth/invitations/redeem', token, { code: inv.code })
  return { token, id: me.id }
}

// The console in a browser: its cookies, kept by hand (Node's fetch has no cookie jar).
function browser() {
  const jar = {}
  async function send(method, p, extra) {
    const headers = Object.assign({ 'user-agent': CHROME }, extra || {})
    const cookie = Object.keys(jar).map((k) => k + '=' + jar[k]).join('; ')
    if (cookie) headers.cookie = cookie
    const res = await __node.fetch(stack.api(p), { method, headers })
    for (const sc of res.headers.getSetCookie()) {
      const [pair] = sc.split(';')
      const i = pair.indexOf('=')
      const name = pair.slice(0, i)
      const value = pair.slice(i + 1)
      if (value && !/Max-Age=0/.test(sc)) jar[name] = value
      else delete jar[name]
    }
    const type = res.headers.get('content-type') || ''
    return { status: res.status, type, body: type.startsWith('application/json') ? await res.json() : await res.arrayBuffer() }
  }
  return { jar, send }
}

// The mini-program's WeChat: wx.login gets a real code from the fake, wx.request goes over HTTP.
function appWeChat(openid) {
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
  admin = await stack.admin('o-admin')
}, 90000)

afterAll(async () => {
  if (stack) await stack.stop()
})

beforeEach(() => {
  mp.resetStorage()
  mp.agreedPrivacy()
  mp.spyWx('showLoading').mockImplementation(() => {})
  mp.spyWx('hideLoading').mockImplementation(() => {})
})

test('staff member scans the console’s code, sees the browser, confirms: the console is signed in', async () => {
  const staff = await member('o-console-staff', 'branch_staff', MEILIN)
  const console_ = browser()
  const created = await console_.send('POST', '/console/login-codes')
  expect(created.status).toBe(200)
  const { nonce, qr_url: qrUrl } = created.body
  expect(console_.jar.ch_login).toBeTruthy()
  // the mini-program code the console shows
  const qr = await __node.fetch(stack.baseUrl + qrUrl)
  expect(qr.headers.get('content-type')).toBe('image/png')
  expect(Buffer.from(await qr.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG')
  expect((await console_.send('GET', '/console/login-codes/' + nonce)).body.status).toBe('pending')

  // WeChat opens pages/console/confirm with the code's scene
  appWeChat('o-console-staff')
  const page = loadPage('pages/console/confirm', { query: { scene: encodeURIComponent(nonce) } })
  await waitFor(() => page.data.status === 'ok', 10000)
  expect(text(page, '.who-browser')).toBe('Chrome 120 · Windows')
  expect(text(page, '.who-place')).toBe('本机')
  expect(text(page, '.who-time')).toMatch(/^\d+月\d+日（周.）\d\d:\d\d$/)
  expect((await console_.send('GET', '/console/login-codes/' + nonce)).body.status).toBe('scanned')

  await tap(page, '.confirm-btn')
  await waitFor(() => page.data.phase === 'confirmed', 10000)
  expect(text(page, '.done-title')).toBe('已确认登录')

  // the console's poll collects its session, once
  const polled = await console_.send('GET', '/console/login-codes/' + nonce + '?wait=5')
  expect(polled.body.status).toBe('confirmed')
  expect(console_.jar.ch_console).toBeTruthy()
  const session = await console_.send('GET', '/console/session')
  expect(session.status).toBe(200)
  expect(session.body.user.id).toBe(staff.id)
  expect(session.body.grants.map((g) => g.role)).toEqual(['branch_staff'])
  expect((await console_.send('GET', '/console/login-codes/' + nonce)).body.status).toBe('used')
  page.detach()
})

test('取消 on the phone: the console is told, and gets no session', async () => {
  await member('o-console-staff-2', 'point_coordinator', 11)
  const console_ = browser()
  const { nonce } = (await console_.send('POST', '/console/login-codes')).body
  appWeChat('o-console-staff-2')
  const page = loadPage('pages/console/confirm', { query: { scene: nonce } })
  await waitFor(() => page.data.status === 'ok', 10000)
  await tap(page, '.cancel-btn')
  await waitFor(() => page.data.phase === 'cancelled', 10000)
  const polled = await console_.send('GET', '/console/login-codes/' + nonce)
  expect(polled.body.status).toBe('rejected')
  expect(console_.jar.ch_console).toBeUndefined()
  page.detach()
})

test('a resident who scans the code is told only staff may sign in', async () => {
  const console_ = browser()
  const { nonce } = (await console_.send('POST', '/console/login-codes')).body
  appWeChat('o-console-resident')
  const page = loadPage('pages/console/confirm', { query: { scene: nonce } })
  await waitFor(() => page.data.status === 'error', 10000)
  expect(text(page, '.state >>> .state-text')).toBe('只有工作人员、督导和评估人员可以登录管理后台')
  expect((await console_.send('GET', '/console/login-codes/' + nonce)).body.status).toBe('pending')
  page.detach()
})
