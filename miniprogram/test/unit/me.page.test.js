const { loadPage, waitFor, text, texts, tap, stubRequest, stubModal, signedIn, resetStorage, storage, simulate, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

const ROUTE = 'pages/me/index'
const NO_SHOWS = { data: { count: 1, limit: 3, window_days: 90, suspended_until: null, reason: null } }

beforeEach(() => resetStorage())

test('signed out: a welcome, browsing needs no sign-in, the phone is never asked', async () => {
  const page = loadPage(ROUTE)
  expect(text(page, '.guest .title')).toBe('您好，欢迎来到福田区文化馆')
  expect(page.querySelector('.phone-btn')).toBeUndefined()
  expect(page.querySelector('.redeem')).toBeUndefined()
  expect(texts(page, '.menu .list-item')[0]).toMatch(/家庭成员/)
})

test('a token the server revoked: 我的 shows the guest view with why, and never signs in by itself', async () => {
  signedIn()
  const login = spyWx('login')
  stubRequest({
    'GET /api/v1/me': { statusCode: 401, data: { error: { status: 401, code: 'session_invalid', message: '登录已失效，请重新登录', request_id: 'r' } } },
    'GET /api/v1/me/no-shows': { statusCode: 401, data: { error: { status: 401, code: 'session_invalid', message: '登录已失效，请重新登录', request_id: 'r' } } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => !page.data.signedIn)
  expect(text(page, '.revoked-note')).toBe('登录已失效（可能在其他设备上退出或注销了账号），请重新登录。')
  expect(page.querySelector('.sign-in')).toBeDefined()
  expect(login).not.toHaveBeenCalled()
})

test('sign in from 我的: privacy dialog, then the profile', async () => {
  spyWx('login').mockImplementation((o) => setTimeout(() => o.success({ code: 'c1' }), 0))
  stubRequest({
    'POST /api/v1/auth/wechat': { data: { token: 't', expires_at: '2099-01-01T00:00:00Z', user: fx.me({ display_name: '王阿姨' }) } },
    'GET /api/v1/me': { data: fx.me({ display_name: '王阿姨' }) },
    'GET /api/v1/me/no-shows': NO_SHOWS
  })
  const page = loadPage(ROUTE)
  await tap(page, '.sign-in')
  const dialog = page.querySelector('.privacy')
  await waitFor(() => dialog.querySelector('.dialog'))
  dialog.querySelector('.dialog-agree').dispatchEvent('agreeprivacyauthorization')
  await waitFor(() => page.data.signedIn && page.data.status === 'ok' && page.data.noShow)
  expect(text(page, '.name')).toBe('王阿姨')
  expect(text(page, '.no-show-count')).toBe('近 90 天爽约 1 次（满 3 次将暂停预约）')
})

test('phone: only from the getPhoneNumber button, with the reason; refusing is fine', async () => {
  signedIn()
  const toast = spyWx('showToast').mockImplementation(() => {})
  const req = stubRequest({
    'GET /api/v1/me': { data: fx.me() },
    'GET /api/v1/me/no-shows': NO_SHOWS,
    'POST /api/v1/me/phone': { data: fx.me({ phone: '13800138000', phone_masked: '138****8000' }) }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && page.data.user)
  expect(text(page, '.name')).toBe('文化馆居民')
  expect(text(page, '.phone-none')).toBe('未绑定')
  expect(text(page, '.phone-bind .hint')).toMatch(/可不绑定，不影响预约/)
  expect(req.calls.some((c) => c.path === '/api/v1/me/phone')).toBe(false)
  page.querySelector('.phone-btn').dispatchEvent('getphonenumber', { detail: { errMsg: 'getPhoneNumber:fail user deny' } })
  await simulate.sleep(5)
  expect(toast.mock.calls[0][0].title).toBe('未绑定手机号，不影响预约')
  expect(req.calls.some((c) => c.path === '/api/v1/me/phone')).toBe(false)
  page.querySelector('.phone-btn').dispatchEvent('getphonenumber', { detail: { code: 'phone-code-1', errMsg: 'getPhoneNumber:ok' } })
  await waitFor(() => page.data.phoneMasked)
  expect(req.calls.find((c) => c.path === '/api/v1/me/phone').data).toEqual({ code: 'phone-code-1' })
  expect(text(page, '.phone')).toBe('138****8000')
  expect(page.querySelector('.phone-btn')).toBeUndefined()
})

test('change my display name; a suspension is explained', async () => {
  signedIn()
  spyWx('showToast').mockImplementation(() => {})
  stubModal([{ confirm: true, content: ' 李大爷 ' }])
  const req = stubRequest({
    'GET /api/v1/me': { data: fx.me() },
    'GET /api/v1/me/no-shows': { data: { count: 3, limit: 3, window_days: 90, suspended_until: '2099-12-20T00:00:00Z', reason: '90 天内爽约 3 次，暂停预约 30 天' } },
    'PATCH /api/v1/me': (o) => ({ data: fx.me({ display_name: o.data.display_name }) })
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.noShow)
  expect(text(page, '.suspended')).toBe('预约功能暂停至 12月20日（周日）08:00（90 天内爽约 3 次，暂停预约 30 天）')
  await tap(page, '.edit-name')
  await waitFor(() => page.data.name === '李大爷')
  expect(req.calls.find((c) => c.method === 'PATCH').data).toEqual({ display_name: '李大爷' })
})

test('an invitation code makes a volunteer', async () => {
  signedIn()
  const modal = stubModal([{ confirm: true, content: '7W3JLP-8PKBE2' }, true])
  const volunteer = fx.me({ roles: [{ grant_id: 2, role: 'volunteer', role_label: '志愿者', unit_id: 76, unit_name: '翰岭服务点' }] })
  const req = stubRequest({
    'GET /api/v1/me': { data: fx.me() },
    'GET /api/v1/me/no-shows': NO_SHOWS,
    'POST /api/v1/auth/invitations/redeem': { data: volunteer }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && page.data.user)
  await tap(page, '.redeem')
  await waitFor(() => page.data.isVolunteer)
  expect(req.calls.find((c) => c.path === '/api/v1/auth/invitations/redeem').data).toEqual({ code: '7W3JLP-8PKBE2' })
  expect(texts(page, '.role')).toEqual(['志愿者 · 翰岭服务点'])
  await waitFor(() => modal.mock.calls.length === 2)
  expect(modal.mock.calls[1][0].content).toBe('您的身份：志愿者 · 翰岭服务点')
})

test('entrances go to their pages; rating is explained and leads to 我的预约', async () => {
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const tab = spyWx('switchTab').mockImplementation(() => {})
  const modal = stubModal([true])
  const page = loadPage(ROUTE)
  // signed out: volunteering can be explained and applied for; no staff entrance
  expect(text(page, '.go-volunteer')).toMatch(/^志愿服务/)
  expect(page.querySelector('.go-staff')).toBeUndefined()
  for (const sel of ['.go-family', '.go-mydata', '.go-privacy', '.go-volunteer', '.go-demand', '.go-menu']) await tap(page, sel)
  expect(nav.mock.calls.map((c) => c[0].url)).toEqual([
    '/pages/family/index', '/pages/mydata/index', '/pages/privacy/index', '/pages/volunteer/index', '/pages/demand/index', '/pages/menu/index'
  ])
  expect(text(page, '.go-menu')).toMatch(/^文化菜单/)
  await tap(page, '.rate-hint')
  await waitFor(() => tab.mock.calls.length === 1)
  expect(modal.mock.calls[0][0].content).toMatch(/签到后/)
  expect(tab).toHaveBeenCalledWith({ url: '/pages/bookings/index' })
})

test('a volunteer gets 我的志愿服务; staff also get the 工作人员 entrance', async () => {
  const volunteer = [{ grant_id: 2, role: 'volunteer', role_label: '志愿者', unit_id: 76, unit_name: '翰岭服务点' }]
  const branch = [{ grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '梅林分馆' }]
  signedIn({ roles: volunteer })
  stubRequest({ 'GET /api/v1/me': [{ data: fx.me({ roles: volunteer }) }, { data: fx.me({ roles: branch }) }], 'GET /api/v1/me/no-shows': NO_SHOWS })
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && page.data.isVolunteer)
  expect(text(page, '.go-volunteer')).toMatch(/我的志愿服务（扫码签到）/)
  expect(page.querySelector('.go-staff')).toBeUndefined()
  page.instance.load()
  await waitFor(() => page.data.isStaff)
  await tap(page, '.go-staff')
  expect(nav).toHaveBeenCalledWith({ url: '/pages/staff/index' })
})

test('sign-out warns about offline check-ins not yet synced', async () => {
  signedIn()
  wx.setStorageSync('ch_checkin_queue', [{ session_id: 1, nonce: 'n1', token: 't', scanned_at: '2026-11-28T09:00:00Z' }])
  const modal = stubModal([false])
  stubRequest({ 'GET /api/v1/me': { data: fx.me() }, 'GET /api/v1/me/no-shows': NO_SHOWS })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && page.data.user)
  await tap(page, '.sign-out')
  await waitFor(() => modal.mock.calls.length === 1)
  expect(modal.mock.calls[0][0].content).toMatch(/还有 1 条离线签到没有同步/)
  expect(storage().ch_checkin_queue).toHaveLength(1)
})

test('sign out ends the session and clears saved tickets', async () => {
  signedIn()
  wx.setStorageSync('ch_ticket_5', { ticket: {} })
  wx.setStorageSync('ch_my_unit', { id: 10 })
  wx.setStorageSync('ch_checkin_list_11', { entries: [] })
  wx.setStorageSync('ch_checkin_issues_11', [])
  stubModal([true])
  spyWx('showToast').mockImplementation(() => {})
  const relaunch = spyWx('reLaunch').mockImplementation(() => {})
  const req = stubRequest({
    'GET /api/v1/me': { data: fx.me() },
    'GET /api/v1/me/no-shows': NO_SHOWS,
    'POST /api/v1/auth/logout': { data: { ok: true } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && page.data.user)
  await tap(page, '.sign-out')
  await waitFor(() => relaunch.mock.calls.length === 1)
  expect(req.calls.some((c) => c.path === '/api/v1/auth/logout')).toBe(true)
  expect(storage().ch_session).toBeUndefined()
  expect(storage().ch_ticket_5).toBeUndefined()
  expect(storage().ch_my_unit).toEqual({ id: 10 })
  expect(Object.keys(storage()).filter((k) => k.startsWith('ch_checkin_'))).toEqual([])
})
