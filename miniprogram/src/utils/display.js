// How text is shown: WeChat's own font-size setting (我 → 设置 → 通用 → 字体大小) and the app's
// 大字模式 (large-text mode, MIIT age-friendly guidelines: body text ≥ 18 pt, high contrast).
// Every page starts with <page-meta page-style="{{a11yStyle}}"> and is built with page() below; the
// WXSS sizes text as calc(N rpx * var(--ts, 1)) and takes grey text from var(--muted), so one
// style string scales and darkens everything. Dark mode (app.json darkmode + theme.json) sets
// the colour variables in app.wxss; high contrast picks its greys for the current theme.
const storage = require('./storage')
const i18n = require('./i18n')

const KEY = 'ch_large_text' // a display choice, not personal data
const BASE_FONT_PX = 17 // WeChat's default fontSizeSetting (iOS); Android reports 16
const MAX_SCALE = 1.6
const LARGE_SCALE = 1.25 // 32 rpx body → 40 rpx (20 pt); the smallest text, 30 rpx → 37.5 rpx (> 18 pt)

function baseInfo() {
  try {
    if (typeof wx.getAppBaseInfo === 'function') return wx.getAppBaseInfo() || {}
    if (typeof wx.getSystemInfoSync === 'function') return wx.getSystemInfoSync() || {}
  } catch (e) {
    // not available: defaults
  }
  return {}
}

function large() {
  return storage.get(KEY, false) === true
}

function setLarge(on) {
  storage.set(KEY, !!on)
}

// The scale WeChat's font-size setting asks for (1 at the default size).
function systemScale(info) {
  const px = Number((info || baseInfo()).fontSizeSetting)
  if (!px || px <= BASE_FONT_PX) return 1
  return Math.min(MAX_SCALE, Math.round((px / BASE_FONT_PX) * 100) / 100)
}

// {scale, large, dark, style}
function current(info) {
  info = info || baseInfo()
  const isLarge = large()
  const dark = info.theme === 'dark'
  const scale = Math.max(systemScale(info), isLarge ? LARGE_SCALE : 1)
  const parts = ['--ts: ' + scale]
  if (isLarge) {
    // high contrast: grey text becomes near-black (near-white in dark mode), borders stronger
    parts.push(dark ? '--muted: #F2F2F2' : '--muted: #1A1A1A')
    parts.push(dark ? '--border: #BDBDBD' : '--border: #424242')
  }
  return { scale: scale, large: isLarge, dark: dark, style: parts.join('; ') }
}

// Page(display.page({...})): the page gets data.a11yStyle (for its <page-meta page-style>) and
// applyDisplay(), called first on load and on every show — so a tab page shown again after
// 大字模式 changed is redrawn with it. (A behavior would not do: a behavior's lifetimes are
// ignored when Page() uses it; only its data and methods are merged.)
function page(options) {
  const d = current()
  // `t` and `lang` belong to the language; a page's own `t` would hide the texts.
  if (options.data && ('t' in options.data || 'lang' in options.data)) {
    throw new Error('display.page: `t` and `lang` are reserved for the UI language (utils/i18n)')
  }
  options.data = Object.assign({ a11yStyle: d.style, a11yLarge: d.large, t: i18n.strings(), lang: i18n.lang() }, options.data || {})
  // The language (utils/i18n): {{t.key}} in WXML, the navigation title (options.navTitleKey) and,
  // on tab pages (options.tabPage), the tab texts.
  const navTitleKey = options.navTitleKey
  const tabPage = options.tabPage
  options.applyDisplay = function () {
    const now = current()
    if (now.style !== this.data.a11yStyle || now.large !== this.data.a11yLarge) {
      this.setData({ a11yStyle: now.style, a11yLarge: now.large })
    }
    const lang = i18n.lang()
    if (lang !== this.data.lang) {
      this.setData({ t: i18n.strings(lang), lang: lang })
      // labels a page made itself from the catalogue
      if (typeof this.onLanguage === 'function') this.onLanguage(lang)
    }
    if (navTitleKey && typeof wx.setNavigationBarTitle === 'function') wx.setNavigationBarTitle({ title: i18n.t(navTitleKey) })
    if (tabPage) i18n.applyTabBar()
  }
  ;['onLoad', 'onShow'].forEach(function (hook) {
    const own = options[hook]
    options[hook] = function () {
      this.applyDisplay()
      if (own) return own.apply(this, arguments)
    }
  })
  return options
}

// After a change (大字模式, the theme): every open page restyles.
function applyToOpenPages() {
  const pages = typeof getCurrentPages === 'function' ? getCurrentPages() : []
  pages.forEach(function (p) {
    if (p && typeof p.applyDisplay === 'function') p.applyDisplay()
  })
}

module.exports = { KEY, LARGE_SCALE, BASE_FONT_PX, large, setLarge, systemScale, current, page, applyToOpenPages }
