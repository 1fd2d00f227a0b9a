// The evaluation screens' logic: who may take which step, the comparison of units, and the bodies
// sent to the service.
import { describe, expect, it } from 'vitest'
import type { Schemas } from '../src/api/client'
import type { Action } from '../src/auth/access'
import { can as canWith, type Grant } from '../src/auth/access'
import {
  autoScore, comparison, comparisonOption, factsBody, historyOption, usedCategories, deadlines, defaultDeadlines, drafts, entrySteps, fmtScore, levelRows, missingSelf, percent,
  scoreAction, scoreBody, selfBody, sortSpotChecks,
} from '../src/utils/evaluation'
import { SCREENS } from '../src/screens'

type Entry = Schemas['EntryView']
type Item = Schemas['EvalItem']

const item = (position: number, method: string, over: Partial<Item> = {}): Item => ({
  position, category: 'quantity', category_label: '服务数量', title: `指标${position}`, max_score: 10, method, source: method === 'manual' ? '' : 'targets',
  guidance: '', auto_percent: method === 'manual' ? null : 80, auto_basis: method === 'manual' ? '' : '年度目标 40 场，已举办 32 场', self_score: null, self_comment: '',
  evidence: [], score: null, score_comment: '', ...over,
})
const entry = (id: number, unit_name: string, level: string, over: Partial<Entry> = {}): Entry => ({
  id, round_id: 1, unit_id: id, unit_name, level, status: 'scored', return_comment: '', due: '2027-01-10T10:00:00Z', submitted_at: null, submitted_late: false,
  scored_at: null, scored_late: false, self_total: null, total: null, full_marks: 100, grade: null, grade_label: '', rank: null, reward_note: '',
  open_rectifications: 0, categories: [], items: [], ...over,
})

// Parents: 1 main → 4 branch → 27 point.
const parents = new Map<number, number | null>([[1, null], [4, 1], [27, 4]])
const grant = (unit_id: number, actions: string[]): Grant => ({ role: 'branch_staff', unit_id, actions })
const asPerson = (grants: Grant[]) => (a: Action, u?: number) => canWith(grants, a, u, parents)

describe('who may take which step', () => {
  it('a level is scored by the level above, the main center by the district', () => {
    expect(scoreAction('point')).toBe('score_points')
    expect(scoreAction('branch')).toBe('score_branches')
    expect(scoreAction('main')).toBe('manage_evaluation')
  })

  it('a point self-assesses its own entry; its branch scores it once submitted', () => {
    const point = asPerson([grant(27, ['read_evaluation', 'self_assess'])])
    const branch = asPerson([grant(4, ['read_evaluation', 'self_assess', 'score_points'])])
    const e = entry(27, '红荔服务点', 'point', { status: 'self' })
    expect(entrySteps(e, true, point)).toEqual({ selfAssess: true, submit: true, score: false, returnForCorrection: false })
    // The branch holds self_assess over its subtree too, but a submitted entry is for scoring only.
    const submitted = { ...e, status: 'submitted' }
    expect(entrySteps(submitted, true, point).score).toBe(false)
    expect(entrySteps(submitted, true, branch)).toEqual({ selfAssess: false, submit: false, score: true, returnForCorrection: true })
  })

  it('a branch may not score another branch, nor anything in a published round', () => {
    const other = asPerson([grant(5, ['read_evaluation', 'score_points'])])
    const e = entry(27, '红荔服务点', 'point', { status: 'submitted' })
    expect(entrySteps(e, true, other).score).toBe(false)
    const branch = asPerson([grant(4, ['read_evaluation', 'score_points'])])
    expect(entrySteps(e, false, branch).score).toBe(false)
  })

  it('an evaluator (read-only) takes no step', () => {
    const evaluator = asPerson([grant(1, ['read_evaluation', 'third_party_assess'])])
    for (const status of ['self', 'submitted', 'scored']) {
      expect(Object.values(entrySteps(entry(27, 'x', 'point', { status }), true, evaluator)).some(Boolean)).toBe(false)
    }
  })
})

describe('the comparison of units', () => {
  const entries = [
    entry(30, '乙服务点', 'point', { total: 72, rank: 2, grade_label: '合格', self_total: 80 }),
    entry(31, '甲服务点', 'point', { total: 91.5, rank: 1, grade_label: '优秀', self_total: 95 }),
    entry(32, '丙服务点', 'point', { status: 'self' }),
    entry(4, '园岭分馆', 'branch', { total: 85, rank: 1 }),
  ]

  it('ranks one level, unscored units last', () => {
    expect(levelRows(entries, 'point').map((e) => e.unit_name)).toEqual(['甲服务点', '乙服务点', '丙服务点'])
    const rows = comparison(entries, 'point')
    expect(rows[0]).toMatchObject({ unit_name: '甲服务点', percent: 91.5, grade: '优秀', rank: 1 })
    expect(rows[2]).toMatchObject({ unit_name: '丙服务点', total: null, percent: null, grade: '—' })
  })

  it('charts score percent and self-assessment per unit', () => {
    const o = comparisonOption(entries, 'point')
    expect(o.xAxis.data).toEqual(['甲服务点', '乙服务点', '丙服务点'])
    expect(o.series[0].data).toEqual([91.5, 72, null])
    expect(o.series[1].data).toEqual([95, 80, null])
  })

  it('sums categories from the items, the score over the self-assessment', () => {
    const e = entry(30, '乙', 'point', {
      items: [item(1, 'both', { score: 7, self_score: 9 }), item(2, 'manual', { self_score: 4, max_score: 5 }), item(3, 'manual', { category: 'innovation', max_score: 5 })],
    })
    const [row] = comparison([e], 'point')
    expect(row.categories.quantity).toEqual({ got: 11, max: 15 })
    expect(row.categories.innovation).toEqual({ got: null, max: 5 })
  })

  it('takes per-category scores from a list entry, and names the columns in the standard\'s order', () => {
    const e = entry(31, '丙', 'point', {
      categories: [
        { category: 'innovation', label: '创新与亮点', score: 8, max_score: 10 },
        { category: 'quality', label: '服务质量与满意度', score: null, max_score: 25 },
      ],
    })
    const rows = comparison([e], 'point')
    expect(rows[0].categories.innovation).toEqual({ got: 8, max: 10 })
    expect(rows[0].categories.quality).toEqual({ got: null, max: 25 })
    expect(usedCategories(rows)).toEqual(['quality', 'innovation'])
  })

  it('charts a unit year on year and sends only recorded facility facts', () => {
    const h = (title: string, percent: number | null, score: number | null) => ({
      round_id: 1, year: 2026, period: 'year', title, round_status: 'published', entry_id: 1, status: 'scored', total: percent, full_marks: 100, percent,
      grade_label: '', rank: 1, change: null, categories: [{ category: 'quality', label: '服务质量与满意度', score, max_score: 25 }],
    })
    const o = historyOption([h('2025年度', 70, 20), h('2026年度', 90, 22.5)])
    expect(o.xAxis.data).toEqual(['2025年度', '2026年度'])
    expect(o.series[0].data).toEqual([70, 90])
    expect(o.series[1]).toMatchObject({ name: '服务质量与满意度', data: [80, 90] })
    const body = factsBody([
      { standard: { key: 'area', kind: 'min' }, value: 120, text: '', evidence: [] },
      { standard: { key: 'hours', kind: 'min' }, value: null, text: '', evidence: [] },
      { standard: { key: 'signage', kind: 'name' }, value: 3, text: ' 福田区文化馆红荔服务点 ', evidence: [5] },
    ])
    expect(body.facts).toEqual([
      { key: 'area', value: 120, text: '', evidence: [] },
      { key: 'signage', value: null, text: '福田区文化馆红荔服务点', evidence: [5] },
    ])
  })

  it('formats scores and percents', () => {
    expect(fmtScore(null)).toBe('—')
    expect(fmtScore(86.25, 100)).toBe('86.3 / 100')
    expect(fmtScore(90)).toBe('90')
    expect(percent(45, 50)).toBe(90)
    expect(percent(null, 50)).toBeNull()
  })
})

describe('the forms', () => {
  const items = [item(1, 'auto'), item(2, 'manual', { self_score: 6, self_comment: '有记录', evidence: [11] }), item(3, 'both')]

  it('prefills the self-assessment from what is saved, and the scoring from the score, self score or automatic value', () => {
    const self = drafts(items, 'self')
    expect(self.map((d) => d.score)).toEqual([undefined, 6, undefined])
    expect(self[1]).toMatchObject({ comment: '有记录', evidence: [11] })
    self[1].evidence.push(12)
    expect(items[1].evidence).toEqual([11])
    expect(drafts(items, 'score').map((d) => d.score)).toEqual([8, 6, 8])
    expect(autoScore(item(9, 'auto', { auto_percent: 75, max_score: 5 }))).toBe(3.75)
  })

  it('sends no self score for automatic indicators and names the manual ones still missing', () => {
    const d = drafts(items, 'self')
    d[0].score = 10
    d[1].comment = '  见台账  '
    expect(missingSelf(items, d)).toEqual(['指标3'])
    d[2].score = 7
    expect(missingSelf(items, d)).toEqual([])
    expect(selfBody(items, d)).toEqual({
      items: [
        { position: 1, score: null, comment: '', evidence: [] },
        { position: 2, score: 6, comment: '见台账', evidence: [11] },
        { position: 3, score: 7, comment: '', evidence: [] },
      ],
    })
  })

  it('sends every indicator score with the reward note', () => {
    const d = drafts(items, 'score')
    d[1].score = undefined
    expect(scoreBody(d, ' 通报表扬 ')).toEqual({
      items: [
        { position: 1, score: 8, comment: '' },
        { position: 2, score: null, comment: '' },
        { position: 3, score: 8, comment: '' },
      ],
      reward_note: '通报表扬',
    })
  })
})

describe('rounds and spot checks', () => {
  it('proposes deadlines in the order of the steps, after the period ends', () => {
    for (const period of ['year', 'h1', 'h2']) {
      const d = defaultDeadlines(2026, period)
      const order = [d.point_self_due, d.point_score_due, d.branch_self_due, d.branch_score_due, d.main_self_due, d.district_due].map((s) => Date.parse(s))
      expect(order.every((t, k) => k === 0 || t > order[k - 1])).toBe(true)
      const end = period === 'h1' ? Date.parse('2026-07-01T00:00:00+08:00') : Date.parse('2027-01-01T00:00:00+08:00')
      expect(order[0]).toBeGreaterThan(end)
    }
    const r = { ...defaultDeadlines(2026, 'year') } as unknown as Schemas['Round']
    expect(deadlines(r).map((x) => x.label)).toEqual(['服务点自评', '分馆评分', '分馆自评', '总馆评分', '总馆自评', '区级验收'])
  })

  it('lists open rectifications first, earliest deadline first', () => {
    const s = (id: number, visited_on: string, rectify_by: string | null, open: boolean) =>
      ({ id, unit_id: 27, unit_name: 'x', kind: 'supervision', visited_on, findings: '', photos: [], rectify_by, rectification: '', rectified_at: null, open }) as Schemas['SpotCheck']
    const sorted = sortSpotChecks([s(1, '2026-03-01', null, false), s(2, '2026-05-01', '2026-06-30', true), s(3, '2026-04-01', '2026-05-31', true), s(4, '2026-06-01', '2026-06-10', false)])
    expect(sorted.map((x) => x.id)).toEqual([3, 2, 4, 1])
  })

  it('the evaluation screens are in the screen map, gated by read_evaluation', () => {
    const ev = SCREENS.filter((s) => s.path.startsWith('/evaluation'))
    expect(ev.map((s) => s.needs)).toEqual(['read_evaluation', 'read_evaluation'])
    expect(ev.flatMap((s) => s.ops)).toEqual(expect.arrayContaining(['eval_round_publish', 'eval_entry_score', 'spot_check_rectify', 'eval_assess']))
  })
})
