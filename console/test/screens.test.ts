// Component tests: the screens' write controls follow the signed-in person's roles.
import { describe, expect, it, beforeEach } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createRouter, createMemoryHistory } from 'vue-router'
import { configureClient } from '../src/api/client'
import { setSession, session } from '../src/auth/session'
import { indexTree, org } from '../src/auth/org'
import ActivitiesView from '../src/views/ActivitiesView.vue'
import { SCREENS } from '../src/screens'
import { can } from '../src/auth/session'

const unit = (id: number, parent: number | null, level: string, name: string) => ({
  id, code: `u${id}`, name, short_name: name, level, parent_id: parent, address: '', opening_hours: '', phone: '', host_type: '', contracted: false, is_demo: true,
})
const tree = [{ unit: unit(1, null, 'main', '总馆'), children: [{ unit: unit(4, 1, 'branch', '园岭分馆'), children: [{ unit: unit(27, 4, 'point', '红荔服务点'), children: [] }] }] }]
// As the service lists them per role (access::action_names).
const ACTIONS: Record<string, string[]> = {
  point_coordinator: ['read_audit', 'read_staff', 'grant_volunteer', 'manage_activities', 'read_activity_data', 'scan_tickets', 'manage_checkin', 'read_feedback', 'reply_feedback', 'triage_demand', 'order_menu', 'read_stats', 'moderate_reports', 'manage_rooms', 'manage_teams'],
  branch_staff: ['edit_unit', 'read_audit', 'read_staff', 'grant_volunteer', 'grant_point_coordinator', 'grant_branch_staff', 'manage_activities', 'read_activity_data', 'scan_tickets', 'manage_checkin', 'waive_no_show', 'read_feedback', 'reply_feedback', 'triage_demand', 'order_menu', 'read_stats', 'export_ledger', 'manage_staff', 'moderate_reports', 'manage_rooms', 'manage_teams'],
  evaluator: ['read_activity_data', 'read_feedback', 'read_stats', 'export_ledger'],
}
const activities = {
  items: [
    { id: 9, title: '少儿舞蹈课', kind: 'training', status: 'draft', organizer_unit_id: 4, organizer_name: '园岭分馆', first_start: '2026-12-05T01:30:00Z', booked: 0, capacity: 20 },
  ],
}

function serve() {
  configureClient({
    fetch: (async (u: string) => {
      const body = u.startsWith('/api/v1/manage/activities') ? activities : { items: [] }
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
    }) as unknown as typeof fetch,
  })
}

async function mountAs(role: string, unitId: number) {
  setSession({ user: { id: 1, display_name: '测试' }, grants: [{ role: role as never, unit_id: unitId, actions: ACTIONS[role] }], read_only: role === 'evaluator', csrf_token: 'x', expires_at: '' })
  indexTree(tree as never)
  org.unitId = unitId
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { template: '<div/>' } }] })
  const w = mount(ActivitiesView, { global: { plugins: [ElementPlus, router] } })
  await flushPromises()
  await new Promise((r) => setTimeout(r, 20))
  await flushPromises()
  return w
}

describe('role-aware screens', () => {
  beforeEach(() => {
    serve()
    session.loaded = true
  })
  it('branch staff see the activity and its write controls', async () => {
    const w = await mountAs('branch_staff', 4)
    expect(w.text()).toContain('少儿舞蹈课')
    expect(w.find('[data-test="new-activity"]').exists()).toBe(true)
    expect(w.find('[data-test="publish-9"]').exists()).toBe(true)
  })
  it('an evaluator sees the same list with no write control', async () => {
    const w = await mountAs('evaluator', 1)
    expect(w.text()).toContain('少儿舞蹈课')
    expect(w.find('[data-test="new-activity"]').exists()).toBe(false)
    expect(w.find('[data-test="publish-9"]').exists()).toBe(false)
    expect(w.text()).not.toContain('发布')
  })
  it('navigation: a point coordinator has no menu screen, an evaluator no door or people screen', () => {
    setSession({ user: { id: 1, display_name: '' }, grants: [{ role: 'point_coordinator', unit_id: 27, actions: ACTIONS.point_coordinator }], read_only: false, csrf_token: '', expires_at: '' })
    expect(SCREENS.filter((s) => !s.hidden && can(s.needs)).map((s) => s.name)).toEqual(
      ['dashboard', 'network', 'activities', 'door', 'volunteers', 'feedback', 'reports', 'demand', 'menu', 'people', 'targets', 'workplan', 'partners', 'rooms', 'teams', 'training', 'register', 'stats'],
    )
    setSession({ user: { id: 1, display_name: '' }, grants: [{ role: 'evaluator', unit_id: 1, actions: ACTIONS.evaluator }], read_only: true, csrf_token: '', expires_at: '' })
    const shown = SCREENS.filter((s) => !s.hidden && can(s.needs)).map((s) => s.name)
    expect(shown).not.toContain('door')
    expect(shown).not.toContain('volunteers')
    expect(shown).not.toContain('people')
    expect(shown).not.toContain('register')
    expect(shown).toContain('stats')
    expect(shown).toContain('targets')
    expect(shown).not.toContain('partners')
    expect(shown).not.toContain('reports')
  })
})
