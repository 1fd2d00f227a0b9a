use super::ApiTags;
use crate::access::Action;
use crate::error::ApiError;
use crate::org::{self, Room, Unit, UnitPatch};
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
    /// The whole network as a tree (public).
    #[oai(path = "/org/tree", method = "get", operation_id = "org_tree")]
    async fn tree(&self, st: Data<&AppState>) -> Result<Json<Vec<TreeNode>>> {
        let units = org::all_units(&st.db).await?;
        Ok(Json(build_tree(&units, None)))
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
        Ok(Json(UnitDetail {
            children: org::children(&st.db, unit.id).await?,
            rooms: org::rooms(&st.db, unit.id).await?,
            parent,
            unit,
        }))
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
}
