// components/bar-chart — bars drawn with plain views.
const { loadComponent, texts, simulate } = require('../helpers/mp')

const ROUTE = 'components/bar-chart/index'

test('one row per item, the bar as long as value / max (clamped), the words beside it', async () => {
  const c = loadComponent(ROUTE, {
    items: [
      { key: 'a', label: '梅林分馆', value: 4.5, max: 5, text: '4.5 分', tone: 'good' },
      { key: 'b', label: '讲座', value: 30, max: 20, text: '30 / 20 场' },
      { key: 'c', label: '空', value: 3, max: 0 }
    ]
  })
  await simulate.sleep(0)
  expect(texts(c, '.bar-label')).toEqual(['梅林分馆', '讲座', '空'])
  expect(texts(c, '.bar-text')).toEqual(['4.5 分', '30 / 20 场', '3'])
  expect(c.data.rows.map((r) => r.percent)).toEqual([90, 100, 0])
  const fills = c.querySelectorAll('.bar-fill')
  expect(fills[0].dom.className).toContain('bar-good')
  expect(fills[1].dom.className).toContain('bar-main')
  expect(fills[0].dom.getAttribute('style')).toMatch(/width:\s*90%/)
})

test('empty: says so; new items redraw', async () => {
  const c = loadComponent(ROUTE, { items: [], emptyText: '还没有居民评价' })
  await simulate.sleep(0)
  expect(texts(c, '.chart-empty')).toEqual(['还没有居民评价'])
  c.setData({ items: [{ label: '回复率', value: 50, max: 100, text: '50%' }] })
  await simulate.sleep(0)
  expect(texts(c, '.bar-label')).toEqual(['回复率'])
  expect(c.querySelector('.chart-empty')).toBeUndefined()
})
