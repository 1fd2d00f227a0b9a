// utils/request.js: base URL, token, sign-in on first need and after a 401, Idempotency-Key
// reuse on retries, the server's message shown, loading state.
const path = require('path')
const { SRC, stubRequest, stubModal, apiError, signedIn, agreedPrivacy, resetStorage, storage, spyWx } = require('../helpers/mp')

const config = require(path.join(SRC, 'config'))
const request = require(path.join(SRC, 'utils/request'))
const session = require(path.join(SRC, 'utils/session'))

const SESSION = { token: 'fresh-token', expires_at: '2099-01-01T00:00:00Z', user: { id: 9, display_name: '', roles: [] } }

function stubLogin(codes) {
  const queue = (codes || ['code-1']).slice()
  return spyWx('login').mockImplementation((o) => {
    const code = queue.length > 1 ? queue.shift() : queue[0]
    setTimeout(() => o.success({ code, errMsg: 'login:ok' }), 0)
  })
}

beforeEach(() => {
  resetStorage()
  config.baseUrl = 'https://api.test'
})

test('a public GET goes to the configured base URL without a token, empty query values dropped', async () => {
  signedIn()
  const req = stubRequest({ 'GET /api/v1/org/units': { data: { items: [{ id: 1 }] } } })
  const body = await request.call('orgUnits', { query: { q: '梅林', level: '', x: undefined } })
  expect(body.items).toHaveLength(1)
  const opts = req.mock.calls[0][0]
  expect(opts.url).toBe('https://api.test/api/v1/org/units?q=' + encodeURIComponent('梅林'))
  expect(opts.method).toBe('GET')
  expect(opts.header.Authorization).toBeUndefined()
})

test('an optional-auth GET sends the token when there is one, and never signs in', async () => {
  const login = stubLogin()
  const req = stubRequest({ 'GET /api/v1/activities': { data: { items: [], has_more: false } } })
  await request.call('activities', { query: { unit_id: 10 } })
  expect(req.calls[0].header.Authorization).toBeUndefined()
  expect(login).not.toHaveBeenCalled()
  signedIn()
  await request.call('activities', { query: { unit_id: 10 } })
  expect(req.calls[1].header.Authorization).toBe('Bearer test-token')
  expect(req.calls[1].query).toEqual({ unit_id: '10' })
})

test('path parameters are filled and encoded', () => {
  expect(request.fillPath('/api/v1/bookings/{id}/cancel', { id: 42 })).toBe('/api/v1/bookings/42/cancel')
  expect(() => request.fillPath('/api/v1/bookings/{id}', {})).toThrow(/missing path parameter id/)
})

test('first need: privacy agreement, then wx.login, then POST /auth/wechat, then the call with the token', async () => {
  const modal = stubModal([true]) // no dialog on screen: the fallback modal asks
  const login = stubLogin(['wx-code-1'])
  const req = stubRequest({
    'POST /api/v1/auth/wechat': { data: SESSION },
    'GET /api/v1/me/bookings': { data: { items: [] } }
  })
  await request.call('myBookings')
  expect(modal.mock.calls[0][0].title).toBe('隐私保护提示')
  expect(login).toHaveBeenCalledTimes(1)
  expect(req.calls.map((c) => c.method + ' ' + c.path)).toEqual(['POST /api/v1/auth/wechat', 'GET /api/v1/me/bookings'])
  expect(req.calls[0].data).toEqual({ code: 'wx-code-1' })
  expect(req.calls[1].header.Authorization).toBe('Bearer fresh-token')
  expect(session.token()).toBe('fresh-token')
  expect(storage().ch_privacy_agreed).toBe(config.privacyVersion)
})

test('declining the privacy agreement stops before wx.login and tells the person', async () => {
  stubModal([false])
  const login = stubLogin()
  const toast = spyWx('showToast')
  const req = stubRequest({})
  await expect(request.call('myBookings')).rejects.toMatchObject({ code: 'privacy_declined' })
  expect(login).not.toHaveBeenCalled()
  expect(req).not.toHaveBeenCalled()
  expect(toast.mock.calls[0][0].title).toMatch(/隐私保护指引/)
})

test('a revoked token never signs in by itself: browsing goes on anonymously, with one note', async () => {
  agreedPrivacy()
  signedIn()
  const login = stubLogin()
  const toast = spyWx('showToast')
  const req = stubRequest({
    'GET /api/v1/activities': [apiError(401, 'session_invalid', '登录已失效，请重新登录'), { data: { items: [], page: 1, has_more: false } }],
    'POST /api/v1/auth/wechat': { data: SESSION }
  })
  const page = await request.call('activities', { query: { page: 1 } })
  expect(page.items).toEqual([])
  await request.call('activities', { query: { page: 2 } })
  const browse = req.calls.filter((c) => c.path === '/api/v1/activities')
  expect(browse.map((c) => c.header.Authorization)).toEqual(['Bearer test-token', undefined, undefined])
  expect(req.calls.filter((c) => c.path === '/api/v1/auth/wechat')).toHaveLength(0)
  expect(login).not.toHaveBeenCalled()
  expect(session.isSignedIn()).toBe(false)
  expect(session.wasRevoked()).toBe(true)
  expect(toast.mock.calls.map((c) => c[0].title)).toEqual(['登录已失效，请到“我的”重新登录'])
})

test('a revoked token: what needs an account fails with session_expired (no new account); the next tap signs in', async () => {
  agreedPrivacy()
  signedIn()
  const login = stubLogin(['code-again'])
  spyWx('showToast')
  const req = stubRequest({
    'GET /api/v1/me/bookings': apiError(401, 'session_invalid', '登录已失效，请重新登录'),
    'POST /api/v1/bookings': { data: { id: 5, status: 'confirmed' } },
    'POST /api/v1/auth/wechat': { data: SESSION }
  })
  await expect(request.call('myBookings')).rejects.toMatchObject({ status: 401, code: 'session_expired', message: '登录已失效，请重新登录' })
  expect(req.calls.map((c) => c.method + ' ' + c.path)).toEqual(['GET /api/v1/me/bookings'])
  expect(login).not.toHaveBeenCalled()
  expect(session.isSignedIn()).toBe(false)
  // the person taps 预约: that is a sign-in on first need, as for anyone signed out
  const key = request.newIdempotencyKey()
  const b = await request.call('book', { data: { session_id: 1 }, idempotencyKey: key })
  expect(b.id).toBe(5)
  expect(login).toHaveBeenCalledTimes(1)
  expect(req.calls.map((c) => c.method + ' ' + c.path).slice(1)).toEqual(['POST /api/v1/auth/wechat', 'POST /api/v1/bookings'])
  expect(req.calls[2].header.Authorization).toBe('Bearer fresh-token')
  expect(session.wasRevoked()).toBe(false)
})

test('a 401 right after a fresh sign-in is reported, not retried', async () => {
  agreedPrivacy()
  stubLogin()
  spyWx('showToast')
  const req = stubRequest({
    'GET /api/v1/me': apiError(401, 'unauthenticated', '请先登录'),
    'POST /api/v1/auth/wechat': { data: SESSION }
  })
  await expect(request.call('me')).rejects.toMatchObject({ status: 401, code: 'session_expired' })
  expect(req.calls.filter((c) => c.path === '/api/v1/me')).toHaveLength(1)
  expect(req.calls.filter((c) => c.path === '/api/v1/auth/wechat')).toHaveLength(1)
})

test('a network failure is retried once for a keyed write, with the same key', async () => {
  signedIn()
  const req = stubRequest({
    'POST /api/v1/bookings/7/cancel': [{ networkError: 'timeout' }, { data: { id: 7, status: 'cancelled' } }]
  })
  const b = await request.call('cancelBooking', { params: { id: 7 }, idempotencyKey: 'k-1' })
  expect(b.status).toBe('cancelled')
  expect(req.calls.map((c) => c.header['Idempotency-Key'])).toEqual(['k-1', 'k-1'])
})

test('an unkeyed write is not retried after a network failure; the person sees a plain message', async () => {
  signedIn()
  const toast = spyWx('showToast')
  const req = stubRequest({ 'POST /api/v1/me/family': { networkError: 'timeout' } })
  await expect(request.call('addFamily', { data: { name: 'x' } })).rejects.toMatchObject({ code: 'network' })
  expect(req.calls).toHaveLength(1)
  expect(toast.mock.calls[0][0].title).toBe(request.NETWORK_MESSAGE)
})

test('a write carrying its own nonce (retrySafe) is retried once with the same body, no Idempotency-Key', async () => {
  signedIn()
  const req = stubRequest({
    'POST /api/v1/checkin/scan': [{ networkError: 'timeout' }, { data: { result: 'admitted' } }]
  })
  const body = { session_id: 11, token: 't', nonce: 'n-1' }
  const r = await request.call('checkinScan', { data: body, retrySafe: true })
  expect(r.result).toBe('admitted')
  expect(req.calls.map((c) => c.data)).toEqual([body, body])
  expect(req.calls[0].header['Idempotency-Key']).toBeUndefined()
})

test('a call may ask for a shorter timeout than the default', async () => {
  signedIn()
  const seen = []
  spyWx('request').mockImplementation((o) => {
    seen.push(o.timeout)
    setTimeout(() => o.success({ statusCode: 200, data: {}, header: {} }), 0)
    return { abort() {} }
  })
  await request.call('checkinStats', { params: { id: 1 } })
  await request.call('checkinScan', { data: {}, timeout: 4000 })
  expect(seen).toEqual([config.timeout, 4000])
})

test("the server's error.message is shown as a toast, or a modal, or not at all", async () => {
  signedIn()
  const toast = spyWx('showToast')
  const modal = stubModal([true])
  stubRequest({ 'POST /api/v1/bookings': apiError(409, 'session_full', '名额已满，可以排队候补', { waitlist_length: 3 }) })
  const err = await request.call('book', { data: { session_id: 1 } }).catch((e) => e)
  expect(err).toMatchObject({ status: 409, code: 'session_full', message: '名额已满，可以排队候补', requestId: 'test-request', shown: true })
  expect(err.details).toEqual({ waitlist_length: 3 })
  expect(toast).toHaveBeenCalledWith(expect.objectContaining({ title: '名额已满，可以排队候补', icon: 'none' }))

  await request.call('book', { data: { session_id: 1 }, showError: 'modal' }).catch(() => {})
  expect(modal.mock.calls[0][0].content).toBe('名额已满，可以排队候补')

  toast.mockClear()
  const quiet = await request.call('book', { data: { session_id: 1 }, showError: false }).catch((e) => e)
  expect(quiet.shown).toBe(false)
  expect(toast).not.toHaveBeenCalled()
})

test('a non-JSON failure still gives a readable message', async () => {
  spyWx('showToast')
  stubRequest({ 'GET /api/v1/org/tree': { statusCode: 502, data: '<html>bad gateway</html>' } })
  await expect(request.call('orgTree')).rejects.toMatchObject({ status: 502, message: '服务暂时不可用（502），请稍后再试' })
})

test('loading is shown while the request runs and hidden before an error toast', async () => {
  signedIn()
  const order = []
  spyWx('showLoading').mockImplementation((o) => order.push('loading:' + o.title))
  spyWx('hideLoading').mockImplementation(() => order.push('hide'))
  spyWx('showToast').mockImplementation((o) => order.push('toast:' + o.title))
  stubRequest({ 'POST /api/v1/bookings': apiError(409, 'already_booked', '已经预约了这一场') })
  await request.call('book', { data: { session_id: 1 }, loading: '正在预约…' }).catch(() => {})
  expect(order).toEqual(['loading:正在预约…', 'hide', 'toast:已经预约了这一场'])
})

test('a used wx.login code is replaced once', async () => {
  agreedPrivacy()
  const login = stubLogin(['used', 'good'])
  stubRequest({
    'POST /api/v1/auth/wechat': [apiError(400, 'wechat_code_invalid', '登录凭证无效'), { data: SESSION }]
  })
  const s = await request.signIn()
  expect(s.token).toBe('fresh-token')
  expect(login).toHaveBeenCalledTimes(2)
})

test('concurrent calls share one sign-in', async () => {
  agreedPrivacy()
  const login = stubLogin()
  const req = stubRequest({
    'POST /api/v1/auth/wechat': { data: SESSION },
    'GET /api/v1/me': { data: { id: 9 } },
    'GET /api/v1/me/family': { data: { items: [] } }
  })
  await Promise.all([request.call('me'), request.call('family')])
  expect(login).toHaveBeenCalledTimes(1)
  expect(req.calls.filter((c) => c.path === '/api/v1/auth/wechat')).toHaveLength(1)
})

test('idempotency keys are unique visible ASCII of at most 100 characters', () => {
  const keys = new Set()
  for (let i = 0; i < 200; i++) keys.add(request.newIdempotencyKey())
  expect(keys.size).toBe(200)
  keys.forEach((k) => expect(k).toMatch(/^[\x21-\x7e]{1,100}$/))
})

test('an expired session is treated as signed out', () => {
  wx.setStorageSync('ch_session', { token: 'old', expires_at: '2000-01-01T00:00:00Z', user: null })
  expect(session.token()).toBeNull()
  expect(session.isSignedIn()).toBe(false)
})

test('local development: codes come from the fake WeChat instead of wx.login (develop only)', async () => {
  agreedPrivacy()
  config.devFakeWechat = { url: 'http://127.0.0.1:9080', openid: 'o-dev-resident', phone: '13800138000' }
  try {
    const login = spyWx('login')
    const req = stubRequest({
      'POST /__fake/login_code': { data: { code: 'fake-login', openid: 'o-dev-resident' } },
      'POST /__fake/phone_code': { data: { code: 'fake-phone' } },
      'POST /api/v1/auth/wechat': { data: SESSION },
      'GET /api/v1/me': { data: { id: 9 } }
    })
    await request.call('me')
    expect(login).not.toHaveBeenCalled()
    expect(wx.request.mock.calls[0][0].url).toBe('http://127.0.0.1:9080/__fake/login_code')
    expect(req.calls[0].data).toEqual({ openid: 'o-dev-resident' })
    expect(req.calls[1].data).toEqual({ code: 'fake-login' })
    await expect(request.phoneCode('real-button-code')).resolves.toBe('fake-phone')
  } finally {
    config.devFakeWechat = null
  }
  await expect(request.phoneCode('real-button-code')).resolves.toBe('real-button-code')
})

test('the dev hook is on only in the develop environment', () => {
  const path = require('path')
  jest.isolateModules(() => {
    spyWx('getAccountInfoSync').mockReturnValue({ miniProgram: { envVersion: 'release' } })
    const released = require(path.join(SRC, 'config'))
    expect(released.devFakeWechat).toBeNull()
    expect(released.baseUrl).toBe(released.baseUrls.release)
  })
  jest.isolateModules(() => {
    spyWx('getAccountInfoSync').mockReturnValue({ miniProgram: { envVersion: 'develop' } })
    const dev = require(path.join(SRC, 'config'))
    expect(dev.devFakeWechat).toMatchObject({ url: 'http://127.0.0.1:9080' })
    expect(dev.baseUrl).toBe('http://127.0.0.1:8080')
  })
})
