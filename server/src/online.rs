//! Online programmes (线上活动, issue 17): an activity watched online or hybrid, live on WeChat
//! Channels (视频号直播) or on a web page shown in the mini-program's `web-view`, with a replay.
//! Which of upcoming / live / replay applies is a pure function of the sessions' times (D233).
//! Watching needs no booking and takes no seat (D232): the activity's own booking mode still
//! governs its seats at the venue of a hybrid activity.

use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::time::{self, Ts};
use poem::http::StatusCode;
use poem_openapi::Object;
use sqlx::Row;

pub const MODES: [&str; 3] = ["offline", "online", "hybrid"];
pub const PLATFORMS: [&str; 2] = ["channels", "web"];

/// The online part of an activity as staff set it.
#[derive(Debug, Clone, Object)]
pub struct OnlineInput {
    /// `offline` (removes the online part), `online` or `hybrid` (at a venue and online).
    pub mode: String,
    /// `channels` (WeChat Channels live) or `web` (a page on a business domain). Needed unless
    /// offline.
    pub platform: Option<String>,
    /// The Channels account's id (`sph…`, from 视频号助手), for `channels`.
    #[oai(validator(max_length = 64))]
    pub finder_user_name: Option<String>,
    /// For `web`: the live page, `https://` on a configured business domain.
    #[oai(validator(max_length = 500))]
    pub live_url: Option<String>,
    /// For `channels`: the replay video's feed id, once there is one.
    #[oai(validator(max_length = 200))]
    pub replay_feed_id: Option<String>,
    /// A replay page, `https://` on a configured business domain.
    #[oai(validator(max_length = 500))]
    pub replay_url: Option<String>,
}

/// What the mini-program needs to show and open an online activity.
#[derive(Debug, Clone, Object, PartialEq)]
pub struct OnlineView {
    pub mode: String,
    pub platform: String,
    pub finder_user_name: String,
    pub live_url: String,
    pub replay_feed_id: String,
    pub replay_url: String,
}

/// Where an online activity stands now, for the mini-program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveState {
    /// Before the next session: show its start time.
    Upcoming,
    /// A session is on now: 观看直播.
    Live,
    /// All sessions are over and a replay is set: 观看回放.
    Replay,
    /// Over, no replay (yet).
    Ended,
}

impl LiveState {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveState::Upcoming => "upcoming",
            LiveState::Live => "live",
            LiveState::Replay => "replay",
            LiveState::Ended => "ended",
        }
    }
}

/// The state at `now` and the session it refers to (its start and end): the live one, else the
/// next one, else the last one. `sessions` are (starts, ends) in any order. Pure (D233): a
/// session counts as live from its start to its end; between two sessions the next is upcoming
/// even when an earlier one has a replay, since residents come for the live programme.
pub fn live_state(sessions: &[(Ts, Ts)], now: Ts, has_replay: bool) -> Option<(LiveState, Ts, Ts)> {
    let mut sorted = sessions.to_vec();
    sorted.sort();
    if let Some(&(s, e)) = sorted.iter().find(|(s, e)| *s <= now && now < *e) {
        return Some((LiveState::Live, s, e));
    }
    if let Some(&(s, e)) = sorted.iter().find(|(s, _)| *s > now) {
        return Some((LiveState::Upcoming, s, e));
    }
    let &(s, e) = sorted.last()?;
    let st = if has_replay {
        LiveState::Replay
    } else {
        LiveState::Ended
    };
    Some((st, s, e))
}

/// The host of an `https://` address, lower-cased; `None` when it is not one.
fn https_host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    // WeChat's web-view opens business domains on the standard port only.
    if authority.contains(':') {
        return None;
    }
    let host = authority.to_ascii_lowercase();
    if host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && host.contains('.')
    {
        Some(host)
    } else {
        None
    }
}

/// A page the mini-program may open in a `web-view` (D231): `https://` on one of the business
/// domains configured in the WeChat admin console and listed in `online.business_domains`.
/// The exact host must be listed: WeChat checks each business domain by a file at its root.
pub fn check_web_url(url: &str, business_domains: &[String], what: &str) -> ApiResult<String> {
    let url = url.trim();
    let Some(host) = https_host(url) else {
        return Err(ApiError::validation(format!(
            "{what}必须是 https:// 开头的网址（不带端口）"
        )));
    };
    if !business_domains
        .iter()
        .any(|d| d.trim().eq_ignore_ascii_case(&host))
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "domain_not_allowed",
            format!("{what}的域名 {host} 不是小程序已配置的业务域名，小程序内无法打开"),
        )
        .with_details(serde_json::json!({ "host": host })));
    }
    Ok(url.to_string())
}

/// A Channels account id as shown in 视频号助手: `sph` and letters or digits.
pub fn check_finder(name: &str) -> ApiResult<String> {
    let n = name.trim();
    if n.starts_with("sph") && n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(n.to_string())
    } else {
        Err(ApiError::validation(
            "视频号 ID 应以 sph 开头，可在视频号助手查看",
        ))
    }
}

/// Checks the input; `None` for offline (no online part). Pure.
pub fn validate(i: &OnlineInput, business_domains: &[String]) -> ApiResult<Option<OnlineView>> {
    crate::input::one_of("mode", Some(&i.mode), &MODES)?;
    if i.mode == "offline" {
        return Ok(None);
    }
    let platform = i.platform.as_deref().unwrap_or("");
    crate::input::one_of("platform", Some(platform), &PLATFORMS)?;
    let opt = |s: &Option<String>| s.as_deref().map(str::trim).unwrap_or("").to_string();
    let mut v = OnlineView {
        mode: i.mode.clone(),
        platform: platform.into(),
        finder_user_name: String::new(),
        live_url: String::new(),
        replay_feed_id: opt(&i.replay_feed_id),
        replay_url: String::new(),
    };
    match platform {
        "channels" => {
            v.finder_user_name = check_finder(&opt(&i.finder_user_name))?;
            if !opt(&i.live_url).is_empty() {
                return Err(ApiError::validation("视频号直播不需要直播网址"));
            }
        }
        _ => {
            let live = opt(&i.live_url);
            if live.is_empty() {
                return Err(ApiError::validation("请填写直播网址"));
            }
            v.live_url = check_web_url(&live, business_domains, "直播网址")?;
            if !v.replay_feed_id.is_empty() {
                return Err(ApiError::validation("网页直播的回放请填写回放网址"));
            }
        }
    }
    if v.replay_feed_id.chars().any(|c| c.is_whitespace()) {
        return Err(ApiError::validation("回放视频 ID 不能含空格"));
    }
    let replay = opt(&i.replay_url);
    if !replay.is_empty() {
        v.replay_url = check_web_url(&replay, business_domains, "回放网址")?;
    }
    Ok(Some(v))
}

impl OnlineView {
    pub fn has_replay(&self) -> bool {
        !self.replay_url.is_empty() || !self.replay_feed_id.is_empty()
    }
}

fn view_of(r: &sqlx::any::AnyRow) -> OnlineView {
    OnlineView {
        mode: r.get("mode"),
        platform: r.get("platform"),
        finder_user_name: r.get("finder_user_name"),
        live_url: r.get("live_url"),
        replay_feed_id: r.get("replay_feed_id"),
        replay_url: r.get("replay_url"),
    }
}

const COLS: &str = "mode, platform, finder_user_name, live_url, replay_feed_id, replay_url";

pub async fn get(db: &Db, activity_id: i64) -> ApiResult<Option<OnlineView>> {
    let r = sqlx::query(&format!(
        "SELECT {COLS} FROM activity_online WHERE activity_id = $1"
    ))
    .bind(activity_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(r.as_ref().map(view_of))
}

/// Sets (or with `None` removes) the online part, in the caller's transaction.
pub async fn set(
    tx: &mut crate::db::Tx,
    activity_id: i64,
    v: Option<&OnlineView>,
    user_id: i64,
    now: &str,
) -> ApiResult<()> {
    sqlx::query("DELETE FROM activity_online WHERE activity_id = $1")
        .bind(activity_id)
        .execute(&mut **tx)
        .await?;
    if let Some(v) = v {
        sqlx::query(&format!(
            "INSERT INTO activity_online (activity_id, {COLS}, updated_by, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
        ))
        .bind(activity_id)
        .bind(&v.mode)
        .bind(&v.platform)
        .bind(&v.finder_user_name)
        .bind(&v.live_url)
        .bind(&v.replay_feed_id)
        .bind(&v.replay_url)
        .bind(user_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// One online activity in the list, with its state now.
#[derive(Debug, Clone, Object)]
pub struct OnlineItem {
    pub activity_id: i64,
    pub title: String,
    pub kind: String,
    pub organizer_unit_id: i64,
    pub organizer_name: String,
    pub poster_url: String,
    #[oai(flatten)]
    pub online: OnlineView,
    /// `upcoming`, `live`, `replay` or `ended`.
    pub state: String,
    /// The session the state refers to: the live one, the next one, or the last one.
    pub starts_at: String,
    pub ends_at: String,
}

/// The state of one activity from its sessions (cancelled sessions left out).
pub async fn item_state(
    db: &Db,
    activity_id: i64,
    online: &OnlineView,
    now: Ts,
) -> ApiResult<Option<(LiveState, Ts, Ts)>> {
    let rows = sqlx::query(
        "SELECT starts_at, ends_at FROM sessions WHERE activity_id = $1 AND status = 'scheduled'",
    )
    .bind(activity_id)
    .fetch_all(db.pool())
    .await?;
    let spans: Vec<(Ts, Ts)> = rows
        .iter()
        .filter_map(|r| {
            Some((
                time::parse(&r.get::<String, _>("starts_at"))?,
                time::parse(&r.get::<String, _>("ends_at"))?,
            ))
        })
        .collect();
    Ok(live_state(&spans, now, online.has_replay()))
}

/// Published public online activities whose organizer lies under `path` (all with `/`), live
/// first, then upcoming by start, then replays (newest first). `state` narrows the list.
pub async fn list(db: &Db, path: &str, state: Option<&str>, now: Ts) -> ApiResult<Vec<OnlineItem>> {
    let rows = sqlx::query(&format!(
        "SELECT a.id, a.title, a.kind, a.poster_url, u.id AS unit_id, u.short_name AS unit_name, \
         o.{} FROM activity_online o JOIN activities a ON a.id = o.activity_id \
         JOIN org_units u ON u.id = a.organizer_unit_id \
         WHERE a.status IN ('published','finished') AND a.audience = 'public' AND u.path LIKE $1 \
         ORDER BY a.id DESC LIMIT 500",
        COLS.replace(", ", ", o.")
    ))
    .bind(format!("{path}%"))
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let online = view_of(r);
        let id: i64 = r.get("id");
        let Some((st, s, e)) = item_state(db, id, &online, now).await? else {
            continue;
        };
        if state.is_some_and(|want| want != st.as_str()) {
            continue;
        }
        out.push(OnlineItem {
            activity_id: id,
            title: r.get("title"),
            kind: r.get("kind"),
            organizer_unit_id: r.get("unit_id"),
            organizer_name: r.get("unit_name"),
            poster_url: r.get("poster_url"),
            online,
            state: st.as_str().into(),
            starts_at: time::fmt(s),
            ends_at: time::fmt(e),
        });
    }
    let rank = |s: &str| match s {
        "live" => 0,
        "upcoming" => 1,
        "replay" => 2,
        _ => 3,
    };
    out.sort_by(|a, b| {
        rank(&a.state).cmp(&rank(&b.state)).then_with(|| {
            if a.state == "upcoming" {
                a.starts_at.cmp(&b.starts_at)
            } else {
                b.starts_at.cmp(&a.starts_at)
            }
        })
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> Ts {
        time::parse("2026-12-05T10:00:00Z").unwrap() + chrono::Duration::hours(h)
    }

    #[test]
    fn state_follows_the_clock() {
        let one = [(t(0), t(2))];
        assert_eq!(
            live_state(&one, t(-1), true).unwrap().0,
            LiveState::Upcoming
        );
        assert_eq!(live_state(&one, t(0), true).unwrap().0, LiveState::Live);
        assert_eq!(live_state(&one, t(1), false).unwrap().0, LiveState::Live);
        // The end is exclusive.
        assert_eq!(live_state(&one, t(2), true).unwrap().0, LiveState::Replay);
        assert_eq!(live_state(&one, t(2), false).unwrap().0, LiveState::Ended);
        assert_eq!(live_state(&[], t(0), true), None);
    }

    #[test]
    fn between_sessions_the_next_is_upcoming() {
        let two = [(t(48), t(50)), (t(0), t(2))];
        let (s, start, _) = live_state(&two, t(3), true).unwrap();
        assert_eq!((s, start), (LiveState::Upcoming, t(48)));
        let (s, start, _) = live_state(&two, t(49), true).unwrap();
        assert_eq!((s, start), (LiveState::Live, t(48)));
        let (s, start, _) = live_state(&two, t(51), true).unwrap();
        assert_eq!((s, start), (LiveState::Replay, t(48)));
    }

    #[test]
    fn web_urls_must_be_on_a_business_domain() {
        let d = vec!["live.example.cn".to_string()];
        assert!(check_web_url("https://live.example.cn/room/1?x=1", &d, "直播网址").is_ok());
        assert!(check_web_url("https://LIVE.example.cn", &d, "直播网址").is_ok());
        for bad in [
            "http://live.example.cn/1",
            "https://live.example.cn:8443/1",
            "https://user@live.example.cn/",
            "https://",
            "javascript:alert(1)",
        ] {
            assert_eq!(
                check_web_url(bad, &d, "直播网址").unwrap_err().code,
                "validation_failed",
                "{bad}"
            );
        }
        for other in [
            "https://evil.example.cn/",
            "https://live.example.cn.evil.com/",
            "https://sub.live.example.cn/",
        ] {
            assert_eq!(
                check_web_url(other, &d, "直播网址").unwrap_err().code,
                "domain_not_allowed",
                "{other}"
            );
        }
        assert!(check_web_url("https://live.example.cn/", &[], "x").is_err());
    }

    fn input(mode: &str, platform: Option<&str>) -> OnlineInput {
        OnlineInput {
            mode: mode.into(),
            platform: platform.map(Into::into),
            finder_user_name: None,
            live_url: None,
            replay_feed_id: None,
            replay_url: None,
        }
    }

    #[test]
    fn validate_by_platform() {
        let d = vec!["live.example.cn".to_string()];
        assert_eq!(validate(&input("offline", None), &d).unwrap(), None);
        assert!(validate(&input("online", None), &d).is_err());
        assert!(validate(&input("streaming", Some("web")), &d).is_err());
        let mut c = input("hybrid", Some("channels"));
        assert!(validate(&c, &d).is_err(), "needs the Channels id");
        c.finder_user_name = Some("sphAbC123".into());
        let v = validate(&c, &d).unwrap().unwrap();
        assert!(!v.has_replay());
        c.replay_feed_id = Some("export/UzFfAgtgekIEAQAAAAAA".into());
        assert!(validate(&c, &d).unwrap().unwrap().has_replay());
        c.finder_user_name = Some("wxid_123".into());
        assert!(validate(&c, &d).is_err());
        let mut w = input("online", Some("web"));
        assert!(validate(&w, &d).is_err(), "needs the live page");
        w.live_url = Some("https://live.example.cn/r/9".into());
        w.replay_url = Some("https://other.example.cn/r/9".into());
        assert_eq!(validate(&w, &d).unwrap_err().code, "domain_not_allowed");
        w.replay_url = Some("https://live.example.cn/replay/9".into());
        assert!(validate(&w, &d).unwrap().unwrap().has_replay());
    }
}
