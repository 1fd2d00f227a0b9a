// The evaluation screens' logic as plain functions (tested without a browser): labels, which step
// a person may take on an entry, the comparison of units side by side and its chart, and the
// drafts sent back to the service.
import { errorFrom, headersFor, type Schemas } from '../api/client'
import type { Action } from '../auth/access'

type Entry = Schemas['EntryView']
type Item = Schemas['EvalItem']

export const LEVELS = ['point', 'branch', 'main'] as const
export type Level = (typeof LEVELS)[number]
export const EVAL_LEVEL_LABELS: Record<string, string> = { point: '服务点', branch: '分馆', main: '总馆' }
export const PERIOD_LABELS: Record<string, string> = { year: '全年', h1: '上半年', h2: '下半年' }
export const ENTRY_STATUS: Record<string, string> = { self: '自评中', submitted: '待评分', scored: '已评分' }
export const METHOD_LABELS: Record<string, string> = { auto: '自动', manual: '人工（附佐证）', both: '自动 + 人工' }
export const SOURCE_LABELS: Record<string, string> = {
  targets: '年度目标场次',
  satisfaction: '群众满意度',
  replies: '评价回复率与时效',
  ledger: '台账完整率',
  rectifications: '督导整改',
  demand: '群众需求落实率',
  staffing: '人员配备（名册）',
  dispatch: '双派覆盖率',
  rooms: '场地使用率',
  facilities: '设施达标清单',
}
export const FACILITY_KIND_LABELS: Record<string, string> = { min: '不少于', yes: '具备', name: '与单位名称一致' }
export const CATEGORY_LABELS: Record<string, string> = {
  quantity: '服务数量',
  quality: '服务质量与满意度',
  facilities: '设施与开放时间',
  staffing: '人员配备与派驻',
  management: '台账与管理',
  demand: '需求响应',
  innovation: '创新与亮点',
}
export const SPOT_KIND_LABELS: Record<string, string> = { supervision: '督导', unannounced: '暗访' }

/** The action that scores entries of a level (the level above: branch → points, main → branches, district → main). */
export function scoreAction(level: string): Action {
  return level === 'point' ? 'score_points' : level === 'branch' ? 'score_branches' : 'manage_evaluation'
}

/** What the signed-in person may do with an entry now, given `can(action, unit)`. */
export function entrySteps(e: Pick<Entry, 'status' | 'unit_id' | 'level'>, roundOpen: boolean, can: (a: Action, unit?: number) => boolean) {
  const selfOk = roundOpen && e.status === 'self' && can('self_assess', e.unit_id)
  const scoreOk = roundOpen && e.status === 'submitted' && can(scoreAction(e.level), e.unit_id)
  return { selfAssess: selfOk, submit: selfOk, score: scoreOk, returnForCorrection: scoreOk }
}

/** A score as "86.5 / 100"; a dash when absent. */
export function fmtScore(v: number | null | undefined, full?: number): string {
  if (v == null) return '—'
  const s = Number.isInteger(v) ? String(v) : v.toFixed(1)
  return full != null ? `${s} / ${full}` : s
}

export function percent(total: number | null | undefined, full: number): number | null {
  if (total == null || !full) return null
  return Math.round((total / full) * 1000) / 10
}

/** The entries of one level, ranked first (by rank), unscored after them by name. */
export function levelRows(entries: Entry[], level: string): Entry[] {
  return entries
    .filter((e) => e.level === level)
    .sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9) || a.unit_name.localeCompare(b.unit_name, 'zh'))
}

export interface CompareRow {
  unit_name: string
  total: number | null
  full_marks: number
  percent: number | null
  grade: string
  rank: number | null
  /** Per category: points scored (or self-assessed while unscored) against the category's full marks. */
  categories: Record<string, { got: number | null; max: number }>
}

/** Units of a level side by side (the comparison table); categories from the entries' items when loaded. */
export function comparison(entries: Entry[], level: string): CompareRow[] {
  return levelRows(entries, level).map((e) => {
    const categories: CompareRow['categories'] = {}
    // Lists carry per-category scores (`categories`, scored entries); a loaded entry its items.
    for (const c of e.categories || []) if (!(e.items || []).length) categories[c.category] = { got: c.score ?? null, max: c.max_score }
    for (const i of e.items || []) {
      const c = (categories[i.category] ||= { got: null, max: 0 })
      c.max += i.max_score
      const v = i.score ?? i.self_score
      if (v != null) c.got = (c.got ?? 0) + v
    }
    return {
      unit_name: e.unit_name,
      total: e.total ?? null,
      full_marks: e.full_marks,
      percent: percent(e.total, e.full_marks),
      grade: e.grade_label || '—',
      rank: e.rank ?? null,
      categories,
    }
  })
}

/** The ECharts option of the comparison: score percent per unit, self-assessment beside it. */
export function comparisonOption(entries: Entry[], level: string) {
  const rows = levelRows(entries, level)
  return {
    color: ['#b4232a', '#c0c4cc'],
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: ['得分率（%）', '自评（%）'] },
    grid: { left: 8, right: 16, top: 44, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: rows.map((e) => e.unit_name), axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0 } },
    yAxis: { type: 'value', max: 100 },
    series: [
      { name: '得分率（%）', type: 'bar', data: rows.map((e) => percent(e.total, e.full_marks)) },
      { name: '自评（%）', type: 'bar', data: rows.map((e) => percent(e.self_total, e.full_marks)) },
    ],
  }
}

export interface ItemDraft {
  position: number
  score: number | undefined
  comment: string
  evidence: number[]
}

/** The form state of an entry's items: self-assessment or scoring, prefilled from what is saved. */
export function drafts(items: Item[], mode: 'self' | 'score'): ItemDraft[] {
  return items.map((i) => ({
    position: i.position,
    score: (mode === 'self' ? i.self_score : (i.score ?? i.self_score ?? autoScore(i))) ?? undefined,
    comment: mode === 'self' ? i.self_comment : i.score_comment,
    evidence: [...i.evidence],
  }))
}

/** The automatic value in points (the service gives it as percent of full marks). */
export function autoScore(i: Pick<Item, 'auto_percent' | 'max_score'>): number | null {
  return i.auto_percent == null ? null : Math.round(i.auto_percent * i.max_score) / 100
}

/** Body of PUT /entries/{id}/self: automatic indicators carry no score of their own. */
export function selfBody(items: Item[], d: ItemDraft[]) {
  return {
    items: d.map((x, k) => ({
      position: x.position,
      score: items[k]?.method === 'auto' || x.score == null ? null : x.score,
      comment: x.comment.trim(),
      evidence: x.evidence,
    })),
  }
}

/** Manual indicators still without a self score (the service refuses to submit them). */
export function missingSelf(items: Item[], d: ItemDraft[]): string[] {
  return items.filter((i, k) => i.method !== 'auto' && d[k]?.score == null).map((i) => i.title)
}

export function scoreBody(d: ItemDraft[], rewardNote: string) {
  return { items: d.map((x) => ({ position: x.position, score: x.score ?? null, comment: x.comment.trim() })), reward_note: rewardNote.trim() }
}

/** The round's six deadlines in order, labelled. */
export function deadlines(r: Schemas['Round']): { label: string; due: string }[] {
  return [
    { label: '服务点自评', due: r.point_self_due },
    { label: '分馆评分', due: r.point_score_due },
    { label: '分馆自评', due: r.branch_self_due },
    { label: '总馆评分', due: r.branch_score_due },
    { label: '总馆自评', due: r.main_self_due },
    { label: '区级验收', due: r.district_due },
  ]
}

/** Default deadlines for a new round: points first, the district last, spaced through the period's end. */
export function defaultDeadlines(year: number, period: string): Record<string, string> {
  const endMonth = period === 'h1' ? 7 : 1
  const y = period === 'h1' ? year : year + 1
  const d = (day: number) => `${y}-${String(endMonth).padStart(2, '0')}-${String(day).padStart(2, '0')}T18:00:00+08:00`
  return {
    point_self_due: d(10),
    point_score_due: d(15),
    branch_self_due: d(20),
    branch_score_due: d(25),
    main_self_due: d(28),
    district_due: `${y}-${String(endMonth + 1).padStart(2, '0')}-10T18:00:00+08:00`,
  }
}

/** Open rectifications first (earliest deadline first), then the rest newest first. */
export function sortSpotChecks(items: Schemas['SpotCheck'][]): Schemas['SpotCheck'][] {
  const open = (s: Schemas['SpotCheck']) => s.open
  return [...items].sort((a, b) => {
    if (open(a) !== open(b)) return open(a) ? -1 : 1
    if (open(a)) return (a.rectify_by || '').localeCompare(b.rectify_by || '')
    return b.visited_on.localeCompare(a.visited_on)
  })
}

/** Uploads an image (photo, scanned page) of a unit to /api/v1/files, staff-only; returns its id. */
export async function uploadImage(unitId: number, file: File): Promise<number> {
  if (!['image/jpeg', 'image/png', 'image/webp'].includes(file.type)) throw new Error('请上传 JPG、PNG 或 WebP 图片（文档请拍照或截图）')
  if (file.size > 8 * 1024 * 1024) throw new Error('图片不能超过 8 MB')
  const res = await fetch(`/api/v1/files?unit_id=${unitId}&visibility=staff`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { ...headersFor('POST'), 'content-type': file.type },
    body: file,
  })
  if (!res.ok) throw await errorFrom(res)
  return ((await res.json()) as { id: number }).id
}

/** The categories used by any of the rows, in the standard's order (the comparison's columns). */
export function usedCategories(rows: CompareRow[]): string[] {
  return Object.keys(CATEGORY_LABELS).filter((k) => rows.some((r) => r.categories[k]))
}

/** A unit's year-on-year chart: score percent per round, one line per category's percent. */
export function historyOption(rows: Schemas['HistoryRow'][]) {
  const cats = Object.keys(CATEGORY_LABELS).filter((k) => rows.some((r) => r.categories.some((c) => c.category === k)))
  const pct = (r: Schemas['HistoryRow'], k: string) => {
    const c = r.categories.find((x) => x.category === k)
    return c && c.score != null && c.max_score ? Math.round((c.score / c.max_score) * 1000) / 10 : null
  }
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll', data: ['总得分率（%）', ...cats.map((k) => CATEGORY_LABELS[k])] },
    grid: { left: 8, right: 16, top: 44, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: rows.map((r) => r.title) },
    yAxis: { type: 'value', max: 100 },
    series: [
      { name: '总得分率（%）', type: 'bar', data: rows.map((r) => r.percent ?? null) },
      ...cats.map((k) => ({ name: CATEGORY_LABELS[k], type: 'line', data: rows.map((r) => pct(r, k)) })),
    ],
  }
}

/** Body of PUT /evaluation/facilities/{unit}: a fact per standard that has something recorded. */
export function factsBody(checks: { standard: { key: string; kind: string }; value: number | null | undefined; text: string; evidence: number[] }[]) {
  return {
    facts: checks
      .filter((c) => c.value != null || c.text.trim() || c.evidence.length)
      .map((c) => ({ key: c.standard.key, value: c.standard.kind === 'name' ? null : (c.value ?? null), text: c.text.trim(), evidence: c.evidence })),
  }
}
