//! Art teams (群众文艺团队): registration and verification by the home unit, members with an
//! invitation code (children only as consented family members), leadership hand-over, join
//! requests to recruiting teams, and the policy's support records: guidance sessions (艺术指导),
//! teams as performers of activities (送演出下基层 included), achievements and awards.
//!
//! Plain rules over the database; the handlers in `api/teams.rs` authorize and audit.

use crate::access::Scope;
use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use poem::http::StatusCode;
use poem_openapi::Object;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::Row;

pub const GENRES: [&str; 8] = [
    "合唱", "舞蹈", "戏曲", "器乐", "书画", "摄影", "朗诵", "其他",
];
pub const AWARD_LEVELS: [&str; 5] = ["national", "provincial", "city", "district", "other"];

/// What a leader writes when registering (or changing) the team.
#[derive(Debug, Clone, Default, Object, Serialize, Deserialize)]
pub struct TeamInput {
    #[oai(validator(max_length = 40))]
    pub name: Option<String>,
    /// One of 合唱, 舞蹈, 戏曲, 器乐, 书画, 摄影, 朗诵, 其他.
    pub genre: Option<String>,
    #[oai(validator(max_length = 1000))]
    pub description: Option<String>,
    /// 每周三 19:00–21:00
    #[oai(validator(max_length = 100))]
    pub rehearsal_time: Option<String>,
}

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct TeamPhoto {
    pub file_id: i64,
    pub url: String,
}

/// A team as anyone may see it (社团风采): no member names or phones.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct TeamCard {
    pub id: i64,
    pub name: String,
    pub genre: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub description: String,
    pub rehearsal_time: String,
    /// The team takes join requests.
    pub recruiting: bool,
    pub members: i64,
    pub photos: Vec<TeamPhoto>,
}

/// A performance the team gives: a session of an activity it performs in.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct TeamPerformance {
    pub activity_id: i64,
    pub title: String,
    pub unit_name: String,
    /// The first session of the activity (RFC 3339), if it has any.
    pub starts_at: Option<String>,
    /// Delivered by the main center to a grassroots unit (送演出下基层).
    pub delivered: bool,
}

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct TeamAward {
    pub id: i64,
    pub title: String,
    /// `national`, `provincial`, `city`, `district` or `other`.
    pub level: String,
    /// `YYYY-MM-DD`.
    pub awarded_on: String,
    pub awarded_by: String,
}

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct TeamGuidance {
    pub id: i64,
    /// `YYYY-MM-DD`.
    pub held_on: String,
    pub instructor: String,
    pub topic: String,
    pub hours: f64,
}

/// A member as staff and the leader see them: masked name, never a phone.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct TeamMember {
    pub user_id: i64,
    pub family_member_id: Option<i64>,
    /// Masked (张*).
    pub name: String,
    /// `leader` or `member`.
    pub role: String,
    pub joined_at: String,
}

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct TeamJoinRequest {
    pub id: i64,
    pub team_id: i64,
    pub team_name: String,
    /// Masked name of who asks (or of their child).
    pub name: String,
    pub message: String,
    /// `pending`, `accepted`, `declined` or `withdrawn`.
    pub status: String,
    pub created_at: String,
}

/// The stored team, for rules and authorization.
#[derive(Debug, Clone)]
pub struct Team {
    pub id: i64,
    pub unit_id: i64,
    pub unit_path: String,
    pub name: String,
    pub genre: String,
    pub leader_id: i64,
    pub status: String,
    pub recruiting: bool,
    pub invite_code: String,
}

impl Team {
    pub fn unit(&self) -> crate::access::UnitRef {
        crate::access::UnitRef {
            id: self.unit_id,
            path: self.unit_path.clone(),
        }
    }
}

fn unprocessable(code: &'static str, msg: &'static str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
}

fn not_leader() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "not_team_leader",
        "只有团队负责人可以这样做",
    )
}

/// Checks a registration (`creating`) or a change: name, genre from the fixed list, lengths.
pub fn validate(p: &TeamInput, creating: bool) -> ApiResult<()> {
    match p.name.as_deref().map(str::trim) {
        Some(n) if crate::input::blank(n) => return Err(ApiError::validation("团队名称不能为空")),
        None if creating => return Err(ApiError::validation("请填写团队名称")),
        _ => {}
    }
    match p.genre.as_deref() {
        Some(g) if !GENRES.contains(&g) => {
            return Err(ApiError::validation(
                "门类只能是 合唱、舞蹈、戏曲、器乐、书画、摄影、朗诵 或 其他",
            ))
        }
        None if creating => return Err(ApiError::validation("请选择团队门类")),
        _ => {}
    }
    Ok(())
}

/// A fresh invitation code: 8 characters without look-alikes (0/O, 1/I).
pub fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter()
        .map(|x| ALPHABET[(*x as usize) % 32] as char)
        .collect()
}

/// What a person types: spaces and case do not matter.
pub fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

const TEAM_COLS: &str =
    "id, unit_id, unit_path, name, genre, leader_id, status, recruiting, invite_code";

fn team_of(r: &sqlx::any::AnyRow) -> Team {
    Team {
        id: r.get("id"),
        unit_id: r.get("unit_id"),
        unit_path: r.get("unit_path"),
        name: r.get("name"),
        genre: r.get("genre"),
        leader_id: r.get("leader_id"),
        status: r.get("status"),
        recruiting: r.get::<i64, _>("recruiting") != 0,
        invite_code: r.get("invite_code"),
    }
}

pub async fn get(db: &Db, id: i64) -> ApiResult<Team> {
    let r = sqlx::query(&format!("SELECT {TEAM_COLS} FROM teams WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该团队"))?;
    Ok(team_of(&r))
}

/// Registers a team at an open unit; the registrant is its leader and first member. Pending
/// until the unit's staff verify it.
pub async fn register(
    db: &Db,
    leader_id: i64,
    unit: &crate::access::UnitRef,
    p: &TeamInput,
    now: &str,
) -> ApiResult<i64> {
    validate(p, true)?;
    let name = p.name.as_deref().unwrap_or_default().trim().to_string();
    let mut tx = db.begin().await?;
    let taken: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM teams WHERE unit_id = $1 AND name = $2",
    )
    .bind(unit.id)
    .bind(&name)
    .fetch_one(&mut *tx)
    .await?;
    if taken > 0 {
        return Err(ApiError::conflict("team_name_taken", "本单位已有同名团队"));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO teams (unit_id, unit_path, name, genre, description, rehearsal_time, leader_id, invite_code, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9) RETURNING id",
    )
    .bind(unit.id)
    .bind(&unit.path)
    .bind(&name)
    .bind(p.genre.as_deref().unwrap_or_default())
    .bind(p.description.as_deref().unwrap_or_default().trim())
    .bind(p.rehearsal_time.as_deref().unwrap_or_default().trim())
    .bind(leader_id)
    .bind(new_code())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO team_members (team_id, user_id, role, joined_at) VALUES ($1, $2, 'leader', $3)",
    )
    .bind(id)
    .bind(leader_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The leader changes the team's description, rehearsal time, genre or name.
pub async fn update(db: &Db, team: &Team, user_id: i64, p: &TeamInput, now: &str) -> ApiResult<()> {
    if team.leader_id != user_id {
        return Err(not_leader());
    }
    validate(p, false)?;
    let name = p
        .name
        .as_deref()
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| team.name.clone());
    let taken: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM teams WHERE unit_id = $1 AND name = $2 AND id <> $3",
    )
    .bind(team.unit_id)
    .bind(&name)
    .bind(team.id)
    .fetch_one(db.pool())
    .await?;
    if taken > 0 {
        return Err(ApiError::conflict("team_name_taken", "本单位已有同名团队"));
    }
    sqlx::query(
        "UPDATE teams SET name = $1, genre = COALESCE($2, genre), description = COALESCE($3, description), \
         rehearsal_time = COALESCE($4, rehearsal_time), updated_at = $5 WHERE id = $6",
    )
    .bind(&name)
    .bind(p.genre.as_deref())
    .bind(p.description.as_deref().map(str::trim))
    .bind(p.rehearsal_time.as_deref().map(str::trim))
    .bind(now)
    .bind(team.id)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Staff verify a pending (or earlier declined) team, or decline it with a reason.
pub async fn decide(
    tx: &mut Tx,
    team: &Team,
    by: i64,
    verify: bool,
    reason: &str,
    now: &str,
) -> ApiResult<()> {
    if team.status == "dissolved" || (verify && team.status == "verified") {
        return Err(ApiError::conflict(
            "team_already_decided",
            "该团队已审核或已解散",
        ));
    }
    if !verify && crate::input::blank(reason) {
        return Err(ApiError::validation("不通过时请写明原因"));
    }
    let status = if verify { "verified" } else { "declined" };
    sqlx::query(
        "UPDATE teams SET status = $1, decline_reason = $2, verified_by = $3, verified_at = $4, updated_at = $4, \
         recruiting = CASE WHEN $1 = 'verified' THEN recruiting ELSE 0 END WHERE id = $5",
    )
    .bind(status)
    .bind(if verify { "" } else { reason.trim() })
    .bind(by)
    .bind(now)
    .bind(team.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Who joins: the account holder, or one of their family members (a child under 14 only with
/// the guardian's recorded consent, as for bookings).
async fn joiner(
    db: &Db,
    user_id: i64,
    family_member_id: Option<i64>,
    now: crate::time::Ts,
) -> ApiResult<Option<i64>> {
    let a = crate::family::attendee(
        db,
        user_id,
        family_member_id,
        crate::family::china_date(now),
    )
    .await?;
    Ok(a.family_member_id)
}

async fn is_member(db: &Db, team_id: i64, user_id: i64, fm: Option<i64>) -> ApiResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM team_members WHERE team_id = $1 AND user_id = $2 \
         AND COALESCE(family_member_id, 0) = $3 AND left_at IS NULL",
    )
    .bind(team_id)
    .bind(user_id)
    .bind(fm.unwrap_or(0))
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

fn already_member() -> ApiError {
    ApiError::conflict("already_team_member", "已经是该团队成员")
}

async fn add_member(
    tx: &mut Tx,
    team_id: i64,
    user_id: i64,
    fm: Option<i64>,
    now: &str,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO team_members (team_id, user_id, family_member_id, role, joined_at) VALUES ($1,$2,$3,'member',$4)",
    )
    .bind(team_id)
    .bind(user_id)
    .bind(fm)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            already_member()
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// Joins the team whose invitation code this is (a pending or verified team).
pub async fn join_with_code(
    db: &Db,
    user_id: i64,
    code: &str,
    family_member_id: Option<i64>,
    now: crate::time::Ts,
) -> ApiResult<Team> {
    let code = normalise_code(code);
    let row = sqlx::query(&format!(
        "SELECT {TEAM_COLS} FROM teams WHERE invite_code = $1 AND status IN ('pending','verified')"
    ))
    .bind(&code)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_team_code",
            "邀请码无效或已更换，请向团队负责人索取",
        )
    })?;
    let team = team_of(&row);
    let fm = joiner(db, user_id, family_member_id, now).await?;
    if is_member(db, team.id, user_id, fm).await? {
        return Err(already_member());
    }
    let mut tx = db.begin().await?;
    add_member(&mut tx, team.id, user_id, fm, &crate::time::fmt(now)).await?;
    tx.commit().await?;
    Ok(team)
}

/// The leader replaces the invitation code (the old one stops working).
pub async fn reset_code(db: &Db, team: &Team, user_id: i64, now: &str) -> ApiResult<String> {
    if team.leader_id != user_id {
        return Err(not_leader());
    }
    let code = new_code();
    sqlx::query("UPDATE teams SET invite_code = $1, updated_at = $2 WHERE id = $3")
        .bind(&code)
        .bind(now)
        .bind(team.id)
        .execute(db.writer())
        .await?;
    Ok(code)
}

/// The leader hands leadership to another adult member (an account holder, not a child).
pub async fn hand_over(db: &Db, team: &Team, user_id: i64, to: i64, now: &str) -> ApiResult<()> {
    if team.leader_id != user_id {
        return Err(not_leader());
    }
    if to == user_id || !is_member(db, team.id, to, None).await? {
        return Err(unprocessable(
            "not_team_member",
            "只能交给本团队的成年成员本人",
        ));
    }
    let mut tx = db.begin().await?;
    set_leader(&mut tx, team.id, user_id, to, now).await?;
    tx.commit().await?;
    Ok(())
}

async fn set_leader(tx: &mut Tx, team_id: i64, from: i64, to: i64, now: &str) -> ApiResult<()> {
    sqlx::query(
        "UPDATE team_members SET role = 'member' WHERE team_id = $1 AND user_id = $2 AND family_member_id IS NULL AND left_at IS NULL",
    )
    .bind(team_id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE team_members SET role = 'leader' WHERE team_id = $1 AND user_id = $2 AND family_member_id IS NULL AND left_at IS NULL",
    )
    .bind(team_id)
    .bind(to)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE teams SET leader_id = $1, updated_at = $2 WHERE id = $3")
        .bind(to)
        .bind(now)
        .bind(team_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A member (or a member's child, by the guardian) leaves. The leader hands over first.
pub async fn leave(
    db: &Db,
    team: &Team,
    user_id: i64,
    family_member_id: Option<i64>,
    now: &str,
) -> ApiResult<()> {
    if team.leader_id == user_id && family_member_id.is_none() {
        return Err(ApiError::conflict(
            "leader_cannot_leave",
            "负责人请先把团队交给其他成员再退出",
        ));
    }
    let res = sqlx::query(
        "UPDATE team_members SET left_at = $1 WHERE team_id = $2 AND user_id = $3 \
         AND COALESCE(family_member_id, 0) = $4 AND left_at IS NULL",
    )
    .bind(now)
    .bind(team.id)
    .bind(user_id)
    .bind(family_member_id.unwrap_or(0))
    .execute(db.writer())
    .await?;
    if res.rows_affected() == 0 {
        return Err(ApiError::not_found("该团队成员"));
    }
    Ok(())
}

/// The leader opens or closes the team to join requests (verified teams only).
pub async fn set_recruiting(
    db: &Db,
    team: &Team,
    user_id: i64,
    recruiting: bool,
    now: &str,
) -> ApiResult<()> {
    if team.leader_id != user_id {
        return Err(not_leader());
    }
    if recruiting && team.status != "verified" {
        return Err(not_verified());
    }
    sqlx::query("UPDATE teams SET recruiting = $1, updated_at = $2 WHERE id = $3")
        .bind(recruiting as i64)
        .bind(now)
        .bind(team.id)
        .execute(db.writer())
        .await?;
    Ok(())
}

fn not_verified() -> ApiError {
    ApiError::conflict("team_not_verified", "团队尚未通过所在单位审核")
}

/// A resident asks to join a recruiting team (for themselves or a family member).
pub async fn request_join(
    db: &Db,
    team: &Team,
    user_id: i64,
    family_member_id: Option<i64>,
    message: &str,
    now: crate::time::Ts,
) -> ApiResult<i64> {
    if team.status != "verified" || !team.recruiting {
        return Err(ApiError::conflict(
            "team_not_recruiting",
            "该团队目前不招新",
        ));
    }
    let fm = joiner(db, user_id, family_member_id, now).await?;
    if is_member(db, team.id, user_id, fm).await? {
        return Err(already_member());
    }
    let id = sqlx::query_scalar(
        "INSERT INTO team_join_requests (team_id, user_id, family_member_id, message, created_at) \
         VALUES ($1,$2,$3,$4,$5) RETURNING id",
    )
    .bind(team.id)
    .bind(user_id)
    .bind(fm)
    .bind(message.trim())
    .bind(crate::time::fmt(now))
    .fetch_one(db.writer())
    .await
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            ApiError::conflict("join_request_pending", "已申请加入，请等待负责人答复")
        } else {
            e.into()
        }
    })?;
    Ok(id)
}

/// The leader accepts (the asker becomes a member) or declines a pending request.
pub async fn decide_request(
    db: &Db,
    team: &Team,
    user_id: i64,
    request_id: i64,
    accept: bool,
    now: &str,
) -> ApiResult<()> {
    if team.leader_id != user_id {
        return Err(not_leader());
    }
    let mut tx = db.begin().await?;
    let r = sqlx::query(
        "SELECT user_id, family_member_id FROM team_join_requests WHERE id = $1 AND team_id = $2 AND status = 'pending'",
    )
    .bind(request_id)
    .bind(team.id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("该入团申请"))?;
    sqlx::query("UPDATE team_join_requests SET status = $1, decided_at = $2 WHERE id = $3")
        .bind(if accept { "accepted" } else { "declined" })
        .bind(now)
        .bind(request_id)
        .execute(&mut *tx)
        .await?;
    if accept {
        add_member(
            &mut tx,
            team.id,
            r.get("user_id"),
            r.get("family_member_id"),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Pending join requests of a team, for its leader.
pub async fn requests(db: &Db, team_id: i64) -> ApiResult<Vec<TeamJoinRequest>> {
    let rows = sqlx::query(
        "SELECT r.id, r.team_id, t.name AS team_name, COALESCE(f.name, u.display_name) AS who, r.message, r.status, r.created_at \
         FROM team_join_requests r JOIN teams t ON t.id = r.team_id JOIN users u ON u.id = r.user_id \
         LEFT JOIN family_members f ON f.id = r.family_member_id WHERE r.team_id = $1 AND r.status = 'pending' ORDER BY r.id",
    )
    .bind(team_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| TeamJoinRequest {
            id: r.get("id"),
            team_id: r.get("team_id"),
            team_name: r.get("team_name"),
            name: crate::privacy::mask_name(&r.get::<String, _>("who")),
            message: r.get("message"),
            status: r.get("status"),
            created_at: r.get("created_at"),
        })
        .collect())
}

/// Live members with masked names, leader first.
pub async fn members(db: &Db, team_id: i64) -> ApiResult<Vec<TeamMember>> {
    let rows = sqlx::query(
        "SELECT m.user_id, m.family_member_id, COALESCE(f.name, u.display_name) AS who, m.role, m.joined_at \
         FROM team_members m JOIN users u ON u.id = m.user_id LEFT JOIN family_members f ON f.id = m.family_member_id \
         WHERE m.team_id = $1 AND m.left_at IS NULL ORDER BY CASE WHEN m.role = 'leader' THEN 0 ELSE 1 END, m.joined_at",
    )
    .bind(team_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| TeamMember {
            user_id: r.get("user_id"),
            family_member_id: r.get("family_member_id"),
            name: crate::privacy::mask_name(&r.get::<String, _>("who")),
            role: r.get("role"),
            joined_at: r.get("joined_at"),
        })
        .collect())
}

/// Whether the person (themselves, or through a child) is a live member.
pub async fn is_member_any(db: &Db, team_id: i64, user_id: i64) -> ApiResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM team_members WHERE team_id = $1 AND user_id = $2 AND left_at IS NULL",
    )
    .bind(team_id)
    .bind(user_id)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

const CARD_COLS: &str = "t.id, t.name, t.genre, t.unit_id, u.short_name AS unit_name, t.description, t.rehearsal_time, t.recruiting, \
     (SELECT CAST(COUNT(*) AS BIGINT) FROM team_members m WHERE m.team_id = t.id AND m.left_at IS NULL) AS members";

async fn cards(db: &Db, rows: Vec<sqlx::any::AnyRow>) -> ApiResult<Vec<TeamCard>> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.get("id");
        out.push(TeamCard {
            id,
            name: r.get("name"),
            genre: r.get("genre"),
            unit_id: r.get("unit_id"),
            unit_name: r.get("unit_name"),
            description: r.get("description"),
            rehearsal_time: r.get("rehearsal_time"),
            recruiting: r.get::<i64, _>("recruiting") != 0,
            members: r.get("members"),
            photos: photos(db, id).await?,
        });
    }
    Ok(out)
}

pub async fn photos(db: &Db, team_id: i64) -> ApiResult<Vec<TeamPhoto>> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT file_id FROM team_photos WHERE team_id = $1 ORDER BY position")
            .bind(team_id)
            .fetch_all(db.pool())
            .await?;
    Ok(ids
        .into_iter()
        .map(|file_id| TeamPhoto {
            file_id,
            url: format!("/api/v1/files/{file_id}"),
        })
        .collect())
}

/// Replaces a team's photos (files checked by the caller).
pub async fn set_photos(tx: &mut Tx, team_id: i64, files: &[i64]) -> ApiResult<()> {
    sqlx::query("DELETE FROM team_photos WHERE team_id = $1")
        .bind(team_id)
        .execute(&mut **tx)
        .await?;
    for (i, f) in files.iter().enumerate() {
        sqlx::query("INSERT INTO team_photos (team_id, file_id, position) VALUES ($1,$2,$3)")
            .bind(team_id)
            .bind(f)
            .bind(i as i64)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Verified teams under a unit (its subtree), optionally of one genre (社团风采).
pub async fn public_list(db: &Db, under: &str, genre: Option<&str>) -> ApiResult<Vec<TeamCard>> {
    let rows = sqlx::query(&format!(
        "SELECT {CARD_COLS} FROM teams t JOIN org_units u ON u.id = t.unit_id \
         WHERE t.status = 'verified' AND t.unit_path LIKE $1 AND ($2 = '' OR t.genre = $2) ORDER BY t.unit_path, t.id"
    ))
    .bind(format!("{under}%"))
    .bind(genre.unwrap_or_default())
    .fetch_all(db.pool())
    .await?;
    cards(db, rows).await
}

pub async fn card(db: &Db, id: i64) -> ApiResult<TeamCard> {
    let rows = sqlx::query(&format!(
        "SELECT {CARD_COLS} FROM teams t JOIN org_units u ON u.id = t.unit_id WHERE t.id = $1"
    ))
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    cards(db, rows)
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("该团队"))
}

/// Teams in the caller's scope for staff (the verification queue with `status=pending`).
pub async fn staff_list(
    db: &Db,
    scope: &Scope,
    under: &str,
    status: Option<&str>,
) -> ApiResult<Vec<(TeamCard, String, String)>> {
    let rows = sqlx::query(&format!(
        "SELECT {CARD_COLS}, t.status, t.decline_reason FROM teams t JOIN org_units u ON u.id = t.unit_id \
         WHERE {} AND t.unit_path LIKE $1 AND ($2 = '' OR t.status = $2) ORDER BY t.id",
        scope.sql("t.unit_path")
    ))
    .bind(format!("{under}%"))
    .bind(status.unwrap_or_default())
    .fetch_all(db.pool())
    .await?;
    let extra: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.get("status"), r.get("decline_reason")))
        .collect();
    let cards = cards(db, rows).await?;
    Ok(cards
        .into_iter()
        .zip(extra)
        .map(|(c, (s, d))| (c, s, d))
        .collect())
}

/// A team's performances: activities it performs in, with their first session; `upcoming`
/// keeps published activities whose first session is still to come.
pub async fn performances(
    db: &Db,
    team_id: i64,
    upcoming: bool,
    now: &str,
) -> ApiResult<Vec<TeamPerformance>> {
    let rows = sqlx::query(
        "SELECT a.id, a.title, a.status, u.short_name, a.delivered_by_unit_id, \
         (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) AS starts_at, \
         (SELECT MAX(s.ends_at) FROM sessions s WHERE s.activity_id = a.id) AS ends_at \
         FROM activity_teams x JOIN activities a ON a.id = x.activity_id JOIN org_units u ON u.id = a.organizer_unit_id \
         WHERE x.team_id = $1 ORDER BY a.id",
    )
    .bind(team_id)
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<TeamPerformance> = rows
        .iter()
        .filter(|r| {
            !upcoming
                || (r.get::<String, _>("status") == "published"
                    && r.get::<Option<String>, _>("ends_at")
                        .is_some_and(|e| e.as_str() > now))
        })
        .map(|r| TeamPerformance {
            activity_id: r.get("id"),
            title: r.get("title"),
            unit_name: r.get("short_name"),
            starts_at: r.get("starts_at"),
            delivered: r.get::<Option<i64>, _>("delivered_by_unit_id").is_some(),
        })
        .collect();
    out.sort_by(|a, b| a.starts_at.cmp(&b.starts_at));
    Ok(out)
}

/// Names a verified team as a performer of an activity.
pub async fn link_activity(
    tx: &mut Tx,
    team: &Team,
    activity_id: i64,
    by: i64,
    now: &str,
) -> ApiResult<()> {
    if team.status != "verified" {
        return Err(not_verified());
    }
    sqlx::query(
        "INSERT INTO activity_teams (activity_id, team_id, added_by, created_at) VALUES ($1,$2,$3,$4)",
    )
    .bind(activity_id)
    .bind(team.id)
    .bind(by)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            ApiError::conflict("team_already_performer", "该团队已是此活动的演出团队")
        } else {
            e.into()
        }
    })?;
    Ok(())
}

pub async fn unlink_activity(tx: &mut Tx, team_id: i64, activity_id: i64) -> ApiResult<()> {
    let res = sqlx::query("DELETE FROM activity_teams WHERE activity_id = $1 AND team_id = $2")
        .bind(activity_id)
        .bind(team_id)
        .execute(&mut **tx)
        .await?;
    if res.rows_affected() == 0 {
        return Err(ApiError::not_found("该演出记录"));
    }
    Ok(())
}

/// Teams performing in an activity (for the activity's page and the console).
pub async fn of_activity(db: &Db, activity_id: i64) -> ApiResult<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.name FROM activity_teams x JOIN teams t ON t.id = x.team_id WHERE x.activity_id = $1 ORDER BY t.id",
    )
    .bind(activity_id)
    .fetch_all(db.pool())
    .await?)
}

fn check_date(s: &str) -> ApiResult<()> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|_| ())
        .map_err(|_| ApiError::validation("日期格式应为 2026-12-01"))
}

/// Records a guidance session (艺术指导) given to a team.
pub async fn add_guidance(
    tx: &mut Tx,
    team: &Team,
    g: &TeamGuidance,
    by: i64,
    now: &str,
) -> ApiResult<i64> {
    check_date(&g.held_on)?;
    if crate::input::blank(&g.instructor) || crate::input::blank(&g.topic) {
        return Err(ApiError::validation("请填写指导老师和指导内容"));
    }
    if !(g.hours > 0.0 && g.hours <= 24.0) {
        return Err(ApiError::validation("课时应在 0 到 24 小时之间"));
    }
    if team.status != "verified" {
        return Err(not_verified());
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO team_guidance (team_id, held_on, instructor, topic, hours, recorded_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
    )
    .bind(team.id)
    .bind(&g.held_on)
    .bind(g.instructor.trim())
    .bind(g.topic.trim())
    .bind(g.hours)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn guidance(db: &Db, team_id: i64) -> ApiResult<Vec<TeamGuidance>> {
    let rows = sqlx::query(
        "SELECT id, held_on, instructor, topic, CAST(hours AS DOUBLE PRECISION) AS hours FROM team_guidance \
         WHERE team_id = $1 ORDER BY held_on DESC, id DESC",
    )
    .bind(team_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| TeamGuidance {
            id: r.get("id"),
            held_on: r.get("held_on"),
            instructor: r.get("instructor"),
            topic: r.get("topic"),
            hours: r.get("hours"),
        })
        .collect())
}

/// Records an achievement or award of a team.
pub async fn add_award(
    tx: &mut Tx,
    team: &Team,
    a: &TeamAward,
    by: i64,
    now: &str,
) -> ApiResult<i64> {
    check_date(&a.awarded_on)?;
    if crate::input::blank(&a.title) {
        return Err(ApiError::validation("请填写奖项或荣誉名称"));
    }
    if !AWARD_LEVELS.contains(&a.level.as_str()) {
        return Err(ApiError::validation(
            "级别只能是 national、provincial、city、district 或 other",
        ));
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO team_awards (team_id, title, level, awarded_on, awarded_by, recorded_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
    )
    .bind(team.id)
    .bind(a.title.trim())
    .bind(&a.level)
    .bind(&a.awarded_on)
    .bind(a.awarded_by.trim())
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn awards(db: &Db, team_id: i64) -> ApiResult<Vec<TeamAward>> {
    let rows = sqlx::query(
        "SELECT id, title, level, awarded_on, awarded_by FROM team_awards WHERE team_id = $1 ORDER BY awarded_on DESC, id DESC",
    )
    .bind(team_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| TeamAward {
            id: r.get("id"),
            title: r.get("title"),
            level: r.get("level"),
            awarded_on: r.get("awarded_on"),
            awarded_by: r.get("awarded_by"),
        })
        .collect())
}

/// A person's teams: (team, role, family member id) of live memberships.
pub async fn mine(db: &Db, user_id: i64) -> ApiResult<Vec<(i64, String, Option<i64>)>> {
    let rows = sqlx::query(
        "SELECT m.team_id, m.role, m.family_member_id FROM team_members m JOIN teams t ON t.id = m.team_id \
         WHERE m.user_id = $1 AND m.left_at IS NULL AND t.status <> 'dissolved' ORDER BY m.team_id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get("team_id"), r.get("role"), r.get("family_member_id")))
        .collect())
}

/// Statistics row: verified teams of one unit and genre, with their members, guidance and
/// performances in the period.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct TeamStatsRow {
    pub unit_id: i64,
    pub unit_name: String,
    pub genre: String,
    pub teams: i64,
    pub members: i64,
    pub guidance_sessions: i64,
    pub guidance_hours: f64,
    /// Activities in the period (by first session) the teams performed in.
    pub performances: i64,
    /// Of those, delivered by the main center (送演出下基层).
    pub delivered_performances: i64,
    pub awards: i64,
}

/// Per unit and genre, verified teams in scope under `under`; guidance, performances and
/// awards counted in [from, to) (RFC 3339 bounds; guidance and award dates compared by day).
pub async fn stats(
    db: &Db,
    scope: &Scope,
    under: &str,
    from: &str,
    to: &str,
) -> ApiResult<Vec<TeamStatsRow>> {
    let (from_day, to_day) = (day_of(from), day_of(to));
    let rows = sqlx::query(&format!(
        "SELECT t.unit_id, u.short_name, t.genre, CAST(COUNT(*) AS BIGINT) AS teams, \
         CAST(COALESCE(SUM((SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id AND m.left_at IS NULL)), 0) AS BIGINT) AS members, \
         CAST(COALESCE(SUM((SELECT COUNT(*) FROM team_guidance g WHERE g.team_id = t.id AND g.held_on >= $2 AND g.held_on < $3)), 0) AS BIGINT) AS gs, \
         CAST(COALESCE(SUM((SELECT SUM(g.hours) FROM team_guidance g WHERE g.team_id = t.id AND g.held_on >= $2 AND g.held_on < $3)), 0) AS DOUBLE PRECISION) AS gh, \
         CAST(COALESCE(SUM((SELECT COUNT(*) FROM activity_teams x JOIN activities a ON a.id = x.activity_id WHERE x.team_id = t.id AND a.status <> 'cancelled' \
            AND (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) >= $4 AND (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) < $5)), 0) AS BIGINT) AS perf, \
         CAST(COALESCE(SUM((SELECT COUNT(*) FROM activity_teams x JOIN activities a ON a.id = x.activity_id WHERE x.team_id = t.id AND a.status <> 'cancelled' \
            AND a.delivered_by_unit_id IS NOT NULL \
            AND (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) >= $4 AND (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) < $5)), 0) AS BIGINT) AS delivered, \
         CAST(COALESCE(SUM((SELECT COUNT(*) FROM team_awards w WHERE w.team_id = t.id AND w.awarded_on >= $2 AND w.awarded_on < $3)), 0) AS BIGINT) AS awards \
         FROM teams t JOIN org_units u ON u.id = t.unit_id \
         WHERE t.status = 'verified' AND {} AND t.unit_path LIKE $1 \
         GROUP BY t.unit_id, u.short_name, u.path, t.genre ORDER BY u.path, t.genre",
        scope.sql("t.unit_path")
    ))
    .bind(format!("{under}%"))
    .bind(&from_day)
    .bind(&to_day)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| TeamStatsRow {
            unit_id: r.get("unit_id"),
            unit_name: r.get("short_name"),
            genre: r.get("genre"),
            teams: r.get("teams"),
            members: r.get("members"),
            guidance_sessions: r.get("gs"),
            guidance_hours: (r.get::<f64, _>("gh") * 10.0).round() / 10.0,
            performances: r.get("perf"),
            delivered_performances: r.get("delivered"),
            awards: r.get("awards"),
        })
        .collect())
}

/// The CST day of an RFC 3339 UTC bound (guidance and awards are dated by CST day).
fn day_of(ts: &str) -> String {
    crate::time::parse(ts)
        .map(|t| {
            (t + chrono::Duration::hours(8))
                .date_naive()
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_else(|| ts.chars().take(10).collect())
}

/// The 文艺团队 ledger sheet: every team in scope (all states), its members, guidance,
/// performances and awards in the period.
pub async fn ledger_sheet(
    db: &Db,
    scope: &Scope,
    under: &str,
    from: &str,
    to: &str,
) -> ApiResult<crate::export::Table> {
    let (from_day, to_day) = (day_of(from), day_of(to));
    let rows = sqlx::query(&format!(
        "SELECT t.id, u.short_name, t.name, t.genre, t.status, t.verified_at, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM team_members m WHERE m.team_id = t.id AND m.left_at IS NULL) AS members, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM team_guidance g WHERE g.team_id = t.id AND g.held_on >= $2 AND g.held_on < $3) AS gs, \
         (SELECT CAST(COALESCE(SUM(g.hours), 0) AS DOUBLE PRECISION) FROM team_guidance g WHERE g.team_id = t.id AND g.held_on >= $2 AND g.held_on < $3) AS gh, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM activity_teams x JOIN activities a ON a.id = x.activity_id WHERE x.team_id = t.id AND a.status <> 'cancelled' \
            AND (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) >= $4 AND (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) < $5) AS perf, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM team_awards w WHERE w.team_id = t.id AND w.awarded_on >= $2 AND w.awarded_on < $3) AS awards \
         FROM teams t JOIN org_units u ON u.id = t.unit_id WHERE {} AND t.unit_path LIKE $1 ORDER BY u.path, t.id",
        scope.sql("t.unit_path")
    ))
    .bind(format!("{under}%"))
    .bind(&from_day)
    .bind(&to_day)
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    let mut t = crate::export::Table::new(
        "文艺团队",
        &[
            "单位",
            "团队",
            "门类",
            "状态",
            "成员数",
            "艺术指导（次）",
            "指导课时",
            "演出（场）",
            "获奖",
        ],
    );
    for r in rows {
        t.push(vec![
            r.get::<String, _>("short_name").into(),
            r.get::<String, _>("name").into(),
            r.get::<String, _>("genre").into(),
            status_label(&r.get::<String, _>("status")).into(),
            r.get::<i64, _>("members").into(),
            r.get::<i64, _>("gs").into(),
            ((r.get::<f64, _>("gh") * 10.0).round() / 10.0).into(),
            r.get::<i64, _>("perf").into(),
            r.get::<i64, _>("awards").into(),
        ]);
    }
    Ok(t)
}

pub fn status_label(s: &str) -> &'static str {
    match s {
        "pending" => "待审核",
        "verified" => "已认证",
        "declined" => "未通过",
        _ => "已解散",
    }
}

/// The person's teams for their data export: memberships (past ones too) and join requests.
pub async fn export(db: &Db, user_id: i64) -> ApiResult<Value> {
    let members = sqlx::query(
        "SELECT t.name, t.genre, m.role, m.joined_at, m.left_at, f.name AS member FROM team_members m \
         JOIN teams t ON t.id = m.team_id LEFT JOIN family_members f ON f.id = m.family_member_id \
         WHERE m.user_id = $1 ORDER BY m.joined_at",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let requests = sqlx::query(
        "SELECT t.name, r.message, r.status, r.created_at FROM team_join_requests r JOIN teams t ON t.id = r.team_id \
         WHERE r.user_id = $1 ORDER BY r.id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(json!({
        "memberships": members.iter().map(|r| json!({
            "team": r.get::<String, _>("name"),
            "genre": r.get::<String, _>("genre"),
            "role": r.get::<String, _>("role"),
            "joined_at": r.get::<String, _>("joined_at"),
            "left_at": r.get::<Option<String>, _>("left_at"),
            "for": r.get::<Option<String>, _>("member"),
        })).collect::<Vec<_>>(),
        "join_requests": requests.iter().map(|r| json!({
            "team": r.get::<String, _>("name"),
            "message": r.get::<String, _>("message"),
            "status": r.get::<String, _>("status"),
            "at": r.get::<String, _>("created_at"),
        })).collect::<Vec<_>>(),
    }))
}

/// On erasure (inside the erasure's transaction): the person leaves every team, their open
/// requests are withdrawn and their words removed. A team they lead passes to its
/// longest-standing adult member; with nobody to take it, the team is dissolved (its invite
/// code replaced, no longer recruiting). Each hand-over or dissolution is audited.
pub async fn erase(tx: &mut Tx, user_id: i64, now: &str) -> ApiResult<()> {
    let led: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM teams WHERE leader_id = $1 AND status <> 'dissolved' ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    for team_id in led {
        let heir: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM team_members WHERE team_id = $1 AND user_id <> $2 AND family_member_id IS NULL \
             AND left_at IS NULL ORDER BY joined_at, user_id LIMIT 1",
        )
        .bind(team_id)
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?;
        let (action, detail) = match heir {
            Some(h) => {
                set_leader(tx, team_id, user_id, h, now).await?;
                ("team_leader_succeeded", format!("user {h}"))
            }
            None => {
                sqlx::query(
                    "UPDATE teams SET status = 'dissolved', recruiting = 0, invite_code = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(format!("X{}", new_code()))
                .bind(now)
                .bind(team_id)
                .execute(&mut **tx)
                .await?;
                (
                    "team_dissolved",
                    "负责人注销账号，团队无其他成年成员".to_string(),
                )
            }
        };
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(now)
        .bind(user_id)
        .bind(action)
        .bind(format!("team {team_id}"))
        .bind(detail)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("UPDATE team_members SET left_at = $1 WHERE user_id = $2 AND left_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE team_join_requests SET status = CASE WHEN status = 'pending' THEN 'withdrawn' ELSE status END, \
         message = '', decided_at = COALESCE(decided_at, $1) WHERE user_id = $2",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_needs_a_name_and_a_listed_genre() {
        let mut p = TeamInput {
            name: Some("红枫合唱团".into()),
            genre: Some("合唱".into()),
            ..Default::default()
        };
        assert!(validate(&p, true).is_ok());
        p.genre = Some("街舞".into());
        assert!(validate(&p, true).is_err());
        p.genre = None;
        assert!(validate(&p, true).is_err());
        assert!(validate(&p, false).is_ok());
        p.name = Some("  ".into());
        assert!(validate(&p, false).is_err());
    }

    #[test]
    fn codes_are_typed_loosely() {
        let c = new_code();
        assert_eq!(c.len(), 8);
        assert_eq!(normalise_code(&format!(" {} ", c.to_lowercase())), c);
        assert!(!c.contains('0') && !c.contains('O') && !c.contains('1') && !c.contains('I'));
    }

    #[test]
    fn guidance_days_are_china_days() {
        assert_eq!(day_of("2026-11-30T16:00:00Z"), "2026-12-01");
        assert_eq!(day_of("2026-12-01T15:59:59Z"), "2026-12-01");
    }
}
