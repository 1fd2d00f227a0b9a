// utils/outcome.js: one outcome told by colour lightness, a symbol, a vibration and a sound.
const fs = require('fs')
const path = require('path')
const { SRC, spyWx } = require('../helpers/mp')
const outcome = require(path.join(SRC, 'utils/outcome'))

// WCAG 2 relative luminance and contrast ratio
function luminance(hex) {
  const c = hex.replace('#', '').match(/../g).map((x) => parseInt(x, 16) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)))
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
}
function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => p - q)
  return (y + 0.05) / (x + 0.05)
}

test('the three backgrounds differ in lightness (≥ 2.5 : 1 pairwise), so no colour vision is needed; text ≥ 4.5 : 1', () => {
  const tones = ['green', 'amber', 'red']
  tones.forEach((t) => expect(contrast(outcome.COLOURS[t].bg, outcome.COLOURS[t].fg)).toBeGreaterThanOrEqual(4.5))
  for (let i = 0; i < tones.length; i++) {
    for (let j = i + 1; j < tones.length; j++) {
      expect(contrast(outcome.COLOURS[tones[i]].bg, outcome.COLOURS[tones[j]].bg)).toBeGreaterThanOrEqual(2.5)
    }
  }
  // the old green and red were 1.07 : 1 apart — the same grey to a red-green colour-blind volunteer
  expect(contrast('#1B5E20', '#B00020')).toBeLessThan(1.1)
})

test('the scan screen and the self check-in page use exactly these colours', () => {
  ;['components/scan-result/index.wxss', 'pages/checkin/self.wxss'].forEach((f) => {
    const css = fs.readFileSync(path.join(SRC, f), 'utf8')
    ;['green', 'amber', 'red'].forEach((t) => {
      const m = new RegExp('\\.tone-' + t + '\\s*\\{\\s*background:\\s*(#[0-9A-Fa-f]{6});\\s*color:\\s*(#[0-9A-Fa-f]{6})').exec(css)
      expect([f, t, m && m[1].toUpperCase(), m && m[2].toUpperCase()]).toEqual([f, t, outcome.COLOURS[t].bg, outcome.COLOURS[t].fg])
    })
  })
})

test('a symbol, a vibration pattern and a sound of its own per outcome', () => {
  expect(['green', 'amber', 'red'].map(outcome.symbol)).toEqual(['✓', '!', '✗'])
  expect(outcome.symbol('purple')).toBe('✗') // anything unknown reads as “do not admit”
  const patterns = ['green', 'amber', 'red'].map((t) => JSON.stringify(outcome.pattern(t)))
  expect(new Set(patterns).size).toBe(3)
  const sounds = ['green', 'amber', 'red'].map((t) => outcome.SOUNDS[t])
  expect(new Set(sounds).size).toBe(3)
  sounds.forEach((s) => {
    const file = path.join(SRC, s)
    expect(fs.readFileSync(file).slice(0, 4).toString()).toBe('RIFF')
    expect(fs.statSync(file).size).toBeLessThan(10 * 1024)
  })
})

test('vibrate plays the pattern with WeChat’s two vibrations: green one short, amber two short, red one long', () => {
  const short = spyWx('vibrateShort').mockImplementation(() => {})
  const long = spyWx('vibrateLong').mockImplementation(() => {})
  const later = []
  const schedule = (fn, ms) => later.push([ms, fn])
  outcome.vibrate('green', schedule)
  expect([short.mock.calls.length, long.mock.calls.length, later.length]).toEqual([1, 0, 0])
  outcome.vibrate('amber', schedule)
  later.forEach(([, fn]) => fn())
  expect([short.mock.calls.length, long.mock.calls.length, later.map((l) => l[0])]).toEqual([3, 0, [250]])
  outcome.vibrate('red', schedule)
  expect(long).toHaveBeenCalledTimes(1)
  short.mock.calls.forEach((c) => expect(c[0].type).toBe('heavy'))
})
