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
