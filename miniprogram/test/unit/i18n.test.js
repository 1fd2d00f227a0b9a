// English as a second language of the UI (D112).
const fs = require('fs')
const path = require('path')
const { loadPage, waitFor, text, tap, stubRequest, resetStorage, storage, spyWx } = require('../helpers/mp')
const i18n = require('../../src/utils/i18n')

const SRC = path.join(__dirname, '..', '..', 'src')
const app = JSON.parse(fs.readFileSync(path.join(SRC, 'app.json'), 'utf8'))
const HAN = /[\u3400-\u9fff]/

function withLanguage(language) {
  return spyWx('getAppBaseInfo').mockImplementation(() => ({ language: language, fontSizeSetting: 17, theme: 'light' }))
}

beforeEach(() => {
  resetStorage()
  if (typeof wx.getAppBaseInfo !== 'function') wx.getAppBaseInfo = function () { return {} }
  if (typeof wx.setTabBarItem !== 'function') wx.setTabBarItem = function () {}
})

test('the English and Chinese catalogues have the same keys and no empty text', () => {
  const zh = Object.keys(i18n.CATALOG['zh-CN']).sort()
  const en = Object.keys(i18n.CATALOG.en).sort()
  expect(en).toEqual(zh)
  Object.keys(i18n.CATALOG).forEach((l) => {
    Object.entries(i18n.CATALOG[l]).forEach(([k, v]) => {
      expect([l, k, typeof v === 'string' && v.length > 0]).toEqual([l, k, true])
    })
  })
  // English has no Chinese left in it, except where a language names itself.
  Object.entries(i18n.CATALOG.en)
    .filter(([k]) => k !== 'lang_name_zh' && k !== 'me_language')
    .forEach(([k, v]) => expect([k, HAN.test(v)]).toEqual([k, false]))
})

test('every page outside NOT_YET has no hard-coded Chinese in its WXML', () => {
  const pages = app.pages.concat(
    (app.subpackages || []).flatMap((sp) => sp.pages.map((p) => sp.root.replace(/\/$/, '') + '/' + p))
  )
  i18n.NOT_YET.forEach((p) => expect(pages).toContain(p)) // no stale entries
  const translated = pages.filter((p) => i18n.NOT_YET.indexOf(p) < 0)
  expect(translated).toContain('pages/me/index')
  // only staff and volunteer pages may stay Chinese
  expect(i18n.NOT_YET.filter((p) => !/^pages\/(volunteer|staff|console)\//.test(p))).toEqual([])
  translated.forEach((p) => {
    const wxml = fs.readFileSync(path.join(SRC, p + '.wxml'), 'utf8').replace(/<!--[\s\S]*?-->/g, '')
    const hits = wxml.split('\n').filter((line) => HAN.test(line))
    expect([p, hits]).toEqual([p, []])
  })
})

test('the language follows WeChat until one is chosen, and the choice is kept', () => {
  withLanguage('en_US')
  expect(i18n.lang()).toBe('en')
  expect(i18n.header()).toBe('en')
  withLanguage('zh_CN')
  expect(i18n.lang()).toBe('zh-CN')
  expect(i18n.header()).toBe('zh')
  i18n.setLang('en')
  expect(storage[i18n.KEY] !== undefined || wx.getStorageSync(i18n.KEY) === 'en').toBe(true)
  expect(i18n.lang()).toBe('en')
  expect(i18n.t('me_no_shows', { days: 90, count: 1, limit: 3 })).toBe('1 missed sessions in 90 days (booking is suspended at 3)')
  expect(() => i18n.t('no_such_key')).toThrow()
  expect(() => i18n.setLang('fr')).toThrow()
})

test('texts WeChat limits fit in English too (modal buttons ≤ 4, icon toasts ≤ 7)', () => {
  ;['me_save', 'me_ok', 'me_got_it', 'me_sign_out_confirm', 'me_rate_go'].forEach((k) => {
    expect([k, Array.from(i18n.CATALOG.en[k]).length <= 4]).toEqual([k, true])
  })
  ;['ad_ok_waitlist', 'ad_ok_lottery', 'ad_ok_book', 'ad_not_now', 'ad_wait', 'ad_no_thanks', 'ad_handle', 'ad_cancel', 'ad_remind_yes',
    'ad_remind_no', 'ad_cancel_yes', 'ad_cancel_no', 'ad_got_it', 'ad_album_settings', 'bd_cancel_yes', 'bd_cancel_no', 'bd_transfer_make',
    'bd_transfer_no'].forEach((k) => {
    expect([k, Array.from(i18n.CATALOG.en[k]).length <= 4]).toEqual([k, true])
  })
  // icon toasts and loading boxes
  ;['me_saved', 'me_bound', 'me_signed_out', 'ad_cancelled_toast', 'ad_album_saved', 'ad_album_failed', 'bd_cancelled', 'bd_revoked',
    'ad_submitting', 'ad_cancelling', 'ad_loading', 'ad_making', 'bd_finding', 'bd_cancelling', 'bd_making', 'rt_sending'].forEach((k) => {
    expect([k, Array.from(i18n.CATALOG.en[k]).length <= 7]).toEqual([k, true])
  })
})

test('requests tell the service the language', async () => {
  withLanguage('en')
  const req = stubRequest({ 'GET /api/v1/activities': { data: { items: [], page: 1, page_size: 20, has_more: false } } })
  await require('../../src/utils/request').call('activities', { query: {} }).catch(() => {})
  expect(req.calls[0].header['X-Culturehub-Lang']).toBe('en')
})

test('我的 in English on an English phone, and the switch turns the page, title and tab bar to Chinese', async () => {
  withLanguage('en')
  const title = spyWx('setNavigationBarTitle').mockImplementation(() => {})
  const tabs = spyWx('setTabBarItem').mockImplementation(() => {})
  const page = loadPage('pages/me/index')
  await waitFor(() => page.data.lang === 'en')
  expect(text(page, '.title')).toBe('Welcome to Futian Culture Center')
  expect(text(page, '.sign-in')).toBe('Sign in with WeChat')
  expect(text(page, '.large-label')).toBe('Large text')
  expect(title).toHaveBeenLastCalledWith({ title: 'Me' })
  expect(tabs.mock.calls.slice(-4).map((c) => c[0].text)).toEqual(['Home', 'Events', 'Bookings', 'Me'])
  tabs.mockClear()
  await tap(page, '.lang-zh')
  expect(page.data.lang).toBe('zh-CN')
  expect(text(page, '.sign-in')).toBe('微信登录')
  expect(title).toHaveBeenLastCalledWith({ title: '我的' })
  expect(tabs.mock.calls.slice(-4).map((c) => c[0].text)).toEqual(['首页', '活动', '我的预约', '我的'])
  expect(i18n.lang()).toBe('zh-CN') // kept, whatever WeChat's language
})

test('我的消息 in English: title, the empty list; the first tab page shown sets the tab texts', async () => {
  withLanguage('en-GB')
  const title = spyWx('setNavigationBarTitle').mockImplementation(() => {})
  stubRequest({ 'GET /api/v1/me/messages': { data: { items: [], unread: 0 } } })
  require('../helpers/mp').signedIn()
  const page = loadPage('pages/messages/index')
  await waitFor(() => page.data.status === 'empty')
  expect(page.data.message).toBe('No messages yet')
  expect(title).toHaveBeenLastCalledWith({ title: 'My messages' })

  const tabs = spyWx('setTabBarItem').mockImplementation(() => {})
  stubRequest({ 'GET /api/v1/me/bookings': { data: { items: [] } } })
  const bookings = loadPage('pages/bookings/index')
  expect(tabs.mock.calls.slice(0, 4).map((c) => c[0].text)).toEqual(['Home', 'Events', 'Bookings', 'Me'])
  await waitFor(() => bookings.data.status === 'ok')
  expect(text(bookings, '.tab-upcoming')).toBe('Upcoming (0)')
  expect(text(bookings, '.empty-text')).toBe('No upcoming bookings yet')
  expect(title).toHaveBeenLastCalledWith({ title: 'My bookings' })
})

test('现场签到 in English: the headline and buttons; an unreadable code explains itself in English', async () => {
  withLanguage('en')
  spyWx('setNavigationBarTitle').mockImplementation(() => {})
  spyWx('vibrateShort')
  require('../helpers/mp').signedIn()
  stubRequest({
    'POST /api/v1/checkin/self': { data: { result: 'admitted', message: 'Welcome', colour: 'green', checkin_id: 9, holder_masked: '王*', is_family_member: false, is_child: false, party_size: 1, admitted_at: null, admitted_by: null, expected: null, admitted_count: 3, booked_count: 10 } }
  })
  const page = loadPage('pages/checkin/self', { query: { session_id: '42' } })
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.answer-title')).toBe('Checked in')
  expect(text(page, '.done-btn')).toBe('Done')
  const bad = loadPage('pages/checkin/self', { query: {} })
  expect(bad.data.message).toBe('This check-in code cannot be read. Please scan the code posted at the venue again.')
})

test('首页 in English: title, the three views, the empty list and more', async () => {
  withLanguage('en')
  const title = spyWx('setNavigationBarTitle').mockImplementation(() => {})
  spyWx('setTabBarItem').mockImplementation(() => {})
  stubRequest({ 'GET /api/v1/activities': { data: { items: [], has_more: false } } })
  const page = loadPage('pages/home/index')
  expect(text(page, '.hero-title')).toBe('Futian Culture Center')
  expect([text(page, '.tab-mine'), text(page, '.tab-near'), text(page, '.tab-all')]).toEqual(['My branch', 'Nearest', 'All events'])
  expect(title).toHaveBeenLastCalledWith({ title: 'Futian Culture' })
  await waitFor(() => page.data.status === 'empty')
  expect(page.data.message).toBe('No events published yet')
})

test('活动 in English: search, filters, kinds and dates; switching language relabels the living tab page', async () => {
  withLanguage('en')
  spyWx('setNavigationBarTitle').mockImplementation(() => {})
  spyWx('setTabBarItem').mockImplementation(() => {})
  stubRequest({
    'GET /api/v1/org/tree': { data: [] },
    'GET /api/v1/activities': { data: { items: [], has_more: false } }
  })
  const page = loadPage('pages/activities/index')
  expect(text(page, '.search-btn')).toBe('Search')
  expect(page.data.kinds.map((k) => k.label)).toEqual(['All', 'Shows', 'Talks', 'Exhibitions', 'Classes', 'Art groups', 'Other'])
  expect(page.data.dates[1].label).toBe('Today')
  expect(text(page, '.branch-value')).toBe('All branches ▾')
  await waitFor(() => page.data.status === 'empty')
  expect(page.data.message).toBe('No events match. Try another branch, kind or date.')
  i18n.setLang('zh-CN')
  page.instance.applyDisplay()
  expect(page.data.kinds[1].label).toBe('演出')
  expect(page.data.branches[0].label).toBe('全部分馆')
  expect(text(page, '.search-btn')).toBe('搜索')
})

test('every activity kind of config.js has its label in both languages', () => {
  const config = require('../../src/config')
  config.kinds.forEach((k) => {
    expect([k.value, i18n.CATALOG['zh-CN']['kind_' + k.value]]).toEqual([k.value, k.label])
    expect(i18n.CATALOG.en['kind_' + k.value]).toBeTruthy()
  })
})

test('dates, seats, statuses and the shared cards follow the language', async () => {
  const format = require('../../src/utils/format')
  const at = '2099-12-05T11:30:00Z' // Saturday 19:30 in China
  withLanguage('en')
  expect(format.formatRange(at, '2099-12-05T13:00:00Z')).toBe('Sat 5 Dec 19:30–21:00')
  expect(format.seatsText({ booking_mode: 'fcfs', capacity: 20, seats_left: 12 })).toBe('12 places left')
  expect(format.statusText('waitlisted', 2, null)).toBe('Waiting list no. 2')
  expect(format.distanceText(1234)).toBe('1.2 km')
  withLanguage('zh_CN')
  expect(format.formatRange(at, '2099-12-05T13:00:00Z')).toBe('12月5日（周六）19:30–21:00')
  expect(format.seatsText({ booking_mode: 'fcfs', capacity: 20, seats_left: 12 })).toBe('剩余 12 个名额')

  withLanguage('en')
  spyWx('setNavigationBarTitle').mockImplementation(() => {})
  spyWx('setTabBarItem').mockImplementation(() => {})
  const fx = require('../helpers/fixtures')
  stubRequest({ 'GET /api/v1/me/bookings': { data: { items: [fx.booking()] } } })
  require('../helpers/mp').signedIn()
  const page = loadPage('pages/bookings/index')
  await waitFor(() => page.data.status === 'ok')
  const card = page.querySelector('.booking')
  expect(text(card, '.booking-more')).toBe('Details ›')
  expect(text(card, '.booking-attendee')).toMatch(/^For: /)
  expect(text(card, '.booking-status')).toBe('Booked')
})

test('the app’s own request messages follow the language (no signal)', async () => {
  withLanguage('en')
  spyWx('showToast').mockImplementation(() => {})
  spyWx('request').mockImplementation((o) => setTimeout(() => o.fail({ errMsg: 'request:fail timeout' }), 0))
  const err = await require('../../src/utils/request').call('activities', { query: {}, showError: false }).catch((e) => e)
  expect(err.code).toBe('network')
  expect(err.message).toBe('Weak or no network. Please check it and try again.')
})

// Components on resident pages; scan-result (volunteers) and bar-chart (staff statistics) stay Chinese.
const RESIDENT_COMPONENTS = ['activity-card', 'booking-card', 'state-view', 'venue-card', 'privacy-dialog', 'attendee-picker']

test('resident-facing components have no hard-coded Chinese in their WXML and take the language', () => {
  RESIDENT_COMPONENTS.forEach((c) => {
    const wxml = fs.readFileSync(path.join(SRC, 'components', c, 'index.wxml'), 'utf8').replace(/<!--[\s\S]*?-->/g, '')
    expect([c, wxml.split('\n').filter((line) => HAN.test(line))]).toEqual([c, []])
    const js = fs.readFileSync(path.join(SRC, 'components', c, 'index.js'), 'utf8')
    expect([c, /i18n\.behavior/.test(js)]).toEqual([c, true])
  })
})
