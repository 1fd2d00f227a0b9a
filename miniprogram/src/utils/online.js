// Online programmes and the resource library: which state an online activity is in now, what a
// tap does, and how a resource is opened. Pure functions (test/unit/online.test.js); the pages
// only call wx.* with what these decide.

// The state at `now` (ms) of an item with its session's times and whether a replay is set. The
// server says the same at load time (online::live_state); recomputing here lets an open page
// move from upcoming to live without reloading. Live from start to end (end exclusive).
function stateAt(item, now) {
  const s = Date.parse(item.starts_at)
  const e = Date.parse(item.ends_at)
  if (isNaN(s) || isNaN(e)) return item.state || 'ended'
  // A later session may follow: the server's upcoming/live wins while it still holds.
  if (now < s) return 'upcoming'
  if (now < e) return 'live'
  if (item.state === 'upcoming' || item.state === 'live') {
    return item.replay_url || item.replay_feed_id ? 'replay' : 'ended'
  }
  return item.state || 'ended'
}

function hasReplay(item) {
  return !!(item.replay_url || item.replay_feed_id)
}

// What tapping the item's button does in `state`:
//   { kind: 'channels_live', finderUserName } — wx.getChannelsLiveInfo, then wx.openChannelsLive
//   { kind: 'channels_video', finderUserName, feedId } — wx.openChannelsActivity (a replay)
//   { kind: 'web', url } — the web-view page
//   { kind: 'detail', id } — the activity's page (upcoming, ended)
function action(item, state) {
  if (state === 'live') {
    if (item.platform === 'channels') return { kind: 'channels_live', finderUserName: item.finder_user_name }
    if (item.live_url) return { kind: 'web', url: item.live_url }
  }
  if (state === 'replay') {
    if (item.replay_feed_id && item.finder_user_name) {
      return { kind: 'channels_video', finderUserName: item.finder_user_name, feedId: item.replay_feed_id }
    }
    if (item.replay_url) return { kind: 'web', url: item.replay_url }
  }
  return { kind: 'detail', id: item.activity_id }
}

// How a library resource opens: a web page, a Channels video, or its own text (articles).
function resourceAction(r) {
  if (r.platform === 'web' && r.source_url) return { kind: 'web', url: r.source_url }
  if (r.platform === 'channels' && r.finder_user_name && r.feed_id) {
    return { kind: 'channels_video', finderUserName: r.finder_user_name, feedId: r.feed_id }
  }
  return { kind: 'article' }
}

// 12:30 → "12 分钟" / "1 小时 5 分钟"; null for no duration.
function durationText(seconds, t) {
  if (seconds == null || seconds <= 0) return ''
  const m = Math.max(1, Math.round(seconds / 60))
  if (m < 60) return t('ol_minutes', { m: m })
  const h = Math.floor(m / 60)
  const rest = m % 60
  return rest ? t('ol_hours_minutes', { h: h, m: rest }) : t('ol_hours', { h: h })
}

// 4.5 (12) or '' before the first rating.
function ratingText(avg, n, t) {
  if (avg == null || !n) return t('lb_no_rating')
  return t('lb_rating', { avg: Number(avg).toFixed(1), n: n })
}

module.exports = { stateAt, hasReplay, action, resourceAction, durationText, ratingText }
