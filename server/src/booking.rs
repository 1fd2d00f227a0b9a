//! Booking: seats, waiting lists, lotteries, cancellation, no-shows.
//!
//! The database decides every seat. A seat is taken by one conditional update
//! (`booked = booked + 1 WHERE booked < capacity`) and the person's place by a unique index on
//! (seat pool, attendee) over active bookings, both inside one transaction. Lock order is
//! always person → session → booking, so concurrent book/cancel/promote never deadlock.
//! See docs/booking-rules.md for the rules as a resident reads them.

use crate::activity;
use crate::config::BookingSettings;
use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::family;
use crate::notify;
use crate::rules::{self, NoShowRule};
use crate::time::{self, Ts};
use poem::http::StatusCode;
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct BookingView {
    pub id: i64,
    pub activity_id: i64,
    pub activity_title: String,
    /// The seat pool (for a course: its first lesson).
    pub session_id: i64,
    /// `confirmed`, `waitlisted`, `entered` (lottery registration) or `cancelled`.
    pub status: String,
    /// Place in the waiting list (1 = next).
    pub waitlist_position: Option<i64>,
    pub family_member_id: Option<i64>,
    pub attendee_name: String,
    pub starts_at: String,
    pub ends_at: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub address: String,
    /// GCJ-02, for `wx.openLocation`.
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub room: String,
    pub is_course: bool,
    /// Cancelling is possible until then.
    pub cancel_until: String,
    pub checked_in_at: Option<String>,
    pub created_at: String,
}

/// The seat pool and everything the rules need about it.
#[derive(Debug, Clone)]
pub struct Pool {
    session_id: i64,
    activity_id: i64,
    title: String,
    activity_status: String,
    mode: String,
    is_course: bool,
    age_min: Option<i64>,
    age_max: Option<i64>,
    status: String,
    starts_at: Ts,
    opens_at: Option<Ts>,
    closes_at: Option<Ts>,
    capacity: Option<i64>,
    unit_name: String,
    lottery_drawn: bool,
}

async fn pool_for(db: &Db, session_id: Option<i64>, activity_id: Option<i64>) -> ApiResult<Pool> {
    let activity_id = match (session_id, activity_id) {
        (_, Some(a)) => a,
        (Some(s), None) => sqlx::query_scalar("SELECT activity_id FROM sessions WHERE id = $1")
            .bind(s)
            .fetch_optional(db.pool())
            .await?
            .ok_or_else(|| ApiError::not_found("该场次"))?,
        (None, None) => return Err(ApiError::validation("请指定场次或活动")),
    };
    let r = sqlx::query(
        "SELECT a.title, a.status AS activity_status, a.booking_mode, a.is_course, a.age_min, a.age_max, a.lottery_drawn_at, \
         s.id AS session_id, s.status, s.starts_at, s.booking_opens_at, s.booking_closes_at, s.capacity, u.short_name \
         FROM activities a JOIN sessions s ON s.activity_id = a.id JOIN org_units u ON u.id = s.unit_id \
         WHERE a.id = $1 AND (s.id = $2 OR ($2 IS NULL AND s.lesson_no = 1) OR (a.is_course = 1 AND s.lesson_no = 1)) \
         ORDER BY s.lesson_no LIMIT 1",
    )
    .bind(activity_id)
    .bind(session_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该场次"))?;
    let is_course = r.get::<i64, _>("is_course") != 0;
    // For a course every lesson resolves to the first one: one booking covers the course.
    let session_id: i64 = if is_course {
        sqlx::query_scalar("SELECT id FROM sessions WHERE activity_id = $1 AND lesson_no = 1")
            .bind(activity_id)
            .fetch_one(db.pool())
            .await?
    } else {
        r.get("session_id")
    };
    Ok(Pool {
        session_id,
        activity_id,
        title: r.get("title"),
        activity_status: r.get("activity_status"),
        mode: r.get("booking_mode"),
        is_course,
        age_min: r.get("age_min"),
        age_max: r.get("age_max"),
        status: r.get("status"),
        starts_at: time::parse(&r.get::<String, _>("starts_at")).ok_or_else(ApiError::internal)?,
        opens_at: r
            .get::<Option<String>, _>("booking_opens_at")
            .as_deref()
            .and_then(time::parse),
        closes_at: r
            .get::<Option<String>, _>("booking_closes_at")
            .as_deref()
            .and_then(time::parse),
        capacity: r.get("capacity"),
        unit_name: r.get("short_name"),
        lottery_drawn: r.get::<Option<String>, _>("lottery_drawn_at").is_some(),
    })
}

/// Whether this pool takes bookings now. Pure.
fn check_open(p: &Pool, now: Ts) -> ApiResult<()> {
    if p.activity_status == "cancelled" || p.status == "cancelled" {
        return Err(ApiError::conflict("activity_cancelled", "活动已取消"));
    }
    if p.activity_status != "published" {
        return Err(ApiError::conflict("activity_not_published", "活动尚未发布"));
    }
    if p.mode == "none" || p.capacity.is_none() {
        return Err(ApiError::conflict(
            "no_booking_needed",
            "该活动无需预约，直接到场即可",
        ));
    }
    if let Some(o) = p.opens_at {
        if now < o {
            return Err(ApiError::conflict(
                "booking_not_open",
                format!("预约将于 {} 开始", notify::china_time(o)),
            )
            .with_details(serde_json::json!({ "opens_at": time::fmt(o) })));
        }
    }
    let closes = p.closes_at.unwrap_or(p.starts_at);
    if now >= closes || (p.mode == "lottery" && p.lottery_drawn) {
        return Err(ApiError::conflict("booking_closed", "预约已截止"));
    }
    Ok(())
}

pub fn rule(s: &BookingSettings) -> NoShowRule {
    NoShowRule {
        limit: s.no_show_limit,
        window_days: s.no_show_window_days,
        suspension_days: s.suspension_days,
    }
}

/// Session end times of this account's unwaived no-shows (confirmed, never checked in, ended).
/// Courses are measured by attendance rate instead and do not count here.
pub async fn no_show_times(db: &Db, user_id: i64, now: Ts) -> ApiResult<Vec<Ts>> {
    let ends: Vec<String> = sqlx::query_scalar(
        "SELECT s.ends_at FROM bookings b JOIN sessions s ON s.id = b.session_id JOIN activities a ON a.id = b.activity_id \
         WHERE b.user_id = $1 AND b.status = 'confirmed' AND b.checked_in_at IS NULL AND b.no_show_waived_at IS NULL \
         AND s.ends_at <= $2 AND a.is_course = 0 AND a.status <> 'cancelled' AND s.status <> 'cancelled' ORDER BY s.ends_at",
    )
    .bind(user_id)
    .bind(time::fmt(now))
    .fetch_all(db.pool())
    .await?;
    Ok(ends.iter().filter_map(|e| time::parse(e)).collect())
}

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct NoShowStatus {
    /// No-shows that count towards the next suspension.
    pub count: i64,
    pub limit: i64,
    pub window_days: i64,
    pub suspended_until: Option<String>,
    pub reason: Option<String>,
}

pub async fn no_show_status(
    db: &Db,
    s: &BookingSettings,
    user_id: i64,
    now: Ts,
) -> ApiResult<NoShowStatus> {
    let times = no_show_times(db, user_id, now).await?;
    let r = rule(s);
    let until = rules::suspended_until(&times, now, r);
    Ok(NoShowStatus {
        count: rules::counting_no_shows(&times, now, r),
        limit: r.limit,
        window_days: r.window_days,
        suspended_until: until.map(time::fmt),
        reason: until.map(|_| {
            format!(
                "{} 天内爽约 {} 次，暂停预约 {} 天",
                r.window_days, r.limit, r.suspension_days
            )
        }),
    })
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct BookRequest {
    /// The session to book; for a course any of its lessons (or give `activity_id`).
    pub session_id: Option<i64>,
    pub activity_id: Option<i64>,
    /// Book for a family member instead of yourself.
    pub family_member_id: Option<i64>,
    /// When full, join the waiting list instead of being refused.
    pub join_waitlist: Option<bool>,
    /// Answers to the activity's registration questions, by position: `answers[0]` answers
    /// the first question — the chosen option(s), or the one short text; `[]` skips an
    /// optional question. Missing or invalid answers: `invalid_answers` (422).
    pub answers: Option<Vec<Vec<String>>>,
}

/// Validates an `Idempotency-Key`.
pub fn check_key(k: &str) -> ApiResult<()> {
    if k.is_empty() || k.len() > 100 || !k.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key 应为 1–100 个可见 ASCII 字符",
        ));
    }
    Ok(())
}

/// A stored first answer for this key: the view, or the refusal.
async fn replay(
    db: &Db,
    user_id: i64,
    key: &str,
    op: &str,
) -> ApiResult<Option<ApiResult<BookingView>>> {
    let row = sqlx::query(
        "SELECT operation, status, body FROM idempotency_keys WHERE user_id = $1 AND key = $2",
    )
    .bind(user_id)
    .bind(key)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    if r.get::<String, _>("operation") != op {
        return Err(key_reused());
    }
    let status = r.get::<i64, _>("status") as u16;
    let body: serde_json::Value =
        serde_json::from_str(&r.get::<String, _>("body")).unwrap_or_default();
    if status == 200 {
        Ok(Some(Ok(
            serde_json::from_value(body).map_err(|_| ApiError::internal())?
        )))
    } else {
        let mut e = ApiError::new(
            StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT),
            "replayed",
            body["message"].as_str().unwrap_or("").to_string(),
        );
        e.code = body["code"]
            .as_str()
            .unwrap_or("conflict")
            .to_string()
            .into();
        e.details = body.get("details").cloned().filter(|d| !d.is_null());
        Ok(Some(Err(e)))
    }
}

async fn remember_ok(
    tx: &mut Tx,
    user_id: i64,
    key: &str,
    op: &str,
    v: &BookingView,
    now: &str,
) -> ApiResult<()> {
    sqlx::query("INSERT INTO idempotency_keys (user_id, key, operation, status, body, created_at) VALUES ($1,$2,$3,200,$4,$5)")
        .bind(user_id)
        .bind(key)
        .bind(op)
        .bind(serde_json::to_string(v).unwrap_or_default())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A refusal is remembered too, so a retry answers the same; it changed nothing.
async fn remember_err(db: &Db, user_id: i64, key: &str, op: &str, e: &ApiError, now: &str) {
    let body = serde_json::json!({ "code": e.code, "message": e.message, "details": e.details });
    let _ = sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, operation, status, body, created_at) VALUES ($1,$2,$3,$4,$5,$6) \
         ON CONFLICT (user_id, key) DO NOTHING",
    )
    .bind(user_id)
    .bind(key)
    .bind(op)
    .bind(e.status.as_u16() as i64)
    .bind(body.to_string())
    .bind(now)
    .execute(db.writer())
    .await;
}

async fn with_key<F, Fut>(
    db: &Db,
    seats: Option<&Seats>,
    user_id: i64,
    key: Option<&str>,
    op: &str,
    now: &str,
    f: F,
) -> ApiResult<BookingView>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ApiResult<BookingView>>,
{
    if let Some(k) = key {
        check_key(k)?;
        if let Some(prev) = replay(db, user_id, k, op).await? {
            return prev;
        }
    }
    let res = f().await;
    match (&res, key) {
        (Err(e), Some(k))
            if e.status.is_client_error() && e.status != StatusCode::TOO_MANY_REQUESTS =>
        {
            // Two requests with one key raced: the one that finished first answers for both
            // (this one may have been refused only because of it: `already_cancelled`,
            // `booking_changed`, `idempotency_race`).
            if let Some(prev) = replay(db, user_id, k, op).await? {
                return prev;
            }
            match seats {
                // A rush's refusals are written in batches, not one write each on the
                // single writer (D211); a retry here is answered from `pending` meanwhile.
                Some(seats) if e.code == "session_full" => {
                    seats.remember(user_id, k, op.to_string(), e, now.to_string());
                }
                _ if e.code != "idempotency_race" => {
                    remember_err(db, user_id, k, op, e, now).await;
                }
                _ => {}
            }
        }
        _ => {}
    }
    res
}

/// Seat pools known to be full (D211).
pub type FullSet = crate::full_sessions::FullSessions<Pool>;

/// What the seat rush answers from memory: the full pools, and the refusals given from them,
/// stored against their `Idempotency-Key` in batches rather than one write each (D211).
pub struct Seats {
    pub full: Arc<FullSet>,
    /// At most as many attempts per pool in the write path as it has seats left.
    pub gate: Arc<crate::full_sessions::WriteGate>,
    log: tokio::sync::mpsc::UnboundedSender<Refusal>,
    /// Refusals not yet written: a retry on this instance is answered from here meanwhile.
    pending: Pending,
}

struct Refusal {
    user_id: i64,
    key: String,
    op: String,
    error: ApiError,
    now: String,
}

/// Refusals not yet written, by (person, key): (operation, answer).
type Pending = Arc<Mutex<HashMap<(i64, String), (String, ApiError)>>>;

/// Most refusals written by one statement.
const LOG_BATCH: usize = 200;

impl Seats {
    /// The full set with its change feed, and the refusal log's writer (both end with `db`).
    pub fn start(db: &Db, url: &str) -> Arc<Seats> {
        let full = FullSet::new();
        crate::full_sessions::spawn_feed(full.clone(), db.clone(), url.to_string());
        let (log, rx) = tokio::sync::mpsc::unbounded_channel();
        let pending = Arc::new(Mutex::new(HashMap::new()));
        tokio::spawn(write_refusals(db.clone(), rx, pending.clone()));
        Arc::new(Seats {
            full,
            gate: crate::full_sessions::WriteGate::new(),
            log,
            pending,
        })
    }

    /// A refusal from memory under `key` not yet written: its answer (or the key's misuse).
    fn pending(&self, user_id: i64, key: &str, op: &str) -> Option<ApiResult<BookingView>> {
        let p = self.pending.lock().unwrap();
        let (first_op, e) = p.get(&(user_id, key.to_string()))?;
        Some(Err(if first_op == op {
            e.clone()
        } else {
            key_reused()
        }))
    }

    fn remember(&self, user_id: i64, key: &str, op: String, error: &ApiError, now: String) {
        self.pending
            .lock()
            .unwrap()
            .insert((user_id, key.to_string()), (op.clone(), error.clone()));
        let _ = self.log.send(Refusal {
            user_id,
            key: key.to_string(),
            op,
            error: error.clone(),
            now,
        });
    }
}

/// Writes remembered refusals, up to `LOG_BATCH` a statement, as they come; ends when the
/// service stops. The first answer under a key stays the stored one (`DO NOTHING`).
async fn write_refusals(
    db: Db,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Refusal>,
    pending: Pending,
) {
    let mut batch = Vec::with_capacity(LOG_BATCH);
    while rx.recv_many(&mut batch, LOG_BATCH).await > 0 {
        let mut sql = String::from(
            "INSERT INTO idempotency_keys (user_id, key, operation, status, body, created_at) VALUES ",
        );
        for i in 0..batch.len() {
            let b = i * 6;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${},${},${},${},${},${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6
            ));
        }
        sql.push_str(" ON CONFLICT (user_id, key) DO NOTHING");
        let mut q = sqlx::query(&sql);
        for r in &batch {
            let e = &r.error;
            let body =
                serde_json::json!({ "code": e.code, "message": e.message, "details": e.details });
            q = q
                .bind(r.user_id)
                .bind(r.key.clone())
                .bind(r.op.clone())
                .bind(e.status.as_u16() as i64)
                .bind(body.to_string())
                .bind(r.now.clone());
        }
        if let Err(e) = q.execute(db.writer()).await {
            tracing::warn!(error = %e, n = batch.len(), "could not store refusals under their keys");
        }
        let mut p = pending.lock().unwrap();
        for r in batch.drain(..) {
            p.remove(&(r.user_id, r.key));
        }
    }
}

fn key_reused() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        "这个 Idempotency-Key 已用于另一个操作",
    )
}

fn book_op(req: &BookRequest) -> String {
    format!(
        "book:{:?}:{:?}:{:?}:{}",
        req.session_id,
        req.activity_id,
        req.family_member_id,
        req.join_waitlist.unwrap_or(false)
    )
}

/// The answer to a booking attempt at a pool known to be full, from memory (D211): `None` when
/// the pool is not known full or the request is one memory cannot answer (a family member, the
/// waiting list, an activity id). The checks run in the database path's order — the staff-only
/// gate, the booking window, the age range, "already booked", "full" — except the no-show
/// suspension, which needs a read: at a full pool "full" is answered first. A key that already
/// has an answer replays it; a new refusal is stored under the key like any other, in batches
/// (`Seats::remember`), so no attempt at a full pool writes on its own.
pub async fn known_full(
    db: &Db,
    seats: &Seats,
    caller: &crate::access::Caller,
    req: &BookRequest,
    key: Option<&str>,
    now: Ts,
) -> ApiResult<Option<ApiResult<BookingView>>> {
    let (Some(session_id), None, None) = (req.session_id, req.activity_id, req.family_member_id)
    else {
        return Ok(None);
    };
    if req.join_waitlist.unwrap_or(false) {
        return Ok(None);
    }
    let Some(f) = seats.full.get(session_id) else {
        return Ok(None);
    };
    let refusal = (|| {
        if f.audience == "staff" && !crate::training::may_attend(Some(caller), &f.organizer) {
            return Err(ApiError::not_found("该场次"));
        }
        check_open(&f.pool, now)?;
        let attendee = family::Attendee {
            key: format!("u:{}", caller.user_id),
            family_member_id: None,
            name: String::new(),
            age: None,
        };
        family::check_age(&attendee, f.pool.age_min, f.pool.age_max)?;
        if f.holders.contains(&attendee.key) {
            return Err(already_booked(f.pool.is_course));
        }
        Err(full_refusal(f.waitlisted))
    })();
    if let Some(k) = key {
        check_key(k)?;
        let op = book_op(req);
        if let Some(prev) = seats.pending(caller.user_id, k, &op) {
            return Ok(Some(prev));
        }
        if let Some(prev) = replay(db, caller.user_id, k, &op).await? {
            return Ok(Some(prev));
        }
        if let Err(e) = &refusal {
            seats.remember(caller.user_id, k, op, e, time::fmt(now));
        }
    }
    Ok(Some(refusal))
}

fn full_refusal(waiting: i64) -> ApiError {
    ApiError::conflict("session_full", "名额已满，可以排队候补")
        .with_details(serde_json::json!({ "waitlist_length": waiting }))
}

/// Books a seat, joins the waiting list, or enters the lottery, as the activity's mode says.
pub async fn book(
    db: &Db,
    s: &BookingSettings,
    seats: &Seats,
    user_id: i64,
    req: &BookRequest,
    key: Option<&str>,
    now: Ts,
) -> ApiResult<BookingView> {
    let now_s = time::fmt(now);
    let op = book_op(req);
    if let Some(prev) = key.and_then(|k| seats.pending(user_id, k, &op)) {
        return prev;
    }
    let full = &*seats.full;
    with_key(db, Some(seats), user_id, key, &op, &now_s, || {
        book_once(db, s, full, &seats.gate, user_id, req, key, &op, now)
    })
    .await
}

#[allow(clippy::too_many_arguments)]
async fn book_once(
    db: &Db,
    s: &BookingSettings,
    seats: &FullSet,
    gate: &crate::full_sessions::WriteGate,
    user_id: i64,
    req: &BookRequest,
    key: Option<&str>,
    op: &str,
    now: Ts,
) -> ApiResult<BookingView> {
    let now_s = time::fmt(now);
    let (pool, attendee, _pass) = read_attempt(db, s, seats, gate, user_id, req, now).await?;

    let mut tx = db.begin().await?;
    // In a rush, most attempts that passed the read above were queued behind the winners and
    // find the pool full once they hold the write lock: one statement answers them (holder
    // first, as above) and the transaction ends before any write (issue 18).
    if pool.mode != "lottery" && !req.join_waitlist.unwrap_or(false) {
        let r = sqlx::query(
            "SELECT s.booked, s.waitlisted, s.capacity, CASE WHEN EXISTS (SELECT 1 FROM bookings b \
             WHERE b.session_id = s.id AND b.attendee_key = $2 AND b.status <> 'cancelled') THEN 1 ELSE 0 END AS mine \
             FROM sessions s WHERE s.id = $1",
        )
        .bind(pool.session_id)
        .bind(&attendee.key)
        .fetch_one(&mut *tx)
        .await?;
        let capacity: Option<i64> = r.get("capacity");
        if capacity.is_some_and(|c| r.get::<i64, _>("booked") >= c) {
            if r.get::<i64, _>("mine") == 1 {
                return Err(already_booked(pool.is_course));
            }
            return Err(full_refusal(r.get("waitlisted")));
        }
    }
    // Person first: serialises this account's bookings (limit, idempotency).
    sqlx::query("UPDATE users SET booking_seq = booking_seq + 1 WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if let Some(k) = key {
        let seen: Option<i64> = sqlx::query_scalar(
            "SELECT status FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        )
        .bind(user_id)
        .bind(k)
        .fetch_optional(&mut *tx)
        .await?;
        if seen.is_some() {
            return Err(ApiError::conflict(
                "idempotency_race",
                "请求正在处理，请稍后",
            ));
        }
    }
    let active: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM bookings b JOIN sessions s ON s.id = b.session_id \
         WHERE b.user_id = $1 AND b.status <> 'cancelled' \
         AND (s.ends_at > $2 OR EXISTS (SELECT 1 FROM sessions x WHERE x.activity_id = b.activity_id AND x.ends_at > $2))",
    )
    .bind(user_id)
    .bind(&now_s)
    .fetch_one(&mut *tx)
    .await?;
    if active >= s.max_active_per_person {
        return Err(ApiError::conflict(
            "too_many_bookings",
            format!(
                "同时最多保留 {} 个预约，请先取消不需要的预约",
                s.max_active_per_person
            ),
        ));
    }
    let already: Option<String> = sqlx::query_scalar(
        "SELECT status FROM bookings WHERE session_id = $1 AND attendee_key = $2 AND status <> 'cancelled'",
    )
    .bind(pool.session_id)
    .bind(&attendee.key)
    .fetch_optional(&mut *tx)
    .await?;
    if already.is_some() {
        return Err(already_booked(pool.is_course));
    }
    let answers = crate::questions::check_in_tx(
        &mut tx,
        pool.activity_id,
        req.answers.as_deref().unwrap_or_default(),
    )
    .await?;

    let (status, pos) = if pool.mode == "lottery" {
        ("entered", None)
    } else {
        let took = sqlx::query(
            "UPDATE sessions SET booked = booked + 1 WHERE id = $1 AND booked < capacity",
        )
        .bind(pool.session_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if took {
            ("confirmed", None)
        } else if req.join_waitlist.unwrap_or(false) {
            let pos: i64 = sqlx::query_scalar(
                "UPDATE sessions SET wait_seq = wait_seq + 1, waitlisted = waitlisted + 1 WHERE id = $1 RETURNING wait_seq",
            )
            .bind(pool.session_id)
            .fetch_one(&mut *tx)
            .await?;
            ("waitlisted", Some(pos))
        } else {
            let waiting: i64 = sqlx::query_scalar("SELECT waitlisted FROM sessions WHERE id = $1")
                .bind(pool.session_id)
                .fetch_one(&mut *tx)
                .await?;
            return Err(ApiError::conflict("session_full", "名额已满，可以排队候补")
                .with_details(serde_json::json!({ "waitlist_length": waiting })));
        }
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bookings (session_id, activity_id, user_id, family_member_id, attendee_key, status, waitlist_pos, \
         created_at, confirmed_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
    )
    .bind(pool.session_id)
    .bind(pool.activity_id)
    .bind(user_id)
    .bind(attendee.family_member_id)
    .bind(&attendee.key)
    .bind(status)
    .bind(pos)
    .bind(&now_s)
    .bind((status == "confirmed").then_some(now_s.clone()))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            already_booked(pool.is_course)
        } else {
            e.into()
        }
    })?;
    crate::questions::store(&mut tx, id, &answers).await?;
    let note = match status {
        "confirmed" => "预约成功，请按时到场",
        "waitlisted" => "已加入候补，有空位将自动递补",
        _ => "已报名摇号，请留意开奖结果",
    };
    notify::enqueue(
        &mut tx,
        user_id,
        "booking_confirmed",
        &format!("booked:{id}"),
        Some(&format!("pages/booking/detail?id={id}")),
        &notify::fields(&pool.title, pool.starts_at, &pool.unit_name, note),
        &now_s,
    )
    .await?;
    let view = view_in(&mut tx, s, id).await?;
    if let Some(k) = key {
        remember_ok(&mut tx, user_id, k, op, &view, &now_s).await?;
    }
    tx.commit().await?;
    // A new holder or a longer waiting list changes how a full pool refuses: forget it here
    // at once (other instances hear it from the feed), before the gate's next waiter reads.
    seats.invalidate_session(pool.session_id);
    Ok(view)
}

/// Reads what an attempt is judged by (the pool, who attends, the no-show record), refuses it
/// early when the pool is full, and otherwise waits for a place in the pool's write path
/// (`WriteGate`): the pool, the attendee and the place in the write path, if it took one.
#[allow(clippy::type_complexity)]
async fn read_attempt(
    db: &Db,
    s: &BookingSettings,
    seats: &FullSet,
    gate: &crate::full_sessions::WriteGate,
    user_id: i64,
    req: &BookRequest,
    now: Ts,
) -> ApiResult<(
    Pool,
    family::Attendee,
    Option<crate::full_sessions::GatePass>,
)> {
    // Read before the pool: a change fed back after this point keeps the pool from being
    // marked full from these reads.
    let generation = seats.generation();
    let pool = pool_for(db, req.session_id, req.activity_id).await?;
    check_open(&pool, now)?;
    let attendee = family::attendee(
        db,
        user_id,
        req.family_member_id,
        family::china_date(pool.starts_at),
    )
    .await?;
    family::check_age(&attendee, pool.age_min, pool.age_max)?;
    let status = no_show_status(db, s, user_id, now).await?;
    if let Some(until) = &status.suspended_until {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "booking_suspended",
            format!(
                "因 {} 天内爽约 {} 次，预约功能暂停至 {}",
                s.no_show_window_days,
                s.no_show_limit,
                notify::china_time(time::parse(until).unwrap_or(now))
            ),
        )
        .with_details(serde_json::json!({ "suspended_until": until, "no_shows": status.count })));
    }

    // A full session answers most attempts from one read, without queueing for the write
    // lock; the transaction below still decides every seat, so this can only say "full" early,
    // never give a seat away. While seats are left, no more attempts than seats go on to the
    // write path at once on this instance (`WriteGate`); the others wait in memory for one of
    // them to finish and read again.
    while pool.mode != "lottery" && !req.join_waitlist.unwrap_or(false) {
        let r = sqlx::query("SELECT booked, waitlisted, capacity FROM sessions WHERE id = $1")
            .bind(pool.session_id)
            .fetch_one(db.pool())
            .await?;
        let (booked, waiting, capacity): (i64, i64, Option<i64>) =
            (r.get("booked"), r.get("waitlisted"), r.get("capacity"));
        let Some(capacity) = capacity else {
            return Ok((pool, attendee, None));
        };
        if booked < capacity {
            if let Some(pass) = gate.enter(pool.session_id, capacity - booked).await {
                return Ok((pool, attendee, Some(pass)));
            }
            // Woken when an attempt ahead finished: its answer may have filled the pool.
            if let Some(f) = seats.get(req.session_id.unwrap_or(pool.session_id)) {
                if f.holders.contains(&attendee.key) {
                    return Err(already_booked(pool.is_course));
                }
                return Err(full_refusal(f.waitlisted));
            }
            // Read the seats again (the rules and the person were read above, as for any
            // attempt; a mark made from this read still needs `generation` unchanged).
            continue;
        }
        // Everyone holding a place, read once: it answers this attempt and, remembered,
        // the following ones (D211).
        let holders: Vec<String> = sqlx::query_scalar(
            "SELECT attendee_key FROM bookings WHERE session_id = $1 AND status <> 'cancelled'",
        )
        .bind(pool.session_id)
        .fetch_all(db.pool())
        .await?;
        let mine = holders.contains(&attendee.key);
        if let Some(requested) = req.session_id.filter(|_| seats.is_live()) {
            if let Ok((audience, organizer)) =
                crate::training::audience_of(db, pool.activity_id).await
            {
                seats.put(
                    requested,
                    pool.session_id,
                    generation,
                    crate::full_sessions::FullPool {
                        pool: pool.clone(),
                        activity_id: pool.activity_id,
                        audience,
                        organizer,
                        holders: holders.into_iter().collect(),
                        waitlisted: waiting,
                    },
                );
            }
        }
        // Whoever still waits at the gate hears it now (from the mark, or by reading again).
        gate.wake_all(pool.session_id);
        if mine {
            return Err(already_booked(pool.is_course));
        }
        return Err(full_refusal(waiting));
    }
    Ok((pool, attendee, None))
}

/// A booking with a live check-in: its holder is inside, the seat is theirs.
pub fn already_admitted() -> ApiError {
    ApiError::conflict("already_checked_in", "已签到入场的预约不能取消")
}

fn already_booked(course: bool) -> ApiError {
    ApiError::conflict(
        "already_booked",
        if course {
            "已经预约了这门课程"
        } else {
            "已经预约了这一场"
        },
    )
}

/// Cancels my booking; a freed seat goes to the first person on the waiting list at once.
pub async fn cancel(
    db: &Db,
    s: &BookingSettings,
    user_id: i64,
    booking_id: i64,
    key: Option<&str>,
    now: Ts,
) -> ApiResult<BookingView> {
    let now_s = time::fmt(now);
    let op = format!("cancel:{booking_id}");
    let op_ref = op.as_str();
    let now_ref = now_s.as_str();
    with_key(db, None, user_id, key, op_ref, now_ref, || async move {
        let now_s = now_ref.to_string();
        let (session_id, status, starts_at) = booking_head(db, booking_id, Some(user_id)).await?;
        if status == "cancelled" {
            return Err(ApiError::conflict("already_cancelled", "该预约已取消"));
        }
        let deadline = starts_at - chrono::Duration::minutes(s.cancel_deadline_minutes);
        if status == "confirmed" && now >= deadline {
            return Err(ApiError::conflict(
                "cancel_too_late",
                format!("活动开始前 {} 分钟内不能取消", s.cancel_deadline_minutes),
            ));
        }
        if now >= starts_at {
            return Err(ApiError::conflict(
                "cancel_too_late",
                "活动已经开始，不能取消",
            ));
        }
        let mut tx = db.begin().await?;
        if let Some(k) = key {
            // Person first (the lock order of `book`), then the key: a request with this key
            // that finished meanwhile wins, and this one answers as it did.
            sqlx::query("UPDATE users SET booking_seq = booking_seq + 1 WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let seen: Option<i64> = sqlx::query_scalar(
                "SELECT status FROM idempotency_keys WHERE user_id = $1 AND key = $2",
            )
            .bind(user_id)
            .bind(k)
            .fetch_optional(&mut *tx)
            .await?;
            if seen.is_some() {
                return Err(ApiError::conflict(
                    "idempotency_race",
                    "请求正在处理，请稍后",
                ));
            }
        }
        cancel_in(&mut tx, booking_id, session_id, &status, "本人取消", &now_s).await?;
        let view = view_in(&mut tx, s, booking_id).await?;
        if let Some(k) = key {
            remember_ok(&mut tx, user_id, k, op_ref, &view, &now_s).await?;
        }
        tx.commit().await?;
        Ok(view)
    })
    .await
}

/// (seat pool, status, start) of a booking; with `owner`, only that person's.
async fn booking_head(db: &Db, id: i64, owner: Option<i64>) -> ApiResult<(i64, String, Ts)> {
    let r = sqlx::query(
        "SELECT b.session_id, b.status, b.user_id, s.starts_at FROM bookings b JOIN sessions s ON s.id = b.session_id WHERE b.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该预约"))?;
    if owner.is_some_and(|o| o != r.get::<i64, _>("user_id")) {
        // Someone else's booking does not exist, as far as this caller can tell.
        return Err(ApiError::not_found("该预约"));
    }
    Ok((
        r.get("session_id"),
        r.get("status"),
        time::parse(&r.get::<String, _>("starts_at")).ok_or_else(ApiError::internal)?,
    ))
}

/// Cancels inside `tx`, session row locked first. Fails with `conflict` if the booking
/// changed since it was read.
pub async fn cancel_in(
    tx: &mut Tx,
    booking_id: i64,
    session_id: i64,
    was: &str,
    reason: &str,
    now: &str,
) -> ApiResult<()> {
    lock_session(tx, session_id).await?;
    // `checked_in_at` is set by every admission in the same row update that checks the booking
    // is confirmed (checkin::admit), so a scan and a cancellation at the same instant are
    // ordered on this row: an admitted booking keeps its seat.
    let changed = sqlx::query(
        "UPDATE bookings SET status = 'cancelled', cancelled_at = $1, cancel_reason = $2, waitlist_pos = NULL \
         WHERE id = $3 AND status = $4 AND checked_in_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(booking_id)
    .bind(was)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed == 0 {
        let admitted: Option<Option<String>> =
            sqlx::query_scalar("SELECT checked_in_at FROM bookings WHERE id = $1")
                .bind(booking_id)
                .fetch_optional(&mut **tx)
                .await?;
        if matches!(admitted, Some(Some(_))) {
            return Err(already_admitted());
        }
        return Err(ApiError::conflict(
            "booking_changed",
            "预约状态刚刚发生了变化，请刷新后再试",
        ));
    }
    match was {
        "confirmed" => {
            sqlx::query("UPDATE sessions SET booked = booked - 1 WHERE id = $1")
                .bind(session_id)
                .execute(&mut **tx)
                .await?;
            promote(tx, session_id, now).await?;
        }
        "waitlisted" => {
            sqlx::query("UPDATE sessions SET waitlisted = waitlisted - 1 WHERE id = $1")
                .bind(session_id)
                .execute(&mut **tx)
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Takes the session row lock (a no-op update works on both databases).
pub async fn lock_session(tx: &mut Tx, session_id: i64) -> ApiResult<()> {
    sqlx::query("UPDATE sessions SET booked = booked WHERE id = $1")
        .bind(session_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Fills free seats from the waiting list, first in line first. Session must be locked.
pub async fn promote(tx: &mut Tx, session_id: i64, now: &str) -> ApiResult<usize> {
    let mut promoted = 0;
    loop {
        let next = sqlx::query(
            "SELECT b.id, b.user_id, a.title, s.starts_at, u.short_name FROM bookings b \
             JOIN sessions s ON s.id = b.session_id JOIN activities a ON a.id = b.activity_id JOIN org_units u ON u.id = s.unit_id \
             WHERE b.session_id = $1 AND b.status = 'waitlisted' ORDER BY b.waitlist_pos, b.id LIMIT 1",
        )
        .bind(session_id)
        .fetch_optional(&mut **tx)
        .await?;
        let Some(next) = next else { break };
        let took = sqlx::query(
            "UPDATE sessions SET booked = booked + 1, waitlisted = waitlisted - 1 WHERE id = $1 AND booked < capacity",
        )
        .bind(session_id)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1;
        if !took {
            break;
        }
        let id: i64 = next.get("id");
        sqlx::query("UPDATE bookings SET status = 'confirmed', confirmed_at = $1, waitlist_pos = NULL WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        let starts =
            time::parse(&next.get::<String, _>("starts_at")).unwrap_or_else(chrono::Utc::now);
        notify::enqueue(
            tx,
            next.get("user_id"),
            "waitlist_promoted",
            &format!("promoted:{id}"),
            Some(&format!("pages/booking/detail?id={id}")),
            &notify::fields(
                &next.get::<String, _>("title"),
                starts,
                &next.get::<String, _>("short_name"),
                "候补成功，已为您保留名额",
            ),
            now,
        )
        .await?;
        promoted += 1;
    }
    Ok(promoted)
}

const VIEW_SQL: &str = "SELECT b.id, b.activity_id, a.title, b.session_id, b.status, b.waitlist_pos, b.family_member_id, \
     f.name AS member_name, s.starts_at, s.ends_at, s.unit_id, u.short_name, u.address, u.lng, u.lat, s.room, a.is_course, \
     b.checked_in_at, b.created_at, \
     (SELECT CAST(COUNT(*) AS BIGINT) FROM bookings w WHERE w.session_id = b.session_id AND w.status = 'waitlisted' \
        AND w.waitlist_pos < b.waitlist_pos) AS ahead, \
     (SELECT MAX(x.ends_at) FROM sessions x WHERE x.activity_id = b.activity_id) AS last_end \
     FROM bookings b JOIN activities a ON a.id = b.activity_id JOIN sessions s ON s.id = b.session_id \
     JOIN org_units u ON u.id = s.unit_id LEFT JOIN family_members f ON f.id = b.family_member_id";

fn view_from(r: &sqlx::any::AnyRow, s: &BookingSettings) -> BookingView {
    let status: String = r.get("status");
    let starts_at: String = r.get("starts_at");
    let cancel_until = time::parse(&starts_at)
        .map(|t| {
            time::fmt(
                t - chrono::Duration::minutes(if status == "confirmed" {
                    s.cancel_deadline_minutes
                } else {
                    0
                }),
            )
        })
        .unwrap_or_default();
    let is_course = r.get::<i64, _>("is_course") != 0;
    BookingView {
        id: r.get("id"),
        activity_id: r.get("activity_id"),
        activity_title: r.get("title"),
        session_id: r.get("session_id"),
        waitlist_position: (status == "waitlisted").then(|| r.get::<i64, _>("ahead") + 1),
        status,
        family_member_id: r.get("family_member_id"),
        attendee_name: r
            .get::<Option<String>, _>("member_name")
            .unwrap_or_else(|| "本人".into()),
        starts_at,
        // For a course, the end of its last lesson.
        ends_at: if is_course {
            r.get("last_end")
        } else {
            r.get("ends_at")
        },
        unit_id: r.get("unit_id"),
        unit_name: r.get("short_name"),
        address: r.get("address"),
        lng: r.get("lng"),
        lat: r.get("lat"),
        room: r.get("room"),
        is_course,
        cancel_until,
        checked_in_at: r.get("checked_in_at"),
        created_at: r.get("created_at"),
    }
}

pub(crate) async fn view_in(tx: &mut Tx, s: &BookingSettings, id: i64) -> ApiResult<BookingView> {
    let r = sqlx::query(&format!("{VIEW_SQL} WHERE b.id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(view_from(&r, s))
}

pub async fn view(db: &Db, s: &BookingSettings, id: i64, owner: i64) -> ApiResult<BookingView> {
    let r = sqlx::query(&format!("{VIEW_SQL} WHERE b.id = $1 AND b.user_id = $2"))
        .bind(id)
        .bind(owner)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该预约"))?;
    Ok(view_from(&r, s))
}

/// My bookings, upcoming first then past, newest first within each.
pub async fn mine(
    db: &Db,
    s: &BookingSettings,
    user_id: i64,
    now: &str,
) -> ApiResult<Vec<BookingView>> {
    let rows = sqlx::query(&format!(
        "{VIEW_SQL} WHERE b.user_id = $1 ORDER BY CASE WHEN s.ends_at > $2 THEN 0 ELSE 1 END, s.starts_at, b.id LIMIT 200"
    ))
    .bind(user_id)
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(|r| view_from(r, s)).collect())
}

/// My status on a set of seat pools: session → (booking id, status).
pub async fn my_status(
    db: &Db,
    user_id: i64,
    session_ids: &[i64],
) -> ApiResult<std::collections::HashMap<i64, (i64, String)>> {
    if session_ids.is_empty() {
        return Ok(Default::default());
    }
    let list = session_ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let rows = sqlx::query(&format!(
        "SELECT id, session_id, status FROM bookings WHERE user_id = $1 AND status <> 'cancelled' AND session_id IN ({list}) ORDER BY id"
    ))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get("session_id"), (r.get("id"), r.get("status"))))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Staff side.

/// Cancels an activity: every active booking is cancelled and its holder told.
pub async fn cancel_activity(
    db: &Db,
    activity_id: i64,
    reason: &str,
    now: Ts,
    audit: crate::audit::Entry<'_>,
) -> ApiResult<usize> {
    let now_s = time::fmt(now);
    let h = activity::head(db, activity_id).await?;
    if h.status == "cancelled" {
        return Err(ApiError::conflict("activity_cancelled", "活动已取消"));
    }
    let mut tx = db.begin().await?;
    let changed = sqlx::query(
        "UPDATE activities SET status = 'cancelled', cancel_reason = $1, updated_at = $2 WHERE id = $3 AND status <> 'cancelled'",
    )
    .bind(reason)
    .bind(&now_s)
    .bind(activity_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(ApiError::conflict("activity_cancelled", "活动已取消"));
    }
    let sessions: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM sessions WHERE activity_id = $1 ORDER BY id")
            .bind(activity_id)
            .fetch_all(&mut *tx)
            .await?;
    for sid in &sessions {
        lock_session(&mut tx, *sid).await?;
    }
    let rows = sqlx::query(
        "SELECT b.id, b.user_id, s.starts_at, u.short_name FROM bookings b JOIN sessions s ON s.id = b.session_id \
         JOIN org_units u ON u.id = s.unit_id WHERE b.activity_id = $1 AND b.status <> 'cancelled'",
    )
    .bind(activity_id)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE bookings SET status = 'cancelled', cancelled_at = $1, cancel_reason = $2, waitlist_pos = NULL \
         WHERE activity_id = $3 AND status <> 'cancelled'",
    )
    .bind(&now_s)
    .bind(format!("活动取消：{reason}"))
    .bind(activity_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE sessions SET booked = 0, waitlisted = 0, status = 'cancelled' WHERE activity_id = $1")
        .bind(activity_id)
        .execute(&mut *tx)
        .await?;
    // Cancelling frees the rooms.
    crate::rooms::free_activity(&mut tx, activity_id).await?;
    for r in &rows {
        let id: i64 = r.get("id");
        let starts = time::parse(&r.get::<String, _>("starts_at")).unwrap_or(now);
        notify::enqueue(
            &mut tx,
            r.get("user_id"),
            "activity_changed",
            &format!("activity-cancelled:{id}"),
            Some(&format!("pages/activity/detail?id={activity_id}")),
            &notify::fields(
                &h.title,
                starts,
                &r.get::<String, _>("short_name"),
                &format!("活动取消：{reason}"),
            ),
            &now_s,
        )
        .await?;
    }
    let audit = crate::audit::Entry {
        detail: format!("{}（{} 个预约）", audit.detail, rows.len()),
        ..audit
    };
    crate::audit::record(&mut tx, &now_s, audit).await?;
    tx.commit().await?;
    Ok(rows.len())
}

#[derive(Debug, Clone, Object, Deserialize, Serialize)]
pub struct SessionPatch {
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub capacity: Option<i64>,
    /// A room of the session's unit by name (see `NewSession::room`), or with `outside` the
    /// place outside the unit.
    #[oai(validator(max_length = 40))]
    pub room: Option<String>,
    /// A room of the session's unit.
    pub room_id: Option<i64>,
    pub outside: Option<bool>,
    /// Why the session has more seats than its room holds; required when it has.
    #[oai(validator(max_length = 200))]
    pub capacity_reason: Option<String>,
}

/// Changes a session. Capacity may not go below seats already taken; more capacity is filled
/// from the waiting list; a new time or room is told to everyone booked.
pub async fn update_session(
    db: &Db,
    session_id: i64,
    p: &SessionPatch,
    now: Ts,
    audit: crate::audit::Entry<'_>,
) -> ApiResult<()> {
    let now_s = time::fmt(now);
    let r = sqlx::query(
        "SELECT s.starts_at, s.ends_at, s.capacity, s.booked, s.room, s.room_id, s.outside, s.capacity_reason, s.unit_id, \
         a.title, a.status, a.id AS activity_id, u.short_name FROM sessions s JOIN activities a ON a.id = s.activity_id JOIN org_units u ON u.id = s.unit_id WHERE s.id = $1",
    )
    .bind(session_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该场次"))?;
    if r.get::<String, _>("status") == "cancelled" {
        return Err(ApiError::conflict("activity_cancelled", "活动已取消"));
    }
    let old_start = time::parse(&r.get::<String, _>("starts_at")).ok_or_else(ApiError::internal)?;
    let old_end = time::parse(&r.get::<String, _>("ends_at")).ok_or_else(ApiError::internal)?;
    let start = match &p.starts_at {
        Some(t) => time::parse(t).ok_or_else(|| ApiError::validation("开始时间格式不正确"))?,
        None => old_start,
    };
    let end = match &p.ends_at {
        Some(t) => time::parse(t).ok_or_else(|| ApiError::validation("结束时间格式不正确"))?,
        None => old_end,
    };
    if (p.starts_at.is_some() || p.ends_at.is_some()) && start <= now {
        return Err(ApiError::validation("新的开始时间已经过去"));
    }
    if end <= start {
        return Err(ApiError::validation("结束时间应晚于开始时间"));
    }
    let old_cap: Option<i64> = r.get("capacity");
    if let Some(c) = p.capacity {
        if old_cap.is_none() {
            return Err(ApiError::validation("无需预约的场次不设名额"));
        }
        if !(0..=100_000).contains(&c) {
            return Err(ApiError::validation("名额无效"));
        }
    }
    // The place: as asked, or as it was (its room's capacity is checked again either way).
    let replace = p.room_id.is_some() || p.room.is_some() || p.outside.is_some();
    let old_reason: String = r.get("capacity_reason");
    let old_label: String = r.get("room");
    let old_outside = r.get::<i64, _>("outside") != 0;
    let ask = crate::rooms::PlaceAsk {
        room_id: if replace { p.room_id } else { r.get("room_id") },
        room: Some(if replace {
            p.room.as_deref().unwrap_or_default()
        } else {
            &old_label
        }),
        // A new text for an outside place stays outside unless a room is named.
        outside: p.outside.unwrap_or(old_outside && p.room_id.is_none()),
        capacity: p.capacity.or(old_cap),
        capacity_reason: Some(p.capacity_reason.as_deref().unwrap_or(&old_reason)),
    };
    let place = if replace || p.capacity.is_some() || p.capacity_reason.is_some() {
        Some(crate::rooms::resolve(db, r.get("unit_id"), &ask, "该场次").await?)
    } else {
        None
    };
    let mut tx = db.begin().await?;
    lock_session(&mut tx, session_id).await?;
    if let Some(c) = p.capacity {
        let booked: i64 = sqlx::query_scalar("SELECT booked FROM sessions WHERE id = $1")
            .bind(session_id)
            .fetch_one(&mut *tx)
            .await?;
        if c < booked {
            return Err(ApiError::conflict(
                "capacity_below_bookings",
                format!("已有 {booked} 人预约，名额不能少于 {booked}"),
            )
            .with_details(serde_json::json!({ "booked": booked })));
        }
    }
    sqlx::query(
        "UPDATE sessions SET starts_at = $1, ends_at = $2, capacity = COALESCE($3, capacity), room = COALESCE($4, room), \
         booking_closes_at = CASE WHEN booking_closes_at > $1 THEN $1 ELSE booking_closes_at END WHERE id = $5",
    )
    .bind(time::fmt(start))
    .bind(time::fmt(end))
    .bind(p.capacity)
    .bind(place.as_ref().map(|x| x.label.clone()))
    .bind(session_id)
    .execute(&mut *tx)
    .await?;
    if let Some(place) = &place {
        sqlx::query(
            "UPDATE sessions SET room_id = $1, outside = $2, capacity_reason = $3 WHERE id = $4",
        )
        .bind(place.room_id)
        .bind(place.outside as i64)
        .bind(&place.capacity_reason)
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
    }
    // Moving the session moves its calendar entry; a clash refuses the whole change.
    crate::rooms::sync_session(&mut tx, session_id, &now_s).await?;
    if p.capacity.is_some_and(|c| Some(c) > old_cap) {
        promote(&mut tx, session_id, &now_s).await?;
    }
    let moved = start != old_start
        || place.as_ref().is_some_and(|x| {
            x.label != old_label || x.room_id != r.get::<Option<i64>, _>("room_id")
        });
    if moved && r.get::<String, _>("status") == "published" {
        let holders = sqlx::query(
            // A course's bookings sit on its first lesson; a change to any lesson concerns them all.
            "SELECT b.id, b.user_id FROM bookings b JOIN activities a ON a.id = b.activity_id JOIN sessions s ON s.id = $1 \
             WHERE b.status <> 'cancelled' AND (b.session_id = $1 OR (a.is_course = 1 AND b.activity_id = s.activity_id))",
        )
        .bind(session_id)
        .fetch_all(&mut *tx)
        .await?;
        let change_no: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE kind = 'activity_changed'",
        )
        .fetch_one(&mut *tx)
        .await?;
        for h in holders {
            let id: i64 = h.get("id");
            notify::enqueue(
                &mut tx,
                h.get("user_id"),
                "activity_changed",
                &format!("session-changed:{id}:{change_no}"),
                Some(&format!("pages/booking/detail?id={id}")),
                &notify::fields(
                    &r.get::<String, _>("title"),
                    start,
                    &r.get::<String, _>("short_name"),
                    "活动时间或地点有变化",
                ),
                &now_s,
            )
            .await?;
        }
    }
    crate::audit::record(&mut tx, &now_s, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// Staff waive a no-show (for example an illness); recorded with the reason.
pub async fn waive_no_show(
    tx: &mut Tx,
    booking_id: i64,
    by: i64,
    reason: &str,
    now: &str,
) -> ApiResult<()> {
    let changed = sqlx::query(
        "UPDATE bookings SET no_show_waived_at = $1, no_show_waive_reason = $2, no_show_waived_by = $3 \
         WHERE id = $4 AND status = 'confirmed' AND checked_in_at IS NULL AND no_show_waived_at IS NULL \
         AND session_id IN (SELECT id FROM sessions WHERE ends_at <= $1)",
    )
    .bind(now)
    .bind(reason)
    .bind(by)
    .bind(booking_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(ApiError::conflict(
            "not_a_no_show",
            "这条预约不是爽约记录，或已被免除",
        ));
    }
    Ok(())
}

/// Unit path of a booking's place, for authorization of staff actions on it.
pub async fn booking_unit(db: &Db, booking_id: i64) -> ApiResult<crate::access::UnitRef> {
    let r = sqlx::query("SELECT s.unit_id, s.unit_path FROM bookings b JOIN sessions s ON s.id = b.session_id WHERE b.id = $1")
        .bind(booking_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该预约"))?;
    Ok(crate::access::UnitRef {
        id: r.get("unit_id"),
        path: r.get("unit_path"),
    })
}

// ---------------------------------------------------------------------------------------------
// Lottery.

/// Runs every draw that is due: reproducible from the published seed and the entry ids.
pub async fn run_due_draws(db: &Db, now: Ts) -> ApiResult<usize> {
    let now_s = time::fmt(now);
    let due: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM activities WHERE booking_mode = 'lottery' AND status = 'published' \
         AND lottery_drawn_at IS NULL AND lottery_draw_at <= $1",
    )
    .bind(&now_s)
    .fetch_all(db.pool())
    .await?;
    let mut done = 0;
    for id in due {
        if draw(db, id, now).await? {
            done += 1;
        }
    }
    Ok(done)
}

/// One draw. Returns false when another worker drew it first.
pub async fn draw(db: &Db, activity_id: i64, now: Ts) -> ApiResult<bool> {
    let now_s = time::fmt(now);
    let mut tx = db.begin().await?;
    let claimed = sqlx::query(
        "UPDATE activities SET lottery_drawn_at = $1 WHERE id = $2 AND lottery_drawn_at IS NULL",
    )
    .bind(&now_s)
    .bind(activity_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !claimed {
        return Ok(false);
    }
    let a = sqlx::query(
        "SELECT a.title, a.lottery_seed, s.id AS session_id, s.capacity, s.starts_at, u.short_name FROM activities a \
         JOIN sessions s ON s.activity_id = a.id AND s.lesson_no = 1 JOIN org_units u ON u.id = s.unit_id WHERE a.id = $1",
    )
    .bind(activity_id)
    .fetch_one(&mut *tx)
    .await?;
    let session_id: i64 = a.get("session_id");
    let seed: String = a
        .get::<Option<String>, _>("lottery_seed")
        .ok_or_else(ApiError::internal)?;
    let capacity: i64 = a.get::<Option<i64>, _>("capacity").unwrap_or(0);
    lock_session(&mut tx, session_id).await?;
    let entries = sqlx::query(
        "SELECT id, user_id FROM bookings WHERE session_id = $1 AND status = 'entered'",
    )
    .bind(session_id)
    .fetch_all(&mut *tx)
    .await?;
    let owner: std::collections::HashMap<i64, i64> = entries
        .iter()
        .map(|r| (r.get("id"), r.get("user_id")))
        .collect();
    let ids: Vec<i64> = owner.keys().copied().collect();
    let order = rules::lottery_order(&seed, &ids);
    // The entrant list the record publishes: exactly these entries, frozen with the draw.
    sqlx::query("UPDATE activities SET lottery_entries = $1 WHERE id = $2")
        .bind(serde_json::to_string(&order).unwrap_or_default())
        .bind(activity_id)
        .execute(&mut *tx)
        .await?;
    let starts = time::parse(&a.get::<String, _>("starts_at")).unwrap_or(now);
    let title: String = a.get("title");
    let place: String = a.get("short_name");
    let (mut won, mut waiting) = (0i64, 0i64);
    for id in order {
        let (status, pos, note) = if won < capacity {
            won += 1;
            ("confirmed", None, "恭喜中签，已为您保留名额")
        } else {
            waiting += 1;
            ("waitlisted", Some(waiting), "未中签，已按抽签顺序进入候补")
        };
        sqlx::query("UPDATE bookings SET status = $1, waitlist_pos = $2, confirmed_at = CASE WHEN $1 = 'confirmed' THEN $3 ELSE NULL END WHERE id = $4")
            .bind(status)
            .bind(pos)
            .bind(&now_s)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        notify::enqueue(
            &mut tx,
            owner[&id],
            "lottery_result",
            &format!("lottery:{id}"),
            Some(&format!("pages/booking/detail?id={id}")),
            &notify::fields(&title, starts, &place, note),
            &now_s,
        )
        .await?;
    }
    sqlx::query("UPDATE sessions SET booked = booked + $1, waitlisted = waitlisted + $2, wait_seq = wait_seq + $2 WHERE id = $3")
        .bind(won)
        .bind(waiting)
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// The public record of a lottery: commitment, seed (after the draw), and entry ids with
/// their outcome, so anyone can recompute the order.
#[derive(Debug, Clone, Object, Serialize)]
pub struct LotteryRecord {
    pub activity_id: i64,
    pub capacity: i64,
    pub draw_at: Option<String>,
    pub seed_sha256: Option<String>,
    pub seed: Option<String>,
    pub drawn_at: Option<String>,
    /// Entry ids in drawn order (after the draw), or in entry order (before).
    pub entries: Vec<i64>,
    pub algorithm: String,
}

pub async fn lottery_record(db: &Db, activity_id: i64) -> ApiResult<LotteryRecord> {
    let a = sqlx::query(
        "SELECT a.booking_mode, a.lottery_draw_at, a.lottery_seed_hash, a.lottery_seed, a.lottery_drawn_at, a.lottery_entries, \
         s.id AS session_id, s.capacity \
         FROM activities a JOIN sessions s ON s.activity_id = a.id AND s.lesson_no = 1 WHERE a.id = $1",
    )
    .bind(activity_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该活动"))?;
    if a.get::<String, _>("booking_mode") != "lottery" {
        return Err(ApiError::not_found("该活动的摇号记录"));
    }
    let drawn: Option<String> = a.get("lottery_drawn_at");
    let seed: Option<String> = if drawn.is_some() {
        a.get("lottery_seed")
    } else {
        None
    };
    // Before the draw: current entries. After it: the entrant list frozen by the draw's own
    // transaction — everyone who took part, including those who cancelled later (their place
    // in the order is part of what is checked), and nobody who cancelled before it.
    let frozen: Option<Vec<i64>> = a
        .get::<Option<String>, _>("lottery_entries")
        .and_then(|j| serde_json::from_str(&j).ok());
    let ids: Vec<i64> = match (&drawn, frozen) {
        (Some(_), Some(ids)) => ids,
        (None, _) => sqlx::query_scalar("SELECT id FROM bookings WHERE session_id = $1 AND status = 'entered' ORDER BY id")
            .bind(a.get::<i64, _>("session_id"))
            .fetch_all(db.pool())
            .await?,
        // Draws made before the list was kept: rebuilt from timestamps (to the second).
        (Some(d), None) => sqlx::query_scalar(
            "SELECT id FROM bookings WHERE session_id = $1 AND created_at <= $2 AND (cancelled_at IS NULL OR cancelled_at >= $2) ORDER BY id",
        )
        .bind(a.get::<i64, _>("session_id"))
        .bind(d)
        .fetch_all(db.pool())
        .await?,
    };
    let entries = match &seed {
        Some(s) => rules::lottery_order(s, &ids),
        None => ids,
    };
    Ok(LotteryRecord {
        activity_id,
        capacity: a.get::<Option<i64>, _>("capacity").unwrap_or(0),
        draw_at: a.get("lottery_draw_at"),
        seed_sha256: a.get("lottery_seed_hash"),
        seed,
        drawn_at: drawn,
        entries,
        algorithm: "entries sorted by hex(SHA-256(seed + \":\" + entry_id)); the first `capacity` win, the rest wait in that order".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(now: Ts) -> Pool {
        Pool {
            session_id: 1,
            activity_id: 1,
            title: "t".into(),
            activity_status: "published".into(),
            mode: "fcfs".into(),
            is_course: false,
            age_min: None,
            age_max: None,
            status: "scheduled".into(),
            starts_at: now + chrono::Duration::days(2),
            opens_at: Some(now - chrono::Duration::hours(1)),
            closes_at: None,
            capacity: Some(10),
            unit_name: "x".into(),
            lottery_drawn: false,
        }
    }

    #[test]
    fn window_rules() {
        let now = chrono::Utc::now();
        assert!(check_open(&pool(now), now).is_ok());
        let mut p = pool(now);
        p.opens_at = Some(now + chrono::Duration::hours(1));
        assert_eq!(check_open(&p, now).unwrap_err().code, "booking_not_open");
        let mut p = pool(now);
        p.closes_at = Some(now - chrono::Duration::minutes(1));
        assert_eq!(check_open(&p, now).unwrap_err().code, "booking_closed");
        let mut p = pool(now);
        p.mode = "none".into();
        assert_eq!(check_open(&p, now).unwrap_err().code, "no_booking_needed");
        let mut p = pool(now);
        p.activity_status = "draft".into();
        assert_eq!(
            check_open(&p, now).unwrap_err().code,
            "activity_not_published"
        );
        let mut p = pool(now);
        p.mode = "lottery".into();
        p.lottery_drawn = true;
        assert_eq!(check_open(&p, now).unwrap_err().code, "booking_closed");
    }

    #[test]
    fn keys_are_checked() {
        assert!(check_key("abc-123").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("有中文").is_err());
        assert!(check_key(&"x".repeat(101)).is_err());
    }
}
