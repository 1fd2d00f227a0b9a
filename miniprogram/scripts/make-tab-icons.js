// Draws the four tab-bar icons (81×81 PNG, grey and red) without any image library.
// Run once: node scripts/make-tab-icons.js — the PNGs in src/images are committed.
const fs = require('fs')
const path = require('path')
const zlib = require('zlib')

const SIZE = 81
const OUT = path.join(__dirname, '..', 'src', 'images')

function crc32(buf) {
  let c
  const table = []
  for (let n = 0; n < 256; n++) {
    c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  let crc = 0xffffffff
  for (let i = 0; i < buf.length; i++) crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(td))
  return Buffer.concat([len, td, crc])
}

function png(pixels) {
  const raw = Buffer.alloc((SIZE * 4 + 1) * SIZE)
  for (let y = 0; y < SIZE; y++) {
    raw[y * (SIZE * 4 + 1)] = 0
    pixels.copy(raw, y * (SIZE * 4 + 1) + 1, y * SIZE * 4, (y + 1) * SIZE * 4)
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(SIZE, 0)
  ihdr.writeUInt32BE(SIZE, 4)
  ihdr[8] = 8
  ihdr[9] = 6
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0))
  ])
}

// shape(x, y) → true where the icon is drawn (coordinates 0..1)
const SHAPES = {
  home: function (x, y) {
    const roof = y >= 0.12 && y <= 0.5 && Math.abs(x - 0.5) <= (y - 0.12) * 1.15 + 0.02 &&
      Math.abs(x - 0.5) >= (y - 0.12) * 1.15 - 0.1
    const body = y >= 0.45 && y <= 0.88 && x >= 0.22 && x <= 0.78 &&
      !(x > 0.3 && x < 0.7 && y > 0.53 && y < 0.8 && !(x > 0.42 && x < 0.58 && y > 0.6))
    const door = x > 0.42 && x < 0.58 && y > 0.6 && y <= 0.88
    return roof || body || door
  },
  activities: function (x, y) {
    const frame = x >= 0.14 && x <= 0.86 && y >= 0.2 && y <= 0.86
    const inner = x > 0.21 && x < 0.79 && y > 0.36 && y < 0.79
    const rings = (Math.abs(x - 0.32) < 0.05 || Math.abs(x - 0.68) < 0.05) && y >= 0.1 && y <= 0.28
    const dots = inner && ((x > 0.28 && x < 0.4) || (x > 0.45 && x < 0.56) || (x > 0.61 && x < 0.72)) &&
      ((y > 0.43 && y < 0.54) || (y > 0.62 && y < 0.73))
    return (frame && !inner) || rings || dots
  },
  bookings: function (x, y) {
    const body = x >= 0.1 && x <= 0.9 && y >= 0.25 && y <= 0.75
    const notch = Math.hypot(x - 0.1, y - 0.5) < 0.1 || Math.hypot(x - 0.9, y - 0.5) < 0.1
    const inner = x > 0.17 && x < 0.83 && y > 0.32 && y < 0.68
    const line = Math.abs(x - 0.62) < 0.02 && y > 0.32 && y < 0.68 && Math.floor(y * 30) % 2 === 0
    const mark = x > 0.26 && x < 0.52 && ((y > 0.4 && y < 0.46) || (y > 0.54 && y < 0.6))
    return (body && !notch && !inner) || line || mark
  },
  me: function (x, y) {
    const head = Math.hypot(x - 0.5, y - 0.32) < 0.17
    const headHole = Math.hypot(x - 0.5, y - 0.32) < 0.11
    const r = Math.hypot((x - 0.5) / 1.0, (y - 0.95) / 0.95)
    const shoulders = y <= 0.88 && r < 0.42 && !(r < 0.35 && y < 0.82)
    return (head && !headHole) || shoulders
  }
}

function draw(shape, rgb) {
  const px = Buffer.alloc(SIZE * SIZE * 4)
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      // 3×3 supersampling for smooth edges
      let hits = 0
      for (let sy = 0; sy < 3; sy++) for (let sx = 0; sx < 3; sx++) {
        if (shape((x + (sx + 0.5) / 3) / SIZE, (y + (sy + 0.5) / 3) / SIZE)) hits++
      }
      const i = (y * SIZE + x) * 4
      px[i] = rgb[0]
      px[i + 1] = rgb[1]
      px[i + 2] = rgb[2]
      px[i + 3] = Math.round((hits / 9) * 255)
    }
  }
  return png(px)
}

fs.mkdirSync(OUT, { recursive: true })
Object.keys(SHAPES).forEach(function (name) {
  fs.writeFileSync(path.join(OUT, 'tab-' + name + '.png'), draw(SHAPES[name], [0x55, 0x55, 0x55]))
  fs.writeFileSync(path.join(OUT, 'tab-' + name + '-on.png'), draw(SHAPES[name], [0x9e, 0x1b, 0x1b]))
})
console.log('wrote', Object.keys(SHAPES).length * 2, 'icons to', OUT)
