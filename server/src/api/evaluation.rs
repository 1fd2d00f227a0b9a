//! Evaluation (考核评估): indicator templates, rounds and their steps, third-party assessments,
//! spot checks (督导/暗访). Rules live in `crate::evaluation`; each handler authorizes and calls.

use super::{ApiTags, Done};
use crate::access::{self, Action};
use crate::error::ApiError;
use crate::evaluation::{
    self as ev, AssessmentInput, EntryView, EvalAssignment, FacilityChecklist, FacilityFact,
    FacilityStandard, FacilityStandards, HistoryRow, IndicatorInput, Round, RoundInput, ScoreItem,
    SelfItem, SpotCheck, SpotCheckInput, Template, UnitStatus,
};
use crate::export::{Download, ExportFormat};
use crate::state::{ctx, AppState};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct EvaluationApi;

#[derive(Object)]
struct TemplateInput {
    indicators: Vec<IndicatorInput>,
}

#[derive(Object)]
struct Rounds {
    items: Vec<Round>,
}

/// A round with the entries the caller may see, ranked per level, and its third-party
/// assignments.
#[derive(Object)]
struct RoundDetail {
    round: Round,
    entries: Vec<EntryView>,
    assignments: Vec<EvalAssignment>,
}

#[derive(Object)]
struct EvaluationCreated {
    id: i64,
}

#[derive(Object)]
struct SelfInput {
    items: Vec<SelfItem>,
}

#[derive(Object)]
struct ScoreInput {
    items: Vec<ScoreItem>,
    /// Reward or penalty note (奖惩), ≤500.
    #[oai(default)]
    reward_note: String,
}

#[derive(Object)]
struct CommentInput {
    /// Why (return for correction, or reopening a published round), 1–500.
    comment: String,
}

#[derive(Object)]
struct AssignInput {
    /// A person holding the `evaluator` role.
    user_id: i64,
    /// The object assessed (a unit); absent: the whole round.
    unit_id: Option<i64>,
}

#[derive(Object)]
struct RectifyInput {
    rectification: String,
}

#[derive(Object)]
struct SpotChecks {
    items: Vec<SpotCheck>,
}

#[derive(Object)]
struct FacilityStandardsInput {
    items: Vec<FacilityStandard>,
}

#[derive(Object)]
struct FacilityFactsInput {
    /// Facts to record (keys of the unit's level's standards); others are kept.
    facts: Vec<FacilityFact>,
}

#[derive(Object)]
struct UnitHistory {
    unit_id: i64,
    /// Oldest first; `change` compares with the previous round of the same period kind.
    rounds: Vec<HistoryRow>,
}

fn valid_year(y: i32) -> Result<i32, ApiError> {
    if !(2000..=2100).contains(&y) {
        return Err(ApiError::validation("年份无效"));
    }
    Ok(y)
}

fn valid_level(l: &str) -> Result<&'static str, ApiError> {
    ev::LEVELS
        .into_iter()
        .find(|x| *x == l)
        .ok_or_else(|| ApiError::validation("层级应为 point、branch 或 main"))
}

async fn root(st: &AppState) -> Result<access::UnitRef> {
    Ok(crate::org::root(&st.db)
        .await?
        .ok_or_else(ApiError::internal)?)
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Evaluation")]
impl EvaluationApi {
    /// The indicator template of a year and level (policy defaults until the district saves one).
    #[oai(
        path = "/evaluation/templates/:year/:level",
        method = "get",
        operation_id = "eval_template_get"
    )]
    async fn template_get(
        &self,
        st: Data<&AppState>,
        req: &Request,
        year: Path<i32>,
        /// `point`, `branch` or `main`.
        level: Path<String>,
    ) -> Result<Json<Template>> {
        let caller = st.caller(req).await?;
        st.scoped(req, &caller, Action::ReadEvaluation, None)
            .await?;
        let root = root(&st).await?;
        Ok(Json(
            ev::template(&st.db, root.id, valid_year(year.0)?, valid_level(&level.0)?).await?,
        ))
    }

    /// Replaces the indicator template of a year and level (the district). Running rounds keep
    /// the indicators they were opened with.
    #[oai(
        path = "/evaluation/templates/:year/:level",
        method = "put",
        operation_id = "eval_template_save"
    )]
    async fn template_save(
        &self,
        st: Data<&AppState>,
        req: &Request,
        year: Path<i32>,
        level: Path<String>,
        body: Json<TemplateInput>,
    ) -> Result<Json<Template>> {
        let caller = st.caller(req).await?;
        let root = root(&st).await?;
        st.authorize(req, &caller, Action::ManageEvaluation, &root)
            .await?;
        let year = valid_year(year.0)?;
        let level = valid_level(&level.0)?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "eval_template_saved",
            Some(root.id),
            format!("template {year} {level}"),
            format!("{} indicators", body.indicators.len()),
        );
        ev::save_template(&st.db, root.id, year, level, &body.indicators, &now, entry).await?;
        Ok(Json(ev::template(&st.db, root.id, year, level).await?))
    }

    /// Opens a round (the district): every open unit gets an entry with its level's indicators.
    #[oai(
        path = "/evaluation/rounds",
        method = "post",
        operation_id = "eval_round_create"
    )]
    async fn round_create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<RoundInput>,
    ) -> Result<Json<Round>> {
        let caller = st.caller(req).await?;
        let root = root(&st).await?;
        st.authorize(req, &caller, Action::ManageEvaluation, &root)
            .await?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "eval_round_created",
            Some(root.id),
            format!("round {} {}", body.year, body.period),
            body.title.clone(),
        );
        let id = ev::create_round(&st.db, &root, &body.0, caller.user_id, &now, entry).await?;
        Ok(Json(ev::round(&st.db, id).await?))
    }

    /// Rounds, newest first.
    #[oai(
        path = "/evaluation/rounds",
        method = "get",
        operation_id = "eval_rounds"
    )]
    async fn rounds(&self, st: Data<&AppState>, req: &Request) -> Result<Json<Rounds>> {
        let caller = st.caller(req).await?;
        st.scoped(req, &caller, Action::ReadEvaluation, None)
            .await?;
        Ok(Json(Rounds {
            items: ev::rounds(&st.db).await?,
        }))
    }

    /// A round with the entries in my scope (ranks are over the whole round).
    #[oai(
        path = "/evaluation/rounds/:id",
        method = "get",
        operation_id = "eval_round_get"
    )]
    async fn round_get(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        /// Only this unit's subtree.
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<RoundDetail>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadEvaluation, unit_id.0)
            .await?;
        let round = ev::round(&st.db, id.0).await?;
        // `scoped` checked the asked unit lies in my scope: its subtree is what I see then.
        let scope = if unit_id.0.is_some() {
            access::Scope::subtree(&under)
        } else {
            scope
        };
        let entries = ev::entries(&st.db, &round, &scope).await?;
        let assignments = if access::scope(&caller, Action::ManageEvaluation).is_empty() {
            // Evaluators see their own assignments; others none.
            ev::assignments(&st.db, round.id)
                .await?
                .into_iter()
                .filter(|a| a.user_id == caller.user_id)
                .collect()
        } else {
            ev::assignments(&st.db, round.id).await?
        };
        Ok(Json(RoundDetail {
            round,
            entries,
            assignments,
        }))
    }

    /// The comparison table of a round (units side by side) as CSV or xlsx, in my scope.
    #[oai(
        path = "/evaluation/rounds/:id/export",
        method = "get",
        operation_id = "eval_round_export"
    )]
    async fn round_export(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        /// `csv` (default) or `xlsx`.
        format: Query<Option<ExportFormat>>,
    ) -> Result<Download> {
        let caller = st.caller(req).await?;
        let (scope, _) = st
            .scoped(req, &caller, Action::ReadEvaluation, None)
            .await?;
        let round = ev::round(&st.db, id.0).await?;
        let entries = ev::entries(&st.db, &round, &scope).await?;
        let previous = ev::previous_round(&st.db, &round).await?;
        let percents = match &previous {
            Some(r) => ev::percents(&st.db, r).await?,
            None => Default::default(),
        };
        Ok(Download::table(
            &ev::table(&round, &entries, previous.as_ref().map(|r| (r, &percents))),
            format.0,
            &format!("evaluation-{}-{}", round.year, round.period),
        )?)
    }

    /// Publishes the round's results (every entry scored) and locks the round.
    #[oai(
        path = "/evaluation/rounds/:id/publish",
        method = "post",
        operation_id = "eval_round_publish"
    )]
    async fn publish(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Round>> {
        let caller = st.caller(req).await?;
        let root = root(&st).await?;
        st.authorize(req, &caller, Action::ManageEvaluation, &root)
            .await?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "eval_round_published",
            Some(root.id),
            format!("round {}", id.0),
            String::new(),
        );
        ev::publish(&st.db, id.0, &now, entry).await?;
        Ok(Json(ev::round(&st.db, id.0).await?))
    }

    /// Reopens a published round for changes; the reason is audited.
    #[oai(
        path = "/evaluation/rounds/:id/reopen",
        method = "post",
        operation_id = "eval_round_reopen"
    )]
    async fn reopen(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<CommentInput>,
    ) -> Result<Json<Round>> {
        let caller = st.caller(req).await?;
        let root = root(&st).await?;
        st.authorize(req, &caller, Action::ManageEvaluation, &root)
            .await?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "eval_round_reopened",
            Some(root.id),
            format!("round {}", id.0),
            body.comment.clone(),
        );
        ev::reopen(&st.db, id.0, &body.comment, &now, entry).await?;
        Ok(Json(ev::round(&st.db, id.0).await?))
    }

    /// One unit's entry with its indicators; automatic values are refreshed until it is scored.
    #[oai(
        path = "/evaluation/entries/:id",
        method = "get",
        operation_id = "eval_entry_get"
    )]
    async fn entry_get(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<EntryView>> {
        let caller = st.caller(req).await?;
        let loc = ev::locate(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::ReadEvaluation, &loc.unit)
            .await?;
        ev::refresh_auto(&st.db, &st.settings.policy, id.0, st.clock.now()).await?;
        Ok(Json(ev::entry(&st.db, id.0).await?))
    }

    /// Saves the unit's self-assessment: scores, comments and evidence per indicator.
    #[oai(
        path = "/evaluation/entries/:id/self",
        method = "put",
        operation_id = "eval_entry_self"
    )]
    async fn entry_self(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<SelfInput>,
    ) -> Result<Json<EntryView>> {
        let caller = st.caller(req).await?;
        let loc = ev::locate(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::SelfAssess, &loc.unit)
            .await?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "eval_self_saved",
            Some(loc.unit.id),
            format!("entry {}", id.0),
            format!("{} items", body.items.len()),
        );
        ev::save_self(&st.db, id.0, &body.items, &now, entry).await?;
        ev::refresh_auto(&st.db, &st.settings.policy, id.0, st.clock.now()).await?;
        Ok(Json(ev::entry(&st.db, id.0).await?))
    }

    /// Submits the self-assessment to the level above (late when past the step's deadline).
    #[oai(
        path = "/evaluation/entries/:id/submit",
        method = "post",
        operation_id = "eval_entry_submit"
    )]
    async fn entry_submit(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<EntryView>> {
        let caller = st.caller(req).await?;
        let loc = ev::locate(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::SelfAssess, &loc.unit)
            .await?;
        ev::refresh_auto(&st.db, &st.settings.policy, id.0, st.clock.now()).await?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "eval_submitted",
            Some(loc.unit.id),
            format!("entry {}", id.0),
            String::new(),
        );
        ev::submit(&st.db, id.0, &now, entry).await?;
        Ok(Json(ev::entry(&st.db, id.0).await?))
    }

    /// Scores a submitted entry (the level above: a branch its points, the main center its
    /// branches, the district the main center — its acceptance, 验收).
    #[oai(
        path = "/evaluation/entries/:id/score",
        method = "post",
        operation_id = "eval_entry_score"
    )]
    async fn entry_score(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<ScoreInput>,
    ) -> Result<Json<EntryView>> {
        let caller = st.caller(req).await?;
        let loc = ev::locate(&st.db, id.0).await?;
        st.authorize(req, &caller, ev::scoring_action(&loc.level), &loc.unit)
            .await?;
        ev::refresh_auto(&st.db, &st.settings.policy, id.0, st.clock.now()).await?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            if loc.level == "main" {
                "eval_accepted"
            } else {
                "eval_scored"
            },
            Some(loc.unit.id),
            format!("entry {}", id.0),
            body.reward_note.clone(),
        );
        Ok(Json(
            ev::score(
                &st.db,
                id.0,
                &body.items,
                &body.reward_note,
                caller.user_id,
                &now,
                entry,
            )
            .await?,
        ))
    }

    /// Returns a submitted entry to its unit for correction, with a comment.
    #[oai(
        path = "/evaluation/entries/:id/return",
        method = "post",
        operation_id = "eval_entry_return"
    )]
    async fn entry_return(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<CommentInput>,
    ) -> Result<Json<EntryView>> {
        let caller = st.caller(req).await?;
        let loc = ev::locate(&st.db, id.0).await?;
        st.authorize(req, &caller, ev::scoring_action(&loc.level), &loc.unit)
            .await?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "eval_returned",
            Some(loc.unit.id),
            format!("entry {}", id.0),
            body.comment.clone(),
        );
        ev::return_entry(&st.db, id.0, &body.comment, entry, &now).await?;
        Ok(Json(ev::entry(&st.db, id.0).await?))
    }

    /// Grants a third-party evaluator one round or one object in it (the district).
    #[oai(
        path = "/evaluation/rounds/:id/assignments",
        method = "post",
        operation_id = "eval_assign"
    )]
    async fn assign(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<AssignInput>,
    ) -> Result<Json<EvaluationCreated>> {
        let caller = st.caller(req).await?;
        let root = root(&st).await?;
        st.authorize(req, &caller, Action::ManageEvaluation, &root)
            .await?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "eval_assigned",
            body.unit_id.or(Some(root.id)),
            format!("round {} user {}", id.0, body.user_id),
            String::new(),
        );
        let id = ev::assign(
            &st.db,
            id.0,
            body.user_id,
            body.unit_id,
            caller.user_id,
            &now,
            entry,
        )
        .await?;
        Ok(Json(EvaluationCreated { id }))
    }

    /// A third-party evaluator records its assessment and report, for its own assignment only.
    #[oai(
        path = "/evaluation/assignments/:id/assessment",
        method = "put",
        operation_id = "eval_assess"
    )]
    async fn assess(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<AssessmentInput>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let (a, unit) = ev::assignment(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::ThirdPartyAssess, &unit)
            .await?;
        // The evaluator role reaches everything; it may assess only what it was assigned.
        access::check_assigned(
            &caller,
            Action::ThirdPartyAssess,
            &unit,
            a.user_id == caller.user_id,
        )?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "eval_assessed",
            Some(unit.id),
            format!("assignment {}", a.id),
            String::new(),
        );
        ev::record_assessment(&st.db, &a, &unit, &body.0, &now, entry).await?;
        Ok(Json(Done { ok: true }))
    }

    /// Records a supervision visit or unannounced check at a unit (督导/暗访).
    #[oai(
        path = "/spot-checks",
        method = "post",
        operation_id = "spot_check_create"
    )]
    async fn spot_check_create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<SpotCheckInput>,
    ) -> Result<Json<EvaluationCreated>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::SpotCheck, body.unit_id)
            .await?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "spot_check_recorded",
            Some(unit.id),
            format!("{} {}", body.kind, body.visited_on),
            body.rectify_by.clone().unwrap_or_default(),
        );
        let id = ev::record_spot_check(&st.db, &unit, &body.0, caller.user_id, &now, entry).await?;
        Ok(Json(EvaluationCreated { id }))
    }

    /// Spot checks in my scope (of one unit's subtree when asked); `open=true`: only those with
    /// a rectification still to record.
    #[oai(path = "/spot-checks", method = "get", operation_id = "spot_checks")]
    async fn spot_checks(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
        open: Query<Option<bool>>,
    ) -> Result<Json<SpotChecks>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadEvaluation, unit_id.0)
            .await?;
        Ok(Json(SpotChecks {
            items: ev::spot_checks(&st.db, &scope, &under, open.0.unwrap_or(false)).await?,
        }))
    }

    /// The unit records how it rectified a spot check's findings.
    #[oai(
        path = "/spot-checks/:id/rectify",
        method = "post",
        operation_id = "spot_check_rectify"
    )]
    async fn rectify(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<RectifyInput>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let unit = ev::spot_check_unit(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::SelfAssess, &unit)
            .await?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "spot_check_rectified",
            Some(unit.id),
            format!("spot check {}", id.0),
            String::new(),
        );
        ev::rectify(&st.db, id.0, &body.rectification, &now, entry).await?;
        Ok(Json(Done { ok: true }))
    }
    /// The facility standards of a level (the defaults until the district saves its own).
    #[oai(
        path = "/evaluation/facility-standards/:level",
        method = "get",
        operation_id = "eval_facility_standards_get"
    )]
    async fn facility_standards_get(
        &self,
        st: Data<&AppState>,
        req: &Request,
        /// `point`, `branch` or `main`.
        level: Path<String>,
    ) -> Result<Json<FacilityStandards>> {
        let caller = st.caller(req).await?;
        st.scoped(req, &caller, Action::ReadEvaluation, None)
            .await?;
        let root = root(&st).await?;
        Ok(Json(
            ev::facility_standards(&st.db, root.id, valid_level(&level.0)?).await?,
        ))
    }

    /// Replaces the facility standards of a level (the district).
    #[oai(
        path = "/evaluation/facility-standards/:level",
        method = "put",
        operation_id = "eval_facility_standards_save"
    )]
    async fn facility_standards_save(
        &self,
        st: Data<&AppState>,
        req: &Request,
        level: Path<String>,
        body: Json<FacilityStandardsInput>,
    ) -> Result<Json<FacilityStandards>> {
        let caller = st.caller(req).await?;
        let root = root(&st).await?;
        st.authorize(req, &caller, Action::ManageEvaluation, &root)
            .await?;
        let level = valid_level(&level.0)?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "eval_facility_standards_saved",
            Some(root.id),
            format!("facility standards {level}"),
            format!("{} items", body.items.len()),
        );
        ev::save_facility_standards(
            &st.db,
            root.id,
            level,
            &body.items,
            caller.user_id,
            &now,
            entry,
        )
        .await?;
        Ok(Json(ev::facility_standards(&st.db, root.id, level).await?))
    }

    /// A unit's facility checklist: its level's standards, what it recorded, compliance.
    #[oai(
        path = "/evaluation/facilities/:unit_id",
        method = "get",
        operation_id = "eval_facilities_get"
    )]
    async fn facilities_get(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Path<i64>,
    ) -> Result<Json<FacilityChecklist>> {
        let caller = st.caller(req).await?;
        st.authorize_unit(req, &caller, Action::ReadEvaluation, unit_id.0)
            .await?;
        Ok(Json(ev::facility_checklist(&st.db, unit_id.0).await?))
    }

    /// The unit records its facility facts with evidence (area, rooms, equipment, hours, signage).
    #[oai(
        path = "/evaluation/facilities/:unit_id",
        method = "put",
        operation_id = "eval_facilities_save"
    )]
    async fn facilities_save(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Path<i64>,
        body: Json<FacilityFactsInput>,
    ) -> Result<Json<FacilityChecklist>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::SelfAssess, unit_id.0)
            .await?;
        let c = ctx(req);
        let now = st.now();
        let entry = st.audit(
            &c,
            &caller,
            "eval_facilities_saved",
            Some(unit.id),
            format!("facilities {}", unit.id),
            body.facts
                .iter()
                .map(|f| f.key.as_str())
                .collect::<Vec<_>>()
                .join(","),
        );
        ev::save_facility_facts(&st.db, &unit, &body.facts, caller.user_id, &now, entry).await?;
        Ok(Json(ev::facility_checklist(&st.db, unit.id).await?))
    }

    /// A unit's results across rounds (year on year): totals, percent, grade, category scores.
    #[oai(
        path = "/evaluation/units/:unit_id/history",
        method = "get",
        operation_id = "eval_unit_history"
    )]
    async fn unit_history(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Path<i64>,
    ) -> Result<Json<UnitHistory>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ReadEvaluation, unit_id.0)
            .await?;
        Ok(Json(UnitHistory {
            unit_id: unit.id,
            rounds: ev::unit_history(&st.db, &unit).await?,
        }))
    }

    /// A unit's state in the open round (the point coordinator's page): deadlines, its entry's
    /// step, indicators still missing a value or evidence, open rectifications.
    #[oai(
        path = "/evaluation/units/:unit_id/status",
        method = "get",
        operation_id = "eval_unit_status"
    )]
    async fn unit_status(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Path<i64>,
    ) -> Result<Json<UnitStatus>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ReadEvaluation, unit_id.0)
            .await?;
        Ok(Json(ev::unit_status(&st.db, &unit).await?))
    }
}
