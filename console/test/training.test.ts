import { describe, expect, it } from 'vitest'
import { audienceFields, checkLine, sortChecks, TRAINING_KIND_LABELS } from '../src/utils/training'
import { SCREENS } from '../src/screens'

describe('staff training (issue 13)', () => {
  it('a public activity sends nothing extra; a staff training sends its audience, kind and the district flag', () => {
    expect(audienceFields({ audience: 'public', training_kind: 'business', by_district: true })).toEqual({})
    expect(audienceFields({ audience: 'staff', training_kind: 'coordinator', by_district: false })).toEqual({ audience: 'staff', training_kind: 'coordinator' })
    expect(audienceFields({ audience: 'staff', training_kind: 'management', by_district: true })).toEqual({ audience: 'staff', training_kind: 'management', by_district: true })
  })

  it('the three kinds the service knows are labelled', () => {
    expect(Object.keys(TRAINING_KIND_LABELS).sort()).toEqual(['business', 'coordinator', 'management'])
  })

  it('gaps come first and read as a planning officer says them', () => {
    const rows = [
      { level: 'main', unit_name: '福田区文化馆', requirement: '每年至少 4 次业务培训', required: 4, counted: 4, met: true, gap: 0 },
      { level: 'branch', unit_name: '园岭分馆', requirement: '每年至少 1 次协管员培训', required: 1, counted: 0, met: false, gap: 1 },
      { level: 'district', unit_name: '', requirement: '每年至少 1 次管理培训', required: 1, counted: 1, met: true, gap: 0 },
    ]
    const sorted = sortChecks(rows)
    expect(sorted[0].unit_name).toBe('园岭分馆')
    expect(checkLine(sorted[0])).toBe('园岭分馆 每年至少 1 次协管员培训：0/1，缺 1')
    expect(checkLine(rows[2])).toBe('区级 每年至少 1 次管理培训：1/1，已达标')
  })

  it('the training screen and the register name the training operations', () => {
    const t = SCREENS.find((s) => s.name === 'training')!
    expect(t.needs).toBe('read_staff')
    expect(t.ops).toContain('training_summary')
    expect(SCREENS.find((s) => s.name === 'register')!.ops).toContain('training_record_staff')
  })
})
