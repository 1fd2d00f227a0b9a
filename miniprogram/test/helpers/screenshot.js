// Screenshots of rendered pages for docs/miniprogram.md, taken only when MP_SCREENSHOTS=1:
//   MP_SCREENSHOTS=1 npx jest test/unit/screens.test.js test/e2e/resident-journey.e2e.test.js
// The page as miniprogram-simulate rendered it (WeChat's compiler; component styles as compiled),
// plus app.wxss, is written out as plain HTML at 750 px wide — 1 rpx = 1 px, a 375 pt phone at 2× —
// and Chromium (/usr/bin/chromium) takes the picture into docs/img/miniprogram/<name>.png.
// The built-in components (view, text, button, input, switch, image) get WeChat-like base styles.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync } = require('child_process')

const ON = process.env.MP_SCREENSHOTS === '1'
const OUT = path.resolve(__dirname, '../../../docs/img/miniprogram')
const SRC = path.resolve(__dirname, '../../src')
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

const BASE = `
html, body { margin: 0; width: 750px; }
wx-page-meta { display: none; }
wx-view, wx-scroll-view, wx-swiper, wx-form, wx-label, wx-navigator, wx-picker, wx-block { display: block; }
wx-text { display: inline; white-space: pre-wrap; }
wx-button { display: block; position: relative; box-sizing: border-box; margin-left: auto; margin-right: auto;
  padding: 0 28px; font-size: 36px; text-align: center; line-height: 2.5556; border-radius: 10px;
  background-color: #F8F8F8; color: #000; border: 1px solid rgba(0, 0, 0, 0.2); width: 368px; font-weight: 700; }
wx-button[disabled] { opacity: 0.6; }
wx-input { display: block; min-height: 44px; line-height: 88px; color: #9E9E9E; }
wx-switch { display: inline-flex; align-items: center; }
wx-switch::before { content: ''; display: inline-block; width: 104px; height: 64px; border-radius: 32px; background: #DDD; }
wx-switch.on::before { background: #1AAD19; }
wx-image { display: inline-block; width: 320px; height: 240px; overflow: hidden; }
wx-image img { width: 100%; height: 100%; object-fit: contain; }
`

function rpxToPx(css) {
  return css.replace(/(-?\d+(?:\.\d+)?)rpx/g, '$1px')
}

// The page's DOM with simulate's per-component class prefixes taken off, so app.wxss applies.
function html(comp, opts) {
  let body = comp.dom.outerHTML
  body = body.replace(/class="([^"]*)"/g, (m, cls) => 'class="' + cls.split(/\s+/).map((c) => c.replace(/^[A-Za-z0-9_-]+--/, '')).join(' ') + '"')
  ;(opts.images || []).forEach(([cls, src]) => {
    body = body.replace(new RegExp('(<wx-image class="[^"]*\\b' + cls + '\\b[^"]*"[^>]*>)'), '$1<img src="' + src + '">')
  })
  ;(opts.inputs || []).forEach(([cls, value]) => {
    body = body.replace(new RegExp('(<wx-input class="[^"]*\\b' + cls + '\\b[^"]*"[^>]*>)'), '$1<span style="color:#1A1A1A;padding:0 20px">' + value + '</span>')
  })
  ;(opts.switchesOn || []).forEach((cls) => {
    body = body.replace(new RegExp('<wx-switch class="([^"]*\\b' + cls + '\\b[^"]*)"'), '<wx-switch class="$1 on"')
  })
  const injected = Array.from(document.head.querySelectorAll('style')).map((s) => s.textContent).join('\n')
    .replace(/\.[A-Za-z0-9_-]+--([A-Za-z0-9_-]+)/g, '.$1')
  let app = rpxToPx(fs.readFileSync(path.join(SRC, 'app.wxss'), 'utf8')).replace(/(^|[\s}])page(\s*\{)/g, '$1body$2')
  if (opts.dark) app = app.replace(/@media \(prefers-color-scheme: dark\)\s*\{([\s\S]*?\})\s*\}/, '$1').replace(/\bpage(\s*\{)/g, 'body$1')
  const style = (comp.instance && comp.instance.data && comp.instance.data.a11yStyle) || ''
  return '<!doctype html><html><head><meta charset="utf-8"><style>' + BASE + app + injected + '</style></head>' +
    '<body style="' + style + '">' + body + '</body></html>'
}

// shoot(page, 'large-text-activity', {images: [['qr', dataUrl]], inputs: [['cls', 'text']], switchesOn: ['cls'], height: 1334, dark: false})
function shoot(comp, name, opts) {
  if (!ON) return null
  opts = opts || {}
  fs.mkdirSync(OUT, { recursive: true })
  const file = path.join(os.tmpdir(), 'mp-shot-' + name + '.html')
  fs.writeFileSync(file, html(comp, opts))
  const png = path.join(OUT, name + '.png')
  execFileSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--force-device-scale-factor=1',
    '--window-size=750,' + (opts.height || 1334), '--screenshot=' + png, 'file://' + file], { stdio: 'ignore', timeout: 60000 })
  return png
}

module.exports = { shoot, html, ON }
