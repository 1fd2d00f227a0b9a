//! Ratings of attended sessions, their comments' moderation, and the staff inbox with replies.
//!
//! Comments pass WeChat's text security check (msg_sec_check v2) before anyone else sees
//! them. "review", "risky" or any error holds the comment for staff: it is never lost and never
//! published unchecked. Scores always count.

use crate::access::Scope;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::privacy::mask_name;
use crate::time::{self, Ts};
use crate::wechat::{Suggest, WechatClient};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// The outcome of the text security check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Published,
    Held(String),
}

/// Runs WeChat's text security check. Anything but a clean pass holds the text for staff.
pub async fn moderate(
    wechat: &WechatClient,
    openid: Option<&str>,
    text: &str,
    scene: u8,
) -> Verdict {
    let Some(openid) = openid else {
        return Verdict::Held("无法进行内容安全检查（账号无 openid），待人工审核".into());
    };
    match wechat.msg_sec_check(openid, text, scene).await {
        Ok(Suggest::Pass) => Verdict::Published,
        Ok(Suggest::Review) => Verdict::Held("微信内容安全：建议人工审核".into()),
        Ok(Suggest::Risky) => Verdict::Held("微信内容安全：疑似违规，待人工审核".into()),
        Err(e) => {
            tracing::warn!(errcode = ?e.errcode(), "msg_sec_check failed; holding text for staff");
            Verdict::Held(match e.errcode() {
                Some(61010) => "用户近期未访问小程序，无法自动检查，待人工审核".into(),
                Some(code) => format!("内容安全检查出错（{code}），待人工审核"),
                None => "内容安全检查暂时不可用，待人工审核".into(),
            })
        }
    }
}

pub fn check_text(text: &str, max: usize, what: &str) -> ApiResult<String> {
    let t = text.trim().to_string();
    if t.chars().count() > max {
        return Err(ApiError::validation(format!("{what}不能超过 {max} 个字")));
    }
    Ok(t)
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct NewRating {
    pub booking_id: i64,
    /// For a course, the lesson rated; otherwise the booked session.
    pub session_id: Option<i64>,
    /// Overall, 1–5.
    pub score: i64,
    pub content_score: Option<i64>,
    pub teacher_score: Option<i64>,
    pub venue_score: Option<i64>,
    pub organisation_score: Option<i64>,
    #[oai(validator(max_items = 5))]
    pub tags: Option<Vec<String>>,
    #[oai(validator(max_length = 300))]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct RatingPatch {
    pub score: Option<i64>,
    #[oai(validator(max_length = 300))]
    pub comment: Option<String>,
}

fn check_score(v: Option<i64>, what: &str) -> ApiResult<()> {
    match v {
        Some(s) if !(1..=5).contains(&s) => {
            Err(ApiError::validation(format!("{what}应为 1 到 5 分")))
        }
        _ => Ok(()),
    }
}

fn tags_text(tags: &Option<Vec<String>>) -> ApiResult<String> {
    let mut out = Vec::new();
    for t in tags.iter().flatten() {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > 10 || t.contains(',') {
            return Err(ApiError::validation("标签每个不超过 10 个字，且不能含逗号"));
        }
        out.push(t.to_string());
    }
    Ok(out.join(","))
}

/// Rates an attended session: only its attendee, once, within the window after it.
pub async fn rate(
    db: &Db,
    wechat: &WechatClient,
    s: &crate::config::BookingSettings,
    user_id: i64,
    openid: Option<&str>,
    r: &NewRating,
    now: Ts,
) -> ApiResult<i64> {
    check_score(Some(r.score), "总体评分")?;
    check_score(r.content_score, "内容评分")?;
    check_score(r.teacher_score, "老师或演员评分")?;
    check_score(r.venue_score, "场地评分")?;
    check_score(r.organisation_score, "组织评分")?;
    let tags = tags_text(&r.tags)?;
    let comment = check_text(r.comment.as_deref().unwrap_or(""), 300, "评价内容")?;
    let b = sqlx::query(
        "SELECT b.session_id, b.activity_id, b.status, a.kind, a.is_course FROM bookings b JOIN activities a ON a.id = b.activity_id \
         WHERE b.id = $1 AND b.user_id = $2",
    )
    .bind(r.booking_id)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该预约"))?;
    let session_id = r.session_id.unwrap_or_else(|| b.get("session_id"));
    let s_row = sqlx::query(
        "SELECT activity_id, unit_id, unit_path, starts_at, ends_at FROM sessions WHERE id = $1",
    )
    .bind(session_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该场次"))?;
    if s_row.get::<i64, _>("activity_id") != b.get::<i64, _>("activity_id") {
        return Err(ApiError::validation("这一场不属于该预约的活动"));
    }
    let attended: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM checkins WHERE booking_id = $1 AND session_id = $2 AND undone_at IS NULL",
    )
    .bind(r.booking_id)
    .bind(session_id)
    .fetch_one(db.pool())
    .await?;
    if attended == 0 {
        return Err(ApiError::new(
            poem::http::StatusCode::FORBIDDEN,
            "not_attended",
            "只有签到参加了这一场的居民才能评价",
        ));
    }
    let ends = time::parse(&s_row.get::<String, _>("ends_at")).ok_or_else(ApiError::internal)?;
    if now > ends + chrono::Duration::days(s.rating_window_days) {
        return Err(ApiError::conflict(
            "rating_closed",
            format!("活动结束 {} 天后不能再评价", s.rating_window_days),
        ));
    }
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM ratings WHERE booking_id = $1 AND session_id = $2")
            .bind(r.booking_id)
            .bind(session_id)
            .fetch_optional(db.pool())
            .await?;
    if exists.is_some() {
        return Err(ApiError::conflict(
            "already_rated",
            "您已经评价过这一场，可以在限定时间内修改",
        ));
    }
    // The check runs before the insert and outside the transaction: WeChat's latency never
    // holds a database lock.
    let (status, note) = if comment.is_empty() {
        ("none", String::new())
    } else {
        match moderate(wechat, openid, &comment, 2).await {
            Verdict::Published => ("published", String::new()),
            Verdict::Held(n) => ("held", n),
        }
    };
    let now_s = time::fmt(now);
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ratings (booking_id, session_id, activity_id, unit_id, unit_path, kind, user_id, score, content_score, teacher_score, \
         venue_score, organisation_score, tags, comment, comment_status, moderation_note, flagged, created_at, updated_at, branch_id) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$18,$19) RETURNING id",
    )
    .bind(r.booking_id)
    .bind(session_id)
    .bind(b.get::<i64, _>("activity_id"))
    .bind(s_row.get::<i64, _>("unit_id"))
    .bind(s_row.get::<String, _>("unit_path"))
    .bind(b.get::<String, _>("kind"))
    .bind(user_id)
    .bind(r.score)
    .bind(r.content_score)
    .bind(r.teacher_score)
    .bind(r.venue_score)
    .bind(r.organisation_score)
    .bind(tags)
    .bind(&comment)
    .bind(status)
    .bind(note)
    .bind((r.score <= 2) as i64)
    .bind(&now_s)
    .bind(branch_of(&s_row.get::<String, _>("unit_path")))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            ApiError::conflict("already_rated", "您已经评价过这一场，可以在限定时间内修改")
        } else {
            e.into()
        }
    })?;
    recount(&mut tx, s_row.get("unit_id")).await?;
    tx.commit().await?;
    Ok(id)
}

/// The branch a path belongs to: its second id (`/1/5/23/` → 5), none for the main center.
pub fn branch_of(path: &str) -> Option<i64> {
    path.split('/')
        .filter(|p| !p.is_empty())
        .nth(1)
        .and_then(|p| p.parse().ok())
}

/// Recomputes a unit's inbox counters from its ratings. Called in the transaction of every
/// change to a rating; a unit's ratings are a small, indexed set, and a recount cannot drift.
pub async fn recount(tx: &mut crate::db::Tx, unit_id: i64) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO feedback_counters (unit_id, total, unread, flagged_open, held) \
         SELECT $1, CAST(COUNT(*) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN read_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN flagged = 1 AND handled_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN comment_status = 'held' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM ratings WHERE unit_id = $1 \
         ON CONFLICT (unit_id) DO UPDATE SET total = excluded.total, unread = excluded.unread, \
         flagged_open = excluded.flagged_open, held = excluded.held",
    )
    .bind(unit_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Recounts the units of the given ratings.
pub async fn recount_ratings(tx: &mut crate::db::Tx, ids: &[i64]) -> ApiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let list = ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let units: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT DISTINCT unit_id FROM ratings WHERE id IN ({list})"
    ))
    .fetch_all(&mut **tx)
    .await?;
    for u in units {
        recount(tx, u).await?;
    }
    Ok(())
}

/// Edits my rating within the edit window; a changed comment is checked again.
pub async fn edit(
    db: &Db,
    wechat: &WechatClient,
    s: &crate::config::BookingSettings,
    caller: &crate::access::Caller,
    id: i64,
    p: &RatingPatch,
    now: Ts,
) -> ApiResult<()> {
    let (user_id, openid) = (caller.user_id, caller.openid.as_deref());
    check_score(p.score, "总体评分")?;
    let r = sqlx::query("SELECT created_at, comment FROM ratings WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该评价"))?;
    let created = time::parse(&r.get::<String, _>("created_at")).ok_or_else(ApiError::internal)?;
    if now > created + chrono::Duration::hours(s.rating_edit_hours) {
        return Err(ApiError::conflict(
            "edit_closed",
            format!("评价提交 {} 小时后不能再修改", s.rating_edit_hours),
        ));
    }
    let now_s = time::fmt(now);
    let comment = match &p.comment {
        Some(c) => Some(check_text(c, 300, "评价内容")?),
        None => None,
    };
    let moderation = match &comment {
        Some(c) if c.is_empty() => Some(("none", String::new())),
        Some(c) if *c != r.get::<String, _>("comment") => {
            Some(match moderate(wechat, openid, c, 2).await {
                Verdict::Published => ("published", String::new()),
                Verdict::Held(n) => ("held", n),
            })
        }
        _ => None,
    };
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE ratings SET score = COALESCE($1, score), flagged = CASE WHEN COALESCE($1, score) <= 2 THEN 1 ELSE 0 END, \
         comment = COALESCE($2, comment), comment_status = COALESCE($3, comment_status), moderation_note = COALESCE($4, moderation_note), \
         updated_at = $5, read_at = NULL WHERE id = $6",
    )
    .bind(p.score)
    .bind(&comment)
    .bind(moderation.as_ref().map(|m| m.0))
    .bind(moderation.as_ref().map(|m| m.1.clone()))
    .bind(&now_s)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    recount_ratings(&mut tx, &[id]).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Reply {
    pub id: i64,
    pub unit_name: String,
    pub content: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct PublicRating {
    pub id: i64,
    /// Masked.
    pub name: String,
    pub score: i64,
    pub tags: Vec<String>,
    pub comment: String,
    pub created_at: String,
    pub replies: Vec<Reply>,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct PublicRatings {
    pub activity_id: i64,
    pub count: i64,
    pub average: Option<f64>,
    pub items: Vec<PublicRating>,
}

async fn replies_of(db: &Db, ids: &[i64]) -> ApiResult<std::collections::HashMap<i64, Vec<Reply>>> {
    let mut out: std::collections::HashMap<i64, Vec<Reply>> = Default::default();
    if ids.is_empty() {
        return Ok(out);
    }
    let list = ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let rows = sqlx::query(&format!(
        "SELECT id, rating_id, unit_name, content, created_at FROM rating_replies WHERE rating_id IN ({list}) ORDER BY id"
    ))
    .fetch_all(db.pool())
    .await?;
    for r in rows {
        out.entry(r.get("rating_id")).or_default().push(Reply {
            id: r.get("id"),
            unit_name: r.get("unit_name"),
            content: r.get("content"),
            created_at: r.get("created_at"),
        });
    }
    Ok(out)
}

fn split_tags(t: &str) -> Vec<String> {
    t.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// What residents see: the average, and published comments with masked names and replies.
pub async fn public(db: &Db, activity_id: i64) -> ApiResult<PublicRatings> {
    let agg = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(AVG(score) AS DOUBLE PRECISION) AS avg FROM ratings WHERE activity_id = $1",
    )
    .bind(activity_id)
    .fetch_one(db.pool())
    .await?;
    let rows = sqlx::query(
        "SELECT r.id, r.score, r.tags, r.comment, r.created_at, p.display_name FROM ratings r JOIN users p ON p.id = r.user_id \
         WHERE r.activity_id = $1 AND r.comment_status = 'published' ORDER BY r.id DESC LIMIT 100",
    )
    .bind(activity_id)
    .fetch_all(db.pool())
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
    let mut replies = replies_of(db, &ids).await?;
    Ok(PublicRatings {
        activity_id,
        count: agg.get("n"),
        average: agg
            .get::<Option<f64>, _>("avg")
            .map(|a| (a * 10.0).round() / 10.0),
        items: rows
            .iter()
            .map(|r| {
                let name: String = r.get("display_name");
                let id: i64 = r.get("id");
                PublicRating {
                    id,
                    name: if name.is_empty() {
                        "居民".into()
                    } else {
                        mask_name(&name)
                    },
                    score: r.get("score"),
                    tags: split_tags(&r.get::<String, _>("tags")),
                    comment: r.get("comment"),
                    created_at: r.get("created_at"),
                    replies: replies.remove(&id).unwrap_or_default(),
                }
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    pub unit_path: Option<String>,
    pub activity_id: Option<i64>,
    pub kind: Option<String>,
    pub max_score: Option<i64>,
    /// `unread`, `unhandled`, `flagged`, `held`.
    pub state: Option<String>,
    /// `newest` (default) or `lowest`.
    pub sort: Option<String>,
    /// Keyset cursor: the last id of the previous page.
    pub before: Option<i64>,
    pub limit: i64,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct InboxItem {
    pub id: i64,
    pub activity_id: i64,
    pub activity_title: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: String,
    /// Masked.
    pub name: String,
    pub score: i64,
    pub content_score: Option<i64>,
    pub teacher_score: Option<i64>,
    pub venue_score: Option<i64>,
    pub organisation_score: Option<i64>,
    pub tags: Vec<String>,
    pub comment: String,
    pub comment_status: String,
    pub moderation_note: String,
    pub flagged: bool,
    pub read: bool,
    pub handled: bool,
    pub created_at: String,
    pub first_reply_at: Option<String>,
    pub replies: Vec<Reply>,
}

fn where_clause(scope: &Scope, q: &InboxQuery) -> (String, Vec<String>) {
    let mut w = format!("WHERE {}", scope.sql("r.unit_path"));
    let mut binds = Vec::new();
    // The subtree asked about: a branch or a point by its indexed id column (so the newest
    // page is read in id order, whatever the history), anything else as a path range.
    let under = match q.unit_path.as_deref() {
        Some("/") | None => scope.single(),
        Some(p) => Some(p),
    };
    if let Some(p) = under {
        let ids: Vec<&str> = p.split('/').filter(|x| !x.is_empty()).collect();
        match ids.as_slice() {
            [_root] => {}
            [_root, branch] => w.push_str(&format!(
                " AND r.branch_id = {}",
                branch.parse::<i64>().unwrap_or(0)
            )),
            [_root, _branch, unit] => w.push_str(&format!(
                " AND r.unit_id = {}",
                unit.parse::<i64>().unwrap_or(0)
            )),
            _ => w.push_str(&format!(
                " AND {}",
                crate::access::subtree_sql("r.unit_path", p)
            )),
        }
    }
    if let Some(a) = q.activity_id {
        w.push_str(&format!(" AND r.activity_id = {a}"));
    }
    if let Some(k) = &q.kind {
        binds.push(k.clone());
        w.push_str(&format!(" AND r.kind = ${}", binds.len()));
    }
    if let Some(m) = q.max_score {
        w.push_str(&format!(" AND r.score <= {m}"));
    }
    match q.state.as_deref() {
        Some("unread") => w.push_str(" AND r.read_at IS NULL"),
        Some("unhandled") => w.push_str(" AND r.handled_at IS NULL"),
        Some("flagged") => w.push_str(" AND r.flagged = 1 AND r.handled_at IS NULL"),
        Some("held") => w.push_str(" AND r.comment_status = 'held'"),
        _ => {}
    }
    (w, binds)
}

/// The staff inbox, newest or lowest first, one page. Cost stays flat with history: keyset
/// paging on an indexed path prefix.
pub async fn inbox(
    db: &Db,
    scope: &Scope,
    q: &InboxQuery,
) -> ApiResult<(Vec<InboxItem>, Option<i64>)> {
    let (mut w, binds) = where_clause(scope, q);
    let lowest = q.sort.as_deref() == Some("lowest");
    if let Some(b) = q.before {
        w.push_str(&format!(" AND r.id < {b}"));
    }
    let order = if lowest {
        "r.score ASC, r.id DESC"
    } else {
        "r.id DESC"
    };
    let limit = q.limit.clamp(1, 100);
    let sql = format!(
        "SELECT r.*, a.title, u.short_name, p.display_name FROM ratings r JOIN activities a ON a.id = r.activity_id \
         JOIN org_units u ON u.id = r.unit_id JOIN users p ON p.id = r.user_id {w} ORDER BY {order} LIMIT {limit}"
    );
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    let rows = query.fetch_all(db.pool()).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
    let mut replies = replies_of(db, &ids).await?;
    let items: Vec<InboxItem> = rows
        .iter()
        .map(|r| {
            let id: i64 = r.get("id");
            let name: String = r.get("display_name");
            InboxItem {
                id,
                activity_id: r.get("activity_id"),
                activity_title: r.get("title"),
                unit_id: r.get("unit_id"),
                unit_name: r.get("short_name"),
                kind: r.get("kind"),
                name: if name.is_empty() {
                    "居民".into()
                } else {
                    mask_name(&name)
                },
                score: r.get("score"),
                content_score: r.get("content_score"),
                teacher_score: r.get("teacher_score"),
                venue_score: r.get("venue_score"),
                organisation_score: r.get("organisation_score"),
                tags: split_tags(&r.get::<String, _>("tags")),
                comment: r.get("comment"),
                comment_status: r.get("comment_status"),
                moderation_note: r.get("moderation_note"),
                flagged: r.get::<i64, _>("flagged") != 0,
                read: r.get::<Option<String>, _>("read_at").is_some(),
                handled: r.get::<Option<String>, _>("handled_at").is_some(),
                created_at: r.get("created_at"),
                first_reply_at: r.get("first_reply_at"),
                replies: replies.remove(&id).unwrap_or_default(),
            }
        })
        .collect();
    let next = if !lowest && items.len() as i64 == limit {
        items.last().map(|i| i.id)
    } else {
        None
    };
    Ok((items, next))
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Counts {
    pub total: i64,
    pub unread: i64,
    pub flagged_unhandled: i64,
    pub held: i64,
}

pub async fn counts(db: &Db, scope: &Scope, unit_path: Option<&str>) -> ApiResult<Counts> {
    let under = unit_path.unwrap_or("/");
    let r = sqlx::query(&format!(
        "SELECT CAST(COALESCE(SUM(c.total), 0) AS BIGINT) AS total, CAST(COALESCE(SUM(c.unread), 0) AS BIGINT) AS unread, \
         CAST(COALESCE(SUM(c.flagged_open), 0) AS BIGINT) AS flagged, CAST(COALESCE(SUM(c.held), 0) AS BIGINT) AS held \
         FROM feedback_counters c JOIN org_units u ON u.id = c.unit_id WHERE {} AND {}",
        scope.sql("u.path"),
        crate::access::subtree_sql("u.path", under)
    ))
    .fetch_one(db.pool())
    .await?;
    Ok(Counts {
        total: r.get("total"),
        unread: r.get("unread"),
        flagged_unhandled: r.get("flagged"),
        held: r.get("held"),
    })
}

/// The rating's place, for authorization.
pub async fn place(db: &Db, id: i64) -> ApiResult<crate::access::UnitRef> {
    let r = sqlx::query("SELECT unit_id, unit_path FROM ratings WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该评价"))?;
    Ok(crate::access::UnitRef {
        id: r.get("unit_id"),
        path: r.get("unit_path"),
    })
}
