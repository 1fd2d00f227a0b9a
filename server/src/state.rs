//! What every handler shares, and the request-level helpers that keep handlers thin:
//! who is calling, may they do this, rate limits.

use crate::access::{self, Action, Caller, UnitRef};
use crate::audit;
use crate::cache::Cache;
use crate::config::Settings;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::metrics::Metrics;
use crate::time::Clock;
use crate::wechat::fake::FakeWechat;
use crate::wechat::WechatClient;
use poem::Request;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub cache: Cache,
    pub wechat: WechatClient,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    /// Present when the fake WeChat server runs inside this process (embedded default, tests).
    pub fake_wechat: Option<FakeWechat>,
    /// Derives ticket QR tokens (see `checkin::ticket_token`).
    pub ticket_key: Arc<Vec<u8>>,
    /// Ready public browse pages (see `api::activities`).
    pub pages: Arc<crate::cache::PageCache<crate::api::activities::CachedPage>>,
    /// Where uploaded files' bytes are kept (see `files`).
    pub storage: crate::storage::BlobStore,
    /// Bearer session → caller, kept exact by the change feed (see `caller_cache`, D210).
    pub callers: Arc<crate::caller_cache::CallerCache>,
    /// Seat pools known to be full, kept exact by the seat change feed (see `full_sessions`, D211).
    pub seats: Arc<crate::booking::Seats>,
    /// Ready staff inbox answers, kept exact by the inbox change feed (see `inbox_cache`, D265).
    pub inbox: Arc<crate::inbox_cache::InboxCache>,
    /// Ready staff week calendars of rooms, kept exact by the room calendar change feed (see
    /// `room_calendar_cache`, D274).
    pub room_calendar: Arc<crate::room_calendar_cache::RoomCalendarCache>,
}

/// Per-request facts set by the outer middleware.
#[derive(Clone, Debug)]
pub struct ReqCtx {
    pub request_id: String,
    pub ip: String,
}

pub fn ctx(req: &Request) -> ReqCtx {
    req.extensions().get::<ReqCtx>().cloned().unwrap_or(ReqCtx {
        request_id: String::new(),
        ip: String::new(),
    })
}

pub fn bearer(req: &Request) -> Option<&str> {
    let h = req.headers().get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = h.split_once(' ').unwrap_or((h, ""));
    // An empty header, or a bearer credential with no token, cannot be valid: it is looked up
    // (and refused with 401) rather than ignored in favour of the console cookie. Other schemes
    // (a proxy's Basic authentication) are not ours and are ignored.
    (h.is_empty() || scheme.eq_ignore_ascii_case("bearer")).then(|| token.trim())
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all("cookie")
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The console's session cookie, if sent.
pub fn console_cookie(req: &Request) -> Option<&str> {
    cookie(req, crate::console::SESSION_COOKIE)
}

fn is_write(req: &Request) -> bool {
    !matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS")
}

impl AppState {
    pub fn now(&self) -> String {
        self.clock.now_str()
    }

    /// Something residents browse changed (an activity, a session, a seat).
    pub fn browse_changed(&self) {
        self.pages.invalidate();
    }

    /// A rating, reply or read mark at the unit with this path has committed: drop the inbox
    /// answers that show it here at once (other instances learn it from the change feed).
    pub fn inbox_changed(&self, unit_path: &str) {
        self.inbox.invalidate_path(unit_path);
    }

    /// A room of this unit, its hours or photos, a closure or a room booking on its calendar has
    /// committed: drop this unit's ready calendars here at once (other instances learn it from
    /// the change feed).
    pub fn calendar_changed(&self, unit_id: i64) {
        self.room_calendar.invalidate_unit(unit_id);
    }

    /// Sessions or an activity's title changed (which units' calendars show them is not worth
    /// working out here): drop every ready calendar here at once.
    pub fn calendars_changed(&self) {
        self.room_calendar.flush();
    }

    /// The signed-in caller, or 401: from the bearer token, or else from the console's session
    /// cookie (which must also carry the CSRF token on writes). Writes are rate limited per
    /// user here. This is the one place a request becomes a person.
    pub async fn caller(&self, req: &Request) -> ApiResult<Caller> {
        let caller = match bearer(req) {
            Some(token) => self
                .caller_for_bearer(token)
                .await?
                .ok_or_else(crate::console::session_invalid)?,
            None if console_cookie(req).is_some() => return Ok(self.console_session(req).await?.0),
            None => return Err(ApiError::unauthenticated()),
        };
        self.limit_writes(req, &caller).await?;
        Ok(caller)
    }

    /// The caller behind a bearer token: from the in-process cache when it holds a live entry,
    /// from the database otherwise (and then cached, unless an invalidation raced the read).
    pub async fn caller_for_bearer(&self, token: &str) -> ApiResult<Option<Caller>> {
        let hash = crate::identity::hash_secret(token);
        let now = self.now();
        if let Some(c) = self.callers.get(&hash, &now) {
            return Ok(Some(c));
        }
        let generation = self.callers.generation();
        let found = crate::identity::caller_for_hash(&self.db, &hash, &now).await?;
        Ok(found.map(|(caller, expires_at)| {
            self.callers
                .put(hash, generation, caller.clone(), expires_at);
            caller
        }))
    }

    /// A person's sessions, grants or account changed and the change has committed: drop
    /// their cached callers here at once (other instances learn it from the change feed).
    pub fn identity_changed(&self, user_id: i64) {
        self.callers.invalidate_user(user_id);
    }

    /// The caller behind the console's session cookie, with the session itself (401 without a
    /// live one). Writes must carry the session's CSRF token in `X-CSRF-Token`.
    pub async fn console_session(
        &self,
        req: &Request,
    ) -> ApiResult<(Caller, crate::console::ConsoleSession)> {
        let token = console_cookie(req).ok_or_else(ApiError::unauthenticated)?;
        let now = self.clock.now();
        let (caller, session) = crate::console::caller_for_cookie(
            &self.db,
            token,
            now,
            self.settings.console.idle_minutes,
        )
        .await?
        .ok_or_else(crate::console::session_invalid)?;
        if is_write(req) {
            let sent = req
                .headers()
                .get(crate::console::CSRF_HEADER)
                .and_then(|h| h.to_str().ok());
            if !crate::console::csrf_matches(token, sent) {
                let c = ctx(req);
                audit::security_event(
                    &self.db,
                    &self.now(),
                    audit::Entry {
                        actor_id: Some(caller.user_id),
                        action: "csrf_failed",
                        unit_id: None,
                        target: format!("{} {}", req.method(), req.uri().path()),
                        detail: if sent.is_some() {
                            "wrong token"
                        } else {
                            "no token"
                        }
                        .into(),
                        ip: &c.ip,
                        request_id: &c.request_id,
                    },
                )
                .await;
                return Err(crate::console::csrf_failed());
            }
        }
        crate::console::touch(&self.db, &session, now).await?;
        self.limit_writes(req, &caller).await?;
        Ok((caller, session))
    }

    async fn limit_writes(&self, req: &Request, caller: &Caller) -> ApiResult<()> {
        if is_write(req) {
            self.limit(
                &format!("user:{}:w", caller.user_id),
                self.settings.rate_limit.writes_per_minute,
            )
            .await?;
        }
        Ok(())
    }

    /// The caller when a token or console cookie is sent; anonymous otherwise. A bad one is
    /// still a 401, so a client with an expired session learns it instead of silently seeing
    /// public data.
    pub async fn maybe_caller(&self, req: &Request) -> ApiResult<Option<Caller>> {
        if bearer(req).is_none() && console_cookie(req).is_none() {
            return Ok(None);
        }
        self.caller(req).await.map(Some)
    }

    pub async fn limit(&self, key: &str, per_minute: u32) -> ApiResult<()> {
        self.cache
            .rate_limit(key, per_minute, Duration::from_secs(60))
            .await
            .map_err(ApiError::rate_limited)
    }

    /// `access::check`, with the denial recorded as a security event.
    pub async fn authorize(
        &self,
        req: &Request,
        caller: &Caller,
        action: Action,
        unit: &UnitRef,
    ) -> ApiResult<()> {
        match access::check(caller, action, unit) {
            Ok(()) => Ok(()),
            Err(e) => {
                let c = ctx(req);
                audit::security_event(
                    &self.db,
                    &self.now(),
                    audit::Entry {
                        actor_id: Some(caller.user_id),
                        action: "access_denied",
                        unit_id: Some(unit.id),
                        target: format!("{} {}", req.method(), req.uri().path()),
                        detail: format!("{action:?}"),
                        ip: &c.ip,
                        request_id: &c.request_id,
                    },
                )
                .await;
                Err(e)
            }
        }
    }

    /// `authorize` against a unit id (404 for an unknown unit).
    pub async fn authorize_unit(
        &self,
        req: &Request,
        caller: &Caller,
        action: Action,
        unit_id: i64,
    ) -> ApiResult<UnitRef> {
        let unit = self.unit_ref(unit_id).await?;
        self.authorize(req, caller, action, &unit).await?;
        Ok(unit)
    }

    /// A unit's id and path, read from the database on every request: not cached, because
    /// answers cached elsewhere (the inbox pages) are computed from it and would keep a stale
    /// path alive beyond its own feed (D215).
    pub async fn unit_ref(&self, unit_id: i64) -> ApiResult<UnitRef> {
        crate::org::unit_ref(&self.db, unit_id).await
    }

    /// The caller's scope for a list, narrowed to one unit's subtree when `unit_id` is given
    /// (which must lie inside the scope). Returns (scope, path prefix to filter by).
    pub async fn scoped(
        &self,
        req: &Request,
        caller: &Caller,
        action: Action,
        unit_id: Option<i64>,
    ) -> ApiResult<(access::Scope, String)> {
        let scope = access::scope(caller, action);
        match unit_id {
            Some(id) => {
                let unit = self.unit_ref(id).await?;
                if !scope.covers(&unit.path) {
                    self.authorize(req, caller, action, &unit).await?;
                }
                Ok((scope, unit.path))
            }
            None => {
                if scope.is_empty() {
                    // No unit to name in the audit trail: record it against nothing.
                    let c = ctx(req);
                    audit::security_event(
                        &self.db,
                        &self.now(),
                        audit::Entry {
                            actor_id: Some(caller.user_id),
                            action: "access_denied",
                            unit_id: None,
                            target: format!("{} {}", req.method(), req.uri().path()),
                            detail: format!("{action:?}"),
                            ip: &c.ip,
                            request_id: &c.request_id,
                        },
                    )
                    .await;
                    return Err(ApiError::forbidden());
                }
                Ok((scope, "/".into()))
            }
        }
    }

    /// Records a staff action in `tx`, the transaction of the action itself.
    #[allow(clippy::too_many_arguments)]
    pub async fn audited(
        &self,
        tx: &mut crate::db::Tx,
        req: &Request,
        caller: &Caller,
        action: &str,
        unit_id: Option<i64>,
        target: String,
        detail: String,
    ) -> ApiResult<()> {
        let c = ctx(req);
        audit::record(
            tx,
            &self.now(),
            self.audit(&c, caller, action, unit_id, target, detail),
        )
        .await?;
        Ok(())
    }

    /// Records a staff action in its own transaction, right after the action committed (for
    /// actions whose domain function owns its transaction and takes no audit entry).
    pub async fn record_action(
        &self,
        req: &Request,
        caller: &Caller,
        action: &str,
        unit_id: Option<i64>,
        target: String,
        detail: String,
    ) -> ApiResult<()> {
        let c = ctx(req);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        audit::record(
            &mut tx,
            &now,
            self.audit(&c, caller, action, unit_id, target, detail),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Audit entry fields for this request.
    pub fn audit<'a>(
        &self,
        c: &'a ReqCtx,
        caller: &Caller,
        action: &'a str,
        unit_id: Option<i64>,
        target: String,
        detail: String,
    ) -> audit::Entry<'a> {
        audit::Entry {
            actor_id: Some(caller.user_id),
            action,
            unit_id,
            target,
            detail,
            ip: &c.ip,
            request_id: &c.request_id,
        }
    }
}
