const { openUrl, loadPage, waitFor, text, tap, stubRequest, stubModal, apiError, signedIn, agreedPrivacy, resetStorage, storage, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

const ROUTE = 'pages/booking/detail'
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=='
const TICKET = {
  booking_id: 5, token: 't-abc', qr_png_base64: PNG, qr_svg: '<svg/>', holder_masked: '王*明',
  activity_title: '梅林社区合唱入门', starts_at: fx.FUTURE, unit_name: '梅林分馆', room: '多功能厅', status: 'confirmed'
}

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
  signedIn()
})

test('a confirmed booking while the ticket endpoint is not there yet: details and a clear note', async () => {
  stubRequest({
    'GET /api/v1/bookings/5': { data: fx.booking() },
    'GET /api/v1/bookings/5/ticket': apiError(404, 'route_not_found', '请求的接口不存在')
  })
  const page = loadPage(ROUTE, { query: { id: '5' } })
  await waitFor(() => page.data.ticket.state === 'soon')
  expect(text(page, '.status')).toBe('已预约')
  expect(text(page, '.title-text')).toBe('梅林社区合唱入门')
  expect(text(page, '.time')).toBe('12月5日（周六）19:30–21:00')
  expect(text(page, '.place')).toBe('梅林分馆 · 多功能厅')
  expect(text(page, '.cancel-until')).toBe('12月5日（周六）17:30')
  expect(text(page, '.qr-soon')).toMatch(/电子票二维码即将上线/)
  expect(storage().ch_booking_5.booking.id).toBe(5)
})

test('the QR ticket is big, bright and saved for a weak signal', async () => {
  spyWx('getScreenBrightness').mockImplementation((o) => setTimeout(() => { o.success({ value: 0.4 }); o.complete() }, 0))
  const bright = spyWx('setScreenBrightness').mockImplementation(() => {})
  const keepOn = spyWx('setKeepScreenOn').mockImplementation(() => {})
  stubRequest({
    'GET /api/v1/bookings/5': { data: fx.booking() },
    'GET /api/v1/bookings/5/ticket': { data: TICKET }
  })
  const page = loadPage(ROUTE, { query: { id: '5' } })
  await waitFor(() => page.data.ticket.state === 'ok')
  // built-in <image> attributes are not reflected into jsdom: check the bound value
  expect(page.querySelector('.qr')).toBeDefined()
  expect(page.data.ticket.src).toBe('data:image/png;base64,' + PNG)
  expect(text(page, '.qr-holder')).toBe('持票人：王*明')
  expect(storage().ch_ticket_5.ticket.token).toBe('t-abc')
  await waitFor(() => bright.mock.calls.length === 1)
  expect(bright).toHaveBeenCalledWith({ value: 1 })
  expect(keepOn).toHaveBeenCalledWith({ keepScreenOn: true })
  page.instance.onHide()
  expect(bright).toHaveBeenLastCalledWith({ value: 0.4 })
})

test('offline: the saved booking and QR still show, marked as a saved copy', async () => {
  wx.setStorageSync('ch_booking_5', { booking: fx.booking(), saved_at: '2099-12-04T02:00:00Z' })
  wx.setStorageSync('ch_ticket_5', { ticket: TICKET, saved_at: '2099-12-04T02:00:00Z' })
  spyWx('setScreenBrightness').mockImplementation(() => {})
  stubRequest({ 'GET /api/v1/bookings/5': { networkError: 'timeout' } })
  const page = loadPage(ROUTE, { query: { id: '5' } })
  expect(page.data.status).toBe('ok') // the saved copy shows at once
  await waitFor(() => page.data.offline && page.data.ticket.state === 'cached')
  expect(text(page, '.offline-notice')).toBe('网络不畅，显示的是 12月4日（周五）10:00 保存的信息')
  expect(text(page, '.qr-cached')).toBe('离线电子票（12月4日（周五）10:00 保存），联网后自动更新')
  expect(page.querySelector('.qr')).toBeDefined()
  expect(page.data.ticket.src).toContain(PNG)
})

test('a waiting-list booking: its note, no QR; cancelling after a confirmation', async () => {
  const modal = stubModal([true])
  spyWx('showToast').mockImplementation(() => {})
  const req = stubRequest({
    'GET /api/v1/bookings/6': { data: fx.booking({ id: 6, status: 'waitlisted', waitlist_position: 2 }) },
    'POST /api/v1/bookings/6/cancel': { data: fx.booking({ id: 6, status: 'cancelled' }) }
  })
  const page = loadPage(ROUTE, { query: { id: '6' } })
  await waitFor(() => page.data.status === 'ok' && page.data.b.waitlisted)
  expect(text(page, '.status')).toBe('候补第 2 位')
  expect(text(page, '.waitlist-note')).toMatch(/自动递补/)
  expect(page.querySelector('.qr-area')).toBeUndefined()
  await tap(page, '.cancel-btn')
  await waitFor(() => page.data.b.status === 'cancelled')
  expect(modal.mock.calls[0][0].title).toBe('取消预约')
  expect(req.calls.find((c) => c.method === 'POST').header['Idempotency-Key']).toMatch(/^mp-/)
  expect(text(page, '.status')).toBe('已取消')
  expect(page.querySelector('.cancel-btn')).toBeUndefined()
  expect(storage().ch_booking_6.booking.status).toBe('cancelled')
})

test("a refused cancel shows the server's message", async () => {
  const modal = stubModal([true, true])
  stubRequest({
    'GET /api/v1/bookings/5': { data: fx.booking() },
    'GET /api/v1/bookings/5/ticket': apiError(404, 'route_not_found', '请求的接口不存在'),
    'POST /api/v1/bookings/5/cancel': apiError(409, 'cancel_too_late', '活动开始前 120 分钟内不能取消')
  })
  const page = loadPage(ROUTE, { query: { id: '5' } })
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.cancel-btn')
  await waitFor(() => modal.mock.calls.length === 2)
  expect(modal.mock.calls[1][0].content).toBe('活动开始前 120 分钟内不能取消')
  expect(page.data.b.status).toBe('confirmed')
})

test('navigation looks the venue up in the activity; not found without a saved copy is an error', async () => {
  const openLoc = spyWx('openLocation').mockImplementation(() => {})
  stubRequest({
    'GET /api/v1/bookings/5': { data: fx.booking() },
    'GET /api/v1/bookings/5/ticket': apiError(404, 'route_not_found', '请求的接口不存在'),
    'GET /api/v1/activities/1': { data: { activity: fx.activity(), my_bookings: [] } },
    'GET /api/v1/bookings/8': apiError(404, 'not_found', '该预约不存在')
  })
  const page = loadPage(ROUTE, { query: { id: '5' } })
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.nav-btn')
  await waitFor(() => openLoc.mock.calls.length === 1)
  expect(openLoc.mock.calls[0][0]).toMatchObject({ latitude: 22.56892, longitude: 114.05276, name: '梅林分馆' })

  const missing = loadPage(ROUTE, { query: { id: '8' } })
  await waitFor(() => missing.data.status === 'error')
  expect(text(missing, '.state >>> .state-text')).toBe('该预约不存在')
})

test('after checking in, the booking offers a rating', async () => {
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  stubRequest({ 'GET /api/v1/bookings/5': { data: fx.booking({ checked_in_at: '2099-12-05T11:31:00Z' }) } })
  const page = loadPage(ROUTE, { query: { id: '5' } })
  await waitFor(() => page.data.status === 'ok' && page.data.b.canRate)
  expect(text(page, '.checked-in')).toBe('已于 12月5日（周六）19:31 签到入场')
  expect(page.querySelector('.qr-area')).toBeUndefined()
  expect(page.querySelector('.cancel-btn')).toBeUndefined()
  await tap(page, '.rate-btn')
  expect(nav).toHaveBeenCalledWith({ url: '/pages/rating/index?booking=5&title=' + encodeURIComponent('梅林社区合唱入门') })
  // WeChat hands the query over as written: the rating page reads the title as text, not %E6%A2%85…
  const rating = openUrl(nav.mock.calls[0][0].url)
  expect(text(rating, '.rating-title')).toBe('梅林社区合唱入门')
  expect(rating.data.bookingId).toBe(5)
})

test('转让给家人朋友: a confirmed seat gets a one-time code and a share card to the accept page; revoking hides it', async () => {
  spyWx('setScreenBrightness').mockImplementation(() => {})
  const modal = stubModal([true])
  const req = stubRequest({
    'GET /api/v1/bookings/5': { data: fx.booking() },
    'GET /api/v1/bookings/5/ticket': { data: TICKET },
    'POST /api/v1/bookings/5/transfer': {
      data: { code: 'ABCD234567', expires_at: '2099-12-05T09:00:00Z', path: 'pages/transfer/accept?code=ABCD234567', booking_id: 5 }
    },
    'DELETE /api/v1/bookings/5/transfer': { data: { ok: true } }
  })
  const page = loadPage(ROUTE, { query: { id: '5' } })
  await waitFor(() => page.data.ticket.state === 'ok')
  expect(text(page, '.transfer-btn')).toBe('转让给家人朋友')
  await tap(page, '.transfer-btn')
  await waitFor(() => page.data.transfer)
  expect(modal.mock.calls[0][0].title).toBe('转让预约')
  expect(text(page, '.transfer-code')).toBe('ABCD234567')
  expect(text(page, '.transfer-expires')).toMatch(/有效期至 .*电子票作废/)
  expect(page.querySelector('.transfer-btn')).toBeFalsy()
  // the share button sends the accept page, the menu the activity
  const share = page.instance.onShareAppMessage({ from: 'button' })
  expect(share.path).toBe('/pages/transfer/accept?code=ABCD234567')
  expect(share.title).toBe('送你一个名额：梅林社区合唱入门')
  expect(page.instance.onShareAppMessage({ from: 'menu' }).path).toMatch(/^\/pages\/activity\/detail\?id=/)
  await tap(page, '.transfer-revoke')
  await waitFor(() => page.data.transfer === null)
  expect(req.calls.map((c) => c.method + ' ' + c.path)).toContain('DELETE /api/v1/bookings/5/transfer')
  expect(text(page, '.transfer-btn')).toBe('转让给家人朋友')
})

test('no 转让 for a waiting-list place', async () => {
  stubRequest({ 'GET /api/v1/bookings/5': { data: fx.booking({ status: 'waitlisted', waitlist_position: 2 }) } })
  const page = loadPage(ROUTE, { query: { id: '5' } })
  await waitFor(() => page.data.status === 'ok' && page.data.b.waitlisted)
  expect(page.querySelector('.transfer-btn')).toBeFalsy()
})

test('in English: the ticket page and its note are in English; the title is the service\'s', async () => {
  require('../../src/utils/i18n').setLang('en')
  const title = spyWx('setNavigationBarTitle').mockImplementation(() => {})
  stubRequest({
    'GET /api/v1/bookings/5': { data: fx.booking() },
    'GET /api/v1/bookings/5/ticket': apiError(404, 'route_not_found', 'No such route')
  })
  const page = loadPage(ROUTE, { query: { id: '5' } })
  await waitFor(() => page.data.ticket.state === 'soon')
  expect(page.data.lang).toBe('en')
  expect(text(page, '.title-text')).toBe('梅林社区合唱入门')
  expect(text(page, '.qr-soon')).toMatch(/^QR e-tickets are coming soon/)
  expect(text(page, '.nav-btn')).toBe('Directions')
  expect(text(page, '.cancel-btn')).toBe('Cancel booking')
  expect(title.mock.calls.map((c) => c[0].title)).toContain('Booking')
})
