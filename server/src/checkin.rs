//! Tickets and check-in at the door: scanning (online and synced from offline phones), undo,
//! staff look-up, walk-in head counts, self check-in, attendance, volunteer service hours.
//!
//! The database decides admissions: one live check-in per booking per session, enforced by a
//! unique index, so two volunteers scanning one ticket at the same moment admit it once.

use crate::access::{self, Action, Caller, UnitRef};
use crate::db::{Backend, Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::privacy::mask_name;
use crate::time::{self, Ts};
use base64::Engine;
use hmac::{Hmac, Mac};
use poem::http::StatusCode;
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

// ---------------------------------------------------------------------------------------------
// Tokens.

/// Length of a ticket token: 32 bytes of HMAC-SHA256 in unpadded base64url.
pub const TOKEN_LEN: usize = 43;

/// The QR token of a ticket: HMAC-SHA256(key, "ticket:" + salt), 256 bits, never a booking id.
pub fn ticket_token(key: &[u8], salt: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"ticket:");
    mac.update(salt.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Accepts exactly the shape tokens have; everything else is "not recognised".
pub fn decode_token(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != TOKEN_LEN
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()?;
    let arr: [u8; 32] = bytes.try_into().ok()?;
    // Canonical form only: re-encoding must give the same text.
    (base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(arr) == s).then_some(arr)
}

/// What is stored and what offline check-in lists carry: SHA-256 of the token text, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// The ticket key: from settings, or (embedded default) generated once and kept in the database.
pub async fn load_ticket_key(db: &Db, configured: &str) -> ApiResult<Vec<u8>> {
    if !configured.is_empty() {
        return Ok(configured.as_bytes().to_vec());
    }
    // Insert-or-get: instances starting at the same moment on an empty database all end up
    // with the one key that was stored first.
    sqlx::query(
        "INSERT INTO server_secrets (name, value) VALUES ('ticket_key', $1) ON CONFLICT (name) DO NOTHING",
    )
    .bind(crate::identity::new_secret())
    .execute(db.writer())
    .await?;
    let key: String =
        sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = 'ticket_key'")
            .fetch_one(db.writer())
            .await?;
    Ok(key.into_bytes())
}

/// The ticket's token for a booking, creating the ticket on first use.
pub async fn ensure_ticket(db: &Db, key: &[u8], booking_id: i64, now: &str) -> ApiResult<String> {
    let salt: Option<String> = sqlx::query_scalar("SELECT salt FROM tickets WHERE booking_id = $1")
        .bind(booking_id)
        .fetch_optional(db.pool())
        .await?;
    if let Some(s) = salt {
        return Ok(ticket_token(key, &s));
    }
    let salt = crate::identity::new_secret();
    let token = ticket_token(key, &salt);
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO tickets (booking_id, salt, token_hash, created_at) VALUES ($1,$2,$3,$4) ON CONFLICT (booking_id) DO NOTHING")
        .bind(booking_id)
        .bind(&salt)
        .bind(token_hash(&token))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    // Another request may have created it first: read back what is stored.
    let salt: String = sqlx::query_scalar("SELECT salt FROM tickets WHERE booking_id = $1")
        .bind(booking_id)
        .fetch_one(db.pool())
        .await?;
    Ok(ticket_token(key, &salt))
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Ticket {
    pub booking_id: i64,
    /// Opaque token carried by the QR code.
    pub token: String,
    pub qr_png_base64: String,
    pub qr_svg: String,
    pub holder_masked: String,
    pub is_family_member: bool,
    pub activity_title: String,
    pub starts_at: String,
    pub ends_at: String,
    pub unit_name: String,
    pub address: String,
    pub room: String,
    pub status: String,
}

pub fn qr_png(token: &str) -> ApiResult<Vec<u8>> {
    let code = qrcode::QrCode::with_error_correction_level(token.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| ApiError::internal())?;
    let img = code
        .render::<image::Luma<u8>>()
        .min_dimensions(360, 360)
        .quiet_zone(true)
        .build();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|_| ApiError::internal())?;
    Ok(out.into_inner())
}

pub fn qr_svg(token: &str) -> ApiResult<String> {
    let code = qrcode::QrCode::with_error_correction_level(token.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| ApiError::internal())?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

pub async fn ticket(
    db: &Db,
    key: &[u8],
    owner: i64,
    booking_id: i64,
    now: &str,
) -> ApiResult<Ticket> {
    let r = sqlx::query(
        "SELECT b.status, b.family_member_id, f.name AS member, p.display_name, a.title, s.starts_at, s.ends_at, u.short_name, u.address, s.room, \
         (SELECT MAX(x.ends_at) FROM sessions x WHERE x.activity_id = b.activity_id) AS last_end, a.is_course \
         FROM bookings b JOIN users p ON p.id = b.user_id JOIN activities a ON a.id = b.activity_id JOIN sessions s ON s.id = b.session_id \
         JOIN org_units u ON u.id = s.unit_id LEFT JOIN family_members f ON f.id = b.family_member_id WHERE b.id = $1 AND b.user_id = $2",
    )
    .bind(booking_id)
    .bind(owner)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该预约"))?;
    let status: String = r.get("status");
    if status != "confirmed" {
        let msg = match status.as_str() {
            "cancelled" => "预约已取消，没有入场凭证",
            _ => "尚未获得名额，获得名额后才有入场凭证",
        };
        return Err(ApiError::conflict("no_ticket", msg));
    }
    let token = ensure_ticket(db, key, booking_id, now).await?;
    let member: Option<String> = r.get("member");
    let name = member
        .clone()
        .unwrap_or_else(|| r.get::<String, _>("display_name"));
    Ok(Ticket {
        booking_id,
        qr_png_base64: base64::engine::general_purpose::STANDARD.encode(qr_png(&token)?),
        qr_svg: qr_svg(&token)?,
        token,
        holder_masked: if name.is_empty() {
            "本人".into()
        } else {
            mask_name(&name)
        },
        is_family_member: member.is_some(),
        activity_title: r.get("title"),
        starts_at: r.get("starts_at"),
        ends_at: if r.get::<i64, _>("is_course") != 0 {
            r.get("last_end")
        } else {
            r.get("ends_at")
        },
        unit_name: r.get("short_name"),
        address: r.get("address"),
        room: r.get("room"),
        status,
    })
}

// ---------------------------------------------------------------------------------------------
// Who may scan where.

#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id: i64,
    pub activity_id: i64,
    pub title: String,
    pub unit: UnitRef,
    pub unit_name: String,
    pub starts_at: Ts,
    pub ends_at: Ts,
    pub is_course: bool,
    pub capacity: Option<i64>,
}

pub async fn session_info(db: &Db, session_id: i64) -> ApiResult<SessionInfo> {
    let r = sqlx::query(
        "SELECT s.id, s.activity_id, a.title, s.unit_id, s.unit_path, u.short_name, s.starts_at, s.ends_at, a.is_course, s.capacity \
         FROM sessions s JOIN activities a ON a.id = s.activity_id JOIN org_units u ON u.id = s.unit_id WHERE s.id = $1",
    )
    .bind(session_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该场次"))?;
    session_from_row(&r)
}

/// The session columns `session_info` and `door` both select, under the same names.
fn session_from_row(r: &sqlx::any::AnyRow) -> ApiResult<SessionInfo> {
    Ok(SessionInfo {
        id: r.get("id"),
        activity_id: r.get("activity_id"),
        title: r.get("title"),
        unit: UnitRef {
            id: r.get("unit_id"),
            path: r.get("unit_path"),
        },
        unit_name: r.get("short_name"),
        starts_at: time::parse(&r.get::<String, _>("starts_at")).ok_or_else(ApiError::internal)?,
        ends_at: time::parse(&r.get::<String, _>("ends_at")).ok_or_else(ApiError::internal)?,
        is_course: r.get::<i64, _>("is_course") != 0,
        capacity: r.get("capacity"),
    })
}

/// Staff who manage check-in at the unit may always scan; a volunteer only when assigned to
/// the session, or to its unit for that day. The role half is `access::check`.
pub async fn may_scan(db: &Db, caller: &Caller, s: &SessionInfo) -> ApiResult<()> {
    if access::check(caller, Action::ManageCheckin, &s.unit).is_ok() {
        return Ok(());
    }
    access::check(caller, Action::ScanTickets, &s.unit)?;
    assigned_exactly(db, caller, s).await
}

/// The CST day a session's day-wide volunteer assignments are for.
fn session_day(s: &SessionInfo) -> String {
    crate::family::china_date(s.starts_at)
        .format("%Y-%m-%d")
        .to_string()
}

fn not_assigned() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "not_assigned",
        "您没有被安排在这一场签到",
    )
}

/// `may_scan` from what the door read already found (`Door::assigned_session` and
/// `assigned_today`): the same rule, with the assignment query run only when the read could
/// not decide (a session whose CST day is not the day of the scan).
pub async fn may_scan_at_door(db: &Db, caller: &Caller, d: &Door) -> ApiResult<()> {
    let s = &d.session;
    if access::check(caller, Action::ManageCheckin, &s.unit).is_ok() {
        return Ok(());
    }
    access::check(caller, Action::ScanTickets, &s.unit)?;
    if d.assigned_session {
        return Ok(());
    }
    if session_day(s) == d.today {
        return if d.assigned_today {
            Ok(())
        } else {
            Err(not_assigned())
        };
    }
    assigned_exactly(db, caller, s).await
}

async fn assigned_exactly(db: &Db, caller: &Caller, s: &SessionInfo) -> ApiResult<()> {
    let day = session_day(s);
    let assigned: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM assignments WHERE user_id = $1 AND removed_at IS NULL \
         AND (session_id = $2 OR (session_id IS NULL AND unit_id = $3 AND day = $4))",
    )
    .bind(caller.user_id)
    .bind(s.id)
    .bind(s.unit.id)
    .bind(day)
    .fetch_one(db.pool())
    .await?;
    if assigned == 0 {
        return Err(not_assigned());
    }
    Ok(())
}

/// Everything the door needs before writing, from one read (issue 18): the session, whether
/// the caller is assigned to it (or to its unit on the scan's CST day), the seat pool's booked
/// counter, and the ticket's booking.
pub struct Door {
    pub session: SessionInfo,
    /// The scan's CST day (`assigned_today` is about this day).
    pub today: String,
    pub assigned_session: bool,
    pub assigned_today: bool,
    booked: i64,
    holder: Option<Holder>,
}

/// The door read: `not_found` when the session does not exist. A token that is not of the
/// tickets' shape is not looked up.
pub async fn door(db: &Db, session_id: i64, user_id: i64, token: &str, now: Ts) -> ApiResult<Door> {
    let today = crate::family::china_date(now)
        .format("%Y-%m-%d")
        .to_string();
    let hash = if decode_token(token).is_some() {
        token_hash(token)
    } else {
        String::new()
    };
    let r = sqlx::query(
        "SELECT s.id, s.activity_id, a.title, s.unit_id, s.unit_path, u.short_name, s.starts_at, s.ends_at, a.is_course, s.capacity, \
         CASE WHEN a.is_course = 1 THEN (SELECT p.booked FROM sessions p WHERE p.activity_id = s.activity_id AND p.lesson_no = 1) ELSE s.booked END AS pool_booked, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM assignments g WHERE g.user_id = $2 AND g.removed_at IS NULL AND g.session_id = s.id) THEN 1 ELSE 0 END AS BIGINT) AS for_session, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM assignments g WHERE g.user_id = $2 AND g.removed_at IS NULL AND g.session_id IS NULL AND g.unit_id = s.unit_id AND g.day = $3) THEN 1 ELSE 0 END AS BIGINT) AS for_today, \
         b.id AS booking_id, b.status, b.session_id AS booking_session, b.activity_id AS booking_activity, f.name AS member, f.birth_date, p.display_name \
         FROM sessions s JOIN activities a ON a.id = s.activity_id JOIN org_units u ON u.id = s.unit_id \
         LEFT JOIN tickets t ON t.token_hash = $4 LEFT JOIN bookings b ON b.id = t.booking_id \
         LEFT JOIN users p ON p.id = b.user_id LEFT JOIN family_members f ON f.id = b.family_member_id \
         WHERE s.id = $1",
    )
    .bind(session_id)
    .bind(user_id)
    .bind(&today)
    .bind(&hash)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该场次"))?;
    let session = session_from_row(&r)?;
    let holder = r
        .try_get::<Option<i64>, _>("booking_id")?
        .map(|booking_id| {
            holder_from(
                booking_id,
                r.get("status"),
                r.get("booking_session"),
                r.get("booking_activity"),
                r.get("member"),
                r.get("birth_date"),
                r.get("display_name"),
                now,
            )
        });
    Ok(Door {
        session,
        today,
        assigned_session: r.try_get::<i64, _>("for_session")? != 0,
        assigned_today: r.try_get::<i64, _>("for_today")? != 0,
        booked: r.try_get::<Option<i64>, _>("pool_booked")?.unwrap_or(0),
        holder,
    })
}

// ---------------------------------------------------------------------------------------------
// Scanning.

#[derive(Debug, Clone, Object, Serialize, Deserialize, PartialEq)]
pub struct ExpectedSession {
    pub session_id: i64,
    pub title: String,
    pub starts_at: String,
    pub unit_name: String,
}

#[derive(Debug, Clone, Object, Serialize, Deserialize, PartialEq)]
pub struct ScanAnswer {
    /// `admitted`, `already_admitted`, `cancelled`, `not_confirmed`, `wrong_session`,
    /// `outside_window`, `not_recognised`, or for offline sync `conflict`.
    pub result: String,
    /// One-glance text for the volunteer.
    pub message: String,
    /// Colour hint: `green`, `amber` or `red`.
    pub colour: String,
    pub checkin_id: Option<i64>,
    pub holder_masked: Option<String>,
    pub is_family_member: bool,
    pub is_child: bool,
    /// People this ticket admits.
    pub party_size: i64,
    pub admitted_at: Option<String>,
    pub admitted_by: Option<String>,
    pub expected: Option<ExpectedSession>,
    pub admitted_count: i64,
    pub booked_count: i64,
}

impl ScanAnswer {
    fn plain(result: &str, message: &str, colour: &str) -> ScanAnswer {
        ScanAnswer {
            result: result.into(),
            message: message.into(),
            colour: colour.into(),
            checkin_id: None,
            holder_masked: None,
            is_family_member: false,
            is_child: false,
            party_size: 0,
            admitted_at: None,
            admitted_by: None,
            expected: None,
            admitted_count: 0,
            booked_count: 0,
        }
    }
    pub fn not_recognised() -> ScanAnswer {
        Self::plain(
            "not_recognised",
            "无法识别这张票，请居民出示“我的预约”中的二维码",
            "red",
        )
    }
}

/// The booking a token belongs to, with what the door needs to know.
struct Holder {
    booking_id: i64,
    status: String,
    pool_session: i64,
    activity_id: i64,
    name: String,
    is_family: bool,
    is_child: bool,
}

async fn holder(db: &Db, token: &str, on: Ts) -> ApiResult<Option<Holder>> {
    if decode_token(token).is_none() {
        return Ok(None);
    }
    let r = sqlx::query(
        "SELECT b.id, b.status, b.session_id, b.activity_id, b.family_member_id, f.name AS member, f.birth_date, p.display_name \
         FROM tickets t JOIN bookings b ON b.id = t.booking_id JOIN users p ON p.id = b.user_id \
         LEFT JOIN family_members f ON f.id = b.family_member_id WHERE t.token_hash = $1",
    )
    .bind(token_hash(token))
    .fetch_optional(db.pool())
    .await?;
    Ok(r.map(|r| {
        holder_from(
            r.get("id"),
            r.get("status"),
            r.get("session_id"),
            r.get("activity_id"),
            r.get("member"),
            r.get("birth_date"),
            r.get("display_name"),
            on,
        )
    }))
}

#[allow(clippy::too_many_arguments)]
fn holder_from(
    booking_id: i64,
    status: String,
    pool_session: i64,
    activity_id: i64,
    member: Option<String>,
    birth: Option<String>,
    display_name: Option<String>,
    on: Ts,
) -> Holder {
    let age = birth
        .as_deref()
        .and_then(|b| crate::family::parse_birth(b).ok())
        .map(|b| crate::rules::age_on(b, crate::family::china_date(on)));
    let name = member.clone().or(display_name).unwrap_or_default();
    Holder {
        booking_id,
        status,
        pool_session,
        activity_id,
        name: if name.is_empty() {
            "居民".into()
        } else {
            mask_name(&name)
        },
        is_family: member.is_some(),
        is_child: age.is_some_and(|a| a < 14),
    }
}

/// (admitted, booked) for a session. Booked is the seat pool's own counter (for a course, its
/// first lesson's), so the answer costs two indexed lookups however large the history.
async fn counts(db: &Db, s: &SessionInfo) -> ApiResult<(i64, i64)> {
    let mut conn = db.pool().acquire().await?;
    counts_on(&mut conn, s).await
}

async fn counts_on(conn: &mut sqlx::AnyConnection, s: &SessionInfo) -> ApiResult<(i64, i64)> {
    // One round trip (issue 18): both counts in one statement.
    const ADMITTED: &str = "(SELECT CAST(COUNT(*) AS BIGINT) FROM checkins WHERE session_id = $1 AND undone_at IS NULL) AS admitted";
    let r = if s.is_course {
        sqlx::query(&format!(
            "SELECT {ADMITTED}, (SELECT booked FROM sessions WHERE activity_id = $2 AND lesson_no = 1) AS booked"
        ))
        .bind(s.id)
        .bind(s.activity_id)
        .fetch_one(&mut *conn)
        .await?
    } else {
        sqlx::query(&format!(
            "SELECT {ADMITTED}, (SELECT booked FROM sessions WHERE id = $1) AS booked"
        ))
        .bind(s.id)
        .fetch_one(&mut *conn)
        .await?
    };
    let booked: Option<i64> = r.try_get("booked")?;
    Ok((
        r.try_get("admitted")?,
        booked.ok_or_else(ApiError::internal)?,
    ))
}

async fn existing_checkin(
    db: &Db,
    booking_id: i64,
    session_id: i64,
) -> ApiResult<Option<(i64, String, String)>> {
    let r = sqlx::query(
        "SELECT c.id, c.admitted_at, c.source, c.volunteer_id, COALESCE(v.display_name, '') AS vname FROM checkins c \
         LEFT JOIN users v ON v.id = c.volunteer_id WHERE c.booking_id = $1 AND c.session_id = $2 AND c.undone_at IS NULL",
    )
    .bind(booking_id)
    .bind(session_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(r.map(|r| {
        let v: String = r.get("vname");
        let source: String = r.get("source");
        let who = match (source.as_str(), v.is_empty()) {
            ("self", _) => "居民本人扫码".to_string(),
            ("staff", true) => "工作人员".to_string(),
            ("staff", false) => format!("工作人员{}", mask_name(&v)),
            (_, true) => "志愿者".to_string(),
            (_, false) => format!("志愿者{}", mask_name(&v)),
        };
        (r.get("id"), r.get("admitted_at"), who)
    }))
}

/// Outcome of writing an admission.
enum Written {
    /// The new check-in, and the session's live admissions counting it.
    Admitted { id: i64, admitted: i64 },
    /// A live check-in for this booking and session already exists.
    Already,
    /// The booking stopped being confirmed (cancelled) before this transaction.
    NotConfirmed,
}

impl Written {
    /// From PostgreSQL's statement: bookings still confirmed, the new admission's id, the count.
    fn from_cte(r: &sqlx::any::AnyRow) -> Result<Written, sqlx::Error> {
        let confirmed: i64 = r.try_get("confirmed")?;
        let id: Option<i64> = r.try_get("checkin_id")?;
        Ok(match (confirmed, id) {
            (0, _) => Written::NotConfirmed,
            (_, Some(id)) => Written::Admitted {
                id,
                admitted: r.try_get("admitted")?,
            },
            (_, None) => Written::Already,
        })
    }

    /// From SQLite's `RETURNING id, admitted` of an admission that was inserted.
    fn from_insert(r: &sqlx::any::AnyRow) -> Result<Written, sqlx::Error> {
        Ok(Written::Admitted {
            id: r.try_get("id")?,
            admitted: r.try_get("admitted")?,
        })
    }

    /// SQLite inserted nothing: a live admission exists, or the booking's status (read after)
    /// is no longer confirmed.
    fn after_nothing(status: Option<&str>) -> Written {
        if status == Some("confirmed") {
            Written::Already
        } else {
            Written::NotConfirmed
        }
    }
}

/// Writes the admission in one statement, which also counts the session's live admissions.
/// The booking must still be confirmed at the moment of the write, so a cancellation and a
/// scan at the same instant are ordered by the database: the later one sees the other (a
/// cancelled booking is not admitted; an admitted one cannot be cancelled, see
/// `booking::cancel_in`). The unique index decides races between scans.
///
/// PostgreSQL: the booking row is updated (and so locked) first and the admission inserted from
/// it, in one statement. SQLite: the admission is inserted from the still-confirmed booking
/// and a trigger (migration 0040) marks the booking checked in; the writer lock
/// (`BEGIN IMMEDIATE`) already orders everything. Only when nothing was written is the
/// booking read again, to tell "already admitted" from "cancelled".
#[allow(clippy::too_many_arguments)]
async fn admit(
    backend: Backend,
    tx: &mut Tx,
    booking_id: i64,
    session_id: i64,
    volunteer: Option<i64>,
    source: &str,
    admitted_at: &str,
    now: &str,
) -> ApiResult<Written> {
    if backend == Backend::Postgres {
        // The count's snapshot precedes the statement's own insert, hence `+ c`.
        let r = sqlx::query(
            "WITH b AS (UPDATE bookings SET checked_in_at = COALESCE(checked_in_at, $1) WHERE id = $2 AND status = 'confirmed' RETURNING id), \
             c AS (INSERT INTO checkins (booking_id, session_id, volunteer_id, source, admitted_at, recorded_at) \
                   SELECT id, $3, $4, $5, $1, $6 FROM b ON CONFLICT DO NOTHING RETURNING id) \
             SELECT CAST((SELECT COUNT(*) FROM b) AS BIGINT) AS confirmed, (SELECT id FROM c) AS checkin_id, \
             CAST((SELECT COUNT(*) FROM checkins WHERE session_id = $3 AND undone_at IS NULL) + (SELECT COUNT(*) FROM c) AS BIGINT) AS admitted",
        )
        .bind(admitted_at)
        .bind(booking_id)
        .bind(session_id)
        .bind(volunteer)
        .bind(source)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        return Ok(Written::from_cte(&r)?);
    }
    let row = sqlx::query(
        "INSERT INTO checkins (booking_id, session_id, volunteer_id, source, admitted_at, recorded_at) \
         SELECT id, $2, $3, $4, $5, $6 FROM bookings WHERE id = $1 AND status = 'confirmed' \
         ON CONFLICT DO NOTHING \
         RETURNING id, (SELECT CAST(COUNT(*) AS BIGINT) FROM checkins WHERE session_id = $2 AND undone_at IS NULL) AS admitted",
    )
    .bind(booking_id)
    .bind(session_id)
    .bind(volunteer)
    .bind(source)
    .bind(admitted_at)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(r) = row {
        return Ok(Written::from_insert(&r)?);
    }
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM bookings WHERE id = $1")
        .bind(booking_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(Written::after_nothing(status.as_deref()))
}

/// The answer for a ticket whose booking was cancelled while it was being scanned.
fn cancelled_now(h: &Holder) -> ScanAnswer {
    ScanAnswer {
        holder_masked: Some(h.name.clone()),
        is_family_member: h.is_family,
        is_child: h.is_child,
        ..ScanAnswer::plain("cancelled", "这张票对应的预约已取消，不能入场", "red")
    }
}

fn check_nonce(nonce: &str) -> ApiResult<()> {
    if nonce.is_empty() || nonce.len() > 64 || !nonce.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::validation("nonce 应为 1–64 个可见 ASCII 字符"));
    }
    Ok(())
}

/// The stored answer to a retried scan. The nonce is bound to the ticket it was first used
/// with (a digest kept beside the answer): the same nonce with another ticket — a forged one —
/// gets the uniform "not recognised", never the stored answer.
async fn replayed(
    db: &Db,
    volunteer: i64,
    nonce: &str,
    token: &str,
) -> ApiResult<Option<ScanAnswer>> {
    let a: Option<String> =
        sqlx::query_scalar("SELECT answer FROM scans WHERE volunteer_id = $1 AND nonce = $2")
            .bind(volunteer)
            .bind(nonce)
            .fetch_optional(db.pool())
            .await?;
    let Some(v) = a.and_then(|a| serde_json::from_str::<serde_json::Value>(&a).ok()) else {
        return Ok(None);
    };
    if let Some(bound) = v.get(TICKET_DIGEST).and_then(|t| t.as_str()) {
        if bound != ticket_digest(token) {
            return Ok(Some(ScanAnswer::not_recognised()));
        }
    }
    Ok(serde_json::from_value(v).ok())
}

/// Where the stored answer keeps the digest of the ticket its nonce was used with.
const TICKET_DIGEST: &str = "_ticket";

fn ticket_digest(token: &str) -> String {
    crate::identity::hash_secret(&format!("scan-nonce:{token}"))
}

/// Claims a scan's nonce for this transaction, before anything is written: false when
/// another request (a retried or duplicated batch, on any instance) holds or has recorded it.
/// The unique key makes the second claimant wait for the first one's commit, so the answer it
/// then replays is the first one's, and the scan is judged and written once.
async fn claim_nonce(
    tx: &mut Tx,
    volunteer: i64,
    nonce: &str,
    session_id: i64,
    now: &str,
) -> ApiResult<bool> {
    Ok(sqlx::query_scalar::<_, i64>(
        "INSERT INTO scans (volunteer_id, nonce, session_id, answer, created_at) VALUES ($1,$2,$3,'',$4) \
         ON CONFLICT DO NOTHING RETURNING volunteer_id",
    )
    .bind(volunteer)
    .bind(nonce)
    .bind(session_id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?
    .is_some())
}

/// The answer another request recorded under this nonce.
async fn replay_claimed(
    db: &Db,
    volunteer: i64,
    nonce: &str,
    token: &str,
) -> ApiResult<ScanAnswer> {
    replayed(db, volunteer, nonce, token)
        .await?
        .ok_or_else(ApiError::unavailable)
}

/// Records the answer under the nonce claimed by `claim_nonce`, with the digest of its ticket.
async fn remember(
    tx: &mut Tx,
    volunteer: i64,
    nonce: &str,
    token: &str,
    answer: &ScanAnswer,
) -> ApiResult<()> {
    sqlx::query("UPDATE scans SET answer = $1 WHERE volunteer_id = $2 AND nonce = $3")
        .bind(stored_answer(answer, token))
        .bind(volunteer)
        .bind(nonce)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records a scan's answer under its nonce, with the digest of its ticket, in one insert at the
/// end of the scan's transaction: false when the nonce was already recorded (a retry, or a
/// duplicate still running: the unique key makes this insert wait for its commit), and the
/// caller then rolls back and replays that answer.
async fn record(
    tx: &mut Tx,
    volunteer: i64,
    nonce: &str,
    session_id: i64,
    token: &str,
    answer: &ScanAnswer,
    now: &str,
) -> ApiResult<bool> {
    Ok(sqlx::query_scalar::<_, i64>(
        "INSERT INTO scans (volunteer_id, nonce, session_id, answer, created_at) VALUES ($1,$2,$3,$4,$5) \
         ON CONFLICT DO NOTHING RETURNING volunteer_id",
    )
    .bind(volunteer)
    .bind(nonce)
    .bind(session_id)
    .bind(stored_answer(answer, token))
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?
    .is_some())
}

/// The answer as stored under its nonce: with the digest of the ticket it was given for.
fn stored_answer(answer: &ScanAnswer, token: &str) -> String {
    let mut stored = serde_json::to_value(answer).unwrap_or_default();
    if let Some(o) = stored.as_object_mut() {
        o.insert(TICKET_DIGEST.into(), ticket_digest(token).into());
    }
    stored.to_string()
}

/// A scan's admission and its recorded answer in one statement, outside any transaction
/// (issue 18, D271): the booking must still be confirmed, a live admission of it makes the
/// insert do nothing (`Already`), and the answer (`template`, with the admission's id and the
/// session's live admissions filled in by the database) is recorded under the nonce by the
/// same statement. A nonce recorded before fails the whole statement with a unique violation,
/// so nothing is written and the caller replays the first answer.
///
/// SQLite: the insert carries the nonce and template; the trigger of migration 0041 records
/// the answer and clears the template. PostgreSQL: one statement of data-modifying CTEs.
async fn admit_scan(
    db: &Db,
    booking_id: i64,
    session_id: i64,
    volunteer: i64,
    nonce: &str,
    template: &str,
    now: &str,
) -> Result<Written, sqlx::Error> {
    if db.backend == Backend::Postgres {
        // The count's snapshot precedes the statement's own insert, hence `+ c`.
        let r = sqlx::query(
            "WITH b AS (UPDATE bookings SET checked_in_at = COALESCE(checked_in_at, $1) WHERE id = $2 AND status = 'confirmed' RETURNING id), \
             c AS (INSERT INTO checkins (booking_id, session_id, volunteer_id, source, admitted_at, recorded_at) \
                   SELECT id, $3, $4, 'scan', $1, $1 FROM b ON CONFLICT DO NOTHING RETURNING id), \
             n AS (SELECT CAST((SELECT COUNT(*) FROM checkins WHERE session_id = $3 AND undone_at IS NULL) + (SELECT COUNT(*) FROM c) AS BIGINT) AS admitted), \
             s AS (INSERT INTO scans (volunteer_id, nonce, session_id, answer, created_at) \
                   SELECT $4, $5, $3, jsonb_set(jsonb_set($6::jsonb, '{checkin_id}', to_jsonb(c.id)), '{admitted_count}', to_jsonb(n.admitted))::text, $1 \
                   FROM c, n RETURNING 1) \
             SELECT CAST((SELECT COUNT(*) FROM b) AS BIGINT) AS confirmed, (SELECT id FROM c) AS checkin_id, \
             (SELECT admitted FROM n) AS admitted, CAST((SELECT COUNT(*) FROM s) AS BIGINT) AS recorded",
        )
        .bind(now)
        .bind(booking_id)
        .bind(session_id)
        .bind(volunteer)
        .bind(nonce)
        .bind(template)
        .fetch_one(db.writer())
        .await?;
        return Written::from_cte(&r);
    }
    let row = sqlx::query(
        "INSERT INTO checkins (booking_id, session_id, volunteer_id, source, admitted_at, recorded_at, scan_nonce, scan_answer) \
         SELECT id, $2, $3, 'scan', $4, $4, $5, $6 FROM bookings WHERE id = $1 AND status = 'confirmed' \
         ON CONFLICT DO NOTHING \
         RETURNING id, (SELECT CAST(COUNT(*) AS BIGINT) FROM checkins WHERE session_id = $2 AND undone_at IS NULL) AS admitted",
    )
    .bind(booking_id)
    .bind(session_id)
    .bind(volunteer)
    .bind(now)
    .bind(nonce)
    .bind(template)
    .fetch_optional(db.writer())
    .await?;
    if let Some(r) = row {
        return Written::from_insert(&r);
    }
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM bookings WHERE id = $1")
        .bind(booking_id)
        .fetch_optional(db.writer())
        .await?;
    Ok(Written::after_nothing(status.as_deref()))
}

/// Is the booking's seat pool the scanned session (or, for a course, one of its lessons)?
fn same_place(h: &Holder, s: &SessionInfo) -> bool {
    h.pool_session == s.id || (s.is_course && h.activity_id == s.activity_id)
}

async fn expected(db: &Db, h: &Holder) -> ApiResult<ExpectedSession> {
    let r = sqlx::query(
        "SELECT s.id, a.title, s.starts_at, u.short_name FROM sessions s JOIN activities a ON a.id = s.activity_id \
         JOIN org_units u ON u.id = s.unit_id WHERE s.id = $1",
    )
    .bind(h.pool_session)
    .fetch_one(db.pool())
    .await?;
    Ok(ExpectedSession {
        session_id: r.get("id"),
        title: r.get("title"),
        starts_at: r.get("starts_at"),
        unit_name: r.get("short_name"),
    })
}

/// An online scan, judged from the door read (`door`). Door outcomes are answers (200), not
/// errors; a retry with the same nonce returns the first answer and records nothing new.
///
/// Built for the door rush (issue 18, D212, D268): one read (`door`: session, assignment,
/// ticket) before the write, and no read the write can do. A live admission is found by the
/// admission's own insert (the unique index), which also counts the session's admissions; a
/// retried nonce by the answer's own insert at the end of the transaction (it then rolls back
/// and replays the first answer). So a first scan is one read and a transaction of two
/// statements.
pub async fn scan(
    db: &Db,
    d: &Door,
    volunteer: i64,
    token: &str,
    nonce: &str,
    opens_minutes: i64,
    now: Ts,
) -> ApiResult<ScanAnswer> {
    check_nonce(nonce)?;
    let s = &d.session;
    let now_s = time::fmt(now);
    // Garbled, forged or unknown tokens get one uniform answer and touch nothing (a retry of
    // a scan whose ticket is gone since still gets its first answer).
    let Some(h) = d.holder.as_ref() else {
        return Ok(replayed(db, volunteer, nonce, token)
            .await?
            .unwrap_or_else(ScanAnswer::not_recognised));
    };
    let mut answer = judge(db, s, h, opens_minutes, now, false).await?;
    if answer.result == "admitted" {
        // Booked is the pool's counter as the door read found it.
        answer.booked_count = d.booked;
        let template = stored_answer(&answer, token);
        match admit_scan(db, h.booking_id, s.id, volunteer, nonce, &template, &now_s).await {
            Ok(Written::Admitted { id, admitted }) => {
                answer.checkin_id = Some(id);
                answer.admitted_count = admitted;
                return Ok(answer);
            }
            // Lost the race to another volunteer (committed: the unique index waited for
            // it): tell it as it is, below.
            Ok(Written::Already) => {
                let (id, at, by) = existing_checkin(db, h.booking_id, s.id)
                    .await?
                    .ok_or_else(ApiError::internal)?;
                answer = already(h, id, at, by);
            }
            // Cancelled between the read and this statement.
            Ok(Written::NotConfirmed) => answer = cancelled_now(h),
            // The nonce was recorded already (a retry, or a duplicate that finished first):
            // the statement wrote nothing; that first answer is the answer.
            Err(e) if crate::db::is_unique_violation(&e) => {
                return replay_claimed(db, volunteer, nonce, token).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    // Not admitted: the answer with the session's counts, recorded under its nonce.
    let mut tx = db.begin().await?;
    let (admitted, booked) = counts_in(&mut tx, s).await?;
    answer.admitted_count = admitted;
    answer.booked_count = booked;
    if !record(&mut tx, volunteer, nonce, s.id, token, &answer, &now_s).await? {
        // A retry (or a duplicate that finished first): nothing of this one is kept.
        tx.rollback().await?;
        return replay_claimed(db, volunteer, nonce, token).await;
    }
    tx.commit().await?;
    Ok(answer)
}

async fn counts_in(tx: &mut Tx, s: &SessionInfo) -> ApiResult<(i64, i64)> {
    counts_on(&mut *tx, s).await
}

fn already(h: &Holder, id: i64, at: String, by: String) -> ScanAnswer {
    let when = time::parse(&at)
        .map(crate::notify::china_clock)
        .unwrap_or_default();
    ScanAnswer {
        checkin_id: Some(id),
        holder_masked: Some(h.name.clone()),
        is_family_member: h.is_family,
        is_child: h.is_child,
        party_size: 1,
        admitted_at: Some(at),
        admitted_by: Some(by.clone()),
        ..ScanAnswer::plain(
            "already_admitted",
            &format!("已入场：{when} 由{by}核验"),
            "amber",
        )
    }
}

/// The verdict for a known ticket, before anything is written. With `look_first` false a live
/// admission is looked up only when the verdict would not be "admitted" (it then takes
/// precedence, as with `look_first`); an "admitted" verdict is checked by the write itself.
async fn judge(
    db: &Db,
    s: &SessionInfo,
    h: &Holder,
    opens_minutes: i64,
    at: Ts,
    look_first: bool,
) -> ApiResult<ScanAnswer> {
    let with_holder = |a: ScanAnswer| ScanAnswer {
        holder_masked: Some(h.name.clone()),
        is_family_member: h.is_family,
        is_child: h.is_child,
        ..a
    };
    if h.status == "cancelled" {
        return Ok(with_holder(ScanAnswer::plain(
            "cancelled",
            "这张票对应的预约已取消，不能入场",
            "red",
        )));
    }
    if h.status != "confirmed" {
        return Ok(with_holder(ScanAnswer::plain(
            "not_confirmed",
            "候补或摇号中，尚未获得名额",
            "red",
        )));
    }
    if !same_place(h, s) {
        let e = expected(db, h).await?;
        let msg = format!(
            "不是这一场：请到 {}（{}）",
            e.unit_name,
            crate::notify::china_time(time::parse(&e.starts_at).unwrap_or(at))
        );
        return Ok(ScanAnswer {
            expected: Some(e),
            ..with_holder(ScanAnswer::plain("wrong_session", &msg, "red"))
        });
    }
    let opens = s.starts_at - chrono::Duration::minutes(opens_minutes);
    if look_first || at < opens || at > s.ends_at {
        if let Some((id, when, by)) = existing_checkin(db, h.booking_id, s.id).await? {
            return Ok(already(h, id, when, by));
        }
    }
    if at < opens {
        return Ok(with_holder(ScanAnswer::plain(
            "outside_window",
            &format!(
                "还没到签到时间，{} 开始签到",
                crate::notify::china_time(opens)
            ),
            "amber",
        )));
    }
    if at > s.ends_at {
        return Ok(with_holder(ScanAnswer::plain(
            "outside_window",
            "这一场已经结束",
            "red",
        )));
    }
    let label = if h.is_child {
        "儿童"
    } else if h.is_family {
        "家庭成员"
    } else {
        "本人"
    };
    Ok(ScanAnswer {
        party_size: 1,
        ..with_holder(ScanAnswer::plain(
            "admitted",
            &format!("核验通过：{}（{label}）", h.name),
            "green",
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// Offline.

#[derive(Debug, Clone, Object, Serialize)]
pub struct ListEntry {
    /// SHA-256 (hex) of the ticket token; the phone hashes what it scans and looks it up.
    pub ticket_hash: String,
    pub holder_masked: String,
    pub is_family_member: bool,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct CheckinList {
    pub session_id: i64,
    pub title: String,
    pub starts_at: String,
    pub ends_at: String,
    /// Discard the list after this moment.
    pub expires_at: String,
    pub entries: Vec<ListEntry>,
}

/// Everything a phone needs to admit people without a connection: ticket hashes and masked
/// names of confirmed bookings, nothing more.
pub async fn offline_list(db: &Db, key: &[u8], s: &SessionInfo, now: Ts) -> ApiResult<CheckinList> {
    let now_s = time::fmt(now);
    let pool_session: i64 = if s.is_course {
        sqlx::query_scalar("SELECT id FROM sessions WHERE activity_id = $1 AND lesson_no = 1")
            .bind(s.activity_id)
            .fetch_one(db.pool())
            .await?
    } else {
        s.id
    };
    let rows = sqlx::query(
        "SELECT b.id, f.name AS member, p.display_name FROM bookings b JOIN users p ON p.id = b.user_id \
         LEFT JOIN family_members f ON f.id = b.family_member_id WHERE b.session_id = $1 AND b.status = 'confirmed' ORDER BY b.id",
    )
    .bind(pool_session)
    .fetch_all(db.pool())
    .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for r in rows {
        let token = ensure_ticket(db, key, r.get("id"), &now_s).await?;
        let member: Option<String> = r.get("member");
        let name = member
            .clone()
            .unwrap_or_else(|| r.get::<String, _>("display_name"));
        entries.push(ListEntry {
            ticket_hash: token_hash(&token),
            holder_masked: if name.is_empty() {
                "居民".into()
            } else {
                mask_name(&name)
            },
            is_family_member: member.is_some(),
        });
    }
    Ok(CheckinList {
        session_id: s.id,
        title: s.title.clone(),
        starts_at: time::fmt(s.starts_at),
        ends_at: time::fmt(s.ends_at),
        expires_at: time::fmt(s.ends_at + chrono::Duration::hours(1)),
        entries,
    })
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct OfflineScan {
    #[oai(validator(min_length = 1, max_length = 64))]
    pub nonce: String,
    #[oai(validator(max_length = 200))]
    pub token: String,
    /// When the phone admitted the person.
    pub scanned_at: String,
}

/// Accepts scans made without a connection as what happened at the door. Idempotent by
/// nonce; a ticket already admitted by someone else is recorded as a conflict for staff.
pub async fn sync(
    db: &Db,
    s: &SessionInfo,
    volunteer: i64,
    scans: &[OfflineScan],
    now: Ts,
) -> ApiResult<Vec<ScanAnswer>> {
    let now_s = time::fmt(now);
    let mut out = Vec::with_capacity(scans.len());
    for sc in scans {
        check_nonce(&sc.nonce)?;
        let at = time::parse(&sc.scanned_at)
            .ok_or_else(|| ApiError::validation("scanned_at 时间格式不正确"))?;
        // A phone whose clock runs fast is not a reason to lose the scan: the time is clamped
        // to now below.
        let _ = at;
    }
    for sc in scans {
        if let Some(a) = replayed(db, volunteer, &sc.nonce, &sc.token).await? {
            out.push(a);
            continue;
        }
        let at = time::parse(&sc.scanned_at).unwrap_or(now).min(now);
        let at_s = time::fmt(at);
        let Some(h) = holder(db, &sc.token, at).await? else {
            out.push(ScanAnswer::not_recognised());
            continue;
        };
        let mut answer = if h.status != "confirmed" || !same_place(&h, s) {
            judge(db, s, &h, i64::MAX / 4, at, true).await?
        } else {
            ScanAnswer {
                holder_masked: Some(h.name.clone()),
                is_family_member: h.is_family,
                is_child: h.is_child,
                party_size: 1,
                ..ScanAnswer::plain("admitted", "已同步：离线核验入场", "green")
            }
        };
        let mut tx = db.begin().await?;
        if !claim_nonce(&mut tx, volunteer, &sc.nonce, s.id, &now_s).await? {
            // The same scan in another copy of this batch (a retry still running, perhaps on
            // another instance): its answer, and nothing recorded twice.
            tx.rollback().await?;
            out.push(replay_claimed(db, volunteer, &sc.nonce, &sc.token).await?);
            continue;
        }
        if answer.result == "admitted" {
            match admit(
                db.backend,
                &mut tx,
                h.booking_id,
                s.id,
                Some(volunteer),
                "offline",
                &at_s,
                &now_s,
            )
            .await?
            {
                Written::Admitted { id, .. } => answer.checkin_id = Some(id),
                Written::NotConfirmed => answer = cancelled_now(&h),
                Written::Already => {
                    let row = sqlx::query("SELECT id, admitted_at FROM checkins WHERE booking_id = $1 AND session_id = $2 AND undone_at IS NULL")
                        .bind(h.booking_id)
                        .bind(s.id)
                        .fetch_one(&mut *tx)
                        .await?;
                    let cid: i64 = row.get("id");
                    sqlx::query(
                        "INSERT INTO checkin_conflicts (session_id, booking_id, checkin_id, volunteer_id, scanned_at, created_at) \
                         VALUES ($1,$2,$3,$4,$5,$6)",
                    )
                    .bind(s.id)
                    .bind(h.booking_id)
                    .bind(cid)
                    .bind(volunteer)
                    .bind(&at_s)
                    .bind(&now_s)
                    .execute(&mut *tx)
                    .await?;
                    answer = ScanAnswer {
                        checkin_id: Some(cid),
                        admitted_at: Some(row.get("admitted_at")),
                        ..ScanAnswer::plain(
                            "conflict",
                            "这张票已由另一台设备核验，已记录待工作人员处理",
                            "amber",
                        )
                    };
                    answer.holder_masked = Some(h.name.clone());
                }
            }
        }
        let (admitted, booked) = counts_in(&mut tx, s).await?;
        answer.admitted_count = admitted;
        answer.booked_count = booked;
        remember(&mut tx, volunteer, &sc.nonce, &sc.token, &answer).await?;
        tx.commit().await?;
        out.push(answer);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Corrections.

pub const UNDO_MINUTES: i64 = 15;

/// Undo an admission: the admitting volunteer within 15 minutes, or staff at any time.
pub async fn undo(
    db: &Db,
    caller: &Caller,
    checkin_id: i64,
    reason: &str,
    now: Ts,
    audit: crate::audit::Entry<'_>,
) -> ApiResult<()> {
    let r = sqlx::query(
        "SELECT c.booking_id, c.session_id, c.volunteer_id, c.recorded_at, c.undone_at, s.unit_path, s.unit_id \
         FROM checkins c JOIN sessions s ON s.id = c.session_id WHERE c.id = $1",
    )
    .bind(checkin_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该签到记录"))?;
    let unit = UnitRef {
        id: r.get("unit_id"),
        path: r.get("unit_path"),
    };
    if r.get::<Option<String>, _>("undone_at").is_some() {
        return Err(ApiError::conflict("already_undone", "这条签到已撤销"));
    }
    let staff = access::check(caller, Action::ManageCheckin, &unit).is_ok();
    if !staff {
        let own = r.get::<Option<i64>, _>("volunteer_id") == Some(caller.user_id);
        if !own {
            return Err(ApiError::forbidden());
        }
        let recorded = time::parse(&r.get::<String, _>("recorded_at")).unwrap_or(now);
        if now - recorded > chrono::Duration::minutes(UNDO_MINUTES) {
            return Err(ApiError::conflict(
                "undo_too_late",
                "超过 15 分钟，请联系工作人员更正",
            ));
        }
    }
    let now_s = time::fmt(now);
    let mut tx = db.begin().await?;
    let n = sqlx::query("UPDATE checkins SET undone_at = $1, undone_by = $2, undo_reason = $3 WHERE id = $4 AND undone_at IS NULL")
        .bind(&now_s)
        .bind(caller.user_id)
        .bind(reason)
        .bind(checkin_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(ApiError::conflict("already_undone", "这条签到已撤销"));
    }
    // The booking counts as checked in while any lesson check-in remains.
    let booking_id: i64 = r.get("booking_id");
    sqlx::query(
        "UPDATE bookings SET checked_in_at = (SELECT MIN(admitted_at) FROM checkins WHERE booking_id = $1 AND undone_at IS NULL) WHERE id = $1",
    )
    .bind(booking_id)
    .execute(&mut *tx)
    .await?;
    let audit = crate::audit::Entry {
        unit_id: Some(unit.id),
        ..audit
    };
    crate::audit::record(&mut tx, &now_s, audit).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct LookupHit {
    pub booking_id: i64,
    pub holder_masked: String,
    pub phone_masked: Option<String>,
    pub status: String,
    pub checked_in: bool,
}

/// Staff fallback for residents without a phone: name and the last four digits of the phone.
pub async fn lookup(
    db: &Db,
    s: &SessionInfo,
    name: &str,
    last4: &str,
) -> ApiResult<Vec<LookupHit>> {
    if last4.len() != 4 || !last4.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::validation("请输入手机号后 4 位数字"));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 20 {
        return Err(ApiError::validation("请输入姓名"));
    }
    let rows = sqlx::query(
        "SELECT b.id, b.status, f.name AS member, p.display_name, p.phone, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM checkins c WHERE c.booking_id = b.id AND c.session_id = $4 AND c.undone_at IS NULL) AS done \
         FROM bookings b JOIN users p ON p.id = b.user_id LEFT JOIN family_members f ON f.id = b.family_member_id \
         WHERE b.activity_id = $1 AND b.status <> 'cancelled' AND p.phone LIKE $2 AND (p.display_name = $3 OR f.name = $3) ORDER BY b.id LIMIT 20",
    )
    .bind(s.activity_id)
    .bind(format!("%{last4}"))
    .bind(name)
    .bind(s.id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let member: Option<String> = r.get("member");
            LookupHit {
                booking_id: r.get("id"),
                holder_masked: mask_name(
                    &member.unwrap_or_else(|| r.get::<String, _>("display_name")),
                ),
                phone_masked: r
                    .get::<Option<String>, _>("phone")
                    .as_deref()
                    .map(crate::privacy::mask_phone),
                status: r.get("status"),
                checked_in: r.get::<i64, _>("done") > 0,
            }
        })
        .collect())
}

/// Staff admit a booking found by look-up.
pub async fn admit_manually(
    db: &Db,
    s: &SessionInfo,
    staff: i64,
    booking_id: i64,
    now: Ts,
    audit: crate::audit::Entry<'_>,
) -> ApiResult<ScanAnswer> {
    let r = sqlx::query("SELECT status, session_id, activity_id FROM bookings WHERE id = $1")
        .bind(booking_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该预约"))?;
    let fits = r.get::<i64, _>("session_id") == s.id
        || (s.is_course && r.get::<i64, _>("activity_id") == s.activity_id);
    if !fits {
        return Err(ApiError::conflict("wrong_session", "这条预约不属于这一场"));
    }
    if r.get::<String, _>("status") != "confirmed" {
        return Err(ApiError::conflict("not_confirmed", "这条预约没有有效名额"));
    }
    let now_s = time::fmt(now);
    let mut tx = db.begin().await?;
    let id = match admit(
        db.backend,
        &mut tx,
        booking_id,
        s.id,
        Some(staff),
        "staff",
        &now_s,
        &now_s,
    )
    .await?
    {
        Written::Admitted { id, .. } => Some(id),
        Written::Already => None,
        Written::NotConfirmed => {
            return Err(ApiError::conflict("not_confirmed", "这条预约没有有效名额"))
        }
    };
    crate::audit::record(&mut tx, &now_s, audit).await?;
    tx.commit().await?;
    let (admitted, booked) = counts(db, s).await?;
    Ok(ScanAnswer {
        checkin_id: id,
        admitted_count: admitted,
        booked_count: booked,
        party_size: 1,
        ..match id {
            Some(_) => ScanAnswer::plain("admitted", "已由工作人员核验入场", "green"),
            None => ScanAnswer::plain("already_admitted", "已经入场", "amber"),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Walk-in events, self check-in, counts.

/// A volunteer's head count for a walk-in event; idempotent by nonce.
pub async fn headcount(
    db: &Db,
    s: &SessionInfo,
    volunteer: i64,
    count: i64,
    nonce: &str,
    now: &str,
) -> ApiResult<i64> {
    check_nonce(nonce)?;
    if !(1..=10_000).contains(&count) {
        return Err(ApiError::validation("人数应在 1 到 10000 之间"));
    }
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO headcounts (session_id, volunteer_id, count, nonce, created_at) VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING")
        .bind(s.id)
        .bind(volunteer)
        .bind(count)
        .bind(nonce)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    walk_ins(db, s.id).await
}

pub async fn walk_ins(db: &Db, session_id: i64) -> ApiResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM headcounts WHERE session_id = $1",
    )
    .bind(session_id)
    .fetch_one(db.pool())
    .await?)
}

/// A resident scanned the venue code: with a booking, they are admitted; at an open event,
/// they are counted once.
pub async fn self_checkin(
    db: &Db,
    s: &SessionInfo,
    user_id: i64,
    opens_minutes: i64,
    now: Ts,
) -> ApiResult<ScanAnswer> {
    let now_s = time::fmt(now);
    let opens = s.starts_at - chrono::Duration::minutes(opens_minutes);
    if now < opens || now > s.ends_at {
        return Ok(ScanAnswer::plain(
            "outside_window",
            "现在不在签到时间内",
            "amber",
        ));
    }
    let booking: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM bookings WHERE user_id = $1 AND activity_id = $2 AND status = 'confirmed' AND (session_id = $3 OR $4 = 1) \
         AND family_member_id IS NULL",
    )
    .bind(user_id)
    .bind(s.activity_id)
    .bind(s.id)
    .bind(s.is_course as i64)
    .fetch_optional(db.pool())
    .await?;
    let mut tx = db.begin().await?;
    let answer = match (booking, s.capacity) {
        (Some(b), _) => match admit(db.backend, &mut tx, b, s.id, None, "self", &now_s, &now_s)
            .await?
        {
            Written::Admitted { id, .. } => ScanAnswer {
                checkin_id: Some(id),
                party_size: 1,
                ..ScanAnswer::plain("admitted", "签到成功，欢迎参加", "green")
            },
            Written::Already => ScanAnswer::plain("already_admitted", "您已经签到过了", "amber"),
            Written::NotConfirmed => {
                ScanAnswer::plain("not_confirmed", "您的预约已取消，不能签到", "red")
            }
        },
        (None, None) => {
            let n = sqlx::query(
                "INSERT INTO headcounts (session_id, user_id, count, nonce, created_at) VALUES ($1,$2,1,$3,$4) ON CONFLICT DO NOTHING",
            )
            .bind(s.id)
            .bind(user_id)
            .bind(format!("self:{user_id}"))
            .bind(&now_s)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                ScanAnswer {
                    party_size: 1,
                    ..ScanAnswer::plain("admitted", "签到成功，欢迎参加", "green")
                }
            } else {
                ScanAnswer::plain("already_admitted", "您已经签到过了", "amber")
            }
        }
        (None, Some(_)) => {
            ScanAnswer::plain("not_confirmed", "这一场需要预约，您没有有效的预约", "red")
        }
    };
    tx.commit().await?;
    Ok(answer)
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Stats {
    pub session_id: i64,
    pub capacity: Option<i64>,
    pub booked: i64,
    pub admitted: i64,
    pub walk_ins: i64,
    pub open_conflicts: i64,
}

pub async fn stats(db: &Db, s: &SessionInfo) -> ApiResult<Stats> {
    let (admitted, booked) = counts(db, s).await?;
    let open_conflicts: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM checkin_conflicts WHERE session_id = $1 AND resolved_at IS NULL",
    )
    .bind(s.id)
    .fetch_one(db.pool())
    .await?;
    Ok(Stats {
        session_id: s.id,
        capacity: s.capacity,
        booked,
        admitted,
        walk_ins: walk_ins(db, s.id).await?,
        open_conflicts,
    })
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Conflict {
    pub id: i64,
    pub booking_id: i64,
    pub checkin_id: i64,
    pub holder_masked: String,
    pub first_admitted_at: String,
    pub second_scanned_at: String,
    pub resolved_at: Option<String>,
    pub resolution: Option<String>,
}

pub async fn conflicts(db: &Db, session_id: i64) -> ApiResult<Vec<Conflict>> {
    let rows = sqlx::query(
        "SELECT k.id, k.booking_id, k.checkin_id, k.scanned_at, k.resolved_at, k.resolution, c.admitted_at, f.name AS member, p.display_name \
         FROM checkin_conflicts k JOIN checkins c ON c.id = k.checkin_id JOIN bookings b ON b.id = k.booking_id \
         JOIN users p ON p.id = b.user_id LEFT JOIN family_members f ON f.id = b.family_member_id WHERE k.session_id = $1 ORDER BY k.id",
    )
    .bind(session_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Conflict {
            id: r.get("id"),
            booking_id: r.get("booking_id"),
            checkin_id: r.get("checkin_id"),
            holder_masked: mask_name(
                &r.get::<Option<String>, _>("member")
                    .unwrap_or_else(|| r.get::<String, _>("display_name")),
            ),
            first_admitted_at: r.get("admitted_at"),
            second_scanned_at: r.get("scanned_at"),
            resolved_at: r.get("resolved_at"),
            resolution: r.get("resolution"),
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Courses and volunteers.

#[derive(Debug, Clone, Object, Serialize)]
pub struct Attendance {
    pub booking_id: i64,
    pub holder_masked: String,
    pub lessons: i64,
    /// Lessons already held.
    pub held: i64,
    pub attended: i64,
    /// attended / held, 0–100.
    pub rate_percent: i64,
}

pub async fn attendance(
    db: &Db,
    activity_id: i64,
    only_booking: Option<i64>,
    now: &str,
) -> ApiResult<Vec<Attendance>> {
    let (lessons, held): (i64, i64) = {
        let r = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(CASE WHEN starts_at <= $2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS held \
             FROM sessions WHERE activity_id = $1 AND status = 'scheduled'",
        )
        .bind(activity_id)
        .bind(now)
        .fetch_one(db.pool())
        .await?;
        (r.get("n"), r.get("held"))
    };
    let rows = sqlx::query(
        "SELECT b.id, f.name AS member, p.display_name, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM checkins c WHERE c.booking_id = b.id AND c.undone_at IS NULL) AS attended \
         FROM bookings b JOIN users p ON p.id = b.user_id LEFT JOIN family_members f ON f.id = b.family_member_id \
         WHERE b.activity_id = $1 AND b.status = 'confirmed' AND ($2 IS NULL OR b.id = $2) ORDER BY b.id",
    )
    .bind(activity_id)
    .bind(only_booking)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let attended: i64 = r.get("attended");
            Attendance {
                booking_id: r.get("id"),
                holder_masked: mask_name(
                    &r.get::<Option<String>, _>("member")
                        .unwrap_or_else(|| r.get::<String, _>("display_name")),
                ),
                lessons,
                held,
                attended,
                rate_percent: if held > 0 { attended * 100 / held } else { 0 },
            }
        })
        .collect())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct ServiceRecord {
    pub assignment_id: i64,
    pub session_id: Option<i64>,
    pub unit_name: String,
    pub title: String,
    pub day: String,
    pub scans: i64,
    /// Counted once the session is over and the volunteer served (scanned or counted).
    pub minutes: i64,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct ServiceHours {
    pub user_id: i64,
    pub volunteer_masked: String,
    pub total_hours: f64,
    pub records: Vec<ServiceRecord>,
}

/// Service hours from assignments and the scans done: a session assignment counts from
/// check-in opening to the session's end; a unit-day assignment from the first to the last
/// scan of that day (at least an hour). Only served assignments count.
pub async fn service_hours(
    db: &Db,
    user_id: i64,
    opens_minutes: i64,
    now: Ts,
) -> ApiResult<ServiceHours> {
    let now_s = time::fmt(now);
    let rows = sqlx::query(
        "SELECT g.id, g.session_id, g.day, g.unit_id, u.short_name, s.starts_at, s.ends_at, a.title, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM checkins c WHERE c.volunteer_id = g.user_id AND c.session_id = g.session_id AND c.undone_at IS NULL) \
         + (SELECT CAST(COUNT(*) AS BIGINT) FROM headcounts h WHERE h.volunteer_id = g.user_id AND h.session_id = g.session_id) AS session_scans \
         FROM assignments g JOIN org_units u ON u.id = g.unit_id \
         LEFT JOIN sessions s ON s.id = g.session_id LEFT JOIN activities a ON a.id = s.activity_id \
         WHERE g.user_id = $1 AND g.removed_at IS NULL ORDER BY g.id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    // The name comes from the person, not from their assignments: a volunteer with none yet
    // (or only removed ones) still has a name on the staff list and in the export.
    let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?
        .unwrap_or_default();
    let mut records = Vec::new();
    for r in rows {
        let session_id: Option<i64> = r.get("session_id");
        let (title, day, scans, minutes) = match session_id {
            Some(_) => {
                let starts =
                    time::parse(&r.get::<Option<String>, _>("starts_at").unwrap_or_default())
                        .unwrap_or(now);
                let ends_s: String = r.get::<Option<String>, _>("ends_at").unwrap_or_default();
                let ends = time::parse(&ends_s).unwrap_or(now);
                let scans: i64 = r.get("session_scans");
                let served = scans > 0 && ends_s <= now_s;
                let minutes = if served {
                    (ends - (starts - chrono::Duration::minutes(opens_minutes))).num_minutes()
                } else {
                    0
                };
                let day = crate::family::china_date(starts)
                    .format("%Y-%m-%d")
                    .to_string();
                (
                    r.get::<Option<String>, _>("title").unwrap_or_default(),
                    day,
                    scans,
                    minutes,
                )
            }
            None => {
                let day: String = r.get::<Option<String>, _>("day").unwrap_or_default();
                let date = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").ok();
                let (from, to) = match date.and_then(|d| d.and_hms_opt(0, 0, 0)) {
                    Some(d) => {
                        let start = d.and_utc() - chrono::Duration::hours(8);
                        (
                            time::fmt(start),
                            time::fmt(start + chrono::Duration::days(1)),
                        )
                    }
                    None => (now_s.clone(), now_s.clone()),
                };
                let t = sqlx::query(
                    "SELECT CAST(COUNT(*) AS BIGINT) AS n, MIN(c.recorded_at) AS first, MAX(c.recorded_at) AS last FROM checkins c \
                     JOIN sessions s ON s.id = c.session_id WHERE c.volunteer_id = $1 AND s.unit_id = $2 AND c.undone_at IS NULL AND c.recorded_at >= $3 AND c.recorded_at < $4",
                )
                .bind(user_id)
                .bind(r.get::<i64, _>("unit_id"))
                .bind(&from)
                .bind(&to)
                .fetch_one(db.pool())
                .await?;
                let n: i64 = t.get("n");
                let minutes = match (
                    t.get::<Option<String>, _>("first"),
                    t.get::<Option<String>, _>("last"),
                ) {
                    (Some(a), Some(b)) if to <= now_s || n > 0 => {
                        let span = time::parse(&b)
                            .zip(time::parse(&a))
                            .map(|(b, a)| (b - a).num_minutes())
                            .unwrap_or(0);
                        span.max(60)
                    }
                    _ => 0,
                };
                ("全天值守".to_string(), day, n, minutes)
            }
        };
        records.push(ServiceRecord {
            assignment_id: r.get("id"),
            session_id,
            unit_name: r.get("short_name"),
            title,
            day,
            scans,
            minutes,
        });
    }
    let total: i64 = records.iter().map(|r| r.minutes).sum();
    Ok(ServiceHours {
        user_id,
        volunteer_masked: if name.trim().is_empty() {
            "志愿者".into()
        } else {
            mask_name(&name)
        },
        total_hours: (total as f64 / 6.0).round() / 10.0,
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn tokens_round_trip_and_differ() {
        let key = b"k";
        let t = ticket_token(key, "salt-1");
        assert_eq!(t.len(), TOKEN_LEN);
        assert!(decode_token(&t).is_some());
        assert_ne!(t, ticket_token(key, "salt-2"));
        assert_ne!(t, ticket_token(b"other key", "salt-1"));
        assert_eq!(token_hash(&t).len(), 64);
    }

    /// Property: the decoder never panics, and accepts exactly canonical 43-character
    /// base64url encodings of 32 bytes.
    #[test]
    fn decoder_property() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(42);
        let alphabet =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=. \x00\xff";
        for _ in 0..20_000 {
            let len = rng.gen_range(0..60);
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .collect();
            let s = String::from_utf8_lossy(&bytes).to_string();
            if let Some(decoded) = decode_token(&s) {
                assert_eq!(
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(decoded),
                    s.trim()
                );
            }
        }
        for _ in 0..2_000 {
            let raw: [u8; 32] = rng.gen();
            let s = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
            assert_eq!(decode_token(&s), Some(raw));
            // One changed character either fails or decodes to different bytes — never the same ticket.
            let mut chars: Vec<char> = s.chars().collect();
            let i = rng.gen_range(0..chars.len());
            chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
            let forged: String = chars.into_iter().collect();
            assert_ne!(decode_token(&forged), Some(raw));
        }
        assert!(decode_token("").is_none());
        assert!(decode_token(&"A".repeat(44)).is_none());
        assert!(decode_token("123").is_none());
    }
}
