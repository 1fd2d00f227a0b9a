// pages/teams/* — 我的团队 (my teams, the leader's code, joining with a code), 社团风采 (a venue's
// teams by genre) and a team's page (no member names; share; ask to join).
const { loadPage, waitFor, text, texts, stubRequest, apiError, resetStorage, agreedPrivacy, signedIn, spyWx } = require('../helpers/mp')

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
})

const card = (id, name, extra) => Object.assign({
  id, name, genre: '合唱', unit_id: 10, unit_name: '红荔服务点', description: '退休教师合唱团',
  rehearsal_time: '每周三 19:00–21:00', recruiting: false, members: 12, photos: []
}, extra)

test('my teams: member count, status, the code for the leader only; joining with a code reloads', async () => {
  signedIn()
  const mine = (items) => ({ data: { items } })
  const req = stubRequest({
    'GET /api/v1/me/teams': [
      mine([
        { team: card(1, '红枫合唱团'), status: 'verified', decline_reason: '', role: 'leader', family_member_id: null, invite_code: 'ABCD2345', pending_requests: 2 },
        { team: card(2, '小荷舞蹈队', { genre: '舞蹈', members: 8 }), status: 'verified', decline_reason: '', role: 'member', family_member_id: 5, invite_code: null, pending_requests: 0 }
      ]),
      mine([
        { team: card(1, '红枫合唱团'), status: 'verified', decline_reason: '', role: 'leader', family_member_id: null, invite_code: 'ABCD2345', pending_requests: 2 },
        { team: card(2, '小荷舞蹈队', { genre: '舞蹈', members: 8 }), status: 'verified', decline_reason: '', role: 'member', family_member_id: 5, invite_code: null, pending_requests: 0 },
        { team: card(3, '书画社', { genre: '书画', members: 3 }), status: 'pending', decline_reason: '', role: 'member', family_member_id: null, invite_code: null, pending_requests: 0 }
      ])
    ],
    'POST /api/v1/teams/join': [apiError(404, 'invalid_team_code', '邀请码无效或已更换，请向团队负责人索取'), { data: { team_id: 3, team_name: '书画社' } }]
  })
  const page = loadPage('pages/teams/mine')
  await waitFor(() => page.data.status === 'ok')
  expect(texts(page, '.team-name')).toEqual(['红枫合唱团', '小荷舞蹈队'])
  expect(texts(page, '.team-members')).toEqual(['12 人', '8 人'])
  expect(texts(page, '.team-code')).toEqual(['ABCD2345'])
  expect(text(page, '.team-requests')).toBe('待处理入团申请：2')
  expect(texts(page, '.team-child')).toEqual(['以家庭成员身份加入'])

  await page.instance.onJoin()
  expect(text(page, '.join-error')).toBe('请输入邀请码')
  page.instance.onCodeInput({ detail: { value: 'wrong' } })
  await page.instance.onJoin()
  expect(text(page, '.join-error')).toBe('邀请码无效或已更换，请向团队负责人索取')
  page.instance.onCodeInput({ detail: { value: 'efgh6789' } })
  await page.instance.onJoin()
  await waitFor(() => page.data.teams.length === 3)
  const joins = req.calls.filter((c) => c.method === 'POST')
  expect(joins[joins.length - 1].data).toEqual({ code: 'efgh6789' })
  expect(texts(page, '.team-status')[2]).toBe('待审核')
})

test('a venue\'s teams by genre open the team page; the list can be shared', async () => {
  const req = stubRequest({
    'GET /api/v1/org/units/10/teams': (opts, query) => ({
      data: { items: query.genre === '舞蹈' ? [] : [card(1, '红枫合唱团', { recruiting: true, photos: [{ file_id: 7, url: '/api/v1/files/7' }] })] }
    })
  })
  const nav = spyWx('navigateTo')
  const page = loadPage('pages/teams/list', { query: { unit_id: '10', name: encodeURIComponent('红荔服务点') } })
  await waitFor(() => page.data.status === 'ok')
  expect(texts(page, '.team-name')).toEqual(['红枫合唱团'])
  expect(text(page, '.team-recruiting')).toBe('招新中')
  expect(page.querySelectorAll('.team-photo')).toHaveLength(1)
  await page.instance.onGenre({ currentTarget: { dataset: { genre: '舞蹈' } } })
  expect(page.data.status).toBe('empty')
  expect(req.calls[1].query).toEqual({ genre: '舞蹈' })
  await page.instance.onGenre({ currentTarget: { dataset: { genre: '舞蹈' } } })
  expect(page.data.status).toBe('ok')
  page.instance.onOpen({ currentTarget: { dataset: { id: 1 } } })
  expect(nav.mock.calls[0][0].url).toBe('/pages/teams/detail?id=1')
  expect(page.instance.onShareAppMessage().path).toBe('/pages/teams/list?unit_id=10&name=' + encodeURIComponent('红荔服务点'))
})

test('a team page: genre, venue, performances and awards, no member names; ask to join; share', async () => {
  signedIn()
  const req = stubRequest({
    'GET /api/v1/teams/1': {
      data: {
        team: card(1, '红枫合唱团', { recruiting: true }),
        upcoming: [{ activity_id: 9, title: '送演出下基层·合唱专场', unit_name: '红荔服务点', starts_at: '2099-12-05T11:30:00Z', delivered: true }],
        awards: [{ id: 1, title: '区群众文艺汇演一等奖', level: 'district', awarded_on: '2026-10-01', awarded_by: '区文旅局' }]
      }
    },
    'POST /api/v1/teams/1/join-requests': { data: { id: 4 } }
  })
  const page = loadPage('pages/teams/detail', { query: { id: '1' } })
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.team-genre')).toBe('合唱')
  expect(text(page, '.team-unit')).toBe('红荔服务点')
  expect(text(page, '.team-rehearsal')).toBe('每周三 19:00–21:00')
  expect(texts(page, '.team-show')[0]).toContain('送演出下基层·合唱专场')
  expect(texts(page, '.team-award')[0]).toContain('区级')
  await page.instance.onAsk()
  expect(req.calls.find((c) => c.method === 'POST').path).toBe('/api/v1/teams/1/join-requests')
  expect(page.data.asked).toBe(true)
  expect(text(page, '.team-asked')).toBe('已提交申请，请等待负责人答复')
  expect(page.instance.onShareAppMessage()).toEqual({ title: '红枫合唱团', path: '/pages/teams/detail?id=1' })
  expect(page.instance.onShareTimeline()).toEqual({ title: '红枫合唱团', query: 'id=1' })
})

test('a team that is not public answers with the service\'s message', async () => {
  stubRequest({ 'GET /api/v1/teams/5': apiError(404, 'not_found', '该团队不存在') })
  const page = loadPage('pages/teams/detail', { query: { id: '5' } })
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('该团队不存在')
})
