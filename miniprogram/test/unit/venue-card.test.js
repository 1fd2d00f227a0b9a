const { loadComponent, text, tap, spyWx } = require('../helpers/mp')
const fx = require('../helpers/fixtures')

test('shows the venue with address, hours and phone', () => {
  const c = loadComponent('components/venue-card/index', { unit: fx.MEILIN, distance: '1.2 公里' })
  expect(text(c, '.venue-name')).toBe('福田区文化馆梅林分馆')
  expect(text(c, '.venue-address')).toBe('深圳市福田区梅林分馆地址')
  expect(text(c, '.venue-hours')).toBe('周二至周日 09:00-21:00')
  expect(text(c, '.venue-distance')).toBe('距您 1.2 公里')
  expect(c.querySelector('.venue-set-mine')).toBeUndefined()
  expect(c.querySelector('.venue-menu')).toBeUndefined()
})

test('文化菜单投票 for this venue, when the page asks for it', async () => {
  const c = loadComponent('components/venue-card/index', { unit: fx.POINT, canVote: true })
  const onMenu = jest.fn()
  c.addEventListener('menu', (e) => onMenu(e.detail))
  expect(text(c, '.venue-menu')).toBe('文化菜单投票')
  await tap(c, '.venue-menu')
  expect(onMenu).toHaveBeenCalledWith({ id: 76 })
})

test('navigation opens the GCJ-02 location in WeChat', async () => {
  const open = spyWx('openLocation').mockImplementation(() => {})
  const c = loadComponent('components/venue-card/index', { unit: fx.MEILIN })
  await tap(c, '.venue-nav')
  expect(open).toHaveBeenCalledWith({ latitude: 22.55, longitude: fx.MEILIN.lng, name: '福田区文化馆梅林分馆', address: '深圳市福田区梅林分馆地址', scale: 16 })
})

test('a venue without coordinates says so instead', async () => {
  const open = spyWx('openLocation').mockImplementation(() => {})
  const toast = spyWx('showToast').mockImplementation(() => {})
  const c = loadComponent('components/venue-card/index', { unit: Object.assign({}, fx.POINT, { lng: null, lat: null }) })
  await tap(c, '.venue-nav')
  expect(open).not.toHaveBeenCalled()
  expect(toast.mock.calls[0][0].title).toBe('该场馆暂未标注位置')
})

test('call and set-as-my-branch', async () => {
  const call = spyWx('makePhoneCall').mockImplementation(() => {})
  const c = loadComponent('components/venue-card/index', { unit: fx.MEILIN, canSetMine: true })
  await tap(c, '.venue-call')
  expect(call).toHaveBeenCalledWith({ phoneNumber: '0755-83900010' })
  const onSet = jest.fn()
  c.addEventListener('setmine', (e) => onSet(e.detail))
  await tap(c, '.venue-set-mine')
  expect(onSet).toHaveBeenCalledWith({ id: 10 })
  c.setData({ isMine: true })
  expect(c.querySelector('.venue-set-mine')).toBeUndefined()
  expect(text(c, '.venue-mine')).toBe('我的分馆')
})

test('in English: labels and buttons are in English (the venue\'s own data is not)', () => {
  const i18n = require('../../src/utils/i18n')
  i18n.setLang('en')
  try {
    const c = loadComponent('components/venue-card/index', { unit: fx.POINT, canVote: true, distance: '1.2 km' })
    expect(text(c, '.venue-distance')).toBe('about 1.2 km')
    expect(text(c, '.venue-nav')).toBe('Directions')
    expect(text(c, '.venue-menu')).toBe('Culture menu vote')
    expect(text(c, '.venue-rooms')).toBe('Rooms')
  } finally {
    i18n.setLang('zh-CN')
  }
})

test('场地 opens the venue\'s rooms page', async () => {
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const c = loadComponent('components/venue-card/index', { unit: fx.MEILIN })
  await tap(c, '.venue-rooms')
  expect(nav.mock.calls[0][0].url).toBe('/pages/rooms/index?unit_id=' + fx.MEILIN.id + '&name=' + encodeURIComponent(fx.MEILIN.short_name || fx.MEILIN.name))
})
