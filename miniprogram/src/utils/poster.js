// Share posters (生成海报, D111). The service draws the layout and the QR code
// (GET /api/v1/activities/{id}/poster.png, 750×1334); the text is written here on a canvas with
// the phone's own font, so Chinese and English both render. If the canvas is not available the
// service's poster is shown as it is (its QR code still opens the page).
const config = require('../config')
const ENDPOINTS = require('../api/endpoints')

// The service's blank panel (server/src/poster.rs PANEL): x, y, width, height.
const PANEL = { x: 40, y: 200, w: 670, h: 640 }
const WIDTH = 750
const HEIGHT = 1334

function posterUrl(kind, id) {
  const ep = kind === 'unit' ? ENDPOINTS.unitPoster : ENDPOINTS.activityPoster
  return config.baseUrl + ep.path.replace('{id}', encodeURIComponent(String(id)))
}

// Splits text into lines of at most `max` characters (CJK-width approximation), at most `rows`.
function wrap(text, max, rows) {
  const chars = Array.from(String(text || ''))
  const lines = []
  for (let i = 0; i < chars.length && lines.length < rows; i += max) lines.push(chars.slice(i, i + max).join(''))
  if (chars.length > max * rows) lines[rows - 1] = lines[rows - 1].slice(0, -1) + '…'
  return lines
}

// What to write and where: [{text, x, y, size, bold, color}]. Pure, so it is tested directly.
function layout(info) {
  const out = []
  const x = PANEL.x + 40
  let y = PANEL.y + 80
  wrap(info.title, 14, 3).forEach(function (line) {
    out.push({ text: line, x: x, y: y, size: 44, bold: true, color: '#1A1A1A' })
    y += 64
  })
  y += 24
  ;[info.time, info.place, info.unit].filter(Boolean).forEach(function (line) {
    wrap(line, 20, 2).forEach(function (l) {
      out.push({ text: l, x: x, y: y, size: 32, bold: false, color: '#4A4A4A' })
      y += 48
    })
    y += 8
  })
  if (info.footer) out.push({ text: info.footer, x: WIDTH / 2, y: HEIGHT - 80, size: 28, bold: false, color: '#4A4A4A', center: true })
  return out.filter(function (l) {
    return l.y < HEIGHT
  })
}

function promisify(fn, options) {
  return new Promise(function (resolve, reject) {
    fn(Object.assign({}, options, { success: resolve, fail: reject }))
  })
}

// Draws the service's PNG and the text on <canvas type="2d" id="{canvasId}"> of `page`;
// resolves with a temp file path of the finished poster.
function compose(page, canvasId, imagePath, lines) {
  return new Promise(function (resolve, reject) {
    if (!page || typeof page.createSelectorQuery !== 'function') return reject(new Error('no canvas'))
    page
      .createSelectorQuery()
      .select('#' + canvasId)
      .fields({ node: true, size: true })
      .exec(function (res) {
        const canvas = res && res[0] && res[0].node
        if (!canvas || typeof canvas.getContext !== 'function') return reject(new Error('no canvas'))
        canvas.width = WIDTH
        canvas.height = HEIGHT
        const ctx = canvas.getContext('2d')
        const img = canvas.createImage()
        img.onerror = reject
        img.onload = function () {
          ctx.drawImage(img, 0, 0, WIDTH, HEIGHT)
          lines.forEach(function (l) {
            ctx.fillStyle = l.color
            ctx.font = (l.bold ? 'bold ' : '') + l.size + 'px sans-serif'
            ctx.textAlign = l.center ? 'center' : 'left'
            ctx.fillText(l.text, l.x, l.y)
          })
          promisify(wx.canvasToTempFilePath, { canvas: canvas, fileType: 'png' }).then(function (r) {
            resolve(r.tempFilePath)
          }, reject)
        }
        img.src = imagePath
      })
  })
}

// Downloads the service's poster: resolves with its temp path; rejects on a non-200 answer.
function download(kind, id) {
  return promisify(wx.downloadFile, { url: posterUrl(kind, id) }).then(function (r) {
    if (r.statusCode !== 200) throw new Error('poster ' + r.statusCode)
    return r.tempFilePath
  })
}

// Saves to the album. The first time WeChat asks for scope.writePhotosAlbum itself; once it was
// refused, saving fails at once, so we explain and offer the settings page.
// Resolves 'saved', 'denied' (the person chose not to allow it) or 'cancelled'.
function save(path, t) {
  t = t || {}
  return promisify(wx.saveImageToPhotosAlbum, { filePath: path }).then(
    function () {
      wx.showToast({ title: t.saved || '已保存', icon: 'success' })
      return 'saved'
    },
    function (err) {
      const msg = String((err && err.errMsg) || '')
      if (/cancel/.test(msg)) return 'cancelled'
      if (!/auth|deny|denied/.test(msg)) {
        wx.showToast({ title: t.failed || '保存失败', icon: 'error' })
        return 'failed'
      }
      return new Promise(function (resolve) {
        wx.showModal({
          title: t.permissionTitle || '需要相册权限',
          content: t.permissionContent || '保存海报需要允许“保存到相册”。可以在设置中打开，也可以长按海报转发。',
          confirmText: t.openSettings || '去设置',
          success: function (r) {
            if (!r.confirm) return resolve('denied')
            wx.openSetting({
              success: function (s) {
                const ok = s && s.authSetting && s.authSetting['scope.writePhotosAlbum']
                if (!ok) return resolve('denied')
                save(path, t).then(resolve)
              },
              fail: function () {
                resolve('denied')
              }
            })
          },
          fail: function () {
            resolve('denied')
          }
        })
      })
    }
  )
}

module.exports = { PANEL, WIDTH, HEIGHT, posterUrl, wrap, layout, compose, download, save }
