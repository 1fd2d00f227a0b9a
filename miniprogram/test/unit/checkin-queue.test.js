// utils/checkin-queue.js — the pure decisions of offline check-in: is the list usable, what an
// offline scan means, what goes in the queue, and what the sync answers do to it.
const path = require('path')
const { SRC } = require('../helpers/mp')
const Q = require(path.join(SRC, 'utils/checkin-queue'))

const NOW = Date.parse('2026-11-28T09:00:00Z')
const LIST = {
  session_id: 11, title: '书法公开课', starts_at: '2026-11-28T09:30:00Z', ends_at: '2026-11-28T11:00:00Z',
  expires_at: '2026-11-28T12:00:00Z',
  entries: [
    { ticket_hash: 'AAAA', holder_masked: '王*', is_family_member: false },
    { ticket_hash: 'bbbb', holder_masked: '小*', is_family_member: true }
  ]
}

function verdict(extra) {
  return Q.offlineVerdict(Object.assign({ list: LIST, seen: {}, sessionId: 11, token: 'tok', hash: 'aaaa', nonce: 'n1', nowMs: NOW }, extra))
}

test('a list is usable until its expires_at', () => {
  expect(Q.listUsable(LIST, NOW)).toBe(true)
  expect(Q.listUsable(LIST, Date.parse('2026-11-28T12:00:00Z'))).toBe(false)
  expect(Q.listUsable(null, NOW)).toBe(false)
  expect(Q.listUsable({ entries: [] }, NOW)).toBe(false)
  expect(Q.findEntry(LIST, 'BBBB').holder_masked).toBe('小*') // hex compared case-insensitively
})

test('offline verdicts: admitted (with the queue item), duplicate, unknown, no list', () => {
  const ok = verdict()
  expect(ok.result).toBe('offline_admitted')
  expect(ok.entry.holder_masked).toBe('王*')
  expect(ok.item).toEqual({
    session_id: 11, nonce: 'n1', token: 'tok', scanned_at: '2026-11-28T09:00:00.000Z', hash: 'aaaa',
    holder_masked: '王*', is_family_member: false
  })
  expect(verdict({ seen: { aaaa: { at: '2026-11-28T08:55:00Z', holder: '王*' } } })).toEqual({
    result: 'offline_duplicate', seen: { at: '2026-11-28T08:55:00Z', holder: '王*' }
  })
  expect(verdict({ hash: 'cccc' }).result).toBe('offline_unknown')
  expect(verdict({ list: null }).result).toBe('no_list')
  expect(verdict({ nowMs: Date.parse('2026-11-28T13:00:00Z') }).result).toBe('no_list')
})

test('the queue never holds a nonce twice; pending, sessions and batches', () => {
  const a = { session_id: 11, nonce: 'n1', token: 't1', scanned_at: 'x' }
  const b = { session_id: 12, nonce: 'n2', token: 't2', scanned_at: 'y' }
  const c = { session_id: 11, nonce: 'n3', token: 't3', scanned_at: 'z' }
  let q = Q.enqueue([], a)
  q = Q.enqueue(q, a)
  q = Q.enqueue(Q.enqueue(q, b), c)
  expect(q.map((x) => x.nonce)).toEqual(['n1', 'n2', 'n3'])
  expect(Q.pendingFor(q, 11).map((x) => x.nonce)).toEqual(['n1', 'n3'])
  expect(Q.pendingFor(q, '12')).toHaveLength(1)
  expect(Q.sessionsWithPending(q)).toEqual([11, 12])
  expect(Q.batch(q, 11, 1).map((x) => x.nonce)).toEqual(['n1'])
  expect(Q.toUpload(Q.batch(q, 11))).toEqual([
    { nonce: 'n1', token: 't1', scanned_at: 'x' }, { nonce: 'n3', token: 't3', scanned_at: 'z' }
  ])
  const big = Array.from({ length: 120 }, (_, i) => ({ session_id: 1, nonce: 'k' + i }))
  expect(Q.batch(big, 1)).toHaveLength(Q.MAX_BATCH)
})

test('sync answers: admitted leaves the queue, a conflict becomes an issue, unanswered stays', () => {
  const q = [
    { session_id: 11, nonce: 'n1', token: 't1', scanned_at: '2026-11-28T09:01:00Z', holder_masked: '王*' },
    { session_id: 11, nonce: 'n2', token: 't2', scanned_at: '2026-11-28T09:02:00Z', holder_masked: '李*' },
    { session_id: 11, nonce: 'n3', token: 't3', scanned_at: '2026-11-28T09:03:00Z', holder_masked: '张*' },
    { session_id: 12, nonce: 'm1', token: 'u1', scanned_at: '2026-11-28T09:04:00Z' }
  ]
  const sent = q.slice(0, 3)
  const answers = [
    { result: 'admitted', message: '已同步：离线核验入场' },
    { result: 'conflict', message: '这张票已由另一台设备核验，已记录待工作人员处理', holder_masked: '李*', admitted_at: '2026-11-28T08:59:00Z' }
  ]
  const r = Q.applyAnswers(q, sent, answers, '2026-11-28T09:10:00Z')
  expect(r.synced.map((x) => x.nonce)).toEqual(['n1'])
  expect(r.issues).toEqual([{
    session_id: 11, nonce: 'n2', result: 'conflict', message: '这张票已由另一台设备核验，已记录待工作人员处理',
    holder_masked: '李*', scanned_at: '2026-11-28T09:02:00Z', admitted_at: '2026-11-28T08:59:00Z', synced_at: '2026-11-28T09:10:00Z'
  }])
  expect(r.queue.map((x) => x.nonce)).toEqual(['n3', 'm1'])
})

test('a final refusal keeps what happened at the door as issues; only 4xx (not 401/408/429) is final', () => {
  const q = [{ session_id: 11, nonce: 'n1', token: 't1', scanned_at: 's', holder_masked: '王*' }, { session_id: 12, nonce: 'm1' }]
  const r = Q.rejectBatch(q, q.slice(0, 1), '您没有被安排在这一场签到', 'now')
  expect(r.queue.map((x) => x.nonce)).toEqual(['m1'])
  expect(r.issues[0]).toMatchObject({ nonce: 'n1', result: 'rejected', message: '同步被拒绝：您没有被安排在这一场签到', holder_masked: '王*' })
  expect(Q.isFinal({ status: 403 })).toBe(true)
  expect(Q.isFinal({ status: 422 })).toBe(true)
  expect(Q.isFinal({ status: 401 })).toBe(false)
  expect(Q.isFinal({ status: 429 })).toBe(false)
  expect(Q.isFinal({ status: 503 })).toBe(false)
  expect(Q.isFinal({ status: 0, code: 'network' })).toBe(false)
})

test('remember keeps the first sighting of a ticket', () => {
  const s = Q.remember({}, 'aaaa', 't1', '王*')
  expect(Q.remember(s, 'aaaa', 't2', 'x')).toEqual({ aaaa: { at: 't1', holder: '王*' } })
  expect(Q.remember(s, '', 't3')).toEqual(s)
})
