//! The staff register and dual dispatch (双派): thin handlers over `people`.

use super::ApiTags;
use crate::access::Action;
use crate::error::ApiError;
use crate::org;
use crate::people::{self, Dispatch, NewStaff, StaffEntry, StaffPatch};
use crate::privacy::mask_name;
use crate::state::AppState;
use crate::training::{self, TrainingAttended};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use sqlx::Row;

pub struct PeopleApi;

#[derive(Object)]
struct TrainingRecord {
    /// False when the register entry is not linked to an account (no record can be kept).
    linked: bool,
    items: Vec<TrainingAttended>,
}

#[derive(Object)]
struct StaffRegister {
    items: Vec<StaffEntry>,
    /// The district's posts, for the form.
    posts: Vec<String>,
}

#[derive(Object)]
struct NewStaffBody {
    unit_id: i64,
    #[oai(validator(min_length = 1, max_length = 40))]
    name: String,
    #[oai(validator(max_length = 20))]
    phone: Option<String>,
    post: String,
    /// `full_time`, `part_time` or `seconded`.
    employment: String,
    /// `YYYY-MM-DD` (CST).
    from_date: String,
    /// Last day, `YYYY-MM-DD`; absent while open.
    to_date: Option<String>,
    /// Link to the person's account.
    user_id: Option<i64>,
}

#[derive(Object)]
struct StaffPatchBody {
    post: Option<String>,
    employment: Option<String>,
    from_date: Option<String>,
    /// Last day; an empty string reopens the entry.
    to_date: Option<String>,
    user_id: Option<i64>,
    /// Remove the account link.
    unlink_user: Option<bool>,
}

#[derive(Object)]
struct Dispatches {
    items: Vec<Dispatch>,
}

#[derive(Object)]
struct NewDispatchBody {
    /// The register entry of the person dispatched; they are sent from that entry's unit.
    staff_id: i64,
    to_unit_id: i64,
    /// Defaults to the district's deputy-head or instructor post.
    post: Option<String>,
    from_date: String,
    to_date: Option<String>,
}

#[derive(Object)]
struct EndDispatchBody {
    /// Last day of the dispatch.
    to_date: String,
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn check_phone(phone: Option<&str>) -> Result<(), ApiError> {
    if let Some(p) = phone {
        if !p
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
        {
            return Err(ApiError::validation("电话号码只能包含数字"));
        }
    }
    Ok(())
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::People")]
impl PeopleApi {
    /// The staff register of the units in my scope (names and phones masked).
    #[oai(
        path = "/people/staff",
        method = "get",
        operation_id = "staff_register_list"
    )]
    async fn list(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<StaffRegister>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStaff, unit_id.0)
            .await?;
        let today = people::cst_day(st.clock.now());
        Ok(Json(StaffRegister {
            items: people::list_staff(&st.db, &scope, &under, &today).await?,
            posts: st.settings.policy.staff_posts.clone(),
        }))
    }

    /// Add a person to a unit's staff register.
    #[oai(
        path = "/people/staff",
        method = "post",
        operation_id = "staff_register_create"
    )]
    async fn create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewStaffBody>,
    ) -> Result<Json<StaffEntry>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ManageStaff, body.unit_id)
            .await?;
        let p = &st.settings.policy;
        let name = body.name.trim();
        if name.is_empty() {
            return Err(ApiError::validation("请填写姓名").into());
        }
        let phone = nonempty(body.phone.as_deref());
        check_phone(phone)?;
        people::check_post(p, body.post.trim())?;
        people::check_employment(&body.employment)?;
        let from = people::parse_day(&body.from_date, "开始日期")?;
        let to = match nonempty(body.to_date.as_deref()) {
            Some(t) => Some(people::parse_day(t, "结束日期")?),
            None => None,
        };
        people::check_range(&from, to.as_deref())?;
        people::check_user(&st.db, body.user_id).await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let id = people::insert_staff(
            &mut tx,
            &NewStaff {
                unit_id: unit.id,
                name,
                phone,
                post: body.post.trim(),
                employment: &body.employment,
                from_date: &from,
                to_date: to.as_deref(),
                user_id: body.user_id,
            },
            &now,
        )
        .await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "staff_registered",
            Some(unit.id),
            format!("staff {id}"),
            format!(
                "{} {} {} {from}",
                mask_name(name),
                body.post.trim(),
                body.employment
            ),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        let today = people::cst_day(st.clock.now());
        Ok(Json(people::get_staff(&st.db, id, &today).await?.0))
    }

    /// Change a register entry: post, terms, dates (ending it sets `to_date`), account link.
    #[oai(
        path = "/people/staff/:id",
        method = "patch",
        operation_id = "staff_register_update"
    )]
    async fn update(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<StaffPatchBody>,
    ) -> Result<Json<StaffEntry>> {
        let caller = st.caller(req).await?;
        let today = people::cst_day(st.clock.now());
        let (cur, _) = people::get_staff(&st.db, id.0, &today).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ManageStaff, cur.unit_id)
            .await?;
        let p = &st.settings.policy;
        let post = body.post.as_deref().map(str::trim).unwrap_or(&cur.post);
        if body.post.is_some() {
            people::check_post(p, post)?;
        }
        let employment = body.employment.as_deref().unwrap_or(&cur.employment);
        people::check_employment(employment)?;
        let from = match body.from_date.as_deref() {
            Some(f) => people::parse_day(f, "开始日期")?,
            None => cur.from_date.clone(),
        };
        let to = match body.to_date.as_deref() {
            None => cur.to_date.clone(),
            Some(t) if t.trim().is_empty() => None,
            Some(t) => Some(people::parse_day(t, "结束日期")?),
        };
        people::check_range(&from, to.as_deref())?;
        let user_id = if body.unlink_user == Some(true) {
            None
        } else {
            body.user_id.or(cur.user_id)
        };
        if body.user_id.is_some() {
            people::check_user(&st.db, body.user_id).await?;
        }
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        people::update_staff(
            &mut tx,
            id.0,
            &StaffPatch {
                post: post.to_string(),
                employment: employment.to_string(),
                from_date: from.clone(),
                to_date: to.clone(),
                user_id,
            },
            &now,
        )
        .await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "staff_updated",
            Some(unit.id),
            format!("staff {}", id.0),
            format!("{post} {employment} {from}–{}", to.as_deref().unwrap_or("")),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(people::get_staff(&st.db, id.0, &today).await?.0))
    }

    /// Dual-dispatch records into or out of the units in my scope.
    #[oai(
        path = "/people/dispatches",
        method = "get",
        operation_id = "dispatch_list"
    )]
    async fn dispatches(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<Dispatches>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStaff, unit_id.0)
            .await?;
        let today = people::cst_day(st.clock.now());
        Ok(Json(Dispatches {
            items: people::list_dispatches(&st.db, &scope, &under, &today).await?,
        }))
    }

    /// Dispatch a registered person one level down their own line: a main-center cadre to a
    /// branch as deputy head, a branch instructor to one of its points. Kept by the sending unit.
    #[oai(
        path = "/people/dispatches",
        method = "post",
        operation_id = "dispatch_create"
    )]
    async fn dispatch(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewDispatchBody>,
    ) -> Result<Json<Dispatch>> {
        let caller = st.caller(req).await?;
        let today = people::cst_day(st.clock.now());
        let (staff, _) = people::get_staff(&st.db, body.staff_id, &today).await?;
        let from_unit = st
            .authorize_unit(req, &caller, Action::ManageStaff, staff.unit_id)
            .await?;
        let to = org::get_unit(&st.db, body.to_unit_id).await?;
        let from_level: String = sqlx::query("SELECT level FROM org_units WHERE id = $1")
            .bind(from_unit.id)
            .fetch_one(st.db.pool())
            .await
            .map_err(ApiError::from)?
            .get("level");
        let to_level = to.level.as_str();
        let kind = match people::dispatch_kind(&from_level, to_level) {
            Some(k) if to.parent_id == Some(from_unit.id) => k,
            _ => {
                return Err(ApiError::bad_request(
                    "dispatch_not_down_the_line",
                    "只能由总馆派往其下属分馆，或由分馆派往其下属服务点",
                )
                .into())
            }
        };
        let p = &st.settings.policy;
        let post = match nonempty(body.post.as_deref()) {
            Some(x) => {
                people::check_post(p, x)?;
                x.to_string()
            }
            None if kind == "deputy_head" => p.deputy_head_post.clone(),
            None => p.instructor_post.clone(),
        };
        let from = people::parse_day(&body.from_date, "开始日期")?;
        let end = match nonempty(body.to_date.as_deref()) {
            Some(t) => Some(people::parse_day(t, "结束日期")?),
            None => None,
        };
        people::check_range(&from, end.as_deref())?;
        // A dispatch lies within the person's time on the register.
        if from < staff.from_date
            || staff
                .to_date
                .as_deref()
                .is_some_and(|t| t < from.as_str() || end.as_deref().is_none_or(|e| e > t))
        {
            return Err(ApiError::bad_request(
                "dispatch_outside_register",
                "派驻期间须在该人员的在岗期间之内",
            )
            .into());
        }
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let id = people::insert_dispatch(
            &mut tx,
            staff.id,
            from_unit.id,
            to.id,
            kind,
            &post,
            &from,
            end.as_deref(),
            &now,
        )
        .await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "staff_dispatched",
            Some(from_unit.id),
            format!("dispatch {id}"),
            format!("staff {} → unit {} {post} {from}", staff.id, to.id),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(people::get_dispatch(&st.db, id, &today).await?.0))
    }

    /// End a dispatch on a given day (the sending unit).
    #[oai(
        path = "/people/dispatches/:id/end",
        method = "post",
        operation_id = "dispatch_end"
    )]
    async fn end(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<EndDispatchBody>,
    ) -> Result<Json<Dispatch>> {
        let caller = st.caller(req).await?;
        let today = people::cst_day(st.clock.now());
        let (d, _) = people::get_dispatch(&st.db, id.0, &today).await?;
        let from_unit = st
            .authorize_unit(req, &caller, Action::ManageStaff, d.from_unit_id)
            .await?;
        let to = people::parse_day(&body.to_date, "结束日期")?;
        people::check_range(&d.from_date, Some(&to))?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        people::end_dispatch(&mut tx, id.0, &to, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "dispatch_ended",
            Some(from_unit.id),
            format!("dispatch {}", id.0),
            to.clone(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(people::get_dispatch(&st.db, id.0, &today).await?.0))
    }

    /// My training record: every staff-training session I was checked in to.
    #[oai(
        path = "/people/trainings/mine",
        method = "get",
        operation_id = "training_record_mine"
    )]
    async fn my_trainings(
        &self,
        st: Data<&AppState>,
        req: &Request,
    ) -> Result<Json<TrainingRecord>> {
        let caller = st.caller(req).await?;
        Ok(Json(TrainingRecord {
            linked: true,
            items: training::record(&st.db, caller.user_id).await?,
        }))
    }

    /// The training record of a staff register entry (through its linked account).
    #[oai(
        path = "/people/staff/:id/trainings",
        method = "get",
        operation_id = "training_record_staff"
    )]
    async fn staff_trainings(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<TrainingRecord>> {
        let caller = st.caller(req).await?;
        let today = people::cst_day(st.clock.now());
        let (entry, _) = people::get_staff(&st.db, id.0, &today).await?;
        st.authorize_unit(req, &caller, Action::ReadStaff, entry.unit_id)
            .await?;
        Ok(Json(match entry.user_id {
            Some(u) => TrainingRecord {
                linked: true,
                items: training::record(&st.db, u).await?,
            },
            None => TrainingRecord {
                linked: false,
                items: Vec::new(),
            },
        }))
    }

    /// Staff trainings held in a CST year by the units in my scope, with attendance, and the
    /// policy's yearly requirements (district, main center, each branch) with the gaps.
    #[oai(
        path = "/people/trainings/summary",
        method = "get",
        operation_id = "training_summary"
    )]
    async fn training_summary(
        &self,
        st: Data<&AppState>,
        req: &Request,
        /// CST year; default the current one.
        year: Query<Option<i32>>,
        unit_id: Query<Option<i64>>,
    ) -> Result<Json<training::TrainingSummary>> {
        let caller = st.caller(req).await?;
        let now = st.clock.now();
        let year = year.0.unwrap_or_else(|| crate::time::cst_year(now));
        if !(2000..=2100).contains(&year) {
            return Err(ApiError::validation("年份无效").into());
        }
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStaff, unit_id.0)
            .await?;
        Ok(Json(
            training::summary(
                &st.db,
                &st.settings.policy,
                &scope,
                &under,
                year,
                &crate::time::fmt(now),
            )
            .await?,
        ))
    }
}
