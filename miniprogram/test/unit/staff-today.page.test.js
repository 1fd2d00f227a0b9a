// pages/staff/today — today's sessions with live counts and the roster.
const path = require('path')
const { SRC, loadPage, waitFor, text, texts, tap, stubRequest, apiError, signedIn, resetStorage, spyWx } = require('../helpers/mp')
const format = require(path.join(SRC, 'utils/format'))

const ROUTE = 'pages/staff/today'
const QUERY = { unit_id: '10', unit_name: encodeURIComponent('梅林分馆') }
const today = format.chinaDate()
const at = (day, clock) => new Date(Date.parse(day + 'T' + clock + ':00+08:00')).toISOString()

// one item of GET /manage/sessions
function day(id, title, start, end, extra) {
  return Object.assign({
    session_id: id, activity_id: id * 10, title: title, kind: 'lecture', booking_mode: 'fcfs', is_course: false, lesson_no: 1,
    unit_id: 10, unit_name: '梅林分馆', room: '多功能厅', starts_at: at(today, start), ends_at: at(today, end), capacity: 20, booked: 8
  }, extra || {})
}

function list(items, extra) {
  return { data: Object.assign({ date: today, truncated: false, items: items }, extra || {}) }
}

beforeEach(() => {
  resetStorage()
  signedIn({ roles: [{ grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '梅林分馆' }] })
})

test('today’s sessions in time order, with booked / admitted / walk-ins; the roster; scan opens the scan page', async () => {
  const req = stubRequest({
    'GET /api/v1/manage/sessions': list([
      day(21, '广场舞', '09:00', '10:00', { booking_mode: 'none', capacity: null, room: '' }),
      day(43, '合唱课（8 课时）', '14:00', '15:30', { is_course: true, lesson_no: 3 }),
      day(11, '书法公开课', '19:30', '21:00', { room: '书画室' })
    ]),
    'GET /api/v1/sessions/11/checkin/stats': { data: { session_id: 11, capacity: 20, booked: 8, admitted: 5, walk_ins: 0, open_conflicts: 1 } },
    'GET /api/v1/sessions/21/checkin/stats': { data: { session_id: 21, capacity: null, booked: 0, admitted: 0, walk_ins: 37, open_conflicts: 0 } },
    'GET /api/v1/sessions/43/checkin/stats': apiError(403, 'forbidden', '没有权限'),
    'GET /api/v1/sessions/11/bookings': { data: { session_id: 11, capacity: 20, booked: 2, waitlisted: 1, checked_in: 1, questions: ['您的水平', '乐器'], items: [
      { booking_id: 1, name: '王*', is_family_member: false, status: 'confirmed', waitlist_position: null, checked_in_at: at(today, '19:12'), answers: ['初级', '古筝、琵琶'] },
      { booking_id: 2, name: '小*', is_family_member: true, status: 'confirmed', waitlist_position: null, checked_in_at: null, answers: ['中级', ''] },
      { booking_id: 3, name: '李*', is_family_member: false, status: 'waitlisted', waitlist_position: 1, checked_in_at: null, answers: ['', ''] }
    ] } }
  })
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok' && page.data.updatedAt)
  expect(req.calls[0].path).toBe('/api/v1/manage/sessions')
  expect(req.calls[0].query).toEqual({ unit_id: '10', date: today })
  expect(req.calls.filter((c) => c.path.startsWith('/api/v1/activities'))).toHaveLength(0)
  expect(texts(page, '.session-title')).toEqual(['广场舞', '合唱课（8 课时）（第 3 课）', '书法公开课'])
  expect(texts(page, '.session-place')).toEqual(['梅林分馆', '梅林分馆 · 多功能厅', '梅林分馆 · 书画室'])
  expect(text(page, '.stale-note')).toBe('1 场的人数未能刷新') // 43: refused
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
  // Registration questions' answers under each name; unanswered ones are left out.
  expect(texts(page, '.roster-answer')).toEqual(['您的水平：初级', '乐器：古筝、琵琶', '您的水平：中级'])
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
        'GET /api/v1/manage/sessions': list([day(11, '书法公开课', '19:30', '21:00')]),
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
  stubRequest({ 'GET /api/v1/manage/sessions': [list([]), apiError(403, 'forbidden', '没有权限查看这个单位')] })
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'empty')
  expect(text(page, '.state >>> .state-text')).toBe('今天没有活动')
  await page.instance.onPullDownRefresh().catch(() => {})
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('没有权限查看这个单位')
  page.detach()
})

test('a busy unit: every session of the day is listed (not 30 activities), with the server\'s notice when it stops at 500', async () => {
  const many = []
  for (let i = 0; i < 45; i++) many.push(day(100 + i, '活动 ' + i, '08:00', '09:00'))
  stubRequest({ 'GET /api/v1/manage/sessions': list(many, { truncated: true }) }) // counts unanswered here
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  expect(page.querySelectorAll('.session')).toHaveLength(45)
  expect(text(page, '.truncated-note')).toBe('场次太多，只列出了前 500 场')
  page.detach()
})

test('“更新” is the time of the last refresh that answered; failed refreshes say so and keep the old time', async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'], now: Date.parse(at(today, '10:00')) })
  try {
    const config = require(path.join(SRC, 'config'))
    stubRequest({
      'GET /api/v1/manage/sessions': [list([day(11, '书法公开课', '19:30', '21:00')]), { networkError: 'timeout' }],
      'GET /api/v1/sessions/11/checkin/stats': [{ data: { session_id: 11, booked: 8, admitted: 5, walk_ins: 0, open_conflicts: 0 } }, { networkError: 'timeout' }]
    })
    const page = loadPage(ROUTE, { query: QUERY })
    for (let i = 0; i < 20 && !page.data.updatedAt; i++) await jest.advanceTimersByTimeAsync(10)
    expect(text(page, '.updated')).toBe('10:00 更新')
    expect(page.querySelector('.stale-note')).toBeUndefined()
    // every refresh for the next minutes fails: the time stays, and the page says why
    await jest.advanceTimersByTimeAsync(config.liveRefreshMs * 4)
    expect(text(page, '.updated')).toBe('10:00 更新')
    expect(text(page, '.stale-note')).toBe('网络不畅，未能刷新人数，停在 10:00')
    expect(text(page, '.count-admitted')).toBe('5')
    // pulling down with no network keeps today's list
    spyWx('stopPullDownRefresh').mockImplementation(() => {})
    const pulled = page.instance.onPullDownRefresh()
    for (let i = 0; i < 20; i++) await jest.advanceTimersByTimeAsync(10)
    await pulled
    expect(page.data.status).toBe('ok')
    expect(texts(page, '.session-title')).toEqual(['书法公开课'])
    expect(text(page, '.stale-note')).toBe('网络不畅，未能刷新，人数停在 10:00')
    page.detach()
  } finally {
    jest.useRealTimers()
  }
})
