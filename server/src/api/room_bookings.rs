//! Room bookings (场地预约): teams' leaders and residents book, staff approve or decline, the
//! leader checks in at the door, staff waive no-shows. Rules live in `room_bookings`.

use super::{ApiTags, Done};
use crate::access::Action;
use crate::error::ApiError;
use crate::room_bookings::{
    self as rb, Ask, Booker, RoomBookingView, RoomStanding, StaffRoomBooking,
};
use crate::rooms;
use crate::state::AppState;
use crate::time;
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct RoomBookingsApi;

#[derive(Object)]
struct NewRoomBooking {
    room_id: i64,
    /// Book for this team (the caller leads it); absent: a resident's own booking, where the
    /// room is open to residents.
    team_id: Option<i64>,
    /// RFC 3339; whole quarter hours.
    starts_at: String,
    ends_at: String,
    /// 合唱排练, 个人练琴…
    #[oai(validator(max_length = 100))]
    purpose: Option<String>,
}

#[derive(Object)]
struct RoomBookingList {
    items: Vec<RoomBookingView>,
    /// The caller's own standing (resident bookings) and that of each team they lead.
    standing: Vec<RoomStanding>,
}

#[derive(Object)]
struct StaffRoomBookingList {
    items: Vec<StaffRoomBooking>,
}

#[derive(Object)]
struct DeclineRoomBooking {
    #[oai(validator(min_length = 1, max_length = 200))]
    reason: String,
}

#[derive(Object)]
struct WaiveRoomNoShow {
    #[oai(validator(min_length = 1, max_length = 200))]
    reason: String,
}

#[derive(Object)]
struct RoomCheckin {
    /// The room named by the code at the door (`r=<room id>`).
    room_id: i64,
}

#[derive(Object)]
struct RoomCheckinAnswer {
    /// `admitted` or `already_admitted`.
    result: String,
    message: String,
    booking: RoomBookingView,
}

fn parse_time(s: &str) -> Result<time::Ts, ApiError> {
    time::parse(s).ok_or_else(|| ApiError::validation("时间格式不正确"))
}

async fn staff_on(
    st: &AppState,
    req: &Request,
    caller: &crate::access::Caller,
    action: Action,
    id: i64,
) -> Result<rb::Loaded, ApiError> {
    let b = rb::load(&st.db, id, st.clock.now()).await?;
    st.authorize_unit(req, caller, action, b.view.unit_id)
        .await?;
    Ok(b)
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Org")]
impl RoomBookingsApi {
    /// Book a slot in a room: for a verified team the caller leads, or for oneself where the
    /// room is open to residents. Within the room's rules; the slot is held at once, pending
    /// staff approval unless the room confirms on its own. `409 room_clash` when taken.
    #[oai(
        path = "/room-bookings",
        method = "post",
        operation_id = "room_booking_create"
    )]
    async fn create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewRoomBooking>,
    ) -> Result<Json<RoomBookingView>> {
        let caller = st.caller(req).await?;
        let room = rooms::get(&st.db, body.room_id).await?;
        let (who, team_name) = match body.team_id {
            Some(t) => (
                Booker::Team(t),
                Some(rb::led_team(&st.db, t, caller.user_id).await?),
            ),
            None => (Booker::Resident(caller.user_id), None),
        };
        let ask = Ask {
            room: &room,
            who,
            user_id: caller.user_id,
            team_name: team_name.as_deref(),
            start: parse_time(&body.starts_at)?,
            end: parse_time(&body.ends_at)?,
            purpose: body.purpose.as_deref().unwrap_or_default(),
        };
        let now = st.clock.now();
        rb::precheck(&st.db, &st.settings.booking, &ask, now).await?;
        let now_s = time::fmt(now);
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let (id, _) = rb::insert(&mut tx, &ask, &now_s).await?;
        tx.commit().await.map_err(rooms::clash_or)?;
        st.calendar_changed(room.unit_id);
        Ok(Json(rb::load(&st.db, id, now).await?.view))
    }

    /// My room bookings and those of the teams I lead, with standing under the no-show rule.
    #[oai(
        path = "/me/room-bookings",
        method = "get",
        operation_id = "my_room_bookings"
    )]
    async fn mine(&self, st: Data<&AppState>, req: &Request) -> Result<Json<RoomBookingList>> {
        let caller = st.caller(req).await?;
        let now = st.clock.now();
        let mut standing = vec![
            rb::standing(
                &st.db,
                &st.settings.booking,
                Booker::Resident(caller.user_id),
                now,
            )
            .await?,
        ];
        let teams: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM teams WHERE leader_id = $1 AND status = 'verified' ORDER BY id",
        )
        .bind(caller.user_id)
        .fetch_all(st.db.pool())
        .await
        .map_err(ApiError::from)?;
        for t in teams {
            standing.push(rb::standing(&st.db, &st.settings.booking, Booker::Team(t), now).await?);
        }
        Ok(Json(RoomBookingList {
            items: rb::mine(&st.db, caller.user_id, now).await?,
            standing,
        }))
    }

    /// Cancel a booking (the resident who booked, or the team's leader): a pending request
    /// until it starts, a confirmed one until the room's deadline. Frees the slot.
    #[oai(
        path = "/room-bookings/:id/cancel",
        method = "post",
        operation_id = "room_booking_cancel"
    )]
    async fn cancel(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<RoomBookingView>> {
        let caller = st.caller(req).await?;
        let now = st.clock.now();
        let b = rb::load(&st.db, id.0, now).await?;
        rb::may_act(&st.db, &b, caller.user_id).await?;
        rb::check_cancel(&b.view.status, b.start, now, b.cancel_hours_before)?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        rb::release(
            &mut tx,
            &b,
            "cancelled",
            caller.user_id,
            "",
            &time::fmt(now),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.calendar_changed(b.view.unit_id);
        Ok(Json(rb::load(&st.db, id.0, now).await?.view))
    }

    /// Check in at the door: the leader (or resident) scans the room's code, which names the
    /// room; open from the check-in window before the start until the end.
    #[oai(
        path = "/room-bookings/:id/checkin",
        method = "post",
        operation_id = "room_booking_checkin"
    )]
    async fn checkin(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<RoomCheckin>,
    ) -> Result<Json<RoomCheckinAnswer>> {
        let caller = st.caller(req).await?;
        let now = st.clock.now();
        let b = rb::load(&st.db, id.0, now).await?;
        rb::may_act(&st.db, &b, caller.user_id).await?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let fresh = rb::check_in(
            &mut tx,
            &b,
            body.room_id,
            caller.user_id,
            st.settings.booking.checkin_opens_minutes,
            now,
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        let (result, message) = if fresh {
            ("admitted", "签到成功，祝排练顺利")
        } else {
            ("already_admitted", "已经签到过了")
        };
        Ok(Json(RoomCheckinAnswer {
            result: result.into(),
            message: message.into(),
            booking: rb::load(&st.db, id.0, now).await?.view,
        }))
    }

    /// A unit's room bookings for staff (`ManageRooms` at the unit): `status` pending (the
    /// approvals queue), confirmed, declined, cancelled or `no_show`; absent: all coming.
    #[oai(
        path = "/room-bookings",
        method = "get",
        operation_id = "room_bookings_list"
    )]
    async fn list(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<i64>,
        #[oai(validator(max_length = 20))] status: Query<Option<String>>,
    ) -> Result<Json<StaffRoomBookingList>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ManageRooms, unit_id.0)
            .await?;
        if let Some(s) = status.0.as_deref() {
            if !["pending", "confirmed", "declined", "cancelled", "no_show"].contains(&s) {
                return Err(ApiError::validation(
                    "状态只能是 pending、confirmed、declined、cancelled 或 no_show",
                )
                .into());
            }
        }
        Ok(Json(StaffRoomBookingList {
            items: rb::for_unit(&st.db, unit.id, status.0.as_deref(), st.clock.now()).await?,
        }))
    }

    /// Approve a pending booking (`ManageRooms` at the room's unit).
    #[oai(
        path = "/room-bookings/:id/approve",
        method = "post",
        operation_id = "room_booking_approve"
    )]
    async fn approve(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<RoomBookingView>> {
        let caller = st.caller(req).await?;
        let b = staff_on(&st, req, &caller, Action::ManageRooms, id.0).await?;
        let now = st.clock.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        rb::approve(&mut tx, &b, caller.user_id, now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "room_booking_approved",
            Some(b.view.unit_id),
            format!("room_booking {}", b.view.id),
            format!("{} {}", b.view.room_name, b.view.starts_at),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(rb::load(&st.db, id.0, now).await?.view))
    }

    /// Decline a booking with a reason (pending, or confirmed and not yet started); frees the
    /// slot (`ManageRooms` at the room's unit).
    #[oai(
        path = "/room-bookings/:id/decline",
        method = "post",
        operation_id = "room_booking_decline"
    )]
    async fn decline(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<DeclineRoomBooking>,
    ) -> Result<Json<RoomBookingView>> {
        let caller = st.caller(req).await?;
        let b = staff_on(&st, req, &caller, Action::ManageRooms, id.0).await?;
        let now = st.clock.now();
        if b.start <= now {
            return Err(ApiError::conflict(
                "room_booking_started",
                "该时段已开始，不能再拒绝；爽约可在结束后免除",
            )
            .into());
        }
        let reason = body.reason.trim();
        if reason.is_empty() {
            return Err(ApiError::validation("请填写不通过的原因").into());
        }
        let now_s = time::fmt(now);
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        rb::release(&mut tx, &b, "declined", caller.user_id, reason, &now_s).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "room_booking_declined",
            Some(b.view.unit_id),
            format!("room_booking {}", b.view.id),
            reason.to_string(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.calendar_changed(b.view.unit_id);
        Ok(Json(rb::load(&st.db, id.0, now).await?.view))
    }

    /// Waive a room no-show with a reason (`WaiveNoShow` at the room's unit).
    #[oai(
        path = "/room-bookings/:id/waive-no-show",
        method = "post",
        operation_id = "room_booking_waive_no_show"
    )]
    async fn waive(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<WaiveRoomNoShow>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let b = staff_on(&st, req, &caller, Action::WaiveNoShow, id.0).await?;
        let reason = body.reason.trim();
        if reason.is_empty() {
            return Err(ApiError::validation("请填写免除原因").into());
        }
        let now = st.clock.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        rb::waive(&mut tx, &b, caller.user_id, reason, now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "room_no_show_waived",
            Some(b.view.unit_id),
            format!("room_booking {}", b.view.id),
            reason.to_string(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(Done { ok: true }))
    }
}
