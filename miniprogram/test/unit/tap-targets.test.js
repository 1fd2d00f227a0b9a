// Tap targets at least 44 pt (88 rpx: 750 rpx is the 375 pt width of a reference phone), as the
// MIIT age-friendly guidelines and Apple's HIG ask. Scans every WXML for what can be tapped
// (bindtap/catchtap, <button>, <navigator>, <picker>, <switch>, <checkbox>, <radio>) and the WXSS
// that applies to it (app.wxss and the page's or component's own), and computes the smallest
// height the styles guarantee: max(height, min-height, line-height + vertical padding).
const fs = require('fs')
const path = require('path')
const { SRC } = require('../helpers/mp')

const MIN_RPX = 88
const BUTTON_DEFAULT_RPX = 92 // WeChat's default <button>: 46 px high

function files(dir, ext, out) {
  out = out || []
  fs.readdirSync(dir, { withFileTypes: true }).forEach((d) => {
    const p = path.join(dir, d.name)
    if (d.isDirectory()) files(p, ext, out)
    else if (p.endsWith(ext)) out.push(p)
  })
  return out
}

// rpx of a length ('88rpx', '44px', '0'); null if not a plain length
function rpx(v) {
  const m = /^(-?\d+(?:\.\d+)?)(rpx|px)?$/.exec(String(v).replace('!important', '').trim())
  if (!m) return null
  return m[2] === 'px' ? Number(m[1]) * 2 : Number(m[1])
}

// {className: [decls…]} from a WXSS file (rules inside @media are left out: they only add)
function rules(file) {
  const css = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/@media[^{]*\{(?:[^{}]*\{[^}]*\})*[^}]*\}/g, '')
  const out = {}
  const re = /([^{}]+)\{([^}]*)\}/g
  let m
  while ((m = re.exec(css))) {
    const decls = {}
    m[2].split(';').forEach((d) => {
      const i = d.indexOf(':')
      if (i > 0) decls[d.slice(0, i).trim()] = d.slice(i + 1).trim()
    })
    m[1].split(',').forEach((sel) => {
      const last = sel.trim().split(/\s+/).pop() || ''
      if (/:(?!not)/.test(last) && !/:last-child|:first-child/.test(last)) return // :active and the like
      ;(last.match(/\.[A-Za-z0-9_-]+/g) || []).forEach((c) => {
        const k = c.slice(1)
        ;(out[k] = out[k] || []).push(decls)
      })
    })
  }
  return out
}

function height(declsList) {
  let h = null
  let padTop = 0
  let padBottom = 0
  let line = null
  declsList.forEach((d) => {
    ;['height', 'min-height'].forEach((p) => {
      if (d[p] !== undefined && rpx(d[p]) !== null) h = Math.max(h || 0, rpx(d[p]))
    })
    if (d['line-height'] !== undefined) {
      const lh = String(d['line-height']).replace('!important', '').trim()
      if (/^\d+(\.\d+)?$/.test(lh)) {
        // a multiplier of the font size
        const fs = d['font-size'] !== undefined ? rpx(d['font-size']) : null
        if (fs !== null) line = Number(lh) * fs
      } else if (rpx(lh) !== null) {
        line = rpx(lh)
      }
    }
    if (d.padding !== undefined) {
      const parts = d.padding.replace('!important', '').trim().split(/\s+/).map(rpx)
      if (parts.every((x) => x !== null)) {
        padTop = parts[0]
        padBottom = parts.length >= 3 ? parts[2] : parts[0]
      }
    }
    if (d['padding-top'] !== undefined && rpx(d['padding-top']) !== null) padTop = rpx(d['padding-top'])
    if (d['padding-bottom'] !== undefined && rpx(d['padding-bottom']) !== null) padBottom = rpx(d['padding-bottom'])
  })
  if (line !== null) h = Math.max(h || 0, line + padTop + padBottom)
  return h
}

function tappables(wxml) {
  const out = []
  const re = /<(view|text|button|navigator|picker|switch|checkbox|radio|image|label)\b([^>]*)>/g
  let m
  while ((m = re.exec(wxml))) {
    const tag = m[1]
    const attrs = m[2]
    const tappable = /\b(bind|catch):?tap="(?!noop")/.test(attrs) || ['button', 'navigator', 'picker', 'switch', 'checkbox', 'radio'].includes(tag)
    if (!tappable) continue
    let cls = (/\bclass="([^"]*)"/.exec(attrs) || [])[1] || ''
    if (tag === 'picker') {
      // a picker is as large as what it wraps
      const child = /^\s*<view\b[^>]*\bclass="([^"]*)"/.exec(wxml.slice(re.lastIndex))
      if (child) cls += ' ' + child[1]
    }
    const classes = cls.replace(/\{\{[^}]*\}\}/g, ' ').split(/\s+/).filter(Boolean)
    const dynamic = (cls.match(/'([A-Za-z0-9_-]+)'/g) || []).map((x) => x.slice(1, -1))
    out.push({ tag, classes: classes.concat(dynamic), mini: /size="mini"/.test(attrs), snippet: m[0].slice(0, 90) })
  }
  return out
}

function report() {
  const app = rules(path.join(SRC, 'app.wxss'))
  const small = []
  let total = 0
  files(SRC, '.wxml').forEach((f) => {
    const own = fs.existsSync(f.replace(/\.wxml$/, '.wxss')) ? rules(f.replace(/\.wxml$/, '.wxss')) : {}
    tappables(fs.readFileSync(f, 'utf8')).forEach((t) => {
      total++
      const decls = []
      t.classes.forEach((c) => decls.push(...(app[c] || []), ...(own[c] || [])))
      let h = height(decls)
      if (t.tag === 'button' && !t.mini) h = Math.max(h === null ? BUTTON_DEFAULT_RPX : h, h === null ? BUTTON_DEFAULT_RPX : 0)
      if (h === null || h < MIN_RPX) small.push(path.relative(SRC, f) + ': ' + (h === null ? 'no height' : h + 'rpx') + ' — ' + t.snippet)
    })
  })
  return { total, small }
}

test('every tap target is at least 44 pt (88 rpx) high', () => {
  const { total, small } = report()
  expect(total).toBeGreaterThan(100)
  expect(small).toEqual([])
})

test('the scanner sees a small target when there is one', () => {
  const d = [{ 'min-height': '72rpx', 'line-height': '72rpx !important', padding: '0 28rpx !important' }]
  expect(height(d)).toBe(72)
  expect(height([{ 'font-size': '32rpx', padding: '12rpx 28rpx' }])).toBe(null)
  expect(height([{ 'line-height': '64rpx', padding: '12rpx 28rpx' }])).toBe(88)
  expect(height([{ 'font-size': '60rpx', 'line-height': '1.2' }])).toBe(72)
  expect(tappables('<view class="link {{a ? \'x\' : \'\'}}" bindtap="go">x</view><button size="mini">b</button>'))
    .toEqual([
      { tag: 'view', classes: ['link', 'x'], mini: false, snippet: expect.any(String) },
      { tag: 'button', classes: [], mini: true, snippet: expect.any(String) }
    ])
})
