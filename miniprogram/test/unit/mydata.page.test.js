const { loadPage, waitFor, text, tap, stubRequest, stubModal, apiError, signedIn, agreedPrivacy, resetStorage, storage, spyWx } = require('../helpers/mp')

const ROUTE = 'pages/mydata/index'
const EXPORT = {
  active_sessions: 1,
  bookings: [{ activity: '梅林社区合唱入门', booked_at: '2026-11-28T08:34:46Z', checked_in_at: null, for: null, starts_at: '2026-12-05T11:30:00Z', status: 'confirmed' }],
  family_members: [],
  profile: { created_at: '2026-11-28T08:34:46Z', display_name: '王阿姨', id: 2, phone: '13800138000' },
  roles: []
}

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
})

test('signed out: nothing is held', () => {
  const page = loadPage(ROUTE)
  expect(text(page, '.state >>> .state-text')).toBe('您还没有登录，我们没有保存您的个人信息')
})

test('shows everything held, and copies it out', async () => {
  signedIn()
  const copy = spyWx('setClipboardData').mockImplementation((o) => setTimeout(() => o.success(), 0))
  spyWx('showToast').mockImplementation(() => {})
  stubRequest({ 'GET /api/v1/me/export': { data: EXPORT } })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.s-name')).toBe('王阿姨')
  expect(text(page, '.s-phone')).toBe('13800138000')
  expect(text(page, '.s-bookings')).toBe('1 条')
  expect(text(page, '.json')).toContain('"梅林社区合唱入门"')
  await tap(page, '.copy-btn')
  expect(JSON.parse(copy.mock.calls[0][0].data)).toEqual(EXPORT)
})

test('deleting the account asks twice, then clears everything personal here too', async () => {
  signedIn()
  wx.setStorageSync('ch_booking_5', { booking: {} })
  const modal = stubModal([true, true])
  spyWx('showToast').mockImplementation(() => {})
  const relaunch = spyWx('reLaunch').mockImplementation(() => {})
  const req = stubRequest({ 'GET /api/v1/me/export': { data: EXPORT }, 'DELETE /api/v1/me': { data: { ok: true } } })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.delete-btn')
  await waitFor(() => relaunch.mock.calls.length === 1)
  expect(modal.mock.calls.map((c) => c[0].title)).toEqual(['注销账号', '请再次确认'])
  expect(req.calls.some((c) => c.method === 'DELETE' && c.path === '/api/v1/me')).toBe(true)
  expect(storage().ch_session).toBeUndefined()
  expect(storage().ch_booking_5).toBeUndefined()
  expect(storage().ch_privacy_agreed).toBeUndefined()
  expect(relaunch).toHaveBeenCalledWith({ url: '/pages/home/index' })
})

test('changing one’s mind at the second question deletes nothing; errors show with retry', async () => {
  signedIn()
  stubModal([true, false])
  const req = stubRequest({ 'GET /api/v1/me/export': [apiError(503, 'service_unavailable', '服务繁忙，请稍后再试'), { data: EXPORT }] })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('服务繁忙，请稍后再试')
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.delete-btn')
  await waitFor(() => wx.showModal.mock.calls.length === 2)
  expect(req.calls.some((c) => c.method === 'DELETE')).toBe(false)
  expect(storage().ch_session).toBeDefined()
})

test('in English: the summary and both delete questions are in English (WeChat button limits kept)', async () => {
  require('../../src/utils/i18n').setLang('en')
  signedIn()
  const modal = stubModal([true, false])
  stubRequest({ 'GET /api/v1/me/export': { data: Object.assign({}, EXPORT, { profile: Object.assign({}, EXPORT.profile, { phone: null }) }) } })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.s-phone')).toBe('(not linked)')
  expect(text(page, '.s-bookings')).toBe('1')
  expect(text(page, '.delete-btn')).toBe('Delete my account and my data')
  await tap(page, '.delete-btn')
  await waitFor(() => modal.mock.calls.length === 2)
  expect(modal.mock.calls.map((c) => c[0].title)).toEqual(['Delete account', 'Please confirm'])
})
