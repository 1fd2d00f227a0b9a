//! Activities and their sessions (场次; for a course, its lessons): creation, publishing,
//! editing, cancelling, and the public browse. Rules are checked here, not in handlers.

use crate::access::{self, Action, Caller, UnitRef};
use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::org;
use crate::time::{self, Ts};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::Row;

pub const KINDS: [&str; 6] = [
    "performance",
    "lecture",
    "exhibition",
    "training",
    "art_team",
    "other",
];
pub const MODES: [&str; 3] = ["fcfs", "lottery", "none"];

pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "performance" => "送演出下基层",
        "lecture" => "讲座",
        "exhibition" => "展览",
        "training" => "公益艺术培训",
        "art_team" => "文艺团队活动",
        _ => "其他活动",
    }
}

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct NewSession {
    /// Where: a unit of the network…
    pub unit_id: i64,
    /// …and a room there: its name (or use `room_id`), or with `outside` a place outside
    /// the unit. A name that is no room of the unit is refused (`unknown_room`).
    #[oai(validator(max_length = 40))]
    pub room: Option<String>,
    /// A room of the unit (`GET /api/v1/org/units/{id}/rooms`); the session goes on its calendar.
    pub room_id: Option<i64>,
    /// `room` is a place outside the unit (a square, a school hall): no room, no calendar.
    pub outside: Option<bool>,
    /// Why the session has more seats than its room holds; required when it has.
    #[oai(validator(max_length = 200))]
    pub capacity_reason: Option<String>,
    /// RFC 3339, e.g. `2026-12-01T19:30:00+08:00`.
    pub starts_at: String,
    pub ends_at: String,
    /// Seats; omit for an open event without booking.
    pub capacity: Option<i64>,
    /// Booking (or lottery registration) opens; default: when published.
    pub booking_opens_at: Option<String>,
    /// Booking closes; default: when the session starts.
    pub booking_closes_at: Option<String>,
}

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct NewActivity {
    #[oai(validator(min_length = 1, max_length = 60))]
    pub title: String,
    /// `performance`, `lecture`, `exhibition`, `training`, `art_team` or `other`.
    pub kind: String,
    pub organizer_unit_id: i64,
    /// Units that run it jointly (three-level joint activities).
    pub joint_unit_ids: Option<Vec<i64>>,
    #[oai(validator(max_length = 2000))]
    pub description: Option<String>,
    /// An `https://` address of the poster; or use `poster_file_id`.
    #[oai(validator(max_length = 500))]
    pub poster_url: Option<String>,
    /// An uploaded image (`POST /api/v1/files`, `visibility=public`) of a unit where the caller
    /// may upload; the activity's `poster_url` becomes `/api/v1/files/{id}`.
    pub poster_file_id: Option<i64>,
    pub age_min: Option<i64>,
    pub age_max: Option<i64>,
    /// `fcfs` (first come, first served), `lottery` (摇号) or `none` (walk-in).
    pub booking_mode: String,
    /// A course: one booking covers all its sessions (lessons).
    pub is_course: Option<bool>,
    /// For `lottery`: when the draw happens (after registration closes, before the start).
    pub lottery_draw_at: Option<String>,
    /// Delivered (配送) by the main center to the organizing unit (main-center staff only).
    pub delivered_by_main_center: Option<bool>,
    /// `public` (default) or `staff`: a staff-only activity is invisible to residents.
    pub audience: Option<String>,
    /// A staff training: `management` (管理培训), `business` (业务培训) or `coordinator`
    /// (协管员培训). Needs `audience = staff`.
    pub training_kind: Option<String>,
    /// A training the district organises, owned by the main center (no district unit exists).
    pub by_district: Option<bool>,
    /// Registration questions (报名问题) asked when booking, at most 10; see
    /// `RegistrationQuestion`.
    pub questions: Option<Vec<crate::questions::RegistrationQuestion>>,
    #[oai(validator(min_items = 1, max_items = 100))]
    pub sessions: Vec<NewSession>,
}

/// A session after validation, times parsed.
#[derive(Debug, Clone)]
pub struct SessionPlan {
    pub unit_id: i64,
    pub room: String,
    pub room_id: Option<i64>,
    pub outside: bool,
    pub capacity_reason: Option<String>,
    pub starts_at: Ts,
    pub ends_at: Ts,
    pub capacity: Option<i64>,
    pub opens_at: Option<Ts>,
    pub closes_at: Ts,
}

fn parse_ts(s: &str, what: &str) -> ApiResult<Ts> {
    time::parse(s).ok_or_else(|| {
        ApiError::validation(format!(
            "{what}格式不正确，应为 2026-12-01T19:30:00+08:00 这样的时间"
        ))
    })
}

/// A poster is an `https://` address or an uploaded file, not both.
fn check_poster(url: Option<&str>, file: Option<i64>) -> ApiResult<()> {
    match (url, file) {
        (Some(u), Some(_)) if !u.is_empty() => {
            Err(ApiError::validation("海报地址和海报图片只能填写一个"))
        }
        (Some(u), _) if !u.is_empty() && !u.starts_with("https://") => {
            Err(ApiError::validation("海报地址必须以 https:// 开头"))
        }
        _ => Ok(()),
    }
}

/// Checks an activity's fields and sessions. Pure: `now` is passed in.
pub fn validate(a: &NewActivity, now: Ts) -> ApiResult<(Vec<SessionPlan>, Option<Ts>)> {
    if crate::input::blank(&a.title) {
        return Err(ApiError::validation("活动名称不能为空"));
    }
    if !KINDS.contains(&a.kind.as_str()) {
        return Err(ApiError::validation("活动类型无效"));
    }
    if !MODES.contains(&a.booking_mode.as_str()) {
        return Err(ApiError::validation("预约方式只能是 fcfs、lottery 或 none"));
    }
    check_poster(a.poster_url.as_deref(), a.poster_file_id)?;
    match (a.age_min, a.age_max) {
        (Some(x), _) if !(0..=120).contains(&x) => {
            return Err(ApiError::validation("年龄范围无效"))
        }
        (_, Some(y)) if !(0..=120).contains(&y) => {
            return Err(ApiError::validation("年龄范围无效"))
        }
        (Some(x), Some(y)) if x > y => {
            return Err(ApiError::validation("最小年龄不能大于最大年龄"))
        }
        _ => {}
    }
    let bookable = a.booking_mode != "none";
    let mut plans = Vec::with_capacity(a.sessions.len());
    for (i, s) in a.sessions.iter().enumerate() {
        let n = i + 1;
        let starts_at = parse_ts(&s.starts_at, &format!("第 {n} 场开始时间"))?;
        let ends_at = parse_ts(&s.ends_at, &format!("第 {n} 场结束时间"))?;
        if starts_at <= now {
            return Err(ApiError::validation(format!("第 {n} 场的开始时间已经过去")));
        }
        if ends_at <= starts_at {
            return Err(ApiError::validation(format!(
                "第 {n} 场的结束时间应晚于开始时间"
            )));
        }
        if ends_at - starts_at > chrono::Duration::days(31) {
            return Err(ApiError::validation(format!("第 {n} 场持续时间过长")));
        }
        match (bookable, s.capacity) {
            (true, None) if !(a.is_course.unwrap_or(false) && i > 0) => {
                return Err(ApiError::validation(format!("第 {n} 场需要填写名额")))
            }
            (false, Some(_)) => {
                return Err(ApiError::validation("无需预约的活动不设名额"));
            }
            (_, Some(c)) if !(0..=100_000).contains(&c) => {
                return Err(ApiError::validation(format!("第 {n} 场的名额无效")));
            }
            _ => {}
        }
        let opens_at = s
            .booking_opens_at
            .as_deref()
            .map(|t| parse_ts(t, "预约开始时间"))
            .transpose()?;
        let closes_at = match &s.booking_closes_at {
            Some(t) => parse_ts(t, "预约截止时间")?,
            None => starts_at,
        };
        if closes_at > starts_at {
            return Err(ApiError::validation(format!(
                "第 {n} 场的预约截止时间不能晚于开始时间"
            )));
        }
        if let Some(o) = opens_at {
            if o >= closes_at {
                return Err(ApiError::validation(format!(
                    "第 {n} 场的预约开始时间应早于截止时间"
                )));
            }
        }
        plans.push(SessionPlan {
            unit_id: s.unit_id,
            room: s.room.clone().unwrap_or_default().trim().to_string(),
            room_id: s.room_id,
            outside: s.outside.unwrap_or(false),
            capacity_reason: s.capacity_reason.clone(),
            starts_at,
            ends_at,
            capacity: if bookable { s.capacity } else { None },
            opens_at,
            closes_at,
        });
    }
    let draw_at = if a.booking_mode == "lottery" {
        let d = a
            .lottery_draw_at
            .as_deref()
            .ok_or_else(|| ApiError::validation("摇号活动需要填写开奖时间"))?;
        let d = parse_ts(d, "开奖时间")?;
        let anchor = &plans[0];
        if d < anchor.closes_at || d >= anchor.starts_at {
            return Err(ApiError::validation(
                "开奖时间应在报名截止之后、活动开始之前",
            ));
        }
        Some(d)
    } else {
        None
    };
    Ok((plans, draw_at))
}

/// Creates a draft. Every session place must be within the caller's scope.
pub async fn create(
    db: &Db,
    caller: &Caller,
    a: &NewActivity,
    root: &UnitRef,
    now: Ts,
    audit: crate::audit::Entry<'_>,
) -> ApiResult<i64> {
    create_delivered(db, caller, a, root, None, now, audit).await
}

/// Creates a draft delivered (配送) by `deliverer`: a menu's owner (main center or branch) or
/// the unit that bought it (procurement). The caller's right to deliver for `deliverer` is
/// checked by the caller of this function (`ManageMenu` or `ApprovePurchase` there).
pub async fn create_delivered(
    db: &Db,
    caller: &Caller,
    a: &NewActivity,
    root: &UnitRef,
    deliverer: Option<&UnitRef>,
    now: Ts,
    audit: crate::audit::Entry<'_>,
) -> ApiResult<i64> {
    let (plans, draw_at) = validate(a, now)?;
    let questions = crate::questions::check_questions(a.questions.as_deref().unwrap_or_default())?;
    let organizer = org::unit_ref(db, a.organizer_unit_id).await?;
    access::check(caller, Action::ManageActivities, &organizer)?;
    let by_district = a.by_district.unwrap_or(false);
    crate::training::check(
        a.audience.as_deref(),
        a.training_kind.as_deref(),
        by_district,
        organizer.path == root.path,
    )?;
    org::ensure_open(db, organizer.id).await?;
    let mut places = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        let u = org::unit_ref(db, p.unit_id).await?;
        access::check(caller, Action::ManageActivities, &u)?;
        org::ensure_open(db, u.id).await?;
        let place = crate::rooms::resolve(
            db,
            u.id,
            &crate::rooms::PlaceAsk {
                room_id: p.room_id,
                room: Some(&p.room),
                outside: p.outside,
                capacity: p.capacity,
                capacity_reason: p.capacity_reason.as_deref(),
            },
            &format!("第 {} 场", i + 1),
        )
        .await?;
        places.push((u, place));
    }
    let joint = a.joint_unit_ids.clone().unwrap_or_default();
    if joint.len() > 20 {
        return Err(ApiError::validation("联办单位过多"));
    }
    for j in &joint {
        let p = org::unit_ref(db, *j).await?;
        // Joint means up and down one line (main center, the branch, its points): a unit on
        // another line cannot be named, and the organizer is not its own partner.
        if !crate::plans::on_line(&organizer.path, &p.path) {
            return Err(ApiError::new(
                poem::http::StatusCode::UNPROCESSABLE_ENTITY,
                "partner_off_line",
                "联办单位只能是同一条线上的总馆、分馆或其服务点",
            ));
        }
    }
    let poster = match a.poster_file_id {
        Some(f) => Some(
            crate::files::for_attachment(db, caller, f, crate::files::Visibility::Public).await?,
        ),
        None => None,
    };
    let delivered_by = if let Some(d) = deliverer {
        Some(d.id)
    } else if a.delivered_by_main_center.unwrap_or(false) {
        access::check(caller, Action::ManageMenu, root)?;
        Some(root.id)
    } else {
        None
    };
    let now_s = time::fmt(now);
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO activities (title, kind, organizer_unit_id, description, poster_url, age_min, age_max, booking_mode, \
         is_course, lottery_draw_at, delivered_by_unit_id, created_by, created_at, updated_at, poster_file_id, \
         audience, training_kind, by_district) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$13,$14,$15,$16,$17) RETURNING id",
    )
    .bind(a.title.trim())
    .bind(&a.kind)
    .bind(organizer.id)
    .bind(a.description.clone().unwrap_or_default())
    .bind(
        poster
            .as_ref()
            .map(|f| f.url())
            .or_else(|| a.poster_url.clone())
            .unwrap_or_default(),
    )
    .bind(a.age_min)
    .bind(a.age_max)
    .bind(&a.booking_mode)
    .bind(a.is_course.unwrap_or(false) as i64)
    .bind(draw_at.map(time::fmt))
    .bind(delivered_by)
    .bind(caller.user_id)
    .bind(&now_s)
    .bind(poster.as_ref().map(|f| f.id))
    .bind(a.audience.as_deref().unwrap_or("public"))
    .bind(a.training_kind.as_deref())
    .bind(by_district as i64)
    .fetch_one(&mut *tx)
    .await?;
    insert_sessions(&mut tx, id, &plans, &places, &now_s).await?;
    crate::questions::replace(&mut tx, id, &questions).await?;
    for j in joint {
        // A partner takes part once it confirms from its own inbox; the main center delivering
        // from its menu is itself the act of taking part.
        let status = if delivered_by == Some(j) {
            "confirmed"
        } else {
            "pending"
        };
        sqlx::query("INSERT INTO activity_units (activity_id, unit_id, status) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(j)
            .bind(status)
            .execute(&mut *tx)
            .await?;
    }
    let audit = crate::audit::Entry {
        target: format!("activity {id}"),
        ..audit
    };
    crate::audit::record(&mut tx, &now_s, audit).await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert_sessions(
    tx: &mut Tx,
    activity_id: i64,
    plans: &[SessionPlan],
    places: &[(UnitRef, crate::rooms::Place)],
    now: &str,
) -> ApiResult<()> {
    for (i, (p, (u, place))) in plans.iter().zip(places).enumerate() {
        let sid: i64 = sqlx::query_scalar(
            "INSERT INTO sessions (activity_id, lesson_no, unit_id, unit_path, room, starts_at, ends_at, capacity, \
             booking_opens_at, booking_closes_at, room_id, outside, capacity_reason) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id",
        )
        .bind(activity_id)
        .bind(i as i64 + 1)
        .bind(u.id)
        .bind(&u.path)
        .bind(&place.label)
        .bind(time::fmt(p.starts_at))
        .bind(time::fmt(p.ends_at))
        .bind(p.capacity)
        .bind(p.opens_at.map(time::fmt))
        .bind(time::fmt(p.closes_at))
        .bind(place.room_id)
        .bind(place.outside as i64)
        .bind(&place.capacity_reason)
        .fetch_one(&mut **tx)
        .await?;
        // The room's calendar refuses a clash, with this activity's other sessions too.
        crate::rooms::sync_session(tx, sid, now).await?;
    }
    Ok(())
}

/// What authorization and rules need to know about an activity.
#[derive(Debug, Clone)]
pub struct ActivityHead {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub booking_mode: String,
    pub is_course: bool,
    pub organizer: UnitRef,
    pub age_min: Option<i64>,
    pub age_max: Option<i64>,
    pub lottery_draw_at: Option<String>,
}

pub async fn head(db: &Db, id: i64) -> ApiResult<ActivityHead> {
    let r = sqlx::query(
        "SELECT a.id, a.title, a.status, a.booking_mode, a.is_course, a.organizer_unit_id, u.path, a.age_min, a.age_max, \
         a.lottery_draw_at FROM activities a JOIN org_units u ON u.id = a.organizer_unit_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该活动"))?;
    Ok(ActivityHead {
        id: r.get("id"),
        title: r.get("title"),
        status: r.get("status"),
        booking_mode: r.get("booking_mode"),
        is_course: r.get::<i64, _>("is_course") != 0,
        organizer: UnitRef {
            id: r.get("organizer_unit_id"),
            path: r.get("path"),
        },
        age_min: r.get("age_min"),
        age_max: r.get("age_max"),
        lottery_draw_at: r.get("lottery_draw_at"),
    })
}

/// Draft → published. A lottery gets its seed now; only the seed's hash is shown until the draw.
pub async fn publish(db: &Db, id: i64, now: Ts, audit: crate::audit::Entry<'_>) -> ApiResult<()> {
    let h = head(db, id).await?;
    if h.status != "draft" {
        return Err(ApiError::conflict(
            "not_draft",
            "只有草稿状态的活动可以发布",
        ));
    }
    let first_start: String =
        sqlx::query_scalar("SELECT MIN(starts_at) FROM sessions WHERE activity_id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await?;
    if first_start <= time::fmt(now) {
        return Err(ApiError::validation("活动开始时间已过，无法发布"));
    }
    let (seed, hash) = if h.booking_mode == "lottery" {
        let seed = crate::identity::new_secret();
        let hash = crate::rules::seed_commitment(&seed);
        (Some(seed), Some(hash))
    } else {
        (None, None)
    };
    let mut tx = db.begin().await?;
    let res = sqlx::query(
        "UPDATE activities SET status = 'published', published_at = $1, updated_at = $1, lottery_seed = $2, \
         lottery_seed_hash = $3 WHERE id = $4 AND status = 'draft'",
    )
    .bind(time::fmt(now))
    .bind(seed)
    .bind(hash)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() == 0 {
        return Err(ApiError::conflict(
            "not_draft",
            "只有草稿状态的活动可以发布",
        ));
    }
    crate::audit::record(&mut tx, &time::fmt(now), audit).await?;
    // Demands this activity answers are fulfilled, and their supporters told.
    crate::demand::fulfil_for_activity(&mut tx, id, now).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct ActivityPatch {
    #[oai(validator(min_length = 1, max_length = 60))]
    pub title: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub description: Option<String>,
    /// A new `https://` poster address (`""` removes the poster).
    #[oai(validator(max_length = 500))]
    pub poster_url: Option<String>,
    /// A new poster from an uploaded public image (see `NewActivity::poster_file_id`).
    pub poster_file_id: Option<i64>,
    /// The full new list of registration questions. Once anyone has booked, the existing
    /// questions stay as they are and only optional ones may be appended at the end
    /// (`questions_locked`, 409): answers are stored by position.
    pub questions: Option<Vec<crate::questions::RegistrationQuestion>>,
}

/// Checks a patch before the poster file (if any) is looked up.
pub fn check_patch(p: &ActivityPatch) -> ApiResult<()> {
    check_poster(p.poster_url.as_deref(), p.poster_file_id)?;
    if let Some(q) = &p.questions {
        crate::questions::check_questions(q)?;
    }
    Ok(())
}

/// Applies a patch; `poster` is the checked file of `poster_file_id`.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    p: &ActivityPatch,
    poster: Option<&crate::files::FileMeta>,
    now: &str,
) -> ApiResult<()> {
    check_patch(p)?;
    // A file replaces the address; a new address (or "") drops the file.
    let (url, file, set_file) = match (poster, &p.poster_url) {
        (Some(f), _) => (Some(f.url()), Some(f.id), 1i64),
        (None, Some(u)) => (Some(u.clone()), None, 1),
        (None, None) => (None, None, 0),
    };
    sqlx::query(
        "UPDATE activities SET title = COALESCE($1, title), description = COALESCE($2, description), \
         poster_url = COALESCE($3, poster_url), updated_at = $4, \
         poster_file_id = CASE WHEN CAST($6 AS BIGINT) = 1 THEN CAST($7 AS BIGINT) ELSE poster_file_id END WHERE id = $5",
    )
    .bind(p.title.as_deref().map(str::trim))
    .bind(&p.description)
    .bind(url)
    .bind(now)
    .bind(id)
    .bind(set_file)
    .bind(file)
    .execute(&mut **tx)
    .await?;
    if let Some(q) = &p.questions {
        let q = crate::questions::check_questions(q)?;
        crate::questions::replace(tx, id, &q).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reading.

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct SessionView {
    pub id: i64,
    pub lesson_no: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub address: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    /// The room's name, or the place outside the unit (`outside`).
    pub room: String,
    /// The room of the unit it takes place in, if any.
    pub room_id: Option<i64>,
    pub outside: bool,
    pub starts_at: String,
    pub ends_at: String,
    /// Null: open event, no booking.
    pub capacity: Option<i64>,
    pub seats_left: Option<i64>,
    pub waitlist_length: i64,
    pub booking_opens_at: Option<String>,
    pub booking_closes_at: Option<String>,
    pub status: String,
}

fn session_from(r: &sqlx::any::AnyRow) -> SessionView {
    let capacity: Option<i64> = r.get("capacity");
    let booked: i64 = r.get("booked");
    SessionView {
        id: r.get("id"),
        lesson_no: r.get("lesson_no"),
        unit_id: r.get("unit_id"),
        unit_name: r.get("unit_name"),
        address: r.get("address"),
        lng: r.get("lng"),
        lat: r.get("lat"),
        room: r.get("room"),
        room_id: r.get("room_id"),
        outside: r.get::<i64, _>("outside") != 0,
        starts_at: r.get("starts_at"),
        ends_at: r.get("ends_at"),
        capacity,
        seats_left: capacity.map(|c| (c - booked).max(0)),
        waitlist_length: r.get("waitlisted"),
        booking_opens_at: r.get("booking_opens_at"),
        booking_closes_at: r.get("booking_closes_at"),
        status: r.get("status"),
    }
}

const SESSION_COLS: &str = "s.id, s.lesson_no, s.unit_id, u.short_name AS unit_name, u.address, u.lng, u.lat, s.room, s.room_id, s.outside, \
    s.starts_at, s.ends_at, s.capacity, s.booked, s.waitlisted, s.booking_opens_at, s.booking_closes_at, s.status";

pub async fn sessions_of(db: &Db, activity_id: i64) -> ApiResult<Vec<SessionView>> {
    let rows = sqlx::query(&format!(
        "SELECT {SESSION_COLS} FROM sessions s JOIN org_units u ON u.id = s.unit_id WHERE s.activity_id = $1 ORDER BY s.lesson_no"
    ))
    .bind(activity_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(session_from).collect())
}

#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct ActivityView {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub kind_label: String,
    pub organizer_unit_id: i64,
    pub organizer_name: String,
    pub joint_unit_names: Vec<String>,
    pub description: String,
    /// An `https://` address, or `/api/v1/files/{id}` for an uploaded poster (same origin).
    pub poster_url: String,
    /// The uploaded poster's file id, when the poster is a file.
    pub poster_file_id: Option<i64>,
    pub age_min: Option<i64>,
    pub age_max: Option<i64>,
    pub booking_mode: String,
    pub is_course: bool,
    /// `draft`, `published`, `cancelled` or `finished`.
    pub status: String,
    pub cancel_reason: Option<String>,
    pub delivered_by_main_center: bool,
    pub lottery_draw_at: Option<String>,
    /// SHA-256 of the lottery seed, published before registration closes.
    pub lottery_seed_hash: Option<String>,
    /// The seed itself, published after the draw so anyone can re-run it.
    pub lottery_seed: Option<String>,
    pub lottery_drawn_at: Option<String>,
    /// `public` or `staff`.
    pub audience: String,
    pub training_kind: Option<String>,
    pub training_kind_label: Option<String>,
    pub by_district: bool,
    /// Registration questions asked when booking (answer them in `answers` of the booking).
    pub questions: Vec<crate::questions::RegistrationQuestion>,
    /// Someone has booked: the questions are frozen, optional ones may only be appended.
    pub questions_locked: bool,
    pub sessions: Vec<SessionView>,
}

/// `finished` once every session has ended.
pub fn effective_status(status: &str, last_end: Option<&str>, now: &str) -> String {
    match (status, last_end) {
        ("published", Some(end)) if end <= now => "finished".into(),
        _ => status.into(),
    }
}

pub async fn view(db: &Db, id: i64, now: &str) -> ApiResult<ActivityView> {
    let r = sqlx::query(
        "SELECT a.*, u.short_name AS organizer_name FROM activities a JOIN org_units u ON u.id = a.organizer_unit_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该活动"))?;
    let sessions = sessions_of(db, id).await?;
    let joint: Vec<String> = sqlx::query_scalar(
        "SELECT u.short_name FROM activity_units j JOIN org_units u ON u.id = j.unit_id WHERE j.activity_id = $1 ORDER BY u.path",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let kind: String = r.get("kind");
    let status: String = r.get("status");
    let last_end = sessions.iter().map(|s| s.ends_at.as_str()).max();
    let drawn: Option<String> = r.get("lottery_drawn_at");
    Ok(ActivityView {
        id,
        title: r.get("title"),
        kind_label: kind_label(&kind).into(),
        kind,
        organizer_unit_id: r.get("organizer_unit_id"),
        organizer_name: r.get("organizer_name"),
        joint_unit_names: joint,
        description: r.get("description"),
        poster_url: r.get("poster_url"),
        poster_file_id: r.get("poster_file_id"),
        age_min: r.get("age_min"),
        age_max: r.get("age_max"),
        booking_mode: r.get("booking_mode"),
        is_course: r.get::<i64, _>("is_course") != 0,
        status: effective_status(&status, last_end, now),
        cancel_reason: r.get("cancel_reason"),
        delivered_by_main_center: r.get::<Option<i64>, _>("delivered_by_unit_id").is_some(),
        lottery_draw_at: r.get("lottery_draw_at"),
        lottery_seed_hash: r.get("lottery_seed_hash"),
        lottery_seed: if drawn.is_some() {
            r.get("lottery_seed")
        } else {
            None
        },
        lottery_drawn_at: drawn,
        training_kind_label: r
            .get::<Option<String>, _>("training_kind")
            .map(|k| crate::training::kind_label(&k).into()),
        training_kind: r.get("training_kind"),
        audience: r.get("audience"),
        by_district: r.get::<i64, _>("by_district") != 0,
        questions: crate::questions::of_activity(db, id).await?,
        questions_locked: sqlx::query_scalar::<_, i64>(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM bookings WHERE activity_id = $1",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await?
            > 0,
        sessions,
    })
}

// ---------------------------------------------------------------------------------------------
// Browse.

#[derive(Debug, Clone, Default)]
pub struct BrowseQuery {
    /// Path prefix of the unit browsed (a branch includes its points).
    pub unit_path: Option<String>,
    pub kind: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub q: Option<String>,
    pub near: Option<(f64, f64)>,
    /// Only activities with an online part (online or hybrid, D230).
    pub online: bool,
    pub page: i64,
    pub page_size: i64,
}

/// One browse row without its live counts (those are read fresh for every page).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BrowseRow {
    pub activity_id: i64,
    pub session_id: i64,
    pub title: String,
    pub kind: String,
    pub poster_url: String,
    pub booking_mode: String,
    pub is_course: bool,
    pub organizer_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub address: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub starts_at: String,
    pub ends_at: String,
    pub capacity: Option<i64>,
    pub distance_m: Option<i64>,
}

/// Upcoming sessions matching the query, in stable order (start time, then id; or distance).
/// Returns the page and whether there are more.
pub async fn browse_rows(db: &Db, q: &BrowseQuery, now: &str) -> ApiResult<(Vec<BrowseRow>, bool)> {
    let mut sql = String::from(
        "SELECT a.id AS activity_id, s.id AS session_id, a.title, a.kind, a.poster_url, a.booking_mode, a.is_course, \
         ou.short_name AS organizer_name, s.unit_id, u.short_name AS unit_name, u.address, u.lng, u.lat, \
         s.starts_at, s.ends_at, s.capacity \
         FROM sessions s JOIN activities a ON a.id = s.activity_id JOIN org_units u ON u.id = s.unit_id \
         JOIN org_units ou ON ou.id = a.organizer_unit_id \
         WHERE a.status = 'published' AND a.audience = 'public' AND s.status = 'scheduled' AND s.ends_at > $1 \
         AND (a.is_course = 0 OR s.lesson_no = 1)",
    );
    let mut binds: Vec<String> = vec![now.to_string()];
    let mut add = |clause: &str, v: String, sql: &mut String| {
        binds.push(v);
        sql.push_str(&clause.replace("$?", &format!("${}", binds.len())));
    };
    if let Some(p) = &q.unit_path {
        sql.push_str(&format!(
            " AND {}",
            crate::access::subtree_sql("s.unit_path", p)
        ));
    }
    if let Some(k) = &q.kind {
        add(" AND a.kind = $?", k.clone(), &mut sql);
    }
    if let Some(f) = &q.from {
        add(" AND s.starts_at >= $?", f.clone(), &mut sql);
    }
    if let Some(t) = &q.to {
        add(" AND s.starts_at < $?", t.clone(), &mut sql);
    }
    if q.online {
        sql.push_str(" AND EXISTS (SELECT 1 FROM activity_online ao WHERE ao.activity_id = a.id)");
    }
    if let Some(text) = &q.q {
        add(
            " AND a.title LIKE $?",
            format!("%{}%", text.replace(['%', '_'], "")),
            &mut sql,
        );
    }
    let page_size = q.page_size.clamp(1, 50);
    let offset = (q.page.max(1) - 1) * page_size;
    if q.near.is_none() {
        sql.push_str(&format!(
            " ORDER BY s.starts_at, s.id LIMIT {} OFFSET {offset}",
            page_size + 1
        ));
    } else {
        // Distance is computed here; bounded candidate set, nearest first.
        sql.push_str(" ORDER BY s.starts_at, s.id LIMIT 2000");
    }
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    let rows = query.fetch_all(db.pool()).await?;
    let mut out: Vec<BrowseRow> = rows
        .iter()
        .map(|r| BrowseRow {
            activity_id: r.get("activity_id"),
            session_id: r.get("session_id"),
            title: r.get("title"),
            kind: r.get("kind"),
            poster_url: r.get("poster_url"),
            booking_mode: r.get("booking_mode"),
            is_course: r.get::<i64, _>("is_course") != 0,
            organizer_name: r.get("organizer_name"),
            unit_id: r.get("unit_id"),
            unit_name: r.get("unit_name"),
            address: r.get("address"),
            lng: r.get("lng"),
            lat: r.get("lat"),
            starts_at: r.get("starts_at"),
            ends_at: r.get("ends_at"),
            capacity: r.get("capacity"),
            distance_m: None,
        })
        .collect();
    if let Some((lng, lat)) = q.near {
        for r in out.iter_mut() {
            if let (Some(x), Some(y)) = (r.lng, r.lat) {
                r.distance_m = Some(org::distance_m(lng, lat, x, y).round() as i64);
            }
        }
        out.sort_by(|a, b| {
            a.distance_m
                .unwrap_or(i64::MAX)
                .cmp(&b.distance_m.unwrap_or(i64::MAX))
                .then(a.starts_at.cmp(&b.starts_at))
                .then(a.session_id.cmp(&b.session_id))
        });
        out = out
            .into_iter()
            .skip(offset as usize)
            .take(page_size as usize + 1)
            .collect();
    }
    let more = out.len() as i64 > page_size;
    out.truncate(page_size as usize);
    Ok((out, more))
}

/// Live seat counts for a set of sessions: id → (booked, waitlisted).
pub async fn live_counts(
    db: &Db,
    session_ids: &[i64],
) -> ApiResult<std::collections::HashMap<i64, (i64, i64)>> {
    if session_ids.is_empty() {
        return Ok(Default::default());
    }
    let list = session_ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let rows = sqlx::query(&format!(
        "SELECT id, booked, waitlisted FROM sessions WHERE id IN ({list})"
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get("id"), (r.get("booked"), r.get("waitlisted"))))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(now: Ts) -> NewActivity {
        let start = now + chrono::Duration::days(3);
        NewActivity {
            title: "粤剧进社区".into(),
            kind: "performance".into(),
            organizer_unit_id: 1,
            joint_unit_ids: None,
            description: None,
            poster_url: None,
            poster_file_id: None,
            age_min: None,
            age_max: None,
            booking_mode: "fcfs".into(),
            is_course: None,
            lottery_draw_at: None,
            delivered_by_main_center: None,
            audience: None,
            training_kind: None,
            by_district: None,
            questions: None,
            sessions: vec![NewSession {
                unit_id: 1,
                room: None,
                room_id: None,
                outside: None,
                capacity_reason: None,
                starts_at: time::fmt(start),
                ends_at: time::fmt(start + chrono::Duration::hours(2)),
                capacity: Some(30),
                booking_opens_at: None,
                booking_closes_at: None,
            }],
        }
    }

    #[test]
    fn valid_activity_passes() {
        let now = chrono::Utc::now();
        let (plans, draw) = validate(&base(now), now).unwrap();
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].closes_at, plans[0].starts_at);
        assert!(draw.is_none());
    }

    #[test]
    fn bad_inputs_are_refused() {
        let now = chrono::Utc::now();
        let mut a = base(now);
        a.sessions[0].starts_at = time::fmt(now - chrono::Duration::hours(1));
        assert!(validate(&a, now).is_err(), "past start");
        let mut a = base(now);
        a.sessions[0].ends_at = a.sessions[0].starts_at.clone();
        assert!(validate(&a, now).is_err(), "end before start");
        let mut a = base(now);
        a.sessions[0].capacity = None;
        assert!(validate(&a, now).is_err(), "bookable needs capacity");
        let mut a = base(now);
        a.booking_mode = "none".into();
        assert!(validate(&a, now).is_err(), "walk-in has no capacity");
        let mut a = base(now);
        a.booking_mode = "lottery".into();
        assert!(validate(&a, now).is_err(), "lottery needs a draw time");
        let mut a = base(now);
        a.age_min = Some(12);
        a.age_max = Some(6);
        assert!(validate(&a, now).is_err(), "age range");
        let mut a = base(now);
        a.poster_url = Some("http://x".into());
        assert!(validate(&a, now).is_err(), "https only");
        let mut a = base(now);
        a.sessions[0].starts_at = "tomorrow".into();
        assert!(validate(&a, now).is_err(), "unparseable time");
    }

    #[test]
    fn finished_when_all_sessions_ended() {
        assert_eq!(
            effective_status(
                "published",
                Some("2026-01-01T00:00:00Z"),
                "2026-02-01T00:00:00Z"
            ),
            "finished"
        );
        assert_eq!(
            effective_status(
                "published",
                Some("2026-03-01T00:00:00Z"),
                "2026-02-01T00:00:00Z"
            ),
            "published"
        );
        assert_eq!(
            effective_status(
                "cancelled",
                Some("2026-01-01T00:00:00Z"),
                "2026-02-01T00:00:00Z"
            ),
            "cancelled"
        );
    }
}
