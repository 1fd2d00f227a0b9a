// The volunteer and staff entrances are placeholders until their endpoints exist
// (POST /api/v1/checkin/scan is announced, not built): only what exists is tested.
const path = require('path')
const { SRC, loadPage, text, texts, tap, signedIn, resetStorage, stubModal } = require('../helpers/mp')
const config = require(path.join(SRC, 'config'))

const VOLUNTEER = [{ grant_id: 2, role: 'volunteer', role_label: '志愿者', unit_id: 76, unit_name: '翰岭服务点' }]

beforeEach(() => resetStorage())

test('volunteer entrance: how to become one, scanning off until the endpoint ships', async () => {
  expect(config.features.checkin).toBe(false)
  const page = loadPage('pages/volunteer/index')
  expect(text(page, '.no-role')).toMatch(/使用邀请码/)
  expect(text(page, '.soon-notice')).toBe('扫码核验功能即将开放。')
})

test('a volunteer sees the scan button; tapping explains it is coming and scans nothing', async () => {
  signedIn({ roles: VOLUNTEER })
  const modal = stubModal([true])
  const scan = jest.spyOn(wx, 'scanCode')
  const page = loadPage('pages/volunteer/index')
  expect(text(page, '.has-role')).toMatch(/您已是志愿者/)
  await tap(page, '.scan-btn')
  expect(modal.mock.calls[0][0].title).toBe('即将开放')
  expect(scan).not.toHaveBeenCalled()
})

test('staff entrance lists my roles, or says how roles are given', () => {
  const none = loadPage('pages/staff/index')
  expect(text(none, '.no-role')).toMatch(/邀请码/)
  none.detach()
  signedIn({ roles: VOLUNTEER.concat([{ grant_id: 3, role: 'branch_staff', role_label: '分馆工作人员', unit_id: 10, unit_name: '梅林分馆' }]) })
  const page = loadPage('pages/staff/index')
  expect(texts(page, '.role')).toEqual(['志愿者 · 翰岭服务点', '分馆工作人员 · 梅林分馆'])
  expect(text(page, '.soon-notice')).toMatch(/即将开放/)
})
