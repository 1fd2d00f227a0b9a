// Test harness for the mini-program under miniprogram-simulate (see
// /work/shared/notes/miniprogram-testing.md): a Page→Component shim, App/getApp stubs,
// loadPage/loadComponent, an in-memory wx storage, wx.request stubs, waitFor, text.
const fs = require('fs')
const path = require('path')
const simulate = require('miniprogram-simulate')
const simulateUtils = require('miniprogram-simulate/src/utils')

const SRC = path.resolve(__dirname, '../..', process.env.MP_SRC || 'src')

// 'official' = WeChat's wcc binary (x86-64 only; rejects malformed WXML);
// 'simulate' = pure-JS parser (everywhere; silently accepts broken WXML)
const HAS_WCC = (process.platform === 'linux' && process.arch === 'x64') ||
  process.platform === 'darwin' || process.platform === 'win32'
const COMPILER = process.env.MP_COMPILER || (HAS_WCC ? 'official' : 'simulate')

// simulate runs each component's JS with require() and then deletes it from require.cache so
// that the next load runs it again. Under Jest that delete does nothing, so a component used
// by a second page in the same test file is never defined again and renders empty. Run the
// component file itself afresh each time; its own require()s (utils, api) still go through
// Jest's registry, so module state such as the session and the privacy dialog is shared.
simulateUtils.runJs = function (filePath) {
  const file = require.resolve(filePath)
  const dir = path.dirname(file)
  const mod = { exports: {} }
  const localRequire = function (dep) {
    return require(dep.charAt(0) === '.' ? path.resolve(dir, dep) : dep)
  }
  // eslint-disable-next-line no-new-func
  new Function('require', 'module', 'exports', '__filename', '__dirname', fs.readFileSync(file, 'utf8'))(
    localRequire, mod, mod.exports, file, dir)
}

// simulate's mock wx.request "succeeds" with {} after 100 ms: make unstubbed calls fail loudly
;['request', 'uploadFile', 'downloadFile', 'connectSocket'].forEach(function (name) {
  wx[name] = function () {
    const err = new Error('wx.' + name + ' called without a stub in this test')
    console.error(err.message)
    throw err
  }
})

// WeChat's limits (modal texts, registered pages, tab pages, storage size, …): the default
// doubles enforce them, and spyWx/stubModal keep enforcing them under a test's own stub
const rules = require('./wx-rules')
rules.install(wx)
const resetStorage = rules.resetStorage
const storage = rules.storage

// jest.spyOn(wx, name) that still applies WeChat's limits to whatever the test makes it do
// (the app's tests use this, never a bare jest.spyOn on wx: test/unit/wx-rules.test.js checks)
function spyWx(name) {
  return rules.guard(name, jest.spyOn(wx, name))
}

// privacy APIs are missing from simulate's wx
wx.onNeedPrivacyAuthorization = function () {}
wx.openPrivacyContract = function (o) {
  if (o && o.success) setTimeout(o.success, 0)
}
wx.getPrivacySetting = function (o) {
  if (o && o.success) setTimeout(function () { o.success({ needAuthorization: false, privacyContractName: '' }) }, 0)
}
if (!wx.setKeepScreenOn) wx.setKeepScreenOn = function () {}
if (!wx.getAccountInfoSync) wx.getAccountInfoSync = function () { return { miniProgram: { envVersion: 'develop' } } }

// tests stub wx.login and wx.request themselves: no local-development fake-WeChat hook
require(path.join(SRC, 'config')).devFakeWechat = null

let pendingQuery = {}
let pendingRoute = ''
let appInstance = { globalData: {} }
const pageStack = []

global.App = function (options) { appInstance = Object.assign({ globalData: {} }, options) }
global.getApp = function () { return appInstance }
global.getCurrentPages = function () { return pageStack.slice() }

global.Page = function (options) {
  const methods = {}
  const fields = {}
  Object.keys(options).forEach(function (key) {
    if (key === 'data' || key === 'behaviors' || key === 'options') return
    if (typeof options[key] === 'function') methods[key] = options[key]
    else fields[key] = options[key]
  })
  return global.Component({
    data: options.data || {},
    methods: methods,
    behaviors: options.behaviors || [],
    options: options.options || {},
    lifetimes: {
      created: function () {
        Object.assign(this, JSON.parse(JSON.stringify(fields)))
        this.route = pendingRoute
      },
      attached: function () {
        this.options = pendingQuery
        pageStack.push(this)
        if (this.onLoad) this.onLoad(pendingQuery)
        if (this.onShow) this.onShow()
      },
      ready: function () { if (this.onReady) this.onReady() },
      detached: function () {
        const i = pageStack.indexOf(this)
        if (i >= 0) pageStack.splice(i, 1)
        if (this.onHide) this.onHide()
        if (this.onUnload) this.onUnload()
      }
    }
  })
}

function loadApp() { require(path.join(SRC, 'app')); return appInstance }

// Under Jest, simulate's require.cache delete is a no-op: load each path once per test file
const loaded = new Map()
function loadOnce(route, tagName, loadOptions) {
  const key = route + '|' + tagName + '|' + JSON.stringify(loadOptions || {})
  if (!loaded.has(key)) {
    loaded.set(key, simulate.load(path.join(SRC, route), tagName,
      Object.assign({ rootPath: SRC, compiler: COMPILER }, loadOptions)))
  }
  return loaded.get(key)
}

function loadPage(route, opts) {
  opts = opts || {}
  const id = loadOnce(route, 'page-root', opts.loadOptions)
  pendingQuery = opts.query || {}
  pendingRoute = route
  const page = simulate.render(id)
  page.attach(document.createElement('parent-wrapper'))   // -> attached -> onLoad/onShow
  return page
}

// Opens a page the way WeChat does for wx.navigateTo({url}): the page must be registered, and
// the query reaches onLoad exactly as written in the URL — percent-encoding included.
function openUrl(url) {
  const p = rules.pagePath(url, '')
  if (!rules.registered.has(p)) throw new Error('WeChat cannot open ' + url + ': not registered in app.json')
  const query = {}
  const qs = String(url).split('?')[1] || ''
  qs.split('&').filter(Boolean).forEach(function (pair) {
    const i = pair.indexOf('=')
    if (i < 0) query[pair] = ''
    else query[pair.slice(0, i)] = pair.slice(i + 1)
  })
  return loadPage(p, { query: query })
}

function loadComponent(route, props, opts) {
  opts = opts || {}
  const id = loadOnce(route, opts.tagName || 'comp-root', opts.loadOptions)
  const comp = simulate.render(id, props || {})
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

async function waitFor(fn, timeout) {
  const deadline = Date.now() + (timeout || 3000)
  for (;;) {
    let ok = false
    try { ok = fn() } catch (e) { ok = false }
    if (ok) return ok
    if (Date.now() > deadline) throw new Error('waitFor timed out: ' + fn.toString())
    await simulate.sleep(5)
  }
}

function text(comp, selector) {
  const node = comp.querySelector(selector)
  return node ? node.dom.textContent.replace(/\s+/g, ' ').trim() : undefined
}

function texts(comp, selector) {
  return comp.querySelectorAll(selector).map(function (n) { return n.dom.textContent.replace(/\s+/g, ' ').trim() })
}

function tap(comp, selector) {
  const node = comp.querySelector(selector)
  if (!node) throw new Error('nothing to tap at ' + selector)
  node.dispatchEvent('tap')
  return simulate.sleep(0)
}

// stubRequest({ 'GET /api/v1/x': { data: [...] }, 'POST /api/v1/y': (opts) => ({ statusCode: 201, data }) })
// A handler may return an array of answers: one per call, the last one repeats.
// Every call is recorded in .calls as { method, path, query, data, header }.
function stubRequest(routes) {
  const counts = {}
  const spy = spyWx('request').mockImplementation(function (options) {
    const method = (options.method || 'GET').toUpperCase()
    const url = options.url.replace(/^https?:\/\/[^/]+/, '')
    const pathname = url.split('?')[0]
    const query = {}
    new URLSearchParams(url.split('?')[1] || '').forEach(function (v, k) { query[k] = v })
    const key = method + ' ' + pathname
    spy.calls.push({ method: method, path: pathname, query: query, data: options.data, header: options.header || {} })
    let handler = routes[key]
    if (Array.isArray(handler)) {
      const i = counts[key] || 0
      counts[key] = i + 1
      handler = handler[Math.min(i, handler.length - 1)]
    }
    setTimeout(function () {
      if (!handler) {
        if (options.fail) options.fail({ errMsg: 'request:fail no stub for ' + key })
        return
      }
      const res = typeof handler === 'function' ? handler(options, query) : handler
      if (res && res.networkError) {
        if (options.fail) options.fail({ errMsg: 'request:fail ' + res.networkError })
        return
      }
      if (options.success) options.success(Object.assign({ statusCode: 200, header: {}, errMsg: 'request:ok' }, res))
    }, 0)
    return { abort: function () {} }
  })
  spy.calls = []
  return spy
}

// An API error body as the server sends it.
function apiError(status, code, message, details) {
  const error = { status: status, code: code, message: message, request_id: 'test-request' }
  if (details) error.details = details
  return { statusCode: status, data: { error: error } }
}

// wx.showModal answering from a queue: true/false (confirm) or {confirm, content}.
function stubModal(answers) {
  const queue = (answers || []).slice()
  return spyWx('showModal').mockImplementation(function (o) {
    const a = queue.length ? queue.shift() : true
    const res = typeof a === 'object' ? Object.assign({ confirm: false, cancel: false }, a) : { confirm: !!a, cancel: !a }
    if (!res.confirm) res.cancel = true
    setTimeout(function () {
      if (o.success) o.success(res)
      if (o.complete) o.complete(res)
    }, 0)
  })
}

// A signed-in session in storage, as after POST /auth/wechat.
function signedIn(user) {
  wx.setStorageSync('ch_session', {
    token: 'test-token',
    expires_at: new Date(Date.now() + 86400000).toISOString(),
    user: Object.assign({ id: 1, display_name: '', phone: null, phone_masked: null, roles: [] }, user || {})
  })
}

function agreedPrivacy() {
  wx.setStorageSync('ch_privacy_agreed', require(path.join(SRC, 'config')).privacyVersion)
}

module.exports = {
  SRC, COMPILER, loadApp, loadPage, openUrl, loadComponent, waitFor, text, texts, tap,
  stubRequest, stubModal, apiError, signedIn, agreedPrivacy, resetStorage, storage, simulate, spyWx, rules
}
