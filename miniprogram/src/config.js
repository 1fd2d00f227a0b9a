// The one configuration file of the mini-program. Everything that differs between a
// developer's machine, the trial version and the released version lives here.

// Where the Culture Hub service runs, per WeChat environment (wx.getAccountInfoSync).
//  - develop: WeChat DevTools on your machine; a local `culturehub serve` (tick
//    “不校验合法域名” in DevTools, or set urlCheck=false in project.config.json).
//  - trial / release: the deployed service; its domain must be registered as a
//    “request 合法域名” in the mini-program admin console.
// The URLs, the AppID and the template ids come from deploy.js (npm run configure).
const deploy = require('./deploy.js')
const BASE_URLS = deploy.baseUrls

function envVersion() {
  try {
    const info = wx.getAccountInfoSync && wx.getAccountInfoSync()
    return (info && info.miniProgram && info.miniProgram.envVersion) || 'develop'
  } catch (e) {
    return 'develop'
  }
}

// Local development only: WeChat DevTools' real wx.login code (and getPhoneNumber code) mean
// nothing to the local fake WeChat, so in the `develop` environment the app asks the fake
// (`culturehub fake-wechat`, default 127.0.0.1:9080) for codes instead. Set to null to use the
// real wx.login in DevTools, e.g. against a deployed test server. Never active in trial or
// release versions.
const DEV_FAKE_WECHAT = {
  url: 'http://127.0.0.1:9080',
  openid: 'o-dev-resident',
  phone: '13800138000'
}

const config = {
  // Read at call time by utils/request.js, so tests (and DevTools) may overwrite it.
  baseUrl: BASE_URLS[envVersion()] || BASE_URLS.develop,
  baseUrls: BASE_URLS,
  timeout: 15000,
  devFakeWechat: envVersion() === 'develop' ? DEV_FAKE_WECHAT : null,

  // Bump when the privacy guide (pages/privacy) changes: everyone is asked again.
  privacyVersion: '2026-12-02.2',

  // Subscribe-message template ids from the admin console (订阅消息 → 我的模板), one per
  // kind the server knows. The server's own config (templates.*) must use the same ids.
  subscribeTemplates: deploy.subscribeTemplates,

  // Activity kinds (NewActivity.kind) with short labels for the filter chips. The server's
  // kind_label is used wherever an item carries one.
  kinds: [
    { value: 'performance', label: '演出' },
    { value: 'lecture', label: '讲座' },
    { value: 'exhibition', label: '展览' },
    { value: 'training', label: '培训' },
    { value: 'art_team', label: '文艺团队' },
    { value: 'other', label: '其他' }
  ],

  pageSize: 20,

  // Check-in at the door (pages/volunteer/scan): the volunteer may undo an admission for this
  // long (the server's own limit is 15 minutes; staff may correct later).
  undoMinutes: 15,
  // A scan waits this long for the server (then once more) before checking the ticket against
  // the offline list: a queue at the door should not wait for the general 15 s timeout.
  scanTimeout: 4000,
  // Staff's 今日场次 refreshes its live counts this often while it is on screen.
  liveRefreshMs: 30000
}

module.exports = config
