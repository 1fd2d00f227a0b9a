// One outcome, told three ways so that nobody has to tell green from red: the colour (green,
// amber and red differ in lightness too, not only in hue), a large symbol (✓ / ! / ✗) and a
// vibration pattern of its own (one short, two short, one long). Pure; the pages call vibrate().
const SYMBOLS = { green: '✓', amber: '!', red: '✗' }

// Background and text per outcome. The three backgrounds differ in lightness by ≥ 2.5 : 1 from
// each other (dark green, light red, pale amber), so they read apart without colour vision; the
// text on each is ≥ 4.5 : 1 (components/scan-result and pages/checkin/self use these values;
// test/unit/outcome.test.js checks both and that the WXSS matches).
const COLOURS = {
  green: { bg: '#0B4F17', fg: '#FFFFFF' },
  amber: { bg: '#FFE57F', fg: '#1A1A1A' },
  red: { bg: '#FF5252', fg: '#1A1A1A' }
}

// Optional sound per outcome (the scan page's 提示音 switch), drawn by scripts/make-sounds.js.
const SOUNDS = { green: '/sounds/ok.wav', amber: '/sounds/warn.wav', red: '/sounds/bad.wav' }
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

// Plays the pattern; `schedule` is setTimeout (tests pass their own). Returns a function that
// cancels what has not played yet (the scan page calls it when it closes).
function vibrate(t, schedule) {
  const run = schedule || setTimeout
  const short = wx.vibrateShort
  const long = wx.vibrateLong
  const timers = []
  pattern(t).forEach(function (step) {
    const fire = function () {
      if (step.kind === 'long') {
        if (long) long.call(wx, {})
      } else if (short) {
        short.call(wx, { type: step.type })
      }
    }
    if (step.at === 0) fire()
    else timers.push(run(fire, step.at))
  })
  return function cancel() {
    timers.forEach(function (id) {
      clearTimeout(id)
    })
  }
}

// Plays the outcome's sound (short WAVs in the package; nothing to download at the door).
function play(t) {
  if (typeof wx.createInnerAudioContext !== 'function') return
  const audio = wx.createInnerAudioContext()
  audio.src = SOUNDS[tone(t)]
  const done = function () {
    if (audio.destroy) audio.destroy()
  }
  if (audio.onEnded) audio.onEnded(done)
  if (audio.onError) audio.onError(done)
  audio.play()
}

module.exports = { SYMBOLS, COLOURS, SOUNDS, PATTERNS, tone, symbol, word, pattern, vibrate, play }
