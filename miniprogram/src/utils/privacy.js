// Privacy agreement before any personal data.
//
// Two triggers, one dialog (components/privacy-dialog):
//  1. ensureAgreed(): called before we sign in (an account tied to the WeChat openid is
//     personal data) and before any form that collects personal data. Resolves at once when
//     the current version of our guide was agreed to before.
//  2. wx.onNeedPrivacyAuthorization: WeChat asks when a privacy interface (location, phone
//     number, clipboard…) is about to run without recorded consent. Our dialog's agree button
//     has open-type="agreePrivacyAuthorization", so one tap records both.
// A page without a dialog falls back to wx.showModal (the modal cannot carry the open-type
// button, so WeChat's own pop-up may then follow for privacy interfaces).
const config = require('../config')
const storage = require('./storage')

const dialogs = [] // registered dialog components, the last one is on screen
let pending = null // { promise, resolve, reject } while a decision is awaited
let wechatResolvers = [] // resolve functions handed to us by onNeedPrivacyAuthorization

function hasAgreed() {
  return storage.get(storage.KEYS.privacy, '') === config.privacyVersion
}

function declinedError() {
  const e = new Error('需要同意隐私保护指引后才能使用该功能')
  e.code = 'privacy_declined'
  e.status = 0
  return e
}

function topDialog() {
  return dialogs.length ? dialogs[dialogs.length - 1] : null
}

function showPrompt() {
  const dialog = topDialog()
  if (dialog) {
    dialog.open()
    return
  }
  wx.showModal({
    title: '隐私保护提示',
    content: '预约、家庭成员和手机号等功能需要处理您的个人信息。请阅读并同意《文化馆小程序隐私保护指引》后继续。',
    confirmText: '同意',
    cancelText: '不同意',
    success: function (res) {
      if (res.confirm) agree()
      else disagree()
    },
    fail: function () {
      disagree()
    }
  })
}

function waitForDecision() {
  if (!pending) {
    let resolve, reject
    const promise = new Promise(function (res, rej) {
      resolve = res
      reject = rej
    })
    pending = { promise: promise, resolve: resolve, reject: reject }
    showPrompt()
  }
  return pending.promise
}

function ensureAgreed() {
  if (hasAgreed()) return Promise.resolve(true)
  return waitForDecision()
}

// The person tapped “同意” (button id agree-btn).
function agree() {
  storage.set(storage.KEYS.privacy, config.privacyVersion)
  const resolvers = wechatResolvers
  wechatResolvers = []
  resolvers.forEach(function (r) {
    r({ event: 'agree', buttonId: 'agree-btn' })
  })
  const p = pending
  pending = null
  dialogs.forEach(function (d) {
    d.close()
  })
  if (p) p.resolve(true)
}

function disagree() {
  const resolvers = wechatResolvers
  wechatResolvers = []
  resolvers.forEach(function (r) {
    r({ event: 'disagree' })
  })
  const p = pending
  pending = null
  dialogs.forEach(function (d) {
    d.close()
  })
  if (p) p.reject(declinedError())
}

// wx.onNeedPrivacyAuthorization listener: WeChat waits for resolve({event}).
function onNeedPrivacyAuthorization(resolve) {
  wechatResolvers.push(resolve)
  waitForDecision().catch(function () {})
}

function install() {
  if (typeof wx.onNeedPrivacyAuthorization === 'function') {
    wx.onNeedPrivacyAuthorization(onNeedPrivacyAuthorization)
  }
}

function register(dialog) {
  unregister(dialog)
  dialogs.push(dialog)
  if (pending) dialog.open()
}

function unregister(dialog) {
  const i = dialogs.indexOf(dialog)
  if (i >= 0) dialogs.splice(i, 1)
}

// Withdrawing consent is deleting the account (pages/mydata); this only forgets the version
// so the guide is shown again, e.g. after the account was deleted.
function forget() {
  storage.remove(storage.KEYS.privacy)
}

module.exports = {
  hasAgreed,
  ensureAgreed,
  agree,
  disagree,
  install,
  register,
  unregister,
  onNeedPrivacyAuthorization,
  forget
}
