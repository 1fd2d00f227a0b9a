//! Sponsors and partners (社会力量参与, policy 四(六)2) and contracted operation (社会化运营,
//! 四(六)1), issue 16. A sponsorship records who gave what (money in fen, goods, venue,
//! services) to a unit or one of its activities; it is shown publicly as 支持单位 only with the
//! sponsor's consent (D256). A contracted unit's operator has a term and obligations, and its
//! performance is computed from data the system already holds (D257).

use crate::access::UnitRef;
use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::time::{self, Ts};
use chrono::NaiveDate;
use poem_openapi::Object;
use serde::Serialize;
use sqlx::Row;

pub const SPONSOR_KINDS: [&str; 5] = [
    "enterprise",
    "social_org",
    "individual",
    "institution",
    "other",
];
pub const RELATIONS: [&str; 2] = ["sponsor", "partner"];
pub const GIFT_KINDS: [&str; 4] = ["money", "goods", "venue", "services"];

/// A gift of money must say how much (whole fen, at most 100 million yuan); other gifts may
/// carry an estimated value.
pub fn check_gift(gift_kind: &str, amount_fen: Option<i64>) -> ApiResult<()> {
    if !GIFT_KINDS.contains(&gift_kind) {
        return Err(ApiError::validation(
            "支持方式应为 money、goods、venue 或 services",
        ));
    }
    match amount_fen {
        None if gift_kind == "money" => Err(ApiError::validation("资金支持需要填写金额（分）")),
        Some(a) if !(0..=10_000_000_000).contains(&a) => {
            Err(ApiError::validation("金额应在0到1亿元之间（以分计）"))
        }
        Some(0) if gift_kind == "money" => Err(ApiError::validation("资金支持的金额应大于0")),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Sponsorship {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub activity_id: Option<i64>,
    pub activity_title: Option<String>,
    pub sponsor_name: String,
    /// `enterprise`, `social_org`, `individual`, `institution`, `other`.
    pub sponsor_kind: String,
    /// `sponsor` (赞助) or `partner` (合作).
    pub relation: String,
    /// `money`, `goods`, `venue`, `services`.
    pub gift_kind: String,
    /// Whole fen; for non-money gifts an estimated value, or null.
    pub amount_fen: Option<i64>,
    pub description: String,
    /// The sponsor agreed to be named publicly as 支持单位.
    pub public_consent: bool,
    pub created_at: String,
    pub withdrawn_at: Option<String>,
}

const SQL: &str = "SELECT s.id, s.unit_id, s.unit_path, u.short_name, s.activity_id, a.title, s.sponsor_name, s.sponsor_kind, \
     s.relation, s.gift_kind, s.amount_fen, s.description, s.public_consent, s.created_at, s.withdrawn_at \
     FROM sponsorships s JOIN org_units u ON u.id = s.unit_id LEFT JOIN activities a ON a.id = s.activity_id";

fn of(r: &sqlx::any::AnyRow) -> Sponsorship {
    Sponsorship {
        id: r.get("id"),
        unit_id: r.get("unit_id"),
        unit_name: r.get("short_name"),
        activity_id: r.get("activity_id"),
        activity_title: r.get("title"),
        sponsor_name: r.get("sponsor_name"),
        sponsor_kind: r.get("sponsor_kind"),
        relation: r.get("relation"),
        gift_kind: r.get("gift_kind"),
        amount_fen: r.get("amount_fen"),
        description: r.get("description"),
        public_consent: r.get::<i64, _>("public_consent") != 0,
        created_at: r.get("created_at"),
        withdrawn_at: r.get("withdrawn_at"),
    }
}

pub struct NewSponsorship<'a> {
    pub activity_id: Option<i64>,
    pub sponsor_name: &'a str,
    pub sponsor_kind: &'a str,
    pub relation: &'a str,
    pub gift_kind: &'a str,
    pub amount_fen: Option<i64>,
    pub description: &'a str,
    pub public_consent: bool,
}

pub async fn insert(
    tx: &mut Tx,
    unit: &UnitRef,
    n: &NewSponsorship<'_>,
    by: i64,
    now: &str,
) -> ApiResult<i64> {
    if n.sponsor_name.trim().is_empty() {
        return Err(ApiError::validation("请填写支持单位名称"));
    }
    if !SPONSOR_KINDS.contains(&n.sponsor_kind) {
        return Err(ApiError::validation("支持单位类型不正确"));
    }
    if !RELATIONS.contains(&n.relation) {
        return Err(ApiError::validation("关系应为 sponsor 或 partner"));
    }
    check_gift(n.gift_kind, n.amount_fen)?;
    if let Some(a) = n.activity_id {
        // The activity must be organised by the unit or held in its subtree.
        let ok: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM activities a JOIN org_units u ON u.id = a.organizer_unit_id \
             WHERE a.id = $1 AND (u.path LIKE $2 OR EXISTS (SELECT 1 FROM sessions s WHERE s.activity_id = a.id AND s.unit_path LIKE $2))",
        )
        .bind(a)
        .bind(format!("{}%", unit.path))
        .fetch_one(&mut **tx)
        .await?;
        if ok == 0 {
            return Err(ApiError::validation("该活动不属于本单位"));
        }
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO sponsorships (unit_id, unit_path, activity_id, sponsor_name, sponsor_kind, relation, gift_kind, amount_fen, description, public_consent, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id",
    )
    .bind(unit.id)
    .bind(&unit.path)
    .bind(n.activity_id)
    .bind(n.sponsor_name.trim())
    .bind(n.sponsor_kind)
    .bind(n.relation)
    .bind(n.gift_kind)
    .bind(n.amount_fen)
    .bind(n.description.trim())
    .bind(n.public_consent as i64)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn get(db: &Db, id: i64) -> ApiResult<(Sponsorship, UnitRef)> {
    let r = sqlx::query(&format!("{SQL} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该支持记录"))?;
    let unit = UnitRef {
        id: r.get("unit_id"),
        path: r.get("unit_path"),
    };
    Ok((of(&r), unit))
}

/// Sponsorships in scope under `under`, newest first, with the money total (fen) of those not
/// withdrawn.
pub async fn list(db: &Db, scope_sql: &str, under: &str) -> ApiResult<(Vec<Sponsorship>, i64)> {
    let rows = sqlx::query(&format!(
        "{SQL} WHERE {scope_sql} AND {} ORDER BY s.id DESC LIMIT 1000",
        crate::access::subtree_sql("s.unit_path", under)
    ))
    .fetch_all(db.pool())
    .await?;
    let items: Vec<Sponsorship> = rows.iter().map(of).collect();
    let money = items
        .iter()
        .filter(|s| s.gift_kind == "money" && s.withdrawn_at.is_none())
        .filter_map(|s| s.amount_fen)
        .sum();
    Ok((items, money))
}

pub async fn set_consent(tx: &mut Tx, id: i64, consent: bool) -> ApiResult<()> {
    sqlx::query("UPDATE sponsorships SET public_consent = $1 WHERE id = $2")
        .bind(consent as i64)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn withdraw(tx: &mut Tx, id: i64, now: &str) -> ApiResult<()> {
    sqlx::query("UPDATE sponsorships SET withdrawn_at = $1 WHERE id = $2 AND withdrawn_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct ActivitySupporter {
    pub name: String,
    /// `sponsor` or `partner`.
    pub relation: String,
}

/// The 支持单位 of an activity as the public sees them: consenting, not withdrawn, given for
/// the activity itself, one line per name. Amounts are never public.
pub async fn supporters(db: &Db, activity_id: i64) -> ApiResult<Vec<ActivitySupporter>> {
    let rows = sqlx::query(
        "SELECT sponsor_name, MIN(relation) AS relation FROM sponsorships WHERE activity_id = $1 AND public_consent = 1 \
         AND withdrawn_at IS NULL GROUP BY sponsor_name ORDER BY MIN(id)",
    )
    .bind(activity_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| ActivitySupporter {
            name: r.get("sponsor_name"),
            relation: r.get("relation"),
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Contracted operators.

#[derive(Debug, Clone, Object, Serialize)]
pub struct OperatorObligations {
    pub sessions_per_year: i64,
    /// Checked-in share of confirmed places, percent.
    pub min_attendance_pct: i64,
    /// Share of ratings 4 or 5 stars, percent.
    pub min_satisfaction_pct: i64,
    /// Hours the unit's rooms are open per week.
    pub open_hours_per_week: i64,
    /// Anything else in the contract, as text.
    pub other: String,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct OperatorPerformance {
    /// The period measured: the contract's start to today (or its end).
    pub from: String,
    pub to: String,
    pub sessions_held: i64,
    /// The yearly obligation prorated to the period.
    pub sessions_due: i64,
    pub attendance_pct: Option<i64>,
    pub satisfaction_pct: Option<i64>,
    pub ratings: i64,
    pub open_hours_per_week: i64,
    /// OperatorObligations not met so far, by name: `sessions`, `attendance`, `satisfaction`,
    /// `open_hours`.
    pub shortfalls: Vec<String>,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct UnitOperator {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub operator_name: String,
    pub contract_ref: String,
    pub starts_on: String,
    pub ends_on: String,
    /// `upcoming`, `active`, `ended`.
    pub term_status: String,
    pub obligations: OperatorObligations,
    pub performance: OperatorPerformance,
}

pub struct OperatorInput<'a> {
    pub operator_name: &'a str,
    pub contract_ref: &'a str,
    pub starts_on: &'a str,
    pub ends_on: &'a str,
    pub obligations: &'a OperatorObligations,
}

pub fn parse_day(s: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::validation("日期格式应为 YYYY-MM-DD"))
}

/// The obligation prorated to `days` of a 365-day year, rounded down (integers only).
pub fn prorate(per_year: i64, days: i64) -> i64 {
    per_year * days.max(0) / 365
}

/// What falls short: each measured figure against its obligation (an obligation of 0 is none;
/// a figure with nothing to measure yet is not a shortfall).
pub fn shortfalls(o: &OperatorObligations, p: &OperatorPerformance) -> Vec<String> {
    let mut out = Vec::new();
    if o.sessions_per_year > 0 && p.sessions_held < p.sessions_due {
        out.push("sessions".into());
    }
    if o.min_attendance_pct > 0 && p.attendance_pct.is_some_and(|a| a < o.min_attendance_pct) {
        out.push("attendance".into());
    }
    if o.min_satisfaction_pct > 0
        && p.satisfaction_pct
            .is_some_and(|s| s < o.min_satisfaction_pct)
    {
        out.push("satisfaction".into());
    }
    if o.open_hours_per_week > 0 && p.open_hours_per_week < o.open_hours_per_week {
        out.push("open_hours".into());
    }
    out
}

/// Minutes a week the unit is open: per weekday, from the earliest opening to the latest
/// closing of its open rooms (times are `HH:MM`).
pub fn weekly_open_minutes(hours: &[(i64, String, String)]) -> i64 {
    let mins = |s: &str| -> i64 {
        let (h, m) = s.split_once(':').unwrap_or(("0", "0"));
        h.parse::<i64>().unwrap_or(0) * 60 + m.parse::<i64>().unwrap_or(0)
    };
    (1..=7)
        .map(|d| {
            let day: Vec<&(i64, String, String)> = hours.iter().filter(|h| h.0 == d).collect();
            let open = day.iter().map(|h| mins(&h.1)).min();
            let close = day.iter().map(|h| mins(&h.2)).max();
            match (open, close) {
                (Some(o), Some(c)) if c > o => c - o,
                _ => 0,
            }
        })
        .sum()
}

/// Records (or replaces) the operator of a contracted unit.
pub async fn save_operator(
    tx: &mut Tx,
    unit: &UnitRef,
    i: &OperatorInput<'_>,
    by: i64,
    now: &str,
) -> ApiResult<i64> {
    let contracted: i64 = sqlx::query_scalar("SELECT contracted FROM org_units WHERE id = $1")
        .bind(unit.id)
        .fetch_one(&mut **tx)
        .await?;
    if contracted == 0 {
        return Err(ApiError::conflict(
            "unit_not_contracted",
            "该单位不是社会化运营单位，请先在单位信息中标记",
        ));
    }
    if i.operator_name.trim().is_empty() {
        return Err(ApiError::validation("请填写运营方名称"));
    }
    let from = parse_day(i.starts_on)?;
    let to = parse_day(i.ends_on)?;
    if to <= from {
        return Err(ApiError::validation("合同结束日期应晚于开始日期"));
    }
    let o = i.obligations;
    for pct in [o.min_attendance_pct, o.min_satisfaction_pct] {
        if !(0..=100).contains(&pct) {
            return Err(ApiError::validation("百分比应在0到100之间"));
        }
    }
    if !(0..=100_000).contains(&o.sessions_per_year) || !(0..=168).contains(&o.open_hours_per_week)
    {
        return Err(ApiError::validation("服务指标超出范围"));
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO unit_operators (unit_id, unit_path, operator_name, contract_ref, starts_on, ends_on, sessions_per_year, \
         min_attendance_pct, min_satisfaction_pct, open_hours_per_week, obligations, created_by, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$13) \
         ON CONFLICT (unit_id) DO UPDATE SET operator_name = excluded.operator_name, contract_ref = excluded.contract_ref, \
         starts_on = excluded.starts_on, ends_on = excluded.ends_on, sessions_per_year = excluded.sessions_per_year, \
         min_attendance_pct = excluded.min_attendance_pct, min_satisfaction_pct = excluded.min_satisfaction_pct, \
         open_hours_per_week = excluded.open_hours_per_week, obligations = excluded.obligations, updated_at = excluded.updated_at \
         RETURNING id",
    )
    .bind(unit.id)
    .bind(&unit.path)
    .bind(i.operator_name.trim())
    .bind(i.contract_ref.trim())
    .bind(from.format("%Y-%m-%d").to_string())
    .bind(to.format("%Y-%m-%d").to_string())
    .bind(o.sessions_per_year)
    .bind(o.min_attendance_pct)
    .bind(o.min_satisfaction_pct)
    .bind(o.open_hours_per_week)
    .bind(o.other.trim())
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

/// Start of a China-time day as a stored UTC timestamp.
fn day_start(d: NaiveDate) -> String {
    let t = d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - chrono::Duration::hours(8);
    time::fmt(t)
}

async fn performance(
    db: &Db,
    path: &str,
    unit_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    o: &OperatorObligations,
    now: Ts,
) -> ApiResult<OperatorPerformance> {
    let today = crate::family::china_date(now);
    let end = if to < today { to } else { today };
    let (a, b) = (day_start(from), day_start(end + chrono::Duration::days(1)));
    let b = if b > time::fmt(now) {
        time::fmt(now)
    } else {
        b
    };
    let sub = crate::access::subtree_sql("s.unit_path", path);
    let held: i64 = sqlx::query_scalar(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions s JOIN activities a ON a.id = s.activity_id \
         WHERE {sub} AND s.status = 'scheduled' AND a.status IN ('published','finished') AND s.ends_at >= $1 AND s.ends_at < $2"
    ))
    .bind(&a)
    .bind(&b)
    .fetch_one(db.pool())
    .await?;
    let r = sqlx::query(&format!(
        "SELECT (SELECT CAST(COUNT(*) AS BIGINT) FROM bookings k JOIN sessions s ON s.id = k.session_id \
           WHERE {sub} AND s.status = 'scheduled' AND k.status IN ('confirmed','entered') AND s.ends_at >= $1 AND s.ends_at < $2) AS places, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM checkins c JOIN sessions s ON s.id = c.session_id \
           WHERE {sub} AND c.undone_at IS NULL AND s.ends_at >= $1 AND s.ends_at < $2) AS came"
    ))
    .bind(&a)
    .bind(&b)
    .fetch_one(db.pool())
    .await?;
    let places: i64 = r.get("places");
    let came: i64 = r.get("came");
    let attendance_pct = (places > 0).then(|| (came * 100 / places).min(100));
    let rsub = crate::access::subtree_sql("unit_path", path);
    let r = sqlx::query(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(CASE WHEN score >= 4 THEN 1 ELSE 0 END), 0) AS BIGINT) AS good \
         FROM ratings WHERE {rsub} AND created_at >= $1 AND created_at < $2"
    ))
    .bind(&a)
    .bind(&b)
    .fetch_one(db.pool())
    .await?;
    let ratings: i64 = r.get("n");
    let good: i64 = r.get("good");
    let satisfaction_pct = (ratings > 0).then(|| good * 100 / ratings);
    let hours: Vec<(i64, String, String)> = sqlx::query(
        "SELECT h.weekday, h.opens, h.closes FROM room_hours h JOIN rooms r ON r.id = h.room_id \
         WHERE r.unit_id = $1 AND r.closed_at IS NULL",
    )
    .bind(unit_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| (r.get("weekday"), r.get("opens"), r.get("closes")))
    .collect();
    let days = (end - from).num_days() + 1;
    let mut p = OperatorPerformance {
        from: from.format("%Y-%m-%d").to_string(),
        to: end.format("%Y-%m-%d").to_string(),
        sessions_held: held,
        sessions_due: prorate(o.sessions_per_year, days),
        attendance_pct,
        satisfaction_pct,
        ratings,
        open_hours_per_week: weekly_open_minutes(&hours) / 60,
        shortfalls: Vec::new(),
    };
    p.shortfalls = shortfalls(o, &p);
    Ok(p)
}

/// Operators of units in scope under `under`, each with its performance so far.
pub async fn operators(
    db: &Db,
    scope_sql: &str,
    under: &str,
    now: Ts,
) -> ApiResult<Vec<UnitOperator>> {
    let rows = sqlx::query(&format!(
        "SELECT p.id, p.unit_id, p.unit_path, u.short_name, p.operator_name, p.contract_ref, p.starts_on, p.ends_on, \
         p.sessions_per_year, p.min_attendance_pct, p.min_satisfaction_pct, p.open_hours_per_week, p.obligations \
         FROM unit_operators p JOIN org_units u ON u.id = p.unit_id WHERE {scope_sql} AND {} ORDER BY u.path",
        crate::access::subtree_sql("p.unit_path", under)
    ))
    .fetch_all(db.pool())
    .await?;
    let today = crate::family::china_date(now);
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let o = OperatorObligations {
            sessions_per_year: r.get("sessions_per_year"),
            min_attendance_pct: r.get("min_attendance_pct"),
            min_satisfaction_pct: r.get("min_satisfaction_pct"),
            open_hours_per_week: r.get("open_hours_per_week"),
            other: r.get("obligations"),
        };
        let starts_on: String = r.get("starts_on");
        let ends_on: String = r.get("ends_on");
        let from = parse_day(&starts_on)?;
        let to = parse_day(&ends_on)?;
        let term_status = if today < from {
            "upcoming"
        } else if today > to {
            "ended"
        } else {
            "active"
        };
        let path: String = r.get("unit_path");
        let unit_id: i64 = r.get("unit_id");
        let performance = if today < from {
            OperatorPerformance {
                from: starts_on.clone(),
                to: starts_on.clone(),
                sessions_held: 0,
                sessions_due: 0,
                attendance_pct: None,
                satisfaction_pct: None,
                ratings: 0,
                open_hours_per_week: 0,
                shortfalls: Vec::new(),
            }
        } else {
            performance(db, &path, unit_id, from, to, &o, now).await?
        };
        out.push(UnitOperator {
            id: r.get("id"),
            unit_id,
            unit_name: r.get("short_name"),
            operator_name: r.get("operator_name"),
            contract_ref: r.get("contract_ref"),
            starts_on,
            ends_on,
            term_status: term_status.into(),
            obligations: o,
            performance,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gifts_need_amounts_in_fen() {
        assert!(check_gift("money", Some(500_000)).is_ok());
        assert!(check_gift("money", None).is_err());
        assert!(check_gift("money", Some(0)).is_err());
        assert!(check_gift("money", Some(-1)).is_err());
        assert!(check_gift("goods", None).is_ok());
        assert!(check_gift("venue", Some(0)).is_ok());
        assert!(check_gift("cash", Some(1)).is_err());
        assert!(check_gift("services", Some(10_000_000_001)).is_err());
    }

    #[test]
    fn obligations_prorate_and_fall_short() {
        assert_eq!(prorate(120, 365), 120);
        assert_eq!(prorate(120, 73), 24);
        assert_eq!(prorate(120, -3), 0);
        let o = OperatorObligations {
            sessions_per_year: 120,
            min_attendance_pct: 70,
            min_satisfaction_pct: 90,
            open_hours_per_week: 56,
            other: String::new(),
        };
        let mut p = OperatorPerformance {
            from: "2026-01-01".into(),
            to: "2026-03-14".into(),
            sessions_held: 20,
            sessions_due: 24,
            attendance_pct: Some(80),
            satisfaction_pct: None,
            ratings: 0,
            open_hours_per_week: 60,
            shortfalls: vec![],
        };
        assert_eq!(shortfalls(&o, &p), ["sessions"]);
        p.sessions_held = 24;
        p.attendance_pct = Some(69);
        p.satisfaction_pct = Some(95);
        p.open_hours_per_week = 40;
        assert_eq!(shortfalls(&o, &p), ["attendance", "open_hours"]);
    }

    #[test]
    fn weekly_hours_span_the_rooms_of_each_day() {
        let h = vec![
            (1, "09:00".to_string(), "12:00".to_string()),
            (1, "14:00".to_string(), "21:00".to_string()),
            (2, "09:00".to_string(), "17:30".to_string()),
        ];
        assert_eq!(weekly_open_minutes(&h), 12 * 60 + 8 * 60 + 30);
        assert_eq!(weekly_open_minutes(&[]), 0);
    }
}
