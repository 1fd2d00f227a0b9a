//! Volunteering beyond the door: opportunities and shifts, sign-ups, approval, hours,
//! certificates, teams (issue 16). Rules live in `volunteering`.

use super::{ApiTags, Done};
use crate::access::{self, Action, Caller};
use crate::error::ApiError;
use crate::export::{Download, ExportFormat};
use crate::state::AppState;
use crate::time;
use crate::volunteering::{
    self as vol, NewShift, ShiftSignup, VolunteerCertificate, VolunteerCertificateCheck,
    VolunteerHoursSummary, VolunteerOpportunity, VolunteerProfile, VolunteerRole, VolunteerTeam,
    VolunteerTeamApplication,
};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct VolunteeringApi;

#[derive(Object)]
struct VolunteerRoleList {
    items: Vec<VolunteerRole>,
}

#[derive(Object)]
struct VolunteerOpportunityList {
    items: Vec<VolunteerOpportunity>,
}

#[derive(Object)]
struct ShiftInput {
    /// A code from `GET /volunteer-roles`.
    #[oai(validator(min_length = 1, max_length = 40))]
    role_code: String,
    /// The session served (required for `door_checkin`: the shift then gives the door's
    /// scanning right for that session).
    session_id: Option<i64>,
    /// RFC 3339.
    starts_at: String,
    ends_at: String,
    #[oai(validator(max_length = 100))]
    place: Option<String>,
    needed: i64,
}

#[derive(Object)]
struct NewOpportunity {
    #[oai(validator(min_length = 1, max_length = 60))]
    title: String,
    #[oai(validator(max_length = 2000))]
    description: Option<String>,
    activity_id: Option<i64>,
    /// Recruit for this volunteer team (its recruiting page lists the opportunity).
    team_id: Option<i64>,
    #[oai(validator(max_items = 50))]
    shifts: Vec<ShiftInput>,
}

#[derive(Object)]
struct ShiftUpdate {
    needed: i64,
}

#[derive(Object)]
struct ShiftSignUpBody {
    #[oai(validator(max_length = 200))]
    note: Option<String>,
}

#[derive(Object)]
struct MyShifts {
    items: Vec<ShiftSignup>,
    hours: VolunteerHoursSummary,
}

#[derive(Object)]
struct ShiftSignupList {
    items: Vec<ShiftSignup>,
}

#[derive(Object)]
struct ProfileInput {
    #[oai(validator(max_length = 200))]
    skills: String,
    #[oai(validator(max_length = 500))]
    intro: Option<String>,
}

#[derive(Object)]
struct SignupDecline {
    #[oai(validator(max_length = 200))]
    reason: Option<String>,
}

#[derive(Object)]
struct ConfirmHours {
    /// Whole minutes served (0 for a no-show).
    minutes: i64,
}

#[derive(Object)]
struct VolunteerTeamList {
    items: Vec<VolunteerTeam>,
}

#[derive(Object)]
struct NewVolunteerTeam {
    #[oai(validator(min_length = 1, max_length = 60))]
    name: String,
    #[oai(validator(max_length = 2000))]
    intro: Option<String>,
    /// The federation this team belongs to.
    parent_id: Option<i64>,
    recruiting: Option<bool>,
}

#[derive(Object)]
struct VolunteerTeamUpdate {
    #[oai(validator(max_length = 2000))]
    intro: Option<String>,
    recruiting: Option<bool>,
}

#[derive(Object)]
struct VolunteerTeamApply {
    #[oai(validator(max_length = 200))]
    note: Option<String>,
}

#[derive(Object)]
struct VolunteerTeamDecision {
    approve: bool,
}

#[derive(Object)]
struct VolunteerTeamApplicationList {
    items: Vec<VolunteerTeamApplication>,
}

#[derive(Object)]
struct VolunteerTeamApplied {
    id: i64,
}

/// The caller, allowed `action` at `unit`.
async fn staff_at(
    st: &AppState,
    req: &Request,
    action: Action,
    unit: &access::UnitRef,
) -> Result<Caller, ApiError> {
    let caller = st.caller(req).await?;
    st.authorize(req, &caller, action, unit).await?;
    Ok(caller)
}

fn day_bound(s: Option<&str>, fallback: &str) -> Result<String, ApiError> {
    match s {
        None => Ok(fallback.to_string()),
        Some(d) => {
            let d = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| ApiError::validation("日期格式应为 YYYY-MM-DD"))?;
            let t =
                d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - chrono::Duration::hours(8);
            Ok(time::fmt(t))
        }
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Checkin")]
impl VolunteeringApi {
    /// The volunteer roles (岗位) opportunities can ask for: usher, guide, …
    #[oai(
        path = "/volunteer-roles",
        method = "get",
        operation_id = "volunteer_roles"
    )]
    async fn roles(&self, st: Data<&AppState>) -> Result<Json<VolunteerRoleList>> {
        Ok(Json(VolunteerRoleList {
            items: vol::roles(&st.db).await?,
        }))
    }

    /// Open opportunities with shifts still to come, in a unit's subtree or for one team.
    #[oai(
        path = "/volunteer-opportunities",
        method = "get",
        operation_id = "volunteer_opportunities"
    )]
    async fn browse(
        &self,
        st: Data<&AppState>,
        unit_id: Query<Option<i64>>,
        team_id: Query<Option<i64>>,
    ) -> Result<Json<VolunteerOpportunityList>> {
        let path = match unit_id.0 {
            Some(id) => Some(crate::org::unit_ref(&st.db, id).await?.path),
            None => None,
        };
        Ok(Json(VolunteerOpportunityList {
            items: vol::browse(&st.db, path.as_deref(), team_id.0, st.clock.now()).await?,
        }))
    }

    /// One opportunity with its shifts and places left.
    #[oai(
        path = "/volunteer-opportunities/:id",
        method = "get",
        operation_id = "volunteer_opportunity"
    )]
    async fn opportunity(
        &self,
        st: Data<&AppState>,
        id: Path<i64>,
    ) -> Result<Json<VolunteerOpportunity>> {
        Ok(Json(vol::opportunity(&st.db, id.0).await?.0))
    }

    /// Post an opportunity with its shifts at the unit.
    #[oai(
        path = "/units/:id/volunteer-opportunities",
        method = "post",
        operation_id = "opportunity_create"
    )]
    async fn create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<NewOpportunity>,
    ) -> Result<Json<VolunteerOpportunity>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ManageVolunteering, id.0)
            .await?;
        if body.shifts.is_empty() {
            return Err(ApiError::validation("请至少添加一个班次").into());
        }
        if let Some(t) = body.team_id {
            let (_, tu) = vol::team(&st.db, t).await?;
            // A unit recruits for its own teams or those above it (the federation).
            if !unit.path.starts_with(&tu.path) && !tu.path.starts_with(&unit.path) {
                return Err(ApiError::validation("该志愿服务队不属于本单位").into());
            }
        }
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let oid: i64 = sqlx::query_scalar(
            "INSERT INTO volunteer_opportunities (unit_id, unit_path, title, description, activity_id, team_id, created_by, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
        )
        .bind(unit.id)
        .bind(&unit.path)
        .bind(body.title.trim())
        .bind(body.description.as_deref().unwrap_or_default().trim())
        .bind(body.activity_id)
        .bind(body.team_id)
        .bind(caller.user_id)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(ApiError::from)?;
        for s in &body.shifts {
            vol::insert_shift(
                &mut tx,
                oid,
                &unit,
                &NewShift {
                    role_code: &s.role_code,
                    session_id: s.session_id,
                    starts_at: &s.starts_at,
                    ends_at: &s.ends_at,
                    place: s.place.as_deref().unwrap_or_default(),
                    needed: s.needed,
                },
                &now,
            )
            .await?;
        }
        st.audited(
            &mut tx,
            req,
            &caller,
            "opportunity_created",
            Some(unit.id),
            format!("opportunity {oid}"),
            body.title.clone(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(vol::opportunity(&st.db, oid).await?.0))
    }

    /// The unit's opportunities (open and closed) with places taken, for staff.
    #[oai(
        path = "/units/:id/volunteer-opportunities",
        method = "get",
        operation_id = "opportunities_manage"
    )]
    async fn manage(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<VolunteerOpportunityList>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ManageVolunteering, Some(id.0))
            .await?;
        Ok(Json(VolunteerOpportunityList {
            items: vol::of_unit(&st.db, &scope.sql("o.unit_path"), &under).await?,
        }))
    }

    /// Add a shift to an opportunity.
    #[oai(
        path = "/volunteer-opportunities/:id/shifts",
        method = "post",
        operation_id = "shift_create"
    )]
    async fn add_shift(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<ShiftInput>,
    ) -> Result<Json<VolunteerOpportunity>> {
        let (_, unit) = vol::opportunity(&st.db, id.0).await?;
        let caller = staff_at(&st, req, Action::ManageVolunteering, &unit).await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let sid = vol::insert_shift(
            &mut tx,
            id.0,
            &unit,
            &NewShift {
                role_code: &body.role_code,
                session_id: body.session_id,
                starts_at: &body.starts_at,
                ends_at: &body.ends_at,
                place: body.place.as_deref().unwrap_or_default(),
                needed: body.needed,
            },
            &now,
        )
        .await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "shift_created",
            Some(unit.id),
            format!("shift {sid}"),
            format!("opportunity {}", id.0),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(vol::opportunity(&st.db, id.0).await?.0))
    }

    /// Change how many people a shift needs (never below those signed up).
    #[oai(
        path = "/volunteer-shifts/:id",
        method = "patch",
        operation_id = "shift_update"
    )]
    async fn update_shift(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<ShiftUpdate>,
    ) -> Result<Json<Done>> {
        let info = vol::shift_info(&st.db, id.0).await?;
        let caller = staff_at(&st, req, Action::ManageVolunteering, &info.unit).await?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        vol::set_needed(&mut tx, id.0, body.needed).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "shift_updated",
            Some(info.unit.id),
            format!("shift {}", id.0),
            format!("needed {}", body.needed),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(Done { ok: true }))
    }

    /// Stop recruiting for an opportunity (sign-ups made stay).
    #[oai(
        path = "/volunteer-opportunities/:id/close",
        method = "post",
        operation_id = "opportunity_close"
    )]
    async fn close(&self, st: Data<&AppState>, req: &Request, id: Path<i64>) -> Result<Json<Done>> {
        let (_, unit) = vol::opportunity(&st.db, id.0).await?;
        let caller = staff_at(&st, req, Action::ManageVolunteering, &unit).await?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        sqlx::query("UPDATE volunteer_opportunities SET status = 'closed' WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "opportunity_closed",
            Some(unit.id),
            format!("opportunity {}", id.0),
            String::new(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(Done { ok: true }))
    }

    /// Sign up for a shift; it waits for staff approval. `409 shift_full` when no place is
    /// left, `409 already_signed_up` for a second sign-up.
    #[oai(
        path = "/volunteer-shifts/:id/signups",
        method = "post",
        operation_id = "shift_signup"
    )]
    async fn sign_up(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<ShiftSignUpBody>,
    ) -> Result<Json<ShiftSignup>> {
        let caller = st.caller(req).await?;
        let sid = vol::sign_up(
            &st.db,
            id.0,
            caller.user_id,
            body.note.as_deref().unwrap_or_default(),
            st.clock.now(),
        )
        .await?;
        Ok(Json(vol::signup(&st.db, sid).await?.0))
    }

    /// Withdraw my sign-up before the shift starts; the place is freed.
    #[oai(
        path = "/shift-signups/:id/withdraw",
        method = "post",
        operation_id = "shift_signup_withdraw"
    )]
    async fn withdraw(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let (s, _, _) = vol::signup(&st.db, id.0).await?;
        if s.user_id != caller.user_id {
            return Err(ApiError::not_found("该报名").into());
        }
        if s.starts_at <= st.now() {
            return Err(ApiError::conflict("shift_closed", "班次已经开始，不能取消报名").into());
        }
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        if !vol::release(&mut tx, id.0, "withdrawn", caller.user_id, &st.now()).await? {
            return Err(ApiError::conflict("signup_not_pending", "该报名已处理").into());
        }
        tx.commit().await.map_err(ApiError::from)?;
        st.identity_changed(caller.user_id);
        Ok(Json(Done { ok: true }))
    }

    /// My shifts (all sign-ups) and my hours by role, with the milestone reached.
    #[oai(path = "/me/shifts", method = "get", operation_id = "my_shifts")]
    async fn mine(&self, st: Data<&AppState>, req: &Request) -> Result<Json<MyShifts>> {
        let caller = st.caller(req).await?;
        Ok(Json(MyShifts {
            items: vol::mine(&st.db, caller.user_id).await?,
            hours: vol::hours_of(
                &st.db,
                caller.user_id,
                st.settings.booking.checkin_opens_minutes,
                st.clock.now(),
            )
            .await?,
        }))
    }

    /// My volunteer skills profile.
    #[oai(
        path = "/me/volunteer-profile",
        method = "get",
        operation_id = "volunteer_profile_get"
    )]
    async fn profile(&self, st: Data<&AppState>, req: &Request) -> Result<Json<VolunteerProfile>> {
        let caller = st.caller(req).await?;
        Ok(Json(vol::profile(&st.db, caller.user_id).await?))
    }

    /// Save my skills profile (staff see it when choosing volunteers).
    #[oai(
        path = "/me/volunteer-profile",
        method = "put",
        operation_id = "volunteer_profile_save"
    )]
    async fn save_profile(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<ProfileInput>,
    ) -> Result<Json<VolunteerProfile>> {
        let caller = st.caller(req).await?;
        vol::save_profile(
            &st.db,
            caller.user_id,
            &body.skills,
            body.intro.as_deref().unwrap_or_default(),
            &st.now(),
        )
        .await?;
        Ok(Json(vol::profile(&st.db, caller.user_id).await?))
    }

    /// Sign-ups for the unit's shifts (and its subtree's), optionally of one status.
    #[oai(
        path = "/units/:id/shift-signups",
        method = "get",
        operation_id = "shift_signups"
    )]
    async fn signups(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        /// `pending`, `approved`, `declined`, `withdrawn`.
        status: Query<Option<String>>,
    ) -> Result<Json<ShiftSignupList>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ManageVolunteering, Some(id.0))
            .await?;
        if let Some(s) = status.0.as_deref() {
            if !["pending", "approved", "declined", "withdrawn"].contains(&s) {
                return Err(ApiError::validation("状态不正确").into());
            }
        }
        Ok(Json(ShiftSignupList {
            items: vol::for_staff(
                &st.db,
                &scope.sql("o.unit_path"),
                &under,
                status.0.as_deref(),
            )
            .await?,
        }))
    }

    /// Approve a sign-up. For a door check-in shift this also assigns the volunteer to the
    /// session's door (and makes them a volunteer of the unit if they were not).
    #[oai(
        path = "/shift-signups/:id/approve",
        method = "post",
        operation_id = "shift_signup_approve"
    )]
    async fn approve(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<ShiftSignup>> {
        let (s, unit, _) = vol::signup(&st.db, id.0).await?;
        let caller = staff_at(&st, req, Action::ManageVolunteering, &unit).await?;
        let is_volunteer = {
            let who = Caller {
                user_id: s.user_id,
                openid: None,
                grants: crate::identity::grants_of(&st.db, s.user_id).await?,
            };
            access::check(&who, Action::ScanTickets, &unit).is_ok()
        };
        if s.role_code == vol::DOOR_ROLE && !is_volunteer {
            // Making someone a volunteer is granting a role: the approver must be allowed to.
            st.authorize(req, &caller, Action::Grant(access::Role::Volunteer), &unit)
                .await?;
        }
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let granted = vol::approve(&mut tx, &s, &unit, is_volunteer, caller.user_id, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "shift_signup_approved",
            Some(unit.id),
            format!("signup {}", s.id),
            format!("user {} shift {}", s.user_id, s.shift_id),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        if granted || s.role_code == vol::DOOR_ROLE {
            st.identity_changed(s.user_id);
        }
        Ok(Json(vol::signup(&st.db, id.0).await?.0))
    }

    /// SignupDecline a sign-up (pending or approved): the place is freed, a door assignment removed.
    #[oai(
        path = "/shift-signups/:id/decline",
        method = "post",
        operation_id = "shift_signup_decline"
    )]
    async fn decline(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<SignupDecline>,
    ) -> Result<Json<ShiftSignup>> {
        let (s, unit, _) = vol::signup(&st.db, id.0).await?;
        let caller = staff_at(&st, req, Action::ManageVolunteering, &unit).await?;
        if s.minutes.is_some() {
            return Err(
                ApiError::conflict("signup_not_pending", "服务时长已确认，不能再拒绝").into(),
            );
        }
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        if !vol::release(&mut tx, s.id, "declined", caller.user_id, &now).await? {
            return Err(ApiError::conflict("signup_not_pending", "该报名已处理").into());
        }
        st.audited(
            &mut tx,
            req,
            &caller,
            "shift_signup_declined",
            Some(unit.id),
            format!("signup {}", s.id),
            body.reason.clone().unwrap_or_default(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.identity_changed(s.user_id);
        Ok(Json(vol::signup(&st.db, id.0).await?.0))
    }

    /// Confirm the minutes served on an approved shift (or correct them).
    #[oai(
        path = "/shift-signups/:id/hours",
        method = "post",
        operation_id = "shift_hours_confirm"
    )]
    async fn confirm(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<ConfirmHours>,
    ) -> Result<Json<ShiftSignup>> {
        let (s, unit, _) = vol::signup(&st.db, id.0).await?;
        let caller = staff_at(&st, req, Action::ManageVolunteering, &unit).await?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        vol::confirm_hours(&mut tx, &s, body.minutes, caller.user_id, st.clock.now()).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "shift_hours_confirmed",
            Some(unit.id),
            format!("signup {}", s.id),
            format!("minutes {}", body.minutes),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(vol::signup(&st.db, id.0).await?.0))
    }

    /// Confirmed service records for the city volunteer system (CSV or xlsx), by shift start
    /// date `from`–`to` (China dates, `to` exclusive). Columns: docs/volunteering.md.
    #[oai(
        path = "/units/:id/volunteer-hours.csv",
        method = "get",
        operation_id = "volunteer_hours_export"
    )]
    async fn export(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        from: Query<Option<String>>,
        to: Query<Option<String>>,
        format: Query<Option<ExportFormat>>,
    ) -> Result<Download> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ManageVolunteering, Some(id.0))
            .await?;
        let from_s = day_bound(from.0.as_deref(), "0000")?;
        let to_s = day_bound(to.0.as_deref(), "9999")?;
        let t =
            vol::export_table(&st.db, &scope.sql("o.unit_path"), &under, &from_s, &to_s).await?;
        st.record_action(
            req,
            &caller,
            "volunteer_hours_exported",
            Some(id.0),
            format!("unit {}", id.0),
            format!("{} rows", t.rows.len()),
        )
        .await?;
        Ok(Download::table(
            &t,
            format.0,
            &format!("volunteer-hours-{}", id.0),
        )?)
    }

    /// My certificate of service: the payload the mini-program draws (name, hours, milestone,
    /// verification code). `409 no_service_hours` before any confirmed hours.
    #[oai(
        path = "/me/volunteer-certificate",
        method = "get",
        operation_id = "my_volunteer_certificate"
    )]
    async fn certificate(
        &self,
        st: Data<&AppState>,
        req: &Request,
    ) -> Result<Json<VolunteerCertificate>> {
        let caller = st.caller(req).await?;
        Ok(Json(
            vol::certificate(
                &st.db,
                caller.user_id,
                st.settings.booking.checkin_opens_minutes,
                st.clock.now(),
            )
            .await?,
        ))
    }

    /// Verify a certificate by the code printed on it (masked name, hours, date).
    #[oai(
        path = "/volunteer-certificates/:code",
        method = "get",
        operation_id = "volunteer_certificate_verify"
    )]
    async fn verify(
        &self,
        st: Data<&AppState>,
        #[oai(validator(max_length = 40))] code: Path<String>,
    ) -> Result<Json<VolunteerCertificateCheck>> {
        Ok(Json(vol::verify_certificate(&st.db, &code.0).await?))
    }

    /// Volunteer teams: the federation and its teams, with who is recruiting.
    #[oai(
        path = "/volunteer-teams",
        method = "get",
        operation_id = "volunteer_teams"
    )]
    async fn teams(&self, st: Data<&AppState>) -> Result<Json<VolunteerTeamList>> {
        Ok(Json(VolunteerTeamList {
            items: vol::teams(&st.db).await?,
        }))
    }

    /// Found a volunteer team at the unit (a federation, or a team under one).
    #[oai(
        path = "/units/:id/volunteer-teams",
        method = "post",
        operation_id = "volunteer_team_create"
    )]
    async fn team_create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<NewVolunteerTeam>,
    ) -> Result<Json<VolunteerTeam>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ManageVolunteering, id.0)
            .await?;
        if let Some(p) = body.parent_id {
            vol::team(&st.db, p).await?;
        }
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let tid: i64 = sqlx::query_scalar(
            "INSERT INTO volunteer_teams (unit_id, unit_path, parent_id, name, intro, recruiting, created_by, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
        )
        .bind(unit.id)
        .bind(&unit.path)
        .bind(body.parent_id)
        .bind(body.name.trim())
        .bind(body.intro.as_deref().unwrap_or_default().trim())
        .bind(body.recruiting.unwrap_or(true) as i64)
        .bind(caller.user_id)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(ApiError::from)?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "volunteer_team_created",
            Some(unit.id),
            format!("volunteer_team {tid}"),
            body.name.clone(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(vol::team(&st.db, tid).await?.0))
    }

    /// Change a team's introduction or open/close its recruiting.
    #[oai(
        path = "/volunteer-teams/:id",
        method = "patch",
        operation_id = "volunteer_team_update"
    )]
    async fn team_update(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<VolunteerTeamUpdate>,
    ) -> Result<Json<VolunteerTeam>> {
        let (t, unit) = vol::team(&st.db, id.0).await?;
        let caller = staff_at(&st, req, Action::ManageVolunteering, &unit).await?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        sqlx::query("UPDATE volunteer_teams SET intro = $1, recruiting = $2 WHERE id = $3")
            .bind(body.intro.as_deref().unwrap_or(&t.intro).trim())
            .bind(body.recruiting.unwrap_or(t.recruiting) as i64)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "volunteer_team_updated",
            Some(unit.id),
            format!("volunteer_team {}", id.0),
            String::new(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(vol::team(&st.db, id.0).await?.0))
    }

    /// Apply to join a recruiting team (from its recruiting page).
    #[oai(
        path = "/volunteer-teams/:id/apply",
        method = "post",
        operation_id = "volunteer_team_apply"
    )]
    async fn team_apply(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<VolunteerTeamApply>,
    ) -> Result<Json<VolunteerTeamApplied>> {
        let caller = st.caller(req).await?;
        let aid = vol::apply_to_team(
            &st.db,
            id.0,
            caller.user_id,
            body.note.as_deref().unwrap_or_default(),
            &st.now(),
        )
        .await?;
        Ok(Json(VolunteerTeamApplied { id: aid }))
    }

    /// My team applications and memberships.
    #[oai(
        path = "/me/volunteer-teams",
        method = "get",
        operation_id = "my_volunteer_teams"
    )]
    async fn my_teams(
        &self,
        st: Data<&AppState>,
        req: &Request,
    ) -> Result<Json<VolunteerTeamApplicationList>> {
        let caller = st.caller(req).await?;
        Ok(Json(VolunteerTeamApplicationList {
            items: vol::my_teams(&st.db, caller.user_id).await?,
        }))
    }

    /// Applications to the teams of the unit (and its subtree).
    #[oai(
        path = "/units/:id/volunteer-team-applications",
        method = "get",
        operation_id = "volunteer_team_applications"
    )]
    async fn team_applications(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<VolunteerTeamApplicationList>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ManageVolunteering, Some(id.0))
            .await?;
        Ok(Json(VolunteerTeamApplicationList {
            items: vol::team_applications(&st.db, &scope.sql("t.unit_path"), &under).await?,
        }))
    }

    /// Approve or decline an application to a team.
    #[oai(
        path = "/volunteer-team-applications/:id/decide",
        method = "post",
        operation_id = "volunteer_team_decide"
    )]
    async fn team_decide(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<VolunteerTeamDecision>,
    ) -> Result<Json<VolunteerTeamApplication>> {
        let (_, unit) = vol::team_application(&st.db, id.0).await?;
        let caller = staff_at(&st, req, Action::ManageVolunteering, &unit).await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let n = sqlx::query(
            "UPDATE volunteer_team_members SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = 'pending'",
        )
        .bind(if body.approve { "approved" } else { "declined" })
        .bind(caller.user_id)
        .bind(&now)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(ApiError::from)?
        .rows_affected();
        if n == 0 {
            return Err(ApiError::conflict("application_decided", "该申请已处理").into());
        }
        st.audited(
            &mut tx,
            req,
            &caller,
            if body.approve {
                "volunteer_team_member_approved"
            } else {
                "volunteer_team_member_declined"
            },
            Some(unit.id),
            format!("volunteer_team_member {}", id.0),
            String::new(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(vol::team_application(&st.db, id.0).await?.0))
    }
}
