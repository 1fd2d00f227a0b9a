// app.js, app.json and the config: the tab bar, every page registered, privacy listener.
const fs = require('fs')
const path = require('path')
const { SRC, loadApp, spyWx } = require('../helpers/mp')

const appJson = JSON.parse(fs.readFileSync(path.join(SRC, 'app.json'), 'utf8'))

test('tab bar: 首页, 活动, 我的预约, 我的 — with icons under 40 KB', () => {
  expect(appJson.tabBar.list.map((t) => t.text)).toEqual(['首页', '活动', '我的预约', '我的'])
  appJson.tabBar.list.forEach((t) => {
    expect(appJson.pages).toContain(t.pagePath)
    ;[t.iconPath, t.selectedIconPath].forEach((icon) => {
      expect(fs.statSync(path.join(SRC, icon)).size).toBeLessThan(40 * 1024)
    })
  })
})

test('every registered page has its four files, and every page folder is registered', () => {
  appJson.pages.forEach((p) => {
    ;['.js', '.json', '.wxml', '.wxss'].forEach((ext) => expect(fs.existsSync(path.join(SRC, p + ext))).toBe(true))
  })
  const onDisk = []
  fs.readdirSync(path.join(SRC, 'pages')).forEach((dir) => {
    fs.readdirSync(path.join(SRC, 'pages', dir)).filter((f) => f.endsWith('.js')).forEach((f) => onDisk.push('pages/' + dir + '/' + f.replace(/\.js$/, '')))
  })
  expect(onDisk.sort()).toEqual(appJson.pages.slice().sort())
})

test('the pages the server links to in its messages exist (pages/booking/detail, pages/activity/detail)', () => {
  expect(appJson.pages).toContain('pages/booking/detail')
  expect(appJson.pages).toContain('pages/activity/detail')
})

test('location is declared with its purpose (required for wx.getLocation)', () => {
  expect(appJson.requiredPrivateInfos).toContain('getLocation')
  expect(appJson.permission['scope.userLocation'].desc).toMatch(/最近/)
})

test('on launch the app answers WeChat privacy checks with its own dialog', () => {
  const on = spyWx('onNeedPrivacyAuthorization').mockImplementation(() => {})
  const app = loadApp()
  app.onLaunch()
  expect(on).toHaveBeenCalledWith(expect.any(Function))
})

test('one template id per subscribe-message kind the server knows', () => {
  const config = require(path.join(SRC, 'config'))
  expect(Object.keys(config.subscribeTemplates).sort()).toEqual(
    ['activity_changed', 'booking_confirmed', 'demand_update', 'lottery_result', 'session_reminder', 'waitlist_promoted']
  )
})

test('no text smaller than 30rpx anywhere, body text 32rpx and up (accessibility for elderly residents)', () => {
  const small = []
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).forEach((d) => {
    const p = path.join(dir, d.name)
    if (d.isDirectory()) return walk(p)
    if (!p.endsWith('.wxss')) return
    const css = fs.readFileSync(p, 'utf8')
    const re = /font-size:\s*(?:calc\()?(\d+)rpx/g
    let m
    while ((m = re.exec(css))) if (Number(m[1]) < 30) small.push(path.relative(SRC, p) + ': ' + m[0])
  })
  walk(SRC)
  // body text is ≥ 32rpx by design; 30rpx only for small tags next to larger text
  expect(small).toEqual([])
})
