//! The one error shape of the whole API:
//! `{"error": {"status": 409, "code": "session_full", "message": "名额已满", "request_id": "…"}}`.
//!
//! Handlers return `ApiError`; everything else poem produces (bad JSON, unknown route, wrong
//! method, oversized body, failed validation) is mapped in `render`, called by the request
//! middleware, so no failure leaves the service in another shape.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use serde::Serialize;
use std::borrow::Cow;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine-readable code (`session_full`, `forbidden`, …).
    pub code: Cow<'static, str>,
    pub message: Cow<'static, str>,
    /// Extra machine-readable facts (e.g. `retry_after`, a suspension end), shown as `details`.
    pub details: Option<serde_json::Value>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        ApiError {
            status,
            code: Cow::Borrowed(code),
            message: message.into(),
            details: None,
        }
    }
    pub fn with_details(mut self, d: serde_json::Value) -> Self {
        self.details = Some(d);
        self
    }
    pub fn bad_request(code: &'static str, msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, msg)
    }
    pub fn validation(msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", msg)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what}不存在"))
    }
    pub fn conflict(code: &'static str, msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, code, msg)
    }
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "请先登录")
    }
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "没有权限进行此操作")
    }
    pub fn rate_limited(retry_after: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "操作太频繁，请稍后再试",
        )
        .with_details(serde_json::json!({ "retry_after": retry_after }))
    }
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "服务繁忙，请稍后再试",
        )
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "服务出现问题，请稍后再试",
        )
    }
    pub fn upstream(code: &'static str, msg: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, code, msg)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}
impl std::error::Error for ApiError {}

impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }
    fn as_response(&self) -> Response {
        body(self, "").into_response()
    }
}

/// Database errors: the cause is logged here, the body stays generic.
impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            tracing::error!(error = %e, "database unavailable");
            if crate::db::is_lost(&e) {
                crate::db::note_lost();
            }
            ApiError::unavailable().with_details(serde_json::json!({ "retry_after": 1 }))
        } else {
            tracing::error!(error = %e, "database error");
            ApiError::internal()
        }
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    status: u16,
    code: &'a str,
    message: &'a str,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a serde_json::Value>,
}

fn body(e: &ApiError, request_id: &str) -> Response {
    let json = serde_json::to_vec(&Envelope {
        error: Body {
            status: e.status.as_u16(),
            code: &e.code,
            message: &e.message,
            request_id,
            details: e.details.as_ref(),
        },
    })
    .unwrap_or_default();
    let mut resp = Response::builder()
        .status(e.status)
        .content_type("application/json; charset=utf-8")
        .body(json);
    if let Some(secs) = e
        .details
        .as_ref()
        .and_then(|d| d.get("retry_after"))
        .and_then(|v| v.as_u64())
    {
        resp.headers_mut()
            .insert("retry-after", poem::http::HeaderValue::from(secs));
    }
    resp
}

/// Maps any error poem hands back into the one shape (Chinese message).
pub fn render(err: poem::Error, request_id: &str) -> Response {
    render_in(err, request_id, Lang::Zh)
}

/// Maps any error poem hands back into the one shape, the message in the client's language.
/// Only `message` changes with the language; `code`, status and `details` stay the same.
pub fn render_in(err: poem::Error, request_id: &str, lang: Lang) -> Response {
    let mut api = if let Some(api) = err.downcast_ref::<ApiError>() {
        api.clone()
    } else {
        classify(&err)
    };
    if lang == Lang::En {
        api.message = Cow::Owned(english_message(&api));
    }
    if api.status.is_server_error() && err.downcast_ref::<ApiError>().is_none() {
        tracing::error!(error = %err, request_id, "unhandled error");
    }
    body(&api, request_id)
}

fn classify(err: &poem::Error) -> ApiError {
    use poem_openapi::error as oe;
    let status = err.status();
    if err.is::<oe::ParseRequestPayloadError>() {
        return ApiError::bad_request("invalid_body", "请求内容格式不正确");
    }
    if err.is::<oe::ContentTypeError>() {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请求内容类型应为 application/json",
        );
    }
    if let Some(p) = err.downcast_ref::<oe::ParseParamError>() {
        return ApiError::validation(format!("参数 {} 格式不正确或超出范围", p.name))
            .with_details(serde_json::json!({ "param": p.name, "reason": short(&p.reason) }));
    }
    if err.is::<oe::ParsePathError>() {
        return ApiError::bad_request("invalid_path", "请求路径中的编号格式不正确");
    }
    if err.is::<oe::AuthorizationError>() {
        return ApiError::unauthenticated();
    }
    match status {
        StatusCode::NOT_FOUND => ApiError::new(status, "route_not_found", "请求的接口不存在"),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::new(status, "method_not_allowed", "请求方法不被允许")
        }
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(status, "body_too_large", "请求内容太大"),
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "处理超时，请稍后再试",
        ),
        StatusCode::UNAUTHORIZED => ApiError::unauthenticated(),
        s if s.is_client_error() => ApiError::new(
            s,
            "bad_request",
            format!("请求不正确：{}", short(&err.to_string())),
        ),
        _ => ApiError::internal(),
    }
}

/// Parser messages are English and may be long; keep the part a person can act on.
fn short(s: &str) -> String {
    s.chars().take(160).collect()
}

/// The language of error messages, chosen per request (D110).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

/// `X-Culturehub-Lang` (sent by the mini-program from its language setting) wins; otherwise the
/// `Accept-Language` tag with the highest weight among Chinese and English; otherwise Chinese.
pub fn lang_of(headers: &poem::http::HeaderMap) -> Lang {
    fn tag(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s == "en" || s.starts_with("en-") || s.starts_with("en_") {
            Some(Lang::En)
        } else if s == "zh" || s.starts_with("zh-") || s.starts_with("zh_") {
            Some(Lang::Zh)
        } else {
            None
        }
    }
    if let Some(l) = headers
        .get("x-culturehub-lang")
        .and_then(|v| v.to_str().ok())
        .and_then(tag)
    {
        return l;
    }
    let mut best: Option<(f32, Lang)> = None;
    for v in headers.get_all("accept-language").iter() {
        let Ok(v) = v.to_str() else { continue };
        for part in v.split(',') {
            let mut it = part.split(';');
            let Some(l) = it.next().and_then(tag) else {
                continue;
            };
            let q = it
                .filter_map(|p| p.trim().strip_prefix("q="))
                .filter_map(|q| q.trim().parse::<f32>().ok())
                .next()
                .unwrap_or(1.0);
            // The first of equal weights wins, as the client listed it first.
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, l));
            }
        }
    }
    best.map(|(_, l)| l).unwrap_or(Lang::Zh)
}

/// The English message of an error: the code's text, with the parameter named when known.
fn english_message(e: &ApiError) -> String {
    let text = english(&e.code).unwrap_or("The request could not be completed.");
    match e
        .details
        .as_ref()
        .and_then(|d| d.get("param").or_else(|| d.get("field")))
        .and_then(|v| v.as_str())
    {
        Some(name) if e.code == "validation_failed" || e.code == "invalid_body" => {
            format!("{text} ({name})")
        }
        _ => text.to_string(),
    }
}

/// The English text of every error code the service produces. A test scans the source for
/// codes, so a new code without its English text fails the build's tests.
pub fn english(code: &str) -> Option<&'static str> {
    ENGLISH
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, text)| *text)
}

pub const ENGLISH: &[(&str, &str)] = &[
    // Request and infrastructure
    (
        "invalid_body",
        "The request body is not in the expected format.",
    ),
    (
        "invalid_path",
        "A number in the request path is not in the expected format.",
    ),
    (
        "invalid_idempotency_key",
        "The Idempotency-Key header is not valid.",
    ),
    ("bad_request", "The request is not valid."),
    ("unauthenticated", "Please sign in first."),
    (
        "session_invalid",
        "Your sign-in has expired. Please sign in again.",
    ),
    ("forbidden", "You are not allowed to do this."),
    ("not_found", "It does not exist."),
    ("route_not_found", "This interface does not exist."),
    (
        "invalid_header",
        "A request header contains a character that is not allowed.",
    ),
    ("method_not_allowed", "This request method is not allowed."),
    ("body_timeout", "The request took too long to arrive."),
    ("body_too_large", "The request is too large."),
    (
        "unsupported_media_type",
        "The request content type should be application/json.",
    ),
    (
        "validation_failed",
        "Some input is not valid or out of range.",
    ),
    ("rate_limited", "Too many requests. Please try again later."),
    (
        "internal_error",
        "Something went wrong. Please try again later.",
    ),
    (
        "service_unavailable",
        "The service is busy. Please try again later.",
    ),
    ("timeout", "The request timed out. Please try again later."),
    (
        "csrf_failed",
        "The request did not come from the console page. Please reload and try again.",
    ),
    // Files
    (
        "unsupported_image_type",
        "Only JPEG, PNG and WebP images are accepted.",
    ),
    ("image_empty", "The upload is empty."),
    ("image_invalid", "The image is damaged and cannot be read."),
    ("image_too_many_pixels", "The image is too large."),
    ("file_unusable", "This file cannot be used here."),
    (
        "storage_failed",
        "The file could not be stored. Please contact the administrator.",
    ),
    (
        "storage_unavailable",
        "File storage is unavailable. Please try again later.",
    ),
    (
        "evidence_file_used",
        "This photo is already attached to another session.",
    ),
    (
        "session_not_held",
        "Photos can be added only after the session was held.",
    ),
    (
        "evidence_limit",
        "A session has at most 30 photos. Please delete some first.",
    ),
    // Sign-in, account and WeChat
    (
        "wechat_code_invalid",
        "The WeChat sign-in code is invalid or expired. Please try again.",
    ),
    (
        "phone_code_invalid",
        "The phone number authorisation is invalid or used. Please try again.",
    ),
    (
        "invitation_invalid",
        "The invitation code is unknown, expired or used up.",
    ),
    ("wechat_risky_user", "WeChat has restricted this account."),
    (
        "wechat_rate_limited",
        "Too many sign-in attempts. Please wait a minute.",
    ),
    (
        "wechat_unavailable",
        "WeChat is busy. Please try again later.",
    ),
    (
        "wechat_error",
        "WeChat sign-in failed. Please contact the administrator.",
    ),
    (
        "console_not_staff",
        "This WeChat account has no staff role.",
    ),
    (
        "login_code_expired",
        "The login code has expired. Please refresh it.",
    ),
    ("login_code_used", "The login code has already been used."),
    // Booking
    (
        "activity_not_published",
        "This activity is not open for booking.",
    ),
    ("activity_cancelled", "This activity has been cancelled."),
    ("no_booking_needed", "No booking needed: just come along."),
    ("booking_not_open", "Booking has not opened yet."),
    ("booking_closed", "Booking has closed."),
    (
        "booking_suspended",
        "Booking is suspended after missed sessions.",
    ),
    (
        "too_many_bookings",
        "You already hold the maximum number of bookings.",
    ),
    (
        "notice_session_over",
        "This session has ended or was cancelled.",
    ),
    ("transfer_not_found", "This transfer code does not exist."),
    (
        "invalid_answers",
        "An answer to the registration questions is missing or not valid.",
    ),
    (
        "questions_locked",
        "People have booked: existing registration questions can no longer be changed; optional questions may only be added at the end.",
    ),
    (
        "transfer_used",
        "This transfer code has already been used or taken back.",
    ),
    ("transfer_expired", "This transfer code has expired."),
    ("transfer_to_self", "You cannot accept your own booking."),
    (
        "transfer_too_late",
        "It is too close to the start to pass this booking on.",
    ),
    (
        "transfer_admitted",
        "This booking has already been used at the door.",
    ),
    (
        "transfer_not_confirmed",
        "Only a confirmed seat can be passed on.",
    ),
    (
        "already_booked",
        "This person already has a booking for this session.",
    ),
    ("session_full", "This session is full."),
    (
        "guardian_consent_required",
        "A guardian's consent is required for a child under 14.",
    ),
    (
        "age_not_allowed",
        "The attendee's age is outside this activity's range.",
    ),
    (
        "too_many_family_members",
        "You can add at most 10 family members.",
    ),
    ("already_cancelled", "This booking is already cancelled."),
    ("cancel_too_late", "It is too close to the start to cancel."),
    (
        "already_checked_in",
        "This booking has been checked in and cannot be cancelled.",
    ),
    (
        "booking_changed",
        "The booking has just changed. Please refresh and try again.",
    ),
    (
        "idempotency_key_reused",
        "This request key was already used for a different request.",
    ),
    (
        "idempotency_race",
        "The same request is already being handled.",
    ),
    (
        "capacity_below_bookings",
        "Capacity cannot be lower than the seats already booked.",
    ),
    ("not_a_no_show", "This booking is not a missed session."),
    ("not_draft", "Only drafts can be published."),
    // Check-in and volunteers
    ("not_assigned", "You are not assigned to this session."),
    ("no_ticket", "This booking has no valid ticket."),
    ("wrong_session", "This booking is for another session."),
    ("not_confirmed", "This booking has no seat."),
    ("already_undone", "This check-in was already undone."),
    (
        "undo_too_late",
        "It is too late to undo this check-in; please ask staff.",
    ),
    ("already_resolved", "This conflict was already resolved."),
    ("already_applied", "You have already applied."),
    ("already_decided", "This application was already decided."),
    // Feedback, demand and menu
    (
        "not_attended",
        "Only attendees who checked in can rate this session.",
    ),
    ("rating_closed", "The rating period has ended."),
    ("already_rated", "You have already rated this session."),
    ("edit_closed", "This rating can no longer be edited."),
    ("not_held", "This item is not waiting for review."),
    ("demand_closed", "This request is closed."),
    ("already_supported", "You already support this request."),
    ("already_voted", "You have already voted for this item."),
    ("menu_quota_exhausted", "This item has no deliveries left."),
    ("order_decided", "This order was already decided."),
    (
        "order_not_approved",
        "Only approved orders can be delivered.",
    ),
    // Providers and procurement
    ("not_provider", "You have not registered as a provider."),
    ("provider_exists", "You have already registered a provider."),
    (
        "offering_unavailable",
        "This offering is not approved or its provider is suspended.",
    ),
    (
        "procurement_order_state",
        "This procurement order is not in a state that allows this.",
    ),
    (
        "budget_exceeded",
        "The budget has not enough left for this purchase.",
    ),
    (
        "budget_below_spent",
        "A budget cannot be set below what it has already spent.",
    ),
    // The network, plans and dispatch
    (
        "unit_name_rule",
        "The name does not follow the naming rule for this level.",
    ),
    ("duplicate_unit", "Another unit has this name or code."),
    ("unit_closed", "This unit is closed."),
    (
        "unit_has_children",
        "This unit still has open service points.",
    ),
    (
        "unit_has_sessions",
        "This unit still has upcoming sessions.",
    ),
    ("network_exists", "The network has already been set up."),
    (
        "partner_off_line",
        "The partner is not in this unit's line.",
    ),
    (
        "dispatch_not_down_the_line",
        "Staff can only be sent down their own line.",
    ),
    (
        "dispatch_outside_register",
        "This person is not in the staff register.",
    ),
    // Reports (举报)
    (
        "already_reported",
        "You have already reported this. Staff will look into it.",
    ),
    (
        "no_open_reports",
        "There are no open reports about this item to decide.",
    ),
    // Art teams (群众文艺团队)
    ("team_name_taken", "This unit already has a team with this name."),
    ("not_team_leader", "Only the team's leader can do this."),
    (
        "invalid_team_code",
        "This invitation code is not valid or has been replaced. Ask the team leader for a new one.",
    ),
    ("already_team_member", "Already a member of this team."),
    (
        "not_team_member",
        "Leadership can only be handed to an adult member of this team.",
    ),
    (
        "leader_cannot_leave",
        "The leader hands the team over to another member before leaving.",
    ),
    (
        "team_not_verified",
        "The team has not been verified by its home unit yet.",
    ),
    ("team_not_recruiting", "This team is not taking new members now."),
    (
        "join_request_pending",
        "You have already asked to join; please wait for the leader's answer.",
    ),
    (
        "team_already_decided",
        "This team has already been verified or is dissolved.",
    ),
    (
        "team_already_performer",
        "This team is already a performer of this activity.",
    ),
    // Online programmes and the library
    (
        "domain_not_allowed",
        "This address is not on one of the mini-program's configured business domains, so the mini-program cannot open it.",
    ),
    // Rooms (场地)
    (
        "room_clash",
        "The room is already taken at this time by a session or a closure. Nothing was saved.",
    ),
    (
        "room_closed",
        "This room is closed for good.",
    ),
    (
        "room_in_use",
        "The room still has sessions to come; move or cancel them first.",
    ),
    (
        "room_name_taken",
        "This venue already has a room with this name.",
    ),
    (
        "room_capacity_below_sessions",
        "The capacity cannot be lower than the seats of a coming session in this room.",
    ),
    (
        "unknown_room",
        "There is no such room at this venue. Choose a room, or mark the place as outside the venue.",
    ),
    (
        "room_not_in_unit",
        "This room belongs to another venue.",
    ),
    (
        "over_room_capacity",
        "The session has more seats than the room holds. Give a reason or lower the seats.",
    ),
    // Room bookings (场地预约)
    (
        "room_not_bookable",
        "This room is not open for booking.",
    ),
    (
        "room_teams_only",
        "Only verified art teams can book this room.",
    ),
    (
        "room_slot_too_long",
        "The slot is longer than this room allows at a time.",
    ),
    (
        "room_slot_in_past",
        "This time has already started; choose a later slot.",
    ),
    (
        "room_slot_too_far_ahead",
        "This room cannot be booked that far ahead.",
    ),
    (
        "room_slot_outside_hours",
        "The slot is outside the room's opening hours.",
    ),
    (
        "room_closed_then",
        "The room is closed at this time (holiday or maintenance).",
    ),
    (
        "room_weekly_limit",
        "This would go over the hours a team may book in this room per week.",
    ),
    (
        "room_cancel_too_late",
        "It is too late to cancel this booking; contact the venue's staff.",
    ),
    (
        "room_booking_not_active",
        "This room booking was already cancelled or declined.",
    ),
    (
        "room_booking_not_pending",
        "This room booking is not waiting for approval.",
    ),
    (
        "room_booking_not_confirmed",
        "This room booking is not confirmed yet, so it cannot be checked in.",
    ),
    (
        "room_booking_started",
        "The slot has already started; it can no longer be declined.",
    ),
    (
        "room_booking_suspended",
        "Room booking is suspended for a while after too many no-shows.",
    ),
    (
        "room_checkin_outside_window",
        "Check-in is not open at this time.",
    ),
    (
        "room_checkin_wrong_room",
        "This code belongs to another room than the one booked.",
    ),
    (
        "room_team_not_led",
        "Only the team's leader can do this.",
    ),
    (
        "room_team_not_verified",
        "The team must be verified by its home venue first.",
    ),
    // Evaluation (考核评估)
    (
        "round_exists",
        "The district already has an evaluation round for that year and period.",
    ),
    (
        "round_locked",
        "The round is published and locked; reopen it with a reason first.",
    ),
    (
        "eval_wrong_step",
        "The assessment is not at that step.",
    ),
    (
        "eval_incomplete",
        "Some indicators have no value yet, or not every unit has been scored.",
    ),
    (
        "eval_waiting",
        "Every unit below must be scored before this one can be submitted.",
    ),
    (
        "nothing_to_rectify",
        "This spot check asks for no rectification, or it is already recorded.",
    ),
    // Culture cloud and open data (issue 17)
    (
        "cloud_not_configured",
        "No culture-cloud endpoint is configured; use the export file for a manual upload.",
    ),
    (
        "feed_format_invalid",
        "Unknown feed format; use json, csv or (for activities) ics.",
    ),
    // Volunteering beyond the door, sponsors, operators (issue 16)
    ("shift_full", "This shift has all the volunteers it needs."),
    (
        "shift_closed",
        "This shift has started or its opportunity is no longer recruiting.",
    ),
    ("already_signed_up", "You have already signed up for this shift."),
    (
        "shift_needed_below_taken",
        "More volunteers have signed up than the new number needed.",
    ),
    ("signup_not_pending", "This sign-up has already been handled."),
    (
        "signup_not_approved",
        "Hours can only be confirmed for an approved sign-up.",
    ),
    ("shift_not_started", "The shift has not started yet."),
    (
        "no_service_hours",
        "There are no confirmed service hours yet, so no certificate can be issued.",
    ),
    ("application_decided", "This application has already been decided."),
    (
        "unit_not_contracted",
        "This unit is not run under contract; mark it as contracted first.",
    ),
];

#[cfg(test)]
mod lang_tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> poem::http::HeaderMap {
        let mut h = poem::http::HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                poem::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                poem::http::HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn the_language_follows_the_header_then_accept_language_then_chinese() {
        assert_eq!(lang_of(&headers(&[])), Lang::Zh);
        assert_eq!(lang_of(&headers(&[("x-culturehub-lang", "en")])), Lang::En);
        assert_eq!(
            lang_of(&headers(&[("x-culturehub-lang", "EN-gb")])),
            Lang::En
        );
        assert_eq!(
            lang_of(&headers(&[("x-culturehub-lang", "zh_CN")])),
            Lang::Zh
        );
        // The app's own header wins over the system's Accept-Language.
        assert_eq!(
            lang_of(&headers(&[
                ("x-culturehub-lang", "zh"),
                ("accept-language", "en-US")
            ])),
            Lang::Zh
        );
        // An unknown value of the header falls through to Accept-Language.
        assert_eq!(
            lang_of(&headers(&[
                ("x-culturehub-lang", "fr"),
                ("accept-language", "en")
            ])),
            Lang::En
        );
        assert_eq!(
            lang_of(&headers(&[("accept-language", "en-US,en;q=0.9")])),
            Lang::En
        );
        assert_eq!(
            lang_of(&headers(&[(
                "accept-language",
                "de-DE, zh-CN;q=0.8, en;q=0.9"
            )])),
            Lang::En
        );
        assert_eq!(
            lang_of(&headers(&[("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")])),
            Lang::Zh
        );
        assert_eq!(
            lang_of(&headers(&[("accept-language", "en;q=0, fr")])),
            Lang::Zh
        );
        assert_eq!(lang_of(&headers(&[("accept-language", "fr-FR")])), Lang::Zh);
    }

    #[test]
    fn only_the_message_changes_with_the_language() {
        let zh = crate::error::render_in(ApiError::rate_limited(7).into(), "r", Lang::Zh);
        let en = crate::error::render_in(ApiError::rate_limited(7).into(), "r", Lang::En);
        assert_eq!(zh.status(), en.status());
        assert_eq!(en.headers().get("retry-after").unwrap(), "7");
        let body = |r: Response| {
            let b = futures_block(r);
            serde_json::from_slice::<serde_json::Value>(&b).unwrap()
        };
        let (zh, en) = (body(zh), body(en));
        assert_eq!(zh["error"]["code"], en["error"]["code"]);
        assert_eq!(zh["error"]["details"], en["error"]["details"]);
        assert_eq!(zh["error"]["message"], "操作太频繁，请稍后再试");
        assert_eq!(
            en["error"]["message"],
            "Too many requests. Please try again later."
        );
        let v = ApiError::validation("参数 limit 格式不正确")
            .with_details(serde_json::json!({ "param": "limit" }));
        assert_eq!(
            english_message(&v),
            "Some input is not valid or out of range. (limit)"
        );
    }

    fn futures_block(r: Response) -> Vec<u8> {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(r.into_body().into_vec())
            .unwrap()
    }

    /// Every code written in the source (`ApiError::new/bad_request/conflict/upstream`,
    /// `Self::new`, the modules' `unprocessable`) and every code in the tables of docs/api.md.
    fn codes_in_use() -> std::collections::BTreeSet<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = vec![];
        let mut dirs = vec![root.join("src")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        let is_code = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        let mut codes = std::collections::BTreeSet::new();
        const CALLS: &[(&str, bool)] = &[
            ("ApiError::new(", true),
            ("Self::new(", true),
            ("ApiError::bad_request(", false),
            ("ApiError::conflict(", false),
            ("ApiError::upstream(", false),
            ("Self::bad_request(", false),
            ("Self::conflict(", false),
            ("unprocessable(", false),
        ];
        for f in files {
            let src = std::fs::read_to_string(&f).unwrap();
            for (call, status_first) in CALLS {
                for (at, _) in src.match_indices(call) {
                    let mut rest = src[at + call.len()..].trim_start();
                    if *status_first {
                        // Skip the status argument (it may contain parentheses).
                        let mut depth = 0;
                        let mut cut = None;
                        for (i, c) in rest.char_indices() {
                            match c {
                                '(' => depth += 1,
                                ')' if depth == 0 => break,
                                ')' => depth -= 1,
                                ',' if depth == 0 => {
                                    cut = Some(i + 1);
                                    break;
                                }
                                _ => {}
                            }
                        }
                        let Some(cut) = cut else { continue };
                        rest = rest[cut..].trim_start();
                    }
                    if let Some(lit) = rest.strip_prefix('"') {
                        let lit = &lit[..lit.find('"').unwrap()];
                        if is_code(lit) {
                            codes.insert(lit.to_string());
                        }
                    }
                }
            }
        }
        let api = std::fs::read_to_string(root.join("../docs/api.md")).unwrap();
        let section = api
            .split("### Error codes")
            .nth(1)
            .expect("docs/api.md has an Error codes section");
        let section = section.split("\n## ").next().unwrap();
        for line in section.lines() {
            if let Some(cell) = line.strip_prefix("| `") {
                let code = &cell[..cell.find('`').unwrap()];
                if is_code(code) {
                    codes.insert(code.to_string());
                }
            }
        }
        codes
    }

    #[test]
    fn every_error_code_has_an_english_text() {
        let codes = codes_in_use();
        // The scan itself must see the codes made in many ways, or it proves nothing.
        for c in [
            "session_full",
            "validation_failed",
            "image_invalid",
            "forbidden",
            "timeout",
        ] {
            assert!(codes.contains(c), "the scan missed {c}");
        }
        assert!(codes.len() >= 90, "only {} codes found", codes.len());
        // `replayed` is overwritten at once by the stored answer's own code (booking.rs).
        let missing: Vec<_> = codes
            .iter()
            .filter(|c| *c != "replayed" && english(c).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "codes without an English text: {missing:?}"
        );
        let mut seen = std::collections::HashSet::new();
        for (c, text) in ENGLISH {
            assert!(seen.insert(c), "{c} twice in ENGLISH");
            assert!(text.is_ascii() && !text.is_empty(), "{c}: {text}");
        }
    }
}
