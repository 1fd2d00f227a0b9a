// pages/menu — 文化菜单: residents vote for the main center's programmes at their point
// (GET /api/v1/menu/items?unit_id, POST /api/v1/menu/items/{id}/votes).
const { loadPage, waitFor, text, texts, tap, stubRequest, stubModal, apiError, signedIn, agreedPrivacy, resetStorage, storage, simulate, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

const ROUTE = 'pages/menu/index'

function item(extra) {
  return Object.assign({
    id: 1, title: '粤剧折子戏专场', kind: 'performance', kind_label: '文艺演出', description: '总馆粤剧团送戏到社区',
    quota: 3, used: 1, period_start: '2026-03-01', period_end: '2026-06-30', status: 'active', votes: 4
  }, extra || {})
}

function menuCalls(req) {
  return req.calls.filter((c) => c.method === 'GET' && c.path === '/api/v1/menu/items')
}

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
})

test('lists the menu at my point: kind, description, period and the votes there; voting with a confirmation', async () => {
  signedIn()
  wx.setStorageSync('ch_my_unit', { id: 76, name: '福田区文化馆翰岭服务点', short_name: '翰岭服务点' })
  const toast = spyWx('showToast').mockImplementation(() => {})
  const modal = stubModal([false, true])
  const req = stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'GET /api/v1/menu/items': { data: { items: [item(), item({ id: 2, title: '非遗剪纸讲座', kind_label: '讲座', description: '', period_start: '2026-11-01', period_end: '2027-01-31', votes: 0 })] } },
    'POST /api/v1/menu/items/1/votes': { data: { ok: true } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && page.data.units.length)
  expect(menuCalls(req)[0].query).toEqual({ unit_id: '76' })
  expect(text(page, '.unit-value')).toBe('翰岭服务点 ▾')
  expect(page.data.units.map((u) => u.label)).toEqual(['少儿艺术分馆', '梅林分馆', '梅林分馆 · 翰岭服务点'])
  expect(page.data.unitIndex).toBe(2)
  expect(texts(page, '.item-title')).toEqual(['粤剧折子戏专场', '非遗剪纸讲座'])
  expect(texts(page, '.item-kind')).toEqual(['文艺演出', '讲座'])
  expect(texts(page, '.item-description')).toEqual(['总馆粤剧团送戏到社区'])
  expect(texts(page, '.item-period')).toEqual(['可安排时间：2026年3月1日 至 6月30日', '可安排时间：2026年11月1日 至 2027年1月31日'])
  expect(texts(page, '.item-votes')).toEqual(['这里已有 4 票', '这里已有 0 票'])
  expect(texts(page, '.vote-btn')).toEqual(['投票', '投票'])

  // declined at the confirmation: nothing sent
  await tap(page, '.vote-btn')
  await waitFor(() => modal.mock.calls.length === 1)
  await simulate.sleep(5)
  expect(req.calls.some((c) => c.method === 'POST')).toBe(false)
  expect(modal.mock.calls[0][0].title).toBe('确认投票')
  expect(modal.mock.calls[0][0].content).toContain('翰岭服务点')
  expect(modal.mock.calls[0][0].content).toContain('粤剧折子戏专场')

  await tap(page, '.vote-btn')
  await waitFor(() => page.data.items[0].voted)
  const post = req.calls.find((c) => c.method === 'POST')
  expect(post.path).toBe('/api/v1/menu/items/1/votes')
  expect(post.data).toEqual({ unit_id: 76 })
  expect(post.header.Authorization || post.header.authorization).toBe('Bearer test-token')
  expect(texts(page, '.item-votes')).toEqual(['这里已有 5 票', '这里已有 0 票'])
  expect(texts(page, '.vote-btn')).toEqual(['已投票', '投票'])
  expect(toast.mock.calls.pop()[0].title).toBe('投票成功')

  // a refresh keeps 已投票 for this visit (the server's count includes the vote)
  req.mockRestore()
  const again = stubRequest({ 'GET /api/v1/menu/items': { data: { items: [item({ votes: 5 })] } } })
  const stop = spyWx('stopPullDownRefresh').mockImplementation(() => {})
  await page.instance.onPullDownRefresh()
  expect(menuCalls(again).length).toBe(1)
  expect(stop).toHaveBeenCalled()
  expect(text(page, '.item-votes')).toBe('这里已有 5 票')
  expect(text(page, '.vote-btn')).toBe('已投票')
})

test('already voted shows as 已投票 with the server’s message; other refusals show the message', async () => {
  signedIn()
  wx.setStorageSync('ch_my_unit', { id: 10, name: '福田区文化馆梅林分馆', short_name: '梅林分馆' })
  const toast = spyWx('showToast').mockImplementation(() => {})
  const modal = stubModal([true, true, { confirm: true }])
  const req = stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'GET /api/v1/menu/items': { data: { items: [item(), item({ id: 2, title: '已下架的项目' })] } },
    'POST /api/v1/menu/items/1/votes': apiError(409, 'already_voted', '您已经为这个项目投过票'),
    'POST /api/v1/menu/items/2/votes': apiError(404, 'not_found', '该菜单项目不存在')
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.vote-btn')
  await waitFor(() => page.data.items[0].voted)
  expect(toast.mock.calls.pop()[0]).toMatchObject({ title: '您已经为这个项目投过票', icon: 'none' })
  expect(texts(page, '.vote-btn')).toEqual(['已投票', '投票'])
  expect(text(page, '.item-votes')).toBe('这里已有 4 票')

  page.querySelectorAll('.vote-btn')[1].dispatchEvent('tap')
  await waitFor(() => modal.mock.calls.length === 3)
  expect(modal.mock.calls[2][0]).toMatchObject({ title: '未能投票', content: '该菜单项目不存在' })
  // the list is reloaded after an unknown item
  await waitFor(() => menuCalls(req).length === 2)
})

test('no point chosen yet: asks for one, and the choice becomes 我的分馆', async () => {
  const req = stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'GET /api/v1/menu/items': { data: { items: [] } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.units.length)
  expect(page.data.status).toBe('empty')
  expect(text(page, '.unit-value')).toBe('请选择分馆或服务点 ▾')
  expect(text(page, '.state')).toBe('请先在上面选择您常去的分馆或服务点')
  expect(menuCalls(req).length).toBe(0)
  page.querySelector('.unit-picker').dispatchEvent('change', { detail: { value: 2 } })
  await waitFor(() => menuCalls(req).length === 1 && page.data.status === 'empty')
  expect(menuCalls(req)[0].query).toEqual({ unit_id: '76' })
  expect(text(page, '.unit-value')).toBe('梅林分馆 · 翰岭服务点 ▾')
  expect(text(page, '.state')).toMatch(/暂时还没有节目/)
  expect(storage().ch_my_unit).toEqual({ id: 76, name: '福田区文化馆翰岭服务点', short_name: '翰岭服务点' })
})

test('opened from a venue card: that venue, public (no sign-in); errors can be retried', async () => {
  const req = stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'GET /api/v1/menu/items': [apiError(503, 'service_unavailable', '服务繁忙，请稍后再试'), { data: { items: [item()] } }]
  })
  wx.setStorageSync('ch_my_unit', { id: 76, name: '福田区文化馆翰岭服务点', short_name: '翰岭服务点' })
  const page = loadPage(ROUTE, { query: { unit_id: '10', unit_name: encodeURIComponent('梅林分馆') } })
  await waitFor(() => page.data.status === 'error')
  expect(menuCalls(req)[0].query).toEqual({ unit_id: '10' })
  expect(menuCalls(req)[0].header.Authorization).toBeUndefined()
  expect(text(page, '.state')).toMatch(/服务繁忙/)
  expect(text(page, '.unit-value')).toBe('梅林分馆 ▾')
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.item-title')).toBe('粤剧折子戏专场')
})

test('in English: periods, votes and the vote button are in English', async () => {
  require('../../src/utils/i18n').setLang('en')
  signedIn()
  wx.setStorageSync('ch_my_unit', { id: 76, name: '福田区文化馆翰岭服务点', short_name: '翰岭服务点' })
  stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'GET /api/v1/menu/items': { data: { items: [item(), item({ id: 2, title: '非遗剪纸讲座', period_start: '2026-11-01', period_end: '2027-01-31', votes: 0 })] } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && page.data.units.length)
  expect(texts(page, '.item-period')).toEqual(['Available: 1 Mar 2026 to 30 Jun', 'Available: 1 Nov 2026 to 31 Jan 2027'])
  expect(texts(page, '.item-votes')).toEqual(['Votes here: 4', 'Votes here: 0'])
  expect(texts(page, '.vote-btn')).toEqual(['Vote', 'Vote'])
})
