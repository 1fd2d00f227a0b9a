// Volunteering beyond the door (issue 16): shapes the service's answers for the pages
// pages/volunteer/shifts, teams and certificate, and lays the certificate out for the canvas
// (D253: the server draws no text). Pure functions, tested in test/unit/volunteering.test.js.
const format = require('./format')

const STATUS = { pending: '待审核', approved: '已通过', declined: '未通过', withdrawn: '已取消' }

// Minutes → "12.5" hours (one decimal, as on the certificate and in the city export).
function hours(minutes) {
  const tenths = Math.floor(((minutes || 0) * 10 + 30) / 60)
  return Math.floor(tenths / 10) + '.' + (tenths % 10)
}

function shiftView(s) {
  return {
    id: s.id,
    role: s.role_name,
    when: format.formatRange(s.starts_at, s.ends_at),
    place: s.place || '',
    remaining: s.remaining,
    full: s.remaining <= 0,
    placesText: s.remaining > 0 ? '还差 ' + s.remaining + ' 人（共 ' + s.needed + ' 人）' : '已满'
  }
}

function opportunityView(o) {
  return {
    id: o.id,
    title: o.title,
    unit: o.unit_name,
    description: o.description || '',
    shifts: (o.shifts || []).map(shiftView)
  }
}

// My sign-ups: upcoming first (soonest first), then the past (latest first).
function mineView(items, now) {
  const t = now || new Date().toISOString()
  const rows = (items || []).map(function (s) {
    return {
      id: s.id,
      title: s.title,
      role: s.role_name,
      unit: s.unit_name,
      when: format.formatRange(s.starts_at, s.ends_at),
      place: s.place || '',
      status: s.status,
      statusText: STATUS[s.status] || s.status,
      hoursText: s.minutes != null ? hours(s.minutes) + ' 小时' : '',
      canWithdraw: (s.status === 'pending' || s.status === 'approved') && s.starts_at > t,
      startsAt: s.starts_at
    }
  })
  const coming = rows.filter(function (r) { return r.startsAt > t }).sort(function (a, b) { return a.startsAt < b.startsAt ? -1 : 1 })
  const past = rows.filter(function (r) { return r.startsAt <= t }).sort(function (a, b) { return a.startsAt < b.startsAt ? 1 : -1 })
  return coming.concat(past)
}

function hoursView(h) {
  h = h || {}
  const next = h.next_milestone_hours
  return {
    total: hours(h.total_minutes),
    milestone: h.milestone_hours ? '已达 ' + h.milestone_hours + ' 小时' : '',
    next: next ? '距 ' + next + ' 小时还差 ' + hours(Math.max(0, next * 60 - (h.total_minutes || 0))) + ' 小时' : '',
    byRole: (h.by_role || []).map(function (r) {
      return { key: r.role_code, text: r.role_name + ' ' + r.shifts + ' 次 · ' + hours(r.minutes) + ' 小时' }
    })
  }
}

// The certificate on a 750×1060 canvas: [{text, x, y, size, bold, color, center}].
const CERT = { w: 750, h: 1060 }
function certificateLayout(c) {
  const mid = CERT.w / 2
  const out = [
    { text: '志愿服务证书', x: mid, y: 170, size: 64, bold: true, color: '#9E1B1B', center: true },
    { text: c.name || '志愿者', x: mid, y: 330, size: 52, bold: true, color: '#1A1A1A', center: true },
    { text: '累计参加文化志愿服务', x: mid, y: 430, size: 34, bold: false, color: '#4A4A4A', center: true },
    { text: c.hours + ' 小时', x: mid, y: 520, size: 72, bold: true, color: '#9E1B1B', center: true }
  ]
  if (c.milestone_hours) out.push({ text: '达到 ' + c.milestone_hours + ' 小时服务里程碑', x: mid, y: 600, size: 32, bold: false, color: '#4A4A4A', center: true })
  out.push({ text: '特发此证，以资鼓励。', x: mid, y: 690, size: 32, bold: false, color: '#4A4A4A', center: true })
  out.push({ text: c.issuer || '', x: CERT.w - 80, y: 840, size: 32, bold: false, color: '#1A1A1A' , right: true })
  out.push({ text: format.formatDate(c.issued_at), x: CERT.w - 80, y: 890, size: 30, bold: false, color: '#4A4A4A', right: true })
  out.push({ text: '验证码 ' + c.code, x: mid, y: 990, size: 26, bold: false, color: '#6B6B6B', center: true })
  return out
}

function promisify(fn, options) {
  return new Promise(function (resolve, reject) {
    fn(Object.assign({}, options, { success: resolve, fail: reject }))
  })
}

// Draws the certificate on <canvas type="2d" id="{canvasId}">; resolves with a PNG temp path.
function drawCertificate(page, canvasId, lines) {
  return new Promise(function (resolve, reject) {
    if (!page || typeof page.createSelectorQuery !== 'function') return reject(new Error('no canvas'))
    page.createSelectorQuery().select('#' + canvasId).fields({ node: true, size: true }).exec(function (res) {
      const canvas = res && res[0] && res[0].node
      if (!canvas || typeof canvas.getContext !== 'function') return reject(new Error('no canvas'))
      canvas.width = CERT.w
      canvas.height = CERT.h
      const ctx = canvas.getContext('2d')
      ctx.fillStyle = '#FFFDF6'
      ctx.fillRect(0, 0, CERT.w, CERT.h)
      ctx.strokeStyle = '#C9A14A'
      ctx.lineWidth = 12
      ctx.strokeRect(30, 30, CERT.w - 60, CERT.h - 60)
      lines.forEach(function (l) {
        ctx.fillStyle = l.color
        ctx.font = (l.bold ? 'bold ' : '') + l.size + 'px sans-serif'
        ctx.textAlign = l.center ? 'center' : l.right ? 'right' : 'left'
        ctx.fillText(l.text, l.x, l.y)
      })
      promisify(wx.canvasToTempFilePath, { canvas: canvas, fileType: 'png' }).then(function (r) {
        resolve(r.tempFilePath)
      }, reject)
    })
  })
}

module.exports = { STATUS, CERT, hours, shiftView, opportunityView, mineView, hoursView, certificateLayout, drawCertificate }
