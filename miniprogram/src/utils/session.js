// The signed-in session: our own opaque token from POST /auth/wechat, kept in storage.
const storage = require('./storage')

function current() {
  const s = storage.get(storage.KEYS.session, null)
  if (!s || !s.token) return null
  if (s.expires_at && Date.parse(s.expires_at) <= Date.now()) return null
  return s
}

function token() {
  const s = current()
  return s ? s.token : null
}

function user() {
  const s = current()
  return s ? s.user || null : null
}

// Set when the server refused our token (signed out elsewhere, account deleted): the app then
// browses anonymously and asks the person to sign in again, never signing in by itself.
let revoked = false

function markRevoked() {
  revoked = true
  clear()
}

function wasRevoked() {
  return revoked
}

function save(session) {
  revoked = false
  storage.set(storage.KEYS.session, {
    token: session.token,
    expires_at: session.expires_at,
    user: session.user || null
  })
}

function setUser(u) {
  const s = current()
  if (!s) return
  s.user = u
  storage.set(storage.KEYS.session, s)
}

function clear() {
  storage.remove(storage.KEYS.session)
}

function isSignedIn() {
  return !!token()
}

module.exports = { current, token, user, save, setUser, clear, isSignedIn, markRevoked, wasRevoked }
