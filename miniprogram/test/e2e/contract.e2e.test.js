/**
 * @jest-environment node
 */
// Keeps the mini-program in step with the server: every endpoint in src/api/endpoints.js
// must exist in the real server's /openapi.json with that method — except the ones marked
// `pending` (announced, not built yet), which are reported when they appear.
const fs = require('fs')
const path = require('path')
const { startStack } = require('../helpers/server')

const SRC = path.join(__dirname, '../../src')
const ENDPOINTS = require(path.join(SRC, 'api/endpoints'))

let stack
let openapi

beforeAll(async () => {
  stack = await startStack()
  const res = await fetch(stack.baseUrl + '/openapi.json')
  openapi = await res.json()
}, 90000)

afterAll(async () => {
  if (stack) await stack.stop()
})

// /api/v1/org/units/{id} and /api/v1/org/units/{unit_id} are the same route
function shape(p) {
  return p.replace(/\{[^}]+\}/g, '{}')
}

function operations() {
  const ops = new Set()
  Object.keys(openapi.paths || {}).forEach((p) => {
    Object.keys(openapi.paths[p]).forEach((m) => ops.add(m.toUpperCase() + ' ' + shape(p)))
  })
  return ops
}

test('the server publishes an OpenAPI document with paths', () => {
  expect(openapi.openapi).toMatch(/^3\./)
  expect(Object.keys(openapi.paths).length).toBeGreaterThan(10)
})

test('every endpoint the mini-program calls exists on the server with its method', () => {
  const ops = operations()
  const missing = Object.values(ENDPOINTS)
    .filter((e) => !e.pending)
    .filter((e) => !ops.has(e.method + ' ' + shape(e.path)))
    .map((e) => e.name + ': ' + e.method + ' ' + e.path)
  expect(missing).toEqual([])
})

test('pending endpoints are reported when the server gains them', () => {
  const ops = operations()
  const pending = Object.values(ENDPOINTS).filter((e) => e.pending)
  const arrived = pending.filter((e) => ops.has(e.method + ' ' + shape(e.path)))
  if (arrived.length) {
    console.log('now on this server — drop `pending` for them in src/api/endpoints.js:\n' +
      arrived.map((e) => '  ' + e.method + ' ' + e.path).join('\n'))
  }
  // announced paths must at least be well-formed
  pending.forEach((e) => expect(e.path).toMatch(/^\/api\/v1\//))
})

function resolve(schema) {
  while (schema && schema.$ref) schema = openapi.components.schemas[schema.$ref.split('/').pop()]
  return schema || {}
}

function operation(e) {
  const p = Object.keys(openapi.paths).find((k) => shape(k) === shape(e.path))
  return p && openapi.paths[p][e.method.toLowerCase()]
}

test('the body fields and headers the app sends are in the server’s schema', () => {
  const problems = []
  Object.values(ENDPOINTS).forEach((e) => {
    const op = operation(e)
    if (!op) return // missing or pending: reported above
    if (e.sends) {
      const content = (op.requestBody && op.requestBody.content) || {}
      const media = content[Object.keys(content)[0]] || {}
      const props = resolve(media.schema).properties || {}
      e.sends.filter((f) => !props[f]).forEach((f) => problems.push(e.name + ' body field ' + f))
    }
    ;(e.headers || []).forEach((h) => {
      const ok = (op.parameters || []).some((p) => p.in === 'header' && p.name.toLowerCase() === h.toLowerCase())
      if (!ok) problems.push(e.name + ' header ' + h)
    })
  })
  expect(problems).toEqual([])
})

test('every write with a JSON body lists the fields it sends', () => {
  const missing = Object.values(ENDPOINTS)
    .filter((e) => !e.pending && operation(e) && operation(e).requestBody && !e.sends)
    .map((e) => e.name)
  expect(missing).toEqual([])
})

test('public endpoints need no token and private ones do (auth flags match the server)', async () => {
  // a public one answers without a token
  const tree = await fetch(stack.api('/org/tree'))
  expect(tree.status).toBe(200)
  // a required one refuses without a token
  const me = await fetch(stack.api('/me'))
  expect(me.status).toBe(401)
  expect((await me.json()).error.code).toBe('unauthenticated')
})

test('no source code spells out an /api/v1 path except api/endpoints.js (comments aside)', () => {
  const offenders = []
  const walk = (dir) => {
    fs.readdirSync(dir, { withFileTypes: true }).forEach((d) => {
      const p = path.join(dir, d.name)
      if (d.isDirectory()) return walk(p)
      if (!/\.(js|wxml)$/.test(d.name)) return
      if (p.endsWith(path.join('api', 'endpoints.js'))) return
      const code = fs
        .readFileSync(p, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|\s)\/\/.*$/gm, '$1')
      if (/\/api\/v1\//.test(code)) offenders.push(path.relative(SRC, p))
    })
  }
  walk(SRC)
  expect(offenders).toEqual([])
})
