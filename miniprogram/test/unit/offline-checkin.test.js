// utils/offline-checkin.js — the list, the queue and the sync, kept in storage, against stubbed
// requests: download, offline admissions, sync (admitted, conflict), network failure keeps the
// queue, a final 4xx turns the batch into issues, one sync at a time, housekeeping.
const path = require('path')
const crypto = require('crypto')
const { SRC, stubRequest, signedIn, resetStorage, storage, apiError, spyWx } = require('../helpers/mp')
const offline = require(path.join(SRC, 'utils/offline-checkin'))

const sha = (t) => crypto.createHash('sha256').update(t).digest('hex')
const T1 = 'A'.repeat(43)
const T2 = 'B'.repeat(43)
const FUTURE = '2099-12-05T13:00:00Z'

function list(extra) {
  return Object.assign({
    session_id: 11, title: '书法公开课', starts_at: '2099-12-05T11:30:00Z', ends_at: '2099-12-05T12:00:00Z', expires_at: FUTURE,
    entries: [{ ticket_hash: sha(T1), holder_masked: '王*', is_family_member: false }, { ticket_hash: sha(T2), holder_masked: '李*', is_family_member: true }]
  }, extra || {})
}

beforeEach(() => {
  resetStorage()
  signedIn()
})

test('download keeps the list until it expires; an expired one is dropped', async () => {
  const req = stubRequest({ 'GET /api/v1/sessions/11/checkin-list': { data: list() } })
  const l = await offline.download(11)
  expect(req.calls[0].header.Authorization).toBe('Bearer test-token')
  expect(l.entries).toHaveLength(2)
  expect(offline.list(11).title).toBe('书法公开课')
  expect(storage().ch_checkin_list_11.downloaded_at).toBeTruthy()
  wx.setStorageSync('ch_checkin_list_12', list({ session_id: 12, expires_at: '2020-01-01T00:00:00Z' }))
  expect(offline.list(12)).toBeNull()
  expect(storage().ch_checkin_list_12).toBeUndefined()
})

test('offline scans: admitted and queued once, a second scan is a duplicate, unknown is refused', () => {
  wx.setStorageSync('ch_checkin_list_11', list())
  const events = []
  const off = offline.subscribe((e) => events.push(e.type))
  const v = offline.checkOffline(11, ' ' + T1 + ' ', 'nonce-1')
  expect(v.result).toBe('offline_admitted')
  expect(offline.pending(11)).toEqual([expect.objectContaining({ nonce: 'nonce-1', token: T1, hash: sha(T1), holder_masked: '王*' })])
  expect(offline.checkOffline(11, T1, 'nonce-2').result).toBe('offline_duplicate')
  expect(offline.checkOffline(11, 'C'.repeat(43), 'nonce-3').result).toBe('offline_unknown')
  expect(offline.checkOffline(12, T1, 'nonce-4').result).toBe('no_list')
  expect(offline.queue()).toHaveLength(1)
  expect(events).toEqual(['queued'])
  off()
})

test('a ticket seen admitted online is a duplicate offline', () => {
  wx.setStorageSync('ch_checkin_list_11', list())
  offline.markSeen(11, T2, '2099-12-05T11:02:00Z', '李*')
  expect(offline.checkOffline(11, T2, 'n').result).toBe('offline_duplicate')
  expect(offline.queue()).toEqual([])
})

test('sync: admitted answers leave the queue, conflicts become issues; the nonces go up unchanged', async () => {
  wx.setStorageSync('ch_checkin_list_11', list())
  offline.checkOffline(11, T1, 'nonce-1')
  offline.checkOffline(11, T2, 'nonce-2')
  const req = stubRequest({
    'POST /api/v1/sessions/11/checkin/sync': (o) => ({
      data: {
        answers: [
          { result: 'admitted', message: '已同步：离线核验入场', colour: 'green' },
          { result: 'conflict', message: '这张票已由另一台设备核验，已记录待工作人员处理', colour: 'amber', holder_masked: '李*', admitted_at: '2099-12-05T11:00:00Z' }
        ]
      }
    })
  })
  const r = await offline.sync()
  expect(req.calls[0].data.scans.map((s) => [s.nonce, s.token])).toEqual([['nonce-1', T1], ['nonce-2', T2]])
  expect(Object.keys(req.calls[0].data.scans[0]).sort()).toEqual(['nonce', 'scanned_at', 'token'])
  expect(r).toMatchObject({ synced: 1, remaining: 0, error: null })
  expect(r.issues.map((i) => i.result)).toEqual(['conflict'])
  expect(offline.queue()).toEqual([])
  expect(offline.issues(11)).toEqual([expect.objectContaining({ nonce: 'nonce-2', holder_masked: '李*', result: 'conflict' })])
  offline.clearIssues(11)
  expect(offline.issues(11)).toEqual([])
})

test('a network failure keeps the queue (the request is retried once with the same body)', async () => {
  wx.setStorageSync('ch_checkin_list_11', list())
  offline.checkOffline(11, T1, 'nonce-1')
  const req = stubRequest({ 'POST /api/v1/sessions/11/checkin/sync': { networkError: 'net::ERR_INTERNET_DISCONNECTED' } })
  const r = await offline.sync(11)
  expect(req.calls).toHaveLength(2)
  expect(req.calls[1].data).toEqual(req.calls[0].data)
  expect(r.error.code).toBe('network')
  expect(r.remaining).toBe(1)
  expect(offline.pending(11)).toHaveLength(1)
})

test('a final refusal (403) is not retried forever: the scans become issues', async () => {
  wx.setStorageSync('ch_checkin_queue', [{ session_id: 11, nonce: 'n1', token: T1, scanned_at: '2099-12-05T11:00:00Z', holder_masked: '王*' }])
  stubRequest({ 'POST /api/v1/sessions/11/checkin/sync': apiError(403, 'not_assigned', '您没有被安排在这一场签到') })
  const r = await offline.sync()
  expect(r.remaining).toBe(0)
  expect(offline.issues(11)[0]).toMatchObject({ result: 'rejected', message: '同步被拒绝：您没有被安排在这一场签到' })
})

test('one sync at a time; nothing to do when the queue is empty or nobody is signed in', async () => {
  wx.setStorageSync('ch_checkin_queue', [{ session_id: 11, nonce: 'n1', token: T1, scanned_at: '2099-12-05T11:00:00Z' }])
  const req = stubRequest({ 'POST /api/v1/sessions/11/checkin/sync': { data: { answers: [{ result: 'admitted' }] } } })
  const seen = []
  const off = offline.subscribe((e) => seen.push([e.type, offline.syncing()]))
  const a = offline.sync()
  const b = offline.sync()
  expect(b).toBe(a)
  expect(offline.syncing()).toBe(true)
  await a
  expect(req.calls).toHaveLength(1)
  expect(offline.syncing()).toBe(false)
  expect(seen).toEqual([['syncing', true], ['synced', false]]) // pages can trust syncing()
  off()
  expect((await offline.sync()).synced).toBe(0)
  wx.removeStorageSync('ch_session')
  wx.setStorageSync('ch_checkin_queue', [{ session_id: 11, nonce: 'n2', token: T1, scanned_at: 'x' }])
  expect(await offline.sync()).toMatchObject({ synced: 0, remaining: 1 })
  expect(req.calls).toHaveLength(1)
})

test('watchNetwork syncs when WeChat reports the network back', async () => {
  let handler = null
  spyWx('onNetworkStatusChange').mockImplementation((fn) => { handler = fn })
  offline.watchNetwork()
  offline.watchNetwork() // once only
  expect(wx.onNetworkStatusChange).toHaveBeenCalledTimes(1)
  wx.setStorageSync('ch_checkin_queue', [{ session_id: 11, nonce: 'n1', token: T1, scanned_at: '2099-12-05T11:00:00Z' }])
  const req = stubRequest({ 'POST /api/v1/sessions/11/checkin/sync': { data: { answers: [{ result: 'admitted' }] } } })
  handler({ isConnected: false, networkType: 'none' })
  expect(req.calls).toHaveLength(0)
  handler({ isConnected: true, networkType: 'wifi' })
  await offline.sync() // the running one
  expect(req.calls).toHaveLength(1)
  expect(offline.queue()).toEqual([])
})

test('purge: expired lists and week-old issues leave the phone', () => {
  const now = Date.parse('2099-12-06T00:00:00Z')
  wx.setStorageSync('ch_checkin_list_11', list({ expires_at: '2099-12-05T13:00:00Z' }))
  wx.setStorageSync('ch_checkin_list_12', list({ expires_at: '2099-12-07T13:00:00Z' }))
  wx.setStorageSync('ch_checkin_issues_11', [{ nonce: 'a', synced_at: '2099-11-20T00:00:00Z' }, { nonce: 'b', synced_at: '2099-12-05T00:00:00Z' }])
  wx.setStorageSync('ch_checkin_seen_11', { h: { at: '2099-12-01T00:00:00Z' } })
  offline.purge(now)
  expect(storage().ch_checkin_list_11).toBeUndefined()
  expect(storage().ch_checkin_list_12).toBeTruthy()
  expect(storage().ch_checkin_issues_11.map((x) => x.nonce)).toEqual(['b'])
  expect(storage().ch_checkin_seen_11).toBeUndefined()
})

describe('prepareToday: with a signal, today’s lists download by themselves', () => {
  // a session under way now (started a minute ago: today in China, whatever the hour), one over,
  // one tomorrow, and a day assignment (its sessions come from the browse list, not here)
  const NOW = Date.now()
  const iso = (ms) => new Date(ms).toISOString()
  const VOL = [{ grant_id: 2, role: 'volunteer', role_label: '志愿者', unit_id: 10, unit_name: '梅林分馆' }]
  const assignments = { assignments: [
    { id: 1, session_id: 11, unit_id: 10, unit_name: '梅林分馆', day: null, title: '书法', starts_at: iso(NOW - 60000), ends_at: iso(NOW + 3600000) },
    { id: 2, session_id: 12, unit_id: 10, unit_name: '梅林分馆', day: null, title: '早场', starts_at: iso(NOW - 60000), ends_at: iso(NOW - 30000) }, // over
    { id: 3, session_id: 13, unit_id: 10, unit_name: '梅林分馆', day: null, title: '明天', starts_at: iso(NOW + 86400000), ends_at: iso(NOW + 90000000) },
    { id: 4, session_id: null, unit_id: 76, unit_name: '翰岭服务点', day: '2099-12-05', title: null, starts_at: null, ends_at: null }
  ], hours: null }

  test('signed out, or without a scanning role: nothing is asked', async () => {
    resetStorage()
    const req = stubRequest({})
    expect(await offline.prepareToday({ now: NOW, force: true })).toEqual([])
    signedIn({ roles: [] })
    expect(await offline.prepareToday({ now: NOW, force: true })).toEqual([])
    expect(req.calls).toHaveLength(0)
  })

  test('today’s session assignments that have not ended, once; fresh lists are kept; at most every 10 minutes', async () => {
    signedIn({ roles: VOL })
    const req = stubRequest({
      'GET /api/v1/me/volunteer': { data: assignments },
      'GET /api/v1/sessions/11/checkin-list': { data: list() }
    })
    expect(await offline.prepareToday({ now: NOW, force: true })).toEqual([11])
    expect(storage().ch_checkin_list_11.entries).toHaveLength(2)
    expect(req.calls.map((c) => c.path)).toEqual(['/api/v1/me/volunteer', '/api/v1/sessions/11/checkin-list'])
    // five minutes later: not again
    expect(await offline.prepareToday({ now: NOW + 5 * 60000 })).toEqual([])
    expect(req.calls).toHaveLength(2)
    // asked again (我的志愿服务 opened) while the list is fresh: no new download
    expect(await offline.prepareToday({ now: NOW + 6 * 60000, force: true })).toEqual([])
    expect(req.calls.filter((c) => c.path.endsWith('/checkin-list'))).toHaveLength(1)
  })

  test('no signal: nothing breaks, and the next try is not held back', async () => {
    signedIn({ roles: VOL })
    const req = stubRequest({ 'GET /api/v1/me/volunteer': { networkError: 'timeout' } })
    expect(await offline.prepareToday({ now: NOW + 3600000, force: true })).toEqual([])
    expect(await offline.prepareToday({ now: NOW + 3600000 + 1000 })).toEqual([])
    expect(req.calls.filter((c) => c.path === '/api/v1/me/volunteer').length).toBe(4) // two tries, each retried once
  })
})
