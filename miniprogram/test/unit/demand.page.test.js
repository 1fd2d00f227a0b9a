// pages/demand — built against the demand-request contract being added to the server
// (GET/POST /api/v1/demands, POST /api/v1/demands/{id}/support): tested with stubs only.
const { loadPage, waitFor, text, texts, tap, stubRequest, stubModal, apiError, signedIn, agreedPrivacy, resetStorage, simulate, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

const ROUTE = 'pages/demand/index'

function demand(extra) {
  return Object.assign({
    id: 1, kind: 'training', kind_label: '公益艺术培训', unit_id: 10, unit_name: '梅林分馆', poster: '王*明',
    preferred_time: '周末上午', age_group: '老年人', description: '想学粤剧唱腔', visibility: 'published',
    status: 'open', status_reason: '', merged_into: null, activity_id: null, supporters: 12, i_support: false,
    created_at: '2026-11-20T02:00:00Z', fulfilled_at: null
  }, extra || {})
}

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
})

test('lists requests at my branch, most supported first; supporting one', async () => {
  signedIn()
  wx.setStorageSync('ch_my_unit', { id: 10, name: '福田区文化馆梅林分馆', short_name: '梅林分馆' })
  spyWx('showToast').mockImplementation(() => {})
  const req = stubRequest({
    'GET /api/v1/demands': { data: { items: [demand(), demand({ id: 2, status: 'fulfilled', activity_id: 7, description: '少儿书法班', supporters: 30, i_support: true }), demand({ id: 3, status: 'declined', status_reason: '场地不足，明年安排', description: '交谊舞' })] } },
    'POST /api/v1/demands/1/support': { data: { supporters: 13 } }
  })
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls[0].query).toEqual({ sort: 'support', unit_id: '10' })
  expect(texts(page, '.demand-text')).toEqual(['想学粤剧唱腔', '少儿书法班', '交谊舞'])
  expect(texts(page, '.demand-status')).toEqual(['征集中', '已举办', '暂不安排'])
  expect(text(page, '.demand-reason')).toBe('分馆回复：场地不足，明年安排')
  expect(text(page, '.demand-meta')).toBe('梅林分馆 · 周末上午 · 老年人')
  await tap(page, '.demand-support')
  await waitFor(() => page.data.items[0].supporters === 13)
  expect(text(page, '.demand-supporters')).toBe('13 人想看')
  await tap(page, '.demand-activity')
  expect(nav).toHaveBeenCalledWith({ url: '/pages/activity/detail?id=7' })
  await tap(page, '.tab-all')
  await waitFor(() => req.calls.filter((c) => c.method === 'GET' && c.path === '/api/v1/demands').length === 2)
  expect(req.calls.filter((c) => c.path === '/api/v1/demands').pop().query).toEqual({ sort: 'support' })
})

test('asking for an activity: what, where, for whom; held for review is explained', async () => {
  signedIn()
  wx.setStorageSync('ch_my_unit', { id: 10, name: '福田区文化馆梅林分馆', short_name: '梅林分馆' })
  const modal = stubModal([true])
  const req = stubRequest({
    'GET /api/v1/demands': { data: { items: [] } },
    'GET /api/v1/org/tree': { data: fx.TREE },
    'POST /api/v1/demands': { data: { id: 9, visibility: 'held' } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'empty')
  await tap(page, '.show-form')
  await waitFor(() => page.data.showForm)
  expect(text(page, '.unit-value')).toBe('梅林分馆 ▾')
  page.querySelector('.kind-picker').dispatchEvent('change', { detail: { value: 1 } })
  page.querySelector('.age-picker').dispatchEvent('change', { detail: { value: 4 } })
  page.querySelector('.time-input').dispatchEvent('input', { detail: { value: '周三下午' } })
  page.querySelector('.description').dispatchEvent('input', { detail: { value: '粤剧' } })
  await simulate.sleep(0)
  await tap(page, '.submit')
  expect(text(page, '.form-error')).toBe('请用至少 5 个字说说想看什么活动')
  page.querySelector('.description').dispatchEvent('input', { detail: { value: '想听粤剧名家讲座' } })
  await simulate.sleep(0)
  await tap(page, '.submit')
  await waitFor(() => modal.mock.calls.length === 1)
  expect(req.calls.find((c) => c.method === 'POST').data).toEqual({ kind: 'lecture', unit_id: 10, description: '想听粤剧名家讲座', preferred_time: '周三下午', age_group: '老年人' })
  expect(modal.mock.calls[0][0].content).toMatch(/审核通过后会公开/)
  expect(page.data.showForm).toBe(false)
  // the list reloads after the notice is closed
  await waitFor(() => req.calls.filter((c) => c.method === 'GET' && c.path === '/api/v1/demands').length === 2)
})

test('until the server has the endpoints, the page says the feature is coming; errors can be retried', async () => {
  stubRequest({
    'GET /api/v1/demands': [apiError(404, 'route_not_found', '请求的接口不存在'), apiError(503, 'service_unavailable', '服务繁忙，请稍后再试'), { data: { items: [demand()] } }]
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'soon')
  expect(text(page, '.soon-notice')).toMatch(/即将开放/)
  expect(page.querySelector('.show-form')).toBeUndefined()
  page.instance.load()
  await waitFor(() => page.data.status === 'error')
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => page.data.status === 'ok')
})

test('in English: statuses, ages, kinds and supporters are translated (the service data stays as it is)', async () => {
  require('../../src/utils/i18n').setLang('en')
  signedIn()
  const req = stubRequest({
    'GET /api/v1/demands': { data: { items: [demand()] } },
    'GET /api/v1/org/tree': { data: [{ unit: { id: 1, name: '福田区文化馆', short_name: '总馆', level: 'center' }, children: [] }] },
    'POST /api/v1/demands': { data: demand({ id: 9 }) }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.demand-status')).toBe('Open')
  expect(text(page, '.demand-supporters')).toBe('12 would like it')
  expect(text(page, '.demand-meta')).toBe('梅林分馆 · 周末上午 · Older people')
  expect(page.data.kinds.map((k) => k.label)).toEqual(['Shows', 'Talks', 'Exhibitions', 'Classes', 'Art groups', 'Other'])
  expect(page.data.ages[0]).toBe('Anyone')
})
