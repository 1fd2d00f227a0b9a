//! Yearly plans (targets and allocations) and partners confirming joint activities.

use super::{ApiTags, Done};
use crate::access::Action;
use crate::error::ApiError;
use crate::plans::{self, PartnerRequest, Plan, PlanInput, PlanItem, PlanItemInput};
use crate::state::{ctx, AppState};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;
use poem_openapi::{Object, OpenApi};

pub struct PlansApi;

#[derive(Object)]
struct PartnerRequests {
    items: Vec<PartnerRequest>,
}

#[derive(Object)]
struct PlanItems {
    year: i32,
    items: Vec<PlanItem>,
}

#[derive(Object)]
struct Created {
    id: i64,
}

#[derive(Object)]
struct LinkActivity {
    activity_id: i64,
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
    async fn get(
        &self,
        st: Data<&AppState>,
        req: &Request,
        year: Path<i32>,
    ) -> Result<super::CachedJson<Plan>> {
        let caller = st.caller(req).await?;
        st.scoped(req, &caller, Action::ReadStats, None).await?;
        let year = valid_year(year.0)?;
        // From the targets' cache: the targets page asks for the plan with the figures. The
        // plan is the same for every caller and every `now`, so it is kept serialised (D273).
        let cache = &st.db.targets;
        let (_, facts) = cache.year(&st.db, year, &st.settings.policy).await?;
        let json = cache.answer(&facts, "plan".into(), st.clock.now(), || {
            Ok((ToJSON::to_json_string(&facts.plan).into_bytes(), None))
        })?;
        Ok(super::CachedJson::shared(json))
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

    /// The main center's work-plan items of a CST year: all of them for whoever reads the whole
    /// district, else the items naming one of my units; `unit_id` narrows to items naming a
    /// unit in that subtree. Each item's status is derived from its linked activities.
    #[oai(
        path = "/plans/:year/items",
        method = "get",
        operation_id = "plan_items"
    )]
    async fn items(
        &self,
        st: Data<&AppState>,
        req: &Request,
        year: Path<i32>,
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<PlanItems>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStats, unit_id.0)
            .await?;
        let year = valid_year(year.0)?;
        let root = crate::org::root(&st.db)
            .await?
            .ok_or_else(ApiError::internal)?;
        let all = scope.covers(&root.path);
        let items = plans::items(
            &st.db,
            root.id,
            year,
            &scope,
            all,
            unit_id.0.map(|_| under.as_str()),
            st.clock.now(),
        )
        .await?;
        Ok(Json(PlanItems { year, items }))
    }

    /// Adds a work-plan item: what, when (CST month), which units (main center).
    #[oai(
        path = "/plans/:year/items",
        method = "post",
        operation_id = "plan_item_create"
    )]
    async fn item_create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        year: Path<i32>,
        body: Json<PlanItemInput>,
    ) -> Result<Json<Created>> {
        let caller = st.caller(req).await?;
        let root = plan_root(&st, req, &caller).await?;
        let year = valid_year(year.0)?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "plan_item_created",
            Some(root.id),
            String::new(),
            format!("{} {}", body.month, body.title),
        );
        let id = plans::create_item(
            &st.db,
            &root,
            year,
            &body.0,
            &st.settings.policy,
            &caller,
            &now,
            entry,
        )
        .await?;
        Ok(Json(Created { id }))
    }

    /// Edits an item's what, when and units (main center).
    #[oai(
        path = "/plan-items/:id",
        method = "put",
        operation_id = "plan_item_update"
    )]
    async fn item_update(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<PlanItemInput>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let root = plan_root(&st, req, &caller).await?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "plan_item_updated",
            Some(root.id),
            format!("plan item {}", id.0),
            format!("{} {}", body.month, body.title),
        );
        plans::update_item(&st.db, &root, id.0, &body.0, &now, entry).await?;
        Ok(Json(Done { ok: true }))
    }

    /// Closes an item: it stays in the plan, no longer chased (main center).
    #[oai(
        path = "/plan-items/:id/close",
        method = "post",
        operation_id = "plan_item_close"
    )]
    async fn item_close(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        close(&st, req, id.0, true).await
    }

    /// Reopens a closed item (main center).
    #[oai(
        path = "/plan-items/:id/reopen",
        method = "post",
        operation_id = "plan_item_reopen"
    )]
    async fn item_reopen(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        close(&st, req, id.0, false).await
    }

    /// Deletes an item entered by mistake, with its links; the activities stay (main center).
    #[oai(
        path = "/plan-items/:id",
        method = "delete",
        operation_id = "plan_item_delete"
    )]
    async fn item_delete(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let root = plan_root(&st, req, &caller).await?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "plan_item_deleted",
            Some(root.id),
            format!("plan item {}", id.0),
            String::new(),
        );
        plans::delete_item(&st.db, id.0, &now, entry).await?;
        Ok(Json(Done { ok: true }))
    }

    /// Links an activity that carries the item out: the main center, or whoever runs the
    /// activity at a unit the item names.
    #[oai(
        path = "/plan-items/:id/activities",
        method = "post",
        operation_id = "plan_item_link"
    )]
    async fn item_link(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<LinkActivity>,
    ) -> Result<Json<Done>> {
        link(&st, req, id.0, body.activity_id, true).await
    }

    /// Unlinks an activity from the item (the same people as linking).
    #[oai(
        path = "/plan-items/:id/activities/:activity_id",
        method = "delete",
        operation_id = "plan_item_unlink"
    )]
    async fn item_unlink(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        activity_id: Path<i64>,
    ) -> Result<Json<Done>> {
        link(&st, req, id.0, activity_id.0, false).await
    }
}

/// The district's root, once the caller may manage its plan.
async fn plan_root(
    st: &AppState,
    req: &Request,
    caller: &crate::access::Caller,
) -> Result<crate::access::UnitRef, ApiError> {
    let root = crate::org::root(&st.db)
        .await?
        .ok_or_else(ApiError::internal)?;
    st.authorize(req, caller, Action::ManagePlan, &root).await?;
    Ok(root)
}

async fn close(st: &AppState, req: &Request, id: i64, close: bool) -> Result<Json<Done>> {
    let caller = st.caller(req).await?;
    let root = plan_root(st, req, &caller).await?;
    let c = ctx(req);
    let now = st.now();
    let entry = st.audit(
        &c,
        &caller,
        if close {
            "plan_item_closed"
        } else {
            "plan_item_reopened"
        },
        Some(root.id),
        format!("plan item {id}"),
        String::new(),
    );
    plans::close_item(&st.db, id, close, &now, entry).await?;
    Ok(Json(Done { ok: true }))
}

async fn link(
    st: &AppState,
    req: &Request,
    id: i64,
    activity_id: i64,
    on: bool,
) -> Result<Json<Done>> {
    let caller = st.caller(req).await?;
    let paths = plans::item_unit_paths(&st.db, id).await?;
    plans::item_year(&st.db, id).await?;
    let organizer: i64 =
        sqlx::query_scalar("SELECT organizer_unit_id FROM activities WHERE id = $1")
            .bind(activity_id)
            .fetch_optional(st.db.pool())
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("该活动"))?;
    // Whoever runs the activity …
    let unit = st
        .authorize_unit(req, &caller, Action::ManageActivities, organizer)
        .await?;
    // … at a unit the item names, unless they keep the plan itself.
    let root = crate::org::root(&st.db)
        .await?
        .ok_or_else(ApiError::internal)?;
    let mine = crate::access::scope(&caller, Action::ManageActivities);
    if crate::access::check(&caller, Action::ManagePlan, &root).is_err()
        && !paths.iter().any(|p| mine.covers(p))
    {
        st.authorize(req, &caller, Action::ManagePlan, &root)
            .await?;
    }
    let c = ctx(req);
    let now = st.now();
    let entry = st.audit(
        &c,
        &caller,
        if on {
            "plan_item_linked"
        } else {
            "plan_item_unlinked"
        },
        Some(unit.id),
        format!("plan item {id}"),
        format!("activity {activity_id}"),
    );
    plans::link_activity(&st.db, id, activity_id, on, &now, entry).await?;
    Ok(Json(Done { ok: true }))
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
