// WeChat's own limits, applied by the test doubles of wx.* (see docs/miniprogram.md, “Tests”).
// On a phone these calls fail (the `fail` callback, nothing on screen) or throw; here each
// refusal is also recorded, and test/helpers/setup.js fails the test that caused it. So a modal
// whose button text is too long, a navigation to a page app.json does not register, or a tab
// page opened with navigateTo fails a test instead of doing nothing on a phone.
//
// Limits (WeChat API reference, base library 3.x):
//  - showModal: confirmText and cancelText at most 4 characters;
//  - showToast: with an icon (the default is `success`) the title shows at most 7 characters;
//    icon one of success/error/loading/none; showLoading draws the same box (≤ 7);
//  - showActionSheet: at most 6 items;
//  - navigateTo / redirectTo: a page registered in app.json (pages or subpackages), never a
//    tab-bar page; switchTab: only tab-bar pages, without a query; reLaunch: a registered page;
//  - storage: one key at most 1 MB, everything at most 10 MB (setStorageSync throws);
//  - vibrateShort: `type` is required (heavy, medium, light);
//  - requestSubscribeMessage: at most 3 template ids;
//  - addPhoneCalendar: a `title`, and `startTime` (and `endTime`) as whole Unix seconds — a
//    JavaScript millisecond time would put the event tens of thousands of years ahead.
const fs = require('fs')
const path = require('path')

const SRC = path.resolve(__dirname, '../..', process.env.MP_SRC || 'src')
const appJson = JSON.parse(fs.readFileSync(path.join(SRC, 'app.json'), 'utf8'))

const registered = new Set(appJson.pages)
;(appJson.subpackages || appJson.subPackages || []).forEach(function (sp) {
  ;(sp.pages || []).forEach(function (p) {
    registered.add(sp.root.replace(/\/$/, '') + '/' + p)
  })
})
const tabPages = new Set(((appJson.tabBar && appJson.tabBar.list) || []).map(function (t) {
  return t.pagePath
}))

const KEY_LIMIT = 1024 * 1024
const TOTAL_LIMIT = 10 * 1024 * 1024

let violations = []

function chars(s) {
  return Array.from(String(s == null ? '' : s)).length
}

// Records a refusal and answers the call the way WeChat does: `fail`, then `complete`.
function refuse(api, options, message) {
  violations.push('wx.' + api + ': ' + message)
  const res = { errMsg: api + ':fail ' + message }
  if (options && typeof options.fail === 'function') options.fail(res)
  if (options && typeof options.complete === 'function') options.complete(res)
  return false
}

// '/pages/a/b?x=1' or 'pages/a/b' → 'pages/a/b' (relative URLs are resolved against the current page)
function pagePath(url, from) {
  let p = String(url || '').split('?')[0]
  if (p.charAt(0) === '/') return p.slice(1)
  const base = (from || '').split('/').slice(0, -1)
  p.split('/').forEach(function (part) {
    if (part === '..') base.pop()
    else if (part !== '.' && part) base.push(part)
  })
  return base.join('/')
}

function currentRoute() {
  const pages = typeof getCurrentPages === 'function' ? getCurrentPages() : []
  const top = pages[pages.length - 1]
  return top ? top.route || '' : ''
}

// Each check returns true when WeChat would go ahead with the call.
const checks = {
  showModal: function (o) {
    o = o || {}
    if (o.confirmText !== undefined && chars(o.confirmText) > 4) {
      return refuse('showModal', o, 'confirmText length should not larger than 4 Chinese characters (“' + o.confirmText + '”)')
    }
    if (o.cancelText !== undefined && chars(o.cancelText) > 4) {
      return refuse('showModal', o, 'cancelText length should not larger than 4 Chinese characters (“' + o.cancelText + '”)')
    }
    if (!o.title && !o.content) return refuse('showModal', o, 'title and content are both empty')
    return true
  },
  showToast: function (o) {
    o = o || {}
    const icon = o.icon === undefined ? 'success' : o.icon
    if (['success', 'error', 'loading', 'none'].indexOf(icon) < 0) return refuse('showToast', o, 'unknown icon ' + icon)
    if (!o.title) return refuse('showToast', o, 'parameter.title should be String')
    if (icon !== 'none' && !o.image && chars(o.title) > 7) {
      return refuse('showToast', o, 'a title with an icon shows at most 7 characters (“' + o.title + '”)')
    }
    return true
  },
  showLoading: function (o) {
    o = o || {}
    if (!o.title) return refuse('showLoading', o, 'parameter.title should be String')
    if (chars(o.title) > 7) return refuse('showLoading', o, 'the loading box shows at most 7 characters (“' + o.title + '”)')
    return true
  },
  showActionSheet: function (o) {
    o = o || {}
    if (!o.itemList || !o.itemList.length) return refuse('showActionSheet', o, 'itemList is empty')
    if (o.itemList.length > 6) return refuse('showActionSheet', o, 'itemList should not be large than 6')
    return true
  },
  navigateTo: function (o) {
    return pageCheck('navigateTo', o, false)
  },
  redirectTo: function (o) {
    return pageCheck('redirectTo', o, false)
  },
  reLaunch: function (o) {
    return pageCheck('reLaunch', o, true)
  },
  switchTab: function (o) {
    o = o || {}
    const p = pagePath(o.url, currentRoute())
    if (!tabPages.has(p)) return refuse('switchTab', o, 'can not switch to no-tabBar page ' + o.url)
    if (String(o.url).indexOf('?') >= 0) return refuse('switchTab', o, 'a tab page takes no query: ' + o.url)
    return true
  },
  vibrateShort: function (o) {
    o = o || {}
    if (['heavy', 'medium', 'light'].indexOf(o.type) < 0) return refuse('vibrateShort', o, 'parameter.type should be heavy, medium or light')
    return true
  },
  // WeChat Channels (视频号): the account id is the `sph…` id from 视频号助手.
  getChannelsLiveInfo: function (o) {
    o = o || {}
    if (!/^sph[A-Za-z0-9]+$/.test(String(o.finderUserName || ''))) return refuse('getChannelsLiveInfo', o, 'finderUserName should be the sph… id')
    return true
  },
  openChannelsLive: function (o) {
    o = o || {}
    if (!/^sph[A-Za-z0-9]+$/.test(String(o.finderUserName || ''))) return refuse('openChannelsLive', o, 'finderUserName should be the sph… id')
    return true
  },
  openChannelsActivity: function (o) {
    o = o || {}
    if (!/^sph[A-Za-z0-9]+$/.test(String(o.finderUserName || ''))) return refuse('openChannelsActivity', o, 'finderUserName should be the sph… id')
    if (!o.feedId) return refuse('openChannelsActivity', o, 'feedId is required')
    return true
  },
  requestSubscribeMessage: function (o) {
    o = o || {}
    if (!o.tmplIds || !o.tmplIds.length) return refuse('requestSubscribeMessage', o, 'tmplIds is empty')
    if (o.tmplIds.length > 3) return refuse('requestSubscribeMessage', o, 'at most 3 template ids at a time')
    return true
  },
  addPhoneCalendar: function (o) {
    o = o || {}
    if (!o.title) return refuse('addPhoneCalendar', o, 'parameter.title should be String')
    const secs = function (v) {
      return typeof v === 'number' && Number.isInteger(v) && v > 1e9 && v < 1e10
    }
    if (!secs(o.startTime)) return refuse('addPhoneCalendar', o, 'parameter.startTime should be Unix seconds (' + o.startTime + ')')
    if (o.endTime !== undefined && (!secs(o.endTime) || o.endTime < o.startTime)) {
      return refuse('addPhoneCalendar', o, 'parameter.endTime should be Unix seconds after startTime')
    }
    return true
  }
}

function pageCheck(api, o, tabAllowed) {
  o = o || {}
  if (!o.url) return refuse(api, o, 'parameter.url should be String')
  const p = pagePath(o.url, currentRoute())
  if (!registered.has(p)) return refuse(api, o, 'page "' + p + '" is not found (not registered in app.json)')
  if (!tabAllowed && tabPages.has(p)) return refuse(api, o, 'can not ' + api + ' a tabbar page (' + p + '): use switchTab')
  return true
}

// Storage the size WeChat allows: one key ≤ 1 MB, all keys ≤ 10 MB (as UTF-8 JSON text).
let store = {}
function sizeOf(key, value) {
  return Buffer.byteLength(key, 'utf8') + Buffer.byteLength(JSON.stringify(value === undefined ? null : value), 'utf8')
}
function totalSize(except) {
  return Object.keys(store).reduce(function (n, k) {
    return k === except ? n : n + sizeOf(k, store[k])
  }, 0)
}
const storageApi = {
  setStorageSync: function (key, value) {
    if (typeof key !== 'string' || !key) throw new Error('setStorageSync:fail parameter error: parameter.key should be String')
    const size = sizeOf(key, value)
    if (size > KEY_LIMIT) throw new Error('setStorageSync:fail:entry size limit reached')
    if (totalSize(key) + size > TOTAL_LIMIT) throw new Error('setStorageSync:fail:storage limit reached (10 MB)')
    store[key] = JSON.parse(JSON.stringify(value === undefined ? null : value))
  },
  getStorageSync: function (key) {
    return Object.prototype.hasOwnProperty.call(store, key) ? JSON.parse(JSON.stringify(store[key])) : ''
  },
  removeStorageSync: function (key) {
    delete store[key]
  },
  clearStorageSync: function () {
    store = {}
  },
  getStorageInfoSync: function () {
    return { keys: Object.keys(store), currentSize: Math.ceil(totalSize() / 1024), limitSize: TOTAL_LIMIT / 1024 }
  }
}

function resetStorage() {
  store = {}
}
function storage() {
  return store
}

// Wraps a jest mock of wx[name] so that every implementation a test gives it runs only when
// WeChat would accept the call.
function guard(name, mock) {
  const check = checks[name]
  if (!check || mock.__wxGuarded) return mock
  mock.__wxGuarded = true
  const wrap = function (impl) {
    return function (o) {
      if (!check(o)) return undefined
      return impl ? impl.apply(this, arguments) : undefined
    }
  }
  const setImpl = mock.mockImplementation.bind(mock)
  const setOnce = mock.mockImplementationOnce.bind(mock)
  mock.mockImplementation = function (impl) {
    return setImpl(wrap(impl))
  }
  mock.mockImplementationOnce = function (impl) {
    return setOnce(wrap(impl))
  }
  mock.mockReturnValue = function (v) {
    return setImpl(wrap(function () {
      return v
    }))
  }
  const current = mock.getMockImplementation()
  setImpl(wrap(current))
  return mock
}

// The default doubles: accept what WeChat accepts, succeed asynchronously like WeChat.
function install(wx) {
  Object.keys(storageApi).forEach(function (k) {
    wx[k] = storageApi[k]
  })
  Object.keys(checks).forEach(function (name) {
    const original = wx[name]
    wx[name] = function (o) {
      if (!checks[name](o)) return undefined
      if (typeof original === 'function' && name !== 'navigateTo' && name !== 'redirectTo' &&
          name !== 'switchTab' && name !== 'reLaunch') return original.apply(this, arguments)
      const res = { errMsg: name + ':ok' }
      setTimeout(function () {
        if (o && o.success) o.success(res)
        if (o && o.complete) o.complete(res)
      }, 0)
      return undefined
    }
  })
}

function take() {
  const v = violations
  violations = []
  return v
}

module.exports = { install, guard, checks, take, resetStorage, storage, registered, tabPages, pagePath, KEY_LIMIT, TOTAL_LIMIT }
