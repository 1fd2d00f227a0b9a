// utils/scan-view.js — the one-glance words for every door outcome, online and offline.
const path = require('path')
const { SRC } = require('../helpers/mp')
const sv = require(path.join(SRC, 'utils/scan-view'))

const NOW = Date.parse('2026-11-28T02:00:00Z')

function answer(extra) {
  return Object.assign({
    result: 'admitted', message: '核验通过：王*（本人）', colour: 'green', checkin_id: 7, holder_masked: '王*',
    is_family_member: false, is_child: false, party_size: 1, admitted_at: null, admitted_by: null, expected: null,
    admitted_count: 3, booked_count: 20
  }, extra || {})
}

test('admitted: green, the holder, undo allowed for 15 minutes', () => {
  const v = sv.fromAnswer(answer(), NOW, 15)
  expect(v).toMatchObject({ tone: 'green', title: '核验通过', detail: '王*（本人）', canUndo: true, checkinId: 7, offline: false })
  expect(v.undoUntil).toBe(NOW + 15 * 60000)
  const child = sv.fromAnswer(answer({ holder_masked: '小*', is_family_member: true, is_child: true }), NOW, 15)
  expect(child.detail).toBe('小*（儿童）')
  expect(child.tags).toEqual(['家庭成员', '儿童，请确认有监护人陪同'])
})

test('already admitted: when and by whom, in China time', () => {
  const v = sv.fromAnswer(answer({ result: 'already_admitted', colour: 'amber', admitted_at: '2026-11-28T02:02:00Z', admitted_by: '志愿者王*', message: '已入场：…' }), NOW, 15)
  expect(v).toMatchObject({ tone: 'amber', title: '已入场', detail: '已入场 10:02 由志愿者王*', canUndo: false })
  expect(v.lines).toEqual(['持票人：王*', '同一张票不能重复入场'])
})

test('wrong session says where to go; cancelled, not confirmed, outside window, not recognised', () => {
  const wrong = sv.fromAnswer(answer({
    result: 'wrong_session', colour: 'red', checkin_id: null, message: '不是这一场：请到 莲花分馆（…）',
    expected: { session_id: 12, title: '合唱入门', starts_at: '2026-11-29T11:30:00Z', unit_name: '莲花分馆' }
  }), NOW, 15)
  expect(wrong).toMatchObject({ tone: 'red', title: '不是这一场', detail: '请到 莲花分馆（11月29日（周日）19:30）' })
  expect(wrong.lines).toEqual(['这张票是：合唱入门'])
  expect(sv.fromAnswer(answer({ result: 'cancelled', colour: 'red', checkin_id: null, message: '这张票对应的预约已取消，不能入场' }), NOW))
    .toMatchObject({ tone: 'red', title: '已取消', detail: '这张票对应的预约已取消，不能入场', canUndo: false })
  expect(sv.fromAnswer(answer({ result: 'not_confirmed', colour: 'red', checkin_id: null, message: '候补或摇号中，尚未获得名额' }), NOW).title).toBe('未获得名额')
  expect(sv.fromAnswer(answer({ result: 'outside_window', colour: 'amber', checkin_id: null, message: '还没到签到时间' }), NOW))
    .toMatchObject({ tone: 'amber', title: '不在签到时间', detail: '还没到签到时间' })
  const unknown = sv.fromAnswer(answer({ result: 'not_recognised', colour: 'red', checkin_id: null, holder_masked: null, message: '无法识别这张票' }), NOW)
  expect(unknown).toMatchObject({ title: '无法识别', lines: [] })
  expect(sv.fromAnswer(answer({ result: 'something_new', colour: 'purple', message: '请人工处理' }), NOW)).toMatchObject({ tone: 'red', title: '请人工处理' })
})

test('offline verdicts are marked 离线核验', () => {
  expect(sv.fromOffline({ result: 'offline_admitted', entry: { holder_masked: '李*', is_family_member: true } }))
    .toMatchObject({ offline: true, tone: 'green', title: '离线核验通过', detail: '李*（家庭成员）', tags: ['家庭成员'], canUndo: false })
  expect(sv.fromOffline({ result: 'offline_duplicate', seen: { at: '2026-11-28T02:05:00Z', holder: '李*' } }))
    .toMatchObject({ offline: true, tone: 'amber', title: '已入场', detail: '本机已核验 10:05（李*）' })
  expect(sv.fromOffline({ result: 'offline_unknown' })).toMatchObject({ offline: true, tone: 'red', title: '名单中没有' })
  expect(sv.fromOffline({ result: 'no_list' })).toMatchObject({ tone: 'amber', title: '网络不畅', canRetry: true })
})

test('errors: the server’s message; retry only when it may help', () => {
  expect(sv.fromError({ status: 403, code: 'not_assigned', message: '您没有被安排在这一场签到' }))
    .toMatchObject({ tone: 'red', title: '无法核验', detail: '您没有被安排在这一场签到', canRetry: false })
  expect(sv.fromError({ status: 503, code: 'unavailable', message: '服务暂时不可用' }).canRetry).toBe(true)
})
