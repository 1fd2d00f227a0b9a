//! The staff console's sign-in: one-time login codes scanned with the mini-program (扫码登录),
//! development sign-in, the cookie session and its list. See `crate::console` for the rules.

use super::{ApiTags, Done};
use crate::access::{self, Action, Caller, Role, UnitRef};
use crate::audit;
use crate::console::{self, agent, ClientInfo, ConsoleSession};
use crate::error::ApiError;
use crate::state::{cookie, ctx, AppState};
use base64::Engine;
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use sqlx::Row;
use std::time::{Duration, Instant};

pub struct ConsoleApi;

#[derive(Object)]
struct LoginCodeOut {
    /// The one-time code (the mini-program code's scene). Valid for 2 minutes, once.
    nonce: String,
    /// The mini-program code to show (PNG).
    qr_url: String,
    /// Where to poll (`?wait=25` to long-poll).
    status_url: String,
    expires_at: String,
}

#[derive(ApiResponse)]
enum LoginCodeCreated {
    /// The code. The cookie `ch_login` binds it to this browser: only this browser can collect
    /// the session.
    #[oai(status = 200)]
    Ok(
        Json<LoginCodeOut>,
        #[oai(header = "Set-Cookie")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

#[derive(Object)]
struct LoginCodeStatus {
    /// `pending`, `scanned` (on a phone, waiting for 确认登录), `confirmed` (this answer signed
    /// the browser in), `rejected`, `expired`, or `used` (already collected).
    status: String,
    expires_at: String,
}

#[derive(ApiResponse)]
enum LoginCodePoll {
    /// The status; on `confirmed` the session cookie `ch_console` is set (once).
    #[oai(status = 200)]
    Ok(
        Json<LoginCodeStatus>,
        #[oai(header = "Set-Cookie")] Option<String>,
        #[oai(header = "Cache-Control")] String,
    ),
}

#[derive(ApiResponse)]
enum QrImage {
    /// The mini-program code that opens `pages/console/confirm` with the nonce as its scene.
    #[oai(status = 200, content_type = "image/png")]
    Png(Binary<Vec<u8>>, #[oai(header = "Cache-Control")] String),
    /// What WeChat sent, when it could not be converted.
    #[oai(status = 200, content_type = "image/jpeg")]
    Jpeg(Binary<Vec<u8>>, #[oai(header = "Cache-Control")] String),
}

#[derive(Object)]
struct ScanOut {
    nonce: String,
    /// `scanned`.
    status: String,
    /// What is asking to sign in: `Chrome 120 · Windows`.
    browser: String,
    /// Approximate place, when known (`本机`, `内部网络`, or the proxy's GeoIP header); may be empty.
    place: String,
    /// The browser's address with the last part hidden (`203.0.113.*`); may be empty.
    ip: String,
    /// When the browser asked.
    created_at: String,
    expires_at: String,
}

#[derive(Object)]
struct Decision {
    /// `true`: 确认登录; `false`: 取消.
    approve: bool,
}

#[derive(Object)]
struct DecisionOut {
    /// `confirmed` or `rejected`.
    status: String,
}

#[derive(Object)]
struct DevConsoleSignIn {
    /// As for `/auth/dev`: signs in the person `dev:<openid>`, who must hold a staff role.
    #[oai(validator(min_length = 1, max_length = 64))]
    openid: String,
}

#[derive(Object)]
struct ConsoleUser {
    id: i64,
    display_name: String,
}

#[derive(Object)]
struct ConsoleGrant {
    grant_id: i64,
    role: Role,
    role_label: String,
    unit_id: i64,
    unit_name: String,
    unit_short_name: String,
    /// `main`, `direct_branch`, `branch` or `point`.
    unit_level: String,
    /// The unit's place in the tree (`/1/4/27/`): the grant covers every unit whose path
    /// starts with it.
    unit_path: String,
    /// What this grant allows there and below (`manage_activities`, `grant_volunteer`, …).
    actions: Vec<String>,
}

#[derive(Object)]
struct SessionInfo {
    session_id: i64,
    user: ConsoleUser,
    grants: Vec<ConsoleGrant>,
    /// Only read-only roles (district supervisor, evaluator): show no write controls.
    read_only: bool,
    /// Send as `X-CSRF-Token` on every write.
    csrf_token: String,
    created_at: String,
    /// The absolute end (12 hours after sign-in by default).
    expires_at: String,
    /// When the session ends without further requests (2 hours idle by default).
    idle_expires_at: String,
    idle_minutes: i64,
}

#[derive(ApiResponse)]
enum SignedIn {
    /// Signed in: the session cookie is set.
    #[oai(status = 200)]
    Ok(
        Json<SessionInfo>,
        #[oai(header = "Set-Cookie")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

#[derive(ApiResponse)]
enum SessionAnswer {
    #[oai(status = 200)]
    Ok(Json<SessionInfo>, #[oai(header = "Cache-Control")] String),
}

#[derive(ApiResponse)]
enum SignedOut {
    /// The session is over and its cookie cleared.
    #[oai(status = 200)]
    Ok(Json<Done>, #[oai(header = "Set-Cookie")] String),
}

#[derive(Object)]
struct DevAccount {
    /// Pass to `/console/dev-login`.
    openid: String,
    display_name: String,
    roles: Vec<String>,
}

#[derive(Object)]
struct DevAccounts {
    items: Vec<DevAccount>,
}

#[derive(Object)]
struct SessionItem {
    id: i64,
    /// `scan` or `dev`.
    via: String,
    browser: String,
    place: String,
    /// Masked.
    ip: String,
    created_at: String,
    last_used_at: String,
    expires_at: String,
    idle_expires_at: String,
    /// The session of this request.
    current: bool,
}

#[derive(Object)]
struct SessionList {
    user_id: i64,
    items: Vec<SessionItem>,
}

fn no_store() -> String {
    "no-store".into()
}

fn client(st: &AppState, req: &Request) -> ClientInfo {
    let c = ctx(req);
    let ua = req
        .headers()
        .get("user-agent")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let header = (!st.settings.console.place_header.is_empty())
        .then(|| {
            req.headers()
                .get(st.settings.console.place_header.as_str())
                .and_then(|h| h.to_str().ok())
        })
        .flatten();
    ClientInfo {
        browser: agent::describe(ua),
        place: agent::place(header, &c.ip),
        ip: c.ip,
    }
}

fn cookie_attrs(st: &AppState) -> &'static str {
    if st.settings.console_cookie_secure() {
        "; HttpOnly; SameSite=Strict; Secure"
    } else {
        "; HttpOnly; SameSite=Strict"
    }
}

fn session_cookie(st: &AppState, token: &str) -> String {
    format!(
        "{}={token}; Path=/; Max-Age={}{}",
        console::SESSION_COOKIE,
        st.settings.console.absolute_hours * 3600,
        cookie_attrs(st)
    )
}

fn cleared_session_cookie(st: &AppState) -> String {
    format!(
        "{}=; Path=/; Max-Age=0{}",
        console::SESSION_COOKIE,
        cookie_attrs(st)
    )
}

fn route_not_found() -> ApiError {
    ApiError::new(
        poem::http::StatusCode::NOT_FOUND,
        "route_not_found",
        "请求的接口不存在",
    )
}

/// Caches the code's image for its lifetime, so showing it again costs no WeChat call.
const QR_CACHE_SECS: u64 = console::CODE_TTL_SECS as u64 + 30;

async fn code_image(st: &AppState, nonce: &str) -> Result<Vec<u8>, ApiError> {
    let key = format!("console:qr:{nonce}");
    if let Some(b) = st.cache.get(&key).await {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b) {
            return Ok(bytes);
        }
    }
    let raw = st
        .wechat
        .wxacode_unlimit(nonce, console::CONFIRM_PAGE)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "getwxacodeunlimit failed (console login code)");
            ApiError::upstream("wechat_unavailable", "微信服务繁忙，暂时无法生成登录二维码")
        })?;
    // WeChat sends JPEG; the console shows PNG, which keeps a QR code's edges sharp.
    let png = tokio::task::spawn_blocking(move || to_png(&raw).unwrap_or(raw))
        .await
        .map_err(|_| ApiError::internal())?;
    st.cache
        .set(
            &key,
            &base64::engine::general_purpose::STANDARD.encode(&png),
            Duration::from_secs(QR_CACHE_SECS),
        )
        .await;
    Ok(png)
}

fn to_png(bytes: &[u8]) -> Option<Vec<u8>> {
    let img = image::load_from_memory(bytes).ok()?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).ok()?;
    Some(out.into_inner())
}

/// The grants shown in the session, with unit names and what each allows.
async fn session_info(
    st: &AppState,
    caller: &Caller,
    session: &ConsoleSession,
    token: &str,
) -> Result<SessionInfo, ApiError> {
    let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(caller.user_id)
        .fetch_one(st.db.pool())
        .await?;
    let mut grants = Vec::new();
    for g in &caller.grants {
        let u = sqlx::query("SELECT name, short_name, level FROM org_units WHERE id = $1")
            .bind(g.unit_id)
            .fetch_one(st.db.pool())
            .await?;
        grants.push(ConsoleGrant {
            grant_id: g.id,
            role: g.role,
            role_label: g.role.label().into(),
            unit_id: g.unit_id,
            unit_name: u.get("name"),
            unit_short_name: u.get("short_name"),
            unit_level: u.get("level"),
            unit_path: g.unit_path.clone(),
            actions: access::action_names(g.role),
        });
    }
    let read_only = caller
        .grants
        .iter()
        .filter(|g| g.role != Role::Volunteer)
        .all(|g| matches!(g.role, Role::DistrictSupervisor | Role::Evaluator));
    Ok(SessionInfo {
        session_id: session.id,
        user: ConsoleUser {
            id: caller.user_id,
            display_name: name,
        },
        grants,
        read_only,
        csrf_token: console::csrf_token(token),
        created_at: session.created_at.clone(),
        expires_at: session.expires_at.clone(),
        idle_expires_at: session.idle_expires_at(st.settings.console.idle_minutes),
        idle_minutes: st.settings.console.idle_minutes,
    })
}

/// A security event about console sign-in (not tied to a unit).
async fn security(st: &AppState, req: &Request, actor: Option<i64>, action: &str, detail: String) {
    let c = ctx(req);
    audit::security_event(
        &st.db,
        &st.now(),
        audit::Entry {
            actor_id: actor,
            action,
            unit_id: None,
            target: "console".into(),
            detail,
            ip: &c.ip,
            request_id: &c.request_id,
        },
    )
    .await;
}

/// May `caller` see and end `user_id`'s console sessions? Their own, or anyone whose staff
/// role the caller may revoke (the same rule as `DELETE /admin/grants/{id}`). Returns the unit
/// to record an admin's action against.
async fn authorize_over(
    st: &AppState,
    req: &Request,
    caller: &Caller,
    user_id: i64,
) -> Result<Option<i64>, ApiError> {
    if user_id == caller.user_id {
        return Ok(None);
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(st.db.pool())
        .await?;
    if exists.is_none() {
        return Err(ApiError::not_found("该用户"));
    }
    let grants = crate::identity::grants_of(&st.db, user_id).await?;
    let staff: Vec<_> = grants
        .iter()
        .filter(|g| g.role != Role::Volunteer)
        .collect();
    for g in &staff {
        let unit = UnitRef {
            id: g.unit_id,
            path: g.unit_path.clone(),
        };
        if access::check(caller, Action::Grant(g.role), &unit).is_ok() {
            return Ok(Some(g.unit_id));
        }
    }
    // Refused: recorded against the person's first staff unit, or the main center.
    let (role, unit) = match staff.first() {
        Some(g) => (
            g.role,
            UnitRef {
                id: g.unit_id,
                path: g.unit_path.clone(),
            },
        ),
        None => (
            Role::CenterAdmin,
            crate::org::root(&st.db)
                .await?
                .ok_or_else(ApiError::forbidden)?,
        ),
    };
    st.authorize(req, caller, Action::Grant(role), &unit)
        .await?;
    Err(ApiError::forbidden())
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Console")]
impl ConsoleApi {
    /// Start scan-to-sign-in: a one-time code, shown as a mini-program code.
    #[oai(
        path = "/console/login-codes",
        method = "post",
        operation_id = "console_login_code_create"
    )]
    async fn create_code(&self, st: Data<&AppState>, req: &Request) -> Result<LoginCodeCreated> {
        let c = ctx(req);
        st.limit(
            &format!("console-code:{}", c.ip),
            st.settings.rate_limit.signin_per_minute,
        )
        .await?;
        let nonce = console::new_nonce();
        // Ask WeChat first: a code that cannot be shown is not worth storing.
        code_image(&st, &nonce).await?;
        let binding = crate::identity::new_secret();
        let expires_at =
            console::create_code(&st.db, &nonce, &binding, &client(&st, req), st.clock.now())
                .await?;
        let base = format!("/api/v1/console/login-codes/{nonce}");
        let set_cookie = format!(
            "{}={binding}; Path={base}; Max-Age={}{}",
            console::LOGIN_COOKIE,
            console::CODE_TTL_SECS + console::COLLECT_SECS + 60,
            cookie_attrs(&st)
        );
        Ok(LoginCodeCreated::Ok(
            Json(LoginCodeOut {
                qr_url: format!("{base}/qr.png"),
                status_url: base,
                nonce,
                expires_at,
            }),
            set_cookie,
            no_store(),
        ))
    }

    /// The login code's mini-program code image.
    #[oai(
        path = "/console/login-codes/:nonce/qr.png",
        method = "get",
        operation_id = "console_login_code_qr"
    )]
    async fn qr(&self, st: Data<&AppState>, nonce: Path<String>) -> Result<QrImage> {
        let code = console::code(&st.db, &nonce.0)
            .await?
            .ok_or_else(|| ApiError::not_found("该登录二维码"))?;
        if !matches!(
            console::effective_status(&code, &st.now()),
            "pending" | "scanned"
        ) {
            return Err(ApiError::not_found("该登录二维码").into());
        }
        let bytes = code_image(&st, &code.nonce).await?;
        Ok(if bytes.starts_with(b"\x89PNG") {
            QrImage::Png(Binary(bytes), no_store())
        } else {
            QrImage::Jpeg(Binary(bytes), no_store())
        })
    }

    /// The code's status, for the browser that created it (others get 404). With `wait`
    /// (seconds), the answer waits until the status changes or the time is up. When the phone
    /// has confirmed, this answer sets the session cookie — once.
    #[oai(
        path = "/console/login-codes/:nonce",
        method = "get",
        operation_id = "console_login_code_status"
    )]
    async fn status(
        &self,
        st: Data<&AppState>,
        req: &Request,
        nonce: Path<String>,
        /// Long-poll for up to this many seconds (capped below the request timeout).
        #[oai(validator(minimum(value = "0"), maximum(value = "60")))]
        wait: Query<Option<u64>>,
    ) -> Result<LoginCodePoll> {
        let not_found = || ApiError::not_found("该登录二维码");
        let binding = cookie(req, console::LOGIN_COOKIE).ok_or_else(not_found)?;
        let wait = wait
            .0
            .unwrap_or(0)
            .min(st.settings.request_timeout_secs.saturating_sub(3));
        let deadline = Instant::now() + Duration::from_secs(wait);
        let mut first: Option<&'static str> = None;
        loop {
            let code = console::code(&st.db, &nonce.0)
                .await?
                .ok_or_else(not_found)?;
            if crate::identity::hash_secret(binding) != code.binding_hash {
                return Err(not_found().into());
            }
            let status = console::effective_status(&code, &st.now());
            if status == "confirmed" {
                let collected = console::collect(
                    &st.db,
                    &code,
                    &client(&st, req),
                    st.clock.now(),
                    st.settings.console.absolute_hours,
                )
                .await?;
                return Ok(match collected {
                    Some((token, session_id, user_id)) => {
                        security(
                            &st,
                            req,
                            Some(user_id),
                            "console_signed_in",
                            format!("session {session_id} via scan"),
                        )
                        .await;
                        LoginCodePoll::Ok(
                            Json(LoginCodeStatus {
                                status: "confirmed".into(),
                                expires_at: code.expires_at,
                            }),
                            Some(session_cookie(&st, &token)),
                            no_store(),
                        )
                    }
                    None => LoginCodePoll::Ok(
                        Json(LoginCodeStatus {
                            status: "used".into(),
                            expires_at: code.expires_at,
                        }),
                        None,
                        no_store(),
                    ),
                });
            }
            let initial = *first.get_or_insert(status);
            let settled = matches!(status, "expired" | "rejected" | "used");
            if settled || status != initial || Instant::now() >= deadline {
                return Ok(LoginCodePoll::Ok(
                    Json(LoginCodeStatus {
                        status: status.into(),
                        expires_at: code.expires_at,
                    }),
                    None,
                    no_store(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
    }

    /// The mini-program scanned a login code: say what is asking to sign in.
    #[oai(
        path = "/console/login-codes/:nonce/scan",
        method = "post",
        operation_id = "console_login_code_scan"
    )]
    async fn scan(
        &self,
        st: Data<&AppState>,
        req: &Request,
        nonce: Path<String>,
    ) -> Result<Json<ScanOut>> {
        let caller = st.caller(req).await?;
        if !console::may_sign_in(&caller.grants) {
            return Err(console::not_staff().into());
        }
        let code = console::scan(&st.db, &nonce.0, caller.user_id, st.clock.now()).await?;
        Ok(Json(ScanOut {
            nonce: code.nonce,
            status: "scanned".into(),
            browser: code.browser,
            place: code.place,
            ip: agent::mask_ip(&code.ip),
            created_at: code.created_at,
            expires_at: code.expires_at,
        }))
    }

    /// 确认登录 or 取消, by the person who scanned.
    #[oai(
        path = "/console/login-codes/:nonce/confirm",
        method = "post",
        operation_id = "console_login_code_confirm"
    )]
    async fn confirm(
        &self,
        st: Data<&AppState>,
        req: &Request,
        nonce: Path<String>,
        body: Json<Decision>,
    ) -> Result<Json<DecisionOut>> {
        let caller = st.caller(req).await?;
        if body.approve && !console::may_sign_in(&caller.grants) {
            return Err(console::not_staff().into());
        }
        let status = console::decide(
            &st.db,
            &nonce.0,
            caller.user_id,
            body.approve,
            st.clock.now(),
        )
        .await?;
        security(
            &st,
            req,
            Some(caller.user_id),
            if body.approve {
                "console_login_confirmed"
            } else {
                "console_login_rejected"
            },
            String::new(),
        )
        .await;
        Ok(Json(DecisionOut {
            status: status.into(),
        }))
    }

    /// Development sign-in for the console. Exists only when `dev_login` is enabled.
    #[oai(
        path = "/console/dev-login",
        method = "post",
        operation_id = "console_dev_login"
    )]
    async fn dev_login(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<DevConsoleSignIn>,
    ) -> Result<SignedIn> {
        if !st.settings.dev_login {
            return Err(route_not_found().into());
        }
        let c = ctx(req);
        st.limit(
            &format!("signin:{}", c.ip),
            st.settings.rate_limit.signin_per_minute.max(1000),
        )
        .await?;
        let user_id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE openid = $1 AND deleted_at IS NULL")
                .bind(format!("dev:{}", body.openid))
                .fetch_optional(st.db.pool())
                .await
                .map_err(ApiError::from)?;
        // Someone who never signed in holds no role either.
        let user_id = user_id.ok_or_else(console::not_staff)?;
        let grants = crate::identity::grants_of(&st.db, user_id).await?;
        if !console::may_sign_in(&grants) {
            return Err(console::not_staff().into());
        }
        let now = st.clock.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let (token, session_id, _) = console::open_session(
            &mut tx,
            user_id,
            "dev",
            &client(&st, req),
            now,
            st.settings.console.absolute_hours,
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        security(
            &st,
            req,
            Some(user_id),
            "console_signed_in",
            format!("session {session_id} via dev"),
        )
        .await;
        let (caller, session) =
            console::caller_for_cookie(&st.db, &token, now, st.settings.console.idle_minutes)
                .await?
                .ok_or_else(ApiError::internal)?;
        let info = session_info(&st, &caller, &session, &token).await?;
        Ok(SignedIn::Ok(
            Json(info),
            session_cookie(&st, &token),
            no_store(),
        ))
    }

    /// The demo accounts development sign-in offers (only when `dev_login` is enabled).
    #[oai(
        path = "/console/dev-accounts",
        method = "get",
        operation_id = "console_dev_accounts"
    )]
    async fn dev_accounts(&self, st: Data<&AppState>) -> Result<Json<DevAccounts>> {
        if !st.settings.dev_login {
            return Err(route_not_found().into());
        }
        let rows = sqlx::query(
            "SELECT u.openid, u.display_name, g.role, o.short_name FROM users u \
             JOIN role_grants g ON g.user_id = u.id AND g.revoked_at IS NULL \
             JOIN org_units o ON o.id = g.unit_id \
             WHERE u.openid LIKE 'dev:%' AND u.deleted_at IS NULL AND g.role <> 'volunteer' \
             ORDER BY u.id, g.id LIMIT 200",
        )
        .fetch_all(st.db.pool())
        .await
        .map_err(ApiError::from)?;
        let mut items: Vec<DevAccount> = Vec::new();
        for r in rows {
            let openid: String = r.get("openid");
            let openid = openid.trim_start_matches("dev:").to_string();
            let role = Role::parse(&r.get::<String, _>("role"))
                .map(|x| x.label())
                .unwrap_or_default();
            let label = format!("{}（{}）", role, r.get::<String, _>("short_name"));
            match items.iter_mut().find(|a| a.openid == openid) {
                Some(a) => a.roles.push(label),
                None => items.push(DevAccount {
                    openid,
                    display_name: r.get("display_name"),
                    roles: vec![label],
                }),
            }
        }
        Ok(Json(DevAccounts { items }))
    }

    /// The console session of this browser: who, which grants (with what each allows), the
    /// CSRF token for writes, and when it ends.
    #[oai(
        path = "/console/session",
        method = "get",
        operation_id = "console_session"
    )]
    async fn session(&self, st: Data<&AppState>, req: &Request) -> Result<SessionAnswer> {
        let (caller, session) = st.console_session(req).await?;
        let token = crate::state::console_cookie(req).unwrap_or_default();
        let info = session_info(&st, &caller, &session, token).await?;
        Ok(SessionAnswer::Ok(Json(info), no_store()))
    }

    /// Sign this browser out.
    #[oai(
        path = "/console/logout",
        method = "post",
        operation_id = "console_logout"
    )]
    async fn logout(&self, st: Data<&AppState>, req: &Request) -> Result<SignedOut> {
        let (_, session) = st.console_session(req).await?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        console::end_session(&mut tx, session.id, &st.now(), "logout").await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(SignedOut::Ok(
            Json(Done { ok: true }),
            cleared_session_cookie(&st),
        ))
    }

    /// My live console sessions; with `user_id`, someone else's (whoever may revoke their
    /// staff role).
    #[oai(
        path = "/console/sessions",
        method = "get",
        operation_id = "console_sessions"
    )]
    async fn sessions(
        &self,
        st: Data<&AppState>,
        req: &Request,
        user_id: Query<Option<i64>>,
    ) -> Result<Json<SessionList>> {
        let caller = st.caller(req).await?;
        let current = match crate::state::console_cookie(req) {
            Some(t) if crate::state::bearer(req).is_none() => console::caller_for_cookie(
                &st.db,
                t,
                st.clock.now(),
                st.settings.console.idle_minutes,
            )
            .await?
            .map(|(_, s)| s.id),
            _ => None,
        };
        let who = user_id.0.unwrap_or(caller.user_id);
        authorize_over(&st, req, &caller, who).await?;
        let idle = st.settings.console.idle_minutes;
        let items = console::live_sessions(&st.db, who, st.clock.now(), idle)
            .await?
            .into_iter()
            .map(|s| SessionItem {
                current: Some(s.id) == current,
                idle_expires_at: s.idle_expires_at(idle),
                id: s.id,
                via: s.via,
                browser: s.browser,
                place: s.place,
                ip: agent::mask_ip(&s.ip),
                created_at: s.created_at,
                last_used_at: s.last_used_at,
                expires_at: s.expires_at,
            })
            .collect();
        Ok(Json(SessionList {
            user_id: who,
            items,
        }))
    }

    /// End a console session: one of mine, or (for whoever may revoke their staff role)
    /// someone else's.
    #[oai(
        path = "/console/sessions/:id",
        method = "delete",
        operation_id = "console_session_revoke"
    )]
    async fn revoke(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let (owner, live) = console::session_owner(&st.db, id.0).await?;
        let unit = authorize_over(&st, req, &caller, owner).await?;
        if !live {
            return Ok(Json(Done { ok: true }));
        }
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let reason = if owner == caller.user_id {
            "revoked_by_owner"
        } else {
            "revoked_by_admin"
        };
        console::end_session(&mut tx, id.0, &now, reason).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "console_session_revoked",
            unit,
            format!("user {owner}"),
            format!("session {}", id.0),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(Done { ok: true }))
    }
}
