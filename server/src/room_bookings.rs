//! Room bookings (场地预约): verified art teams (their leader books) and, where a room allows
//! it, residents book slots in a unit's bookable rooms.
//!
//! Each rule of a room is a plain function below (opening hours, how far ahead, longest slot,
//! weekly hours per team, cancellation deadline, check-in window), tested on its own. A
//! booking holds its slot on the room's calendar from the moment it is asked for, pending or
//! confirmed (D201): the calendar's database guard refuses a second booking of the same time,
//! so no handler reads-then-writes for clashes. Staff approve or decline (ManageRooms at the
//! room's unit) unless the room confirms on its own (D202). The leader checks the team in
//! with the room's code at the door; a confirmed slot neither used nor cancelled is a no-show
//! for the team (or the resident), counted by the residents' rule and waivable by staff (D204).

use crate::config::BookingSettings;
use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::rooms::{self, OpeningHours, RoomView};
use crate::rules;
use crate::time::{self, Ts};
use chrono::{Datelike, Duration, TimeZone, Timelike};
use poem::http::StatusCode;
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// Who is asking: a team through its leader, or a resident on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booker {
    Team(i64),
    Resident(i64),
}

fn unprocessable(code: &'static str, msg: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
}

// ---------------------------------------------------------------------------------------------
// The rules, one plain function each.

/// Whether this kind of booker may book a room open to `bookable_by`: `teams` rooms take
/// teams, `residents` rooms take teams and residents, `none` nobody.
pub fn may_book(bookable_by: &str, as_team: bool) -> ApiResult<()> {
    match (bookable_by, as_team) {
        ("teams", true) | ("residents", _) => Ok(()),
        ("teams", false) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "room_teams_only",
            "该场地只接受已认证团队预约",
        )),
        _ => Err(ApiError::conflict("room_not_bookable", "该场地不开放预约")),
    }
}

/// A slot is whole quarter hours, at least 30 minutes and at most `max_minutes` long.
pub fn check_length(start: Ts, end: Ts, max_minutes: i64) -> ApiResult<()> {
    if end <= start {
        return Err(ApiError::validation("结束时间应晚于开始时间"));
    }
    let quarter = |t: Ts| t.minute().is_multiple_of(15) && t.second() == 0;
    if !quarter(start) || !quarter(end) {
        return Err(ApiError::validation(
            "预约时段按一刻钟起止（如 19:00、19:15）",
        ));
    }
    let minutes = (end - start).num_minutes();
    if minutes < 30 {
        return Err(ApiError::validation("预约时段至少 30 分钟"));
    }
    if minutes > max_minutes {
        return Err(unprocessable(
            "room_slot_too_long",
            format!("该场地每次最多预约 {max_minutes} 分钟"),
        )
        .with_details(serde_json::json!({ "max_slot_minutes": max_minutes })));
    }
    Ok(())
}

/// The slot starts in the future and no more than `ahead_days` days from now.
pub fn check_ahead(start: Ts, now: Ts, ahead_days: i64) -> ApiResult<()> {
    if start <= now {
        return Err(unprocessable("room_slot_in_past", "不能预约已开始的时段"));
    }
    if start > now + Duration::days(ahead_days) {
        return Err(unprocessable(
            "room_slot_too_far_ahead",
            format!("该场地最多提前 {ahead_days} 天预约"),
        )
        .with_details(serde_json::json!({ "book_ahead_days": ahead_days })));
    }
    Ok(())
}

fn hm(s: &str) -> u32 {
    s[..2].parse::<u32>().unwrap_or(0) * 60 + s[3..].parse::<u32>().unwrap_or(0)
}

/// The slot lies within one day's opening span (China Standard Time).
pub fn check_opening(hours: &[OpeningHours], start: Ts, end: Ts) -> ApiResult<()> {
    let cst = time::cst();
    let (s, e) = (start.with_timezone(&cst), end.with_timezone(&cst));
    let outside = || unprocessable("room_slot_outside_hours", "所选时段不在该场地的开放时间内");
    // The end may be exactly midnight of the next day only if the span closes at 24:00, which
    // opening hours cannot say; so both ends fall on one date.
    if s.date_naive() != e.date_naive() {
        return Err(outside());
    }
    let wd = s.weekday().number_from_monday() as i64;
    let h = hours.iter().find(|h| h.weekday == wd).ok_or_else(outside)?;
    let (from, to) = (s.hour() * 60 + s.minute(), e.hour() * 60 + e.minute());
    if from < hm(&h.opens) || to > hm(&h.closes) {
        return Err(outside());
    }
    Ok(())
}

/// The slot does not touch a closure (holiday, maintenance). The calendar refuses it anyway;
/// this only names the reason.
pub fn check_closures(closures: &[(Ts, Ts)], start: Ts, end: Ts) -> ApiResult<()> {
    if closures.iter().any(|(s, e)| *s < end && start < *e) {
        return Err(ApiError::conflict(
            "room_closed_then",
            "该场地在所选时段闭馆",
        ));
    }
    Ok(())
}

/// The CST week (Monday 00:00 to the next Monday) a moment falls in.
pub fn week_of(t: Ts) -> (Ts, Ts) {
    let cst = time::cst();
    let day = t.with_timezone(&cst).date_naive();
    let monday = day - Duration::days(day.weekday().num_days_from_monday() as i64);
    let start = cst
        .from_local_datetime(&monday.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .unwrap_or_default()
        .with_timezone(&chrono::Utc);
    (start, start + Duration::weeks(1))
}

/// This slot fits in the weekly hours one team (or resident) may hold in this room, given the
/// minutes already held that week.
pub fn check_weekly(held_minutes: i64, slot_minutes: i64, weekly_hours: i64) -> ApiResult<()> {
    if held_minutes + slot_minutes > weekly_hours * 60 {
        let left = (weekly_hours * 60 - held_minutes).max(0);
        return Err(unprocessable(
            "room_weekly_limit",
            format!(
                "每周在该场地最多预约 {weekly_hours} 小时，本周还可预约 {} 小时 {} 分钟",
                left / 60,
                left % 60
            ),
        )
        .with_details(serde_json::json!({
            "weekly_hours_per_team": weekly_hours,
            "minutes_left": left,
        })));
    }
    Ok(())
}

/// A pending request can be withdrawn until the slot starts; a confirmed booking until
/// `hours_before` hours before it starts (D203).
pub fn check_cancel(status: &str, start: Ts, now: Ts, hours_before: i64) -> ApiResult<()> {
    match status {
        "pending" if now < start => Ok(()),
        "confirmed" if now <= start - Duration::hours(hours_before) => Ok(()),
        "pending" | "confirmed" => Err(ApiError::conflict(
            "room_cancel_too_late",
            format!("开始前 {hours_before} 小时内不能再取消；如确实无法使用，请联系场地工作人员"),
        )
        .with_details(serde_json::json!({ "cancel_hours_before": hours_before }))),
        _ => Err(ApiError::conflict(
            "room_booking_not_active",
            "这条场地预约已取消或未通过",
        )),
    }
}

/// Check-in at the door is open from `opens_minutes` before the start until the end.
pub fn check_in_window(start: Ts, end: Ts, now: Ts, opens_minutes: i64) -> ApiResult<()> {
    if now < start - Duration::minutes(opens_minutes) || now > end {
        return Err(ApiError::conflict(
            "room_checkin_outside_window",
            format!("现在不在签到时间内（开始前 {opens_minutes} 分钟至结束）"),
        ));
    }
    Ok(())
}

/// A confirmed booking that ended without check-in and was not waived is a no-show.
pub fn is_no_show(status: &str, end: Ts, checked_in: bool, waived: bool, now: Ts) -> bool {
    status == "confirmed" && !checked_in && !waived && end <= now
}

// ---------------------------------------------------------------------------------------------
// Records.

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct RoomBookingView {
    pub id: i64,
    pub room_id: i64,
    pub room_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// The team booking; absent for a resident's own booking.
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub starts_at: String,
    pub ends_at: String,
    pub purpose: String,
    /// `pending` (awaiting staff; the slot is held), `confirmed`, `declined`, `cancelled`.
    pub status: String,
    pub decline_reason: String,
    pub checked_in_at: Option<String>,
    /// Confirmed, ended, never checked in and not waived.
    pub no_show: bool,
    pub no_show_waived_at: Option<String>,
    pub no_show_waive_reason: String,
    /// The booker may still cancel it (before the room's deadline).
    pub can_cancel: bool,
    /// The last moment it can be cancelled.
    pub cancel_until: String,
    pub created_at: String,
}

/// Staff see who asked (name and phone masked, as on rosters).
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct StaffRoomBooking {
    #[oai(flatten)]
    pub booking: RoomBookingView,
    pub booked_by: String,
    pub booked_by_phone: Option<String>,
}

const COLS: &str = "b.id, b.room_id, r.name AS room_name, b.unit_id, u.short_name AS unit_name, b.team_id, \
    t.name AS team_name, b.starts_s, b.ends_s, b.purpose, b.status, b.decline_reason, b.checked_in_at, \
    b.no_show_waived_at, b.no_show_waive_reason, b.created_at, r.cancel_hours_before, b.user_id, \
    us.display_name, us.phone";
const FROM: &str =
    "FROM room_bookings b JOIN rooms r ON r.id = b.room_id JOIN org_units u ON u.id = b.unit_id \
    LEFT JOIN teams t ON t.id = b.team_id JOIN users us ON us.id = b.user_id";

fn ts(secs: i64) -> Ts {
    chrono::Utc
        .timestamp_opt(secs, 0)
        .single()
        .unwrap_or_default()
}

fn view(r: &sqlx::any::AnyRow, now: Ts) -> RoomBookingView {
    let (start, end) = (ts(r.get("starts_s")), ts(r.get("ends_s")));
    let status: String = r.get("status");
    let hours: i64 = r.get("cancel_hours_before");
    let checked: Option<String> = r.get("checked_in_at");
    let waived: Option<String> = r.get("no_show_waived_at");
    RoomBookingView {
        id: r.get("id"),
        room_id: r.get("room_id"),
        room_name: r.get("room_name"),
        unit_id: r.get("unit_id"),
        unit_name: r.get("unit_name"),
        team_id: r.get("team_id"),
        team_name: r.get("team_name"),
        starts_at: time::fmt(start),
        ends_at: time::fmt(end),
        purpose: r.get("purpose"),
        no_show: is_no_show(&status, end, checked.is_some(), waived.is_some(), now),
        can_cancel: check_cancel(&status, start, now, hours).is_ok(),
        cancel_until: time::fmt(if status == "pending" {
            start
        } else {
            start - Duration::hours(hours)
        }),
        status,
        decline_reason: r.get("decline_reason"),
        checked_in_at: checked,
        no_show_waived_at: waived,
        no_show_waive_reason: r.get("no_show_waive_reason"),
        created_at: r.get("created_at"),
    }
}

fn staff_view(r: &sqlx::any::AnyRow, now: Ts) -> StaffRoomBooking {
    StaffRoomBooking {
        booking: view(r, now),
        booked_by: crate::privacy::mask_name(&r.get::<String, _>("display_name")),
        booked_by_phone: r
            .get::<Option<String>, _>("phone")
            .map(|p| crate::privacy::mask_phone(&p)),
    }
}

/// One booking with its room's rules, for the handlers' checks.
pub struct Loaded {
    pub view: RoomBookingView,
    pub user_id: i64,
    pub calendar_id: Option<i64>,
    pub start: Ts,
    pub end: Ts,
    pub cancel_hours_before: i64,
}

pub async fn load(db: &Db, id: i64, now: Ts) -> ApiResult<Loaded> {
    let r = sqlx::query(&format!(
        "SELECT {COLS}, b.calendar_id {FROM} WHERE b.id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该场地预约"))?;
    Ok(Loaded {
        view: view(&r, now),
        user_id: r.get("user_id"),
        calendar_id: r.get("calendar_id"),
        start: ts(r.get("starts_s")),
        end: ts(r.get("ends_s")),
        cancel_hours_before: r.get("cancel_hours_before"),
    })
}

/// A team the caller leads and that may book: verified, not dissolved.
pub async fn led_team(db: &Db, team_id: i64, user_id: i64) -> ApiResult<String> {
    let r = sqlx::query("SELECT name, status, leader_id FROM teams WHERE id = $1")
        .bind(team_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该团队"))?;
    if r.get::<i64, _>("leader_id") != user_id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "room_team_not_led",
            "只有团队负责人可以为团队预约场地",
        ));
    }
    if r.get::<String, _>("status") != "verified" {
        return Err(ApiError::conflict(
            "room_team_not_verified",
            "团队通过所属场馆认证后才能预约场地",
        ));
    }
    Ok(r.get("name"))
}

/// Whether the caller may act for a booking: the resident who booked it, or the team's
/// current leader.
pub async fn may_act(db: &Db, b: &Loaded, user_id: i64) -> ApiResult<()> {
    if b.user_id == user_id && b.view.team_id.is_none() {
        return Ok(());
    }
    if let Some(team) = b.view.team_id {
        let leader: Option<i64> = sqlx::query_scalar("SELECT leader_id FROM teams WHERE id = $1")
            .bind(team)
            .fetch_optional(db.pool())
            .await?;
        if leader == Some(user_id) {
            return Ok(());
        }
    }
    Err(ApiError::not_found("该场地预约"))
}

/// End times of a booker's unwaived no-shows in rooms.
pub async fn no_show_times(db: &Db, who: Booker, now: Ts) -> ApiResult<Vec<Ts>> {
    let (sql, id) = match who {
        Booker::Team(t) => ("b.team_id = $1", t),
        Booker::Resident(u) => ("b.team_id IS NULL AND b.user_id = $1", u),
    };
    let ends: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT b.ends_s FROM room_bookings b WHERE {sql} AND b.status = 'confirmed' AND b.checked_in_at IS NULL \
         AND b.no_show_waived_at IS NULL AND b.ends_s <= $2 ORDER BY b.ends_s"
    ))
    .bind(id)
    .bind(now.timestamp())
    .fetch_all(db.pool())
    .await?;
    Ok(ends.into_iter().map(ts).collect())
}

/// A team's (or resident's) standing for room bookings under the residents' no-show rule.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct RoomStanding {
    /// The team (one the caller leads), or absent for the caller's own bookings.
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub no_shows: i64,
    pub limit: i64,
    pub window_days: i64,
    pub suspended_until: Option<String>,
}

pub async fn standing(
    db: &Db,
    s: &BookingSettings,
    who: Booker,
    now: Ts,
) -> ApiResult<RoomStanding> {
    let times = no_show_times(db, who, now).await?;
    let r = crate::booking::rule(s);
    let team_name = match who {
        Booker::Team(t) => {
            sqlx::query_scalar("SELECT name FROM teams WHERE id = $1")
                .bind(t)
                .fetch_optional(db.pool())
                .await?
        }
        Booker::Resident(_) => None,
    };
    Ok(RoomStanding {
        team_name,
        team_id: match who {
            Booker::Team(t) => Some(t),
            Booker::Resident(_) => None,
        },
        no_shows: rules::counting_no_shows(&times, now, r),
        limit: r.limit,
        window_days: r.window_days,
        suspended_until: rules::suspended_until(&times, now, r).map(time::fmt),
    })
}

/// Minutes the booker already holds (pending or confirmed) in this room in [from, to).
async fn held_minutes(tx: &mut Tx, room_id: i64, who: Booker, from: Ts, to: Ts) -> ApiResult<i64> {
    let (sql, id) = match who {
        Booker::Team(t) => ("team_id = $2", t),
        Booker::Resident(u) => ("team_id IS NULL AND user_id = $2", u),
    };
    let secs: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT CAST(SUM(ends_s - starts_s) AS BIGINT) FROM room_bookings WHERE room_id = $1 AND {sql} \
         AND status IN ('pending','confirmed') AND starts_s >= $3 AND starts_s < $4"
    ))
    .bind(room_id)
    .bind(id)
    .bind(from.timestamp())
    .bind(to.timestamp())
    .fetch_one(&mut **tx)
    .await?;
    Ok(secs.unwrap_or(0) / 60)
}

async fn closures(db: &Db, room_id: i64, start: Ts, end: Ts) -> ApiResult<Vec<(Ts, Ts)>> {
    let rows = sqlx::query(
        "SELECT starts_s, ends_s FROM room_calendar WHERE room_id = $1 AND kind = 'closure' AND starts_s < $3 AND ends_s > $2",
    )
    .bind(room_id)
    .bind(start.timestamp())
    .bind(end.timestamp())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| (ts(r.get("starts_s")), ts(r.get("ends_s"))))
        .collect())
}

/// What a booking asks for, checked.
pub struct Ask<'a> {
    pub room: &'a RoomView,
    pub who: Booker,
    pub user_id: i64,
    pub team_name: Option<&'a str>,
    pub start: Ts,
    pub end: Ts,
    pub purpose: &'a str,
}

/// Checks every rule that needs no write, in the order a person would fix them.
pub async fn precheck(db: &Db, s: &BookingSettings, a: &Ask<'_>, now: Ts) -> ApiResult<()> {
    if a.room.closed_at.is_some() {
        return Err(ApiError::conflict("room_closed", "该场地已停用"));
    }
    may_book(&a.room.bookable_by, matches!(a.who, Booker::Team(_)))?;
    check_length(a.start, a.end, a.room.rules.max_slot_minutes)?;
    check_ahead(a.start, now, a.room.rules.book_ahead_days)?;
    check_opening(&a.room.hours, a.start, a.end)?;
    check_closures(
        &closures(db, a.room.id, a.start, a.end).await?,
        a.start,
        a.end,
    )?;
    let st = standing(db, s, a.who, now).await?;
    if let Some(until) = st.suspended_until {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "room_booking_suspended",
            format!(
                "{} 天内爽约 {} 次，场地预约暂停至 {}",
                st.window_days,
                st.limit,
                crate::notify::china_time(time::parse(&until).unwrap_or(now))
            ),
        )
        .with_details(serde_json::json!({ "suspended_until": until, "no_shows": st.no_shows })));
    }
    Ok(())
}

/// Writes the booking and holds its slot on the calendar, inside the caller's transaction.
/// The weekly hours are counted inside the same write transaction; the calendar insert is
/// the clash guard (`room_clash`).
pub async fn insert(tx: &mut Tx, a: &Ask<'_>, now: &str) -> ApiResult<(i64, String)> {
    // Take the room's row lock first (a no-op write): on PostgreSQL two requests for the same
    // room now count the weekly hours one after the other, as SQLite's single writer does.
    sqlx::query("UPDATE rooms SET updated_at = updated_at WHERE id = $1")
        .bind(a.room.id)
        .execute(&mut **tx)
        .await?;
    let (wk_from, wk_to) = week_of(a.start);
    let held = held_minutes(tx, a.room.id, a.who, wk_from, wk_to).await?;
    check_weekly(
        held,
        (a.end - a.start).num_minutes(),
        a.room.rules.weekly_hours_per_team,
    )?;
    let label = match a.team_name {
        Some(n) => format!("团队预约：{n}"),
        None => "个人练习预约".to_string(),
    };
    let entry = rooms::insert_entry(
        tx,
        a.room.id,
        "team_booking",
        None,
        a.start,
        a.end,
        &label,
        Some(a.user_id),
        now,
    )
    .await?;
    let status = if a.room.auto_confirm {
        "confirmed"
    } else {
        "pending"
    };
    let team = match a.who {
        Booker::Team(t) => Some(t),
        Booker::Resident(_) => None,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO room_bookings (room_id, unit_id, team_id, user_id, starts_s, ends_s, purpose, status, calendar_id, \
         decided_at, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11) RETURNING id",
    )
    .bind(a.room.id)
    .bind(a.room.unit_id)
    .bind(team)
    .bind(a.user_id)
    .bind(a.start.timestamp())
    .bind(a.end.timestamp())
    .bind(a.purpose.trim())
    .bind(status)
    .bind(entry)
    .bind(a.room.auto_confirm.then_some(now))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, status.to_string()))
}

/// Frees a booking's slot and sets its new status (`cancelled` or `declined`).
pub async fn release(
    tx: &mut Tx,
    b: &Loaded,
    status: &str,
    by: i64,
    reason: &str,
    now: &str,
) -> ApiResult<()> {
    let changed = sqlx::query(
        "UPDATE room_bookings SET status = $1, calendar_id = NULL, decline_reason = $2, \
         decided_by = CASE WHEN $1 = 'declined' THEN $3 ELSE decided_by END, \
         decided_at = CASE WHEN $1 = 'declined' THEN $4 ELSE decided_at END, \
         cancelled_at = CASE WHEN $1 = 'cancelled' THEN $4 ELSE cancelled_at END, updated_at = $4 \
         WHERE id = $5 AND status IN ('pending','confirmed')",
    )
    .bind(status)
    .bind(reason)
    .bind(by)
    .bind(now)
    .bind(b.view.id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(ApiError::conflict(
            "room_booking_not_active",
            "这条场地预约已取消或未通过",
        ));
    }
    if let Some(c) = b.calendar_id {
        sqlx::query("DELETE FROM room_calendar WHERE id = $1 AND kind = 'team_booking'")
            .bind(c)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Staff confirm a pending request.
pub async fn approve(tx: &mut Tx, b: &Loaded, by: i64, now: Ts) -> ApiResult<()> {
    if b.start <= now {
        return Err(unprocessable(
            "room_slot_in_past",
            "该时段已开始，不能再批准",
        ));
    }
    let changed = sqlx::query(
        "UPDATE room_bookings SET status = 'confirmed', decided_by = $1, decided_at = $2, updated_at = $2 \
         WHERE id = $3 AND status = 'pending'",
    )
    .bind(by)
    .bind(time::fmt(now))
    .bind(b.view.id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(ApiError::conflict(
            "room_booking_not_pending",
            "这条场地预约不在待审批状态",
        ));
    }
    Ok(())
}

/// The leader (or resident) checks in at the door with the room's code.
pub async fn check_in(
    tx: &mut Tx,
    b: &Loaded,
    room_id: i64,
    by: i64,
    opens_minutes: i64,
    now: Ts,
) -> ApiResult<bool> {
    if room_id != b.view.room_id {
        return Err(ApiError::conflict(
            "room_checkin_wrong_room",
            format!("这是另一间场地的签到码；您预约的是“{}”", b.view.room_name),
        ));
    }
    if b.view.status != "confirmed" {
        return Err(ApiError::conflict(
            "room_booking_not_confirmed",
            "这条场地预约尚未确认，不能签到",
        ));
    }
    if b.view.checked_in_at.is_some() {
        return Ok(false);
    }
    check_in_window(b.start, b.end, now, opens_minutes)?;
    sqlx::query(
        "UPDATE room_bookings SET checked_in_at = $1, checked_in_by = $2, updated_at = $1 \
         WHERE id = $3 AND checked_in_at IS NULL",
    )
    .bind(time::fmt(now))
    .bind(by)
    .bind(b.view.id)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Staff waive a team's (or resident's) no-show, with the reason.
pub async fn waive(tx: &mut Tx, b: &Loaded, by: i64, reason: &str, now: Ts) -> ApiResult<()> {
    let changed = sqlx::query(
        "UPDATE room_bookings SET no_show_waived_at = $1, no_show_waive_reason = $2, no_show_waived_by = $3, updated_at = $1 \
         WHERE id = $4 AND status = 'confirmed' AND checked_in_at IS NULL AND no_show_waived_at IS NULL AND ends_s <= $5",
    )
    .bind(time::fmt(now))
    .bind(reason)
    .bind(by)
    .bind(b.view.id)
    .bind(now.timestamp())
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

/// The caller's bookings: their own, and those of the teams they lead; newest slot first.
pub async fn mine(db: &Db, user_id: i64, now: Ts) -> ApiResult<Vec<RoomBookingView>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} {FROM} WHERE (b.team_id IS NULL AND b.user_id = $1) \
         OR b.team_id IN (SELECT id FROM teams WHERE leader_id = $1) ORDER BY b.starts_s DESC, b.id DESC LIMIT 200"
    ))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(|r| view(r, now)).collect())
}

/// A unit's bookings for staff: one status (default pending, oldest first), or all coming.
pub async fn for_unit(
    db: &Db,
    unit_id: i64,
    status: Option<&str>,
    now: Ts,
) -> ApiResult<Vec<StaffRoomBooking>> {
    let rows = match status {
        Some("no_show") => {
            sqlx::query(&format!(
                "SELECT {COLS} {FROM} WHERE b.unit_id = $1 AND b.status = 'confirmed' AND b.checked_in_at IS NULL \
                 AND b.ends_s <= $2 ORDER BY b.starts_s DESC LIMIT 500"
            ))
            .bind(unit_id)
            .bind(now.timestamp())
            .fetch_all(db.pool())
            .await?
        }
        Some(s) => {
            sqlx::query(&format!(
                "SELECT {COLS} {FROM} WHERE b.unit_id = $1 AND b.status = $2 ORDER BY b.starts_s LIMIT 500"
            ))
            .bind(unit_id)
            .bind(s)
            .fetch_all(db.pool())
            .await?
        }
        None => {
            sqlx::query(&format!(
                "SELECT {COLS} {FROM} WHERE b.unit_id = $1 AND b.ends_s > $2 ORDER BY b.starts_s LIMIT 500"
            ))
            .bind(unit_id)
            .bind(now.timestamp())
            .fetch_all(db.pool())
            .await?
        }
    };
    Ok(rows.iter().map(|r| staff_view(r, now)).collect())
}

/// A person's room bookings for their data export (their own and those they made for a team).
pub async fn export(db: &Db, user_id: i64) -> ApiResult<Vec<serde_json::Value>> {
    let rows = sqlx::query(
        "SELECT r.name AS room, t.name AS team, b.starts_s, b.ends_s, b.purpose, b.status, b.created_at, b.checked_in_at \
         FROM room_bookings b JOIN rooms r ON r.id = b.room_id LEFT JOIN teams t ON t.id = b.team_id \
         WHERE b.user_id = $1 ORDER BY b.id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "room": r.get::<String, _>("room"),
                "team": r.get::<Option<String>, _>("team"),
                "starts_at": time::fmt(ts(r.get("starts_s"))),
                "ends_at": time::fmt(ts(r.get("ends_s"))),
                "purpose": r.get::<String, _>("purpose"),
                "status": r.get::<String, _>("status"),
                "booked_at": r.get::<String, _>("created_at"),
                "checked_in_at": r.get::<Option<String>, _>("checked_in_at"),
            })
        })
        .collect())
}

/// Erasure: the person's own coming bookings are cancelled (their slots freed) and the
/// purposes they wrote are cleared; a team's bookings stay with the team.
pub async fn erase(tx: &mut Tx, user_id: i64, now: Ts) -> ApiResult<()> {
    let now_s = time::fmt(now);
    let held: Vec<Option<i64>> = sqlx::query_scalar(
        "SELECT calendar_id FROM room_bookings WHERE user_id = $1 AND team_id IS NULL \
         AND status IN ('pending','confirmed') AND starts_s > $2",
    )
    .bind(user_id)
    .bind(now.timestamp())
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE room_bookings SET status = 'cancelled', cancelled_at = $1, calendar_id = NULL, updated_at = $1 \
         WHERE user_id = $2 AND team_id IS NULL AND status IN ('pending','confirmed') AND starts_s > $3",
    )
    .bind(&now_s)
    .bind(user_id)
    .bind(now.timestamp())
    .execute(&mut **tx)
    .await?;
    for c in held.into_iter().flatten() {
        sqlx::query("DELETE FROM room_calendar WHERE id = $1 AND kind = 'team_booking'")
            .bind(c)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("UPDATE room_bookings SET purpose = '' WHERE user_id = $1 AND team_id IS NULL")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Ts {
        time::parse(s).unwrap()
    }

    fn hours() -> Vec<OpeningHours> {
        vec![OpeningHours {
            weekday: 3,
            opens: "09:00".into(),
            closes: "21:30".into(),
        }]
    }

    #[test]
    fn who_may_book_which_room() {
        assert!(may_book("teams", true).is_ok());
        assert_eq!(
            may_book("teams", false).unwrap_err().code,
            "room_teams_only"
        );
        assert!(may_book("residents", false).is_ok());
        assert!(may_book("residents", true).is_ok());
        assert_eq!(
            may_book("none", true).unwrap_err().code,
            "room_not_bookable"
        );
    }

    #[test]
    fn slots_are_quarter_hours_up_to_the_longest() {
        let s = t("2026-12-09T19:00:00+08:00");
        assert!(check_length(s, s + Duration::minutes(120), 120).is_ok());
        assert_eq!(
            check_length(s, s + Duration::minutes(135), 120)
                .unwrap_err()
                .code,
            "room_slot_too_long"
        );
        assert!(check_length(s, s + Duration::minutes(15), 120).is_err());
        assert!(check_length(s + Duration::minutes(5), s + Duration::minutes(65), 120).is_err());
        assert!(check_length(s, s, 120).is_err());
    }

    #[test]
    fn how_far_ahead() {
        let now = t("2026-12-02T10:00:00+08:00");
        assert!(check_ahead(now + Duration::days(14), now, 14).is_ok());
        assert_eq!(
            check_ahead(now + Duration::days(14) + Duration::minutes(15), now, 14)
                .unwrap_err()
                .code,
            "room_slot_too_far_ahead"
        );
        assert_eq!(
            check_ahead(now, now, 14).unwrap_err().code,
            "room_slot_in_past"
        );
    }

    #[test]
    fn within_one_days_opening_span_in_china_time() {
        // 2026-12-09 is a Wednesday.
        let h = hours();
        let ok = |a: &str, b: &str| check_opening(&h, t(a), t(b)).is_ok();
        assert!(ok("2026-12-09T09:00:00+08:00", "2026-12-09T11:00:00+08:00"));
        assert!(ok("2026-12-09T19:30:00+08:00", "2026-12-09T21:30:00+08:00"));
        assert!(!ok(
            "2026-12-09T08:45:00+08:00",
            "2026-12-09T10:00:00+08:00"
        ));
        assert!(!ok(
            "2026-12-09T20:30:00+08:00",
            "2026-12-09T21:45:00+08:00"
        ));
        // Thursday has no hours.
        assert!(!ok(
            "2026-12-10T10:00:00+08:00",
            "2026-12-10T11:00:00+08:00"
        ));
        // The same Wednesday morning in UTC is still read as China time.
        assert!(ok("2026-12-09T01:00:00Z", "2026-12-09T02:00:00Z"));
    }

    #[test]
    fn closures_name_the_reason() {
        let c = vec![(
            t("2026-12-09T12:00:00+08:00"),
            t("2026-12-09T14:00:00+08:00"),
        )];
        assert!(check_closures(
            &c,
            t("2026-12-09T10:00:00+08:00"),
            t("2026-12-09T12:00:00+08:00")
        )
        .is_ok());
        assert_eq!(
            check_closures(
                &c,
                t("2026-12-09T13:00:00+08:00"),
                t("2026-12-09T15:00:00+08:00")
            )
            .unwrap_err()
            .code,
            "room_closed_then"
        );
    }

    #[test]
    fn weeks_run_monday_to_monday_china_time() {
        let (a, b) = week_of(t("2026-12-06T23:30:00+08:00")); // a Sunday
        assert_eq!(time::fmt(a), "2026-11-29T16:00:00Z");
        assert_eq!(time::fmt(b), "2026-12-06T16:00:00Z");
        let (c, _) = week_of(t("2026-12-07T00:00:00+08:00")); // the next Monday
        assert_eq!(c, b);
    }

    #[test]
    fn weekly_hours_per_team() {
        assert!(check_weekly(180, 180, 6).is_ok());
        let e = check_weekly(240, 180, 6).unwrap_err();
        assert_eq!(e.code, "room_weekly_limit");
        assert_eq!(e.details.unwrap()["minutes_left"], 120);
        assert!(check_weekly(0, 60, 0).is_err());
    }

    #[test]
    fn cancel_until_the_deadline() {
        let start = t("2026-12-09T19:00:00+08:00");
        let h = |x| start - Duration::hours(x);
        assert!(check_cancel("confirmed", start, h(24), 24).is_ok());
        assert_eq!(
            check_cancel("confirmed", start, h(23), 24)
                .unwrap_err()
                .code,
            "room_cancel_too_late"
        );
        // A pending request can be withdrawn until it starts.
        assert!(check_cancel("pending", start, h(1), 24).is_ok());
        assert!(check_cancel("pending", start, start, 24).is_err());
        assert_eq!(
            check_cancel("cancelled", start, h(48), 24)
                .unwrap_err()
                .code,
            "room_booking_not_active"
        );
    }

    #[test]
    fn check_in_window_and_no_shows() {
        let s = t("2026-12-09T19:00:00+08:00");
        let e = s + Duration::hours(2);
        assert!(check_in_window(s, e, s - Duration::minutes(30), 60).is_ok());
        assert!(check_in_window(s, e, s - Duration::minutes(61), 60).is_err());
        assert!(check_in_window(s, e, e + Duration::minutes(1), 60).is_err());
        assert!(is_no_show("confirmed", e, false, false, e));
        assert!(!is_no_show("confirmed", e, true, false, e));
        assert!(!is_no_show("confirmed", e, false, true, e));
        assert!(!is_no_show("cancelled", e, false, false, e));
        assert!(!is_no_show(
            "confirmed",
            e,
            false,
            false,
            e - Duration::minutes(1)
        ));
    }
}
