// People for the journeys, signed in the real way: a wx.login code from the fake WeChat exchanged
// at /api/v1/auth/wechat; roles from invitation codes, as staff hand them out.
export function makeApi(base) {
  async function call(method, path, { token, body, headers } = {}) {
    const h = { accept: 'application/json', ...(headers || {}) }
    if (token) h.authorization = `Bearer ${token}`
    if (body !== undefined) h['content-type'] = 'application/json'
    const r = await fetch(base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await r.text()
    let json = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      json = text
    }
    return { status: r.status, body: json, headers: r.headers }
  }
  async function ok(method, path, opts) {
    const r = await call(method, path, opts)
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }
  return { call, ok, get: (p, o) => ok('GET', p, o), post: (p, body, o = {}) => ok('POST', p, { ...o, body: body ?? {} }) }
}

export async function wechatSignIn(server, api, openid) {
  const r = await fetch(`${server.fake}/__fake/login_code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ openid }) })
  const { code } = await r.json()
  const s = await api.post('/api/v1/auth/wechat', { code })
  return { token: s.token, id: s.user.id, openid }
}

export async function setName(api, person, name) {
  await api.ok('PATCH', '/api/v1/me', { token: person.token, body: { display_name: name } })
}

export async function setPhone(server, api, person, phone) {
  const r = await fetch(`${server.fake}/__fake/phone_code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone }) })
  const { code } = await r.json()
  await api.post('/api/v1/me/phone', { code }, { token: person.token })
}

/** Invites `openid` to `role` at `unitId` by `granter` (an invitation redeemed in the mini-program). */
export async function invite(server, api, granter, openid, role, unitId, name) {
  const inv = await api.post('/api/v1/admin/invitations', { role, unit_id: unitId, max_uses: 1, valid_hours: 24 }, { token: granter.token })
  const p = await wechatSignIn(server, api, openid)
  await api.post('/api/v1/auth/invitations/redeem', { code: inv.code }, { token: p.token })
  if (name) await setName(api, p, name)
  return p
}

export async function unitByCode(api, code) {
  const tree = await api.get('/api/v1/org/tree')
  let found = null
  const walk = (n) => {
    if (n.unit.code === code) found = n.unit
    n.children.forEach(walk)
  }
  tree.forEach(walk)
  if (!found) throw new Error('no unit ' + code)
  return found
}
