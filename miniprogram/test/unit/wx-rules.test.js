// The test doubles of wx.* refuse what WeChat refuses (test/helpers/wx-rules.js), and the app's
// sources only name pages WeChat can open the way they open them.
const fs = require('fs')
const path = require('path')
const { SRC, rules, spyWx, resetStorage, storage } = require('../helpers/mp')

const appJson = JSON.parse(fs.readFileSync(path.join(SRC, 'app.json'), 'utf8'))
const TABS = appJson.tabBar.list.map((t) => t.pagePath)

function files(dir, ext, out) {
  out = out || []
  fs.readdirSync(dir, { withFileTypes: true }).forEach((d) => {
    const p = path.join(dir, d.name)
    if (d.isDirectory()) files(p, ext, out)
    else if (ext.some((e) => p.endsWith(e))) out.push(p)
  })
  return out
}

afterEach(() => {
  rules.take() // the refusals below are on purpose
  resetStorage()
})

test('showModal: confirmText and cancelText of more than 4 characters are refused (fail, no modal)', () => {
  const fail = jest.fn()
  const success = jest.fn()
  wx.showModal({ title: '评价活动', content: 'x', confirmText: '去我的预约', success, fail })
  expect(fail).toHaveBeenCalledWith(expect.objectContaining({ errMsg: expect.stringMatching(/confirmText/) }))
  expect(success).not.toHaveBeenCalled()
  wx.showModal({ title: 't', cancelText: '以后再说吧' })
  expect(rules.take()).toEqual([expect.stringMatching(/confirmText/), expect.stringMatching(/cancelText/)])
  // a test's own stub is guarded too
  const stub = spyWx('showModal').mockImplementation((o) => o.success({ confirm: true }))
  const ok = jest.fn()
  wx.showModal({ title: 't', confirmText: '去我的预约', success: ok })
  expect(ok).not.toHaveBeenCalled()
  expect(stub).toHaveBeenCalled()
  expect(rules.take()).toHaveLength(1)
  wx.showModal({ title: 't', confirmText: '去查看', success: ok })
  expect(ok).toHaveBeenCalled()
})

test('showToast with an icon: at most 7 characters; showLoading likewise; unknown icons refused', () => {
  wx.showToast({ title: '已登记 12 人', icon: 'success' })
  wx.showToast({ title: '一二三四五六七八' }) // the default icon is success
  wx.showToast({ title: '已登记 12 人，共 30 人', icon: 'none' })
  wx.showToast({ title: '好', icon: 'ok' })
  wx.showLoading({ title: '正在加载活动名单…' })
  wx.showLoading({ title: '正在加载…' })
  const refused = rules.take()
  expect(refused).toHaveLength(4)
  expect(refused.join('\n')).toMatch(/已登记 12 人/)
  expect(refused.join('\n')).toMatch(/unknown icon/)
})

test('navigation: registered pages only, never a tab page with navigateTo, switchTab only to tab pages without a query', () => {
  wx.navigateTo({ url: '/pages/checkin/self?scene=s%3D1' })
  wx.navigateTo({ url: '/pages/nowhere/index' })
  wx.navigateTo({ url: '/pages/bookings/index' })
  wx.redirectTo({ url: '/pages/home/index' })
  wx.switchTab({ url: '/pages/booking/detail?id=1' })
  wx.switchTab({ url: '/pages/bookings/index?tab=past' })
  wx.switchTab({ url: '/pages/bookings/index' })
  wx.reLaunch({ url: '/pages/me/index' })
  const refused = rules.take()
  expect(refused).toEqual([
    expect.stringMatching(/pages\/nowhere\/index" is not found/),
    expect.stringMatching(/navigateTo a tabbar page/),
    expect.stringMatching(/redirectTo a tabbar page/),
    expect.stringMatching(/no-tabBar page/),
    expect.stringMatching(/takes no query/)
  ])
})

test('storage: one key at most 1 MB, everything at most 10 MB; size reported in KB', () => {
  const big = 'x'.repeat(1024 * 1024)
  expect(() => wx.setStorageSync('big', big)).toThrow(/entry size limit/)
  const chunk = 'y'.repeat(1000 * 1000)
  for (let i = 0; i < 10; i++) wx.setStorageSync('k' + i, chunk)
  expect(() => wx.setStorageSync('k10', chunk)).toThrow(/10 MB/)
  wx.setStorageSync('k0', 'small') // replacing a key frees its old size
  wx.setStorageSync('k10', chunk)
  const info = wx.getStorageInfoSync()
  expect(info.limitSize).toBe(10240)
  expect(info.currentSize).toBeGreaterThan(9000)
  expect(Object.keys(storage())).toHaveLength(11)
})

test('vibrateShort needs its type; requestSubscribeMessage takes at most 3 templates', () => {
  wx.vibrateShort({})
  wx.vibrateShort({ type: 'heavy' })
  wx.requestSubscribeMessage({ tmplIds: ['a', 'b', 'c', 'd'] })
  expect(rules.take()).toEqual([expect.stringMatching(/type/), expect.stringMatching(/at most 3/)])
})

test('every page a source file opens is registered, tab pages only through switchTab', () => {
  const problems = []
  files(SRC, ['.js', '.wxml']).forEach((f) => {
    const src = fs.readFileSync(f, 'utf8')
    const re = /(navigateTo|redirectTo|switchTab|reLaunch)\(\{\s*url:\s*'([^'{]+)'|url="(\/pages\/[^"{]+)"|data-url="(\/pages\/[^"{]+)"/g
    let m
    while ((m = re.exec(src))) {
      const api = m[1] || 'navigateTo'
      const url = m[2] || m[3] || m[4]
      if (url.endsWith('/')) continue // a prefix completed at run time (checked by the page's tests)
      const p = url.split('?')[0].replace(/^\//, '')
      const where = path.relative(SRC, f) + ': ' + api + ' ' + url
      if (!rules.registered.has(p)) problems.push(where + ' — not registered in app.json')
      else if (api === 'switchTab' && !TABS.includes(p)) problems.push(where + ' — not a tab page')
      else if (api !== 'switchTab' && api !== 'reLaunch' && TABS.includes(p)) problems.push(where + ' — a tab page needs switchTab')
    }
  })
  expect(problems).toEqual([])
})

test('every page the server sends people to (subscribe messages, venue codes, console sign-in) is registered', () => {
  const server = path.resolve(SRC, '../../server/src')
  const named = new Set()
  files(server, ['.rs']).forEach((f) => {
    const src = fs.readFileSync(f, 'utf8')
    for (const m of src.matchAll(/"(pages\/[a-z_]+\/[a-z_]+)/g)) named.add(m[1])
  })
  expect([...named].sort()).toEqual(expect.arrayContaining(['pages/booking/detail', 'pages/checkin/self', 'pages/console/confirm']))
  expect([...named].filter((p) => !rules.registered.has(p))).toEqual([])
})

test('the app\'s tests stub wx.* through spyWx (so WeChat\'s limits apply), never a bare jest.spyOn', () => {
  const bare = files(path.join(__dirname, '..'), ['.js'])
    .filter((f) => !f.endsWith('wx-rules.test.js') && !f.includes('helpers'))
    .filter((f) => /jest\.spyOn\(wx,/.test(fs.readFileSync(f, 'utf8')))
    .map((f) => path.relative(path.join(__dirname, '..'), f))
  expect(bare).toEqual([])
})
