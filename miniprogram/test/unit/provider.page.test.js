// pages/provider/* — 供给方服务 (register, the review result and record, offerings with a price in
// yuan sent as whole fen) and 我的订单 (accept, or propose another date).
const path = require('path')
const { SRC, loadPage, waitFor, text, texts, stubRequest, apiError, resetStorage, agreedPrivacy, signedIn, spyWx } = require('../helpers/mp')
const money = require(path.join(SRC, 'utils/money'))

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
  signedIn()
  spyWx('showToast').mockImplementation(() => {})
})

const provider = (extra) => Object.assign({
  id: 3, name: '福田青年粤剧团', kind: 'troupe', kind_label: '文艺院团', contact_name: '王老师', phone: '138****1234',
  intro: '', qualifications: '民办非企业单位登记证书', status: 'approved', review_comment: '',
  record: { deliveries: 2, ratings: 3, average_score_x100: 433, complaints: 1 }
}, extra)
const offering = (id, extra) => Object.assign({
  id, provider_id: 3, provider_name: '福田青年粤剧团', title: '粤剧进社区', kind: 'performance', kind_label: '演出', description: '',
  duration_minutes: 90, audience: '全年龄', requirements: '舞台', price_fen: 1200000, status: 'approved', review_comment: ''
}, extra)

test('money: whole fen, no floats', () => {
  expect(money.yuan(123456)).toBe('¥1,234.56')
  expect(money.yuan(5)).toBe('¥0.05')
  expect(money.toFen('1234.5')).toBe(123450)
  expect(money.toFen('0.29')).toBe(29)
  expect(money.toFen('1.234')).toBeNull()
  expect(money.toFen('-1')).toBeNull()
  expect(money.hundredths(433)).toBe('4.33')
  expect(money.hundredths(500)).toBe('5.00')
})

test('not yet a provider: the form registers, then the record shows as pending', async () => {
  let registered = false
  const req = stubRequest({
    'GET /api/v1/providers/me': () => (registered ? { data: provider({ status: 'pending', record: { deliveries: 0, ratings: 0, average_score_x100: null, complaints: 0 } }) } : apiError(404, 'not_provider', '您还没有登记为供给方')),
    'GET /api/v1/providers/me/offerings': { data: { items: [] } },
    'POST /api/v1/providers/me': () => { registered = true; return { data: { id: 3 } } }
  })
  const page = loadPage('pages/provider/index')
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.editing).toBe(true)
  await page.instance.onRegister()
  expect(text(page, '.pv-error')).toBe('请填写名称')
  page.instance.onField({ currentTarget: { dataset: { field: 'name' } }, detail: { value: ' 福田青年粤剧团 ' } })
  await page.instance.onRegister()
  expect(text(page, '.pv-error')).toBe('请选择类型')
  page.instance.onKind({ detail: { value: '0' } })
  page.instance.onField({ currentTarget: { dataset: { field: 'phone' } }, detail: { value: '13800001234' } })
  await page.instance.onRegister()
  await waitFor(() => page.data.provider && !page.data.editing)
  const post = req.calls.find((c) => c.method === 'POST')
  expect(post.data).toEqual({ name: '福田青年粤剧团', kind: 'troupe', contact_name: '', phone: '13800001234', intro: '', qualifications: '' })
  expect(text(page, '.pv-status')).toBe('待审核')
})

test('an approved provider sees its record and adds an offering priced in yuan, sent in fen', async () => {
  const req = stubRequest({
    'GET /api/v1/providers/me': { data: provider() },
    'GET /api/v1/providers/me/offerings': { data: { items: [offering(1), offering(2, { title: '书法课', kind: 'course', price_fen: 0, status: 'returned', review_comment: '请补充课时安排' })] } },
    'POST /api/v1/providers/me/offerings': { data: { id: 9 } }
  })
  const page = loadPage('pages/provider/index')
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.pv-record')).toBe('履约记录交付 2 · 评价 3 · 4.33分')
  expect(text(page, '.pv-complaints')).toBe('差评 1')
  expect(texts(page, '.pv-o-price')).toEqual(['¥12,000.00', '免费'])
  expect(texts(page, '.pv-o-status')[1]).toBe('已退回，请修改后重新提交：请补充课时安排')
  page.instance.onAdd()
  page.instance.onOffer({ currentTarget: { dataset: { field: 'title' } }, detail: { value: '粤剧折子戏' } })
  page.instance.onOfferKind({ detail: { value: '0' } })
  page.instance.onOffer({ currentTarget: { dataset: { field: 'duration' } }, detail: { value: '90' } })
  page.instance.onOffer({ currentTarget: { dataset: { field: 'price' } }, detail: { value: '8000.5' } })
  await page.instance.onSubmitOffer()
  await waitFor(() => !page.data.adding)
  const post = req.calls.find((c) => c.method === 'POST')
  expect(post.data).toEqual({ title: '粤剧折子戏', kind: 'performance', duration_minutes: 90, audience: '', requirements: '', price_fen: 800050 })
})

test('a bad price or duration is refused before sending', async () => {
  const req = stubRequest({
    'GET /api/v1/providers/me': { data: provider() },
    'GET /api/v1/providers/me/offerings': { data: { items: [] } }
  })
  const page = loadPage('pages/provider/index')
  await waitFor(() => page.data.status === 'ok')
  expect(text(page, '.pv-empty')).toBe('还没有服务项目')
  page.instance.onAdd()
  page.instance.onOffer({ currentTarget: { dataset: { field: 'title' } }, detail: { value: '讲座' } })
  page.instance.onOfferKind({ detail: { value: '1' } })
  page.instance.onOffer({ currentTarget: { dataset: { field: 'duration' } }, detail: { value: '0' } })
  await page.instance.onSubmitOffer()
  expect(text(page, '.pv-error')).toBe('请填写时长（1–10080 分钟）')
  page.instance.onOffer({ currentTarget: { dataset: { field: 'duration' } }, detail: { value: '60' } })
  page.instance.onOffer({ currentTarget: { dataset: { field: 'price' } }, detail: { value: '1.005' } })
  await page.instance.onSubmitOffer()
  expect(text(page, '.pv-error')).toBe('价格最多两位小数')
  expect(req.calls.filter((c) => c.method === 'POST')).toEqual([])
})

const order = (id, extra) => Object.assign({
  id, offering_id: 1, title: '粤剧进社区', kind: 'performance', provider_id: 3, provider_name: '福田青年粤剧团', unit_id: 27, unit_name: '红荔服务点',
  requested_date: '2026-12-20', proposed_date: null, note: '社区广场', provider_note: '', status: 'requested', price_fen: 1200000,
  amount_fen: null, contract_ref: '', funding_source: '', budget_id: null, activity_id: null, created_at: '2026-12-01T02:00:00Z'
}, extra)

test('my orders: accept one, propose another date for the other', async () => {
  let answered = false
  const req = stubRequest({
    'GET /api/v1/providers/me/orders': () => ({ data: { items: answered ? [order(1, { status: 'accepted' }), order(2, { status: 'proposed', proposed_date: '2026-12-27' })] : [order(1), order(2, { amount_fen: 950000, status: 'requested' })] } }),
    'POST /api/v1/procurement/orders/1/accept': { data: { ok: true } },
    'POST /api/v1/procurement/orders/2/propose': () => { answered = true; return { data: { ok: true } } }
  })
  const page = loadPage('pages/provider/orders')
  await waitFor(() => page.data.status === 'ok')
  expect(texts(page, '.po-status')).toEqual(['待您确认档期', '待您确认档期'])
  expect(texts(page, '.po-amount')).toEqual(['¥12,000.00', '¥9,500.00'])
  await page.instance.onAccept({ currentTarget: { dataset: { id: '1' } } })
  page.instance.onPropose({ currentTarget: { dataset: { id: '2' } } })
  await page.instance.onSendPropose()
  expect(text(page, '.po-error')).toBe('请选择另一个日期')
  page.instance.onProposeDate({ detail: { value: '2026-12-27' } })
  page.instance.onProposeNote({ detail: { value: ' 20日已有演出 ' } })
  await page.instance.onSendPropose()
  await waitFor(() => page.data.orders[1] && page.data.orders[1].status === 'proposed')
  const propose = req.calls.find((c) => c.path.indexOf('/propose') >= 0)
  expect(propose.data).toEqual({ date: '2026-12-27', note: '20日已有演出' })
  expect(text(page, '.po-proposed')).toBe('您提议改到：2026-12-27')
})

test('my orders: empty and error states', async () => {
  stubRequest({ 'GET /api/v1/providers/me/orders': { data: { items: [] } } })
  const page = loadPage('pages/provider/orders')
  await waitFor(() => page.data.status === 'empty')
  expect(page.data.message).toBe('还没有订单')
  stubRequest({ 'GET /api/v1/providers/me/orders': apiError(404, 'not_provider', '您还没有登记为供给方') })
  const p2 = loadPage('pages/provider/orders')
  await waitFor(() => p2.data.status === 'error')
  expect(p2.data.message).toBe('您还没有登记为供给方')
})
