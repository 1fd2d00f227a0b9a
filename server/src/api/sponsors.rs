//! Sponsors and partners, and contracted operators (issue 16). Rules live in `sponsors`.

use super::ApiTags;
use crate::access::Action;
use crate::error::ApiError;
use crate::sponsors::{
    self as sp, ActivitySupporter, NewSponsorship, OperatorObligations, Sponsorship, UnitOperator,
};
use crate::state::AppState;
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct SponsorsApi;

#[derive(Object)]
struct SponsorshipInput {
    /// The activity supported; absent: the unit itself.
    activity_id: Option<i64>,
    #[oai(validator(min_length = 1, max_length = 100))]
    sponsor_name: String,
    /// `enterprise`, `social_org`, `individual`, `institution`, `other`.
    sponsor_kind: String,
    /// `sponsor` (赞助) or `partner` (合作).
    relation: String,
    /// `money`, `goods`, `venue`, `services`.
    gift_kind: String,
    /// Whole fen: required for money, an estimate otherwise.
    amount_fen: Option<i64>,
    #[oai(validator(max_length = 500))]
    description: Option<String>,
    /// The sponsor agreed to be named publicly as 支持单位.
    public_consent: bool,
}

#[derive(Object)]
struct SponsorshipUpdate {
    public_consent: Option<bool>,
    /// Withdraw the record (kept for the ledger, no longer shown or counted).
    withdrawn: Option<bool>,
}

#[derive(Object)]
struct SponsorshipList {
    items: Vec<Sponsorship>,
    /// Money given (not withdrawn), in fen.
    money_total_fen: i64,
}

#[derive(Object)]
struct ActivitySupporterList {
    items: Vec<ActivitySupporter>,
}

#[derive(Object)]
struct OperatorBody {
    #[oai(validator(min_length = 1, max_length = 100))]
    operator_name: String,
    #[oai(validator(max_length = 100))]
    contract_ref: Option<String>,
    /// YYYY-MM-DD (China dates).
    starts_on: String,
    ends_on: String,
    obligations: OperatorObligations,
}

#[derive(Object)]
struct UnitOperatorList {
    items: Vec<UnitOperator>,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Org")]
impl SponsorsApi {
    /// Record a sponsor or partner of the unit (or of one of its activities) and what it gave.
    #[oai(
        path = "/units/:id/sponsorships",
        method = "post",
        operation_id = "sponsorship_create"
    )]
    async fn create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<SponsorshipInput>,
    ) -> Result<Json<Sponsorship>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ManageSponsors, id.0)
            .await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let sid = sp::insert(
            &mut tx,
            &unit,
            &NewSponsorship {
                activity_id: body.activity_id,
                sponsor_name: &body.sponsor_name,
                sponsor_kind: &body.sponsor_kind,
                relation: &body.relation,
                gift_kind: &body.gift_kind,
                amount_fen: body.amount_fen,
                description: body.description.as_deref().unwrap_or_default(),
                public_consent: body.public_consent,
            },
            caller.user_id,
            &now,
        )
        .await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "sponsorship_created",
            Some(unit.id),
            format!("sponsorship {sid}"),
            format!("{} {}", body.gift_kind, body.amount_fen.unwrap_or(0)),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.browse_changed();
        Ok(Json(sp::get(&st.db, sid).await?.0))
    }

    /// Sponsorships of the unit and its subtree, with the money total in fen.
    #[oai(
        path = "/units/:id/sponsorships",
        method = "get",
        operation_id = "sponsorships_list"
    )]
    async fn list(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<SponsorshipList>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ManageSponsors, Some(id.0))
            .await?;
        let (items, money_total_fen) = sp::list(&st.db, &scope.sql("s.unit_path"), &under).await?;
        Ok(Json(SponsorshipList {
            items,
            money_total_fen,
        }))
    }

    /// Record or withdraw the sponsor's consent to be shown, or withdraw the record.
    #[oai(
        path = "/sponsorships/:id",
        method = "patch",
        operation_id = "sponsorship_update"
    )]
    async fn update(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<SponsorshipUpdate>,
    ) -> Result<Json<Sponsorship>> {
        let (_, unit) = sp::get(&st.db, id.0).await?;
        let caller = st.caller(req).await?;
        st.authorize(req, &caller, Action::ManageSponsors, &unit)
            .await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        if let Some(c) = body.public_consent {
            sp::set_consent(&mut tx, id.0, c).await?;
        }
        if body.withdrawn == Some(true) {
            sp::withdraw(&mut tx, id.0, &now).await?;
        }
        st.audited(
            &mut tx,
            req,
            &caller,
            "sponsorship_updated",
            Some(unit.id),
            format!("sponsorship {}", id.0),
            format!(
                "consent {:?} withdrawn {:?}",
                body.public_consent, body.withdrawn
            ),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.browse_changed();
        Ok(Json(sp::get(&st.db, id.0).await?.0))
    }

    /// The activity's 支持单位: sponsors and partners who consented to be named. No amounts.
    #[oai(
        path = "/activities/:id/supporters",
        method = "get",
        operation_id = "activity_supporters"
    )]
    async fn supporters(
        &self,
        st: Data<&AppState>,
        id: Path<i64>,
    ) -> Result<Json<ActivitySupporterList>> {
        let exists: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM activities WHERE id = $1 AND status IN ('published','finished')",
        )
        .bind(id.0)
        .fetch_one(st.db.pool())
        .await
        .map_err(ApiError::from)?;
        if exists == 0 {
            return Err(ApiError::not_found("该活动").into());
        }
        Ok(Json(ActivitySupporterList {
            items: sp::supporters(&st.db, id.0).await?,
        }))
    }

    /// Record (or replace) the operator of a contracted unit: term and obligations.
    #[oai(
        path = "/units/:id/operator",
        method = "put",
        operation_id = "unit_operator_save"
    )]
    async fn save_operator(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<OperatorBody>,
    ) -> Result<Json<UnitOperatorList>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ManageOperators, id.0)
            .await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let oid = sp::save_operator(
            &mut tx,
            &unit,
            &sp::OperatorInput {
                operator_name: &body.operator_name,
                contract_ref: body.contract_ref.as_deref().unwrap_or_default(),
                starts_on: &body.starts_on,
                ends_on: &body.ends_on,
                obligations: &body.obligations,
            },
            caller.user_id,
            &now,
        )
        .await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "unit_operator_saved",
            Some(unit.id),
            format!("operator {oid}"),
            body.operator_name.clone(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        let scope = crate::access::Scope::subtree(&unit.path);
        Ok(Json(UnitOperatorList {
            items: sp::operators(
                &st.db,
                &scope.sql("p.unit_path"),
                &unit.path,
                st.clock.now(),
            )
            .await?,
        }))
    }

    /// Contracted operators in scope with their performance against the obligations, computed
    /// from sessions, check-ins, ratings and room hours (district and main center).
    #[oai(path = "/operators", method = "get", operation_id = "operators_list")]
    async fn operators(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<UnitOperatorList>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadOperators, unit_id.0)
            .await?;
        Ok(Json(UnitOperatorList {
            items: sp::operators(&st.db, &scope.sql("p.unit_path"), &under, st.clock.now()).await?,
        }))
    }
}
