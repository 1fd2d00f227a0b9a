// Compiles every WXML and WXSS file under the mini-program root with WeChat's own compilers
// (wcc / wcsc from miniprogram-compiler) and fails on the first syntax error.
// Usage: node scripts/check-templates.js [src]
const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')

const root = path.resolve(process.argv[2] || path.join(__dirname, '..', 'src'))

function walk(dir, ext, out) {
  fs.readdirSync(dir, { withFileTypes: true }).forEach(function (d) {
    const p = path.join(dir, d.name)
    if (d.isDirectory()) walk(p, ext, out)
    else if (d.name.endsWith(ext)) out.push(path.relative(root, p))
  })
  return out
}

const supported = process.platform === 'linux' && process.arch === 'x64' ||
  process.platform === 'darwin' || process.platform === 'win32'
if (!supported) {
  console.log('check-templates: SKIPPED — WeChat wcc/wcsc exist only for x86-64 Linux, macOS and Windows')
  process.exit(0)
}

const binDir = path.join(path.dirname(require.resolve('miniprogram-compiler/package.json')), 'bin',
  process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'mac' : 'linux')
const wcc = path.join(binDir, process.platform === 'win32' ? 'wcc.exe' : 'wcc')
const wcsc = path.join(binDir, process.platform === 'win32' ? 'wcsc.exe' : 'wcsc')
;[wcc, wcsc].forEach(function (b) {
  try {
    fs.chmodSync(b, 0o755)
  } catch (e) {
    // read-only node_modules: try anyway
  }
})

const wxml = walk(root, '.wxml', [])
const wxss = walk(root, '.wxss', [])
let failed = 0

function run(bin, args, label) {
  try {
    execFileSync(bin, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 })
    return true
  } catch (e) {
    failed++
    const msg = ((e.stderr || '') + (e.stdout || '')).toString().trim().split('\n').slice(0, 5).join('\n')
    console.error('check-templates: ' + label + ' failed\n' + (msg || e.message))
    return false
  }
}

// WXML: each file on its own so an error names its file; then all together as DevTools does.
wxml.forEach(function (f) {
  run(wcc, ['-d', f], f)
})
if (!failed) run(wcc, ['-d'].concat(wxml), 'all WXML')
wxss.forEach(function (f) {
  run(wcsc, ['-db', f], f)
})

if (failed) {
  console.error('check-templates: ' + failed + ' error(s) in ' + root)
  process.exit(1)
}
console.log('check-templates: ' + wxml.length + ' WXML and ' + wxss.length + ' WXSS files compiled by wcc/wcsc')
