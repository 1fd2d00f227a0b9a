const { loadPage, loadApp, waitFor, text, texts, tap, stubRequest, apiError, resetStorage, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

const ROUTE = 'pages/home/index'

beforeEach(() => resetStorage())

test('without a chosen branch: district-wide activities; a tap opens the activity', async () => {
  const req = stubRequest({ 'GET /api/v1/activities': { data: { items: [fx.browseItem(), fx.browseItem({ activity_id: 2, session_id: 21, title: '非遗剪纸体验' })], has_more: false } } })
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  expect(page.data.mode).toBe('all')
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls[0].query).toEqual({ page_size: '10' })
  expect(texts(page, '.item >>> .card-title')).toEqual(['梅林社区合唱入门', '非遗剪纸体验'])
  expect(text(page, '.choose-hint')).toMatch(/选择我的分馆/)
  page.querySelectorAll('.item')[1].querySelector('.activity-card').dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  expect(nav).toHaveBeenCalledWith({ url: '/pages/activity/detail?id=2&session=21' })
})

test('with my branch: its activities; 查看更多 opens the 活动 tab at that branch', async () => {
  wx.setStorageSync('ch_my_unit', { id: 10, name: '福田区文化馆梅林分馆', short_name: '梅林分馆' })
  const app = loadApp()
  const req = stubRequest({ 'GET /api/v1/activities': { data: { items: [fx.browseItem()], has_more: false } } })
  const tab = spyWx('switchTab').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  expect(page.data.mode).toBe('mine')
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls[0].query).toEqual({ page_size: '10', unit_id: '10' })
  expect(text(page, '.my-unit-name')).toBe('我的分馆：梅林分馆')
  await tap(page, '.more')
  expect(tab).toHaveBeenCalledWith({ url: '/pages/activities/index' })
  expect(app.globalData.browseUnitId).toBe(10)
})

test('离我最近: asks for the location only on tap, then the nearest venue and activities nearest first', async () => {
  const loc = spyWx('getLocation').mockImplementation((o) => setTimeout(() => o.success({ longitude: 114.05, latitude: 22.55 }), 0))
  const req = stubRequest({
    'GET /api/v1/activities': { data: { items: [fx.browseItem({ distance_m: 850 })], has_more: false } },
    'GET /api/v1/org/units/nearest': { data: { items: [{ unit: fx.MEILIN, distance_m: 1234 }] } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(loc).not.toHaveBeenCalled()
  await tap(page, '.tab-near')
  await waitFor(() => page.data.mode === 'near' && page.data.status === 'ok' && page.data.nearest)
  expect(loc.mock.calls[0][0].type).toBe('gcj02')
  const near = req.calls.filter((c) => c.path === '/api/v1/org/units/nearest')[0]
  expect(near.query).toEqual({ lng: '114.05', lat: '22.55', limit: '1' })
  const acts = req.calls.filter((c) => c.path === '/api/v1/activities').pop()
  expect(acts.query).toMatchObject({ lng: '114.05', lat: '22.55' })
  expect(text(page, '.nearest >>> .venue-name')).toBe('福田区文化馆梅林分馆')
  expect(text(page, '.nearest >>> .venue-distance')).toBe('距您 1.2 公里')
  expect(text(page, '.item >>> .card-place')).toBe('梅林分馆 · 距您 850 米')
})

test('location refused: a clear message, and the district list is one tap away', async () => {
  spyWx('getLocation').mockImplementation((o) => setTimeout(() => o.fail({ errMsg: 'getLocation:fail auth deny' }), 0))
  stubRequest({ 'GET /api/v1/activities': { data: { items: [fx.browseItem()], has_more: false } } })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.tab-near')
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toMatch(/没有获得您的位置/)
  await tap(page, '.tab-all')
  await waitFor(() => page.data.mode === 'all' && page.data.status === 'ok')
})

test('empty and error states; pull-to-refresh reloads and stops the spinner', async () => {
  wx.setStorageSync('ch_my_unit', { id: 10, name: '福田区文化馆梅林分馆', short_name: '梅林分馆' })
  stubRequest({
    'GET /api/v1/activities': [
      { data: { items: [], has_more: false } },
      apiError(503, 'service_unavailable', '服务繁忙，请稍后再试'),
      { data: { items: [fx.browseItem()], has_more: false } }
    ]
  })
  const stop = spyWx('stopPullDownRefresh').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'empty')
  expect(text(page, '.state >>> .state-text')).toBe('我的分馆近期没有活动，看看全区的活动吧')
  await page.instance.onPullDownRefresh()
  expect(page.data.status).toBe('error')
  expect(text(page, '.state >>> .state-text')).toBe('服务繁忙，请稍后再试')
  expect(stop).toHaveBeenCalled()
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => page.data.status === 'ok')
})
