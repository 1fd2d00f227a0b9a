// What the volunteer sees after a scan: one colour, one big word, one line. Pure (no wx.*):
// fromAnswer() for the server's ScanAnswer, fromOffline() for a verdict of
// checkin-queue.offlineVerdict, fromError() when neither is possible.
const format = require('./format')

const TITLES = {
  admitted: '核验通过',
  already_admitted: '已入场',
  cancelled: '已取消',
  not_confirmed: '未获得名额',
  wrong_session: '不是这一场',
  outside_window: '不在签到时间',
  not_recognised: '无法识别',
  conflict: '已由其他设备核验'
}

function tone(colour) {
  return colour === 'green' || colour === 'amber' || colour === 'red' ? colour : 'red'
}

function who(holder, isFamily, isChild) {
  const name = holder || '居民'
  if (isChild) return name + '（儿童）'
  if (isFamily) return name + '（家庭成员）'
  return name + '（本人）'
}

function tagsOf(a) {
  const tags = []
  if (a.is_family_member) tags.push('家庭成员')
  if (a.is_child) tags.push('儿童，请确认有监护人陪同')
  return tags
}

// a: ScanAnswer; nowMs: when it arrived (for the undo deadline); undoMinutes from config.
function fromAnswer(a, nowMs, undoMinutes) {
  const v = {
    tone: tone(a.colour),
    title: TITLES[a.result] || a.message || '请人工核对',
    detail: a.message || '',
    lines: [],
    tags: [],
    offline: false,
    canRetry: false,
    canUndo: false,
    undoUntil: 0,
    checkinId: a.checkin_id || null,
    result: a.result
  }
  if (a.result === 'admitted') {
    v.detail = who(a.holder_masked, a.is_family_member, a.is_child)
    v.tags = tagsOf(a)
    if (a.party_size > 1) v.lines.push('本票可入场 ' + a.party_size + ' 人')
    if (a.checkin_id) {
      v.canUndo = true
      v.undoUntil = nowMs + (undoMinutes || 15) * 60000
    }
  } else if (a.result === 'already_admitted') {
    const at = a.admitted_at ? format.formatClock(a.admitted_at) : ''
    v.detail = '已入场' + (at ? ' ' + at : '') + (a.admitted_by ? ' 由' + a.admitted_by : '')
    if (a.holder_masked) v.lines.push('持票人：' + a.holder_masked)
    v.lines.push('同一张票不能重复入场')
  } else if (a.result === 'wrong_session' && a.expected) {
    const e = a.expected
    v.detail = '请到 ' + e.unit_name + '（' + format.formatDateTime(e.starts_at) + '）'
    v.lines.push('这张票是：' + e.title)
  } else if (a.holder_masked && a.result !== 'not_recognised') {
    v.lines.push('持票人：' + a.holder_masked)
  }
  return v
}

// verdict: checkin-queue.offlineVerdict(...)
function fromOffline(verdict) {
  const base = { lines: [], tags: [], offline: true, canRetry: false, canUndo: false, undoUntil: 0, checkinId: null, result: verdict.result }
  if (verdict.result === 'offline_admitted') {
    const e = verdict.entry || {}
    return Object.assign(base, {
      tone: 'green',
      title: '离线核验通过',
      detail: who(e.holder_masked, e.is_family_member, false),
      tags: e.is_family_member ? ['家庭成员'] : [],
      lines: ['网络不畅，已按离线名单放行', '已记下，联网后自动同步']
    })
  }
  if (verdict.result === 'offline_duplicate') {
    const s = verdict.seen || {}
    const at = s.at ? format.formatClock(s.at) : ''
    return Object.assign(base, {
      tone: 'amber',
      title: '已入场',
      detail: '本机已核验' + (at ? ' ' + at : '') + (s.holder ? '（' + s.holder + '）' : ''),
      lines: ['同一张票不能重复入场']
    })
  }
  if (verdict.result === 'offline_unknown') {
    return Object.assign(base, {
      tone: 'red',
      title: '名单中没有',
      detail: '离线名单里找不到这张票',
      lines: ['可能已取消、不是这一场，或在下载名单之后才预约。请联网后重扫，或请工作人员处理。']
    })
  }
  // no_list
  return Object.assign(base, {
    tone: 'amber',
    title: '网络不畅',
    detail: '连不上服务器，本机也没有离线名单',
    lines: ['请点“重试”；信号不好的场地，请先在有信号时下载离线名单。'],
    canRetry: true
  })
}

// err: the request module's ApiError (not a network failure — those go offline).
function fromError(err) {
  return {
    tone: 'red',
    title: '无法核验',
    detail: (err && err.message) || '出错了，请稍后再试',
    lines: [],
    tags: [],
    offline: false,
    canRetry: !!(err && (err.status >= 500 || err.code === 'network')),
    canUndo: false,
    undoUntil: 0,
    checkinId: null,
    result: 'error'
  }
}

module.exports = { fromAnswer, fromOffline, fromError, TITLES }
