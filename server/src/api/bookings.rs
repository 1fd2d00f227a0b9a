use super::{ApiTags, Done};
use crate::access::Action;
use crate::booking::{self, BookRequest, BookingView, NoShowStatus};
use crate::config::Templates;
use crate::error::ApiError;
use crate::family::{self, Member, NewMember};
use crate::state::AppState;
use crate::transfer::{self, AcceptRequest, TransferCreated, TransferPreview};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct BookingsApi;

/// The `Idempotency-Key` as sent. A header that is present but not readable text is refused
/// rather than silently ignored (the typed parameter would read it as absent).
fn idempotency_key(req: &Request) -> Result<Option<String>, ApiError> {
    match req.headers().get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let k = v.to_str().map_err(|_| {
                ApiError::bad_request(
                    "invalid_idempotency_key",
                    "Idempotency-Key 应为 1–100 个可见 ASCII 字符",
                )
            })?;
            booking::check_key(k)?;
            Ok(Some(k.to_string()))
        }
    }
}

#[derive(Object)]
struct BookingList {
    items: Vec<BookingView>,
}

#[derive(Object)]
struct MessageList {
    items: Vec<crate::notice::Message>,
    unread: i64,
}

#[derive(Object)]
struct FamilyList {
    items: Vec<Member>,
}

#[derive(Object)]
struct Waive {
    #[oai(validator(min_length = 1, max_length = 200))]
    reason: String,
}

#[derive(Object)]
struct Subscriptions {
    /// Message kinds the resident allowed in `wx.requestSubscribeMessage`.
    #[oai(validator(max_items = 6))]
    kinds: Vec<String>,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Bookings")]
impl BookingsApi {
    /// Book a seat (or join the waiting list, or enter the lottery). Send an `Idempotency-Key`
    /// so a retried request returns the first answer instead of booking twice.
    #[oai(path = "/bookings", method = "post", operation_id = "booking_create")]
    async fn book(
        &self,
        st: Data<&AppState>,
        req: &Request,
        // Declared for the OpenAPI document; read and checked raw by `idempotency_key`.
        #[oai(name = "Idempotency-Key")] _key: Header<Option<String>>,
        body: Json<BookRequest>,
    ) -> Result<Json<BookingView>> {
        let caller = st.caller(req).await?;
        let key = idempotency_key(req)?;
        // A pool known to be full answers from memory; only attempts that can win go on (D211).
        if let Some(answer) = booking::known_full(
            &st.db,
            &st.seats,
            &caller,
            &body.0,
            key.as_deref(),
            st.clock.now(),
        )
        .await?
        {
            return Ok(Json(answer?));
        }
        // A staff-only activity does not exist for a resident.
        crate::training::gate_booking(&st.db, &caller, body.0.session_id, body.0.activity_id)
            .await?;
        let v = booking::book(
            &st.db,
            &st.settings.booking,
            &st.seats,
            caller.user_id,
            &body.0,
            key.as_deref(),
            st.clock.now(),
        )
        .await;
        // Seats may have changed (a refusal can follow a concurrent change too): re-read them.
        st.browse_changed();
        Ok(Json(v?))
    }

    /// Cancel my booking. A freed seat goes to the next person on the waiting list at once.
    #[oai(
        path = "/bookings/:id/cancel",
        method = "post",
        operation_id = "booking_cancel"
    )]
    async fn cancel(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        // Declared for the OpenAPI document; read and checked raw by `idempotency_key`.
        #[oai(name = "Idempotency-Key")] _key: Header<Option<String>>,
    ) -> Result<Json<BookingView>> {
        let caller = st.caller(req).await?;
        let key = idempotency_key(req)?;
        let v = booking::cancel(
            &st.db,
            &st.settings.booking,
            caller.user_id,
            id.0,
            key.as_deref(),
            st.clock.now(),
        )
        .await;
        // A freed seat reopens the pool here at once; other instances hear it from the feed.
        if let Ok(b) = &v {
            st.seats.full.invalidate_session(b.session_id);
        }
        // Seats may have changed (a refusal can follow a concurrent change too): re-read them.
        st.browse_changed();
        Ok(Json(v?))
    }

    /// Pass my booking on (转让): a one-time code, valid 30 minutes and never past the
    /// cancellation deadline. A new code replaces an earlier one.
    #[oai(
        path = "/bookings/:id/transfer",
        method = "post",
        operation_id = "booking_transfer_create"
    )]
    async fn transfer_create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<TransferCreated>> {
        let caller = st.caller(req).await?;
        Ok(Json(
            transfer::create(
                &st.db,
                &st.settings.booking,
                caller.user_id,
                id.0,
                st.clock.now(),
            )
            .await?,
        ))
    }

    /// Take back an open transfer code.
    #[oai(
        path = "/bookings/:id/transfer",
        method = "delete",
        operation_id = "booking_transfer_revoke"
    )]
    async fn transfer_revoke(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        transfer::revoke(&st.db, caller.user_id, id.0).await?;
        Ok(Json(Done { ok: true }))
    }

    /// What a transfer code gives, before accepting it.
    #[oai(
        path = "/transfers/:code",
        method = "get",
        operation_id = "transfer_get"
    )]
    async fn transfer_get(
        &self,
        st: Data<&AppState>,
        req: &Request,
        code: Path<String>,
    ) -> Result<Json<TransferPreview>> {
        st.caller(req).await?;
        Ok(Json(
            transfer::preview(&st.db, &code.0, st.clock.now()).await?,
        ))
    }

    /// Accept a transfer: the seat moves to me (or my family member), the old ticket stops
    /// working and I get a new one.
    #[oai(
        path = "/transfers/:code/accept",
        method = "post",
        operation_id = "transfer_accept"
    )]
    async fn transfer_accept(
        &self,
        st: Data<&AppState>,
        req: &Request,
        code: Path<String>,
        body: Json<AcceptRequest>,
    ) -> Result<Json<BookingView>> {
        let caller = st.caller(req).await?;
        let v = transfer::accept(
            &st.db,
            &st.settings.booking,
            caller.user_id,
            &code.0,
            &body.0,
            &st.ticket_key,
            st.clock.now(),
        )
        .await;
        st.browse_changed();
        Ok(Json(v?))
    }

    /// One of my bookings.
    #[oai(path = "/bookings/:id", method = "get", operation_id = "booking_get")]
    async fn get(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<BookingView>> {
        let caller = st.caller(req).await?;
        Ok(Json(
            booking::view(&st.db, &st.settings.booking, id.0, caller.user_id).await?,
        ))
    }

    /// My bookings: upcoming first.
    #[oai(path = "/me/bookings", method = "get", operation_id = "my_bookings")]
    async fn mine(&self, st: Data<&AppState>, req: &Request) -> Result<Json<BookingList>> {
        let caller = st.caller(req).await?;
        Ok(Json(BookingList {
            items: booking::mine(&st.db, &st.settings.booking, caller.user_id, &st.now()).await?,
        }))
    }

    /// My messages (我的消息): notices from the staff of sessions I am booked for, newest first.
    #[oai(path = "/me/messages", method = "get", operation_id = "my_messages")]
    async fn messages(&self, st: Data<&AppState>, req: &Request) -> Result<Json<MessageList>> {
        let caller = st.caller(req).await?;
        let items = crate::notice::mine(&st.db, caller.user_id).await?;
        Ok(Json(MessageList {
            unread: items.iter().filter(|m| !m.read).count() as i64,
            items,
        }))
    }

    /// Mark all my messages read.
    #[oai(
        path = "/me/messages/read",
        method = "post",
        operation_id = "my_messages_read"
    )]
    async fn messages_read(&self, st: Data<&AppState>, req: &Request) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        crate::notice::read_all(&st.db, caller.user_id, &st.now()).await?;
        Ok(Json(Done { ok: true }))
    }

    /// My no-shows and any booking suspension, with the reason and when it ends.
    #[oai(path = "/me/no-shows", method = "get", operation_id = "my_no_shows")]
    async fn no_shows(&self, st: Data<&AppState>, req: &Request) -> Result<Json<NoShowStatus>> {
        let caller = st.caller(req).await?;
        Ok(Json(
            booking::no_show_status(&st.db, &st.settings.booking, caller.user_id, st.clock.now())
                .await?,
        ))
    }

    /// Waive a no-show, with a reason (branch staff and above, for their own units).
    #[oai(
        path = "/bookings/:id/waive-no-show",
        method = "post",
        operation_id = "booking_waive_no_show"
    )]
    async fn waive(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Waive>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let unit = booking::booking_unit(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::WaiveNoShow, &unit)
            .await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        booking::waive_no_show(&mut tx, id.0, caller.user_id, body.reason.trim(), &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "no_show_waived",
            Some(unit.id),
            format!("booking {}", id.0),
            body.reason.clone(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(Done { ok: true }))
    }

    /// My family members.
    #[oai(path = "/me/family", method = "get", operation_id = "family_list")]
    async fn family(&self, st: Data<&AppState>, req: &Request) -> Result<Json<FamilyList>> {
        let caller = st.caller(req).await?;
        Ok(Json(FamilyList {
            items: family::list(&st.db, caller.user_id, st.clock.now()).await?,
        }))
    }

    /// Add a family member; a child under 14 needs `guardian_consent: true`.
    #[oai(path = "/me/family", method = "post", operation_id = "family_add")]
    async fn add_family(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewMember>,
    ) -> Result<Json<Member>> {
        let caller = st.caller(req).await?;
        Ok(Json(
            family::add(&st.db, caller.user_id, &body.0, st.clock.now()).await?,
        ))
    }

    /// Remove a family member (their data is erased).
    #[oai(
        path = "/me/family/:id",
        method = "delete",
        operation_id = "family_remove"
    )]
    async fn remove_family(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        family::remove(&st.db, caller.user_id, id.0, &st.now()).await?;
        st.browse_changed();
        Ok(Json(Done { ok: true }))
    }

    /// Record the subscribe-message kinds I just allowed (one message each).
    #[oai(
        path = "/me/subscriptions",
        method = "post",
        operation_id = "subscriptions_record"
    )]
    async fn subscriptions(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<Subscriptions>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        if let Some(bad) = body
            .kinds
            .iter()
            .find(|k| !Templates::KINDS.contains(&k.as_str()))
        {
            return Err(ApiError::validation(format!("未知的消息类型 {bad}")).into());
        }
        crate::notify::record_grants(&st.db, caller.user_id, &body.kinds).await?;
        Ok(Json(Done { ok: true }))
    }
}
