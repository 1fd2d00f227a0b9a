// Sessions of a new activity: one date, or a weekly / biweekly series of N, in China time.
import { addDays, chinaInstant } from './format'

export type Repeat = 'once' | 'weekly' | 'biweekly'

export interface SeriesInput {
  firstDay: string // YYYY-MM-DD
  start: string // HH:MM
  end: string // HH:MM
  repeat: Repeat
  count: number
  unitId: number
  room: string
  capacity: number | null
  /** Booking opens this many days before each session (null: open now). */
  opensDaysBefore: number | null
}

export interface DraftSession {
  unit_id: number
  room?: string
  room_id?: number
  outside?: boolean
  capacity_reason?: string
  starts_at: string
  ends_at: string
  capacity?: number
  booking_opens_at?: string
}

export function buildSeries(i: SeriesInput): DraftSession[] {
  const n = i.repeat === 'once' ? 1 : Math.max(1, Math.min(100, Math.floor(i.count)))
  const step = i.repeat === 'biweekly' ? 14 : 7
  const out: DraftSession[] = []
  for (let k = 0; k < n; k++) {
    const day = addDays(i.firstDay, k * step)
    const s: DraftSession = {
      unit_id: i.unitId,
      starts_at: chinaInstant(day, i.start),
      ends_at: chinaInstant(day, i.end),
    }
    if (i.room) s.room = i.room
    if (i.capacity != null) s.capacity = i.capacity
    if (i.opensDaysBefore != null) s.booking_opens_at = chinaInstant(addDays(day, -i.opensDaysBefore), '09:00')
    out.push(s)
  }
  return out
}

/** Problems the form can tell before sending (the service checks everything again). */
export function seriesProblems(i: SeriesInput, isCourse: boolean, bookingMode: string): string[] {
  const p: string[] = []
  if (!/^\d{4}-\d{2}-\d{2}$/.test(i.firstDay)) p.push('请选择第一场的日期')
  if (!/^\d{2}:\d{2}$/.test(i.start) || !/^\d{2}:\d{2}$/.test(i.end)) p.push('请填写开始和结束时间')
  else if (i.end <= i.start) p.push('结束时间应晚于开始时间')
  if (bookingMode !== 'none' && i.capacity == null) p.push('需要预约的活动请填写名额')
  if (isCourse && i.repeat === 'once') p.push('课程至少两节课：请选择每周或隔周重复')
  if (i.repeat !== 'once' && (i.count < 2 || i.count > 100)) p.push('重复场次应为 2–100 场')
  return p
}

/** A copy of an existing activity as a new draft's form values (sessions moved to start on `firstDay`). */
export function copySessions(
  sessions: { unit_id: number; room: string; room_id?: number | null; outside?: boolean; starts_at: string; ends_at: string; capacity?: number | null }[],
  firstDay: string,
): DraftSession[] {
  if (!sessions.length) return []
  const base = Date.parse(sessions[0].starts_at)
  const target = Date.parse(chinaInstant(firstDay, '00:00'))
  const baseDay = Date.parse(chinaInstant(new Date(base + 8 * 3600e3).toISOString().slice(0, 10), '00:00'))
  const shift = target - baseDay
  return sessions.map((s) => {
    const d: DraftSession = {
      unit_id: s.unit_id,
      starts_at: new Date(Date.parse(s.starts_at) + shift).toISOString().replace('.000Z', 'Z'),
      ends_at: new Date(Date.parse(s.ends_at) + shift).toISOString().replace('.000Z', 'Z'),
    }
    // The same room (by id), or the same place outside the unit.
    if (s.room_id != null) d.room_id = s.room_id
    else if (s.outside && s.room) Object.assign(d, { outside: true, room: s.room })
    else if (s.room) d.room = s.room
    if (s.capacity != null) d.capacity = s.capacity
    return d
  })
}
