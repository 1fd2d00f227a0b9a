//! Rooms (场地) of a unit: the public list and free/busy, staff management and the calendar.

use super::{ApiTags, Done};
use crate::access::Action;
use crate::error::ApiError;
use crate::room_calendar_cache::Key as CalendarKey;
use crate::rooms::{self, BusySpan, CalendarEntry, RoomInput, RoomUse, RoomView};
use crate::state::AppState;
use crate::time;
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::types::ToJSON;
use poem_openapi::{ApiResponse, Object, OpenApi};

#[derive(ApiResponse)]
enum DoorCode {
    /// The mini-program code image (JPEG) posted at the room's door.
    #[oai(status = 200, content_type = "image/jpeg")]
    Image(Binary<Vec<u8>>),
}

pub struct RoomsApi;

#[derive(Object)]
struct RoomList {
    items: Vec<RoomView>,
}

#[derive(Object)]
struct NewRoom {
    /// The unit the room belongs to.
    unit_id: i64,
    #[oai(flatten)]
    room: RoomInput,
}

#[derive(Object)]
struct FreeBusy {
    /// The span shown: from now (rounded down to the hour) for `weeks` weeks.
    from: String,
    to: String,
    rooms: Vec<RoomView>,
    /// Busy and closed spans, without who or why.
    busy: Vec<BusySpan>,
}

#[derive(Object)]
struct Calendar {
    from: String,
    to: String,
    rooms: Vec<RoomView>,
    entries: Vec<CalendarEntry>,
}

#[derive(Object)]
struct NewClosure {
    /// RFC 3339.
    starts_at: String,
    ends_at: String,
    /// 国庆假期, 设备检修…
    #[oai(validator(max_length = 100))]
    reason: String,
}

#[derive(Object)]
struct ClosureCreated {
    id: i64,
}

#[derive(Object)]
struct RoomUseReport {
    unit_id: i64,
    /// `YYYY-MM`, China Standard Time.
    month: String,
    items: Vec<RoomUse>,
}

async fn open_unit(st: &AppState, unit_id: i64) -> Result<crate::org::Unit, ApiError> {
    let u = crate::org::get_unit(&st.db, unit_id).await?;
    if u.closed_at.is_some() {
        return Err(ApiError::not_found("该单位"));
    }
    Ok(u)
}

/// Checks the photos a room names: public images of a unit the caller may upload for.
async fn check_photos(
    st: &AppState,
    caller: &crate::access::Caller,
    p: &RoomInput,
) -> Result<(), ApiError> {
    for f in p.photo_file_ids.iter().flatten() {
        crate::files::for_attachment(&st.db, caller, *f, crate::files::Visibility::Public).await?;
    }
    Ok(())
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Org")]
impl RoomsApi {
    /// A unit's rooms with facilities, opening hours and photos (public; open rooms only).
    #[oai(
        path = "/org/units/:id/rooms",
        method = "get",
        operation_id = "unit_rooms"
    )]
    async fn unit_rooms(&self, st: Data<&AppState>, id: Path<i64>) -> Result<Json<RoomList>> {
        open_unit(&st, id.0).await?;
        Ok(Json(RoomList {
            items: rooms::list(&st.db, id.0, false).await?,
        }))
    }

    /// Free/busy of a unit's rooms for the coming weeks (public): when each room is taken or
    /// closed, never by whom or for what.
    #[oai(
        path = "/org/units/:id/rooms/busy",
        method = "get",
        operation_id = "unit_rooms_busy"
    )]
    async fn busy(
        &self,
        st: Data<&AppState>,
        id: Path<i64>,
        /// 1 to 8; default 2.
        #[oai(validator(minimum(value = "1"), maximum(value = "8")))]
        weeks: Query<Option<i64>>,
    ) -> Result<Json<FreeBusy>> {
        open_unit(&st, id.0).await?;
        let now = st.clock.now();
        let from = now - chrono::Duration::seconds(now.timestamp() % 3600);
        let to = from + chrono::Duration::weeks(weeks.0.unwrap_or(2));
        let list = rooms::list(&st.db, id.0, false).await?;
        let ids: Vec<i64> = list.iter().map(|r| r.id).collect();
        let entries = rooms::entries(&st.db, &ids, from, to).await?;
        Ok(Json(FreeBusy {
            from: time::fmt(from),
            to: time::fmt(to),
            rooms: list,
            busy: rooms::busy(&entries),
        }))
    }

    /// A unit's rooms for staff, closed ones included (`ManageRooms` at the unit).
    #[oai(path = "/rooms", method = "get", operation_id = "rooms_list")]
    async fn list(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<i64>,
    ) -> Result<Json<RoomList>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ManageRooms, unit_id.0)
            .await?;
        Ok(Json(RoomList {
            items: rooms::list(&st.db, unit.id, true).await?,
        }))
    }

    /// Adds a room to a unit (`ManageRooms` at the unit).
    #[oai(path = "/rooms", method = "post", operation_id = "room_create")]
    async fn create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewRoom>,
    ) -> Result<Json<RoomView>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ManageRooms, body.unit_id)
            .await?;
        rooms::validate(&body.room, &st.settings.policy.room_kinds, true)?;
        crate::org::ensure_open(&st.db, unit.id).await?;
        check_photos(&st, &caller, &body.room).await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let id = rooms::insert(&mut tx, unit.id, &body.room, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "room_created",
            Some(unit.id),
            format!("room {id}"),
            body.room.name.clone().unwrap_or_default(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.calendar_changed(unit.id);
        Ok(Json(rooms::get(&st.db, id).await?))
    }

    /// Changes a room: any field; `hours` and `photo_file_ids` replace the lists.
    #[oai(path = "/rooms/:id", method = "patch", operation_id = "room_update")]
    async fn update(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<RoomInput>,
    ) -> Result<Json<RoomView>> {
        let caller = st.caller(req).await?;
        let room = rooms::get(&st.db, id.0).await?;
        st.authorize_unit(req, &caller, Action::ManageRooms, room.unit_id)
            .await?;
        rooms::validate(&body, &st.settings.policy.room_kinds, false)?;
        check_photos(&st, &caller, &body).await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        rooms::update(&mut tx, &room, &body, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "room_updated",
            Some(room.unit_id),
            format!("room {}", room.id),
            serde_json::to_string(&*body).unwrap_or_default(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.calendar_changed(room.unit_id);
        Ok(Json(rooms::get(&st.db, room.id).await?))
    }

    /// The room's door code (场地门口码): a mini-program code that opens 我的场地预约 with the
    /// room in its scene (`r=<room id>`), so a team leader or resident who booked the room checks
    /// in by scanning it at the door. Staff print it; it never changes for the room.
    #[oai(
        path = "/rooms/:id/door-code",
        method = "get",
        operation_id = "room_door_code"
    )]
    async fn door_code(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<DoorCode> {
        let caller = st.caller(req).await?;
        let room = rooms::get(&st.db, id.0).await?;
        st.authorize_unit(req, &caller, Action::ManageRooms, room.unit_id)
            .await?;
        let bytes = st
            .wechat
            .wxacode_unlimit(&format!("r={}", room.id), "pages/roombookings/index")
            .await
            .map_err(|e| {
                tracing::warn!(errcode = ?e.errcode(), "getwxacodeunlimit failed");
                ApiError::upstream("wechat_unavailable", "暂时无法生成签到码，请稍后再试")
            })?;
        Ok(DoorCode::Image(Binary(bytes)))
    }

    /// Closes a room for good (refused while coming sessions are in it).
    #[oai(
        path = "/rooms/:id/close",
        method = "post",
        operation_id = "room_close"
    )]
    async fn close(&self, st: Data<&AppState>, req: &Request, id: Path<i64>) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let room = rooms::get(&st.db, id.0).await?;
        st.authorize_unit(req, &caller, Action::ManageRooms, room.unit_id)
            .await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        rooms::close(&mut tx, &room, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "room_closed",
            Some(room.unit_id),
            format!("room {}", room.id),
            room.name.clone(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.calendar_changed(room.unit_id);
        Ok(Json(Done { ok: true }))
    }

    /// Closes a room for a while (holiday, maintenance): an entry on its calendar. Refused
    /// with `409 room_clash` where something is already planned.
    #[oai(
        path = "/rooms/:id/closures",
        method = "post",
        operation_id = "room_closure_create"
    )]
    async fn closure_create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<NewClosure>,
    ) -> Result<Json<ClosureCreated>> {
        let caller = st.caller(req).await?;
        let room = rooms::get(&st.db, id.0).await?;
        st.authorize_unit(req, &caller, Action::ManageRooms, room.unit_id)
            .await?;
        let (start, end) = rooms::check_closure(&body.starts_at, &body.ends_at, &body.reason)?;
        if room.closed_at.is_some() {
            return Err(ApiError::conflict("room_closed", "该场地已停用").into());
        }
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let entry = rooms::insert_entry(
            &mut tx,
            room.id,
            "closure",
            None,
            start,
            end,
            body.reason.trim(),
            Some(caller.user_id),
            &now,
        )
        .await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "room_closure_added",
            Some(room.unit_id),
            format!("room {}", room.id),
            format!(
                "{} {}–{}",
                body.reason.trim(),
                time::fmt(start),
                time::fmt(end)
            ),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.calendar_changed(room.unit_id);
        Ok(Json(ClosureCreated { id: entry }))
    }

    /// Removes a closure from a room's calendar.
    #[oai(
        path = "/rooms/closures/:id",
        method = "delete",
        operation_id = "room_closure_delete"
    )]
    async fn closure_delete(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let (room_id, _) = rooms::closure(&st.db, id.0).await?;
        let room = rooms::get(&st.db, room_id).await?;
        st.authorize_unit(req, &caller, Action::ManageRooms, room.unit_id)
            .await?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        sqlx::query("DELETE FROM room_calendar WHERE id = $1 AND kind = 'closure'")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "room_closure_removed",
            Some(room.unit_id),
            format!("room {}", room.id),
            format!("closure {}", id.0),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.calendar_changed(room.unit_id);
        Ok(Json(Done { ok: true }))
    }

    /// The week calendar of a unit's rooms, or of one room, for staff (`ReadActivityData` at
    /// the unit): sessions with their activity, closures with their reason. Answered from
    /// memory after the authorization (D274): a change made through any instance, or by SQL,
    /// shows at once on the instance that made it and within moments on the others.
    #[oai(
        path = "/rooms/calendar",
        method = "get",
        operation_id = "rooms_calendar"
    )]
    async fn calendar(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<i64>,
        /// Only this room (of the unit).
        room_id: Query<Option<i64>>,
        /// First day `YYYY-MM-DD` (CST); default today.
        #[oai(validator(max_length = 10))]
        from: Query<Option<String>>,
        /// 1 to 42; default 7.
        #[oai(validator(minimum(value = "1"), maximum(value = "42")))]
        days: Query<Option<i64>>,
    ) -> Result<super::CachedJson<Calendar>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ReadActivityData, unit_id.0)
            .await?;
        let day = match from.0.as_deref() {
            Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| ApiError::validation("日期应写作 2026-12-01"))?,
            None => st.clock.now().with_timezone(&time::cst()).date_naive(),
        };
        let start = day
            .and_hms_opt(0, 0, 0)
            .and_then(|d| d.and_local_timezone(time::cst()).single())
            .ok_or_else(|| ApiError::validation("日期无效"))?
            .with_timezone(&chrono::Utc);
        let days = days.0.unwrap_or(7);
        let end = start + chrono::Duration::days(days);
        // Everything the answer depends on once the caller may see the unit (no field depends
        // on who asks).
        let key = CalendarKey {
            unit_id: unit.id,
            room_id: room_id.0,
            from: start.timestamp(),
            days,
        };
        if let Some(json) = st.room_calendar.get(&key) {
            return Ok(super::CachedJson::shared(json));
        }
        let generation = st.room_calendar.generation();
        let mut list = rooms::list(&st.db, unit.id, false).await?;
        if let Some(r) = room_id.0 {
            list.retain(|x| x.id == r);
            if list.is_empty() {
                return Err(ApiError::not_found("该场地").into());
            }
        }
        let ids: Vec<i64> = list.iter().map(|r| r.id).collect();
        let json = bytes::Bytes::from(
            ToJSON::to_json_string(&Calendar {
                from: time::fmt(start),
                to: time::fmt(end),
                entries: rooms::entries(&st.db, &ids, start, end).await?,
                rooms: list,
            })
            .into_bytes(),
        );
        st.room_calendar.put(key, generation, json.clone());
        Ok(super::CachedJson::shared(json))
    }

    /// Room use of a unit in a month: hours booked against opening hours (`ReadStats`).
    #[oai(
        path = "/stats/room-use",
        method = "get",
        operation_id = "stats_room_use"
    )]
    async fn room_use(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<i64>,
        /// `YYYY-MM` (CST); default this month.
        #[oai(validator(max_length = 7))]
        month: Query<Option<String>>,
    ) -> Result<Json<RoomUseReport>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ReadStats, unit_id.0)
            .await?;
        let month = month.0.unwrap_or_else(|| time::cst_month(st.clock.now()));
        Ok(Json(RoomUseReport {
            unit_id: unit.id,
            items: rooms::usage(&st.db, unit.id, &month, st.clock.now()).await?,
            month,
        }))
    }
}
