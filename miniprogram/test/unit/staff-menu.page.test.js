// pages/staff/menu — the main center's menu, an order for my unit, my orders.
const path = require('path')
const { SRC, loadPage, waitFor, text, texts, tap, stubRequest, apiError, signedIn, resetStorage, simulate, spyWx } = require('../helpers/mp')
const format = require(path.join(SRC, 'utils/format'))

const ROUTE = 'pages/staff/menu'
const QUERY = { unit_id: '10', unit_name: encodeURIComponent('梅林分馆') }
const today = format.chinaDate()

function menuItem(extra) {
  return Object.assign({ id: 1, title: '粤剧折子戏专场', kind: 'performance', kind_label: '送演出下基层', description: '约 90 分钟，需舞台', quota: 10, used: 3, period_start: '2026-01-01', period_end: '2099-12-31', status: 'active', votes: 25 }, extra || {})
}

function order(extra) {
  return Object.assign({ id: 7, menu_item_id: 1, title: '粤剧折子戏专场', unit_id: 10, unit_name: '梅林分馆', requested_date: '2099-03-08', note: '周六下午', status: 'requested', reason: '', activity_id: null, created_at: '2026-11-28T02:00:00Z' }, extra || {})
}

beforeEach(() => {
  resetStorage()
  signedIn({ roles: [{ grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '梅林分馆' }] })
  spyWx('showToast').mockImplementation(() => {})
})

test('the menu with quota and votes; order one for my unit on a date; it shows in 我的点单', async () => {
  const req = stubRequest({
    'GET /api/v1/menu/items': { data: { items: [menuItem(), menuItem({ id: 2, title: '书法讲座', kind_label: '讲座', quota: 2, used: 2 })] } },
    'GET /api/v1/menu/orders': [{ data: { items: [] } }, { data: { items: [order()] } }],
    'POST /api/v1/menu/orders': [apiError(422, 'validation_failed', '期望日期不在该项目的配送周期内'), { data: { id: 7 } }]
  })
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls.map((c) => [c.path, c.query.unit_id])).toEqual([['/api/v1/menu/items', '10'], ['/api/v1/menu/orders', '10']])
  expect(texts(page, '.item-title')).toEqual(['粤剧折子戏专场', '书法讲座'])
  expect(texts(page, '.item-quota')).toEqual(['已安排 3 / 10 场 · 居民投票 25', '已安排 2 / 2 场 · 居民投票 25'])
  expect(text(page, '.item-full')).toBe('名额已满或已过配送周期')
  await tap(page, '.order-btn')
  expect(page.data.orderDate).toBe(today)
  page.querySelector('.date-picker').dispatchEvent('change', { detail: { value: '2099-03-08' } })
  page.querySelector('.order-note').dispatchEvent('input', { detail: { value: '周六下午' } })
  await simulate.sleep(0)
  await tap(page, '.order-submit')
  await waitFor(() => page.data.orderError)
  expect(text(page, '.order-error')).toBe('期望日期不在该项目的配送周期内')
  await tap(page, '.order-submit')
  await waitFor(() => page.data.tab === 'orders' && page.data.orders.length === 1)
  expect(req.calls.filter((c) => c.method === 'POST').pop().data).toEqual({ menu_item_id: 1, unit_id: 10, requested_date: '2099-03-08', note: '周六下午' })
  expect(text(page, '.order-status')).toBe('待总馆审核')
  expect(text(page, '.order-meta')).toMatch(/^梅林分馆 · 希望 3月8日/)
})

test('my orders: refused with the reason, delivered with its activity; empty and error states', async () => {
  stubRequest({
    'GET /api/v1/menu/items': [{ data: { items: [] } }, apiError(500, 'internal', '服务暂时不可用')],
    'GET /api/v1/menu/orders': { data: { items: [order({ status: 'rejected', reason: '档期已满' }), order({ id: 8, status: 'delivered', activity_id: 55 })] } }
  })
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'empty')
  expect(text(page, '.state >>> .state-text')).toBe('总馆暂时没有可点的项目')
  await tap(page, '.tab-orders')
  expect(texts(page, '.order-status')).toEqual(['未通过', '已配送'])
  expect(text(page, '.order-reason')).toBe('总馆答复：档期已满')
  await tap(page, '.order-activity')
  expect(nav).toHaveBeenCalledWith({ url: '/pages/activity/detail?id=55' })
  await page.instance.load()
  expect(page.data.status).toBe('error')
  expect(text(page, '.state >>> .state-text')).toBe('服务暂时不可用')
})
