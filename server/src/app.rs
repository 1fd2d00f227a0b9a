//! Building and running the service: state, routes, the outer middleware (request id,
//! error shape, metrics, timeouts, write limits per address), graceful shutdown.

use crate::cache::Cache;
use crate::config::Settings;
use crate::db::Db;
use crate::error::{self, ApiError};
use crate::metrics::Metrics;
use crate::state::{AppState, ReqCtx};
use crate::time::Clock;
use crate::wechat::fake::FakeWechat;
use crate::wechat::WechatClient;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{get, handler, Endpoint, EndpointExt, IntoResponse, Request, Response, Route, Server};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Db(#[from] crate::db::DbOpenError),
    #[error("数据库迁移失败: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Cache(#[from] crate::cache::CacheOpenError),
    #[error("无法启动模拟微信服务: {0}")]
    Fake(std::io::Error),
    #[error("演示数据加载失败: {0}")]
    Seed(String),
    #[error("{0}")]
    Storage(#[from] crate::storage::StorageOpenError),
}

/// Secret the embedded fake WeChat server and the client agree on when none is configured.
const LOCAL_FAKE_SECRET: &str = "local-fake-wechat-secret";

/// Connects storage, applies migrations, starts the embedded fake WeChat when configured,
/// and loads the demo network into an empty database when configured.
pub async fn build_state(settings: Settings, clock: Clock) -> Result<AppState, StartError> {
    let db = Db::connect(&settings.database_url).await?;
    // Instances started at the same moment on an empty database race to migrate (PostgreSQL
    // serialises this with an advisory lock; SQLite does not): a loser finds the work done on
    // its next try.
    let mut tries = 0;
    while let Err(e) = db.migrate().await {
        tries += 1;
        if tries >= STARTUP_TRIES {
            return Err(e.into());
        }
        tracing::warn!(error = %e, "migration raced with another instance; trying again");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let prefix = format!("culturehub:{}", short_hash(&settings.database_url));
    let cache = Cache::connect(settings.redis_url.as_deref(), &prefix).await?;
    let (base, secret, fake) = if settings.wechat.embedded_fake {
        let secret = if settings.wechat.secret.is_empty() {
            LOCAL_FAKE_SECRET.to_string()
        } else {
            settings.wechat.secret.clone()
        };
        let fake = FakeWechat::new(&settings.wechat.appid, &secret);
        for kind in crate::config::Templates::KINDS {
            if let Some(id) = settings.wechat.templates.id_for(kind) {
                fake.register_template(id);
            }
        }
        let wanted = settings.wechat.embedded_fake_port;
        let base = match fake.spawn(wanted).await {
            Ok(b) => b,
            Err(e) if wanted != 0 => {
                let b = fake.spawn(0).await.map_err(StartError::Fake)?;
                // Loudly, whatever the log level: a mini-program development build asks the
                // fixed port for login codes, which now belong to another instance's fake, so its
                // sign-in here would fail with wechat_code_invalid.
                eprintln!(
                    "\n注意：模拟微信端口 127.0.0.1:{wanted} 已被占用（{e}），本实例的模拟微信改用 {b}。\n\
                     小程序开发版默认从 {wanted} 取登录凭证，那些凭证属于另一个实例，在这里登录会失败（wechat_code_invalid）。\n\
                     请先停止另一个实例，或为本实例设置 CULTUREHUB_FAKE_WECHAT_PORT（0 表示任选空闲端口）。\n\
                     NOTE: fake WeChat port {wanted} is taken; this instance's fake moved to {b}. Sign-in from a\n\
                     mini-program development build pointed at {wanted} will fail here (wechat_code_invalid).\n"
                );
                tracing::warn!(error = %e, port = wanted, moved_to = %b, "fake WeChat port busy; moved to a free port");
                b
            }
            Err(e) => return Err(StartError::Fake(e)),
        };
        tracing::warn!(base = %base, "using the embedded FAKE WeChat server (local development and tests only)");
        (base, secret, Some(fake))
    } else {
        (
            settings.wechat.base_url.clone(),
            settings.wechat.secret.clone(),
            None,
        )
    };
    let wechat = WechatClient::new(&base, &settings.wechat.appid, &secret, cache.clone());
    if settings.dev_login {
        tracing::warn!("DEVELOPMENT SIGN-IN IS ENABLED: /api/v1/auth/dev accepts any identity without WeChat. Never enable this in production.");
    }
    let storage = crate::storage::BlobStore::open(&settings.storage, &settings.database_url)?;
    match &storage {
        crate::storage::BlobStore::Local(l) => {
            tracing::info!(dir = %l.root().display(), "uploaded files kept in a local directory")
        }
        crate::storage::BlobStore::S3(_) => tracing::info!(
            endpoint = %settings.storage.s3.endpoint,
            bucket = %settings.storage.s3.bucket,
            "uploaded files kept in S3-compatible object storage"
        ),
    }
    let ticket_key = crate::checkin::load_ticket_key(&db, &settings.ticket_key)
        .await
        .map_err(|e| StartError::Seed(e.to_string()))?;
    let callers = crate::caller_cache::CallerCache::new();
    crate::caller_cache::spawn_feed(callers.clone(), db.clone(), settings.database_url.clone());
    let seats = crate::booking::Seats::start(&db, &settings.database_url);
    let inbox = crate::inbox_cache::InboxCache::new();
    crate::inbox_cache::spawn_feed(inbox.clone(), db.clone(), settings.database_url.clone());
    // Inbox answers are keyed by scopes built from cached callers' unit paths: a path change
    // (the identity feed's `*`) drops them too (D269).
    {
        let inbox = inbox.clone();
        callers.also_flush(Box::new(move || inbox.flush()));
    }
    let room_calendar = crate::room_calendar_cache::RoomCalendarCache::new();
    crate::room_calendar_cache::spawn_feed(
        room_calendar.clone(),
        db.clone(),
        settings.database_url.clone(),
    );
    let state = AppState {
        callers,
        seats,
        inbox,
        room_calendar,
        pages: Arc::new(crate::cache::PageCache::new(Duration::from_secs(2))),
        ticket_key: Arc::new(ticket_key),
        settings: Arc::new(settings),
        db,
        cache,
        wechat,
        clock,
        metrics: Arc::new(Metrics::with_routes(crate::api::route_templates())),
        fake_wechat: fake,
        storage,
    };
    // Seeding checks before it writes, so two instances starting at once can both decide to
    // seed; the loser's transaction fails on a unique key and its next try finds the data.
    let mut tries = 0;
    while let Err(e) = seed(&state).await {
        tries += 1;
        if tries >= STARTUP_TRIES {
            return Err(StartError::Seed(e.to_string()));
        }
        tracing::warn!(error = %e, "demo data raced with another instance; trying again");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    Ok(state)
}

/// Attempts at migrating and seeding before a start fails.
const STARTUP_TRIES: u32 = 5;

async fn seed(state: &AppState) -> crate::error::ApiResult<()> {
    if state.settings.seed_demo_if_empty {
        crate::seed::demo_if_empty(state).await?;
    }
    crate::seed::demo_staff(state).await?;
    Ok(())
}

fn short_hash(s: &str) -> String {
    crate::identity::hash_secret(s)[..12].to_string()
}

pub fn routes(state: AppState) -> impl Endpoint<Output = Response> {
    let api = crate::api::service(&state);
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    let outer_state = state.clone();
    let console = crate::console::assets::ConsoleAssets::new(
        &state.settings.console.assets_dir,
        state.settings.console_cookie_secure(),
    );
    Route::new()
        .nest("/", api)
        .nest("/console", console)
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/metrics", get(metrics_main))
        .data(state)
        .around(move |ep, req| outer(ep, req, outer_state.clone()))
}

fn request_id(req: &Request) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|h| h.to_str().ok())
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

async fn outer<E: Endpoint>(ep: Arc<E>, mut req: Request, st: AppState) -> poem::Result<Response> {
    let start = Instant::now();
    let rid = request_id(&req);
    // The client's address: X-Forwarded-For counts only from a configured proxy.
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let ip = crate::client_ip::client_ip(
        req.remote_addr().as_socket_addr().map(|a| a.ip()),
        &forwarded,
        &crate::client_ip::nets(&st.settings.trusted_proxies),
    );
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let lang = error::lang_of(req.headers());
    req.extensions_mut().insert(ReqCtx {
        request_id: rid.clone(),
        ip: ip.clone(),
    });
    let is_write = !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS");
    let limited = if is_write {
        st.cache
            .rate_limit(
                &format!("ip:{ip}:w"),
                st.settings.rate_limit.writes_per_minute_per_ip,
                Duration::from_secs(60),
            )
            .await
            .err()
    } else {
        None
    };
    // Bodies are read here with the size limit, so every handler sees a bounded body whether
    // or not the client sent Content-Length. A declared length over the limit is refused
    // before a byte of the body is read.
    let body_limit = body_limit_for(&st.settings, &method, &path);
    let declared = req
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let is_json = req
        .headers()
        .get(poem::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    // Text input is checked here, once, for every route (see `input`).
    let bad_header = req
        .headers()
        .values()
        .any(|v| crate::conn::marked(v.as_bytes()));
    let mut bad_text = crate::input::check_path(&path)
        .and_then(|_| crate::input::check_query(req.uri().query().unwrap_or("")))
        .err();
    // A declared length over the limit is refused up front, whatever the method.
    let mut slow_body = false;
    let too_large = if let Some(n) = declared.filter(|n| *n > body_limit as u64) {
        linger(req.take_body(), n);
        true
    } else if !is_write {
        false
    } else {
        // A client trickling its body is cut off (slowloris): `body_read_timeout_secs`.
        match tokio::time::timeout(
            Duration::from_secs(st.settings.body_read_timeout_secs),
            req.take_body().into_bytes_limit(body_limit),
        )
        .await
        {
            Ok(Ok(bytes)) => {
                if is_json && bad_text.is_none() {
                    bad_text = crate::input::check_json_body(&bytes)
                        .and_then(|_| {
                            crate::api::check_body_types(
                                &st.metrics.route_label(&path),
                                &method,
                                &bytes,
                            )
                        })
                        .err();
                }
                req.set_body(bytes);
                false
            }
            Ok(Err(_)) => true,
            Err(_) => {
                slow_body = true;
                false
            }
        }
    };
    // While the database is known to be down, API requests are answered at once instead of
    // each waiting out the pool's acquire timeout; a background probe notices its return.
    let db_down = path.starts_with("/api/") && st.db.known_down();
    let result = match limited {
        _ if db_down => {
            st.db.ensure_probe();
            Err(ApiError::unavailable()
                .with_details(serde_json::json!({ "retry_after": 1 }))
                .into())
        }
        Some(retry) => Err(ApiError::rate_limited(retry).into()),
        None if slow_body => Err(ApiError::new(
            poem::http::StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            "请求内容发送太慢，连接已断开",
        )
        .into()),
        None if bad_header => {
            Err(ApiError::bad_request("invalid_header", "请求头含有不允许的控制字符").into())
        }
        None if bad_text.is_some() && !too_large => {
            Err(bad_text.unwrap_or_else(ApiError::internal).into())
        }
        None if too_large => Err(ApiError::new(
            poem::http::StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "请求内容太大（最大 {}）",
                crate::files::human_bytes(body_limit)
            ),
        )
        .with_details(serde_json::json!({ "max_bytes": body_limit }))
        .into()),
        None => {
            let timeout = Duration::from_secs(st.settings.request_timeout_secs);
            // Every log line written while handling the request carries its id.
            let span = tracing::info_span!("request", request_id = %rid);
            let call = st
                .db
                .scope(tracing::Instrument::instrument(ep.call(req), span));
            match tokio::time::timeout(timeout, call).await {
                Ok(r) => r.map(IntoResponse::into_response),
                Err(_) => Err(ApiError::new(
                    poem::http::StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    "处理超时，请稍后再试",
                )
                .into()),
            }
        }
    };
    // Unknown routes share one metrics label, so probes cannot create unbounded series.
    let mut unmatched = false;
    // A database error in this request marked the database down: start the probe.
    st.db.ensure_probe();
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => {
            unmatched = e.status() == poem::http::StatusCode::NOT_FOUND && !e.is::<ApiError>();
            error::render_in(e, &rid, lang)
        }
    };
    if let Ok(v) = poem::http::HeaderValue::from_str(&rid) {
        resp.headers_mut().insert("x-request-id", v);
    }
    protect(&mut resp, &path, &st.metrics.route_label(&path));
    if slow_body {
        resp.headers_mut().insert(
            poem::http::header::CONNECTION,
            poem::http::HeaderValue::from_static("close"),
        );
    }
    let status = resp.status().as_u16();
    let secs = start.elapsed().as_secs_f64();
    st.metrics.observe(
        &method,
        if unmatched {
            crate::metrics::UNMATCHED
        } else {
            &path
        },
        status,
        secs,
    );
    let route = st.metrics.route_label(&path);
    if status >= 500 {
        tracing::warn!(request_id = %rid, %method, path = %route, status, ms = secs * 1000.0, "request");
    } else {
        tracing::debug!(request_id = %rid, %method, path = %route, status, ms = secs * 1000.0, "request");
    }
    Ok(resp)
}

/// Headers every answer carries: no MIME sniffing, no referrer to other sites, never shown
/// in someone else's frame. API answers (tokens, invitation codes, `/me`, exports, tickets)
/// are not stored by browsers or proxies unless the handler chose a cache policy; a 405 says
/// which methods the route takes.
fn protect(resp: &mut Response, path: &str, route: &str) {
    use poem::http::header::{self, HeaderValue};
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        );
    }
    if (path.starts_with("/api/") || path == "/metrics") && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if resp.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED {
        if let Some(v) =
            crate::api::allowed_methods(route).and_then(|allow| HeaderValue::from_str(&allow).ok())
        {
            resp.headers_mut().insert(header::ALLOW, v);
        }
    }
}

/// Reads and discards a refused body in the background, within bounds, while the 413 is
/// answered: a client still sending its body would otherwise see the connection torn down
/// (broken pipe) instead of the answer. Declared bodies over 64 MB are not waited for.
fn linger(body: poem::Body, declared: u64) {
    const MAX_DRAIN: u64 = 64 << 20;
    if declared > MAX_DRAIN {
        return;
    }
    tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let mut r = body.into_async_read().take(declared);
        let _ = tokio::time::timeout(
            Duration::from_secs(10),
            tokio::io::copy(&mut r, &mut tokio::io::sink()),
        )
        .await;
    });
}

/// The body limit of a write: uploads have their own (`storage.max_upload_bytes`), every
/// other route the general `body_limit`.
fn body_limit_for(settings: &Settings, method: &str, path: &str) -> usize {
    if method == "POST" && path.trim_end_matches('/') == crate::api::files::UPLOAD_PATH {
        settings.storage.max_upload_bytes
    } else {
        settings.body_limit
    }
}

#[handler]
fn healthz() -> Response {
    Response::builder()
        .content_type("application/json")
        .body(r#"{"status":"ok"}"#)
}

#[handler]
async fn readyz(Data(st): Data<&AppState>) -> Response {
    // Known down: answer at once (the probe is on it); otherwise a ping that cannot hang for
    // the pool's whole acquire timeout.
    let db = if st.db.known_down() {
        st.db.ensure_probe();
        false
    } else {
        let up = st.db.ping_quick().await;
        if !up {
            st.db.mark_down();
        }
        up
    };
    let cache = st.cache.ping().await;
    let body = serde_json::json!({
        "database": if db { "ok" } else { "unavailable" },
        "database_backend": st.db.backend.name(),
        "cache": if cache { "ok" } else { "unavailable" },
        "cache_backend": st.cache.backend(),
    });
    Response::builder()
        .status(if db && cache {
            poem::http::StatusCode::OK
        } else {
            poem::http::StatusCode::SERVICE_UNAVAILABLE
        })
        .content_type("application/json")
        .body(body.to_string())
}

/// `/metrics` on the main address: only with the configured bearer token, or in local
/// development; otherwise it does not exist there (see `MetricsSettings`).
#[handler]
fn metrics_main(req: &Request, Data(st): Data<&AppState>) -> poem::Result<Response> {
    let m = &st.settings.metrics;
    if !m.on_main_address(st.settings.wechat.embedded_fake) {
        return Err(ApiError::new(
            poem::http::StatusCode::NOT_FOUND,
            "route_not_found",
            "请求的接口不存在",
        )
        .into());
    }
    if !m.token.is_empty() {
        // Compared as digests, so the time taken says nothing about the token.
        let sent = crate::state::bearer(req).unwrap_or("");
        if crate::identity::hash_secret(sent) != crate::identity::hash_secret(&m.token) {
            return Err(ApiError::unauthenticated().into());
        }
    }
    Ok(metrics(Data(st)))
}

/// `/metrics` on its own address (`metrics.listen`): the monitoring network only.
#[handler]
fn metrics_own(Data(st): Data<&AppState>) -> Response {
    metrics(Data(st))
}

fn metrics(Data(st): Data<&AppState>) -> Response {
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(st.metrics.render(
            &st.db.pool_stats(),
            st.cache.backend(),
            st.cache.redis_error_count(),
        ))
}

/// A running server (for `serve`, tests and benchmarks).
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<()>,
    worker_stop: crate::worker::Stop,
    worker: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Stops accepting, lets requests in flight and the message being sent finish within
    /// `shutdown_grace_secs`, then closes the pools. Bounded: whatever is still stuck (a
    /// request waiting on the database, a hung send) is abandoned when the grace period ends.
    pub async fn shutdown(mut self) {
        let grace = Duration::from_secs(self.state.settings.shutdown_grace_secs);
        let deadline = tokio::time::Instant::now() + grace;
        self.worker_stop.stop();
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if tokio::time::timeout_at(deadline, &mut self.handle)
            .await
            .is_err()
        {
            self.handle.abort();
        }
        if tokio::time::timeout_at(deadline, &mut self.worker)
            .await
            .is_err()
        {
            tracing::warn!("the worker did not stop within the grace period; abandoned");
            self.worker.abort();
        }
        // Closing waits for every connection to come back; one held by a stuck request never
        // would.
        if tokio::time::timeout(Duration::from_secs(1), self.state.db.close())
            .await
            .is_err()
        {
            tracing::warn!("database connections still busy at shutdown; abandoned");
        }
    }
}

pub async fn start(state: AppState, listen: &str) -> std::io::Result<Running> {
    // Connections pass through `conn::Guarded`, so a control character in a header reaches the
    // middleware (and gets the error shape) instead of hyper's bare 400.
    let acceptor = crate::conn::GuardedAcceptor(
        TcpListener::bind(listen.to_string())
            .into_acceptor()
            .await?,
    );
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().cloned())
        .ok_or_else(|| std::io::Error::other("no local address"))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let metrics_server = match state.settings.metrics.listen.as_str() {
        "" => None,
        addr => {
            let acceptor = TcpListener::bind(addr.to_string()).into_acceptor().await?;
            tracing::info!(listen = addr, "metrics served on their own address");
            let app = Route::new()
                .at("/metrics", get(metrics_own))
                .data(state.clone());
            Some(tokio::spawn(async move {
                let _ = Server::new_with_acceptor(acceptor).run(app).await;
            }))
        }
    };
    let worker_stop = crate::worker::Stop::default();
    let worker = crate::worker::spawn(state.clone(), worker_stop.clone());
    let app = routes(state.clone());
    let grace = Duration::from_secs(state.settings.shutdown_grace_secs);
    let handle = tokio::spawn(async move {
        // Connections idle this long are closed (slow or abandoned clients).
        let _ = Server::new_with_acceptor(acceptor)
            .idle_timeout(Duration::from_secs(60))
            .run_with_graceful_shutdown(
                app,
                async move {
                    let _ = rx.await;
                },
                Some(grace),
            )
            .await;
        if let Some(m) = metrics_server {
            m.abort();
        }
    });
    Ok(Running {
        addr,
        state,
        stop: Some(tx),
        handle,
        worker_stop,
        worker,
    })
}
