import { describe, expect, it } from 'vitest'
import { allows, can, grantableBy, readOnly, within, type Grant, type ParentMap } from '../src/auth/access'

// ft-main(1) → ft-b-yuanling(4) → ft-p-hongli(27); ft-b-nanyuan(5)
const parents: ParentMap = new Map([
  [1, null],
  [4, 1],
  [27, 4],
  [5, 1],
])

describe('access table (same as docs/api.md "Roles and actions")', () => {
  it('read-only roles may read but never write', () => {
    for (const role of ['district_supervisor', 'evaluator'] as const) {
      expect(allows(role, 'ReadActivityData')).toBe(true)
      expect(allows(role, 'ReadStats')).toBe(true)
      for (const w of ['ManageActivities', 'ManageCheckin', 'ReplyFeedback', 'TriageDemand', 'OrderMenu', 'EditUnit', 'GrantVolunteer', 'ManageMenu'] as const)
        expect(allows(role, w)).toBe(false)
    }
    expect(allows('evaluator', 'ReadAudit')).toBe(false)
    expect(allows('district_supervisor', 'ReadAudit')).toBe(true)
  })
  it('only the main center manages the menu; branches and up edit units', () => {
    expect(allows('center_staff', 'ManageMenu')).toBe(true)
    expect(allows('branch_staff', 'ManageMenu')).toBe(false)
    expect(allows('branch_staff', 'EditUnit')).toBe(true)
    expect(allows('point_coordinator', 'EditUnit')).toBe(false)
  })
  it('a grant covers its subtree only', () => {
    const g: Grant[] = [{ role: 'branch_staff', unit_id: 4 }]
    expect(can(g, 'ManageActivities', 27, parents)).toBe(true)
    expect(can(g, 'ManageActivities', 4, parents)).toBe(true)
    expect(can(g, 'ManageActivities', 5, parents)).toBe(false)
    expect(can(g, 'ManageActivities', 1, parents)).toBe(false)
    expect(within(27, 1, parents)).toBe(true)
  })
  it('who may grant which role', () => {
    expect(grantableBy('point_coordinator')).toEqual(['volunteer'])
    expect(grantableBy('branch_staff')).not.toContain('center_staff')
    expect(grantableBy('center_admin')).toContain('evaluator')
    expect(grantableBy('evaluator')).toEqual([])
  })
  it('read-only means every grant is read-only', () => {
    expect(readOnly([{ role: 'evaluator', unit_id: 1 }])).toBe(true)
    expect(readOnly([{ role: 'evaluator', unit_id: 1 }, { role: 'branch_staff', unit_id: 4 }])).toBe(false)
    expect(readOnly([])).toBe(false)
  })
})
