// pages/staff/evaluation — 考核待办: the open round's deadlines, my unit's step, what is missing.
const { loadPage, waitFor, text, texts, stubRequest, apiError, signedIn, resetStorage, spyWx } = require('../helpers/mp')

const ROUTE = 'pages/staff/evaluation'
const POINT = { grant_id: 4, role: 'point_coordinator', role_label: '服务点文体协管员', unit_id: 27, unit_name: '红荔服务点' }

function round(extra) {
  return Object.assign({
    id: 3, year: 2099, period: 'year', title: '2099年度考核', status: 'open',
    point_self_due: '2099-03-01T10:00:00Z', point_score_due: '2099-03-08T10:00:00Z', branch_self_due: '2099-03-15T10:00:00Z',
    branch_score_due: '2099-03-22T10:00:00Z', main_self_due: '2099-03-29T10:00:00Z', district_due: '2099-04-05T10:00:00Z'
  }, extra || {})
}

function entry(extra) {
  return Object.assign({ id: 40, round_id: 3, unit_id: 27, unit_name: '红荔服务点', level: 'point', status: 'self', return_comment: '', due: '2099-03-01T10:00:00Z', total: null, full_marks: 100, grade_label: '', items: [] }, extra || {})
}

beforeEach(() => {
  resetStorage()
  signedIn({ roles: [POINT] })
  spyWx('stopPullDownRefresh').mockImplementation(() => {})
})

test('the open round: my step and its deadline, what is missing, open rectifications, the timetable', async () => {
  const req = stubRequest({
    'GET /api/v1/evaluation/units/27/status': {
      data: {
        round: round(),
        entry: entry({ return_comment: '请补充开放时间照片' }),
        missing: [{ position: 3, title: '设施达标与开放时间', what: 'evidence' }, { position: 7, title: '创新与亮点', what: 'value' }],
        rectifications: [{ id: 9, unit_id: 27, unit_name: '红荔服务点', kind: 'unannounced', visited_on: '2099-01-05', findings: '开放时间未公示', photos: [], rectify_by: '2000-01-20', rectification: '', rectified_at: null, open: true }],
        facilities_met: 4,
        facilities_total: 5
      }
    }
  })
  const page = loadPage(ROUTE, { query: { unit_id: '27', unit_name: encodeURIComponent('红荔服务点') } })
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls[0].path).toBe('/api/v1/evaluation/units/27/status')
  expect(text(page, '.unit')).toBe('红荔服务点')
  expect(text(page, '.round-title')).toBe('2099年度考核')
  expect(text(page, '.entry-status')).toBe('本单位：自评中')
  expect(text(page, '.entry-due')).toBe('本步截止 3月1日（周日）')
  expect(text(page, '.returned')).toBe('上级退回：请补充开放时间照片')
  expect(text(page, '.facilities')).toBe('设施达标 4 / 5 项')
  expect(texts(page, '.missing-title')).toEqual(['设施达标与开放时间', '创新与亮点'])
  expect(texts(page, '.missing-what')).toEqual(['缺佐证材料', '未填写'])
  expect(text(page, '.rect-findings')).toBe('开放时间未公示')
  expect(text(page, '.rect-by')).toBe('整改期限 2000-01-20（已逾期）')
  expect(texts(page, '.step-label')).toEqual(['服务点自评', '分馆评分服务点', '分馆自评', '总馆评分分馆', '总馆自评', '区级评分验收'])
  expect(page.querySelectorAll('.step-mine').length).toBe(1)
  expect(text(page, '.step-mine .step-label')).toBe('服务点自评')
})

test('scored: the result and nothing missing; no open round is an empty state; an error is shown', async () => {
  stubRequest({
    'GET /api/v1/evaluation/units/27/status': [
      { data: { round: round(), entry: entry({ status: 'scored', total: 92, grade_label: '优秀' }), missing: [], rectifications: [], facilities_met: 0, facilities_total: 5 } },
      { data: { round: null, entry: null, missing: [], rectifications: [], facilities_met: 0, facilities_total: 5 } },
      apiError(403, 'forbidden', '没有权限')
    ]
  })
  const page = loadPage(ROUTE, { query: { unit_id: '27' } })
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.entry-status')).toBe('本单位：已评分')
  expect(text(page, '.entry-result')).toBe('评定结果 92 / 100 · 优秀')
  expect(page.querySelector('.entry-due')).toBeUndefined()
  expect(text(page, '.none-missing')).toBe('没有缺项')
  expect(page.querySelector('.rectification')).toBeUndefined()
  await page.instance.onPullDownRefresh()
  expect(page.data.status).toBe('empty')
  expect(text(page, '.state >>> .state-text')).toBe('目前没有进行中的考核')
  expect(wx.stopPullDownRefresh).toHaveBeenCalled()
  await page.instance.load()
  expect(page.data.status).toBe('error')
  expect(page.data.message).toBe('没有权限')
})
