//! Foundation: error shape, health, sign-in through the fake WeChat server, sessions, phone
//! binding, the access-token cache, rate limits, invitations, audit, personal data.

use culturehub::access::Role;
use culturehub_tests::{both, error_code, Act, Backend, TestApp};
use serde_json::json;

async fn users(app: &TestApp) -> i64 {
    app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM users")
        .await
}

/// (method, path, content type, body, expected status, expected code)
type ShapeCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    u16,
    &'static str,
);

async fn every_failure_has_one_shape(app: &TestApp) {
    let before = users(app).await;
    let cases: Vec<ShapeCase> = vec![
        (
            "GET",
            "/api/v1/no-such-thing",
            None,
            None,
            404,
            "route_not_found",
        ),
        ("GET", "/nowhere", None, None, 404, "route_not_found"),
        (
            "DELETE",
            "/api/v1/org/tree",
            None,
            None,
            405,
            "method_not_allowed",
        ),
        (
            "POST",
            "/api/v1/auth/wechat",
            Some("application/json"),
            Some("{not json"),
            400,
            "invalid_body",
        ),
        (
            "POST",
            "/api/v1/auth/wechat",
            Some("application/json"),
            Some("{\"code\": [\"x\"]}"),
            400,
            "invalid_body",
        ),
        (
            "POST",
            "/api/v1/auth/wechat",
            Some("text/plain"),
            Some("code"),
            415,
            "unsupported_media_type",
        ),
        (
            "POST",
            "/api/v1/auth/wechat",
            Some("application/json"),
            Some("{\"code\": \"\"}"),
            400,
            "invalid_body",
        ),
        (
            "GET",
            "/api/v1/org/units/nearest?lng=east&lat=22.5",
            None,
            None,
            422,
            "validation_failed",
        ),
        (
            "GET",
            "/api/v1/org/units/nearest?lng=114&lat=95",
            None,
            None,
            422,
            "validation_failed",
        ),
        (
            "GET",
            "/api/v1/org/units?level=palace",
            None,
            None,
            422,
            "validation_failed",
        ),
        (
            "GET",
            "/api/v1/org/units/abc",
            None,
            None,
            400,
            "invalid_path",
        ),
        (
            "GET",
            "/api/v1/org/units/999999",
            None,
            None,
            404,
            "not_found",
        ),
        ("GET", "/api/v1/me", None, None, 401, "unauthenticated"),
    ];
    for (method, path, ctype, body, status, code) in cases {
        let mut req = app.http.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", app.url),
        );
        if let Some(c) = ctype {
            req = req.header("content-type", c);
        }
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let got = resp.status().as_u16();
        let rid = resp
            .headers()
            .get("x-request-id")
            .map(|h| h.to_str().unwrap().to_string());
        let v: serde_json::Value = resp.json().await.unwrap_or_default();
        assert_eq!(got, status, "{method} {path}: {v}");
        assert_eq!(error_code(status, &v), code, "{method} {path}");
        assert_eq!(
            rid.as_deref(),
            v["error"]["request_id"].as_str(),
            "request id header matches body"
        );
    }
    // Oversized bodies, with and without Content-Length.
    let big = format!("{{\"code\":\"{}\"}}", "a".repeat(400_000));
    // Fresh clients: the server closes a connection whose body it refused, and a pooled
    // client could otherwise try to reuse that connection for the next request.
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/wechat", app.url))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    let s = resp.status().as_u16();
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(error_code(s, &v), "body_too_large");
    let stream = futures_body(big.into_bytes());
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/wechat", app.url))
        .header("content-type", "application/json")
        .body(stream)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    // A bad token is a clear 401, not public data.
    let (s, v) = app.get("/api/v1/me", Some("not-a-real-token")).await;
    assert_eq!(error_code(s, &v), "session_invalid");
    assert_eq!(users(app).await, before, "failures changed nothing");
}
both!(error_shape, every_failure_has_one_shape);

/// A chunked body (no Content-Length).
fn futures_body(bytes: Vec<u8>) -> reqwest::Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(16 * 1024).map(|c| Ok(c.to_vec())).collect();
    reqwest::Body::wrap_stream(tokio_stream_iter(chunks))
}

fn tokio_stream_iter(
    v: Vec<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_core_stream::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_core_stream::iter(v)
}

mod futures_core_stream {
    pub use futures_util::stream::{iter, Stream};
}

async fn health_ready_metrics(app: &TestApp) {
    assert_eq!(
        app.get("/healthz", None).await,
        (200, json!({"status": "ok"}))
    );
    let (s, v) = app.get("/readyz", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["database"], "ok");
    let expected_cache = if app.backend == Backend::Postgres {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(v["cache_backend"], expected_cache);
    app.get("/api/v1/org/tree", None).await;
    app.get("/api/v1/org/units/999999", None).await;
    let text = app
        .http
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"culturehub_http_requests_total{route="/api/v1/org/tree",method="GET",status="200"}"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/api/v1/org/units/{id}",method="GET",status="404""#),
        "{text}"
    );
    assert!(
        text.contains("culturehub_db_pool_connections{pool=\"read\""),
        "{text}"
    );
    let (s, doc) = app.get("/openapi.json", None).await;
    assert_eq!(s, 200);
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for t in ["Org", "Auth", "Admin"] {
        assert!(tags.contains(&t), "{tags:?}");
    }
    assert_eq!(
        app.http
            .get(format!("{}/docs/", app.url))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}
both!(health_and_metrics, health_ready_metrics);

async fn network_reads(app: &TestApp) {
    let (s, tree) = app.get("/api/v1/org/tree", None).await;
    assert_eq!(s, 200);
    let roots = tree.as_array().unwrap();
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0]["unit"]["name"], "福田区文化馆总馆");
    let branches: Vec<&serde_json::Value> = roots[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["unit"]["level"] == "branch")
        .collect();
    assert_eq!(branches.len(), 10);
    let points: usize = branches
        .iter()
        .map(|b| b["children"].as_array().unwrap().len())
        .sum();
    assert_eq!(points, 95);
    let (_, list) = app
        .get("/api/v1/org/units?q=%E5%9B%AD%E5%B2%AD", None)
        .await; // 园岭
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["name"] == "福田区文化馆园岭分馆"));
    let id = app.unit_id("ft-b-yuanling").await;
    let (_, d) = app.get(&format!("/api/v1/org/units/{id}"), None).await;
    assert_eq!(d["parent"]["level"], "main");
    assert!(d["children"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["level"] == "point"));
    assert!(!d["rooms"].as_array().unwrap().is_empty());
    let (_, near) = app
        .get(
            "/api/v1/org/units/nearest?lng=114.0952&lat=22.5514&limit=3",
            None,
        )
        .await;
    let items = near["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["unit"]["code"], "ft-p-yuanling-hongli");
    assert!(items[0]["distance_m"].as_i64().unwrap() <= items[1]["distance_m"].as_i64().unwrap());
}
both!(network, network_reads);

async fn wechat_sign_in(app: &TestApp) {
    let (token, uid) = app.sign_in("o-resident-1").await;
    let (s, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(s, 200);
    assert_eq!(me["id"], uid);
    assert!(me["phone"].is_null());
    // Same openid again: same person, new session.
    let (token2, uid2) = app.sign_in("o-resident-1").await;
    assert_eq!(uid, uid2);
    assert_ne!(token, token2);
    // Tokens are stored hashed only.
    let raw = app
        .count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM auth_sessions WHERE token_hash = '{token}'"
        ))
        .await;
    assert_eq!(raw, 0);

    let before = users(app).await;
    let fails_before = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'signin_failed'")
        .await;
    // Unknown code, used code, and WeChat's own refusals.
    let (s, v) = app
        .post("/api/v1/auth/wechat", None, json!({"code": "nonexistent"}))
        .await;
    assert_eq!(error_code(s, &v), "wechat_code_invalid");
    let code = app.fake().issue_login_code("o-twice");
    assert_eq!(
        app.post("/api/v1/auth/wechat", None, json!({"code": code}))
            .await
            .0,
        200
    );
    let (s, v) = app
        .post("/api/v1/auth/wechat", None, json!({"code": code}))
        .await;
    assert_eq!(error_code(s, &v), "wechat_code_invalid");
    for (errcode, status, mcode) in [
        (40226, 403, "wechat_risky_user"),
        (45011, 429, "wechat_rate_limited"),
        (-1, 502, "wechat_unavailable"),
        (40125, 502, "wechat_error"),
    ] {
        app.fake().fail_next("jscode2session", errcode, 1);
        let code = app.fake().issue_login_code("o-refused");
        let (s, v) = app
            .post("/api/v1/auth/wechat", None, json!({"code": code}))
            .await;
        assert_eq!(s, status, "errcode {errcode}: {v}");
        assert_eq!(error_code(s, &v), mcode);
        assert!(
            !v.to_string().contains("rid:"),
            "WeChat's errmsg must not leak: {v}"
        );
    }
    assert_eq!(
        users(app).await,
        before + 1,
        "only the one successful sign-in created a user"
    );
    let fails = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'signin_failed'")
        .await;
    assert_eq!(fails - fails_before, 6, "failed sign-ins are audited");

    // Logout revokes the session at once.
    assert_eq!(
        app.post("/api/v1/auth/logout", Some(&token), json!({}))
            .await
            .0,
        200
    );
    let (s, v) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(error_code(s, &v), "session_invalid");
    // Sessions expire.
    app.clock().advance(31 * 24 * 3600);
    let (s, _) = app.get("/api/v1/me", Some(&token2)).await;
    assert_eq!(s, 401);
}
both!(sign_in, wechat_sign_in);

async fn phone_binding_and_token_cache(app: &TestApp) {
    // Ten people bind phones at once: one access-token fetch serves them all.
    let mut people = Vec::new();
    for i in 0..10 {
        people.push(app.sign_in(&format!("o-phone-{i}")).await);
    }
    let mut handles = Vec::new();
    for (i, (token, _)) in people.iter().enumerate() {
        let code = app.fake().issue_phone_code(&format!("1380013800{i}"));
        let (http, url, token) = (app.http.clone(), app.url.clone(), token.clone());
        handles.push(tokio::spawn(async move {
            http.post(format!("{url}/api/v1/me/phone"))
                .bearer_auth(token)
                .json(&json!({"code": code}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), 200);
    }
    assert_eq!(
        app.fake().count("stable_token"),
        1,
        "single-flight token refresh"
    );
    let (_, me) = app.get("/api/v1/me", Some(&people[0].0)).await;
    assert_eq!(me["phone"], "13800138000");
    assert_eq!(me["phone_masked"], "138****8000");

    // A revoked token (40001) is dropped and fetched again once, transparently.
    app.fake().revoke_tokens();
    let code = app.fake().issue_phone_code("13900139000");
    let (s, me) = app
        .post(
            "/api/v1/me/phone",
            Some(&people[1].0),
            json!({"code": code}),
        )
        .await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(app.fake().count("stable_token"), 2);

    // A used or unknown phone code changes nothing.
    let (s, v) = app
        .post(
            "/api/v1/me/phone",
            Some(&people[1].0),
            json!({"code": code}),
        )
        .await;
    assert_eq!(error_code(s, &v), "phone_code_invalid");
    let (_, me) = app.get("/api/v1/me", Some(&people[1].0)).await;
    assert_eq!(me["phone"], "13900139000");

    // Staff see phones masked only.
    let (admin, _) = app.staff("o-admin", Role::CenterAdmin, "ft-main").await;
    app.grant(people[0].1, Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    let unit = app.unit_id("ft-b-yuanling").await;
    let (s, list) = app
        .get(&format!("/api/v1/admin/units/{unit}/staff"), Some(&admin))
        .await;
    assert_eq!(s, 200);
    let text = list.to_string();
    assert!(text.contains("138****8000"), "{text}");
    assert!(!text.contains("13800138000"), "{text}");
}
both!(phone_and_token, phone_binding_and_token_cache);

async fn invitations_and_audit(app: &TestApp) {
    let (branch, _) = app
        .staff("o-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (s, inv) = app
        .post(
            "/api/v1/admin/invitations",
            Some(&branch),
            json!({"role": "volunteer", "unit_id": point, "max_uses": 1}),
        )
        .await;
    assert_eq!(s, 200, "{inv}");
    let code = inv["code"].as_str().unwrap().to_string();
    // Stored hashed only.
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM invitations WHERE code_hash = '{code}'"
        ))
        .await,
        0
    );

    let (res, _) = app.sign_in("o-new-volunteer").await;
    // Codes are forgiving about case and separators.
    let typed = code.to_lowercase().replace('-', " ");
    let (s, me) = app
        .post(
            "/api/v1/auth/invitations/redeem",
            Some(&res),
            json!({"code": typed}),
        )
        .await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["roles"][0]["role"], "volunteer");
    assert_eq!(me["roles"][0]["unit_id"], point);
    // Used up.
    let (other, _) = app.sign_in("o-latecomer").await;
    let (s, v) = app
        .post(
            "/api/v1/auth/invitations/redeem",
            Some(&other),
            json!({"code": code}),
        )
        .await;
    assert_eq!(error_code(s, &v), "invitation_invalid");
    // Expired.
    let (_, inv2) = app
        .post(
            "/api/v1/admin/invitations",
            Some(&branch),
            json!({"role": "volunteer", "unit_id": point, "valid_hours": 1}),
        )
        .await;
    app.clock().advance(2 * 3600);
    let (other, _) = app.sign_in("o-latecomer-2").await;
    let (s, v) = app
        .post(
            "/api/v1/auth/invitations/redeem",
            Some(&other),
            json!({"code": inv2["code"]}),
        )
        .await;
    assert_eq!(error_code(s, &v), "invitation_invalid");
    // Root-only roles cannot be handed out at a branch, even by an admin.
    let (admin, _) = app.staff("o-admin", Role::CenterAdmin, "ft-main").await;
    let b = app.unit_id("ft-b-yuanling").await;
    let (s, v) = app
        .post(
            "/api/v1/admin/invitations",
            Some(&admin),
            json!({"role": "evaluator", "unit_id": b}),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    // Bad input: unknown unit, unknown role, out-of-range uses.
    let (s, v) = app
        .post(
            "/api/v1/admin/invitations",
            Some(&admin),
            json!({"role": "volunteer", "unit_id": 999999}),
        )
        .await;
    assert_eq!(error_code(s, &v), "not_found");
    let (s, _) = app
        .post(
            "/api/v1/admin/invitations",
            Some(&admin),
            json!({"role": "king", "unit_id": b}),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = app
        .post(
            "/api/v1/admin/invitations",
            Some(&admin),
            json!({"role": "volunteer", "unit_id": b, "max_uses": 0}),
        )
        .await;
    assert_eq!(s, 400);

    // The branch's audit trail shows the invitation and the grant; the trail is append-only.
    let (s, log) = app
        .get(&format!("/api/v1/admin/units/{b}/audit"), Some(&branch))
        .await;
    assert_eq!(s, 200);
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"invitation_created"), "{actions:?}");
    assert!(actions.contains(&"role_granted"), "{actions:?}");
    let upd = sqlx::query("UPDATE audit_log SET action = 'x'")
        .execute(app.state().db.pool())
        .await;
    assert!(upd.is_err(), "audit log must refuse updates");
    let del = sqlx::query("DELETE FROM audit_log")
        .execute(app.state().db.pool())
        .await;
    assert!(del.is_err(), "audit log must refuse deletes");
}
both!(invitations, invitations_and_audit);

async fn personal_data(app: &TestApp) {
    let (token, uid) = app.sign_in("o-leaving").await;
    let code = app.fake().issue_phone_code("13700137000");
    app.post("/api/v1/me/phone", Some(&token), json!({"code": code}))
        .await;
    app.call(
        "PATCH",
        "/api/v1/me",
        Some(&token),
        Some(json!({"display_name": "李小华"})),
    )
    .await;
    let (s, export) = app.get("/api/v1/me/export", Some(&token)).await;
    assert_eq!(s, 200);
    assert_eq!(export["profile"]["phone"], "13700137000");
    assert_eq!(export["profile"]["display_name"], "李小华");
    app.grant(uid, Role::Volunteer, "ft-p-yuanling-hongli")
        .await;

    let (s, _) = app.call("DELETE", "/api/v1/me", Some(&token), None).await;
    assert_eq!(s, 200);
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.0, 401);
    let left = app
        .count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE id = {uid} AND phone IS NULL AND openid IS NULL AND display_name = ''"))
        .await;
    assert_eq!(left, 1, "personal data erased");
    let roles = app.count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM role_grants WHERE user_id = {uid} AND revoked_at IS NULL")).await;
    assert_eq!(roles, 0);
    // Signing in again starts a new, empty account.
    let (_, uid2) = app.sign_in("o-leaving").await;
    assert_ne!(uid, uid2);
}
both!(personal, personal_data);

async fn sign_in_rate_limit(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, "rate_limit", |s| {
        s.rate_limit.signin_per_minute = 3
    })
    .await
    else {
        return;
    };
    for _ in 0..3 {
        let code = app.fake().issue_login_code("o-rl");
        assert_eq!(
            app.post("/api/v1/auth/wechat", None, json!({"code": code}))
                .await
                .0,
            200
        );
    }
    let code = app.fake().issue_login_code("o-rl");
    let resp = app
        .http
        .post(format!("{}/api/v1/auth/wechat", app.url))
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert!(resp.headers().get("retry-after").is_some());
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(error_code(429, &v), "rate_limited");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limit_sqlite() {
    sign_in_rate_limit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limit_postgres() {
    sign_in_rate_limit(Backend::Postgres).await;
}

/// Redis goes away mid-flight: limits fall back to local ones (never to none), sign-in and
/// authorization decide exactly as before, and /readyz says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_outage_changes_no_decision() {
    if !culturehub_tests::redis_available("redis_outage").await {
        return;
    }
    let proxy = culturehub_tests::proxy::Proxy::start(
        culturehub_tests::redis_url().trim_start_matches("redis://"),
    )
    .await;
    let redis_via_proxy = format!("redis://{}", proxy.addr);
    let Some(app) = TestApp::start_with(Backend::Postgres, "redis_outage", |s| {
        s.redis_url = Some(redis_via_proxy);
        s.rate_limit.signin_per_minute = 4;
    })
    .await
    else {
        return;
    };
    let (branch, _) = app
        .staff("o-branch-a", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let own = app.unit_id("ft-p-yuanling-hongli").await;
    let other = app.unit_id("ft-p-nanyuan-nanyuan").await;
    assert_eq!(app.get("/readyz", None).await.0, 200);

    proxy.cut();

    let (s, v) = app.get("/readyz", None).await;
    assert_eq!(s, 503);
    assert_eq!(v["cache"], "unavailable");
    // Authorization is unchanged.
    assert_eq!(
        app.get(&format!("/api/v1/admin/units/{own}/staff"), Some(&branch))
            .await
            .0,
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/admin/units/{other}/staff"), Some(&branch))
            .await
            .0,
        403
    );
    // Sign-in still works (token fetched from WeChat since the cache misses) …
    let code = app.fake().issue_login_code("o-during-outage");
    assert_eq!(
        app.post("/api/v1/auth/wechat", None, json!({"code": code}))
            .await
            .0,
        200
    );
    // … and is still limited, by the local fallback.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let code = app.fake().issue_login_code("o-during-outage");
        statuses.push(
            app.post("/api/v1/auth/wechat", None, json!({"code": code}))
                .await
                .0,
        );
    }
    assert!(
        statuses.contains(&429),
        "local limit applies during the outage: {statuses:?}"
    );
    app.finish().await;
}

#[tokio::test]
async fn unreachable_database_is_a_clear_start_error() {
    let mut s = culturehub_tests::test_settings();
    s.database_url = "postgres://nobody@127.0.0.1:1/none".into();
    let err = culturehub::app::build_state(s, Default::default())
        .await
        .err()
        .expect("must fail");
    let msg = err.to_string();
    assert!(msg.contains("无法连接数据库"), "{msg}");
    assert!(
        !msg.contains("nobody@"),
        "credentials must not be printed: {msg}"
    );
}

async fn dev_login(backend: Backend) {
    // Off by default: the route does not exist.
    if let Some(app) = TestApp::start(backend, "dev_login_off").await {
        let (s, v) = app
            .post("/api/v1/auth/dev", None, json!({"openid": "x"}))
            .await;
        assert_eq!(error_code(s, &v), "route_not_found");
        app.finish().await;
    }
    if let Some(app) = TestApp::start_with(backend, "dev_login_on", |s| s.dev_login = true).await {
        let (s, v) = app
            .post("/api/v1/auth/dev", None, json!({"openid": "tester"}))
            .await;
        assert_eq!(s, 200, "{v}");
        assert!(v["token"].as_str().is_some());
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dev_login_sqlite() {
    dev_login(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dev_login_postgres() {
    dev_login(Backend::Postgres).await;
}

/// The embedded default's demo data: the network and a spread of activities to browse.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demo_data_is_browsable() {
    let Some(app) = TestApp::start_with(Backend::Sqlite, "demo_data", |s| {
        s.seed_demo_activities = true
    })
    .await
    else {
        return;
    };
    let demo = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM activities WHERE is_demo = 1")
        .await;
    assert_eq!(demo, 60);
    let (s, page) = app.get("/api/v1/activities?page_size=50", None).await;
    assert_eq!(s, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert!(items.len() >= 40, "{}", items.len());
    let kinds: std::collections::HashSet<&str> =
        items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    for k in ["performance", "lecture", "exhibition", "training"] {
        assert!(kinds.contains(k), "{kinds:?}");
    }
    // A demo activity can be booked like any other.
    let bookable = items
        .iter()
        .find(|i| i["booking_mode"] == "fcfs" && !i["title"].as_str().unwrap().contains("少儿"))
        .unwrap();
    let me = app.sign_in("demo-visitor").await.0;
    let (s, v) = app
        .book(&me, bookable["session_id"].as_i64().unwrap(), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");

    // The staff register and dual dispatch are not empty either, and show some gaps.
    let (center, _) = app
        .staff("demo-data-center", Role::CenterAdmin, "ft-main")
        .await;
    let (_, staffing) = app.get("/api/v1/stats/staffing", Some(&center)).await;
    let items = staffing["items"].as_array().unwrap();
    let main = items.iter().find(|u| u["level"] == "main").unwrap();
    assert!(main["met"] == true, "{main}");
    assert!(items
        .iter()
        .filter(|u| u["level"] != "main")
        .any(|u| u["met"] == false));
    assert!(
        items
            .iter()
            .filter(|u| u["level"] == "point")
            .filter(|u| u["met"] == true)
            .count()
            > 50
    );
    let (_, cov) = app
        .get("/api/v1/stats/dispatch-coverage", Some(&center))
        .await;
    let (bc, b) = (
        cov["branches_covered"].as_i64().unwrap(),
        cov["branches"].as_i64().unwrap(),
    );
    let (pc, p) = (
        cov["points_covered"].as_i64().unwrap(),
        cov["points"].as_i64().unwrap(),
    );
    assert!(bc > 0 && bc < b, "{cov}");
    assert!(pc > p / 2 && pc < p, "{cov}");
    let (_, list) = app.get("/api/v1/people/staff", Some(&center)).await;
    let first = &list["items"][0];
    assert!(
        first["name"].as_str().unwrap().contains('*'),
        "masked: {first}"
    );
    assert!(first["phone"].is_null(), "no phone numbers in demo data");
    // Deterministic and loaded once: a second run adds nothing.
    let entries = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM staff_members")
        .await;
    assert!(entries > 100, "{entries}");
    assert_eq!(
        culturehub::seed::demo_register(app.state()).await.unwrap(),
        0
    );
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM staff_members")
            .await,
        entries
    );
    app.finish().await;
}

/// Resolves `$ref` and the `allOf: [$ref]` wrapper of a nullable reference.
fn resolve<'a>(doc: &'a serde_json::Value, schema: &'a serde_json::Value) -> &'a serde_json::Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => match schema["allOf"].as_array() {
            Some(all) if all.len() == 1 && schema["properties"].is_null() => resolve(doc, &all[0]),
            _ => schema,
        },
    }
}

fn is_nullable(doc: &serde_json::Value, schema: &serde_json::Value) -> bool {
    schema["nullable"] == true
        || (!schema["$ref"].is_null() && resolve(doc, schema)["nullable"] == true)
}

/// Every `null` in `value` sits where the document says the field is nullable; every field
/// the document requires is present. Returns the JSON paths of the nulls it saw.
fn check_nulls(
    doc: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
    nulls: &mut Vec<String>,
) {
    let s = resolve(doc, schema);
    match value {
        serde_json::Value::Null => {
            assert!(
                is_nullable(doc, schema),
                "{at} is null but the document says {schema}"
            );
            nulls.push(at.to_string());
        }
        serde_json::Value::Object(map) => {
            for r in s["required"].as_array().into_iter().flatten() {
                let r = r.as_str().unwrap();
                assert!(map.contains_key(r), "{at}.{r} is required but missing");
            }
            if let Some(props) = s["properties"].as_object() {
                for (k, v) in map {
                    if let Some(p) = props.get(k) {
                        check_nulls(doc, p, v, &format!("{at}.{k}"), nulls);
                    }
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                check_nulls(doc, &s["items"], v, &format!("{at}[{i}]"), nulls);
            }
        }
        _ => {}
    }
}

/// The document is true to the API (issue 10, item 12): every operation documents the errors
/// it can answer with the one error schema, `Option` fields are nullable, and real answers —
/// successes full of nulls and errors — match it. Schemathesis (`scripts/schemathesis`) checks
/// the same against generated requests; this keeps the rules in the Rust suite.
async fn the_document_is_true(app: &TestApp) {
    let (_, doc) = app.get("/openapi.json", None).await;
    let error_ref = json!({"$ref": "#/components/schemas/Error"});
    let error = &doc["components"]["schemas"]["Error"];
    assert_eq!(error["required"], json!(["error"]));
    let body = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(
        body["required"],
        json!(["status", "code", "message", "request_id"])
    );
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            let errors: Vec<&str> = responses
                .keys()
                .map(String::as_str)
                .filter(|s| s.as_bytes()[0] >= b'4')
                .collect();
            for must in ["400", "500", "503"] {
                assert!(
                    errors.contains(&must),
                    "{method} {path} lacks {must}: {errors:?}"
                );
            }
            for s in &errors {
                let content = responses[*s]["content"].as_object().unwrap();
                assert_eq!(content.len(), 1, "{method} {path} {s}");
                let schema = &content.values().next().unwrap()["schema"];
                assert_eq!(schema, &error_ref, "{method} {path} {s}");
            }
            let id = op["operationId"].as_str().unwrap();
            let secured = op["security"].as_array().is_some_and(|alts| {
                alts.iter()
                    .all(|a| a.as_object().is_some_and(|o| !o.is_empty()))
            });
            if secured {
                for must in ["401", "403"] {
                    assert!(errors.contains(&must), "{id} lacks {must}");
                }
            }
            if method != "get" {
                for must in ["409", "413", "429"] {
                    assert!(errors.contains(&must), "{id} lacks {must}");
                }
                assert!(
                    responses["429"]["headers"]["Retry-After"].is_object(),
                    "{id}: 429 without Retry-After"
                );
            }
            if op["requestBody"].is_object() {
                for must in ["415", "422"] {
                    assert!(errors.contains(&must), "{id} lacks {must}");
                }
            }
        }
    }
    assert!(operations > 100, "{operations}");
    // One operation with two image types documents both.
    let qr = &doc["paths"]["/api/v1/console/login-codes/{nonce}/qr.png"]["get"]["responses"]["200"]
        ["content"];
    assert!(
        qr["image/png"].is_object() && qr["image/jpeg"].is_object(),
        "{qr}"
    );
    // Optional fields are nullable; required and defaulted ones are not.
    let me = &doc["components"]["schemas"]["Me"];
    assert_eq!(me["properties"]["phone"]["nullable"], true, "{me}");
    assert!(me["properties"]["id"]["nullable"].is_null(), "{me}");
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        for (field, p) in schema["properties"].as_object().into_iter().flatten() {
            let optional = !required.contains(&field.as_str()) && p["default"].is_null();
            assert_eq!(
                p["nullable"] == true,
                optional,
                "{name}.{field}: nullable must be exactly the optional fields"
            );
        }
    }

    // Real answers against the document: a new resident (no phone, no roles), a booking with
    // nullable fields, the network, and errors.
    let schema_of = |path: &str, method: &str, status: &str| -> serde_json::Value {
        let content = doc["paths"][path][method]["responses"][status]["content"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} does not document {status}"))
            .clone();
        content.values().next().unwrap()["schema"].clone()
    };
    let (token, _) = app.sign_in("contract-resident").await;
    let (activity, session) = app.activity(Act::default()).await;
    let (s, booked) = app.book(&token, session, json!({})).await;
    assert_eq!(s, 200, "{booked}");
    let mut nulls = Vec::new();
    let (s, me_v) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(s, 200);
    check_nulls(
        &doc,
        &schema_of("/api/v1/me", "get", "200"),
        &me_v,
        "me",
        &mut nulls,
    );
    assert!(nulls.contains(&"me.phone".to_string()), "{nulls:?}");
    let (s, page) = app.get("/api/v1/activities", None).await;
    assert_eq!(s, 200);
    check_nulls(
        &doc,
        &schema_of("/api/v1/activities", "get", "200"),
        &page,
        "browse",
        &mut nulls,
    );
    let (s, tree) = app.get("/api/v1/org/tree", None).await;
    assert_eq!(s, 200);
    check_nulls(
        &doc,
        &schema_of("/api/v1/org/tree", "get", "200"),
        &tree,
        "tree",
        &mut nulls,
    );
    let (s, mine) = app.get("/api/v1/me/bookings", Some(&token)).await;
    assert_eq!(s, 200);
    check_nulls(
        &doc,
        &schema_of("/api/v1/me/bookings", "get", "200"),
        &mine,
        "bookings",
        &mut nulls,
    );
    let (s, detail) = app
        .get(&format!("/api/v1/activities/{activity}"), Some(&token))
        .await;
    assert_eq!(s, 200);
    check_nulls(
        &doc,
        &schema_of("/api/v1/activities/{id}", "get", "200"),
        &detail,
        "activity",
        &mut nulls,
    );
    // The booking's own optional fields (waiting-list place, family member, check-in) are null.
    for n in [
        "bookings.items[0].waitlist_position",
        "bookings.items[0].checked_in_at",
    ] {
        assert!(
            nulls.contains(&n.to_string()),
            "{n} not seen null: {nulls:?}"
        );
    }
    for (method, path, doc_path, status) in [
        (
            "get",
            "/api/v1/org/units/987654",
            "/api/v1/org/units/{id}",
            "404",
        ),
        ("get", "/api/v1/me", "/api/v1/me", "401"),
        ("post", "/api/v1/auth/logout", "/api/v1/auth/logout", "401"),
    ] {
        let (s, v) = if method == "get" {
            app.get(path, None).await
        } else {
            app.post(path, None, json!({})).await
        };
        assert_eq!(s.to_string(), status, "{path}: {v}");
        check_nulls(
            &doc,
            &schema_of(doc_path, method, status),
            &v,
            path,
            &mut nulls,
        );
        assert!(!error_code(s, &v).is_empty(), "{v}");
    }
}
both!(the_document_is_true_mod, the_document_is_true);

/// The audit trail filtered by action, actor and China-time days, with the actor's masked name.
async fn audit_filters(app: &TestApp) {
    let (admin, admin_id) = app
        .staff("o-audit-admin", Role::CenterAdmin, "ft-main")
        .await;
    app.call(
        "PATCH",
        "/api/v1/me",
        Some(&admin),
        Some(json!({"display_name": "周文华"})),
    )
    .await;
    let (branch, branch_id) = app
        .staff("o-audit-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let b = app.unit_id("ft-b-yuanling").await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let invite = |token: String| async move {
        let (s, v) = app
            .post(
                "/api/v1/admin/invitations",
                Some(&token),
                json!({"role": "volunteer", "unit_id": point}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    };
    let day = |app: &TestApp| {
        culturehub::family::china_date(app.clock().now())
            .format("%Y-%m-%d")
            .to_string()
    };
    let first_day = day(app);
    invite(admin.clone()).await;
    invite(branch.clone()).await;
    app.clock().advance(2 * 24 * 3600);
    let later_day = day(app);
    invite(branch.clone()).await;
    let admin_ref = &admin;
    let list = |q: String| async move {
        let (s, v) = app
            .get(
                &format!("/api/v1/admin/units/{b}/audit?{q}"),
                Some(admin_ref),
            )
            .await;
        assert_eq!(s, 200, "{q}: {v}");
        v["items"].as_array().unwrap().clone()
    };
    let all = list(String::new()).await;
    assert!(all.len() >= 3);
    let invitations = list("action=invitation_created".into()).await;
    assert_eq!(invitations.len(), 3, "{invitations:?}");
    assert!(invitations
        .iter()
        .all(|i| i["action"] == "invitation_created"));
    let by_branch = list(format!("action=invitation_created&actor_id={branch_id}")).await;
    assert_eq!(by_branch.len(), 2);
    assert!(by_branch.iter().all(|i| i["actor_id"] == branch_id));
    let by_admin = list(format!("actor_id={admin_id}")).await;
    assert!(!by_admin.is_empty());
    assert!(
        by_admin.iter().all(|i| i["actor_name"] == "周*华"),
        "{by_admin:?}"
    );
    let first = list(format!(
        "action=invitation_created&from={first_day}&to={first_day}"
    ))
    .await;
    assert_eq!(first.len(), 2, "{first:?}");
    let later = list(format!("action=invitation_created&from={later_day}")).await;
    assert_eq!(later.len(), 1, "{later:?}");
    let before = list(format!("action=invitation_created&to={first_day}")).await;
    assert_eq!(before.len(), 2);
    let none = list("action=no_such_action".into()).await;
    assert!(none.is_empty());
    // Filters page like the rest: limit and before.
    let p1 = list("action=invitation_created&limit=2".into()).await;
    assert_eq!(p1.len(), 2);
    let p2 = list(format!(
        "action=invitation_created&limit=2&before={}",
        p1[1]["id"]
    ))
    .await;
    assert_eq!(p2.len(), 1);
    // Bad dates are the one error shape, not a 500.
    for q in [
        "from=2026-13-01",
        "to=yesterday",
        "from=2026-12-02&to=2026-12-01",
    ] {
        let (s, v) = app
            .get(&format!("/api/v1/admin/units/{b}/audit?{q}"), Some(&admin))
            .await;
        assert_eq!(error_code(s, &v), "validation_failed", "{q}: {v}");
    }
}
both!(audit_filtering, audit_filters);
