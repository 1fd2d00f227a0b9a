// Room form helpers: the console's form (a text of facilities, seven weekday rows) to the API body.
import type { Schemas } from '../api/client'

export const WEEKDAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日']

export interface RoomForm {
  id: number | null
  name: string
  kind: string
  capacity: number
  facilities: string
  accessibility: string
  bookable_by: string
  auto_confirm: boolean
  hours: { open: boolean; opens: string; closes: string }[]
}

/** The body of POST /rooms (without unit_id) or PATCH /rooms/{id}. */
export function roomBody(f: RoomForm) {
  return {
    name: f.name.trim(),
    kind: f.kind,
    capacity: f.capacity,
    facilities: f.facilities.split(/[、,，;；\s]+/).map((x) => x.trim()).filter(Boolean),
    accessibility: f.accessibility.trim(),
    bookable_by: f.bookable_by,
    auto_confirm: f.bookable_by !== 'none' && f.auto_confirm,
    hours: f.hours.flatMap((h, i) => (h.open ? [{ weekday: i + 1, opens: h.opens, closes: h.closes }] : [])),
  }
}

/** 周一至周五 09:00-21:00 style summary; runs of equal spans are joined. */
export function hoursText(hours: Schemas['OpeningHours'][]): string {
  if (!hours.length) return '不开放'
  const parts: string[] = []
  let i = 0
  const sorted = [...hours].sort((a, b) => a.weekday - b.weekday)
  while (i < sorted.length) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1].weekday === sorted[j].weekday + 1 && sorted[j + 1].opens === sorted[i].opens && sorted[j + 1].closes === sorted[i].closes) j++
    const days = i === j ? WEEKDAYS[sorted[i].weekday - 1] : `${WEEKDAYS[sorted[i].weekday - 1]}至${WEEKDAYS[sorted[j].weekday - 1]}`
    parts.push(`${days} ${sorted[i].opens}-${sorted[i].closes}`)
    i = j + 1
  }
  return parts.join('，')
}

/** A room booking's state as staff read it: 待审批, 已确认, 已签到, 爽约 (免除 noted), 未通过, 已取消. */
export function bookingStatus(b: { status: string; no_show: boolean; checked_in_at?: string | null; no_show_waived_at?: string | null }): string {
  if (b.checked_in_at) return '已签到'
  if (b.no_show) return '爽约'
  if (b.status === 'confirmed' && b.no_show_waived_at) return '爽约已免除'
  return ({ pending: '待审批', confirmed: '已确认', declined: '未通过', cancelled: '已取消' } as Record<string, string>)[b.status] ?? b.status
}

// ---- A session's place (活动的场地): a room of the unit, or a place outside it ----

/** What the session form holds about where a session takes place. */
export interface PlaceForm {
  /** 外部场地: a place outside the unit (a square, a school hall), typed as free text. */
  outside: boolean
  roomId: number | null
  place: string
  /** 超出容量的原因: required when the session has more seats than the room holds. */
  reason: string
}

export interface PlaceFields {
  room_id?: number
  outside?: boolean
  room?: string
  capacity_reason?: string
}

/** A room in the picker; `closed`: a room since closed that a session still names (shown, not checked). */
export type RoomLike = { id: number; name: string; capacity: number; closed?: boolean }

export function emptyPlace(): PlaceForm {
  return { outside: false, roomId: null, place: '', reason: '' }
}

/** The room's option in the picker: 排练厅（容纳 40 人）. */
export function roomLabel(r: RoomLike): string {
  if (r.closed) return `${r.name}（已停用）`
  return `${r.name}（容纳 ${r.capacity} 人）`
}

/** The room's capacity when `capacity` seats are more than the chosen room holds; otherwise null. */
export function overCapacity(f: PlaceForm, rooms: RoomLike[], capacity: number | null | undefined): number | null {
  if (f.outside || f.roomId == null || capacity == null) return null
  const r = rooms.find((x) => x.id === f.roomId)
  return r && !r.closed && capacity > r.capacity ? r.capacity : null
}

/** Problems the form can tell before sending (the service checks again: `over_room_capacity`, …). */
export function placeProblems(f: PlaceForm, rooms: RoomLike[], capacity: number | null | undefined): string[] {
  const p: string[] = []
  if (f.outside && !f.place.trim()) p.push('请填写外部场地的地点')
  if (f.outside && f.place.trim().length > 40) p.push('外部场地不超过 40 字')
  const cap = overCapacity(f, rooms, capacity)
  if (cap != null && !f.reason.trim()) p.push(`名额超过场地容量（${cap} 人），请减少名额或填写超出容量的原因`)
  if (f.reason.trim().length > 200) p.push('超出容量的原因不超过 200 字')
  return p
}

/**
 * The session body's place fields: `room_id` for a room of the unit, `outside` + `room` for a
 * place outside it, nothing for "no room given". The reason goes along only when it is needed
 * (or when the service asked for it: `forceReason`).
 */
export function placeFields(f: PlaceForm, rooms: RoomLike[], capacity: number | null | undefined, forceReason = false): PlaceFields {
  if (f.outside) return f.place.trim() ? { outside: true, room: f.place.trim() } : { outside: true }
  const out: PlaceFields = {}
  if (f.roomId != null) out.room_id = f.roomId
  const reason = f.reason.trim()
  if (reason && (forceReason || overCapacity(f, rooms, capacity) != null)) out.capacity_reason = reason
  return out
}

/** The form values of an existing session's place. */
export function placeOf(s: { outside?: boolean | null; room?: string | null; room_id?: number | null }): PlaceForm {
  if (s.outside) return { outside: true, roomId: null, place: s.room ?? '', reason: '' }
  return { outside: false, roomId: s.room_id ?? null, place: '', reason: '' }
}

/**
 * The PATCH fields for a session's place: nothing when neither the place nor the reason changed
 * (the service re-checks the room's capacity when the seats change), `outside` always said when
 * the place changes (so a place outside can go back to a room or to none).
 */
export function placePatch(before: PlaceForm, now: PlaceForm): PlaceFields {
  const same = before.outside === now.outside && (now.outside ? before.place.trim() === now.place.trim() : before.roomId === now.roomId)
  const reason = now.reason.trim()
  if (same && !reason) return {}
  if (now.outside) return { outside: true, room: now.place.trim() }
  if (now.roomId == null) return same ? {} : { outside: false, room: '' }
  const out: PlaceFields = { outside: false, room_id: now.roomId }
  if (reason) out.capacity_reason = reason
  return out
}
