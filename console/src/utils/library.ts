// Online programmes and the resource library (线上活动与数字资源库): labels and the bodies the
// service takes, as plain functions (tested in test/library.test.ts).

export const ONLINE_MODES: Record<string, string> = { offline: '仅线下', online: '线上', hybrid: '线上线下同步' }
export const PLATFORMS: Record<string, string> = { channels: '视频号直播', web: '网页（业务域名）' }
export const LIVE_STATES: Record<string, string> = { upcoming: '即将开始', live: '直播中', replay: '可看回放', ended: '已结束' }
export const KINDS: Record<string, string> = { video: '视频', audio: '音频', article: '图文', course: '课程资料', gallery: '数字展厅' }
export const SOURCES: Record<string, string> = { web: '网页（业务域名）', channels: '视频号视频', none: '正文（仅图文）' }

export const liveStateLabel = (s: string | null | undefined) => (s ? LIVE_STATES[s] ?? s : '')
export const kindLabel = (k: string) => KINDS[k] ?? k

export interface OnlineForm {
  mode: string
  platform: string
  finder_user_name: string
  live_url: string
  replay_feed_id: string
  replay_url: string
}

export const emptyOnline = (): OnlineForm => ({ mode: 'offline', platform: 'channels', finder_user_name: '', live_url: '', replay_feed_id: '', replay_url: '' })

/** The form from what the service answered (`online` null: offline). */
export function onlineForm(online: Partial<OnlineForm> | null | undefined): OnlineForm {
  return { ...emptyOnline(), ...(online || {}) }
}

/** The PUT body: only the fields of the chosen platform, blanks left out. */
export function onlineBody(f: OnlineForm): Record<string, string> {
  if (f.mode === 'offline') return { mode: 'offline' }
  const body: Record<string, string> = { mode: f.mode, platform: f.platform }
  const put = (k: keyof OnlineForm) => {
    const v = f[k].trim()
    if (v) body[k] = v
  }
  if (f.platform === 'channels') {
    put('finder_user_name')
    put('replay_feed_id')
  } else {
    put('live_url')
  }
  put('replay_url')
  return body
}

/** What is missing before saving, in Chinese (the service checks the domains). */
export function onlineProblems(f: OnlineForm): string[] {
  if (f.mode === 'offline') return []
  const p: string[] = []
  if (f.platform === 'channels' && !/^sph[A-Za-z0-9]+$/.test(f.finder_user_name.trim())) p.push('请填写视频号 ID（sph 开头，在视频号助手查看）')
  if (f.platform === 'web' && !f.live_url.trim().startsWith('https://')) p.push('直播网址必须以 https:// 开头')
  if (f.replay_url.trim() && !f.replay_url.trim().startsWith('https://')) p.push('回放网址必须以 https:// 开头')
  return p
}

export interface ResourceForm {
  unit_id: number | null
  kind: string
  title: string
  summary: string
  body: string
  tags: string
  cover_file_id: number | null
  minutes: number | null
  platform: string
  source_url: string
  finder_user_name: string
  feed_id: string
  featured: boolean
  sort_order: number
}

export const emptyResource = (unitId: number | null): ResourceForm => ({
  unit_id: unitId,
  kind: 'video',
  title: '',
  summary: '',
  body: '',
  tags: '',
  cover_file_id: null,
  minutes: null,
  platform: 'web',
  source_url: '',
  finder_user_name: '',
  feed_id: '',
  featured: false,
  sort_order: 0,
})

/** Tags typed as 粤剧，戏曲 or 粤剧 戏曲: split on commas (either width) and spaces, de-duplicated. */
export function splitTags(s: string): string[] {
  return [...new Set(s.split(/[,，、\s]+/).map((t) => t.trim()).filter(Boolean))]
}

export interface ResourceLike {
  unit_id: number
  kind: string
  title: string
  summary: string
  tags: string[]
  cover_file_id?: number | null
  duration_s?: number | null
  platform: string
  source_url: string
  finder_user_name: string
  feed_id: string
  featured: boolean
  sort_order: number
}

export function resourceForm(r: ResourceLike, body = ''): ResourceForm {
  return {
    unit_id: r.unit_id,
    kind: r.kind,
    title: r.title,
    summary: r.summary,
    body,
    tags: r.tags.join('，'),
    cover_file_id: r.cover_file_id ?? null,
    minutes: r.duration_s != null ? Math.round(r.duration_s / 60) : null,
    platform: r.platform,
    source_url: r.source_url,
    finder_user_name: r.finder_user_name,
    feed_id: r.feed_id,
    featured: r.featured,
    sort_order: r.sort_order,
  }
}

/** The create/update body (duration typed in minutes, sent in seconds). */
export function resourceBody(f: ResourceForm): Record<string, unknown> {
  const b: Record<string, unknown> = {
    kind: f.kind,
    title: f.title.trim(),
    summary: f.summary.trim(),
    tags: splitTags(f.tags),
    platform: f.platform,
    featured: f.featured,
    sort_order: f.sort_order,
  }
  if (f.body.trim()) b.body = f.body.trim()
  if (f.cover_file_id != null) b.cover_file_id = f.cover_file_id
  if (f.minutes != null) b.duration_s = Math.round(f.minutes * 60)
  if (f.platform === 'web') b.source_url = f.source_url.trim()
  if (f.platform === 'channels') Object.assign(b, { finder_user_name: f.finder_user_name.trim(), feed_id: f.feed_id.trim() })
  return b
}

export function resourceProblems(f: ResourceForm): string[] {
  const p: string[] = []
  if (!f.title.trim()) p.push('请填写标题')
  if (splitTags(f.tags).length > 5) p.push('标签最多 5 个')
  if (splitTags(f.tags).some((t) => t.length > 10)) p.push('每个标签不超过 10 个字')
  if (f.platform === 'web' && !f.source_url.trim().startsWith('https://')) p.push('资源网址必须以 https:// 开头')
  if (f.platform === 'channels' && (!f.finder_user_name.trim() || !f.feed_id.trim())) p.push('请填写视频号 ID 和视频 feedId')
  if (f.platform === 'none' && (f.kind !== 'article' || !f.body.trim())) p.push('只有图文可以不填链接，且需要正文')
  return p
}

/** 4.5 分（12 人）, or 暂无评分. */
export function ratingText(avg: number | null | undefined, n: number): string {
  return avg == null || n === 0 ? '暂无评分' : `${avg.toFixed(1)} 分（${n} 人）`
}
