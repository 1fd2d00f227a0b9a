// The one network module. Every call to the Culture Hub service goes through call(name, …)
// with a name from api/endpoints.js.
//
//  - base URL from config.js (read at call time);
//  - our session token in `Authorization: Bearer …`; signs in on first need (privacy
//    agreement → wx.login → POST /auth/wechat). A 401 for a token we sent (revoked: signed out
//    elsewhere, account deleted) never signs in by itself — that would silently make a new
//    account: the session is dropped, browsing (auth `optional`) goes on anonymously with a
//    one-time note, and anything that needs an account fails with `session_expired`, so the
//    person signs in again with a tap;
//  - an `Idempotency-Key` created per user action by the caller (newIdempotencyKey) and sent
//    unchanged on every retry of that action;
//  - one automatic retry after a network failure for GETs, keyed writes and writes the caller
//    marks `retrySafe` (made idempotent by a nonce in the body: scans, head counts, sync);
//  - the server's error.message shown to the person (toast by default, or a modal);
//  - a loading indicator while the request runs (opts.loading = '正在预约…').
// It resolves with the response body and rejects with an ApiError {status, code, message,
// requestId, details, shown}.
const config = require('../config')
const ENDPOINTS = require('../api/endpoints')
const session = require('./session')
const privacy = require('./privacy')
const i18n = require('./i18n')

// The Chinese texts (exported for tests); what is shown follows the UI's language (utils/i18n).
const NETWORK_MESSAGE = '网络连接不畅，请检查网络后重试'
const SESSION_EXPIRED_MESSAGE = '登录已失效，请重新登录'

function ApiError(fields) {
  const e = new Error(fields.message || i18n.t('rq_unavailable'))
  e.name = 'ApiError'
  e.status = fields.status || 0
  e.code = fields.code || 'unknown'
  e.requestId = fields.requestId || ''
  e.details = fields.details || null
  e.shown = false
  return e
}

function randomHex(n) {
  let s = ''
  for (let i = 0; i < n; i++) s += Math.floor(Math.random() * 16).toString(16)
  return s
}

// One key per user action (a tap on “确认预约”); reuse it for every retry of that action.
function newIdempotencyKey() {
  return 'mp-' + Date.now().toString(36) + '-' + randomHex(16)
}

function fillPath(path, params) {
  return path.replace(/\{(\w+)\}/g, function (_, name) {
    if (!params || params[name] === undefined || params[name] === null) {
      throw new Error('missing path parameter ' + name + ' for ' + path)
    }
    return encodeURIComponent(String(params[name]))
  })
}

function queryString(query) {
  if (!query) return ''
  const parts = Object.keys(query)
    .filter(function (k) {
      return query[k] !== undefined && query[k] !== null && query[k] !== ''
    })
    .map(function (k) {
      return encodeURIComponent(k) + '=' + encodeURIComponent(query[k])
    })
  return parts.length ? '?' + parts.join('&') : ''
}

function errorFrom(res) {
  const body = res && res.data
  if (body && typeof body === 'object' && body.error && body.error.message) {
    return ApiError({
      status: body.error.status || res.statusCode,
      code: body.error.code,
      message: body.error.message,
      requestId: body.error.request_id,
      details: body.error.details
    })
  }
  return ApiError({
    status: res.statusCode,
    code: 'http_' + res.statusCode,
    message: i18n.t('rq_unavailable_status', { status: res.statusCode })
  })
}

function send(method, url, data, header, timeout) {
  return new Promise(function (resolve, reject) {
    wx.request({
      url: url,
      method: method,
      data: data === undefined ? undefined : data,
      header: header,
      timeout: timeout || config.timeout,
      dataType: 'json',
      success: function (res) {
        resolve(res)
      },
      fail: function (res) {
        const e = ApiError({ code: 'network', message: i18n.t('rq_network') })
        e.errMsg = res && res.errMsg
        reject(e)
      }
    })
  })
}

// Local development against the fake WeChat (config.devFakeWechat): a code from the fake.
function fakeCode(kind, body) {
  const fake = config.devFakeWechat
  return send('POST', fake.url + '/__fake/' + kind, body, { 'content-type': 'application/json' }).then(function (res) {
    if (res.statusCode === 200 && res.data && res.data.code) return res.data.code
    throw ApiError({ code: 'wx_login_failed', message: '本地模拟微信服务没有返回登录凭证' })
  })
}

// The code for POST /me/phone: the button's code, or in local development one from the fake.
function phoneCode(buttonCode) {
  if (config.devFakeWechat) return fakeCode('phone_code', { phone: config.devFakeWechat.phone })
  return Promise.resolve(buttonCode)
}

function wxLogin() {
  if (config.devFakeWechat) return fakeCode('login_code', { openid: config.devFakeWechat.openid })
  return new Promise(function (resolve, reject) {
    wx.login({
      success: function (res) {
        if (res && res.code) resolve(res.code)
        else reject(ApiError({ code: 'wx_login_failed', message: i18n.t('rq_login_failed') }))
      },
      fail: function () {
        reject(ApiError({ code: 'wx_login_failed', message: i18n.t('rq_login_network') }))
      }
    })
  })
}

let signingIn = null

// Sign in with WeChat. Only one sign-in runs at a time; concurrent callers share it.
function signIn() {
  if (signingIn) return signingIn
  signingIn = (async function () {
    await privacy.ensureAgreed()
    const ep = ENDPOINTS.signIn
    for (let attempt = 0; ; attempt++) {
      const code = await wxLogin()
      const res = await send(ep.method, config.baseUrl + ep.path, { code: code }, {
        'content-type': 'application/json',
        'X-Culturehub-Lang': i18n.header()
      })
      if (res.statusCode >= 200 && res.statusCode < 300 && res.data && res.data.token) {
        session.save(res.data)
        return res.data
      }
      const err = errorFrom(res)
      // a code is single-use and short-lived: get a fresh one once
      if (err.code === 'wechat_code_invalid' && attempt === 0) continue
      throw err
    }
  })()
  const clear = function () {
    signingIn = null
  }
  signingIn.then(clear, clear)
  return signingIn
}

function showError(err, mode) {
  if (!err || err.shown || mode === false) return
  err.shown = true
  if (mode === 'modal') {
    wx.showModal({ title: i18n.t('rq_notice'), content: err.message, showCancel: false, confirmText: i18n.t('me_got_it') })
  } else {
    wx.showToast({ title: err.message, icon: 'none', duration: 3000 })
  }
}

// call('book', { data: {...}, idempotencyKey, loading: '正在预约…', showError: 'modal' })
// opts: params (path), query, data (JSON body), idempotencyKey, loading, showError
//       ('toast' default | 'modal' | false), retrySafe (a write whose body carries its own
//       nonce, so repeating it after a network failure cannot do it twice), timeout (ms, for
//       calls that have a faster fallback than waiting: the door scan goes offline instead).
async function call(name, opts) {
  opts = opts || {}
  const ep = ENDPOINTS[name]
  if (!ep) throw new Error('unknown endpoint ' + name)
  const method = ep.method
  const url = config.baseUrl + fillPath(ep.path, opts.params) + queryString(opts.query)
  let loadingShown = false
  if (opts.loading) {
    wx.showLoading({ title: opts.loading, mask: true })
    loadingShown = true
  }
  const hide = function () {
    if (loadingShown) {
      loadingShown = false
      wx.hideLoading()
    }
  }
  try {
    let token = null
    if (ep.auth === 'required') token = session.token() || (await signIn()).token
    else if (ep.auth === 'optional') token = session.token()
    let networkRetries = 0
    for (;;) {
      // The service answers error messages in the UI's language (docs/api.md). A raw body (an
      // image for POST /files) names its own type; everything else is JSON.
      const header = { 'content-type': opts.contentType || 'application/json', 'X-Culturehub-Lang': i18n.header() }
      if (token) header.Authorization = 'Bearer ' + token
      if (opts.idempotencyKey) header['Idempotency-Key'] = opts.idempotencyKey
      let res
      try {
        res = await send(method, url, method === 'GET' ? undefined : opts.data, header, opts.timeout)
      } catch (netErr) {
        if (networkRetries < 1 && (method === 'GET' || opts.idempotencyKey || opts.retrySafe)) {
          networkRetries++
          continue
        }
        throw netErr
      }
      if (res.statusCode >= 200 && res.statusCode < 300) {
        hide()
        return res.data
      }
      const err = errorFrom(res)
      if (res.statusCode === 401 && token && (err.code === 'session_invalid' || err.code === 'unauthenticated')) {
        // our token was revoked: forget it, and never replace it by a silent sign-in
        const first = !session.wasRevoked()
        session.markRevoked()
        if (ep.auth === 'optional') {
          token = null
          if (first) wx.showToast({ title: i18n.t('rq_signed_out'), icon: 'none', duration: 3000 })
          continue
        }
        throw ApiError({ status: 401, code: 'session_expired', message: i18n.t('rq_session_expired'), requestId: err.requestId })
      }
      throw err
    }
  } catch (err) {
    hide()
    const e = err && err.code ? err : ApiError({ code: 'client_error', message: (err && err.message) || i18n.t('rq_client_error') })
    showError(e, opts.showError === undefined ? 'toast' : opts.showError)
    throw e
  }
}

module.exports = {
  call,
  signIn,
  phoneCode,
  newIdempotencyKey,
  ApiError,
  errorFrom,
  fillPath,
  queryString,
  showError,
  NETWORK_MESSAGE,
  SESSION_EXPIRED_MESSAGE
}
