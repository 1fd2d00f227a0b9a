//! Yearly plans (targets and allocations) and partners confirming joint activities.

use super::{ApiTags, Done};
use crate::access::Action;
use crate::error::ApiError;
use crate::plans::{self, PartnerRequest, Plan, PlanInput};
use crate::state::{ctx, AppState};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct PlansApi;

#[derive(Object)]
struct PartnerRequests {
    items: Vec<PartnerRequest>,
}

fn valid_year(y: i32) -> Result<i32, ApiError> {
    if !(2000..=2100).contains(&y) {
        return Err(ApiError::validation("年份无效"));
    }
    Ok(y)
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Stats")]
impl PlansApi {
    /// The district's plan for a CST year: targets (policy defaults until saved) and allocations.
    #[oai(path = "/plans/:year", method = "get", operation_id = "plan_get")]
    async fn get(&self, st: Data<&AppState>, req: &Request, year: Path<i32>) -> Result<Json<Plan>> {
        let caller = st.caller(req).await?;
        st.scoped(req, &caller, Action::ReadStats, None).await?;
        let year = valid_year(year.0)?;
        let root = crate::org::root(&st.db)
            .await?
            .ok_or_else(ApiError::internal)?;
        Ok(Json(
            plans::load(&st.db, root.id, year, &st.settings.policy).await?,
        ))
    }

    /// Sets the year's targets and allocations to branches and points (main center).
    #[oai(path = "/plans/:year", method = "put", operation_id = "plan_save")]
    async fn save(
        &self,
        st: Data<&AppState>,
        req: &Request,
        year: Path<i32>,
        body: Json<PlanInput>,
    ) -> Result<Json<Plan>> {
        let caller = st.caller(req).await?;
        let root = crate::org::root(&st.db)
            .await?
            .ok_or_else(ApiError::internal)?;
        st.authorize(req, &caller, Action::ManagePlan, &root)
            .await?;
        let year = valid_year(year.0)?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "plan_saved",
            Some(root.id),
            format!("plan {year}"),
            format!(
                "{}/{}/{}, {} allocations",
                body.performances,
                body.lectures_exhibitions,
                body.trainings,
                body.allocations.len()
            ),
        );
        plans::save(&st.db, &root, year, &body.0, &caller, &now, entry).await?;
        Ok(Json(
            plans::load(&st.db, root.id, year, &st.settings.policy).await?,
        ))
    }

    /// Joint-activity requests addressed to my units (my inbox as a partner).
    #[oai(
        path = "/partner-requests",
        method = "get",
        operation_id = "partner_requests"
    )]
    async fn inbox(
        &self,
        st: Data<&AppState>,
        req: &Request,
        /// `pending`, `confirmed` or `declined`; all when absent.
        status: Query<Option<String>>,
    ) -> Result<Json<PartnerRequests>> {
        let caller = st.caller(req).await?;
        let (scope, _) = st
            .scoped(req, &caller, Action::ManageActivities, None)
            .await?;
        Ok(Json(PartnerRequests {
            items: plans::inbox(&st.db, &scope, status.0.as_deref()).await?,
        }))
    }

    /// My unit confirms its part in a joint activity; only then does it count as joint.
    #[oai(
        path = "/activities/:id/partners/:unit_id/confirm",
        method = "post",
        operation_id = "partner_confirm"
    )]
    async fn confirm(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        unit_id: Path<i64>,
    ) -> Result<Json<Done>> {
        respond(&st, req, id.0, unit_id.0, true).await
    }

    /// My unit declines a joint activity it was named in.
    #[oai(
        path = "/activities/:id/partners/:unit_id/decline",
        method = "post",
        operation_id = "partner_decline"
    )]
    async fn decline(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        unit_id: Path<i64>,
    ) -> Result<Json<Done>> {
        respond(&st, req, id.0, unit_id.0, false).await
    }
}

async fn respond(
    st: &AppState,
    req: &Request,
    activity_id: i64,
    unit_id: i64,
    confirm: bool,
) -> Result<Json<Done>> {
    let caller = st.caller(req).await?;
    // Only the partner unit itself (or a unit above it) answers for it.
    st.authorize_unit(req, &caller, Action::ManageActivities, unit_id)
        .await?;
    let c = ctx(req);
    let now = st.now();
    let entry = st.audit(
        &c,
        &caller,
        if confirm {
            "partner_confirmed"
        } else {
            "partner_declined"
        },
        Some(unit_id),
        format!("activity {activity_id}"),
        String::new(),
    );
    plans::respond(&st.db, activity_id, unit_id, confirm, &caller, &now, entry).await?;
    Ok(Json(Done { ok: true }))
}
