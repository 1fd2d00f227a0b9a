// Display rules for the volunteering, sponsors and operators screens (issue 16). Pure functions,
// tested in test/volunteering.test.ts; the service decides everything else.

export const SIGNUP_STATUS: Record<string, string> = {
  pending: '待审批',
  approved: '已通过',
  declined: '未通过',
  withdrawn: '已取消',
}

export const GIFT_KINDS: Record<string, string> = { money: '资金', goods: '物资', venue: '场地', services: '服务' }
export const SPONSOR_KINDS: Record<string, string> = {
  enterprise: '企业',
  social_org: '社会组织',
  individual: '个人',
  institution: '事业单位',
  other: '其他',
}
export const SHORTFALLS: Record<string, string> = {
  sessions: '活动场次不足',
  attendance: '到场率不足',
  satisfaction: '满意度不足',
  open_hours: '开放时长不足',
}

/** Whole fen as yuan text: 123456 → "1,234.56"; null → "—". No floats in the arithmetic. */
export function fenToYuan(fen: number | null | undefined): string {
  if (fen == null) return '—'
  const neg = fen < 0
  const abs = Math.abs(Math.trunc(fen))
  const yuan = Math.floor(abs / 100)
  const cents = String(abs % 100).padStart(2, '0')
  const grouped = String(yuan).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${neg ? '-' : ''}${grouped}.${cents}`
}

/** Yuan typed by staff ("1234.5") to whole fen, or null when it is not a valid amount. */
export function yuanToFen(text: string): number | null {
  const t = text.trim()
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(t)
  if (!m) return null
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'))
}

/** Minutes as hours with one decimal: 90 → "1.5". */
export function hoursText(minutes: number | null | undefined): string {
  if (minutes == null) return '—'
  const tenths = Math.floor((minutes * 10 + 30) / 60)
  return `${Math.floor(tenths / 10)}.${tenths % 10}`
}

/** The minutes to suggest when confirming a shift: its planned length. */
export function plannedMinutes(startsAt: string, endsAt: string): number {
  const ms = Date.parse(endsAt) - Date.parse(startsAt)
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms / 60000) : 0
}

/** "3/5" with a warning when full. */
export function placesText(taken: number, needed: number): string {
  return taken >= needed ? `${taken}/${needed}（已满）` : `${taken}/${needed}`
}
