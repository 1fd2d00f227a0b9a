//! Numbers for the people who steer: satisfaction, demand, replies, the policy's annual
//! targets and staffing minimums, and the ledger (台账). Every figure is computed within the
//! caller's scope (a `Scope` from `access`), never over the whole district by default.

use crate::access::Scope;
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
