import { describe, expect, it } from 'vitest'
import { levelLabel, photoIdsAfter, statusLabel } from '../src/utils/teams'
import { SCREENS } from '../src/screens'

describe('teams', () => {
  it('labels states and award levels in Chinese, unknown ones as given', () => {
    expect(statusLabel('pending')).toBe('待审核')
    expect(statusLabel('verified')).toBe('已认证')
    expect(levelLabel('district')).toBe('区级')
    expect(levelLabel('galactic')).toBe('galactic')
  })
  it('the teams screen needs manage_teams and lists the staff operations it uses', () => {
    const s = SCREENS.find((x) => x.name === 'teams')!
    expect(s.needs).toBe('manage_teams')
    expect(s.ops).toEqual(expect.arrayContaining(['teams_manage_list', 'team_detail', 'team_verify', 'team_decline', 'team_guidance_add', 'team_award_add', 'team_performance_add', 'team_performance_remove']))
  })
})

describe('team photos', () => {
  const photos = [1, 2, 3].map((file_id) => ({ file_id }))
  it('adds a new photo at the end, once', () => {
    expect(photoIdsAfter(photos, { add: 7 })).toEqual([1, 2, 3, 7])
    expect(photoIdsAfter(photos, { add: 2 })).toEqual([1, 2, 3])
  })
  it('removes one and keeps the order', () => {
    expect(photoIdsAfter(photos, { remove: 2 })).toEqual([1, 3])
  })
  it('never sends more than the nine the service takes', () => {
    const nine = Array.from({ length: 9 }, (_, i) => ({ file_id: i + 1 }))
    expect(photoIdsAfter(nine, { add: 10 })).toHaveLength(9)
  })
})
