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

/// Maps any error poem hands back into the one shape.
pub fn render(err: poem::Error, request_id: &str) -> Response {
    let api = if let Some(api) = err.downcast_ref::<ApiError>() {
        api.clone()
    } else {
        classify(&err)
    };
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
