// Offline check-in for volunteers with a weak signal: the session's check-in list in storage,
// scans checked against it when the network fails, a queue of offline admissions, and the
// automatic sync. The decisions are in ./checkin-queue.js (pure); this module keeps the state
// in storage and talks to the server.
//
//  - download(sessionId): GET /sessions/{id}/checkin-list → storage until its expires_at;
//  - checkOffline(sessionId, token, nonce): sha256(token) looked up in the list; an admission
//    is queued with the nonce of the failed online attempt, so if that attempt did reach the
//    server, sync replays the server's first answer instead of admitting twice;
//  - sync(): POST /sessions/{id}/checkin/sync per session, 50 scans at a time, one sync at a
//    time. Every answered scan leaves the queue; anything but `admitted` (a `conflict` — the
//    ticket was admitted elsewhere first — or cancelled, not recognised…) is kept as an issue
//    to show. A network failure or 5xx keeps the queue for the next try; a final 4xx turns
//    the batch into issues;
//  - watchNetwork(): sync when WeChat reports the network back (wx.onNetworkStatusChange);
//    pages also call sync() on show;
//  - prepareToday(): with a signal, the lists of today's assigned sessions download by themselves
//    (GET /me/volunteer → each session assignment of today's China date whose list is missing or
//    older than LIST_FRESH_MS), quietly and one at a time — run when the app starts or comes back
//    to the foreground and when 我的志愿服务 opens, at most once every PREPARE_EVERY_MS;
//  - subscribe(fn): pages redraw their 待同步/conflict lists after any change.
const api = require('../api/index')
const storage = require('./storage')
const session = require('./session')
const Q = require('./checkin-queue')
const { sha256Hex } = require('./sha256')

const K = storage.KEYS
const ISSUE_DAYS = 7
const LIST_FRESH_MS = 30 * 60000 // a list older than this misses later bookings: fetch it again
const PREPARE_EVERY_MS = 10 * 60000

const listeners = []

function notify(event) {
  listeners.slice().forEach(function (fn) {
    try {
      fn(event || {})
    } catch (e) {
      // a page's redraw must not break the others
    }
  })
}

function subscribe(fn) {
  listeners.push(fn)
  return function () {
    const i = listeners.indexOf(fn)
    if (i >= 0) listeners.splice(i, 1)
  }
}

function hash(token) {
  return sha256Hex(String(token || '').trim())
}

// --- the list -------------------------------------------------------------------------------

function listKey(sessionId) {
  return K.checkinListPrefix + sessionId
}

// The stored list if it is still valid (an expired one is removed).
function list(sessionId, nowMs) {
  const l = storage.get(listKey(sessionId), null)
  if (!l) return null
  if (!Q.listUsable(l, nowMs === undefined ? Date.now() : nowMs)) {
    storage.remove(listKey(sessionId))
    return null
  }
  return l
}

function download(sessionId, opts) {
  return api.checkinList(sessionId, opts).then(function (l) {
    const saved = Object.assign({}, l, { downloaded_at: new Date().toISOString() })
    storage.set(listKey(sessionId), saved)
    notify({ type: 'list', sessionId: Number(sessionId) })
    return saved
  })
}

// --- what this phone saw ----------------------------------------------------------------------

function seen(sessionId) {
  return storage.get(K.checkinSeenPrefix + sessionId, {})
}

// After an online answer that admitted (or found admitted) the ticket: remember its hash, so
// an offline scan of the same ticket later is caught.
function markSeen(sessionId, token, atIso, holder) {
  storage.set(K.checkinSeenPrefix + sessionId, Q.remember(seen(sessionId), hash(token), atIso, holder))
}

// --- the queue --------------------------------------------------------------------------------

function queue() {
  return storage.get(K.checkinQueue, [])
}

function pending(sessionId) {
  return Q.pendingFor(queue(), sessionId)
}

function issues(sessionId) {
  return storage.get(K.checkinIssuesPrefix + sessionId, [])
}

function clearIssues(sessionId) {
  storage.remove(K.checkinIssuesPrefix + sessionId)
  notify({ type: 'issues', sessionId: Number(sessionId) })
}

function addIssues(sessionId, found) {
  if (!found.length) return
  storage.set(K.checkinIssuesPrefix + sessionId, found.concat(issues(sessionId)))
}

// A ticket scanned while the server could not be reached. Returns the verdict of
// checkin-queue.offlineVerdict; an admission is queued and remembered.
function checkOffline(sessionId, token, nonce, nowMs) {
  const now = nowMs === undefined ? Date.now() : nowMs
  const h = hash(token)
  const verdict = Q.offlineVerdict({
    list: list(sessionId, now),
    seen: seen(sessionId),
    sessionId: Number(sessionId),
    token: String(token).trim(),
    hash: h,
    nonce: nonce,
    nowMs: now
  })
  if (verdict.result === 'offline_admitted') {
    storage.set(K.checkinQueue, Q.enqueue(queue(), verdict.item))
    storage.set(K.checkinSeenPrefix + sessionId, Q.remember(seen(sessionId), h, verdict.item.scanned_at, verdict.entry.holder_masked))
    notify({ type: 'queued', sessionId: Number(sessionId) })
  }
  return verdict
}

// --- sync -------------------------------------------------------------------------------------

let running = null

async function syncSession(sessionId, result) {
  for (;;) {
    const sent = Q.batch(queue(), sessionId)
    if (!sent.length) return
    let res
    try {
      res = await api.checkinSync(sessionId, Q.toUpload(sent), { showError: false })
    } catch (err) {
      if (Q.isFinal(err)) {
        const r = Q.rejectBatch(queue(), sent, err.message, new Date().toISOString())
        storage.set(K.checkinQueue, r.queue)
        addIssues(sessionId, r.issues)
        result.issues = result.issues.concat(r.issues)
        continue
      }
      result.error = err
      return
    }
    const applied = Q.applyAnswers(queue(), sent, (res && res.answers) || [], new Date().toISOString())
    storage.set(K.checkinQueue, applied.queue)
    addIssues(sessionId, applied.issues)
    result.synced += applied.synced.length
    result.issues = result.issues.concat(applied.issues)
    if (applied.synced.length + applied.issues.length === 0) return // nothing answered: try later
  }
}

// Uploads the queue (one session, or all). Resolves with {synced, issues, remaining, error}.
function sync(sessionId) {
  if (running) return running
  if (!queue().length || !session.isSignedIn()) {
    return Promise.resolve({ synced: 0, issues: [], remaining: queue().length, error: null })
  }
  running = (async function () {
    const result = { synced: 0, issues: [], remaining: 0, error: null }
    const ids = sessionId === undefined || sessionId === null ? Q.sessionsWithPending(queue()) : [Number(sessionId)]
    for (let i = 0; i < ids.length; i++) {
      await syncSession(ids[i], result)
      if (result.error && result.error.code === 'network') break
    }
    result.remaining = queue().length
    return result
  })()
  const done = function () {
    running = null
    notify({ type: 'synced' })
  }
  running.then(done, done)
  notify({ type: 'syncing' }) // after `running` is set, so listeners see syncing() === true
  return running
}

function syncing() {
  return !!running
}

// --- housekeeping -----------------------------------------------------------------------------

// Expired lists, and issues older than a week, leave the phone.
function purge(nowMs) {
  const now = nowMs === undefined ? Date.now() : nowMs
  storage.keys().forEach(function (k) {
    if (k.indexOf(K.checkinListPrefix) === 0) {
      const l = storage.get(k, null)
      if (!Q.listUsable(l, now)) storage.remove(k)
    } else if (k.indexOf(K.checkinIssuesPrefix) === 0) {
      const kept = storage.get(k, []).filter(function (x) {
        return Date.parse(x.synced_at) > now - ISSUE_DAYS * 86400000
      })
      if (kept.length) storage.set(k, kept)
      else storage.remove(k)
    } else if (k.indexOf(K.checkinSeenPrefix) === 0) {
      const sid = k.slice(K.checkinSeenPrefix.length)
      const stillQueued = pending(sid).length > 0
      if (!stillQueued && !storage.get(K.checkinListPrefix + sid, null)) {
        const s = storage.get(k, {})
        const fresh = Object.keys(s).some(function (h) {
          return Date.parse(s[h].at) > now - 86400000
        })
        if (!fresh) storage.remove(k)
      }
    }
  })
}

let watching = false

let preparedAt = 0
let preparing = null

function chinaDay(ms) {
  return new Date(ms + 8 * 3600000).toISOString().slice(0, 10)
}

// Today's session assignments (China date) whose list is missing or stale → downloaded.
// Resolves with the session ids it downloaded. Signed out, or without a scanning role: nothing.
function prepareToday(opts) {
  opts = opts || {}
  const now = opts.now === undefined ? Date.now() : opts.now
  const user = session.user()
  const scans = ((user && user.roles) || []).some(function (r) {
    return ['volunteer', 'point_coordinator', 'branch_staff', 'center_staff', 'center_admin'].indexOf(r.role) >= 0
  })
  if (!session.isSignedIn() || !scans) return Promise.resolve([])
  if (preparing) return preparing
  if (!opts.force && preparedAt && now - preparedAt < PREPARE_EVERY_MS) return Promise.resolve([])
  preparedAt = now
  const today = chinaDay(now)
  // 我的志愿服务 has just loaded the assignments: no need to ask again
  const assignments = opts.assignments ? Promise.resolve({ assignments: opts.assignments }) : api.myVolunteering({ showError: false })
  preparing = assignments.then(function (v) {
    const todo = ((v && v.assignments) || []).filter(function (a) {
      if (!a.session_id || !a.starts_at || chinaDay(Date.parse(a.starts_at)) !== today) return false
      if (a.ends_at && Date.parse(a.ends_at) < now) return false
      const l = list(a.session_id, now)
      return !l || !l.downloaded_at || now - Date.parse(l.downloaded_at) > LIST_FRESH_MS
    })
    const done = []
    return todo.reduce(function (chain, a) {
      return chain.then(function () {
        return download(a.session_id, { showError: false }).then(function () {
          done.push(a.session_id)
        }, function () {})
      })
    }, Promise.resolve()).then(function () {
      return done
    })
  }, function () {
    preparedAt = 0 // no signal: try again next time
    return []
  })
  const clear = function () {
    preparing = null
  }
  preparing.then(clear, clear)
  return preparing
}

// Once per app run: when WeChat says the network is back, sync whatever is queued.
function watchNetwork() {
  if (watching || !wx.onNetworkStatusChange) return
  watching = true
  wx.onNetworkStatusChange(function (res) {
    if (res && res.isConnected && queue().length) sync()
  })
}

module.exports = {
  hash,
  list,
  download,
  seen,
  markSeen,
  queue,
  pending,
  issues,
  clearIssues,
  checkOffline,
  sync,
  syncing,
  purge,
  watchNetwork,
  prepareToday,
  subscribe
}
