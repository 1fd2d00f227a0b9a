import { describe, expect, it } from 'vitest'
import { can, capabilityTag, grantableAt, within, type Grant, type ParentMap } from '../src/auth/access'

// ft-main(1) → ft-b-yuanling(4) → ft-p-hongli(27); ft-b-nanyuan(5)
const parents: ParentMap = new Map([
  [1, null],
  [4, 1],
  [27, 4],
  [5, 1],
])
// The actions lists as GET /api/v1/console/session gives them (access::action_names).
const branch: Grant = { role: 'branch_staff', unit_id: 4, actions: ['edit_unit', 'read_staff', 'grant_volunteer', 'grant_point_coordinator', 'grant_branch_staff', 'manage_activities', 'read_activity_data'] }
const evaluator: Grant = { role: 'evaluator', unit_id: 1, actions: ['read_activity_data', 'read_feedback', 'read_stats', 'export_ledger'] }

describe('what the console shows follows the actions the service lists per grant', () => {
  it('a grant covers its subtree only', () => {
    expect(can([branch], 'manage_activities', 27, parents)).toBe(true)
    expect(can([branch], 'manage_activities', 4, parents)).toBe(true)
    expect(can([branch], 'manage_activities', 5, parents)).toBe(false)
    expect(can([branch], 'manage_activities', 1, parents)).toBe(false)
    expect(can([branch], 'manage_menu', null, parents)).toBe(false)
    expect(within(27, 1, parents)).toBe(true)
  })
  it('a read-only grant allows no write action anywhere', () => {
    for (const a of ['manage_activities', 'manage_checkin', 'reply_feedback', 'triage_demand', 'order_menu', 'edit_unit', 'grant_volunteer'] as const)
      expect(can([evaluator], a, 27, parents)).toBe(false)
    expect(can([evaluator], 'read_stats', 27, parents)).toBe(true)
  })
  it('roles that may be handed out, at a unit', () => {
    expect(grantableAt([branch], 27, parents)).toEqual(['volunteer', 'point_coordinator', 'branch_staff'])
    expect(grantableAt([branch], 5, parents)).toEqual([])
    expect(grantableAt([evaluator], 1, parents)).toEqual([])
  })
  it('the header names what a read-only person may still do', () => {
    const supervisor: Grant = { role: 'district_supervisor', unit_id: 1, actions: ['read_activity_data', 'read_evaluation', 'manage_evaluation', 'spot_check'] }
    const third: Grant = { ...evaluator, actions: [...evaluator.actions, 'read_evaluation', 'third_party_assess'] }
    expect(capabilityTag([supervisor], true)?.text).toBe('只读 · 可考核验收')
    expect(capabilityTag([third], true)?.text).toBe('只读 · 第三方评估')
    expect(capabilityTag([evaluator], true)?.text).toBe('只读')
    expect(capabilityTag([branch], false)).toBeNull()
  })
})
