// End-to-end run of the console: the real service on a fresh SQLite file, the built console, and
// Debian's Chromium. Ends with "console-e2e: N passed, N failed".
import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { startServer, consoleDir } from './lib/server.mjs'
import { launch } from './lib/browser.mjs'
import { makeApi } from './lib/people.mjs'
import contractTests from './tests/contract.mjs'
import journeyTests from './tests/journeys.mjs'

const only = process.env.CONSOLE_E2E_ONLY ? new RegExp(process.env.CONSOLE_E2E_ONLY) : null

function newest(dir) {
  let t = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs)
  }
  return t
}

function ensureBuilt() {
  const dist = path.join(consoleDir, 'dist', 'index.html')
  const src = Math.max(newest(path.join(consoleDir, 'src')), fs.statSync(path.join(consoleDir, 'index.html')).mtimeMs)
  if (!fs.existsSync(dist) || fs.statSync(dist).mtimeMs < src) {
    console.log('console-e2e: building the console (npm run build)…')
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: consoleDir, stdio: 'inherit' })
  }
}

// On a failure, what each open page showed (console/e2e/.out/, not committed).
async function failureShots(browser, name) {
  const dir = path.join(consoleDir, 'e2e', '.out')
  fs.mkdirSync(dir, { recursive: true })
  const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)
  let n = 0
  for (const c of browser.contexts()) for (const pg of c.pages()) await pg.screenshot({ path: path.join(dir, `${slug}-${++n}.png`) }).catch(() => {})
  if (n) console.log(`      (screenshots: console/e2e/.out/${slug}-*.png)`)
}

const started = Date.now()
let passed = 0
let failed = 0
let server = null
let browser = null
try {
  ensureBuilt()
  server = await startServer()
  console.log(`console-e2e: service ${server.base}, console ${server.consoleUrl}${server.standIn ? ' (stand-in static server: the service does not serve /console/ yet)' : ''}`)
  browser = await launch()
  const ctx = { server, api: makeApi(server.base), browser, log: (m) => console.log('    ' + m) }
  const tests = [...contractTests(ctx), ...journeyTests(ctx)]
  for (const t of tests) {
    if (only && !only.test(t.name)) continue
    const t0 = Date.now()
    try {
      await t.fn()
      passed++
      console.log(`  ✓ ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    } catch (e) {
      failed++
      console.log(`  ✗ ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n      ${String(e && e.stack ? e.stack : e).split('\n').slice(0, 6).join('\n      ')}`)
      await failureShots(browser, t.name)
      if (t.after) await t.after().catch(() => {})
    }
  }
} catch (e) {
  failed++
  console.log('  ✗ console e2e setup: ' + (e && e.stack ? e.stack : e))
  if (server) console.log(server.logTail())
} finally {
  if (browser) await browser.close().catch(() => {})
  if (server) await server.stop().catch(() => {})
}
console.log(`console-e2e: ${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(0)} s)`)
process.exit(failed ? 1 : 0)
