const { loadPage, text, tap, resetStorage, agreedPrivacy, storage, spyWx } = require('../helpers/mp')

beforeEach(() => resetStorage())

test('the guide covers purposes, storage, children and rights', () => {
  const page = loadPage('pages/privacy/index')
  const all = page.dom.textContent
  expect(all).toContain('我们处理哪些信息、为什么')
  expect(all).toContain('手机号：仅在您点击“绑定微信手机号”后获取')
  expect(all).toContain('儿童个人信息处理规则')
  expect(all).toContain('您的权利')
  expect(text(page, '.not-agreed')).toMatch(/尚未同意/)
})

test('agreeing here records it; WeChat’s own guide and my data are one tap away', async () => {
  const contract = spyWx('openPrivacyContract').mockImplementation(() => {})
  const nav = spyWx('navigateTo').mockImplementation(() => {})
  spyWx('showToast').mockImplementation(() => {})
  const page = loadPage('pages/privacy/index')
  page.querySelector('.agree').dispatchEvent('agreeprivacyauthorization')
  await new Promise((r) => setTimeout(r, 0))
  expect(storage().ch_privacy_agreed).toBeDefined()
  expect(text(page, '.agreed')).toMatch(/您已同意本指引/)
  expect(page.querySelector('.agree')).toBeUndefined()
  await tap(page, '.open-contract')
  expect(contract).toHaveBeenCalled()
  await tap(page, '.my-data')
  expect(nav).toHaveBeenCalledWith({ url: '/pages/mydata/index' })
})

test('opened at the children section', () => {
  agreedPrivacy()
  const scroll = spyWx('pageScrollTo').mockImplementation(() => {})
  loadPage('pages/privacy/index', { query: { section: 'children' } })
  expect(scroll).toHaveBeenCalledWith({ selector: '#children', duration: 0 })
})

// What WeChat review asks for: every kind of data the app collects is in the guide, and every
// privacy interface the code calls (location, phone, clipboard, album) is explained.
test('the guide lists every kind of data collected and every privacy interface used', () => {
  const page = loadPage('pages/privacy/index')
  const all = page.dom.textContent
  ;['评价和评论', '点单需求', '志愿者申请', '签到和服务时长', '位置', '手机号', '家庭成员', '剪贴板', '相册', '转让', '场次通知'].forEach((kind) => {
    expect([kind, all.includes(kind)]).toEqual([kind, true])
  })
  const fs = require('fs')
  const path = require('path')
  const src = path.join(__dirname, '..', '..', 'src')
  const code = []
  ;(function walk(d) {
    fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (/\.(js|wxml)$/.test(e.name)) code.push(fs.readFileSync(p, 'utf8'))
    })
  })(src)
  const used = code.join('\n')
  const needs = [
    [/wx\.(setClipboardData|getClipboardData)/, '剪贴板'],
    [/wx\.(getLocation|chooseLocation)/, '位置'],
    [/getPhoneNumber/, '手机号'],
    [/wx\.saveImageToPhotosAlbum/, '相册'],
    [/wx\.addPhoneCalendar/, '日历']
  ]
  needs.forEach(([re, kind]) => {
    if (re.test(used)) expect([kind, all.includes(kind)]).toEqual([kind, true])
  })
})

test('in English: the guide, the children rules and the buttons are in English', async () => {
  require('../../src/utils/i18n').setLang('en')
  const page = require('../helpers/mp').loadPage('pages/privacy/index')
  expect(page.data.lang).toBe('en')
  expect(require('../helpers/mp').text(page, '.kind-album')).toMatch(/^15\. Photo album/)
  expect(require('../helpers/mp').text(page, '.my-data')).toBe('See my data')
  expect(require('../helpers/mp').text(page, '.agree')).toBe('I agree')
})
