const { loadComponent, text, tap } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

test('shows title, kind, China time, place and seats left', () => {
  const c = loadComponent('components/activity-card/index', { item: fx.browseItem() })
  expect(text(c, '.card-title')).toBe('梅林社区合唱入门')
  expect(text(c, '.tag')).toBe('公益艺术培训')
  expect(text(c, '.card-time')).toBe('12月5日（周六）19:30–21:00')
  expect(text(c, '.card-place')).toBe('梅林分馆')
  expect(text(c, '.card-seats')).toBe('剩余 12 个名额')
  expect(c.querySelector('.card-mine')).toBeUndefined()
})

test('a full session shows its queue; my status and distance appear', () => {
  const c = loadComponent('components/activity-card/index', {
    item: fx.browseItem({ seats_left: 0, waitlist_length: 3, my_status: 'waitlisted', distance_m: 850, is_course: true })
  })
  expect(text(c, '.card-seats')).toBe('已约满 · 3 人候补中')
  expect(text(c, '.card-mine')).toBe('候补中')
  expect(text(c, '.card-place')).toBe('梅林分馆 · 距您 850 米')
  expect(c.querySelectorAll('.tag').map((n) => n.dom.textContent)).toEqual(['公益艺术培训', '系列课程'])
})

test('tapping the card selects the activity and session', async () => {
  const c = loadComponent('components/activity-card/index', { item: fx.browseItem({ activity_id: 7, session_id: 70 }) })
  const onSelect = jest.fn()
  c.addEventListener('select', (e) => onSelect(e.detail))
  await tap(c, '.activity-card')
  expect(onSelect).toHaveBeenCalledWith({ activityId: 7, sessionId: 70 })
})
