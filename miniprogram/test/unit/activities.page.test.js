const { loadPage, loadApp, waitFor, text, texts, tap, stubRequest, apiError, resetStorage, storage, simulate, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

const ROUTE = 'pages/activities/index'

function listOf(n, extra) {
  const items = []
  for (let i = 0; i < n; i++) items.push(fx.browseItem(Object.assign({ activity_id: i + 1, session_id: 100 + i, title: '活动 ' + (i + 1) }, extra)))
  return items
}

function lastQuery(req) {
  return req.calls.filter((c) => c.path === '/api/v1/activities').pop().query
}

function change(page, selector, value) {
  page.querySelector(selector).dispatchEvent('change', { detail: { value } })
  return simulate.sleep(0)
}

beforeEach(() => resetStorage())

test('lists upcoming activities; the branch picker holds the main center and the branches', async () => {
  stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'GET /api/v1/activities': { data: { items: listOf(2), has_more: false } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.branches.map((b) => b.label)).toEqual(['全部分馆', '总馆', '少儿艺术分馆', '梅林分馆'])
  expect(text(page, '.branch-value')).toBe('全部分馆 ▾')
  expect(texts(page, '.item >>> .card-title')).toEqual(['活动 1', '活动 2'])
  expect(text(page, '.list-end')).toBe('没有更多了')
  expect(page.querySelector('.venue')).toBeUndefined()
})

test('browse a branch, then one of its service points; the venue card can navigate', async () => {
  const req = stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'GET /api/v1/activities': { data: { items: listOf(1), has_more: false } }
  })
  const open = spyWx('openLocation').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  await change(page, '.branch-picker', 3)
  await waitFor(() => lastQuery(req).unit_id === '10')
  expect(text(page, '.branch-value')).toBe('梅林分馆 ▾')
  expect(page.data.points.map((p) => p.label)).toEqual(['全部服务点', '翰岭服务点'])
  expect(text(page, '.venue >>> .venue-name')).toBe('福田区文化馆梅林分馆')
  await change(page, '.point-picker', 1)
  await waitFor(() => lastQuery(req).unit_id === '76')
  expect(text(page, '.venue >>> .venue-name')).toBe('福田区文化馆翰岭服务点')
  page.querySelector('.venue').querySelector('.venue-nav').dispatchEvent('tap')
  await waitFor(() => open.mock.calls.length === 1)
  expect(open.mock.calls[0][0]).toMatchObject({ name: '福田区文化馆翰岭服务点', latitude: 22.55 })
  // 文化菜单投票 for the venue on screen
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  expect(text(page, '.venue >>> .venue-menu')).toBe('文化菜单投票')
  page.querySelector('.venue').querySelector('.venue-menu').dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  expect(nav).toHaveBeenCalledWith({ url: '/pages/menu/index?unit_id=76&unit_name=' + encodeURIComponent('翰岭服务点') })
})

test('kind, date and search filters go to the server', async () => {
  const req = stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'GET /api/v1/activities': { data: { items: listOf(1), has_more: false } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  page.querySelectorAll('.kind-chip')[2].dispatchEvent('tap') // 讲座
  await waitFor(() => lastQuery(req).kind === 'lecture')
  page.querySelectorAll('.date-chip')[1].dispatchEvent('tap') // 今天
  await waitFor(() => lastQuery(req).date_from)
  expect(lastQuery(req).date_from).toBe(lastQuery(req).date_to)
  page.querySelector('.search-input').dispatchEvent('input', { detail: { value: ' 合唱 ' } })
  await simulate.sleep(0)
  await tap(page, '.search-btn')
  await waitFor(() => lastQuery(req).q === '合唱')
  expect(lastQuery(req)).toMatchObject({ kind: 'lecture', q: '合唱', page: '1', page_size: '20' })
  expect(texts(page, '.kind-chip.chip-on')).toEqual(['讲座'])
})

test('set a venue as 我的分馆', async () => {
  stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'GET /api/v1/activities': { data: { items: listOf(1), has_more: false } }
  })
  const toast = spyWx('showToast').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  await change(page, '.branch-picker', 3)
  await waitFor(() => page.querySelector('.venue'))
  page.querySelector('.venue').querySelector('.venue-set-mine').dispatchEvent('tap')
  await waitFor(() => page.data.isMine)
  expect(storage().ch_my_unit).toEqual({ id: 10, name: '福田区文化馆梅林分馆', short_name: '梅林分馆' })
  expect(toast.mock.calls[0][0].title).toBe('已设为我的分馆')
  expect(text(page, '.venue >>> .venue-mine')).toBe('我的分馆')
})

test('scrolling to the bottom loads the next page', async () => {
  const req = stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'GET /api/v1/activities': (o, q) => ({ data: { items: listOf(2, { title: '第' + q.page + '页' }), has_more: q.page === '1' } })
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.hasMore).toBe(true)
  page.instance.onReachBottom()
  await waitFor(() => page.data.items.length === 4)
  expect(lastQuery(req).page).toBe('2')
  expect(page.data.hasMore).toBe(false)
  page.instance.onReachBottom() // nothing more
  await simulate.sleep(5)
  expect(req.calls.filter((c) => c.path === '/api/v1/activities')).toHaveLength(2)
})

test('opened from 首页 at my branch: that branch is preselected', async () => {
  const app = loadApp()
  app.globalData.browseUnitId = 76
  const req = stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'GET /api/v1/activities': { data: { items: listOf(1), has_more: false } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && page.data.unit)
  expect(text(page, '.branch-value')).toBe('梅林分馆 ▾')
  expect(text(page, '.point-value')).toBe('翰岭服务点 ▾')
  expect(lastQuery(req).unit_id).toBe('76')
  expect(app.globalData.browseUnitId).toBeNull()
})

test('empty list, error with retry, and a venue-list failure that does not stop browsing', async () => {
  stubRequest({
    'GET /api/v1/org/tree': { networkError: 'timeout' },
    'GET /api/v1/activities': [
      { data: { items: [], has_more: false } },
      apiError(503, 'service_unavailable', '服务繁忙，请稍后再试'),
      { data: { items: listOf(1), has_more: false } }
    ]
  })
  const stop = spyWx('stopPullDownRefresh').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'empty')
  expect(text(page, '.tree-error')).toMatch(/场馆列表加载失败/)
  expect(text(page, '.state >>> .state-text')).toMatch(/没有找到符合条件的活动/)
  await page.instance.onPullDownRefresh()
  expect(stop).toHaveBeenCalled()
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('服务繁忙，请稍后再试')
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => page.data.status === 'ok')
})

test('a card opens the activity detail at that session', async () => {
  stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'GET /api/v1/activities': { data: { items: listOf(1), has_more: false } }
  })
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  page.querySelector('.item').querySelector('.activity-card').dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length)
  expect(nav).toHaveBeenCalledWith({ url: '/pages/activity/detail?id=1&session=100' })
})
