// pages/staff/partners — joint activities my unit is named in; confirm or decline.
const { loadPage, waitFor, text, texts, tap, stubRequest, apiError, signedIn, resetStorage, spyWx } = require('../helpers/mp')

const ROUTE = 'pages/staff/partners'

function request(extra) {
  return Object.assign({ activity_id: 5, title: '联办书法讲座', kind: 'lecture', organizer_unit_id: 27, organizer_name: '红荔社区服务点', unit_id: 10, unit_name: '园岭分馆', status: 'pending', first_start: '2099-03-08T06:00:00Z', responded_at: null }, extra || {})
}

beforeEach(() => {
  resetStorage()
  signedIn({ roles: [{ grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '园岭分馆' }] })
  spyWx('showToast').mockImplementation(() => {})
})

test('pending requests; confirming one posts for the partner unit and reloads', async () => {
  const req = stubRequest({
    'GET /api/v1/partner-requests': [{ data: { items: [request(), request({ activity_id: 6, title: '联办展览' })] } }, { data: { items: [request({ activity_id: 6, title: '联办展览' })] } }],
    'POST /api/v1/activities/5/partners/10/confirm': { data: { ok: true } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls[0].query.status).toBe('pending')
  expect(texts(page, '.partner-title')).toEqual(['联办书法讲座', '联办展览'])
  expect(text(page, '.partner-meta')).toBe('红荔社区服务点主办 · 联办：园岭分馆')
  await tap(page, '.partner-confirm')
  await waitFor(() => page.data.items.length === 1)
  expect(req.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/v1/activities/5/partners/10/confirm'])
  expect(wx.showToast).toHaveBeenCalledWith({ title: '已确认参与', icon: 'none' })
})

test('declining; nothing pending is an empty state; an error is shown', async () => {
  const req = stubRequest({
    'GET /api/v1/partner-requests': [{ data: { items: [request()] } }, { data: { items: [] } }, apiError(500, 'internal', '服务暂时不可用')],
    'POST /api/v1/activities/5/partners/10/decline': { data: { ok: true } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.partner-decline')
  await waitFor(() => page.data.status === 'empty')
  expect(req.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/v1/activities/5/partners/10/decline'])
  expect(text(page, '.state >>> .state-text')).toBe('没有待确认的联办活动')
  await page.instance.load()
  expect(page.data.status).toBe('error')
  expect(page.data.message).toBe('服务暂时不可用')
})
