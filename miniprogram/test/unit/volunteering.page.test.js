// pages/volunteer/shifts, teams, certificate (issue 16): opportunities with places left and
// sign-up (a full shift says so), my shifts with hours and withdrawing, the skills profile,
// team recruiting, the certificate drawn from the service's facts; 支持单位 on the activity page.
const { loadPage, waitFor, text, texts, stubRequest, apiError, resetStorage, agreedPrivacy, signedIn, spyWx, stubModal } = require('../helpers/mp')
const vol = require('../../src/utils/volunteering')

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
})

const shift = (id, extra) => Object.assign({
  id, opportunity_id: 1, role_code: 'usher', role_name: '引导员', session_id: null,
  starts_at: '2099-12-05T01:00:00Z', ends_at: '2099-12-05T04:00:00Z', place: '一楼大厅', needed: 3, taken: 1, remaining: 2
}, extra)
const opp = { id: 1, unit_id: 10, unit_name: '红荔服务点', title: '周末文化活动志愿服务', description: '引导观众入场', activity_id: null, team_id: null, status: 'open', created_at: '', shifts: [shift(5), shift(6, { role_name: '摄影摄像', remaining: 0, taken: 3 })] }
const signup = (id, extra) => Object.assign({
  id, shift_id: 5, opportunity_id: 1, title: '周末文化活动志愿服务', unit_id: 10, unit_name: '红荔服务点', role_code: 'usher', role_name: '引导员',
  session_id: null, starts_at: '2099-12-05T01:00:00Z', ends_at: '2099-12-05T04:00:00Z', place: '一楼大厅', status: 'pending', note: '',
  user_id: 1, volunteer_masked: '张*', skills: '', minutes: null, confirmed_at: null, created_at: ''
}, extra)
const hours = { total_minutes: 1290, shift_minutes: 1290, door_minutes: 0, by_role: [{ role_code: 'usher', role_name: '引导员', shifts: 7, minutes: 1290 }], milestone_hours: 20, next_milestone_hours: 100 }

test('view rules: hours with one decimal, upcoming shifts first, milestones', () => {
  expect(vol.hours(90)).toBe('1.5')
  expect(vol.hours(100)).toBe('1.7')
  const rows = vol.mineView([signup(1, { starts_at: '2000-01-01T00:00:00Z', status: 'approved', minutes: 120 }), signup(2)], '2026-12-02T00:00:00Z')
  expect(rows.map((r) => r.id)).toEqual([2, 1])
  expect(rows[0].canWithdraw).toBe(true)
  expect(rows[1].canWithdraw).toBe(false)
  expect(rows[1].hoursText).toBe('2.0 小时')
  const h = vol.hoursView(hours)
  expect(h.total).toBe('21.5')
  expect(h.milestone).toBe('已达 20 小时')
  expect(h.next).toBe('距 100 小时还差 78.5 小时')
  const lines = vol.certificateLayout({ name: '张三', hours: '21.5', milestone_hours: 20, issuer: '福田区文化馆', issued_at: '2026-12-02T02:00:00Z', code: 'ABC123' })
  expect(lines.map((l) => l.text)).toContain('21.5 小时')
  expect(lines.map((l) => l.text)).toContain('验证码 ABC123')
})

test('opportunities: places left, a full shift cannot be chosen, sign-up reloads; a race lost says so', async () => {
  signedIn()
  const req = stubRequest({
    'GET /api/v1/volunteer-opportunities': { data: { items: [opp] } },
    'GET /api/v1/me/shifts': { data: { items: [], hours: { total_minutes: 0, shift_minutes: 0, door_minutes: 0, by_role: [], milestone_hours: 0, next_milestone_hours: 20 } } },
    'GET /api/v1/me/volunteer-profile': { data: { skills: '', intro: '', updated_at: null } },
    'POST /api/v1/volunteer-shifts/5/signups': [{ data: signup(9) }, apiError(409, 'shift_full', '该班次人数已满')]
  })
  const modal = stubModal([true, true])
  const page = loadPage('pages/volunteer/shifts')
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.opp-title')).toBe('周末文化活动志愿服务')
  expect(texts(page, '.shift-places')).toEqual(['还差 2 人（共 3 人）', '已满'])
  expect(texts(page, '.signup-btn')).toEqual(['报名', '已满'])
  await page.instance.onSignUp({ currentTarget: { dataset: { id: 5 } } })
  expect(req.calls.find((c) => c.method === 'POST').path).toBe('/api/v1/volunteer-shifts/5/signups')
  await page.instance.onSignUp({ currentTarget: { dataset: { id: 5 } } })
  await waitFor(() => modal.mock.calls.length === 1)
  expect(modal.mock.calls[0][0].content).toBe('该班次人数已满')
})

test('my shifts: hours by role, withdraw before the start, save the skills profile', async () => {
  signedIn()
  const req = stubRequest({
    'GET /api/v1/volunteer-opportunities': { data: { items: [] } },
    'GET /api/v1/me/shifts': { data: { items: [signup(3, { status: 'approved' })], hours } },
    'GET /api/v1/me/volunteer-profile': { data: { skills: '摄影', intro: '', updated_at: null } },
    'POST /api/v1/shift-signups/3/withdraw': { data: { ok: true } },
    'PUT /api/v1/me/volunteer-profile': { data: { skills: '摄影、钢琴', intro: '', updated_at: '' } }
  })
  stubModal([true])
  const page = loadPage('pages/volunteer/shifts', { query: { tab: 'mine' } })
  await waitFor(() => page.data.mineStatus === 'ok')
  expect(text(page, '.hours-num')).toBe('21.5')
  expect(text(page, '.by-role')).toBe('引导员 7 次 · 21.5 小时')
  expect(text(page, '.my-status')).toBe('已通过')
  expect(page.data.skills).toBe('摄影')
  await page.instance.onWithdraw({ currentTarget: { dataset: { id: 3 } } })
  expect(req.calls.some((c) => c.path === '/api/v1/shift-signups/3/withdraw')).toBe(true)
  page.instance.onSkills({ detail: { value: '摄影、钢琴' } })
  await page.instance.onSaveProfile()
  const put = req.calls.find((c) => c.method === 'PUT')
  expect(put.data).toEqual({ skills: '摄影、钢琴', intro: '' })
  expect(page.data.profileSaved).toBe(true)
})

test('volunteer teams: recruiting teams take applications; my state shows; the recruiting page opens', async () => {
  signedIn()
  const req = stubRequest({
    'GET /api/v1/volunteer-teams': {
      data: { items: [
        { id: 1, unit_id: 1, unit_name: '区文化馆', parent_id: null, name: '区文化志愿者联合会', intro: '', recruiting: false, members: 40 },
        { id: 2, unit_id: 4, unit_name: '园岭分馆', parent_id: 1, name: '园岭文化志愿服务队', intro: '周末服务', recruiting: true, members: 12 }
      ] }
    },
    'GET /api/v1/me/volunteer-teams': [{ data: { items: [] } }, { data: { items: [{ id: 7, team_id: 2, team_name: '园岭文化志愿服务队', user_id: 1, volunteer_masked: '张*', skills: '', note: '', status: 'pending', created_at: '' }] } }],
    'POST /api/v1/volunteer-teams/2/apply': { data: { id: 7 } }
  })
  const nav = spyWx('navigateTo')
  const page = loadPage('pages/volunteer/teams')
  await waitFor(() => page.data.status === 'ok')
  expect(texts(page, '.vteam-name')).toEqual(['区文化志愿者联合会', '园岭文化志愿服务队'])
  expect(text(page, '.vteam-parent')).toBe('区文化志愿者联合会')
  expect(texts(page, '.apply-btn')).toEqual(['申请加入'])
  await page.instance.onApply({ currentTarget: { dataset: { id: 2 } } })
  expect(req.calls.some((c) => c.path === '/api/v1/volunteer-teams/2/apply')).toBe(true)
  await waitFor(() => page.data.teams[1].mineText === '申请审核中')
  page.instance.onShifts({ currentTarget: { dataset: { id: 2, name: '园岭文化志愿服务队' } } })
  expect(nav.mock.calls[0][0].url).toBe('/pages/volunteer/shifts?team_id=2&team=' + encodeURIComponent('园岭文化志愿服务队'))
})

test('certificate: the facts and the code; no hours yet is an empty state', async () => {
  signedIn()
  stubRequest({
    'GET /api/v1/me/volunteer-certificate': [
      { data: { code: 'ABC123DEF456', name: '张三', total_minutes: 1290, hours: '21.5', milestone_hours: 20, issued_at: '2026-12-02T02:00:00Z', issuer: '福田区文化馆', by_role: [] } },
      apiError(409, 'no_service_hours', '还没有经确认的志愿服务时长，暂不能生成证书')
    ]
  })
  const page = loadPage('pages/volunteer/certificate')
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.cert-hours')).toBe('累计志愿服务 21.5 小时')
  expect(text(page, '.cert-code')).toBe('验证码 ABC123DEF456')
  const empty = loadPage('pages/volunteer/certificate')
  await waitFor(() => empty.data.status === 'empty')
  expect(empty.data.message).toContain('暂不能生成证书')
})
