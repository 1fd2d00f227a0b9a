// components/scan-result — the full-screen answer after a scan.
const { loadComponent, text, texts, tap, simulate } = require('../helpers/mp')

const ROUTE = 'components/scan-result/index'
const VIEW = { tone: 'green', title: '核验通过', detail: '王*（本人）', lines: ['本票可入场 1 人'], tags: ['家庭成员'], offline: false, canRetry: false, checkinId: 7 }

test('hidden until shown; then one colour, the big word, the line, the counts', async () => {
  const c = loadComponent(ROUTE, { show: false, view: VIEW })
  await simulate.sleep(0)
  expect(c.querySelector('.overlay')).toBeUndefined()
  c.setData({ show: true, counts: { admitted: 3, booked: 20 } })
  await simulate.sleep(0)
  expect(c.querySelector('.overlay').dom.className).toContain('tone-green')
  expect(text(c, '.result-title')).toBe('核验通过')
  expect(text(c, '.result-detail')).toBe('王*（本人）')
  expect(texts(c, '.result-tag')).toEqual(['家庭成员'])
  expect(texts(c, '.result-line')).toEqual(['本票可入场 1 人'])
  expect(text(c, '.result-counts')).toBe('已入场 3 人 / 预约 20 人')
  expect(c.querySelector('.offline-badge')).toBeUndefined()
  expect(c.querySelector('.result-undo')).toBeUndefined()
  expect(c.querySelector('.result-retry')).toBeUndefined()
})

test('undo, retry, next and close are events for the page', async () => {
  const c = loadComponent(ROUTE, { show: true, view: Object.assign({}, VIEW, { canRetry: true }), undoable: true })
  const got = []
  ;['next', 'retry', 'undo', 'close'].forEach((name) => c.addEventListener(name, (e) => got.push([name, e.detail])))
  await tap(c, '.result-undo')
  await tap(c, '.result-retry')
  await tap(c, '.result-next')
  await tap(c, '.result-close')
  expect(got).toEqual([['undo', { checkinId: 7 }], ['retry', {}], ['next', {}], ['close', {}]])
})

test('offline answers carry the 离线核验 badge; amber and red screens', async () => {
  const c = loadComponent(ROUTE, { show: true, view: { tone: 'amber', title: '已入场', detail: '本机已核验 10:05', lines: [], tags: [], offline: true } })
  await simulate.sleep(0)
  expect(text(c, '.offline-badge')).toBe('离线核验')
  expect(c.querySelector('.overlay').dom.className).toContain('tone-amber')
  c.setData({ view: { tone: 'red', title: '已取消', detail: '这张票对应的预约已取消，不能入场', lines: [], tags: [], offline: false } })
  await simulate.sleep(0)
  expect(c.querySelector('.overlay').dom.className).toContain('tone-red')
  expect(text(c, '.result-title')).toBe('已取消')
})
