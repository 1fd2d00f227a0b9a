const { loadComponent, text, tap } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

test('a confirmed booking: status, attendee, title, time and place with room', () => {
  const c = loadComponent('components/booking-card/index', { booking: fx.booking() })
  expect(text(c, '.booking-status')).toBe('已预约')
  expect(text(c, '.booking-attendee')).toBe('预约人：本人')
  expect(text(c, '.booking-title')).toBe('梅林社区合唱入门')
  expect(text(c, '.booking-time')).toBe('12月5日（周六）19:30–21:00')
  expect(text(c, '.booking-place')).toBe('梅林分馆 · 多功能厅')
})

test('waitlist position, course start and check-in are shown', () => {
  const c = loadComponent('components/booking-card/index', {
    booking: fx.booking({ status: 'waitlisted', waitlist_position: 2, is_course: true, attendee_name: '小明' })
  })
  expect(text(c, '.booking-status')).toBe('候补第 2 位')
  expect(text(c, '.booking-time')).toBe('首次课 12月5日（周六）19:30')
  expect(text(c, '.booking-attendee')).toBe('预约人：小明')
  c.setData({ booking: fx.booking({ checked_in_at: '2099-12-05T11:31:00Z' }) })
  expect(text(c, '.booking-status')).toBe('已签到')
})

test('tapping selects the booking', async () => {
  const c = loadComponent('components/booking-card/index', { booking: fx.booking({ id: 42 }) })
  const onSelect = jest.fn()
  c.addEventListener('select', (e) => onSelect(e.detail))
  await tap(c, '.booking-card')
  expect(onSelect).toHaveBeenCalledWith({ id: 42 })
})
