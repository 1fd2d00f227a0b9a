import { describe, expect, it } from 'vitest'
import { demandOption, satisfactionOption, staffingOption, targetsOption, trendOption } from '../src/utils/charts'
import { chinaDay, chinaInstant, fmtTime } from '../src/utils/format'

describe('charts from API answers', () => {
  it('targets: target, count and delivered per category', () => {
    const row = { category: 'performances', label: '送演出下基层', target: 20, allocated: false, count: 7, joint_or_delivered: 3, count_per_course: 7, joint_per_course: 3, not_counted: 1, pace_needed: 18, met: false }
    const o = targetsOption({ year: 2026, unit_id: 1, unit_name: '总馆', plan_is_default: true, items: [{ ...row, label: '文艺演出' }], units: [], trend: [] }) as { series: { data: number[] }[]; xAxis: { data: string[] } }
    expect(o.xAxis.data).toEqual(['文艺演出'])
    expect(o.series.map((s) => s.data[0])).toEqual([20, 7, 3])
  })
  it('trend: cumulative joint sessions of one category against the pace', () => {
    const o = trendOption(
      [
        { month: '2026-01', category: 'trainings', joint_cumulative: 2, pace: 1.7 },
        { month: '2026-02', category: 'trainings', joint_cumulative: 3, pace: 3.3 },
        { month: '2026-01', category: 'performances', joint_cumulative: 9, pace: 1.7 },
      ],
      'trainings',
    ) as { series: { data: number[] }[]; xAxis: { data: string[] } }
    expect(o.xAxis.data).toEqual(['01月', '02月'])
    expect(o.series[0].data).toEqual([2, 3])
    expect(o.series[1].data).toEqual([1.7, 3.3])
  })
  it('satisfaction: ratings-weighted monthly averages per kind', () => {
    const o = satisfactionOption(
      [
        { unit_id: 1, unit_name: 'a', kind: 'lecture', month: '2026-11', ratings: 1, average: 5, low_scores: 0 },
        { unit_id: 2, unit_name: 'b', kind: 'lecture', month: '2026-11', ratings: 3, average: 3, low_scores: 1 },
        { unit_id: 2, unit_name: 'b', kind: 'lecture', month: '2026-12', ratings: 2, average: 4, low_scores: 0 },
      ],
      (k) => k,
    ) as { series: { data: (number | null)[] }[]; xAxis: { data: string[] } }
    expect(o.xAxis.data).toEqual(['2026-11', '2026-12'])
    expect(o.series[0].data).toEqual([3.5, 4])
  })
  it('demand sums units per kind; staffing counts units that meet the minimum', () => {
    const d = demandOption(
      [
        { unit_id: 1, unit_name: 'a', kind: 'training', total: 4, supporters: 9, fulfilled: 1, declined: 1, fulfilled_percent: 25 },
        { unit_id: 2, unit_name: 'b', kind: 'training', total: 2, supporters: 1, fulfilled: 2, declined: 0, fulfilled_percent: 100 },
      ],
      (k) => k,
    ) as { series: { data: number[] }[] }
    expect(d.series.map((s) => s.data[0])).toEqual([6, 3, 1])
    const s = staffingOption([
      { unit_id: 1, unit_name: 'a', level: 'main', staff: 15, minimum: 15, met: true, gap: 0, counted: '专职' },
      { unit_id: 2, unit_name: 'b', level: 'point', staff: 0, minimum: 1, met: false, gap: 1, counted: '文体协管员' },
    ]) as { series: { data: { value: number }[] }[] }
    expect(s.series[0].data.map((x) => x.value)).toEqual([1, 1])
  })
  it('times are shown and sent in China time', () => {
    expect(fmtTime('2026-12-05T01:30:00Z')).toBe('2026-12-05 09:30')
    expect(chinaDay(new Date('2026-12-05T17:00:00Z'))).toBe('2026-12-06')
    expect(chinaInstant('2026-12-05', '19:30')).toBe('2026-12-05T19:30:00+08:00')
  })
})
