// pages/staff/stats — satisfaction, demand, replies and annual targets as bar charts.
const { loadPage, waitFor, text, texts, stubRequest, apiError, signedIn, resetStorage } = require('../helpers/mp')

const ROUTE = 'pages/staff/stats'
const QUERY = { unit_id: '10', unit_name: encodeURIComponent('梅林分馆') }

beforeEach(() => {
  resetStorage()
  signedIn({ roles: [{ grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '梅林分馆' }] })
})

test('four numbers for my unit, drawn as bars', async () => {
  const req = stubRequest({
    'GET /api/v1/stats/satisfaction': { data: { items: [
      { unit_id: 10, unit_name: '梅林分馆', kind: 'lecture', month: '2026-10', ratings: 10, average: 4.8, low_scores: 0 },
      { unit_id: 10, unit_name: '梅林分馆', kind: 'training', month: '2026-11', ratings: 10, average: 4.2, low_scores: 1 },
      { unit_id: 76, unit_name: '翰岭服务点', kind: 'lecture', month: '2026-11', ratings: 4, average: 2.5, low_scores: 2 }
    ] } },
    'GET /api/v1/stats/demand': { data: { items: [
      { unit_id: 10, unit_name: '梅林分馆', kind: 'training', total: 6, supporters: 40, fulfilled: 3, declined: 1, fulfilled_percent: 50, avg_days_to_fulfil: 20 },
      { unit_id: 10, unit_name: '梅林分馆', kind: 'lecture', total: 2, supporters: 5, fulfilled: 1, declined: 0, fulfilled_percent: 50, avg_days_to_fulfil: null }
    ] } },
    'GET /api/v1/stats/replies': { data: { commented: 20, replied: 17, reply_percent: 85, avg_hours_to_first_reply: 5.25, low_scores: 3, low_scores_handled: 1 } },
    'GET /api/v1/stats/targets': { data: { year: 2026, items: [
      { category: 'performances', label: '送演出下基层', target: 20, count: 22, joint_or_delivered: 5, met: true },
      { category: 'trainings', label: '公益性艺术培训', target: 20, count: 7, joint_or_delivered: 0, met: false }
    ] } }
  })
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls.map((c) => c.query)).toEqual([{ unit_id: '10' }, { unit_id: '10' }, { unit_id: '10' }, { unit_id: '10' }])
  expect(text(page, '.sat-overall')).toBe('平均 4.2 分（满分 5 分），共 24 条评价')
  expect(texts(page, '.chart-satisfaction >>> .bar-label')).toEqual(['梅林分馆', '翰岭服务点'])
  expect(texts(page, '.chart-satisfaction >>> .bar-text')).toEqual(['4.5 分 · 20 条（差评 1）', '2.5 分 · 4 条（差评 2）'])
  expect(texts(page, '.chart-demand >>> .bar-text')).toEqual(['已举办 4 / 8 条（50%）'])
  expect(texts(page, '.chart-demand >>> .bar-label')).toEqual(['梅林分馆（45 人支持）'])
  expect(texts(page, '.chart-replies >>> .bar-text')).toEqual(['85%（17 / 20 条）', '1 / 3 条'])
  expect(text(page, '.reply-hours')).toBe('平均 5.3 小时内首次回复')
  expect(text(page, '.tgt .section-title')).toBe('2026 年度服务目标')
  expect(texts(page, '.chart-targets >>> .bar-text')).toEqual(['22 / 20 场 · 已达标', '7 / 20 场'])
  expect(page.querySelector('.chart-targets').data.rows.map((r) => r.percent)).toEqual([100, 35])
})

test('nothing yet: each chart says so; an error can be retried', async () => {
  stubRequest({
    'GET /api/v1/stats/satisfaction': [{ data: { items: [] } }, apiError(403, 'forbidden', '您没有权限进行此操作')],
    'GET /api/v1/stats/demand': { data: { items: [] } },
    'GET /api/v1/stats/replies': { data: { commented: 0, replied: 0, reply_percent: 0, avg_hours_to_first_reply: null, low_scores: 0, low_scores_handled: 0 } },
    'GET /api/v1/stats/targets': { data: { year: 2026, items: [] } }
  })
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  expect(page.querySelector('.sat-overall')).toBeUndefined()
  expect(text(page, '.chart-satisfaction >>> .chart-empty')).toBe('还没有居民评价')
  expect(text(page, '.chart-demand >>> .chart-empty')).toBe('还没有居民提出需求')
  expect(texts(page, '.chart-replies >>> .bar-text')).toEqual(['0%（0 / 0 条）', '没有差评'])
  expect(page.querySelector('.reply-hours')).toBeUndefined()
  await page.instance.load()
  expect(text(page, '.state >>> .state-text')).toBe('您没有权限进行此操作')
})
