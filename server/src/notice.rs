//! Notices from staff to a session's attendees (场次通知: changed room, bring your materials).
//!
//! One notice becomes, in the same transaction, a row in each attendee's in-app message list
//! (我的消息) and a subscribe message through the outbox — so a notice is never half sent.
//! Attendees are the confirmed bookings of the session (for a course: of the course). At most
//! [`PER_HOUR`] notices per session per hour, counted in the database so every instance agrees.

use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::notify;
use crate::time::{self, Ts};
use poem_openapi::Object;
use sqlx::Row;

pub const PER_HOUR: i64 = 3;
pub const MAX_CHARS: usize = 200;

#[derive(Debug, Clone, Object)]
pub struct NoticeView {
    pub id: i64,
    pub session_id: i64,
    pub body: String,
    /// How many people it went to.
    pub recipients: i64,
    /// The sender, masked.
    pub sent_by: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Object)]
pub struct Message {
    pub id: i64,
    /// `session_notice`, or `report_outcome` (what became of my 举报).
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Mini-program page it opens.
    pub page: Option<String>,
    pub created_at: String,
    pub read: bool,
}

/// Checks a notice's text. Pure.
pub fn check_body(body: &str) -> ApiResult<String> {
    let b = body.trim();
    if b.is_empty() || b.chars().count() > MAX_CHARS {
        return Err(ApiError::validation(format!(
            "通知内容应为 1–{MAX_CHARS} 个字"
        )));
    }
    Ok(b.to_string())
}

/// Sends a notice; the caller has been authorized for the session's unit.
pub async fn send(
    tx: &mut Tx,
    session_id: i64,
    sender: i64,
    body: &str,
    now: Ts,
) -> ApiResult<NoticeView> {
    let body = check_body(body)?;
    let now_s = time::fmt(now);
    let s = sqlx::query(
        "SELECT s.activity_id, s.starts_at, s.ends_at, s.status, s.room, a.title, a.is_course, u.short_name \
         FROM sessions s JOIN activities a ON a.id = s.activity_id JOIN org_units u ON u.id = s.unit_id WHERE s.id = $1",
    )
    .bind(session_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| ApiError::not_found("该场次"))?;
    let ends: String = s.get("ends_at");
    if s.get::<String, _>("status") == "cancelled" || ends <= now_s {
        return Err(ApiError::conflict(
            "notice_session_over",
            "场次已结束或已取消，不能再发通知",
        ));
    }
    let hour_ago = time::fmt(now - chrono::Duration::hours(1));
    let recent: Vec<String> = sqlx::query_scalar(
        "SELECT created_at FROM session_notices WHERE session_id = $1 AND created_at > $2 ORDER BY created_at",
    )
    .bind(session_id)
    .bind(&hour_ago)
    .fetch_all(&mut **tx)
    .await?;
    if recent.len() as i64 >= PER_HOUR {
        let oldest = time::parse(&recent[0]).unwrap_or(now);
        let wait = (oldest + chrono::Duration::hours(1) - now)
            .num_seconds()
            .max(1) as u64;
        return Err(ApiError::rate_limited(wait));
    }
    let users: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT b.user_id FROM bookings b JOIN activities a ON a.id = b.activity_id JOIN sessions x ON x.id = $1 \
         WHERE b.status = 'confirmed' AND (b.session_id = $1 OR (a.is_course = 1 AND b.activity_id = x.activity_id))",
    )
    .bind(session_id)
    .fetch_all(&mut **tx)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO session_notices (session_id, sent_by, body, recipients, created_at) VALUES ($1,$2,$3,$4,$5) RETURNING id",
    )
    .bind(session_id)
    .bind(sender)
    .bind(&body)
    .bind(users.len() as i64)
    .bind(&now_s)
    .fetch_one(&mut **tx)
    .await?;
    let title: String = s.get("title");
    let starts = time::parse(&s.get::<String, _>("starts_at")).unwrap_or(now);
    let place: String = s.get("short_name");
    let page = "pages/messages/index";
    for u in &users {
        sqlx::query(
            "INSERT INTO user_messages (user_id, kind, title, body, page, notice_id, created_at) \
             VALUES ($1,'session_notice',$2,$3,$4,$5,$6)",
        )
        .bind(u)
        .bind(format!("{title}（{}）", notify::china_time(starts)))
        .bind(&body)
        .bind(page)
        .bind(id)
        .bind(&now_s)
        .execute(&mut **tx)
        .await?;
        notify::enqueue(
            tx,
            *u,
            "activity_changed",
            &format!("notice:{id}:{u}"),
            Some(page),
            &notify::fields(&title, starts, &place, &body),
            &now_s,
        )
        .await?;
    }
    view(tx, id).await
}

async fn view(tx: &mut Tx, id: i64) -> ApiResult<NoticeView> {
    let r = sqlx::query(&format!("{NOTICE_SQL} WHERE n.id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(from_row(&r))
}

const NOTICE_SQL: &str =
    "SELECT n.id, n.session_id, n.body, n.recipients, n.created_at, p.display_name \
     FROM session_notices n JOIN users p ON p.id = n.sent_by";

fn from_row(r: &sqlx::any::AnyRow) -> NoticeView {
    let name: String = r.get("display_name");
    NoticeView {
        id: r.get("id"),
        session_id: r.get("session_id"),
        body: r.get("body"),
        recipients: r.get("recipients"),
        sent_by: if name.is_empty() {
            "工作人员".into()
        } else {
            crate::privacy::mask_name(&name)
        },
        created_at: r.get("created_at"),
    }
}

/// The notices sent for a session, newest first.
pub async fn for_session(db: &Db, session_id: i64) -> ApiResult<Vec<NoticeView>> {
    let rows = sqlx::query(&format!(
        "{NOTICE_SQL} WHERE n.session_id = $1 ORDER BY n.id DESC LIMIT 100"
    ))
    .bind(session_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// My messages, newest first.
pub async fn mine(db: &Db, user_id: i64) -> ApiResult<Vec<Message>> {
    let rows = sqlx::query(
        "SELECT id, kind, title, body, page, created_at, read_at FROM user_messages WHERE user_id = $1 ORDER BY id DESC LIMIT 100",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Message {
            id: r.get("id"),
            kind: r.get("kind"),
            title: r.get("title"),
            body: r.get("body"),
            page: r.get("page"),
            created_at: r.get("created_at"),
            read: r.get::<Option<String>, _>("read_at").is_some(),
        })
        .collect())
}

/// Marks all my messages read.
pub async fn read_all(db: &Db, user_id: i64, now: &str) -> ApiResult<()> {
    sqlx::query("UPDATE user_messages SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(db.writer())
        .await?;
    Ok(())
}
