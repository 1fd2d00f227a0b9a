use super::ApiTags;
use crate::access::Action;
use crate::error::ApiError;
use crate::org::{self, Naming, NewUnit, Room, Unit, UnitPatch};
use crate::state::AppState;
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct OrgApi;

#[derive(Object)]
struct UnitList {
    items: Vec<Unit>,
}

#[derive(Object)]
struct UnitDetail {
    unit: Unit,
    parent: Option<Unit>,
    children: Vec<Unit>,
    rooms: Vec<Room>,
}

#[derive(Object)]
struct TreeNode {
    unit: Unit,
    children: Vec<TreeNode>,
}

#[derive(Object)]
struct Rename {
    /// The new official name, following the unified naming rule.
    #[oai(validator(min_length = 1, max_length = 100))]
    name: String,
    /// Default: the name without the center's.
    #[oai(validator(max_length = 40))]
    short_name: Option<String>,
}

#[derive(Object)]
struct Move {
    /// The branch the service point belongs to from now on.
    parent_id: i64,
}

#[derive(Object)]
struct NamingRule {
    /// Each level's pattern, `××` standing for the distinguishing part.
    main: String,
    direct_branch: String,
    branch: String,
    point: String,
}

#[derive(Object)]
struct NearUnit {
    unit: Unit,
    distance_m: i64,
}

#[derive(Object)]
struct NearList {
    items: Vec<NearUnit>,
}

fn build_tree(units: &[Unit], parent: Option<i64>) -> Vec<TreeNode> {
    units
        .iter()
        .filter(|u| u.parent_id == parent)
        .map(|u| TreeNode {
            unit: u.clone(),
            children: build_tree(units, Some(u.id)),
        })
        .collect()
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Org")]
impl OrgApi {
    /// The whole network as a tree (public). Closed units only with `include_closed=true`.
    #[oai(path = "/org/tree", method = "get", operation_id = "org_tree")]
    async fn tree(
        &self,
        st: Data<&AppState>,
        include_closed: Query<Option<bool>>,
    ) -> Result<Json<Vec<TreeNode>>> {
        let mut units = org::all_units(&st.db).await?;
        if !include_closed.0.unwrap_or(false) {
            units.retain(|u| u.closed_at.is_none());
        }
        Ok(Json(build_tree(&units, None)))
    }

    /// The unified naming rule units must follow (public), e.g. `福田区文化馆××分馆`.
    #[oai(path = "/org/naming", method = "get", operation_id = "org_naming")]
    async fn naming(&self, st: Data<&AppState>) -> Result<Json<NamingRule>> {
        let n = Naming::load(&st.db, &st.settings.naming).await?;
        let show = |l: &str| n.pattern(l).replace("{x}", "××");
        Ok(Json(NamingRule {
            main: show("main"),
            direct_branch: show("direct_branch"),
            branch: show("branch"),
            point: show("point"),
        }))
    }

    /// Units, optionally filtered by level or searched by name or address (public).
    #[oai(path = "/org/units", method = "get", operation_id = "org_units")]
    async fn list(
        &self,
        st: Data<&AppState>,
        /// Search text in the name, short name or address.
        #[oai(validator(max_length = 50))]
        q: Query<Option<String>>,
        /// `main`, `direct_branch`, `branch` or `point`.
        level: Query<Option<String>>,
        /// Also closed units (staff screens; residents never see them).
        include_closed: Query<Option<bool>>,
    ) -> Result<Json<UnitList>> {
        if let Some(l) = level.0.as_deref() {
            if !org::LEVELS.contains(&l) {
                return Err(ApiError::validation(
                    "层级只能是 main、direct_branch、branch 或 point",
                )
                .into());
            }
        }
        let mut items = match q.0.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(q) => org::search(&st.db, q, 200).await?,
            None => org::all_units(&st.db).await?,
        };
        if let Some(l) = level.0 {
            items.retain(|u| u.level == l);
        }
        if !include_closed.0.unwrap_or(false) {
            items.retain(|u| u.closed_at.is_none());
        }
        Ok(Json(UnitList { items }))
    }

    /// Units nearest to a coordinate (GCJ-02), closest first (public).
    #[oai(
        path = "/org/units/nearest",
        method = "get",
        operation_id = "org_nearest"
    )]
    async fn nearest(
        &self,
        st: Data<&AppState>,
        lng: Query<f64>,
        lat: Query<f64>,
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))] limit: Query<Option<i64>>,
    ) -> Result<Json<NearList>> {
        let v = org::nearest(&st.db, lng.0, lat.0, limit.0.unwrap_or(10) as usize).await?;
        // `nearest` skips closed units itself (they leave residents' lists).
        Ok(Json(NearList {
            items: v
                .into_iter()
                .map(|(unit, d)| NearUnit {
                    unit,
                    distance_m: d.round() as i64,
                })
                .collect(),
        }))
    }

    /// One unit with its parent, children and rooms (public).
    #[oai(path = "/org/units/:id", method = "get", operation_id = "org_unit")]
    async fn get(&self, st: Data<&AppState>, id: Path<i64>) -> Result<Json<UnitDetail>> {
        let unit = org::get_unit(&st.db, id.0).await?;
        let parent = match unit.parent_id {
            Some(p) => Some(org::get_unit(&st.db, p).await?),
            None => None,
        };
        let mut children = org::children(&st.db, unit.id).await?;
        // A closed unit keeps its own page (history); it leaves its parent's list.
        children.retain(|c| c.closed_at.is_none());
        Ok(Json(UnitDetail {
            children,
            rooms: org::rooms(&st.db, unit.id).await?,
            parent,
            unit,
        }))
    }

    /// Share poster (分享海报) of an open unit: the same layout as an activity's, its QR code
    /// opens the unit. Closed units have none (404).
    #[oai(
        path = "/org/units/:id/poster.png",
        method = "get",
        operation_id = "org_unit_poster"
    )]
    async fn poster(
        &self,
        st: Data<&AppState>,
        id: Path<i64>,
    ) -> Result<super::activities::PosterPng> {
        let unit = org::get_unit(&st.db, id.0).await?;
        if unit.closed_at.is_some() {
            return Err(ApiError::not_found("该单位的海报").into());
        }
        let link = crate::poster::link(
            &st.settings.wechat.share_link_prefix,
            &crate::poster::Target::Unit(unit.id),
        );
        Ok(super::activities::PosterPng::Png(
            poem_openapi::payload::Binary(crate::poster::render(&link)),
        ))
    }

    /// Edit a unit's public information (its own staff, or staff above it).
    #[oai(
        path = "/org/units/:id",
        method = "patch",
        operation_id = "org_unit_update"
    )]
    async fn update(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<UnitPatch>,
    ) -> Result<Json<Unit>> {
        let caller = st.caller(req).await?;
        st.authorize_unit(req, &caller, Action::EditUnit, id.0)
            .await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        org::update_unit(&mut tx, id.0, &body.0, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "unit_updated",
            Some(id.0),
            format!("unit {}", id.0),
            serde_json::to_string(&body.0).unwrap_or_default(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(org::get_unit(&st.db, id.0).await?))
    }

    /// Add a unit: a branch under the main center (main-center staff), a service point under a
    /// branch (that branch's staff or the main center). The name must follow the naming rule.
    #[oai(path = "/org/units", method = "post", operation_id = "org_unit_create")]
    async fn create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewUnit>,
    ) -> Result<Json<Unit>> {
        let caller = st.caller(req).await?;
        let parent = org::get_unit(&st.db, body.parent_id).await?;
        st.authorize(req, &caller, Action::EditUnit, &parent.as_ref())
            .await?;
        let naming = Naming::load(&st.db, &st.settings.naming).await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let id = org::create_unit(&mut tx, &parent, &body.0, &naming, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "unit_created",
            Some(id),
            format!("unit {id}"),
            format!("{} under {}", body.name.trim(), parent.name),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.browse_changed();
        Ok(Json(org::get_unit(&st.db, id).await?))
    }

    /// Rename a unit under the naming rule (staff of the unit above it).
    #[oai(
        path = "/org/units/:id/rename",
        method = "post",
        operation_id = "org_unit_rename"
    )]
    async fn rename(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Rename>,
    ) -> Result<Json<Unit>> {
        let caller = st.caller(req).await?;
        let unit = org::get_unit(&st.db, id.0).await?;
        let above = above(&st, &unit).await?;
        st.authorize(req, &caller, Action::EditUnit, &above.as_ref())
            .await?;
        let naming = Naming::load(&st.db, &st.settings.naming).await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        org::rename_unit(
            &mut tx,
            &unit,
            &body.name,
            body.short_name.as_deref(),
            &naming,
            &now,
        )
        .await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "unit_renamed",
            Some(unit.id),
            format!("unit {}", unit.id),
            format!("{} → {}", unit.name, body.name.trim()),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.browse_changed();
        Ok(Json(org::get_unit(&st.db, id.0).await?))
    }

    /// Move a service point to another branch (staff of both branches, or the main center).
    /// Its history moves with it.
    #[oai(
        path = "/org/units/:id/move",
        method = "post",
        operation_id = "org_unit_move"
    )]
    async fn move_unit(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Move>,
    ) -> Result<Json<Unit>> {
        let caller = st.caller(req).await?;
        let unit = org::get_unit(&st.db, id.0).await?;
        let from = above(&st, &unit).await?;
        let to = org::get_unit(&st.db, body.parent_id).await?;
        st.authorize(req, &caller, Action::EditUnit, &from.as_ref())
            .await?;
        st.authorize(req, &caller, Action::EditUnit, &to.as_ref())
            .await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        org::move_unit(&mut tx, &unit, &to, &now).await?;
        // Audited at the unit and at both branches, so each sees it in its trail.
        for at in [unit.id, from.id, to.id] {
            st.audited(
                &mut tx,
                req,
                &caller,
                "unit_moved",
                Some(at),
                format!("unit {}", unit.id),
                format!("{}: {} → {}", unit.name, from.name, to.name),
            )
            .await?;
        }
        tx.commit().await.map_err(ApiError::from)?;
        // Grants below the moved unit carry its old path: every cached caller goes.
        st.callers.flush();
        st.browse_changed();
        Ok(Json(org::get_unit(&st.db, id.0).await?))
    }

    /// Close a unit (staff of the unit above it): its history stays, residents no longer see
    /// it, it takes no new activities. Refused while it has open service points or sessions to come.
    #[oai(
        path = "/org/units/:id/close",
        method = "post",
        operation_id = "org_unit_close"
    )]
    async fn close(&self, st: Data<&AppState>, req: &Request, id: Path<i64>) -> Result<Json<Unit>> {
        let caller = st.caller(req).await?;
        let unit = org::get_unit(&st.db, id.0).await?;
        let above = above(&st, &unit).await?;
        st.authorize(req, &caller, Action::EditUnit, &above.as_ref())
            .await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        org::close_unit(&mut tx, &unit, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "unit_closed",
            Some(unit.id),
            format!("unit {}", unit.id),
            unit.name.clone(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.browse_changed();
        Ok(Json(org::get_unit(&st.db, id.0).await?))
    }
}

/// The unit above (whose staff rename, move and close it); the main center has none.
async fn above(st: &AppState, unit: &Unit) -> Result<Unit, ApiError> {
    match unit.parent_id {
        Some(p) => org::get_unit(&st.db, p).await,
        None => Err(ApiError::validation("总馆不能更名、调整或关闭")),
    }
}
