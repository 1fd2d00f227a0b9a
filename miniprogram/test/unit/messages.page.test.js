// pages/messages/index — 我的消息: staff notices for my sessions.
const { loadPage, waitFor, text, texts, stubRequest, apiError, signedIn, agreedPrivacy, resetStorage } = require('../helpers/mp')

const ROUTE = 'pages/messages/index'

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
  signedIn()
})

test('notices newest first, unread marked 新, then all marked read', async () => {
  const req = stubRequest({
    'GET /api/v1/me/messages': {
      data: {
        unread: 1,
        items: [
          { id: 2, kind: 'session_notice', title: '书法讲座（2099年12月05日 19:30）', body: '教室改到三楼 301', page: 'pages/messages/index', created_at: '2099-12-04T02:00:00Z', read: false },
          { id: 1, kind: 'session_notice', title: '书法讲座（2099年12月05日 19:30）', body: '请带好毛笔', page: 'pages/messages/index', created_at: '2099-12-03T02:00:00Z', read: true }
        ]
      }
    },
    'POST /api/v1/me/messages/read': { data: { ok: true } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(texts(page, '.message-body')).toEqual(['教室改到三楼 301', '请带好毛笔'])
  expect(texts(page, '.message-new')).toEqual(['新'])
  expect(text(page, '.message-title')).toBe('书法讲座（2099年12月05日 19:30）')
  await waitFor(() => req.calls.length === 2)
  expect(req.calls[1].path).toBe('/api/v1/me/messages/read')
})

test('no messages says so; a failure is said plainly and can be retried', async () => {
  const req = stubRequest({
    'GET /api/v1/me/messages': [apiError(503, 'service_unavailable', '服务繁忙，请稍后再试'), { data: { unread: 0, items: [] } }]
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('服务繁忙，请稍后再试')
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => page.data.status === 'empty')
  expect(text(page, '.state >>> .state-text')).toBe('暂无消息')
  expect(req.calls).toHaveLength(2)
})
