// The rooms screen's form and hours summary.
import { describe, expect, it } from 'vitest'
import { bookingStatus, hoursText, roomBody, WEEKDAYS } from '../src/utils/rooms'

describe('rooms', () => {
  it('turns the form into the API body: facilities split, closed weekdays left out', () => {
    const hours = WEEKDAYS.map((_, i) => ({ open: i < 5, opens: '09:00', closes: '21:00' }))
    const body = roomBody({ id: null, name: ' 排练厅 ', kind: '排练厅', capacity: 40, facilities: '钢琴、音响， 投影仪', accessibility: '', bookable_by: 'teams', auto_confirm: true, hours })
    expect(body.name).toBe('排练厅')
    expect(body.auto_confirm).toBe(true)
    expect(roomBody({ id: null, name: 'x', kind: '其他', capacity: 1, facilities: '', accessibility: '', bookable_by: 'none', auto_confirm: true, hours }).auto_confirm).toBe(false)
    expect(body.facilities).toEqual(['钢琴', '音响', '投影仪'])
    expect(body.hours.map((h) => h.weekday)).toEqual([1, 2, 3, 4, 5])
  })
  it('summarises opening hours by runs of days', () => {
    const h = (weekday: number, opens = '09:00', closes = '21:00') => ({ weekday, opens, closes })
    expect(hoursText([h(1), h(2), h(3), h(6, '09:00', '18:00')])).toBe('周一至周三 09:00-21:00，周六 09:00-18:00')
    expect(hoursText([])).toBe('不开放')
  })
  it('names a room booking\'s state for staff', () => {
    const b = (status: string, extra = {}) => ({ status, no_show: false, checked_in_at: null, no_show_waived_at: null, ...extra })
    expect(bookingStatus(b('pending'))).toBe('待审批')
    expect(bookingStatus(b('confirmed'))).toBe('已确认')
    expect(bookingStatus(b('confirmed', { checked_in_at: '2026-12-05T11:00:00Z' }))).toBe('已签到')
    expect(bookingStatus(b('confirmed', { no_show: true }))).toBe('爽约')
    expect(bookingStatus(b('confirmed', { no_show_waived_at: '2026-12-06T00:00:00Z' }))).toBe('爽约已免除')
    expect(bookingStatus(b('declined'))).toBe('未通过')
  })
})
