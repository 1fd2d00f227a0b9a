// pages/staff/index — 工作人员: my units, the tools my role allows there, feedback counts.
const { loadPage, waitFor, text, texts, tap, stubRequest, apiError, signedIn, agreedPrivacy, resetStorage, storage, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

const ROUTE = 'pages/staff/index'
const BRANCH = { grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '梅林分馆' }
const EVALUATOR = { grant_id: 5, role: 'evaluator', role_label: '第三方评估（只读）', unit_id: 1, unit_name: '福田区文化馆总馆' }
const VOLUNTEER = { grant_id: 2, role: 'volunteer', role_label: '志愿者', unit_id: 76, unit_name: '翰岭服务点' }
const COUNTS = { total: 9, unread: 3, flagged_unhandled: 1, held: 2 }

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
})

test('signed out: sign in; no staff role: how roles are given', async () => {
  const out = loadPage(ROUTE)
  expect(text(out, '.state >>> .state-text')).toMatch(/请先登录/)
  out.detach()
  signedIn({ roles: [VOLUNTEER] })
  stubRequest({ 'GET /api/v1/me': { data: fx.me({ roles: [VOLUNTEER] }) } })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.no-role')).toMatch(/邀请码/)
  expect(texts(page, '.role')).toEqual(['志愿者 · 翰岭服务点'])
  expect(page.querySelector('.tool')).toBeUndefined()
})

test('branch staff: every tool, the feedback counts, each tool opens with my unit', async () => {
  signedIn({ roles: [BRANCH] })
  const req = stubRequest({ 'GET /api/v1/me': { data: fx.me({ roles: [BRANCH, VOLUNTEER] }) }, 'GET /api/v1/feedback/counts': { data: COUNTS } })
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && page.data.counts)
  expect(text(page, '.unit-name')).toBe('梅林分馆')
  expect(page.querySelector('.units')).toBeUndefined() // one staff unit: no chooser
  expect(texts(page, '.tool-label').map((t) => t.replace(/\d+$/, ''))).toEqual(['居民反馈', '群众需求', '今日场次', '发布活动', '文化点单', '联办确认', '活动照片', '数据', '考核待办'])
  expect([text(page, '.count-unread'), text(page, '.count-flagged'), text(page, '.count-held')]).toEqual(['3', '1', '2'])
  expect(text(page, '.tool-badge')).toBe('5')
  expect(req.calls.find((c) => c.path === '/api/v1/feedback/counts').query).toEqual({ unit_id: '10' })
  for (const t of ['feedback', 'demands', 'today', 'publish', 'menu', 'stats']) await tap(page, '.tool-' + t)
  expect(nav.mock.calls.map((c) => c[0].url)).toEqual(['feedback', 'demands', 'today', 'publish', 'menu', 'stats'].map((p) =>
    '/pages/staff/' + p + '?unit_id=10&unit_name=' + encodeURIComponent('梅林分馆')))
  expect(storage().ch_staff_unit).toBe(10)
})

test('two units: choose one; a read-only role sees only reading tools', async () => {
  signedIn({ roles: [BRANCH, EVALUATOR] })
  wx.setStorageSync('ch_staff_unit', 10)
  const req = stubRequest({ 'GET /api/v1/me': { data: fx.me({ roles: [BRANCH, EVALUATOR] }) }, 'GET /api/v1/feedback/counts': { data: COUNTS } })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && page.data.counts)
  expect(texts(page, '.unit-chip')).toEqual(['梅林分馆', '福田区文化馆总馆'])
  expect(page.data.unit.unitId).toBe(10)
  page.querySelectorAll('.unit-chip')[1].dispatchEvent('tap')
  await waitFor(() => page.data.unit.unitId === 1 && page.data.counts)
  expect(texts(page, '.tool-label').map((t) => t.replace(/\d+$/, ''))).toEqual(['居民反馈', '今日场次', '数据', '考核待办'])
  expect(req.calls.filter((c) => c.path === '/api/v1/feedback/counts').pop().query).toEqual({ unit_id: '1' })
  expect(storage().ch_staff_unit).toBe(1)
})

test('an error shows the message and a retry; pull-to-refresh reloads', async () => {
  signedIn({ roles: [BRANCH] })
  stubRequest({ 'GET /api/v1/me': [apiError(500, 'internal', '服务暂时不可用'), { data: fx.me({ roles: [BRANCH] }) }], 'GET /api/v1/feedback/counts': { data: COUNTS } })
  const stop = spyWx('stopPullDownRefresh').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('服务暂时不可用')
  await page.instance.onPullDownRefresh()
  expect(page.data.status).toBe('ok')
  expect(stop).toHaveBeenCalled()
})
