//! Numbers for the people who steer: satisfaction, demand, replies, the policy's annual
//! targets and staffing minimums, and the ledger (台账). Every figure is computed within the
//! caller's scope (a `Scope` from `access`), never over the whole district by default.

use crate::access::Scope;
use crate::config::PolicySettings;
use crate::db::Db;
use crate::error::ApiResult;
use crate::time;
use poem_openapi::Object;
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Object, Serialize)]
pub struct SatisfactionRow {
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: String,
    /// `YYYY-MM` (UTC month of the rating).
    pub month: String,
    pub ratings: i64,
    pub average: f64,
    pub low_scores: i64,
}

pub async fn satisfaction(
    db: &Db,
    scope: &Scope,
    under: &str,
    from: &str,
    to: &str,
) -> ApiResult<Vec<SatisfactionRow>> {
    let rows = sqlx::query(&format!(
        "SELECT r.unit_id, u.short_name, r.kind, SUBSTR(r.created_at, 1, 7) AS month, CAST(COUNT(*) AS BIGINT) AS n, \
         CAST(AVG(r.score) AS DOUBLE PRECISION) AS avg, CAST(SUM(CASE WHEN r.score <= 2 THEN 1 ELSE 0 END) AS BIGINT) AS low \
         FROM ratings r JOIN org_units u ON u.id = r.unit_id WHERE {} AND r.unit_path LIKE $1 AND r.created_at >= $2 AND r.created_at < $3 \
         GROUP BY r.unit_id, u.short_name, r.kind, SUBSTR(r.created_at, 1, 7) ORDER BY month, r.unit_id, r.kind",
        scope.sql("r.unit_path")
    ))
    .bind(format!("{under}%"))
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| SatisfactionRow {
            unit_id: r.get("unit_id"),
            unit_name: r.get("short_name"),
            kind: r.get("kind"),
            month: r.get("month"),
            ratings: r.get("n"),
            average: (r.get::<f64, _>("avg") * 100.0).round() / 100.0,
            low_scores: r.get("low"),
        })
        .collect())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct DemandRow {
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: String,
    pub total: i64,
    pub supporters: i64,
    pub fulfilled: i64,
    pub declined: i64,
    /// Share fulfilled, 0–100.
    pub fulfilled_percent: i64,
    /// Average days from posting to fulfilment.
    pub avg_days_to_fulfil: Option<f64>,
}

pub async fn demand(db: &Db, scope: &Scope, under: &str) -> ApiResult<Vec<DemandRow>> {
    let rows = sqlx::query(&format!(
        "SELECT d.unit_id, u.short_name, d.kind, d.status, d.supporters, d.created_at, d.fulfilled_at FROM demands d \
         JOIN org_units u ON u.id = d.unit_id WHERE {} AND d.unit_path LIKE $1 AND d.status <> 'merged'",
        scope.sql("d.unit_path")
    ))
    .bind(format!("{under}%"))
    .fetch_all(db.pool())
    .await?;
    let mut groups: BTreeMap<(i64, String), DemandRow> = BTreeMap::new();
    let mut days: BTreeMap<(i64, String), Vec<f64>> = BTreeMap::new();
    for r in &rows {
        let key = (r.get::<i64, _>("unit_id"), r.get::<String, _>("kind"));
        let g = groups.entry(key.clone()).or_insert_with(|| DemandRow {
            unit_id: key.0,
            unit_name: r.get("short_name"),
            kind: key.1.clone(),
            total: 0,
            supporters: 0,
            fulfilled: 0,
            declined: 0,
            fulfilled_percent: 0,
            avg_days_to_fulfil: None,
        });
        g.total += 1;
        g.supporters += r.get::<i64, _>("supporters");
        match r.get::<String, _>("status").as_str() {
            "fulfilled" => {
                g.fulfilled += 1;
                let created = time::parse(&r.get::<String, _>("created_at"));
                let done = r
                    .get::<Option<String>, _>("fulfilled_at")
                    .as_deref()
                    .and_then(time::parse);
                if let (Some(c), Some(f)) = (created, done) {
                    days.entry(key)
                        .or_default()
                        .push((f - c).num_minutes() as f64 / 1440.0);
                }
            }
            "declined" => g.declined += 1,
            _ => {}
        }
    }
    Ok(groups
        .into_iter()
        .map(|(k, mut g)| {
            g.fulfilled_percent = if g.total > 0 {
                g.fulfilled * 100 / g.total
            } else {
                0
            };
            g.avg_days_to_fulfil = days
                .get(&k)
                .filter(|v| !v.is_empty())
                .map(|v| ((v.iter().sum::<f64>() / v.len() as f64) * 10.0).round() / 10.0);
            g
        })
        .collect())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct ReplyStats {
    /// Ratings with a comment.
    pub commented: i64,
    pub replied: i64,
    /// 0–100.
    pub reply_percent: i64,
    pub avg_hours_to_first_reply: Option<f64>,
    pub low_scores: i64,
    pub low_scores_handled: i64,
}

pub async fn replies(db: &Db, scope: &Scope, under: &str) -> ApiResult<ReplyStats> {
    let rows = sqlx::query(&format!(
        "SELECT r.comment, r.score, r.created_at, r.first_reply_at, r.handled_at FROM ratings r WHERE {} AND r.unit_path LIKE $1",
        scope.sql("r.unit_path")
    ))
    .bind(format!("{under}%"))
    .fetch_all(db.pool())
    .await?;
    let (mut commented, mut replied, mut low, mut low_handled) = (0, 0, 0, 0);
    let mut hours = Vec::new();
    for r in &rows {
        let has_comment = !r.get::<String, _>("comment").is_empty();
        let first = r.get::<Option<String>, _>("first_reply_at");
        if has_comment {
            commented += 1;
            if first.is_some() {
                replied += 1;
            }
        }
        if let (Some(c), Some(f)) = (
            time::parse(&r.get::<String, _>("created_at")),
            first.as_deref().and_then(time::parse),
        ) {
            hours.push((f - c).num_minutes() as f64 / 60.0);
        }
        if r.get::<i64, _>("score") <= 2 {
            low += 1;
            if r.get::<Option<String>, _>("handled_at").is_some() {
                low_handled += 1;
            }
        }
    }
    Ok(ReplyStats {
        commented,
        replied,
        reply_percent: if commented > 0 {
            replied * 100 / commented
        } else {
            0
        },
        avg_hours_to_first_reply: (!hours.is_empty())
            .then(|| ((hours.iter().sum::<f64>() / hours.len() as f64) * 10.0).round() / 10.0),
        low_scores: low,
        low_scores_handled: low_handled,
    })
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Target {
    /// `performances`, `lectures_exhibitions` or `trainings`.
    pub category: String,
    pub label: String,
    pub target: i64,
    /// Activities held or scheduled this year (cancelled ones excluded).
    pub count: i64,
    /// Of those, delivered by the main center or run jointly by several levels.
    pub joint_or_delivered: i64,
    pub met: bool,
}

/// The policy's annual supply targets for the year, counted in scope.
pub async fn targets(
    db: &Db,
    scope: &Scope,
    under: &str,
    year: i32,
    p: &PolicySettings,
) -> ApiResult<Vec<Target>> {
    let from = format!("{year}-01-01T00:00:00Z");
    let to = format!("{}-01-01T00:00:00Z", year + 1);
    let rows = sqlx::query(&format!(
        "SELECT a.kind, CAST(COUNT(*) AS BIGINT) AS n, \
         CAST(SUM(CASE WHEN a.delivered_by_unit_id IS NOT NULL OR EXISTS (SELECT 1 FROM activity_units j WHERE j.activity_id = a.id) THEN 1 ELSE 0 END) AS BIGINT) AS joint \
         FROM activities a JOIN org_units u ON u.id = a.organizer_unit_id \
         WHERE {} AND u.path LIKE $1 AND a.status IN ('published','finished') \
         AND (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) >= $2 \
         AND (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) < $3 GROUP BY a.kind",
        scope.sql("u.path")
    ))
    .bind(format!("{under}%"))
    .bind(&from)
    .bind(&to)
    .fetch_all(db.pool())
    .await?;
    let mut by_kind: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in rows {
        by_kind.insert(r.get("kind"), (r.get("n"), r.get("joint")));
    }
    let sum = |kinds: &[&str]| {
        kinds.iter().fold((0, 0), |acc, k| {
            let v = by_kind.get(*k).copied().unwrap_or((0, 0));
            (acc.0 + v.0, acc.1 + v.1)
        })
    };
    let mk = |category: &str, label: &str, target: i64, (count, joint): (i64, i64)| Target {
        category: category.into(),
        label: label.into(),
        target,
        count,
        joint_or_delivered: joint,
        met: count >= target,
    };
    Ok(vec![
        mk(
            "performances",
            "送演出下基层",
            p.annual_performances,
            sum(&["performance"]),
        ),
        mk(
            "lectures_exhibitions",
            "讲座、展览",
            p.annual_lectures_exhibitions,
            sum(&["lecture", "exhibition"]),
        ),
        mk(
            "trainings",
            "公益性艺术培训",
            p.annual_trainings,
            sum(&["training"]),
        ),
    ])
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Staffing {
    pub unit_id: i64,
    pub unit_name: String,
    pub level: String,
    /// People holding a staff role at this unit (volunteers not counted).
    pub staff: i64,
    pub minimum: i64,
    pub met: bool,
}

/// Staff per unit against the policy's minimums.
pub async fn staffing(
    db: &Db,
    scope: &Scope,
    under: &str,
    p: &PolicySettings,
) -> ApiResult<Vec<Staffing>> {
    let rows = sqlx::query(&format!(
        "SELECT u.id, u.short_name, u.level, (SELECT CAST(COUNT(DISTINCT g.user_id) AS BIGINT) FROM role_grants g \
         WHERE g.unit_id = u.id AND g.revoked_at IS NULL AND g.role IN ('point_coordinator','branch_staff','center_staff','center_admin')) AS staff \
         FROM org_units u WHERE {} AND u.path LIKE $1 ORDER BY u.path",
        scope.sql("u.path")
    ))
    .bind(format!("{under}%"))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let level: String = r.get("level");
            let minimum = match level.as_str() {
                "main" => p.min_staff_main,
                "point" => p.min_staff_point,
                _ => p.min_staff_branch,
            };
            let staff: i64 = r.get("staff");
            Staffing {
                unit_id: r.get("id"),
                unit_name: r.get("short_name"),
                level,
                staff,
                minimum,
                met: staff >= minimum,
            }
        })
        .collect())
}
