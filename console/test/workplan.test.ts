// Component tests: the work plan (工作计划) and the plan editor's allocation balance (年度目标).
import { describe, expect, it, beforeEach } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createRouter, createMemoryHistory } from 'vue-router'
import { configureClient } from '../src/api/client'
import { setSession, session } from '../src/auth/session'
import { indexTree, org } from '../src/auth/org'
import WorkPlanView from '../src/views/WorkPlanView.vue'
import { allocationBalance } from '../src/utils/allocation'

const unit = (id: number, parent: number | null, level: string, name: string) => ({
  id, code: `u${id}`, name, short_name: name, level, parent_id: parent, address: '', opening_hours: '', phone: '', host_type: '', contracted: false, is_demo: true,
})
const tree = [{ unit: unit(1, null, 'main', '总馆'), children: [
  { unit: unit(4, 1, 'branch', '园岭分馆'), children: [{ unit: unit(27, 4, 'point', '红荔服务点'), children: [] }, { unit: unit(28, 4, 'point', '百花服务点'), children: [] }] },
  { unit: unit(5, 1, 'branch', '南园分馆'), children: [] },
] }]
const READ = ['read_activity_data', 'read_stats']
const ACTIONS: Record<string, string[]> = {
  branch_staff: [...READ, 'manage_activities'],
  evaluator: READ,
  center_staff: [...READ, 'manage_activities', 'manage_plan'],
}
const item = (id: number, title: string, units: [number, string][], status: string, label: string) => ({
  id, year: 2026, title, month: '2026-05', note: '', units: units.map(([unit_id, unit_name]) => ({ unit_id, unit_name })),
  activities: status === 'held' ? [{ activity_id: 9, title: '送戏下基层', status: 'published', organizer_name: '园岭分馆', sessions: 2, held: 1 }] : [],
  held_sessions: status === 'held' ? 1 : 0, status, status_label: label, closed_at: null, created_at: '2026-01-02T00:00:00Z',
})
const items = { year: 2026, items: [item(1, '园岭迎新春送戏', [[4, '园岭分馆']], 'held', '已举办'), item(2, '南园书法展', [[5, '南园分馆']], 'overdue', '已过期未举办')] }

function serve() {
  configureClient({
    fetch: (async (u: string) => {
      const path = u.split('?')[0]
      const body = path.endsWith('/items') ? items : { items: [] }
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
    }) as unknown as typeof fetch,
  })
}

async function mountAs(view: unknown, role: string, unitId: number) {
  setSession({ user: { id: 1, display_name: '测试' }, grants: [{ role: role as never, unit_id: unitId, actions: ACTIONS[role] }], read_only: role === 'evaluator', csrf_token: 'x', expires_at: '' })
  indexTree(tree as never)
  org.unitId = unitId
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { template: '<div/>' } }] })
  const w = mount(view as never, { global: { plugins: [ElementPlus, router] } })
  await flushPromises()
  await new Promise((r) => setTimeout(r, 20))
  await flushPromises()
  return w
}

describe('work plan', () => {
  beforeEach(() => {
    serve()
    session.loaded = true
  })
  it('the main center sees every item with its derived status and the plan controls', async () => {
    const w = await mountAs(WorkPlanView, 'center_staff', 1)
    expect(w.text()).toContain('园岭迎新春送戏')
    expect(w.text()).toContain('已举办')
    expect(w.text()).toContain('送戏下基层（园岭分馆，已举办 1/2 场）')
    expect(w.text()).toContain('已过期未举办')
    expect(w.find('[data-test="item-new"]').exists()).toBe(true)
    expect(w.findAll('[data-test="item-link"]').length).toBe(2)
    expect(w.text()).toContain('删除')
  })
  it('a branch may link only to the items naming it, and keeps no plan', async () => {
    const w = await mountAs(WorkPlanView, 'branch_staff', 4)
    expect(w.find('[data-test="item-new"]').exists()).toBe(false)
    expect(w.findAll('[data-test="item-link"]').length).toBe(1)
    expect(w.text()).not.toContain('删除')
  })
  it('an evaluator reads only', async () => {
    const w = await mountAs(WorkPlanView, 'evaluator', 1)
    expect(w.text()).toContain('南园书法展')
    expect(w.find('[data-test="item-link"]').exists()).toBe(false)
    expect(w.find('[data-test="item-new"]').exists()).toBe(false)
  })
})

describe('plan editor: allocation balance', () => {
  const units = [unit(4, 1, 'branch', '园岭分馆'), unit(5, 1, 'direct_branch', '南园分馆'), unit(27, 4, 'point', '红荔服务点'), unit(28, 4, 'point', '百花服务点')]
  const cats = ['performances', 'trainings'] as const
  it('what is left at each level, per kind', () => {
    const rows = allocationBalance(cats, { performances: 20, trainings: 10 }, { '4:trainings': 6, '27:trainings': 4, '5:trainings': 4 }, units)
    const find = (u: string, c: string) => rows.find((r) => r.unit_name === u && r.category === c)!
    expect(find('全区', 'trainings')).toMatchObject({ target: 10, allocated: 10, state: 'full' })
    expect(find('全区', 'performances')).toMatchObject({ allocated: 0, remaining: 20, state: 'under' })
    expect(find('园岭分馆', 'trainings')).toMatchObject({ target: 6, allocated: 4, remaining: 2, state: 'under' })
    expect(rows.find((r) => r.unit_name === '园岭分馆' && r.category === 'performances')).toBeUndefined()
  })
  it('over at the district and at a branch, and a point without its branch allocated', () => {
    const rows = allocationBalance(cats, { performances: 20, trainings: 10 }, { '4:trainings': 6, '5:trainings': 5, '27:trainings': 4, '28:trainings': 3, '27:performances': 1 }, units)
    const find = (u: string, c: string) => rows.find((r) => r.unit_name === u && r.category === c)!
    expect(find('全区', 'trainings')).toMatchObject({ allocated: 11, remaining: -1, state: 'over' })
    expect(find('园岭分馆', 'trainings')).toMatchObject({ allocated: 7, remaining: -1, state: 'over' })
    expect(find('园岭分馆', 'performances')).toMatchObject({ target: 0, allocated: 1, state: 'over' })
  })
})
