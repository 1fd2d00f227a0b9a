// pages/report — 举报 a public comment or a demand: a reason (and words for 其他), one report.
const { loadPage, waitFor, text, texts, tap, stubRequest, apiError, signedIn, agreedPrivacy, resetStorage, simulate, spyWx } = require('../helpers/mp')

const ROUTE = 'pages/report/index'

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
  signedIn()
})

function open(kind, id) {
  return loadPage(ROUTE, { query: { kind: kind, id: String(id), text: encodeURIComponent('组织者都是骗子') } })
}

test('a reason is required; 其他 needs words; the report is sent once and the page says what happens next', async () => {
  const req = stubRequest({ 'POST /api/v1/reports': { data: { id: 4 } } })
  const page = open('rating', 7)
  expect(text(page, '.excerpt')).toBe('“组织者都是骗子”')
  expect(texts(page, '.reason-label')).toEqual(['辱骂攻击', '色情低俗', '政治敏感', '广告营销', '诈骗或虚假信息', '泄露他人隐私', '其他'])
  await tap(page, '.submit')
  expect(text(page, '.form-error')).toBe('请选择举报原因')
  page.querySelectorAll('.reason')[6].dispatchEvent('tap')
  await simulate.sleep(0)
  await tap(page, '.submit')
  expect(text(page, '.form-error')).toBe('选择“其他”时请写明原因')
  expect(req.calls).toHaveLength(0)
  page.querySelectorAll('.reason')[0].dispatchEvent('tap')
  page.querySelector('.detail').dispatchEvent('input', { detail: { value: ' 人身攻击 ' } })
  await simulate.sleep(0)
  expect(page.querySelectorAll('.reason.reason-on')).toHaveLength(1)
  await tap(page, '.submit')
  await waitFor(() => page.data.state === 'done')
  expect(req.calls).toHaveLength(1)
  expect(req.calls[0].data).toEqual({ target_kind: 'rating', target_id: 7, reason: 'abuse', detail: '人身攻击' })
  expect(text(page, '.done-hint')).toMatch(/我的消息/)
  const back = spyWx('navigateBack').mockImplementation(() => {})
  await tap(page, '.back')
  expect(back).toHaveBeenCalled()
})

test("the server's refusal is shown; reporting twice counts as done", async () => {
  stubRequest({
    'POST /api/v1/reports': [
      apiError(422, 'validation_failed', '不能举报自己发布的内容'),
      apiError(409, 'already_reported', '您已经举报过这条内容，请等待处理')
    ]
  })
  const page = open('demand', 3)
  page.querySelectorAll('.reason')[3].dispatchEvent('tap')
  await simulate.sleep(0)
  await tap(page, '.submit')
  await waitFor(() => text(page, '.form-error') === '不能举报自己发布的内容')
  expect(page.data.state).toBe('form')
  await tap(page, '.submit')
  await waitFor(() => page.data.state === 'done')
})

test('举报 on a public comment of an activity and on a demand opens the report page', async () => {
  const nav = spyWx('navigateTo')
  stubRequest({
    'GET /api/v1/demands': {
      data: {
        items: [{
          id: 3, kind: 'training', kind_label: '公益艺术培训', unit_id: 10, unit_name: '梅林分馆', poster: '王*明', preferred_time: '', age_group: '',
          description: '加微信领奖品', visibility: 'published', status: 'open', status_reason: '', merged_into: null, activity_id: null,
          supporters: 1, i_support: false, created_at: '2026-11-20T02:00:00Z', fulfilled_at: null
        }]
      }
    },
    'GET /api/v1/org/units': { data: { items: [] } },
    'GET /api/v1/org/tree': { data: [] }
  })
  const page = loadPage('pages/demand/index')
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.demand-report')
  await waitFor(() => nav.mock.calls.length === 1)
  expect(nav.mock.calls[0][0].url).toBe('/pages/report/index?kind=demand&id=3&text=' + encodeURIComponent('加微信领奖品'))
})
