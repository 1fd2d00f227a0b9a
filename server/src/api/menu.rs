use super::{ApiTags, Done};
use crate::access::Action;
use crate::activity::{NewActivity, NewSession};
use crate::error::ApiError;
use crate::menu::{self, Delivery, Item, NewItem, NewOrder, Order};
use crate::state::{ctx, AppState};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct MenuApi;

#[derive(Object)]
struct Items {
    items: Vec<Item>,
}

#[derive(Object)]
struct Orders {
    items: Vec<Order>,
}

#[derive(Object)]
struct MenuCreated {
    id: i64,
}

#[derive(Object)]
struct Vote {
    /// The point (or branch) where I would like it.
    unit_id: i64,
}

#[derive(Object)]
struct Reject {
    #[oai(validator(min_length = 1, max_length = 200))]
    reason: String,
}

#[derive(Object)]
struct Delivered {
    order_id: i64,
    activity_id: i64,
}

async fn record(
    st: &AppState,
    req: &Request,
    caller: &crate::access::Caller,
    action: &str,
    unit: Option<i64>,
    target: String,
) -> Result<(), ApiError> {
    st.record_action(req, caller, action, unit, target, String::new())
        .await
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Menu")]
impl MenuApi {
    /// The cultural menu, with residents' votes (at a unit and below, if given). With a unit:
    /// the items that reach it (the main center's and its branch's); without: the main
    /// center's district-wide items.
    #[oai(path = "/menu/items", method = "get", operation_id = "menu_items")]
    async fn items(&self, st: Data<&AppState>, unit_id: Query<Option<i64>>) -> Result<Json<Items>> {
        let under = match unit_id.0 {
            Some(id) => Some(crate::org::unit_ref(&st.db, id).await?.path),
            None => None,
        };
        Ok(Json(Items {
            items: menu::items(&st.db, under.as_deref()).await?,
        }))
    }

    /// Publish a menu item: the main center for the district, or a branch for its own points
    /// (`unit_id`).
    #[oai(
        path = "/menu/items",
        method = "post",
        operation_id = "menu_item_create"
    )]
    async fn create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewItem>,
    ) -> Result<Json<MenuCreated>> {
        let caller = st.caller(req).await?;
        let owner = match body.unit_id {
            Some(id) => crate::org::unit_ref(&st.db, id).await?,
            None => crate::org::root(&st.db)
                .await?
                .ok_or_else(ApiError::internal)?,
        };
        st.authorize(req, &caller, Action::ManageMenu, &owner)
            .await?;
        let id = menu::create(&st.db, caller.user_id, &owner, &body.0, &st.now()).await?;
        record(
            &st,
            req,
            &caller,
            "menu_item_created",
            Some(owner.id),
            format!("menu item {id}"),
        )
        .await?;
        Ok(Json(MenuCreated { id }))
    }

    /// Vote for a menu item at my point.
    #[oai(
        path = "/menu/items/:id/votes",
        method = "post",
        operation_id = "menu_vote"
    )]
    async fn vote(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Vote>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        menu::vote(&st.db, id.0, body.unit_id, caller.user_id, &st.now()).await?;
        Ok(Json(Done { ok: true }))
    }

    /// Order a menu item for a date at my unit (点单).
    #[oai(
        path = "/menu/orders",
        method = "post",
        operation_id = "menu_order_create"
    )]
    async fn order(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewOrder>,
    ) -> Result<Json<MenuCreated>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::OrderMenu, body.unit_id)
            .await?;
        let id = menu::order(&st.db, caller.user_id, &unit, &body.0, &st.now()).await?;
        record(
            &st,
            req,
            &caller,
            "menu_ordered",
            Some(unit.id),
            format!("order {id}"),
        )
        .await?;
        Ok(Json(MenuCreated { id }))
    }

    /// Orders of my scope.
    #[oai(path = "/menu/orders", method = "get", operation_id = "menu_orders")]
    async fn orders(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<Orders>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::OrderMenu, unit_id.0)
            .await?;
        Ok(Json(Orders {
            items: menu::orders(&st.db, &scope, Some(&under)).await?,
        }))
    }

    /// Approve an order within the item's quota (whoever runs the item's menu).
    #[oai(
        path = "/menu/orders/:id/approve",
        method = "post",
        operation_id = "menu_order_approve"
    )]
    async fn approve(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let (unit, _, item) = menu::order_place(&st.db, id.0).await?;
        // Whoever runs the menu the item belongs to decides (the main center or the branch).
        let owner = menu::item_owner(&st.db, item).await?;
        st.authorize(req, &caller, Action::ManageMenu, &owner)
            .await?;
        menu::approve(&st.db, id.0, caller.user_id, &st.now()).await?;
        record(
            &st,
            req,
            &caller,
            "menu_order_approved",
            Some(unit.id),
            format!("order {}", id.0),
        )
        .await?;
        Ok(Json(Done { ok: true }))
    }

    /// Reject an order with a reason (whoever runs the item's menu).
    #[oai(
        path = "/menu/orders/:id/reject",
        method = "post",
        operation_id = "menu_order_reject"
    )]
    async fn reject(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Reject>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let (unit, _, item) = menu::order_place(&st.db, id.0).await?;
        // Whoever runs the menu the item belongs to decides (the main center or the branch).
        let owner = menu::item_owner(&st.db, item).await?;
        st.authorize(req, &caller, Action::ManageMenu, &owner)
            .await?;
        menu::reject(&st.db, id.0, caller.user_id, &body.reason, &st.now()).await?;
        record(
            &st,
            req,
            &caller,
            "menu_order_rejected",
            Some(unit.id),
            format!("order {}", id.0),
        )
        .await?;
        Ok(Json(Done { ok: true }))
    }

    /// Deliver (配送) an approved order: the activity is created and published at the ordering unit.
    #[oai(
        path = "/menu/orders/:id/deliver",
        method = "post",
        operation_id = "menu_order_deliver"
    )]
    async fn deliver(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Delivery>,
    ) -> Result<Json<Delivered>> {
        let caller = st.caller(req).await?;
        let (unit, _, item) = menu::order_place(&st.db, id.0).await?;
        // Whoever runs the menu the item belongs to decides (the main center or the branch).
        let owner = menu::item_owner(&st.db, item).await?;
        st.authorize(req, &caller, Action::ManageMenu, &owner)
            .await?;
        let plan = menu::delivery_plan(&st.db, id.0).await?;
        let root = crate::org::root(&st.db)
            .await?
            .ok_or_else(ApiError::internal)?;
        let new = NewActivity {
            title: plan.title,
            kind: plan.kind,
            organizer_unit_id: plan.unit_id,
            joint_unit_ids: Some(if owner.id == plan.unit_id {
                vec![]
            } else {
                vec![owner.id]
            }),
            description: Some(plan.description),
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
            format!("delivery of order {}", id.0),
        );
        if !menu::claim_delivery(&st.db, id.0).await? {
            return Err(ApiError::conflict("order_not_approved", "订单批准后才能配送").into());
        }
        let made = async {
            let activity_id = crate::activity::create_delivered(
                &st.db,
                &caller,
                &new,
                &root,
                Some(&owner),
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
                menu::unclaim_delivery(&st.db, id.0).await?;
                return Err(e.into());
            }
        };
        menu::mark_delivered(&st.db, id.0, activity_id).await?;
        record(
            &st,
            req,
            &caller,
            "menu_order_delivered",
            Some(unit.id),
            format!("order {} → activity {activity_id}", id.0),
        )
        .await?;
        st.browse_changed();
        Ok(Json(Delivered {
            order_id: id.0,
            activity_id,
        }))
    }
}
