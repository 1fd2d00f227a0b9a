import { describe, expect, it } from 'vitest'
import { emptyOnline, emptyResource, onlineBody, onlineForm, onlineProblems, ratingText, resourceBody, resourceForm, resourceProblems, splitTags, liveStateLabel } from '../src/utils/library'
import { SCREENS } from '../src/screens'

describe('online part of an activity', () => {
  it('sends only the chosen platform\'s fields', () => {
    expect(onlineBody(emptyOnline())).toEqual({ mode: 'offline' })
    const f = { ...emptyOnline(), mode: 'hybrid', platform: 'channels', finder_user_name: ' sphAbc ', live_url: 'https://x.cn/' }
    expect(onlineBody(f)).toEqual({ mode: 'hybrid', platform: 'channels', finder_user_name: 'sphAbc' })
    const w = { ...emptyOnline(), mode: 'online', platform: 'web', live_url: 'https://live.example.cn/1', replay_url: 'https://live.example.cn/r', finder_user_name: 'sphX' }
    expect(onlineBody(w)).toEqual({ mode: 'online', platform: 'web', live_url: 'https://live.example.cn/1', replay_url: 'https://live.example.cn/r' })
  })
  it('names what is missing', () => {
    expect(onlineProblems(emptyOnline())).toEqual([])
    expect(onlineProblems({ ...emptyOnline(), mode: 'online' })).toHaveLength(1)
    expect(onlineProblems({ ...emptyOnline(), mode: 'online', platform: 'web', live_url: 'http://x.cn' })[0]).toContain('https://')
    expect(onlineForm(null).mode).toBe('offline')
    expect(onlineForm({ mode: 'online', platform: 'web' }).platform).toBe('web')
    expect(liveStateLabel('live')).toBe('直播中')
    expect(liveStateLabel(null)).toBe('')
  })
})

describe('library resources', () => {
  it('splits tags typed either way', () => {
    expect(splitTags('粤剧，戏曲, 粤剧 入门、非遗')).toEqual(['粤剧', '戏曲', '入门', '非遗'])
  })
  it('round-trips a resource through the form', () => {
    const r = { unit_id: 3, kind: 'video', title: '粤剧', summary: '', tags: ['粤剧', '戏曲'], cover_file_id: 9, duration_s: 600, platform: 'web', source_url: 'https://m.example.cn/1', finder_user_name: '', feed_id: '', featured: true, sort_order: 2 }
    const f = resourceForm(r)
    expect(f.minutes).toBe(10)
    expect(resourceBody(f)).toEqual({ kind: 'video', title: '粤剧', summary: '', tags: ['粤剧', '戏曲'], platform: 'web', featured: true, sort_order: 2, cover_file_id: 9, duration_s: 600, source_url: 'https://m.example.cn/1' })
    expect(resourceProblems(f)).toEqual([])
  })
  it('checks the form before sending', () => {
    const f = emptyResource(1)
    expect(resourceProblems(f)).toEqual(['请填写标题', '资源网址必须以 https:// 开头'])
    expect(resourceProblems({ ...f, title: 'x', platform: 'none' })).toHaveLength(1)
    expect(resourceProblems({ ...f, title: 'x', kind: 'article', platform: 'none', body: '正文' })).toEqual([])
    expect(resourceProblems({ ...f, title: 'x', source_url: 'https://a.cn', tags: '一,二,三,四,五,六' })).toEqual(['标签最多 5 个'])
  })
  it('shows ratings', () => {
    expect(ratingText(null, 0)).toBe('暂无评分')
    expect(ratingText(4.25, 4)).toBe('4.3 分（4 人）')
  })
  it('the library screen needs manage_library and lists its operations', () => {
    const s = SCREENS.find((x) => x.name === 'library')!
    expect(s.needs).toBe('manage_library')
    expect(s.ops).toEqual(expect.arrayContaining(['library_manage_list', 'library_create', 'library_update', 'file_upload']))
    const edit = SCREENS.find((x) => x.name === 'activity-edit')!
    expect(edit.ops).toEqual(expect.arrayContaining(['activity_online_get', 'activity_online_set']))
  })
})
