// The screens issue 12 changed, rendered and checked — and, with MP_SCREENSHOTS=1, photographed
// for docs/miniprogram.md (test/helpers/screenshot.js): large text, the door's three answers,
// a staff look-up, dark mode. (The no-signal 我的预约 and ticket are taken in the end-to-end run,
// with the server's real QR code.)
const path = require('path')
const { SRC, loadPage, waitFor, text, tap, stubRequest, signedIn, agreedPrivacy, resetStorage, spyWx, simulate } = require('../helpers/mp')
const fx = require('../helpers/fixtures')
const { shoot } = require('../helpers/screenshot')
const display = require(path.join(SRC, 'utils/display'))

const QUERY = { session_id: '11', title: encodeURIComponent('书法公开课'), starts_at: encodeURIComponent('2099-12-05T11:30:00Z'), ends_at: encodeURIComponent('2099-12-05T13:00:00Z'), unit: encodeURIComponent('梅林分馆') }
const STATS = { data: { session_id: 11, capacity: 20, booked: 12, admitted: 3, walk_ins: 0, open_conflicts: 0 } }

function answer(extra) {
  return Object.assign({
    result: 'admitted', message: '核验通过', colour: 'green', checkin_id: 7, holder_masked: '王*明', is_family_member: false,
    is_child: false, party_size: 1, admitted_at: null, admitted_by: null, expected: null, admitted_count: 4, booked_count: 12
  }, extra || {})
}

beforeEach(() => {
  resetStorage()
  agreedPrivacy()
  spyWx('showToast').mockImplementation(() => {})
  spyWx('vibrateShort').mockImplementation(() => {})
  spyWx('vibrateLong').mockImplementation(() => {})
  spyWx('onNetworkStatusChange').mockImplementation(() => {})
  spyWx('offNetworkStatusChange').mockImplementation(() => {})
})

test('大字模式: an activity whose booking is not open yet says why in large, dark text', async () => {
  display.setLarge(true)
  stubRequest({
    'GET /api/v1/activities/1': { data: { activity: fx.activity({ title: '梅林社区合唱入门' }, [fx.session({ booking_opens_at: '2099-12-01T02:00:00Z' })]), my_bookings: [] } }
  })
  const page = loadPage('pages/activity/detail', { query: { id: '1' } })
  await waitFor(() => page.data.status === 'ok')
  expect(page.data.a11yStyle).toMatch(/^--ts: 1\.25/)
  expect(text(page, '.action-reason')).toBe('还不能预约：12月1日（周二）10:00 开始预约，请到时再来。')
  shoot(page, 'large-text-activity')
  page.detach()
})

test('大字模式 on 我的', async () => {
  display.setLarge(true)
  signedIn({ display_name: '王阿姨' })
  stubRequest({
    'GET /api/v1/me': { data: fx.me({ display_name: '王阿姨', phone_masked: '138****8000' }) },
    'GET /api/v1/me/no-shows': { data: { count: 0, limit: 3, window_days: 90, suspended_until: null, reason: null } }
  })
  const page = loadPage('pages/me/index')
  await waitFor(() => page.data.status === 'ok' && page.data.user)
  expect(page.data.largeText).toBe(true)
  shoot(page, 'large-text-me', { switchesOn: ['large-switch'] })
  page.detach()
})

test('the door\u2019s three answers: ✓ green, ! amber, ✗ red', async () => {
  signedIn({ roles: [{ grant_id: 2, role: 'volunteer', role_label: '志愿者', unit_id: 10, unit_name: '梅林分馆' }] })
  stubRequest({
    'GET /api/v1/sessions/11/checkin/stats': STATS,
    'POST /api/v1/checkin/scan': [
      { data: answer() },
      { data: answer({ result: 'already_admitted', colour: 'amber', admitted_at: '2099-12-05T11:02:00Z', admitted_by: '志愿者李*', checkin_id: null }) },
      { data: answer({ result: 'wrong_session', colour: 'red', checkin_id: null, message: '不是这一场', expected: { session_id: 12, title: '少儿书法班', unit_name: '莲花分馆', starts_at: '2099-12-06T02:00:00Z' } }) }
    ]
  })
  const tokens = ['A'.repeat(43), 'A'.repeat(43), 'B'.repeat(43)]
  spyWx('scanCode').mockImplementation((o) => setTimeout(() => o.success({ result: tokens.shift(), scanType: 'QR_CODE' }), 0))
  const page = loadPage('pages/volunteer/scan', { query: QUERY })
  const names = [['admitted', 'scan-admitted', '✓'], ['already_admitted', 'scan-already', '!'], ['wrong_session', 'scan-refused', '✗']]
  for (const [result, name, symbol] of names) {
    if (result === 'admitted') await tap(page, '.scan-btn')
    else page.querySelector('.result').querySelector('.result-next').dispatchEvent('tap')
    await waitFor(() => page.data.view && page.data.view.result === result)
    expect(text(page.querySelector('.result'), '.result-symbol')).toBe(symbol)
    shoot(page, name)
  }
  page.detach()
})

test('staff at the door: a resident without a phone, found by name and the last 4 digits', async () => {
  signedIn({ roles: [{ grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '梅林分馆' }] })
  stubRequest({
    'GET /api/v1/sessions/11/checkin/stats': STATS,
    'GET /api/v1/sessions/11/checkin/conflicts': { data: { items: [{ id: 4, booking_id: 31, checkin_id: 8, holder_masked: '李*', first_admitted_at: '2099-12-05T11:05:00Z', second_scanned_at: '2099-12-05T11:20:00Z', resolved_at: null, resolution: null }] } },
    'GET /api/v1/sessions/11/checkin/lookup': { data: { items: [{ booking_id: 31, holder_masked: '孙*奶', phone_masked: '138****8000', status: 'confirmed', checked_in: false }] } }
  })
  const page = loadPage('pages/volunteer/scan', { query: QUERY })
  page.querySelector('.lookup-name').dispatchEvent('input', { detail: { value: '孙奶奶' } })
  page.querySelector('.lookup-last4').dispatchEvent('input', { detail: { value: '8000' } })
  await tap(page, '.lookup-btn')
  await waitFor(() => page.data.hits && page.data.hits.length === 1 && page.data.conflicts.length === 1)
  expect(text(page, '.manual-btn')).toBe('人工核验')
  shoot(page, 'door-lookup', { height: 1900, inputs: [['lookup-name', '孙奶奶'], ['lookup-last4', '8000']] })
  page.detach()
})

test('dark mode: an activity', async () => {
  stubRequest({
    'GET /api/v1/activities/1': { data: { activity: fx.activity({ title: '梅林社区合唱入门' }), my_bookings: [] } }
  })
  const page = loadPage('pages/activity/detail', { query: { id: '1' } })
  await waitFor(() => page.data.status === 'ok')
  await simulate.sleep(0)
  shoot(page, 'dark-activity', { dark: true })
  page.detach()
})

test('举报 in 大字模式: every reason a full-width row, the chosen one marked', async () => {
  display.setLarge(true)
  signedIn()
  const page = loadPage('pages/report/index', { query: { kind: 'rating', id: '7', text: encodeURIComponent('组织者都是骗子，大家别来') } })
  page.querySelectorAll('.reason')[0].dispatchEvent('tap')
  await simulate.sleep(0)
  expect(text(page, '.reason-on .reason-label')).toBe('辱骂攻击')
  shoot(page, 'report-large-text')
  page.detach()
})
