// components/privacy-dialog + utils/privacy: our own dialog before personal data, and the
// wx.onNeedPrivacyAuthorization flow.
const path = require('path')
const { SRC, loadComponent, text, simulate, waitFor, resetStorage, storage, spyWx } = require('../helpers/mp')
const privacy = require(path.join(SRC, 'utils/privacy'))
const config = require(path.join(SRC, 'config'))

beforeEach(() => resetStorage())

test('hidden until asked; ensureAgreed opens it and agreeing resolves and remembers', async () => {
  const c = loadComponent('components/privacy-dialog/index')
  expect(c.querySelector('.dialog')).toBeUndefined()
  const agreed = privacy.ensureAgreed()
  await waitFor(() => c.querySelector('.dialog'))
  expect(text(c, '.dialog-title')).toBe('隐私保护提示')
  expect(c.querySelector('#agree-btn')).toBeDefined()
  c.querySelector('.dialog-agree').dispatchEvent('agreeprivacyauthorization')
  await expect(agreed).resolves.toBe(true)
  expect(storage().ch_privacy_agreed).toBe(config.privacyVersion)
  await simulate.sleep(0)
  expect(c.querySelector('.dialog')).toBeUndefined()
  // asked once per version
  await expect(privacy.ensureAgreed()).resolves.toBe(true)
})

test('disagreeing rejects, and browsing goes on', async () => {
  const c = loadComponent('components/privacy-dialog/index')
  const agreed = privacy.ensureAgreed()
  await waitFor(() => c.querySelector('.dialog'))
  c.querySelector('.dialog-disagree').dispatchEvent('tap')
  await expect(agreed).rejects.toMatchObject({ code: 'privacy_declined' })
  expect(storage().ch_privacy_agreed).toBeUndefined()
})

test("WeChat's onNeedPrivacyAuthorization gets {event:'agree', buttonId:'agree-btn'} after the tap", async () => {
  const listener = jest.fn()
  spyWx('onNeedPrivacyAuthorization').mockImplementation((fn) => listener.mockImplementation(fn))
  privacy.install()
  const c = loadComponent('components/privacy-dialog/index')
  const resolve = jest.fn()
  listener(resolve, { referrer: 'getLocation' })
  await waitFor(() => c.querySelector('.dialog'))
  c.querySelector('.dialog-agree').dispatchEvent('agreeprivacyauthorization')
  await waitFor(() => resolve.mock.calls.length === 1)
  expect(resolve).toHaveBeenCalledWith({ event: 'agree', buttonId: 'agree-btn' })

  const resolve2 = jest.fn()
  listener(resolve2, { referrer: 'getPhoneNumber' })
  await waitFor(() => c.querySelector('.dialog'))
  c.querySelector('.dialog-disagree').dispatchEvent('tap')
  await waitFor(() => resolve2.mock.calls.length === 1)
  expect(resolve2).toHaveBeenCalledWith({ event: 'disagree' })
})

test('links to our guide and to the one registered with WeChat', async () => {
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  const contract = spyWx('openPrivacyContract').mockImplementation(() => {})
  const c = loadComponent('components/privacy-dialog/index')
  c.instance.open()
  await simulate.sleep(0)
  c.querySelector('.dialog-guide').dispatchEvent('tap')
  c.querySelector('.dialog-contract').dispatchEvent('tap')
  await simulate.sleep(0)
  expect(nav).toHaveBeenCalledWith({ url: '/pages/privacy/index' })
  expect(contract).toHaveBeenCalled()
  privacy.disagree()
})

test('an old base library without the open-type still agrees with a plain tap', async () => {
  spyWx('canIUse').mockReturnValue(false)
  const c = loadComponent('components/privacy-dialog/index')
  expect(c.data.openType).toBe(false)
  const agreed = privacy.ensureAgreed()
  await waitFor(() => c.querySelector('.dialog'))
  c.querySelector('.dialog-agree').dispatchEvent('tap')
  await expect(agreed).resolves.toBe(true)
})

test('in English: the dialog and its buttons are in English', async () => {
  require(path.join(SRC, 'utils/i18n')).setLang('en')
  const c = loadComponent('components/privacy-dialog/index')
  const agreed = privacy.ensureAgreed()
  await waitFor(() => c.querySelector('.dialog'))
  expect(text(c, '.dialog-title')).toBe('Privacy notice')
  expect(text(c, '.dialog-agree')).toBe('Agree and continue')
  expect(text(c, '.dialog-disagree')).toBe('Do not agree')
  c.querySelector('.dialog-agree').dispatchEvent('agreeprivacyauthorization')
  await expect(agreed).resolves.toBe(true)
})
