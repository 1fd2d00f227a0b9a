// Text for older residents and dark mode: WeChat's font-size setting, 大字模式 (large text, high
// contrast), and darkmode with theme.json — utils/display.js, every page's <page-meta>, the WXSS.
const fs = require('fs')
const path = require('path')
const { SRC, loadPage, waitFor, tap, text, resetStorage, storage, spyWx, simulate } = require('../helpers/mp')
const display = require(path.join(SRC, 'utils/display'))

const appJson = JSON.parse(fs.readFileSync(path.join(SRC, 'app.json'), 'utf8'))
const theme = JSON.parse(fs.readFileSync(path.join(SRC, 'theme.json'), 'utf8'))
const EXEMPT = ['components/scan-result/index.wxss', 'pages/checkin/self.wxss'] // full-colour outcome screens, fixed colours (utils/outcome.js)

function files(dir, ext, out) {
  out = out || []
  fs.readdirSync(dir, { withFileTypes: true }).forEach((d) => {
    const p = path.join(dir, d.name)
    if (d.isDirectory()) files(p, ext, out)
    else if (p.endsWith(ext)) out.push(p)
  })
  return out
}
function luminance(hex) {
  const c = hex.replace('#', '').match(/../g).map((x) => parseInt(x, 16) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)))
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
}
function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => p - q)
  return (y + 0.05) / (x + 0.05)
}

beforeEach(() => resetStorage())

test('the scale follows WeChat\u2019s font-size setting; 大字模式 makes text ≥ 18 pt and grey text near-black (near-white in dark mode)', () => {
  expect(display.current({ fontSizeSetting: 17 }).style).toBe('--ts: 1')
  expect(display.current({ fontSizeSetting: 16 }).scale).toBe(1)
  expect(display.current({ fontSizeSetting: 22 }).scale).toBe(1.29)
  expect(display.current({ fontSizeSetting: 40 }).scale).toBe(1.6)
  display.setLarge(true)
  expect(display.current({ fontSizeSetting: 17 }).style).toBe('--ts: 1.25; --muted: #1A1A1A; --border: #424242')
  expect(display.current({ fontSizeSetting: 17, theme: 'dark' }).style).toBe('--ts: 1.25; --muted: #F2F2F2; --border: #BDBDBD')
  expect(display.current({ fontSizeSetting: 25 }).scale).toBe(1.47) // the larger of the two wins
  expect(storage().ch_large_text).toBe(true)
})

test('every page starts with <page-meta page-style="{{a11yStyle}}"> and is built with display.page', () => {
  const missing = []
  appJson.pages.forEach((p) => {
    const wxml = fs.readFileSync(path.join(SRC, p + '.wxml'), 'utf8')
    const js = fs.readFileSync(path.join(SRC, p + '.js'), 'utf8')
    if (!/^<page-meta page-style="\{\{a11yStyle\}\}"><\/page-meta>/.test(wxml)) missing.push(p + '.wxml')
    if (!/^Page\(display\.page\(\{/m.test(js)) missing.push(p + '.js')
  })
  expect(missing).toEqual([])
})

test('all text scales with --ts, and in large-text mode the smallest text is ≥ 36 rpx (18 pt)', () => {
  const fixed = []
  let smallest = Infinity
  files(SRC, '.wxss').forEach((f) => {
    const rel = path.relative(SRC, f)
    if (EXEMPT.includes(rel)) return
    const css = fs.readFileSync(f, 'utf8')
    for (const m of css.matchAll(/font-size:\s*([^;}]+)/g)) {
      const scaled = /^calc\((\d+(?:\.\d+)?)rpx \* var\(--ts, 1\)\)/.exec(m[1].trim())
      if (!scaled) fixed.push(rel + ': ' + m[0])
      else smallest = Math.min(smallest, Number(scaled[1]))
    }
  })
  expect(fixed).toEqual([])
  expect(smallest * display.LARGE_SCALE).toBeGreaterThanOrEqual(36)
})

test('a page in large-text mode gets the style; 我的 → 大字模式 switches it, and a tab page shown again follows', async () => {
  display.setLarge(true)
  const home = loadPage('pages/home/index')
  expect(home.data.a11yStyle).toMatch(/^--ts: 1\.25; --muted: #1A1A1A/)
  display.setLarge(false)
  home.instance.onShow() // back on 首页 after switching it off
  expect(home.data.a11yStyle).toBe('--ts: 1')
  const me = loadPage('pages/me/index')
  expect(me.data.a11yStyle).toBe('--ts: 1')
  expect(me.data.largeText).toBe(false)
  me.querySelector('.large-switch').dispatchEvent('change', { detail: { value: true } })
  await simulate.sleep(0)
  expect(storage().ch_large_text).toBe(true)
  expect(me.data.a11yStyle).toMatch(/^--ts: 1\.25/)
  home.instance.onShow()
  expect(home.data.a11yStyle).toMatch(/^--ts: 1\.25/)
  expect(text(me, '.large-hint')).toMatch(/跟随微信/)
})

test('dark mode: app.json darkmode with theme.json for every @variable, light and dark', () => {
  expect(appJson.darkmode).toBe(true)
  expect(appJson.themeLocation).toBe('theme.json')
  expect(Object.keys(theme.light).sort()).toEqual(Object.keys(theme.dark).sort())
  const used = new Set()
  const jsons = [path.join(SRC, 'app.json')].concat(appJson.pages.map((p) => path.join(SRC, p + '.json')))
  jsons.forEach((f) => {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/"@([A-Za-z]+)"/g)) used.add(m[1])
  })
  expect(used.size).toBeGreaterThan(5)
  used.forEach((v) => expect([v, theme.light[v] !== undefined, theme.dark[v] !== undefined]).toEqual([v, true, true]))
})

test('dark mode: every text colour variable reads ≥ 4.5 : 1 on the dark surfaces; no dark text is hard-coded', () => {
  const css = fs.readFileSync(path.join(SRC, 'app.wxss'), 'utf8')
  const block = /@media \(prefers-color-scheme: dark\)\s*\{\s*page\s*\{([^}]*)\}/.exec(css)
  expect(block).not.toBeNull()
  const dark = {}
  for (const m of block[1].matchAll(/--([a-z-]+):\s*(#[0-9A-Fa-f]{6})/g)) dark[m[1]] = m[2]
  ;['text', 'muted', 'brand-text', 'danger-text', 'link', 'warn-text', 'ok-text', 'info-text', 'amber-text'].forEach((v) => {
    ;['surface', 'page-bg', 'soft-bg'].forEach((bg) => {
      expect([v, bg, contrast(dark[v], dark[bg]) >= 4.5]).toEqual([v, bg, true])
    })
  })
  // every variable a stylesheet uses is defined for dark mode
  const usedVars = new Set()
  files(SRC, '.wxss').forEach((f) => {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/var\(--([a-z-]+),/g)) usedVars.add(m[1])
  })
  usedVars.delete('ts')
  usedVars.forEach((v) => expect([v, dark[v] !== undefined]).toEqual([v, true]))
  // dark grey text written as a fixed colour would vanish on a dark surface
  const hard = []
  files(SRC, '.wxss').forEach((f) => {
    const rel = path.relative(SRC, f)
    if (EXEMPT.includes(rel)) return
    const src = fs.readFileSync(f, 'utf8')
    for (const m of src.matchAll(/\{([^{}]*)\}/g)) {
      if (/background(-color)?:\s*#/.test(m[1])) continue // paints its own background: its text goes with it
      for (const c of m[1].matchAll(/(?<![-\w])color:\s*(#[0-9A-Fa-f]{6})/g)) {
        if (luminance(c[1]) < 0.2) hard.push(rel + ': ' + c[0])
      }
    }
  })
  expect(hard).toEqual([])
})
