const { openUrl, storage, loadPage, waitFor, text, texts, tap, stubRequest, apiError, signedIn, resetStorage, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

const ROUTE = 'pages/bookings/index'
const SESSION = { token: 'new-token', expires_at: '2099-01-01T00:00:00Z', user: fx.me() }

beforeEach(() => resetStorage())

test('signed out: an invitation to sign in, never an automatic one; signing in shows the list', async () => {
  const login = spyWx('login').mockImplementation((o) => setTimeout(() => o.success({ code: 'c1' }), 0))
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
  await waitFor(() => req.calls.some((c) => c.path === '/api/v1/bookings/5/ticket'))
  // signing in, the list, then the upcoming ticket saved ahead for a weak signal
  expect(req.calls.map((c) => c.path).slice(0, 3)).toEqual(['/api/v1/auth/wechat', '/api/v1/me/bookings', '/api/v1/bookings/5/ticket'])
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
  const nav = spyWx('navigateTo').mockImplementation(() => {})
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
  const tab = spyWx('switchTab').mockImplementation(() => {})
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
  const stop = spyWx('stopPullDownRefresh').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('服务繁忙，请稍后再试')
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => page.data.status === 'ok')
  const lists = () => req.calls.filter((c) => c.path === '/api/v1/me/bookings').length
  page.instance.onShow()
  await waitFor(() => lists() === 3)
  await page.instance.onPullDownRefresh()
  expect(lists()).toBe(4)
  expect(stop).toHaveBeenCalled()
})

const TICKET = { booking_id: 5, token: 't'.repeat(43), qr_png_base64: 'iVBORw0KGgo=', holder_masked: '王*', activity_title: '梅林社区合唱入门', status: 'confirmed' }

test('with a weak signal the saved bookings stay on screen, marked, and the ticket still opens', async () => {
  signedIn()
  const req = stubRequest({
    'GET /api/v1/me/bookings': [
      { data: { items: [fx.booking({ id: 5 }), fx.booking({ id: 6, activity_title: '剪纸', status: 'waitlisted', waitlist_position: 2 })] } },
      { networkError: 'timeout' }
    ],
    'GET /api/v1/bookings/5/ticket': { data: TICKET }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && storage().ch_ticket_5)
  // the list, a copy of each booking and the confirmed one's ticket are saved; a waitlisted one has no ticket
  expect(storage().ch_bookings.items.map((b) => b.id)).toEqual([5, 6])
  expect(storage().ch_booking_6.booking.status).toBe('waitlisted')
  expect(req.calls.filter((c) => c.path === '/api/v1/bookings/6/ticket')).toHaveLength(0)
  expect(page.querySelector('.offline-note')).toBeUndefined()

  // the refresh fails: the bookings stay, with a clear note, never a bare network error
  page.instance.onShow()
  page.instance.onShow()
  await waitFor(() => page.data.offline)
  expect(page.data.status).toBe('ok')
  expect(text(page, '.offline-text')).toMatch(/^网络不畅，显示的是 .+ 保存的预约。电子票可以离线出示。$/)
  expect(texts(page, '.upcoming-list .booking >>> .booking-title')).toEqual(['梅林社区合唱入门', '剪纸'])

  // a card opens the booking, which shows the saved ticket without a connection
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  page.querySelectorAll('.booking')[0].querySelector('.booking-card').dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  stubRequest({}) // no connection at all now
  spyWx('getScreenBrightness').mockImplementation((o) => o.complete && o.complete())
  spyWx('setScreenBrightness').mockImplementation(() => {})
  const ticket = openUrl(nav.mock.calls[0][0].url)
  await waitFor(() => ticket.data.ticket.state === 'cached')
  expect(ticket.data.b.title).toBe('梅林社区合唱入门')
  expect(text(ticket, '.qr-cached')).toMatch(/^离线电子票/)
})

test('opened without a signal (the app just started): the saved list, not an error', async () => {
  signedIn()
  stubRequest({
    'GET /api/v1/me/bookings': { data: { items: [fx.booking({ id: 5 })] } },
    'GET /api/v1/bookings/5/ticket': { data: TICKET }
  })
  const first = loadPage(ROUTE)
  await waitFor(() => storage().ch_ticket_5)
  first.detach()
  jest.restoreAllMocks()
  stubRequest({ 'GET /api/v1/me/bookings': { networkError: 'fail' } })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.offline).toBe(true)
  expect(texts(page, '.upcoming-list .booking >>> .booking-title')).toEqual(['梅林社区合唱入门'])
  // a refusal that is not about the network still says what went wrong
  jest.restoreAllMocks()
  stubRequest({ 'GET /api/v1/me/bookings': apiError(403, 'forbidden', '没有权限进行此操作') })
  const refused = loadPage(ROUTE)
  await waitFor(() => refused.data.status === 'error')
  expect(text(refused, '.state >>> .state-text')).toBe('没有权限进行此操作')
})
