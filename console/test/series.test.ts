import { describe, expect, it } from 'vitest'
import { buildSeries, copySessions, seriesProblems, type SeriesInput } from '../src/utils/series'

const base: SeriesInput = { firstDay: '2026-12-05', start: '09:30', end: '11:00', repeat: 'weekly', count: 8, unitId: 27, room: '舞蹈室', capacity: 20, opensDaysBefore: null }

describe('session series', () => {
  it('a weekly course of 8 lessons, China time', () => {
    const s = buildSeries(base)
    expect(s).toHaveLength(8)
    expect(s[0]).toEqual({ unit_id: 27, room: '舞蹈室', capacity: 20, starts_at: '2026-12-05T09:30:00+08:00', ends_at: '2026-12-05T11:00:00+08:00' })
    expect(s[1].starts_at).toBe('2026-12-12T09:30:00+08:00')
    expect(s[7].starts_at).toBe('2027-01-23T09:30:00+08:00')
  })
  it('biweekly steps two weeks; once is one session', () => {
    expect(buildSeries({ ...base, repeat: 'biweekly', count: 3 }).map((x) => x.starts_at.slice(0, 10))).toEqual(['2026-12-05', '2026-12-19', '2027-01-02'])
    expect(buildSeries({ ...base, repeat: 'once' })).toHaveLength(1)
  })
  it('booking opens N days before each session at 9:00', () => {
    expect(buildSeries({ ...base, opensDaysBefore: 3, count: 2 })[1].booking_opens_at).toBe('2026-12-09T09:00:00+08:00')
  })
  it('walk-in events carry no capacity', () => {
    expect(buildSeries({ ...base, capacity: null, repeat: 'once' })[0]).not.toHaveProperty('capacity')
  })
  it('tells the form what is missing', () => {
    expect(seriesProblems({ ...base, end: '09:00' }, false, 'fcfs')).toContain('结束时间应晚于开始时间')
    expect(seriesProblems({ ...base, repeat: 'once' }, true, 'fcfs')).toContain('课程至少两节课：请选择每周或隔周重复')
    expect(seriesProblems({ ...base, capacity: null }, false, 'fcfs')).toContain('需要预约的活动请填写名额')
    expect(seriesProblems(base, true, 'fcfs')).toEqual([])
  })
  it('a copy keeps times of day and spacing, moved to the new first day', () => {
    const c = copySessions(
      [
        { unit_id: 4, room: 'A', starts_at: '2026-11-02T11:30:00Z', ends_at: '2026-11-02T13:00:00Z', capacity: 50 },
        { unit_id: 4, room: 'A', starts_at: '2026-11-09T11:30:00Z', ends_at: '2026-11-09T13:00:00Z', capacity: null },
      ],
      '2026-12-07',
    )
    expect(c.map((x) => x.starts_at)).toEqual(['2026-12-07T11:30:00Z', '2026-12-14T11:30:00Z'])
    expect(c[0].capacity).toBe(50)
    expect(c[1]).not.toHaveProperty('capacity')
    expect(c[0].room).toBe('A')
  })
  it('a copy keeps the room by its id, and a place outside the unit as outside', () => {
    const c = copySessions(
      [
        { unit_id: 4, room: '排练厅', room_id: 7, outside: false, starts_at: '2026-11-02T11:30:00Z', ends_at: '2026-11-02T13:00:00Z', capacity: 30 },
        { unit_id: 4, room: '南园广场', room_id: null, outside: true, starts_at: '2026-11-09T11:30:00Z', ends_at: '2026-11-09T13:00:00Z' },
      ],
      '2026-12-07',
    )
    expect(c[0]).toMatchObject({ room_id: 7 })
    expect(c[0]).not.toHaveProperty('room')
    expect(c[1]).toMatchObject({ outside: true, room: '南园广场' })
  })
})
