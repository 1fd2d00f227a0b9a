// pages/staff/publish — a simple activity: checked, confirmed, created and published at once.
const path = require('path')
const { SRC, loadPage, waitFor, text, tap, stubRequest, stubModal, apiError, signedIn, resetStorage, simulate, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')
const format = require(path.join(SRC, 'utils/format'))

const ROUTE = 'pages/staff/publish'
const QUERY = { unit_id: '10', unit_name: encodeURIComponent('梅林分馆') }
const BRANCH = { grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '梅林分馆' }
const tomorrow = format.addDays(format.chinaDate(), 1)

function fill(page, values) {
  Object.keys(values).forEach((field) => {
    const v = values[field]
    const sel = { title: '.title-input', room: '.room-input', capacity: '.capacity-input', description: '.description' }[field]
    if (sel) page.querySelector(sel).dispatchEvent('input', { detail: { value: v } })
    else page.querySelector('.' + field + '-picker').dispatchEvent('change', { detail: { value: v } })
  })
  return simulate.sleep(0)
}

beforeEach(() => {
  resetStorage()
  signedIn({ roles: [BRANCH] })
  spyWx('showToast').mockImplementation(() => {})
})

test('places are my unit and the service points below it; the form is checked before anything is sent', async () => {
  const req = stubRequest({ 'GET /api/v1/org/tree': { data: fx.TREE } })
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.places).toEqual([{ id: 10, organizerId: 10, label: '梅林分馆' }, { id: 76, organizerId: 10, label: '梅林分馆 · 翰岭服务点' }])
  expect(text(page, '.place-value')).toBe('梅林分馆 ▾')
  const errors = []
  const submit = async () => {
    await tap(page, '.submit')
    errors.push(text(page, '.form-error'))
  }
  await submit()
  await fill(page, { title: '社区书法公开课' })
  await submit()
  await fill(page, { date: tomorrow, start: '19:30', end: '19:00' })
  await submit()
  await fill(page, { end: '21:00' })
  await submit()
  await fill(page, { date: format.addDays(format.chinaDate(), -1) })
  await submit()
  expect(errors).toEqual(['请填写活动名称', '请选择日期、开始和结束时间', '结束时间应晚于开始时间', '请填写名额（1 到 100000 之间的整数）', '开始时间已经过去，请重新选择'])
  expect(req.calls.filter((c) => c.method === 'POST')).toHaveLength(0)
})

test('create and publish: China time, seats, at a service point; then 查看活动 / 再发布一个', async () => {
  const req = stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'POST /api/v1/activities': (o) => ({ data: fx.activity({ id: 42, title: o.data.title, status: 'draft' }) }),
    'POST /api/v1/activities/42/publish': { data: fx.activity({ id: 42, title: '社区书法公开课', status: 'published' }) }
  })
  const modal = stubModal([true])
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  await fill(page, { title: ' 社区书法公开课 ', kind: 1, place: 1, room: '活动室', date: tomorrow, start: '19:30', end: '21:00', capacity: '30', description: '零基础' })
  await tap(page, '.submit')
  await waitFor(() => page.data.status === 'done')
  expect(modal.mock.calls[0][0].title).toBe('确认发布')
  expect(modal.mock.calls[0][0].content).toMatch(/^社区书法公开课\n.*19:30–21:00\n梅林分馆 · 翰岭服务点 · 活动室\n名额 30 个$/)
  const create = req.calls.find((c) => c.path === '/api/v1/activities')
  expect(create.data).toEqual({
    title: '社区书法公开课', kind: 'lecture', organizer_unit_id: 10, booking_mode: 'fcfs', description: '零基础',
    sessions: [{ unit_id: 76, room: '活动室', starts_at: tomorrow + 'T19:30:00+08:00', ends_at: tomorrow + 'T21:00:00+08:00', capacity: 30 }]
  })
  expect(req.calls.some((c) => c.path === '/api/v1/activities/42/publish')).toBe(true)
  expect(text(page, '.done-name')).toBe('社区书法公开课')
  await tap(page, '.view-btn')
  expect(nav).toHaveBeenCalledWith({ url: '/pages/activity/detail?id=42' })
  await tap(page, '.another-btn')
  expect(page.data.status).toBe('ok')
  expect(page.data.form.title).toBe('')
})

test('a walk-in event has no seats; a failed publish keeps the draft and 重新发布 publishes it only', async () => {
  const req = stubRequest({
    'GET /api/v1/org/tree': { data: fx.TREE },
    'POST /api/v1/activities': { data: fx.activity({ id: 43, status: 'draft' }) },
    'POST /api/v1/activities/43/publish': [apiError(422, 'validation_failed', '活动开始时间已过，无法发布'), { data: fx.activity({ id: 43, title: '广场舞', status: 'published' }) }]
  })
  stubModal([true])
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  await fill(page, { title: '广场舞', mode: 1, date: tomorrow, start: '08:00', end: '09:00' })
  expect(page.querySelector('.capacity-input')).toBeUndefined()
  expect(text(page, '.walkin-hint')).toMatch(/志愿者登记到场人数/)
  await tap(page, '.submit')
  await waitFor(() => page.data.error)
  expect(text(page, '.form-error')).toBe('已保存为草稿，但发布失败：活动开始时间已过，无法发布')
  expect(text(page, '.submit')).toBe('重新发布')
  expect(req.calls.find((c) => c.path === '/api/v1/activities').data).toMatchObject({ booking_mode: 'none', sessions: [{ unit_id: 10, starts_at: tomorrow + 'T08:00:00+08:00', ends_at: tomorrow + 'T09:00:00+08:00' }] })
  expect(req.calls.find((c) => c.path === '/api/v1/activities').data.sessions[0].capacity).toBeUndefined()
  await tap(page, '.submit')
  await waitFor(() => page.data.status === 'done')
  expect(req.calls.filter((c) => c.path === '/api/v1/activities')).toHaveLength(1)
})

test('a refusal from the server is shown; without a managing role there is nothing to publish', async () => {
  stubRequest({ 'GET /api/v1/org/tree': { data: fx.TREE }, 'POST /api/v1/activities': apiError(403, 'forbidden', '您没有权限进行此操作') })
  const modal = stubModal([true, true])
  const page = loadPage(ROUTE, { query: QUERY })
  await waitFor(() => page.data.status === 'ok')
  await fill(page, { title: '讲座', date: tomorrow, start: '10:00', end: '11:00', capacity: '10' })
  await tap(page, '.submit')
  await waitFor(() => modal.mock.calls.length === 2)
  expect(modal.mock.calls[1][0]).toMatchObject({ title: '未能发布', content: '您没有权限进行此操作' })
  page.detach()
  signedIn({ roles: [{ grant_id: 5, role: 'evaluator', role_label: '第三方评估（只读）', unit_id: 1, unit_name: '总馆' }] })
  const ro = loadPage(ROUTE, { query: { unit_id: '1' } })
  await waitFor(() => ro.data.status === 'error')
  expect(text(ro, '.state >>> .state-text')).toMatch(/没有发布活动的权限/)
})
