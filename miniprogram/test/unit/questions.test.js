// utils/questions — registration questions on the booking step (issue 12).
const { resetStorage } = require('../helpers/mp')
const q = require('../../src/utils/questions')
const i18n = require('../../src/utils/i18n')

const QS = [
  { text: '您的古筝水平', kind: 'single', options: ['零基础', '初级', '中级'], required: true },
  { text: '会哪些乐器', kind: 'multiple', options: ['古筝', '二胡', '琵琶'], required: false },
  { text: '学习经历', kind: 'text', options: [], required: false }
]

beforeEach(() => resetStorage())

test('a single choice takes one option, tapping it again clears it', () => {
  let a = q.empty(QS)
  expect(a).toEqual([[], [], []])
  a = q.choose(QS, a, 0, '初级')
  a = q.choose(QS, a, 0, '中级')
  expect(a[0]).toEqual(['中级'])
  expect(q.choose(QS, a, 0, '中级')[0]).toEqual([])
})

test('a multiple choice adds and removes, in the options’ order', () => {
  let a = q.empty(QS)
  a = q.choose(QS, a, 1, '琵琶')
  a = q.choose(QS, a, 1, '古筝')
  expect(a[1]).toEqual(['古筝', '琵琶'])
  expect(q.choose(QS, a, 1, '古筝')[1]).toEqual(['琵琶'])
})

test('check names the first missing required answer or a too long text; payload trims', () => {
  let a = q.empty(QS)
  expect(q.check(QS, a)).toEqual({ position: 1, reason: 'missing', message: '请先回答报名问题：“您的古筝水平”' })
  a = q.choose(QS, a, 0, '初级')
  expect(q.check(QS, a)).toBeNull()
  a = q.write(a, 2, '长'.repeat(201))
  expect(q.check(QS, a)).toMatchObject({ position: 3, reason: 'too_long' })
  a = q.write(a, 2, '  学过两年 ')
  expect(q.check(QS, a)).toBeNull()
  expect(q.payload(QS, a)).toEqual([['初级'], [], ['学过两年']])
  // blank text is no answer
  expect(q.payload(QS, q.write(a, 2, '   '))[2]).toEqual([])
})

test('view marks chosen options with a symbol, not colour alone, and says required / optional', () => {
  const a = q.choose(QS, q.choose(QS, q.empty(QS), 0, '初级'), 1, '二胡')
  const v = q.view(QS, a, 3)
  expect(v[0].options.map((o) => o.mark)).toEqual(['○', '●', '○'])
  expect(v[1].options.map((o) => o.mark)).toEqual(['☐', '☑', '☐'])
  expect(v.map((x) => x.badge)).toEqual(['必答', '选答', '选答'])
  expect(v.map((x) => x.hint)).toEqual(['选一项', '可选多项', ''])
  expect(v.map((x) => x.error)).toEqual([false, false, true])
  i18n.setLang('en')
  expect(q.view(QS, a)[0].badge).toBe('Required')
  expect(q.check(QS, q.empty(QS)).message).toBe('Please answer the registration question “您的古筝水平” first.')
})

test('answers are carried over a reload for the questions that stayed the same', () => {
  const a = q.write(q.choose(QS, q.empty(QS), 0, '初级'), 2, '学过')
  const changed = [QS[0], Object.assign({}, QS[1], { options: ['古筝'] }), QS[2], { text: '年龄段', kind: 'text', options: [], required: true }]
  expect(q.carry(QS, a, changed)).toEqual([['初级'], [], ['学过'], []])
  expect(q.carry([], [], QS)).toEqual([[], [], []])
})
