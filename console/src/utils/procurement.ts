// Providers and cultural procurement (供给方与文化采购): labels, money in whole fen, and which
// step an order is waiting for. The service decides every request; this only picks the controls.

export const PROVIDER_KIND_LABELS: Record<string, string> = {
  troupe: '文艺院团',
  teacher: '教师',
  social_org: '社会组织',
  enterprise: '企业',
  artist: '个人艺术家',
}

export const OFFERING_KIND_LABELS: Record<string, string> = {
  performance: '演出',
  lecture: '讲座',
  exhibition: '展览',
  course: '课程模块',
}

export const REVIEW_STATUS_LABELS: Record<string, string> = {
  pending: '待审核',
  approved: '已通过',
  returned: '已退回',
  suspended: '已暂停',
}

export const ORDER_STATUS_LABELS: Record<string, string> = {
  requested: '待供给方确认',
  proposed: '供给方提议改期',
  accepted: '待批准采购',
  purchased: '已采购待交付',
  delivered: '已交付',
}

/** Whole fen as yuan text, with integer arithmetic only: 123456 → "¥1,234.56", 0 → "免费". */
export function yuan(fen: number | null | undefined, freeText = '免费'): string {
  if (fen == null) return '—'
  if (!Number.isSafeInteger(fen)) return '—'
  if (fen === 0) return freeText
  const neg = fen < 0
  const abs = Math.abs(fen)
  const whole = Math.floor(abs / 100)
  const cents = abs % 100
  const grouped = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${neg ? '-' : ''}¥${grouped}.${String(cents).padStart(2, '0')}`
}

/** Yuan typed by a person ("1234.5", "1,234.56") as whole fen, or null when it is not money. */
export function toFen(text: string): number | null {
  const t = text.replace(/[,，\s¥]/g, '')
  const m = /^(\d{1,11})(?:\.(\d{1,2}))?$/.exec(t)
  if (!m) return null
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'))
}

export interface OrderLike {
  status: string
  unit_id: number
}

export type OrderStep = 'confirm' | 'purchase' | 'deliver' | null

/**
 * The step the order is waiting for that this person may take: confirming a proposed date
 * (`procure` at the unit), recording the purchase or delivering it (`approve_purchase`).
 */
export function nextStep(o: OrderLike, may: (action: 'procure' | 'approve_purchase', unit: number) => boolean): OrderStep {
  if (o.status === 'proposed' && may('procure', o.unit_id)) return 'confirm'
  if (o.status === 'accepted' && may('approve_purchase', o.unit_id)) return 'purchase'
  if (o.status === 'purchased' && may('approve_purchase', o.unit_id)) return 'deliver'
  return null
}

export interface BudgetLike {
  id: number
  unit_id: number
  year: number
  remaining_fen: number
}

/** Budgets that may pay `amountFen` and that this person may spend (a branch: only its own). */
export function payableBudgets<B extends BudgetLike>(budgets: B[], amountFen: number, may: (unit: number) => boolean): B[] {
  return budgets.filter((b) => may(b.unit_id) && b.remaining_fen >= amountFen)
}
