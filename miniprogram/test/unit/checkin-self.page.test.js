// pages/checkin/self — a resident scans the venue's code (scene s=<session id>) and checks in.
const { openUrl, loadPage, waitFor, text, tap, stubRequest, apiError, signedIn, agreedPrivacy, resetStorage, spyWx } = require('../helpers/mp')

const ROUTE = 'pages/checkin/self'
const SESSION = { token: 'new-token', expires_at: '2099-01-01T00:00:00Z', user: { id: 1, display_name: '', roles: [] } }

function answer(extra) {
  return Object.assign({
    result: 'admitted', message: '签到成功，欢迎参加', colour: 'green', checkin_id: 9, holder_masked: '王*', is_family_member: false,
    is_child: false, party_size: 1, admitted_at: null, admitted_by: null, expected: null, admitted_count: 3, booked_count: 10
  }, extra || {})
}

beforeEach(() => resetStorage())

test('the venue code opens a registered page; the scene names the session; a signed-in resident is checked in with ✓', async () => {
  signedIn()
  const short = spyWx('vibrateShort')
  const req = stubRequest({ 'POST /api/v1/checkin/self': { data: answer() } })
  // WeChat opens the page the server named for getwxacodeunlimit, the scene URL-encoded
  const page = openUrl('/pages/checkin/self?scene=' + encodeURIComponent('s=42'))
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls[0].data).toEqual({ session_id: 42 })
  expect(text(page, '.answer-symbol')).toBe('✓')
  expect(text(page, '.answer-title')).toBe('签到成功')
  expect(text(page, '.answer-detail')).toBe('签到成功，欢迎参加')
  expect(page.querySelector('.tone-green')).toBeDefined()
  expect(short).toHaveBeenCalledWith(expect.objectContaining({ type: 'heavy' }))
})

test('signed out: our privacy dialog, then sign-in, then the check-in; already checked in reads ! and a walk-in without booking ✗', async () => {
  spyWx('login').mockImplementation((o) => setTimeout(() => o.success({ code: 'c1' }), 0))
  const req = stubRequest({
    'POST /api/v1/auth/wechat': { data: SESSION },
    'POST /api/v1/checkin/self': [
      { data: answer({ result: 'already_admitted', colour: 'amber', message: '您已经签到过了' }) },
      { data: answer({ result: 'not_confirmed', colour: 'red', message: '这一场需要预约，您没有有效的预约' }) }
    ]
  })
  const page = loadPage(ROUTE, { query: { scene: 's%3D7' } })
  const dialog = page.querySelector('.privacy')
  await waitFor(() => dialog.querySelector('.dialog'))
  dialog.querySelector('.dialog-agree').dispatchEvent('agreeprivacyauthorization')
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls.map((c) => c.path)).toEqual(['/api/v1/auth/wechat', '/api/v1/checkin/self'])
  expect(text(page, '.answer-symbol')).toBe('!')
  expect(text(page, '.answer-detail')).toBe('您已经签到过了')
  agreedPrivacy()
  const again = loadPage(ROUTE, { query: { scene: 's%3D7' } })
  await waitFor(() => again.data.status === 'ok')
  expect(text(again, '.answer-symbol')).toBe('✗')
  expect(text(again, '.answer-title')).toBe('未能签到')
  const tab = spyWx('switchTab').mockImplementation(() => {})
  await tap(again, '.bookings-btn')
  expect(tab).toHaveBeenCalledWith({ url: '/pages/bookings/index' })
})

test('an unreadable code and a refusal are said plainly, with a way on', async () => {
  signedIn()
  const bad = loadPage(ROUTE, { query: { scene: 'x%3D1' } })
  expect(text(bad, '.state >>> .state-text')).toBe('签到码无法识别，请重新扫描现场张贴的签到码')
  const req = stubRequest({
    'POST /api/v1/checkin/self': [apiError(404, 'not_found', '该场次不存在'), { data: answer() }]
  })
  const page = loadPage(ROUTE, { query: { scene: 's%3D99' } })
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('该场次不存在')
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls).toHaveLength(2)
})
