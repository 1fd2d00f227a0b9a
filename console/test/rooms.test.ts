// The rooms screen's form and hours summary.
import { describe, expect, it } from 'vitest'
import { hoursText, roomBody, WEEKDAYS } from '../src/utils/rooms'

describe('rooms', () => {
  it('turns the form into the API body: facilities split, closed weekdays left out', () => {
    const hours = WEEKDAYS.map((_, i) => ({ open: i < 5, opens: '09:00', closes: '21:00' }))
    const body = roomBody({ id: null, name: ' 排练厅 ', kind: '排练厅', capacity: 40, facilities: '钢琴、音响， 投影仪', accessibility: '', bookable_by: 'teams', hours })
    expect(body.name).toBe('排练厅')
    expect(body.facilities).toEqual(['钢琴', '音响', '投影仪'])
    expect(body.hours.map((h) => h.weekday)).toEqual([1, 2, 3, 4, 5])
  })
  it('summarises opening hours by runs of days', () => {
    const h = (weekday: number, opens = '09:00', closes = '21:00') => ({ weekday, opens, closes })
    expect(hoursText([h(1), h(2), h(3), h(6, '09:00', '18:00')])).toBe('周一至周三 09:00-21:00，周六 09:00-18:00')
    expect(hoursText([])).toBe('不开放')
  })
})
