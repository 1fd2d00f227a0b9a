const { loadPage, waitFor, text, texts, tap, stubRequest, apiError, signedIn, resetStorage } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

const ROUTE = 'pages/bookings/index'
const SESSION = { token: 'new-token', expires_at: '2099-01-01T00:00:00Z', user: fx.me() }

beforeEach(() => resetStorage())

test('signed out: an invitation to sign in, never an automatic one; signing in shows the list', async () => {
  const login = jest.spyOn(wx, 'login').mockImplementation((o) => setTimeout(() => o.success({ code: 'c1' }), 0))
  const req = stubRequest({
    'POST /api/v1/auth/wechat': { data: SESSION },
    'GET /api/v1/me/bookings': { data: { items: [fx.booking()] } }
  })
  const page = loadPage(ROUTE)
  expect(page.data.status).toBe('empty')
  expect(text(page, '.state >>> .state-text')).toBe('登录后可以查看您的预约和电子票')
  expect(login).not.toHaveBeenCalled()
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  const dialog = page.querySelector('.privacy')
  await waitFor(() => dialog.querySelector('.dialog'))
  dialog.querySelector('.dialog-agree').dispatchEvent('agreeprivacyauthorization')
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls.map((c) => c.path)).toEqual(['/api/v1/auth/wechat', '/api/v1/me/bookings'])
  expect(texts(page, '.upcoming-list .booking >>> .booking-title')).toEqual(['梅林社区合唱入门'])
})

test('upcoming and past (ended or cancelled) are apart; a card opens the ticket', async () => {
  signedIn()
  stubRequest({
    'GET /api/v1/me/bookings': {
      data: {
        items: [
          fx.booking({ id: 1, activity_title: '合唱' }),
          fx.booking({ id: 2, activity_title: '剪纸', status: 'waitlisted', waitlist_position: 1 }),
          fx.booking({ id: 3, activity_title: '讲座', status: 'cancelled' }),
          fx.booking({ id: 4, activity_title: '展览', starts_at: '2020-01-01T01:00:00Z', ends_at: '2020-01-01T02:00:00Z' })
        ]
      }
    }
  })
  const nav = jest.spyOn(wx, 'navigateTo').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.tab-upcoming')).toBe('待参加（2）')
  expect(text(page, '.tab-past')).toBe('已结束/已取消（2）')
  expect(texts(page, '.upcoming-list .booking >>> .booking-status')).toEqual(['已预约', '候补第 1 位'])
  await tap(page, '.tab-past')
  expect(texts(page, '.past-list .booking >>> .booking-title')).toEqual(['讲座', '展览'])
  page.querySelectorAll('.booking')[0].querySelector('.booking-card').dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  expect(nav).toHaveBeenCalledWith({ url: '/pages/booking/detail?id=3' })
})

test('nothing upcoming: a way to the activities', async () => {
  signedIn()
  stubRequest({ 'GET /api/v1/me/bookings': { data: { items: [] } } })
  const tab = jest.spyOn(wx, 'switchTab').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.empty-text')).toBe('还没有待参加的预约')
  await tap(page, '.browse-btn')
  expect(tab).toHaveBeenCalledWith({ url: '/pages/activities/index' })
})

test('error with retry; coming back to the tab and pulling down refresh', async () => {
  signedIn()
  const req = stubRequest({
    'GET /api/v1/me/bookings': [apiError(503, 'service_unavailable', '服务繁忙，请稍后再试'), { data: { items: [fx.booking()] } }]
  })
  const stop = jest.spyOn(wx, 'stopPullDownRefresh').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('服务繁忙，请稍后再试')
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => page.data.status === 'ok')
  page.instance.onShow()
  await waitFor(() => req.calls.length === 3)
  await page.instance.onPullDownRefresh()
  expect(req.calls).toHaveLength(4)
  expect(stop).toHaveBeenCalled()
})
