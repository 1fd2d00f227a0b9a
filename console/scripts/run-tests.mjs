// `npm test`: Vitest (component and logic tests), then the end-to-end run in Chromium against the
// real service. Ends with one line "console: N passed, N failed" for scripts/test.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

// Streams the child's output as it comes and keeps it for the counts.
function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => ((out += d), process.stdout.write(d)))
    child.stderr.on('data', (d) => ((out += d), process.stderr.write(d)))
    child.on('close', (code) => resolve({ code: code ?? 1, out }))
  })
}

// eslint-disable-next-line no-control-regex
const plain = (s) => s.replace(/\x1b\[[0-9;]*m/g, '')
let passed = 0
let failed = 0

console.log('== console: Vitest ==')
const unit = await run('npx', ['vitest', 'run', '--reporter=default'])
const u = plain(unit.out)
const up = /Tests\s+(?:(\d+) failed \| )?(\d+) passed/.exec(u)
const uf = /Tests\s+(\d+) failed/.exec(u)
passed += up ? Number(up[2]) : 0
failed += uf ? Number(uf[1]) : 0
if (unit.code !== 0 && !failed) failed = 1

if (process.env.CONSOLE_SKIP_E2E === '1') {
  console.log('SKIPPED console e2e: CONSOLE_SKIP_E2E=1')
} else {
  console.log('== console: end-to-end (Chromium, real service) ==')
  const e2e = await run('node', ['e2e/run.mjs'])
  const m = /console-e2e: (\d+) passed, (\d+) failed/.exec(plain(e2e.out))
  passed += m ? Number(m[1]) : 0
  failed += m ? Number(m[2]) : 0
  if (e2e.code !== 0 && !(m && Number(m[2]) > 0)) failed += 1
}
console.log(`console: ${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
