// Chart options built from API answers: plain functions, tested without a browser.
import type { Schemas } from '../api/client'

const PALETTE = ['#b4232a', '#1d5fd6', '#2e7d32', '#b26a00', '#6a3fb5', '#00796b']

export function targetsOption(t: Schemas['Targets']) {
  return {
    color: PALETTE,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: ['年度目标', '已举办场次', '其中联合开展（计入达标）'] },
    grid: { left: 8, right: 16, top: 44, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: t.items.map((i) => i.label) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: '年度目标', type: 'bar', data: t.items.map((i) => i.target), itemStyle: { color: '#c0c4cc' } },
      { name: '已举办场次', type: 'bar', data: t.items.map((i) => i.count) },
      { name: '其中联合开展（计入达标）', type: 'bar', data: t.items.map((i) => i.joint_or_delivered) },
    ],
  }
}

/** The year's trend of one category: cumulative joint sessions per month against an even pace. */
export function trendOption(points: Schemas['TrendPoint'][], category: string) {
  const ps = points.filter((p) => p.category === category)
  return {
    color: PALETTE,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: ['累计联合开展场次', '按进度应达到'] },
    grid: { left: 8, right: 16, top: 44, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: ps.map((p) => p.month.slice(5) + '月') },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: '累计联合开展场次', type: 'line', data: ps.map((p) => p.joint_cumulative) },
      { name: '按进度应达到', type: 'line', lineStyle: { type: 'dashed' }, data: ps.map((p) => p.pace) },
    ],
  }
}

/** Satisfaction rows (unit × kind × month) → average score per month, one line per kind. */
export function satisfactionOption(rows: Schemas['SatisfactionRow'][], kindLabel: (k: string) => string) {
  const months = [...new Set(rows.map((r) => r.month))].sort()
  const kinds = [...new Set(rows.map((r) => r.kind))]
  const series = kinds.map((k) => ({
    name: kindLabel(k),
    type: 'line',
    connectNulls: true,
    data: months.map((m) => {
      const rs = rows.filter((r) => r.kind === k && r.month === m)
      const n = rs.reduce((s, r) => s + r.ratings, 0)
      return n ? Math.round((rs.reduce((s, r) => s + r.average * r.ratings, 0) / n) * 100) / 100 : null
    }),
  }))
  return {
    color: PALETTE,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: series.map((s) => s.name) },
    grid: { left: 8, right: 16, top: 44, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: months },
    yAxis: { type: 'value', min: 1, max: 5 },
    series,
  }
}

/** Demand rows → total and fulfilled per kind. */
export function demandOption(rows: Schemas['DemandRow'][], kindLabel: (k: string) => string) {
  const kinds = [...new Set(rows.map((r) => r.kind))]
  const sum = (k: string, f: (r: Schemas['DemandRow']) => number) => rows.filter((r) => r.kind === k).reduce((s, r) => s + f(r), 0)
  return {
    color: PALETTE,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: ['需求', '已实现', '未采纳'] },
    grid: { left: 8, right: 16, top: 44, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: kinds.map(kindLabel) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: '需求', type: 'bar', data: kinds.map((k) => sum(k, (r) => r.total)) },
      { name: '已实现', type: 'bar', data: kinds.map((k) => sum(k, (r) => r.fulfilled)) },
      { name: '未采纳', type: 'bar', data: kinds.map((k) => sum(k, (r) => r.declined)) },
    ],
  }
}

export function staffingOption(items: Schemas['Staffing'][]) {
  const met = items.filter((i) => i.met).length
  return {
    color: ['#2e7d32', '#b4232a'],
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    series: [
      {
        type: 'pie',
        radius: ['40%', '70%'],
        label: { formatter: '{b}: {c}' },
        data: [
          { name: '达到配备标准', value: met },
          { name: '未达标准', value: items.length - met },
        ],
      },
    ],
  }
}

export function repliesOption(r: Schemas['ReplyStats']) {
  return {
    color: PALETTE,
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    series: [
      {
        type: 'pie',
        radius: ['40%', '70%'],
        label: { formatter: '{b}: {c}' },
        data: [
          { name: '已回复', value: r.replied },
          { name: '未回复', value: Math.max(0, r.commented - r.replied) },
        ],
      },
    ],
  }
}
