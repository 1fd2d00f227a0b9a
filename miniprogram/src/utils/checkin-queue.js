// Offline check-in, the pure part: no wx.*, no storage, no network. utils/offline-checkin.js
// keeps these values in storage and talks to the server; this module only decides.
//
//   list   — GET /sessions/{id}/checkin-list: {session_id, title, starts_at, ends_at,
//            expires_at, entries: [{ticket_hash, holder_masked, is_family_member}]}
//   seen   — {ticket_hash: {at, holder}} tickets this phone saw admitted (online or offline)
//            for one session, so a second offline scan of the same ticket is caught
//   queue  — [{session_id, nonce, token, scanned_at, hash, holder_masked, is_family_member}]
//            offline admissions waiting for POST /sessions/{id}/checkin/sync
//   issues — [{session_id, nonce, result, message, holder_masked, scanned_at, synced_at}]
//            what sync reported back that was not a clean admission (conflicts and the like)

const MAX_BATCH = 50

// A list is usable until its expires_at (the session's end plus an hour).
function listUsable(list, nowMs) {
  if (!list || !list.entries || !list.expires_at) return false
  const exp = Date.parse(list.expires_at)
  return !isNaN(exp) && exp > nowMs
}

function findEntry(list, hash) {
  if (!list || !list.entries) return null
  const h = String(hash || '').toLowerCase()
  for (let i = 0; i < list.entries.length; i++) {
    if (String(list.entries[i].ticket_hash).toLowerCase() === h) return list.entries[i]
  }
  return null
}

// What to show and do for a ticket scanned without a connection.
//   {result: 'no_list'}                       — no usable list: cannot check
//   {result: 'offline_duplicate', seen}       — this phone already saw it admitted
//   {result: 'offline_unknown'}               — not on the list (cancelled, another session, forged…)
//   {result: 'offline_admitted', entry, item} — on the list: admit, and queue `item` for sync
function offlineVerdict(args) {
  const list = args.list
  if (!listUsable(list, args.nowMs)) return { result: 'no_list' }
  const hash = args.hash
  const seen = (args.seen || {})[hash]
  if (seen) return { result: 'offline_duplicate', seen: seen }
  const entry = findEntry(list, hash)
  if (!entry) return { result: 'offline_unknown' }
  return {
    result: 'offline_admitted',
    entry: entry,
    item: {
      session_id: args.sessionId,
      nonce: args.nonce,
      token: args.token,
      scanned_at: new Date(args.nowMs).toISOString(),
      hash: hash,
      holder_masked: entry.holder_masked,
      is_family_member: !!entry.is_family_member
    }
  }
}

// Adds an offline admission; the same nonce is never queued twice.
function enqueue(queue, item) {
  const q = (queue || []).slice()
  if (q.some(function (x) { return x.nonce === item.nonce })) return q
  q.push(item)
  return q
}

function pendingFor(queue, sessionId) {
  return (queue || []).filter(function (x) {
    return sessionId === undefined || sessionId === null || Number(x.session_id) === Number(sessionId)
  })
}

function sessionsWithPending(queue) {
  const ids = []
  ;(queue || []).forEach(function (x) {
    if (ids.indexOf(Number(x.session_id)) < 0) ids.push(Number(x.session_id))
  })
  return ids
}

// The next scans to upload for a session (oldest first), as the sync endpoint takes them.
function batch(queue, sessionId, max) {
  return pendingFor(queue, sessionId).slice(0, max || MAX_BATCH)
}

function toUpload(items) {
  return items.map(function (x) {
    return { nonce: x.nonce, token: x.token, scanned_at: x.scanned_at }
  })
}

function remember(seen, hash, at, holder) {
  const s = Object.assign({}, seen || {})
  if (hash && !s[hash]) s[hash] = { at: at, holder: holder || '' }
  return s
}

// Folds the server's answers (same order as `sent`) into the queue: every answered scan
// leaves the queue; `admitted` is done, anything else (conflict, cancelled, not_recognised,
// wrong_session, already_admitted…) becomes an issue for the volunteer and staff to see.
function applyAnswers(queue, sent, answers, nowIso) {
  const done = {}
  const synced = []
  const issues = []
  sent.forEach(function (item, i) {
    const a = answers && answers[i]
    if (!a) return // not answered: stays queued
    done[item.nonce] = true
    if (a.result === 'admitted') synced.push(item)
    else {
      issues.push({
        session_id: item.session_id,
        nonce: item.nonce,
        result: a.result,
        message: a.message || '',
        holder_masked: a.holder_masked || item.holder_masked || '',
        scanned_at: item.scanned_at,
        admitted_at: a.admitted_at || null,
        synced_at: nowIso
      })
    }
  })
  return {
    queue: (queue || []).filter(function (x) { return !done[x.nonce] }),
    synced: synced,
    issues: issues
  }
}

// The server refused the whole upload for good (a 4xx other than sign-in): keep what was at
// the door as issues rather than retrying forever.
function rejectBatch(queue, sent, message, nowIso) {
  const done = {}
  const issues = sent.map(function (item) {
    done[item.nonce] = true
    return {
      session_id: item.session_id,
      nonce: item.nonce,
      result: 'rejected',
      message: '同步被拒绝：' + message,
      holder_masked: item.holder_masked || '',
      scanned_at: item.scanned_at,
      admitted_at: null,
      synced_at: nowIso
    }
  })
  return { queue: (queue || []).filter(function (x) { return !done[x.nonce] }), issues: issues }
}

// Retry after a network failure or a server error; a 4xx (except 401/408/429) is final.
function isFinal(err) {
  const s = err && err.status
  return !!s && s >= 400 && s < 500 && s !== 401 && s !== 408 && s !== 429
}

module.exports = {
  MAX_BATCH,
  listUsable,
  findEntry,
  offlineVerdict,
  enqueue,
  pendingFor,
  sessionsWithPending,
  batch,
  toUpload,
  remember,
  applyAnswers,
  rejectBatch,
  isFinal
}
