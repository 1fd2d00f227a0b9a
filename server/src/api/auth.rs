use super::{ApiTags, Done};
use crate::access::Role;
use crate::audit;
use crate::error::ApiError;
use crate::identity;
use crate::privacy::mask_phone;
use crate::state::{ctx, AppState};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use sqlx::Row;

pub struct AuthApi;

#[derive(Object)]
struct WechatSignIn {
    /// The code from `wx.login`.
    #[oai(validator(min_length = 1, max_length = 128))]
    code: String,
}

#[derive(Object)]
struct DevSignIn {
    /// Any stable test identity; only accepted when `dev_login` is enabled.
    #[oai(validator(min_length = 1, max_length = 64))]
    openid: String,
}

#[derive(Object)]
struct Session {
    /// Opaque bearer token for `Authorization: Bearer …`.
    token: String,
    expires_at: String,
    user: Me,
}

#[derive(Object, Clone)]
pub struct RoleOut {
    pub grant_id: i64,
    pub role: Role,
    pub role_label: String,
    pub unit_id: i64,
    pub unit_name: String,
}

#[derive(Object)]
pub struct Me {
    id: i64,
    display_name: String,
    /// The full number, shown only to its owner.
    phone: Option<String>,
    phone_masked: Option<String>,
    roles: Vec<RoleOut>,
}

#[derive(Object)]
struct ProfilePatch {
    #[oai(validator(min_length = 1, max_length = 20))]
    display_name: String,
}

#[derive(Object)]
struct PhoneBind {
    /// The code from the `getPhoneNumber` button (not the `wx.login` code).
    #[oai(validator(min_length = 1, max_length = 256))]
    code: String,
}

#[derive(Object)]
struct Redeem {
    #[oai(validator(min_length = 1, max_length = 64))]
    code: String,
}

pub async fn roles_out(st: &AppState, user_id: i64) -> Result<Vec<RoleOut>, ApiError> {
    let rows = sqlx::query(
        "SELECT g.id, g.role, g.unit_id, u.name FROM role_grants g JOIN org_units u ON u.id = g.unit_id \
         WHERE g.user_id = $1 AND g.revoked_at IS NULL ORDER BY g.id",
    )
    .bind(user_id)
    .fetch_all(st.db.pool())
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let role = Role::parse(&r.get::<String, _>("role"))?;
            Some(RoleOut {
                grant_id: r.get("id"),
                role,
                role_label: role.label().into(),
                unit_id: r.get("unit_id"),
                unit_name: r.get("name"),
            })
        })
        .collect())
}

async fn me(st: &AppState, user_id: i64) -> Result<Me, ApiError> {
    let row = sqlx::query("SELECT display_name, phone FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(st.db.pool())
        .await?;
    let phone: Option<String> = row.get("phone");
    Ok(Me {
        id: user_id,
        display_name: row.get("display_name"),
        phone_masked: phone.as_deref().map(mask_phone),
        phone,
        roles: roles_out(st, user_id).await?,
    })
}

async fn open(st: &AppState, openid: &str, unionid: Option<&str>) -> Result<Json<Session>> {
    let now = st.clock.now();
    let expires = now + chrono::Duration::hours(st.settings.session_ttl_hours);
    let expires_at = crate::time::fmt(expires);
    let (token, user_id) =
        identity::open_session(&st.db, openid, unionid, &crate::time::fmt(now), &expires_at)
            .await?;
    Ok(Json(Session {
        token,
        expires_at,
        user: me(st, user_id).await?,
    }))
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Sign in with the code from `wx.login`; answers our own session token.
    #[oai(path = "/auth/wechat", method = "post", operation_id = "auth_wechat")]
    async fn wechat(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<WechatSignIn>,
    ) -> Result<Json<Session>> {
        let c = ctx(req);
        let rl = &st.settings.rate_limit;
        // A generous ceiling per client address, then a lockout for addresses that keep
        // sending wrong codes: behind a configured proxy that is the one client sending them,
        // not every resident (see `client_ip`). A valid code is limited per person.
        st.limit(&format!("signin:{}", c.ip), rl.signin_per_minute_per_ip)
            .await?;
        let failures = format!("signin-fail:{}", c.ip);
        if st.cache.rate_count(&failures).await >= rl.signin_per_minute as u64 {
            return Err(ApiError::rate_limited(60).into());
        }
        match st.wechat.code2session(&body.code).await {
            Ok(s) => {
                st.limit(&format!("signin-openid:{}", s.openid), rl.signin_per_minute)
                    .await?;
                open(&st, &s.openid, s.unionid.as_deref()).await
            }
            Err(e) => {
                let err = identity::signin_error(&e);
                if !err.status.is_server_error() {
                    let _ = st
                        .cache
                        .rate_limit(&failures, u32::MAX, std::time::Duration::from_secs(60))
                        .await;
                }
                audit::security_event(
                    &st.db,
                    &st.now(),
                    audit::Entry {
                        actor_id: None,
                        action: "signin_failed",
                        unit_id: None,
                        target: "wechat".into(),
                        detail: format!("errcode {:?}", e.errcode()),
                        ip: &c.ip,
                        request_id: &c.request_id,
                    },
                )
                .await;
                Err(err.into())
            }
        }
    }

    /// Development sign-in without WeChat. Exists only when `dev_login` is enabled.
    #[oai(path = "/auth/dev", method = "post", operation_id = "auth_dev")]
    async fn dev(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<DevSignIn>,
    ) -> Result<Json<Session>> {
        if !st.settings.dev_login {
            return Err(ApiError::new(
                poem::http::StatusCode::NOT_FOUND,
                "route_not_found",
                "请求的接口不存在",
            )
            .into());
        }
        let c = ctx(req);
        st.limit(
            &format!("signin:{}", c.ip),
            st.settings.rate_limit.signin_per_minute.max(1000),
        )
        .await?;
        open(&st, &format!("dev:{}", body.openid), None).await
    }

    /// End this session.
    #[oai(path = "/auth/logout", method = "post", operation_id = "auth_logout")]
    async fn logout(&self, st: Data<&AppState>, req: &Request) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        match crate::state::bearer(req) {
            Some(token) => {
                identity::revoke_session(&st.db, token, &st.now()).await?;
                st.identity_changed(caller.user_id);
            }
            // Signed in with the console's cookie: end that session.
            None => {
                let (_, session) = st.console_session(req).await?;
                let mut tx = st.db.begin().await.map_err(ApiError::from)?;
                crate::console::end_session(&mut tx, session.id, &st.now(), "logout").await?;
                tx.commit().await.map_err(ApiError::from)?;
            }
        }
        Ok(Json(Done { ok: true }))
    }

    /// My profile and roles.
    #[oai(path = "/me", method = "get", operation_id = "me_get")]
    async fn me_get(&self, st: Data<&AppState>, req: &Request) -> Result<Json<Me>> {
        let caller = st.caller(req).await?;
        Ok(Json(me(&st, caller.user_id).await?))
    }

    /// Change my display name.
    #[oai(path = "/me", method = "patch", operation_id = "me_update")]
    async fn me_update(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<ProfilePatch>,
    ) -> Result<Json<Me>> {
        let caller = st.caller(req).await?;
        let name = body.display_name.trim();
        if crate::input::blank(name) {
            return Err(ApiError::validation("昵称不能为空").into());
        }
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
            .bind(name)
            .bind(caller.user_id)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(me(&st, caller.user_id).await?))
    }

    /// Bind my phone number with the code from the `getPhoneNumber` button.
    #[oai(path = "/me/phone", method = "post", operation_id = "me_phone")]
    async fn phone(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<PhoneBind>,
    ) -> Result<Json<Me>> {
        let caller = st.caller(req).await?;
        let info = st
            .wechat
            .phone_number(&body.code)
            .await
            .map_err(|e| match e.errcode() {
                Some(40029) => {
                    ApiError::bad_request("phone_code_invalid", "手机号授权已失效，请重新授权")
                }
                Some(45011) => ApiError::rate_limited(60),
                _ => ApiError::upstream("wechat_unavailable", "微信服务繁忙，请稍后再试"),
            })?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        sqlx::query("UPDATE users SET phone = $1 WHERE id = $2")
            .bind(&info.pure_phone_number)
            .bind(caller.user_id)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(me(&st, caller.user_id).await?))
    }

    /// Everything we hold about me, as JSON (PIPL right of access and copy).
    #[oai(path = "/me/export", method = "get", operation_id = "me_export")]
    async fn export(&self, st: Data<&AppState>, req: &Request) -> Result<Json<serde_json::Value>> {
        let caller = st.caller(req).await?;
        Ok(Json(crate::personal::export(&st.db, caller.user_id).await?))
    }

    /// Delete my account: personal data erased, sessions ended, staff roles revoked.
    #[oai(path = "/me", method = "delete", operation_id = "me_delete")]
    async fn delete(&self, st: Data<&AppState>, req: &Request) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        crate::personal::erase(&st.db, caller.user_id, &st.now()).await?;
        st.identity_changed(caller.user_id);
        st.browse_changed();
        // Room bookings were taken off their calendars.
        st.calendars_changed();
        Ok(Json(Done { ok: true }))
    }

    /// Take up a role with an invitation code from a unit's administrator.
    #[oai(
        path = "/auth/invitations/redeem",
        method = "post",
        operation_id = "invitation_redeem"
    )]
    async fn redeem(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<Redeem>,
    ) -> Result<Json<Me>> {
        let caller = st.caller(req).await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let (grant_id, role, unit_id) =
            identity::redeem_invitation(&mut tx, &body.code, caller.user_id, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "role_granted",
            Some(unit_id),
            format!("grant {grant_id}"),
            format!("{} via invitation", role.as_str()),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.identity_changed(caller.user_id);
        Ok(Json(me(&st, caller.user_id).await?))
    }
}
