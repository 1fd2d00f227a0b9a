use super::ApiTags;
use crate::access::Action;
use crate::error::ApiError;
use crate::export::{Download, ExportFormat};
use crate::people::{self, Coverage, Staffing};
use crate::plans::{self, CountedSession, TargetRow, TrendPoint, UnitTargets};
use crate::state::AppState;
use crate::stats::{self, DemandRow, ReplyStats, SatisfactionRow};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;
use poem_openapi::{Object, OpenApi};

pub struct StatsApi;

#[derive(Object)]
struct Satisfaction {
    items: Vec<SatisfactionRow>,
}

#[derive(Object)]
struct Demand {
    items: Vec<DemandRow>,
}

#[derive(Object)]
struct Targets {
    year: i32,
    /// The unit the figures are for (the district's root for the district view).
    unit_id: i64,
    unit_name: String,
    /// No plan saved for the year: the targets are the configured policy defaults.
    plan_is_default: bool,
    items: Vec<TargetRow>,
    /// Branches and points below, each counting the sessions held in its subtree.
    units: Vec<UnitTargets>,
    /// Cumulative joint sessions per CST month against an even pace.
    trend: Vec<TrendPoint>,
}

#[derive(Object)]
struct TargetSessions {
    year: i32,
    /// Sessions matching the filters, before paging.
    total: i64,
    /// This page, in (starts_at, session id) order.
    items: Vec<CountedSession>,
}

/// The path of the unit a targets request is about: the one named, else the caller's one
/// subtree, else the district (filtered by the caller's scope).
fn targets_path<'a>(
    scope: &'a crate::access::Scope,
    under: &'a str,
    named: Option<i64>,
    root: &'a crate::access::UnitRef,
) -> &'a str {
    match (named, scope.single()) {
        (Some(_), _) => under,
        (None, Some(one)) => one,
        (None, None) => &root.path,
    }
}

/// The unit at `path` as the year's facts hold it (every unit is in them, as new as the
/// targets' version row the request read; D273).
fn targets_unit(
    facts: &plans::YearFacts,
    path: &str,
) -> Result<(crate::access::UnitRef, String), ApiError> {
    let u = facts
        .unit(path)
        .ok_or_else(|| ApiError::not_found("该单位"))?;
    Ok((
        crate::access::UnitRef {
            id: u.id,
            path: u.path.clone(),
        },
        u.short_name.clone(),
    ))
}

#[derive(Object)]
struct StaffingList {
    items: Vec<Staffing>,
}

fn year_or_now(st: &AppState, year: Option<i32>) -> Result<i32, ApiError> {
    // Plans and targets run on China Standard Time years.
    let y = year.unwrap_or_else(|| crate::time::cst_year(st.clock.now()));
    if !(2000..=2100).contains(&y) {
        return Err(ApiError::validation("年份无效"));
    }
    Ok(y)
}

fn month_start(s: Option<&str>, default: &str) -> Result<String, ApiError> {
    match s {
        None => Ok(default.to_string()),
        Some(m) => {
            chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .map_err(|_| ApiError::validation("月份格式应为 2026-11"))?;
            Ok(format!("{m}-01T00:00:00Z"))
        }
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Stats")]
impl StatsApi {
    /// Satisfaction per unit, kind and month, in my scope.
    #[oai(
        path = "/stats/satisfaction",
        method = "get",
        operation_id = "stats_satisfaction"
    )]
    async fn satisfaction(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
        /// First month, `YYYY-MM`.
        from: Query<Option<String>>,
        /// Month after the last, `YYYY-MM`.
        to: Query<Option<String>>,
    ) -> Result<Json<Satisfaction>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStats, unit_id.0)
            .await?;
        let from = month_start(from.0.as_deref(), "2000-01-01T00:00:00Z")?;
        let to = month_start(to.0.as_deref(), "2100-01-01T00:00:00Z")?;
        Ok(Json(Satisfaction {
            items: stats::satisfaction(&st.db, &scope, &under, &from, &to).await?,
        }))
    }

    /// Demand by unit and kind, share fulfilled and time to fulfil, in my scope.
    #[oai(path = "/stats/demand", method = "get", operation_id = "stats_demand")]
    async fn demand(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<Demand>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStats, unit_id.0)
            .await?;
        Ok(Json(Demand {
            items: stats::demand(&st.db, &scope, &under).await?,
        }))
    }

    /// Reply rate and time to first reply, in my scope.
    #[oai(
        path = "/stats/replies",
        method = "get",
        operation_id = "stats_replies"
    )]
    async fn replies(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<ReplyStats>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStats, unit_id.0)
            .await?;
        Ok(Json(stats::replies(&st.db, &scope, &under).await?))
    }

    /// The year's targets counted per held session (docs/plans.md): for the unit (or the
    /// district), its branches and points, and the trend against the pace needed, in my scope.
    #[oai(
        path = "/stats/targets",
        method = "get",
        operation_id = "stats_targets"
    )]
    async fn targets(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
        year: Query<Option<i32>>,
    ) -> Result<super::CachedJson<Targets>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStats, unit_id.0)
            .await?;
        let year = year_or_now(&st, year.0)?;
        let cache = &st.db.targets;
        let (root, facts) = cache.year(&st.db, year, &st.settings.policy).await?;
        let path = targets_path(&scope, &under, unit_id.0, &root);
        let now = st.clock.now();
        // The answer is a function of the facts (the year's), the scope, the unit and `now`
        // only; it is kept with the facts until the next instant `now` would change it (D273).
        let key = format!("targets|{}|{path}", scope.key());
        let json = cache.answer(&facts, key, now, || {
            let (unit, unit_name) = targets_unit(&facts, path)?;
            let (r, until) = plans::report_until(&facts, &scope, &unit, now);
            let json = ToJSON::to_json_string(&Targets {
                year,
                unit_id: unit.id,
                unit_name,
                plan_is_default: facts.plan.is_default,
                items: r.overall,
                units: r.units,
                trend: r.trend,
            });
            Ok((json.into_bytes(), until))
        })?;
        Ok(super::CachedJson::shared(json))
    }

    /// The sessions behind the targets: what counted, what did not and why, in my scope, one
    /// page at a time in (starts_at, session id) order, with the total before paging.
    #[oai(
        path = "/stats/targets/sessions",
        method = "get",
        operation_id = "stats_target_sessions"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn target_sessions(
        &self,
        st: Data<&AppState>,
        req: &Request,
        /// The unit (or the sub-unit drilled into) whose subtree's sessions are listed.
        unit_id: Query<Option<i64>>,
        year: Query<Option<i32>>,
        /// `performances`, `lectures_exhibitions` or `trainings`; all when absent.
        category: Query<Option<String>>,
        /// Page size, 1–500; 50 when absent.
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<i64>>,
        /// Matching sessions to skip; 0 when absent.
        #[oai(validator(minimum(value = "0")))]
        offset: Query<Option<i64>>,
    ) -> Result<super::CachedJson<TargetSessions>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStats, unit_id.0)
            .await?;
        let year = year_or_now(&st, year.0)?;
        let category = category.0.as_deref();
        if let Some(c) = category {
            if !plans::CATEGORIES.contains(&c) {
                return Err(ApiError::validation("目标类别无效").into());
            }
        }
        let offset = usize::try_from(offset.0.unwrap_or(0)).unwrap_or(usize::MAX);
        let limit = usize::try_from(limit.0.unwrap_or(50)).unwrap_or(50);
        let cache = &st.db.targets;
        let (root, facts) = cache.year(&st.db, year, &st.settings.policy).await?;
        let path = targets_path(&scope, &under, unit_id.0, &root);
        let now = st.clock.now();
        // As for `/stats/targets`: kept per facts, scope, unit and parameter (D273).
        let key = format!(
            "sessions|{}|{path}|{}|{offset}|{limit}",
            scope.key(),
            category.unwrap_or("")
        );
        let json = cache.answer(&facts, key, now, || {
            let (unit, _) = targets_unit(&facts, path)?;
            let page =
                plans::session_page(&facts, &scope, &unit.path, category, now, offset, limit);
            let json = ToJSON::to_json_string(&TargetSessions {
                year,
                total: page.total as i64,
                items: page.items,
            });
            Ok((json.into_bytes(), page.until))
        })?;
        Ok(super::CachedJson::shared(json))
    }

    /// Staff per unit against the policy's minimums, counted from the staff register (not app
    /// roles), in my scope.
    #[oai(
        path = "/stats/staffing",
        method = "get",
        operation_id = "stats_staffing"
    )]
    async fn staffing(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<StaffingList>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStats, unit_id.0)
            .await?;
        Ok(Json(StaffingList {
            items: people::staffing(
                &st.db,
                &scope,
                &under,
                &st.settings.policy,
                &people::cst_day(st.clock.now()),
            )
            .await?,
        }))
    }

    /// Dual-dispatch (双派) coverage today: branches with a dispatched deputy head, points with
    /// a dispatched instructor, and the gaps, in my scope.
    #[oai(
        path = "/stats/dispatch-coverage",
        method = "get",
        operation_id = "stats_dispatch_coverage"
    )]
    async fn dispatch_coverage(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<Coverage>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStats, unit_id.0)
            .await?;
        Ok(Json(
            people::coverage(&st.db, &scope, &under, &people::cst_day(st.clock.now())).await?,
        ))
    }

    /// The activity ledger (台账) of a China-time year as CSV or xlsx (`format`): the workbook's 活动 sheet, in my scope.
    #[oai(
        path = "/stats/ledger.csv",
        method = "get",
        operation_id = "stats_ledger"
    )]
    async fn ledger(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
        year: Query<Option<i32>>,
        /// `csv` (default) or `xlsx`.
        format: Query<Option<ExportFormat>>,
    ) -> Result<Download> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ExportLedger, unit_id.0)
            .await?;
        let year = year_or_now(&st, year.0)?;
        let period = crate::ledger::Period::new(year, None)?;
        let mut t =
            crate::ledger::activities(&st.db, &scope, &under, &period, &st.clock.now_str()).await?;
        // Downloaded on its own, the sheet says which year it is.
        t.name = format!("{year}年活动台账");
        Ok(Download::table(&t, format.0, &format!("ledger-{year}"))?)
    }
}
