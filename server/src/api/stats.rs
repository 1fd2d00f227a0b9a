use super::ApiTags;
use crate::access::Action;
use crate::error::ApiError;
use crate::export::{Download, ExportFormat};
use crate::state::AppState;
use crate::stats::{self, DemandRow, ReplyStats, SatisfactionRow, Staffing, Target};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
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
    items: Vec<Target>,
}

#[derive(Object)]
struct StaffingList {
    items: Vec<Staffing>,
}

fn year_or_now(st: &AppState, year: Option<i32>) -> Result<i32, ApiError> {
    let y = year.unwrap_or_else(|| chrono::Datelike::year(&st.clock.now()));
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

    /// The policy's annual supply targets and how far along the year is, in my scope.
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
    ) -> Result<Json<Targets>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStats, unit_id.0)
            .await?;
        let year = year_or_now(&st, year.0)?;
        Ok(Json(Targets {
            year,
            items: stats::targets(&st.db, &scope, &under, year, &st.settings.policy).await?,
        }))
    }

    /// Staff per unit against the policy's minimums, in my scope.
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
            items: stats::staffing(&st.db, &scope, &under, &st.settings.policy).await?,
        }))
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
