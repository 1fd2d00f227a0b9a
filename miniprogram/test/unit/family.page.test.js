const path = require('path')
const { SRC, loadPage, waitFor, text, texts, tap, stubRequest, stubModal, apiError, signedIn, agreedPrivacy, resetStorage, simulate, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')
const format = require(path.join(SRC, 'utils/format'))

const ROUTE = 'pages/family/index'

function yearsAgo(n) {
  return format.addDays(format.chinaDate(), -Math.round(n * 365.25))
}

async function fill(page, { name, relation, birth }) {
  page.querySelector('.name-input').dispatchEvent('input', { detail: { value: name } })
  if (relation !== undefined) page.querySelector('.relation-picker').dispatchEvent('change', { detail: { value: relation } })
  if (birth) page.querySelector('.birth-picker').dispatchEvent('change', { detail: { value: birth } })
  await simulate.sleep(0)
}

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
})

test('signed out: asks to sign in first', async () => {
  spyWx('login').mockImplementation((o) => setTimeout(() => o.success({ code: 'c' }), 0))
  stubRequest({
    'POST /api/v1/auth/wechat': { data: { token: 't', expires_at: '2099-01-01T00:00:00Z', user: fx.me() } },
    'GET /api/v1/me/family': { data: { items: [] } }
  })
  const page = loadPage(ROUTE)
  expect(text(page, '.state >>> .state-text')).toBe('登录后可以添加家庭成员，为家人预约活动')
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.empty-text')).toBe('还没有家庭成员')
})

test('lists members with relation, age and the guardian consent; removing asks first', async () => {
  signedIn()
  const modal = stubModal([true])
  spyWx('showToast').mockImplementation(() => {})
  const req = stubRequest({
    'GET /api/v1/me/family': [
      { data: { items: [fx.member(), fx.member({ id: 4, name: '王奶奶', relation: 'elder', age: 72, guardian_consent_at: null })] } },
      { data: { items: [fx.member({ id: 4, name: '王奶奶', relation: 'elder', age: 72, guardian_consent_at: null })] } }
    ],
    'DELETE /api/v1/me/family/3': { data: { ok: true } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(texts(page, '.member-name')).toEqual(['小明', '王奶奶'])
  expect(texts(page, '.member-info')).toEqual(['子女 · 8 岁', '长辈 · 72 岁'])
  expect(texts(page, '.member-consent')).toEqual(['监护人已于 11月28日（周六） 同意'])
  await tap(page, '.member-remove')
  await waitFor(() => page.data.members.length === 1)
  expect(modal.mock.calls[0][0].content).toContain('确定删除【小明】吗')
  expect(req.calls.some((c) => c.method === 'DELETE' && c.path === '/api/v1/me/family/3')).toBe(true)
})

test('adding an adult sends no consent', async () => {
  signedIn()
  spyWx('showToast').mockImplementation(() => {})
  const req = stubRequest({
    'GET /api/v1/me/family': { data: { items: [] } },
    'POST /api/v1/me/family': (o) => ({ data: fx.member({ id: 9, name: o.data.name, relation: o.data.relation, age: 70 }) })
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.show-form')
  await fill(page, { name: ' 王奶奶 ', relation: 1, birth: '1956-05-01' })
  expect(page.querySelector('.consent-box')).toBeUndefined()
  await tap(page, '.submit')
  await waitFor(() => req.calls.some((c) => c.method === 'POST'))
  expect(req.calls.find((c) => c.method === 'POST').data).toEqual({ name: '王奶奶', relation: 'elder', birth_date: '1956-05-01' })
  await waitFor(() => !page.data.showForm)
})

test('a child under 14 needs the guardian to tick the consent', async () => {
  signedIn()
  spyWx('showToast').mockImplementation(() => {})
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const req = stubRequest({
    'GET /api/v1/me/family': { data: { items: [] } },
    'POST /api/v1/me/family': { data: fx.member() }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.show-form')
  await fill(page, { name: '小明', relation: 0, birth: yearsAgo(8) })
  expect(page.data.isChild).toBe(true)
  expect(text(page, '.consent-box .notice')).toMatch(/未满 14 周岁/)
  await tap(page, '.submit')
  expect(text(page, '.form-error')).toBe('为 14 周岁以下儿童登记，需要您以监护人身份同意')
  expect(req.calls.some((c) => c.method === 'POST')).toBe(false)
  await tap(page, '.rules-link')
  expect(nav).toHaveBeenCalledWith({ url: '/pages/privacy/index?section=children' })
  await tap(page, '.consent')
  expect(text(page, '.consent-mark')).toBe('☑')
  await tap(page, '.submit')
  await waitFor(() => req.calls.some((c) => c.method === 'POST'))
  expect(req.calls.find((c) => c.method === 'POST').data).toMatchObject({ name: '小明', relation: 'child', guardian_consent: true })
})

test('required fields, and the server refusing', async () => {
  signedIn()
  const modal = stubModal([true])
  stubRequest({
    'GET /api/v1/me/family': { data: { items: [] } },
    'POST /api/v1/me/family': apiError(400, 'invalid_body', '出生日期格式不正确')
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  await tap(page, '.show-form')
  await tap(page, '.submit')
  expect(text(page, '.form-error')).toBe('请填写姓名')
  await fill(page, { name: '老王' })
  await tap(page, '.submit')
  expect(text(page, '.form-error')).toBe('请选择出生日期')
  await fill(page, { name: '老王', birth: '1950-01-01' })
  await tap(page, '.submit')
  await waitFor(() => modal.mock.calls.length === 1)
  expect(modal.mock.calls[0][0].content).toBe('出生日期格式不正确')
  expect(page.data.showForm).toBe(true)
})

test('opened from booking (?add=1): the form is open, and saving goes back', async () => {
  signedIn()
  spyWx('showToast').mockImplementation(() => {})
  const back = spyWx('navigateBack').mockImplementation(() => {})
  stubRequest({
    'GET /api/v1/me/family': { data: { items: [] } },
    'POST /api/v1/me/family': { data: fx.member({ relation: 'spouse', age: 60 }) }
  })
  const page = loadPage(ROUTE, { query: { add: '1' } })
  await waitFor(() => page.data.status === 'ok')
  expect(page.querySelector('.form')).toBeDefined()
  await fill(page, { name: '老伴', relation: 2, birth: '1966-02-02' })
  await tap(page, '.submit')
  await waitFor(() => back.mock.calls.length === 1)
})

test('in English: relations, ages, consent and the relation picker are translated', async () => {
  require(path.join(SRC, 'utils/i18n')).setLang('en')
  signedIn()
  stubRequest({
    'GET /api/v1/me/family': { data: { items: [fx.member(), fx.member({ id: 4, name: '王奶奶', relation: 'elder', age: 72, guardian_consent_at: null })] } }
  })
  const page = loadPage(ROUTE)
  await waitFor(() => page.data.status === 'ok')
  expect(texts(page, '.member-info')).toEqual(['Child · age 8', 'Parent or elder · age 72'])
  expect(texts(page, '.member-consent')[0]).toMatch(/^Guardian agreed on .+\.$/)
  expect(page.data.relations.map((r) => r.label)).toEqual(['Child', 'Parent or elder', 'Spouse', 'Other'])
  expect(page.data.relations.map((r) => r.value)).toEqual(['child', 'elder', 'spouse', 'other'])
})
