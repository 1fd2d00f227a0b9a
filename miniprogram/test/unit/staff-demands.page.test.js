// pages/staff/demands — triage: accept, plan, decline with a reason residents see.
const { loadPage, waitFor, text, texts, tap, stubRequest, stubModal, apiError, signedIn, resetStorage, simulate, spyWx } = require('../helpers/mp')

const ROUTE = 'pages/staff/demands'
const QUERY = { unit_id: '10', unit_name: encodeURIComponent('梅林分馆') }

function demand(extra) {
  return Object.assign({
    id: 1, kind: 'training', kind_label: '公益艺术培训', unit_id: 10, unit_name: '梅林分馆', poster: '王*明', preferred_time: '周末上午',
    age_group: '老年人', description: '想学粤剧唱腔', visibility: 'published', status: 'open', status_reason: '', merged_into: null,
    activity_id: null, supporters: 12, i_support: false, created_at: '2026-11-20T02:00:00Z', fulfilled_at: null
  }, extra || {})
}

beforeEach(() => {
  resetStorage()
  signedIn({ roles: [{ grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '梅林分馆' }] })
  spyWx('showToast').mockImplementation(() => {})
})

test('open requests of my scope (held ones marked); tabs filter by status', async () => {
  const req = stubRequest({
    'GET /api/v1/manage/demands': (o, q) => ({ data: { items: q.status === 'open' ? [demand(), demand({ id: 2, visibility: 'held', description: '交谊舞', supporters: 1 })] : [demand({ id: 5, status: 'planned', status_reason: '明年春季开班' })] } })
  })
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls[0].query).toEqual({ unit_id: '10', status: 'open' })
  expect(texts(page, '.demand-text')).toEqual(['想学粤剧唱腔', '交谊舞'])
  expect(texts(page, '.demand-supporters')).toEqual(['12 人想看', '1 人想看'])
  expect(text(page, '.demand-meta')).toBe('梅林分馆 · 王*明 · 11月20日（周五） · 周末上午 · 老年人')
  expect(texts(page, '.demand-held')).toEqual(['内容待审核，居民暂时看不到'])
  await tap(page, '.tab-all')
  await waitFor(() => page.data.items.length === 1)
  expect(req.calls[1].query).toEqual({ unit_id: '10' })
  expect(text(page, '.demand-reason')).toBe('答复：明年春季开班')
  expect(page.querySelector('.plan-btn')).toBeUndefined() // already planned
})

test('accept with a confirmation; decline needs a reason', async () => {
  const req = stubRequest({
    'GET /api/v1/manage/demands': { data: { items: [demand(), demand({ id: 2, description: '交谊舞' })] } },
    'POST /api/v1/demands/1/triage': (o) => ({ data: demand({ status: o.data.status, status_reason: o.data.reason }) }),
    'POST /api/v1/demands/2/triage': (o) => ({ data: demand({ id: 2, description: '交谊舞', status: o.data.status, status_reason: o.data.reason }) })
  })
  const modal = stubModal([true, { confirm: true, content: '  ' }, { confirm: true, content: '场地不足，明年安排' }])
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.accept-btn')
  await waitFor(() => page.data.items[0].status === 'accepted')
  expect(modal.mock.calls[0][0].title).toBe('采纳这条需求')
  expect(req.calls.find((c) => c.path === '/api/v1/demands/1/triage').data).toEqual({ status: 'accepted', reason: '' })
  expect(texts(page, '.demand-status')).toEqual(['已采纳', '待处理'])
  const declineSecond = () => page.querySelectorAll('.decline-btn')[1].dispatchEvent('tap')
  declineSecond()
  await waitFor(() => modal.mock.calls.length === 2)
  await simulate.sleep(5)
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请写明不采纳的原因' }))
  expect(req.calls.some((c) => c.path === '/api/v1/demands/2/triage')).toBe(false)
  declineSecond()
  await waitFor(() => page.data.items[1].status === 'declined')
  expect(modal.mock.calls[2][0]).toMatchObject({ editable: true, placeholderText: '请写明原因，居民可以看到' })
  expect(req.calls.find((c) => c.path === '/api/v1/demands/2/triage').data).toEqual({ status: 'declined', reason: '场地不足，明年安排' })
  expect(texts(page, '.demand-reason')).toEqual(['答复：场地不足，明年安排'])
  expect(page.querySelectorAll('.decline-btn')).toHaveLength(1) // the declined one is closed
})

test('plan it; a closed demand’s refusal is shown; empty and error states', async () => {
  stubRequest({
    'GET /api/v1/manage/demands': [{ data: { items: [demand()] } }, { data: { items: [] } }, apiError(500, 'internal', '服务暂时不可用')],
    'POST /api/v1/demands/1/triage': apiError(409, 'demand_closed', '这条需求已经处理完毕')
  })
  const modal = stubModal([true, true])
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.plan-btn')
  await waitFor(() => modal.mock.calls.length === 2)
  expect(modal.mock.calls[0][0].title).toBe('列入活动计划')
  expect(modal.mock.calls[1][0].content).toBe('这条需求已经处理完毕')
  await page.instance.load()
  expect(page.data.status).toBe('empty')
  expect(text(page, '.state >>> .state-text')).toBe('没有待处理的需求')
  await page.instance.load()
  expect(text(page, '.state >>> .state-text')).toBe('服务暂时不可用')
})
