//! Staff training (员工培训): activities whose audience is staff only, the kind of training, who
//! organised it (the district, the main center or a branch), each person's training record from
//! check-ins, and the yearly summary per unit against the policy.
//!
//! A staff-only activity is the same activity as any other (sessions, tickets, check-in); it is
//! only hidden from residents: public browse/search/nearest leave it out, and detail, lottery
//! and booking answer "not found" to anyone who may not attend it.

use crate::access::{Caller, Role, Scope, UnitRef};
use crate::config::PolicySettings;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::time;
use poem_openapi::Object;
use sqlx::Row;

pub const AUDIENCES: [&str; 2] = ["public", "staff"];
pub const KINDS: [&str; 3] = ["management", "business", "coordinator"];

pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "management" => "管理培训",
        "business" => "业务培训",
        "coordinator" => "协管员培训",
        _ => "",
    }
}

/// The audience and training fields of a new activity, checked. Pure.
/// `organizer_is_root`: the organiser is the main center (the only owner of district trainings).
pub fn check(
    audience: Option<&str>,
    training_kind: Option<&str>,
    by_district: bool,
    organizer_is_root: bool,
) -> ApiResult<()> {
    let audience = audience.unwrap_or("public");
    if !AUDIENCES.contains(&audience) {
        return Err(ApiError::validation("活动对象无效（public 或 staff）"));
    }
    if let Some(k) = training_kind {
        if !KINDS.contains(&k) {
            return Err(ApiError::validation("培训类型无效"));
        }
        if audience != "staff" {
            return Err(ApiError::validation("员工培训须设为仅限工作人员参加"));
        }
    }
    if by_district && (training_kind.is_none() || !organizer_is_root) {
        return Err(ApiError::validation(
            "区级组织的培训须是由总馆承办的员工培训",
        ));
    }
    Ok(())
}

/// Whether the caller may see and attend a staff-only activity organised at `organizer`: a
/// staff role (anything but volunteer) at the organiser, in its subtree, or above it on its line.
pub fn may_attend(caller: Option<&Caller>, organizer: &UnitRef) -> bool {
    caller.is_some_and(|c| {
        c.grants.iter().any(|g| {
            g.role != Role::Volunteer
                && (g.unit_path.starts_with(&organizer.path)
                    || organizer.path.starts_with(&g.unit_path))
        })
    })
}

/// The activity's audience and organiser.
pub async fn audience_of(db: &Db, activity_id: i64) -> ApiResult<(String, UnitRef)> {
    let r = sqlx::query(
        "SELECT a.audience, a.organizer_unit_id, u.path FROM activities a JOIN org_units u ON u.id = a.organizer_unit_id WHERE a.id = $1",
    )
    .bind(activity_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该活动"))?;
    Ok((
        r.get("audience"),
        UnitRef {
            id: r.get("organizer_unit_id"),
            path: r.get("path"),
        },
    ))
}

/// Not found, as far as this caller can tell, when the activity is staff-only and the caller
/// may not attend it (a resident learns nothing of it, not even that it exists).
pub async fn gate(db: &Db, caller: Option<&Caller>, activity_id: i64) -> ApiResult<()> {
    let (audience, organizer) = audience_of(db, activity_id).await?;
    if audience == "staff" && !may_attend(caller, &organizer) {
        return Err(ApiError::not_found("该活动"));
    }
    Ok(())
}

/// The same gate for a booking request naming a session or an activity.
pub async fn gate_booking(
    db: &Db,
    caller: &Caller,
    session_id: Option<i64>,
    activity_id: Option<i64>,
) -> ApiResult<()> {
    let id = match (activity_id, session_id) {
        (Some(a), _) => a,
        (None, Some(s)) => {
            match sqlx::query_scalar::<_, i64>("SELECT activity_id FROM sessions WHERE id = $1")
                .bind(s)
                .fetch_optional(db.pool())
                .await?
            {
                Some(a) => a,
                None => return Ok(()), // booking answers "no such session" itself
            }
        }
        (None, None) => return Ok(()),
    };
    match gate(db, Some(caller), id).await {
        Err(e) if e.code == "not_found" => Err(ApiError::not_found("该场次")),
        other => other,
    }
}

/// One training session a person attended (checked in, not undone).
#[derive(Debug, Clone, Object)]
pub struct TrainingAttended {
    pub activity_id: i64,
    pub session_id: i64,
    pub title: String,
    /// `management`, `business` or `coordinator`.
    pub training_kind: String,
    pub training_kind_label: String,
    pub organizer_name: String,
    /// Organised by the district (owned by the main center).
    pub by_district: bool,
    pub starts_at: String,
    pub admitted_at: String,
}

/// A person's training record: every training session they were checked in to, newest first.
pub async fn record(db: &Db, user_id: i64) -> ApiResult<Vec<TrainingAttended>> {
    let rows = sqlx::query(
        "SELECT a.id AS activity_id, s.id AS session_id, a.title, a.training_kind, a.by_district, u.short_name, \
         s.starts_at, c.admitted_at \
         FROM checkins c JOIN bookings b ON b.id = c.booking_id JOIN sessions s ON s.id = c.session_id \
         JOIN activities a ON a.id = s.activity_id JOIN org_units u ON u.id = a.organizer_unit_id \
         WHERE b.user_id = $1 AND b.family_member_id IS NULL AND c.undone_at IS NULL AND a.training_kind IS NOT NULL \
         ORDER BY s.starts_at DESC, s.id DESC",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let kind: String = r.get("training_kind");
            TrainingAttended {
                activity_id: r.get("activity_id"),
                session_id: r.get("session_id"),
                title: r.get("title"),
                training_kind_label: kind_label(&kind).into(),
                training_kind: kind,
                organizer_name: r.get("short_name"),
                by_district: r.get::<i64, _>("by_district") != 0,
                starts_at: r.get("starts_at"),
                admitted_at: r.get("admitted_at"),
            }
        })
        .collect())
}

/// One training of the year with its attendance.
#[derive(Debug, Clone, Object)]
pub struct TrainingRow {
    pub activity_id: i64,
    pub title: String,
    pub training_kind: String,
    pub training_kind_label: String,
    pub organizer_unit_id: i64,
    pub organizer_name: String,
    pub by_district: bool,
    /// First held session in the year.
    pub starts_at: String,
    /// Sessions held (not cancelled, started) in the year.
    pub sessions_held: i64,
    /// Distinct people checked in.
    pub attendees: i64,
}

/// One requirement of the policy for one unit (or the district), with what counted.
#[derive(Debug, Clone, Object)]
pub struct TrainingCheck {
    /// `district`, or the unit the requirement is on.
    pub level: String,
    pub unit_id: Option<i64>,
    pub unit_name: String,
    pub training_kind: String,
    /// What is required, as a staff member reads it.
    pub requirement: String,
    pub required: i64,
    pub counted: i64,
    pub met: bool,
    pub gap: i64,
}

#[derive(Debug, Clone, Object)]
pub struct TrainingSummary {
    pub year: i32,
    pub trainings: Vec<TrainingRow>,
    pub checks: Vec<TrainingCheck>,
    /// The unmet checks.
    pub gaps: Vec<TrainingCheck>,
}

/// A training as the yearly check sees it.
#[derive(Debug, Clone)]
pub struct Held<'a> {
    pub organizer_unit_id: i64,
    pub kind: &'a str,
    pub by_district: bool,
}

/// A unit the yearly check looks at.
pub struct UnitInfo<'a> {
    pub id: i64,
    pub name: &'a str,
    pub level: &'a str,
}

/// The policy's yearly training requirements against what was held. Pure.
/// `root`: the main center when the caller's scope covers it (the district and main center
/// checks are on it); each branch in `units` is checked for its coordinator training.
pub fn checks(
    p: &PolicySettings,
    root: Option<&UnitInfo<'_>>,
    units: &[UnitInfo<'_>],
    held: &[Held<'_>],
) -> Vec<TrainingCheck> {
    let mut out = Vec::new();
    let mk = |level: &str,
              unit: Option<&UnitInfo<'_>>,
              name: &str,
              kind: &str,
              requirement: String,
              required: i64,
              counted: i64| TrainingCheck {
        level: level.into(),
        unit_id: unit.map(|u| u.id),
        unit_name: name.into(),
        training_kind: kind.into(),
        requirement,
        required,
        counted,
        met: counted >= required,
        gap: (required - counted).max(0),
    };
    if let Some(r) = root {
        let district = held
            .iter()
            .filter(|h| h.by_district && h.kind == "management")
            .count() as i64;
        out.push(mk(
            "district",
            None,
            "区级",
            "management",
            format!(
                "区级每年组织管理培训不少于 {} 次",
                p.min_district_management_trainings
            ),
            p.min_district_management_trainings,
            district,
        ));
        let main = held
            .iter()
            .filter(|h| !h.by_district && h.kind == "business" && h.organizer_unit_id == r.id)
            .count() as i64;
        out.push(mk(
            "main",
            Some(r),
            r.name,
            "business",
            format!(
                "总馆每年组织业务培训不少于 {} 次",
                p.min_main_business_trainings
            ),
            p.min_main_business_trainings,
            main,
        ));
    }
    for u in units
        .iter()
        .filter(|u| u.level == "branch" || u.level == "direct_branch")
    {
        let n = held
            .iter()
            .filter(|h| h.kind == "coordinator" && h.organizer_unit_id == u.id)
            .count() as i64;
        out.push(mk(
            u.level,
            Some(u),
            u.name,
            "coordinator",
            format!(
                "分馆每年为服务点文体协管员组织培训不少于 {} 次",
                p.min_branch_coordinator_trainings
            ),
            p.min_branch_coordinator_trainings,
            n,
        ));
    }
    out
}

/// The trainings held in a CST year by units in scope under `under`, with attendance, and the
/// policy checks. A training counts once in the year it has a held session (not cancelled,
/// already started by `now`) — however many lessons it has.
pub async fn summary(
    db: &Db,
    p: &PolicySettings,
    scope: &Scope,
    under: &str,
    year: i32,
    now: &str,
) -> ApiResult<TrainingSummary> {
    let (from, to) = time::cst_year_bounds(year);
    let rows = sqlx::query(&format!(
        "SELECT a.id, a.title, a.training_kind, a.by_district, a.organizer_unit_id, u.short_name, \
         MIN(s.starts_at) AS first_start, CAST(COUNT(*) AS BIGINT) AS held, \
         (SELECT CAST(COUNT(DISTINCT b.user_id) AS BIGINT) FROM checkins c JOIN bookings b ON b.id = c.booking_id \
          JOIN sessions x ON x.id = c.session_id WHERE x.activity_id = a.id AND c.undone_at IS NULL \
          AND x.starts_at >= $2 AND x.starts_at < $3) AS attendees \
         FROM activities a JOIN org_units u ON u.id = a.organizer_unit_id JOIN sessions s ON s.activity_id = a.id \
         WHERE a.training_kind IS NOT NULL AND a.status IN ('published','finished') AND s.status <> 'cancelled' \
         AND s.starts_at >= $2 AND s.starts_at < $3 AND s.starts_at <= $4 AND {} AND u.path LIKE $1 \
         GROUP BY a.id, a.title, a.training_kind, a.by_district, a.organizer_unit_id, u.short_name \
         ORDER BY first_start, a.id",
        scope.sql("u.path")
    ))
    .bind(format!("{under}%"))
    .bind(&from)
    .bind(&to)
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let trainings: Vec<TrainingRow> = rows
        .iter()
        .map(|r| {
            let kind: String = r.get("training_kind");
            TrainingRow {
                activity_id: r.get("id"),
                title: r.get("title"),
                training_kind_label: kind_label(&kind).into(),
                training_kind: kind,
                organizer_unit_id: r.get("organizer_unit_id"),
                organizer_name: r.get("short_name"),
                by_district: r.get::<i64, _>("by_district") != 0,
                starts_at: r.get("first_start"),
                sessions_held: r.get("held"),
                attendees: r.get("attendees"),
            }
        })
        .collect();
    let held: Vec<Held<'_>> = trainings
        .iter()
        .map(|t| Held {
            organizer_unit_id: t.organizer_unit_id,
            kind: &t.training_kind,
            by_district: t.by_district,
        })
        .collect();
    let unit_rows = sqlx::query(&format!(
        "SELECT u.id, u.short_name, u.level FROM org_units u WHERE {} AND u.path LIKE $1 AND u.closed_at IS NULL ORDER BY u.path",
        scope.sql("u.path")
    ))
    .bind(format!("{under}%"))
    .fetch_all(db.pool())
    .await?;
    let owned: Vec<(i64, String, String)> = unit_rows
        .iter()
        .map(|r| (r.get("id"), r.get("short_name"), r.get("level")))
        .collect();
    let units: Vec<UnitInfo<'_>> = owned
        .iter()
        .map(|(id, name, level)| UnitInfo {
            id: *id,
            name,
            level,
        })
        .collect();
    let root = units.iter().find(|u| u.level == "main");
    let checks = checks(p, root, &units, &held);
    let gaps = checks.iter().filter(|c| !c.met).cloned().collect();
    Ok(TrainingSummary {
        year,
        trainings,
        checks,
        gaps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_fields_are_checked() {
        assert!(check(None, None, false, false).is_ok());
        assert!(check(Some("staff"), Some("business"), false, false).is_ok());
        assert!(check(Some("staff"), Some("management"), true, true).is_ok());
        assert!(check(Some("everyone"), None, false, false).is_err());
        // A training is staff-only; a district training belongs to the main center.
        assert!(check(Some("public"), Some("business"), false, true).is_err());
        assert!(check(Some("staff"), Some("cooking"), false, true).is_err());
        assert!(check(Some("staff"), Some("management"), true, false).is_err());
        assert!(check(Some("staff"), None, true, true).is_err());
    }

    fn caller(role: Role, path: &str) -> Caller {
        Caller {
            user_id: 1,
            openid: None,
            grants: vec![crate::access::Grant {
                id: 1,
                role,
                unit_id: 1,
                unit_path: path.into(),
            }],
        }
    }

    #[test]
    fn staff_on_the_line_may_attend() {
        let branch = UnitRef {
            id: 4,
            path: "/1/4/".into(),
        };
        assert!(may_attend(
            Some(&caller(Role::PointCoordinator, "/1/4/17/")),
            &branch
        ));
        assert!(may_attend(Some(&caller(Role::CenterStaff, "/1/")), &branch));
        assert!(may_attend(
            Some(&caller(Role::BranchStaff, "/1/4/")),
            &branch
        ));
        assert!(!may_attend(
            Some(&caller(Role::BranchStaff, "/1/5/")),
            &branch
        ));
        assert!(!may_attend(
            Some(&caller(Role::Volunteer, "/1/4/")),
            &branch
        ));
        assert!(!may_attend(None, &branch));
    }

    #[test]
    fn yearly_checks_list_gaps() {
        let p = PolicySettings::default();
        let root = UnitInfo {
            id: 1,
            name: "总馆",
            level: "main",
        };
        let units = vec![
            UnitInfo {
                id: 1,
                name: "总馆",
                level: "main",
            },
            UnitInfo {
                id: 4,
                name: "园岭分馆",
                level: "branch",
            },
            UnitInfo {
                id: 5,
                name: "红荔分馆",
                level: "branch",
            },
            UnitInfo {
                id: 17,
                name: "某服务点",
                level: "point",
            },
        ];
        let h = |u: i64, kind: &'static str, d: bool| Held {
            organizer_unit_id: u,
            kind,
            by_district: d,
        };
        let held = vec![
            h(1, "management", true),
            h(1, "business", false),
            h(1, "business", false),
            // A district training is not the main center's own business training.
            h(1, "business", true),
            h(4, "coordinator", false),
        ];
        let c = checks(&p, Some(&root), &units, &held);
        assert_eq!(c.len(), 4);
        assert_eq!(
            (c[0].level.as_str(), c[0].counted, c[0].met),
            ("district", 1, true)
        );
        assert_eq!((c[1].counted, c[1].required, c[1].gap), (2, 4, 2));
        assert!(c[2].met && c[2].unit_id == Some(4));
        assert!(!c[3].met && c[3].unit_id == Some(5) && c[3].gap == 1);
        // Without the root in scope only the branches are checked.
        assert_eq!(checks(&p, None, &units[1..], &held).len(), 2);
    }
}
