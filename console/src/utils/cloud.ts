// The culture-cloud send log (文化云上报): how a push's state reads to staff.

export interface SendLogItem {
  id: number
  dedupe_key: string
  target: string
  status: 'pending' | 'sending' | 'sent' | 'failed' | string
  attempts: number
  next_attempt_at?: string | null
  last_status?: number | null
  last_error?: string | null
  created_at: string
  sent_at?: string | null
  payload_bytes: number
  venues: number
  activities: number
}

export interface SendLog {
  enabled: boolean
  target: string
  items: SendLogItem[]
}

const LABELS: Record<string, [string, 'success' | 'warning' | 'danger' | 'info']> = {
  pending: ['等待发送', 'info'],
  sending: ['发送中', 'warning'],
  sent: ['已送达', 'success'],
  failed: ['失败', 'danger'],
}

/** The tag text and colour of a push's status; a pending push that already failed once says so. */
export function statusTag(item: Pick<SendLogItem, 'status' | 'attempts'>): { text: string; type: 'success' | 'warning' | 'danger' | 'info' } {
  const [text, type] = LABELS[item.status] ?? [item.status, 'info']
  if (item.status === 'pending' && item.attempts > 0) return { text: `等待重试（已试 ${item.attempts} 次）`, type: 'warning' }
  return { text, type }
}

/** 每日自动 or 手动, from the push's key. */
export function originLabel(key: string): string {
  if (key.startsWith('snapshot:')) return `每日自动（${key.slice(9)}）`
  if (key.startsWith('manual:')) return '手动上报'
  return key
}

/** The receiver's answer in words for the table. */
export function answerText(item: Pick<SendLogItem, 'last_status' | 'last_error'>): string {
  if (item.last_error === 'timed out') return '对方未在时限内答复'
  if (item.last_error?.startsWith('network')) return '无法连接对方服务'
  if (item.last_status == null) return item.last_error ?? '—'
  if (item.last_status >= 200 && item.last_status < 300) return `成功（HTTP ${item.last_status}）`
  if (item.last_status === 401 || item.last_status === 403) return `对方拒绝：凭据或签名不正确（HTTP ${item.last_status}）`
  if (item.last_status >= 500) return `对方服务出错（HTTP ${item.last_status}），将自动重试`
  return `对方拒收（HTTP ${item.last_status}）`
}

export function kb(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`
}
