use super::{ApiTags, Done};
use crate::access::{self, Action};
use crate::demand::{self, DemandView, NewDemand};
use crate::error::ApiError;
use crate::state::AppState;
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct DemandApi;

#[derive(Object)]
struct DemandCreated {
    id: i64,
    /// `published`, or `held` until staff review it.
    visibility: String,
}

#[derive(Object)]
struct DemandList {
    items: Vec<DemandView>,
}

#[derive(Object)]
struct Supported {
    supporters: i64,
}

#[derive(Object)]
struct Triage {
    /// `accepted`, `planned` or `declined`.
    status: String,
    /// Required when declined; shown to residents.
    #[oai(validator(max_length = 200))]
    reason: Option<String>,
}

#[derive(Object)]
struct Merge {
    into_id: i64,
}

#[derive(Object)]
struct Link {
    activity_id: i64,
}

#[derive(Object)]
struct DemandModeration {
    /// `publish` or `reject`.
    decision: String,
}

async fn staff_on(
    st: &AppState,
    req: &Request,
    id: i64,
) -> Result<(access::Caller, access::UnitRef), ApiError> {
    let caller = st.caller(req).await?;
    let place = demand::place(&st.db, id).await?;
    st.authorize(req, &caller, Action::TriageDemand, &place)
        .await?;
    Ok((caller, place))
}

async fn audit(
    st: &AppState,
    req: &Request,
    caller: &access::Caller,
    action: &str,
    unit: i64,
    id: i64,
    detail: String,
) -> Result<(), ApiError> {
    st.record_action(
        req,
        caller,
        action,
        Some(unit),
        format!("demand {id}"),
        detail,
    )
    .await
}

/// The states a demand can be in (the `status` filter).
const DEMAND_STATUSES: &[&str] = &[
    "open",
    "accepted",
    "planned",
    "declined",
    "fulfilled",
    "merged",
];

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Demand")]
impl DemandApi {
    /// Ask for an activity: what, where, when, for whom.
    #[oai(path = "/demands", method = "post", operation_id = "demand_create")]
    async fn create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewDemand>,
    ) -> Result<Json<DemandCreated>> {
        let caller = st.caller(req).await?;
        st.cache
            .rate_limit(
                &format!("user:{}:demand", caller.user_id),
                st.settings.rate_limit.demands_per_hour,
                std::time::Duration::from_secs(3600),
            )
            .await
            .map_err(ApiError::rate_limited)?;
        let id = demand::post(
            &st.db,
            &st.wechat,
            caller.user_id,
            caller.openid.as_deref(),
            &body.0,
            st.clock.now(),
        )
        .await?;
        let v = demand::get(&st.db, id, Some(caller.user_id)).await?;
        Ok(Json(DemandCreated {
            id,
            visibility: v.visibility,
        }))
    }

    /// Published demand requests, most supported first (or newest).
    #[oai(path = "/demands", method = "get", operation_id = "demand_list")]
    async fn list(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
        status: Query<Option<String>>,
        /// `support` (default) or `newest`.
        sort: Query<Option<String>>,
    ) -> Result<Json<DemandList>> {
        crate::input::one_of("status", status.0.as_deref(), DEMAND_STATUSES)?;
        crate::input::one_of("sort", sort.0.as_deref(), &["support", "newest"])?;
        let caller = st.maybe_caller(req).await?;
        let under = match unit_id.0 {
            Some(id) => Some(crate::org::unit_ref(&st.db, id).await?.path),
            None => None,
        };
        let items = demand::list(
            &st.db,
            caller.map(|c| c.user_id),
            None,
            under.as_deref(),
            status.0.as_deref(),
            sort.0.as_deref() != Some("newest"),
            100,
        )
        .await?;
        Ok(Json(DemandList { items }))
    }

    /// My own demand requests, including those waiting for review.
    #[oai(path = "/me/demands", method = "get", operation_id = "my_demands")]
    async fn mine(&self, st: Data<&AppState>, req: &Request) -> Result<Json<DemandList>> {
        let caller = st.caller(req).await?;
        Ok(Json(DemandList {
            items: demand::mine(&st.db, caller.user_id).await?,
        }))
    }

    /// One demand and what became of it. Held ones only for their poster and staff.
    #[oai(path = "/demands/:id", method = "get", operation_id = "demand_get")]
    async fn get(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<DemandView>> {
        let caller = st.maybe_caller(req).await?;
        let v = demand::get(&st.db, id.0, caller.as_ref().map(|c| c.user_id)).await?;
        if v.visibility != "published" {
            let owner: i64 = sqlx::query_scalar("SELECT user_id FROM demands WHERE id = $1")
                .bind(id.0)
                .fetch_one(st.db.pool())
                .await
                .map_err(ApiError::from)?;
            let place = demand::place(&st.db, id.0).await?;
            let allowed = caller.as_ref().is_some_and(|c| {
                c.user_id == owner || access::check(c, Action::TriageDemand, &place).is_ok()
            });
            if !allowed {
                return Err(ApiError::not_found("该需求").into());
            }
        }
        Ok(Json(v))
    }

    /// Support someone's demand (once).
    #[oai(
        path = "/demands/:id/support",
        method = "post",
        operation_id = "demand_support"
    )]
    async fn support(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Supported>> {
        let caller = st.caller(req).await?;
        st.limit(
            &format!("user:{}:support", caller.user_id),
            st.settings.rate_limit.supports_per_minute,
        )
        .await?;
        Ok(Json(Supported {
            supporters: demand::support(&st.db, id.0, caller.user_id, &st.now()).await?,
        }))
    }

    /// Every demand of my scope, held ones included (staff).
    #[oai(
        path = "/manage/demands",
        method = "get",
        operation_id = "demand_manage_list"
    )]
    async fn manage(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
        status: Query<Option<String>>,
    ) -> Result<Json<DemandList>> {
        crate::input::one_of("status", status.0.as_deref(), DEMAND_STATUSES)?;
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::TriageDemand, unit_id.0)
            .await?;
        let items = demand::list(
            &st.db,
            None,
            Some(&scope),
            Some(&under),
            status.0.as_deref(),
            false,
            200,
        )
        .await?;
        Ok(Json(DemandList { items }))
    }

    /// Accept, plan or decline (with a reason residents see).
    #[oai(
        path = "/demands/:id/triage",
        method = "post",
        operation_id = "demand_triage"
    )]
    async fn triage(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Triage>,
    ) -> Result<Json<DemandView>> {
        let (caller, place) = staff_on(&st, req, id.0).await?;
        let reason = body.reason.clone().unwrap_or_default();
        demand::triage(&st.db, id.0, &body.status, &reason, st.clock.now()).await?;
        audit(
            &st,
            req,
            &caller,
            "demand_triaged",
            place.id,
            id.0,
            format!("{} {reason}", body.status),
        )
        .await?;
        Ok(Json(demand::get(&st.db, id.0, None).await?))
    }

    /// Merge a duplicate into another demand of my scope; supporters move over.
    #[oai(
        path = "/demands/:id/merge",
        method = "post",
        operation_id = "demand_merge"
    )]
    async fn merge(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Merge>,
    ) -> Result<Json<DemandView>> {
        let (caller, place) = staff_on(&st, req, id.0).await?;
        let target = demand::place(&st.db, body.into_id).await?;
        st.authorize(req, &caller, Action::TriageDemand, &target)
            .await?;
        demand::merge(&st.db, id.0, body.into_id, &st.now()).await?;
        audit(
            &st,
            req,
            &caller,
            "demand_merged",
            place.id,
            id.0,
            format!("into {}", body.into_id),
        )
        .await?;
        Ok(Json(demand::get(&st.db, body.into_id, None).await?))
    }

    /// Answer a demand with an activity; when it is published, everyone who asked is told.
    #[oai(
        path = "/demands/:id/link",
        method = "post",
        operation_id = "demand_link"
    )]
    async fn link(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Link>,
    ) -> Result<Json<DemandView>> {
        let (caller, place) = staff_on(&st, req, id.0).await?;
        let head = crate::activity::head(&st.db, body.activity_id).await?;
        st.authorize(req, &caller, Action::ManageActivities, &head.organizer)
            .await?;
        demand::link(&st.db, id.0, body.activity_id, st.clock.now()).await?;
        audit(
            &st,
            req,
            &caller,
            "demand_linked",
            place.id,
            id.0,
            format!("activity {}", body.activity_id),
        )
        .await?;
        Ok(Json(demand::get(&st.db, id.0, None).await?))
    }

    /// Publish or reject a demand held by the text security check.
    #[oai(
        path = "/demands/:id/moderate",
        method = "post",
        operation_id = "demand_moderate"
    )]
    async fn moderate(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<DemandModeration>,
    ) -> Result<Json<Done>> {
        let (caller, place) = staff_on(&st, req, id.0).await?;
        let to = demand::decision(&body.decision)?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let n =
            sqlx::query("UPDATE demands SET visibility = $1 WHERE id = $2 AND visibility = 'held'")
                .bind(to)
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(ApiError::from)?
                .rows_affected();
        if n == 0 {
            return Err(ApiError::conflict("not_held", "这条需求不在待审核状态").into());
        }
        tx.commit().await.map_err(ApiError::from)?;
        audit(
            &st,
            req,
            &caller,
            "demand_moderated",
            place.id,
            id.0,
            to.into(),
        )
        .await?;
        Ok(Json(Done { ok: true }))
    }
}
