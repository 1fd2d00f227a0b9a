//! Open data (开放数据) and calendar feeds: public, read-only, cacheable (ETag and
//! Last-Modified, `304` on a matching `If-None-Match` / `If-Modified-Since`) and rate-limited
//! per client address; plus each resident's own calendar link.

use super::ApiTags;
use crate::error::{ApiError, ApiResult};
use crate::feeds::{self, FeedSession, FeedUnit, Format};
use crate::state::{ctx, AppState};
use crate::time::{self, Ts};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;
use poem_openapi::{Object, OpenApi};
use std::time::Duration;

pub struct FeedsApi;

/// A feed answer: the body in one of three formats with its validators, or `304`.
pub enum Feed {
    Body {
        bytes: Vec<u8>,
        content_type: &'static str,
        etag: String,
        last_modified: String,
        cache_control: &'static str,
    },
    NotModified {
        etag: String,
        last_modified: String,
        cache_control: &'static str,
    },
}

impl poem::IntoResponse for Feed {
    fn into_response(self) -> poem::Response {
        match self {
            Feed::Body {
                bytes,
                content_type,
                etag,
                last_modified,
                cache_control,
            } => poem::Response::builder()
                .content_type(content_type)
                .header("etag", etag)
                .header("last-modified", last_modified)
                .header("cache-control", cache_control)
                .header("access-control-allow-origin", "*")
                .body(bytes),
            Feed::NotModified {
                etag,
                last_modified,
                cache_control,
            } => poem::Response::builder()
                .status(poem::http::StatusCode::NOT_MODIFIED)
                .header("etag", etag)
                .header("last-modified", last_modified)
                .header("cache-control", cache_control)
                .body(()),
        }
    }
}

fn validators() -> Vec<MetaHeader> {
    ["etag", "last-modified", "cache-control"]
        .into_iter()
        .map(|n| MetaHeader {
            name: n.to_string(),
            description: None,
            required: true,
            deprecated: false,
            schema: String::schema_ref(),
        })
        .collect()
}

/// `{"generated_for": path, "items": [FeedUnit | FeedSession, …]}`: the JSON form of a feed.
fn json_doc_schema() -> MetaSchemaRef {
    let mut items = MetaSchema::new("array");
    items.items = Some(Box::new(MetaSchemaRef::Inline(Box::new(MetaSchema::new(
        "object",
    )))));
    let mut doc = MetaSchema::new("object");
    doc.properties = vec![
        ("generated_for", String::schema_ref()),
        ("items", MetaSchemaRef::Inline(Box::new(items))),
    ];
    doc.required = vec!["generated_for", "items"];
    MetaSchemaRef::Inline(Box::new(doc))
}

impl poem_openapi::ApiResponse for Feed {
    fn meta() -> MetaResponses {
        let content = [
            "application/json; charset=utf-8",
            "text/csv; charset=utf-8",
            "text/calendar; charset=utf-8",
        ]
        .into_iter()
        .map(|t| MetaMediaType {
            content_type: t,
            // JSON is an object; CSV and iCalendar are text.
            schema: if t.starts_with("application/json") {
                json_doc_schema()
            } else {
                String::schema_ref()
            },
        })
        .collect();
        MetaResponses {
            responses: vec![
                MetaResponse {
                    description: "The feed (JSON, CSV or iCalendar, as `format` asks).",
                    status: Some(200),
                    status_range: None,
                    content,
                    headers: validators(),
                },
                MetaResponse {
                    description: "Not modified: the copy named by `If-None-Match` / `If-Modified-Since` is current.",
                    status: Some(304),
                    status_range: None,
                    content: vec![],
                    headers: validators(),
                },
            ],
        }
    }

    fn register(registry: &mut Registry) {
        FeedUnit::register(registry);
        FeedSession::register(registry);
    }
}

/// Limits one client address (the feeds are public: there is no person to count).
async fn limit(st: &AppState, req: &Request) -> ApiResult<()> {
    st.limit(
        &format!("feed:ip:{}", ctx(req).ip),
        st.settings.feeds.per_minute_per_ip,
    )
    .await
}

/// When these exact bytes were first served (kept a day in the cache): a Last-Modified that
/// moves exactly when the content does, without a change column on every table behind it.
async fn first_seen(st: &AppState, etag: &str, now: Ts) -> Ts {
    let key = format!("feed:lm:{etag}");
    if let Some(t) = st.cache.get(&key).await.as_deref().and_then(time::parse) {
        return t;
    }
    let now = now.with_timezone(&chrono::Utc);
    let secs = chrono::DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    st.cache
        .set(&key, &time::fmt(secs), Duration::from_secs(24 * 3600))
        .await;
    secs
}

async fn answer(
    st: &AppState,
    req: &Request,
    bytes: Vec<u8>,
    format: Format,
    cache_control: &'static str,
) -> Feed {
    let etag = feeds::etag(&bytes);
    let lm = first_seen(st, &etag, st.clock.now()).await;
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok());
    let last_modified = feeds::http_date(lm);
    if feeds::not_modified(
        header("if-none-match"),
        header("if-modified-since"),
        &etag,
        lm,
    ) {
        return Feed::NotModified {
            etag,
            last_modified,
            cache_control,
        };
    }
    Feed::Body {
        bytes,
        content_type: format.content_type(),
        etag,
        last_modified,
        cache_control,
    }
}

fn host(st: &AppState) -> String {
    let base = &st.settings.feeds.public_base_url;
    let h = base
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split('/')
        .next()
        .unwrap_or("");
    if h.is_empty() {
        "culturehub".into()
    } else {
        h.to_string()
    }
}

#[derive(Object)]
struct CalendarLink {
    /// Whether the person has a calendar link.
    active: bool,
    /// When the current link was made.
    created_at: Option<String>,
    /// The link, only right after it was made (it is kept as a hash and cannot be shown again).
    url: Option<String>,
}

async fn under_of(st: &AppState, unit_id: Option<i64>) -> ApiResult<String> {
    Ok(match unit_id {
        Some(id) => crate::org::unit_ref(&st.db, id).await?.path,
        None => "/".into(),
    })
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Org")]
impl FeedsApi {
    /// Open data: the network's open units (开放数据·场馆), all or one unit with those under
    /// it, as JSON or CSV.
    #[oai(path = "/open/units", method = "get", operation_id = "open_units")]
    async fn units(
        &self,
        st: Data<&AppState>,
        req: &Request,
        /// One unit and the units under it; the whole district when absent.
        unit_id: Query<Option<i64>>,
        /// `json` (default) or `csv`.
        format: Query<Option<String>>,
    ) -> Result<Feed> {
        limit(&st, req).await?;
        let f = Format::parse(format.0.as_deref(), false)?;
        let under = under_of(&st, unit_id.0).await?;
        let items = feeds::units(&st.db, &under).await?;
        let bytes = match f {
            Format::Csv => feeds::units_csv(&items)?,
            _ => serde_json::to_vec(&serde_json::json!({
                "generated_for": under,
                "items": items,
            }))
            .map_err(|_| ApiError::internal())?,
        };
        Ok(answer(&st, req, bytes, f, "public, max-age=300").await)
    }

    /// Open data: upcoming public sessions (开放数据·活动日历) of one unit, of a branch with
    /// its points (`subtree`), or of the whole district, as JSON, CSV or iCalendar.
    #[oai(
        path = "/open/activities",
        method = "get",
        operation_id = "open_activities"
    )]
    async fn activities(
        &self,
        st: Data<&AppState>,
        req: &Request,
        /// The unit; the whole district when absent.
        unit_id: Query<Option<i64>>,
        /// With `unit_id`: also the units under it (default true); false: that unit only.
        subtree: Query<Option<bool>>,
        /// `json` (default), `csv` or `ics`.
        format: Query<Option<String>>,
    ) -> Result<Feed> {
        limit(&st, req).await?;
        let f = Format::parse(format.0.as_deref(), true)?;
        let under = under_of(&st, unit_id.0).await?;
        let only = match (unit_id.0, subtree.0.unwrap_or(true)) {
            (Some(id), false) => Some(id),
            _ => None,
        };
        let now = st.clock.now();
        let items =
            feeds::sessions(&st.db, only, &under, now, st.settings.feeds.days_ahead).await?;
        let bytes = match f {
            Format::Csv => feeds::sessions_csv(&items)?,
            Format::Ics => {
                let name = match unit_id.0 {
                    Some(id) => crate::org::get_unit(&st.db, id).await?.name,
                    None => "文化活动日历".into(),
                };
                feeds::calendar(
                    &name,
                    &feeds::session_events(&items, &host(&st)),
                    day_start(now),
                )
                .into_bytes()
            }
            Format::Json => serde_json::to_vec(&serde_json::json!({
                "generated_for": under,
                "items": items,
            }))
            .map_err(|_| ApiError::internal())?,
        };
        Ok(answer(&st, req, bytes, f, "public, max-age=300").await)
    }

    /// A resident's own bookings as an iCalendar feed (我的日历订阅), at the unguessable link
    /// from `POST /me/calendar`. An unknown or reset link is `404`.
    #[oai(
        path = "/calendar/:token",
        method = "get",
        operation_id = "calendar_feed"
    )]
    async fn calendar(
        &self,
        st: Data<&AppState>,
        req: &Request,
        /// The feed token (`<token>.ics` works too).
        token: Path<String>,
    ) -> Result<Feed> {
        limit(&st, req).await?;
        let t = token.0.trim_end_matches(".ics");
        let user = feeds::user_for_token(&st.db, t)
            .await?
            .ok_or_else(|| ApiError::not_found("该日历订阅"))?;
        let now = st.clock.now();
        let events = feeds::my_events(&st.db, user, now, &host(&st)).await?;
        let bytes = feeds::calendar("我的文化活动", &events, day_start(now)).into_bytes();
        Ok(answer(&st, req, bytes, Format::Ics, "private, max-age=300").await)
    }

    /// My calendar link (日历订阅): whether I have one and since when. The link itself is shown
    /// only when made.
    #[oai(path = "/me/calendar", method = "get", operation_id = "me_calendar")]
    async fn me_calendar(&self, st: Data<&AppState>, req: &Request) -> Result<Json<CalendarLink>> {
        let caller = st.caller(req).await?;
        let created_at = feeds::token_created(&st.db, caller.user_id).await?;
        Ok(Json(CalendarLink {
            active: created_at.is_some(),
            created_at,
            url: None,
        }))
    }

    /// Make my calendar link, or reset it (重置): the old link stops working at once.
    #[oai(
        path = "/me/calendar",
        method = "post",
        operation_id = "me_calendar_reset"
    )]
    async fn me_calendar_reset(
        &self,
        st: Data<&AppState>,
        req: &Request,
    ) -> Result<Json<CalendarLink>> {
        let caller = st.caller(req).await?;
        let now = st.now();
        let token = feeds::reset_token(&st.db, caller.user_id, &now).await?;
        let path = format!("/api/v1/calendar/{token}.ics");
        Ok(Json(CalendarLink {
            active: true,
            created_at: Some(now),
            url: Some(format!("{}{path}", st.settings.feeds.public_base_url)),
        }))
    }
}

/// DTSTAMP is the start of the China day, so the bytes (and the ETag) stay the same all day
/// while nothing changes.
fn day_start(now: Ts) -> Ts {
    let local = now.with_timezone(&time::cst()).date_naive();
    local
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc() - chrono::Duration::hours(8))
        .unwrap_or(now)
}
