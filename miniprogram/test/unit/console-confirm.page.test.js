// pages/console/confirm — 扫码登录管理后台: what is signing in, then 确认登录 or 取消.
const { loadPage, waitFor, text, tap, stubRequest, apiError, signedIn, agreedPrivacy, resetStorage, storage, spyWx } = require('../helpers/mp')

const ROUTE = 'pages/console/confirm'
const NONCE = 'Ab3_dE-9xYz0123456789Q'
const BASE = '/api/v1/console/login-codes/' + NONCE

function scanned(extra) {
  return {
    data: Object.assign({
      nonce: NONCE, status: 'scanned', browser: 'Chrome 120 · Windows', place: '内部网络', ip: '192.168.1.*',
      created_at: '2026-12-05T11:30:00Z', expires_at: '2026-12-05T11:32:00Z'
    }, extra || {})
  }
}

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
  signedIn({ roles: [{ grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '梅林分馆' }] })
  spyWx('showLoading').mockImplementation(() => {})
  spyWx('hideLoading').mockImplementation(() => {})
})

test('opened from the code (scene = nonce): shows browser, time and place, then 确认登录', async () => {
  const req = stubRequest({
    ['POST ' + BASE + '/scan']: scanned(),
    ['POST ' + BASE + '/confirm']: { data: { status: 'confirmed' } }
  })
  const page = loadPage(ROUTE, { query: { scene: encodeURIComponent(NONCE) } })
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls[0]).toMatchObject({ method: 'POST', path: BASE + '/scan' })
  expect(req.calls[0].header.Authorization).toBe('Bearer test-token')
  expect(text(page, '.ask-title')).toBe('登录文化馆管理后台')
  expect(text(page, '.who-browser')).toBe('Chrome 120 · Windows')
  expect(text(page, '.who-time')).toBe('12月5日（周六）19:30') // China time
  expect(text(page, '.who-place')).toBe('内部网络')
  expect(text(page, '.who-ip')).toBe('192.168.1.*')
  expect(text(page, '.warn')).toMatch(/不是您本人/)
  await tap(page, '.confirm-btn')
  await waitFor(() => page.data.phase === 'confirmed')
  expect(req.calls[1]).toMatchObject({ method: 'POST', path: BASE + '/confirm', data: { approve: true } })
  expect(text(page, '.done-title')).toBe('已确认登录')
  expect(page.querySelector('.confirm-btn')).toBeUndefined()
  const back = spyWx('reLaunch').mockImplementation(() => {})
  await tap(page, '.done-btn')
  expect(back).toHaveBeenCalledWith({ url: '/pages/home/index' })
})

test('取消 tells the server no, and says the computer will not be signed in', async () => {
  const req = stubRequest({
    ['POST ' + BASE + '/scan']: scanned({ place: '', ip: '' }),
    ['POST ' + BASE + '/confirm']: { data: { status: 'rejected' } }
  })
  const page = loadPage(ROUTE, { query: { scene: NONCE } })
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.who-place')).toBe('未知')
  expect(page.querySelector('.who-ip')).toBeUndefined()
  await tap(page, '.cancel-btn')
  await waitFor(() => page.data.phase === 'cancelled')
  expect(req.calls[1].data).toEqual({ approve: false })
  expect(text(page, '.done-title')).toBe('已取消登录')
  expect(text(page, '.done-text')).toBe('电脑上的管理后台不会登录。')
})

test('the server’s refusal is shown: expired, already used, not staff', async () => {
  const cases = [
    apiError(410, 'login_code_expired', '二维码已过期，请在电脑上刷新二维码后重新扫码'),
    apiError(409, 'login_code_used', '这个二维码已被使用，请在电脑上刷新二维码后重新扫码'),
    apiError(403, 'console_not_staff', '只有工作人员、督导和评估人员可以登录管理后台')
  ]
  for (const refusal of cases) {
    stubRequest({ ['POST ' + BASE + '/scan']: refusal })
    const page = loadPage(ROUTE, { query: { scene: NONCE } })
    await waitFor(() => page.data.status === 'error')
    expect(text(page, '.state >>> .state-text')).toBe(refusal.data.error.message)
    expect(text(page, '.state >>> .state-action')).toBe('返回')
    expect(page.querySelector('.confirm-btn')).toBeUndefined()
    page.detach()
  }
})

test('a refusal at 确认登录 (expired meanwhile) replaces the question with the message', async () => {
  stubRequest({
    ['POST ' + BASE + '/scan']: scanned(),
    ['POST ' + BASE + '/confirm']: apiError(410, 'login_code_expired', '二维码已过期，请在电脑上刷新二维码后重新扫码')
  })
  const page = loadPage(ROUTE, { query: { scene: NONCE } })
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.confirm-btn')
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('二维码已过期，请在电脑上刷新二维码后重新扫码')
})

test('a code that is not ours never reaches the server', async () => {
  const req = stubRequest({})
  const page = loadPage(ROUTE, { query: { scene: 's%3D12' } })
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('二维码无效，请在电脑上刷新二维码后重新扫码')
  expect(req.calls).toHaveLength(0)
})

test('signed out: signs in first (privacy agreed), then scans with the new token', async () => {
  resetStorage()
  agreedPrivacy()
  spyWx('login').mockImplementation((o) => setTimeout(() => o.success({ code: 'wx-code' }), 0))
  const req = stubRequest({
    'POST /api/v1/auth/wechat': { data: { token: 'fresh-token', expires_at: '2099-01-01T00:00:00Z', user: { id: 7, display_name: '', phone: null, phone_masked: null, roles: [] } } },
    ['POST ' + BASE + '/scan']: scanned()
  })
  const page = loadPage(ROUTE, { query: { scene: NONCE } })
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls.map((c) => c.path)).toEqual(['/api/v1/auth/wechat', BASE + '/scan'])
  expect(req.calls[1].header.Authorization).toBe('Bearer fresh-token')
  expect(storage().ch_session.token).toBe('fresh-token')
})
