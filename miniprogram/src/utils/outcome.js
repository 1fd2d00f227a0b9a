// One outcome, told three ways so that nobody has to tell green from red: the colour (green,
// amber and red differ in lightness too, not only in hue), a large symbol (✓ / ! / ✗) and a
// vibration pattern of its own (one short, two short, one long). Pure; the pages call vibrate().
const SYMBOLS = { green: '✓', amber: '!', red: '✗' }
const WORDS = { green: '通过', amber: '注意', red: '不能入场' }

// Vibration per outcome, as steps for wx.vibrateShort / wx.vibrateLong (ms after the start).
// WeChat has no pattern API: a sequence of its two vibrations, spaced so each is felt apart.
const PATTERNS = {
  green: [{ at: 0, kind: 'short', type: 'heavy' }],
  amber: [{ at: 0, kind: 'short', type: 'heavy' }, { at: 250, kind: 'short', type: 'heavy' }],
  red: [{ at: 0, kind: 'long' }]
}

function tone(colour) {
  return colour === 'green' || colour === 'amber' || colour === 'red' ? colour : 'red'
}

function symbol(t) {
  return SYMBOLS[tone(t)]
}

function word(t) {
  return WORDS[tone(t)]
}

function pattern(t) {
  return PATTERNS[tone(t)]
}

// Plays the pattern; `schedule` is setTimeout (tests pass their own).
function vibrate(t, schedule) {
  const run = schedule || setTimeout
  pattern(t).forEach(function (step) {
    const fire = function () {
      if (step.kind === 'long') {
        if (wx.vibrateLong) wx.vibrateLong({})
      } else if (wx.vibrateShort) {
        wx.vibrateShort({ type: step.type })
      }
    }
    if (step.at === 0) fire()
    else run(fire, step.at)
  })
}

module.exports = { SYMBOLS, PATTERNS, tone, symbol, word, pattern, vibrate }
