//! Passing a booking to someone else (转让) before the cancellation deadline.
//!
//! The holder creates a one-time code (shown once, stored as a hash, valid for
//! [`CODE_MINUTES`] and never past the cancellation deadline). The recipient accepts it: in one
//! transaction the code is used up, the old booking is cancelled (its ticket dies with it), a
//! new confirmed booking is created for the recipient with a fresh ticket, and both are told
//! through the outbox. The seat never returns to the pool, so nobody on the waiting list can
//! take it in between. Two people accepting one code at once: the conditional update on the
//! code decides, one wins. Lock order as in booking.rs: person → session → booking.

use crate::booking::{self, BookingView};
use crate::config::BookingSettings;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::family;
use crate::notify;
use crate::time::{self, Ts};
use poem::http::StatusCode;
use poem_openapi::Object;
use rand::Rng;
use sqlx::Row;

/// How long a transfer code stays valid (capped at the cancellation deadline).
pub const CODE_MINUTES: i64 = 30;
/// Unambiguous characters (no 0/O, 1/I/L): read aloud or typed from a chat without mistakes.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 10;

#[derive(Debug, Clone, Object)]
pub struct TransferCreated {
    /// The one-time code; shown only now. Anyone with it can take the seat until it expires.
    pub code: String,
    pub expires_at: String,
    /// Mini-program page that accepts it (for a share card).
    pub path: String,
    pub booking_id: i64,
}

#[derive(Debug, Clone, Object)]
pub struct TransferPreview {
    /// `open`, `accepted`, `revoked` or `expired`.
    pub status: String,
    pub activity_title: String,
    pub starts_at: String,
    pub ends_at: String,
    pub unit_name: String,
    pub room: String,
    /// The holder's name, masked.
    pub from_name: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, Object, Default)]
pub struct AcceptRequest {
    /// Take the seat for one of my family members instead of myself.
    pub family_member_id: Option<i64>,
    /// Answer the activity's registration questions for yourself (as `answers` of a booking);
    /// left out, the holder's answers move with the seat (D125).
    pub answers: Option<Vec<Vec<String>>>,
}

pub fn new_code() -> String {
    let mut rng = rand::thread_rng();
    (0..CODE_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Codes are typed by people: case and spaces do not matter.
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(|c| c.to_uppercase())
        .collect()
}

fn code_hash(code: &str) -> String {
    crate::identity::hash_secret(&normalize(code))
}

/// When a code made now expires: [`CODE_MINUTES`] from now, never after the deadline. Pure.
pub fn expiry(now: Ts, deadline: Ts) -> Ts {
    (now + chrono::Duration::minutes(CODE_MINUTES)).min(deadline)
}

fn too_late(s: &BookingSettings) -> ApiError {
    ApiError::conflict(
        "transfer_too_late",
        format!("活动开始前 {} 分钟内不能转让", s.cancel_deadline_minutes),
    )
}

/// The booking facts a transfer needs.
struct Held {
    user_id: i64,
    session_id: i64,
    activity_id: i64,
    status: String,
    admitted: bool,
    starts_at: Ts,
    age_min: Option<i64>,
    age_max: Option<i64>,
    title: String,
    unit_name: String,
}

async fn held(db: &Db, booking_id: i64) -> ApiResult<Option<Held>> {
    let r = sqlx::query(
        "SELECT b.user_id, b.session_id, b.activity_id, b.status, b.checked_in_at, s.starts_at, a.age_min, a.age_max, \
         a.title, u.short_name, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM checkins c WHERE c.booking_id = b.id AND c.undone_at IS NULL) AS admitted \
         FROM bookings b JOIN sessions s ON s.id = b.session_id JOIN activities a ON a.id = b.activity_id \
         JOIN org_units u ON u.id = s.unit_id WHERE b.id = $1",
    )
    .bind(booking_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = r else { return Ok(None) };
    Ok(Some(Held {
        user_id: r.get("user_id"),
        session_id: r.get("session_id"),
        activity_id: r.get("activity_id"),
        status: r.get("status"),
        admitted: r.get::<Option<String>, _>("checked_in_at").is_some()
            || r.get::<i64, _>("admitted") > 0,
        starts_at: time::parse(&r.get::<String, _>("starts_at")).ok_or_else(ApiError::internal)?,
        age_min: r.get("age_min"),
        age_max: r.get("age_max"),
        title: r.get("title"),
        unit_name: r.get("short_name"),
    }))
}

/// Whether this booking may be passed on now. Pure.
fn check_transferable(h: &Held, s: &BookingSettings, now: Ts) -> ApiResult<()> {
    if h.admitted {
        return Err(ApiError::conflict(
            "transfer_admitted",
            "已经签到入场的预约不能转让",
        ));
    }
    if h.status != "confirmed" {
        return Err(ApiError::conflict(
            "transfer_not_confirmed",
            "只有预约成功的名额可以转让",
        ));
    }
    if now >= deadline(h, s) {
        return Err(too_late(s));
    }
    Ok(())
}

fn deadline(h: &Held, s: &BookingSettings) -> Ts {
    h.starts_at - chrono::Duration::minutes(s.cancel_deadline_minutes)
}

/// The holder creates a code for one of their bookings; an earlier open code stops working.
pub async fn create(
    db: &Db,
    s: &BookingSettings,
    user_id: i64,
    booking_id: i64,
    now: Ts,
) -> ApiResult<TransferCreated> {
    let h = held(db, booking_id)
        .await?
        .filter(|h| h.user_id == user_id)
        .ok_or_else(|| ApiError::not_found("该预约"))?;
    check_transferable(&h, s, now)?;
    let now_s = time::fmt(now);
    let code = new_code();
    let expires = expiry(now, deadline(&h, s));
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE booking_transfers SET status = 'revoked' WHERE booking_id = $1 AND status = 'open'",
    )
    .bind(booking_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO booking_transfers (booking_id, from_user_id, code_hash, expires_at, created_at) VALUES ($1,$2,$3,$4,$5)",
    )
    .bind(booking_id)
    .bind(user_id)
    .bind(code_hash(&code))
    .bind(time::fmt(expires))
    .bind(&now_s)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(TransferCreated {
        path: format!("pages/transfer/accept?code={code}"),
        code,
        expires_at: time::fmt(expires),
        booking_id,
    })
}

/// The holder takes an open code back.
pub async fn revoke(db: &Db, user_id: i64, booking_id: i64) -> ApiResult<()> {
    let n = sqlx::query(
        "UPDATE booking_transfers SET status = 'revoked' WHERE booking_id = $1 AND from_user_id = $2 AND status = 'open'",
    )
    .bind(booking_id)
    .bind(user_id)
    .execute(db.writer())
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::not_found("该转让码"));
    }
    Ok(())
}

struct Code {
    id: i64,
    booking_id: i64,
    from_user_id: i64,
    status: String,
    expires_at: Ts,
}

async fn find(db: &Db, code: &str) -> ApiResult<Code> {
    let r = sqlx::query(
        "SELECT id, booking_id, from_user_id, status, expires_at FROM booking_transfers WHERE code_hash = $1",
    )
    .bind(code_hash(code))
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "transfer_not_found", "转让码不正确"))?;
    Ok(Code {
        id: r.get("id"),
        booking_id: r.get("booking_id"),
        from_user_id: r.get("from_user_id"),
        status: r.get("status"),
        expires_at: time::parse(&r.get::<String, _>("expires_at"))
            .ok_or_else(ApiError::internal)?,
    })
}

/// What the recipient sees before accepting.
pub async fn preview(db: &Db, code: &str, now: Ts) -> ApiResult<TransferPreview> {
    let c = find(db, code).await?;
    let r = sqlx::query(
        "SELECT a.title, s.starts_at, s.ends_at, u.short_name, s.room, p.display_name FROM bookings b \
         JOIN activities a ON a.id = b.activity_id JOIN sessions s ON s.id = b.session_id \
         JOIN org_units u ON u.id = s.unit_id JOIN users p ON p.id = b.user_id WHERE b.id = $1",
    )
    .bind(c.booking_id)
    .fetch_one(db.pool())
    .await?;
    let status = if c.status == "open" && now >= c.expires_at {
        "expired".to_string()
    } else {
        c.status
    };
    Ok(TransferPreview {
        status,
        activity_title: r.get("title"),
        starts_at: r.get("starts_at"),
        ends_at: r.get("ends_at"),
        unit_name: r.get("short_name"),
        room: r.get("room"),
        from_name: crate::privacy::mask_name(&r.get::<String, _>("display_name")),
        expires_at: time::fmt(c.expires_at),
    })
}

fn used() -> ApiError {
    ApiError::conflict("transfer_used", "这个转让码已被使用或已撤回")
}

/// The recipient accepts: the seat moves to them in one transaction.
pub async fn accept(
    db: &Db,
    s: &BookingSettings,
    user_id: i64,
    code: &str,
    req: &AcceptRequest,
    ticket_key: &[u8],
    now: Ts,
) -> ApiResult<BookingView> {
    let c = find(db, code).await?;
    if c.status != "open" {
        return Err(used());
    }
    if now >= c.expires_at {
        return Err(ApiError::conflict(
            "transfer_expired",
            "转让码已过期，请让对方重新生成",
        ));
    }
    if c.from_user_id == user_id {
        return Err(ApiError::conflict(
            "transfer_to_self",
            "不能接收自己转出的预约",
        ));
    }
    let h = held(db, c.booking_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    if let Err(e) = check_transferable(&h, s, now) {
        // Someone else accepted between our two reads: say so, not that the booking changed.
        return Err(if find(db, code).await?.status != "open" {
            used()
        } else {
            e
        });
    }
    let attendee = family::attendee(
        db,
        user_id,
        req.family_member_id,
        family::china_date(h.starts_at),
    )
    .await?;
    family::check_age(&attendee, h.age_min, h.age_max)?;
    let status = booking::no_show_status(db, s, user_id, now).await?;
    if let Some(until) = &status.suspended_until {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "booking_suspended",
            format!(
                "因爽约次数过多，预约功能暂停至 {}",
                notify::china_time(time::parse(until).unwrap_or(now))
            ),
        )
        .with_details(serde_json::json!({ "suspended_until": until })));
    }

    let now_s = time::fmt(now);
    let mut tx = db.begin().await?;
    // Person first: serialises the recipient's bookings.
    sqlx::query("UPDATE users SET booking_seq = booking_seq + 1 WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let mine: Option<String> = sqlx::query_scalar(
        "SELECT status FROM bookings WHERE session_id = $1 AND attendee_key = $2 AND status <> 'cancelled'",
    )
    .bind(h.session_id)
    .bind(&attendee.key)
    .fetch_optional(&mut *tx)
    .await?;
    if mine.is_some() {
        return Err(ApiError::conflict(
            "already_booked",
            "已经预约了这一场，不能再接收转让",
        ));
    }
    booking::lock_session(&mut tx, h.session_id).await?;
    // The code decides between two people accepting at once: only one update finds it open.
    let took = sqlx::query(
        "UPDATE booking_transfers SET status = 'accepted', accepted_by = $1, accepted_at = $2 WHERE id = $3 AND status = 'open'",
    )
    .bind(user_id)
    .bind(&now_s)
    .bind(c.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if took == 0 {
        return Err(used());
    }
    // The seat stays counted: the old booking ends and the new one takes its place.
    let ended = sqlx::query(
        "UPDATE bookings SET status = 'cancelled', cancelled_at = $1, cancel_reason = '已转让' \
         WHERE id = $2 AND status = 'confirmed' AND checked_in_at IS NULL",
    )
    .bind(&now_s)
    .bind(c.booking_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if ended == 0 {
        return Err(ApiError::conflict(
            "booking_changed",
            "预约状态刚刚发生了变化，请刷新后再试",
        ));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bookings (session_id, activity_id, user_id, family_member_id, attendee_key, status, created_at, confirmed_at) \
         VALUES ($1,$2,$3,$4,$5,'confirmed',$6,$6) RETURNING id",
    )
    .bind(h.session_id)
    .bind(h.activity_id)
    .bind(user_id)
    .bind(attendee.family_member_id)
    .bind(&attendee.key)
    .bind(&now_s)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            ApiError::conflict("already_booked", "已经预约了这一场，不能再接收转让")
        } else {
            e.into()
        }
    })?;
    // The answers go with the seat (D125): moved, or replaced by the recipient's own.
    match &req.answers {
        Some(a) => {
            let a = crate::questions::check_in_tx(&mut tx, h.activity_id, a).await?;
            crate::questions::clear(&mut tx, c.booking_id).await?;
            crate::questions::store(&mut tx, id, &a).await?;
        }
        None => crate::questions::move_answers(&mut tx, c.booking_id, id).await?,
    }
    sqlx::query("UPDATE booking_transfers SET new_booking_id = $1 WHERE id = $2")
        .bind(id)
        .bind(c.id)
        .execute(&mut *tx)
        .await?;
    // A fresh ticket: the new holder's QR code shares nothing with the old one.
    let salt = crate::identity::new_secret();
    sqlx::query(
        "INSERT INTO tickets (booking_id, salt, token_hash, created_at) VALUES ($1,$2,$3,$4)",
    )
    .bind(id)
    .bind(&salt)
    .bind(crate::checkin::token_hash(&crate::checkin::ticket_token(
        ticket_key, &salt,
    )))
    .bind(&now_s)
    .execute(&mut *tx)
    .await?;
    notify::enqueue(
        &mut tx,
        user_id,
        "booking_confirmed",
        &format!("transfer-in:{}", c.id),
        Some(&format!("pages/booking/detail?id={id}")),
        &notify::fields(
            &h.title,
            h.starts_at,
            &h.unit_name,
            "已接收转让的预约，请按时到场",
        ),
        &now_s,
    )
    .await?;
    notify::enqueue(
        &mut tx,
        c.from_user_id,
        "booking_confirmed",
        &format!("transfer-out:{}", c.id),
        Some(&format!("pages/booking/detail?id={}", c.booking_id)),
        &notify::fields(
            &h.title,
            h.starts_at,
            &h.unit_name,
            "预约已转让，原电子票作废",
        ),
        &now_s,
    )
    .await?;
    let view = booking::view_in(&mut tx, s, id).await?;
    tx.commit().await?;
    Ok(view)
}
