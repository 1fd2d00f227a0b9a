//! HTTP surface under `/api/v1`, one module per domain. Handlers are thin: read the request,
//! ask `AppState` who is calling and whether they may, call a domain function, shape the answer.

pub mod activities;
pub mod admin;
pub mod auth;
pub mod bookings;
pub mod checkin;
pub mod cloud;
pub mod console;
pub mod contract;
pub mod demand;
pub mod evaluation;
pub mod feedback;
pub mod feeds;
pub mod files;
pub mod ledgers;
pub mod library;
pub mod menu;
pub mod org;
pub mod people;
pub mod plans;
pub mod procurement;
pub mod reports;
pub mod room_bookings;
pub mod rooms;
pub mod security;
pub mod sponsors;
pub mod stats;
pub mod teams;
pub mod volunteering;

use crate::error::ApiError;
use crate::state::AppState;
use poem_openapi::{Object, OpenApiService, Tags};

/// A plain acknowledgement.
#[derive(Object)]
pub struct Done {
    pub ok: bool,
}

#[derive(Tags)]
pub enum ApiTags {
    /// 文化馆网络：总馆、分馆、服务点
    Org,
    /// 登录、个人信息与权限
    Auth,
    /// 角色授权、邀请码与审计日志
    Admin,
    /// 活动与场次
    Activities,
    /// 预约、候补、摇号、家庭成员
    Bookings,
    /// 入场凭证、扫码签到、志愿者
    Checkin,
    /// 评价与回复
    Feedback,
    /// 群众文化需求
    Demand,
    /// 文化菜单点单与配送
    Menu,
    /// 统计、目标与台账
    Stats,
    /// 管理后台：扫码登录与登录会话
    Console,
    /// 图片上传与读取（海报、照片、佐证材料）
    Files,
    /// 人员名册与双派
    People,
    /// 考核评估：指标、考核轮次、逐级评分、第三方评估、督导暗访
    Evaluation,
    /// 线上活动（直播与回放）与数字资源库
    Library,
    /// 供给方、服务项目、文化采购与采购预算
    Procurement,
}

pub type Apis = (
    org::OrgApi,
    auth::AuthApi,
    admin::AdminApi,
    activities::ActivitiesApi,
    bookings::BookingsApi,
    checkin::CheckinApi,
    feedback::FeedbackApi,
    demand::DemandApi,
    menu::MenuApi,
    stats::StatsApi,
    plans::PlansApi,
    console::ConsoleApi,
    files::FilesApi,
    people::PeopleApi,
    ledgers::LedgersApi,
    // poem-openapi implements OpenApi for tuples of up to 16: later APIs nest.
    (
        ledgers::EvidenceApi,
        reports::ReportsApi,
        rooms::RoomsApi,
        evaluation::EvaluationApi,
        teams::TeamsApi,
        room_bookings::RoomBookingsApi,
        library::LibraryApi,
        cloud::CloudApi,
        feeds::FeedsApi,
        procurement::ProcurementApi,
        volunteering::VolunteeringApi,
        sponsors::SponsorsApi,
    ),
);

/// Every route template of the API (`/api/v1/activities/{id}`) with its methods, from the
/// OpenAPI description (built once).
fn routes() -> &'static [(String, Vec<String>)] {
    use poem_openapi::OpenApi;
    static ROUTES: std::sync::OnceLock<Vec<(String, Vec<String>)>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for path in Apis::meta().into_iter().flat_map(|api| api.paths) {
            let methods = path.operations.iter().map(|o| o.method.to_string());
            match out.iter_mut().find(|(t, _)| *t == path.path) {
                Some((_, m)) => m.extend(methods),
                None => out.push((path.path.clone(), methods.collect())),
            }
        }
        out
    })
}

/// The JSON request body schema of every operation, with the schemas they refer to.
struct BodySchemas {
    registry: poem_openapi::registry::Registry,
    ops: Vec<(String, String, poem_openapi::registry::MetaSchemaRef)>,
}

fn body_schemas() -> &'static BodySchemas {
    use poem_openapi::OpenApi;
    static BODIES: std::sync::OnceLock<BodySchemas> = std::sync::OnceLock::new();
    BODIES.get_or_init(|| {
        let mut registry = poem_openapi::registry::Registry::new();
        Apis::register(&mut registry);
        let mut ops = Vec::new();
        for path in Apis::meta().into_iter().flat_map(|api| api.paths) {
            for op in path.operations {
                let json = op.request.and_then(|r| {
                    r.content
                        .into_iter()
                        .find(|c| c.content_type.contains("json"))
                });
                if let Some(media) = json {
                    ops.push((path.path.clone(), op.method.to_string(), media.schema));
                }
            }
        }
        BodySchemas { registry, ops }
    })
}

/// The first field whose value is not a JSON string where the schema says string. poem-openapi
/// would quietly turn `12345` or `true` into the text "12345"; a client sending a number
/// for a name has a bug worth hearing about.
fn non_string(
    reg: &poem_openapi::registry::Registry,
    schema: &poem_openapi::registry::MetaSchemaRef,
    value: &serde_json::Value,
    field: &str,
    depth: usize,
) -> Option<String> {
    use poem_openapi::registry::MetaSchemaRef;
    use serde_json::Value;
    let s = match schema {
        MetaSchemaRef::Inline(s) => s.as_ref(),
        MetaSchemaRef::Reference(name) => reg.schemas.get(name)?,
    };
    if depth > 16 || value.is_null() || !s.one_of.is_empty() || !s.any_of.is_empty() {
        return None;
    }
    if let Some(f) = s
        .all_of
        .iter()
        .find_map(|sub| non_string(reg, sub, value, field, depth + 1))
    {
        return Some(f);
    }
    match (s.ty, value) {
        ("string", Value::String(_)) => None,
        ("string", _) => Some(field.to_string()),
        ("object", Value::Object(map)) => s.properties.iter().find_map(|(name, sub)| {
            map.get(*name)
                .and_then(|v| non_string(reg, sub, v, name, depth + 1))
        }),
        ("array", Value::Array(items)) => s.items.as_ref().and_then(|sub| {
            items
                .iter()
                .find_map(|v| non_string(reg, sub, v, field, depth + 1))
        }),
        _ => None,
    }
}

/// Text fields of a JSON body must be JSON strings (checked once, by the request middleware,
/// against the operation's documented body).
pub fn check_body_types(template: &str, method: &str, body: &[u8]) -> Result<(), ApiError> {
    let b = body_schemas();
    let Some((_, _, schema)) = b.ops.iter().find(|(t, m, _)| t == template && m == method) else {
        return Ok(());
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok(());
    };
    match non_string(&b.registry, schema, &value, "请求内容", 0) {
        Some(field) => Err(ApiError::bad_request(
            "invalid_body",
            format!("请求内容格式不正确：{field} 应为文字（带引号的字符串）"),
        )
        .with_details(serde_json::json!({ "field": field, "expected": "string" }))),
        None => Ok(()),
    }
}

/// Every route template of the API, for metrics labels.
pub fn route_templates() -> Vec<String> {
    routes().iter().map(|(t, _)| t.clone()).collect()
}

/// The methods a route template accepts (for the `Allow` header of a 405).
pub fn allowed_methods(template: &str) -> Option<String> {
    let (_, methods) = routes().iter().find(|(t, _)| t == template)?;
    let mut m = methods.clone();
    if m.iter().any(|m| m == "GET") {
        m.push("HEAD".into());
    }
    m.sort();
    m.dedup();
    Some(m.join(", "))
}

pub fn service(_state: &AppState) -> OpenApiService<security::Secured<Apis>, ()> {
    OpenApiService::new(
        security::Secured((
            org::OrgApi,
            auth::AuthApi,
            admin::AdminApi,
            activities::ActivitiesApi,
            bookings::BookingsApi,
            checkin::CheckinApi,
            feedback::FeedbackApi,
            demand::DemandApi,
            menu::MenuApi,
            stats::StatsApi,
            plans::PlansApi,
            console::ConsoleApi,
            files::FilesApi,
            people::PeopleApi,
            ledgers::LedgersApi,
            (
                ledgers::EvidenceApi,
                reports::ReportsApi,
                rooms::RoomsApi,
                evaluation::EvaluationApi,
                teams::TeamsApi,
                room_bookings::RoomBookingsApi,
                library::LibraryApi,
                cloud::CloudApi,
                feeds::FeedsApi,
                procurement::ProcurementApi,
                volunteering::VolunteeringApi,
                sponsors::SponsorsApi,
            ),
        )),
        "Culture Hub 文化馆总分馆服务",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "All errors share one shape: `{\"error\":{\"status\",\"code\",\"message\",\"request_id\"}}` \
         with a stable machine code and a Chinese message for display. Authenticate with \
         `Authorization: Bearer <token>` from `/api/v1/auth/wechat` (mini-program), or with the \
         staff console's session cookie `ch_console` (writes then also send `X-CSRF-Token`).",
    )
    .server("/")
}

/// A JSON answer already serialised (for pages served from memory), documented in the
/// OpenAPI document with the schema of `T`.
pub struct CachedJson<T> {
    bytes: poem::Body,
    _schema: std::marker::PhantomData<fn() -> T>,
}

impl<T> CachedJson<T> {
    pub fn new(bytes: Vec<u8>) -> Self {
        CachedJson {
            bytes: poem::Body::from(bytes),
            _schema: std::marker::PhantomData,
        }
    }

    /// From bytes shared with a cache: no copy per request.
    pub fn shared(bytes: bytes::Bytes) -> Self {
        CachedJson {
            bytes: poem::Body::from(bytes),
            _schema: std::marker::PhantomData,
        }
    }
}

impl<T: poem_openapi::types::Type> poem_openapi::payload::Payload for CachedJson<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        T::register(registry);
    }
}

impl<T: Send> poem::IntoResponse for CachedJson<T> {
    fn into_response(self) -> poem::Response {
        poem::Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(self.bytes)
    }
}

impl<T: poem_openapi::types::Type> poem_openapi::ApiResponse for CachedJson<T> {
    fn meta() -> poem_openapi::registry::MetaResponses {
        use poem_openapi::payload::Payload;
        poem_openapi::registry::MetaResponses {
            responses: vec![poem_openapi::registry::MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![poem_openapi::registry::MetaMediaType {
                    content_type: Self::CONTENT_TYPE,
                    schema: Self::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        T::register(registry);
    }
}
