// The UI's languages (D112): 简体中文 (default) and English, for Futian's international residents.
// The language follows WeChat's own (wx.getAppBaseInfo().language) until the person picks one on
// 我的 (kept in storage). Pages built with display.page() get `t` (this catalogue in the current
// language) in their data and write {{t.key}} in WXML; the service is told the language in the
// X-Culturehub-Lang header of every request, so its error messages match (docs/api.md).
const storage = require('./storage')

const KEY = 'ch_lang' // a display choice, not personal data
const LANGS = ['zh-CN', 'en']

// Pages still only in Chinese. A test fails when a page outside this list has Chinese in its
// WXML, so a new page is either translated or listed here on purpose. Staff and volunteer pages
// stay Chinese (the staff work in Chinese); the resident pages left here are the work to do.
const NOT_YET = [
  // staff and volunteers
  'pages/volunteer/index',
  'pages/volunteer/scan',
  'pages/staff/index',
  'pages/staff/feedback',
  'pages/staff/demands',
  'pages/staff/today',
  'pages/staff/publish',
  'pages/staff/menu',
  'pages/staff/stats',
  'pages/staff/partners',
  'pages/console/confirm',
  // residents: to translate
  'pages/activity/detail',
  'pages/booking/detail',
  'pages/rating/index',
  'pages/demand/index',
  'pages/family/index',
  'pages/privacy/index',
  'pages/mydata/index',
  'pages/menu/index'
]

// WeChat limits that apply to these strings: modal buttons ≤ 4 characters, toasts with an icon
// ≤ 7 (see test/helpers/wx-rules.js), tab texts short.
const CATALOG = {
  'zh-CN': {
    tab_home: '首页',
    tab_activities: '活动',
    tab_bookings: '我的预约',
    tab_me: '我的',
    nav_me: '我的',
    rq_unavailable: '服务暂时不可用，请稍后再试',
    rq_unavailable_status: '服务暂时不可用（{status}），请稍后再试',
    rq_network: '网络连接不畅，请检查网络后重试',
    rq_login_failed: '微信登录失败，请稍后再试',
    rq_login_network: '微信登录失败，请检查网络后重试',
    rq_notice: '提示',
    rq_signed_out: '登录已失效，请到“我的”重新登录',
    rq_session_expired: '登录已失效，请重新登录',
    rq_client_error: '出错了，请稍后再试',
    sv_loading_aria: '正在加载',
    sv_loading: '正在加载…',
    sv_empty: '这里还没有内容',
    sv_error: '加载失败，请检查网络',
    sv_reload: '重新加载',
    card_course: '系列课程',
    card_distance: '距您 ',
    card_attendee: '预约人：',
    card_first_lesson: '首次课 ',
    card_more: '查看详情 ›',
    nav_activities: '活动',
    act_search_ph: '搜索活动名称',
    act_search: '搜索',
    act_branch: '分馆',
    act_point: '服务点',
    act_tree_error: '场馆列表加载失败：',
    act_kind: '活动类型',
    act_date: '日期',
    act_loading_more: '正在加载更多…',
    act_no_more: '没有更多了',
    act_all_branches: '全部分馆',
    act_all_points: '全部服务点',
    act_date_all: '全部日期',
    act_date_today: '今天',
    act_date_weekend: '本周末',
    act_date_week: '7天内',
    act_date_month: '30天内',
    act_kind_all: '全部',
    act_empty: '没有找到符合条件的活动，换个分馆、类型或日期看看',
    act_set_mine: '已设为我的分馆',
    kind_performance: '演出',
    kind_lecture: '讲座',
    kind_exhibition: '展览',
    kind_training: '培训',
    kind_art_team: '文艺团队',
    kind_other: '其他',
    nav_home: '福田文化馆',
    home_title: '福田区文化馆',
    home_sub: '总馆 · 分馆 · 服务点，公益活动一站预约',
    home_mine: '我的分馆',
    home_near: '离我最近',
    home_all: '全区活动',
    home_my_unit: '我的分馆：',
    home_change: '更换',
    home_which: '常去哪个分馆或服务点？',
    home_choose: '选择我的分馆',
    home_see_all: '看看全区活动',
    home_more: '查看更多活动',
    home_no_location: '没有获得您的位置。可以在“活动”里按分馆查找，或在设置中允许使用位置。',
    home_empty_mine: '我的分馆近期没有活动，看看全区的活动吧',
    home_empty_near: '附近近期没有活动',
    home_empty_all: '近期还没有发布活动',
    home_choose_hint: '选择一个分馆后点“设为我的分馆”',
    nav_transfer: '接收转让',
    tr_enter: '请输入对方发给您的转让码',
    tr_placeholder: '10 位转让码',
    tr_look_up: '查看',
    tr_gives: ' 转给您一个名额',
    tr_time: '时间',
    tr_place: '地点',
    tr_expires_a: '请在 ',
    tr_expires_b: ' 前接收。接收后名额归您，电子票在「我的预约」里。',
    tr_accept: '接收名额',
    tr_accepted: '这个名额已被接收',
    tr_revoked: '转让已被撤回',
    tr_expired: '转让码已过期，请让对方重新生成',
    tr_incomplete: '请输入完整的转让码',
    tr_accepting: '正在接收…',
    nav_checkin: '现场签到',
    ci_green: '签到成功',
    ci_amber: '请注意',
    ci_red: '未能签到',
    ci_bad_code: '签到码无法识别，请重新扫描现场张贴的签到码',
    ci_retry: '重新签到',
    ci_home: '返回首页',
    ci_done: '完成',
    ci_bookings: '查看我的预约',
    nav_bookings: '我的预约',
    paren_open: '（',
    paren_close: '）',
    bk_sign_in: '登录',
    bk_sign_in_hint: '登录后可以查看您的预约和电子票',
    bk_offline_a: '网络不畅，显示的是 ',
    bk_offline_b: ' 保存的预约。电子票可以离线出示。',
    bk_retry: '重新刷新',
    bk_retry_aria: '重新刷新我的预约',
    bk_refreshing: '正在刷新',
    bk_upcoming: '待参加',
    bk_past: '已结束/已取消',
    bk_none_upcoming: '还没有待参加的预约',
    bk_browse: '去看看活动',
    bk_none_past: '没有记录',
    nav_messages: '我的消息',
    msg_new: '新',
    msg_empty: '暂无消息',
    me_revoked: '登录已失效（可能在其他设备上退出或注销了账号），请重新登录。',
    me_welcome: '您好，欢迎来到福田区文化馆',
    me_guest_hint: '登录后可以预约活动、为家人预约、查看电子票。浏览活动不需要登录。',
    me_sign_in: '微信登录',
    me_edit_name: '修改称呼',
    me_phone: '手机号',
    me_phone_none: '未绑定',
    me_phone_hint: '绑定后，活动临时变更时工作人员可以联系到您。可不绑定，不影响预约。',
    me_phone_bind: '绑定微信手机号',
    me_roles: '身份',
    me_suspended: '预约功能暂停至',
    me_no_shows: '近 {days} 天爽约 {count} 次（满 {limit} 次将暂停预约）',
    me_no_show_hint: '不能参加时请提前取消，把名额留给其他居民。',
    me_large: '大字模式',
    me_large_aria: '大字模式：字更大、颜色更深',
    me_large_hint: '字更大、颜色更深。也会跟随微信“设置 → 通用 → 字体大小”。',
    lang_name_zh: '简体中文',
    me_language: '语言 Language',
    me_language_hint: '界面和服务器提示的语言。默认跟随微信的语言。',
    me_messages: '我的消息（场次通知）',
    me_family: '家庭成员',
    me_mydata: '我的数据（查看、导出、注销）',
    me_privacy: '隐私保护指引',
    me_volunteer: '志愿服务',
    me_volunteer_mine: '我的志愿服务（扫码签到）',
    me_staff: '工作人员（反馈、需求、今日场次）',
    me_redeem: '使用邀请码',
    me_rate: '评价参加过的活动',
    me_demand: '我想看的活动（点单）',
    me_menu: '文化菜单（为家门口的节目投票）',
    me_sign_out: '退出登录',
    me_default_name: '文化馆居民',
    me_name_title: '修改称呼',
    me_name_placeholder: '例如：王阿姨（不超过 20 个字）',
    me_save: '保存',
    me_name_empty: '称呼不能为空',
    me_saving: '正在保存…',
    me_saved: '已保存',
    me_phone_skipped: '未绑定手机号，不影响预约',
    me_binding: '正在绑定…',
    me_bound: '已绑定',
    me_redeem_placeholder: '请输入分馆或服务点给您的邀请码',
    me_ok: '确定',
    me_checking: '正在核对…',
    me_joined: '已加入',
    me_your_roles: '您的身份：',
    me_got_it: '知道了',
    me_unsynced: '还有 {n} 条离线签到没有同步，退出后会丢失，请先联网同步。',
    me_sign_out_content: '退出后，本机保存的预约和电子票副本会一并清除。',
    me_sign_out_confirm: '退出',
    me_signed_out: '已退出',
    me_rate_title: '评价活动',
    me_rate_content: '参加活动并签到后，在“我的预约”里打开那次活动，就可以评价。',
    me_rate_go: '去查看'
  },
  en: {
    tab_home: 'Home',
    tab_activities: 'Events',
    tab_bookings: 'Bookings',
    tab_me: 'Me',
    nav_me: 'Me',
    rq_unavailable: 'The service is unavailable. Please try again later.',
    rq_unavailable_status: 'The service is unavailable ({status}). Please try again later.',
    rq_network: 'Weak or no network. Please check it and try again.',
    rq_login_failed: 'WeChat sign-in failed. Please try again later.',
    rq_login_network: 'WeChat sign-in failed. Please check the network and try again.',
    rq_notice: 'Notice',
    rq_signed_out: 'Signed out. Sign in again under Me.',
    rq_session_expired: 'Your sign-in has expired. Please sign in again.',
    rq_client_error: 'Something went wrong. Please try again later.',
    sv_loading_aria: 'Loading',
    sv_loading: 'Loading…',
    sv_empty: 'Nothing here yet',
    sv_error: 'Could not load. Please check the network.',
    sv_reload: 'Reload',
    card_course: 'Course',
    card_distance: 'about ',
    card_attendee: 'For: ',
    card_first_lesson: 'First lesson ',
    card_more: 'Details ›',
    nav_activities: 'Events',
    act_search_ph: 'Search events',
    act_search: 'Search',
    act_branch: 'Branch',
    act_point: 'Point',
    act_tree_error: 'Venues could not be loaded: ',
    act_kind: 'Kind',
    act_date: 'Date',
    act_loading_more: 'Loading more…',
    act_no_more: 'No more events',
    act_all_branches: 'All branches',
    act_all_points: 'All service points',
    act_date_all: 'Any date',
    act_date_today: 'Today',
    act_date_weekend: 'Weekend',
    act_date_week: '7 days',
    act_date_month: '30 days',
    act_kind_all: 'All',
    act_empty: 'No events match. Try another branch, kind or date.',
    act_set_mine: 'Saved',
    kind_performance: 'Shows',
    kind_lecture: 'Talks',
    kind_exhibition: 'Exhibitions',
    kind_training: 'Classes',
    kind_art_team: 'Art groups',
    kind_other: 'Other',
    nav_home: 'Futian Culture',
    home_title: 'Futian Culture Center',
    home_sub: 'Main center · branches · service points: free events, booked in one place',
    home_mine: 'My branch',
    home_near: 'Nearest',
    home_all: 'All events',
    home_my_unit: 'My branch: ',
    home_change: 'Change',
    home_which: 'Which branch or service point do you visit most?',
    home_choose: 'Choose my branch',
    home_see_all: 'See all events',
    home_more: 'More events',
    home_no_location: 'No location. Find events by branch under Events, or allow location in Settings.',
    home_empty_mine: 'No events at my branch soon. See all events in the district.',
    home_empty_near: 'No events nearby soon',
    home_empty_all: 'No events published yet',
    home_choose_hint: 'Pick a branch, then tap “Set as my branch”',
    nav_transfer: 'Accept a seat',
    tr_enter: 'Enter the transfer code you were sent',
    tr_placeholder: '10-character code',
    tr_look_up: 'Look up',
    tr_gives: ' is passing a seat to you',
    tr_time: 'Time',
    tr_place: 'Place',
    tr_expires_a: 'Accept before ',
    tr_expires_b: '. The seat is then yours; the e-ticket is in My bookings.',
    tr_accept: 'Accept the seat',
    tr_accepted: 'This seat has already been accepted',
    tr_revoked: 'The transfer was taken back',
    tr_expired: 'The code has expired; ask for a new one',
    tr_incomplete: 'Please enter the whole code',
    tr_accepting: 'Accepting…',
    nav_checkin: 'Check in',
    ci_green: 'Checked in',
    ci_amber: 'Please note',
    ci_red: 'Not checked in',
    ci_bad_code: 'This check-in code cannot be read. Please scan the code posted at the venue again.',
    ci_retry: 'Try again',
    ci_home: 'Home',
    ci_done: 'Done',
    ci_bookings: 'My bookings',
    nav_bookings: 'My bookings',
    paren_open: ' (',
    paren_close: ')',
    bk_sign_in: 'Sign in',
    bk_sign_in_hint: 'Sign in to see your bookings and e-tickets',
    bk_offline_a: 'Weak signal: showing the bookings saved at ',
    bk_offline_b: '. E-tickets can be shown offline.',
    bk_retry: 'Refresh',
    bk_retry_aria: 'Refresh my bookings',
    bk_refreshing: 'Loading',
    bk_upcoming: 'Upcoming',
    bk_past: 'Past / cancelled',
    bk_none_upcoming: 'No upcoming bookings yet',
    bk_browse: 'Browse events',
    bk_none_past: 'Nothing here',
    nav_messages: 'My messages',
    msg_new: 'New',
    msg_empty: 'No messages yet',
    me_revoked: 'You have been signed out (perhaps on another device, or the account was deleted). Please sign in again.',
    me_welcome: 'Welcome to Futian Culture Center',
    me_guest_hint: 'Sign in to book events, book for your family and see your e-tickets. Browsing needs no sign-in.',
    me_sign_in: 'Sign in with WeChat',
    me_edit_name: 'Edit name',
    me_phone: 'Phone',
    me_phone_none: 'Not linked',
    me_phone_hint: 'If linked, staff can reach you when an event changes. Optional: booking works without it.',
    me_phone_bind: 'Link my WeChat phone number',
    me_roles: 'Roles',
    me_suspended: 'Booking is suspended until',
    me_no_shows: '{count} missed sessions in {days} days (booking is suspended at {limit})',
    me_no_show_hint: 'If you cannot come, please cancel early so someone else can take the seat.',
    me_large: 'Large text',
    me_large_aria: 'Large text: bigger and darker text',
    me_large_hint: 'Bigger, darker text. Also follows WeChat Settings → General → Text size.',
    lang_name_zh: '简体中文', // a language is named in itself
    me_language: 'Language 语言',
    me_language_hint: 'Language of the app and of the service\'s messages. By default WeChat\'s language.',
    me_messages: 'My messages (session notices)',
    me_family: 'Family members',
    me_mydata: 'My data (view, export, delete)',
    me_privacy: 'Privacy guide',
    me_volunteer: 'Volunteering',
    me_volunteer_mine: 'My volunteering (scan tickets)',
    me_staff: 'Staff (feedback, requests, today)',
    me_redeem: 'Use an invitation code',
    me_rate: 'Rate events I attended',
    me_demand: 'Events I would like (requests)',
    me_menu: 'Culture menu (vote for shows nearby)',
    me_sign_out: 'Sign out',
    me_default_name: 'Resident',
    me_name_title: 'Edit name',
    me_name_placeholder: 'e.g. Ms Wang (up to 20 characters)',
    me_save: 'Save',
    me_name_empty: 'Name cannot be empty',
    me_saving: 'Saving…',
    me_saved: 'Saved',
    me_phone_skipped: 'No phone linked; booking still works',
    me_binding: 'Linking…',
    me_bound: 'Linked',
    me_redeem_placeholder: 'Enter the code from your branch or service point',
    me_ok: 'OK',
    me_checking: 'Checking…',
    me_joined: 'Joined',
    me_your_roles: 'Your roles: ',
    me_got_it: 'OK',
    me_unsynced: '{n} offline check-ins are not synced yet and will be lost. Please sync online first. ',
    me_sign_out_content: 'Bookings and e-ticket copies kept on this phone will be removed.',
    me_sign_out_confirm: 'Quit',
    me_signed_out: 'Bye',
    me_rate_title: 'Rate an event',
    me_rate_content: 'After you attended and checked in, open that event in Bookings to rate it.',
    me_rate_go: 'Open'
  }
}

// Tab bar order in app.json.
const TABS = ['tab_home', 'tab_activities', 'tab_bookings', 'tab_me']

function systemLanguage() {
  try {
    const info =
      (typeof wx.getAppBaseInfo === 'function' && wx.getAppBaseInfo()) ||
      (typeof wx.getSystemInfoSync === 'function' && wx.getSystemInfoSync()) ||
      {}
    return String(info.language || '')
  } catch (e) {
    return ''
  }
}

// 'zh-CN' or 'en': the stored choice, else WeChat's language (en, en_US, en-GB → en).
function lang() {
  const chosen = storage.get(KEY, '')
  if (LANGS.indexOf(chosen) >= 0) return chosen
  return /^en/i.test(systemLanguage()) ? 'en' : 'zh-CN'
}

function setLang(l) {
  if (LANGS.indexOf(l) < 0) throw new Error('unknown language ' + l)
  storage.set(KEY, l)
}

function strings(l) {
  return CATALOG[l || lang()]
}

// t('me_no_shows', {days: 90}) → the text with {name} filled in.
function t(key, vars) {
  const s = strings()[key]
  if (s === undefined) throw new Error('no text for ' + key)
  return s.replace(/\{(\w+)\}/g, function (_, k) {
    return vars && vars[k] !== undefined ? String(vars[k]) : ''
  })
}

// The value of the X-Culturehub-Lang request header.
function header() {
  return lang() === 'en' ? 'en' : 'zh'
}

// The tab texts follow the language (app.json holds the Chinese ones). Only a tab page may
// call setTabBarItem; others fail quietly.
function applyTabBar() {
  if (typeof wx.setTabBarItem !== 'function') return
  TABS.forEach(function (key, index) {
    wx.setTabBarItem({ index: index, text: t(key), fail: function () {} })
  })
}

// Components: Component({ behaviors: [i18n.behavior], … }) gives them `t` too (set when attached).
const behavior =
  typeof Behavior === 'function'
    ? Behavior({
      data: { t: CATALOG['zh-CN'] },
      lifetimes: {
        attached: function () {
          this.setData({ t: strings() })
        }
      }
    })
    : null

module.exports = { behavior, KEY, LANGS, NOT_YET, CATALOG, TABS, lang, setLang, strings, t, header, applyTabBar, systemLanguage }
