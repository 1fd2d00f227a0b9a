// Server-shaped data (copied from real answers of culturehub serve), for unit tests.
const FUTURE = '2099-12-05T11:30:00Z'
const FUTURE_END = '2099-12-05T13:00:00Z'

function unit(id, level, name, short, parent, extra) {
  return Object.assign({
    id, code: 'ft-' + id, name, short_name: short, level, parent_id: parent,
    address: '深圳市福田区' + short + '地址', lng: 114.05 + id / 1000, lat: 22.55,
    opening_hours: '周二至周日 09:00-21:00', phone: '0755-8390' + String(id).padStart(4, '0'),
    host_type: 'government', contracted: false, is_demo: true
  }, extra || {})
}

const MAIN = unit(1, 'main', '福田区文化馆总馆', '总馆', null)
const MEILIN = unit(10, 'branch', '福田区文化馆梅林分馆', '梅林分馆', 1)
const KIDS = unit(4, 'direct_branch', '福田区文化馆少儿艺术分馆', '少儿艺术分馆', 1)
const POINT = unit(76, 'point', '福田区文化馆翰岭服务点', '翰岭服务点', 10)

const TREE = [
  {
    unit: MAIN,
    children: [
      { unit: KIDS, children: [] },
      { unit: MEILIN, children: [{ unit: POINT, children: [] }] }
    ]
  }
]

function browseItem(extra) {
  return Object.assign({
    activity_id: 1, session_id: 11, title: '梅林社区合唱入门', kind: 'training', kind_label: '公益艺术培训',
    poster_url: '', booking_mode: 'fcfs', is_course: false, organizer_name: '梅林分馆', unit_id: 10,
    unit_name: '梅林分馆', address: '深圳市福田区梅林街道梅林路梅林街道文体中心', lng: 114.05276, lat: 22.56892,
    starts_at: FUTURE, ends_at: FUTURE_END, capacity: 30, seats_left: 12, waitlist_length: 0,
    distance_m: null, my_booking_id: null, my_status: null
  }, extra || {})
}

function session(extra) {
  return Object.assign({
    id: 11, lesson_no: 1, unit_id: 10, unit_name: '梅林分馆', address: '深圳市福田区梅林街道梅林路梅林街道文体中心',
    lng: 114.05276, lat: 22.56892, room: '多功能厅', starts_at: FUTURE, ends_at: FUTURE_END, capacity: 30,
    seats_left: 12, waitlist_length: 0, booking_opens_at: null, booking_closes_at: FUTURE, status: 'scheduled'
  }, extra || {})
}

function activity(extra, sessions) {
  return Object.assign({
    id: 1, title: '梅林社区合唱入门', kind: 'training', kind_label: '公益艺术培训', organizer_unit_id: 10,
    organizer_name: '梅林分馆', joint_unit_names: [], description: '零基础合唱，欢迎中老年朋友。', poster_url: '',
    age_min: null, age_max: null, booking_mode: 'fcfs', is_course: false, status: 'published', cancel_reason: null,
    delivered_by_main_center: false, lottery_draw_at: null, lottery_seed_hash: null, lottery_seed: null,
    lottery_drawn_at: null, audience: 'public', training_kind: null, training_kind_label: null, by_district: false,
    questions: [], questions_locked: false, sessions: sessions || [session()]
  }, extra || {})
}

function booking(extra) {
  return Object.assign({
    id: 5, activity_id: 1, activity_title: '梅林社区合唱入门', session_id: 11, status: 'confirmed',
    waitlist_position: null, family_member_id: null, attendee_name: '本人', starts_at: FUTURE, ends_at: FUTURE_END,
    unit_name: '梅林分馆', room: '多功能厅', is_course: false, cancel_until: '2099-12-05T09:30:00Z',
    checked_in_at: null, created_at: '2026-11-28T08:34:42Z'
  }, extra || {})
}

function member(extra) {
  return Object.assign({ id: 3, name: '小明', relation: 'child', birth_date: '2018-03-01', age: 8, guardian_consent_at: '2026-11-28T08:34:42Z' }, extra || {})
}

function me(extra) {
  return Object.assign({ id: 1, display_name: '', phone: null, phone_masked: null, roles: [] }, extra || {})
}

module.exports = { FUTURE, FUTURE_END, MAIN, MEILIN, KIDS, POINT, TREE, browseItem, session, activity, booking, member, me }
