//! Security schemes in the OpenAPI document: which credential each operation takes.
//!
//! Every operation that needs a person takes either the bearer token (mini-program) or the
//! console's session cookie — both go through `AppState::caller`. Cookie-authenticated writes
//! must also carry the CSRF header. `Secured` wraps the API set and writes that into each
//! operation's `security` and into `components.securitySchemes`, so `/openapi.json`, `/docs`
//! and generated clients know it. An operation that already declares requirements through a
//! security-scheme extractor keeps them, and gets the cookie alternative added. The same
//! wrapper adds the error responses and nullability (`contract.rs`).

use poem::http::Method;
use poem_openapi::registry::{MetaApi, MetaSecurityScheme, Registry};
use poem_openapi::OpenApi;
use std::collections::HashMap;

pub const BEARER: &str = "bearer";
pub const CONSOLE_COOKIE: &str = "console_cookie";
pub const CSRF: &str = "csrf_token";

/// Operations that need no credential at all.
pub const PUBLIC: &[&str] = &[
    "org_tree",
    "org_naming",
    "org_units",
    "org_nearest",
    "org_unit",
    "org_unit_poster",
    "activity_poster",
    "unit_rooms",
    "unit_rooms_busy",
    "unit_teams",
    "team_page",
    "online_list",
    "library_list",
    "auth_wechat",
    "auth_dev",
    "activity_lottery",
    "activity_ratings",
    "menu_items",
    "report_reasons",
    "console_login_code_create",
    "console_login_code_qr",
    "console_login_code_status",
    "console_dev_login",
    "console_dev_accounts",
    "open_units",
    "open_activities",
    "calendar_feed",
    "volunteer_roles",
    "volunteer_opportunities",
    "volunteer_opportunity",
    "volunteer_certificate_verify",
    "volunteer_teams",
    "activity_supporters",
];

/// Public operations that add the caller's own data when a credential is sent, and uploaded
/// images (public ones for anyone, staff ones only with a credential).
pub const OPTIONAL: &[&str] = &[
    "activities_browse",
    "activity_get",
    "demand_list",
    "demand_get",
    "file_get",
    "file_thumb",
    "library_get",
    "activity_online_get",
];

/// Operations that only the console's cookie session can call.
pub const COOKIE_ONLY: &[&str] = &["console_session", "console_logout"];

/// What an operation asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    Optional,
    Signed,
    CookieOnly,
}

pub fn access(operation_id: &str) -> Access {
    if PUBLIC.contains(&operation_id) {
        Access::Public
    } else if OPTIONAL.contains(&operation_id) {
        Access::Optional
    } else if COOKIE_ONLY.contains(&operation_id) {
        Access::CookieOnly
    } else {
        Access::Signed
    }
}

pub struct Secured<T>(pub T);

type Requirement = HashMap<&'static str, Vec<&'static str>>;

fn requirement(names: &[&'static str]) -> Requirement {
    names.iter().map(|n| (*n, Vec::new())).collect()
}

/// The requirements of one operation (alternatives: any one of them suffices).
pub fn requirements(
    operation_id: Option<&str>,
    method: &Method,
    existing: &[Requirement],
) -> Vec<Requirement> {
    let id = operation_id.unwrap_or("");
    if PUBLIC.contains(&id) {
        return existing.to_vec();
    }
    let write = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let cookie = if write {
        requirement(&[CONSOLE_COOKIE, CSRF])
    } else {
        requirement(&[CONSOLE_COOKIE])
    };
    if COOKIE_ONLY.contains(&id) {
        return vec![cookie];
    }
    let mut out: Vec<Requirement> = Vec::new();
    if OPTIONAL.contains(&id) {
        // The empty requirement: anonymous is fine too.
        out.push(Requirement::new());
    }
    if existing.iter().all(|r| r.is_empty()) {
        out.push(requirement(&[BEARER]));
    } else {
        out.extend(existing.iter().filter(|r| !r.is_empty()).cloned());
    }
    out.push(cookie);
    out
}

impl<T: OpenApi> OpenApi for Secured<T> {
    fn meta() -> Vec<MetaApi> {
        let mut apis = T::meta();
        for api in apis.iter_mut() {
            for path in api.paths.iter_mut() {
                for op in path.operations.iter_mut() {
                    op.security = requirements(op.operation_id, &op.method, &op.security);
                    super::contract::add_error_responses(op);
                }
            }
        }
        apis
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
        super::contract::register(registry);
        registry.create_security_scheme(
            BEARER,
            MetaSecurityScheme {
                ty: "http",
                description: Some(
                    "The mini-program's session token from `/api/v1/auth/wechat`: `Authorization: Bearer <token>`.",
                ),
                name: None,
                key_in: None,
                scheme: Some("bearer"),
                bearer_format: Some("opaque"),
                flows: None,
                openid_connect_url: None,
            },
        );
        registry.create_security_scheme(
            CONSOLE_COOKIE,
            MetaSecurityScheme {
                ty: "apiKey",
                description: Some(
                    "The staff console's session cookie (HttpOnly, SameSite=Strict), set by scan-to-sign-in or development sign-in. Writes also need `csrf_token`.",
                ),
                name: Some(crate::console::SESSION_COOKIE),
                key_in: Some("cookie"),
                scheme: None,
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
        registry.create_security_scheme(
            CSRF,
            MetaSecurityScheme {
                ty: "apiKey",
                description: Some(
                    "With the console cookie, every write carries the session's CSRF token (from `GET /api/v1/console/session`).",
                ),
                name: Some("X-CSRF-Token"),
                key_in: Some("header"),
                scheme: None,
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn add_routes(
        self,
        route_table: &mut HashMap<String, HashMap<Method, poem::endpoint::BoxEndpoint<'static>>>,
    ) {
        self.0.add_routes(route_table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_get_bearer_or_cookie() {
        let get = requirements(Some("me_get"), &Method::GET, &[]);
        assert_eq!(
            get,
            vec![requirement(&[BEARER]), requirement(&[CONSOLE_COOKIE])]
        );
        let post = requirements(Some("activity_create"), &Method::POST, &[]);
        assert_eq!(
            post,
            vec![requirement(&[BEARER]), requirement(&[CONSOLE_COOKIE, CSRF])]
        );
        assert!(requirements(Some("org_tree"), &Method::GET, &[]).is_empty());
        let browse = requirements(Some("activities_browse"), &Method::GET, &[]);
        assert_eq!(browse.len(), 3);
        assert!(browse[0].is_empty());
        assert_eq!(
            requirements(Some("console_logout"), &Method::POST, &[]),
            vec![requirement(&[CONSOLE_COOKIE, CSRF])]
        );
        // A scheme declared elsewhere is kept, the cookie added beside it.
        let declared = vec![requirement(&["BearerAuth"])];
        assert_eq!(
            requirements(Some("me_get"), &Method::GET, &declared),
            vec![requirement(&["BearerAuth"]), requirement(&[CONSOLE_COOKIE])]
        );
    }
}
