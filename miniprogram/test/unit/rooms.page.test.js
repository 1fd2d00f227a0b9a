// pages/rooms/index — 场地: a venue's rooms and their free/busy for two weeks.
const { loadPage, waitFor, text, texts, stubRequest, apiError, resetStorage, agreedPrivacy } = require('../helpers/mp')

const ROUTE = 'pages/rooms/index'

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
})

const room = (id, name, extra) => Object.assign({
  id, unit_id: 10, name, kind: '排练厅', capacity: 40, facilities: ['钢琴', '音响'], accessibility: '无障碍坡道',
  description: '', bookable_by: 'teams', rules: { book_ahead_days: 14, max_slot_minutes: 180, weekly_hours_per_team: 6, cancel_hours_before: 24 },
  hours: [{ weekday: 1, opens: '09:00', closes: '21:00' }, { weekday: 6, opens: '09:00', closes: '18:00' }],
  photos: [{ file_id: 7, url: '/api/v1/files/7' }], closed_at: null
}, extra)

test('rooms with facilities, hours and photos; busy and closed spans by day, no names', async () => {
  const req = stubRequest({
    'GET /api/v1/org/units/10/rooms/busy': {
      data: {
        from: '2099-12-01T02:00:00Z', to: '2099-12-15T02:00:00Z',
        rooms: [room(3, '排练厅'), room(4, '书画室', { kind: '书画室', facilities: [], accessibility: '', photos: [], hours: [] })],
        busy: [
          { room_id: 3, starts_at: '2099-12-05T11:30:00Z', ends_at: '2099-12-05T13:00:00Z', state: 'busy' },
          { room_id: 3, starts_at: '2099-12-06T01:00:00Z', ends_at: '2099-12-06T13:00:00Z', state: 'closed' }
        ]
      }
    }
  })
  const page = loadPage(ROUTE, { query: { unit_id: '10', name: encodeURIComponent('梅林分馆') } })
  await waitFor(() => page.data.status === 'ok')
  expect(req.calls[0].path).toBe('/api/v1/org/units/10/rooms/busy')
  expect(texts(page, '.room-name')).toEqual(['排练厅', '书画室'])
  expect(text(page, '.room-facilities')).toBe('钢琴、音响')
  expect(text(page, '.room-accessibility')).toBe('无障碍坡道')
  expect(texts(page, '.room-hours')).toEqual(['周一 09:00-21:00，周六 09:00-18:00', '暂不开放'])
  expect(page.querySelectorAll('.room-photo')).toHaveLength(1)
  expect(texts(page, '.room-span')).toEqual(['19:30–21:00', '09:00–21:00 闭馆'])
  expect(texts(page, '.room-free')).toEqual(['两周内均空闲'])
})

test('a venue without rooms says so; a failure can be retried', async () => {
  const req = stubRequest({
    'GET /api/v1/org/units/10/rooms/busy': [apiError(503, 'service_unavailable', '服务繁忙，请稍后再试'), { data: { from: '', to: '', rooms: [], busy: [] } }]
  })
  const page = loadPage(ROUTE, { query: { unit_id: '10' } })
  await waitFor(() => page.data.status === 'error')
  expect(text(page, '.state >>> .state-text')).toBe('服务繁忙，请稍后再试')
  page.querySelector('.state').querySelector('.state-action').dispatchEvent('tap')
  await waitFor(() => page.data.status === 'empty')
  expect(text(page, '.state >>> .state-text')).toBe('该场馆暂未登记场地')
  expect(req.calls).toHaveLength(2)
})

test('in English: labels, hours and busy spans are in English (room names are the venue\'s own)', async () => {
  const i18n = require('../../src/utils/i18n')
  i18n.setLang('en')
  try {
    stubRequest({
      'GET /api/v1/org/units/10/rooms/busy': {
        data: {
          from: '2099-12-01T02:00:00Z', to: '2099-12-15T02:00:00Z',
          rooms: [room(3, '排练厅'), room(4, '书画室', { kind: '书画室', facilities: [], accessibility: '', photos: [], hours: [] })],
          busy: [{ room_id: 3, starts_at: '2099-12-06T01:00:00Z', ends_at: '2099-12-06T13:00:00Z', state: 'closed' }]
        }
      }
    })
    const page = loadPage(ROUTE, { query: { unit_id: '10' } })
    await waitFor(() => page.data.status === 'ok')
    expect(texts(page, '.room-hours')).toEqual(['Mon 09:00-21:00; Sat 09:00-18:00', 'Not open at present'])
    expect(text(page, '.room-capacity')).toBe('40 people')
    expect(text(page, '.room-facilities')).toBe('钢琴, 音响')
    expect(texts(page, '.room-span')).toEqual(['09:00–21:00 closed'])
    expect(texts(page, '.room-free')).toEqual(['Free for the next two weeks'])
  } finally {
    i18n.setLang('zh-CN')
  }
})
