// utils/sha256.js — the offline check-in list carries SHA-256 (hex) of each ticket token.
const path = require('path')
const crypto = require('crypto')
const { SRC } = require('../helpers/mp')
const { sha256Hex, utf8 } = require(path.join(SRC, 'utils/sha256'))

test('NIST FIPS 180-4 example vectors', () => {
  expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))
    .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1')
  expect(sha256Hex('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'))
    .toBe('cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1')
  expect(sha256Hex('a'.repeat(1000000))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0')
})

test('agrees with Node crypto around the padding boundaries and on bytes', () => {
  for (let n = 50; n <= 130; n++) {
    const s = 'x'.repeat(n)
    expect(sha256Hex(s)).toBe(crypto.createHash('sha256').update(s).digest('hex'))
  }
  const bytes = Array.from({ length: 300 }, (_, i) => (i * 37) & 255)
  expect(sha256Hex(new Uint8Array(bytes))).toBe(crypto.createHash('sha256').update(Buffer.from(bytes)).digest('hex'))
})

test('strings are hashed as UTF-8 (Chinese, emoji) like the server does', () => {
  for (const s of ['书法公开课', '王*明（家庭成员）', '🎭 演出', 'ticket:Ab-_09']) {
    expect(sha256Hex(s)).toBe(crypto.createHash('sha256').update(s, 'utf8').digest('hex'))
  }
  expect(utf8('é中😀')).toEqual(Array.from(Buffer.from('é中😀', 'utf8')))
})

test('a real ticket token (43 characters of base64url) hashes like the server’s token_hash', () => {
  const token = crypto.randomBytes(32).toString('base64url')
  expect(token).toHaveLength(43)
  expect(sha256Hex(token)).toBe(crypto.createHash('sha256').update(token).digest('hex'))
})
