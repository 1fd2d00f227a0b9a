//! Yearly plans and the counting of the policy's targets (issue 13). See docs/plans.md for the
//! rules as staff read them; `classify` is those rules as one plain function.
//!
//! One 场/次 is one held, non-cancelled session. Years and months are China Standard Time.

use crate::access::{Caller, Scope};
use crate::config::PolicySettings;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::time::{self, Ts};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

pub const CATEGORIES: [&str; 3] = ["performances", "lectures_exhibitions", "trainings"];

pub fn category_label(c: &str) -> &'static str {
    match c {
        "performances" => "送演出下基层",
        "lectures_exhibitions" => "讲座、展览",
        "trainings" => "公益性艺术培训",
        _ => "其他",
    }
}

/// Which target an activity kind counts towards, if any.
pub fn category_of(kind: &str) -> Option<&'static str> {
    match kind {
        "performance" => Some("performances"),
        "lecture" | "exhibition" => Some("lectures_exhibitions"),
        "training" => Some("trainings"),
        _ => None,
    }
}

/// What the rules need to know about one session.
#[derive(Debug, Clone)]
pub struct SessionFacts {
    pub kind: String,
    pub activity_status: String,
    pub session_status: String,
    /// Level of the unit where the session is held (`main`, `branch`, `direct_branch`, `point`).
    pub place_level: String,
    pub ends_at: Ts,
    /// Delivered from the main center's menu (配送).
    pub delivered: bool,
    /// Partner units on the organizer's line with their answer (`pending`/`confirmed`/`declined`).
    pub partners: Vec<String>,
}

/// The verdict on one session: does it count (one 场/次), is it joint, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub counted: bool,
    pub joint: bool,
    /// Machine-readable reason: `counted`, `cancelled`, `not_held_yet`, `draft`,
    /// `held_at_main_center`; for counted sessions that are not joint: `no_partner`,
    /// `partner_pending`, `partner_declined`.
    pub reason: &'static str,
}

pub fn reason_label(r: &str) -> &'static str {
    match r {
        "counted" => "计入（联合开展）",
        "cancelled" => "已取消，不计入",
        "not_held_yet" => "尚未举办，不计入",
        "draft" => "未发布，不计入",
        "held_at_main_center" => "在总馆举办，不算送演出下基层",
        "no_partner" => "计入场次，但没有联办单位，不算联合开展",
        "partner_pending" => "计入场次，联办单位尚未确认，不算联合开展",
        "partner_declined" => "计入场次，联办单位已拒绝，不算联合开展",
        _ => "",
    }
}

/// The counting rules, in order: cancelled or unpublished sessions never count; a session
/// counts once it has ended; a performance counts as 送演出下基层 only when held at a branch
/// or a point; it is joint when delivered from the main center's menu or when at least one
/// partner on the same line has confirmed.
pub fn classify(f: &SessionFacts, now: Ts) -> Verdict {
    let no = |reason| Verdict {
        counted: false,
        joint: false,
        reason,
    };
    if f.activity_status == "cancelled" || f.session_status == "cancelled" {
        return no("cancelled");
    }
    if f.activity_status == "draft" {
        return no("draft");
    }
    if f.ends_at > now {
        return no("not_held_yet");
    }
    if f.kind == "performance" && f.place_level == "main" {
        return no("held_at_main_center");
    }
    let confirmed = f.partners.iter().any(|p| p == "confirmed");
    let (joint, reason) = if f.delivered || confirmed {
        (true, "counted")
    } else if f.partners.iter().any(|p| p == "pending") {
        (false, "partner_pending")
    } else if f.partners.is_empty() {
        (false, "no_partner")
    } else {
        (false, "partner_declined")
    };
    Verdict {
        counted: true,
        joint,
        reason,
    }
}

/// Is `partner` on the same line as `organizer` (an ancestor or a descendant, not itself)?
/// Paths are materialised (`/1/4/17/`), so the line is a prefix relation.
pub fn on_line(organizer_path: &str, partner_path: &str) -> bool {
    organizer_path != partner_path
        && (organizer_path.starts_with(partner_path) || partner_path.starts_with(organizer_path))
}

// ---------------------------------------------------------------------------------------------
// Plans

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct Allocation {
    pub unit_id: i64,
    /// `performances`, `lectures_exhibitions` or `trainings`.
    pub category: String,
    pub target: i64,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Plan {
    pub year: i32,
    pub district_unit_id: i64,
    pub performances: i64,
    pub lectures_exhibitions: i64,
    pub trainings: i64,
    /// No plan saved for the year: the targets are the configured policy defaults.
    pub is_default: bool,
    pub allocations: Vec<Allocation>,
    /// How much of each target is handed down: the district's target against the sum of its
    /// branches' allocations, and each branch's allocation against the sum of its points'.
    pub balance: Vec<AllocationBalance>,
}

/// One level of the allocation: what a unit holds and how much of it is allocated below.
#[derive(Debug, Clone, Object, Serialize)]
pub struct AllocationBalance {
    /// The district's root (its target) or a branch (its allocation).
    pub unit_id: i64,
    pub unit_name: String,
    pub category: String,
    pub target: i64,
    /// Sum of the allocations one level down (branches, or the branch's points).
    pub allocated: i64,
    /// `target - allocated`; negative when over-allocated.
    pub remaining: i64,
    /// `under` (some left to allocate), `full` or `over`.
    pub state: String,
}

/// What the allocation rules need to know about one allocation.
#[derive(Debug, Clone)]
pub struct AllocFact {
    pub unit_id: i64,
    pub unit_name: String,
    /// `branch`, `direct_branch` or `point`.
    pub level: String,
    /// The branch a point belongs to.
    pub parent_id: Option<i64>,
    pub category: String,
    pub target: i64,
}

/// The allocation rules, per target kind: the branches' allocations together fit within the
/// district's target, and each branch's points together fit within that branch's allocation
/// (a branch with no allocation has 0 to hand down). Answers the balance of every level that
/// has a target or allocations below it, and the refusal naming the first level over its
/// target, if any.
pub fn allocation_balance(
    district: (i64, &str),
    district_target: impl Fn(&str) -> i64,
    allocs: &[AllocFact],
    names: &HashMap<i64, String>,
) -> (Vec<AllocationBalance>, Option<String>) {
    let mut out = Vec::new();
    let mut over = None;
    let mut push =
        |unit_id: i64, unit_name: String, category: &str, target: i64, allocated: i64| {
            let remaining = target - allocated;
            let state = match remaining {
                r if r < 0 => "over",
                0 => "full",
                _ => "under",
            };
            if remaining < 0 && over.is_none() {
                over = Some(format!(
                    "{unit_name}的{}分配合计（{allocated}）超过了{}（{target}）",
                    category_label(category),
                    if unit_id == district.0 {
                        "全区目标"
                    } else {
                        "该分馆的分配数"
                    }
                ));
            }
            out.push(AllocationBalance {
                unit_id,
                unit_name,
                category: category.into(),
                target,
                allocated,
                remaining,
                state: state.into(),
            });
        };
    for c in CATEGORIES {
        let of_c = || allocs.iter().filter(move |a| a.category == c);
        let branches: i64 = of_c()
            .filter(|a| a.level != "point")
            .map(|a| a.target)
            .sum();
        push(
            district.0,
            district.1.to_string(),
            c,
            district_target(c),
            branches,
        );
        // Every branch that holds an allocation or whose points do, in id order.
        let mut ids: Vec<i64> = of_c()
            .filter_map(|a| {
                if a.level == "point" {
                    a.parent_id
                } else {
                    Some(a.unit_id)
                }
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for b in ids {
            let target = of_c()
                .find(|a| a.unit_id == b && a.level != "point")
                .map(|a| a.target)
                .unwrap_or(0);
            let points: i64 = of_c()
                .filter(|a| a.level == "point" && a.parent_id == Some(b))
                .map(|a| a.target)
                .sum();
            let name = names.get(&b).cloned().unwrap_or_default();
            push(b, name, c, target, points);
        }
    }
    (out, over)
}

/// Allocations with the unit facts the rules need, and the names of the units involved.
async fn alloc_facts(
    db: &Db,
    allocs: &[Allocation],
) -> ApiResult<(Vec<AllocFact>, HashMap<i64, String>)> {
    let mut facts = Vec::with_capacity(allocs.len());
    let mut names = HashMap::new();
    let rows = sqlx::query("SELECT id, parent_id, level, short_name FROM org_units")
        .fetch_all(db.pool())
        .await?;
    let units: HashMap<i64, (Option<i64>, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.get("id"),
                (r.get("parent_id"), r.get("level"), r.get("short_name")),
            )
        })
        .collect();
    for a in allocs {
        let Some((parent, level, name)) = units.get(&a.unit_id) else {
            continue;
        };
        names.insert(a.unit_id, name.clone());
        if let Some(p) = parent {
            if let Some((_, _, pn)) = units.get(p) {
                names.insert(*p, pn.clone());
            }
        }
        facts.push(AllocFact {
            unit_id: a.unit_id,
            unit_name: name.clone(),
            level: level.clone(),
            parent_id: *parent,
            category: a.category.clone(),
            target: a.target,
        });
    }
    Ok((facts, names))
}

async fn district_name(db: &Db, id: i64) -> ApiResult<String> {
    Ok(
        sqlx::query_scalar("SELECT short_name FROM org_units WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?
            .unwrap_or_else(|| "全区".to_string()),
    )
}

impl Plan {
    pub fn target(&self, category: &str) -> i64 {
        match category {
            "performances" => self.performances,
            "lectures_exhibitions" => self.lectures_exhibitions,
            "trainings" => self.trainings,
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct PlanInput {
    pub performances: i64,
    pub lectures_exhibitions: i64,
    pub trainings: i64,
    /// Replaces every allocation of the year.
    pub allocations: Vec<Allocation>,
}

pub async fn load(db: &Db, district: i64, year: i32, p: &PolicySettings) -> ApiResult<Plan> {
    let row = sqlx::query(
        "SELECT id, performances, lectures_exhibitions, trainings FROM plans WHERE district_unit_id = $1 AND year = $2",
    )
    .bind(district)
    .bind(year as i64)
    .fetch_optional(db.pool())
    .await?;
    let dname = district_name(db, district).await?;
    let Some(row) = row else {
        let mut plan = Plan {
            year,
            district_unit_id: district,
            performances: p.annual_performances,
            lectures_exhibitions: p.annual_lectures_exhibitions,
            trainings: p.annual_trainings,
            is_default: true,
            allocations: vec![],
            balance: vec![],
        };
        plan.balance =
            allocation_balance((district, &dname), |c| plan.target(c), &[], &HashMap::new()).0;
        return Ok(plan);
    };
    let id: i64 = row.get("id");
    let allocations: Vec<Allocation> = sqlx::query(
        "SELECT a.unit_id, a.category, a.target FROM plan_allocations a JOIN org_units u ON u.id = a.unit_id \
         WHERE a.plan_id = $1 ORDER BY u.path, a.category",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Allocation {
        unit_id: r.get("unit_id"),
        category: r.get("category"),
        target: r.get("target"),
    })
    .collect();
    let (facts, names) = alloc_facts(db, &allocations).await?;
    let mut plan = Plan {
        year,
        district_unit_id: district,
        performances: row.get("performances"),
        lectures_exhibitions: row.get("lectures_exhibitions"),
        trainings: row.get("trainings"),
        is_default: false,
        allocations,
        balance: vec![],
    };
    // Saved plans fit (save refuses otherwise); an over-allocation would still be shown.
    plan.balance = allocation_balance((district, &dname), |c| plan.target(c), &facts, &names).0;
    Ok(plan)
}

/// Saves the year's targets and allocations (replacing the allocations). Allocations go to
/// branches and points of the district only, and a category's allocations to branches may
/// not exceed the district's target.
pub async fn save(
    db: &Db,
    district: &crate::access::UnitRef,
    year: i32,
    input: &PlanInput,
    caller: &Caller,
    now: &str,
    audit: crate::audit::Entry<'_>,
) -> ApiResult<()> {
    for v in [
        input.performances,
        input.lectures_exhibitions,
        input.trainings,
    ] {
        if !(0..=10_000).contains(&v) {
            return Err(ApiError::validation("目标数应在 0 到 10000 之间"));
        }
    }
    if input.allocations.len() > 3000 {
        return Err(ApiError::validation("分配条目过多"));
    }
    let mut seen = std::collections::HashSet::new();
    for a in &input.allocations {
        if !CATEGORIES.contains(&a.category.as_str()) {
            return Err(ApiError::validation("目标类别无效"));
        }
        if !(0..=10_000).contains(&a.target) {
            return Err(ApiError::validation("分配数应在 0 到 10000 之间"));
        }
        if !seen.insert((a.unit_id, a.category.clone())) {
            return Err(ApiError::validation("同一单位同一类别只能分配一次"));
        }
        let r = sqlx::query("SELECT path, level FROM org_units WHERE id = $1")
            .bind(a.unit_id)
            .fetch_optional(db.pool())
            .await?
            .ok_or_else(|| ApiError::not_found("该单位"))?;
        let (path, level): (String, String) = (r.get("path"), r.get("level"));
        if !path.starts_with(&district.path) || level == "main" {
            return Err(ApiError::validation("只能分配给本区的分馆和服务点"));
        }
    }
    let (facts, names) = alloc_facts(db, &input.allocations).await?;
    let plan_target = |c: &str| match c {
        "performances" => input.performances,
        "lectures_exhibitions" => input.lectures_exhibitions,
        _ => input.trainings,
    };
    let dname = district_name(db, district.id).await?;
    if let (_, Some(refusal)) =
        allocation_balance((district.id, &dname), plan_target, &facts, &names)
    {
        return Err(ApiError::validation(refusal));
    }
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO plans (district_unit_id, year, performances, lectures_exhibitions, trainings, updated_by, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$7) ON CONFLICT (district_unit_id, year) DO UPDATE SET \
         performances = excluded.performances, lectures_exhibitions = excluded.lectures_exhibitions, \
         trainings = excluded.trainings, updated_by = excluded.updated_by, updated_at = excluded.updated_at RETURNING id",
    )
    .bind(district.id)
    .bind(year as i64)
    .bind(input.performances)
    .bind(input.lectures_exhibitions)
    .bind(input.trainings)
    .bind(caller.user_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM plan_allocations WHERE plan_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for a in &input.allocations {
        sqlx::query(
            "INSERT INTO plan_allocations (plan_id, unit_id, category, target) VALUES ($1,$2,$3,$4)",
        )
        .bind(id)
        .bind(a.unit_id)
        .bind(&a.category)
        .bind(a.target)
        .execute(&mut *tx)
        .await?;
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Counting

/// One session as the targets page shows it when drilling down.
#[derive(Debug, Clone, Object, Serialize)]
pub struct CountedSession {
    pub session_id: i64,
    pub activity_id: i64,
    pub title: String,
    pub kind: String,
    pub category: String,
    pub is_course: bool,
    pub lesson_no: i64,
    /// Where it was held: the unit it counts for.
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_path: String,
    pub starts_at: String,
    /// CST month, `YYYY-MM`.
    pub month: String,
    pub delivered: bool,
    pub partners: Vec<PartnerState>,
    pub counted: bool,
    pub joint: bool,
    pub reason: String,
    pub reason_label: String,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct PartnerState {
    pub unit_id: i64,
    pub unit_name: String,
    pub status: String,
}

/// One session of the year as read from the database: what is shown and what the rules
/// need. The verdict is not part of it (it depends on `now`).
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// The row as shown, its verdict fields still empty.
    pub shown: CountedSession,
    pub facts: SessionFacts,
    /// False when `ends_at` could not be read: such a session is taken as ending `now`.
    pub ends_known: bool,
}

impl SessionRow {
    pub fn verdict(&self, now: Ts) -> Verdict {
        if self.ends_known {
            classify(&self.facts, now)
        } else {
            let mut f = self.facts.clone();
            f.ends_at = now;
            classify(&f, now)
        }
    }

    /// The row as shown at `now`, with its verdict.
    pub fn at(&self, now: Ts) -> CountedSession {
        self.shown_with(self.verdict(now))
    }

    /// The row as shown with the verdict `v`.
    fn shown_with(&self, v: Verdict) -> CountedSession {
        let mut s = self.shown.clone();
        s.counted = v.counted;
        s.joint = v.joint;
        s.reason = v.reason.into();
        s.reason_label = reason_label(v.reason).into();
        s
    }
}

/// Every session of a target category that starts in the CST year and passes `filter` (SQL on
/// `s`), with its partners on the organizer's line, in (starts_at, id) order.
async fn session_rows(db: &Db, filter: &str, year: i32) -> ApiResult<Vec<SessionRow>> {
    let (from, to) = time::cst_year_bounds(year);
    let rows = sqlx::query(&format!(
        "SELECT s.id AS session_id, s.activity_id, s.lesson_no, s.unit_id, s.unit_path, s.starts_at, s.ends_at, s.status AS s_status, \
         a.title, a.kind, a.status AS a_status, a.is_course, a.delivered_by_unit_id, ou.path AS organizer_path, \
         u.short_name, u.level FROM sessions s JOIN activities a ON a.id = s.activity_id \
         JOIN org_units u ON u.id = s.unit_id JOIN org_units ou ON ou.id = a.organizer_unit_id \
         WHERE {filter} AND s.starts_at >= $1 AND s.starts_at < $2 \
         AND a.audience = 'public' AND a.kind IN ('performance','lecture','exhibition','training') ORDER BY s.starts_at, s.id",
    ))
    .bind(&from)
    .bind(&to)
    .fetch_all(db.pool())
    .await?;
    let ids: Vec<i64> = {
        let mut v: Vec<i64> = rows.iter().map(|r| r.get("activity_id")).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut partners: HashMap<i64, Vec<(i64, String, String, String)>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let prow = sqlx::query(&format!(
            "SELECT j.activity_id, j.unit_id, j.status, u.short_name, u.path FROM activity_units j \
             JOIN org_units u ON u.id = j.unit_id WHERE j.activity_id IN ({list}) ORDER BY u.path"
        ))
        .fetch_all(db.pool())
        .await?;
        for r in prow {
            partners.entry(r.get("activity_id")).or_default().push((
                r.get("unit_id"),
                r.get("short_name"),
                r.get("status"),
                r.get("path"),
            ));
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let kind: String = r.get("kind");
        let Some(category) = category_of(&kind) else {
            continue;
        };
        let activity_id: i64 = r.get("activity_id");
        let organizer_path: String = r.get("organizer_path");
        // Partners off the organizer's line never make a session joint (older data may have them).
        let ps: Vec<PartnerState> = partners
            .get(&activity_id)
            .map(|v| {
                v.iter()
                    .filter(|p| on_line(&organizer_path, &p.3))
                    .map(|p| PartnerState {
                        unit_id: p.0,
                        unit_name: p.1.clone(),
                        status: p.2.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let starts_at: String = r.get("starts_at");
        let ends_at = time::parse(&r.get::<String, _>("ends_at"));
        let facts = SessionFacts {
            kind: kind.clone(),
            activity_status: r.get("a_status"),
            session_status: r.get("s_status"),
            place_level: r.get("level"),
            ends_at: ends_at.unwrap_or_default(),
            delivered: r.get::<Option<i64>, _>("delivered_by_unit_id").is_some(),
            partners: ps.iter().map(|p| p.status.clone()).collect(),
        };
        out.push(SessionRow {
            shown: CountedSession {
                session_id: r.get("session_id"),
                activity_id,
                title: r.get("title"),
                kind,
                category: category.into(),
                is_course: r.get::<i64, _>("is_course") != 0,
                lesson_no: r.get("lesson_no"),
                unit_id: r.get("unit_id"),
                unit_name: r.get("short_name"),
                unit_path: r.get("unit_path"),
                month: time::parse(&starts_at)
                    .map(time::cst_month)
                    .unwrap_or_default(),
                starts_at,
                delivered: facts.delivered,
                partners: ps,
                counted: false,
                joint: false,
                reason: String::new(),
                reason_label: String::new(),
            },
            facts,
            ends_known: ends_at.is_some(),
        });
    }
    Ok(out)
}

/// Every session of a target category that starts in the CST year, held within `under` and
/// the caller's scope, with its verdict — read from the database on each call. The reference
/// the cached path (`sessions`) is checked against.
pub async fn sessions_direct(
    db: &Db,
    scope: &Scope,
    under: &str,
    year: i32,
    now: Ts,
) -> ApiResult<Vec<CountedSession>> {
    let filter = format!(
        "{} AND {}",
        scope.sql("s.unit_path"),
        crate::access::subtree_sql("s.unit_path", under)
    );
    Ok(session_rows(db, &filter, year)
        .await?
        .iter()
        .map(|r| r.at(now))
        .collect())
}

/// A unit as the per-unit targets list it.
#[derive(Debug, Clone)]
pub struct UnitRow {
    pub id: i64,
    pub short_name: String,
    pub level: String,
    pub path: String,
}

/// Everything the targets of one district and CST year are counted from, for every caller:
/// kept per instance by `targets_cache` (D260) and filtered by each caller's scope in memory.
pub struct YearFacts {
    pub year: i32,
    pub plan: Plan,
    /// Every session of a target category starting in the year, in (starts_at, id) order.
    pub sessions: Vec<SessionRow>,
    /// Every unit, in path order.
    pub units: Vec<UnitRow>,
    /// The drill-down lists already filtered from these facts (D267); they live and die with them.
    pub lists: SessionLists,
    /// The ready answers computed from these facts (D273); they live and die with them.
    pub answers: crate::targets_cache::Answers,
}

impl YearFacts {
    /// The unit at `path`, as these facts hold it.
    pub fn unit(&self, path: &str) -> Option<&UnitRow> {
        self.units
            .binary_search_by(|u| u.path.as_bytes().cmp(path.as_bytes()))
            .ok()
            .map(|i| &self.units[i])
    }
}

/// Drill-down lists kept per facts object (D267), at most this many.
const MAX_LISTS: usize = 32;

/// Per facts object: for (scope, unit path, category), the positions in `YearFacts::sessions`
/// of the sessions that pass, in the facts' order. A list is a pure function of the facts and
/// its key, so it is exact for as long as the facts are; no verdict is stored (verdicts depend
/// on `now` and are worked out per request for the page shown only). Least recently used first
/// out; 4 bytes per listed session.
#[derive(Default)]
pub struct SessionLists {
    map: std::sync::Mutex<HashMap<String, KeptList>>,
    tick: std::sync::atomic::AtomicU64,
}

/// A kept list and when it was last used.
type KeptList = (std::sync::Arc<[u32]>, u64);

impl SessionLists {
    fn get_or(&self, key: String, build: impl FnOnce() -> Vec<u32>) -> std::sync::Arc<[u32]> {
        use std::sync::atomic::Ordering;
        let tick = self.tick.fetch_add(1, Ordering::Relaxed);
        if let Some((ids, used)) = self.map.lock().unwrap().get_mut(&key) {
            *used = tick;
            return ids.clone();
        }
        // Built outside the lock: two requests missing the same key at once both build it
        // (the same list), instead of every other key waiting on one build.
        let ids: std::sync::Arc<[u32]> = build().into();
        let mut map = self.map.lock().unwrap();
        if !map.contains_key(&key) && map.len() >= MAX_LISTS {
            if let Some(old) = map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            {
                map.remove(&old);
            }
        }
        map.entry(key).or_insert((ids, tick)).0.clone()
    }

    /// Lists kept (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.map.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads a year's facts from the database (the cache's miss path).
pub async fn read_year(
    db: &Db,
    district: i64,
    year: i32,
    policy: &PolicySettings,
) -> ApiResult<YearFacts> {
    let plan = load(db, district, year, policy).await?;
    let sessions = session_rows(db, "1=1", year).await?;
    let mut units: Vec<UnitRow> = sqlx::query("SELECT id, short_name, level, path FROM org_units")
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|u| UnitRow {
            id: u.get("id"),
            short_name: u.get("short_name"),
            level: u.get("level"),
            path: u.get("path"),
        })
        .collect();
    // Byte order, as `ORDER BY path` sorts it (C collation on PostgreSQL, binary on SQLite).
    units.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    Ok(YearFacts {
        year,
        plan,
        sessions,
        units,
        lists: SessionLists::default(),
        answers: Default::default(),
    })
}

/// The facts of `district`'s `year` through this instance's cache.
pub async fn year_facts(
    db: &Db,
    district: i64,
    year: i32,
    policy: &PolicySettings,
) -> ApiResult<std::sync::Arc<YearFacts>> {
    db.targets.get(db, district, year, policy).await
}

/// The cached rows held within `under` and `scope` (the same rows the SQL filter selects).
fn visible<'a>(
    f: &'a YearFacts,
    scope: &'a Scope,
    under: &'a str,
) -> impl Iterator<Item = &'a SessionRow> + 'a {
    f.sessions.iter().filter(move |r| {
        crate::access::in_subtree(&r.shown.unit_path, under) && scope.holds(&r.shown.unit_path)
    })
}

/// One page of the drill-down, and how many sessions match in all.
pub struct SessionPage {
    pub total: usize,
    pub items: Vec<CountedSession>,
    /// The page stays exactly what `session_page` answers from `now` until just before this
    /// instant (the earliest end of a shown session not held yet); `None`: time alone never
    /// changes it.
    pub until: Option<Ts>,
}

/// `sessions_direct` from cached facts, one page at a time: the sessions of the year held
/// within `under` and the caller's scope (of `category` when given), in (starts_at, session id)
/// order, `limit` of them from `offset`, each with its verdict at `now`. Which sessions match
/// does not depend on `now`, so the matching list is kept with the facts (`SessionLists`) and
/// only the page is classified.
pub fn session_page(
    f: &YearFacts,
    scope: &Scope,
    under: &str,
    category: Option<&str>,
    now: Ts,
    offset: usize,
    limit: usize,
) -> SessionPage {
    // '|' occurs in no scope key, path or category.
    let key = format!("{}|{under}|{}", scope.key(), category.unwrap_or(""));
    let ids = f.lists.get_or(key, || {
        f.sessions
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                category.is_none_or(|c| r.shown.category == c)
                    && crate::access::in_subtree(&r.shown.unit_path, under)
                    && scope.holds(&r.shown.unit_path)
            })
            .map(|(i, _)| i as u32)
            .collect()
    });
    let from = offset.min(ids.len());
    let to = from.saturating_add(limit).min(ids.len());
    let mut until = Until::default();
    let items = ids[from..to]
        .iter()
        .map(|&i| {
            let r = &f.sessions[i as usize];
            let v = r.verdict(now);
            until.verdict(r, &v);
            r.shown_with(v)
        })
        .collect();
    SessionPage {
        total: ids.len(),
        items,
        until: until.0,
    }
}

/// The earliest instant at which something seen so far changes by time alone (exclusive end
/// of the validity of an answer computed at `now`; D273).
#[derive(Default)]
struct Until(Option<Ts>);

impl Until {
    fn at(&mut self, t: Ts) {
        self.0 = Some(self.0.map_or(t, |u| u.min(t)));
    }

    /// A verdict changes only from `not_held_yet`, when the session's end passes: `classify`
    /// decides cancelled and draft before looking at `now`, and every later rule applies
    /// only once `ends_at <= now`, which stays true as `now` grows. A session whose end is
    /// unknown is taken as ending `now`, so it is never `not_held_yet`.
    fn verdict(&mut self, r: &SessionRow, v: &Verdict) {
        if v.reason == "not_held_yet" {
            self.at(r.facts.ends_at);
        }
    }
}

/// Totals of one category over a set of sessions.
#[derive(Debug, Clone, Default, Object, Serialize)]
pub struct Tally {
    /// Held sessions (场/次), a course counting once per lesson — the figure "met" uses.
    pub count: i64,
    /// Of those, held jointly (confirmed partner or delivered from the menu).
    pub joint: i64,
    /// The same, a course counting once (at its first held lesson in the year).
    pub count_per_course: i64,
    pub joint_per_course: i64,
    /// Sessions of the year that do not count (cancelled, not held yet, …).
    pub not_counted: i64,
}

pub fn tally<'a>(sessions: impl Iterator<Item = &'a CountedSession>) -> Tally {
    let mut t = TallyAcc::default();
    for s in sessions {
        t.add(s.activity_id, s.is_course, s.counted, s.joint);
    }
    t.tally
}

/// A `Tally` built one session at a time (a course counts once per course at its first
/// counted lesson, whatever the order).
#[derive(Default)]
struct TallyAcc {
    tally: Tally,
    courses_seen: std::collections::HashSet<i64>,
}

impl TallyAcc {
    fn add(&mut self, activity_id: i64, is_course: bool, counted: bool, joint: bool) {
        let t = &mut self.tally;
        if !counted {
            t.not_counted += 1;
            return;
        }
        t.count += 1;
        if joint {
            t.joint += 1;
        }
        if !is_course || self.courses_seen.insert(activity_id) {
            t.count_per_course += 1;
            if joint {
                t.joint_per_course += 1;
            }
        }
    }
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct TargetRow {
    pub category: String,
    pub label: String,
    /// The district's target (district view) or this unit's allocation; 0 when none.
    pub target: i64,
    /// Whether `target` comes from an allocation to the unit (false: district plan or none).
    pub allocated: bool,
    /// Held sessions (per lesson).
    pub count: i64,
    /// Held jointly — what "met" compares with the target.
    pub joint_or_delivered: i64,
    pub count_per_course: i64,
    pub joint_per_course: i64,
    pub not_counted: i64,
    /// Joint sessions so far needed by today at an even pace through the year.
    pub pace_needed: i64,
    pub met: bool,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct UnitTargets {
    pub unit_id: i64,
    pub unit_name: String,
    pub level: String,
    pub items: Vec<TargetRow>,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct TrendPoint {
    /// CST month `YYYY-MM`.
    pub month: String,
    pub category: String,
    /// Joint sessions held by the end of the month (cumulative).
    pub joint_cumulative: i64,
    /// Where an even pace to the target would be by the end of the month.
    pub pace: f64,
}

fn row(category: &str, target: i64, allocated: bool, t: &Tally, year_fraction: f64) -> TargetRow {
    TargetRow {
        category: category.into(),
        label: category_label(category).into(),
        target,
        allocated,
        count: t.count,
        joint_or_delivered: t.joint,
        count_per_course: t.count_per_course,
        joint_per_course: t.joint_per_course,
        not_counted: t.not_counted,
        pace_needed: pace_needed(target, year_fraction),
        // Per-lesson joint sessions decide "met" (docs/plans.md, D94).
        met: target > 0 && t.joint >= target,
    }
}

/// The share of the CST year elapsed at `now` (0 before, 1 after).
pub fn year_fraction(year: i32, now: Ts) -> f64 {
    match year_bounds(year) {
        Some((f, t)) => fraction_of(f, t, now),
        None => 0.0,
    }
}

fn year_bounds(year: i32) -> Option<(Ts, Ts)> {
    let (from, to) = time::cst_year_bounds(year);
    Some((time::parse(&from)?, time::parse(&to)?))
}

/// `year_fraction` of the year `[f, t)`: it depends only on the whole seconds elapsed since `f`.
fn fraction_of(f: Ts, t: Ts, now: Ts) -> f64 {
    if now > f {
        ((now - f).num_seconds() as f64 / (t - f).num_seconds() as f64).min(1.0)
    } else {
        0.0
    }
}

/// The pace needed for `target` at `now`, as `TargetRow::pace_needed` shows it.
fn pace_needed(target: i64, year_fraction: f64) -> i64 {
    (target as f64 * year_fraction).ceil() as i64
}

/// The first instant after `now` at which the pace needed (`TargetRow::pace_needed`) of any of
/// `targets` in `year` differs from its value at `now`; `None` when none ever changes again.
///
/// The fraction depends only on the whole seconds elapsed since the year's start (it is 0 up
/// to one second after it, and 1 from its end on), so it can change only at `start + k s`,
/// k = 1 … the year's length; the pace is a monotone step function of k, so the first k
/// where it differs is found by bisection, evaluating the very function the report uses.
pub fn pace_changes(year: i32, targets: impl IntoIterator<Item = i64>, now: Ts) -> Option<Ts> {
    let (f, t) = year_bounds(year)?;
    let len = (t - f).num_seconds();
    let at = |k: i64| f + chrono::Duration::seconds(k);
    let first = if now > f {
        (now - f).num_seconds() + 1
    } else {
        1
    };
    let mut targets: Vec<i64> = targets.into_iter().filter(|t| *t != 0).collect();
    targets.sort_unstable();
    targets.dedup();
    let mut next: Option<i64> = None;
    for target in targets {
        let pace = |k: i64| pace_needed(target, fraction_of(f, t, at(k)));
        let here = pace_needed(target, fraction_of(f, t, now));
        // Invariant: the pace differs at `hi`, and equals `here` below `lo`.
        let (mut lo, mut hi) = (first, len);
        if lo > hi || pace(hi) == here {
            continue;
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pace(mid) != here {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        next = Some(next.map_or(lo, |n| n.min(lo)));
    }
    next.map(at)
}

#[derive(Serialize)]
pub struct Report {
    pub overall: Vec<TargetRow>,
    pub units: Vec<UnitTargets>,
    pub trend: Vec<TrendPoint>,
}

/// The targets of `under` (the district when `under` is the root) and of every branch and
/// point below it that has an allocation or counted sessions, read from the database on each
/// call. The reference the cached path (`report`) is checked against.
pub async fn report_direct(
    db: &Db,
    scope: &Scope,
    under: &crate::access::UnitRef,
    plan: &Plan,
    now: Ts,
) -> ApiResult<Report> {
    let list = sessions_direct(db, scope, &under.path, plan.year, now).await?;
    let frac = year_fraction(plan.year, now);
    let is_district = under.id == plan.district_unit_id;
    let alloc: HashMap<(i64, &str), i64> = plan
        .allocations
        .iter()
        .map(|a| ((a.unit_id, a.category.as_str()), a.target))
        .collect();
    let overall = CATEGORIES
        .iter()
        .map(|c| {
            let (target, allocated) = if is_district {
                (plan.target(c), false)
            } else {
                alloc
                    .get(&(under.id, *c))
                    .map(|t| (*t, true))
                    .unwrap_or((0, false))
            };
            row(
                c,
                target,
                allocated,
                &tally(list.iter().filter(|s| s.category == *c)),
                frac,
            )
        })
        .collect();
    // Units below: branches and points in scope, each counting the sessions held in its subtree.
    let units_rows = sqlx::query(&format!(
        "SELECT u.id, u.short_name, u.level, u.path FROM org_units u WHERE {} AND {} AND u.id <> $1 ORDER BY u.path",
        scope.sql("u.path"),
        crate::access::subtree_sql("u.path", &under.path)
    ))
    .bind(under.id)
    .fetch_all(db.pool())
    .await?;
    let mut units = Vec::new();
    for u in units_rows {
        let id: i64 = u.get("id");
        let path: String = u.get("path");
        let mine: Vec<&CountedSession> = list
            .iter()
            .filter(|s| s.unit_path.starts_with(&path))
            .collect();
        let has_alloc = CATEGORIES.iter().any(|c| alloc.contains_key(&(id, *c)));
        if mine.is_empty() && !has_alloc {
            continue;
        }
        units.push(UnitTargets {
            unit_id: id,
            unit_name: u.get("short_name"),
            level: u.get("level"),
            items: CATEGORIES
                .iter()
                .map(|c| {
                    let (target, allocated) = alloc
                        .get(&(id, *c))
                        .map(|t| (*t, true))
                        .unwrap_or((0, false));
                    row(
                        c,
                        target,
                        allocated,
                        &tally(mine.iter().copied().filter(|s| s.category == *c)),
                        frac,
                    )
                })
                .collect(),
        });
    }
    // Trend: cumulative joint sessions by CST month against an even pace.
    let mut by_month: BTreeMap<(String, &str), i64> = BTreeMap::new();
    for s in list.iter().filter(|s| s.joint) {
        *by_month
            .entry((s.month.clone(), category_of(&s.kind).unwrap_or("")))
            .or_default() += 1;
    }
    let mut trend = Vec::new();
    for c in CATEGORIES {
        let target = if is_district {
            plan.target(c)
        } else {
            alloc.get(&(under.id, c)).copied().unwrap_or(0)
        };
        let mut cum = 0;
        for m in 1..=12 {
            let month = format!("{}-{m:02}", plan.year);
            cum += by_month.get(&(month.clone(), c)).copied().unwrap_or(0);
            trend.push(TrendPoint {
                month,
                category: c.into(),
                joint_cumulative: cum,
                pace: ((target as f64 * m as f64 / 12.0) * 10.0).round() / 10.0,
            });
        }
    }
    Ok(Report {
        overall,
        units,
        trend,
    })
}

/// `report_direct` from cached facts and their plan: one pass over the visible sessions, each
/// added to the units on its path (its ancestors), instead of one filter of the list per unit.
pub fn report(f: &YearFacts, scope: &Scope, under: &crate::access::UnitRef, now: Ts) -> Report {
    report_until(f, scope, under, now).0
}

/// `report`, and the instant until which (exclusive) it stays exactly what `report` answers
/// for any later `now` (`None`: time alone never changes it). Two things in a report depend on
/// `now`: the verdict of a session not held yet (until its end) and `pace_needed` (the share of
/// the year elapsed, `pace_changes`). Nothing depends on the CST date as such: the year is
/// chosen by the caller.
pub fn report_until(
    f: &YearFacts,
    scope: &Scope,
    under: &crate::access::UnitRef,
    now: Ts,
) -> (Report, Option<Ts>) {
    let plan = &f.plan;
    let mut until = Until::default();
    let frac = year_fraction(plan.year, now);
    let is_district = under.id == plan.district_unit_id;
    let alloc: HashMap<(i64, &str), i64> = plan
        .allocations
        .iter()
        .map(|a| ((a.unit_id, a.category.as_str()), a.target))
        .collect();
    let cat = |c: &str| CATEGORIES.iter().position(|x| *x == c).unwrap_or(0);
    // Units below: branches and points in scope, each counting the sessions held in its subtree.
    let below: Vec<&UnitRow> = f
        .units
        .iter()
        .filter(|u| {
            scope.holds(&u.path)
                && crate::access::in_subtree(&u.path, &under.path)
                && u.id != under.id
        })
        .collect();
    let by_path: HashMap<&str, usize> = below
        .iter()
        .enumerate()
        .map(|(i, u)| (u.path.as_str(), i))
        .collect();
    let mut overall: [TallyAcc; 3] = Default::default();
    let mut per_unit: Vec<[TallyAcc; 3]> = below.iter().map(|_| Default::default()).collect();
    let mut seen = vec![false; below.len()];
    let mut by_month: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for r in visible(f, scope, &under.path) {
        let s = &r.shown;
        let v = r.verdict(now);
        until.verdict(r, &v);
        let c = cat(&s.category);
        overall[c].add(s.activity_id, s.is_course, v.counted, v.joint);
        // Every '/'-ended prefix of the session's path is an ancestor (or its own unit).
        for (i, b) in s.unit_path.bytes().enumerate() {
            if b != b'/' {
                continue;
            }
            if let Some(&u) = by_path.get(&s.unit_path[..=i]) {
                per_unit[u][c].add(s.activity_id, s.is_course, v.counted, v.joint);
                seen[u] = true;
            }
        }
        if v.joint {
            *by_month
                .entry((s.month.as_str(), category_of(&s.kind).unwrap_or("")))
                .or_default() += 1;
        }
    }
    let overall: Vec<TargetRow> = CATEGORIES
        .iter()
        .zip(&overall)
        .map(|(c, t)| {
            let (target, allocated) = if is_district {
                (plan.target(c), false)
            } else {
                alloc
                    .get(&(under.id, *c))
                    .map(|t| (*t, true))
                    .unwrap_or((0, false))
            };
            row(c, target, allocated, &t.tally, frac)
        })
        .collect();
    let mut units = Vec::new();
    for (i, u) in below.iter().enumerate() {
        let has_alloc = CATEGORIES.iter().any(|c| alloc.contains_key(&(u.id, *c)));
        if !seen[i] && !has_alloc {
            continue;
        }
        units.push(UnitTargets {
            unit_id: u.id,
            unit_name: u.short_name.clone(),
            level: u.level.clone(),
            items: CATEGORIES
                .iter()
                .zip(&per_unit[i])
                .map(|(c, t)| {
                    let (target, allocated) = alloc
                        .get(&(u.id, *c))
                        .map(|t| (*t, true))
                        .unwrap_or((0, false));
                    row(c, target, allocated, &t.tally, frac)
                })
                .collect(),
        });
    }
    // Trend: cumulative joint sessions by CST month against an even pace.
    let mut trend = Vec::new();
    for c in CATEGORIES {
        let target = if is_district {
            plan.target(c)
        } else {
            alloc.get(&(under.id, c)).copied().unwrap_or(0)
        };
        let mut cum = 0;
        for m in 1..=12 {
            let month = format!("{}-{m:02}", plan.year);
            cum += by_month.get(&(month.as_str(), c)).copied().unwrap_or(0);
            trend.push(TrendPoint {
                month,
                category: c.into(),
                joint_cumulative: cum,
                pace: ((target as f64 * m as f64 / 12.0) * 10.0).round() / 10.0,
            });
        }
    }
    let targets = overall
        .iter()
        .chain(units.iter().flat_map(|u| u.items.iter()))
        .map(|r: &TargetRow| r.target);
    if let Some(t) = pace_changes(plan.year, targets, now) {
        until.at(t);
    }
    (
        Report {
            overall,
            units,
            trend,
        },
        until.0,
    )
}

// ---------------------------------------------------------------------------------------------
// Partner confirmation

#[derive(Debug, Clone, Object, Serialize)]
pub struct PartnerRequest {
    pub activity_id: i64,
    pub title: String,
    pub kind: String,
    pub organizer_unit_id: i64,
    pub organizer_name: String,
    /// The partner unit (one of mine) that is asked to confirm.
    pub unit_id: i64,
    pub unit_name: String,
    pub status: String,
    pub first_start: Option<String>,
    pub responded_at: Option<String>,
}

/// Joint-activity requests addressed to units in `scope` (the caller's ManageActivities scope).
pub async fn inbox(db: &Db, scope: &Scope, status: Option<&str>) -> ApiResult<Vec<PartnerRequest>> {
    if let Some(s) = status {
        if !["pending", "confirmed", "declined"].contains(&s) {
            return Err(ApiError::validation("状态无效"));
        }
    }
    let rows = sqlx::query(&format!(
        "SELECT j.activity_id, j.unit_id, j.status, j.responded_at, a.title, a.kind, a.organizer_unit_id, \
         ou.short_name AS organizer_name, pu.short_name AS unit_name, \
         (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) AS first_start \
         FROM activity_units j JOIN activities a ON a.id = j.activity_id \
         JOIN org_units pu ON pu.id = j.unit_id JOIN org_units ou ON ou.id = a.organizer_unit_id \
         WHERE {} AND a.status IN ('draft','published','finished') AND ($1 = '' OR j.status = $1) \
         ORDER BY first_start DESC, j.activity_id DESC LIMIT 200",
        scope.sql("pu.path")
    ))
    .bind(status.unwrap_or(""))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| PartnerRequest {
            activity_id: r.get("activity_id"),
            title: r.get("title"),
            kind: r.get("kind"),
            organizer_unit_id: r.get("organizer_unit_id"),
            organizer_name: r.get("organizer_name"),
            unit_id: r.get("unit_id"),
            unit_name: r.get("unit_name"),
            status: r.get("status"),
            first_start: r.get("first_start"),
            responded_at: r.get("responded_at"),
        })
        .collect())
}

/// Records a partner's answer. The caller's right to answer for the unit is checked by the
/// handler (ManageActivities at the partner unit).
pub async fn respond(
    db: &Db,
    activity_id: i64,
    unit_id: i64,
    confirm: bool,
    caller: &Caller,
    now: &str,
    audit: crate::audit::Entry<'_>,
) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE activity_units SET status = $1, responded_at = $2, responded_by = $3 WHERE activity_id = $4 AND unit_id = $5",
    )
    .bind(if confirm { "confirmed" } else { "declined" })
    .bind(now)
    .bind(caller.user_id)
    .bind(activity_id)
    .bind(unit_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::not_found("该联办邀请"));
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Work-plan items: what the main center plans to do, in which CST month, with which units, and
// the activities that carry it out. The status is derived, never typed in.

/// "Held", as the counting rules say: published (or finished), not cancelled, ended.
const HELD_SQL: &str =
    "s.status = 'scheduled' AND a.status IN ('published','finished') AND s.ends_at <= $NOW";

#[derive(Debug, Clone, Object, Serialize)]
pub struct ItemUnit {
    pub unit_id: i64,
    pub unit_name: String,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct ItemActivity {
    pub activity_id: i64,
    pub title: String,
    /// The activity's status (`draft`, `published`, `finished`, `cancelled`).
    pub status: String,
    pub organizer_name: String,
    pub sessions: i64,
    /// Sessions held so far.
    pub held: i64,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct PlanItem {
    pub id: i64,
    pub year: i32,
    pub title: String,
    /// CST month, `YYYY-MM`.
    pub month: String,
    pub note: String,
    pub units: Vec<ItemUnit>,
    pub activities: Vec<ItemActivity>,
    /// Held sessions of the linked activities.
    pub held_sessions: i64,
    /// `planned`, `scheduled`, `held`, `overdue` or `closed` (see `item_status`).
    pub status: String,
    pub status_label: String,
    pub closed_at: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct PlanItemInput {
    pub title: String,
    /// CST month `YYYY-MM` within the plan's year.
    pub month: String,
    pub note: Option<String>,
    /// The units that take part (at least one, in the district).
    pub unit_ids: Vec<i64>,
}

/// The status of a work-plan item from what carries it out: closed by the main center; held
/// once a linked activity has a held session; overdue when its month has passed with nothing
/// held; scheduled while a linked activity waits to be held; planned while nothing is linked.
pub fn item_status(
    closed: bool,
    month: &str,
    this_month: &str,
    linked: usize,
    held: i64,
) -> &'static str {
    if closed {
        "closed"
    } else if held > 0 {
        "held"
    } else if month < this_month {
        "overdue"
    } else if linked > 0 {
        "scheduled"
    } else {
        "planned"
    }
}

pub fn item_status_label(s: &str) -> &'static str {
    match s {
        "closed" => "已关闭",
        "held" => "已举办",
        "overdue" => "已过期未举办",
        "scheduled" => "已安排活动",
        "planned" => "待安排",
        _ => "",
    }
}

/// Title, month (in the plan's year) and note of an item, checked; units are checked by
/// `item_units`.
pub fn check_item(year: i32, input: &PlanItemInput) -> ApiResult<(String, String, String)> {
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(ApiError::validation("工作事项名称应为 1 到 100 个字"));
    }
    let month = input.month.trim();
    // ASCII first: slicing below must never split a character.
    let ok = month.len() == 7
        && month.is_ascii()
        && month.as_bytes()[4] == b'-'
        && month[..4].parse::<i32>().ok() == Some(year)
        && month[5..]
            .parse::<u32>()
            .is_ok_and(|m| (1..=12).contains(&m))
        && month[5..].chars().all(|c| c.is_ascii_digit());
    if !ok {
        return Err(ApiError::validation(format!(
            "月份应为 {year} 年内的 YYYY-MM（北京时间）"
        )));
    }
    let note = input.note.as_deref().unwrap_or("").trim();
    if note.chars().count() > 500 {
        return Err(ApiError::validation("备注不能超过 500 字"));
    }
    if input.unit_ids.is_empty() || input.unit_ids.len() > 200 {
        return Err(ApiError::validation("请选择参与的单位（1 到 200 个）"));
    }
    Ok((title.into(), month.into(), note.into()))
}

/// The named units, each in the district and open, without repeats.
async fn item_units(
    db: &Db,
    district: &crate::access::UnitRef,
    ids: &[i64],
) -> ApiResult<Vec<i64>> {
    let mut out: Vec<i64> = Vec::new();
    for id in ids {
        if out.contains(id) {
            continue;
        }
        let r = sqlx::query("SELECT path FROM org_units WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?
            .ok_or_else(|| ApiError::not_found("该单位"))?;
        let path: String = r.get("path");
        if !path.starts_with(&district.path) {
            return Err(ApiError::validation("只能选择本区的单位"));
        }
        out.push(*id);
    }
    Ok(out)
}

/// The plan row of the year, created with the current targets (the policy defaults) when the
/// first item is added before any targets were saved.
async fn plan_id_for(
    tx: &mut crate::db::Tx,
    district: i64,
    year: i32,
    p: &PolicySettings,
    caller: &Caller,
    now: &str,
) -> ApiResult<i64> {
    sqlx::query(
        "INSERT INTO plans (district_unit_id, year, performances, lectures_exhibitions, trainings, updated_by, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$7) ON CONFLICT (district_unit_id, year) DO NOTHING",
    )
    .bind(district)
    .bind(year as i64)
    .bind(p.annual_performances)
    .bind(p.annual_lectures_exhibitions)
    .bind(p.annual_trainings)
    .bind(caller.user_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM plans WHERE district_unit_id = $1 AND year = $2")
            .bind(district)
            .bind(year as i64)
            .fetch_one(&mut **tx)
            .await?,
    )
}

async fn set_item_units(tx: &mut crate::db::Tx, item: i64, units: &[i64]) -> ApiResult<()> {
    sqlx::query("DELETE FROM plan_item_units WHERE item_id = $1")
        .bind(item)
        .execute(&mut **tx)
        .await?;
    for u in units {
        sqlx::query("INSERT INTO plan_item_units (item_id, unit_id) VALUES ($1,$2)")
            .bind(item)
            .bind(u)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn create_item(
    db: &Db,
    district: &crate::access::UnitRef,
    year: i32,
    input: &PlanItemInput,
    p: &PolicySettings,
    caller: &Caller,
    now: &str,
    audit: crate::audit::Entry<'_>,
) -> ApiResult<i64> {
    let (title, month, note) = check_item(year, input)?;
    let units = item_units(db, district, &input.unit_ids).await?;
    let mut tx = db.begin().await?;
    let plan = plan_id_for(&mut tx, district.id, year, p, caller, now).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO plan_items (plan_id, title, month, note, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$5) RETURNING id",
    )
    .bind(plan)
    .bind(&title)
    .bind(&month)
    .bind(&note)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    set_item_units(&mut tx, id, &units).await?;
    let mut audit = audit;
    audit.target = format!("plan item {id}");
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(id)
}

/// The year of an item's plan (404 for an unknown item) and whether it is closed.
pub async fn item_year(db: &Db, id: i64) -> ApiResult<(i32, bool)> {
    let r = sqlx::query(
        "SELECT p.year, i.closed_at FROM plan_items i JOIN plans p ON p.id = i.plan_id WHERE i.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该工作事项"))?;
    Ok((
        r.get::<i64, _>("year") as i32,
        r.get::<Option<String>, _>("closed_at").is_some(),
    ))
}

/// Paths of the units an item names (for "within scope" checks).
pub async fn item_unit_paths(db: &Db, id: i64) -> ApiResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT u.path FROM plan_item_units x JOIN org_units u ON u.id = x.unit_id WHERE x.item_id = $1",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?)
}

pub async fn update_item(
    db: &Db,
    district: &crate::access::UnitRef,
    id: i64,
    input: &PlanItemInput,
    now: &str,
    audit: crate::audit::Entry<'_>,
) -> ApiResult<()> {
    let (year, _) = item_year(db, id).await?;
    let (title, month, note) = check_item(year, input)?;
    let units = item_units(db, district, &input.unit_ids).await?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE plan_items SET title = $1, month = $2, note = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(&title)
    .bind(&month)
    .bind(&note)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    set_item_units(&mut tx, id, &units).await?;
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// Closes an item (or reopens it): it stays in the plan, no longer chased.
pub async fn close_item(
    db: &Db,
    id: i64,
    close: bool,
    now: &str,
    audit: crate::audit::Entry<'_>,
) -> ApiResult<()> {
    item_year(db, id).await?;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE plan_items SET closed_at = $1, updated_at = $2 WHERE id = $3")
        .bind(if close { Some(now) } else { None })
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes an item with its units and links (the activities themselves stay).
pub async fn delete_item(
    db: &Db,
    id: i64,
    now: &str,
    audit: crate::audit::Entry<'_>,
) -> ApiResult<()> {
    item_year(db, id).await?;
    let mut tx = db.begin().await?;
    for sql in [
        "DELETE FROM plan_item_units WHERE item_id = $1",
        "DELETE FROM plan_item_activities WHERE item_id = $1",
        "DELETE FROM plan_items WHERE id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// Links an activity that carries the item out (or unlinks it). A closed item takes no new
/// links; a cancelled activity cannot carry anything out.
pub async fn link_activity(
    db: &Db,
    id: i64,
    activity_id: i64,
    link: bool,
    now: &str,
    audit: crate::audit::Entry<'_>,
) -> ApiResult<()> {
    let (_, closed) = item_year(db, id).await?;
    let mut tx = db.begin().await?;
    if link {
        if closed {
            return Err(ApiError::validation("该工作事项已关闭，不能再关联活动"));
        }
        let status: String = sqlx::query_scalar("SELECT status FROM activities WHERE id = $1")
            .bind(activity_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| ApiError::not_found("该活动"))?;
        if status == "cancelled" {
            return Err(ApiError::validation("已取消的活动不能关联到工作事项"));
        }
        sqlx::query(
            "INSERT INTO plan_item_activities (item_id, activity_id) VALUES ($1,$2) ON CONFLICT (item_id, activity_id) DO NOTHING",
        )
        .bind(id)
        .bind(activity_id)
        .execute(&mut *tx)
        .await?;
    } else {
        let n =
            sqlx::query("DELETE FROM plan_item_activities WHERE item_id = $1 AND activity_id = $2")
                .bind(id)
                .bind(activity_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if n == 0 {
            return Err(ApiError::not_found("该关联"));
        }
    }
    crate::audit::record(&mut tx, now, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// The year's items the caller sees: all of them when `all` (the caller reads the whole
/// district), else those naming a unit in `scope`; narrowed to items naming a unit under
/// `under` when given.
pub async fn items(
    db: &Db,
    district: i64,
    year: i32,
    scope: &Scope,
    all: bool,
    under: Option<&str>,
    now: Ts,
) -> ApiResult<Vec<PlanItem>> {
    let visible = if all {
        "1=1".to_string()
    } else {
        format!(
            "EXISTS (SELECT 1 FROM plan_item_units x JOIN org_units u ON u.id = x.unit_id WHERE x.item_id = i.id AND {})",
            scope.sql("u.path")
        )
    };
    let narrowed = match under {
        Some(p) => format!(
            "EXISTS (SELECT 1 FROM plan_item_units x JOIN org_units u ON u.id = x.unit_id WHERE x.item_id = i.id AND {})",
            crate::access::subtree_sql("u.path", p)
        ),
        None => "1=1".into(),
    };
    let rows = sqlx::query(&format!(
        "SELECT i.id, i.title, i.month, i.note, i.closed_at, i.created_at FROM plan_items i JOIN plans p ON p.id = i.plan_id \
         WHERE p.district_unit_id = $1 AND p.year = $2 AND {visible} AND {narrowed} ORDER BY i.month, i.id LIMIT 1000"
    ))
    .bind(district)
    .bind(year as i64)
    .fetch_all(db.pool())
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
    let mut units: HashMap<i64, Vec<ItemUnit>> = HashMap::new();
    let mut acts: HashMap<i64, Vec<ItemActivity>> = HashMap::new();
    let now_s = time::fmt(now);
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        for r in sqlx::query(&format!(
            "SELECT x.item_id, u.id, u.short_name FROM plan_item_units x JOIN org_units u ON u.id = x.unit_id \
             WHERE x.item_id IN ({list}) ORDER BY u.path"
        ))
        .fetch_all(db.pool())
        .await?
        {
            units.entry(r.get("item_id")).or_default().push(ItemUnit {
                unit_id: r.get("id"),
                unit_name: r.get("short_name"),
            });
        }
        for r in sqlx::query(&format!(
            "SELECT x.item_id, a.id, a.title, a.status, ou.short_name AS organizer_name, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM sessions s WHERE s.activity_id = a.id) AS n, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM sessions s WHERE s.activity_id = a.id AND {}) AS held \
             FROM plan_item_activities x JOIN activities a ON a.id = x.activity_id \
             JOIN org_units ou ON ou.id = a.organizer_unit_id WHERE x.item_id IN ({list}) ORDER BY a.id",
            HELD_SQL.replace("$NOW", "$1")
        ))
        .bind(&now_s)
        .fetch_all(db.pool())
        .await?
        {
            acts.entry(r.get("item_id")).or_default().push(ItemActivity {
                activity_id: r.get("id"),
                title: r.get("title"),
                status: r.get("status"),
                organizer_name: r.get("organizer_name"),
                sessions: r.get("n"),
                held: r.get("held"),
            });
        }
    }
    let this_month = time::cst_month(now);
    Ok(rows
        .iter()
        .map(|r| {
            let id: i64 = r.get("id");
            let month: String = r.get("month");
            let closed_at: Option<String> = r.get("closed_at");
            let activities = acts.remove(&id).unwrap_or_default();
            let held: i64 = activities.iter().map(|a| a.held).sum();
            let status = item_status(
                closed_at.is_some(),
                &month,
                &this_month,
                activities.len(),
                held,
            );
            PlanItem {
                id,
                year,
                title: r.get("title"),
                month,
                note: r.get("note"),
                units: units.remove(&id).unwrap_or_default(),
                activities,
                held_sessions: held,
                status: status.into(),
                status_label: item_status_label(status).into(),
                closed_at,
                created_at: r.get("created_at"),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> SessionFacts {
        SessionFacts {
            kind: "performance".into(),
            activity_status: "published".into(),
            session_status: "scheduled".into(),
            place_level: "point".into(),
            ends_at: time::parse("2026-03-01T10:00:00Z").unwrap(),
            delivered: false,
            partners: vec!["confirmed".into()],
        }
    }
    fn now() -> Ts {
        time::parse("2026-06-01T00:00:00Z").unwrap()
    }

    #[test]
    fn rules_in_order() {
        assert_eq!(classify(&facts(), now()).reason, "counted");
        let mut f = facts();
        f.session_status = "cancelled".into();
        assert_eq!(classify(&f, now()).reason, "cancelled");
        let mut f = facts();
        f.ends_at = time::parse("2026-07-01T00:00:00Z").unwrap();
        assert!(!classify(&f, now()).counted);
        let mut f = facts();
        f.place_level = "main".into();
        assert_eq!(classify(&f, now()).reason, "held_at_main_center");
        f.kind = "lecture".into();
        assert!(classify(&f, now()).counted);
        let mut f = facts();
        f.partners = vec!["pending".into()];
        let v = classify(&f, now());
        assert!(v.counted && !v.joint);
        assert_eq!(v.reason, "partner_pending");
        f.partners = vec!["declined".into()];
        assert_eq!(classify(&f, now()).reason, "partner_declined");
        f.delivered = true;
        assert!(classify(&f, now()).joint);
    }

    fn alloc(
        unit_id: i64,
        level: &str,
        parent: Option<i64>,
        category: &str,
        target: i64,
    ) -> AllocFact {
        AllocFact {
            unit_id,
            unit_name: format!("u{unit_id}"),
            level: level.into(),
            parent_id: parent,
            category: category.into(),
            target,
        }
    }

    fn balance(allocs: &[AllocFact]) -> (Vec<AllocationBalance>, Option<String>) {
        let names: HashMap<i64, String> = [(4, "园岭".to_string()), (5, "南园".to_string())].into();
        allocation_balance((1, "全区"), |_| 20, allocs, &names)
    }

    #[test]
    fn branches_fit_within_the_district() {
        let (b, refusal) = balance(&[
            alloc(4, "branch", Some(1), "performances", 12),
            alloc(5, "branch", Some(1), "performances", 8),
        ]);
        assert!(refusal.is_none());
        let d = b
            .iter()
            .find(|x| x.unit_id == 1 && x.category == "performances")
            .unwrap();
        assert_eq!(
            (d.allocated, d.remaining, d.state.as_str()),
            (20, 0, "full")
        );
        let d = b
            .iter()
            .find(|x| x.unit_id == 1 && x.category == "trainings")
            .unwrap();
        assert_eq!((d.allocated, d.state.as_str()), (0, "under"));
        let (b, refusal) = balance(&[
            alloc(4, "branch", Some(1), "performances", 12),
            alloc(5, "direct_branch", Some(1), "performances", 9),
        ]);
        assert!(refusal.unwrap().contains("超过了全区目标（20）"));
        let d = b
            .iter()
            .find(|x| x.unit_id == 1 && x.category == "performances")
            .unwrap();
        assert_eq!((d.remaining, d.state.as_str()), (-1, "over"));
    }

    #[test]
    fn points_fit_within_their_branch_per_kind() {
        let ok = [
            alloc(4, "branch", Some(1), "trainings", 6),
            alloc(27, "point", Some(4), "trainings", 4),
            alloc(28, "point", Some(4), "trainings", 2),
        ];
        let (b, refusal) = balance(&ok);
        assert!(refusal.is_none());
        let br = b
            .iter()
            .find(|x| x.unit_id == 4 && x.category == "trainings")
            .unwrap();
        assert_eq!((br.target, br.allocated, br.state.as_str()), (6, 6, "full"));
        // One more at a point of that branch is too many.
        let mut over = ok.to_vec();
        over.push(alloc(29, "point", Some(4), "trainings", 1));
        let (_, refusal) = balance(&over);
        assert_eq!(
            refusal.unwrap(),
            "园岭的公益性艺术培训分配合计（7）超过了该分馆的分配数（6）"
        );
        // Another kind is checked on its own: the branch has no lectures to hand down.
        let mut other = ok.to_vec();
        other.push(alloc(27, "point", Some(4), "lectures_exhibitions", 1));
        let (b, refusal) = balance(&other);
        assert!(refusal.unwrap().contains("讲座、展览"));
        let br = b
            .iter()
            .find(|x| x.unit_id == 4 && x.category == "lectures_exhibitions")
            .unwrap();
        assert_eq!((br.target, br.allocated, br.state.as_str()), (0, 1, "over"));
        // Points of another branch do not use this branch's allocation.
        let mut elsewhere = ok.to_vec();
        elsewhere.push(alloc(5, "branch", Some(1), "trainings", 3));
        elsewhere.push(alloc(40, "point", Some(5), "trainings", 3));
        assert!(balance(&elsewhere).1.is_none());
    }

    #[test]
    fn item_status_from_what_carries_it_out() {
        assert_eq!(item_status(false, "2026-05", "2026-04", 0, 0), "planned");
        assert_eq!(item_status(false, "2026-05", "2026-04", 1, 0), "scheduled");
        assert_eq!(item_status(false, "2026-05", "2026-06", 1, 0), "overdue");
        assert_eq!(item_status(false, "2026-05", "2026-06", 0, 0), "overdue");
        assert_eq!(item_status(false, "2026-05", "2026-06", 1, 2), "held");
        assert_eq!(item_status(true, "2026-05", "2026-06", 1, 2), "closed");
    }

    #[test]
    fn item_month_is_in_the_plan_year() {
        let input = |month: &str| PlanItemInput {
            title: "  春节送戏下基层 ".into(),
            month: month.into(),
            note: None,
            unit_ids: vec![4],
        };
        assert_eq!(
            check_item(2026, &input("2026-02")).unwrap().0,
            "春节送戏下基层"
        );
        for bad in [
            "2027-02",
            "2026-13",
            "2026-00",
            "2026-2",
            "2026/02",
            "2026-+2",
            "12€-0",
            "2€6-02",
            "二〇二六-02",
        ] {
            assert!(check_item(2026, &input(bad)).is_err(), "{bad}");
        }
        let mut none = input("2026-02");
        none.unit_ids.clear();
        assert!(check_item(2026, &none).is_err());
    }

    #[test]
    fn line_is_ancestors_and_descendants() {
        assert!(on_line("/1/4/17/", "/1/"));
        assert!(on_line("/1/4/17/", "/1/4/"));
        assert!(on_line("/1/4/", "/1/4/17/"));
        assert!(!on_line("/1/4/17/", "/1/5/"));
        assert!(!on_line("/1/4/17/", "/1/4/18/"));
        assert!(!on_line("/1/4/", "/1/4/"));
        assert!(!on_line("/1/4/", "/1/45/"));
    }

    /// `pace_changes` names the exact instant the shown pace moves: unchanged a nanosecond
    /// before, changed at it, and (checked second by second for fast-moving targets) never
    /// earlier.
    #[test]
    fn pace_changes_at_the_exact_step() {
        let shown = |t: i64, at: Ts| pace_needed(t, year_fraction(2026, at));
        let nows = [
            "2025-12-31T15:00:00Z",
            "2025-12-31T16:00:00Z",
            "2025-12-31T16:00:00.400Z",
            "2026-03-17T08:21:13.999Z",
            "2026-06-01T00:00:00Z",
            "2026-12-31T15:59:58.5Z",
            "2026-12-31T16:00:00Z",
            "2027-02-01T00:00:00Z",
        ];
        for now in nows.map(|n| time::parse(n).unwrap()) {
            for t in [1, 3, 7, 12, 100, 365, 2000, 12_345, 100_000, -5] {
                let here = shown(t, now);
                match pace_changes(2026, [t], now) {
                    Some(u) => {
                        assert!(u > now, "{t} at {now}: {u}");
                        let before = u - chrono::Duration::nanoseconds(1);
                        assert_eq!(shown(t, before), here, "{t} at {now}: before {u}");
                        assert_ne!(shown(t, u), here, "{t} at {now}: at {u}");
                        if (u - now).num_seconds() < 20_000 {
                            let mut s = now;
                            while s < u {
                                assert_eq!(shown(t, s), here, "{t} at {now}: {s} before {u}");
                                s += chrono::Duration::seconds(1);
                            }
                        }
                    }
                    None => {
                        let end = time::parse("2027-01-01T00:00:00Z").unwrap();
                        assert_eq!(shown(t, end), here, "{t} at {now}: never changes");
                    }
                }
            }
            let all = pace_changes(2026, [7, 2000, 0, 7], now);
            let each = [7, 2000]
                .iter()
                .filter_map(|t| pace_changes(2026, [*t], now))
                .min();
            assert_eq!(all, each, "the earliest of several at {now}");
            assert_eq!(pace_changes(2026, [0], now), None);
        }
    }

    fn session(id: i64, path: &str, kind: &str, status: &str, ends_at: &str) -> SessionRow {
        let ends = time::parse(ends_at).unwrap();
        SessionRow {
            shown: CountedSession {
                session_id: id,
                activity_id: id,
                title: format!("s{id}"),
                kind: kind.into(),
                category: category_of(kind).unwrap().into(),
                is_course: false,
                lesson_no: 1,
                unit_id: 3,
                unit_name: "point".into(),
                unit_path: path.into(),
                starts_at: time::fmt(ends - chrono::Duration::hours(1)),
                month: time::cst_month(ends - chrono::Duration::hours(1)),
                delivered: false,
                partners: vec![],
                counted: false,
                joint: false,
                reason: String::new(),
                reason_label: String::new(),
            },
            facts: SessionFacts {
                kind: kind.into(),
                activity_status: "published".into(),
                session_status: status.into(),
                place_level: "point".into(),
                ends_at: ends,
                delivered: false,
                partners: vec![],
            },
            ends_known: true,
        }
    }

    fn year_facts(allocations: Vec<Allocation>) -> YearFacts {
        let unit = |id: i64, level: &str, path: &str| UnitRow {
            id,
            short_name: format!("u{id}"),
            level: level.into(),
            path: path.into(),
        };
        YearFacts {
            year: 2026,
            plan: Plan {
                year: 2026,
                district_unit_id: 1,
                performances: 40,
                lectures_exhibitions: 30,
                trainings: 20,
                is_default: false,
                allocations,
                balance: vec![],
            },
            sessions: vec![
                session(
                    1,
                    "/1/2/3/",
                    "performance",
                    "scheduled",
                    "2026-03-01T10:00:00Z",
                ),
                // Cancelled: its end changes nothing.
                session(2, "/1/2/3/", "lecture", "cancelled", "2026-06-01T02:00:00Z"),
                // Another branch's, ending first: the first branch's answers do not see it.
                session(3, "/1/4/", "lecture", "scheduled", "2026-06-01T03:00:00Z"),
                session(
                    4,
                    "/1/2/3/",
                    "training",
                    "scheduled",
                    "2026-06-01T05:00:00Z",
                ),
                session(
                    5,
                    "/1/2/3/",
                    "performance",
                    "scheduled",
                    "2026-06-02T05:00:00Z",
                ),
            ],
            units: vec![
                unit(1, "main", "/1/"),
                unit(2, "branch", "/1/2/"),
                unit(3, "point", "/1/2/3/"),
                unit(4, "branch", "/1/4/"),
            ],
            lists: SessionLists::default(),
            answers: Default::default(),
        }
    }

    /// A report (and a session page) is what `report` answers for every `now` up to its
    /// `until`, and differs at it: the earliest end of a session it counts as not held yet, or
    /// the next step of a pace figure, whichever comes first.
    #[test]
    fn report_until_the_next_change() {
        let now = time::parse("2026-06-01T00:00:00Z").unwrap();
        let json = |r: Report| serde_json::to_value(r).unwrap();
        let branch = crate::access::UnitRef {
            id: 2,
            path: "/1/2/".into(),
        };
        let root = crate::access::UnitRef {
            id: 1,
            path: "/1/".into(),
        };
        let scope = Scope::subtree("/1/2/");
        let district = Scope::subtree("/1/");

        // No allocation: the branch's pace is 0 throughout, so only session 4's end counts.
        let f = year_facts(vec![]);
        let (r, until) = report_until(&f, &scope, &branch, now);
        let end4 = time::parse("2026-06-01T05:00:00Z").unwrap();
        assert_eq!(until, Some(end4));
        let r = json(r);
        let before = end4 - chrono::Duration::nanoseconds(1);
        assert_eq!(json(report(&f, &scope, &branch, before)), r);
        assert_ne!(json(report(&f, &scope, &branch, end4)), r);
        let page = session_page(&f, &scope, "/1/2/", None, now, 0, 50);
        assert_eq!(page.until, Some(end4));
        let first = session_page(&f, &scope, "/1/2/", None, now, 0, 1);
        assert_eq!(first.until, None, "the page shows only a held session");

        // The district sees session 3, which ends first; its targets' pace moves every few
        // days (40 a year), later than that.
        let (_, until) = report_until(&f, &district, &root, now);
        let end3 = time::parse("2026-06-01T03:00:00Z").unwrap();
        assert_eq!(until, Some(end3));
        // After the last end, only the pace is left.
        let late = time::parse("2026-06-03T00:00:00Z").unwrap();
        let (r, until) = report_until(&f, &district, &root, late);
        let pace = pace_changes(2026, [40, 30, 20], late).unwrap();
        assert_eq!(until, Some(pace));
        let r = json(r);
        let before = pace - chrono::Duration::nanoseconds(1);
        assert_eq!(json(report(&f, &district, &root, before)), r);
        assert_ne!(json(report(&f, &district, &root, pace)), r);

        // An allocation shown in a unit row counts too: 5000 a year moves within two hours.
        let f = year_facts(vec![Allocation {
            unit_id: 3,
            category: "trainings".into(),
            target: 5000,
        }]);
        let (_, until) = report_until(&f, &scope, &branch, now);
        let step = pace_changes(2026, [5000], now).unwrap();
        assert!(step < end4);
        assert_eq!(until, Some(step));
    }
}
