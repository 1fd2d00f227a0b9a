// Display helpers: China time for people, RFC 3339 for the API.
const TZ = 'Asia/Shanghai'

export function fmtTime(iso?: string | null): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (isNaN(d.getTime())) return iso
  const p = new Intl.DateTimeFormat('zh-CN', {
    timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  }).formatToParts(d)
  const g = (t: string) => p.find((x) => x.type === t)?.value || ''
  return `${g('year')}-${g('month')}-${g('day')} ${g('hour')}:${g('minute')}`
}

export function fmtDate(iso?: string | null): string {
  return iso ? fmtTime(iso).slice(0, 10) : '—'
}

/** The China-time day (YYYY-MM-DD) of an instant. */
export function chinaDay(d: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d)
}

/** A China-time wall clock ("2026-12-05", "19:30") as an RFC 3339 instant with +08:00. */
export function chinaInstant(day: string, time: string): string {
  return `${day}T${time.length === 5 ? time + ':00' : time}+08:00`
}

/** Adds days to a YYYY-MM-DD day. */
export function addDays(day: string, n: number): string {
  const d = new Date(day + 'T00:00:00Z')
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}

export const KIND_LABELS: Record<string, string> = {
  performance: '文艺演出',
  lecture: '讲座',
  exhibition: '展览',
  training: '公益培训',
  art_team: '文艺团队',
  other: '其他',
}

export const STATUS_LABELS: Record<string, string> = {
  draft: '草稿',
  published: '已发布',
  cancelled: '已取消',
  finished: '已结束',
  confirmed: '已确认',
  waitlisted: '候补中',
  entered: '已参与摇号',
  pending: '待审批',
  requested: '待审批',
  approved: '已批准',
  rejected: '已拒绝',
  delivered: '已配送',
  open: '待处理',
  accepted: '已受理',
  planned: '已列入计划',
  declined: '未采纳',
  fulfilled: '已实现',
  merged: '已合并',
  held: '待审核',
  scheduled: '未开始',
}

export const HOST_LABELS: Record<string, string> = {
  government: '政府主办',
  enterprise: '企业',
  school: '学校',
  hospital: '医院',
  industrial_park: '产业园区',
}

export const MODE_LABELS: Record<string, string> = { fcfs: '先到先得', lottery: '摇号', none: '无需预约' }

export function label(map: Record<string, string>, key?: string | null): string {
  if (!key) return '—'
  return map[key] || key
}

export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10000)
}

/** Prints one image with a heading (a venue code, an invitation) on its own page. */
export function printImage(src: string, heading: string, lines: string[] = []) {
  const w = window.open('', '_blank', 'width=600,height=760')
  if (!w) return
  const esc = (t: string) => t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string)
  w.document.write(
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(heading)}</title></head>` +
      `<body style="font-family:sans-serif;text-align:center;padding:40px"><h1 style="font-size:28px">${esc(heading)}</h1>` +
      `<img src="${esc(src)}" style="width:360px;height:360px" alt="">` +
      lines.map((l) => `<p style="font-size:20px">${esc(l)}</p>`).join('') +
      '</body></html>',
  )
  w.document.close()
  // No inline script (the console's Content-Security-Policy forbids it): print from here.
  const img = w.document.images[0]
  if (img && !img.complete) img.onload = () => w.print()
  else w.print()
}

/**
 * What to send for a poster field: an uploaded file of this service (`/api/v1/files/{id}`, as a
 * path or a same-origin address) goes as `poster_file_id`, anything else as `poster_url` (the
 * service takes only https:// addresses there; "" removes the poster).
 */
export function posterFields(value: string, origin: string = globalThis.location?.origin ?? ''): { poster_file_id: number } | { poster_url: string } {
  const v = (value || '').trim()
  const m = /^(https?:\/\/[^/]+)?\/api\/v1\/files\/(\d+)$/.exec(v)
  if (m && (!m[1] || m[1] === origin)) return { poster_file_id: Number(m[2]) }
  return { poster_url: v }
}
