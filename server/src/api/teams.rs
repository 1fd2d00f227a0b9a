//! Art teams (群众文艺团队): residents register and run teams, the home unit's staff verify
//! them and record guidance, performances and awards; anyone reads the team pages (社团风采).

use super::{ApiTags, Done};
use crate::access::Action;
use crate::error::ApiError;
use crate::state::AppState;
use crate::teams::{
    self, TeamAward, TeamCard, TeamGuidance, TeamInput, TeamJoinRequest, TeamMember,
    TeamPerformance, TeamStatsRow,
};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct TeamsApi;

#[derive(Object)]
struct NewTeam {
    /// The home unit: the branch or point the team rehearses at; its staff verify the team.
    unit_id: i64,
    #[oai(flatten)]
    team: TeamInput,
}

#[derive(Object)]
struct TeamCreated {
    id: i64,
    /// `pending` until the home unit verifies the team.
    status: String,
    invite_code: String,
}

#[derive(Object)]
struct MyTeam {
    team: TeamCard,
    /// `pending`, `verified`, `declined` or `dissolved`.
    status: String,
    decline_reason: String,
    /// `leader` or `member`.
    role: String,
    /// The family member who is the member (a child), if not the account holder.
    family_member_id: Option<i64>,
    /// The invitation code, for the leader only.
    invite_code: Option<String>,
    /// Pending join requests, for the leader only.
    pending_requests: i64,
}

#[derive(Object)]
struct MyTeams {
    items: Vec<MyTeam>,
}

#[derive(Object)]
struct TeamJoinWithCode {
    #[oai(validator(max_length = 20))]
    code: String,
    /// Join a family member (a child under 14 needs the guardian's recorded consent).
    family_member_id: Option<i64>,
}

#[derive(Object)]
struct TeamJoined {
    team_id: i64,
    team_name: String,
}

#[derive(Object)]
struct TeamInviteCode {
    invite_code: String,
}

#[derive(Object)]
struct TeamHandOver {
    /// The adult member who becomes leader.
    user_id: i64,
}

#[derive(Object)]
struct TeamLeave {
    /// Take this child out of the team (the guardian leaves for them); absent: myself.
    family_member_id: Option<i64>,
}

#[derive(Object)]
struct TeamRecruiting {
    recruiting: bool,
}

#[derive(Object)]
struct AskToJoin {
    family_member_id: Option<i64>,
    /// A few words to the leader (无需填写电话).
    #[oai(validator(max_length = 200))]
    message: Option<String>,
}

#[derive(Object)]
struct TeamRequestCreated {
    id: i64,
}

#[derive(Object)]
struct TeamRequestDecision {
    accept: bool,
}

#[derive(Object)]
struct TeamJoinRequests {
    items: Vec<TeamJoinRequest>,
}

#[derive(Object)]
struct TeamMembers {
    items: Vec<TeamMember>,
}

#[derive(Object)]
struct TeamList {
    items: Vec<TeamCard>,
}

/// A public team page: what the team does, where, its coming performances and awards.
#[derive(Object)]
struct TeamPage {
    team: TeamCard,
    upcoming: Vec<TeamPerformance>,
    awards: Vec<TeamAward>,
}

#[derive(Object)]
struct StaffTeamRow {
    team: TeamCard,
    status: String,
    decline_reason: String,
}

#[derive(Object)]
struct StaffTeamRows {
    items: Vec<StaffTeamRow>,
}

/// A team for its home unit's staff.
#[derive(Object)]
struct TeamDetail {
    team: TeamCard,
    status: String,
    decline_reason: String,
    /// Masked name and phone of the leader, to reach them.
    leader_name: String,
    leader_phone: Option<String>,
    members: Vec<TeamMember>,
    guidance: Vec<TeamGuidance>,
    performances: Vec<TeamPerformance>,
    awards: Vec<TeamAward>,
}

#[derive(Object)]
struct TeamDecline {
    #[oai(validator(max_length = 200))]
    reason: String,
}

#[derive(Object)]
struct TeamPhotosBody {
    /// Public images (≤ 9) of a unit the caller may upload for; replaces the list.
    #[oai(validator(max_items = 9))]
    file_ids: Vec<i64>,
}

#[derive(Object)]
struct NewTeamGuidance {
    /// `YYYY-MM-DD`.
    held_on: String,
    /// The main center's instructor (指导老师).
    #[oai(validator(max_length = 40))]
    instructor: String,
    #[oai(validator(max_length = 200))]
    topic: String,
    /// Hours given, > 0 and ≤ 24.
    hours: f64,
}

#[derive(Object)]
struct NewTeamAward {
    #[oai(validator(max_length = 100))]
    title: String,
    /// `national`, `provincial`, `city`, `district` or `other`.
    level: String,
    /// `YYYY-MM-DD`.
    awarded_on: String,
    #[oai(validator(max_length = 100))]
    awarded_by: Option<String>,
}

#[derive(Object)]
struct TeamRecordCreated {
    id: i64,
}

#[derive(Object)]
struct TeamPerformer {
    activity_id: i64,
}

#[derive(Object)]
struct TeamStats {
    year: i32,
    items: Vec<TeamStatsRow>,
}

async fn leader_team(st: &AppState, id: i64) -> Result<teams::Team, ApiError> {
    teams::get(&st.db, id).await
}

/// The team with the caller authorized to manage it (`ManageTeams` at its home unit).
async fn managed(
    st: &AppState,
    req: &Request,
    caller: &crate::access::Caller,
    id: i64,
) -> Result<teams::Team, ApiError> {
    let team = teams::get(&st.db, id).await?;
    st.authorize(req, caller, Action::ManageTeams, &team.unit())
        .await?;
    Ok(team)
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Org")]
impl TeamsApi {
    /// Registers a team at a unit; I am its leader. Pending until the unit's staff verify it.
    #[oai(path = "/teams", method = "post", operation_id = "team_register")]
    async fn register(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewTeam>,
    ) -> Result<Json<TeamCreated>> {
        let caller = st.caller(req).await?;
        st.limit(&format!("team_register:{}", caller.user_id), 10)
            .await?;
        crate::org::ensure_open(&st.db, body.unit_id).await?;
        let unit = crate::org::unit_ref(&st.db, body.unit_id).await?;
        let id = teams::register(&st.db, caller.user_id, &unit, &body.team, &st.now()).await?;
        let t = teams::get(&st.db, id).await?;
        Ok(Json(TeamCreated {
            id,
            status: t.status,
            invite_code: t.invite_code,
        }))
    }

    /// My teams (and my children's), with the invitation code and open requests where I lead.
    #[oai(path = "/me/teams", method = "get", operation_id = "my_teams")]
    async fn mine(&self, st: Data<&AppState>, req: &Request) -> Result<Json<MyTeams>> {
        let caller = st.caller(req).await?;
        let mut items = Vec::new();
        for (team_id, role, fm) in teams::mine(&st.db, caller.user_id).await? {
            let t = teams::get(&st.db, team_id).await?;
            let lead = role == "leader";
            let (status, reason): (String, String) =
                sqlx::query_as("SELECT status, decline_reason FROM teams WHERE id = $1")
                    .bind(team_id)
                    .fetch_one(st.db.pool())
                    .await
                    .map_err(ApiError::from)?;
            items.push(MyTeam {
                team: teams::card(&st.db, team_id).await?,
                status,
                decline_reason: reason,
                role,
                family_member_id: fm,
                invite_code: lead.then(|| t.invite_code.clone()),
                pending_requests: if lead {
                    teams::requests(&st.db, team_id).await?.len() as i64
                } else {
                    0
                },
            });
        }
        Ok(Json(MyTeams { items }))
    }

    /// The leader changes the team's name, genre, description or rehearsal time.
    #[oai(path = "/teams/:id", method = "patch", operation_id = "team_update")]
    async fn update(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<TeamInput>,
    ) -> Result<Json<TeamCard>> {
        let caller = st.caller(req).await?;
        let team = leader_team(&st, id.0).await?;
        teams::update(&st.db, &team, caller.user_id, &body, &st.now()).await?;
        Ok(Json(teams::card(&st.db, team.id).await?))
    }

    /// Joins a team with the invitation code from its leader (myself or a family member).
    #[oai(path = "/teams/join", method = "post", operation_id = "team_join")]
    async fn join(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<TeamJoinWithCode>,
    ) -> Result<Json<TeamJoined>> {
        let caller = st.caller(req).await?;
        // Codes are short: guessing is slowed down per person.
        st.limit(&format!("team_join:{}", caller.user_id), 10)
            .await?;
        let team = teams::join_with_code(
            &st.db,
            caller.user_id,
            &body.code,
            body.family_member_id,
            st.clock.now(),
        )
        .await?;
        Ok(Json(TeamJoined {
            team_id: team.id,
            team_name: team.name,
        }))
    }

    /// The leader replaces the invitation code; the old one stops working.
    #[oai(
        path = "/teams/:id/invite-code",
        method = "post",
        operation_id = "team_reset_code"
    )]
    async fn reset_code(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<TeamInviteCode>> {
        let caller = st.caller(req).await?;
        let team = leader_team(&st, id.0).await?;
        Ok(Json(TeamInviteCode {
            invite_code: teams::reset_code(&st.db, &team, caller.user_id, &st.now()).await?,
        }))
    }

    /// The leader hands leadership to another adult member.
    #[oai(
        path = "/teams/:id/hand-over",
        method = "post",
        operation_id = "team_hand_over"
    )]
    async fn hand_over(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<TeamHandOver>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let team = leader_team(&st, id.0).await?;
        teams::hand_over(&st.db, &team, caller.user_id, body.user_id, &st.now()).await?;
        Ok(Json(Done { ok: true }))
    }

    /// Leaves the team (or takes a child out of it). The leader hands over first.
    #[oai(
        path = "/teams/:id/leave",
        method = "post",
        operation_id = "team_leave"
    )]
    async fn leave(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<TeamLeave>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let team = leader_team(&st, id.0).await?;
        teams::leave(
            &st.db,
            &team,
            caller.user_id,
            body.family_member_id,
            &st.now(),
        )
        .await?;
        Ok(Json(Done { ok: true }))
    }

    /// The leader opens (verified teams only) or closes the team to join requests.
    #[oai(
        path = "/teams/:id/recruiting",
        method = "post",
        operation_id = "team_set_recruiting"
    )]
    async fn recruiting(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<TeamRecruiting>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let team = leader_team(&st, id.0).await?;
        teams::set_recruiting(&st.db, &team, caller.user_id, body.recruiting, &st.now()).await?;
        Ok(Json(Done { ok: true }))
    }

    /// Asks to join a recruiting team (myself or a family member); the leader decides.
    #[oai(
        path = "/teams/:id/join-requests",
        method = "post",
        operation_id = "team_request_join"
    )]
    async fn ask(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<AskToJoin>,
    ) -> Result<Json<TeamRequestCreated>> {
        let caller = st.caller(req).await?;
        st.limit(&format!("team_ask:{}", caller.user_id), 10)
            .await?;
        let team = leader_team(&st, id.0).await?;
        let message = crate::privacy::mask_text(body.message.as_deref().unwrap_or_default());
        let id = teams::request_join(
            &st.db,
            &team,
            caller.user_id,
            body.family_member_id,
            &message,
            st.clock.now(),
        )
        .await?;
        Ok(Json(TeamRequestCreated { id }))
    }

    /// Pending join requests (leader only), with masked names.
    #[oai(
        path = "/teams/:id/join-requests",
        method = "get",
        operation_id = "team_join_requests"
    )]
    async fn requests(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<TeamJoinRequests>> {
        let caller = st.caller(req).await?;
        let team = leader_team(&st, id.0).await?;
        if team.leader_id != caller.user_id {
            return Err(ApiError::new(
                poem::http::StatusCode::FORBIDDEN,
                "not_team_leader",
                "只有团队负责人可以这样做",
            )
            .into());
        }
        Ok(Json(TeamJoinRequests {
            items: teams::requests(&st.db, team.id).await?,
        }))
    }

    /// The leader accepts (a new member) or declines a join request.
    #[oai(
        path = "/teams/:id/join-requests/:request_id/decide",
        method = "post",
        operation_id = "team_join_request_decide"
    )]
    async fn decide_request(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        request_id: Path<i64>,
        body: Json<TeamRequestDecision>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let team = leader_team(&st, id.0).await?;
        teams::decide_request(
            &st.db,
            &team,
            caller.user_id,
            request_id.0,
            body.accept,
            &st.now(),
        )
        .await?;
        Ok(Json(Done { ok: true }))
    }

    /// The team's members with masked names: for its members (and staff of its unit).
    #[oai(
        path = "/teams/:id/members",
        method = "get",
        operation_id = "team_members"
    )]
    async fn members(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<TeamMembers>> {
        let caller = st.caller(req).await?;
        let team = teams::get(&st.db, id.0).await?;
        if !teams::is_member_any(&st.db, team.id, caller.user_id).await? {
            st.authorize(req, &caller, Action::ManageTeams, &team.unit())
                .await?;
        }
        Ok(Json(TeamMembers {
            items: teams::members(&st.db, team.id).await?,
        }))
    }

    /// Verified teams of a unit and the units below it, optionally of one genre (public, 社团风采).
    #[oai(
        path = "/org/units/:id/teams",
        method = "get",
        operation_id = "unit_teams"
    )]
    async fn unit_teams(
        &self,
        st: Data<&AppState>,
        id: Path<i64>,
        genre: Query<Option<String>>,
    ) -> Result<Json<TeamList>> {
        crate::input::one_of("genre", genre.0.as_deref(), &teams::GENRES)?;
        let unit = crate::org::unit_ref(&st.db, id.0).await?;
        Ok(Json(TeamList {
            items: teams::public_list(&st.db, &unit.path, genre.0.as_deref()).await?,
        }))
    }

    /// A verified team's page (public): genre, home unit, photos, coming performances, awards.
    #[oai(path = "/teams/:id", method = "get", operation_id = "team_page")]
    async fn page(&self, st: Data<&AppState>, id: Path<i64>) -> Result<Json<TeamPage>> {
        let team = teams::get(&st.db, id.0).await?;
        if team.status != "verified" {
            return Err(ApiError::not_found("该团队").into());
        }
        Ok(Json(TeamPage {
            team: teams::card(&st.db, team.id).await?,
            upcoming: teams::performances(&st.db, team.id, true, &st.now()).await?,
            awards: teams::awards(&st.db, team.id).await?,
        }))
    }

    /// Teams in my scope for staff (`ManageTeams`); `status=pending` is the verification queue.
    #[oai(
        path = "/manage/teams",
        method = "get",
        operation_id = "teams_manage_list"
    )]
    async fn manage_list(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
        /// `pending`, `verified`, `declined` or `dissolved`.
        status: Query<Option<String>>,
    ) -> Result<Json<StaffTeamRows>> {
        crate::input::one_of(
            "status",
            status.0.as_deref(),
            &["pending", "verified", "declined", "dissolved"],
        )?;
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ManageTeams, unit_id.0)
            .await?;
        let items = teams::staff_list(&st.db, &scope, &under, status.0.as_deref())
            .await?
            .into_iter()
            .map(|(team, status, decline_reason)| StaffTeamRow {
                team,
                status,
                decline_reason,
            })
            .collect();
        Ok(Json(StaffTeamRows { items }))
    }

    /// A team for its unit's staff: leader (masked), members, guidance, performances, awards.
    #[oai(
        path = "/manage/teams/:id",
        method = "get",
        operation_id = "team_detail"
    )]
    async fn detail(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<TeamDetail>> {
        let caller = st.caller(req).await?;
        let team = managed(&st, req, &caller, id.0).await?;
        let (status, reason): (String, String) =
            sqlx::query_as("SELECT status, decline_reason FROM teams WHERE id = $1")
                .bind(team.id)
                .fetch_one(st.db.pool())
                .await
                .map_err(ApiError::from)?;
        let (name, phone): (String, Option<String>) =
            sqlx::query_as("SELECT display_name, phone FROM users WHERE id = $1")
                .bind(team.leader_id)
                .fetch_one(st.db.pool())
                .await
                .map_err(ApiError::from)?;
        Ok(Json(TeamDetail {
            team: teams::card(&st.db, team.id).await?,
            status,
            decline_reason: reason,
            leader_name: crate::privacy::mask_name(&name),
            leader_phone: phone.as_deref().map(crate::privacy::mask_phone),
            members: teams::members(&st.db, team.id).await?,
            guidance: teams::guidance(&st.db, team.id).await?,
            performances: teams::performances(&st.db, team.id, false, &st.now()).await?,
            awards: teams::awards(&st.db, team.id).await?,
        }))
    }

    /// Verifies a team (`ManageTeams` at its home unit).
    #[oai(
        path = "/manage/teams/:id/verify",
        method = "post",
        operation_id = "team_verify"
    )]
    async fn verify(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        self.decide(&st, req, id.0, true, "").await
    }

    /// Declines a team with a reason the leader sees.
    #[oai(
        path = "/manage/teams/:id/decline",
        method = "post",
        operation_id = "team_decline"
    )]
    async fn decline(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<TeamDecline>,
    ) -> Result<Json<Done>> {
        self.decide(&st, req, id.0, false, &body.reason).await
    }

    /// Replaces the team's photos (public images of a unit the caller may upload for).
    #[oai(
        path = "/manage/teams/:id/photos",
        method = "put",
        operation_id = "team_photos_set"
    )]
    async fn photos(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<TeamPhotosBody>,
    ) -> Result<Json<TeamCard>> {
        let caller = st.caller(req).await?;
        let team = managed(&st, req, &caller, id.0).await?;
        for f in &body.file_ids {
            crate::files::for_attachment(&st.db, &caller, *f, crate::files::Visibility::Public)
                .await?;
        }
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        teams::set_photos(&mut tx, team.id, &body.file_ids).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "team_photos_set",
            Some(team.unit_id),
            format!("team {}", team.id),
            format!("{:?}", body.file_ids),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(teams::card(&st.db, team.id).await?))
    }

    /// Records a guidance session (艺术指导) a main-center instructor gave the team.
    #[oai(
        path = "/manage/teams/:id/guidance",
        method = "post",
        operation_id = "team_guidance_add"
    )]
    async fn add_guidance(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<NewTeamGuidance>,
    ) -> Result<Json<TeamRecordCreated>> {
        let caller = st.caller(req).await?;
        let team = managed(&st, req, &caller, id.0).await?;
        let g = TeamGuidance {
            id: 0,
            held_on: body.held_on.clone(),
            instructor: body.instructor.clone(),
            topic: body.topic.clone(),
            hours: body.hours,
        };
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let gid = teams::add_guidance(&mut tx, &team, &g, caller.user_id, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "team_guidance_recorded",
            Some(team.unit_id),
            format!("team {}", team.id),
            format!("{} {} {}h", g.held_on, g.topic, g.hours),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(TeamRecordCreated { id: gid }))
    }

    /// Records an achievement or award of the team.
    #[oai(
        path = "/manage/teams/:id/awards",
        method = "post",
        operation_id = "team_award_add"
    )]
    async fn add_award(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<NewTeamAward>,
    ) -> Result<Json<TeamRecordCreated>> {
        let caller = st.caller(req).await?;
        let team = managed(&st, req, &caller, id.0).await?;
        let a = TeamAward {
            id: 0,
            title: body.title.clone(),
            level: body.level.clone(),
            awarded_on: body.awarded_on.clone(),
            awarded_by: body.awarded_by.clone().unwrap_or_default(),
        };
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let aid = teams::add_award(&mut tx, &team, &a, caller.user_id, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "team_award_recorded",
            Some(team.unit_id),
            format!("team {}", team.id),
            a.title.clone(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(TeamRecordCreated { id: aid }))
    }

    /// Names the team as a performer of an activity (送演出下基层 included): `ManageActivities`
    /// at the activity's organizer or at the unit delivering it. The team must be verified.
    #[oai(
        path = "/manage/teams/:id/performances",
        method = "post",
        operation_id = "team_performance_add"
    )]
    async fn add_performance(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<TeamPerformer>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let team = teams::get(&st.db, id.0).await?;
        let unit = activity_unit(&st, req, &caller, body.activity_id).await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        teams::link_activity(&mut tx, &team, body.activity_id, caller.user_id, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "team_performance_added",
            Some(unit),
            format!("activity {}", body.activity_id),
            format!("team {}", team.id),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(Done { ok: true }))
    }

    /// Removes the team from an activity's performers.
    #[oai(
        path = "/manage/teams/:id/performances/:activity_id",
        method = "delete",
        operation_id = "team_performance_remove"
    )]
    async fn remove_performance(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        activity_id: Path<i64>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let team = teams::get(&st.db, id.0).await?;
        let unit = activity_unit(&st, req, &caller, activity_id.0).await?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        teams::unlink_activity(&mut tx, team.id, activity_id.0).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "team_performance_removed",
            Some(unit),
            format!("activity {}", activity_id.0),
            format!("team {}", team.id),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(Done { ok: true }))
    }

    /// Teams per unit and genre with members, guidance sessions and hours, performances (送演出下基层
    /// among them) and awards of a CST year, in my scope (`ReadStats`).
    #[oai(path = "/stats/teams", method = "get", operation_id = "stats_teams")]
    async fn stats(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
        #[oai(validator(minimum(value = "2000"), maximum(value = "2100")))] year: Query<
            Option<i32>,
        >,
    ) -> Result<Json<TeamStats>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadStats, unit_id.0)
            .await?;
        let year = year
            .0
            .unwrap_or_else(|| crate::time::cst_year(st.clock.now()));
        let (from, to) = crate::time::cst_year_bounds(year);
        Ok(Json(TeamStats {
            year,
            items: teams::stats(&st.db, &scope, &under, &from, &to).await?,
        }))
    }
}

/// The unit whose staff may name performers of an activity: its organizer, else the unit
/// delivering it (送演出下基层). Returns the unit id for the audit trail.
async fn activity_unit(
    st: &AppState,
    req: &Request,
    caller: &crate::access::Caller,
    activity_id: i64,
) -> Result<i64, ApiError> {
    let (org, delivered): (i64, Option<i64>) = sqlx::query_as(
        "SELECT organizer_unit_id, delivered_by_unit_id FROM activities WHERE id = $1",
    )
    .bind(activity_id)
    .fetch_optional(st.db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该活动"))?;
    let org_ref = crate::org::unit_ref(&st.db, org).await?;
    if crate::access::check(caller, Action::ManageActivities, &org_ref).is_ok() {
        return Ok(org);
    }
    if let Some(d) = delivered {
        let d_ref = crate::org::unit_ref(&st.db, d).await?;
        if crate::access::check(caller, Action::ManageActivities, &d_ref).is_ok() {
            return Ok(d);
        }
    }
    st.authorize(req, caller, Action::ManageActivities, &org_ref)
        .await?;
    Ok(org)
}

impl TeamsApi {
    async fn decide(
        &self,
        st: &AppState,
        req: &Request,
        id: i64,
        verify: bool,
        reason: &str,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let team = managed(st, req, &caller, id).await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        teams::decide(&mut tx, &team, caller.user_id, verify, reason, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            if verify {
                "team_verified"
            } else {
                "team_declined"
            },
            Some(team.unit_id),
            format!("team {}", team.id),
            if verify {
                team.name.clone()
            } else {
                format!("{}：{}", team.name, reason.trim())
            },
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(Done { ok: true }))
    }
}
