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
