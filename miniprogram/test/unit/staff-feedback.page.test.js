// pages/staff/feedback — the inbox: counts, filter tabs and sort, read, reply, handled,
// publish/reject held comments, more on scroll, read-only roles.
const { loadPage, waitFor, text, texts, tap, stubRequest, stubModal, apiError, signedIn, resetStorage, simulate, spyWx } = require('../helpers/mp')

const ROUTE = 'pages/staff/feedback'
const QUERY = { unit_id: '10', unit_name: encodeURIComponent('梅林分馆') }
const BRANCH = [{ grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '梅林分馆' }]
const COUNTS = { total: 3, unread: 2, flagged_unhandled: 1, held: 1 }

function item(extra) {
  return Object.assign({
    id: 1, activity_id: 5, activity_title: '书法公开课', unit_id: 10, unit_name: '梅林分馆', kind: 'lecture', name: '王*', score: 2,
    content_score: 2, teacher_score: 3, venue_score: null, organisation_score: null, tags: ['太吵'], comment: '音响太大声',
    comment_status: 'published', moderation_note: '', flagged: true, read: false, handled: false, created_at: '2026-11-28T02:00:00Z',
    first_reply_at: null, replies: []
  }, extra || {})
}

function inbox(items, extra) {
  return { data: Object.assign({ items: items, next_before: null, counts: COUNTS }, extra || {}) }
}

beforeEach(() => {
  resetStorage()
  signedIn({ roles: BRANCH })
  spyWx('showToast').mockImplementation(() => {})
})

test('the inbox with counts; filter tabs and sort go to the server', async () => {
  const req = stubRequest({
    'GET /api/v1/feedback': (o, q) => (q.state === 'held' ? inbox([item({ id: 3, comment_status: 'held', moderation_note: '微信内容安全：建议人工审核', flagged: false, score: 4 })]) : inbox([item(), item({ id: 2, score: 5, flagged: false, read: true, comment: '很好', tags: [], replies: [{ id: 9, unit_name: '梅林分馆', content: '谢谢支持', created_at: '2026-11-28T03:00:00Z' }] })]))
  })
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls[0].query).toEqual({ unit_id: '10', sort: 'newest', limit: '20' })
  expect([text(page, '.count-unread'), text(page, '.count-flagged'), text(page, '.count-held')]).toEqual(['2', '1', '1'])
  expect(texts(page, '.rating-title')).toEqual(['书法公开课', '书法公开课'])
  expect(texts(page, '.rating-score')).toEqual(['★★☆☆☆ 2 分', '★★★★★ 5 分'])
  expect(text(page, '.rating-aspects')).toBe('内容 2 · 老师 3')
  expect(text(page, '.rating-comment')).toBe('音响太大声')
  expect(text(page, '.flag-note')).toBe('差评，请跟进')
  expect(texts(page, '.badge-unread')).toEqual(['未读'])
  expect(text(page, '.reply')).toBe('梅林分馆回复：谢谢支持')
  await tap(page, '.filter-held')
  await waitFor(() => page.data.items.length === 1 && page.data.items[0].held)
  expect(req.calls[1].query).toEqual({ unit_id: '10', sort: 'newest', limit: '20', state: 'held' })
  expect(text(page, '.held-note')).toBe('待审核（未公开）：微信内容安全：建议人工审核')
  await tap(page, '.sort-lowest')
  await waitFor(() => req.calls.length === 3)
  expect(req.calls[2].query.sort).toBe('lowest')
})

test('opening an unread item marks it read; 本页全部标为已读', async () => {
  const req = stubRequest({
    'GET /api/v1/feedback': inbox([item(), item({ id: 2, flagged: false, score: 4 })]),
    'POST /api/v1/feedback/read': { data: { ok: true } }
  })
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.rating')
  await waitFor(() => page.data.items[0].read)
  expect(req.calls.find((c) => c.method === 'POST').data).toEqual({ ids: [1] })
  expect(text(page, '.count-unread')).toBe('1')
  await tap(page, '.read-all')
  await waitFor(() => page.data.items[1].read)
  expect(req.calls.filter((c) => c.method === 'POST').pop().data).toEqual({ ids: [2] })
  expect(text(page, '.count-unread')).toBe('0')
  expect(page.querySelector('.read-all')).toBeUndefined()
})

test('reply in public (not empty), then mark the low score handled', async () => {
  const req = stubRequest({
    'GET /api/v1/feedback': inbox([item()]),
    'POST /api/v1/feedback/1/replies': { data: { ok: true } },
    'POST /api/v1/feedback/1/handle': { data: { ok: true } }
  })
  const modal = stubModal([true])
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.reply-btn')
  expect(page.querySelector('.reply-input')).toBeDefined()
  await tap(page, '.reply-send')
  expect(text(page, '.reply-error')).toBe('请填写回复内容')
  page.querySelector('.reply-input').dispatchEvent('input', { detail: { value: ' 已调小音量，谢谢提醒 ' } })
  await simulate.sleep(0)
  await tap(page, '.reply-send')
  await waitFor(() => page.data.items[0].replies.length === 1)
  expect(req.calls.find((c) => c.path === '/api/v1/feedback/1/replies').data).toEqual({ content: '已调小音量，谢谢提醒' })
  expect(text(page, '.reply-content')).toBe('已调小音量，谢谢提醒')
  expect(page.querySelector('.reply-input')).toBeUndefined()
  expect(text(page, '.count-unread')).toBe('1') // replying reads it
  await tap(page, '.handle-btn')
  await waitFor(() => page.data.items[0].handled)
  expect(modal.mock.calls[0][0].title).toBe('标记已处理')
  expect(text(page, '.flag-note')).toBe('差评已跟进处理')
  expect(text(page, '.count-flagged')).toBe('0')
  expect(page.querySelector('.handle-btn')).toBeUndefined()
})

test('a held comment: publish or reject, with a confirmation', async () => {
  const req = stubRequest({
    'GET /api/v1/feedback': inbox([item({ id: 3, comment_status: 'held', flagged: false }), item({ id: 4, comment_status: 'held', flagged: false })]),
    'POST /api/v1/feedback/3/moderate': { data: { ok: true } },
    'POST /api/v1/feedback/4/moderate': { data: { ok: true } }
  })
  stubModal([false, true, true])
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.publish-btn')
  await simulate.sleep(5)
  expect(req.calls.some((c) => c.method === 'POST')).toBe(false) // declined the confirmation
  await tap(page, '.publish-btn')
  await waitFor(() => !page.data.items[0].held)
  expect(req.calls.find((c) => c.path === '/api/v1/feedback/3/moderate').data).toEqual({ decision: 'publish' })
  page.querySelectorAll('.reject-btn')[0].dispatchEvent('tap')
  await waitFor(() => page.data.items[1].rejected)
  expect(req.calls.find((c) => c.path === '/api/v1/feedback/4/moderate').data).toEqual({ decision: 'reject' })
  expect(text(page, '.rejected-note')).toBe('评论未公开')
  expect(text(page, '.count-held')).toBe('0')
})

test('scrolling loads older items; empty and error states', async () => {
  const first = Array.from({ length: 20 }, (_, i) => item({ id: 100 - i, read: true }))
  const req = stubRequest({
    'GET /api/v1/feedback': [inbox(first, { next_before: 81 }), inbox([item({ id: 80, read: true })]), inbox([]), apiError(500, 'internal', '服务暂时不可用')]
  })
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  page.instance.onReachBottom()
  await waitFor(() => page.data.items.length === 21)
  expect(req.calls[1].query.before).toBe('81')
  expect(text(page, '.more')).toBe('没有更多了')
  await tap(page, '.filter-unread')
  await waitFor(() => page.data.status === 'empty')
  expect(text(page, '.state >>> .state-text')).toBe('这一类没有评价')
  await tap(page, '.filter-all')
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('服务暂时不可用')
})

test('read-only roles (evaluator) see the inbox without reply or moderation buttons', async () => {
  signedIn({ roles: [{ grant_id: 5, role: 'evaluator', role_label: '第三方评估（只读）', unit_id: 10, unit_name: '梅林分馆' }] })
  stubRequest({ 'GET /api/v1/feedback': inbox([item({ comment_status: 'held' })]) })
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  expect(page.querySelector('.reply-btn')).toBeUndefined()
  expect(page.querySelector('.publish-btn')).toBeUndefined()
})
