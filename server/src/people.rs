//! People (issue 13): the staff register and dual dispatch (双派).
//!
//! The register is separate from app roles: a role says what someone may do in the app, a
//! register entry says where they work, in which post and on what terms. Staffing minimums and
//! dispatch coverage are counted from the register only. Dates are China Standard Time days
//! (`YYYY-MM-DD`), `to_date` inclusive.

use crate::access::Scope;
use crate::config::PolicySettings;
use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::privacy::{mask_name, mask_phone};
use crate::time::Ts;
use poem_openapi::Object;
use serde::Serialize;
use sqlx::Row;

/// The CST calendar day of `t`.
pub fn cst_day(t: Ts) -> String {
    (t + chrono::Duration::hours(8))
        .format("%Y-%m-%d")
        .to_string()
}

/// A `YYYY-MM-DD` day, or a validation error naming the field.
pub fn parse_day(s: &str, field: &str) -> ApiResult<String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| ApiError::validation(format!("{field}应为日期，如 2026-01-01")))
}

/// On the register on `day`: started and not yet ended.
pub fn active_on(from: &str, to: Option<&str>, day: &str) -> bool {
    from <= day && to.is_none_or(|t| t >= day)
}

pub fn employment_label(e: &str) -> &'static str {
    match e {
        "full_time" => "专职",
        "part_time" => "兼职",
        "seconded" => "借调",
        _ => "其他",
    }
}

pub fn check_employment(e: &str) -> ApiResult<()> {
    if matches!(e, "full_time" | "part_time" | "seconded") {
        Ok(())
    } else {
        Err(ApiError::validation("用工形式应为专职、兼职或借调"))
    }
}

pub fn check_post(p: &PolicySettings, post: &str) -> ApiResult<()> {
    if p.staff_posts.iter().any(|x| x == post) {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "岗位应为本区设定的岗位之一：{}",
            p.staff_posts.join("、")
        )))
    }
}

pub fn check_range(from: &str, to: Option<&str>) -> ApiResult<()> {
    if to.is_some_and(|t| t < from) {
        return Err(ApiError::validation("结束日期不能早于开始日期"));
    }
    Ok(())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct StaffEntry {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    /// Masked.
    pub name: String,
    /// Masked.
    pub phone: Option<String>,
    pub post: String,
    /// `full_time`, `part_time` or `seconded`.
    pub employment: String,
    pub employment_label: String,
    pub from_date: String,
    pub to_date: Option<String>,
    /// The linked account, if any.
    pub user_id: Option<i64>,
    /// On the register today (CST).
    pub active: bool,
}

const STAFF_SELECT: &str =
    "SELECT s.id, s.unit_id, u.short_name, u.path, s.name, s.phone, s.post, s.employment, \
     s.from_date, s.to_date, s.user_id FROM staff_members s JOIN org_units u ON u.id = s.unit_id";

fn staff_row(r: &sqlx::any::AnyRow, today: &str) -> StaffEntry {
    let employment: String = r.get("employment");
    let from: String = r.get("from_date");
    let to: Option<String> = r.get("to_date");
    StaffEntry {
        id: r.get("id"),
        unit_id: r.get("unit_id"),
        unit_name: r.get("short_name"),
        name: mask_name(&r.get::<String, _>("name")),
        phone: r
            .get::<Option<String>, _>("phone")
            .as_deref()
            .map(mask_phone),
        post: r.get("post"),
        employment_label: employment_label(&employment).into(),
        employment,
        active: active_on(&from, to.as_deref(), today),
        from_date: from,
        to_date: to,
        user_id: r.get("user_id"),
    }
}

/// The register in scope under `under`, by unit then start.
pub async fn list_staff(
    db: &Db,
    scope: &Scope,
    under: &str,
    today: &str,
) -> ApiResult<Vec<StaffEntry>> {
    let sql = format!(
        "{STAFF_SELECT} WHERE {} AND u.path LIKE $1 ORDER BY u.path, s.from_date, s.id LIMIT 5000",
        scope.sql("u.path")
    );
    let rows = rows_under(db, &sql, under).await?;
    Ok(rows.iter().map(|r| staff_row(r, today)).collect())
}

/// The rows of `sql`, whose only parameter `$1` is the path prefix `under%`.
async fn rows_under(db: &Db, sql: &str, under: &str) -> ApiResult<Vec<sqlx::any::AnyRow>> {
    Ok(sqlx::query(sql)
        .bind(format!("{under}%"))
        .fetch_all(db.pool())
        .await?)
}

/// The one row of `sql` (parameter `$1` the id), or not found naming `what`.
async fn row_by_id(db: &Db, sql: &str, id: i64, what: &str) -> ApiResult<sqlx::any::AnyRow> {
    sqlx::query(sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found(what))
}

/// One entry with its unit's path (for authorization).
pub async fn get_staff(db: &Db, id: i64, today: &str) -> ApiResult<(StaffEntry, String)> {
    let r = row_by_id(db, &format!("{STAFF_SELECT} WHERE s.id = $1"), id, "该人员").await?;
    Ok((staff_row(&r, today), r.get("path")))
}

pub struct NewStaff<'a> {
    pub unit_id: i64,
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub post: &'a str,
    pub employment: &'a str,
    pub from_date: &'a str,
    pub to_date: Option<&'a str>,
    pub user_id: Option<i64>,
}

pub async fn check_user(db: &Db, user_id: Option<i64>) -> ApiResult<()> {
    if let Some(id) = user_id {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND deleted_at IS NULL")
                .bind(id)
                .fetch_optional(db.pool())
                .await?;
        if found.is_none() {
            return Err(ApiError::not_found("该账号"));
        }
    }
    Ok(())
}

pub async fn insert_staff(tx: &mut Tx, s: &NewStaff<'_>, now: &str) -> ApiResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO staff_members (unit_id, name, phone, post, employment, from_date, to_date, user_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(s.unit_id)
    .bind(s.name)
    .bind(s.phone)
    .bind(s.post)
    .bind(s.employment)
    .bind(s.from_date)
    .bind(s.to_date)
    .bind(s.user_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Fields a staff member's entry may change (its unit does not: a move is a new entry).
pub struct StaffPatch {
    pub post: String,
    pub employment: String,
    pub from_date: String,
    pub to_date: Option<String>,
    pub user_id: Option<i64>,
}

pub async fn update_staff(tx: &mut Tx, id: i64, p: &StaffPatch, now: &str) -> ApiResult<()> {
    sqlx::query(
        "UPDATE staff_members SET post = $1, employment = $2, from_date = $3, to_date = $4, user_id = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(&p.post)
    .bind(&p.employment)
    .bind(&p.from_date)
    .bind(&p.to_date)
    .bind(p.user_id)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Dispatch {
    pub id: i64,
    pub staff_id: i64,
    /// Masked.
    pub staff_name: String,
    pub from_unit_id: i64,
    pub from_unit_name: String,
    pub to_unit_id: i64,
    pub to_unit_name: String,
    /// `deputy_head` (main center → branch) or `instructor` (branch → point).
    pub kind: String,
    pub kind_label: String,
    pub post: String,
    pub from_date: String,
    pub to_date: Option<String>,
    pub active: bool,
}

pub fn dispatch_kind_label(k: &str) -> &'static str {
    match k {
        "deputy_head" => "总馆派驻分馆副馆长",
        _ => "分馆派驻服务点业务指导员",
    }
}

/// Which dispatch a move from a unit of `from_level` to a child of `to_level` is, if any:
/// the policy's two (四(四)2): main center → branch, branch → point.
pub fn dispatch_kind(from_level: &str, to_level: &str) -> Option<&'static str> {
    match (from_level, to_level) {
        ("main", "branch" | "direct_branch") => Some("deputy_head"),
        ("branch" | "direct_branch", "point") => Some("instructor"),
        _ => None,
    }
}

const DISPATCH_SELECT: &str = "SELECT d.id, d.staff_id, s.name, d.from_unit_id, fu.short_name AS from_name, d.to_unit_id, \
     tu.short_name AS to_name, tu.path AS to_path, fu.path AS from_path, d.kind, d.post, d.from_date, d.to_date \
     FROM dispatches d JOIN staff_members s ON s.id = d.staff_id JOIN org_units fu ON fu.id = d.from_unit_id \
     JOIN org_units tu ON tu.id = d.to_unit_id";

fn dispatch_row(r: &sqlx::any::AnyRow, today: &str) -> Dispatch {
    let kind: String = r.get("kind");
    let from: String = r.get("from_date");
    let to: Option<String> = r.get("to_date");
    Dispatch {
        id: r.get("id"),
        staff_id: r.get("staff_id"),
        staff_name: mask_name(&r.get::<String, _>("name")),
        from_unit_id: r.get("from_unit_id"),
        from_unit_name: r.get("from_name"),
        to_unit_id: r.get("to_unit_id"),
        to_unit_name: r.get("to_name"),
        kind_label: dispatch_kind_label(&kind).into(),
        kind,
        post: r.get("post"),
        active: active_on(&from, to.as_deref(), today),
        from_date: from,
        to_date: to,
    }
}

/// Dispatches into or out of the units in scope under `under`.
pub async fn list_dispatches(
    db: &Db,
    scope: &Scope,
    under: &str,
    today: &str,
) -> ApiResult<Vec<Dispatch>> {
    let sql = format!(
        "{DISPATCH_SELECT} WHERE (({} AND tu.path LIKE $1) OR ({} AND fu.path LIKE $1)) \
         ORDER BY tu.path, d.from_date, d.id LIMIT 5000",
        scope.sql("tu.path"),
        scope.sql("fu.path")
    );
    let rows = rows_under(db, &sql, under).await?;
    Ok(rows.iter().map(|r| dispatch_row(r, today)).collect())
}

/// One dispatch with the path of the unit that sent it (for authorization).
pub async fn get_dispatch(db: &Db, id: i64, today: &str) -> ApiResult<(Dispatch, String)> {
    let sql = format!("{DISPATCH_SELECT} WHERE d.id = $1");
    let r = row_by_id(db, &sql, id, "该派驻记录").await?;
    Ok((dispatch_row(&r, today), r.get("from_path")))
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_dispatch(
    tx: &mut Tx,
    staff_id: i64,
    from_unit_id: i64,
    to_unit_id: i64,
    kind: &str,
    post: &str,
    from_date: &str,
    to_date: Option<&str>,
    now: &str,
) -> ApiResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO dispatches (staff_id, from_unit_id, to_unit_id, kind, post, from_date, to_date, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(staff_id)
    .bind(from_unit_id)
    .bind(to_unit_id)
    .bind(kind)
    .bind(post)
    .bind(from_date)
    .bind(to_date)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn end_dispatch(tx: &mut Tx, id: i64, to_date: &str, now: &str) -> ApiResult<()> {
    sqlx::query("UPDATE dispatches SET to_date = $1, updated_at = $2 WHERE id = $3")
        .bind(to_date)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Staffing {
    pub unit_id: i64,
    pub unit_name: String,
    pub level: String,
    /// Counted from the register, today (CST): full-time staff belonging to the unit itself;
    /// at a point, people in the coordinator post. Dispatched or role-holding people of other
    /// units are not counted here.
    pub staff: i64,
    pub minimum: i64,
    pub met: bool,
    /// How many are missing (0 when met).
    pub gap: i64,
    /// What was counted, in words.
    pub counted: String,
}

/// One register entry as the staffing count sees it.
pub struct Counted<'a> {
    pub unit_id: i64,
    pub post: &'a str,
    pub employment: &'a str,
    pub from_date: &'a str,
    pub to_date: Option<&'a str>,
}

/// How many of `entries` count towards the minimum of a unit at `level` on `day`.
pub fn count_towards(
    p: &PolicySettings,
    unit_id: i64,
    level: &str,
    day: &str,
    entries: &[Counted<'_>],
) -> i64 {
    entries
        .iter()
        .filter(|e| e.unit_id == unit_id && active_on(e.from_date, e.to_date, day))
        .filter(|e| {
            if level == "point" {
                e.post == p.coordinator_post
            } else {
                e.employment == "full_time"
            }
        })
        .count() as i64
}

pub fn minimum_for(p: &PolicySettings, level: &str) -> i64 {
    match level {
        "main" => p.min_staff_main,
        "point" => p.min_staff_point,
        _ => p.min_staff_branch,
    }
}

/// Staffing per unit in scope against the policy's minimums, from the register.
pub async fn staffing(
    db: &Db,
    scope: &Scope,
    under: &str,
    p: &PolicySettings,
    today: &str,
) -> ApiResult<Vec<Staffing>> {
    let units = rows_under(
        db,
        &format!(
        "SELECT u.id, u.short_name, u.level FROM org_units u WHERE {} AND u.path LIKE $1 ORDER BY u.path",
        scope.sql("u.path")
        ),
        under,
    )
    .await?;
    let rows = rows_under(
        db,
        &format!(
            "SELECT s.unit_id, s.post, s.employment, s.from_date, s.to_date FROM staff_members s \
         JOIN org_units u ON u.id = s.unit_id WHERE {} AND u.path LIKE $1",
            scope.sql("u.path")
        ),
        under,
    )
    .await?;
    let owned: Vec<(i64, String, String, String, Option<String>)> = rows
        .iter()
        .map(|r| {
            (
                r.get("unit_id"),
                r.get("post"),
                r.get("employment"),
                r.get("from_date"),
                r.get("to_date"),
            )
        })
        .collect();
    let entries: Vec<Counted<'_>> = owned
        .iter()
        .map(|(u, post, e, f, t)| Counted {
            unit_id: *u,
            post,
            employment: e,
            from_date: f,
            to_date: t.as_deref(),
        })
        .collect();
    Ok(units
        .iter()
        .map(|r| {
            let level: String = r.get("level");
            let id: i64 = r.get("id");
            let staff = count_towards(p, id, &level, today, &entries);
            let minimum = minimum_for(p, &level);
            Staffing {
                unit_id: id,
                unit_name: r.get("short_name"),
                counted: if level == "point" {
                    format!("登记在本服务点的{}", p.coordinator_post)
                } else {
                    "登记在本单位的专职工作人员".into()
                },
                level,
                staff,
                minimum,
                met: staff >= minimum,
                gap: (minimum - staff).max(0),
            }
        })
        .collect())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct CoverageUnit {
    pub unit_id: i64,
    pub unit_name: String,
    pub level: String,
    pub covered: bool,
    /// Masked names of the people dispatched there today.
    pub dispatched: Vec<String>,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Coverage {
    /// Branches with a main-center cadre dispatched as deputy head today.
    pub branches_covered: i64,
    pub branches: i64,
    /// Points with a branch instructor dispatched today.
    pub points_covered: i64,
    pub points: i64,
    /// Every branch and point in scope, uncovered ones (the gaps) first.
    pub units: Vec<CoverageUnit>,
}

/// Dual-dispatch coverage of the branches and points in scope, today.
pub async fn coverage(db: &Db, scope: &Scope, under: &str, today: &str) -> ApiResult<Coverage> {
    let units = rows_under(
        db,
        &format!(
            "SELECT u.id, u.short_name, u.level FROM org_units u WHERE {} AND u.path LIKE $1 \
         AND u.level IN ('branch','direct_branch','point') ORDER BY u.path",
            scope.sql("u.path")
        ),
        under,
    )
    .await?;
    let rows = rows_under(
        db,
        &format!(
            "SELECT d.to_unit_id, d.kind, d.from_date, d.to_date, s.name FROM dispatches d \
         JOIN staff_members s ON s.id = d.staff_id JOIN org_units tu ON tu.id = d.to_unit_id \
         WHERE {} AND tu.path LIKE $1",
            scope.sql("tu.path")
        ),
        under,
    )
    .await?;
    let mut out = Coverage {
        branches_covered: 0,
        branches: 0,
        points_covered: 0,
        points: 0,
        units: Vec::new(),
    };
    for u in &units {
        let id: i64 = u.get("id");
        let level: String = u.get("level");
        let wanted = if level == "point" {
            "instructor"
        } else {
            "deputy_head"
        };
        let dispatched: Vec<String> = rows
            .iter()
            .filter(|d| {
                d.get::<i64, _>("to_unit_id") == id
                    && d.get::<String, _>("kind") == wanted
                    && active_on(
                        &d.get::<String, _>("from_date"),
                        d.get::<Option<String>, _>("to_date").as_deref(),
                        today,
                    )
            })
            .map(|d| mask_name(&d.get::<String, _>("name")))
            .collect();
        let covered = !dispatched.is_empty();
        if level == "point" {
            out.points += 1;
            out.points_covered += covered as i64;
        } else {
            out.branches += 1;
            out.branches_covered += covered as i64;
        }
        out.units.push(CoverageUnit {
            unit_id: id,
            unit_name: u.get("short_name"),
            level,
            covered,
            dispatched,
        });
    }
    // Gaps first, keeping network order within each group.
    out.units.sort_by_key(|u| u.covered);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e<'a>(unit: i64, post: &'a str, emp: &'a str, to: Option<&'a str>) -> Counted<'a> {
        Counted {
            unit_id: unit,
            post,
            employment: emp,
            from_date: "2026-01-01",
            to_date: to,
        }
    }

    #[test]
    fn only_full_time_at_the_unit_itself_count() {
        let p = PolicySettings::default();
        let entries = [
            e(1, "业务干部", "full_time", None),
            e(1, "业务干部", "part_time", None),
            e(1, "工作人员", "seconded", None),
            e(1, "业务干部", "full_time", Some("2026-03-31")),
            e(2, "业务干部", "full_time", None),
        ];
        assert_eq!(count_towards(&p, 1, "main", "2026-06-01", &entries), 1);
        assert_eq!(count_towards(&p, 1, "main", "2026-03-31", &entries), 2);
        assert_eq!(count_towards(&p, 1, "main", "2025-12-31", &entries), 0);
    }

    #[test]
    fn points_count_coordinators_of_any_employment() {
        let p = PolicySettings::default();
        let entries = [
            e(7, "文体协管员", "part_time", None),
            e(7, "业务干部", "full_time", None),
        ];
        assert_eq!(count_towards(&p, 7, "point", "2026-06-01", &entries), 1);
    }

    #[test]
    fn dispatch_goes_one_level_down_the_line() {
        assert_eq!(dispatch_kind("main", "branch"), Some("deputy_head"));
        assert_eq!(dispatch_kind("main", "direct_branch"), Some("deputy_head"));
        assert_eq!(dispatch_kind("branch", "point"), Some("instructor"));
        assert_eq!(dispatch_kind("main", "point"), None);
        assert_eq!(dispatch_kind("branch", "branch"), None);
        assert_eq!(dispatch_kind("point", "point"), None);
    }

    #[test]
    fn days_are_china_standard_time() {
        let t = crate::time::parse("2026-12-31T16:30:00Z").unwrap();
        assert_eq!(cst_day(t), "2027-01-01");
        assert!(parse_day("2026-02-30", "开始日期").is_err());
        assert_eq!(parse_day(" 2026-02-03 ", "x").unwrap(), "2026-02-03");
    }
}
