//! Evaluation (考核评估, issue 15): indicator templates, rounds and the tiered step machine,
//! automatic indicators, grades and rankings, third-party assessments and spot checks.
//! See docs/evaluation.md for how a district sets it up and runs a round.
//!
//! The steps of a round, per unit (one `eval_entries` row each): the unit fills in its
//! self-assessment (`self`), submits it (`submitted`), and the level above scores it
//! (`scored`) or returns it with a comment (back to `self`). A branch may submit only once all
//! its points are scored, the main center only once all branches are; the district scoring the
//! main center is its acceptance (验收). A round is published once every entry is scored; a
//! published round is locked until reopened with a reason.

use crate::access::{Action, Scope, UnitRef};
use crate::audit::Entry as AuditEntry;
use crate::config::PolicySettings;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::export::{Cell, Table};
use crate::time::{self, Ts};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashMap;

/// Indicator categories (the Shenzhen assessment standard's headings, in its order).
pub const CATEGORIES: [(&str, &str); 7] = [
    ("quantity", "服务数量"),
    ("quality", "服务质量与满意度"),
    ("facilities", "设施与开放时间"),
    ("staffing", "人员配备与双派"),
    ("management", "台账与管理"),
    ("demand", "需求响应"),
    ("innovation", "创新与亮点"),
];

/// Figures of the system that automatic indicators are filled from.
pub const SOURCES: [(&str, &str); 10] = [
    ("targets", "年度目标完成（联合开展场次 / 分配目标）"),
    ("satisfaction", "群众评价平均分"),
    ("replies", "评价回复率"),
    ("ledger", "活动台账佐证完整率"),
    ("rectifications", "督导暗访整改完成情况"),
    ("demand", "群众需求落实率"),
    ("staffing", "人员配备达标（人员名册）"),
    ("dispatch", "双派覆盖率（派驻记录）"),
    ("rooms", "场地使用率"),
    ("facilities", "设施达标清单"),
];

/// Room use at which the `rooms` indicator gets full marks (booked hours / opening hours).
pub const ROOM_USE_FULL: f64 = 0.5;

pub const LEVELS: [&str; 3] = ["point", "branch", "main"];

pub fn category_label(c: &str) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, l)| *l)
        .unwrap_or("其他")
}

pub fn level_label(l: &str) -> &'static str {
    match l {
        "point" => "服务点",
        "branch" => "分馆",
        "main" => "总馆",
        _ => "",
    }
}

/// The evaluation level of an org unit level.
pub fn level_of(org_level: &str) -> &'static str {
    match org_level {
        "main" => "main",
        "point" => "point",
        _ => "branch",
    }
}

/// Who scores an entry of `level`: the level above, and for the main center the district.
pub fn scoring_action(level: &str) -> Action {
    match level {
        "point" => Action::ScorePoints,
        "branch" => Action::ScoreBranches,
        _ => Action::ManageEvaluation,
    }
}

/// 优秀/良好/合格/不合格 by the round's thresholds, on a 100-point scale.
pub fn grade(total: f64, full: f64, t: &Thresholds) -> &'static str {
    let pct = if full > 0.0 {
        total * 100.0 / full
    } else {
        0.0
    };
    if pct >= t.excellent {
        "excellent"
    } else if pct >= t.good {
        "good"
    } else if pct >= t.pass {
        "pass"
    } else {
        "fail"
    }
}

pub fn grade_label(g: &str) -> &'static str {
    match g {
        "excellent" => "优秀",
        "good" => "良好",
        "pass" => "合格",
        "fail" => "不合格",
        _ => "",
    }
}

#[derive(Debug, Clone, Copy, Object, Serialize, Deserialize)]
pub struct Thresholds {
    pub excellent: f64,
    pub good: f64,
    pub pass: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            excellent: 90.0,
            good: 80.0,
            pass: 60.0,
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

// ---------------------------------------------------------------------------------------------
// Templates

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct IndicatorInput {
    /// One of `CATEGORIES`: `quantity`, `quality`, `facilities`, `staffing`, `management`,
    /// `demand`, `innovation`.
    pub category: String,
    pub title: String,
    /// Full marks of the indicator (its weight).
    pub max_score: f64,
    /// `auto` (from the system's data), `manual` (self-assessed with evidence) or `both`.
    pub method: String,
    /// For `auto`/`both`: `targets`, `satisfaction`, `replies`, `ledger`, `rectifications`,
    /// `demand`, `staffing`, `dispatch`, `rooms`, `facilities`.
    #[oai(default)]
    #[serde(default)]
    pub source: String,
    #[oai(default)]
    #[serde(default)]
    pub guidance: String,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Template {
    pub year: i32,
    /// `point`, `branch` or `main`.
    pub level: String,
    /// Nothing saved for the year and level: these are the policy defaults.
    pub is_default: bool,
    pub total: f64,
    pub indicators: Vec<IndicatorInput>,
}

fn ind(
    category: &str,
    title: &str,
    max: f64,
    method: &str,
    source: &str,
    g: &str,
) -> IndicatorInput {
    IndicatorInput {
        category: category.into(),
        title: title.into(),
        max_score: max,
        method: method.into(),
        source: source.into(),
        guidance: g.into(),
    }
}

/// The default indicator set of a level (100 points), following the policy's duties of each
/// level and the Shenzhen standard's categories. A district replaces it per year and level.
pub fn default_indicators(level: &str) -> Vec<IndicatorInput> {
    let mut v = vec![
        ind("quantity", "年度活动目标完成", 25.0, "auto", "targets",
            "按年度计划分配的送演出、讲座展览、艺术培训目标，联合开展（联办单位已确认或总馆配送）的场次计入。"),
        ind("quality", "群众满意度", 15.0, "auto", "satisfaction", "按群众对活动和场馆的评价平均分折算（5 分为满分）。"),
        ind("quality", "评价回复", 10.0, "auto", "replies", "有文字的评价中已回复的比例。"),
        ind("facilities", "设施达标与开放时间", 15.0, "both",
            "facilities", "按设施达标清单（面积、功能室、设备、每周开放时长、统一标识）达标项的比例；附照片。"),
        ind("management", "活动台账与佐证", 10.0, "both", "ledger", "已举办场次有照片佐证的比例；可补充说明。"),
        ind("management", "督导整改", 10.0, "auto", "rectifications", "督导、暗访提出的整改事项按期完成情况。"),
        ind("demand", "群众需求响应", 5.0, "both", "demand", "期内群众需求已落实的比例；可补充征集、回应情况，附链接或材料。"),
        ind("innovation", "创新与亮点", 10.0, "manual", "", "特色品牌、创新做法、获得表彰等，附材料。"),
    ];
    match level {
        "main" => {
            // The main center also answers for resource allocation, training and dispatch.
            v[3] = ind(
                "staffing",
                "业务骨干下派与人员培训",
                15.0,
                "both",
                "dispatch",
                "分馆、服务点双派覆盖率；可补充组织培训与业务指导的情况，附台账。",
            );
        }
        "branch" => {
            v[6] = ind(
                "staffing",
                "人员配备与双派",
                5.0,
                "both",
                "staffing",
                "按人员名册，本分馆及所属服务点专职人员配备达标情况；可补充双派到岗情况。",
            );
        }
        _ => {}
    }
    v
}

pub fn validate_indicators(list: &[IndicatorInput]) -> ApiResult<()> {
    if list.is_empty() || list.len() > 60 {
        return Err(ApiError::validation("指标应有 1 到 60 项"));
    }
    for i in list {
        if !CATEGORIES.iter().any(|(k, _)| *k == i.category) {
            return Err(ApiError::validation("指标类别无效"));
        }
        let t = i.title.trim();
        if t.is_empty() || t.chars().count() > 60 {
            return Err(ApiError::validation("指标名称应为 1 到 60 个字"));
        }
        if !(i.max_score > 0.0 && i.max_score <= 100.0) {
            return Err(ApiError::validation("指标分值应在 0 到 100 之间"));
        }
        if i.guidance.chars().count() > 500 {
            return Err(ApiError::validation("评分说明不超过 500 字"));
        }
        match i.method.as_str() {
            "manual" => {
                if !i.source.is_empty() {
                    return Err(ApiError::validation("人工评分的指标不设数据来源"));
                }
            }
            "auto" | "both" => {
                if !SOURCES.iter().any(|(k, _)| *k == i.source) {
                    return Err(ApiError::validation("自动指标的数据来源无效"));
                }
            }
            _ => return Err(ApiError::validation("评分方式无效")),
        }
    }
    Ok(())
}

pub async fn template(db: &Db, district: i64, year: i32, level: &str) -> ApiResult<Template> {
    let rows = sqlx::query(
        "SELECT category, title, max_score, method, source, guidance FROM eval_indicators \
         WHERE district_unit_id = $1 AND year = $2 AND level = $3 ORDER BY position",
    )
    .bind(district)
    .bind(year as i64)
    .bind(level)
    .fetch_all(db.pool())
    .await?;
    let (is_default, indicators) = if rows.is_empty() {
        (true, default_indicators(level))
    } else {
        (
            false,
            rows.iter()
                .map(|r| IndicatorInput {
                    category: r.get("category"),
                    title: r.get("title"),
                    max_score: r.get("max_score"),
                    method: r.get("method"),
                    source: r.get("source"),
                    guidance: r.get("guidance"),
                })
                .collect(),
        )
    };
    Ok(Template {
        year,
        level: level.into(),
        is_default,
        total: round1(indicators.iter().map(|i| i.max_score).sum()),
        indicators,
    })
}

pub async fn save_template(
    db: &Db,
    district: i64,
    year: i32,
    level: &str,
    list: &[IndicatorInput],
    now: &str,
    audit: AuditEntry<'_>,
) -> ApiResult<()> {
    validate_indicators(list)?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "DELETE FROM eval_indicators WHERE district_unit_id = $1 AND year = $2 AND level = $3",
    )
    .bind(district)
    .bind(year as i64)
    .bind(level)
    .execute(&mut *tx)
    .await?;
    for (pos, i) in list.iter().enumerate() {
        sqlx::query(
            "INSERT INTO eval_indicators (district_unit_id, year, level, category, title, max_score, method, source, guidance, position, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
        )
        .bind(district)
        .bind(year as i64)
        .bind(level)
        .bind(&i.category)
        .bind(i.title.trim())
        .bind(i.max_score)
        .bind(&i.method)
        .bind(&i.source)
        .bind(&i.guidance)
        .bind(pos as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rounds

#[derive(Debug, Clone, Object, Deserialize)]
pub struct RoundInput {
    pub year: i32,
    /// `year`, `h1` (first half) or `h2`.
    pub period: String,
    pub title: String,
    /// Deadlines of the six steps, in order (RFC 3339).
    pub point_self_due: String,
    pub point_score_due: String,
    pub branch_self_due: String,
    pub branch_score_due: String,
    pub main_self_due: String,
    pub district_due: String,
    /// Grade thresholds (percent of full marks); 90/80/60 when absent.
    pub thresholds: Option<Thresholds>,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Round {
    pub id: i64,
    pub year: i32,
    pub period: String,
    pub title: String,
    pub point_self_due: String,
    pub point_score_due: String,
    pub branch_self_due: String,
    pub branch_score_due: String,
    pub main_self_due: String,
    pub district_due: String,
    pub thresholds: Thresholds,
    /// `open` or `published` (locked).
    pub status: String,
    pub published_at: Option<String>,
    /// Entries in each status, over the whole round.
    pub entries_total: i64,
    pub entries_scored: i64,
}

/// UTC bounds `[from, to)` of a round's period (CST calendar).
pub fn period_bounds(year: i32, period: &str) -> ApiResult<crate::ledger::Period> {
    let y = crate::ledger::Period::new(year, None)?;
    let jul = crate::ledger::Period::new(year, Some(7))?;
    Ok(match period {
        "year" => y,
        "h1" => crate::ledger::Period {
            label: format!("{year}上半年"),
            from: y.from,
            to: jul.from.clone(),
            from_date: y.from_date,
            to_date: jul.from_date.clone(),
        },
        "h2" => crate::ledger::Period {
            label: format!("{year}下半年"),
            from: jul.from,
            to: y.to,
            from_date: jul.from_date,
            to_date: y.to_date,
        },
        _ => return Err(ApiError::validation("考核周期应为 year、h1 或 h2")),
    })
}

fn parse_due(s: &str) -> ApiResult<String> {
    time::parse(s)
        .map(time::fmt)
        .ok_or_else(|| ApiError::validation("截止时间格式无效"))
}

/// Opens a round: one entry per open unit of the district, each with a copy of its level's
/// indicators for the year.
pub async fn create_round(
    db: &Db,
    district: &UnitRef,
    input: &RoundInput,
    caller_id: i64,
    now: &str,
    audit: AuditEntry<'_>,
) -> ApiResult<i64> {
    if !(2000..=2100).contains(&input.year) {
        return Err(ApiError::validation("年份无效"));
    }
    period_bounds(input.year, &input.period)?;
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 60 {
        return Err(ApiError::validation("考核名称应为 1 到 60 个字"));
    }
    let dues: Vec<String> = [
        &input.point_self_due,
        &input.point_score_due,
        &input.branch_self_due,
        &input.branch_score_due,
        &input.main_self_due,
        &input.district_due,
    ]
    .iter()
    .map(|s| parse_due(s))
    .collect::<ApiResult<_>>()?;
    if dues.windows(2).any(|w| w[0] > w[1]) {
        return Err(ApiError::validation("各环节截止时间应依次不早于上一环节"));
    }
    let t = input.thresholds.unwrap_or_default();
    if !(0.0 <= t.pass && t.pass <= t.good && t.good <= t.excellent && t.excellent <= 100.0) {
        return Err(ApiError::validation(
            "等级分数线应满足 合格 ≤ 良好 ≤ 优秀 ≤ 100",
        ));
    }
    let mut templates = HashMap::new();
    for l in LEVELS {
        templates.insert(l, template(db, district.id, input.year, l).await?);
    }
    let units = sqlx::query(&format!(
        "SELECT id, path, level FROM org_units WHERE {} AND closed_at IS NULL ORDER BY path",
        crate::access::subtree_sql("path", &district.path)
    ))
    .fetch_all(db.pool())
    .await?;
    let mut tx = db.begin().await?;
    let exists: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM eval_rounds WHERE district_unit_id = $1 AND year = $2 AND period = $3",
    )
    .bind(district.id)
    .bind(input.year as i64)
    .bind(&input.period)
    .fetch_optional(&mut *tx)
    .await?;
    if exists.is_some() {
        return Err(ApiError::conflict("round_exists", "该年度该周期已有考核"));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO eval_rounds (district_unit_id, year, period, title, point_self_due, point_score_due, branch_self_due, \
         branch_score_due, main_self_due, district_due, excellent, good, pass, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) RETURNING id",
    )
    .bind(district.id)
    .bind(input.year as i64)
    .bind(&input.period)
    .bind(title)
    .bind(&dues[0])
    .bind(&dues[1])
    .bind(&dues[2])
    .bind(&dues[3])
    .bind(&dues[4])
    .bind(&dues[5])
    .bind(t.excellent)
    .bind(t.good)
    .bind(t.pass)
    .bind(caller_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for u in &units {
        let level = level_of(&u.get::<String, _>("level"));
        let entry: i64 = sqlx::query_scalar(
            "INSERT INTO eval_entries (round_id, unit_id, unit_path, level) VALUES ($1,$2,$3,$4) RETURNING id",
        )
        .bind(id)
        .bind(u.get::<i64, _>("id"))
        .bind(u.get::<String, _>("path"))
        .bind(level)
        .fetch_one(&mut *tx)
        .await?;
        for (pos, i) in templates[level].indicators.iter().enumerate() {
            sqlx::query(
                "INSERT INTO eval_items (entry_id, position, category, title, max_score, method, source, guidance) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            )
            .bind(entry)
            .bind(pos as i64)
            .bind(&i.category)
            .bind(&i.title)
            .bind(i.max_score)
            .bind(&i.method)
            .bind(&i.source)
            .bind(&i.guidance)
            .execute(&mut *tx)
            .await?;
        }
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(id)
}

fn round_from(r: &sqlx::any::AnyRow) -> Round {
    Round {
        id: r.get("id"),
        year: r.get::<i64, _>("year") as i32,
        period: r.get("period"),
        title: r.get("title"),
        point_self_due: r.get("point_self_due"),
        point_score_due: r.get("point_score_due"),
        branch_self_due: r.get("branch_self_due"),
        branch_score_due: r.get("branch_score_due"),
        main_self_due: r.get("main_self_due"),
        district_due: r.get("district_due"),
        thresholds: Thresholds {
            excellent: r.get("excellent"),
            good: r.get("good"),
            pass: r.get("pass"),
        },
        status: r.get("status"),
        published_at: r.get("published_at"),
        entries_total: r.get("n_total"),
        entries_scored: r.get("n_scored"),
    }
}

const ROUND_SELECT: &str = "SELECT r.*, \
     (SELECT CAST(COUNT(*) AS BIGINT) FROM eval_entries e WHERE e.round_id = r.id) AS n_total, \
     (SELECT CAST(COUNT(*) AS BIGINT) FROM eval_entries e WHERE e.round_id = r.id AND e.status = 'scored') AS n_scored \
     FROM eval_rounds r";

pub async fn rounds(db: &Db) -> ApiResult<Vec<Round>> {
    let rows = sqlx::query(&format!(
        "{ROUND_SELECT} ORDER BY r.year DESC, r.period DESC"
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(round_from).collect())
}

pub async fn round(db: &Db, id: i64) -> ApiResult<Round> {
    let r = sqlx::query(&format!("{ROUND_SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该考核"))?;
    Ok(round_from(&r))
}

fn ensure_open(r: &Round) -> ApiResult<()> {
    if r.status == "published" {
        return Err(ApiError::conflict(
            "round_locked",
            "考核结果已发布并锁定，如需修改请先说明理由重新开启",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Entries

#[derive(Debug, Clone, Object, Serialize)]
pub struct EvalItem {
    pub position: i64,
    pub category: String,
    pub category_label: String,
    pub title: String,
    pub max_score: f64,
    pub method: String,
    pub source: String,
    pub guidance: String,
    /// Automatic value, percent of full marks; null for manual indicators.
    pub auto_percent: Option<f64>,
    /// What the automatic value was computed from (figures and where to find them).
    pub auto_basis: String,
    pub self_score: Option<f64>,
    pub self_comment: String,
    /// Evidence: ids of uploaded files (`/api/v1/files/{id}`).
    pub evidence: Vec<i64>,
    pub score: Option<f64>,
    pub score_comment: String,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct EntryView {
    pub id: i64,
    pub round_id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    /// `point`, `branch` or `main`.
    pub level: String,
    /// `self` (filling in, or returned), `submitted`, `scored` (the main center: accepted).
    pub status: String,
    /// The comment of the last return for correction; empty when never returned.
    pub return_comment: String,
    /// The deadline of the step the entry is at (self-assessment or scoring).
    pub due: String,
    pub submitted_at: Option<String>,
    pub submitted_late: bool,
    pub scored_at: Option<String>,
    pub scored_late: bool,
    pub self_total: Option<f64>,
    pub total: Option<f64>,
    pub full_marks: f64,
    pub grade: Option<String>,
    pub grade_label: String,
    /// Rank among scored entries of the same level in the round (1 = best).
    pub rank: Option<i64>,
    pub reward_note: String,
    /// Spot-check rectifications of the unit still open.
    pub open_rectifications: i64,
    /// Scores per indicator category (comparison columns); a score is null until scored.
    pub categories: Vec<CategoryScore>,
    /// Empty in lists.
    pub items: Vec<EvalItem>,
}

fn self_due(r: &Round, level: &str) -> String {
    match level {
        "point" => r.point_self_due.clone(),
        "branch" => r.branch_self_due.clone(),
        _ => r.main_self_due.clone(),
    }
}

fn score_due(r: &Round, level: &str) -> String {
    match level {
        "point" => r.point_score_due.clone(),
        "branch" => r.branch_score_due.clone(),
        _ => r.district_due.clone(),
    }
}

const ENTRY_SELECT: &str = "SELECT e.*, u.short_name, \
     (SELECT CAST(COALESCE(SUM(i.max_score), 0) AS DOUBLE PRECISION) FROM eval_items i WHERE i.entry_id = e.id) AS full_marks \
     FROM eval_entries e JOIN org_units u ON u.id = e.unit_id";

fn entry_from(r: &sqlx::any::AnyRow, round: &Round) -> EntryView {
    let level: String = r.get("level");
    let status: String = r.get("status");
    let grade: Option<String> = r.get("grade");
    EntryView {
        id: r.get("id"),
        round_id: r.get("round_id"),
        unit_id: r.get("unit_id"),
        unit_name: r.get("short_name"),
        due: if status == "self" {
            self_due(round, &level)
        } else {
            score_due(round, &level)
        },
        level,
        status,
        return_comment: r.get("return_comment"),
        submitted_at: r.get("submitted_at"),
        submitted_late: r.get::<i64, _>("submitted_late") != 0,
        scored_at: r.get("scored_at"),
        scored_late: r.get::<i64, _>("scored_late") != 0,
        self_total: r.get("self_total"),
        total: r.get("total"),
        full_marks: r.get("full_marks"),
        grade_label: grade.as_deref().map(grade_label).unwrap_or("").into(),
        grade,
        rank: None,
        reward_note: r.get("reward_note"),
        open_rectifications: 0,
        categories: vec![],
        items: vec![],
    }
}

/// Ranks scored entries per level by total (ties share a rank).
pub fn rank(entries: &mut [EntryView]) {
    for level in LEVELS {
        let mut totals: Vec<f64> = entries
            .iter()
            .filter(|e| e.level == level)
            .filter_map(|e| e.total)
            .collect();
        totals.sort_by(|a, b| b.total_cmp(a));
        for e in entries.iter_mut().filter(|e| e.level == level) {
            e.rank = e
                .total
                .and_then(|t| totals.iter().position(|x| *x == t))
                .map(|p| p as i64 + 1);
        }
    }
}

/// The round's entries within `scope`, ranked per level (ranks over the whole round).
pub async fn entries(db: &Db, round: &Round, scope: &Scope) -> ApiResult<Vec<EntryView>> {
    let rows = sqlx::query(&format!(
        "{ENTRY_SELECT} WHERE e.round_id = $1 ORDER BY e.unit_path"
    ))
    .bind(round.id)
    .fetch_all(db.pool())
    .await?;
    let mut all: Vec<(String, EntryView)> = rows
        .iter()
        .map(|r| (r.get::<String, _>("unit_path"), entry_from(r, round)))
        .collect();
    let mut views: Vec<EntryView> = all.iter().map(|(_, e)| e.clone()).collect();
    rank(&mut views);
    for ((_, e), v) in all.iter_mut().zip(views) {
        e.rank = v.rank;
    }
    let open = open_rectification_counts(db).await?;
    let all: Vec<(String, EntryView)> = all.into_iter().filter(|(p, _)| scope.covers(p)).collect();
    let mut cats = category_scores(db, &all.iter().map(|(_, e)| e.id).collect::<Vec<_>>()).await?;
    Ok(all
        .into_iter()
        .map(|(p, mut e)| {
            e.categories = cats.remove(&e.id).unwrap_or_default();
            e.open_rectifications = open
                .iter()
                .filter(|(up, _)| up.starts_with(&p))
                .map(|(_, n)| *n)
                .sum();
            e
        })
        .collect())
}

/// (unit path, open rectifications) per unit with any.
async fn open_rectification_counts(db: &Db) -> ApiResult<Vec<(String, i64)>> {
    Ok(sqlx::query(
        "SELECT unit_path, CAST(COUNT(*) AS BIGINT) AS n FROM spot_checks \
         WHERE rectify_by IS NOT NULL AND rectified_at IS NULL GROUP BY unit_path",
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| (r.get("unit_path"), r.get("n")))
    .collect())
}

/// An entry with its unit (for authorization) and round.
pub struct Located {
    pub round: Round,
    pub unit: UnitRef,
    pub level: String,
    pub status: String,
}

pub async fn locate(db: &Db, entry_id: i64) -> ApiResult<Located> {
    let r = sqlx::query(
        "SELECT round_id, unit_id, unit_path, level, status FROM eval_entries WHERE id = $1",
    )
    .bind(entry_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该考核条目"))?;
    Ok(Located {
        round: round(db, r.get("round_id")).await?,
        unit: UnitRef {
            id: r.get("unit_id"),
            path: r.get("unit_path"),
        },
        level: r.get("level"),
        status: r.get("status"),
    })
}

pub async fn entry(db: &Db, entry_id: i64) -> ApiResult<EntryView> {
    let loc = locate(db, entry_id).await?;
    let mut list = entries(db, &loc.round, &Scope::subtree(&loc.unit.path)).await?;
    let pos = list
        .iter()
        .position(|e| e.id == entry_id)
        .ok_or_else(|| ApiError::not_found("该考核条目"))?;
    let mut e = list.swap_remove(pos);
    e.items = items(db, entry_id).await?;
    Ok(e)
}

async fn items(db: &Db, entry_id: i64) -> ApiResult<Vec<EvalItem>> {
    let rows = sqlx::query("SELECT * FROM eval_items WHERE entry_id = $1 ORDER BY position")
        .bind(entry_id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let category: String = r.get("category");
            EvalItem {
                position: r.get("position"),
                category_label: category_label(&category).into(),
                category,
                title: r.get("title"),
                max_score: r.get("max_score"),
                method: r.get("method"),
                source: r.get("source"),
                guidance: r.get("guidance"),
                auto_percent: r.get("auto_percent"),
                auto_basis: r.get("auto_basis"),
                self_score: r.get("self_score"),
                self_comment: r.get("self_comment"),
                evidence: serde_json::from_str(&r.get::<String, _>("evidence")).unwrap_or_default(),
                score: r.get("score"),
                score_comment: r.get("score_comment"),
            }
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Automatic indicators

/// The automatic value of `source` for the unit at `unit` over the round's period: a percent
/// of full marks and the figures it came from.
pub async fn auto_value(
    db: &Db,
    policy: &PolicySettings,
    round: &Round,
    unit: &UnitRef,
    source: &str,
    now: Ts,
) -> ApiResult<(f64, String)> {
    let p = period_bounds(round.year, &round.period)?;
    let scope = Scope::subtree(&unit.path);
    Ok(match source {
        "targets" => {
            let district = crate::org::root(db).await?.ok_or_else(ApiError::internal)?;
            let facts = crate::plans::year_facts(db, district.id, round.year, policy).await?;
            let report = crate::plans::report(&facts, &scope, unit, now);
            // A half-year round expects half of the year's target.
            let share = if round.period == "year" { 1.0 } else { 0.5 };
            let mut parts = Vec::new();
            let mut pcts = Vec::new();
            for r in report.overall.iter().filter(|r| r.target > 0) {
                let want = (r.target as f64 * share).ceil().max(1.0);
                pcts.push((r.joint_or_delivered as f64 / want).min(1.0) * 100.0);
                parts.push(format!("{} {}/{}", r.label, r.joint_or_delivered, want));
            }
            if pcts.is_empty() {
                (100.0, "未分配年度目标，按满分计（统计 → 年度目标）".into())
            } else {
                (
                    round1(pcts.iter().sum::<f64>() / pcts.len() as f64),
                    format!("{}（统计 → 年度目标，{}年）", parts.join("；"), round.year),
                )
            }
        }
        "satisfaction" => {
            let rows = crate::stats::satisfaction(db, &scope, &unit.path, &p.from, &p.to).await?;
            let n: i64 = rows.iter().map(|r| r.ratings).sum();
            if n == 0 {
                (
                    100.0,
                    format!("{}无群众评价，按满分计（统计 → 满意度）", p.label),
                )
            } else {
                let avg = rows
                    .iter()
                    .map(|r| r.average * r.ratings as f64)
                    .sum::<f64>()
                    / n as f64;
                (
                    round1(avg / 5.0 * 100.0),
                    format!(
                        "{} 条评价，平均 {:.2} 分（统计 → 满意度，{}）",
                        n, avg, p.label
                    ),
                )
            }
        }
        "replies" => {
            let r = crate::stats::replies(db, &scope, &unit.path).await?;
            if r.commented == 0 {
                (100.0, "没有带文字的评价，按满分计（统计 → 回复）".into())
            } else {
                (
                    r.reply_percent as f64,
                    format!(
                        "{} 条带文字的评价已回复 {} 条（统计 → 回复）",
                        r.commented, r.replied
                    ),
                )
            }
        }
        "ledger" => {
            let c =
                crate::evidence::completeness(db, &scope, &unit.path, &p, &time::fmt(now)).await?;
            if c.held == 0 {
                (100.0, format!("{}没有已举办的场次（台账 → 佐证）", p.label))
            } else {
                (
                    round1(c.with_evidence as f64 * 100.0 / c.held as f64),
                    format!(
                        "已举办 {} 场，{} 场有照片佐证（台账 → 佐证，{}）",
                        c.held, c.with_evidence, p.label
                    ),
                )
            }
        }
        "rectifications" => {
            let today = time::fmt(now);
            let today = time::parse(&today)
                .map(|t| t.with_timezone(&time::cst()).format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            let rows = sqlx::query(&format!(
                "SELECT rectify_by, rectified_at FROM spot_checks WHERE {} AND rectify_by IS NOT NULL",
                crate::access::subtree_sql("unit_path", &unit.path)
            ))
            .fetch_all(db.pool())
            .await?;
            let total = rows.len() as i64;
            let overdue = rows
                .iter()
                .filter(|r| {
                    r.get::<Option<String>, _>("rectified_at").is_none()
                        && r.get::<String, _>("rectify_by") < today
                })
                .count() as i64;
            let open = rows
                .iter()
                .filter(|r| r.get::<Option<String>, _>("rectified_at").is_none())
                .count() as i64;
            // Each overdue rectification costs a fifth of the indicator.
            (
                (100.0 - 20.0 * overdue as f64).max(0.0),
                format!("整改事项 {total} 项，未完成 {open} 项，其中逾期 {overdue} 项（督导暗访）"),
            )
        }
        "demand" => {
            // Demands raised in the period at the unit or below (merged and rejected ones
            // aside): the share fulfilled.
            let rows = sqlx::query(&format!(
                "SELECT status FROM demands WHERE {} AND created_at >= $1 AND created_at < $2 \
                 AND status <> 'merged' AND visibility <> 'rejected'",
                crate::access::subtree_sql("unit_path", &unit.path)
            ))
            .bind(&p.from)
            .bind(&p.to)
            .fetch_all(db.pool())
            .await?;
            let n = rows.len() as i64;
            let done = rows
                .iter()
                .filter(|r| r.get::<String, _>("status") == "fulfilled")
                .count() as i64;
            if n == 0 {
                (100.0, format!("{}没有群众需求，按满分计（需求）", p.label))
            } else {
                (
                    round1(done as f64 * 100.0 / n as f64),
                    format!("群众需求 {n} 条，已落实 {done} 条（需求，{}）", p.label),
                )
            }
        }
        "staffing" => {
            let day = as_of(&p, now);
            let rows = crate::people::staffing(db, &scope, &unit.path, policy, &day).await?;
            let want: i64 = rows.iter().map(|r| r.minimum).sum();
            let have: i64 = rows.iter().map(|r| r.staff.min(r.minimum)).sum();
            let gaps = rows.iter().filter(|r| !r.met).count();
            let gap: i64 = rows.iter().map(|r| r.gap).sum();
            if want == 0 {
                (100.0, format!("未设最低配备，按满分计（人员名册，{day}）"))
            } else {
                (
                    round1(have as f64 * 100.0 / want as f64),
                    format!(
                        "{} 个单位中 {} 个未达最低配备，共缺 {} 人（人员名册 → 配备，{day}）",
                        rows.len(),
                        gaps,
                        gap
                    ),
                )
            }
        }
        "dispatch" => {
            let day = as_of(&p, now);
            let c = crate::people::coverage(db, &scope, &unit.path, &day).await?;
            let n = c.branches + c.points;
            if n == 0 {
                (
                    100.0,
                    format!("无下属分馆、服务点，按满分计（双派，{day}）"),
                )
            } else {
                (
                    round1((c.branches_covered + c.points_covered) as f64 * 100.0 / n as f64),
                    format!(
                        "分馆 {}/{} 有总馆派驻副馆长，服务点 {}/{} 有分馆派驻业务指导员（人员名册 → 双派，{day}）",
                        c.branches_covered, c.branches, c.points_covered, c.points
                    ),
                )
            }
        }
        "rooms" => {
            let from = time::parse(&p.from).ok_or_else(ApiError::internal)?;
            let to = time::parse(&p.to).ok_or_else(ApiError::internal)?;
            let to = to.min(now.max(from));
            let uses = crate::rooms::usage_between(db, unit.id, from, to, now).await?;
            let open: f64 = uses.iter().map(|u| u.opening_hours).sum();
            let booked: f64 = uses.iter().map(|u| u.booked_hours).sum();
            if open <= 0.0 {
                (
                    100.0,
                    format!("没有设开放时间的场地，按满分计（场地，{}）", p.label),
                )
            } else {
                let share = booked / open;
                (
                    round1((share / ROOM_USE_FULL).min(1.0) * 100.0),
                    format!(
                        "{} 个场地开放 {:.1} 小时，使用 {:.1} 小时，使用率 {:.0}%（使用率 {:.0}% 为满分；场地 → 使用，{}）",
                        uses.len(),
                        open,
                        booked,
                        share * 100.0,
                        ROOM_USE_FULL * 100.0,
                        p.label
                    ),
                )
            }
        }
        "facilities" => {
            let f = facility_checklist(db, unit.id).await?;
            (
                f.percent,
                format!("设施标准 {} 项，达标 {} 项（设施达标清单）", f.total, f.met),
            )
        }
        _ => (0.0, String::new()),
    })
}

/// The CST day register-based figures are taken on: today, or the period's last day once it
/// is over.
fn as_of(p: &crate::ledger::Period, now: Ts) -> String {
    let today = crate::people::cst_day(now);
    if today < p.to_date {
        return today;
    }
    chrono::NaiveDate::parse_from_str(&p.to_date, "%Y-%m-%d")
        .map(|d| {
            (d - chrono::Duration::days(1))
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or(today)
}

/// Recomputes the automatic values of an entry that is not yet scored (scored entries keep
/// the values they were scored with: frozen).
pub async fn refresh_auto(
    db: &Db,
    policy: &PolicySettings,
    entry_id: i64,
    now: Ts,
) -> ApiResult<()> {
    let loc = locate(db, entry_id).await?;
    if loc.status == "scored" || loc.round.status == "published" {
        return Ok(());
    }
    let rows = sqlx::query(
        "SELECT position, source FROM eval_items WHERE entry_id = $1 AND method <> 'manual'",
    )
    .bind(entry_id)
    .fetch_all(db.pool())
    .await?;
    let mut values = Vec::new();
    for r in &rows {
        let source: String = r.get("source");
        let (pct, basis) = auto_value(db, policy, &loc.round, &loc.unit, &source, now).await?;
        values.push((r.get::<i64, _>("position"), pct, basis));
    }
    let mut tx = db.begin().await?;
    for (pos, pct, basis) in values {
        sqlx::query(
            "UPDATE eval_items SET auto_percent = $1, auto_basis = $2 WHERE entry_id = $3 AND position = $4 \
             AND EXISTS (SELECT 1 FROM eval_entries e WHERE e.id = $3 AND e.status <> 'scored')",
        )
        .bind(pct)
        .bind(&basis)
        .bind(entry_id)
        .bind(pos)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Steps

#[derive(Debug, Clone, Object, Deserialize)]
pub struct SelfItem {
    pub position: i64,
    /// Required for `manual` and `both` indicators before submitting; ignored for `auto`.
    pub score: Option<f64>,
    #[oai(default)]
    #[serde(default)]
    pub comment: String,
    /// Uploaded files of the unit (photos, scans) backing the score.
    #[oai(default)]
    #[serde(default)]
    pub evidence: Vec<i64>,
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct ScoreItem {
    pub position: i64,
    /// The scorer's score; for `auto` indicators it may be left out (the automatic value).
    pub score: Option<f64>,
    #[oai(default)]
    #[serde(default)]
    pub comment: String,
}

struct ItemRow {
    position: i64,
    max_score: f64,
    method: String,
    auto_percent: Option<f64>,
    self_score: Option<f64>,
}

async fn item_rows(tx: &mut crate::db::Tx, entry_id: i64) -> ApiResult<Vec<ItemRow>> {
    Ok(sqlx::query(
        "SELECT position, max_score, method, auto_percent, self_score FROM eval_items WHERE entry_id = $1 ORDER BY position",
    )
    .bind(entry_id)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| ItemRow {
        position: r.get("position"),
        max_score: r.get("max_score"),
        method: r.get("method"),
        auto_percent: r.get("auto_percent"),
        self_score: r.get("self_score"),
    })
    .collect())
}

fn check_score(score: f64, max: f64) -> ApiResult<()> {
    if !(0.0..=max).contains(&score) {
        return Err(ApiError::validation(format!("得分应在 0 到 {max} 之间")));
    }
    Ok(())
}

/// 422 `file_unusable`, as for other attachments (files.rs).
fn unusable(msg: &'static str) -> ApiError {
    ApiError::new(
        poem::http::StatusCode::UNPROCESSABLE_ENTITY,
        "file_unusable",
        msg,
    )
}

fn wrong_step(msg: &'static str) -> ApiError {
    ApiError::conflict("eval_wrong_step", msg)
}

/// Saves the unit's self-assessment (values, comments, evidence) while it is the unit's turn.
pub async fn save_self(
    db: &Db,
    entry_id: i64,
    input: &[SelfItem],
    now: &str,
    audit: AuditEntry<'_>,
) -> ApiResult<()> {
    let loc = locate(db, entry_id).await?;
    ensure_open(&loc.round)?;
    if input.len() > 60 {
        return Err(ApiError::validation("指标条目过多"));
    }
    for i in input {
        if i.comment.chars().count() > 1000 {
            return Err(ApiError::validation("说明不超过 1000 字"));
        }
        if i.evidence.len() > 20 {
            return Err(ApiError::validation("每项佐证材料不超过 20 个"));
        }
        for f in &i.evidence {
            let path: Option<String> = sqlx::query_scalar(
                "SELECT u.path FROM files f JOIN org_units u ON u.id = f.unit_id WHERE f.id = $1",
            )
            .bind(f)
            .fetch_optional(db.pool())
            .await?;
            // Evidence must be the unit's own files (or of units below it).
            if !path.is_some_and(|p| p.starts_with(&loc.unit.path)) {
                return Err(unusable("佐证材料须是本单位上传的文件"));
            }
        }
    }
    let mut tx = db.begin().await?;
    let status: String = sqlx::query_scalar("SELECT status FROM eval_entries WHERE id = $1")
        .bind(entry_id)
        .fetch_one(&mut *tx)
        .await?;
    if status != "self" {
        return Err(wrong_step("已提交，等待上级评分；如需修改请上级退回"));
    }
    let rows = item_rows(&mut tx, entry_id).await?;
    for i in input {
        let Some(row) = rows.iter().find(|r| r.position == i.position) else {
            return Err(ApiError::validation("指标序号无效"));
        };
        let score = if row.method == "auto" { None } else { i.score };
        if let Some(s) = score {
            check_score(s, row.max_score)?;
        }
        sqlx::query(
            // A NULL float bound through the Any driver is refused by PostgreSQL's binary
            // protocol: bind a number and a flag instead.
            "UPDATE eval_items SET self_score = CASE WHEN $6 = 1 THEN $1 ELSE NULL END, self_comment = $2, evidence = $3 \
             WHERE entry_id = $4 AND position = $5",
        )
        .bind(score.unwrap_or(0.0))
        .bind(&i.comment)
        .bind(serde_json::to_string(&i.evidence).unwrap_or_else(|_| "[]".into()))
        .bind(entry_id)
        .bind(i.position)
        .bind(score.is_some() as i64)
        .execute(&mut *tx)
        .await?;
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// The score an item counts with in a total: the given score, else the automatic value.
fn effective(max: f64, given: Option<f64>, auto: Option<f64>) -> Option<f64> {
    given.or(auto.map(|p| round1(p / 100.0 * max)))
}

/// Submits the self-assessment to the level above. Every manual indicator needs a value; a
/// branch waits for its points to be scored, the main center for its branches.
pub async fn submit(db: &Db, entry_id: i64, now: &str, audit: AuditEntry<'_>) -> ApiResult<()> {
    let loc = locate(db, entry_id).await?;
    ensure_open(&loc.round)?;
    let mut tx = db.begin().await?;
    let rows = item_rows(&mut tx, entry_id).await?;
    if rows
        .iter()
        .any(|r| r.method != "auto" && r.self_score.is_none())
    {
        return Err(ApiError::conflict(
            "eval_incomplete",
            "还有指标未自评，请填写后再提交",
        ));
    }
    let below = match loc.level.as_str() {
        "branch" => Some("point"),
        "main" => Some("branch"),
        _ => None,
    };
    if let Some(below) = below {
        let waiting: i64 = sqlx::query_scalar(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM eval_entries WHERE round_id = $1 AND level = $2 AND status <> 'scored' AND {}",
            crate::access::subtree_sql("unit_path", &loc.unit.path)
        ))
        .bind(loc.round.id)
        .bind(below)
        .fetch_one(&mut *tx)
        .await?;
        if waiting > 0 {
            return Err(ApiError::conflict(
                "eval_waiting",
                format!("下级还有 {waiting} 个单位未完成评分，完成后才能提交本级自评"),
            ));
        }
    }
    let self_total: f64 = rows
        .iter()
        .filter_map(|r| {
            effective(
                r.max_score,
                if r.method == "auto" {
                    None
                } else {
                    r.self_score
                },
                r.auto_percent,
            )
        })
        .sum();
    let late = now > self_due(&loc.round, &loc.level).as_str();
    let n = sqlx::query(
        "UPDATE eval_entries SET status = 'submitted', submitted_at = $1, submitted_late = $2, self_total = $3 \
         WHERE id = $4 AND status = 'self'",
    )
    .bind(now)
    .bind(late as i64)
    .bind(round1(self_total))
    .bind(entry_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(wrong_step("已提交，不能重复提交"));
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// Returns a submitted self-assessment to the unit for correction, with a comment.
pub async fn return_entry(
    db: &Db,
    entry_id: i64,
    comment: &str,
    audit: AuditEntry<'_>,
    now: &str,
) -> ApiResult<()> {
    let loc = locate(db, entry_id).await?;
    ensure_open(&loc.round)?;
    let comment = comment.trim();
    if comment.is_empty() || comment.chars().count() > 500 {
        return Err(ApiError::validation("退回意见应为 1 到 500 个字"));
    }
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE eval_entries SET status = 'self', return_comment = $1 WHERE id = $2 AND status = 'submitted'",
    )
    .bind(comment)
    .bind(entry_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(wrong_step("只有已提交、待评分的自评可以退回"));
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// The level above scores a submitted entry: per-indicator scores and comments, the total,
/// the grade, and a reward/penalty note. The automatic values are frozen from now on.
pub async fn score(
    db: &Db,
    entry_id: i64,
    input: &[ScoreItem],
    reward_note: &str,
    scorer: i64,
    now: &str,
    audit: AuditEntry<'_>,
) -> ApiResult<EntryView> {
    let loc = locate(db, entry_id).await?;
    ensure_open(&loc.round)?;
    if reward_note.chars().count() > 500 {
        return Err(ApiError::validation("奖惩说明不超过 500 字"));
    }
    for i in input {
        if i.comment.chars().count() > 1000 {
            return Err(ApiError::validation("评分意见不超过 1000 字"));
        }
    }
    let mut tx = db.begin().await?;
    let rows = item_rows(&mut tx, entry_id).await?;
    let mut total = 0.0;
    let mut full = 0.0;
    let mut scored = Vec::new();
    for r in &rows {
        full += r.max_score;
        let given = input.iter().find(|i| i.position == r.position);
        let s = match (given.and_then(|g| g.score), r.method.as_str()) {
            (Some(s), _) => {
                check_score(s, r.max_score)?;
                Some(s)
            }
            (None, "manual") => None,
            (None, _) => effective(r.max_score, None, r.auto_percent),
        };
        let Some(s) = s else {
            return Err(ApiError::conflict("eval_incomplete", "每项指标都需要评分"));
        };
        total += s;
        scored.push((
            r.position,
            s,
            given.map(|g| g.comment.clone()).unwrap_or_default(),
        ));
    }
    if input
        .iter()
        .any(|i| !rows.iter().any(|r| r.position == i.position))
    {
        return Err(ApiError::validation("指标序号无效"));
    }
    let total = round1(total);
    let g = grade(total, full, &loc.round.thresholds);
    let late = now > score_due(&loc.round, &loc.level).as_str();
    let n = sqlx::query(
        "UPDATE eval_entries SET status = 'scored', scored_at = $1, scored_late = $2, scored_by = $3, total = $4, grade = $5, \
         reward_note = $6, return_comment = '' WHERE id = $7 AND status = 'submitted'",
    )
    .bind(now)
    .bind(late as i64)
    .bind(scorer)
    .bind(total)
    .bind(g)
    .bind(reward_note.trim())
    .bind(entry_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(wrong_step("只有已提交的自评可以评分"));
    }
    for (pos, s, c) in scored {
        sqlx::query("UPDATE eval_items SET score = $1, score_comment = $2 WHERE entry_id = $3 AND position = $4")
            .bind(s)
            .bind(&c)
            .bind(entry_id)
            .bind(pos)
            .execute(&mut *tx)
            .await?;
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    entry(db, entry_id).await
}

/// Publishes the round's results (every entry scored) and locks it.
pub async fn publish(db: &Db, round_id: i64, now: &str, audit: AuditEntry<'_>) -> ApiResult<()> {
    let r = round(db, round_id).await?;
    ensure_open(&r)?;
    if r.entries_scored < r.entries_total {
        return Err(ApiError::conflict(
            "eval_incomplete",
            format!(
                "还有 {} 个单位未完成评分",
                r.entries_total - r.entries_scored
            ),
        ));
    }
    let mut tx = db.begin().await?;
    let n = sqlx::query("UPDATE eval_rounds SET status = 'published', published_at = $1 WHERE id = $2 AND status = 'open'")
        .bind(now)
        .bind(round_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(wrong_step("考核已发布"));
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// Reopens a published round; the reason goes into the audit trail.
pub async fn reopen(
    db: &Db,
    round_id: i64,
    reason: &str,
    now: &str,
    audit: AuditEntry<'_>,
) -> ApiResult<()> {
    round(db, round_id).await?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::validation("重新开启须说明理由（1 到 500 字）"));
    }
    let mut tx = db.begin().await?;
    let n = sqlx::query("UPDATE eval_rounds SET status = 'open', published_at = NULL WHERE id = $1 AND status = 'published'")
        .bind(round_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(wrong_step("只有已发布的考核可以重新开启"));
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// The comparison sheet of a round (units side by side) for xlsx/CSV: totals, per-category
/// scores, and year on year the percent of the same unit in `previous` (the round a year
/// before with the same period).
pub fn table(
    round: &Round,
    entries: &[EntryView],
    previous: Option<(&Round, &HashMap<i64, f64>)>,
) -> Table {
    let mut t = Table::new(
        &format!("{}年考核", round.year),
        &[
            "单位",
            "层级",
            "状态",
            "自评总分",
            "评定总分",
            "满分",
            "得分率%",
            "等级",
            "排名",
            "奖惩说明",
            "未完成整改",
        ],
    );
    // Categories used by any entry, in the standard's order.
    let cats: Vec<(&str, &str)> = CATEGORIES
        .iter()
        .copied()
        .filter(|(k, _)| {
            entries
                .iter()
                .any(|e| e.categories.iter().any(|c| c.category == *k))
        })
        .collect();
    for (_, l) in &cats {
        t.headers.push(format!("{l}得分"));
    }
    if let Some((r, _)) = previous {
        t.headers.push(format!("{}得分率%", r.title));
        t.headers.push("同比变化".into());
    }
    for e in entries {
        let pct = e
            .total
            .filter(|_| e.full_marks > 0.0)
            .map(|v| round1(v * 100.0 / e.full_marks));
        let mut row = vec![
            Cell::Text(e.unit_name.clone()),
            Cell::Text(level_label(&e.level).into()),
            Cell::Text(
                match e.status.as_str() {
                    "self" => "自评中",
                    "submitted" => "待评分",
                    _ => "已评分",
                }
                .into(),
            ),
            e.self_total.map(Cell::Num).unwrap_or(Cell::Empty),
            e.total.map(Cell::Num).unwrap_or(Cell::Empty),
            Cell::Num(e.full_marks),
            pct.map(Cell::Num).unwrap_or(Cell::Empty),
            Cell::Text(e.grade_label.clone()),
            e.rank.map(Cell::Int).unwrap_or(Cell::Empty),
            Cell::Text(e.reward_note.clone()),
            Cell::Int(e.open_rectifications),
        ];
        for (k, _) in &cats {
            row.push(
                e.categories
                    .iter()
                    .find(|c| c.category == *k)
                    .and_then(|c| c.score)
                    .map(Cell::Num)
                    .unwrap_or(Cell::Empty),
            );
        }
        if let Some((_, prev)) = previous {
            let before = prev.get(&e.unit_id).copied();
            row.push(before.map(Cell::Num).unwrap_or(Cell::Empty));
            row.push(match (pct, before) {
                (Some(a), Some(b)) => Cell::Num(round1(a - b)),
                _ => Cell::Empty,
            });
        }
        t.push(row);
    }
    t
}

/// The round a year before `round` with the same period, if any.
pub async fn previous_round(db: &Db, round: &Round) -> ApiResult<Option<Round>> {
    Ok(rounds(db)
        .await?
        .into_iter()
        .find(|r| r.year == round.year - 1 && r.period == round.period))
}

/// Percent of full marks per unit of the scored entries of a round.
pub async fn percents(db: &Db, round: &Round) -> ApiResult<HashMap<i64, f64>> {
    Ok(entries(db, round, &Scope::subtree("/"))
        .await?
        .into_iter()
        .filter_map(|e| {
            e.total
                .filter(|_| e.full_marks > 0.0)
                .map(|t| (e.unit_id, round1(t * 100.0 / e.full_marks)))
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Third-party evaluation

#[derive(Debug, Clone, Object, Serialize)]
pub struct EvalAssignment {
    pub id: i64,
    pub round_id: i64,
    pub user_id: i64,
    /// The object (unit) assessed; null for the whole round.
    pub unit_id: Option<i64>,
    pub assessment: String,
    pub score: Option<f64>,
    pub report_file_id: Option<i64>,
    pub assessed_at: Option<String>,
}

fn assignment_from(r: &sqlx::any::AnyRow) -> EvalAssignment {
    EvalAssignment {
        id: r.get("id"),
        round_id: r.get("round_id"),
        user_id: r.get("user_id"),
        unit_id: r.get("unit_id"),
        assessment: r.get("assessment"),
        score: r.get("score"),
        report_file_id: r.get("report_file_id"),
        assessed_at: r.get("assessed_at"),
    }
}

pub async fn assignments(db: &Db, round_id: i64) -> ApiResult<Vec<EvalAssignment>> {
    Ok(
        sqlx::query("SELECT * FROM eval_assignments WHERE round_id = $1 ORDER BY id")
            .bind(round_id)
            .fetch_all(db.pool())
            .await?
            .iter()
            .map(assignment_from)
            .collect(),
    )
}

/// Grants a third-party evaluator (a person holding the `evaluator` role) one round or one
/// object within it.
pub async fn assign(
    db: &Db,
    round_id: i64,
    user_id: i64,
    unit_id: Option<i64>,
    caller_id: i64,
    now: &str,
    audit: AuditEntry<'_>,
) -> ApiResult<i64> {
    let r = round(db, round_id).await?;
    ensure_open(&r)?;
    let is_evaluator: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM role_grants WHERE user_id = $1 AND role = 'evaluator' AND revoked_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(db.pool())
    .await?;
    if is_evaluator == 0 {
        return Err(ApiError::validation("只能指派持有第三方评估角色的人员"));
    }
    if let Some(u) = unit_id {
        crate::org::unit_ref(db, u).await?;
    }
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO eval_assignments (round_id, user_id, unit_id, created_by, created_at) VALUES ($1,$2,$3,$4,$5) RETURNING id",
    )
    .bind(round_id)
    .bind(user_id)
    .bind(unit_id)
    .bind(caller_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(id)
}

/// An assignment with what authorization needs: its holder and the unit it covers.
pub async fn assignment(db: &Db, id: i64) -> ApiResult<(EvalAssignment, UnitRef)> {
    let r = sqlx::query("SELECT * FROM eval_assignments WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该评估委托"))?;
    let a = assignment_from(&r);
    let unit = match a.unit_id {
        Some(u) => crate::org::unit_ref(db, u).await?,
        None => crate::org::root(db).await?.ok_or_else(ApiError::internal)?,
    };
    Ok((a, unit))
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct AssessmentInput {
    pub assessment: String,
    /// 0–100; optional.
    pub score: Option<f64>,
    /// An uploaded report (a file of the assessed unit or the main center).
    pub report_file_id: Option<i64>,
}

pub async fn record_assessment(
    db: &Db,
    a: &EvalAssignment,
    unit: &UnitRef,
    input: &AssessmentInput,
    now: &str,
    audit: AuditEntry<'_>,
) -> ApiResult<()> {
    let r = round(db, a.round_id).await?;
    ensure_open(&r)?;
    let text = input.assessment.trim();
    if text.is_empty() || text.chars().count() > 5000 {
        return Err(ApiError::validation("评估意见应为 1 到 5000 字"));
    }
    if let Some(s) = input.score {
        check_score(s, 100.0)?;
    }
    if let Some(f) = input.report_file_id {
        let path: Option<String> = sqlx::query_scalar(
            "SELECT u.path FROM files f JOIN org_units u ON u.id = f.unit_id WHERE f.id = $1",
        )
        .bind(f)
        .fetch_optional(db.pool())
        .await?;
        // The report belongs to the assessed unit or to the main center (where evaluators upload).
        if !path.is_some_and(|p| p.starts_with(&unit.path) || p.matches('/').count() == 2) {
            return Err(unusable("评估报告文件无效"));
        }
    }
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE eval_assignments SET assessment = $1, score = CASE WHEN $6 = 1 THEN $2 ELSE NULL END, report_file_id = $3, \
         assessed_at = $4 WHERE id = $5",
    )
    .bind(text)
    .bind(input.score.unwrap_or(0.0))
    .bind(input.report_file_id)
    .bind(now)
    .bind(a.id)
    .bind(input.score.is_some() as i64)
    .execute(&mut *tx)
    .await?;
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Spot checks

#[derive(Debug, Clone, Object, Deserialize)]
pub struct SpotCheckInput {
    pub unit_id: i64,
    /// `supervision` (督导) or `unannounced` (暗访).
    pub kind: String,
    /// CST date of the visit, `YYYY-MM-DD`.
    pub visited_on: String,
    pub findings: String,
    #[oai(default)]
    #[serde(default)]
    pub photos: Vec<i64>,
    /// CST date by which the unit must rectify; absent when nothing is required.
    pub rectify_by: Option<String>,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct SpotCheck {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: String,
    pub visited_on: String,
    pub findings: String,
    pub photos: Vec<i64>,
    pub rectify_by: Option<String>,
    pub rectification: String,
    pub rectified_at: Option<String>,
    /// A rectification is required and not yet recorded.
    pub open: bool,
}

fn valid_date(s: &str) -> ApiResult<()> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|_| ())
        .map_err(|_| ApiError::validation("日期格式应为 YYYY-MM-DD"))
}

pub async fn record_spot_check(
    db: &Db,
    unit: &UnitRef,
    input: &SpotCheckInput,
    caller_id: i64,
    now: &str,
    audit: AuditEntry<'_>,
) -> ApiResult<i64> {
    if !["supervision", "unannounced"].contains(&input.kind.as_str()) {
        return Err(ApiError::validation(
            "检查方式应为 supervision 或 unannounced",
        ));
    }
    valid_date(&input.visited_on)?;
    if let Some(d) = &input.rectify_by {
        valid_date(d)?;
        if d.as_str() < input.visited_on.as_str() {
            return Err(ApiError::validation("整改期限不能早于检查日期"));
        }
    }
    let f = input.findings.trim();
    if f.is_empty() || f.chars().count() > 2000 {
        return Err(ApiError::validation("检查发现应为 1 到 2000 字"));
    }
    if input.photos.len() > 20 {
        return Err(ApiError::validation("照片不超过 20 张"));
    }
    for p in &input.photos {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM files WHERE id = $1")
            .bind(p)
            .fetch_optional(db.pool())
            .await?;
        if exists.is_none() {
            return Err(unusable("照片文件不存在"));
        }
    }
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO spot_checks (unit_id, unit_path, kind, visited_on, findings, photos, rectify_by, recorded_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
    )
    .bind(unit.id)
    .bind(&unit.path)
    .bind(&input.kind)
    .bind(&input.visited_on)
    .bind(f)
    .bind(serde_json::to_string(&input.photos).unwrap_or_else(|_| "[]".into()))
    .bind(&input.rectify_by)
    .bind(caller_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn spot_check_unit(db: &Db, id: i64) -> ApiResult<UnitRef> {
    let r = sqlx::query("SELECT unit_id, unit_path FROM spot_checks WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该检查记录"))?;
    Ok(UnitRef {
        id: r.get("unit_id"),
        path: r.get("unit_path"),
    })
}

/// The unit records its rectification of a spot check's findings.
pub async fn rectify(
    db: &Db,
    id: i64,
    text: &str,
    now: &str,
    audit: AuditEntry<'_>,
) -> ApiResult<()> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(ApiError::validation("整改情况应为 1 到 2000 字"));
    }
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE spot_checks SET rectification = $1, rectified_at = $2 WHERE id = $3 AND rectify_by IS NOT NULL AND rectified_at IS NULL",
    )
    .bind(text)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::conflict(
            "nothing_to_rectify",
            "该检查没有待整改事项或已整改",
        ));
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// Spot checks within `scope` under `under`, newest first; only open ones when asked.
pub async fn spot_checks(
    db: &Db,
    scope: &Scope,
    under: &str,
    open_only: bool,
) -> ApiResult<Vec<SpotCheck>> {
    let rows = sqlx::query(&format!(
        "SELECT s.*, u.short_name FROM spot_checks s JOIN org_units u ON u.id = s.unit_id WHERE {} AND {} \
         AND ($1 = 0 OR (s.rectify_by IS NOT NULL AND s.rectified_at IS NULL)) ORDER BY s.visited_on DESC, s.id DESC LIMIT 500",
        scope.sql("s.unit_path"),
        crate::access::subtree_sql("s.unit_path", under)
    ))
    .bind(open_only as i64)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let rectify_by: Option<String> = r.get("rectify_by");
            let rectified_at: Option<String> = r.get("rectified_at");
            SpotCheck {
                id: r.get("id"),
                unit_id: r.get("unit_id"),
                unit_name: r.get("short_name"),
                kind: r.get("kind"),
                visited_on: r.get("visited_on"),
                findings: r.get("findings"),
                photos: serde_json::from_str(&r.get::<String, _>("photos")).unwrap_or_default(),
                open: rectify_by.is_some() && rectified_at.is_none(),
                rectify_by,
                rectification: r.get("rectification"),
                rectified_at,
            }
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Facility-standard checklist (设施达标)

/// One standard a unit of a level should meet. `kind`: `min` (a number at least `min`: area
/// m², rooms, opening hours a week), `yes` (present: equipment), `name` (the signage shows the
/// unit's official name under the unified naming rule).
#[derive(Debug, Clone, Object, Serialize, Deserialize, PartialEq)]
pub struct FacilityStandard {
    /// Short identifier, `[a-z_]{1,30}` (`area`, `rooms`, `equipment`, `hours`, `signage`).
    pub key: String,
    pub label: String,
    /// `min`, `yes` or `name`.
    pub kind: String,
    /// For `min`: the least acceptable value.
    #[oai(default)]
    #[serde(default)]
    pub min: f64,
    /// For `min`: the unit of the number (平方米, 间, 小时/周).
    #[oai(default)]
    #[serde(default)]
    pub unit: String,
}

fn fs(key: &str, label: &str, kind: &str, min: f64, unit: &str) -> FacilityStandard {
    FacilityStandard {
        key: key.into(),
        label: label.into(),
        kind: kind.into(),
        min,
        unit: unit.into(),
    }
}

/// The default standards of a level: the policy's checklist (area, function rooms, equipment,
/// weekly opening hours, signage with the unified name). The figures are a starting point a
/// district replaces with its own (e.g. Shenzhen's standards for its levels).
pub fn default_facility_standards(level: &str) -> Vec<FacilityStandard> {
    let (area, rooms, hours) = match level {
        "main" => (2000.0, 6.0, 42.0),
        "branch" => (300.0, 3.0, 42.0),
        _ => (100.0, 1.0, 35.0),
    };
    vec![
        fs("area", "建筑面积", "min", area, "平方米"),
        fs("rooms", "功能室", "min", rooms, "间"),
        fs(
            "equipment",
            "基本设备（音响、投影、桌椅等）齐全",
            "yes",
            0.0,
            "",
        ),
        fs("hours", "每周开放时长", "min", hours, "小时/周"),
        fs(
            "signage",
            "统一标识（文化馆××分馆/服务点）",
            "name",
            0.0,
            "",
        ),
    ]
}

pub fn validate_facility_standards(list: &[FacilityStandard]) -> ApiResult<()> {
    if list.is_empty() || list.len() > 30 {
        return Err(ApiError::validation("设施标准应有 1 到 30 项"));
    }
    for (i, s) in list.iter().enumerate() {
        if s.key.is_empty()
            || s.key.len() > 30
            || !s.key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            return Err(ApiError::validation(
                "标准代码应为 1 到 30 个小写字母或下划线",
            ));
        }
        if list[..i].iter().any(|o| o.key == s.key) {
            return Err(ApiError::validation("标准代码重复"));
        }
        let l = s.label.trim();
        if l.is_empty() || l.chars().count() > 60 {
            return Err(ApiError::validation("标准名称应为 1 到 60 个字"));
        }
        if s.unit.chars().count() > 20 {
            return Err(ApiError::validation("计量单位不超过 20 字"));
        }
        match s.kind.as_str() {
            "min" => {
                if !(s.min.is_finite() && s.min >= 0.0) {
                    return Err(ApiError::validation("最低值无效"));
                }
            }
            "yes" | "name" => {}
            _ => return Err(ApiError::validation("标准类型应为 min、yes 或 name")),
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct FacilityStandards {
    /// `point`, `branch` or `main`.
    pub level: String,
    /// Nothing saved for the level: these are the defaults.
    pub is_default: bool,
    pub items: Vec<FacilityStandard>,
}

pub async fn facility_standards(
    db: &Db,
    district: i64,
    level: &str,
) -> ApiResult<FacilityStandards> {
    let items: Option<String> = sqlx::query_scalar(
        "SELECT items FROM eval_facility_standards WHERE district_unit_id = $1 AND level = $2",
    )
    .bind(district)
    .bind(level)
    .fetch_optional(db.pool())
    .await?;
    Ok(match items.and_then(|s| serde_json::from_str(&s).ok()) {
        Some(items) => FacilityStandards {
            level: level.into(),
            is_default: false,
            items,
        },
        None => FacilityStandards {
            level: level.into(),
            is_default: true,
            items: default_facility_standards(level),
        },
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn save_facility_standards(
    db: &Db,
    district: i64,
    level: &str,
    list: &[FacilityStandard],
    user_id: i64,
    now: &str,
    audit: AuditEntry<'_>,
) -> ApiResult<()> {
    validate_facility_standards(list)?;
    let list: Vec<FacilityStandard> = list
        .iter()
        .map(|s| FacilityStandard {
            label: s.label.trim().into(),
            unit: s.unit.trim().into(),
            min: if s.kind == "min" { s.min } else { 0.0 },
            ..s.clone()
        })
        .collect();
    let json = serde_json::to_string(&list).map_err(|_| ApiError::internal())?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM eval_facility_standards WHERE district_unit_id = $1 AND level = $2")
        .bind(district)
        .bind(level)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO eval_facility_standards (district_unit_id, level, items, updated_by, updated_at) \
         VALUES ($1,$2,$3,$4,$5)",
    )
    .bind(district)
    .bind(level)
    .bind(&json)
    .bind(user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// What a unit recorded for one standard.
#[derive(Debug, Clone, Object, Serialize, Deserialize, Default)]
pub struct FacilityFact {
    pub key: String,
    /// Numbers for `min` items; 1 (yes) or 0 (no) for `yes` items; absent for `name` items.
    pub value: Option<f64>,
    /// The name shown on the signage (`name` items); a note otherwise. ≤200.
    #[oai(default)]
    #[serde(default)]
    pub text: String,
    /// Uploaded files of the unit (photos of the rooms, the signage, scans).
    #[oai(default)]
    #[serde(default)]
    pub evidence: Vec<i64>,
}

/// One line of a unit's checklist: the standard, what was recorded and whether it is met.
#[derive(Debug, Clone, Object, Serialize)]
pub struct FacilityCheck {
    pub standard: FacilityStandard,
    /// What is required, in words (≥ 300 平方米, 具备, 与单位名称一致：…).
    pub requirement: String,
    pub recorded: bool,
    pub value: Option<f64>,
    pub text: String,
    pub evidence: Vec<i64>,
    /// Null while nothing is recorded.
    pub met: Option<bool>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct FacilityChecklist {
    pub unit_id: i64,
    pub unit_name: String,
    /// The official name the signage must show.
    pub official_name: String,
    pub level: String,
    pub checks: Vec<FacilityCheck>,
    pub met: i64,
    pub total: i64,
    /// met / total, percent (what the `facilities` indicator takes).
    pub percent: f64,
}

/// Whether a recorded fact meets a standard (None: nothing recorded). Signage compares the
/// name ignoring spaces.
pub fn meets(
    s: &FacilityStandard,
    fact: Option<&FacilityFact>,
    official_name: &str,
) -> Option<bool> {
    let f = fact?;
    match s.kind.as_str() {
        "min" => f.value.map(|v| v >= s.min),
        "yes" => f.value.map(|v| v >= 1.0),
        "name" => {
            let norm = |x: &str| x.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            if f.text.trim().is_empty() {
                None
            } else {
                Some(norm(&f.text) == norm(official_name))
            }
        }
        _ => None,
    }
}

/// The checklist of a unit: every standard of its level against its facts. Unrecorded items
/// count as not met.
pub fn compliance(
    standards: &[FacilityStandard],
    facts: &[(FacilityFact, String)],
    official_name: &str,
) -> (Vec<FacilityCheck>, i64, i64, f64) {
    let checks: Vec<FacilityCheck> = standards
        .iter()
        .map(|s| {
            let fact = facts.iter().find(|(f, _)| f.key == s.key);
            let met = meets(s, fact.map(|(f, _)| f), official_name);
            FacilityCheck {
                requirement: match s.kind.as_str() {
                    "min" => format!("≥ {} {}", s.min, s.unit).trim().to_string(),
                    "yes" => "具备".into(),
                    _ => format!("与单位名称一致：{official_name}"),
                },
                recorded: met.is_some(),
                value: fact.and_then(|(f, _)| f.value),
                text: fact.map(|(f, _)| f.text.clone()).unwrap_or_default(),
                evidence: fact.map(|(f, _)| f.evidence.clone()).unwrap_or_default(),
                met,
                updated_at: fact.map(|(_, t)| t.clone()),
                standard: s.clone(),
            }
        })
        .collect();
    let total = checks.len() as i64;
    let met = checks.iter().filter(|c| c.met == Some(true)).count() as i64;
    let pct = if total == 0 {
        100.0
    } else {
        round1(met as f64 * 100.0 / total as f64)
    };
    (checks, met, total, pct)
}

async fn facility_facts(db: &Db, unit_id: i64) -> ApiResult<Vec<(FacilityFact, String)>> {
    Ok(sqlx::query(
        "SELECT key, value, text, evidence, updated_at FROM facility_facts WHERE unit_id = $1",
    )
    .bind(unit_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        (
            FacilityFact {
                key: r.get("key"),
                value: r.get("value"),
                text: r.get("text"),
                evidence: serde_json::from_str(&r.get::<String, _>("evidence")).unwrap_or_default(),
            },
            r.get("updated_at"),
        )
    })
    .collect())
}

pub async fn facility_checklist(db: &Db, unit_id: i64) -> ApiResult<FacilityChecklist> {
    let unit = crate::org::get_unit(db, unit_id).await?;
    let district = crate::org::root(db).await?.ok_or_else(ApiError::internal)?;
    let level = level_of(&unit.level);
    let standards = facility_standards(db, district.id, level).await?;
    let facts = facility_facts(db, unit_id).await?;
    let (checks, met, total, percent) = compliance(&standards.items, &facts, &unit.name);
    Ok(FacilityChecklist {
        unit_id,
        unit_name: unit.short_name,
        official_name: unit.name,
        level: level.into(),
        checks,
        met,
        total,
        percent,
    })
}

/// Records a unit's facts (only keys of its level's standards); the others are kept.
pub async fn save_facility_facts(
    db: &Db,
    unit: &UnitRef,
    input: &[FacilityFact],
    user_id: i64,
    now: &str,
    audit: AuditEntry<'_>,
) -> ApiResult<()> {
    let u = crate::org::get_unit(db, unit.id).await?;
    let district = crate::org::root(db).await?.ok_or_else(ApiError::internal)?;
    let standards = facility_standards(db, district.id, level_of(&u.level)).await?;
    if input.len() > 30 {
        return Err(ApiError::validation("设施条目过多"));
    }
    for f in input {
        let Some(s) = standards.items.iter().find(|s| s.key == f.key) else {
            return Err(ApiError::validation("设施标准代码无效"));
        };
        if f.text.chars().count() > 200 {
            return Err(ApiError::validation("说明不超过 200 字"));
        }
        if let Some(v) = f.value {
            if !(v.is_finite() && (0.0..=1_000_000.0).contains(&v)) {
                return Err(ApiError::validation("数值无效"));
            }
            if s.kind == "yes" && v != 0.0 && v != 1.0 {
                return Err(ApiError::validation("是否项填 1（具备）或 0（不具备）"));
            }
        }
        if f.evidence.len() > 20 {
            return Err(ApiError::validation("每项佐证材料不超过 20 个"));
        }
        for id in &f.evidence {
            let path: Option<String> = sqlx::query_scalar(
                "SELECT u.path FROM files f JOIN org_units u ON u.id = f.unit_id WHERE f.id = $1",
            )
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
            if !path.is_some_and(|p| p.starts_with(&unit.path)) {
                return Err(unusable("佐证材料须是本单位上传的文件"));
            }
        }
    }
    let mut tx = db.begin().await?;
    for f in input {
        sqlx::query("DELETE FROM facility_facts WHERE unit_id = $1 AND key = $2")
            .bind(unit.id)
            .bind(&f.key)
            .execute(&mut *tx)
            .await?;
        // A NULL float bound through the Any driver is refused by PostgreSQL: flag instead.
        sqlx::query(
            "INSERT INTO facility_facts (unit_id, key, value, text, evidence, updated_by, updated_at) \
             VALUES ($1,$2,CASE WHEN $8 = 1 THEN $3 ELSE NULL END,$4,$5,$6,$7)",
        )
        .bind(unit.id)
        .bind(&f.key)
        .bind(f.value.unwrap_or(0.0))
        .bind(f.text.trim())
        .bind(serde_json::to_string(&f.evidence).unwrap_or_else(|_| "[]".into()))
        .bind(user_id)
        .bind(now)
        .bind(f.value.is_some() as i64)
        .execute(&mut *tx)
        .await?;
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Year on year, and a unit's status in the open round

/// One category's score in an entry.
#[derive(Debug, Clone, Object, Serialize)]
pub struct CategoryScore {
    pub category: String,
    pub label: String,
    /// Sum of the category's scores (the scorer's, else the automatic value); null until scored.
    pub score: Option<f64>,
    pub max_score: f64,
}

/// Per-category scores of entries: (entry id → categories in CATEGORIES order).
pub async fn category_scores(
    db: &Db,
    entry_ids: &[i64],
) -> ApiResult<HashMap<i64, Vec<CategoryScore>>> {
    let mut out: HashMap<i64, Vec<CategoryScore>> = HashMap::new();
    if entry_ids.is_empty() {
        return Ok(out);
    }
    let ids = entry_ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let rows = sqlx::query(&format!(
        "SELECT i.entry_id, i.category, i.max_score, i.score, i.auto_percent, e.status FROM eval_items i \
         JOIN eval_entries e ON e.id = i.entry_id WHERE i.entry_id IN ({ids})"
    ))
    .fetch_all(db.pool())
    .await?;
    for (cat, label) in CATEGORIES {
        for id in entry_ids {
            let mine: Vec<_> = rows
                .iter()
                .filter(|r| {
                    r.get::<i64, _>("entry_id") == *id && r.get::<String, _>("category") == cat
                })
                .collect();
            if mine.is_empty() {
                continue;
            }
            let scored = mine[0].get::<String, _>("status") == "scored";
            let max: f64 = mine.iter().map(|r| r.get::<f64, _>("max_score")).sum();
            let score = scored.then(|| {
                round1(
                    mine.iter()
                        .filter_map(|r| {
                            effective(r.get("max_score"), r.get("score"), r.get("auto_percent"))
                        })
                        .sum(),
                )
            });
            out.entry(*id).or_default().push(CategoryScore {
                category: cat.into(),
                label: label.into(),
                score,
                max_score: round1(max),
            });
        }
    }
    Ok(out)
}

/// One round of a unit's history.
#[derive(Debug, Clone, Object, Serialize)]
pub struct HistoryRow {
    pub round_id: i64,
    pub year: i32,
    pub period: String,
    pub title: String,
    pub round_status: String,
    pub entry_id: i64,
    pub status: String,
    pub total: Option<f64>,
    pub full_marks: f64,
    /// total / full marks, percent (comparable across rounds with different weights).
    pub percent: Option<f64>,
    pub grade_label: String,
    pub rank: Option<i64>,
    /// Change of `percent` against the previous round of the same period kind; null when
    /// either is unscored or there is none.
    pub change: Option<f64>,
    pub categories: Vec<CategoryScore>,
}

/// A unit's entries across rounds, oldest first (year on year).
pub async fn unit_history(db: &Db, unit: &UnitRef) -> ApiResult<Vec<HistoryRow>> {
    let mut rounds = rounds(db).await?;
    rounds.sort_by(|a, b| (a.year, &a.period).cmp(&(b.year, &b.period)));
    let mut out: Vec<HistoryRow> = Vec::new();
    for r in &rounds {
        let list = entries(db, r, &Scope::subtree(&unit.path)).await?;
        let Some(e) = list.into_iter().find(|e| e.unit_id == unit.id) else {
            continue;
        };
        let cats = category_scores(db, &[e.id])
            .await?
            .remove(&e.id)
            .unwrap_or_default();
        let percent = e
            .total
            .filter(|_| e.full_marks > 0.0)
            .map(|t| round1(t * 100.0 / e.full_marks));
        let prev = out
            .iter()
            .rev()
            .find(|h| (h.period == "year") == (r.period == "year"))
            .and_then(|h| h.percent);
        out.push(HistoryRow {
            round_id: r.id,
            year: r.year,
            period: r.period.clone(),
            title: r.title.clone(),
            round_status: r.status.clone(),
            entry_id: e.id,
            status: e.status,
            total: e.total,
            full_marks: e.full_marks,
            percent,
            grade_label: e.grade_label,
            rank: e.rank,
            change: match (percent, prev) {
                (Some(a), Some(b)) => Some(round1(a - b)),
                _ => None,
            },
            categories: cats,
        });
    }
    Ok(out)
}

/// Something still missing in a unit's entry.
#[derive(Debug, Clone, Object, Serialize)]
pub struct Missing {
    pub position: i64,
    pub title: String,
    /// `value` (no self-assessed value) or `evidence` (a value without evidence).
    pub what: String,
}

/// A unit's state in the open round, for the coordinator's page.
#[derive(Debug, Clone, Object, Serialize)]
pub struct UnitStatus {
    pub round: Option<Round>,
    pub entry: Option<EntryView>,
    /// Indicators the unit still has to fill in (manual/both without a value, or without evidence).
    pub missing: Vec<Missing>,
    /// The unit's open spot-check rectifications.
    pub rectifications: Vec<SpotCheck>,
    /// The facility checklist's compliance (met of total).
    pub facilities_met: i64,
    pub facilities_total: i64,
}

/// The open round (the newest not yet published) and the unit's entry in it.
pub async fn unit_status(db: &Db, unit: &UnitRef) -> ApiResult<UnitStatus> {
    let round = rounds(db)
        .await?
        .into_iter()
        .find(|r| r.status != "published");
    let mut entry = None;
    let mut missing = Vec::new();
    if let Some(r) = &round {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM eval_entries WHERE round_id = $1 AND unit_id = $2")
                .bind(r.id)
                .bind(unit.id)
                .fetch_optional(db.pool())
                .await?;
        if let Some(id) = id {
            let e = self::entry(db, id).await?;
            if e.status == "self" {
                for i in e.items.iter().filter(|i| i.method != "auto") {
                    if i.self_score.is_none() {
                        missing.push(Missing {
                            position: i.position,
                            title: i.title.clone(),
                            what: "value".into(),
                        });
                    } else if i.evidence.is_empty() {
                        missing.push(Missing {
                            position: i.position,
                            title: i.title.clone(),
                            what: "evidence".into(),
                        });
                    }
                }
            }
            entry = Some(e);
        }
    }
    let rectifications = spot_checks(db, &Scope::subtree(&unit.path), &unit.path, true)
        .await?
        .into_iter()
        .filter(|s| s.unit_id == unit.id)
        .collect();
    let f = facility_checklist(db, unit.id).await?;
    Ok(UnitStatus {
        round,
        entry,
        missing,
        rectifications,
        facilities_met: f.met,
        facilities_total: f.total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_total_100() {
        for l in LEVELS {
            let d = default_indicators(l);
            validate_indicators(&d).unwrap();
            assert_eq!(d.iter().map(|i| i.max_score).sum::<f64>(), 100.0, "{l}");
        }
    }

    #[test]
    fn grades_follow_thresholds() {
        let t = Thresholds::default();
        assert_eq!(grade(90.0, 100.0, &t), "excellent");
        assert_eq!(grade(89.9, 100.0, &t), "good");
        assert_eq!(grade(60.0, 100.0, &t), "pass");
        assert_eq!(grade(59.0, 100.0, &t), "fail");
        // Scaled to full marks other than 100.
        assert_eq!(grade(45.0, 50.0, &t), "excellent");
        let strict = Thresholds {
            excellent: 95.0,
            good: 85.0,
            pass: 70.0,
        };
        assert_eq!(grade(90.0, 100.0, &strict), "good");
    }

    #[test]
    fn validation_rejects_bad_indicators() {
        let mut d = default_indicators("point");
        d[0].source = "nonsense".into();
        assert!(validate_indicators(&d).is_err());
        let mut d = default_indicators("point");
        // 创新与亮点 is manual in every level's defaults.
        assert_eq!(d[7].method, "manual");
        d[7].source = "targets".into();
        assert!(validate_indicators(&d).is_err(), "manual with a source");
        let mut d = default_indicators("point");
        d[0].category = "x".into();
        assert!(validate_indicators(&d).is_err());
        assert!(validate_indicators(&[]).is_err());
    }

    #[test]
    fn ranks_per_level_with_ties() {
        let e = |id, level: &str, total| EntryView {
            id,
            round_id: 1,
            unit_id: id,
            unit_name: String::new(),
            level: level.into(),
            status: "scored".into(),
            return_comment: String::new(),
            due: String::new(),
            submitted_at: None,
            submitted_late: false,
            scored_at: None,
            scored_late: false,
            self_total: None,
            total,
            full_marks: 100.0,
            grade: None,
            grade_label: String::new(),
            rank: None,
            reward_note: String::new(),
            open_rectifications: 0,
            categories: vec![],
            items: vec![],
        };
        let mut v = vec![
            e(1, "point", Some(80.0)),
            e(2, "point", Some(95.0)),
            e(3, "point", Some(80.0)),
            e(4, "point", None),
            e(5, "branch", Some(70.0)),
        ];
        rank(&mut v);
        let ranks: Vec<Option<i64>> = v.iter().map(|e| e.rank).collect();
        assert_eq!(ranks, [Some(2), Some(1), Some(2), None, Some(1)]);
    }

    #[test]
    fn effective_score_falls_back_to_auto() {
        assert_eq!(effective(25.0, None, Some(80.0)), Some(20.0));
        assert_eq!(effective(25.0, Some(10.0), Some(80.0)), Some(10.0));
        assert_eq!(effective(25.0, None, None), None);
    }

    #[test]
    fn facility_checklist_is_computed_from_the_facts() {
        for level in LEVELS {
            validate_facility_standards(&default_facility_standards(level)).unwrap();
        }
        let std = default_facility_standards("point");
        let fact = |key: &str, value: Option<f64>, text: &str| {
            (
                FacilityFact {
                    key: key.into(),
                    value,
                    text: text.into(),
                    evidence: vec![],
                },
                "2026-01-01T00:00:00Z".to_string(),
            )
        };
        let name = "福田区文化馆红荔服务点";
        let (checks, met, total, pct) = compliance(&std, &[], name);
        assert_eq!((met, total, pct), (0, 5, 0.0));
        assert!(checks.iter().all(|c| c.met.is_none() && !c.recorded));
        let facts = vec![
            fact("area", Some(100.0), ""),
            fact("rooms", Some(0.0), ""),
            fact("equipment", Some(1.0), ""),
            fact("hours", Some(40.0), ""),
            fact("signage", None, " 福田区文化馆 红荔服务点"),
        ];
        let (checks, met, total, pct) = compliance(&std, &facts, name);
        assert_eq!((met, total, pct), (4, 5, 80.0));
        assert_eq!(checks[1].met, Some(false), "no room");
        assert_eq!(checks[0].requirement, "≥ 100 平方米");
        let wrong = vec![fact("signage", None, "红荔社区文化室")];
        let (checks, ..) = compliance(&std, &wrong, name);
        assert_eq!(checks[4].met, Some(false), "not the unified name");
    }

    #[test]
    fn facility_standards_validation() {
        let ok = |k: &str, kind: &str| FacilityStandard {
            key: k.into(),
            label: "面积".into(),
            kind: kind.into(),
            min: 1.0,
            unit: String::new(),
        };
        assert!(validate_facility_standards(&[]).is_err());
        assert!(validate_facility_standards(&[ok("Area", "min")]).is_err());
        assert!(validate_facility_standards(&[ok("area", "max")]).is_err());
        assert!(validate_facility_standards(&[ok("area", "min"), ok("area", "yes")]).is_err());
        assert!(validate_facility_standards(&[ok("area", "min"), ok("pool", "yes")]).is_ok());
    }
}
