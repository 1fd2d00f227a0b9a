// Art teams (文艺团队): labels for the states and award levels the service uses.

export const STATUSES: Record<string, string> = {
  pending: '待审核',
  verified: '已认证',
  declined: '未通过',
  dissolved: '已解散',
}

export const LEVELS: Record<string, string> = {
  national: '国家级',
  provincial: '省级',
  city: '市级',
  district: '区级',
  other: '其他',
}

export const statusLabel = (s: string) => STATUSES[s] ?? s
export const levelLabel = (l: string) => LEVELS[l] ?? l

// The shapes the teams screen reads (as in the service's OpenAPI document: StaffTeamRows, TeamDetail).
export interface TeamCard {
  id: number
  name: string
  genre: string
  unit_id: number
  unit_name: string
  description: string
  rehearsal_time: string
  recruiting: boolean
  members: number
  photos: { file_id: number; url: string }[]
}
export interface StaffTeamRows {
  items: { team: TeamCard; status: string; decline_reason: string }[]
}
export interface TeamDetail {
  team: TeamCard
  status: string
  decline_reason: string
  leader_name: string
  leader_phone?: string | null
  members: { user_id: number; family_member_id?: number | null; name: string; role: string; joined_at: string }[]
  guidance: { id: number; held_on: string; instructor: string; topic: string; hours: number }[]
  performances: { activity_id: number; title: string; unit_name: string; starts_at?: string | null; delivered: boolean }[]
  awards: { id: number; title: string; level: string; awarded_on: string; awarded_by: string }[]
}

// GET /api/v1/stats/teams: per unit and genre, for a year.
export interface TeamStatsAnswer {
  year: number
  items: {
    unit_id: number
    unit_name: string
    genre: string
    teams: number
    members: number
    guidance_sessions: number
    guidance_hours: number
    performances: number
    delivered_performances: number
    awards: number
  }[]
}

// The team's photo list after adding (at the end, at most 9, no repeats) or removing one file.
export function photoIdsAfter(photos: { file_id: number }[], change: { add?: number; remove?: number }): number[] {
  const ids = photos.map((p) => p.file_id).filter((id) => id !== change.remove)
  if (change.add != null && !ids.includes(change.add)) ids.push(change.add)
  return ids.slice(0, 9)
}
