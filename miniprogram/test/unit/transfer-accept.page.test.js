// pages/transfer/accept — the recipient of a 转让 share card (or a code read out) takes the seat.
const { openUrl, loadPage, waitFor, text, tap, stubRequest, stubModal, apiError, signedIn, agreedPrivacy, resetStorage, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

const ROUTE = 'pages/transfer/accept'

function preview(extra) {
  return Object.assign({
    status: 'open', activity_title: '梅林社区合唱入门', starts_at: fx.FUTURE, ends_at: fx.FUTURE_END || fx.FUTURE,
    unit_name: '梅林分馆', room: '多功能厅', from_name: '王*明', expires_at: '2099-12-05T09:00:00Z'
  }, extra || {})
}

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
  signedIn()
})

test('the share card opens a registered page; the offer is shown; accepting opens my new booking', async () => {
  const req = stubRequest({
    'GET /api/v1/transfers/ABCD234567': { data: preview() },
    'POST /api/v1/transfers/ABCD234567/accept': { data: fx.booking({ id: 77 }) }
  })
  const redirect = spyWx('redirectTo').mockImplementation(() => {})
  const page = openUrl('/pages/transfer/accept?code=abcd234567')
  await waitFor(() => page.data.offer)
  expect(text(page, '.from')).toBe('王*明 转给您一个名额')
  expect(text(page, '.offer-title')).toBe('梅林社区合唱入门')
  expect(text(page, '.offer-place')).toBe('梅林分馆 · 多功能厅')
  await tap(page, '.accept-btn')
  await waitFor(() => redirect.mock.calls.length === 1)
  expect(redirect).toHaveBeenCalledWith({ url: '/pages/booking/detail?id=77' })
  expect(req.calls[1].data).toEqual({})
})

test('a used or expired code says so and offers nothing; a refusal is shown and the offer reloaded', async () => {
  stubRequest({ 'GET /api/v1/transfers/USED234567': { data: preview({ status: 'accepted' }) } })
  const used = loadPage(ROUTE, { query: { code: 'USED234567' } })
  await waitFor(() => used.data.offer)
  expect(text(used, '.offer-closed')).toBe('这个名额已被接收')
  expect(used.querySelector('.accept-btn')).toBeFalsy()

  const modal = stubModal([true])
  const req = stubRequest({
    'GET /api/v1/transfers/ABCD234567': [{ data: preview() }, { data: preview() }],
    'POST /api/v1/transfers/ABCD234567/accept': apiError(409, 'already_booked', '已经预约了这一场，不能再接收转让')
  })
  const page = loadPage(ROUTE, { query: { code: 'ABCD234567' } })
  await waitFor(() => page.data.offer)
  await tap(page, '.accept-btn')
  await waitFor(() => req.calls.length === 3)
  expect(modal.mock.calls[0][0].content).toBe('已经预约了这一场，不能再接收转让')
})

test('without a code: typed in (spaces and case do not matter); an unknown code is said plainly', async () => {
  const req = stubRequest({ 'GET /api/v1/transfers/ABCD234567': apiError(404, 'transfer_not_found', '转让码不正确') })
  const page = loadPage(ROUTE, { query: {} })
  expect(page.querySelector('.code-entry')).toBeTruthy()
  page.querySelector('.code-input').dispatchEvent('input', { detail: { value: 'abcd 234 567' } })
  await tap(page, '.look-up')
  await waitFor(() => page.data.status === 'error')
  expect(req.calls[0].path).toBe('/api/v1/transfers/ABCD234567')
  expect(text(page, '.state >>> .state-text')).toBe('转让码不正确')
})
