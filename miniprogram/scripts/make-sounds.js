// Draws the scan page's optional outcome sounds into src/sounds (run once, committed):
// ok.wav — two rising notes; warn.wav — two equal beeps; bad.wav — one low, longer buzz.
// 8 kHz, 8-bit mono PCM: a few KB each, played with wx.createInnerAudioContext.
const fs = require('fs')
const path = require('path')

const RATE = 8000

function tone(freq, ms, shape) {
  const n = Math.round((RATE * ms) / 1000)
  const out = []
  for (let i = 0; i < n; i++) {
    const t = i / RATE
    const fade = Math.min(1, i / 80, (n - i) / 80) // no clicks
    let v = Math.sin(2 * Math.PI * freq * t)
    if (shape === 'square') v = v >= 0 ? 0.6 : -0.6
    out.push(Math.round(128 + 100 * v * fade))
  }
  return out
}

function silence(ms) {
  return new Array(Math.round((RATE * ms) / 1000)).fill(128)
}

function wav(samples) {
  const data = Buffer.from(samples)
  const h = Buffer.alloc(44)
  h.write('RIFF', 0)
  h.writeUInt32LE(36 + data.length, 4)
  h.write('WAVE', 8)
  h.write('fmt ', 12)
  h.writeUInt32LE(16, 16)
  h.writeUInt16LE(1, 20) // PCM
  h.writeUInt16LE(1, 22) // mono
  h.writeUInt32LE(RATE, 24)
  h.writeUInt32LE(RATE, 28)
  h.writeUInt16LE(1, 32)
  h.writeUInt16LE(8, 34)
  h.write('data', 36)
  h.writeUInt32LE(data.length, 40)
  return Buffer.concat([h, data])
}

const dir = path.join(__dirname, '..', 'src', 'sounds')
fs.mkdirSync(dir, { recursive: true })
const sounds = {
  'ok.wav': tone(880, 120).concat(silence(40), tone(1320, 180)),
  'warn.wav': tone(660, 140).concat(silence(110), tone(660, 140)),
  'bad.wav': tone(220, 600, 'square')
}
Object.keys(sounds).forEach(function (name) {
  fs.writeFileSync(path.join(dir, name), wav(sounds[name]))
  console.log('wrote src/sounds/' + name)
})
