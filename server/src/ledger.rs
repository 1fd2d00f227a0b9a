//! The ledgers (台账): one workbook per unit and year or month, a sheet per ledger, every row
//! within the caller's scope (`access::Scope`) and the unit asked for. Periods are China
//! Standard Time years and months: the ledger of 2026 starts at 2026-01-01 00:00 in Shenzhen,
//! which is 2025-12-31T16:00:00Z. Every cell goes through `export::Table`, so text a resident
//! typed cannot become a formula.

use crate::access::Scope;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::export::{Cell, Sheet, Table};
use crate::privacy::{mask_name, mask_phone, mask_text};
use crate::time::{self, Ts};
use chrono::{Datelike, NaiveDate};
use sqlx::Row;
use std::collections::BTreeMap;

/// A ledger period: a China-time year or month, as UTC bounds and as China-time dates.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    /// `2026` or `2026-11`, for file names and titles.
    pub label: String,
    /// UTC bounds `[from, to)`, in the stored timestamp format.
    pub from: String,
    pub to: String,
    /// China-time dates `[from_date, to_date)`, for columns that store dates.
    pub from_date: String,
    pub to_date: String,
}

fn china_midnight_utc(d: NaiveDate) -> String {
    let t = d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - chrono::Duration::hours(8);
    time::fmt(t)
}

impl Period {
    /// The year, or one month of it (1–12).
    pub fn new(year: i32, month: Option<u32>) -> Result<Period, ApiError> {
        let bad = || ApiError::validation("年份或月份无效");
        if !(2000..=2100).contains(&year) {
            return Err(bad());
        }
        let (start, end, label) = match month {
            None => (
                NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(bad)?,
                NaiveDate::from_ymd_opt(year + 1, 1, 1).ok_or_else(bad)?,
                format!("{year}"),
            ),
            Some(m) => {
                let start = NaiveDate::from_ymd_opt(year, m, 1).ok_or_else(bad)?;
                let end = if m == 12 {
                    NaiveDate::from_ymd_opt(year + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(year, m + 1, 1)
                }
                .ok_or_else(bad)?;
                (start, end, format!("{year}-{m:02}"))
            }
        };
        Ok(Period {
            label,
            from: china_midnight_utc(start),
            to: china_midnight_utc(end),
            from_date: start.format("%Y-%m-%d").to_string(),
            to_date: end.format("%Y-%m-%d").to_string(),
        })
    }

    /// `month` as `YYYY-MM` overrides `year`; with neither, the current China-time year.
    pub fn from_query(year: Option<i32>, month: Option<&str>, now: Ts) -> Result<Period, ApiError> {
        match month {
            Some(m) => {
                let d = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                    .map_err(|_| ApiError::validation("月份格式应为 2026-11"))?;
                Period::new(d.year(), Some(d.month()))
            }
            None => Period::new(
                year.unwrap_or_else(|| crate::family::china_date(now).year()),
                None,
            ),
        }
    }
}

/// A stored UTC timestamp as China time, `2026-11-28 16:00`, the way staff read it.
pub fn china_time(s: &str) -> String {
    match time::parse(s) {
        Some(t) => (t + chrono::Duration::hours(8))
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        None => s.to_string(),
    }
}

fn opt_time(s: Option<String>) -> Cell {
    s.map(|s| Cell::Text(china_time(&s))).unwrap_or(Cell::Empty)
}

const ACTIVITY_HEADERS: [&str; 14] = [
    "活动编号",
    "活动名称",
    "类型",
    "状态",
    "主办单位",
    "总馆配送",
    "联合单位",
    "首场时间",
    "场次",
    "已举办场次",
    "预约人数",
    "签到人数",
    "现场人次",
    "平均评分",
];

/// Activities whose first session falls in the period, with joint partners and attendance.
/// Scoped by the organizing unit. Also the CSV ledger (`/stats/ledger.csv`).
pub async fn activities(
    db: &Db,
    scope: &Scope,
    under: &str,
    p: &Period,
    now: &str,
) -> ApiResult<Table> {
    let rows = sqlx::query(&format!(
        "SELECT a.id, a.title, a.kind, a.status, u.name AS organizer, d.short_name AS delivered_by, \
         (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) AS first_start, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM sessions s WHERE s.activity_id = a.id) AS sessions, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM sessions s WHERE s.activity_id = a.id AND s.status = 'scheduled' AND s.ends_at <= $4) AS held, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM bookings b WHERE b.activity_id = a.id AND b.status IN ('confirmed','entered')) AS booked, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM checkins c JOIN sessions s ON s.id = c.session_id WHERE s.activity_id = a.id AND c.undone_at IS NULL) AS admitted, \
         (SELECT CAST(COALESCE(SUM(h.count), 0) AS BIGINT) FROM headcounts h JOIN sessions s ON s.id = h.session_id WHERE s.activity_id = a.id) AS walk_ins, \
         (SELECT CAST(AVG(r.score) AS DOUBLE PRECISION) FROM ratings r WHERE r.activity_id = a.id) AS avg_score \
         FROM activities a JOIN org_units u ON u.id = a.organizer_unit_id \
         LEFT JOIN org_units d ON d.id = a.delivered_by_unit_id WHERE {} AND u.path LIKE $1 \
         AND (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) >= $2 \
         AND (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) < $3 ORDER BY first_start, a.id",
        scope.sql("u.path")
    ))
    .bind(format!("{under}%"))
    .bind(&p.from)
    .bind(&p.to)
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let partners = joint_partners(db, scope, under).await?;
    let mut t = Table::new("活动", &ACTIVITY_HEADERS);
    for r in rows {
        let id: i64 = r.get("id");
        let kind: String = r.get("kind");
        let status: String = r.get("status");
        t.push(vec![
            id.into(),
            r.get::<String, _>("title").into(),
            crate::activity::kind_label(&kind).into(),
            activity_status_label(&status).into(),
            r.get::<String, _>("organizer").into(),
            r.get::<Option<String>, _>("delivered_by")
                .unwrap_or_else(|| "否".into())
                .into(),
            partners
                .get(&id)
                .map(|v| v.join("、"))
                .unwrap_or_default()
                .into(),
            opt_time(r.get("first_start")),
            r.get::<i64, _>("sessions").into(),
            r.get::<i64, _>("held").into(),
            r.get::<i64, _>("booked").into(),
            r.get::<i64, _>("admitted").into(),
            r.get::<i64, _>("walk_ins").into(),
            r.get::<Option<f64>, _>("avg_score")
                .map(|a| (a * 10.0).round() / 10.0)
                .into(),
        ]);
    }
    Ok(t)
}

fn activity_status_label(s: &str) -> &'static str {
    match s {
        "draft" => "草稿",
        "published" => "已发布",
        "cancelled" => "已取消",
        "finished" => "已结束",
        _ => "其他",
    }
}

/// Joint partner units per activity (`activity_units`), for activities organised in scope.
async fn joint_partners(
    db: &Db,
    scope: &Scope,
    under: &str,
) -> ApiResult<BTreeMap<i64, Vec<String>>> {
    let rows = sqlx::query(&format!(
        "SELECT j.activity_id, p.short_name FROM activity_units j JOIN activities a ON a.id = j.activity_id \
         JOIN org_units u ON u.id = a.organizer_unit_id JOIN org_units p ON p.id = j.unit_id \
         WHERE {} AND u.path LIKE $1 ORDER BY j.activity_id, p.path",
        scope.sql("u.path")
    ))
    .bind(format!("{under}%"))
    .fetch_all(db.pool())
    .await?;
    let mut m: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for r in rows {
        m.entry(r.get("activity_id"))
            .or_default()
            .push(r.get("short_name"));
    }
    Ok(m)
}

/// How a session stands on the ledger: cancelled, held (over and not cancelled), or not yet.
fn session_state(status: &str, activity_status: &str, ends_at: &str, now: &str) -> &'static str {
    if status == "cancelled" || activity_status == "cancelled" {
        "已取消"
    } else if activity_status == "draft" {
        "未发布"
    } else if ends_at <= now {
        "已举办"
    } else {
        "未举办"
    }
}

/// Every session starting in the period at a unit in scope, with bookings and attendance.
pub async fn sessions(
    db: &Db,
    scope: &Scope,
    under: &str,
    p: &Period,
    now: &str,
) -> ApiResult<Table> {
    let rows = rows_in(
        db,
        &format!(
            "SELECT s.id, s.activity_id, a.title, a.kind, a.status AS activity_status, s.lesson_no, u.short_name, s.room, \
             s.starts_at, s.ends_at, s.status, s.capacity, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM bookings b WHERE b.session_id = s.id AND b.status IN ('confirmed','entered')) AS booked, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM checkins c WHERE c.session_id = s.id AND c.undone_at IS NULL) AS admitted, \
             (SELECT CAST(COALESCE(SUM(h.count), 0) AS BIGINT) FROM headcounts h WHERE h.session_id = s.id) AS walk_ins \
             FROM sessions s JOIN activities a ON a.id = s.activity_id JOIN org_units u ON u.id = s.unit_id \
             WHERE {} AND s.unit_path LIKE $1 AND s.starts_at >= $2 AND s.starts_at < $3 ORDER BY s.starts_at, s.id",
            scope.sql("s.unit_path")
        ),
        under,
        &p.from,
        &p.to,
    )
    .await?;
    let mut t = Table::new(
        "场次",
        &[
            "场次编号",
            "活动编号",
            "活动名称",
            "类型",
            "课次",
            "举办单位",
            "场地",
            "开始时间",
            "结束时间",
            "状态",
            "容量",
            "预约人数",
            "签到人数",
            "现场人次",
        ],
    );
    for r in rows {
        let kind: String = r.get("kind");
        let ends: String = r.get("ends_at");
        t.push(vec![
            r.get::<i64, _>("id").into(),
            r.get::<i64, _>("activity_id").into(),
            r.get::<String, _>("title").into(),
            crate::activity::kind_label(&kind).into(),
            r.get::<i64, _>("lesson_no").into(),
            r.get::<String, _>("short_name").into(),
            r.get::<String, _>("room").into(),
            Cell::Text(china_time(&r.get::<String, _>("starts_at"))),
            Cell::Text(china_time(&ends)),
            session_state(
                &r.get::<String, _>("status"),
                &r.get::<String, _>("activity_status"),
                &ends,
                now,
            )
            .into(),
            r.get::<Option<i64>, _>("capacity").into(),
            r.get::<i64, _>("booked").into(),
            r.get::<i64, _>("admitted").into(),
            r.get::<i64, _>("walk_ins").into(),
        ]);
    }
    Ok(t)
}

/// Volunteer assignments in the period at units in scope, with the scans done and the hours
/// served — the same rule as a volunteer's own record (`checkin::service_hours`): a session
/// assignment counts from check-in opening to the session's end once it is over and the
/// volunteer scanned or counted; a unit-day assignment from the first to the last scan of
/// the day, at least an hour. Names are masked.
pub async fn volunteers(
    db: &Db,
    scope: &Scope,
    under: &str,
    p: &Period,
    now: &str,
    opens_minutes: i64,
) -> ApiResult<Table> {
    let rows = sqlx::query(&format!(
        "SELECT g.id, g.session_id, g.day, u.short_name, p.display_name, a.title, s.starts_at, s.ends_at, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM checkins c WHERE c.volunteer_id = g.user_id AND c.session_id = g.session_id AND c.undone_at IS NULL) \
         + (SELECT CAST(COUNT(*) AS BIGINT) FROM headcounts h WHERE h.volunteer_id = g.user_id AND h.session_id = g.session_id) AS session_scans \
         FROM assignments g JOIN org_units u ON u.id = g.unit_id JOIN users p ON p.id = g.user_id \
         LEFT JOIN sessions s ON s.id = g.session_id LEFT JOIN activities a ON a.id = s.activity_id \
         WHERE {} AND g.unit_path LIKE $1 AND g.removed_at IS NULL \
         AND ((g.session_id IS NOT NULL AND s.starts_at >= $2 AND s.starts_at < $3) \
           OR (g.session_id IS NULL AND g.day >= $4 AND g.day < $5)) ORDER BY g.id",
        scope.sql("g.unit_path")
    ))
    .bind(format!("{under}%"))
    .bind(&p.from)
    .bind(&p.to)
    .bind(&p.from_date)
    .bind(&p.to_date)
    .fetch_all(db.pool())
    .await?;
    let mut t = Table::new(
        "志愿服务",
        &[
            "志愿者",
            "服务单位",
            "服务内容",
            "日期",
            "签到/计数次数",
            "服务时长（小时）",
        ],
    );
    for r in rows {
        let name: String = r.get("display_name");
        let (what, day, scans, minutes) = match r.get::<Option<i64>, _>("session_id") {
            Some(_) => {
                let starts = r.get::<Option<String>, _>("starts_at").unwrap_or_default();
                let ends = r.get::<Option<String>, _>("ends_at").unwrap_or_default();
                let scans: i64 = r.get("session_scans");
                let minutes = match (time::parse(&starts), time::parse(&ends)) {
                    (Some(s), Some(e)) if scans > 0 && ends.as_str() <= now => {
                        (e - s).num_minutes() + opens_minutes
                    }
                    _ => 0,
                };
                let day = china_time(&starts).chars().take(10).collect::<String>();
                (
                    r.get::<Option<String>, _>("title").unwrap_or_default(),
                    day,
                    scans,
                    minutes,
                )
            }
            None => {
                let day: String = r.get::<Option<String>, _>("day").unwrap_or_default();
                let (scans, minutes) = day_service(db, r.get("id"), &day).await?;
                ("全天值守".to_string(), day, scans, minutes)
            }
        };
        t.push(vec![
            mask_name(&name).into(),
            r.get::<String, _>("short_name").into(),
            what.into(),
            day.into(),
            scans.into(),
            Cell::Num((minutes as f64 / 6.0).round() / 10.0),
        ]);
    }
    Ok(t)
}

/// Scans and minutes of a unit-day assignment: first to last scan of that China-time day.
async fn day_service(db: &Db, assignment_id: i64, day: &str) -> ApiResult<(i64, i64)> {
    let Some(d) = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok() else {
        return Ok((0, 0));
    };
    let from = china_midnight_utc(d);
    let to = china_midnight_utc(d + chrono::Duration::days(1));
    let r = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n, MIN(c.recorded_at) AS first, MAX(c.recorded_at) AS last \
         FROM assignments g JOIN checkins c ON c.volunteer_id = g.user_id JOIN sessions s ON s.id = c.session_id \
         WHERE g.id = $1 AND s.unit_id = g.unit_id AND c.undone_at IS NULL AND c.recorded_at >= $2 AND c.recorded_at < $3",
    )
    .bind(assignment_id)
    .bind(&from)
    .bind(&to)
    .fetch_one(db.pool())
    .await?;
    let n: i64 = r.get("n");
    let span = match (
        r.get::<Option<String>, _>("first")
            .as_deref()
            .and_then(time::parse),
        r.get::<Option<String>, _>("last")
            .as_deref()
            .and_then(time::parse),
    ) {
        (Some(a), Some(b)) if n > 0 => (b - a).num_minutes().max(60),
        _ => 0,
    };
    Ok((n, span))
}

/// Rows per message when a sheet is streamed in parts.
const ROWS_PER_PART: usize = 500;

/// Feedback in the period: a summary per activity (sheet `first`), and every comment with its
/// replies (sheet `first + 1`; phone-like digit runs masked, as in the feedback export).
///
/// The ratings are the largest ledger (one row per comment of the year), so they are read as a
/// stream and both sheets are sent in parts of `ROWS_PER_PART` rows (D216): the rows come ordered
/// by activity, so each activity's summary row is complete when the next activity starts.
pub async fn feedback(
    db: &Db,
    scope: &Scope,
    under: &str,
    p: &Period,
    first: usize,
    out: &tokio::sync::mpsc::Sender<Sheet>,
) -> ApiResult<()> {
    let replies = rows_in(
        db,
        &format!(
            "SELECT x.rating_id, x.unit_name, x.content, x.created_at FROM rating_replies x JOIN ratings r ON r.id = x.rating_id \
             WHERE {} AND r.unit_path LIKE $1 AND r.created_at >= $2 AND r.created_at < $3 ORDER BY x.id",
            scope.sql("r.unit_path")
        ),
        under,
        &p.from,
        &p.to,
    )
    .await?;
    let mut by_rating: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for x in replies {
        by_rating
            .entry(x.get("rating_id"))
            .or_default()
            .push(format!(
                "{}（{}）：{}",
                x.get::<String, _>("unit_name"),
                china_time(&x.get::<String, _>("created_at")),
                mask_text(&x.get::<String, _>("content"))
            ));
    }
    #[derive(Default)]
    struct Sum {
        id: i64,
        title: String,
        unit: String,
        n: i64,
        total: i64,
        low: i64,
        low_handled: i64,
        commented: i64,
        replied: i64,
    }
    impl Sum {
        fn row(self) -> Vec<Cell> {
            vec![
                self.id.into(),
                self.title.into(),
                self.unit.into(),
                self.n.into(),
                Cell::Num(((self.total as f64 / self.n.max(1) as f64) * 10.0).round() / 10.0),
                self.low.into(),
                self.low_handled.into(),
                self.commented.into(),
                self.replied.into(),
            ]
        }
    }
    let send =
        |sheet: Sheet| async move { out.send(sheet).await.map_err(|_| ApiError::internal()) };
    send(Sheet::Table(Table::new(
        "评价汇总",
        &[
            "活动编号",
            "活动名称",
            "举办单位",
            "评价数",
            "平均评分",
            "低分（≤2）",
            "低分已处理",
            "有评论",
            "已回复",
        ],
    )))
    .await?;
    send(Sheet::Table(Table::new(
        "评价与回复",
        &[
            "评价编号",
            "活动名称",
            "举办单位",
            "评价时间",
            "评分",
            "评论",
            "评论状态",
            "回复",
            "首次回复时间",
            "低分已处理",
        ],
    )))
    .await?;
    let sql = format!(
        "SELECT r.id, r.activity_id, a.title, u.short_name, r.score, r.comment, r.comment_status, r.created_at, \
         r.first_reply_at, r.handled_at FROM ratings r JOIN activities a ON a.id = r.activity_id \
         JOIN org_units u ON u.id = r.unit_id WHERE {} AND r.unit_path LIKE $1 AND r.created_at >= $2 AND r.created_at < $3 \
         ORDER BY r.activity_id, r.id",
        scope.sql("r.unit_path")
    );
    let mut rows = sqlx::query(&sql)
        .bind(format!("{under}%"))
        .bind(p.from.as_str())
        .bind(p.to.as_str())
        .fetch(db.pool());
    let mut sums: Vec<Vec<Cell>> = Vec::new();
    let mut detail: Vec<Vec<Cell>> = Vec::new();
    let mut current: Option<Sum> = None;
    while let Some(r) = tokio_stream::StreamExt::next(&mut rows).await {
        let r = r?;
        let activity: i64 = r.get("activity_id");
        if current.as_ref().is_some_and(|c| c.id != activity) {
            sums.extend(current.take().map(Sum::row));
        }
        let s = current.get_or_insert_with(|| Sum {
            id: activity,
            title: r.get("title"),
            unit: r.get("short_name"),
            ..Default::default()
        });
        let id: i64 = r.get("id");
        let score: i64 = r.get("score");
        let comment: String = r.get("comment");
        let replied = r.get::<Option<String>, _>("first_reply_at");
        let handled = r.get::<Option<String>, _>("handled_at").is_some();
        s.n += 1;
        s.total += score;
        if score <= 2 {
            s.low += 1;
            if handled {
                s.low_handled += 1;
            }
        }
        if !comment.is_empty() {
            s.commented += 1;
            if replied.is_some() {
                s.replied += 1;
            }
            let status: String = r.get("comment_status");
            detail.push(vec![
                id.into(),
                s.title.clone().into(),
                s.unit.clone().into(),
                Cell::Text(china_time(&r.get::<String, _>("created_at"))),
                score.into(),
                mask_text(&comment).into(),
                match status.as_str() {
                    "published" => "已公开",
                    "held" => "待审核",
                    "rejected" => "未通过",
                    _ => "",
                }
                .into(),
                by_rating
                    .get(&id)
                    .map(|v| v.join("\n"))
                    .unwrap_or_default()
                    .into(),
                opt_time(replied),
                if score <= 2 {
                    Cell::from(handled)
                } else {
                    Cell::Empty
                },
            ]);
        }
        if detail.len() >= ROWS_PER_PART {
            send(Sheet::Rows(first + 1, std::mem::take(&mut detail))).await?;
        }
        if sums.len() >= ROWS_PER_PART {
            send(Sheet::Rows(first, std::mem::take(&mut sums))).await?;
        }
    }
    sums.extend(current.map(Sum::row));
    send(Sheet::Rows(first, sums)).await?;
    send(Sheet::Rows(first + 1, detail)).await
}

/// The rows of `sql` whose parameters are the path prefix `under%` (`$1`) and the period's
/// bounds (`$2`, `$3`: timestamps or dates, whichever the table stores).
async fn rows_in(
    db: &Db,
    sql: &str,
    under: &str,
    from: &str,
    to: &str,
) -> ApiResult<Vec<sqlx::any::AnyRow>> {
    Ok(sqlx::query(sql)
        .bind(format!("{under}%"))
        .bind(from)
        .bind(to)
        .fetch_all(db.pool())
        .await?)
}

/// `12 标题` for a row's `activity_id` and `title` (the activity that answered a demand or
/// delivered an order), empty when there is none.
fn linked_activity(r: &sqlx::any::AnyRow) -> Cell {
    match (
        r.get::<Option<i64>, _>("activity_id"),
        r.get::<Option<String>, _>("title"),
    ) {
        (Some(id), Some(title)) => Cell::Text(format!("{id} {title}")),
        _ => Cell::Empty,
    }
}

/// Demand posted in the period and what became of it (merged ones point to their target).
pub async fn demand(db: &Db, scope: &Scope, under: &str, p: &Period) -> ApiResult<Table> {
    let rows = rows_in(
        db,
        &format!(
            "SELECT d.id, u.short_name, d.kind, d.description, d.supporters, d.status, d.status_reason, d.merged_into, \
             d.activity_id, a.title, d.created_at, d.fulfilled_at FROM demands d JOIN org_units u ON u.id = d.unit_id \
             LEFT JOIN activities a ON a.id = d.activity_id \
             WHERE {} AND d.unit_path LIKE $1 AND d.created_at >= $2 AND d.created_at < $3 ORDER BY d.id",
            scope.sql("d.unit_path")
        ),
        under,
        &p.from,
        &p.to,
    )
    .await?;
    let mut t = Table::new(
        "群众需求",
        &[
            "需求编号",
            "提交时间",
            "单位",
            "类型",
            "内容",
            "附议人数",
            "状态",
            "处理说明",
            "合并到",
            "关联活动",
            "实现时间",
        ],
    );
    for r in rows {
        let status: String = r.get("status");
        t.push(vec![
            r.get::<i64, _>("id").into(),
            Cell::Text(china_time(&r.get::<String, _>("created_at"))),
            r.get::<String, _>("short_name").into(),
            r.get::<String, _>("kind").into(),
            mask_text(&r.get::<String, _>("description")).into(),
            r.get::<i64, _>("supporters").into(),
            match status.as_str() {
                "open" => "待处理",
                "accepted" => "已受理",
                "planned" => "已排期",
                "declined" => "未采纳",
                "fulfilled" => "已实现",
                "merged" => "已合并",
                _ => "其他",
            }
            .into(),
            r.get::<String, _>("status_reason").into(),
            r.get::<Option<i64>, _>("merged_into").into(),
            linked_activity(&r),
            opt_time(r.get("fulfilled_at")),
        ]);
    }
    Ok(t)
}

/// Menu orders requested for a date in the period by units in scope, and their delivery.
pub async fn menu_orders(db: &Db, scope: &Scope, under: &str, p: &Period) -> ApiResult<Table> {
    let sql = format!(
        "SELECT o.id, m.title AS item, m.kind, u.short_name, o.requested_date, o.note, o.status, o.reason, \
         o.activity_id, a.title, o.created_at, o.decided_at FROM menu_orders o JOIN menu_items m ON m.id = o.menu_item_id \
         JOIN org_units u ON u.id = o.unit_id LEFT JOIN activities a ON a.id = o.activity_id \
         WHERE {} AND o.unit_path LIKE $1 AND o.requested_date >= $2 AND o.requested_date < $3 ORDER BY o.requested_date, o.id",
        scope.sql("o.unit_path")
    );
    let rows = rows_in(db, &sql, under, &p.from_date, &p.to_date).await?;
    let mut t = Table::new(
        "菜单点单",
        &[
            "点单编号",
            "菜单项目",
            "类型",
            "点单单位",
            "期望日期",
            "备注",
            "状态",
            "说明",
            "配送活动",
            "提交时间",
            "处理时间",
        ],
    );
    for r in rows {
        let status: String = r.get("status");
        t.push(vec![
            r.get::<i64, _>("id").into(),
            r.get::<String, _>("item").into(),
            r.get::<String, _>("kind").into(),
            r.get::<String, _>("short_name").into(),
            r.get::<String, _>("requested_date").into(),
            r.get::<String, _>("note").into(),
            match status.as_str() {
                "requested" => "待审批",
                "approved" => "已批准",
                "rejected" => "未批准",
                "delivered" => "已配送",
                _ => "其他",
            }
            .into(),
            r.get::<String, _>("reason").into(),
            linked_activity(&r),
            Cell::Text(china_time(&r.get::<String, _>("created_at"))),
            opt_time(r.get("decided_at")),
        ]);
    }
    Ok(t)
}

/// The last China-time day of a period (its `to_date` is exclusive).
fn last_day(p: &Period) -> String {
    NaiveDate::parse_from_str(&p.to_date, "%Y-%m-%d")
        .map(|d| {
            (d - chrono::Duration::days(1))
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_else(|_| p.to_date.clone())
}

/// Register entries of units in scope that were on the register at some day of the period
/// (started before it ended, not ended before it started). Names and phones masked.
pub async fn staff(db: &Db, scope: &Scope, under: &str, p: &Period) -> ApiResult<Table> {
    let sql = format!(
        "SELECT s.id, u.short_name, s.name, s.phone, s.post, s.employment, s.from_date, s.to_date, s.user_id \
         FROM staff_members s JOIN org_units u ON u.id = s.unit_id \
         WHERE {} AND u.path LIKE $1 AND s.from_date < $3 AND (s.to_date IS NULL OR s.to_date >= $2) \
         ORDER BY u.path, s.from_date, s.id",
        scope.sql("u.path")
    );
    let rows = rows_in(db, &sql, under, &p.from_date, &p.to_date).await?;
    let last = last_day(p);
    let mut t = Table::new(
        "人员名册",
        &[
            "编号",
            "单位",
            "姓名",
            "电话",
            "岗位",
            "用工形式",
            "起始日期",
            "结束日期",
            "关联账号",
            "期末在册",
        ],
    );
    for r in rows {
        let from: String = r.get("from_date");
        let to: Option<String> = r.get("to_date");
        let employment: String = r.get("employment");
        t.push(vec![
            r.get::<i64, _>("id").into(),
            r.get::<String, _>("short_name").into(),
            mask_name(&r.get::<String, _>("name")).into(),
            r.get::<Option<String>, _>("phone")
                .as_deref()
                .map(|x| Cell::Text(mask_phone(x)))
                .unwrap_or(Cell::Empty),
            r.get::<String, _>("post").into(),
            crate::people::employment_label(&employment).into(),
            Cell::Text(from.clone()),
            to.clone().map(Cell::Text).unwrap_or(Cell::Empty),
            r.get::<Option<i64>, _>("user_id").is_some().into(),
            crate::people::active_on(&from, to.as_deref(), &last).into(),
        ]);
    }
    Ok(t)
}

/// Dual dispatches (双派) running at some day of the period, into or out of units in scope.
pub async fn dispatches(db: &Db, scope: &Scope, under: &str, p: &Period) -> ApiResult<Table> {
    let sql = format!(
        "SELECT d.id, s.name, fu.short_name AS from_name, tu.short_name AS to_name, d.kind, d.post, \
         d.from_date, d.to_date FROM dispatches d JOIN staff_members s ON s.id = d.staff_id \
         JOIN org_units fu ON fu.id = d.from_unit_id JOIN org_units tu ON tu.id = d.to_unit_id \
         WHERE (({} AND tu.path LIKE $1) OR ({} AND fu.path LIKE $1)) \
         AND d.from_date < $3 AND (d.to_date IS NULL OR d.to_date >= $2) \
         ORDER BY tu.path, d.from_date, d.id",
        scope.sql("tu.path"),
        scope.sql("fu.path")
    );
    let rows = rows_in(db, &sql, under, &p.from_date, &p.to_date).await?;
    let last = last_day(p);
    let mut t = Table::new(
        "双派记录",
        &[
            "编号",
            "姓名",
            "派出单位",
            "派驻单位",
            "类型",
            "岗位",
            "起始日期",
            "结束日期",
            "期末在派",
        ],
    );
    for r in rows {
        let from: String = r.get("from_date");
        let to: Option<String> = r.get("to_date");
        t.push(vec![
            r.get::<i64, _>("id").into(),
            mask_name(&r.get::<String, _>("name")).into(),
            r.get::<String, _>("from_name").into(),
            r.get::<String, _>("to_name").into(),
            crate::people::dispatch_kind_label(&r.get::<String, _>("kind")).into(),
            r.get::<String, _>("post").into(),
            Cell::Text(from.clone()),
            to.clone().map(Cell::Text).unwrap_or(Cell::Empty),
            crate::people::active_on(&from, to.as_deref(), &last).into(),
        ]);
    }
    Ok(t)
}

/// 培训台账: every session of a staff training in the period organised by a unit in scope, with
/// bookings and check-ins and who attended (names masked).
pub async fn trainings(
    db: &Db,
    scope: &Scope,
    under: &str,
    p: &Period,
    now: &str,
) -> ApiResult<Table> {
    let sql = format!(
        "SELECT a.id, a.title, a.training_kind, a.by_district, ou.short_name AS organizer, ou.level, s.id AS session_id, \
         s.starts_at, s.status, a.status AS a_status, u.short_name AS place, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM bookings b WHERE b.session_id = s.id AND b.status = 'confirmed') AS booked \
         FROM sessions s JOIN activities a ON a.id = s.activity_id JOIN org_units ou ON ou.id = a.organizer_unit_id \
         JOIN org_units u ON u.id = s.unit_id \
         WHERE a.training_kind IS NOT NULL AND a.status <> 'draft' AND {} AND ou.path LIKE $1 \
         AND s.starts_at >= $2 AND s.starts_at < $3 ORDER BY s.starts_at, s.id",
        scope.sql("ou.path")
    );
    let rows = rows_in(db, &sql, under, &p.from, &p.to).await?;
    let mut t = Table::new(
        "培训台账",
        &[
            "活动编号",
            "培训名称",
            "培训类型",
            "组织层级",
            "承办单位",
            "开始时间",
            "地点",
            "状态",
            "预约人数",
            "签到人数",
            "签到人员",
        ],
    );
    for r in rows {
        let session: i64 = r.get("session_id");
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT u.display_name FROM checkins c JOIN bookings b ON b.id = c.booking_id JOIN users u ON u.id = b.user_id \
             WHERE c.session_id = $1 AND c.undone_at IS NULL ORDER BY c.admitted_at, c.id",
        )
        .bind(session)
        .fetch_all(db.pool())
        .await?;
        let starts: String = r.get("starts_at");
        let status = if r.get::<String, _>("status") == "cancelled"
            || r.get::<String, _>("a_status") == "cancelled"
        {
            "已取消"
        } else if starts.as_str() <= now {
            "已举办"
        } else {
            "未举办"
        };
        let level = if r.get::<i64, _>("by_district") != 0 {
            "区级"
        } else {
            match r.get::<String, _>("level").as_str() {
                "main" => "总馆",
                "point" => "服务点",
                _ => "分馆",
            }
        };
        t.push(vec![
            r.get::<i64, _>("id").into(),
            r.get::<String, _>("title").into(),
            crate::training::kind_label(&r.get::<String, _>("training_kind")).into(),
            level.into(),
            r.get::<String, _>("organizer").into(),
            china_time(&starts).into(),
            r.get::<String, _>("place").into(),
            status.into(),
            r.get::<i64, _>("booked").into(),
            (names.len() as i64).into(),
            names
                .iter()
                .map(|n| mask_name(n))
                .collect::<Vec<_>>()
                .join("、")
                .into(),
        ]);
    }
    Ok(t)
}

/// Every ledger of the period, one table per sheet, in the order staff file them.
pub async fn workbook(
    db: &Db,
    scope: &Scope,
    under: &str,
    p: &Period,
    now: &str,
    opens_minutes: i64,
    out: &tokio::sync::mpsc::Sender<crate::export::Sheet>,
) -> ApiResult<()> {
    // Each sheet goes to the writer as soon as it is read, so at most one table (and the one
    // being written) is in memory, never the whole workbook (D216).
    let send = |t: Table| async move {
        out.send(Sheet::Table(t))
            .await
            .map_err(|_| ApiError::internal())
    };
    send(activities(db, scope, under, p, now).await?).await?;
    send(sessions(db, scope, under, p, now).await?).await?;
    send(volunteers(db, scope, under, p, now, opens_minutes).await?).await?;
    // Sheets 3 and 4, streamed in parts.
    feedback(db, scope, under, p, 3, out).await?;
    send(demand(db, scope, under, p).await?).await?;
    send(menu_orders(db, scope, under, p).await?).await?;
    send(crate::procurement::ledger_sheet(db, scope, under, &p.from, &p.to).await?).await?;
    send(crate::evidence::sheet(db, scope, under, p, now).await?).await?;
    send(
        crate::rooms::ledger_sheet(
            db,
            scope,
            under,
            &p.from,
            &p.to,
            crate::time::parse(now).unwrap_or_default(),
        )
        .await?,
    )
    .await?;
    send(crate::teams::ledger_sheet(db, scope, under, &p.from, &p.to).await?).await?;
    // The people side: staff, dual dispatch and staff trainings.
    send(staff(db, scope, under, p).await?).await?;
    send(dispatches(db, scope, under, p).await?).await?;
    send(trainings(db, scope, under, p, now).await?).await?;
    out.send(Sheet::Done)
        .await
        .map_err(|_| ApiError::internal())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_and_months_are_china_time() {
        let y = Period::new(2026, None).unwrap();
        assert_eq!(y.from, "2025-12-31T16:00:00Z");
        assert_eq!(y.to, "2026-12-31T16:00:00Z");
        assert_eq!(
            (y.from_date.as_str(), y.to_date.as_str()),
            ("2026-01-01", "2027-01-01")
        );
        let d = Period::new(2026, Some(12)).unwrap();
        assert_eq!(d.label, "2026-12");
        assert_eq!(d.from, "2026-11-30T16:00:00Z");
        assert_eq!(d.to, "2026-12-31T16:00:00Z");
        assert!(Period::new(2026, Some(13)).is_err());
        assert!(Period::new(1999, None).is_err());
        assert!(Period::from_query(None, Some("2026-1x"), chrono::Utc::now()).is_err());
    }

    #[test]
    fn times_read_in_china_time() {
        assert_eq!(china_time("2026-12-31T16:30:00Z"), "2027-01-01 00:30");
    }
}
