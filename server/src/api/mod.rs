//! HTTP surface under `/api/v1`, one module per domain. Handlers are thin: read the request,
//! ask `AppState` who is calling and whether they may, call a domain function, shape the answer.

pub mod activities;
pub mod admin;
pub mod auth;
pub mod bookings;
pub mod checkin;
pub mod console;
pub mod demand;
pub mod feedback;
pub mod files;
pub mod ledgers;
pub mod menu;
pub mod org;
pub mod security;
pub mod stats;

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
    console::ConsoleApi,
    files::FilesApi,
    ledgers::LedgersApi,
    ledgers::EvidenceApi,
);

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
            console::ConsoleApi,
            files::FilesApi,
            ledgers::LedgersApi,
            ledgers::EvidenceApi,
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
