// utils/format.js: China time whatever the phone's zone, seats, statuses, ages, date chips.
const path = require('path')
const { SRC } = require('../helpers/mp')
const f = require(path.join(SRC, 'utils/format'))

test('times are shown in China time (UTC+8) with the weekday', () => {
  expect(f.formatDateTime('2026-12-05T11:30:00Z')).toBe('12月5日（周六）19:30')
  expect(f.formatRange('2026-12-05T11:30:00Z', '2026-12-05T13:00:00Z')).toBe('12月5日（周六）19:30–21:00')
  expect(f.formatRange('2026-12-05T11:30:00Z', '2026-12-06T13:00:00Z')).toBe('12月5日（周六）19:30 至 12月6日（周日）21:00')
  // 20:00 UTC is already the next day in China
  expect(f.chinaDate('2026-12-05T20:00:00Z')).toBe('2026-12-06')
  expect(f.formatDateTime('not a date')).toBe('')
})

test('seats: left, full with a queue, lottery, walk-in', () => {
  expect(f.seatsText({ booking_mode: 'fcfs', capacity: 30, seats_left: 3, waitlist_length: 0 })).toBe('剩余 3 个名额')
  expect(f.seatsText({ booking_mode: 'fcfs', capacity: 30, seats_left: 0, waitlist_length: 4 })).toBe('已约满 · 4 人候补中')
  expect(f.seatsText({ booking_mode: 'fcfs', capacity: 30, seats_left: 0, waitlist_length: 0 })).toBe('已约满 · 可排队候补')
  expect(f.seatsText({ booking_mode: 'lottery', capacity: 10, seats_left: 10, waitlist_length: 0 })).toBe('摇号报名 · 名额 10 个')
  expect(f.seatsText({ booking_mode: 'none', capacity: null })).toBe('无需预约，直接到场')
  expect(f.seatsTone({ booking_mode: 'fcfs', capacity: 30, seats_left: 0 })).toBe('full')
})

test('booking statuses in Chinese', () => {
  expect(f.statusText('confirmed')).toBe('已预约')
  expect(f.statusText('waitlisted', 2)).toBe('候补第 2 位')
  expect(f.statusText('entered')).toBe('已报名摇号')
  expect(f.statusText('cancelled')).toBe('已取消')
  expect(f.statusText('confirmed', null, '2026-12-05T11:31:00Z')).toBe('已签到')
})

test('audience ages and modes', () => {
  expect(f.ageText(6, 12)).toBe('适合 6–12 岁')
  expect(f.ageText(60, null)).toBe('适合 60 岁及以上')
  expect(f.ageText(null, 12)).toBe('适合 12 岁及以下')
  expect(f.ageText(null, undefined)).toBe('不限年龄')
  expect(f.modeText('lottery')).toBe('摇号报名')
  expect(f.modeText('fcfs')).toBe('先到先得')
})

test('age on a day, for the guardian-consent rule', () => {
  expect(f.ageOn('2012-12-06', '2026-12-05')).toBe(13)
  expect(f.ageOn('2012-12-05', '2026-12-05')).toBe(14)
  expect(f.ageOn('bad', '2026-12-05')).toBeNull()
})

test('date chips give China-date ranges', () => {
  expect(f.dateRange('all', '2026-11-28')).toEqual({})
  expect(f.dateRange('today', '2026-11-28')).toEqual({ date_from: '2026-11-28', date_to: '2026-11-28' })
  expect(f.dateRange('week', '2026-11-28')).toEqual({ date_from: '2026-11-28', date_to: '2026-12-04' })
  // 2026-11-25 is a Wednesday → that weekend; a Saturday → today and tomorrow; a Sunday → today
  expect(f.dateRange('weekend', '2026-11-25')).toEqual({ date_from: '2026-11-28', date_to: '2026-11-29' })
  expect(f.dateRange('weekend', '2026-11-28')).toEqual({ date_from: '2026-11-28', date_to: '2026-11-29' })
  expect(f.dateRange('weekend', '2026-11-29')).toEqual({ date_from: '2026-11-29', date_to: '2026-11-29' })
  expect(f.dateRange('month', '2026-12-15')).toEqual({ date_from: '2026-12-15', date_to: '2027-01-13' })
})

test('distances and relations', () => {
  expect(f.distanceText(850)).toBe('850 米')
  expect(f.distanceText(2123)).toBe('2.1 公里')
  expect(f.distanceText(null)).toBe('')
  expect(f.relationText('elder')).toBe('长辈')
})
