// pages/teams/register (登记团队) and pages/teams/lead (团队管理: the leader's code, recruiting,
// join requests, hand-over, 预约场地 with the team preselected in pages/roombook).
const { loadPage, waitFor, text, texts, stubRequest, stubModal, spyWx, apiError, resetStorage, agreedPrivacy, signedIn } = require('../helpers/mp')

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
  signedIn()
})

const tree = [{
  unit: { id: 1, name: '福田区文化馆', short_name: '区文化馆', level: 'center' },
  children: [{
    unit: { id: 10, name: '梅林分馆', short_name: '梅林分馆', level: 'branch' },
    children: [{ unit: { id: 101, name: '梅林一村服务点', short_name: '梅林一村', level: 'point' }, children: [] }]
  }]
}]

const card = (id, name, extra) => Object.assign({
  id, name, genre: '合唱', unit_id: 10, unit_name: '梅林分馆', description: '', rehearsal_time: '每周三 19:00',
  recruiting: false, members: 3, photos: []
}, extra)
const mine = (status, extra) => ({
  data: {
    items: [Object.assign({
      team: card(5, '梅林合唱团'), status, decline_reason: '', role: 'leader', family_member_id: null,
      invite_code: 'ABCD2345', pending_requests: 1
    }, extra)]
  }
})
const requests = (items) => ({ data: { items } })
const members = {
  data: {
    items: [
      { user_id: 1, family_member_id: null, name: '王*', role: 'leader', joined_at: '2026-11-01T00:00:00Z' },
      { user_id: 2, family_member_id: null, name: '李*', role: 'member', joined_at: '2026-11-02T00:00:00Z' },
      { user_id: 3, family_member_id: 9, name: '李**', role: 'member', joined_at: '2026-11-02T00:00:00Z' }
    ]
  }
}

test('register a team: every unit of the network, the fixed genres, checks before sending', async () => {
  const req = stubRequest({
    'GET /api/v1/org/tree': { data: tree },
    'POST /api/v1/teams': [apiError(409, 'team_name_taken', '这个场馆已有同名团队'), { data: { id: 5, status: 'pending', invite_code: 'ABCD2345' } }]
  })
  const redirect = spyWx('redirectTo')
  const page = loadPage('pages/teams/register')
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.unitLabels).toEqual(['区文化馆', '梅林分馆', '梅林一村'])
  expect(page.data.genreLabels).toEqual(['合唱', '舞蹈', '戏曲', '器乐', '书画', '摄影', '朗诵', '其他'])
  expect(text(page, '.reg-unit-value')).toBe('请选择')

  await page.instance.onSubmit()
  expect(text(page, '.reg-error')).toBe('请选择所在场馆')
  page.querySelector('.reg-unit').dispatchEvent('change', { detail: { value: 2 } })
  await waitFor(() => page.data.unitIndex === 2)
  expect(text(page, '.reg-unit-value')).toBe('梅林一村')
  await page.instance.onSubmit()
  expect(text(page, '.reg-error')).toBe('请填写团队名称')
  page.querySelector('.reg-name').dispatchEvent('input', { detail: { value: ' 梅林合唱团 ' } })
  await waitFor(() => page.data.name === ' 梅林合唱团 ')
  await page.instance.onSubmit()
  expect(text(page, '.reg-error')).toBe('请选择门类')
  page.querySelector('.reg-genre').dispatchEvent('change', { detail: { value: 0 } })
  page.querySelector('.reg-rehearsal').dispatchEvent('input', { detail: { value: '每周三 19:00' } })
  page.querySelector('.reg-description').dispatchEvent('input', { detail: { value: '退休教师合唱团' } })
  await waitFor(() => page.data.genreIndex === 0 && page.data.description === '退休教师合唱团')
  expect(text(page, '.reg-genre-value')).toBe('合唱')

  await page.instance.onSubmit() // the service refuses: its message under the form
  expect(text(page, '.reg-error')).toBe('这个场馆已有同名团队')
  await page.instance.onSubmit()
  const posts = req.calls.filter((c) => c.method === 'POST')
  expect(posts[1].data).toEqual({ unit_id: 101, name: '梅林合唱团', genre: '合唱', description: '退休教师合唱团', rehearsal_time: '每周三 19:00' })
  expect(redirect.mock.calls[0][0].url).toBe('/pages/teams/mine')
})

test('genres show in English but the Chinese name is sent', async () => {
  require('../../src/utils/i18n').setLang('en')
  stubRequest({ 'GET /api/v1/org/tree': { data: tree } })
  const page = loadPage('pages/teams/register')
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.genreLabels[1]).toBe('Dance')
  expect(text(page, '.reg-submit')).toBe('Register')
  require('../../src/utils/i18n').setLang('zh-CN')
})

test('我的团队 links to 登记团队 and, for the leader, to 团队管理', async () => {
  stubRequest({ 'GET /api/v1/me/teams': mine('pending') })
  const nav = spyWx('navigateTo')
  const page = loadPage('pages/teams/mine')
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.team-status')).toBe('待审核')
  page.querySelector('.register').dispatchEvent('tap')
  page.querySelector('.team-lead').dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 2)
  expect(nav.mock.calls.map((c) => c[0].url)).toEqual(['/pages/teams/register', '/pages/teams/lead?id=5'])
})

test('a declined team shows the reason on 我的团队', async () => {
  stubRequest({ 'GET /api/v1/me/teams': mine('declined', { decline_reason: '请补充排练场地' }) })
  const page = loadPage('pages/teams/mine')
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.team-status')).toBe('未通过')
  expect(text(page, '.team-reason')).toBe('未通过原因：请补充排练场地')
})

test('the leader replaces the code, opens recruiting, accepts a request and books a room for the team', async () => {
  const req = stubRequest({
    'GET /api/v1/me/teams': mine('verified'),
    'GET /api/v1/teams/5/join-requests': [
      requests([{ id: 8, team_id: 5, team_name: '梅林合唱团', name: '赵*', message: '想学合唱', status: 'pending', created_at: '2026-12-01T10:00:00Z' }]),
      requests([])
    ],
    'GET /api/v1/teams/5/members': members,
    'POST /api/v1/teams/5/invite-code': { data: { invite_code: 'WXYZ6789' } },
    'POST /api/v1/teams/5/recruiting': { data: { ok: true } },
    'POST /api/v1/teams/5/join-requests/8/decide': { data: { ok: true } }
  })
  const modal = stubModal([false, true])
  const nav = spyWx('navigateTo')
  const page = loadPage('pages/teams/lead', { query: { id: '5' } })
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.tl-name')).toBe('梅林合唱团')
  expect(text(page, '.tl-status')).toBe('已认证')
  expect(text(page, '.tl-code')).toBe('ABCD2345')
  expect(texts(page, '.tl-request-name')).toEqual(['赵*'])
  expect(text(page, '.tl-request-message')).toBe('想学合唱')
  expect(texts(page, '.tl-member-name')).toEqual(['王*', '李*', '李**'])
  // only adult members other than me may take over
  expect(page.data.heirLabels).toEqual(['李*'])

  await page.instance.onResetCode() // cancelled: nothing sent
  expect(req.calls.filter((c) => c.method === 'POST')).toHaveLength(0)
  await page.instance.onResetCode()
  await waitFor(() => text(page, '.tl-code') === 'WXYZ6789')
  expect(modal.mock.calls[0][0].confirmText).toBe('更换')

  page.querySelector('.tl-recruiting').dispatchEvent('change', { detail: { value: true } })
  await waitFor(() => page.data.team.recruiting === true)
  expect(req.calls.find((c) => c.path.endsWith('/recruiting')).data).toEqual({ recruiting: true })

  page.querySelector('.tl-accept').dispatchEvent('tap')
  await waitFor(() => text(page, '.tl-no-requests') === '暂无待处理的申请')
  expect(req.calls.find((c) => c.path.endsWith('/decide')).data).toEqual({ accept: true })

  page.querySelector('.tl-book').dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  expect(nav.mock.calls[0][0].url).toBe('/pages/rooms/index?unit_id=10&name=' + encodeURIComponent('梅林分馆') + '&team_id=5')
})

test('a failed recruiting change puts the switch back', async () => {
  stubRequest({
    'GET /api/v1/me/teams': mine('verified'),
    'GET /api/v1/teams/5/join-requests': requests([]),
    'GET /api/v1/teams/5/members': members,
    'POST /api/v1/teams/5/recruiting': apiError(409, 'team_not_verified', '团队通过认证后才能招新')
  })
  stubModal([true])
  const page = loadPage('pages/teams/lead', { query: { id: '5' } })
  await waitFor(() => page.data.status === 'ok')
  await page.instance.onRecruiting({ detail: { value: true } })
  expect(page.data.team.recruiting).toBe(false)
})

test('hand over to an adult member after asking; a pending team has no recruiting or booking', async () => {
  const req = stubRequest({
    'GET /api/v1/me/teams': mine('pending'),
    'GET /api/v1/teams/5/join-requests': requests([]),
    'GET /api/v1/teams/5/members': members,
    'POST /api/v1/teams/5/hand-over': { data: { ok: true } }
  })
  const modal = stubModal([true])
  const redirect = spyWx('redirectTo')
  const page = loadPage('pages/teams/lead', { query: { id: '5' } })
  await waitFor(() => page.data.status === 'ok')
  expect(page.querySelector('.tl-recruiting')).toBeFalsy()
  expect(page.querySelector('.tl-book')).toBeFalsy()
  expect(text(page, '.tl-unverified')).toBe('场馆审核通过后才能招新和预约场地')
  await page.instance.onHandOver()
  expect(modal.mock.calls[0][0].content).toBe('确定把负责人移交给 李* 吗？移交后您仍是团队成员。')
  expect(req.calls.find((c) => c.method === 'POST').data).toEqual({ user_id: 2 })
  expect(redirect.mock.calls[0][0].url).toBe('/pages/teams/mine')
})

test('not my team to lead: a clear message', async () => {
  stubRequest({ 'GET /api/v1/me/teams': mine('verified', { role: 'member', invite_code: null }) })
  const page = loadPage('pages/teams/lead', { query: { id: '5' } })
  await waitFor(() => page.data.status === 'error')
  expect(page.data.message).toBe('您不是这个团队的负责人')
})

test('rooms hand the team on; roombook has it picked', async () => {
  const everyDay = [1, 2, 3, 4, 5, 6, 7].map((d) => ({ weekday: d, opens: '09:00', closes: '21:00' }))
  const room = {
    id: 3, unit_id: 10, name: '排练厅', kind: '排练厅', capacity: 40, facilities: [], accessibility: '', description: '',
    bookable_by: 'residents', auto_confirm: false,
    rules: { book_ahead_days: 14, max_slot_minutes: 120, weekly_hours_per_team: 6, cancel_hours_before: 24 },
    hours: everyDay, photos: [], closed_at: null
  }
  const st = (id, name) => ({ team_id: id, team_name: name, no_shows: 0, limit: 3, window_days: 90, suspended_until: null })
  stubRequest({
    'GET /api/v1/org/units/10/rooms/busy': { data: { from: '', to: '', rooms: [room], busy: [] } },
    'GET /api/v1/me/room-bookings': { data: { items: [], standing: [st(null, null), st(4, '小荷舞蹈队'), st(5, '梅林合唱团')] } }
  })
  const nav = spyWx('navigateTo')
  const rooms = loadPage('pages/rooms/index', { query: { unit_id: '10', team_id: '5' } })
  await waitFor(() => rooms.data.status === 'ok')
  rooms.querySelector('.room-book').dispatchEvent('tap')
  await waitFor(() => nav.mock.calls.length === 1)
  expect(nav.mock.calls[0][0].url).toBe('/pages/roombook/index?room_id=3&unit_id=10&team_id=5')

  const book = loadPage('pages/roombook/index', { query: { room_id: '3', unit_id: '10', team_id: '5' } })
  await waitFor(() => book.data.status === 'ok')
  expect(book.data.bookerLabels).toEqual(['团队：小荷舞蹈队', '团队：梅林合唱团', '我自己'])
  expect(book.data.bookerIndex).toBe(1)
})

test('the invitation as a link: the leader shares a card that opens 我的团队 with the code filled in', async () => {
  stubRequest({
    'GET /api/v1/me/teams': mine('verified'),
    'GET /api/v1/teams/5/join-requests': requests([]),
    'GET /api/v1/teams/5/members': members
  })
  const lead = loadPage('pages/teams/lead', { query: { id: '5' } })
  await waitFor(() => lead.data.status === 'ok')
  expect(lead.querySelector('.tl-share')).toBeTruthy()
  const share = lead.instance.onShareAppMessage()
  expect(share).toEqual({ title: '邀请你加入梅林合唱团', path: '/pages/teams/mine?code=ABCD2345' })
  const page = loadPage('pages/teams/mine', { query: { code: 'ABCD2345' } })
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.code).toBe('ABCD2345')
})
