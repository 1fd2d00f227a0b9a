use super::ApiTags;
use crate::access::Action;
use crate::error::ApiError;
use crate::reports::{self, NewReport, ReportItem};
use crate::state::AppState;
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct ReportsApi;

#[derive(Object)]
struct ReportCreated {
    id: i64,
}

#[derive(Object)]
struct ReportReason {
    code: String,
    label: String,
}

#[derive(Object)]
struct ReportReasons {
    items: Vec<ReportReason>,
}

#[derive(Object)]
struct ReportQueue {
    items: Vec<ReportItem>,
}

#[derive(Object)]
struct ReportDecision {
    /// `uphold` (hide the item) or `dismiss` (keep it).
    decision: String,
    /// For the audit trail.
    #[oai(validator(max_length = 200))]
    note: Option<String>,
}

#[derive(Object)]
struct ReportsDecided {
    /// How many reports were decided (every open report of the item).
    reports: i64,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Feedback")]
impl ReportsApi {
    /// The reasons a report can give (举报原因).
    #[oai(
        path = "/reports/reasons",
        method = "get",
        operation_id = "report_reasons"
    )]
    async fn reasons(&self) -> Json<ReportReasons> {
        Json(ReportReasons {
            items: reports::REASONS
                .iter()
                .map(|(c, l)| ReportReason {
                    code: (*c).into(),
                    label: (*l).into(),
                })
                .collect(),
        })
    }

    /// Report a public comment or a demand (举报): once per person and item; the outcome
    /// arrives in 我的消息.
    #[oai(path = "/reports", method = "post", operation_id = "report_create")]
    async fn create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewReport>,
    ) -> Result<Json<ReportCreated>> {
        let caller = st.caller(req).await?;
        let id = reports::report(&st.db, caller.user_id, &body.0, st.clock.now()).await?;
        Ok(Json(ReportCreated { id }))
    }

    /// ReportCreated items with open reports in my scope, most reported first.
    #[oai(path = "/reports", method = "get", operation_id = "report_queue")]
    async fn queue(
        &self,
        st: Data<&AppState>,
        req: &Request,
        /// Only this unit and the units under it.
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<ReportQueue>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ModerateReports, unit_id.0)
            .await?;
        Ok(Json(ReportQueue {
            items: reports::queue(&st.db, &scope, &under).await?,
        }))
    }

    /// Uphold (hide the item) or dismiss every open report of an item; audited, and each
    /// reporter is told.
    #[oai(
        path = "/reports/:kind/:id/decide",
        method = "post",
        operation_id = "report_decide"
    )]
    async fn decide(
        &self,
        st: Data<&AppState>,
        req: &Request,
        /// `rating` or `demand`.
        kind: Path<String>,
        id: Path<i64>,
        body: Json<ReportDecision>,
    ) -> Result<Json<ReportsDecided>> {
        let caller = st.caller(req).await?;
        let to = reports::decision(&body.decision)?;
        let kind = reports::target_kind(&kind.0)?;
        let place = reports::place(&st.db, kind, id.0).await?;
        st.authorize(req, &caller, Action::ModerateReports, &place)
            .await?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let reporters =
            reports::decide(&mut tx, kind, id.0, to, caller.user_id, st.clock.now()).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "report_decided",
            Some(place.id),
            format!("{kind} {}", id.0),
            format!(
                "{to} ({} reports){}",
                reporters.len(),
                body.note
                    .as_deref()
                    .map(|n| format!(": {}", n.trim()))
                    .unwrap_or_default()
            ),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(ReportsDecided {
            reports: reporters.len() as i64,
        }))
    }
}
