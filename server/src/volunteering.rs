//! Volunteering beyond the door (issue 16): units post opportunities with shifts for roles
//! from a configurable list, volunteers keep a skills profile and sign up, staff approve (a door
//! check-in shift also makes the door assignment `checkin::may_scan` reads), the worker reminds,
//! staff confirm the hours, and the hours earn milestones, a certificate and an export for the
//! city's volunteer system. Volunteer teams recruit residents. D250–D255.

use crate::access::UnitRef;
use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::privacy::mask_name;
use crate::time::{self, Ts};
use poem_openapi::Object;
use serde::Serialize;
use sqlx::Row;

/// The role whose approved shifts give the door's scanning right.
pub const DOOR_ROLE: &str = "door_checkin";

/// Star levels by confirmed service hours (志愿者星级: 100/300/600/1000/1500 hours, the national
/// star-rating thresholds of 中国志愿服务联合会); below 100 hours a first milestone at 20.
pub const MILESTONES_HOURS: [i64; 6] = [20, 100, 300, 600, 1000, 1500];

/// The milestone reached (hours, 0 for none) and the next one (None past the last).
pub fn milestone(minutes: i64) -> (i64, Option<i64>) {
    let hours = minutes / 60;
    let reached = MILESTONES_HOURS
        .iter()
        .copied()
        .filter(|m| hours >= *m)
        .max()
        .unwrap_or(0);
    let next = MILESTONES_HOURS.iter().copied().find(|m| hours < *m);
    (reached, next)
}

/// A shift must end after it starts, last at most a day, and need 1–500 people.
pub fn check_shift(starts: Ts, ends: Ts, needed: i64) -> ApiResult<()> {
    if ends <= starts {
        return Err(ApiError::validation("结束时间必须晚于开始时间"));
    }
    if ends - starts > chrono::Duration::hours(24) {
        return Err(ApiError::validation("一个班次不能超过24小时"));
    }
    if !(1..=500).contains(&needed) {
        return Err(ApiError::validation("需要人数应在1到500之间"));
    }
    Ok(())
}

/// Minutes staff may confirm for a shift: at most the shift's length plus two hours (setting
/// up, clearing away), never negative.
pub fn check_minutes(starts: Ts, ends: Ts, minutes: i64) -> ApiResult<()> {
    let max = (ends - starts).num_minutes() + 120;
    if minutes < 0 || minutes > max {
        return Err(ApiError::validation(format!(
            "服务时长应在0到{max}分钟之间"
        )));
    }
    Ok(())
}

/// Hours as the city system wants them: one decimal, from whole minutes (no floats stored).
pub fn hours_text(minutes: i64) -> String {
    let tenths = (minutes * 10 + 30) / 60;
    format!("{}.{}", tenths / 10, tenths % 10)
}

fn parse(s: &str) -> ApiResult<Ts> {
    time::parse(s).ok_or_else(|| ApiError::validation("时间格式不正确"))
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct VolunteerRole {
    pub code: String,
    pub name: String,
}

pub async fn roles(db: &Db) -> ApiResult<Vec<VolunteerRole>> {
    let rows =
        sqlx::query("SELECT code, name FROM volunteer_roles WHERE active = 1 ORDER BY sort, code")
            .fetch_all(db.pool())
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| VolunteerRole {
            code: r.get("code"),
            name: r.get("name"),
        })
        .collect())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct VolunteerShift {
    pub id: i64,
    pub opportunity_id: i64,
    pub role_code: String,
    pub role_name: String,
    pub session_id: Option<i64>,
    pub starts_at: String,
    pub ends_at: String,
    pub place: String,
    pub needed: i64,
    /// Live sign-ups (pending or approved).
    pub taken: i64,
    pub remaining: i64,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct VolunteerOpportunity {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub title: String,
    pub description: String,
    pub activity_id: Option<i64>,
    pub team_id: Option<i64>,
    /// `open` or `closed`.
    pub status: String,
    pub created_at: String,
    pub shifts: Vec<VolunteerShift>,
}

const SHIFT_COLS: &str = "h.id, h.opportunity_id, h.role_code, r.name AS role_name, h.session_id, \
     h.starts_at, h.ends_at, h.place, h.needed, h.taken";

fn shift_of(r: &sqlx::any::AnyRow) -> VolunteerShift {
    let needed: i64 = r.get("needed");
    let taken: i64 = r.get("taken");
    VolunteerShift {
        id: r.get("id"),
        opportunity_id: r.get("opportunity_id"),
        role_code: r.get("role_code"),
        role_name: r.get("role_name"),
        session_id: r.get("session_id"),
        starts_at: r.get("starts_at"),
        ends_at: r.get("ends_at"),
        place: r.get("place"),
        needed,
        taken,
        remaining: (needed - taken).max(0),
    }
}

async fn shifts_of(db: &Db, opportunity_id: i64) -> ApiResult<Vec<VolunteerShift>> {
    let rows = sqlx::query(&format!(
        "SELECT {SHIFT_COLS} FROM volunteer_shifts h JOIN volunteer_roles r ON r.code = h.role_code \
         WHERE h.opportunity_id = $1 ORDER BY h.starts_at, h.id"
    ))
    .bind(opportunity_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(shift_of).collect())
}

const OPP_COLS: &str = "o.id, o.unit_id, u.short_name, o.title, o.description, o.activity_id, \
     o.team_id, o.status, o.created_at";

async fn opp_of(db: &Db, r: &sqlx::any::AnyRow) -> ApiResult<VolunteerOpportunity> {
    let id: i64 = r.get("id");
    Ok(VolunteerOpportunity {
        id,
        unit_id: r.get("unit_id"),
        unit_name: r.get("short_name"),
        title: r.get("title"),
        description: r.get("description"),
        activity_id: r.get("activity_id"),
        team_id: r.get("team_id"),
        status: r.get("status"),
        created_at: r.get("created_at"),
        shifts: shifts_of(db, id).await?,
    })
}

/// One opportunity with its unit (for authorization) — 404 when unknown.
pub async fn opportunity(db: &Db, id: i64) -> ApiResult<(VolunteerOpportunity, UnitRef)> {
    let r = sqlx::query(&format!(
        "SELECT {OPP_COLS}, o.unit_path FROM volunteer_opportunities o JOIN org_units u ON u.id = o.unit_id WHERE o.id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该志愿岗位"))?;
    let unit = UnitRef {
        id: r.get("unit_id"),
        path: r.get("unit_path"),
    };
    Ok((opp_of(db, &r).await?, unit))
}

/// Open opportunities with a shift still to come, optionally within one unit's subtree or one
/// team's (the team's recruiting page). Public.
pub async fn browse(
    db: &Db,
    under_path: Option<&str>,
    team_id: Option<i64>,
    now: Ts,
) -> ApiResult<Vec<VolunteerOpportunity>> {
    let mut sql = format!(
        "SELECT {OPP_COLS} FROM volunteer_opportunities o JOIN org_units u ON u.id = o.unit_id \
         WHERE o.status = 'open' AND EXISTS (SELECT 1 FROM volunteer_shifts h WHERE h.opportunity_id = o.id AND h.starts_at > $1)"
    );
    if let Some(p) = under_path {
        sql.push_str(&format!(
            " AND {}",
            crate::access::subtree_sql("o.unit_path", p)
        ));
    }
    if team_id.is_some() {
        sql.push_str(" AND o.team_id = $2");
    }
    sql.push_str(" ORDER BY o.id DESC LIMIT 200");
    let mut q = sqlx::query(&sql).bind(time::fmt(now));
    if let Some(t) = team_id {
        q = q.bind(t);
    }
    let rows = q.fetch_all(db.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(opp_of(db, r).await?);
    }
    Ok(out)
}

/// The unit's opportunities, open and closed, for staff.
pub async fn of_unit(
    db: &Db,
    scope_sql: &str,
    under: &str,
) -> ApiResult<Vec<VolunteerOpportunity>> {
    let rows = sqlx::query(&format!(
        "SELECT {OPP_COLS} FROM volunteer_opportunities o JOIN org_units u ON u.id = o.unit_id \
         WHERE {scope_sql} AND {} ORDER BY o.id DESC LIMIT 500",
        crate::access::subtree_sql("o.unit_path", under)
    ))
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(opp_of(db, r).await?);
    }
    Ok(out)
}

pub struct NewShift<'a> {
    pub role_code: &'a str,
    pub session_id: Option<i64>,
    pub starts_at: &'a str,
    pub ends_at: &'a str,
    pub place: &'a str,
    pub needed: i64,
}

/// Validates and inserts a shift of opportunity `opp` (at `unit`). A session named must be at
/// the opportunity's unit or below it, and the shift then defaults to nothing else: staff give
/// the times (the door opens before the session starts).
pub async fn insert_shift(
    tx: &mut Tx,
    opp: i64,
    unit: &UnitRef,
    s: &NewShift<'_>,
    now: &str,
) -> ApiResult<i64> {
    let starts = parse(s.starts_at)?;
    let ends = parse(s.ends_at)?;
    check_shift(starts, ends, s.needed)?;
    let role: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM volunteer_roles WHERE code = $1 AND active = 1",
    )
    .bind(s.role_code)
    .fetch_optional(&mut **tx)
    .await?;
    if role.unwrap_or(0) == 0 {
        return Err(ApiError::validation("没有这个志愿岗位类型"));
    }
    if let Some(sid) = s.session_id {
        let path: Option<String> =
            sqlx::query_scalar("SELECT unit_path FROM sessions WHERE id = $1")
                .bind(sid)
                .fetch_optional(&mut **tx)
                .await?;
        match path {
            Some(p) if p.starts_with(&unit.path) => {}
            Some(_) => return Err(ApiError::validation("该场次不在本单位")),
            None => return Err(ApiError::not_found("该场次")),
        }
    }
    if s.role_code == DOOR_ROLE && s.session_id.is_none() {
        return Err(ApiError::validation("入场签到班次需要指定活动场次"));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO volunteer_shifts (opportunity_id, role_code, session_id, starts_at, ends_at, place, needed, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
    )
    .bind(opp)
    .bind(s.role_code)
    .bind(s.session_id)
    .bind(time::fmt(starts))
    .bind(time::fmt(ends))
    .bind(s.place.trim())
    .bind(s.needed)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Raises a shift's `needed` (or lowers it, never below those already signed up).
pub async fn set_needed(tx: &mut Tx, shift_id: i64, needed: i64) -> ApiResult<()> {
    if !(1..=500).contains(&needed) {
        return Err(ApiError::validation("需要人数应在1到500之间"));
    }
    let n = sqlx::query("UPDATE volunteer_shifts SET needed = $1 WHERE id = $2 AND taken <= $1")
        .bind(needed)
        .bind(shift_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(ApiError::conflict(
            "shift_needed_below_taken",
            "已报名人数多于新的需要人数",
        ));
    }
    Ok(())
}

/// A shift with what sign-up and approval need.
pub struct ShiftInfo {
    pub shift: VolunteerShift,
    pub opportunity_status: String,
    pub title: String,
    pub unit: UnitRef,
    pub unit_name: String,
}

pub async fn shift_info(db: &Db, shift_id: i64) -> ApiResult<ShiftInfo> {
    let r = sqlx::query(&format!(
        "SELECT {SHIFT_COLS}, o.status AS opp_status, o.title, o.unit_id, o.unit_path, u.short_name \
         FROM volunteer_shifts h JOIN volunteer_roles r ON r.code = h.role_code \
         JOIN volunteer_opportunities o ON o.id = h.opportunity_id JOIN org_units u ON u.id = o.unit_id WHERE h.id = $1"
    ))
    .bind(shift_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该班次"))?;
    Ok(ShiftInfo {
        shift: shift_of(&r),
        opportunity_status: r.get("opp_status"),
        title: r.get("title"),
        unit: UnitRef {
            id: r.get("unit_id"),
            path: r.get("unit_path"),
        },
        unit_name: r.get("short_name"),
    })
}

/// Signs `user_id` up for a shift. The place is taken by one conditional UPDATE of the shift's
/// counter (`taken < needed`) in the same transaction as the sign-up: concurrent sign-ups
/// serialise on the shift's row (PostgreSQL) or the write lock (SQLite), and the table's CHECK
/// refuses an overfill should anything else race (D251). `409 shift_full`.
pub async fn sign_up(db: &Db, shift_id: i64, user_id: i64, note: &str, now: Ts) -> ApiResult<i64> {
    let info = shift_info(db, shift_id).await?;
    if info.opportunity_status != "open" {
        return Err(ApiError::conflict("shift_closed", "该志愿岗位已停止招募"));
    }
    if info.shift.starts_at <= time::fmt(now) {
        return Err(ApiError::conflict(
            "shift_closed",
            "该班次已经开始，不能再报名",
        ));
    }
    let now_s = time::fmt(now);
    let mut tx = db.begin().await?;
    let mine: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM shift_signups WHERE shift_id = $1 AND user_id = $2 AND status IN ('pending','approved')",
    )
    .bind(shift_id)
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await?;
    if mine > 0 {
        return Err(already());
    }
    let took = sqlx::query(
        "UPDATE volunteer_shifts SET taken = taken + 1 WHERE id = $1 AND taken < needed",
    )
    .bind(shift_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if took == 0 {
        return Err(ApiError::conflict("shift_full", "该班次人数已满"));
    }
    let id: i64 = match sqlx::query_scalar(
        "INSERT INTO shift_signups (shift_id, user_id, note, status, created_at) VALUES ($1,$2,$3,'pending',$4) RETURNING id",
    )
    .bind(shift_id)
    .bind(user_id)
    .bind(note.trim())
    .bind(&now_s)
    .fetch_one(&mut *tx)
    .await
    {
        Ok(id) => id,
        Err(e) if crate::db::is_unique_violation(&e) => return Err(already()),
        Err(e) => return Err(e.into()),
    };
    match tx.commit().await {
        Ok(()) => Ok(id),
        Err(e) if crate::db::is_unique_violation(&e) => Err(already()),
        Err(e) => Err(e.into()),
    }
}

fn already() -> ApiError {
    ApiError::conflict("already_signed_up", "您已报名这个班次")
}

/// A sign-up as the volunteer and staff see it.
#[derive(Debug, Clone, Object, Serialize)]
pub struct ShiftSignup {
    pub id: i64,
    pub shift_id: i64,
    pub opportunity_id: i64,
    pub title: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub role_code: String,
    pub role_name: String,
    pub session_id: Option<i64>,
    pub starts_at: String,
    pub ends_at: String,
    pub place: String,
    /// `pending`, `approved`, `declined`, `withdrawn`.
    pub status: String,
    pub note: String,
    pub user_id: i64,
    pub volunteer_masked: String,
    /// The volunteer's skills (from their profile), for staff choosing.
    pub skills: String,
    /// Confirmed service minutes; null until staff confirm.
    pub minutes: Option<i64>,
    pub confirmed_at: Option<String>,
    pub created_at: String,
}

const SIGNUP_SQL: &str = "SELECT g.id, g.shift_id, h.opportunity_id, o.title, o.unit_id, o.unit_path, u.short_name, \
     h.role_code, r.name AS role_name, h.session_id, h.starts_at, h.ends_at, h.place, g.status, g.note, g.user_id, \
     us.display_name, COALESCE(p.skills, '') AS skills, g.minutes, g.confirmed_at, g.created_at, g.assignment_id \
     FROM shift_signups g JOIN volunteer_shifts h ON h.id = g.shift_id \
     JOIN volunteer_roles r ON r.code = h.role_code \
     JOIN volunteer_opportunities o ON o.id = h.opportunity_id JOIN org_units u ON u.id = o.unit_id \
     JOIN users us ON us.id = g.user_id LEFT JOIN volunteer_profiles p ON p.user_id = g.user_id";

fn signup_of(r: &sqlx::any::AnyRow) -> ShiftSignup {
    let name: String = r
        .get::<Option<String>, _>("display_name")
        .unwrap_or_default();
    ShiftSignup {
        id: r.get("id"),
        shift_id: r.get("shift_id"),
        opportunity_id: r.get("opportunity_id"),
        title: r.get("title"),
        unit_id: r.get("unit_id"),
        unit_name: r.get("short_name"),
        role_code: r.get("role_code"),
        role_name: r.get("role_name"),
        session_id: r.get("session_id"),
        starts_at: r.get("starts_at"),
        ends_at: r.get("ends_at"),
        place: r.get("place"),
        status: r.get("status"),
        note: r.get("note"),
        user_id: r.get("user_id"),
        volunteer_masked: if name.trim().is_empty() {
            "志愿者".into()
        } else {
            mask_name(&name)
        },
        skills: r.get("skills"),
        minutes: r.get("minutes"),
        confirmed_at: r.get("confirmed_at"),
        created_at: r.get("created_at"),
    }
}

/// One sign-up with its unit (for authorization) and assignment.
pub async fn signup(db: &Db, id: i64) -> ApiResult<(ShiftSignup, UnitRef, Option<i64>)> {
    let r = sqlx::query(&format!("{SIGNUP_SQL} WHERE g.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该报名"))?;
    let unit = UnitRef {
        id: r.get("unit_id"),
        path: r.get("unit_path"),
    };
    Ok((signup_of(&r), unit, r.get("assignment_id")))
}

pub async fn mine(db: &Db, user_id: i64) -> ApiResult<Vec<ShiftSignup>> {
    let rows = sqlx::query(&format!(
        "{SIGNUP_SQL} WHERE g.user_id = $1 ORDER BY h.starts_at DESC, g.id DESC LIMIT 500"
    ))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(signup_of).collect())
}

/// Sign-ups in the caller's scope under `under`, optionally of one status.
pub async fn for_staff(
    db: &Db,
    scope_sql: &str,
    under: &str,
    status: Option<&str>,
) -> ApiResult<Vec<ShiftSignup>> {
    let mut sql = format!(
        "{SIGNUP_SQL} WHERE {scope_sql} AND {}",
        crate::access::subtree_sql("o.unit_path", under)
    );
    if status.is_some() {
        sql.push_str(" AND g.status = $1");
    }
    sql.push_str(" ORDER BY h.starts_at, g.id LIMIT 1000");
    let mut q = sqlx::query(&sql);
    if let Some(s) = status {
        q = q.bind(s);
    }
    Ok(q.fetch_all(db.pool())
        .await?
        .iter()
        .map(signup_of)
        .collect())
}

/// Frees the place of a live sign-up, setting its new status (declined, withdrawn) and
/// removing the door assignment it made. Returns false when it was no longer live.
pub async fn release(tx: &mut Tx, id: i64, status: &str, by: i64, now: &str) -> ApiResult<bool> {
    let row = sqlx::query(
        "UPDATE shift_signups SET status = $1, decided_by = $2, decided_at = $3 \
         WHERE id = $4 AND status IN ('pending','approved') RETURNING shift_id, assignment_id",
    )
    .bind(status)
    .bind(by)
    .bind(now)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(false) };
    sqlx::query("UPDATE volunteer_shifts SET taken = taken - 1 WHERE id = $1")
        .bind(row.get::<i64, _>("shift_id"))
        .execute(&mut **tx)
        .await?;
    if let Some(a) = row.get::<Option<i64>, _>("assignment_id") {
        sqlx::query("UPDATE assignments SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL")
            .bind(now)
            .bind(a)
            .execute(&mut **tx)
            .await?;
    }
    Ok(true)
}

/// Approves a pending sign-up. A door check-in shift also becomes a session assignment (the
/// same row `checkin::assignment_session` writes, so `may_scan` needs nothing new) and, if the
/// person is not yet a volunteer of the unit, grants the volunteer role there (D252). Returns
/// whether a role was granted (the caller then tells the caller cache).
pub async fn approve(
    tx: &mut Tx,
    s: &ShiftSignup,
    unit: &UnitRef,
    is_volunteer: bool,
    by: i64,
    now: &str,
) -> ApiResult<bool> {
    let n = sqlx::query(
        "UPDATE shift_signups SET status = 'approved', decided_by = $1, decided_at = $2 WHERE id = $3 AND status = 'pending'",
    )
    .bind(by)
    .bind(now)
    .bind(s.id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::conflict("signup_not_pending", "该报名已处理"));
    }
    let mut granted = false;
    if s.role_code == DOOR_ROLE {
        if !is_volunteer {
            crate::identity::grant_role(
                tx,
                s.user_id,
                crate::access::Role::Volunteer,
                unit.id,
                Some(by),
                now,
            )
            .await?;
            granted = true;
        }
        let session = s.session_id;
        let (session_unit, session_path): (i64, String) = match session {
            Some(sid) => {
                let r = sqlx::query("SELECT unit_id, unit_path FROM sessions WHERE id = $1")
                    .bind(sid)
                    .fetch_one(&mut **tx)
                    .await?;
                (r.get("unit_id"), r.get("unit_path"))
            }
            None => (unit.id, unit.path.clone()),
        };
        let a: i64 = sqlx::query_scalar(
            "INSERT INTO assignments (user_id, session_id, unit_id, unit_path, day, created_by, created_at) \
             VALUES ($1,$2,$3,$4,NULL,$5,$6) RETURNING id",
        )
        .bind(s.user_id)
        .bind(session)
        .bind(session_unit)
        .bind(session_path)
        .bind(by)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query("UPDATE shift_signups SET assignment_id = $1 WHERE id = $2")
            .bind(a)
            .bind(s.id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(granted)
}

/// Staff confirm the minutes served on an approved shift once it has started.
pub async fn confirm_hours(
    tx: &mut Tx,
    s: &ShiftSignup,
    minutes: i64,
    by: i64,
    now: Ts,
) -> ApiResult<()> {
    if s.status != "approved" {
        return Err(ApiError::conflict(
            "signup_not_approved",
            "只有已通过的报名才能确认服务时长",
        ));
    }
    let starts = parse(&s.starts_at)?;
    let ends = parse(&s.ends_at)?;
    if now < starts {
        return Err(ApiError::conflict("shift_not_started", "班次还没有开始"));
    }
    check_minutes(starts, ends, minutes)?;
    sqlx::query(
        "UPDATE shift_signups SET minutes = $1, confirmed_by = $2, confirmed_at = $3 WHERE id = $4",
    )
    .bind(minutes)
    .bind(by)
    .bind(time::fmt(now))
    .bind(s.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Confirmed minutes by role for one person.
#[derive(Debug, Clone, Object, Serialize)]
pub struct VolunteerRoleHours {
    pub role_code: String,
    pub role_name: String,
    pub shifts: i64,
    pub minutes: i64,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct VolunteerHoursSummary {
    /// Confirmed shift minutes plus door service counted from scans (`checkin::service_hours`).
    pub total_minutes: i64,
    pub shift_minutes: i64,
    pub door_minutes: i64,
    pub by_role: Vec<VolunteerRoleHours>,
    /// The milestone reached, in hours (0: none yet).
    pub milestone_hours: i64,
    pub next_milestone_hours: Option<i64>,
}

pub async fn hours_of(
    db: &Db,
    user_id: i64,
    opens_minutes: i64,
    now: Ts,
) -> ApiResult<VolunteerHoursSummary> {
    let rows = sqlx::query(
        "SELECT h.role_code, r.name, CAST(COUNT(*) AS BIGINT) AS n, CAST(SUM(g.minutes) AS BIGINT) AS m \
         FROM shift_signups g JOIN volunteer_shifts h ON h.id = g.shift_id JOIN volunteer_roles r ON r.code = h.role_code \
         WHERE g.user_id = $1 AND g.status = 'approved' AND g.minutes IS NOT NULL GROUP BY h.role_code, r.name ORDER BY h.role_code",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let by_role: Vec<VolunteerRoleHours> = rows
        .iter()
        .map(|r| VolunteerRoleHours {
            role_code: r.get("role_code"),
            role_name: r.get("name"),
            shifts: r.get("n"),
            minutes: r.get::<Option<i64>, _>("m").unwrap_or(0),
        })
        .collect();
    let shift_minutes: i64 = by_role.iter().map(|r| r.minutes).sum();
    // Door assignments made by a shift are counted once: as the shift's confirmed minutes.
    let door = crate::checkin::service_hours(db, user_id, opens_minutes, now).await?;
    let from_shifts: Vec<i64> = sqlx::query_scalar(
        "SELECT assignment_id FROM shift_signups WHERE user_id = $1 AND assignment_id IS NOT NULL",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let door_minutes: i64 = door
        .records
        .iter()
        .filter(|r| !from_shifts.contains(&r.assignment_id))
        .map(|r| r.minutes)
        .sum();
    let total = shift_minutes + door_minutes;
    let (m, next) = milestone(total);
    Ok(VolunteerHoursSummary {
        total_minutes: total,
        shift_minutes,
        door_minutes,
        by_role,
        milestone_hours: m,
        next_milestone_hours: next,
    })
}

// ---------------------------------------------------------------------------------------------
// VolunteerProfile.

#[derive(Debug, Clone, Object, Serialize)]
pub struct VolunteerProfile {
    /// Free text, comma-separated: 摄影, 钢琴, 英语讲解…
    pub skills: String,
    pub intro: String,
    pub updated_at: Option<String>,
}

pub async fn profile(db: &Db, user_id: i64) -> ApiResult<VolunteerProfile> {
    let r =
        sqlx::query("SELECT skills, intro, updated_at FROM volunteer_profiles WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(match r {
        Some(r) => VolunteerProfile {
            skills: r.get("skills"),
            intro: r.get("intro"),
            updated_at: r.get("updated_at"),
        },
        None => VolunteerProfile {
            skills: String::new(),
            intro: String::new(),
            updated_at: None,
        },
    })
}

pub async fn save_profile(
    db: &Db,
    user_id: i64,
    skills: &str,
    intro: &str,
    now: &str,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO volunteer_profiles (user_id, skills, intro, updated_at) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (user_id) DO UPDATE SET skills = excluded.skills, intro = excluded.intro, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(skills.trim())
    .bind(intro.trim())
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Certificates.

#[derive(Debug, Clone, Object, Serialize)]
pub struct VolunteerCertificate {
    /// Printed on the certificate; `GET /volunteer-certificates/{code}` verifies it.
    pub code: String,
    /// The volunteer's full name: only the volunteer receives this payload.
    pub name: String,
    pub total_minutes: i64,
    /// "123.5": hours with one decimal.
    pub hours: String,
    pub milestone_hours: i64,
    pub issued_at: String,
    /// Who issues it (the root unit's name, from the data).
    pub issuer: String,
    pub by_role: Vec<VolunteerRoleHours>,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct VolunteerCertificateCheck {
    pub valid: bool,
    pub volunteer_masked: String,
    pub hours: String,
    pub milestone_hours: i64,
    pub issued_at: String,
    pub issuer: String,
}

async fn issuer(db: &Db) -> ApiResult<String> {
    Ok(
        sqlx::query_scalar(
            "SELECT name FROM org_units WHERE parent_id IS NULL ORDER BY id LIMIT 1",
        )
        .fetch_optional(db.pool())
        .await?
        .unwrap_or_default(),
    )
}

/// The volunteer's certificate: the last one issued while the hours are unchanged, else a new
/// one with a fresh code. The mini-program draws it on a canvas and saves the image (D253).
pub async fn certificate(
    db: &Db,
    user_id: i64,
    opens_minutes: i64,
    now: Ts,
) -> ApiResult<VolunteerCertificate> {
    let h = hours_of(db, user_id, opens_minutes, now).await?;
    if h.total_minutes <= 0 {
        return Err(ApiError::conflict(
            "no_service_hours",
            "还没有经确认的志愿服务时长，暂不能生成证书",
        ));
    }
    let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?
        .unwrap_or_default();
    let last = sqlx::query(
        "SELECT code, issued_at FROM volunteer_certificates WHERE user_id = $1 AND minutes = $2 AND revoked_at IS NULL ORDER BY issued_at DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(h.total_minutes)
    .fetch_optional(db.pool())
    .await?;
    let (code, issued_at) = match last {
        Some(r) => (r.get("code"), r.get("issued_at")),
        None => {
            let code = uuid::Uuid::new_v4().simple().to_string()[..12].to_uppercase();
            let at = time::fmt(now);
            sqlx::query(
                "INSERT INTO volunteer_certificates (code, user_id, minutes, milestone, issued_at) VALUES ($1,$2,$3,$4,$5)",
            )
            .bind(&code)
            .bind(user_id)
            .bind(h.total_minutes)
            .bind(h.milestone_hours)
            .bind(&at)
            .execute(db.pool())
            .await?;
            (code, at)
        }
    };
    Ok(VolunteerCertificate {
        code,
        name,
        total_minutes: h.total_minutes,
        hours: hours_text(h.total_minutes),
        milestone_hours: h.milestone_hours,
        issued_at,
        issuer: issuer(db).await?,
        by_role: h.by_role,
    })
}

pub async fn verify_certificate(db: &Db, code: &str) -> ApiResult<VolunteerCertificateCheck> {
    let r = sqlx::query(
        "SELECT c.minutes, c.milestone, c.issued_at, c.revoked_at, u.display_name, u.deleted_at \
         FROM volunteer_certificates c JOIN users u ON u.id = c.user_id WHERE c.code = $1",
    )
    .bind(code.trim().to_uppercase())
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该证书"))?;
    let name: String = r
        .get::<Option<String>, _>("display_name")
        .unwrap_or_default();
    let minutes: i64 = r.get("minutes");
    Ok(VolunteerCertificateCheck {
        valid: r.get::<Option<String>, _>("revoked_at").is_none()
            && r.get::<Option<String>, _>("deleted_at").is_none(),
        volunteer_masked: if name.is_empty() {
            "志愿者".into()
        } else {
            mask_name(&name)
        },
        hours: hours_text(minutes),
        milestone_hours: r.get("milestone"),
        issued_at: r.get("issued_at"),
        issuer: issuer(db).await?,
    })
}

// ---------------------------------------------------------------------------------------------
// Export for the city volunteer system.

/// The columns of the hours export (documented in docs/volunteering.md): one row per confirmed
/// shift. The city system (i志愿 / 志愿深圳) imports service records as name, phone, activity,
/// start, end, hours; we add role, unit and our record id for reconciliation.
pub const EXPORT_COLUMNS: [&str; 10] = [
    "记录编号",
    "志愿者姓名",
    "手机号",
    "服务项目",
    "服务岗位",
    "服务单位",
    "服务地点",
    "开始时间",
    "结束时间",
    "服务时长（小时）",
];

fn china(s: &str) -> String {
    time::parse(s)
        .map(|t| {
            t.with_timezone(&time::cst())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Confirmed shifts under `under` (within scope) whose shift started in [from, to), as one
/// table (CSV or xlsx through `export::Download`). Phones are in full: the city system matches
/// volunteers by phone; the export is limited to those who approve volunteers, and audited (D255).
pub async fn export_table(
    db: &Db,
    scope_sql: &str,
    under: &str,
    from: &str,
    to: &str,
) -> ApiResult<crate::export::Table> {
    use crate::export::Cell;
    let rows = sqlx::query(&format!(
        "SELECT g.id, us.display_name, us.phone, o.title, r.name AS role_name, u.name AS unit_name, h.place, \
         h.starts_at, h.ends_at, g.minutes FROM shift_signups g JOIN volunteer_shifts h ON h.id = g.shift_id \
         JOIN volunteer_roles r ON r.code = h.role_code JOIN volunteer_opportunities o ON o.id = h.opportunity_id \
         JOIN org_units u ON u.id = o.unit_id JOIN users us ON us.id = g.user_id \
         WHERE g.status = 'approved' AND g.minutes IS NOT NULL AND us.deleted_at IS NULL AND {scope_sql} AND {} \
         AND h.starts_at >= $1 AND h.starts_at < $2 ORDER BY h.starts_at, g.id",
        crate::access::subtree_sql("o.unit_path", under)
    ))
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    let mut t = crate::export::Table::new("志愿服务记录", &EXPORT_COLUMNS);
    for r in &rows {
        let minutes: i64 = r.get("minutes");
        t.push(vec![
            Cell::Text(format!("VS{}", r.get::<i64, _>("id"))),
            r.get::<Option<String>, _>("display_name")
                .unwrap_or_default()
                .into(),
            r.get::<Option<String>, _>("phone")
                .unwrap_or_default()
                .into(),
            r.get::<String, _>("title").into(),
            r.get::<String, _>("role_name").into(),
            r.get::<String, _>("unit_name").into(),
            r.get::<String, _>("place").into(),
            china(&r.get::<String, _>("starts_at")).into(),
            china(&r.get::<String, _>("ends_at")).into(),
            Cell::Text(hours_text(minutes)),
        ]);
    }
    Ok(t)
}

// ---------------------------------------------------------------------------------------------
// Volunteer teams.

#[derive(Debug, Clone, Object, Serialize)]
pub struct VolunteerTeam {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub parent_id: Option<i64>,
    pub name: String,
    pub intro: String,
    pub recruiting: bool,
    pub members: i64,
}

const TEAM_SQL: &str = "SELECT t.id, t.unit_id, t.unit_path, u.short_name, t.parent_id, t.name, t.intro, t.recruiting, \
     (SELECT CAST(COUNT(*) AS BIGINT) FROM volunteer_team_members m WHERE m.team_id = t.id AND m.status = 'approved') AS members \
     FROM volunteer_teams t JOIN org_units u ON u.id = t.unit_id";

fn team_of(r: &sqlx::any::AnyRow) -> VolunteerTeam {
    VolunteerTeam {
        id: r.get("id"),
        unit_id: r.get("unit_id"),
        unit_name: r.get("short_name"),
        parent_id: r.get("parent_id"),
        name: r.get("name"),
        intro: r.get("intro"),
        recruiting: r.get::<i64, _>("recruiting") != 0,
        members: r.get("members"),
    }
}

/// Every team (public: the federation and its teams, with who recruits).
pub async fn teams(db: &Db) -> ApiResult<Vec<VolunteerTeam>> {
    let rows = sqlx::query(&format!(
        "{TEAM_SQL} ORDER BY t.parent_id IS NOT NULL, t.id LIMIT 500"
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(team_of).collect())
}

pub async fn team(db: &Db, id: i64) -> ApiResult<(VolunteerTeam, UnitRef)> {
    let r = sqlx::query(&format!("{TEAM_SQL} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该志愿服务队"))?;
    let unit = UnitRef {
        id: r.get("unit_id"),
        path: r.get("unit_path"),
    };
    Ok((team_of(&r), unit))
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct VolunteerTeamApplication {
    pub id: i64,
    pub team_id: i64,
    pub team_name: String,
    pub user_id: i64,
    pub volunteer_masked: String,
    pub skills: String,
    pub note: String,
    /// `pending`, `approved`, `declined`, `left`.
    pub status: String,
    pub created_at: String,
}

const TEAM_APP_SQL: &str = "SELECT m.id, m.team_id, t.name AS team_name, t.unit_id, t.unit_path, m.user_id, us.display_name, \
     COALESCE(p.skills, '') AS skills, m.note, m.status, m.created_at FROM volunteer_team_members m \
     JOIN volunteer_teams t ON t.id = m.team_id JOIN users us ON us.id = m.user_id \
     LEFT JOIN volunteer_profiles p ON p.user_id = m.user_id";

fn team_app_of(r: &sqlx::any::AnyRow) -> VolunteerTeamApplication {
    let name: String = r
        .get::<Option<String>, _>("display_name")
        .unwrap_or_default();
    VolunteerTeamApplication {
        id: r.get("id"),
        team_id: r.get("team_id"),
        team_name: r.get("team_name"),
        user_id: r.get("user_id"),
        volunteer_masked: if name.is_empty() {
            "志愿者".into()
        } else {
            mask_name(&name)
        },
        skills: r.get("skills"),
        note: r.get("note"),
        status: r.get("status"),
        created_at: r.get("created_at"),
    }
}

pub async fn team_applications(
    db: &Db,
    scope_sql: &str,
    under: &str,
) -> ApiResult<Vec<VolunteerTeamApplication>> {
    let rows = sqlx::query(&format!(
        "{TEAM_APP_SQL} WHERE {scope_sql} AND {} ORDER BY m.status = 'pending' DESC, m.id DESC LIMIT 1000",
        crate::access::subtree_sql("t.unit_path", under)
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(team_app_of).collect())
}

pub async fn team_application(db: &Db, id: i64) -> ApiResult<(VolunteerTeamApplication, UnitRef)> {
    let r = sqlx::query(&format!("{TEAM_APP_SQL} WHERE m.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该申请"))?;
    let unit = UnitRef {
        id: r.get("unit_id"),
        path: r.get("unit_path"),
    };
    Ok((team_app_of(&r), unit))
}

pub async fn my_teams(db: &Db, user_id: i64) -> ApiResult<Vec<VolunteerTeamApplication>> {
    let rows = sqlx::query(&format!(
        "{TEAM_APP_SQL} WHERE m.user_id = $1 ORDER BY m.id DESC"
    ))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(team_app_of).collect())
}

/// A resident applies to a recruiting team (from its recruiting page).
pub async fn apply_to_team(
    db: &Db,
    team_id: i64,
    user_id: i64,
    note: &str,
    now: &str,
) -> ApiResult<i64> {
    let (t, _) = team(db, team_id).await?;
    if !t.recruiting {
        return Err(ApiError::conflict(
            "team_not_recruiting",
            "该志愿服务队暂不招募",
        ));
    }
    let r = sqlx::query_scalar(
        "INSERT INTO volunteer_team_members (team_id, user_id, note, status, created_at) VALUES ($1,$2,$3,'pending',$4) RETURNING id",
    )
    .bind(team_id)
    .bind(user_id)
    .bind(note.trim())
    .bind(now)
    .fetch_one(db.pool())
    .await;
    match r {
        Ok(id) => Ok(id),
        Err(e) if crate::db::is_unique_violation(&e) => Err(ApiError::conflict(
            "already_applied",
            "您已申请或已加入该志愿服务队",
        )),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Reminders.

/// Queues a reminder for every approved shift starting within `lead_minutes` (not yet
/// reminded), through the outbox like session reminders, with the same template kind (D254).
pub async fn queue_reminders(db: &Db, lead_minutes: i64, now: Ts) -> ApiResult<usize> {
    let now_s = time::fmt(now);
    let rows = sqlx::query(
        "SELECT g.id, g.user_id, o.title, r.name AS role_name, h.starts_at, h.place, u.short_name \
         FROM shift_signups g JOIN volunteer_shifts h ON h.id = g.shift_id JOIN volunteer_roles r ON r.code = h.role_code \
         JOIN volunteer_opportunities o ON o.id = h.opportunity_id JOIN org_units u ON u.id = o.unit_id \
         WHERE g.status = 'approved' AND g.reminded_at IS NULL AND h.starts_at > $1 AND h.starts_at <= $2",
    )
    .bind(&now_s)
    .bind(time::fmt(now + chrono::Duration::minutes(lead_minutes)))
    .fetch_all(db.pool())
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    for r in &rows {
        let id: i64 = r.get("id");
        let Some(starts) = time::parse(&r.get::<String, _>("starts_at")) else {
            continue;
        };
        let place: String = r.get("place");
        let unit: String = r.get("short_name");
        crate::notify::enqueue(
            &mut tx,
            r.get("user_id"),
            "session_reminder",
            &format!("shift:{id}"),
            Some("pages/volunteer/shifts"),
            &crate::notify::fields(
                &r.get::<String, _>("title"),
                starts,
                if place.is_empty() { &unit } else { &place },
                &format!(
                    "志愿服务（{}）即将开始，请按时到岗",
                    r.get::<String, _>("role_name")
                ),
            ),
            &now_s,
        )
        .await?;
        sqlx::query("UPDATE shift_signups SET reminded_at = $1 WHERE id = $2")
            .bind(&now_s)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

// ---------------------------------------------------------------------------------------------
// Personal data.

/// What the export (`personal.rs`) includes about a person's volunteering.
pub async fn export_of(db: &Db, user_id: i64) -> ApiResult<serde_json::Value> {
    let p = profile(db, user_id).await?;
    let signups = mine(db, user_id).await?;
    let teams = my_teams(db, user_id).await?;
    let certs: Vec<(String, i64, String)> = sqlx::query(
        "SELECT code, minutes, issued_at FROM volunteer_certificates WHERE user_id = $1 ORDER BY issued_at",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| (r.get("code"), r.get("minutes"), r.get("issued_at")))
    .collect();
    Ok(serde_json::json!({
        "profile": p,
        "shift_signups": signups,
        "volunteer_teams": teams,
        "certificates": certs.iter().map(|(c, m, at)| serde_json::json!({"code": c, "minutes": m, "issued_at": at})).collect::<Vec<_>>(),
    }))
}

/// Erasure: the profile and notes go, live sign-ups are withdrawn (their places freed),
/// certificates revoked; confirmed hours stay as anonymous records of service done.
pub async fn erase(tx: &mut Tx, user_id: i64, now: &str) -> ApiResult<()> {
    sqlx::query("DELETE FROM volunteer_profiles WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    let live: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM shift_signups WHERE user_id = $1 AND status IN ('pending','approved') AND minutes IS NULL",
    )
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    for id in live {
        release(tx, id, "withdrawn", user_id, now).await?;
    }
    sqlx::query("UPDATE shift_signups SET note = '' WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE volunteer_team_members SET note = '', status = CASE WHEN status IN ('pending','approved') THEN 'left' ELSE status END WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE volunteer_certificates SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
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

    #[test]
    fn milestones_step_at_star_levels() {
        assert_eq!(milestone(0), (0, Some(20)));
        assert_eq!(milestone(20 * 60 - 1), (0, Some(20)));
        assert_eq!(milestone(20 * 60), (20, Some(100)));
        assert_eq!(milestone(100 * 60), (100, Some(300)));
        assert_eq!(milestone(1500 * 60), (1500, None));
        assert_eq!(milestone(9999 * 60), (1500, None));
    }

    #[test]
    fn shifts_and_minutes_are_bounded() {
        let a = t("2026-12-05T01:00:00Z");
        let b = t("2026-12-05T04:00:00Z");
        assert!(check_shift(a, b, 3).is_ok());
        assert!(check_shift(b, a, 3).is_err());
        assert!(check_shift(a, a, 3).is_err());
        assert!(check_shift(a, b, 0).is_err());
        assert!(check_shift(a, b, 501).is_err());
        assert!(check_shift(a, a + chrono::Duration::hours(25), 1).is_err());
        assert!(check_minutes(a, b, 180).is_ok());
        assert!(check_minutes(a, b, 300).is_ok());
        assert!(check_minutes(a, b, 301).is_err());
        assert!(check_minutes(a, b, -1).is_err());
    }

    #[test]
    fn hours_have_one_decimal_from_whole_minutes() {
        assert_eq!(hours_text(0), "0.0");
        assert_eq!(hours_text(60), "1.0");
        assert_eq!(hours_text(90), "1.5");
        assert_eq!(hours_text(100), "1.7");
        assert_eq!(hours_text(125), "2.1");
    }

    #[test]
    fn export_times_are_china_time() {
        assert_eq!(china("2026-12-05T01:00:00Z"), "2026-12-05 09:00");
        assert_eq!(china("nonsense"), "");
    }
}
