use super::ApiTags;
use crate::access::{self, Action};
use crate::activity::{self, ActivityPatch, ActivityView, BrowseQuery, BrowseRow, NewActivity};
use crate::booking::{self, BookingView, LotteryRecord, SessionPatch};
use crate::error::ApiError;
use crate::export::{self, Download};
use crate::privacy::mask_name;
use crate::roster;
use crate::state::{ctx, AppState};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{Object, OpenApi};
use sqlx::Row;

pub struct ActivitiesApi;

/// A share poster (activities and units).
#[derive(poem_openapi::ApiResponse)]
pub enum PosterPng {
    /// The poster image (PNG, 750×1334; layout in docs/api.md).
    #[oai(status = 200, content_type = "image/png")]
    Png(Binary<Vec<u8>>),
}

#[derive(Object, Clone)]
pub struct BrowseItem {
    activity_id: i64,
    session_id: i64,
    title: String,
    kind: String,
    kind_label: String,
    poster_url: String,
    booking_mode: String,
    is_course: bool,
    organizer_name: String,
    unit_id: i64,
    unit_name: String,
    address: String,
    lng: Option<f64>,
    lat: Option<f64>,
    starts_at: String,
    ends_at: String,
    /// Null for open events without booking.
    capacity: Option<i64>,
    seats_left: Option<i64>,
    waitlist_length: i64,
    /// Metres from the given coordinate.
    distance_m: Option<i64>,
    /// The caller's booking on this item, if any.
    my_booking_id: Option<i64>,
    my_status: Option<String>,
}

#[derive(Object, Clone)]
pub struct BrowsePage {
    items: Vec<BrowseItem>,
    page: i64,
    page_size: i64,
    has_more: bool,
}

#[derive(Object)]
struct NewNotice {
    /// 1–200 characters.
    #[oai(validator(max_length = 400))]
    body: String,
}

#[derive(Object)]
struct NoticeList {
    items: Vec<crate::notice::NoticeView>,
}

#[derive(Object)]
struct ActivityDetail {
    activity: ActivityView,
    /// The caller's bookings for this activity.
    my_bookings: Vec<BookingView>,
}

#[derive(Object)]
struct CancelActivity {
    #[oai(validator(min_length = 1, max_length = 200))]
    reason: String,
}

#[derive(Object)]
struct StaffActivity {
    id: i64,
    title: String,
    kind: String,
    status: String,
    organizer_unit_id: i64,
    organizer_name: String,
    first_start: Option<String>,
    booked: i64,
    capacity: Option<i64>,
}

#[derive(Object)]
struct StaffActivityList {
    items: Vec<StaffActivity>,
}

#[derive(Object)]
struct RosterEntry {
    booking_id: i64,
    /// Masked.
    name: String,
    is_family_member: bool,
    status: String,
    waitlist_position: Option<i64>,
    checked_in_at: Option<String>,
    /// Answers to the registration questions, one per entry of `questions` (options joined
    /// with `、`; empty when unanswered).
    answers: Vec<String>,
}

#[derive(Object)]
struct Roster {
    session_id: i64,
    /// The activity's registration questions (texts), in order.
    questions: Vec<String>,
    capacity: Option<i64>,
    booked: i64,
    waitlisted: i64,
    checked_in: i64,
    items: Vec<RosterEntry>,
}

#[derive(Object)]
struct DaySession {
    session_id: i64,
    activity_id: i64,
    title: String,
    kind: String,
    /// `fcfs`, `lottery` or `none` (walk-in).
    booking_mode: String,
    is_course: bool,
    lesson_no: i64,
    unit_id: i64,
    unit_name: String,
    room: String,
    starts_at: String,
    ends_at: String,
    capacity: Option<i64>,
    booked: i64,
}

#[derive(Object)]
struct DaySessions {
    /// The China date listed (`YYYY-MM-DD`).
    date: String,
    items: Vec<DaySession>,
    /// More than the 500 listed.
    truncated: bool,
}

const DAY_SESSIONS_MAX: usize = 500;

fn china_day_start(date: &str) -> Result<String, ApiError> {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| ApiError::validation("日期格式应为 2026-12-01"))?;
    // 00:00 in China is 16:00 UTC the day before.
    let t = d
        .and_hms_opt(0, 0, 0)
        .ok_or_else(ApiError::internal)?
        .and_utc()
        - chrono::Duration::hours(8);
    Ok(crate::time::fmt(t))
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Activities")]
impl ActivitiesApi {
    /// Browse upcoming activities (each item is a session; a course appears once).
    #[oai(
        path = "/activities",
        method = "get",
        operation_id = "activities_browse"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn browse(
        &self,
        st: Data<&AppState>,
        req: &Request,
        /// A branch (its points included) or a point.
        unit_id: Query<Option<i64>>,
        kind: Query<Option<String>>,
        /// First day, `YYYY-MM-DD` (China time).
        date_from: Query<Option<String>>,
        /// Last day, inclusive.
        date_to: Query<Option<String>>,
        #[oai(validator(max_length = 30))] q: Query<Option<String>>,
        /// With `lat`: nearest first.
        lng: Query<Option<f64>>,
        lat: Query<Option<f64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))] page_size: Query<
            Option<i64>,
        >,
        /// `true`: only online and hybrid activities (watch without booking).
        online: Query<Option<bool>>,
    ) -> Result<super::CachedJson<BrowsePage>> {
        let caller = st.maybe_caller(req).await?;
        if let Some(k) = kind.0.as_deref() {
            if !activity::KINDS.contains(&k) {
                return Err(ApiError::validation("活动类型无效").into());
            }
        }
        let near = match (lng.0, lat.0) {
            (Some(x), Some(y)) => {
                crate::org::check_coordinate(x, y)?;
                Some((x, y))
            }
            (None, None) => None,
            _ => return Err(ApiError::validation("经度和纬度需要同时提供").into()),
        };
        let now = st.clock.now();
        // The anonymous page (live seat counts included) is served from memory until anything
        // it shows changes; the caller's own status is laid over it fresh. The key is built from
        // the request alone, so a hit touches no database at all.
        let online = online.0.unwrap_or(false);
        let key = format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}",
            unit_id.0,
            kind.0,
            date_from.0,
            date_to.0,
            q.0,
            near,
            page.0,
            page_size.0,
            online,
            &crate::time::fmt(now)[..16]
        );
        let cached = st.pages.get(&key);
        let page = match cached {
            Some(p) => p,
            None => {
                let version = st.pages.version();
                let query = browse_query(
                    &st,
                    unit_id.0,
                    kind.0,
                    date_from.0,
                    date_to.0,
                    q.0,
                    near,
                    page.0,
                    page_size.0,
                    online,
                )
                .await?;
                let page = browse_page(&st, &query, now).await?;
                let json = poem_openapi::types::ToJSON::to_json_string(&page).into_bytes();
                let p = std::sync::Arc::new(CachedPage { page, json });
                st.pages.put(key, version, p.clone());
                p
            }
        };
        let Some(c) = caller else {
            return Ok(super::CachedJson::new(page.json.clone()));
        };
        let ids: Vec<i64> = page.page.items.iter().map(|i| i.session_id).collect();
        let mine = booking::my_status(&st.db, c.user_id, &ids).await?;
        let mut page = page.page.clone();
        for item in page.items.iter_mut() {
            if let Some((id, status)) = mine.get(&item.session_id) {
                item.my_booking_id = Some(*id);
                item.my_status = Some(status.clone());
            }
        }
        Ok(super::CachedJson::new(
            poem_openapi::types::ToJSON::to_json_string(&page).into_bytes(),
        ))
    }
    /// One activity with all its sessions and the caller's bookings. Drafts only for staff.
    #[oai(
        path = "/activities/:id",
        method = "get",
        operation_id = "activity_get"
    )]
    async fn get(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<ActivityDetail>> {
        let caller = st.maybe_caller(req).await?;
        let head = activity::head(&st.db, id.0).await?;
        crate::training::gate(&st.db, caller.as_ref(), id.0).await?;
        if head.status == "draft" {
            let allowed = caller.as_ref().is_some_and(|c| {
                access::check(c, Action::ManageActivities, &head.organizer).is_ok()
            });
            if !allowed {
                return Err(ApiError::not_found("该活动").into());
            }
        }
        let activity = activity::view(&st.db, id.0, &st.now()).await?;
        let my_bookings = match &caller {
            Some(c) => booking::mine(&st.db, &st.settings.booking, c.user_id, &st.now())
                .await?
                .into_iter()
                .filter(|b| b.activity_id == id.0)
                .collect(),
            None => Vec::new(),
        };
        Ok(Json(ActivityDetail {
            activity,
            my_bookings,
        }))
    }

    /// Share poster (分享海报) of a published activity: PNG, 750×1334, a blank panel for the
    /// mini-program to write title, time and place on, and a QR code that opens the activity.
    /// Drafts, cancelled and finished activities have none (404).
    #[oai(
        path = "/activities/:id/poster.png",
        method = "get",
        operation_id = "activity_poster"
    )]
    async fn poster(&self, st: Data<&AppState>, id: Path<i64>) -> Result<PosterPng> {
        let head = activity::head(&st.db, id.0).await?;
        if head.status != "published" {
            return Err(ApiError::not_found("该活动的海报").into());
        }
        let link = crate::poster::link(
            &st.settings.wechat.share_link_prefix,
            &crate::poster::Target::Activity(head.id),
        );
        Ok(PosterPng::Png(Binary(crate::poster::render(&link))))
    }

    /// The lottery's public record: seed commitment, the seed after the draw, entries in order.
    #[oai(
        path = "/activities/:id/lottery",
        method = "get",
        operation_id = "activity_lottery"
    )]
    async fn lottery(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<LotteryRecord>> {
        let head = activity::head(&st.db, id.0).await?;
        let caller = st.maybe_caller(req).await?;
        crate::training::gate(&st.db, caller.as_ref(), id.0).await?;
        if head.status == "draft" {
            return Err(ApiError::not_found("该活动").into());
        }
        Ok(Json(booking::lottery_record(&st.db, id.0).await?))
    }

    /// Create a draft activity with its sessions (staff, within their scope).
    #[oai(
        path = "/activities",
        method = "post",
        operation_id = "activity_create"
    )]
    async fn create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewActivity>,
    ) -> Result<Json<ActivityView>> {
        let caller = st.caller(req).await?;
        let root = crate::org::root(&st.db)
            .await?
            .ok_or_else(ApiError::internal)?;
        let organizer = crate::org::unit_ref(&st.db, body.organizer_unit_id).await?;
        st.authorize(req, &caller, Action::ManageActivities, &organizer)
            .await?;
        let c = ctx(req);
        let entry = st.audit(
            &c,
            &caller,
            "activity_created",
            Some(organizer.id),
            String::new(),
            body.title.clone(),
        );
        let id =
            match activity::create(&st.db, &caller, &body.0, &root, st.clock.now(), entry).await {
                Err(e) if e.code == "forbidden" => {
                    st.authorize(req, &caller, Action::ManageActivities, &root)
                        .await?;
                    return Err(e.into());
                }
                r => r?,
            };
        // Its sessions are on their rooms' calendars (drafts too).
        st.calendars_changed();
        Ok(Json(activity::view(&st.db, id, &st.now()).await?))
    }

    /// Edit title, description or poster.
    #[oai(
        path = "/activities/:id",
        method = "patch",
        operation_id = "activity_update"
    )]
    async fn update(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<ActivityPatch>,
    ) -> Result<Json<ActivityView>> {
        let caller = st.caller(req).await?;
        let head = activity::head(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::ManageActivities, &head.organizer)
            .await?;
        activity::check_patch(&body.0)?;
        let poster = match body.0.poster_file_id {
            Some(f) => Some(
                crate::files::for_attachment(&st.db, &caller, f, crate::files::Visibility::Public)
                    .await?,
            ),
            None => None,
        };
        let now = st.now();
        let c = ctx(req);
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        activity::update(&mut tx, id.0, &body.0, poster.as_ref(), &now).await?;
        let detail = serde_json::to_string(&body.0).unwrap_or_default();
        let entry = st.audit(
            &c,
            &caller,
            "activity_updated",
            Some(head.organizer.id),
            format!("activity {}", id.0),
            detail,
        );
        crate::audit::record(&mut tx, &now, entry)
            .await
            .map_err(ApiError::from)?;
        tx.commit().await.map_err(ApiError::from)?;
        st.browse_changed();
        st.calendars_changed();
        Ok(Json(activity::view(&st.db, id.0, &st.now()).await?))
    }

    /// Publish a draft; a lottery's seed is committed now.
    #[oai(
        path = "/activities/:id/publish",
        method = "post",
        operation_id = "activity_publish"
    )]
    async fn publish(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<ActivityView>> {
        let caller = st.caller(req).await?;
        let head = activity::head(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::ManageActivities, &head.organizer)
            .await?;
        let c = ctx(req);
        let entry = st.audit(
            &c,
            &caller,
            "activity_published",
            Some(head.organizer.id),
            format!("activity {}", id.0),
            head.title.clone(),
        );
        activity::publish(&st.db, id.0, st.clock.now(), entry).await?;
        st.browse_changed();
        Ok(Json(activity::view(&st.db, id.0, &st.now()).await?))
    }

    /// Cancel with a reason; everyone booked is told.
    #[oai(
        path = "/activities/:id/cancel",
        method = "post",
        operation_id = "activity_cancel"
    )]
    async fn cancel(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<CancelActivity>,
    ) -> Result<Json<ActivityView>> {
        let caller = st.caller(req).await?;
        let head = activity::head(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::ManageActivities, &head.organizer)
            .await?;
        let reason = body.reason.trim();
        if crate::input::blank(reason) {
            return Err(ApiError::validation("请填写取消原因").into());
        }
        let c = ctx(req);
        let entry = st.audit(
            &c,
            &caller,
            "activity_cancelled",
            Some(head.organizer.id),
            format!("activity {}", id.0),
            reason.to_string(),
        );
        booking::cancel_activity(&st.db, id.0, reason, st.clock.now(), entry).await?;
        st.browse_changed();
        st.calendars_changed();
        Ok(Json(activity::view(&st.db, id.0, &st.now()).await?))
    }

    /// Change a session's time, room or capacity.
    #[oai(
        path = "/sessions/:id",
        method = "patch",
        operation_id = "session_update"
    )]
    async fn update_session(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<SessionPatch>,
    ) -> Result<Json<ActivityView>> {
        let caller = st.caller(req).await?;
        let (activity_id, place) = session_place(&st, id.0).await?;
        st.authorize(req, &caller, Action::ManageActivities, &place)
            .await?;
        let c = ctx(req);
        let detail = serde_json::to_string(&body.0).unwrap_or_default();
        let entry = st.audit(
            &c,
            &caller,
            "session_updated",
            Some(place.id),
            format!("session {}", id.0),
            detail,
        );
        booking::update_session(&st.db, id.0, &body.0, st.clock.now(), entry).await?;
        st.browse_changed();
        st.calendars_changed();
        Ok(Json(activity::view(&st.db, activity_id, &st.now()).await?))
    }

    /// Activities of a unit and the units below it, drafts included (staff).
    #[oai(
        path = "/manage/activities",
        method = "get",
        operation_id = "manage_activities"
    )]
    async fn manage(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<i64>,
        status: Query<Option<String>>,
    ) -> Result<Json<StaffActivityList>> {
        crate::input::one_of(
            "status",
            status.0.as_deref(),
            &["draft", "published", "cancelled", "finished"],
        )?;
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ReadActivityData, unit_id.0)
            .await?;
        let rows = sqlx::query(
            "SELECT a.id, a.title, a.kind, a.status, a.organizer_unit_id, u.short_name, \
             (SELECT MIN(s.starts_at) FROM sessions s WHERE s.activity_id = a.id) AS first_start, \
             (SELECT CAST(COALESCE(SUM(s.booked), 0) AS BIGINT) FROM sessions s WHERE s.activity_id = a.id) AS booked, \
             (SELECT s.capacity FROM sessions s WHERE s.activity_id = a.id AND s.lesson_no = 1) AS capacity \
             FROM activities a JOIN org_units u ON u.id = a.organizer_unit_id \
             WHERE u.path LIKE $1 AND ($2 IS NULL OR a.status = $2) ORDER BY a.id DESC LIMIT 200",
        )
        .bind(format!("{}%", unit.path))
        .bind(status.0)
        .fetch_all(st.db.pool())
        .await
        .map_err(ApiError::from)?;
        Ok(Json(StaffActivityList {
            items: rows
                .iter()
                .map(|r| StaffActivity {
                    id: r.get("id"),
                    title: r.get("title"),
                    kind: r.get("kind"),
                    status: r.get("status"),
                    organizer_unit_id: r.get("organizer_unit_id"),
                    organizer_name: r.get("short_name"),
                    first_start: r.get("first_start"),
                    booked: r.get("booked"),
                    capacity: r.get("capacity"),
                })
                .collect(),
        }))
    }

    /// Every scheduled session of a published activity held at a unit or below it on one China
    /// date (default today), courses' lessons included, in time order (staff: 今日场次).
    #[oai(
        path = "/manage/sessions",
        method = "get",
        operation_id = "manage_sessions"
    )]
    async fn day_sessions(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<i64>,
        date: Query<Option<String>>,
    ) -> Result<Json<DaySessions>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ReadActivityData, unit_id.0)
            .await?;
        let date = match date.0 {
            Some(d) => d,
            None => crate::family::china_date(st.clock.now())
                .format("%Y-%m-%d")
                .to_string(),
        };
        let from = china_day_start(&date)?;
        let to = crate::time::fmt(
            crate::time::parse(&from).ok_or_else(ApiError::internal)? + chrono::Duration::days(1),
        );
        let rows = sqlx::query(&format!(
            "SELECT s.id, s.activity_id, a.title, a.kind, a.booking_mode, a.is_course, s.lesson_no, s.unit_id, \
             u.short_name, s.room, s.starts_at, s.ends_at, s.capacity, s.booked \
             FROM sessions s JOIN activities a ON a.id = s.activity_id JOIN org_units u ON u.id = s.unit_id \
             WHERE a.status = 'published' AND s.status = 'scheduled' AND {} \
             AND s.starts_at >= $1 AND s.starts_at < $2 ORDER BY s.starts_at, s.id LIMIT {}",
            access::subtree_sql("s.unit_path", &unit.path),
            DAY_SESSIONS_MAX + 1
        ))
        .bind(&from)
        .bind(&to)
        .fetch_all(st.db.pool())
        .await
        .map_err(ApiError::from)?;
        let truncated = rows.len() > DAY_SESSIONS_MAX;
        Ok(Json(DaySessions {
            date,
            truncated,
            items: rows
                .iter()
                .take(DAY_SESSIONS_MAX)
                .map(|r| DaySession {
                    session_id: r.get("id"),
                    activity_id: r.get("activity_id"),
                    title: r.get("title"),
                    kind: r.get("kind"),
                    booking_mode: r.get("booking_mode"),
                    is_course: r.get::<i64, _>("is_course") != 0,
                    lesson_no: r.get("lesson_no"),
                    unit_id: r.get("unit_id"),
                    unit_name: r.get("short_name"),
                    room: r.get("room"),
                    starts_at: r.get("starts_at"),
                    ends_at: r.get("ends_at"),
                    capacity: r.get("capacity"),
                    booked: r.get("booked"),
                })
                .collect(),
        }))
    }

    /// Send a notice to the session's attendees (changed room, bring materials): in their
    /// 我的消息 and as a subscribe message. At most 3 per session per hour; audited.
    #[oai(
        path = "/sessions/:id/notices",
        method = "post",
        operation_id = "session_notice_send"
    )]
    async fn notice_send(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<NewNotice>,
    ) -> Result<Json<crate::notice::NoticeView>> {
        let caller = st.caller(req).await?;
        let (_, place) = session_place(&st, id.0).await?;
        st.authorize(req, &caller, Action::ManageActivities, &place)
            .await?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let v =
            crate::notice::send(&mut tx, id.0, caller.user_id, &body.body, st.clock.now()).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "session_notice_sent",
            Some(place.id),
            format!("session {} → {} people", id.0, v.recipients),
            v.body.clone(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(v))
    }

    /// The notices sent for a session, newest first (staff).
    #[oai(
        path = "/sessions/:id/notices",
        method = "get",
        operation_id = "session_notices"
    )]
    async fn notices(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<NoticeList>> {
        let caller = st.caller(req).await?;
        let (_, place) = session_place(&st, id.0).await?;
        st.authorize(req, &caller, Action::ReadActivityData, &place)
            .await?;
        Ok(Json(NoticeList {
            items: crate::notice::for_session(&st.db, id.0).await?,
        }))
    }

    /// Who is booked for a session (names masked), with live counts (staff).
    #[oai(
        path = "/sessions/:id/bookings",
        method = "get",
        operation_id = "session_roster"
    )]
    async fn roster(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Roster>> {
        let caller = st.caller(req).await?;
        let (_, place) = session_place(&st, id.0).await?;
        st.authorize(req, &caller, Action::ReadActivityData, &place)
            .await?;
        let s = sqlx::query("SELECT capacity, booked, waitlisted FROM sessions WHERE id = $1")
            .bind(id.0)
            .fetch_one(st.db.pool())
            .await
            .map_err(ApiError::from)?;
        let rows = sqlx::query(
            "SELECT b.id, b.status, b.waitlist_pos, b.checked_in_at, b.family_member_id, f.name AS member_name, p.display_name \
             FROM bookings b JOIN users p ON p.id = b.user_id LEFT JOIN family_members f ON f.id = b.family_member_id \
             JOIN activities a ON a.id = b.activity_id JOIN sessions x ON x.id = $1 \
             WHERE b.status <> 'cancelled' AND (b.session_id = $1 OR (a.is_course = 1 AND b.activity_id = x.activity_id)) \
             ORDER BY b.status, b.waitlist_pos, b.id",
        )
        .bind(id.0)
        .fetch_all(st.db.pool())
        .await
        .map_err(ApiError::from)?;
        let (activity_id, _) = session_place(&st, id.0).await?;
        let questions: Vec<String> = crate::questions::of_activity(&st.db, activity_id)
            .await?
            .into_iter()
            .map(|q| q.text)
            .collect();
        let ids: Vec<i64> = rows.iter().map(|r| r.get::<i64, _>("id")).collect();
        let mut answers = crate::questions::answers_of(&st.db, &ids, questions.len()).await?;
        let items: Vec<RosterEntry> = rows
            .iter()
            .map(|r| {
                let member: Option<String> = r.get("member_name");
                let name = member
                    .clone()
                    .unwrap_or_else(|| r.get::<String, _>("display_name"));
                RosterEntry {
                    booking_id: r.get("id"),
                    name: if name.is_empty() {
                        "居民".into()
                    } else {
                        mask_name(&name)
                    },
                    is_family_member: member.is_some(),
                    status: r.get("status"),
                    waitlist_position: r.get("waitlist_pos"),
                    checked_in_at: r.get("checked_in_at"),
                    answers: answers
                        .remove(&r.get::<i64, _>("id"))
                        .unwrap_or_else(|| vec![Vec::new(); questions.len()])
                        .iter()
                        .map(|a| crate::questions::display(a))
                        .collect(),
                }
            })
            .collect();
        Ok(Json(Roster {
            session_id: id.0,
            questions,
            capacity: s.get("capacity"),
            booked: s.get("booked"),
            waitlisted: s.get("waitlisted"),
            checked_in: items.iter().filter(|i| i.checked_in_at.is_some()).count() as i64,
            items,
        }))
    }

    /// The session's roster as an xlsx workbook (staff): places held, waiting list, check-ins,
    /// no-shows and waivers; names and phones masked.
    #[oai(
        path = "/sessions/:id/roster.xlsx",
        method = "get",
        operation_id = "session_roster_xlsx"
    )]
    async fn roster_xlsx(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Download> {
        let caller = st.caller(req).await?;
        let (_, place) = session_place(&st, id.0).await?;
        st.authorize(req, &caller, Action::ReadActivityData, &place)
            .await?;
        let (head, lines) = roster::load(&st.db, id.0, st.clock.now()).await?;
        let bytes = export::xlsx(&[roster::table(&head, &lines)])?;
        Ok(Download::xlsx(bytes, &format!("roster-{}", id.0)))
    }

    /// The printable sign-in sheet (签到表) of a session as xlsx (staff): everyone holding a
    /// seat, masked name and phone, an empty signature column; A4, ready to print.
    #[oai(
        path = "/sessions/:id/sign-in-sheet.xlsx",
        method = "get",
        operation_id = "session_sign_in_sheet"
    )]
    async fn sign_in_sheet(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Download> {
        let caller = st.caller(req).await?;
        let (_, place) = session_place(&st, id.0).await?;
        st.authorize(req, &caller, Action::ReadActivityData, &place)
            .await?;
        let (head, lines) = roster::load(&st.db, id.0, st.clock.now()).await?;
        let bytes = roster::sign_in_sheet(&head, &lines)?;
        Ok(Download::xlsx(bytes, &format!("sign-in-sheet-{}", id.0)))
    }
}

async fn session_place(st: &AppState, session_id: i64) -> Result<(i64, access::UnitRef), ApiError> {
    let r = sqlx::query("SELECT activity_id, unit_id, unit_path FROM sessions WHERE id = $1")
        .bind(session_id)
        .fetch_optional(st.db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该场次"))?;
    Ok((
        r.get("activity_id"),
        access::UnitRef {
            id: r.get("unit_id"),
            path: r.get("unit_path"),
        },
    ))
}

/// A browse page kept in memory, with its JSON ready to send.
pub struct CachedPage {
    pub page: BrowsePage,
    pub json: Vec<u8>,
}

/// The anonymous browse page: matching sessions with live seat counts.
async fn browse_page(
    st: &AppState,
    query: &BrowseQuery,
    now: crate::time::Ts,
) -> Result<BrowsePage, ApiError> {
    let (rows, more) = activity::browse_rows(&st.db, query, &crate::time::fmt(now)).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.session_id).collect();
    let counts = activity::live_counts(&st.db, &ids).await?;
    let items = rows
        .into_iter()
        .map(|r: BrowseRow| {
            let (booked, waiting) = counts.get(&r.session_id).copied().unwrap_or((0, 0));
            BrowseItem {
                kind_label: activity::kind_label(&r.kind).into(),
                seats_left: r.capacity.map(|c| (c - booked).max(0)),
                waitlist_length: waiting,
                my_booking_id: None,
                my_status: None,
                activity_id: r.activity_id,
                session_id: r.session_id,
                title: r.title,
                kind: r.kind,
                poster_url: r.poster_url,
                booking_mode: r.booking_mode,
                is_course: r.is_course,
                organizer_name: r.organizer_name,
                unit_id: r.unit_id,
                unit_name: r.unit_name,
                address: r.address,
                lng: r.lng,
                lat: r.lat,
                starts_at: r.starts_at,
                ends_at: r.ends_at,
                capacity: r.capacity,
                distance_m: r.distance_m,
            }
        })
        .collect();
    Ok(BrowsePage {
        items,
        page: query.page,
        page_size: query.page_size.clamp(1, 50),
        has_more: more,
    })
}

/// Turns browse parameters into a query (resolving the unit's place in the network).
#[allow(clippy::too_many_arguments)]
async fn browse_query(
    st: &AppState,
    unit_id: Option<i64>,
    kind: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
    q: Option<String>,
    near: Option<(f64, f64)>,
    page: Option<i64>,
    page_size: Option<i64>,
    online: bool,
) -> Result<BrowseQuery, ApiError> {
    let unit_path = match unit_id {
        Some(id) => Some(crate::org::unit_ref(&st.db, id).await?.path),
        None => None,
    };
    let to = match date_to.as_deref() {
        Some(d) => Some(crate::time::fmt(
            crate::time::parse(&china_day_start(d)?).ok_or_else(ApiError::internal)?
                + chrono::Duration::days(1),
        )),
        None => None,
    };
    let query = BrowseQuery {
        unit_path,
        kind,
        from: date_from.as_deref().map(china_day_start).transpose()?,
        to,
        q: q.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        near,
        online,
        page: page.unwrap_or(1),
        page_size: page_size.unwrap_or(20),
    };
    Ok(query)
}
