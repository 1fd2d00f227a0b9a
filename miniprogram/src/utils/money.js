// Money is whole fen on the wire (integers, never floats): shown as yuan, typed as yuan.

/** 123456 → "¥1,234.56" (integer arithmetic only). */
function yuan(fen) {
  if (typeof fen !== 'number' || !isFinite(fen) || Math.floor(fen) !== fen) return '—'
  const neg = fen < 0
  const abs = Math.abs(fen)
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const cents = String(abs % 100)
  return (neg ? '-' : '') + '¥' + whole + '.' + (cents.length < 2 ? '0' + cents : cents)
}

/** "1234.5" → 123450; null when it is not an amount with at most two decimals. */
function toFen(text) {
  const t = String(text == null ? '' : text).replace(/[,，\s¥]/g, '')
  const m = /^(\d{1,11})(?:\.(\d{1,2}))?$/.exec(t)
  if (!m) return null
  const cents = (m[2] || '') + '00'
  return Number(m[1]) * 100 + Number(cents.slice(0, 2))
}

/** An integer ×100 as a decimal: 467 → "4.67". */
function hundredths(n) {
  if (typeof n !== 'number' || Math.floor(n) !== n) return ''
  const c = String(Math.abs(n) % 100)
  return (n < 0 ? '-' : '') + Math.floor(Math.abs(n) / 100) + '.' + (c.length < 2 ? '0' + c : c)
}

module.exports = { yuan, toFen, hundredths }
