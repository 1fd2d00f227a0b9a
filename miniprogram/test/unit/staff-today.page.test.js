// pages/staff/today — today's sessions with live counts and the roster.
const path = require('path')
const { SRC, loadPage, waitFor, text, texts, tap, stubRequest, apiError, signedIn, resetStorage } = require('../helpers/mp')
const fx = require('../helpers/fixtures')
const format = require(path.join(SRC, 'utils/format'))

const ROUTE = 'pages/staff/today'
const QUERY = { unit_id: '10', unit_name: encodeURIComponent('梅林分馆') }
const today = format.chinaDate()
const at = (day, clock) => new Date(Date.parse(day + 'T' + clock + ':00+08:00')).toISOString()

function staffItem(extra) {
  return Object.assign({ id: 1, title: '书法公开课', kind: 'lecture', status: 'published', organizer_unit_id: 10, organizer_name: '梅林分馆', first_start: at(today, '19:30'), booked: 8, capacity: 20 }, extra || {})
}

function detail(id, title, sessions, extra) {
  return { data: { activity: fx.activity(Object.assign({ id: id, title: title }, extra || {}), sessions), my_bookings: [] } }
}

beforeEach(() => {
  resetStorage()
  signedIn({ roles: [{ grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '梅林分馆' }] })
})

test('today’s sessions in time order, with booked / admitted / walk-ins; the roster; scan opens the scan page', async () => {
  const req = stubRequest({
    'GET /api/v1/manage/activities': { data: { items: [
      staffItem(),
      staffItem({ id: 2, title: '广场舞', first_start: at(today, '09:00'), capacity: null }),
      staffItem({ id: 3, title: '下周讲座', first_start: at(format.addDays(today, 7), '10:00') }),
      staffItem({ id: 4, title: '合唱课（8 课时）', first_start: at(format.addDays(today, -14), '19:00') })
    ] } },
    'GET /api/v1/activities/1': detail(1, '书法公开课', [fx.session({ id: 11, starts_at: at(today, '19:30'), ends_at: at(today, '21:00'), room: '书画室' })]),
    'GET /api/v1/activities/2': detail(2, '广场舞', [fx.session({ id: 21, starts_at: at(today, '09:00'), ends_at: at(today, '10:00'), capacity: null, room: '' })], { booking_mode: 'none' }),
    'GET /api/v1/activities/4': detail(4, '合唱课（8 课时）', [
      fx.session({ id: 41, lesson_no: 1, starts_at: at(format.addDays(today, -14), '19:00'), ends_at: at(format.addDays(today, -14), '20:30') }),
      fx.session({ id: 43, lesson_no: 3, starts_at: at(today, '14:00'), ends_at: at(today, '15:30') })
    ], { is_course: true }),
    'GET /api/v1/sessions/11/checkin/stats': { data: { session_id: 11, capacity: 20, booked: 8, admitted: 5, walk_ins: 0, open_conflicts: 1 } },
    'GET /api/v1/sessions/21/checkin/stats': { data: { session_id: 21, capacity: null, booked: 0, admitted: 0, walk_ins: 37, open_conflicts: 0 } },
    'GET /api/v1/sessions/43/checkin/stats': apiError(403, 'forbidden', '没有权限'),
    'GET /api/v1/sessions/11/bookings': { data: { session_id: 11, capacity: 20, booked: 2, waitlisted: 1, checked_in: 1, items: [
      { booking_id: 1, name: '王*', is_family_member: false, status: 'confirmed', waitlist_position: null, checked_in_at: at(today, '19:12') },
      { booking_id: 2, name: '小*', is_family_member: true, status: 'confirmed', waitlist_position: null, checked_in_at: null },
      { booking_id: 3, name: '李*', is_family_member: false, status: 'waitlisted', waitlist_position: 1, checked_in_at: null }
    ] } }
  })
  const nav = jest.spyOn(wx, 'navigateTo').mockImplementation(() => {})
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok' && page.data.updatedAt)
  expect(req.calls[0].query).toEqual({ unit_id: '10', status: 'published' })
  expect(req.calls.some((c) => c.path === '/api/v1/activities/3')).toBe(false) // next week: not fetched
  expect(texts(page, '.session-title')).toEqual(['广场舞', '合唱课（8 课时）', '书法公开课'])
  expect(texts(page, '.session-time')).toEqual(['09:00–10:00', '14:00–15:30', '19:30–21:00'])
  expect(texts(page, '.count-walkins')).toEqual(['37', '—', '0'])
  expect(texts(page, '.count-admitted')).toEqual(['0', '—', '5'])
  expect(text(page, '.conflicts')).toBe('离线签到冲突 1 条待核对')
  page.querySelectorAll('.roster-btn')[2].dispatchEvent('tap')
  await waitFor(() => page.data.sessions[2].roster)
  expect(text(page, '.roster-summary')).toBe('预约 2 人 · 候补 1 人 · 已签到 1 人')
  expect(texts(page, '.roster-name')).toEqual(['王*', '小*（家庭成员）', '李*'])
  expect(texts(page, '.roster-status')).toEqual(['已预约', '已预约', '候补第 1 位'])
  expect(texts(page, '.roster-checked')).toEqual(['已签到 19:12', '未签到', '未签到'])
  page.querySelectorAll('.scan-btn')[2].dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  expect(nav.mock.calls[0][0].url).toMatch(/^\/pages\/volunteer\/scan\?session_id=11&/)
  page.detach()
})

test('counts refresh every 30 seconds while shown, and stop when hidden', async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] })
  try {
    const config = require(path.join(SRC, 'config'))
    const page = (() => {
      stubRequest({
        'GET /api/v1/manage/activities': { data: { items: [staffItem()] } },
        'GET /api/v1/activities/1': detail(1, '书法公开课', [fx.session({ id: 11, starts_at: at(today, '19:30'), ends_at: at(today, '21:00') })]),
        'GET /api/v1/sessions/11/checkin/stats': [{ data: { session_id: 11, booked: 8, admitted: 5, walk_ins: 0, open_conflicts: 0 } }, { data: { session_id: 11, booked: 8, admitted: 7, walk_ins: 0, open_conflicts: 0 } }]
      })
      return loadPage(ROUTE, { query: QUERY })
    })()
    for (let i = 0; i < 20 && !(page.data.sessions[0] && page.data.sessions[0].stats); i++) await jest.advanceTimersByTimeAsync(10)
    expect(text(page, '.count-admitted')).toBe('5')
    await jest.advanceTimersByTimeAsync(config.liveRefreshMs + 10)
    expect(text(page, '.count-admitted')).toBe('7')
    page.instance.onHide()
    expect(page.instance.timer).toBeNull()
    page.detach()
  } finally {
    jest.useRealTimers()
  }
})

test('no sessions today; an error with a retry', async () => {
  stubRequest({ 'GET /api/v1/manage/activities': [{ data: { items: [] } }, apiError(403, 'forbidden', '没有权限查看这个单位')] })
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'empty')
  expect(text(page, '.state >>> .state-text')).toBe('今天没有活动')
  await page.instance.onPullDownRefresh().catch(() => {})
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('没有权限查看这个单位')
  page.detach()
})
