// The console against the live API document: generated types must match it, and every staff
// operation must have a screen.
import fs from 'node:fs'
import path from 'node:path'
import assert from 'node:assert/strict'
import { generate, schemaFile } from '../../scripts/gen-api.mjs'
import { consoleDir, repoDir } from '../lib/server.mjs'

/**
 * Operations that need no screen, beyond the matrix's PUBLIC and SELF lists (residents' and
 * everyone's own-account operations). Each has its reason, repeated in docs/console.md.
 */
export const PHONE_ONLY = {
  console_login_code_scan: "the mini-program's confirm page: the phone marks the console's code scanned",
  console_login_code_confirm: "the mini-program's confirm page: the phone approves or refuses the sign-in",
  checkin_list: 'the offline ticket list a volunteer phone downloads before going offline',
  checkin_sync: 'the upload of scans a volunteer phone made offline',
  manage_sessions: "the mini-program's 今日场次: every session of one day at a unit and below (the console lists activities and their sessions)",
  eval_unit_status: "the mini-program's 考核待办: a point coordinator's deadlines and missing items (the console shows the round and the entry)",
}

/** The operationIds listed in tests/tests/matrix.rs as PUBLIC or SELF (the permission matrix's rule). */
export function excludedByRule() {
  const src = fs.readFileSync(path.join(repoDir, 'tests', 'tests', 'matrix.rs'), 'utf8')
  const out = new Set()
  for (const list of ['PUBLIC', 'SELF']) {
    const m = new RegExp(`const ${list}: &\\[&str\\] = &\\[([\\s\\S]*?)\\];`).exec(src)
    assert.ok(m, `tests/tests/matrix.rs has no ${list} list`)
    for (const s of m[1].matchAll(/"([a-z0-9_]+)"/g)) out.add(s[1])
  }
  return out
}

/** operationId → screens, read from src/screens.ts. */
export function screenOps() {
  const src = fs.readFileSync(path.join(consoleDir, 'src', 'screens.ts'), 'utf8')
  const map = new Map()
  const re = /title: '([^']+)',[\s\S]*?ops: \[([\s\S]*?)\]/g
  for (const m of src.matchAll(re)) for (const op of m[2].matchAll(/'([a-z0-9_]+)'/g)) map.set(op[1], [...(map.get(op[1]) || []), m[1]])
  return map
}

export function operations(doc) {
  const ops = []
  for (const [p, methods] of Object.entries(doc.paths)) for (const [m, o] of Object.entries(methods)) if (o.operationId) ops.push({ id: o.operationId, method: m.toUpperCase(), path: p })
  return ops
}

export default function contractTests(ctx) {
  return [
    {
      name: 'generated API types match the live /openapi.json',
      async fn() {
        const doc = await (await fetch(ctx.server.base + '/openapi.json')).json()
        ctx.doc = doc
        const want = await generate(doc)
        const have = fs.readFileSync(schemaFile, 'utf8')
        assert.ok(have === want, 'src/api/schema.d.ts differs from the live document: run `npm run gen:api -- <service>/openapi.json` and commit')
      },
    },
    {
      name: 'every staff operation in /openapi.json has a console screen (and docs/console.md lists it)',
      async fn() {
        const doc = ctx.doc || (await (await fetch(ctx.server.base + '/openapi.json')).json())
        const excluded = excludedByRule()
        const screens = screenOps()
        const all = operations(doc)
        const ids = new Set(all.map((o) => o.id))
        const staff = all.filter((o) => !excluded.has(o.id) && !(o.id in PHONE_ONLY))
        const missing = staff.filter((o) => !screens.has(o.id)).map((o) => `${o.id} (${o.method} ${o.path})`)
        assert.deepEqual(missing, [], `staff operations without a screen: ${missing.join(', ')}`)
        const stale = [...screens.keys()].filter((op) => !ids.has(op))
        assert.deepEqual(stale, [], `src/screens.ts names operations the API no longer has: ${stale.join(', ')}`)
        const docs = fs.readFileSync(path.join(repoDir, 'docs', 'console.md'), 'utf8')
        const undocumented = staff.filter((o) => !docs.includes('`' + o.id + '`')).map((o) => o.id)
        assert.deepEqual(undocumented, [], `docs/console.md does not list: ${undocumented.join(', ')}`)
        ctx.log(`${staff.length} staff operations, all with a screen; ${excluded.size} public/self-service and ${Object.keys(PHONE_ONLY).length} phone-only excluded`)
      },
    },
  ]
}
