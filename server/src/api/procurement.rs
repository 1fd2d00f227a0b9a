//! Providers (供给方) and cultural procurement (文化采购). Rules live in `providers.rs` and
//! `procurement.rs`; staff rights in `access.rs` (`ReviewProviders`, `Procure`,
//! `ApprovePurchase`, `ManageBudgets`), a provider's own things by `access::check_provider`.

use super::{ApiTags, Done};
use crate::access::{self, Action};
use crate::activity::{NewActivity, NewSession};
use crate::error::ApiError;
use crate::menu::Delivery;
use crate::procurement::{
    self, Budget, BudgetForm, NewProcurementOrder, ProcurementOrder, Purchase, Spend,
};
use crate::providers::{self, Offering, OfferingForm, Provider, ProviderForm, ReviewDecision};
use crate::state::{ctx, AppState};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct ProcurementApi;

#[derive(Object)]
struct SupplyCreated {
    id: i64,
}

#[derive(Object)]
struct Providers {
    items: Vec<Provider>,
}

#[derive(Object)]
struct Offerings {
    items: Vec<Offering>,
}

#[derive(Object)]
struct ProcurementOrders {
    items: Vec<ProcurementOrder>,
}

#[derive(Object)]
struct Budgets {
    items: Vec<Budget>,
}

#[derive(Object)]
struct Reviewed {
    /// The new status: `approved`, `returned` or `suspended`.
    status: String,
}

#[derive(Object)]
struct Proposal {
    /// The provider's other date, `YYYY-MM-DD`.
    date: String,
    #[oai(validator(max_length = 300))]
    note: Option<String>,
}

#[derive(Object)]
struct ProcurementDelivered {
    order_id: i64,
    activity_id: i64,
}

/// The order, after checking that it belongs to the calling provider.
async fn own_order(st: &AppState, user_id: i64, id: i64) -> Result<ProcurementOrder, ApiError> {
    let order = procurement::get(&st.db, id).await?;
    let mine = providers::mine(&st.db, user_id).await?;
    access::check_provider(mine, order.provider_id)?;
    Ok(order)
}

async fn root(st: &AppState) -> Result<access::UnitRef, ApiError> {
    crate::org::root(&st.db)
        .await?
        .ok_or_else(ApiError::internal)
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Procurement")]
impl ProcurementApi {
    /// Register (or edit) my provider record (供给方登记). An edit goes back to review.
    #[oai(
        path = "/providers/me",
        method = "post",
        operation_id = "provider_register"
    )]
    async fn register(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<ProviderForm>,
    ) -> Result<Json<SupplyCreated>> {
        let caller = st.caller(req).await?;
        let id = providers::register(&st.db, caller.user_id, &body.0, &st.now()).await?;
        st.record_action(
            req,
            &caller,
            "provider_registered",
            None,
            format!("provider {id}"),
            String::new(),
        )
        .await?;
        Ok(Json(SupplyCreated { id }))
    }

    /// My provider record, with its review status and record (deliveries, ratings, complaints).
    #[oai(path = "/providers/me", method = "get", operation_id = "provider_me")]
    async fn me(&self, st: Data<&AppState>, req: &Request) -> Result<Json<Provider>> {
        let caller = st.caller(req).await?;
        let id = providers::require_mine(&st.db, caller.user_id).await?;
        Ok(Json(providers::get(&st.db, id).await?))
    }

    /// Add an offering (演出、讲座、展览、课程模块); it waits for the main center's review.
    #[oai(
        path = "/providers/me/offerings",
        method = "post",
        operation_id = "provider_offering_create"
    )]
    async fn offering_create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<OfferingForm>,
    ) -> Result<Json<SupplyCreated>> {
        let caller = st.caller(req).await?;
        let provider = providers::require_mine(&st.db, caller.user_id).await?;
        let id = providers::create_offering(&st.db, provider, &body.0, &st.now()).await?;
        st.record_action(
            req,
            &caller,
            "offering_created",
            None,
            format!("offering {id}"),
            String::new(),
        )
        .await?;
        Ok(Json(SupplyCreated { id }))
    }

    /// My offerings, every status.
    #[oai(
        path = "/providers/me/offerings",
        method = "get",
        operation_id = "provider_offerings"
    )]
    async fn my_offerings(&self, st: Data<&AppState>, req: &Request) -> Result<Json<Offerings>> {
        let caller = st.caller(req).await?;
        let provider = providers::require_mine(&st.db, caller.user_id).await?;
        Ok(Json(Offerings {
            items: providers::offerings_of(&st.db, provider).await?,
        }))
    }

    /// Orders for my offerings (never another provider's).
    #[oai(
        path = "/providers/me/orders",
        method = "get",
        operation_id = "provider_orders"
    )]
    async fn my_orders(
        &self,
        st: Data<&AppState>,
        req: &Request,
    ) -> Result<Json<ProcurementOrders>> {
        let caller = st.caller(req).await?;
        let provider = providers::require_mine(&st.db, caller.user_id).await?;
        Ok(Json(ProcurementOrders {
            items: procurement::of_provider(&st.db, provider).await?,
        }))
    }

    /// Accept an order for the requested date (the provider).
    #[oai(
        path = "/procurement/orders/:id/accept",
        method = "post",
        operation_id = "provider_order_accept"
    )]
    async fn accept(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let order = own_order(&st, caller.user_id, id.0).await?;
        procurement::accept(&st.db, id.0).await?;
        st.record_action(
            req,
            &caller,
            "procurement_order_accepted",
            Some(order.unit_id),
            format!("order {}", id.0),
            String::new(),
        )
        .await?;
        Ok(Json(Done { ok: true }))
    }

    /// Propose another date for an order (the provider); the requesting unit confirms it.
    #[oai(
        path = "/procurement/orders/:id/propose",
        method = "post",
        operation_id = "provider_order_propose"
    )]
    async fn propose(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Proposal>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let order = own_order(&st, caller.user_id, id.0).await?;
        procurement::propose(
            &st.db,
            id.0,
            &body.date,
            body.note.as_deref().unwrap_or_default(),
        )
        .await?;
        st.record_action(
            req,
            &caller,
            "procurement_order_proposed",
            Some(order.unit_id),
            format!("order {}", id.0),
            body.date.clone(),
        )
        .await?;
        Ok(Json(Done { ok: true }))
    }

    /// Providers for review (main center), with their records.
    #[oai(path = "/providers", method = "get", operation_id = "providers_list")]
    async fn list(
        &self,
        st: Data<&AppState>,
        req: &Request,
        status: Query<Option<String>>,
    ) -> Result<Json<Providers>> {
        let caller = st.caller(req).await?;
        let root = root(&st).await?;
        st.authorize(req, &caller, Action::ReviewProviders, &root)
            .await?;
        Ok(Json(Providers {
            items: providers::list(&st.db, status.0.as_deref()).await?,
        }))
    }

    /// Approve, return with comments or suspend a provider (main center).
    #[oai(
        path = "/providers/:id/review",
        method = "post",
        operation_id = "provider_review"
    )]
    async fn review_provider(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<ReviewDecision>,
    ) -> Result<Json<Reviewed>> {
        let caller = st.caller(req).await?;
        let root = root(&st).await?;
        st.authorize(req, &caller, Action::ReviewProviders, &root)
            .await?;
        let status = providers::review(
            &st.db,
            "providers",
            id.0,
            caller.user_id,
            &body.0,
            &st.now(),
        )
        .await?;
        st.record_action(
            req,
            &caller,
            "provider_reviewed",
            Some(root.id),
            format!("provider {}", id.0),
            status.into(),
        )
        .await?;
        Ok(Json(Reviewed {
            status: status.into(),
        }))
    }

    /// Offerings of one review status (main center; default `pending`).
    #[oai(path = "/offerings", method = "get", operation_id = "offerings_list")]
    async fn offerings(
        &self,
        st: Data<&AppState>,
        req: &Request,
        status: Query<Option<String>>,
    ) -> Result<Json<Offerings>> {
        let caller = st.caller(req).await?;
        let root = root(&st).await?;
        st.authorize(req, &caller, Action::ReviewProviders, &root)
            .await?;
        let status = status.0.unwrap_or_else(|| "pending".into());
        crate::input::one_of(
            "status",
            Some(&status),
            &["pending", "approved", "returned", "suspended"],
        )?;
        Ok(Json(Offerings {
            items: providers::offerings_by_status(&st.db, &status).await?,
        }))
    }

    /// Approve, return with comments or suspend an offering (main center).
    #[oai(
        path = "/offerings/:id/review",
        method = "post",
        operation_id = "offering_review"
    )]
    async fn review_offering(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<ReviewDecision>,
    ) -> Result<Json<Reviewed>> {
        let caller = st.caller(req).await?;
        let root = root(&st).await?;
        st.authorize(req, &caller, Action::ReviewProviders, &root)
            .await?;
        let status = providers::review(
            &st.db,
            "offerings",
            id.0,
            caller.user_id,
            &body.0,
            &st.now(),
        )
        .await?;
        st.record_action(
            req,
            &caller,
            "offering_reviewed",
            Some(root.id),
            format!("offering {}", id.0),
            status.into(),
        )
        .await?;
        Ok(Json(Reviewed {
            status: status.into(),
        }))
    }

    /// The procurement catalogue (采购目录) for a unit: approved offerings of approved providers.
    #[oai(
        path = "/procurement/catalogue",
        method = "get",
        operation_id = "procurement_catalogue"
    )]
    async fn catalogue(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<i64>,
    ) -> Result<Json<Offerings>> {
        let caller = st.caller(req).await?;
        st.authorize_unit(req, &caller, Action::Procure, unit_id.0)
            .await?;
        Ok(Json(Offerings {
            items: providers::catalogue(&st.db).await?,
        }))
    }

    /// Request an offering for a date at my unit (采购申请).
    #[oai(
        path = "/procurement/orders",
        method = "post",
        operation_id = "procurement_order_create"
    )]
    async fn order_create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewProcurementOrder>,
    ) -> Result<Json<SupplyCreated>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::Procure, body.unit_id)
            .await?;
        let id = procurement::create(&st.db, caller.user_id, &unit, &body.0, &st.now()).await?;
        st.record_action(
            req,
            &caller,
            "procurement_ordered",
            Some(unit.id),
            format!("order {id}"),
            String::new(),
        )
        .await?;
        Ok(Json(SupplyCreated { id }))
    }

    /// Procurement orders of my scope (at a unit and below, if given).
    #[oai(
        path = "/procurement/orders",
        method = "get",
        operation_id = "procurement_orders"
    )]
    async fn orders(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<ProcurementOrders>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st.scoped(req, &caller, Action::Procure, unit_id.0).await?;
        Ok(Json(ProcurementOrders {
            items: procurement::list(&st.db, &scope, &under).await?,
        }))
    }

    /// Agree to the provider's proposed date (the requesting unit).
    #[oai(
        path = "/procurement/orders/:id/confirm",
        method = "post",
        operation_id = "procurement_order_confirm"
    )]
    async fn confirm(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let order = procurement::get(&st.db, id.0).await?;
        st.authorize_unit(req, &caller, Action::Procure, order.unit_id)
            .await?;
        procurement::confirm(&st.db, id.0).await?;
        st.record_action(
            req,
            &caller,
            "procurement_order_confirmed",
            Some(order.unit_id),
            format!("order {}", id.0),
            String::new(),
        )
        .await?;
        Ok(Json(Done { ok: true }))
    }

    /// Approve and record the purchase of an accepted order against a budget (amount in fen,
    /// contract reference, funding source): the main center, or a branch within its budget.
    #[oai(
        path = "/procurement/orders/:id/purchase",
        method = "post",
        operation_id = "procurement_order_purchase"
    )]
    async fn purchase(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Purchase>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let order = procurement::get(&st.db, id.0).await?;
        let order_unit = crate::org::unit_ref(&st.db, order.unit_id).await?;
        // The budget decides who may spend: a branch only its own, the main center any.
        let budget_unit = procurement::budget_unit(&st.db, body.budget_id).await?;
        st.authorize(req, &caller, Action::ApprovePurchase, &budget_unit)
            .await?;
        procurement::purchase(
            &st.db,
            id.0,
            caller.user_id,
            &order_unit,
            &body.0,
            &st.now(),
        )
        .await?;
        st.record_action(
            req,
            &caller,
            "procurement_purchased",
            Some(order.unit_id),
            format!("order {}", id.0),
            format!(
                "{} fen, budget {}, contract {}",
                body.amount_fen, body.budget_id, body.contract_ref
            ),
        )
        .await?;
        Ok(Json(Done { ok: true }))
    }

    /// Deliver a purchased order: the activity is created and published at the requesting
    /// unit, delivered by the buying unit (counts as delivered and joint).
    #[oai(
        path = "/procurement/orders/:id/deliver",
        method = "post",
        operation_id = "procurement_order_deliver"
    )]
    async fn deliver(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Delivery>,
    ) -> Result<Json<ProcurementDelivered>> {
        let caller = st.caller(req).await?;
        let plan = procurement::delivery_plan(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::ApprovePurchase, &plan.buyer)
            .await?;
        let root = root(&st).await?;
        let new = NewActivity {
            title: plan.title.clone(),
            kind: plan.kind.clone(),
            organizer_unit_id: plan.unit_id,
            joint_unit_ids: Some(if plan.buyer.id == plan.unit_id {
                vec![]
            } else {
                vec![plan.buyer.id]
            }),
            description: Some(format!(
                "{}\n\n供给方：{}",
                plan.description, plan.provider_name
            )),
            poster_url: None,
            poster_file_id: None,
            age_min: None,
            age_max: None,
            booking_mode: if body.capacity.is_some() {
                "fcfs".into()
            } else {
                "none".into()
            },
            is_course: None,
            lottery_draw_at: None,
            delivered_by_main_center: None,
            audience: None,
            training_kind: None,
            by_district: None,
            questions: None,
            sessions: vec![NewSession {
                unit_id: plan.unit_id,
                room: body.room.clone(),
                room_id: None,
                outside: None,
                capacity_reason: None,
                starts_at: body.starts_at.clone(),
                ends_at: body.ends_at.clone(),
                capacity: body.capacity,
                booking_opens_at: None,
                booking_closes_at: None,
            }],
        };
        let c = ctx(req);
        let now = st.clock.now();
        let created = st.audit(
            &c,
            &caller,
            "activity_created",
            Some(plan.unit_id),
            String::new(),
            format!("delivery of procurement order {}", id.0),
        );
        if !procurement::claim_delivery(&st.db, id.0).await? {
            return Err(
                ApiError::conflict("procurement_order_state", "采购记录完成后才能交付").into(),
            );
        }
        let made = async {
            let activity_id = crate::activity::create_delivered(
                &st.db,
                &caller,
                &new,
                &root,
                Some(&plan.buyer),
                now,
                created,
            )
            .await?;
            let published = st.audit(
                &c,
                &caller,
                "activity_published",
                Some(plan.unit_id),
                format!("activity {activity_id}"),
                String::new(),
            );
            crate::activity::publish(&st.db, activity_id, now, published).await?;
            Ok::<i64, ApiError>(activity_id)
        }
        .await;
        // Its sessions went on their rooms' calendars when it was created, even if a later
        // step failed.
        st.calendars_changed();
        let activity_id = match made {
            Ok(a) => a,
            Err(e) => {
                procurement::unclaim_delivery(&st.db, id.0).await?;
                return Err(e.into());
            }
        };
        procurement::mark_delivered(&st.db, id.0, activity_id).await?;
        st.record_action(
            req,
            &caller,
            "procurement_delivered",
            Some(plan.unit_id),
            format!("order {} → activity {activity_id}", id.0),
            String::new(),
        )
        .await?;
        st.browse_changed();
        Ok(Json(ProcurementDelivered {
            order_id: id.0,
            activity_id,
        }))
    }

    /// Give a unit (the main center itself or a branch) its procurement budget for a year,
    /// in fen (main center). Never below what is already spent.
    #[oai(
        path = "/procurement/budgets",
        method = "post",
        operation_id = "procurement_budget_set"
    )]
    async fn budget_set(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<BudgetForm>,
    ) -> Result<Json<SupplyCreated>> {
        let caller = st.caller(req).await?;
        let root = root(&st).await?;
        st.authorize(req, &caller, Action::ManageBudgets, &root)
            .await?;
        let unit = crate::org::unit_ref(&st.db, body.unit_id).await?;
        let id = procurement::set_budget(&st.db, caller.user_id, &unit, &body.0, &st.now()).await?;
        st.record_action(
            req,
            &caller,
            "procurement_budget_set",
            Some(unit.id),
            format!("budget {id}"),
            format!("{} {} fen", body.year, body.amount_fen),
        )
        .await?;
        Ok(Json(SupplyCreated { id }))
    }

    /// Budgets of my scope, with what is spent and what remains (fen).
    #[oai(
        path = "/procurement/budgets",
        method = "get",
        operation_id = "procurement_budgets"
    )]
    async fn budgets(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<Budgets>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStats, unit_id.0)
            .await?;
        Ok(Json(Budgets {
            items: procurement::budgets(&st.db, &scope, &under).await?,
        }))
    }

    /// Procurement spend per unit, provider and kind over a period (China dates, inclusive),
    /// within scope; all in fen.
    #[oai(
        path = "/stats/procurement",
        method = "get",
        operation_id = "stats_procurement"
    )]
    async fn spend(
        &self,
        st: Data<&AppState>,
        req: &Request,
        from: Query<String>,
        to: Query<String>,
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<Spend>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStats, unit_id.0)
            .await?;
        Ok(Json(
            procurement::spend(&st.db, &scope, &under, &from.0, &to.0).await?,
        ))
    }
}
