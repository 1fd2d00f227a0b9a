// pages/rating — built against the announced ratings contract (POST /api/v1/ratings is not in
// the server yet): tested with stubs only.
const { loadPage, waitFor, text, texts, tap, stubRequest, stubModal, apiError, signedIn, agreedPrivacy, resetStorage, simulate, spyWx } = require('../helpers/mp')

const ROUTE = 'pages/rating/index'

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
  signedIn()
})

function open() {
  return loadPage(ROUTE, { query: { booking: '5', title: encodeURIComponent('梅林社区合唱入门') } })
}

test('stars, aspects, tags and a comment make one rating', async () => {
  const req = stubRequest({ 'POST /api/v1/ratings': { data: { id: 1, comment_status: 'held' } } })
  const page = loadPage(ROUTE, { query: { booking: '5', title: '梅林社区合唱入门' } })
  expect(text(page, '.rating-title')).toBe('梅林社区合唱入门')
  await tap(page, '.submit')
  expect(text(page, '.form-error')).toBe('请先点星星给出总体评价')
  expect(req.calls).toHaveLength(0)
  page.querySelectorAll('.score-star')[3].dispatchEvent('tap')
  await simulate.sleep(0)
  expect(text(page, '.score-word')).toBe('满意')
  expect(page.querySelectorAll('.score-star.star-on')).toHaveLength(4)
  page.querySelectorAll('.aspect-star')[4].dispatchEvent('tap') // 活动内容 5
  page.querySelectorAll('.tag-chip')[0].dispatchEvent('tap')
  page.querySelectorAll('.tag-chip')[4].dispatchEvent('tap')
  page.querySelector('.comment').dispatchEvent('input', { detail: { value: ' 老师很耐心 ' } })
  await simulate.sleep(0)
  await tap(page, '.submit')
  await waitFor(() => page.data.state === 'done')
  expect(req.calls[0].data).toEqual({ booking_id: 5, score: 4, content_score: 5, tags: ['内容精彩', '适合老人'], comment: '老师很耐心' })
  expect(text(page, '.done-text')).toBe('感谢您的评价！您的留言将在审核后公开。')
})

test("the server's refusal is shown (e.g. not checked in)", async () => {
  const modal = stubModal([true])
  stubRequest({ 'POST /api/v1/ratings': apiError(403, 'not_attended', '只有签到参加了这一场的居民才能评价') })
  const page = open()
  page.querySelectorAll('.score-star')[4].dispatchEvent('tap')
  await simulate.sleep(0)
  await tap(page, '.submit')
  await waitFor(() => modal.mock.calls.length === 1)
  expect(modal.mock.calls[0][0].content).toBe('只有签到参加了这一场的居民才能评价')
  expect(page.data.state).toBe('form')
})

test('until the server has the endpoint, the page says rating is coming', async () => {
  stubRequest({ 'POST /api/v1/ratings': apiError(404, 'route_not_found', '请求的接口不存在') })
  const back = spyWx('navigateBack').mockImplementation(() => {})
  const page = open()
  page.querySelectorAll('.score-star')[4].dispatchEvent('tap')
  await simulate.sleep(0)
  await tap(page, '.submit')
  await waitFor(() => page.data.state === 'soon')
  expect(text(page, '.soon-notice')).toMatch(/即将开放/)
  await tap(page, '.back')
  expect(back).toHaveBeenCalled()
})

test('at most five tags', async () => {
  const toast = spyWx('showToast').mockImplementation(() => {})
  const page = open()
  for (let i = 0; i < 6; i++) page.querySelectorAll('.tag-chip')[i].dispatchEvent('tap')
  await simulate.sleep(0)
  expect(texts(page, '.tag-chip.chip-on')).toHaveLength(5)
  expect(toast.mock.calls[0][0].title).toBe('最多选 5 个')
})

test('in English: labels are translated, the tags sent are still the service\'s Chinese values', async () => {
  require('../../src/utils/i18n').setLang('en')
  const req = stubRequest({ 'POST /api/v1/ratings': { data: { id: 1, comment_status: 'published' } } })
  const page = loadPage(ROUTE, { query: { booking: '5' } })
  expect(text(page, '.rating-title')).toBe('This event')
  expect(texts(page, '.tag-chip')).toEqual(['Great content', 'Expert teacher', 'Comfortable venue', 'Well organised', 'Good for older people', 'Good for children'])
  expect(texts(page, '.aspect-label')[0]).toBe('Content')
  await tap(page, '.submit')
  expect(text(page, '.form-error')).toBe('Please tap the stars for an overall rating first')
  page.querySelectorAll('.score-star')[4].dispatchEvent('tap')
  page.querySelectorAll('.tag-chip')[1].dispatchEvent('tap')
  await simulate.sleep(0)
  expect(text(page, '.score-word')).toBe('Excellent')
  await tap(page, '.submit')
  await waitFor(() => page.data.state === 'done')
  expect(req.calls[0].data).toEqual({ booking_id: 5, score: 5, tags: ['老师专业'] })
  expect(text(page, '.done-text')).toBe('Thank you!')
})
