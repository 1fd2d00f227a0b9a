// pages/volunteer/index — 我的志愿服务: today's and coming assignments with 扫码签到, a day
// assignment's sessions, service hours, the offline queue, and applying to volunteer.
const path = require('path')
const { SRC, loadPage, waitFor, text, texts, tap, stubRequest, stubModal, apiError, signedIn, agreedPrivacy, resetStorage, storage, simulate, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')
const format = require(path.join(SRC, 'utils/format'))

const ROUTE = 'pages/volunteer/index'
const VOLUNTEER = [{ grant_id: 2, role: 'volunteer', role_label: '志愿者', unit_id: 10, unit_name: '福田区文化馆梅林分馆' }]
const today = format.chinaDate()
const at = (day, clock) => new Date(Date.parse(day + 'T' + clock + ':00+08:00')).toISOString()

function volunteering() {
  return {
    assignments: [
      { id: 1, user_id: 3, session_id: 11, unit_id: 10, unit_name: '梅林分馆', day: null, title: '书法公开课', starts_at: at(today, '23:00'), ends_at: at(today, '23:50') },
      { id: 2, user_id: 3, session_id: null, unit_id: 76, unit_name: '翰岭服务点', day: today, title: null, starts_at: null, ends_at: null },
      { id: 3, user_id: 3, session_id: 12, unit_id: 10, unit_name: '梅林分馆', day: null, title: '合唱入门', starts_at: at(format.addDays(today, 3), '19:30'), ends_at: at(format.addDays(today, 3), '21:00') },
      { id: 4, user_id: 3, session_id: null, unit_id: 76, unit_name: '翰岭服务点', day: format.addDays(today, -2), title: null, starts_at: null, ends_at: null }
    ],
    hours: {
      user_id: 3, volunteer_masked: '王*', total_hours: 4.5,
      records: [
        { assignment_id: 9, session_id: 5, unit_name: '梅林分馆', title: '粤剧欣赏', day: '2026-11-20', scans: 12, minutes: 150 },
        { assignment_id: 1, session_id: 11, unit_name: '梅林分馆', title: '书法公开课', day: today, scans: 0, minutes: 0 }
      ]
    }
  }
}

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
})

test('signed out: asks to sign in', async () => {
  const page = loadPage(ROUTE)
  expect(page.data.status).toBe('empty')
  expect(text(page, '.state >>> .state-text')).toMatch(/登录后查看您的志愿服务/)
})

test('today and coming days, service hours; 扫码签到 opens the session’s scan page', async () => {
  signedIn({ roles: VOLUNTEER })
  const req = stubRequest({ 'GET /api/v1/me': { data: fx.me({ roles: VOLUNTEER }) }, 'GET /api/v1/me/volunteer': { data: volunteering() } })
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && page.data.today.length)
  expect(texts(page, '.today-item .assignment-title')).toEqual(['书法公开课', '翰岭服务点全天值守'])
  expect(text(page, '.today-item .assignment-when')).toMatch(/23:00–23:50$/)
  expect(texts(page, '.later-item .assignment-title')).toEqual(['合唱入门']) // the past day assignment is gone
  expect(text(page, '.hours-num')).toBe('4.5')
  expect(texts(page, '.record-hours')).toEqual(['2.5 小时', '未开始'])
  await tap(page, '.scan-btn')
  const url = nav.mock.calls[0][0].url
  expect(url).toMatch(/^\/pages\/volunteer\/scan\?session_id=11&title=%E4%B9%A6/)
  expect(decodeURIComponent(url)).toContain('unit=梅林分馆')
  expect(req.calls.every((c) => c.header.Authorization === 'Bearer test-token')).toBe(true)
})

test('a day assignment lists that unit’s sessions of the day, each with 扫码签到', async () => {
  signedIn({ roles: VOLUNTEER })
  const req = stubRequest({
    'GET /api/v1/me': { data: fx.me({ roles: VOLUNTEER }) },
    'GET /api/v1/me/volunteer': { data: volunteering() },
    'GET /api/v1/activities': { data: { items: [fx.browseItem({ session_id: 31, title: '社区广场舞', unit_name: '翰岭服务点', starts_at: at(today, '19:00'), ends_at: at(today, '20:30') })], page: 1, page_size: 50, has_more: false } }
  })
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && page.data.today.length)
  await tap(page, '.day-btn')
  await waitFor(() => page.data.days[2] && page.data.days[2].status === 'ok')
  expect(req.calls.find((c) => c.path === '/api/v1/activities').query).toEqual({ unit_id: '76', date_from: today, date_to: today, page_size: '50' })
  expect(text(page, '.day-session .text')).toBe('社区广场舞')
  await tap(page, '.day-scan')
  expect(nav.mock.calls[0][0].url).toMatch(/session_id=31/)
  await tap(page, '.day-btn')
  expect(page.data.days[2]).toBeNull()
})

test('offline check-ins waiting: 待同步 N 条, synced on show and with 立即同步', async () => {
  signedIn({ roles: VOLUNTEER })
  wx.setStorageSync('ch_checkin_queue', [{ session_id: 11, nonce: 'n1', token: 'A'.repeat(43), scanned_at: new Date().toISOString() }])
  spyWx('showToast').mockImplementation(() => {})
  const req = stubRequest({
    'GET /api/v1/me': { data: fx.me({ roles: VOLUNTEER }) },
    'GET /api/v1/me/volunteer': { data: volunteering() },
    'POST /api/v1/sessions/11/checkin/sync': [{ networkError: 'offline' }, { networkError: 'offline' }, { data: { answers: [{ result: 'admitted' }] } }]
  })
  const page = loadPage(ROUTE)
  expect(text(page, '.pending-text')).toBe('待同步 1 条离线签到')
  await waitFor(() => req.calls.filter((c) => c.path.endsWith('/checkin/sync')).length === 2 && !page.data.syncing)
  expect(page.data.pendingCount).toBe(1) // still offline
  await tap(page, '.sync-btn')
  await waitFor(() => page.data.pendingCount === 0)
  expect(page.querySelector('.pending-notice')).toBeUndefined()
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已同步 1 条' }))
})

test('not a volunteer yet: apply to a branch or service point', async () => {
  signedIn()
  const req = stubRequest({
    'GET /api/v1/me': { data: fx.me() },
    'GET /api/v1/org/tree': { data: fx.TREE },
    'POST /api/v1/volunteers/applications': [apiError(422, 'validation_failed', '单位无效'), { data: { ok: true } }]
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok' && page.data.units.length)
  expect(page.data.units.map((u) => u.label)).toEqual(['少儿艺术分馆', '梅林分馆', '梅林分馆 · 翰岭服务点'])
  expect(text(page, '.apply .title')).toBe('成为志愿者')
  page.querySelector('.unit-picker').dispatchEvent('change', { detail: { value: 2 } })
  page.querySelector('.apply-note').dispatchEvent('input', { detail: { value: '退休教师，周末有空' } })
  await simulate.sleep(0)
  await tap(page, '.apply-btn')
  await waitFor(() => page.data.applyError)
  expect(text(page, '.apply-error')).toBe('单位无效')
  await tap(page, '.apply-btn')
  await waitFor(() => page.data.applied)
  expect(req.calls.filter((c) => c.method === 'POST').pop().data).toEqual({ unit_id: 76, note: '退休教师，周末有空' })
  expect(text(page, '.applied')).toBe('申请已提交，请等待审核。')
})

test('an error loading shows the message and a retry', async () => {
  signedIn({ roles: VOLUNTEER })
  const req = stubRequest({ 'GET /api/v1/me': [apiError(500, 'internal', '服务暂时不可用'), { data: fx.me({ roles: VOLUNTEER }) }], 'GET /api/v1/me/volunteer': { data: { assignments: [], hours: null } } })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('服务暂时不可用')
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.no-today')).toBe('今天没有安排。')
  expect(req.calls.length).toBe(3)
})

test('with a signal, today’s offline list downloads by itself and the session says so', async () => {
  signedIn({ roles: VOLUNTEER })
  const now = Date.now()
  const v = volunteering()
  v.assignments[0].starts_at = new Date(now - 60000).toISOString() // under way: today, whatever the hour
  v.assignments[0].ends_at = new Date(now + 3600000).toISOString()
  const req = stubRequest({
    'GET /api/v1/me': { data: fx.me({ roles: VOLUNTEER }) },
    'GET /api/v1/me/volunteer': { data: v },
    'GET /api/v1/sessions/11/checkin-list': { data: { session_id: 11, title: '书法公开课', starts_at: v.assignments[0].starts_at, ends_at: v.assignments[0].ends_at, expires_at: new Date(now + 7200000).toISOString(), entries: [{ ticket_hash: 'a'.repeat(64), holder_masked: '王*', is_family_member: false }] } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.today.length && page.data.today[0].listText)
  expect(text(page, '.list-ready')).toBe('离线名单已下载（1 人），没有信号也能核验')
  expect(storage().ch_checkin_list_11.entries).toHaveLength(1)
  // the assignments were asked for once; the later session (in 3 days) has no list yet
  expect(req.calls.filter((c) => c.path === '/api/v1/me/volunteer')).toHaveLength(1)
  expect(req.calls.filter((c) => c.path.endsWith('/checkin-list')).map((c) => c.path)).toEqual(['/api/v1/sessions/11/checkin-list'])
})
