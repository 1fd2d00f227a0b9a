//! WeChat subscribe messages through a durable outbox.
//!
//! Messages are written to `outbox` in the same transaction as what caused them, so a
//! booking never exists without its notice and a rolled-back booking sends nothing. A worker
//! claims due rows atomically (several server instances may run one each), sends them, and
//! records the outcome. Delivery is at most once: a row is only retried after an answer that
//! proves WeChat did not send it (busy, quota, token); a send whose fate is unknown (the
//! instance died mid-call, or the call timed out) is marked `unknown`, never sent again.
//! A failed or refused message never touches the booking that caused it.

use crate::db::{Db, Tx};
use crate::error::ApiResult;
use crate::time::{self, Ts};
use crate::wechat::{SubscribeMessage, WechatClient, WxError};
use serde_json::{json, Value};
use sqlx::Row;

/// Truncates to WeChat's `thing` limit (20 characters).
pub fn thing(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 20 {
        s.to_string()
    } else {
        let mut t: String = chars[..19].iter().collect();
        t.push('…');
        t
    }
}

/// `19:30` in China time.
pub fn china_clock(t: Ts) -> String {
    (t + chrono::Duration::hours(8)).format("%H:%M").to_string()
}

/// `2026年12月01日 19:30` in China time.
pub fn china_time(t: Ts) -> String {
    (t + chrono::Duration::hours(8))
        .format("%Y年%m月%d日 %H:%M")
        .to_string()
}

/// The standard four fields: activity, when, where, what happened.
pub fn fields(activity: &str, when: Ts, place: &str, note: &str) -> Value {
    json!({
        "thing1": { "value": thing(activity) },
        "time2": { "value": china_time(when) },
        "thing3": { "value": thing(if place.is_empty() { "详见活动页面" } else { place }) },
        "thing4": { "value": thing(note) },
    })
}

/// Queues a message; the same `dedupe_key` is only ever queued once.
pub async fn enqueue(
    tx: &mut Tx,
    user_id: i64,
    kind: &str,
    dedupe_key: &str,
    page: Option<&str>,
    data: &Value,
    now: &str,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO outbox (user_id, kind, dedupe_key, page, data, next_attempt_at, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$6) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(user_id)
    .bind(kind)
    .bind(dedupe_key)
    .bind(page)
    .bind(data.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The resident allowed these kinds in `wx.requestSubscribeMessage`; one grant, one send.
pub async fn record_grants(db: &Db, user_id: i64, kinds: &[String]) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    for k in kinds {
        sqlx::query(
            "INSERT INTO subscription_grants (user_id, kind, remaining) VALUES ($1, $2, 1) \
             ON CONFLICT (user_id, kind) DO UPDATE SET remaining = subscription_grants.remaining + 1",
        )
        .bind(user_id)
        .bind(k)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    pub sent: usize,
    /// Waiting a little for the resident's permission.
    pub waiting: usize,
    pub retried: usize,
    pub refused: usize,
    pub skipped: usize,
    pub failed: usize,
}

/// Wait before the next try, after `attempts` tries: 30 s, 2 min, 8 min, 32 min.
fn backoff_secs(attempts: i64) -> i64 {
    30 * 4_i64.pow((attempts - 1).clamp(0, 3) as u32)
}

pub const MAX_ATTEMPTS: i64 = 5;

/// How long a message waits for the resident's subscribe permission before it is skipped.
pub const GRANT_GRACE_SECS: i64 = 120;

/// Most messages one pass sends; the rest wait for the next pass.
pub const PASS_LIMIT: usize = 50;

/// One pass of the outbox: claim one due row, send it, record the outcome, and again, until
/// none is due, `PASS_LIMIT` were handled or `stop` is set. Claiming one row at a time means
/// a stopping instance holds at most the one message whose send is under way: everything
/// else stays `pending` for the next worker, on this instance or another.
pub async fn work_outbox(
    db: &Db,
    wechat: &WechatClient,
    templates: &crate::config::Templates,
    worker_id: &str,
    now: Ts,
    stop: &crate::worker::Stop,
) -> ApiResult<PassReport> {
    let started = std::time::Instant::now();
    // Rows whose sender vanished mid-send: their fate is unknown, never send them again.
    sqlx::query(
        "UPDATE outbox SET status = 'unknown', last_error = 'sender stopped during send' \
         WHERE status = 'sending' AND locked_until < $1",
    )
    .bind(time::fmt(now))
    .execute(db.writer())
    .await?;
    // Claim atomically: a row is claimed by exactly one worker. On PostgreSQL a row another
    // worker is claiming is skipped rather than waited for; SQLite has one writer anyway.
    let claim_sql = match db.backend {
        crate::db::Backend::Postgres => {
            "UPDATE outbox SET status = 'sending', locked_by = $1, locked_until = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id"
        }
        crate::db::Backend::Sqlite => {
            "UPDATE outbox SET status = 'sending', locked_by = $1, locked_until = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
             ORDER BY id LIMIT 1) AND status = 'pending' RETURNING id"
        }
    };
    let mut report = PassReport::default();
    for _ in 0..PASS_LIMIT {
        if stop.is_stopped() {
            break;
        }
        // The pass's clock moves on with real time, so a lease always starts at its claim.
        let now = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let now_s = time::fmt(now);
        let Some(id) = sqlx::query_scalar::<_, i64>(claim_sql)
            .bind(worker_id)
            .bind(time::fmt(now + chrono::Duration::seconds(60)))
            .bind(&now_s)
            .fetch_optional(db.writer())
            .await?
        else {
            break;
        };
        let row = sqlx::query(
            "SELECT o.user_id, o.kind, o.page, o.data, o.attempts, o.created_at, u.openid FROM outbox o JOIN users u ON u.id = o.user_id WHERE o.id = $1",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await?;
        let user_id: i64 = row.get("user_id");
        let kind: String = row.get("kind");
        let attempts: i64 = row.get("attempts");
        let openid: Option<String> = row.get("openid");
        let template = templates.id_for(&kind).unwrap_or_default().to_string();
        // One grant, one send: without a remaining grant WeChat would refuse (43101).
        let granted = sqlx::query(
            "UPDATE subscription_grants SET remaining = remaining - 1 WHERE user_id = $1 AND kind = $2 AND remaining > 0",
        )
        .bind(user_id)
        .bind(&kind)
        .execute(db.writer())
        .await?
        .rows_affected()
            == 1;
        // The permission is asked for right after the action that queued the message, so a
        // message without one yet waits a little before it is given up.
        let created = time::parse(&row.get::<String, _>("created_at")).unwrap_or(now);
        let young = now - created < chrono::Duration::seconds(GRANT_GRACE_SECS);
        let (status, err, next): (&str, Option<String>, Option<String>) = match (openid, granted) {
            (None, _) => ("skipped", Some("account deleted".into()), None),
            (_, false) if young => (
                "waiting",
                None,
                Some(time::fmt(now + chrono::Duration::seconds(10))),
            ),
            (_, false) => ("skipped", Some("no subscription grant".into()), None),
            (Some(openid), true) => {
                let data: Value =
                    serde_json::from_str(&row.get::<String, _>("data")).unwrap_or(Value::Null);
                let msg = SubscribeMessage {
                    touser: openid,
                    template_id: template,
                    page: row.get("page"),
                    data,
                    miniprogram_state: None,
                };
                match wechat.send_subscribe(&msg).await {
                    Ok(_) => ("sent", None, None),
                    Err(WxError::Api { errcode, .. }) => match errcode {
                        43101 => ("refused", Some("43101 user refused".into()), None),
                        -1 | 45009 | 45011 | 40001 | 40014 | 42001 if attempts < MAX_ATTEMPTS => (
                            "pending",
                            Some(format!("errcode {errcode}")),
                            Some(time::fmt(
                                now + chrono::Duration::seconds(backoff_secs(attempts)),
                            )),
                        ),
                        code => ("failed", Some(format!("errcode {code}")), None),
                    },
                    // It never reached WeChat: try again later.
                    Err(WxError::Unreached(e)) if attempts < MAX_ATTEMPTS => (
                        "pending",
                        Some(e),
                        Some(time::fmt(
                            now + chrono::Duration::seconds(backoff_secs(attempts)),
                        )),
                    ),
                    Err(WxError::Unreached(e)) => ("failed", Some(e), None),
                    // It may have been sent: never send again.
                    Err(WxError::Transport(e)) => ("unknown", Some(e), None),
                }
            }
        };
        if status == "waiting" {
            // Not an attempt: nothing was sent. Back to pending, the attempt not counted.
            sqlx::query(
                "UPDATE outbox SET status = 'pending', attempts = attempts - 1, next_attempt_at = $1, locked_by = NULL, locked_until = NULL \
                 WHERE id = $2 AND locked_by = $3",
            )
            .bind(next)
            .bind(id)
            .bind(worker_id)
            .execute(db.writer())
            .await?;
            report.waiting += 1;
            continue;
        }
        match status {
            "sent" => report.sent += 1,
            "pending" => report.retried += 1,
            "refused" => report.refused += 1,
            "skipped" => report.skipped += 1,
            _ => report.failed += 1,
        }
        if status == "pending" {
            // Give the grant back: nothing was sent.
            sqlx::query("UPDATE subscription_grants SET remaining = remaining + 1 WHERE user_id = $1 AND kind = $2")
                .bind(user_id)
                .bind(&kind)
                .execute(db.writer())
                .await?;
        }
        sqlx::query(
            "UPDATE outbox SET status = $1, last_error = $2, next_attempt_at = COALESCE($3, next_attempt_at), \
             sent_at = CASE WHEN $1 = 'sent' THEN $4 ELSE sent_at END, locked_by = NULL, locked_until = NULL \
             WHERE id = $5 AND locked_by = $6",
        )
        .bind(status)
        .bind(err)
        .bind(next)
        .bind(&now_s)
        .bind(id)
        .bind(worker_id)
        .execute(db.writer())
        .await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn things_fit_wechat_limits() {
        assert_eq!(thing("短"), "短");
        let long = "一二三四五六七八九十一二三四五六七八九十一二三";
        assert_eq!(thing(long).chars().count(), 20);
    }
    #[test]
    fn china_time_is_utc_plus_8() {
        let t = time::parse("2026-12-01T11:30:00Z").unwrap();
        assert_eq!(china_time(t), "2026年12月01日 19:30");
    }
    #[test]
    fn backoff_grows() {
        assert_eq!(backoff_secs(1), 30);
        assert!(backoff_secs(1) < backoff_secs(2));
        assert_eq!(backoff_secs(10), backoff_secs(4));
    }
}
