// 日历订阅 (我的) and 添加到手机日历 (预约详情), issue 17.
const { loadPage, waitFor, text, tap, stubRequest, stubModal, apiError, signedIn, agreedPrivacy, resetStorage, storage, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

const ROUTE = 'pages/calendar/index'
const URL = 'https://culture.example.cn/api/v1/calendar/' + 'a'.repeat(64) + '.ics'

// simulate's wx has no addPhoneCalendar: the default double accepts what WeChat accepts.
if (!wx.addPhoneCalendar) {
  wx.addPhoneCalendar = function (o) {
    setTimeout(function () { if (o && o.success) o.success({ errMsg: 'addPhoneCalendar:ok' }) }, 0)
  }
}
if (!wx.openSetting) wx.openSetting = function () {}

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
})

test('signed out: asks to sign in', () => {
  const page = loadPage(ROUTE)
  expect(text(page, '.state >>> .state-text')).toBe('登录后可生成您的日历订阅链接')
})

test('no link yet: makes one, shows it once, copies it, keeps it on this phone', async () => {
  signedIn()
  const copy = spyWx('setClipboardData').mockImplementation((o) => setTimeout(() => o.success(), 0))
  spyWx('showToast').mockImplementation(() => {})
  const req = stubRequest({
    'GET /api/v1/me/calendar': { data: { active: false, created_at: null, url: null } },
    'POST /api/v1/me/calendar': { data: { active: true, created_at: '2026-12-02T04:00:00Z', url: URL } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.none')).toContain('还没有日历订阅链接')
  await tap(page, '.create-btn')
  await waitFor(() => page.data.url === URL)
  expect(text(page, '.url')).toBe(URL)
  expect(req.calls.some((c) => c.method === 'POST' && c.path === '/api/v1/me/calendar')).toBe(true)
  await tap(page, '.copy-btn')
  expect(copy.mock.calls[0][0].data).toBe(URL)
  expect(storage().ch_calendar_url).toEqual({ url: URL, created_at: '2026-12-02T04:00:00Z' })
})

test('a link made elsewhere is not shown; 重置 asks first and replaces it; a relative link gets the API base', async () => {
  signedIn()
  wx.setStorageSync('ch_calendar_url', { url: 'https://old', created_at: '2026-11-01T00:00:00Z' })
  const modal = stubModal([false, true])
  stubRequest({
    'GET /api/v1/me/calendar': { data: { active: true, created_at: '2026-12-01T00:00:00Z', url: null } },
    'POST /api/v1/me/calendar': { data: { active: true, created_at: '2026-12-02T05:00:00Z', url: '/api/v1/calendar/' + 'b'.repeat(64) + '.ics' } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.url).toBe('')
  expect(text(page, '.not-here')).toContain('只在生成时显示一次')
  await tap(page, '.reset-btn')
  await waitFor(() => modal.mock.calls.length === 1)
  expect(page.data.url).toBe('')
  await tap(page, '.reset-btn')
  await waitFor(() => page.data.url !== '')
  expect(modal.mock.calls[0][0].title).toBe('重置订阅链接')
  expect(page.data.url).toMatch(/^https?:\/\/.+\/api\/v1\/calendar\/b{64}\.ics$/)
})

test('errors show with retry', async () => {
  signedIn()
  stubRequest({ 'GET /api/v1/me/calendar': [apiError(503, 'service_unavailable', '服务繁忙，请稍后再试'), { data: { active: false } }] })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'error')
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => page.data.status === 'ok')
})

test('in English, within WeChat’s button limits', async () => {
  require('../../src/utils/i18n').setLang('en')
  signedIn()
  stubModal([true])
  stubRequest({
    'GET /api/v1/me/calendar': { data: { active: true, created_at: '2026-12-01T00:00:00Z', url: null } },
    'POST /api/v1/me/calendar': { data: { active: true, created_at: '2026-12-02T05:00:00Z', url: URL } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.reset-btn')).toBe('Reset link')
  await tap(page, '.reset-btn')
  await waitFor(() => page.data.url === URL)
  require('../../src/utils/i18n').setLang('zh-CN')
})

describe('添加到手机日历 on a booking', () => {
  const BOOKING = 'pages/booking/detail'
  function load() {
    signedIn()
    stubRequest({
      'GET /api/v1/bookings/5': { data: fx.booking() },
      'GET /api/v1/bookings/5/ticket': apiError(404, 'route_not_found', '请求的接口不存在')
    })
    const page = loadPage(BOOKING, { query: { id: '5' } })
    return waitFor(() => page.data.status === 'ok').then(() => page)
  }

  test('adds the session in whole Unix seconds with its place', async () => {
    const add = spyWx('addPhoneCalendar').mockImplementation((o) => setTimeout(() => o.success({}), 0))
    const toast = spyWx('showToast').mockImplementation(() => {})
    const page = await load()
    await tap(page, '.calendar-btn')
    await waitFor(() => toast.mock.calls.length === 1)
    const ev = add.mock.calls[0][0]
    const b = fx.booking()
    expect(ev.title).toBe(b.activity_title)
    expect(ev.startTime).toBe(Math.floor(Date.parse(b.starts_at) / 1000))
    expect(ev.endTime).toBe(Math.floor(Date.parse(b.ends_at) / 1000))
    expect(ev.location).toContain(b.unit_name)
    expect(toast.mock.calls[0][0].title).toBe('已添加')
  })

  test('a refused permission offers the settings; a cancel says nothing', async () => {
    const add = spyWx('addPhoneCalendar').mockImplementationOnce((o) => setTimeout(() => o.fail({ errMsg: 'addPhoneCalendar:fail auth deny' }), 0))
      .mockImplementationOnce((o) => setTimeout(() => o.fail({ errMsg: 'addPhoneCalendar:fail cancel' }), 0))
    const modal = stubModal([true])
    const settings = spyWx('openSetting').mockImplementation(() => {})
    const toast = spyWx('showToast').mockImplementation(() => {})
    const page = await load()
    await tap(page, '.calendar-btn')
    await waitFor(() => settings.mock.calls.length === 1)
    expect(modal.mock.calls[0][0].title).toBe('需要日历权限')
    await tap(page, '.calendar-btn')
    await waitFor(() => add.mock.calls.length === 2)
    await new Promise((r) => setTimeout(r, 20))
    expect(toast).not.toHaveBeenCalled()
    expect(modal.mock.calls.length).toBe(1)
  })

  test('a cancelled booking has no calendar button', async () => {
    signedIn()
    stubRequest({ 'GET /api/v1/bookings/5': { data: fx.booking({ status: 'cancelled' }) } })
    const page = loadPage(BOOKING, { query: { id: '5' } })
    await waitFor(() => page.data.status === 'ok')
    expect(page.querySelector('.calendar-btn')).toBeFalsy()
  })
})
