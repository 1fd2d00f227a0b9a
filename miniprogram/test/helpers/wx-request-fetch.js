// wx.request implemented on Node's fetch, following WeChat's contract: success for every HTTP
// status, fail only on network error / timeout / abort.
function createWxRequest(impl) {
  impl = impl || {}
  const fetchImpl = impl.fetch || globalThis.fetch
  const AbortCtl = impl.AbortController || globalThis.AbortController
  const enc = (d) => Object.keys(d).filter((k) => d[k] !== undefined)
    .map((k) => encodeURIComponent(k) + '=' + encodeURIComponent(d[k])).join('&')
  return function request(options) {
    const method = (options.method || 'GET').toUpperCase()
    const header = Object.assign({}, options.header)
    const ctype = Object.keys(header).find((k) => k.toLowerCase() === 'content-type')
    let url = options.url
    let body
    if (options.data != null) {
      if (method === 'GET' || method === 'HEAD') {
        if (typeof options.data === 'object') { const qs = enc(options.data); if (qs) url += (url.includes('?') ? '&' : '?') + qs }
      } else if (typeof options.data === 'string' || options.data instanceof ArrayBuffer) body = options.data
      else if (ctype && /x-www-form-urlencoded/i.test(header[ctype])) body = enc(options.data)
      else { body = JSON.stringify(options.data); if (!ctype) header['content-type'] = 'application/json' }
    }
    const controller = new AbortCtl()
    let aborted = false
    const timer = options.timeout ? setTimeout(() => controller.abort(), options.timeout) : null
    const done = (cb, res) => { if (timer) clearTimeout(timer); if (cb) cb(res); if (options.complete) options.complete(res) }
    fetchImpl(url, { method, headers: header, body, signal: controller.signal })
      .then(async (resp) => {
        let data = options.responseType === 'arraybuffer' ? await resp.arrayBuffer() : await resp.text()
        if (typeof data === 'string' && (options.dataType || 'json') === 'json') { try { data = JSON.parse(data) } catch (e) {} }
        const headers = {}
        resp.headers.forEach((v, k) => { headers[k] = v })
        done(options.success, { data, statusCode: resp.status, header: headers, cookies: [], errMsg: 'request:ok' })
      })
      .catch((err) => {
        const reason = aborted ? 'abort' : err.name === 'AbortError' ? 'timeout' : ((err.cause && err.cause.code) || err.message)
        done(options.fail, { errMsg: 'request:fail ' + reason, errno: 600001 })
      })
    return { abort() { aborted = true; controller.abort() }, onHeadersReceived() {}, offHeadersReceived() {} }
  }
}
module.exports = { createWxRequest }
