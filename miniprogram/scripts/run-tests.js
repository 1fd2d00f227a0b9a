// `npm test`: WeChat's compilers over every WXML/WXSS, then Jest (unit + end-to-end), then
// one closing line: `miniprogram: N passed, N failed`. Exits non-zero on any failure.
// Extra arguments go to Jest (e.g. `npm test -- test/unit`).
const fs = require('fs')
const path = require('path')
const { spawnSync } = require('child_process')

const ROOT = path.join(__dirname, '..')
const RESULTS = path.join(ROOT, '.jest-results.json')

let passed = 0
let failed = 0

const tpl = spawnSync(process.execPath, [path.join(__dirname, 'check-templates.js'), path.join(ROOT, 'src')], {
  cwd: ROOT,
  stdio: 'inherit'
})
if (tpl.status === 0) passed++
else failed++

fs.rmSync(RESULTS, { force: true })
const jest = spawnSync(
  process.execPath,
  [require.resolve('jest/bin/jest', { paths: [ROOT] }), '--ci', '--json', '--outputFile=' + RESULTS].concat(process.argv.slice(2)),
  { cwd: ROOT, stdio: ['inherit', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 }
)
process.stdout.write(jest.stdout || '')
process.stderr.write(jest.stderr || '')
// The run must end cleanly: a test that leaves a timer, socket or child process behind makes Jest
// warn that a worker failed to exit (or that Jest itself did not exit) — count that as a failure.
const leftBehind = /A worker process has failed to exit gracefully|Jest did not exit one second after the test run/
const unclean = leftBehind.test(String(jest.stdout || '') + String(jest.stderr || ''))

let results = null
try {
  results = JSON.parse(fs.readFileSync(RESULTS, 'utf8'))
} catch (e) {
  results = null
}
if (results) {
  passed += results.numPassedTests || 0
  failed += (results.numFailedTests || 0) + (results.numRuntimeErrorTestSuites || 0)
} else {
  failed++
}
if (jest.status !== 0 && failed === 0) failed++ // Jest failed for a reason it did not count
if (unclean) {
  console.log('miniprogram: the Jest run did not exit cleanly (something was left running: see the warning above)')
  failed++
}

console.log('miniprogram: ' + passed + ' passed, ' + failed + ' failed')
process.exit(failed > 0 || passed === 0 ? 1 : 0)
