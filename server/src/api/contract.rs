//! What `/openapi.json` promises beyond the happy path: every error status an operation can
//! answer, each with the one error shape (`Error`), and `nullable` on every field that can be
//! `null`. poem-openapi documents only the `200` of each handler and leaves `Option` fields
//! non-nullable, so `Secured` (security.rs) calls these on the whole document. The rules follow
//! where errors come from (see `error.rs` and `app::outer`), not a list per operation, so a new
//! operation is documented truthfully without anyone remembering to.

use super::security::{self, Access};
use poem::http::Method;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaOperation, MetaResponse, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;
use poem_openapi::Object;

/// The body of every error answer (`error::render` writes it).
#[derive(Object)]
#[oai(rename = "Error")]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// One error: the HTTP status again, a stable machine code, a Chinese message for display and
/// the request's id (also in `X-Request-Id`) for support.
#[derive(Object)]
pub struct ErrorBody {
    pub status: u16,
    /// Stable machine-readable code: `validation_failed`, `session_full`, `forbidden`, …
    pub code: String,
    /// Chinese, for display as is.
    pub message: String,
    pub request_id: String,
    /// Extra machine-readable facts (`retry_after`, `param`, `max_bytes`, …); absent when none.
    #[oai(skip_serializing_if_is_none)]
    pub details: Option<serde_json::Value>,
}

/// Operations that call WeChat while answering and say `502 wechat_unavailable` when it fails.
const CALLS_WECHAT: &[&str] = &[
    "auth_wechat",
    "me_phone",
    "console_login_code_create",
    "checkin_venue_code",
    "room_door_code",
];

/// Reads that refuse in some states (`409`): a ticket or attendance for a booking that holds
/// no seat; a volunteer certificate before any confirmed hours (`no_service_hours`).
const CONFLICTING_READS: &[&str] = &[
    "booking_ticket",
    "booking_attendance",
    "my_volunteer_certificate",
];

/// Reads of one's own record of a kind one may not have registered yet (`404 not_provider`).
const OWN_RECORD_READS: &[&str] = &["provider_me", "provider_offerings", "provider_orders"];

/// Operations whose subject can be past its time (`410`): console login codes.
const CAN_BE_GONE: &[&str] = &["console_login_code_scan", "console_login_code_confirm"];

/// Operations open without a credential that still refuse some callers (`403`): development
/// console sign-in for someone without a staff role, a staff-only image for someone outside
/// its unit.
const MAY_REFUSE: &[&str] = &["console_dev_login", "file_get", "file_thumb"];

/// Development-only operations: `404 route_not_found` where development sign-in is off.
const DEV_ONLY: &[&str] = &["auth_dev", "console_dev_login", "console_dev_accounts"];

/// Reads limited per client address (`429`): the public open-data and calendar feeds.
const RATE_LIMITED_READS: &[&str] = &["open_units", "open_activities", "calendar_feed"];

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The error statuses one operation can answer, ascending.
pub fn error_statuses(op: &MetaOperation) -> Vec<u16> {
    let id = op.operation_id.unwrap_or("");
    let write = is_write(&op.method);
    let has_input = !op.params.is_empty() || op.request.is_some();
    // Any request can be malformed (an unreadable header, a bad path segment); the database or
    // the request timeout can fail any of them.
    let mut s = vec![400, 500, 503];
    if has_input {
        s.push(422);
    }
    match security::access(id) {
        Access::Public => {}
        // A stale or wrong credential is refused rather than silently ignored.
        Access::Optional => s.push(401),
        Access::Signed | Access::CookieOnly => s.extend([401, 403]),
    }
    // Anything that names something (path, query, body) can name what does not exist.
    if has_input || DEV_ONLY.contains(&id) || OWN_RECORD_READS.contains(&id) {
        s.push(404);
    }
    if MAY_REFUSE.contains(&id) {
        s.push(403);
    }
    if write {
        // Writes are limited per address (and per person), bodies are bounded, and a write
        // can meet the state another write left.
        s.extend([409, 413, 429]);
    }
    if op.request.is_some() {
        s.push(415);
    }
    if RATE_LIMITED_READS.contains(&id) {
        s.push(429);
    }
    if CONFLICTING_READS.contains(&id) {
        s.push(409);
    }
    if CAN_BE_GONE.contains(&id) {
        s.push(410);
    }
    if CALLS_WECHAT.contains(&id) {
        s.push(502);
    }
    s.sort_unstable();
    s.dedup();
    s
}

/// poem-openapi lists one response per variant; two variants with one status (a PNG or a JPEG
/// image) would leave only the last in the document's map. Merge their content types.
fn merge_same_status(responses: &mut Vec<MetaResponse>) {
    let mut merged: Vec<MetaResponse> = Vec::with_capacity(responses.len());
    for r in responses.drain(..) {
        match merged
            .iter_mut()
            .find(|m| m.status == r.status && m.status_range == r.status_range)
        {
            Some(m) => {
                for c in r.content {
                    if !m.content.iter().any(|x| x.content_type == c.content_type) {
                        m.content.push(c);
                    }
                }
                for h in r.headers {
                    if !m.headers.iter().any(|x| x.name == h.name) {
                        m.headers.push(h);
                    }
                }
            }
            None => merged.push(r),
        }
    }
    *responses = merged;
}

fn description(status: u16) -> &'static str {
    match status {
        400 => "Malformed request (`invalid_body`, `invalid_path`, a bad header, …).",
        401 => "No credential, or it is no longer valid (`unauthenticated`, `session_invalid`).",
        403 => "Not allowed: outside the caller's scope (`forbidden`, …) or a cookie write without its CSRF token (`csrf_failed`).",
        404 => "What the request names does not exist or is not visible to the caller (`not_found`).",
        409 => "The current state does not allow it (`session_full`, `booking_changed`, …).",
        410 => "The login code has expired (`login_code_expired`).",
        413 => "The body is larger than allowed (`body_too_large`, `details.max_bytes`).",
        415 => "Wrong `Content-Type` (`unsupported_media_type`).",
        422 => "Valid syntax, invalid values (`validation_failed`, `details.param` for parameters).",
        429 => "Too many requests (`rate_limited`); `Retry-After` and `details.retry_after` say when to retry.",
        500 => "A fault in the service (`internal_error`); the request id finds it in the logs.",
        502 => "WeChat did not answer as expected (`wechat_unavailable`, `wechat_error`).",
        503 => "The database is unavailable or the request took too long (`service_unavailable`, `timeout`); retry later.",
        _ => "Error.",
    }
}

/// Adds the error responses to one operation (keeping any it already documents).
pub fn add_error_responses(op: &mut MetaOperation) {
    merge_same_status(&mut op.responses.responses);
    let statuses = error_statuses(op);
    for status in statuses {
        if op
            .responses
            .responses
            .iter()
            .any(|r| r.status == Some(status))
        {
            continue;
        }
        let headers = if status == 429 {
            vec![MetaHeader {
                name: "Retry-After".into(),
                description: Some("Seconds to wait before retrying.".into()),
                required: false,
                deprecated: false,
                schema: u64::schema_ref(),
            }]
        } else {
            vec![]
        };
        op.responses.responses.push(MetaResponse {
            description: description(status),
            status: Some(status),
            status_range: None,
            content: vec![MetaMediaType {
                content_type: "application/json; charset=utf-8",
                schema: MetaSchemaRef::Reference(ErrorEnvelope::name().into_owned()),
            }],
            headers,
        });
    }
    op.responses
        .responses
        .sort_by_key(|r| r.status.unwrap_or(0));
}

/// Registers the error schema and marks every `Option` field `nullable`.
///
/// A property that is neither required nor has a default is an `Option` (or `MaybeUndefined`):
/// poem-openapi writes `None` as `null` and reads `null` as `None`, so the document must say the
/// field can be null. A field with `skip_serializing_if_is_none` is left out instead, which
/// `nullable` also allows.
pub fn register(registry: &mut Registry) {
    ErrorEnvelope::register(registry);
    for schema in registry.schemas.values_mut() {
        let required = schema.required.clone();
        for (name, prop) in schema.properties.iter_mut() {
            if required.contains(name) {
                continue;
            }
            *prop = nullable(std::mem::replace(
                prop,
                MetaSchemaRef::Reference(String::new()),
            ));
        }
    }
}

fn nullable(prop: MetaSchemaRef) -> MetaSchemaRef {
    match prop {
        MetaSchemaRef::Inline(mut s) => {
            if s.default.is_none() {
                s.nullable = true;
            }
            MetaSchemaRef::Inline(s)
        }
        // `$ref` cannot carry siblings in OpenAPI 3.0: wrap it.
        MetaSchemaRef::Reference(name) => MetaSchemaRef::Inline(Box::new(MetaSchema {
            all_of: vec![MetaSchemaRef::Reference(name)],
            nullable: true,
            ..MetaSchema::ANY
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_matches_what_render_writes() {
        let resp = crate::error::render(crate::error::ApiError::rate_limited(7).into(), "rid-1");
        assert_eq!(resp.status(), 429);
        let body = futures_body(resp);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let parsed =
            <ErrorEnvelope as poem_openapi::types::ParseFromJSON>::parse_from_json(Some(v.clone()))
                .unwrap_or_else(|e| panic!("{v} is not an Error: {}", e.message()));
        assert_eq!(parsed.error.code, "rate_limited");
        assert_eq!(parsed.error.request_id, "rid-1");
        assert_eq!(parsed.error.details.unwrap()["retry_after"], 7);
    }

    fn futures_body(resp: poem::Response) -> Vec<u8> {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(resp.into_body().into_vec())
            .unwrap()
    }
}
