// The rooms screen's form and hours summary.
import { describe, expect, it } from 'vitest'
import { bookingStatus, emptyPlace, hoursText, overCapacity, placeFields, placeOf, placePatch, placeProblems, roomBody, roomLabel, WEEKDAYS } from '../src/utils/rooms'

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

describe("a session's place", () => {
  const rooms = [
    { id: 7, name: '排练厅', capacity: 40 },
    { id: 8, name: '琴房', capacity: 6 },
    { id: 9, name: '旧舞蹈室', capacity: 0, closed: true },
  ]
  const inRoom = (roomId: number | null, reason = '') => ({ ...emptyPlace(), roomId, reason })
  it('labels a room with its capacity (a closed one as closed)', () => {
    expect(roomLabel(rooms[0])).toBe('排练厅（容纳 40 人）')
    expect(roomLabel(rooms[2])).toBe('旧舞蹈室（已停用）')
  })
  it('tells when the seats are more than the room holds', () => {
    expect(overCapacity(inRoom(7), rooms, 40)).toBeNull()
    expect(overCapacity(inRoom(7), rooms, 41)).toBe(40)
    expect(overCapacity(inRoom(7), rooms, null)).toBeNull()
    expect(overCapacity(inRoom(null), rooms, 500)).toBeNull()
    expect(overCapacity({ ...inRoom(7), outside: true }, rooms, 500)).toBeNull()
    expect(overCapacity(inRoom(9), rooms, 5)).toBeNull()
  })
  it('asks for the reason over capacity and for the place outside the unit', () => {
    expect(placeProblems(inRoom(8), rooms, 10)).toEqual(['名额超过场地容量（6 人），请减少名额或填写超出容量的原因'])
    expect(placeProblems(inRoom(8, '分两批入场'), rooms, 10)).toEqual([])
    expect(placeProblems(inRoom(8, ' '), rooms, 10)).toHaveLength(1)
    expect(placeProblems(inRoom(8), rooms, 6)).toEqual([])
    expect(placeProblems({ ...emptyPlace(), outside: true }, rooms, 10)).toEqual(['请填写外部场地的地点'])
    expect(placeProblems({ ...emptyPlace(), outside: true, place: '南园广场' }, rooms, 1000)).toEqual([])
    expect(placeProblems(inRoom(8, 'x'.repeat(201)), rooms, 10)).toContain('超出容量的原因不超过 200 字')
  })
  it("builds a new session's place fields", () => {
    expect(placeFields(inRoom(7), rooms, 30)).toEqual({ room_id: 7 })
    expect(placeFields(inRoom(8, ' 分两批入场 '), rooms, 10)).toEqual({ room_id: 8, capacity_reason: '分两批入场' })
    // A reason typed while the seats fit is not sent, unless the service asked for it.
    expect(placeFields(inRoom(7, '备用'), rooms, 30)).toEqual({ room_id: 7 })
    expect(placeFields(inRoom(7, '备用'), rooms, 30, true)).toEqual({ room_id: 7, capacity_reason: '备用' })
    expect(placeFields({ ...emptyPlace(), outside: true, place: ' 南园广场 ', roomId: 7 }, rooms, 30)).toEqual({ outside: true, room: '南园广场' })
    expect(placeFields(emptyPlace(), rooms, 30)).toEqual({})
  })
  it("reads an existing session's place and patches only what changed", () => {
    const room = placeOf({ outside: false, room: '排练厅', room_id: 7 })
    expect(room).toEqual(inRoom(7))
    const outside = placeOf({ outside: true, room: '南园广场', room_id: null })
    expect(outside).toEqual({ outside: true, roomId: null, place: '南园广场', reason: '' })
    expect(placeOf({ outside: false, room: '', room_id: null })).toEqual(emptyPlace())
    expect(placePatch(room, { ...room })).toEqual({})
    expect(placePatch(room, inRoom(8))).toEqual({ outside: false, room_id: 8 })
    expect(placePatch(room, inRoom(7, '加座'))).toEqual({ outside: false, room_id: 7, capacity_reason: '加座' })
    expect(placePatch(room, { ...outside })).toEqual({ outside: true, room: '南园广场' })
    expect(placePatch(outside, inRoom(7))).toEqual({ outside: false, room_id: 7 })
    expect(placePatch(outside, emptyPlace())).toEqual({ outside: false, room: '' })
    expect(placePatch(emptyPlace(), emptyPlace())).toEqual({})
  })
})
