// pages/roombook/index (预约场地) and pages/roombookings/index (我的场地预约); the 预约 button
// on pages/rooms/index.
const { loadPage, waitFor, text, texts, stubRequest, stubModal, spyWx, apiError, resetStorage, agreedPrivacy, signedIn } = require('../helpers/mp')

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
  signedIn()
})

const everyDay = [1, 2, 3, 4, 5, 6, 7].map((d) => ({ weekday: d, opens: '09:00', closes: '21:00' }))
const room = (id, name, extra) => Object.assign({
  id, unit_id: 10, name, kind: '排练厅', capacity: 40, facilities: [], accessibility: '', description: '',
  bookable_by: 'teams', auto_confirm: false,
  rules: { book_ahead_days: 14, max_slot_minutes: 120, weekly_hours_per_team: 6, cancel_hours_before: 24 },
  hours: everyDay, photos: [], closed_at: null
}, extra)
const busy = (rooms) => ({ data: { from: '', to: '', rooms, busy: [] } })
const standing = (extra) => ({ data: { items: [], standing: [{ team_id: null, team_name: null, no_shows: 0, limit: 3, window_days: 90, suspended_until: null }].concat(extra || []) } })

test('rooms show 预约 where bookable and link to my room bookings', async () => {
  stubRequest({ 'GET /api/v1/org/units/10/rooms/busy': busy([room(3, '排练厅'), room(4, '琴房', { bookable_by: 'residents' }), room(5, '仓库', { bookable_by: 'none' })]) })
  const nav = spyWx('navigateTo')
  const page = loadPage('pages/rooms/index', { query: { unit_id: '10' } })
  await waitFor(() => page.data.status === 'ok')
  expect(texts(page, '.room-book')).toEqual(['团队预约', '预约'])
  page.querySelectorAll('.room-book')[1].dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  expect(nav.mock.calls[0][0].url).toBe('/pages/roombook/index?room_id=4&unit_id=10')
  page.querySelector('.rm-mine').dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 2)
  expect(nav.mock.calls[1][0].url).toBe('/pages/roombookings/index')
})

test('a team leader books a slot: quarter hours inside the day, up to the longest slot', async () => {
  const req = stubRequest({
    'GET /api/v1/org/units/10/rooms/busy': busy([room(3, '排练厅')]),
    'GET /api/v1/me/room-bookings': standing([{ team_id: 7, team_name: '红荔合唱团', no_shows: 0, limit: 3, window_days: 90, suspended_until: null }]),
    'POST /api/v1/room-bookings': { data: { id: 1, status: 'pending' } }
  })
  const redirect = spyWx('redirectTo')
  const page = loadPage('pages/roombook/index', { query: { room_id: '3', unit_id: '10' } })
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.rb-room')).toBe('排练厅')
  expect(text(page, '.rb-rules')).toBe('每次最多 120 分钟；每个团队每周最多 6 小时；开始前 24 小时可取消')
  // a teams-only room: only the team to book for
  expect(page.data.bookerLabels).toEqual(['团队：红荔合唱团'])
  expect(page.data.days).toHaveLength(14)
  expect(page.data.starts[0]).toBe('09:00')
  expect(page.data.starts[page.data.starts.length - 1]).toBe('20:30')
  page.querySelector('.rb-start').dispatchEvent('change', { detail: { value: 40 } }) // 19:00
  await waitFor(() => page.data.startIndex === 40)
  expect(page.data.ends).toEqual(['19:30', '19:45', '20:00', '20:15', '20:30', '20:45', '21:00'])
  page.querySelector('.rb-end').dispatchEvent('change', { detail: { value: 6 } })
  page.querySelector('.rb-purpose').dispatchEvent('input', { detail: { value: '合唱排练' } })
  await waitFor(() => page.data.endIndex === 6 && page.data.purpose === '合唱排练')
  page.querySelector('.rb-submit').dispatchEvent('tap')
  await waitFor(() => redirect.mock.calls.length === 1)
  const post = req.calls.find((c) => c.method === 'POST')
  const day = page.data.days[0].date
  expect(post.data).toEqual({ room_id: 3, team_id: 7, starts_at: day + 'T19:00:00+08:00', ends_at: day + 'T21:00:00+08:00', purpose: '合唱排练' })
  expect(redirect.mock.calls[0][0].url).toBe('/pages/roombookings/index')
})

test('a resident without a team cannot book a teams-only room', async () => {
  stubRequest({
    'GET /api/v1/org/units/10/rooms/busy': busy([room(3, '排练厅')]),
    'GET /api/v1/me/room-bookings': standing()
  })
  const page = loadPage('pages/roombook/index', { query: { room_id: '3', unit_id: '10' } })
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('该场地只接受已认证团队预约，请由团队负责人预约')
})

test('a refusal keeps the form and shows the service message', async () => {
  stubRequest({
    'GET /api/v1/org/units/10/rooms/busy': busy([room(4, '琴房', { bookable_by: 'residents' })]),
    'GET /api/v1/me/room-bookings': standing(),
    'POST /api/v1/room-bookings': apiError(409, 'room_clash', '该场地在这段时间已有安排')
  })
  const toast = spyWx('showToast')
  const modal = stubModal([true])
  const page = loadPage('pages/roombook/index', { query: { room_id: '4', unit_id: '10' } })
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.bookerLabels).toEqual(['我自己'])
  page.querySelector('.rb-submit').dispatchEvent('tap')
  await waitFor(() => page.data.submitting === false && (toast.mock.calls.length + modal.mock.calls.length) > 0)
  const shown = JSON.stringify(toast.mock.calls.concat(modal.mock.calls))
  expect(shown).toContain('该场地在这段时间已有安排')
  expect(page.data.status).toBe('ok')
})

const booking = (extra) => Object.assign({
  id: 1, room_id: 3, room_name: '排练厅', unit_id: 10, unit_name: '红荔服务点', team_id: 7, team_name: '红荔合唱团',
  starts_at: '2099-12-05T11:00:00Z', ends_at: '2099-12-05T13:00:00Z', purpose: '', status: 'confirmed', decline_reason: '',
  checked_in_at: null, no_show: false, no_show_waived_at: null, no_show_waive_reason: '', can_cancel: true,
  cancel_until: '2099-12-04T11:00:00Z', created_at: ''
}, extra)

test('my room bookings: status, decline reason, team standing, check-in with the room code', async () => {
  const req = stubRequest({
    'GET /api/v1/me/room-bookings': [
      { data: { items: [booking(), booking({ id: 2, status: 'declined', decline_reason: '区级调演彩排', can_cancel: false, team_name: null, team_id: null })], standing: [{ team_id: 7, team_name: '红荔合唱团', no_shows: 1, limit: 3, window_days: 90, suspended_until: null }] } },
      { data: { items: [booking({ checked_in_at: '2099-12-05T10:55:00Z', can_cancel: false })], standing: [] } }
    ],
    'POST /api/v1/room-bookings/1/checkin': { data: { result: 'admitted', message: '签到成功，祝排练顺利', booking: booking() } }
  })
  spyWx('scanCode').mockImplementation((o) => setTimeout(() => o.success({ path: 'pages/rooms/index?scene=r%3D3', scanType: 'WX_CODE' }), 0))
  const page = loadPage('pages/roombookings/index')
  await waitFor(() => page.data.status === 'ok')
  expect(texts(page, '.rbs-status')).toEqual(['已确认', '未通过'])
  expect(texts(page, '.rbs-who')).toEqual(['红荔合唱团', '我自己'])
  expect(text(page, '.rbs-reason')).toBe('区级调演彩排')
  expect(text(page, '.rbs-standing')).toBe('红荔合唱团：90 天内爽约 1 次（满 3 次暂停预约）')
  expect(page.querySelectorAll('.rbs-cancel')).toHaveLength(1)
  page.querySelector('.rbs-checkin').dispatchEvent('tap')
  await waitFor(() => req.calls.some((c) => c.path === '/api/v1/room-bookings/1/checkin'))
  expect(req.calls.find((c) => c.path === '/api/v1/room-bookings/1/checkin').data).toEqual({ room_id: 3 })
  await waitFor(() => req.calls.filter((c) => c.method === 'GET').length === 2)
  await waitFor(() => texts(page, '.rbs-status')[0] === '已签到')
  expect(page.querySelectorAll('.rbs-checkin')).toHaveLength(0)
})

test('opened from the door code (scene r=<room>): the one booking that can check in here is checked in', async () => {
  const req = stubRequest({
    'GET /api/v1/me/room-bookings': [
      { data: { items: [booking(), booking({ id: 2, room_id: 9, room_name: '琴房' })], standing: [] } },
      { data: { items: [booking({ checked_in_at: '2099-12-05T10:55:00Z', can_cancel: false })], standing: [] } }
    ],
    'POST /api/v1/room-bookings/1/checkin': { data: { result: 'admitted', message: '签到成功，祝排练顺利', booking: booking() } }
  })
  const toast = spyWx('showToast')
  const page = loadPage('pages/roombookings/index', { query: { scene: 'r%3D3' } })
  await waitFor(() => req.calls.some((c) => c.method === 'POST'))
  expect(req.calls.find((c) => c.method === 'POST')).toMatchObject({ path: '/api/v1/room-bookings/1/checkin', data: { room_id: 3 } })
  await waitFor(() => texts(page, '.rbs-status')[0] === '已签到')
  expect(toast.mock.calls.map((c) => c[0].title)).toContain('签到成功，祝排练顺利')
})

test('opened from the door code of a room without a booking of mine: says so, checks nothing in', async () => {
  const req = stubRequest({ 'GET /api/v1/me/room-bookings': { data: { items: [booking()], standing: [] } } })
  const toast = spyWx('showToast')
  loadPage('pages/roombookings/index', { query: { scene: 'r%3D8' } })
  await waitFor(() => toast.mock.calls.length === 1)
  expect(toast.mock.calls[0][0].title).toBe('这间场地现在没有您可签到的预约')
  expect(req.calls.filter((c) => c.method === 'POST')).toHaveLength(0)
})

test('cancelling asks first, then frees the slot', async () => {
  const req = stubRequest({
    'GET /api/v1/me/room-bookings': [
      { data: { items: [booking()], standing: [] } },
      { data: { items: [booking({ status: 'cancelled', can_cancel: false })], standing: [] } }
    ],
    'POST /api/v1/room-bookings/1/cancel': { data: booking({ status: 'cancelled' }) }
  })
  const modal = stubModal([false, true])
  const page = loadPage('pages/roombookings/index')
  await waitFor(() => page.data.status === 'ok')
  page.querySelector('.rbs-cancel').dispatchEvent('tap')
  await waitFor(() => modal.mock.calls.length === 1)
  await new Promise((r) => setTimeout(r, 10))
  expect(req.calls.filter((c) => c.method === 'POST')).toHaveLength(0)
  page.querySelector('.rbs-cancel').dispatchEvent('tap')
  await waitFor(() => texts(page, '.rbs-status')[0] === '已取消')
  expect(req.calls.filter((c) => c.method === 'POST')).toHaveLength(1)
})

test('in English', async () => {
  const i18n = require('../../src/utils/i18n')
  i18n.setLang('en')
  try {
    stubRequest({ 'GET /api/v1/me/room-bookings': { data: { items: [booking({ no_show: true, can_cancel: false })], standing: [] } } })
    const page = loadPage('pages/roombookings/index')
    await waitFor(() => page.data.status === 'ok')
    expect(texts(page, '.rbs-status')).toEqual(['No-show'])
    expect(page.querySelectorAll('.rbs-cancel')).toHaveLength(0)
    expect(text(page, '.rbs-who')).toBe('红荔合唱团')
  } finally {
    i18n.setLang('zh-CN')
  }
})
