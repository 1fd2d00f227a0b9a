// 生成海报 and sharing on the activity page (D111): the service's poster is downloaded, the text is
// written on it, and saving to the album handles a refused permission.
const { loadPage, waitFor, tap, stubRequest, stubModal, resetStorage, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')
const poster = require('../../src/utils/poster')

const ROUTE = 'pages/activity/detail'

function open() {
  stubRequest({ 'GET /api/v1/activities/1': { data: { activity: fx.activity(), my_bookings: [] } } })
  const page = loadPage(ROUTE, { query: { id: '1' } })
  return page
}

// simulate's wx lacks these; the tests stub them, as WeChat would answer.
;['saveImageToPhotosAlbum', 'openSetting', 'canvasToTempFilePath', 'showShareMenu', 'hideLoading'].forEach(function (n) {
  if (typeof wx[n] !== 'function') wx[n] = function () {}
})

beforeEach(() => {
  resetStorage()
  spyWx('setNavigationBarTitle').mockImplementation(() => {})
})

test('the layout wraps a long title into the panel and keeps every line on the poster', () => {
  const lines = poster.layout({
    title: '梅林社区合唱入门：从呼吸到和声的十二堂课（零基础）',
    time: '12月5日（周六）19:30–21:00',
    place: '梅林分馆 · 多功能厅',
    unit: '主办：梅林分馆',
    footer: '微信扫码查看详情、预约'
  })
  const title = lines.filter((l) => l.bold)
  expect(title.length).toBe(2)
  expect(title.map((l) => l.text).join('')).toBe('梅林社区合唱入门：从呼吸到和声的十二堂课（零基础）')
  lines.forEach((l) => {
    expect(l.y).toBeLessThan(poster.HEIGHT)
    if (!l.center) {
      expect(l.x).toBeGreaterThanOrEqual(poster.PANEL.x)
      expect(l.y).toBeLessThan(poster.PANEL.y + poster.PANEL.h)
    }
  })
  expect(lines.map((l) => l.text)).toEqual(expect.arrayContaining(['梅林分馆 · 多功能厅', '主办：梅林分馆']))
  expect(poster.wrap('一二三四五六七八九十', 3, 2)).toEqual(['一二三', '四五…'])
})

test('an activity is shared to a chat and to Moments with its page', async () => {
  const menu = spyWx('showShareMenu').mockImplementation(() => {})
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  expect(menu).toHaveBeenCalledWith(expect.objectContaining({ menus: ['shareAppMessage', 'shareTimeline'] }))
  const chat = page.instance.onShareAppMessage()
  expect(chat.path).toBe('/pages/activity/detail?id=1')
  expect(chat.title).toBe(fx.activity().title)
  const moments = page.instance.onShareTimeline()
  expect(moments).toEqual({ title: fx.activity().title, query: 'id=1' })
})

test('生成海报 downloads the service poster, writes the text and shows it', async () => {
  spyWx('showShareMenu').mockImplementation(() => {})
  const download = spyWx('downloadFile').mockImplementation((o) => {
    setTimeout(() => o.success({ statusCode: 200, tempFilePath: 'wxfile://tmp/poster.png' }), 0)
  })
  const compose = jest.spyOn(poster, 'compose').mockImplementation(() => Promise.resolve('wxfile://tmp/composed.png'))
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.poster-btn')
  await waitFor(() => page.data.posterPath)
  expect(download.mock.calls[0][0].url).toMatch(/\/api\/v1\/activities\/1\/poster\.png$/)
  const lines = compose.mock.calls[0][3].map((l) => l.text)
  expect(lines).toContain(fx.activity().title)
  expect(page.data.posterPath).toBe('wxfile://tmp/composed.png')
  expect(page.querySelector('.poster-image')).toBeTruthy()
  compose.mockRestore()
})

test('without a canvas the service poster itself is shown; a failed download says so', async () => {
  spyWx('showShareMenu').mockImplementation(() => {})
  const download = spyWx('downloadFile').mockImplementation((o) => {
    setTimeout(() => o.success({ statusCode: 200, tempFilePath: 'wxfile://tmp/raw.png' }), 0)
  })
  const page = open()
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.poster-btn')
  await waitFor(() => page.data.posterPath)
  expect(page.data.posterPath).toBe('wxfile://tmp/raw.png')
  page.instance.onClosePoster()
  download.mockImplementation((o) => setTimeout(() => o.success({ statusCode: 404, tempFilePath: '' }), 0))
  const toast = spyWx('showToast')
  await tap(page, '.poster-btn')
  await waitFor(() => toast.mock.calls.length > 0)
  expect(toast.mock.calls[0][0].title).toBe('海报生成失败')
  expect(page.data.posterPath).toBe('')
})

test('saving asks for the album permission again after a refusal, through the settings page', async () => {
  const saveSpy = spyWx('saveImageToPhotosAlbum')
  saveSpy
    .mockImplementationOnce((o) => setTimeout(() => o.fail({ errMsg: 'saveImageToPhotosAlbum:fail auth deny' }), 0))
    .mockImplementationOnce((o) => setTimeout(() => o.success({ errMsg: 'saveImageToPhotosAlbum:ok' }), 0))
  const modal = stubModal([true])
  spyWx('openSetting').mockImplementation((o) => setTimeout(() => o.success({ authSetting: { 'scope.writePhotosAlbum': true } }), 0))
  const toast = spyWx('showToast')
  await expect(poster.save('wxfile://p.png')).resolves.toBe('saved')
  expect(modal.mock.calls[0][0].confirmText).toBe('去设置')
  expect(saveSpy).toHaveBeenCalledTimes(2)
  expect(toast.mock.calls[0][0].title).toBe('已保存')

  // Declined in the modal: nothing more happens.
  saveSpy.mockImplementationOnce((o) => setTimeout(() => o.fail({ errMsg: 'saveImageToPhotosAlbum:fail auth denied' }), 0))
  stubModal([false])
  await expect(poster.save('wxfile://p.png')).resolves.toBe('denied')
  // The person cancelled the system dialog.
  saveSpy.mockImplementationOnce((o) => setTimeout(() => o.fail({ errMsg: 'saveImageToPhotosAlbum:fail cancel' }), 0))
  await expect(poster.save('wxfile://p.png')).resolves.toBe('cancelled')
})
