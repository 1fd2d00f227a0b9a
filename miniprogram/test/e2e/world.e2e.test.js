/**
 * @jest-environment ./test/helpers/jsdom-fetch-env.js
 */
// English error messages and share posters against the real server (D110, D111).
const fs = require('fs')
const os = require('os')
const path = require('path')
const mp = require('../helpers/mp')
const { startStack } = require('../helpers/server')
const { createWxRequest } = require('../helpers/wx-request-fetch')
const { shoot } = require('../helpers/screenshot')

const { SRC, spyWx, loadPage, waitFor, text } = mp
const config = require(path.join(SRC, 'config'))
const format = require(path.join(SRC, 'utils/format'))
const request = require(path.join(SRC, 'utils/request'))
const i18n = require(path.join(SRC, 'utils/i18n'))
const poster = require(path.join(SRC, 'utils/poster'))

const MEILIN = 10
let stack
let published
let draft
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-poster-'))

function inDays(n, clock) {
  return format.addDays(format.chinaDate(), n) + 'T' + clock + ':00+08:00'
}

beforeAll(async () => {
  stack = await startStack()
  config.baseUrl = stack.baseUrl
  const admin = await stack.admin('o-world-admin')
  const body = (title) => ({
    title: title,
    kind: 'lecture',
    organizer_unit_id: MEILIN,
    booking_mode: 'fcfs',
    sessions: [{ unit_id: MEILIN, starts_at: inDays(5, '19:30'), ends_at: inDays(5, '21:00'), capacity: 20 }]
  })
  published = await stack.createActivity(admin, body('海报测试讲座'))
  draft = await stack.createActivity(admin, body('草稿'), false)
}, 90000)

afterAll(async () => {
  fs.rmSync(tmp, { recursive: true, force: true })
  if (stack) await stack.stop()
})

beforeEach(() => {
  mp.resetStorage()
  wx.request = createWxRequest(__node)
  // wx.downloadFile, as WeChat does it: the body in a temp file, the status beside it
  wx.downloadFile = function (o) {
    __node.fetch(o.url).then(
      async (res) => {
        const file = path.join(tmp, 'dl-' + Date.now() + '.png')
        fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()))
        o.success({ statusCode: res.status, tempFilePath: file })
      },
      (e) => o.fail({ errMsg: 'downloadFile:fail ' + e.message })
    )
  }
  if (typeof wx.getAppBaseInfo !== 'function') wx.getAppBaseInfo = function () { return {} }
})

function phoneIn(language) {
  spyWx('getAppBaseInfo').mockImplementation(() => ({ language: language, fontSizeSetting: 17, theme: 'light' }))
}

test('an English phone gets the server’s error in English, a Chinese phone in Chinese; the code is the same', async () => {
  spyWx('showToast').mockImplementation(() => {})
  phoneIn('en_US')
  const en = await request.call('activity', { params: { id: 999999 }, showError: false }).catch((e) => e)
  expect(en.code).toBe('not_found')
  expect(en.message).toBe('It does not exist.')
  phoneIn('zh_CN')
  const zh = await request.call('activity', { params: { id: 999999 }, showError: false }).catch((e) => e)
  expect(zh.code).toBe('not_found')
  expect(zh.message).toBe('该活动不存在')
  // The choice on 我的 wins over the phone's language.
  i18n.setLang('en')
  const chosen = await request.call('activity', { params: { id: 999999 }, showError: false }).catch((e) => e)
  expect(chosen.message).toBe('It does not exist.')
})

test('the poster of a published activity downloads as a 750×1334 PNG; a draft has none', async () => {
  const file = await poster.download('activity', published.id)
  const png = fs.readFileSync(file)
  expect(png.slice(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n')
  // IHDR: width and height, big-endian, at bytes 16–23
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([750, 1334])
  await expect(poster.download('activity', draft.id)).rejects.toThrow('poster 404')
  const unit = fs.readFileSync(await poster.download('unit', MEILIN))
  expect(unit.readUInt32BE(16)).toBe(750)
})

// Screens for docs/miniprogram.md (MP_SCREENSHOTS=1): 我的 in English, and the server's real
// poster shown in the poster sheet.
test('我的 in English and the poster sheet, rendered', async () => {
  phoneIn('en')
  spyWx('setNavigationBarTitle').mockImplementation(() => {})
  if (typeof wx.setTabBarItem !== 'function') wx.setTabBarItem = function () {}
  spyWx('setTabBarItem').mockImplementation(() => {})
  const me = loadPage('pages/me/index')
  expect(text(me, '.lang-en')).toBe('English')
  expect(me.data.lang).toBe('en')
  shoot(me, 'english-me', { height: 1700 })

  phoneIn('zh_CN')
  if (typeof wx.showShareMenu !== 'function') wx.showShareMenu = function () {}
  const page = loadPage('pages/activity/detail', { query: { id: String(published.id) } })
  await waitFor(() => page.data.status === 'ok', 10000)
  const file = await poster.download('activity', published.id)
  page.setData({ posterPath: file })
  expect(page.querySelector('.poster-save')).toBeTruthy()
  // The service's poster as it comes (the phone writes the text on its blank panel).
  if (process.env.MP_SCREENSHOTS === '1') {
    fs.copyFileSync(file, path.join(__dirname, '../../../docs/img/miniprogram/poster-service.png'))
  }
})
