//! End-to-end test harness: starts the real service in-process on a fresh SQLite file or a
//! fresh PostgreSQL database (with Redis), with the fake WeChat server, and talks HTTP to it.
//!
//! PostgreSQL and Redis are found at `CULTUREHUB_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and `CULTUREHUB_TEST_REDIS` (default
//! `redis://127.0.0.1:6379`). When they are missing the PostgreSQL variant of a test prints a
//! loud SKIPPED line and returns — unless `CULTUREHUB_REQUIRE_SERVICES=1` (set by `.ci/run`),
//! in which case it fails.

use culturehub::app::{self, Running};
use culturehub::config::Settings;
use culturehub::time::Clock;
use culturehub::wechat::fake::FakeWechat;
use serde_json::{json, Value};

pub mod matrix;
pub mod proxy;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn pg_admin_url() -> String {
    std::env::var("CULTUREHUB_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("CULTUREHUB_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn services_required() -> bool {
    matches!(
        std::env::var("CULTUREHUB_REQUIRE_SERVICES").as_deref(),
        Ok("1") | Ok("true")
    )
}

/// A fresh PostgreSQL database URL, or None (after a loud skip) when PostgreSQL is absent.
pub async fn fresh_pg_database(test: &str) -> Option<String> {
    use sqlx::Connection;
    let admin = pg_admin_url();
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            if services_required() {
                panic!("PostgreSQL is required (CULTUREHUB_REQUIRE_SERVICES=1) but not reachable at {admin}: {e}");
            }
            eprintln!("SKIPPED {test} [postgres]: PostgreSQL not reachable at {admin} ({e}); set CULTUREHUB_TEST_PG or start PostgreSQL to run it");
            return None;
        }
    };
    let name = format!("ch_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin.clone());
    Some(format!("{base}/{name}"))
}

pub async fn drop_pg_database(url: &str) {
    use sqlx::Connection;
    let Some((_, name)) = url.rsplit_once('/') else {
        return;
    };
    if !name.starts_with("ch_test_") {
        return;
    }
    if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

/// Redis reachable? Loud skip (or failure under CI) otherwise.
pub async fn redis_available(test: &str) -> bool {
    let url = redis_url();
    let ok = match redis::Client::open(url.as_str()) {
        Ok(c) => tokio::time::timeout(
            std::time::Duration::from_secs(2),
            c.get_multiplexed_async_connection(),
        )
        .await
        .map(|r| r.is_ok())
        .unwrap_or(false),
        Err(_) => false,
    };
    if !ok {
        if services_required() {
            panic!("Redis is required (CULTUREHUB_REQUIRE_SERVICES=1) but not reachable at {url}");
        }
        eprintln!(
            "SKIPPED {test} [postgres+redis]: Redis not reachable at {url}; start Redis to run it"
        );
    }
    ok
}

pub struct TestApp {
    pub backend: Backend,
    pub url: String,
    pub running: Option<Running>,
    pub http: reqwest::Client,
    db_url: String,
    sqlite_file: Option<std::path::PathBuf>,
    /// The local file store of this test (removed by `finish`).
    pub files_dir: std::path::PathBuf,
}

/// Settings the tests start from: embedded fake WeChat, demo network, generous limits.
pub fn test_settings() -> Settings {
    let mut s = Settings::default();
    s.wechat.embedded_fake = true;
    s.wechat.embedded_fake_port = 0;
    s.seed_demo_if_empty = true;
    // The demo network, but no demo activities: tests create exactly what they assert on.
    s.seed_demo_activities = false;
    s.rate_limit.signin_per_minute = 10_000;
    s.rate_limit.signin_per_minute_per_ip = 100_000;
    s.rate_limit.demands_per_hour = 10_000;
    s.rate_limit.supports_per_minute = 10_000;
    s.rate_limit.writes_per_minute = 10_000;
    s.rate_limit.writes_per_minute_per_ip = 100_000;
    // Tests run the worker's passes themselves, with their own clock.
    s.booking.worker_interval_secs = 3600;
    s
}

impl TestApp {
    /// Starts the service on `backend`, or returns None after a loud skip.
    pub async fn start(backend: Backend, test: &str) -> Option<TestApp> {
        Self::start_with(backend, test, |_| {}).await
    }

    pub async fn start_with(
        backend: Backend,
        test: &str,
        tweak: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        let mut s = test_settings();
        let mut sqlite_file = None;
        match backend {
            Backend::Sqlite => {
                let f = std::env::temp_dir().join(format!(
                    "culturehub-test-{}.db",
                    uuid::Uuid::new_v4().simple()
                ));
                s.database_url = format!("sqlite://{}", f.display());
                sqlite_file = Some(f);
            }
            Backend::Postgres => {
                if !redis_available(test).await {
                    return None;
                }
                s.database_url = fresh_pg_database(test).await?;
                s.redis_url = Some(redis_url());
            }
        }
        // Each test keeps its uploads in its own directory.
        let files_dir = std::env::temp_dir().join(format!(
            "culturehub-test-files-{}",
            uuid::Uuid::new_v4().simple()
        ));
        s.storage.dir = files_dir.display().to_string();
        tweak(&mut s);
        let db_url = s.database_url.clone();
        let state = app::build_state(s, Clock::default())
            .await
            .expect("service starts");
        let running = app::start(state, "127.0.0.1:0").await.expect("bind");
        Some(TestApp {
            backend,
            url: running.url(),
            running: Some(running),
            http: reqwest::Client::new(),
            db_url,
            sqlite_file,
            files_dir,
        })
    }

    /// The settings another instance of this service starts from: the same database and
    /// Redis, and the WeChat of this test (its embedded fake), as a second server in production.
    pub fn instance_settings(&self) -> Settings {
        let mut s = (*self.state().settings).clone();
        s.wechat.embedded_fake = false;
        s.wechat.base_url = self.state().wechat.base_url().to_string();
        s.wechat.secret = "local-fake-wechat-secret".into();
        s
    }

    /// Starts another instance of the service on this test's database (two servers, one
    /// PostgreSQL + Redis, or one SQLite file), sharing this test's clock.
    pub async fn instance(&self, tweak: impl FnOnce(&mut Settings)) -> Running {
        let mut s = self.instance_settings();
        tweak(&mut s);
        let state = app::build_state(s, self.clock().clone())
            .await
            .expect("second instance starts");
        app::start(state, "127.0.0.1:0").await.expect("bind")
    }

    pub fn state(&self) -> &culturehub::state::AppState {
        &self.running.as_ref().expect("running").state
    }

    pub fn fake(&self) -> &FakeWechat {
        self.state().fake_wechat.as_ref().expect("embedded fake")
    }

    pub fn clock(&self) -> &Clock {
        &self.state().clock
    }

    /// Stops the server and removes its database.
    pub async fn finish(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
        if let Some(f) = &self.sqlite_file {
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", f.display()));
            }
        }
        if self.backend == Backend::Postgres {
            drop_pg_database(&self.db_url).await;
        }
        let _ = std::fs::remove_dir_all(&self.files_dir);
    }

    /// Sends raw bytes (an upload) and answers (status, JSON or text body).
    pub async fn send_bytes(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .http
            .request(m, format!("{}{}", self.url, path))
            .header("content-type", content_type)
            .body(bytes);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, v)
    }

    /// GET answering (status, headers, raw body): for files and other non-JSON answers.
    pub async fn fetch(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let mut req = self.http.get(format!("{}{}", self.url, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.unwrap_or_default().to_vec();
        (status, headers, body)
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(m, format!("{}{}", self.url, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, v)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call("GET", path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call("POST", path, token, Some(body)).await
    }

    /// Signs in through the fake WeChat server as `openid`; returns (token, user_id).
    pub async fn sign_in(&self, openid: &str) -> (String, i64) {
        let code = self.fake().issue_login_code(openid);
        let (status, v) = self
            .post("/api/v1/auth/wechat", None, json!({ "code": code }))
            .await;
        assert_eq!(status, 200, "sign-in failed: {v}");
        (
            v["token"].as_str().expect("token").to_string(),
            v["user"]["id"].as_i64().expect("user id"),
        )
    }

    pub async fn unit_id(&self, code: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM org_units WHERE code = $1")
            .bind(code)
            .fetch_one(self.state().db.pool())
            .await
            .expect("unit exists")
    }

    /// (id, path) of a unit.
    pub async fn unit_ref(&self, code: &str) -> (i64, String) {
        let r = sqlx::query("SELECT id, path FROM org_units WHERE code = $1")
            .bind(code)
            .fetch_one(self.state().db.pool())
            .await
            .expect("unit exists");
        use sqlx::Row;
        (r.get("id"), r.get("path"))
    }

    /// Grants a role directly (test setup, bypassing the API).
    pub async fn grant(
        &self,
        user_id: i64,
        role: culturehub::access::Role,
        unit_code: &str,
    ) -> i64 {
        let unit = self.unit_id(unit_code).await;
        let st = self.state();
        let mut tx = st.db.begin().await.unwrap();
        let id = culturehub::identity::grant_role(&mut tx, user_id, role, unit, None, &st.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // Bypassing the API, so tell this instance's caller cache as the handlers do.
        st.identity_changed(user_id);
        id
    }

    /// Signs in a new person holding `role` at `unit_code`; returns their token.
    pub async fn staff(
        &self,
        openid: &str,
        role: culturehub::access::Role,
        unit_code: &str,
    ) -> (String, i64) {
        let (t, id) = self.sign_in(openid).await;
        self.grant(id, role, unit_code).await;
        (t, id)
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(self.state().db.pool())
            .await
            .expect("count")
    }
}

/// Times relative to the app's clock, RFC 3339.
pub fn at(app: &TestApp, minutes_from_now: i64) -> String {
    culturehub::time::fmt(app.clock().now() + chrono::Duration::minutes(minutes_from_now))
}

/// Options for `activity`.
pub struct Act<'a> {
    pub organizer: &'a str,
    pub place: &'a str,
    pub capacity: Option<i64>,
    pub mode: &'a str,
    pub kind: &'a str,
    pub starts_in_min: i64,
    pub lessons: usize,
    pub age: (Option<i64>, Option<i64>),
    pub title: &'a str,
}

impl Default for Act<'_> {
    fn default() -> Self {
        Act {
            organizer: "ft-b-yuanling",
            place: "ft-p-yuanling-hongli",
            capacity: Some(5),
            mode: "fcfs",
            kind: "lecture",
            starts_in_min: 3 * 24 * 60,
            lessons: 1,
            age: (None, None),
            title: "书法公益讲座",
        }
    }
}

impl TestApp {
    /// Creates and publishes an activity as a main-center admin; returns (activity id, first session id).
    pub async fn activity(&self, a: Act<'_>) -> (i64, i64) {
        let (admin, _) = self.sign_in("o-activity-maker").await;
        let uid: i64 = sqlx::query_scalar("SELECT id FROM users WHERE openid = 'o-activity-maker'")
            .fetch_one(self.state().db.pool())
            .await
            .unwrap();
        self.grant(uid, culturehub::access::Role::CenterAdmin, "ft-main")
            .await;
        let place = self.unit_id(a.place).await;
        let sessions: Vec<Value> = (0..a.lessons)
            .map(|i| {
                let start = a.starts_in_min + i as i64 * 7 * 24 * 60;
                json!({
                    // No room named: tests that run several activities at one time would
                    // otherwise meet each other on the room's calendar (rooms.rs tests that).
                    "unit_id": place,
                    "starts_at": at(self, start), "ends_at": at(self, start + 90),
                    "capacity": if i == 0 || a.lessons == 1 { a.capacity } else { None },
                })
            })
            .collect();
        let mut body = json!({
            "title": a.title, "kind": a.kind, "organizer_unit_id": self.unit_id(a.organizer).await,
            "booking_mode": a.mode, "is_course": a.lessons > 1, "sessions": sessions,
            "age_min": a.age.0, "age_max": a.age.1,
        });
        if a.mode == "lottery" {
            body["lottery_draw_at"] = json!(at(self, a.starts_in_min - 60));
            body["sessions"][0]["booking_closes_at"] = json!(at(self, a.starts_in_min - 120));
        }
        let (s, v) = self.post("/api/v1/activities", Some(&admin), body).await;
        assert_eq!(s, 200, "create activity: {v}");
        let id = v["id"].as_i64().unwrap();
        let (s, v) = self
            .post(
                &format!("/api/v1/activities/{id}/publish"),
                Some(&admin),
                json!({}),
            )
            .await;
        assert_eq!(s, 200, "publish: {v}");
        (id, v["sessions"][0]["id"].as_i64().unwrap())
    }

    pub async fn book(&self, token: &str, session_id: i64, extra: Value) -> (u16, Value) {
        let mut body = json!({ "session_id": session_id });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        self.post("/api/v1/bookings", Some(token), body).await
    }

    /// The database's own view of a session: (booked counter, confirmed rows, waitlisted rows).
    pub async fn seats(&self, session_id: i64) -> (i64, i64, i64) {
        let booked: i64 = sqlx::query_scalar("SELECT booked FROM sessions WHERE id = $1")
            .bind(session_id)
            .fetch_one(self.state().db.pool())
            .await
            .unwrap();
        let confirmed = self
            .count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM bookings WHERE session_id = {session_id} AND status = 'confirmed'"))
            .await;
        let waiting = self
            .count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM bookings WHERE session_id = {session_id} AND status = 'waitlisted'"))
            .await;
        (booked, confirmed, waiting)
    }
}

/// Asserts the one error shape and returns its code.
pub fn error_code(status: u16, v: &Value) -> String {
    let e = &v["error"];
    assert_eq!(
        e["status"].as_u64(),
        Some(status as u64),
        "status in body: {v}"
    );
    assert!(
        e["code"].as_str().is_some_and(|c| !c.is_empty()),
        "code: {v}"
    );
    let msg = e["message"].as_str().unwrap_or("");
    assert!(
        msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "message not Chinese: {v}"
    );
    assert!(
        e["request_id"].as_str().is_some_and(|r| !r.is_empty()),
        "request_id: {v}"
    );
    e["code"].as_str().unwrap().to_string()
}

/// Runs `async fn $body(app: &TestApp)` on SQLite and on PostgreSQL + Redis.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:path) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                if let Some(app) =
                    $crate::TestApp::start($crate::Backend::Sqlite, stringify!($name)).await
                {
                    ($body)(&app).await;
                    app.finish().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(app) =
                    $crate::TestApp::start($crate::Backend::Postgres, stringify!($name)).await
                {
                    ($body)(&app).await;
                    app.finish().await;
                }
            }
        }
    };
}
