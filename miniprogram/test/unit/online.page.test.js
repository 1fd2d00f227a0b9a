// 线上活动 and 数字资源库 (issue 17): the state an online activity is in, what a tap opens
// (Channels live, Channels video, web-view), the library list with kinds and search, a
// resource's page with the daily view and the rating.
const { loadPage, openUrl, waitFor, text, texts, stubRequest, apiError, resetStorage, agreedPrivacy, signedIn, spyWx } = require('../helpers/mp')
const online = require('../../src/utils/online')
const i18n = require('../../src/utils/i18n')

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
})

const H = 3600 * 1000
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

describe('utils/online', () => {
  const start = Date.parse('2026-12-05T11:30:00Z')
  const item = (extra) => Object.assign({
    activity_id: 7, platform: 'channels', finder_user_name: 'sphFutian01', live_url: '', replay_feed_id: '', replay_url: '',
    starts_at: iso(start), ends_at: iso(start + 2 * H), state: 'upcoming'
  }, extra)

  test('the state follows the clock: upcoming, live (end exclusive), then replay or ended', () => {
    expect(online.stateAt(item(), start - 1)).toBe('upcoming')
    expect(online.stateAt(item(), start)).toBe('live')
    expect(online.stateAt(item(), start + 2 * H - 1)).toBe('live')
    expect(online.stateAt(item(), start + 2 * H)).toBe('ended')
    expect(online.stateAt(item({ replay_feed_id: 'export/x' }), start + 2 * H)).toBe('replay')
    // An item the server already calls a replay stays one.
    expect(online.stateAt(item({ state: 'replay', replay_url: 'https://live.example.cn/r' }), start + 3 * H)).toBe('replay')
    expect(online.stateAt({ state: 'live', starts_at: 'x', ends_at: 'y' }, start)).toBe('live')
  })

  test('what a tap opens', () => {
    expect(online.action(item(), 'live')).toEqual({ kind: 'channels_live', finderUserName: 'sphFutian01' })
    expect(online.action(item({ platform: 'web', live_url: 'https://live.example.cn/1' }), 'live')).toEqual({ kind: 'web', url: 'https://live.example.cn/1' })
    expect(online.action(item({ replay_feed_id: 'export/x' }), 'replay')).toEqual({ kind: 'channels_video', finderUserName: 'sphFutian01', feedId: 'export/x' })
    expect(online.action(item({ platform: 'web', replay_url: 'https://live.example.cn/r' }), 'replay')).toEqual({ kind: 'web', url: 'https://live.example.cn/r' })
    expect(online.action(item(), 'upcoming')).toEqual({ kind: 'detail', id: 7 })
    expect(online.action(item(), 'ended')).toEqual({ kind: 'detail', id: 7 })
    expect(online.resourceAction({ platform: 'web', source_url: 'https://m.example.cn/1' })).toEqual({ kind: 'web', url: 'https://m.example.cn/1' })
    expect(online.resourceAction({ platform: 'channels', finder_user_name: 'sphA', feed_id: 'f' })).toEqual({ kind: 'channels_video', finderUserName: 'sphA', feedId: 'f' })
    expect(online.resourceAction({ platform: 'none' })).toEqual({ kind: 'article' })
  })

  test('durations and ratings in words', () => {
    expect(online.durationText(null, i18n.t)).toBe('')
    expect(online.durationText(600, i18n.t)).toBe('10 分钟')
    expect(online.durationText(3600, i18n.t)).toBe('1 小时')
    expect(online.durationText(3900, i18n.t)).toBe('1 小时 5 分钟')
    expect(online.ratingText(null, 0, i18n.t)).toBe('暂无评分')
    expect(online.ratingText(4.5, 12, i18n.t)).toBe('4.5 分（12 人评价）')
  })
})

const row = (id, title, state, extra) => Object.assign({
  activity_id: id, title, kind: 'lecture', organizer_unit_id: 3, organizer_name: '园岭分馆', poster_url: '',
  mode: 'online', platform: 'channels', finder_user_name: 'sphFutian01', live_url: '', replay_feed_id: '', replay_url: '',
  state,
  starts_at: iso(Date.now() + (state === 'upcoming' ? 2 * H : state === 'live' ? -H : -5 * H)),
  ends_at: iso(Date.now() + (state === 'upcoming' ? 3 * H : state === 'live' ? H : -4 * H))
}, extra)

test('online list: live, upcoming with its start, replay; a live Channels tap opens the live', async () => {
  stubRequest({
    'GET /api/v1/online': {
      data: {
        items: [
          row(1, '粤剧直播', 'live'),
          row(2, '书法讲座', 'upcoming', { mode: 'hybrid', platform: 'web', live_url: 'https://live.example.cn/2' }),
          row(3, '合唱回放', 'replay', { replay_feed_id: 'export/abc' })
        ]
      }
    }
  })
  const info = spyWx('getChannelsLiveInfo').mockImplementation((o) => setTimeout(() => o.success({ feedId: 'f1', nonceId: 'n1', status: 2 }), 0))
  const live = spyWx('openChannelsLive').mockImplementation(() => {})
  const video = spyWx('openChannelsActivity').mockImplementation(() => {})
  const nav = spyWx('navigateTo')
  const page = loadPage('pages/online/index')
  await waitFor(() => page.data.status === 'ok')
  expect(texts(page, '.online-title')).toEqual(['粤剧直播', '书法讲座', '合唱回放'])
  expect(texts(page, '.state')).toEqual(['直播中', '即将开始', '可看回放'])
  expect(texts(page, '.online-button')).toEqual(['观看直播', '查看详情', '看回放'])
  expect(texts(page, '.mode')).toEqual(['线上', '线上线下同步', '线上'])
  expect(text(page, '.no-booking')).toBe('线上观看无需预约')

  page.instance.onTap({ currentTarget: { dataset: { index: 0 } } })
  await waitFor(() => live.mock.calls.length === 1)
  expect(info.mock.calls[0][0].finderUserName).toBe('sphFutian01')
  expect(live.mock.calls[0][0]).toMatchObject({ finderUserName: 'sphFutian01', feedId: 'f1', nonceId: 'n1' })

  page.instance.onTap({ currentTarget: { dataset: { index: 1 } } })
  expect(nav.mock.calls[0][0].url).toBe('/pages/activity/detail?id=2')
  page.instance.onTap({ currentTarget: { dataset: { index: 2 } } })
  expect(video.mock.calls[0][0]).toMatchObject({ finderUserName: 'sphFutian01', feedId: 'export/abc' })
})

test('a Channels live not started yet says so; a web live opens the web-view page', async () => {
  stubRequest({
    'GET /api/v1/online': {
      data: { items: [row(1, '粤剧直播', 'live'), row(2, '网页直播', 'live', { platform: 'web', finder_user_name: '', live_url: 'https://live.example.cn/room?a=1&b=2' })] }
    }
  })
  spyWx('getChannelsLiveInfo').mockImplementation((o) => setTimeout(() => o.success({ feedId: '', nonceId: '', status: 3 }), 0))
  const live = spyWx('openChannelsLive')
  const toast = spyWx('showToast')
  const nav = spyWx('navigateTo')
  const page = loadPage('pages/online/index')
  await waitFor(() => page.data.status === 'ok')
  page.instance.onTap({ currentTarget: { dataset: { index: 0 } } })
  await waitFor(() => toast.mock.calls.length === 1)
  expect(toast.mock.calls[0][0].title).toBe('视频号还没有开播，请稍后再试')
  expect(live).not.toHaveBeenCalled()
  page.instance.onTap({ currentTarget: { dataset: { index: 1 } } })
  const url = nav.mock.calls[0][0].url
  expect(url).toBe('/pages/online/web?url=' + encodeURIComponent('https://live.example.cn/room?a=1&b=2'))
  const web = openUrl(url)
  expect(web.data.url).toBe('https://live.example.cn/room?a=1&b=2')
  expect(openUrl('/pages/online/web?url=' + encodeURIComponent('http://live.example.cn/x')).data.url).toBe('')
})

test('online list: empty and error states', async () => {
  stubRequest({ 'GET /api/v1/online': [{ data: { items: [] } }, { statusCode: 503, data: apiError(503, 'service_unavailable', '服务暂时不可用').data }] })
  const page = loadPage('pages/online/index')
  await waitFor(() => page.data.status === 'empty')
  expect(page.data.message).toBe('暂时没有线上活动，请稍后再来看看')
  await page.instance.load()
  expect(page.data.status).toBe('error')
})

const res = (id, title, extra) => Object.assign({
  id, unit_id: 5, unit_name: '红荔服务点', kind: 'video', kind_label: '视频', title, summary: '十分钟学会', tags: ['粤剧'],
  cover_file_id: null, cover_url: null, duration_s: 600, platform: 'web', source_url: 'https://live.example.cn/v/' + id,
  finder_user_name: '', feed_id: '', published: true, featured: false, sort_order: 0, views: 3, rating_count: 0,
  rating_average: null, updated_at: '2026-12-01T00:00:00Z', published_at: '2026-12-01T00:00:00Z'
}, extra)

test('library: kinds and search narrow the list; more pages; opening a resource', async () => {
  const req = stubRequest({
    'GET /api/v1/library': (opts, q) => ({
      data: {
        items: q.kind === 'audio' ? [] : q.page === '2' ? [res(3, '第三个')] : [res(1, '粤剧身段入门', { featured: true, rating_count: 2, rating_average: 4.5 }), res(2, '非遗故事', { kind: 'article', platform: 'none', duration_s: null })],
        page: Number(q.page), page_size: 20, has_more: q.page === '1' && !q.kind && !q.q
      }
    })
  })
  const nav = spyWx('navigateTo')
  const page = loadPage('pages/library/index')
  await waitFor(() => page.data.status === 'ok')
  expect(texts(page, '.resource-title')).toEqual(['粤剧身段入门', '非遗故事'])
  expect(texts(page, '.featured')).toEqual(['精选'])
  expect(texts(page, '.resource-kind')).toEqual(['视频', '图文'])
  expect(texts(page, '.resource-rating')).toEqual(['4.5 分（2 人评价）', '暂无评分'])
  expect(text(page, '.resource-meta')).toBe('红荔服务点 · 10 分钟 · 3 次浏览')
  expect(texts(page, '.kind')).toEqual(['全部', '视频', '音频', '图文', '课程资料', '数字展厅'])
  await page.instance.onMore()
  expect(texts(page, '.resource-title')).toEqual(['粤剧身段入门', '非遗故事', '第三个'])

  await page.instance.onKind({ currentTarget: { dataset: { kind: 'audio' } } })
  expect(page.data.status).toBe('empty')
  expect(page.data.message).toBe('没有找到资源，换个关键词试试')
  page.instance.onInput({ detail: { value: ' 粤剧 ' } })
  await page.instance.onKind({ currentTarget: { dataset: { kind: '' } } })
  const last = req.calls[req.calls.length - 1]
  expect(last.query).toEqual({ page: '1', page_size: '20', q: '粤剧' })
  page.instance.onOpen({ currentTarget: { dataset: { id: 1 } } })
  expect(nav.mock.calls[0][0].url).toBe('/pages/library/detail?id=1')
})

test('a resource: opens in the web-view, counts the view when signed in, rates with a comment', async () => {
  signedIn()
  const req = stubRequest({
    'GET /api/v1/library/1': { data: Object.assign(res(1, '粤剧身段入门'), { body: '', my_score: null, my_comment: null, comments: [{ name: '王*', score: 5, comment: '很好', created_at: '2026-12-01T00:00:00Z' }] }) },
    'POST /api/v1/library/1/view': { data: { counted: true, views: 4 } },
    'PUT /api/v1/library/1/rating': [
      { statusCode: 422, data: apiError(422, 'validation_failed', '评价内容不能超过 300 个字').data },
      { data: { score: 4, comment_status: 'held', rating_count: 1, rating_average: 4 } }
    ]
  })
  const nav = spyWx('navigateTo')
  const toast = spyWx('showToast')
  const page = loadPage('pages/library/detail', { query: { id: '1' } })
  await waitFor(() => page.data.status === 'ok')
  await waitFor(() => req.calls.some((c) => c.method === 'POST'))
  expect(text(page, '.detail-title')).toBe('粤剧身段入门')
  expect(text(page, '.detail-unit')).toBe('红荔服务点')
  expect(texts(page, '.comment-text')).toEqual(['很好'])
  page.instance.onOpen()
  expect(nav.mock.calls[0][0].url).toBe('/pages/online/web?url=' + encodeURIComponent('https://live.example.cn/v/1'))

  await page.instance.onRate()
  expect(text(page, '.rate-error')).toBe('请先选择评分')
  page.instance.onStar({ currentTarget: { dataset: { n: 4 } } })
  page.instance.onComment({ detail: { value: '很有收获' } })
  await page.instance.onRate()
  expect(text(page, '.rate-error')).toBe('评价内容不能超过 300 个字')
  await page.instance.onRate()
  const put = req.calls.filter((c) => c.method === 'PUT')
  expect(put[1].data).toEqual({ score: 4, comment: '很有收获' })
  expect(toast.mock.calls[0][0].title).toBe('已评分，评论审核后显示')
  expect(text(page, '.detail-rating')).toBe('4.0 分（1 人评价）')
})

test('an article shows its text; no view is counted without signing in', async () => {
  const req = stubRequest({
    'GET /api/v1/library/2': { data: Object.assign(res(2, '非遗故事', { kind: 'article', platform: 'none', source_url: '' }), { body: '很久以前……', my_score: null, my_comment: null, comments: [] }) }
  })
  const page = loadPage('pages/library/detail', { query: { id: '2' } })
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.article-body')).toBe('很久以前……')
  expect(page.querySelectorAll('.open')).toHaveLength(0)
  expect(req.calls.filter((c) => c.method === 'POST')).toHaveLength(0)
})
