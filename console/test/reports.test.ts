// The 举报 moderation queue: what staff see, and the decide controls only for those allowed.
import { describe, expect, it, beforeEach } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createRouter, createMemoryHistory } from 'vue-router'
import { configureClient } from '../src/api/client'
import { setSession, session } from '../src/auth/session'
import { indexTree, org } from '../src/auth/org'
import ReportsView from '../src/views/ReportsView.vue'

const unit = (id: number, parent: number | null, level: string, name: string) => ({
  id, code: `u${id}`, name, short_name: name, level, parent_id: parent, address: '', opening_hours: '', phone: '', host_type: '', contracted: false, is_demo: true,
})
const tree = [{ unit: unit(1, null, 'main', '总馆'), children: [{ unit: unit(4, 1, 'branch', '园岭分馆'), children: [{ unit: unit(27, 4, 'point', '红荔服务点'), children: [] }] }] }]
const queue = {
  items: [
    {
      target_kind: 'rating', target_id: 7, unit_id: 27, unit_name: '红荔服务点', context: '书法讲座', text: '组织者都是骗子', author: '张*',
      public: true, reports: 2, reasons: [{ reason: 'abuse', label: '辱骂攻击', count: 2 }], details: ['人身攻击'], first_reported_at: '2026-12-01T02:00:00Z',
    },
    {
      target_kind: 'demand', target_id: 3, unit_id: 27, unit_name: '红荔服务点', context: '需求 · 讲座', text: '加微信领奖品', author: '李*',
      public: true, reports: 1, reasons: [{ reason: 'ads', label: '广告营销', count: 1 }], details: [], first_reported_at: '2026-12-01T03:00:00Z',
    },
  ],
}
let asked: string[] = []

function serve() {
  asked = []
  configureClient({
    fetch: (async (u: string) => {
      asked.push(u)
      const body = u.startsWith('/api/v1/reports') ? queue : { items: [] }
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
    }) as unknown as typeof fetch,
  })
}

async function mountAs(actions: string[], unitId: number) {
  setSession({ user: { id: 1, display_name: '测试' }, grants: [{ role: 'branch_staff', unit_id: unitId, actions }], read_only: false, csrf_token: 'x', expires_at: '' })
  indexTree(tree as never)
  org.unitId = unitId
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { template: '<div/>' } }] })
  const w = mount(ReportsView, { global: { plugins: [ElementPlus, router] } })
  await flushPromises()
  await new Promise((r) => setTimeout(r, 20))
  await flushPromises()
  return w
}

describe('report queue', () => {
  beforeEach(() => {
    serve()
    session.loaded = true
  })
  it('lists reported items of the unit with reasons and the decide controls', async () => {
    const w = await mountAs(['read_feedback', 'moderate_reports'], 4)
    expect(asked.some((u) => u.startsWith('/api/v1/reports') && u.includes('unit_id=4'))).toBe(true)
    expect(w.find('[data-test="report-text-rating-7"]').text()).toBe('组织者都是骗子')
    expect(w.text()).toContain('辱骂攻击 × 2')
    expect(w.text()).toContain('“人身攻击”')
    expect(w.find('[data-test="uphold-rating-7"]').exists()).toBe(true)
    expect(w.find('[data-test="dismiss-demand-3"]').exists()).toBe(true)
  })
  it('without moderate_reports there is nothing to press', async () => {
    const w = await mountAs(['read_feedback'], 4)
    expect(w.text()).toContain('加微信领奖品')
    expect(w.find('[data-test="uphold-rating-7"]').exists()).toBe(false)
    expect(w.findAll('button').some((b) => b.text() === '隐藏' || b.text() === '保留')).toBe(false)
  })
})
