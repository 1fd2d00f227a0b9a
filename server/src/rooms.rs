//! Rooms (场地) of a unit and one calendar per room.
//!
//! A room is a managed record: kind (from the district's list in settings), capacity,
//! facilities, accessibility, opening hours per weekday, photos, and the booking rules team
//! bookings will follow. Its calendar (`room_calendar`) holds activity sessions and closures
//! (holidays, maintenance), later team bookings. Two entries of one room never overlap: the
//! database refuses it (an exclusion constraint on PostgreSQL, triggers under SQLite's single
//! writer), and `clash_or` turns that refusal into `409 room_clash`.

use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::time::{self, Ts};
use chrono::{Datelike, TimeZone};
use poem::http::StatusCode;
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashMap;

pub const BOOKABLE_BY: [&str; 3] = ["none", "teams", "residents"];

/// One weekday's opening span, China Standard Time.
#[derive(Debug, Clone, Object, Serialize, Deserialize, PartialEq)]
pub struct OpeningHours {
    /// 1 = Monday … 7 = Sunday.
    pub weekday: i64,
    /// `09:00`.
    pub opens: String,
    /// `21:30`.
    pub closes: String,
}

/// What team bookings will follow (stored now; teams come later).
#[derive(Debug, Clone, Object, Serialize, Deserialize, PartialEq)]
pub struct BookingRules {
    /// How many days ahead a slot can be booked.
    pub book_ahead_days: i64,
    /// The longest slot, in minutes.
    pub max_slot_minutes: i64,
    /// Hours one team may book per week.
    pub weekly_hours_per_team: i64,
    /// A booking can be cancelled until this many hours before it starts.
    pub cancel_hours_before: i64,
}

impl Default for BookingRules {
    fn default() -> Self {
        BookingRules {
            book_ahead_days: 14,
            max_slot_minutes: 180,
            weekly_hours_per_team: 6,
            cancel_hours_before: 24,
        }
    }
}

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct RoomPhoto {
    pub file_id: i64,
    pub url: String,
}

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct RoomView {
    pub id: i64,
    pub unit_id: i64,
    pub name: String,
    /// One of the district's room kinds (多功能厅, 排练厅, …).
    pub kind: String,
    pub capacity: i64,
    pub facilities: Vec<String>,
    /// Step-free access, lift, accessible toilet… as free text.
    pub accessibility: String,
    pub description: String,
    /// `none`, `teams` or `residents` (residents includes teams).
    pub bookable_by: String,
    pub rules: BookingRules,
    /// Bookings are confirmed at once instead of waiting for staff approval.
    pub auto_confirm: bool,
    pub hours: Vec<OpeningHours>,
    pub photos: Vec<RoomPhoto>,
    /// Closed for good (no longer used); temporary closures are calendar entries.
    pub closed_at: Option<String>,
}

/// A new room, or (every field optional) a change to one.
#[derive(Debug, Clone, Object, Serialize, Deserialize, Default)]
pub struct RoomInput {
    #[oai(validator(max_length = 40))]
    pub name: Option<String>,
    #[oai(validator(max_length = 20))]
    pub kind: Option<String>,
    pub capacity: Option<i64>,
    #[oai(validator(max_items = 30))]
    pub facilities: Option<Vec<String>>,
    #[oai(validator(max_length = 200))]
    pub accessibility: Option<String>,
    #[oai(validator(max_length = 1000))]
    pub description: Option<String>,
    pub bookable_by: Option<String>,
    pub rules: Option<BookingRules>,
    /// Confirm bookings at once (no staff approval).
    pub auto_confirm: Option<bool>,
    /// Replaces all opening hours (a weekday not listed is closed).
    #[oai(validator(max_items = 7))]
    pub hours: Option<Vec<OpeningHours>>,
    /// Replaces the photos: public images uploaded for this unit (`POST /api/v1/files`).
    #[oai(validator(max_items = 9))]
    pub photo_file_ids: Option<Vec<i64>>,
}

fn invalid(msg: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::validation(msg)
}

fn hhmm(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && s[..2].parse::<u32>().is_ok_and(|h| h < 24)
        && s[3..].parse::<u32>().is_ok_and(|m| m < 60)
        && b[..2].iter().chain(&b[3..]).all(u8::is_ascii_digit)
}

/// Checks a room's fields. Pure; `kinds` is the district's list, `creating` demands the name,
/// kind and capacity.
pub fn validate(p: &RoomInput, kinds: &[String], creating: bool) -> ApiResult<()> {
    match p.name.as_deref().map(str::trim) {
        Some("") => return Err(invalid("请填写场地名称")),
        None if creating => return Err(invalid("请填写场地名称")),
        _ => {}
    }
    match p.kind.as_deref() {
        Some(k) if !kinds.iter().any(|x| x == k) => {
            return Err(invalid(format!("场地类型只能是：{}", kinds.join("、"))))
        }
        None if creating => return Err(invalid("请选择场地类型")),
        _ => {}
    }
    match p.capacity {
        Some(c) if !(1..=100_000).contains(&c) => {
            return Err(invalid("容纳人数应在 1 到 100000 之间"))
        }
        None if creating => return Err(invalid("请填写容纳人数")),
        _ => {}
    }
    if let Some(f) = &p.facilities {
        if f.iter()
            .any(|x| x.trim().is_empty() || x.chars().count() > 20)
        {
            return Err(invalid("每项设施设备应为 1 到 20 个字"));
        }
    }
    if let Some(b) = p.bookable_by.as_deref() {
        if !BOOKABLE_BY.contains(&b) {
            return Err(invalid("可预约对象只能是 none、teams 或 residents"));
        }
    }
    if let Some(r) = &p.rules {
        if !(0..=365).contains(&r.book_ahead_days)
            || !(15..=24 * 60).contains(&r.max_slot_minutes)
            || !(0..=168).contains(&r.weekly_hours_per_team)
            || !(0..=24 * 30).contains(&r.cancel_hours_before)
        {
            return Err(invalid("预约规则超出范围"));
        }
    }
    if let Some(hours) = &p.hours {
        let mut seen = [false; 8];
        for h in hours {
            if !(1..=7).contains(&h.weekday) {
                return Err(invalid("星期应为 1（周一）到 7（周日）"));
            }
            if std::mem::replace(&mut seen[h.weekday as usize], true) {
                return Err(invalid("同一天只能有一段开放时间"));
            }
            if !hhmm(&h.opens) || !hhmm(&h.closes) || h.opens >= h.closes {
                return Err(invalid("开放时间应写作 09:00，且开门早于关门"));
            }
        }
    }
    if let Some(ids) = &p.photo_file_ids {
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != ids.len() {
            return Err(invalid("照片重复"));
        }
    }
    Ok(())
}

fn facilities_json(f: &[String]) -> String {
    serde_json::to_string(&f.iter().map(|x| x.trim()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

/// Turns the database's refusal of an overlapping calendar entry into `409 room_clash`.
pub fn clash_or(e: sqlx::Error) -> ApiError {
    // 40P01: two transactions that each inserted an overlapping entry wait on each other in the
    // exclusion check, and PostgreSQL aborts one as a deadlock — the same clash, seen earlier.
    let clash = match &e {
        sqlx::Error::Database(d) => {
            matches!(d.code().as_deref(), Some("23P01") | Some("40P01"))
                || d.message().contains("room_clash")
        }
        _ => false,
    };
    if clash {
        room_clash()
    } else {
        e.into()
    }
}

pub fn room_clash() -> ApiError {
    ApiError::conflict("room_clash", "该场地在这段时间已有安排")
}

fn room_closed() -> ApiError {
    ApiError::conflict("room_closed", "该场地已停用")
}

const ROOM_COLS: &str =
    "id, unit_id, name, kind, capacity, facilities, accessibility, description, bookable_by, \
     book_ahead_days, max_slot_minutes, weekly_hours_per_team, cancel_hours_before, closed_at, auto_confirm";

async fn views(db: &Db, rows: Vec<sqlx::any::AnyRow>) -> ApiResult<Vec<RoomView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Hours and photos of all the rooms in two queries, not two per room (the week calendar
    // of a unit lists every room; issue 18).
    let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let marks = marks.join(", ");
    let hours_sql = format!(
        "SELECT room_id, weekday, opens, closes FROM room_hours WHERE room_id IN ({marks}) ORDER BY room_id, weekday"
    );
    let mut q = sqlx::query(&hours_sql);
    for id in &ids {
        q = q.bind(id);
    }
    let mut hours: HashMap<i64, Vec<OpeningHours>> = HashMap::new();
    for h in q.fetch_all(db.pool()).await? {
        hours
            .entry(h.get("room_id"))
            .or_default()
            .push(OpeningHours {
                weekday: h.get("weekday"),
                opens: h.get("opens"),
                closes: h.get("closes"),
            });
    }
    let photos_sql = format!(
        "SELECT room_id, file_id FROM room_photos WHERE room_id IN ({marks}) ORDER BY room_id, position"
    );
    let mut q = sqlx::query(&photos_sql);
    for id in &ids {
        q = q.bind(id);
    }
    let mut photos: HashMap<i64, Vec<RoomPhoto>> = HashMap::new();
    for p in q.fetch_all(db.pool()).await? {
        let file_id: i64 = p.get("file_id");
        photos.entry(p.get("room_id")).or_default().push(RoomPhoto {
            file_id,
            url: format!("/api/v1/files/{file_id}"),
        });
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.get("id");
        out.push(RoomView {
            id,
            unit_id: r.get("unit_id"),
            name: r.get("name"),
            kind: r.get("kind"),
            capacity: r.get("capacity"),
            facilities: serde_json::from_str(&r.get::<String, _>("facilities")).unwrap_or_default(),
            accessibility: r.get("accessibility"),
            description: r.get("description"),
            bookable_by: r.get("bookable_by"),
            rules: BookingRules {
                book_ahead_days: r.get("book_ahead_days"),
                max_slot_minutes: r.get("max_slot_minutes"),
                weekly_hours_per_team: r.get("weekly_hours_per_team"),
                cancel_hours_before: r.get("cancel_hours_before"),
            },
            auto_confirm: r.get::<i64, _>("auto_confirm") != 0,
            hours: hours.remove(&id).unwrap_or_default(),
            photos: photos.remove(&id).unwrap_or_default(),
            closed_at: r.get("closed_at"),
        });
    }
    Ok(out)
}

/// A unit's rooms, open ones first by id; closed ones only when asked.
pub async fn list(db: &Db, unit_id: i64, include_closed: bool) -> ApiResult<Vec<RoomView>> {
    let rows = sqlx::query(&format!(
        "SELECT {ROOM_COLS} FROM rooms WHERE unit_id = $1 AND ($2 = 1 OR closed_at IS NULL) ORDER BY id"
    ))
    .bind(unit_id)
    .bind(include_closed as i64)
    .fetch_all(db.pool())
    .await?;
    views(db, rows).await
}

pub async fn get(db: &Db, id: i64) -> ApiResult<RoomView> {
    let row = sqlx::query(&format!("SELECT {ROOM_COLS} FROM rooms WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该场地"))?;
    Ok(views(db, vec![row]).await?.remove(0))
}

async fn write_hours_photos(tx: &mut Tx, id: i64, p: &RoomInput) -> ApiResult<()> {
    if let Some(hours) = &p.hours {
        sqlx::query("DELETE FROM room_hours WHERE room_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        for h in hours {
            sqlx::query(
                "INSERT INTO room_hours (room_id, weekday, opens, closes) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(h.weekday)
            .bind(&h.opens)
            .bind(&h.closes)
            .execute(&mut **tx)
            .await?;
        }
    }
    if let Some(photos) = &p.photo_file_ids {
        sqlx::query("DELETE FROM room_photos WHERE room_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        for (i, f) in photos.iter().enumerate() {
            sqlx::query("INSERT INTO room_photos (room_id, file_id, position) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(f)
                .bind(i as i64)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

fn name_taken() -> ApiError {
    ApiError::conflict("room_name_taken", "本单位已有同名场地")
}

async fn ensure_name_free(tx: &mut Tx, unit_id: i64, name: &str, except: i64) -> ApiResult<()> {
    let n: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM rooms WHERE unit_id = $1 AND name = $2 AND id <> $3",
    )
    .bind(unit_id)
    .bind(name)
    .bind(except)
    .fetch_one(&mut **tx)
    .await?;
    if n > 0 {
        return Err(name_taken());
    }
    Ok(())
}

/// Creates a room (fields validated, photos checked by the caller) inside `tx`.
pub async fn insert(tx: &mut Tx, unit_id: i64, p: &RoomInput, now: &str) -> ApiResult<i64> {
    let name = p.name.as_deref().unwrap_or_default().trim();
    ensure_name_free(tx, unit_id, name, 0).await?;
    let rules = p.rules.clone().unwrap_or_default();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO rooms (unit_id, name, kind, capacity, facilities, accessibility, description, bookable_by, \
         book_ahead_days, max_slot_minutes, weekly_hours_per_team, cancel_hours_before, auto_confirm, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$14,$13,$13) RETURNING id",
    )
    .bind(unit_id)
    .bind(name)
    .bind(p.kind.as_deref().unwrap_or("其他"))
    .bind(p.capacity.unwrap_or(1))
    .bind(facilities_json(p.facilities.as_deref().unwrap_or_default()))
    .bind(p.accessibility.as_deref().unwrap_or_default().trim())
    .bind(p.description.as_deref().unwrap_or_default().trim())
    .bind(p.bookable_by.as_deref().unwrap_or("none"))
    .bind(rules.book_ahead_days)
    .bind(rules.max_slot_minutes)
    .bind(rules.weekly_hours_per_team)
    .bind(rules.cancel_hours_before)
    .bind(now)
    .bind(p.auto_confirm.unwrap_or(false) as i64)
    .fetch_one(&mut **tx)
    .await?;
    write_hours_photos(tx, id, p).await?;
    Ok(id)
}

/// Changes a room. Its capacity cannot drop below a coming session's seats unless that
/// session has a recorded reason.
pub async fn update(tx: &mut Tx, room: &RoomView, p: &RoomInput, now: &str) -> ApiResult<()> {
    if room.closed_at.is_some() {
        return Err(room_closed());
    }
    if let Some(name) = p.name.as_deref().map(str::trim) {
        ensure_name_free(tx, room.unit_id, name, room.id).await?;
    }
    if let Some(c) = p.capacity {
        let over: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions WHERE room_id = $1 AND status = 'scheduled' \
             AND ends_at > $2 AND capacity > $3 AND capacity_reason = ''",
        )
        .bind(room.id)
        .bind(now)
        .bind(c)
        .fetch_one(&mut **tx)
        .await?;
        if over > 0 {
            return Err(ApiError::conflict(
                "room_capacity_below_sessions",
                format!("有 {over} 个未结束的场次名额超过 {c} 人，请先调整这些场次"),
            ));
        }
    }
    let rules = p.rules.clone().unwrap_or_else(|| room.rules.clone());
    sqlx::query(
        "UPDATE rooms SET name = COALESCE($1, name), kind = COALESCE($2, kind), capacity = COALESCE($3, capacity), \
         facilities = COALESCE($4, facilities), accessibility = COALESCE($5, accessibility), \
         description = COALESCE($6, description), bookable_by = COALESCE($7, bookable_by), book_ahead_days = $8, \
         max_slot_minutes = $9, weekly_hours_per_team = $10, cancel_hours_before = $11, updated_at = $12, \
         auto_confirm = COALESCE($14, auto_confirm) WHERE id = $13",
    )
    .bind(p.name.as_deref().map(str::trim))
    .bind(p.kind.as_deref())
    .bind(p.capacity)
    .bind(p.facilities.as_deref().map(facilities_json))
    .bind(p.accessibility.as_deref().map(str::trim))
    .bind(p.description.as_deref().map(str::trim))
    .bind(p.bookable_by.as_deref())
    .bind(rules.book_ahead_days)
    .bind(rules.max_slot_minutes)
    .bind(rules.weekly_hours_per_team)
    .bind(rules.cancel_hours_before)
    .bind(now)
    .bind(room.id)
    .bind(p.auto_confirm.map(i64::from))
    .execute(&mut **tx)
    .await?;
    write_hours_photos(tx, room.id, p).await?;
    if let Some(name) = p.name.as_deref().map(str::trim) {
        // The session's place label follows its room.
        sqlx::query("UPDATE sessions SET room = $1 WHERE room_id = $2")
            .bind(name)
            .bind(room.id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Closes a room for good. Refused while coming sessions are still in it.
pub async fn close(tx: &mut Tx, room: &RoomView, now: &str) -> ApiResult<()> {
    if room.closed_at.is_some() {
        return Err(room_closed());
    }
    let coming: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions WHERE room_id = $1 AND status = 'scheduled' AND ends_at > $2",
    )
    .bind(room.id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    if coming > 0 {
        return Err(ApiError::conflict(
            "room_in_use",
            format!("该场地还有 {coming} 个未结束的场次，请先调整"),
        ));
    }
    sqlx::query("UPDATE rooms SET closed_at = $1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(room.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Sessions on the calendar.

/// Where a session takes place, resolved: a room of its unit (on the calendar) or a label.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub room_id: Option<i64>,
    /// The room's name, the outside place, or empty (not named).
    pub label: String,
    pub outside: bool,
    pub capacity_reason: String,
}

/// What a session says about its place.
#[derive(Debug, Clone, Default)]
pub struct PlaceAsk<'a> {
    pub room_id: Option<i64>,
    pub room: Option<&'a str>,
    pub outside: bool,
    pub capacity: Option<i64>,
    pub capacity_reason: Option<&'a str>,
}

fn unprocessable(code: &'static str, msg: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
}

/// Resolves a session's place at `unit_id`: a room by id or by its name at the unit, or a
/// place outside the unit (`outside`, free text). A name that is no room of the unit is
/// refused (`unknown_room`), and so are more seats than the room holds without a reason.
pub async fn resolve(db: &Db, unit_id: i64, ask: &PlaceAsk<'_>, what: &str) -> ApiResult<Place> {
    let text = ask.room.map(str::trim).unwrap_or_default();
    let reason = ask.capacity_reason.map(str::trim).unwrap_or_default();
    if reason.chars().count() > 200 {
        return Err(invalid("超出容量的说明不超过 200 字"));
    }
    if ask.outside {
        if ask.room_id.is_some() {
            return Err(invalid(format!("{what}：馆外地点不能同时选择本单位场地")));
        }
        if text.is_empty() {
            return Err(invalid(format!("{what}：请填写馆外地点")));
        }
        return Ok(Place {
            room_id: None,
            label: text.to_string(),
            outside: true,
            capacity_reason: reason.to_string(),
        });
    }
    let row = match (ask.room_id, text) {
        (Some(id), _) => {
            let r = sqlx::query("SELECT id, unit_id, name, capacity, closed_at FROM rooms WHERE id = $1")
                .bind(id)
                .fetch_optional(db.pool())
                .await?
                .ok_or_else(|| unprocessable("unknown_room", format!("{what}：场地不存在")))?;
            if r.get::<i64, _>("unit_id") != unit_id {
                return Err(unprocessable(
                    "room_not_in_unit",
                    format!("{what}：场地不属于该单位"),
                ));
            }
            r
        }
        (None, "") => {
            return Ok(Place {
                room_id: None,
                label: String::new(),
                outside: false,
                capacity_reason: reason.to_string(),
            })
        }
        (None, name) => sqlx::query(
            "SELECT id, unit_id, name, capacity, closed_at FROM rooms WHERE unit_id = $1 AND name = $2",
        )
        .bind(unit_id)
        .bind(name)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| {
            unprocessable(
                "unknown_room",
                format!("{what}：该单位没有名为“{name}”的场地；请选择场地，或标明为馆外地点"),
            )
        })?,
    };
    if row.get::<Option<String>, _>("closed_at").is_some() {
        return Err(room_closed());
    }
    let cap: i64 = row.get("capacity");
    if ask.capacity.is_some_and(|c| c > cap) && reason.is_empty() {
        return Err(unprocessable(
            "over_room_capacity",
            format!("{what}：名额超过场地容量（{cap} 人），请减少名额或说明原因"),
        )
        .with_details(serde_json::json!({ "room_capacity": cap })));
    }
    Ok(Place {
        room_id: Some(row.get("id")),
        label: row.get("name"),
        outside: false,
        capacity_reason: reason.to_string(),
    })
}

/// Puts a session on its room's calendar as it now is (moved, re-roomed) or takes it off
/// (cancelled, no room). Inside the caller's write transaction; a clash fails it.
pub async fn sync_session(tx: &mut Tx, session_id: i64, now: &str) -> ApiResult<()> {
    sqlx::query("DELETE FROM room_calendar WHERE session_id = $1")
        .bind(session_id)
        .execute(&mut **tx)
        .await?;
    let r = sqlx::query("SELECT room_id, starts_at, ends_at, status FROM sessions WHERE id = $1")
        .bind(session_id)
        .fetch_one(&mut **tx)
        .await?;
    let room: Option<i64> = r.get("room_id");
    let (Some(room), "scheduled") = (room, r.get::<String, _>("status").as_str()) else {
        return Ok(());
    };
    let start = time::parse(&r.get::<String, _>("starts_at")).ok_or_else(ApiError::internal)?;
    let end = time::parse(&r.get::<String, _>("ends_at")).ok_or_else(ApiError::internal)?;
    insert_entry(
        tx,
        room,
        "session",
        Some(session_id),
        start,
        end,
        "",
        None,
        now,
    )
    .await?;
    Ok(())
}

/// Adds one calendar entry; the database refuses an overlap (`room_clash`).
#[allow(clippy::too_many_arguments)]
pub async fn insert_entry(
    tx: &mut Tx,
    room_id: i64,
    kind: &str,
    session_id: Option<i64>,
    start: Ts,
    end: Ts,
    reason: &str,
    by: Option<i64>,
    now: &str,
) -> ApiResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO room_calendar (room_id, kind, session_id, starts_s, ends_s, reason, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
    )
    .bind(room_id)
    .bind(kind)
    .bind(session_id)
    .bind(start.timestamp())
    .bind(end.timestamp())
    .bind(reason)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(clash_or)
}

/// Takes every session of an activity off the calendar (the activity was cancelled).
pub async fn free_activity(tx: &mut Tx, activity_id: i64) -> ApiResult<()> {
    sqlx::query(
        "DELETE FROM room_calendar WHERE session_id IN (SELECT id FROM sessions WHERE activity_id = $1)",
    )
    .bind(activity_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A closure's input: holiday or maintenance, CST or any RFC 3339 times.
pub fn check_closure(start: &str, end: &str, reason: &str) -> ApiResult<(Ts, Ts)> {
    let s = time::parse(start).ok_or_else(|| invalid("开始时间格式不正确"))?;
    let e = time::parse(end).ok_or_else(|| invalid("结束时间格式不正确"))?;
    if e <= s {
        return Err(invalid("结束时间应晚于开始时间"));
    }
    if e - s > chrono::Duration::days(366) {
        return Err(invalid("闭馆时段过长"));
    }
    if reason.trim().is_empty() || reason.chars().count() > 100 {
        return Err(invalid("请填写闭馆原因（不超过 100 字）"));
    }
    Ok((s, e))
}

/// One calendar entry as staff see it.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct CalendarEntry {
    pub id: i64,
    pub room_id: i64,
    pub room_name: String,
    /// `session`, `closure` (later `team_booking`).
    pub kind: String,
    pub starts_at: String,
    pub ends_at: String,
    pub session_id: Option<i64>,
    pub activity_id: Option<i64>,
    /// The activity's title, or the closure's reason.
    pub title: String,
}

/// A busy span on the public free/busy view: no names, no reasons.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct BusySpan {
    pub room_id: i64,
    pub starts_at: String,
    pub ends_at: String,
    /// `busy` (something takes place) or `closed`.
    pub state: String,
}

fn ts(secs: i64) -> Ts {
    chrono::Utc
        .timestamp_opt(secs, 0)
        .single()
        .unwrap_or_default()
}

/// Calendar entries of the given rooms overlapping [from, to).
pub async fn entries(db: &Db, room_ids: &[i64], from: Ts, to: Ts) -> ApiResult<Vec<CalendarEntry>> {
    if room_ids.is_empty() {
        return Ok(Vec::new());
    }
    // One query for all the rooms (the week view of a unit), not one per room (D213).
    let marks: Vec<String> = (0..room_ids.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "SELECT c.id, c.room_id, r.name AS room_name, c.kind, c.starts_s, c.ends_s, c.session_id, c.reason, \
         s.activity_id, a.title FROM room_calendar c JOIN rooms r ON r.id = c.room_id \
         LEFT JOIN sessions s ON s.id = c.session_id LEFT JOIN activities a ON a.id = s.activity_id \
         WHERE c.room_id IN ({}) AND c.starts_s < $2 AND c.ends_s > $1 ORDER BY c.starts_s, c.room_id, c.id",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql)
        .bind(from.timestamp())
        .bind(to.timestamp());
    for room in room_ids {
        q = q.bind(room);
    }
    let rows = q.fetch_all(db.pool()).await?;
    let mut out: Vec<CalendarEntry> = rows
        .into_iter()
        .map(|r| CalendarEntry {
            id: r.get("id"),
            room_id: r.get("room_id"),
            room_name: r.get("room_name"),
            kind: r.get("kind"),
            starts_at: time::fmt(ts(r.get("starts_s"))),
            ends_at: time::fmt(ts(r.get("ends_s"))),
            session_id: r.get("session_id"),
            activity_id: r.get("activity_id"),
            title: r
                .get::<Option<String>, _>("title")
                .unwrap_or_else(|| r.get("reason")),
        })
        .collect();
    out.sort_by(|a, b| {
        a.starts_at
            .cmp(&b.starts_at)
            .then(a.room_id.cmp(&b.room_id))
    });
    Ok(out)
}

/// Strips a calendar to free/busy.
pub fn busy(entries: &[CalendarEntry]) -> Vec<BusySpan> {
    entries
        .iter()
        .map(|e| BusySpan {
            room_id: e.room_id,
            starts_at: e.starts_at.clone(),
            ends_at: e.ends_at.clone(),
            state: if e.kind == "closure" {
                "closed"
            } else {
                "busy"
            }
            .into(),
        })
        .collect()
}

pub async fn closure(db: &Db, id: i64) -> ApiResult<(i64, String)> {
    let r = sqlx::query("SELECT room_id, kind FROM room_calendar WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .filter(|r| r.get::<String, _>("kind") == "closure")
        .ok_or_else(|| ApiError::not_found("该闭馆安排"))?;
    Ok((r.get("room_id"), r.get("kind")))
}

// ---------------------------------------------------------------------------------------------
// Use statistics.

/// Minutes a room is open in [from, to) by its weekly hours (CST), before closures.
pub fn opening_minutes(hours: &[OpeningHours], from: Ts, to: Ts) -> i64 {
    let cst = time::cst();
    let mut day = from.with_timezone(&cst).date_naive();
    let last = to.with_timezone(&cst).date_naive();
    let mut total = 0;
    while day <= last {
        let wd = day.weekday().number_from_monday() as i64;
        if let Some(h) = hours.iter().find(|h| h.weekday == wd) {
            let at = |s: &str| {
                let (hh, mm) = (s[..2].parse().unwrap_or(0), s[3..].parse().unwrap_or(0));
                day.and_hms_opt(hh, mm, 0)
                    .and_then(|d| d.and_local_timezone(cst).single())
                    .map(|d| d.with_timezone(&chrono::Utc))
            };
            if let (Some(o), Some(c)) = (at(&h.opens), at(&h.closes)) {
                let (o, c) = (o.max(from), c.min(to));
                if c > o {
                    total += (c - o).num_minutes();
                }
            }
        }
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    total
}

/// One room's use in one month.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct RoomUse {
    pub room_id: i64,
    pub room_name: String,
    /// Hours taken on the calendar by activity sessions and room bookings (pending included).
    pub booked_hours: f64,
    /// Hours actually used: sessions that have ended, room bookings checked in.
    pub used_hours: f64,
    /// Hours closed (holidays, maintenance).
    pub closed_hours: f64,
    /// Opening hours of the month by the weekly hours.
    pub opening_hours: f64,
    /// booked / opening (0 when the room has no opening hours).
    pub share: f64,
}

/// Room use of a unit's rooms in a CST month `YYYY-MM`.
pub async fn usage(db: &Db, unit_id: i64, month: &str, now: Ts) -> ApiResult<Vec<RoomUse>> {
    let (from, to) = month_bounds(month)?;
    usage_between(db, unit_id, from, to, now).await
}

/// Room use of a unit's rooms in [from, to).
pub async fn usage_between(
    db: &Db,
    unit_id: i64,
    from: Ts,
    to: Ts,
    now: Ts,
) -> ApiResult<Vec<RoomUse>> {
    let rooms = list(db, unit_id, true).await?;
    let mut out = Vec::with_capacity(rooms.len());
    for r in rooms {
        let rows = sqlx::query(
            "SELECT c.kind, c.starts_s, c.ends_s, b.checked_in_at FROM room_calendar c \
             LEFT JOIN room_bookings b ON b.calendar_id = c.id \
             WHERE c.room_id = $1 AND c.starts_s < $3 AND c.ends_s > $2",
        )
        .bind(r.id)
        .bind(from.timestamp())
        .bind(to.timestamp())
        .fetch_all(db.pool())
        .await?;
        let (mut booked, mut closed, mut used) = (0i64, 0i64, 0i64);
        for e in rows {
            let s = e.get::<i64, _>("starts_s").max(from.timestamp());
            let t = e.get::<i64, _>("ends_s").min(to.timestamp());
            match e.get::<String, _>("kind").as_str() {
                "closure" => closed += t - s,
                kind => {
                    booked += t - s;
                    let held = if kind == "session" {
                        e.get::<i64, _>("ends_s") <= now.timestamp()
                    } else {
                        e.get::<Option<String>, _>("checked_in_at").is_some()
                    };
                    if held {
                        used += t - s;
                    }
                }
            }
        }
        let opening = opening_minutes(&r.hours, from, to) as f64 / 60.0;
        let booked = booked as f64 / 3600.0;
        out.push(RoomUse {
            room_id: r.id,
            room_name: r.name,
            booked_hours: round1(booked),
            used_hours: round1(used as f64 / 3600.0),
            closed_hours: round1(closed as f64 / 3600.0),
            opening_hours: round1(opening),
            share: if opening > 0.0 {
                (booked / opening * 1000.0).round() / 1000.0
            } else {
                0.0
            },
        });
    }
    Ok(out)
}

/// The 场地使用 ledger sheet: every room of the units in scope under `under`, its hours booked,
/// closed and open in the period, and the share.
pub async fn ledger_sheet(
    db: &Db,
    scope: &crate::access::Scope,
    under: &str,
    from: &str,
    to: &str,
    now: Ts,
) -> ApiResult<crate::export::Table> {
    let (from, to) = (
        time::parse(from).ok_or_else(ApiError::internal)?,
        time::parse(to).ok_or_else(ApiError::internal)?,
    );
    let units = sqlx::query(&format!(
        "SELECT DISTINCT u.id, u.short_name, u.path FROM rooms r JOIN org_units u ON u.id = r.unit_id \
         WHERE {} AND u.path LIKE $1 ORDER BY u.path",
        scope.sql("u.path")
    ))
    .bind(format!("{under}%"))
    .fetch_all(db.pool())
    .await?;
    let mut t = crate::export::Table::new(
        "场地使用",
        &[
            "单位",
            "场地",
            "已安排（小时）",
            "已使用（小时）",
            "闭馆（小时）",
            "开放（小时）",
            "使用率",
        ],
    );
    for u in units {
        let name: String = u.get("short_name");
        for r in usage_between(db, u.get("id"), from, to, now).await? {
            t.push(vec![
                name.clone().into(),
                r.room_name.into(),
                r.booked_hours.into(),
                r.used_hours.into(),
                r.closed_hours.into(),
                r.opening_hours.into(),
                format!("{:.1}%", r.share * 100.0).into(),
            ]);
        }
    }
    Ok(t)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The UTC bounds of a CST month `YYYY-MM`.
pub fn month_bounds(month: &str) -> ApiResult<(Ts, Ts)> {
    let bad = || invalid("月份应写作 2026-12");
    let (y, m) = month.split_once('-').ok_or_else(bad)?;
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(2000..=2100).contains(&y) || !(1..=12).contains(&m) || month.len() != 7 {
        return Err(bad());
    }
    let cst = time::cst();
    let start = cst
        .with_ymd_and_hms(y, m, 1, 0, 0, 0)
        .single()
        .ok_or_else(bad)?;
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let end = cst
        .with_ymd_and_hms(ny, nm, 1, 0, 0, 0)
        .single()
        .ok_or_else(bad)?;
    Ok((
        start.with_timezone(&chrono::Utc),
        end.with_timezone(&chrono::Utc),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds() -> Vec<String> {
        ["多功能厅", "排练厅"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn a_new_room_needs_name_kind_and_capacity() {
        let mut p = RoomInput {
            name: Some("排练厅一".into()),
            kind: Some("排练厅".into()),
            capacity: Some(40),
            ..Default::default()
        };
        assert!(validate(&p, &kinds(), true).is_ok());
        p.kind = Some("游泳池".into());
        assert!(validate(&p, &kinds(), true).is_err());
        p.kind = None;
        assert!(validate(&p, &kinds(), true).is_err());
        assert!(validate(&p, &kinds(), false).is_ok());
        p.capacity = Some(0);
        assert!(validate(&p, &kinds(), false).is_err());
    }

    #[test]
    fn opening_hours_are_one_span_a_day_in_order() {
        let h = |d, o: &str, c: &str| OpeningHours {
            weekday: d,
            opens: o.into(),
            closes: c.into(),
        };
        let with = |hours| RoomInput {
            hours: Some(hours),
            ..Default::default()
        };
        assert!(validate(&with(vec![h(1, "09:00", "21:00")]), &kinds(), false).is_ok());
        assert!(validate(&with(vec![h(8, "09:00", "21:00")]), &kinds(), false).is_err());
        assert!(validate(&with(vec![h(1, "21:00", "09:00")]), &kinds(), false).is_err());
        assert!(validate(&with(vec![h(1, "9:00", "21:00")]), &kinds(), false).is_err());
        assert!(validate(&with(vec![h(1, "24:00", "25:00")]), &kinds(), false).is_err());
        assert!(validate(
            &with(vec![h(2, "09:00", "12:00"), h(2, "14:00", "18:00")]),
            &kinds(),
            false
        )
        .is_err());
    }

    #[test]
    fn opening_minutes_count_cst_weekdays() {
        // December 2026: Mondays are the 7th, 14th, 21st, 28th (four of them).
        let (from, to) = month_bounds("2026-12").unwrap();
        let mon = vec![OpeningHours {
            weekday: 1,
            opens: "09:00".into(),
            closes: "12:00".into(),
        }];
        assert_eq!(opening_minutes(&mon, from, to), 4 * 180);
        assert!(month_bounds("2026-13").is_err());
        assert_eq!(time::fmt(from), "2026-11-30T16:00:00Z");
    }
}
