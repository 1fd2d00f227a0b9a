//! Open data and calendars (issue 17, D224–D227): public read-only feeds of units and upcoming
//! activities (per unit, per branch with everything under it, or the whole district) in JSON,
//! CSV and iCalendar, and each resident's own bookings as an iCalendar feed at an unguessable
//! URL whose token is kept only as a hash and can be reset.
//!
//! Everything here is public data (what the mini-program shows anyone) except the personal
//! feed, which lists only the caller's own sessions and no names.

use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::time::{self, Ts};
use poem_openapi::Object;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// Output formats of a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Ics,
}

impl Format {
    pub fn parse(s: Option<&str>, allow_ics: bool) -> ApiResult<Format> {
        match s.unwrap_or("json") {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "ics" if allow_ics => Ok(Format::Ics),
            _ => Err(ApiError::new(
                poem::http::StatusCode::UNPROCESSABLE_ENTITY,
                "feed_format_invalid",
                if allow_ics {
                    "格式只能是 json、csv 或 ics"
                } else {
                    "格式只能是 json 或 csv"
                },
            )),
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Ics => "text/calendar; charset=utf-8",
        }
    }
}

#[derive(Debug, Clone, Serialize, Object)]
pub struct FeedUnit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub short_name: String,
    /// `main`, `direct_branch`, `branch`, `point`.
    pub level: String,
    pub parent_id: Option<i64>,
    pub address: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub opening_hours: String,
    /// The unit's public service phone.
    pub phone: String,
}

#[derive(Debug, Clone, Serialize, Object)]
pub struct FeedSession {
    pub activity_id: i64,
    pub session_id: i64,
    pub title: String,
    /// `performance`, `lecture`, `exhibition`, `training`, `art_team`, `other`.
    pub kind: String,
    pub organizer: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub address: String,
    pub room: String,
    pub starts_at: String,
    pub ends_at: String,
    /// `none` (walk in), `fcfs`, `lottery`.
    pub booking_mode: String,
    pub capacity: Option<i64>,
    /// Seats left when booking is limited.
    pub seats_left: Option<i64>,
    pub description: String,
    pub updated_at: String,
}

/// Open units: all, or one unit and those under it.
pub async fn units(db: &Db, under: &str) -> ApiResult<Vec<FeedUnit>> {
    let sql = format!(
        "SELECT id, code, name, short_name, level, parent_id, address, lng, lat, opening_hours, phone \
         FROM org_units WHERE closed_at IS NULL AND {} ORDER BY path",
        crate::access::subtree_sql("path", under)
    );
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    Ok(rows
        .into_iter()
        .map(|r| FeedUnit {
            id: r.get("id"),
            code: r.get("code"),
            name: r.get("name"),
            short_name: r.get("short_name"),
            level: r.get("level"),
            parent_id: r.get("parent_id"),
            address: r.get("address"),
            lng: r.get("lng"),
            lat: r.get("lat"),
            opening_hours: r.get("opening_hours"),
            phone: r.get("phone"),
        })
        .collect())
}

/// Upcoming public sessions (every lesson of a course) at one unit, or in a subtree.
pub async fn sessions(
    db: &Db,
    unit_id: Option<i64>,
    under: &str,
    now: Ts,
    days_ahead: i64,
) -> ApiResult<Vec<FeedSession>> {
    let place = match unit_id {
        Some(_) => "s.unit_id = $3".to_string(),
        None => crate::access::subtree_sql("s.unit_path", under),
    };
    let sql = format!(
        "SELECT a.id AS activity_id, s.id AS session_id, a.title, a.kind, ou.short_name AS organizer, \
         s.unit_id, u.name AS unit_name, u.address, s.room, s.starts_at, s.ends_at, a.booking_mode, \
         s.capacity, s.booked, a.description, a.updated_at FROM sessions s \
         JOIN activities a ON a.id = s.activity_id JOIN org_units u ON u.id = s.unit_id \
         JOIN org_units ou ON ou.id = a.organizer_unit_id \
         WHERE a.status = 'published' AND a.audience = 'public' AND s.status = 'scheduled' \
         AND s.ends_at > $1 AND s.starts_at < $2 AND {place} ORDER BY s.starts_at, s.id LIMIT 2000"
    );
    let mut q = sqlx::query(&sql)
        .bind(time::fmt(now))
        .bind(time::fmt(now + chrono::Duration::days(days_ahead)));
    if let Some(id) = unit_id {
        q = q.bind(id);
    }
    let rows = q.fetch_all(db.pool()).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let capacity: Option<i64> = r.get("capacity");
            let booked: i64 = r.get("booked");
            FeedSession {
                activity_id: r.get("activity_id"),
                session_id: r.get("session_id"),
                title: r.get("title"),
                kind: r.get("kind"),
                organizer: r.get("organizer"),
                unit_id: r.get("unit_id"),
                unit_name: r.get("unit_name"),
                address: r.get("address"),
                room: r.get("room"),
                starts_at: r.get("starts_at"),
                ends_at: r.get("ends_at"),
                booking_mode: r.get("booking_mode"),
                seats_left: capacity.map(|c| (c - booked).max(0)),
                capacity,
                description: r.get("description"),
                updated_at: r.get("updated_at"),
            }
        })
        .collect())
}

fn csv_bytes(header: &[&str], rows: Vec<Vec<String>>) -> ApiResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    w.write_record(header).map_err(|_| ApiError::internal())?;
    for r in rows {
        w.write_record(&r).map_err(|_| ApiError::internal())?;
    }
    w.into_inner().map_err(|_| ApiError::internal())
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

pub fn units_csv(units: &[FeedUnit]) -> ApiResult<Vec<u8>> {
    csv_bytes(
        &[
            "id",
            "code",
            "name",
            "short_name",
            "level",
            "parent_id",
            "address",
            "lng",
            "lat",
            "opening_hours",
            "phone",
        ],
        units
            .iter()
            .map(|u| {
                vec![
                    u.id.to_string(),
                    u.code.clone(),
                    u.name.clone(),
                    u.short_name.clone(),
                    u.level.clone(),
                    opt(u.parent_id),
                    u.address.clone(),
                    opt(u.lng),
                    opt(u.lat),
                    u.opening_hours.clone(),
                    u.phone.clone(),
                ]
            })
            .collect(),
    )
}

pub fn sessions_csv(s: &[FeedSession]) -> ApiResult<Vec<u8>> {
    csv_bytes(
        &[
            "activity_id",
            "session_id",
            "title",
            "kind",
            "organizer",
            "unit_id",
            "unit_name",
            "address",
            "room",
            "starts_at",
            "ends_at",
            "booking_mode",
            "capacity",
            "seats_left",
        ],
        s.iter()
            .map(|x| {
                vec![
                    x.activity_id.to_string(),
                    x.session_id.to_string(),
                    x.title.clone(),
                    x.kind.clone(),
                    x.organizer.clone(),
                    x.unit_id.to_string(),
                    x.unit_name.clone(),
                    x.address.clone(),
                    x.room.clone(),
                    x.starts_at.clone(),
                    x.ends_at.clone(),
                    x.booking_mode.clone(),
                    opt(x.capacity),
                    opt(x.seats_left),
                ]
            })
            .collect(),
    )
}

/// One event of an iCalendar feed.
#[derive(Debug, Clone)]
pub struct Event {
    pub uid: String,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub starts_at: Ts,
    pub ends_at: Ts,
    pub cancelled: bool,
}

/// TEXT escaping (RFC 5545 3.3.11): backslash, semicolon, comma, newline.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character, and
/// ends it with CRLF.
pub fn fold(line: &str, out: &mut String) {
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

fn local(t: Ts) -> String {
    t.with_timezone(&time::cst())
        .format("%Y%m%dT%H%M%S")
        .to_string()
}

/// A calendar (RFC 5545) with the Asia/Shanghai time zone (no daylight saving since 1991).
pub fn calendar(name: &str, events: &[Event], now: Ts) -> String {
    let mut out = String::new();
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Culture Hub//文化馆总分馆服务//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        fold(l, &mut out);
    }
    fold(&format!("X-WR-CALNAME:{}", escape_text(name)), &mut out);
    fold("X-WR-TIMEZONE:Asia/Shanghai", &mut out);
    for l in [
        "BEGIN:VTIMEZONE",
        "TZID:Asia/Shanghai",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0800",
        "TZOFFSETTO:+0800",
        "TZNAME:CST",
        "END:STANDARD",
        "END:VTIMEZONE",
    ] {
        fold(l, &mut out);
    }
    for e in events {
        fold("BEGIN:VEVENT", &mut out);
        fold(&format!("UID:{}", e.uid), &mut out);
        fold(&format!("DTSTAMP:{stamp}"), &mut out);
        fold(
            &format!("DTSTART;TZID=Asia/Shanghai:{}", local(e.starts_at)),
            &mut out,
        );
        fold(
            &format!("DTEND;TZID=Asia/Shanghai:{}", local(e.ends_at)),
            &mut out,
        );
        fold(&format!("SUMMARY:{}", escape_text(&e.summary)), &mut out);
        if !e.location.is_empty() {
            fold(&format!("LOCATION:{}", escape_text(&e.location)), &mut out);
        }
        if !e.description.is_empty() {
            fold(
                &format!("DESCRIPTION:{}", escape_text(&e.description)),
                &mut out,
            );
        }
        fold(
            if e.cancelled {
                "STATUS:CANCELLED"
            } else {
                "STATUS:CONFIRMED"
            },
            &mut out,
        );
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

pub fn session_events(s: &[FeedSession], host: &str) -> Vec<Event> {
    s.iter()
        .filter_map(|x| {
            Some(Event {
                uid: format!("session-{}@{host}", x.session_id),
                summary: x.title.clone(),
                location: [x.unit_name.as_str(), x.room.as_str(), x.address.as_str()]
                    .iter()
                    .filter(|p| !p.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
                description: x.description.chars().take(500).collect(),
                starts_at: time::parse(&x.starts_at)?,
                ends_at: time::parse(&x.ends_at)?,
                cancelled: false,
            })
        })
        .collect()
}

/// `"<first 32 hex of SHA-256>"`: a strong validator of the exact bytes.
pub fn etag(body: &[u8]) -> String {
    format!("\"{}\"", &hex::encode(Sha256::digest(body))[..32])
}

/// Whether the client's copy is current (RFC 9110 13.1.2: `If-None-Match` wins when sent).
pub fn not_modified(
    if_none_match: Option<&str>,
    if_modified_since: Option<&str>,
    etag: &str,
    last_modified: Ts,
) -> bool {
    if let Some(inm) = if_none_match {
        return inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == etag);
    }
    if let Some(ims) = if_modified_since.and_then(|s| chrono::DateTime::parse_from_rfc2822(s).ok())
    {
        return last_modified.timestamp() <= ims.timestamp();
    }
    false
}

/// An HTTP date (`Wed, 02 Dec 2026 04:00:00 GMT`).
pub fn http_date(t: Ts) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

// ---- Personal calendar feed (D226) ----

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new feed token for `user_id`, replacing any earlier one (which stops working at once).
/// Answers the token: it is shown this once, only its hash is kept.
pub async fn reset_token(db: &Db, user_id: i64, now: &str) -> ApiResult<String> {
    let mut tx = db.begin().await?;
    let token = reset_token_in(&mut tx, user_id, now).await?;
    tx.commit().await?;
    Ok(token)
}

async fn reset_token_in(tx: &mut Tx, user_id: i64, now: &str) -> ApiResult<String> {
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    sqlx::query("DELETE FROM calendar_tokens WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO calendar_tokens (user_id, token_hash, created_at) VALUES ($1,$2,$3)")
        .bind(user_id)
        .bind(hash_token(&token))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(token)
}

/// When the person's feed was made, if they have one.
pub async fn token_created(db: &Db, user_id: i64) -> ApiResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT created_at FROM calendar_tokens WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// The person behind a feed token (a deleted account's token was removed with it).
pub async fn user_for_token(db: &Db, token: &str) -> ApiResult<Option<i64>> {
    if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(
        sqlx::query_scalar("SELECT user_id FROM calendar_tokens WHERE token_hash = $1")
            .bind(hash_token(token))
            .fetch_optional(db.pool())
            .await?,
    )
}

/// The person's booked sessions (every lesson of a booked course) from 30 days back, cancelled
/// sessions marked so calendars remove them.
pub async fn my_events(db: &Db, user_id: i64, now: Ts, host: &str) -> ApiResult<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT b.id AS booking_id, l.id AS session_id, a.title, u.name AS unit_name, u.address, l.room, \
         l.starts_at, l.ends_at, l.status, a.status AS activity_status FROM bookings b \
         JOIN activities a ON a.id = b.activity_id \
         JOIN sessions l ON (l.id = b.session_id OR (a.is_course = 1 AND l.activity_id = a.id)) \
         JOIN org_units u ON u.id = l.unit_id \
         WHERE b.user_id = $1 AND b.status IN ('confirmed','entered') AND l.ends_at > $2 \
         ORDER BY l.starts_at, l.id",
    )
    .bind(user_id)
    .bind(time::fmt(now - chrono::Duration::days(30)))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let room: String = r.get("room");
            let unit: String = r.get("unit_name");
            let address: String = r.get("address");
            Some(Event {
                uid: format!(
                    "booking-{}-{}@{host}",
                    r.get::<i64, _>("booking_id"),
                    r.get::<i64, _>("session_id")
                ),
                summary: r.get("title"),
                location: [unit, room, address]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" "),
                description: "凭预约入场，可在小程序“我的预约”查看入场凭证".into(),
                starts_at: time::parse(&r.get::<String, _>("starts_at"))?,
                ends_at: time::parse(&r.get::<String, _>("ends_at"))?,
                cancelled: r.get::<String, _>("status") == "cancelled"
                    || r.get::<String, _>("activity_status") == "cancelled",
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_values() {
        assert_eq!(escape_text("a,b;c\\d\ne\r"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "书法".repeat(40));
        fold(&line, &mut out);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
    }

    #[test]
    fn conditional_requests() {
        let t = time::parse("2026-12-02T04:00:00Z").unwrap();
        let e = "\"abc\"";
        assert!(not_modified(Some("\"abc\""), None, e, t));
        assert!(not_modified(Some("W/\"abc\", \"x\""), None, e, t));
        assert!(!not_modified(Some("\"x\""), Some(&http_date(t)), e, t));
        assert!(not_modified(None, Some(&http_date(t)), e, t));
        assert!(!not_modified(
            None,
            Some(&http_date(t - chrono::Duration::seconds(1))),
            e,
            t
        ));
        assert!(!not_modified(None, Some("garbage"), e, t));
    }

    #[test]
    fn formats() {
        assert_eq!(Format::parse(None, true).unwrap(), Format::Json);
        assert_eq!(Format::parse(Some("ics"), true).unwrap(), Format::Ics);
        assert!(Format::parse(Some("ics"), false).is_err());
        assert!(Format::parse(Some("xml"), true).is_err());
    }
}
