//! The staff console's server side: scan-to-sign-in through the fake WeChat, the cookie
//! session (CSRF, idle and absolute expiry, revocation), development sign-in, the security
//! schemes in the OpenAPI document, and serving the built console.

use culturehub::access::Role;
use culturehub_tests::{both, error_code, Backend, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

/// A browser: the cookies it holds and the CSRF token it read.
#[derive(Default, Clone)]
struct Browser {
    cookies: Vec<(String, String)>,
    csrf: Option<String>,
}

/// One answer: status, JSON (or text) body, and every `Set-Cookie` header.
struct Answer {
    status: u16,
    body: Value,
    set_cookies: Vec<String>,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, set_cookies: &[String]) {
        for sc in set_cookies {
            let first = sc.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                self.cookies.retain(|(n, _)| n != k);
                if !v.is_empty() && !sc.contains("Max-Age=0") {
                    self.cookies.push((k.to_string(), v.to_string()));
                }
            }
        }
    }

    async fn send(
        &mut self,
        app: &TestApp,
        method: &str,
        path: &str,
        body: Option<Value>,
        csrf: Option<&str>,
    ) -> Answer {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = app
            .http
            .request(m, format!("{}{}", app.url, path))
            .header("user-agent", CHROME);
        if !self.cookies.is_empty() {
            req = req.header("cookie", self.cookie_header());
        }
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let set_cookies: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        let text = resp.text().await.unwrap_or_default();
        self.keep(&set_cookies);
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
            set_cookies,
        }
    }

    /// GET with the session cookie.
    async fn get(&mut self, app: &TestApp, path: &str) -> Answer {
        self.send(app, "GET", path, None, None).await
    }

    /// A write with the session cookie and its CSRF token.
    async fn write(&mut self, app: &TestApp, method: &str, path: &str, body: Value) -> Answer {
        let csrf = self.csrf.clone();
        self.send(app, method, path, Some(body), csrf.as_deref())
            .await
    }

    fn has(&self, name: &str) -> bool {
        self.cookies.iter().any(|(k, _)| k == name)
    }
}

/// The browser asks for a login code; returns its nonce.
async fn new_code(app: &TestApp, browser: &mut Browser) -> String {
    let a = browser
        .send(app, "POST", "/api/v1/console/login-codes", None, None)
        .await;
    assert_eq!(a.status, 200, "create code: {}", a.body);
    a.body["nonce"].as_str().unwrap().to_string()
}

/// Signs a browser in as a staff member holding `role` at `unit`, the way a person does:
/// the console shows a code, the mini-program scans and confirms, the console collects.
async fn console_sign_in(app: &TestApp, openid: &str, role: Role, unit: &str) -> (Browser, i64) {
    let (phone, user_id) = app.staff(openid, role, unit).await;
    let browser = sign_in_with_phone(app, &phone).await;
    (browser, user_id)
}

async fn sign_in_with_phone(app: &TestApp, phone: &str) -> Browser {
    let mut browser = Browser::default();
    let nonce = new_code(app, &mut browser).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/console/login-codes/{nonce}/scan"),
            Some(phone),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "scan: {v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/console/login-codes/{nonce}/confirm"),
            Some(phone),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, 200, "confirm: {v}");
    let a = browser
        .get(app, &format!("/api/v1/console/login-codes/{nonce}"))
        .await;
    assert_eq!(a.body["status"], "confirmed", "{}", a.body);
    let s = browser.get(app, "/api/v1/console/session").await;
    assert_eq!(s.status, 200, "session: {}", s.body);
    browser.csrf = Some(s.body["csrf_token"].as_str().unwrap().to_string());
    browser
}

async fn opening_hours(app: &TestApp, unit: i64) -> String {
    sqlx::query_scalar("SELECT opening_hours FROM org_units WHERE id = $1")
        .bind(unit)
        .fetch_one(app.state().db.pool())
        .await
        .unwrap()
}

fn cookie_named<'a>(set_cookies: &'a [String], name: &str) -> Option<&'a String> {
    set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
}

async fn scan_to_sign_in(app: &TestApp) {
    let (phone, staff_id) = app
        .staff("o-console-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (other_staff, _) = app
        .staff("o-console-other", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (resident, _) = app.sign_in("o-console-resident").await;
    let (volunteer, _) = app
        .staff(
            "o-console-volunteer",
            Role::Volunteer,
            "ft-p-yuanling-hongli",
        )
        .await;

    // The console asks for a code: it gets a nonce, an image and a cookie binding the code to
    // this browser.
    let mut browser = Browser::default();
    let a = browser
        .send(app, "POST", "/api/v1/console/login-codes", None, None)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let nonce = a.body["nonce"].as_str().unwrap().to_string();
    assert!(nonce.len() <= 32, "a scene holds at most 32 characters");
    let binding = cookie_named(&a.set_cookies, "ch_login").expect("binding cookie");
    assert!(binding.contains("HttpOnly") && binding.contains("SameSite=Strict"));
    assert!(binding.contains(&format!("Path=/api/v1/console/login-codes/{nonce}")));
    assert!(
        !binding.contains("Secure"),
        "plain http in local development"
    );
    let qr = a.body["qr_url"].as_str().unwrap().to_string();
    let calls = app.fake().count("getwxacodeunlimit");
    assert!(calls >= 1);

    // The image is the mini-program code WeChat made, as a real PNG, fetched once from WeChat.
    for _ in 0..2 {
        let resp = app
            .http
            .get(format!("{}{qr}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "image/png");
        let bytes = resp.bytes().await.unwrap();
        let img = image::load_from_memory(&bytes).expect("a real image");
        assert!(img.width() >= 280 && img.height() >= 280, "{}", img.width());
    }
    assert_eq!(
        app.fake().count("getwxacodeunlimit"),
        calls,
        "served from cache"
    );

    // Only the browser that created the code may poll it.
    let (s, v) = app
        .get(&format!("/api/v1/console/login-codes/{nonce}"), None)
        .await;
    assert_eq!((s, error_code(s, &v).as_str()), (404, "not_found"));
    let a = browser
        .get(app, &format!("/api/v1/console/login-codes/{nonce}"))
        .await;
    assert_eq!(a.body["status"], "pending");

    // Residents and volunteers cannot sign in to the console.
    for t in [&resident, &volunteer] {
        let (s, v) = app
            .post(
                &format!("/api/v1/console/login-codes/{nonce}/scan"),
                Some(t),
                json!({}),
            )
            .await;
        assert_eq!((s, error_code(s, &v).as_str()), (403, "console_not_staff"));
    }

    // The console long-polls; the scan answers it at once.
    let poller = {
        let b = browser.clone();
        let url = app.url.clone();
        let nonce = nonce.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let resp = reqwest::Client::new()
                .get(format!("{url}/api/v1/console/login-codes/{nonce}?wait=10"))
                .header("cookie", b.cookie_header())
                .send()
                .await
                .unwrap();
            let v: Value = resp.json().await.unwrap();
            (v, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/console/login-codes/{nonce}/scan"),
            Some(&phone),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // The phone is told what is signing in.
    assert_eq!(v["browser"], "Chrome 120 · Windows");
    assert_eq!(v["place"], "本机");
    assert!(v["created_at"].as_str().is_some());
    let (polled, took) = poller.await.unwrap();
    assert_eq!(polled["status"], "scanned");
    assert!(
        took < Duration::from_secs(5),
        "long poll answered in {took:?}"
    );

    // The code belongs to the person who scanned it.
    for path in ["scan", "confirm"] {
        let (s, v) = app
            .post(
                &format!("/api/v1/console/login-codes/{nonce}/{path}"),
                Some(&other_staff),
                json!({"approve": true}),
            )
            .await;
        assert_eq!((s, error_code(s, &v).as_str()), (409, "login_code_used"));
    }
    let (s, v) = app
        .post(
            &format!("/api/v1/console/login-codes/{nonce}/confirm"),
            Some(&phone),
            json!({"approve": true}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("confirmed")), "{v}");

    // The browser collects its session: an HttpOnly, SameSite=Strict cookie, once.
    let a = browser
        .get(app, &format!("/api/v1/console/login-codes/{nonce}"))
        .await;
    assert_eq!(a.body["status"], "confirmed");
    let session = cookie_named(&a.set_cookies, "ch_console").expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(session.contains(attr), "{attr} in {session}");
    }
    assert!(!session.contains("Secure"));
    let again = browser
        .get(app, &format!("/api/v1/console/login-codes/{nonce}"))
        .await;
    assert_eq!(again.body["status"], "used");
    assert!(cookie_named(&again.set_cookies, "ch_console").is_none());
    // The nonce works once.
    let (s, v) = app
        .post(
            &format!("/api/v1/console/login-codes/{nonce}/scan"),
            Some(&phone),
            json!({}),
        )
        .await;
    assert_eq!((s, error_code(s, &v).as_str()), (409, "login_code_used"));

    // The session: who, grants with what they allow, the CSRF token.
    let s = browser.get(app, "/api/v1/console/session").await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(s.body["user"]["id"], staff_id);
    assert_eq!(s.body["read_only"], false);
    let grant = &s.body["grants"][0];
    assert_eq!(grant["role"], "branch_staff");
    assert_eq!(grant["unit_level"], "branch");
    assert!(grant["actions"]
        .as_array()
        .unwrap()
        .contains(&json!("manage_activities")));
    let csrf = s.body["csrf_token"].as_str().unwrap().to_string();
    browser.csrf = Some(csrf.clone());

    // The cookie is accepted wherever the bearer token is.
    let me = browser.get(app, "/api/v1/me").await;
    assert_eq!((me.status, me.body["id"].as_i64()), (200, Some(staff_id)));

    // A write without the CSRF token, or with a wrong one, is refused and changes nothing.
    let unit = app.unit_id("ft-b-yuanling").await;
    let path = format!("/api/v1/org/units/{unit}");
    let before = opening_hours(app, unit).await;
    let body = json!({"opening_hours": "全天开放"});
    let forged = [None, Some("0".repeat(64)), Some(csrf[..63].to_string())];
    for token in forged {
        let a = browser
            .send(app, "PATCH", &path, Some(body.clone()), token.as_deref())
            .await;
        assert_eq!(
            (a.status, error_code(a.status, &a.body).as_str()),
            (403, "csrf_failed")
        );
        assert_eq!(opening_hours(app, unit).await, before);
    }
    assert!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'csrf_failed'")
            .await
            >= 3
    );
    let a = browser
        .send(app, "PATCH", &path, Some(body), Some(&csrf))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(opening_hours(app, unit).await, "全天开放");
    // Scope is the API's: the cookie reaches no further than the person's grants.
    let other = app.unit_id("ft-b-nanyuan").await;
    let a = browser
        .write(
            app,
            "PATCH",
            &format!("/api/v1/org/units/{other}"),
            json!({"opening_hours": "x"}),
        )
        .await;
    assert_eq!(a.status, 403);

    // Logging out ends the session and clears the cookie.
    let a = browser
        .write(app, "POST", "/api/v1/console/logout", json!({}))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(cookie_named(&a.set_cookies, "ch_console").is_some_and(|c| c.contains("Max-Age=0")));
    assert!(!browser.has("ch_console"));
    let mut stale = Browser::default();
    stale.keep(std::slice::from_ref(session));
    let a = stale.get(app, "/api/v1/me").await;
    assert_eq!(
        (a.status, error_code(a.status, &a.body).as_str()),
        (401, "session_invalid")
    );
}
both!(scan_to_sign_in_mod, scan_to_sign_in);

async fn codes_expire_and_can_be_refused(app: &TestApp) {
    let (phone, _) = app
        .staff(
            "o-console-expiry",
            Role::PointCoordinator,
            "ft-p-yuanling-hongli",
        )
        .await;
    // Unscanned codes expire after 2 minutes.
    let mut browser = Browser::default();
    let nonce = new_code(app, &mut browser).await;
    app.clock().advance(121);
    let a = browser
        .get(app, &format!("/api/v1/console/login-codes/{nonce}"))
        .await;
    assert_eq!(a.body["status"], "expired");
    let (s, v) = app
        .post(
            &format!("/api/v1/console/login-codes/{nonce}/scan"),
            Some(&phone),
            json!({}),
        )
        .await;
    assert_eq!((s, error_code(s, &v).as_str()), (410, "login_code_expired"));
    let (s, _) = app
        .get(&format!("/api/v1/console/login-codes/{nonce}/qr.png"), None)
        .await;
    assert_eq!(s, 404);

    // A scanned code not confirmed in time expires too.
    let nonce = new_code(app, &mut browser).await;
    let scan = format!("/api/v1/console/login-codes/{nonce}/scan");
    assert_eq!(app.post(&scan, Some(&phone), json!({})).await.0, 200);
    app.clock().advance(120);
    let (s, v) = app
        .post(
            &format!("/api/v1/console/login-codes/{nonce}/confirm"),
            Some(&phone),
            json!({"approve": true}),
        )
        .await;
    assert_eq!((s, error_code(s, &v).as_str()), (410, "login_code_expired"));

    // 取消 on the phone: the console is told, and nothing can revive the code.
    let nonce = new_code(app, &mut browser).await;
    let base = format!("/api/v1/console/login-codes/{nonce}");
    assert_eq!(
        app.post(&format!("{base}/scan"), Some(&phone), json!({}))
            .await
            .0,
        200
    );
    let (s, v) = app
        .post(
            &format!("{base}/confirm"),
            Some(&phone),
            json!({"approve": false}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("rejected")));
    let a = browser.get(app, &base).await;
    assert_eq!(a.body["status"], "rejected");
    assert!(cookie_named(&a.set_cookies, "ch_console").is_none());
    let (s, v) = app
        .post(
            &format!("{base}/confirm"),
            Some(&phone),
            json!({"approve": true}),
        )
        .await;
    assert_eq!((s, error_code(s, &v).as_str()), (409, "login_code_used"));

    // A confirmed code left uncollected for more than a minute is no longer good.
    let nonce = new_code(app, &mut browser).await;
    let base = format!("/api/v1/console/login-codes/{nonce}");
    app.post(&format!("{base}/scan"), Some(&phone), json!({}))
        .await;
    app.post(
        &format!("{base}/confirm"),
        Some(&phone),
        json!({"approve": true}),
    )
    .await;
    app.clock().advance(61);
    let a = browser.get(app, &base).await;
    assert_eq!(a.body["status"], "expired");
    assert!(!browser.has("ch_console"));
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM console_sessions")
            .await,
        0
    );
}
both!(
    codes_expire_and_can_be_refused_mod,
    codes_expire_and_can_be_refused
);

async fn sessions_end_when_idle_or_old(app: &TestApp) {
    let (mut b, _) =
        console_sign_in(app, "o-console-idle", Role::BranchStaff, "ft-b-yuanling").await;
    // Each request keeps it alive for another 2 hours…
    for _ in 0..3 {
        app.clock().advance(119 * 60);
        assert_eq!(b.get(app, "/api/v1/me").await.status, 200);
    }
    // …and 2 hours of silence end it.
    app.clock().advance(121 * 60);
    let a = b.get(app, "/api/v1/console/session").await;
    assert_eq!(
        (a.status, error_code(a.status, &a.body).as_str()),
        (401, "session_invalid")
    );

    // However busy, a session ends 12 hours after sign-in.
    let (phone, _) = app.sign_in("o-console-idle").await;
    let mut b = sign_in_with_phone(app, &phone).await;
    for _ in 0..11 {
        app.clock().advance(60 * 60);
        assert_eq!(b.get(app, "/api/v1/me").await.status, 200);
    }
    let s = b.get(app, "/api/v1/console/session").await;
    let expires = s.body["expires_at"].as_str().unwrap().to_string();
    let idle_until = s.body["idle_expires_at"].as_str().unwrap().to_string();
    assert!(idle_until <= expires, "{idle_until} after {expires}");
    app.clock().advance(60 * 60);
    assert_eq!(b.get(app, "/api/v1/me").await.status, 401);
    // The bearer session of the phone is untouched by all this.
    assert_eq!(app.get("/api/v1/me", Some(&phone)).await.0, 200);
}
both!(
    sessions_end_when_idle_or_old_mod,
    sessions_end_when_idle_or_old
);

async fn revocation_and_deletion_end_sessions(app: &TestApp) {
    let (admin, _) = app
        .staff("o-console-admin", Role::CenterAdmin, "ft-main")
        .await;
    let (mut b, user) =
        console_sign_in(app, "o-console-revoked", Role::BranchStaff, "ft-b-yuanling").await;
    // A second role at a point: taking away either staff role ends the session.
    let extra = app
        .grant(user, Role::PointCoordinator, "ft-p-yuanling-hongli")
        .await;
    assert_eq!(b.get(app, "/api/v1/me").await.status, 200);
    let (s, v) = app
        .call(
            "DELETE",
            &format!("/api/v1/admin/grants/{extra}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let a = b.get(app, "/api/v1/me").await;
    assert_eq!(
        (a.status, error_code(a.status, &a.body).as_str()),
        (401, "session_invalid")
    );
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM console_sessions WHERE user_id = {user} AND revoked_reason = 'role_revoked'"
        ))
        .await,
        1
    );
    // With the remaining role, signing in again works; revoking that one too ends it.
    let (phone, _) = app.sign_in("o-console-revoked").await;
    let mut b = sign_in_with_phone(app, &phone).await;
    let grant: i64 =
        sqlx::query_scalar("SELECT id FROM role_grants WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(user)
            .fetch_one(app.state().db.pool())
            .await
            .unwrap();
    app.call(
        "DELETE",
        &format!("/api/v1/admin/grants/{grant}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(b.get(app, "/api/v1/me").await.status, 401);
    // …and nobody without a staff role can sign in.
    let mut fresh = Browser::default();
    let nonce = new_code(app, &mut fresh).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/console/login-codes/{nonce}/scan"),
            Some(&phone),
            json!({}),
        )
        .await;
    assert_eq!((s, error_code(s, &v).as_str()), (403, "console_not_staff"));

    // Deleting one's account ends the console sessions at once.
    let (mut b, user) = console_sign_in(
        app,
        "o-console-leaver",
        Role::PointCoordinator,
        "ft-p-yuanling-hongli",
    )
    .await;
    let (phone, _) = app.sign_in("o-console-leaver").await;
    let mut other_browser = sign_in_with_phone(app, &phone).await;
    let a = b.write(app, "DELETE", "/api/v1/me", json!({})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(b.get(app, "/api/v1/me").await.status, 401);
    assert_eq!(other_browser.get(app, "/api/v1/me").await.status, 401);
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM console_sessions WHERE user_id = {user} AND revoked_reason = 'account_deleted'"
        ))
        .await,
        2
    );
}
both!(
    revocation_and_deletion_end_sessions_mod,
    revocation_and_deletion_end_sessions
);

async fn sessions_are_listed_and_revocable(app: &TestApp) {
    let (mut first, user) = console_sign_in(
        app,
        "o-console-lister",
        Role::PointCoordinator,
        "ft-p-yuanling-hongli",
    )
    .await;
    let (phone, _) = app.sign_in("o-console-lister").await;
    let mut second = sign_in_with_phone(app, &phone).await;
    let list = first.get(app, "/api/v1/console/sessions").await;
    assert_eq!(list.status, 200, "{}", list.body);
    let items = list.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items.iter().filter(|i| i["current"] == true).count(), 1);
    assert_eq!(items[0]["browser"], "Chrome 120 · Windows");
    assert_eq!(items[0]["via"], "scan");
    // The phone (bearer) sees them too, none of them current.
    let (s, v) = app.get("/api/v1/console/sessions", Some(&phone)).await;
    assert_eq!(s, 200);
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["current"] == false));
    // End the other one from this browser.
    let other = items.iter().find(|i| i["current"] == false).unwrap()["id"]
        .as_i64()
        .unwrap();
    let a = first
        .write(
            app,
            "DELETE",
            &format!("/api/v1/console/sessions/{other}"),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(second.get(app, "/api/v1/me").await.status, 401);
    assert_eq!(first.get(app, "/api/v1/me").await.status, 200);

    // Branch staff above may end it; another branch's staff may not; residents may not.
    let (branch, _) = app
        .staff("o-console-branch-boss", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (stranger, _) = app
        .staff("o-console-stranger", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (resident, _) = app.sign_in("o-console-nobody").await;
    for t in [&stranger, &resident] {
        let (s, v) = app
            .get(&format!("/api/v1/console/sessions?user_id={user}"), Some(t))
            .await;
        assert_eq!((s, error_code(s, &v).as_str()), (403, "forbidden"));
    }
    let (s, v) = app
        .get(
            &format!("/api/v1/console/sessions?user_id={user}"),
            Some(&branch),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let mine = v["items"][0]["id"].as_i64().unwrap();
    let (s, v) = app
        .call(
            "DELETE",
            &format!("/api/v1/console/sessions/{mine}"),
            Some(&stranger),
            None,
        )
        .await;
    assert_eq!((s, error_code(s, &v).as_str()), (403, "forbidden"));
    assert_eq!(first.get(app, "/api/v1/me").await.status, 200);
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/console/sessions/{mine}"),
            Some(&branch),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(first.get(app, "/api/v1/me").await.status, 401);
    // The admin's action is in the unit's audit trail.
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'console_session_revoked' AND unit_id = {point}"
        ))
        .await,
        1
    );
    let (s, _) = app
        .call(
            "DELETE",
            "/api/v1/console/sessions/999999",
            Some(&branch),
            None,
        )
        .await;
    assert_eq!(s, 404);
    // Without a console cookie there is no console session to describe.
    let (s, v) = app.get("/api/v1/console/session", Some(&branch)).await;
    assert_eq!((s, error_code(s, &v).as_str()), (401, "unauthenticated"));
}
both!(
    sessions_are_listed_and_revocable_mod,
    sessions_are_listed_and_revocable
);

async fn dev_login_only_when_enabled(backend: Backend) {
    if let Some(app) = TestApp::start(backend, "console_dev_login_off").await {
        let mut b = Browser::default();
        let a = b
            .send(
                &app,
                "POST",
                "/api/v1/console/dev-login",
                Some(json!({"openid": "demo-admin"})),
                None,
            )
            .await;
        assert_eq!(
            (a.status, error_code(a.status, &a.body).as_str()),
            (404, "route_not_found")
        );
        assert!(!b.has("ch_console"));
        assert_eq!(app.get("/api/v1/console/dev-accounts", None).await.0, 404);
        // No demo staff exist where dev sign-in is off.
        assert_eq!(
            app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE openid LIKE 'dev:%'")
                .await,
            0
        );
        app.finish().await;
    }
    if let Some(app) =
        TestApp::start_with(backend, "console_dev_login_on", |s| s.dev_login = true).await
    {
        // The demo staff, one per role, are offered (volunteers cannot use the console).
        let (s, v) = app.get("/api/v1/console/dev-accounts", None).await;
        assert_eq!(s, 200, "{v}");
        let ids: Vec<&str> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["openid"].as_str().unwrap())
            .collect();
        for id in ["demo-admin", "demo-branch", "demo-point", "demo-evaluator"] {
            assert!(ids.contains(&id), "{id} in {ids:?}");
        }
        assert!(!ids.contains(&"demo-volunteer"));

        let mut admin = Browser::default();
        let a = admin
            .send(
                &app,
                "POST",
                "/api/v1/console/dev-login",
                Some(json!({"openid": "demo-admin"})),
                None,
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert!(admin.has("ch_console"));
        assert_eq!(a.body["read_only"], false);
        admin.csrf = Some(a.body["csrf_token"].as_str().unwrap().to_string());
        assert_eq!(admin.get(&app, "/api/v1/me").await.status, 200);

        for who in ["demo-volunteer", "nobody-at-all"] {
            let mut b = Browser::default();
            let a = b
                .send(
                    &app,
                    "POST",
                    "/api/v1/console/dev-login",
                    Some(json!({"openid": who})),
                    None,
                )
                .await;
            assert_eq!(
                (a.status, error_code(a.status, &a.body).as_str()),
                (403, "console_not_staff"),
                "{who}"
            );
            assert!(!b.has("ch_console"));
        }

        // The evaluator's console is read-only, and the API refuses a forged write.
        let mut ev = Browser::default();
        let a = ev
            .send(
                &app,
                "POST",
                "/api/v1/console/dev-login",
                Some(json!({"openid": "demo-evaluator"})),
                None,
            )
            .await;
        assert_eq!(a.body["read_only"], true);
        ev.csrf = Some(a.body["csrf_token"].as_str().unwrap().to_string());
        assert_eq!(ev.get(&app, "/api/v1/stats/targets").await.status, 200);
        let unit = app.unit_id("ft-b-yuanling").await;
        let a = ev
            .write(
                &app,
                "PATCH",
                &format!("/api/v1/org/units/{unit}"),
                json!({"opening_hours": "x"}),
            )
            .await;
        assert_eq!(
            (a.status, error_code(a.status, &a.body).as_str()),
            (403, "forbidden")
        );
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dev_login_only_when_enabled_sqlite() {
    dev_login_only_when_enabled(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dev_login_only_when_enabled_postgres() {
    dev_login_only_when_enabled(Backend::Postgres).await;
}

async fn security_schemes_are_declared(app: &TestApp) {
    let (_, doc) = app.get("/openapi.json", None).await;
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["console_cookie"]["in"], "cookie");
    assert_eq!(schemes["console_cookie"]["name"], "ch_console");
    assert_eq!(schemes["csrf_token"]["in"], "header");
    assert_eq!(schemes["csrf_token"]["name"], "X-CSRF-Token");
    let op = |path: &str, method: &str| doc["paths"][path][method]["security"].clone();
    assert_eq!(
        op("/api/v1/me", "get"),
        json!([{"bearer": []}, {"console_cookie": []}])
    );
    assert_eq!(
        op("/api/v1/activities", "post"),
        json!([{"bearer": []}, {"console_cookie": [], "csrf_token": []}])
    );
    assert_eq!(op("/api/v1/org/tree", "get"), Value::Null);
    assert_eq!(op("/api/v1/activities", "get")[0], json!({}));
    assert_eq!(
        op("/api/v1/console/logout", "post"),
        json!([{"console_cookie": [], "csrf_token": []}])
    );
    // What the document calls public answers without credentials (never 401).
    let (s, _) = app.get("/api/v1/org/tree", None).await;
    assert_eq!(s, 200);
}
/// A bearer credential that cannot be valid is refused even beside a valid console cookie (the
/// bearer token wins when both are sent); another scheme's `Authorization` (a proxy's Basic
/// authentication) is not ours and leaves the cookie in charge. Found by Schemathesis's
/// `ignored_auth` check.
async fn empty_bearer_beside_a_cookie(app: &TestApp) {
    let (mut browser, _) =
        console_sign_in(app, "o-empty-bearer", Role::BranchStaff, "ft-b-yuanling").await;
    let me = |auth: Option<&'static str>| {
        let mut req = app
            .http
            .get(format!("{}/api/v1/me", app.url))
            .header("cookie", browser.cookie_header());
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };
    for (auth, want) in [
        (None, 200),
        (Some(""), 401),
        (Some("Bearer "), 401),
        (Some("Bearer"), 401),
        (Some("bearer   "), 401),
        (Some("Bearer not-a-token"), 401),
        (Some("Basic dXNlcjpwYXNz"), 200),
    ] {
        let resp = me(auth).await.unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, want, "{auth:?}: {body}");
        if want == 401 {
            assert_eq!(error_code(401, &body), "session_invalid", "{auth:?}");
        }
    }
    // The cookie session itself is untouched.
    assert_eq!(
        browser.get(app, "/api/v1/console/session").await.status,
        200
    );
}
both!(
    empty_bearer_beside_a_cookie_mod,
    empty_bearer_beside_a_cookie
);

both!(
    security_schemes_are_declared_mod,
    security_schemes_are_declared
);

// ---------------------------------------------------------------------------------------------
// Serving the built console.

/// A small built console: index, a hashed asset big enough to compress, a favicon.
fn fixture_dist() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("culturehub-dist-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><html><head><script type=\"module\" src=\"/console/assets/index-4f9a2c.js\"></script></head><body><div id=\"app\"></div></body></html>",
    )
    .unwrap();
    std::fs::write(
        dir.join("assets/index-4f9a2c.js"),
        "export const greet = () => '欢迎使用管理后台';\n".repeat(300),
    )
    .unwrap();
    std::fs::write(dir.join("favicon.ico"), [0u8, 0, 1, 0, 1, 0]).unwrap();
    dir
}

async fn raw(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = client.get(format!("{}{path}", app.url));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn assert_protected(resp: &reqwest::Response) {
    let h = resp.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h.contains_key("referrer-policy"));
}

async fn console_is_served(backend: Backend) {
    let dist = fixture_dist();
    let dir = dist.display().to_string();
    let Some(app) = TestApp::start_with(backend, "console_is_served", |s| {
        s.console.assets_dir = dir.clone();
    })
    .await
    else {
        return;
    };
    let r = raw(&app, "/console", &[]).await;
    assert_eq!(r.status(), 308);
    assert_eq!(r.headers()["location"], "/console/");

    // The index is revalidated on every visit; routes of the app fall back to it.
    for path in [
        "/console/",
        "/console/activities/12/roster",
        "/console/index.html",
    ] {
        let r = raw(&app, path, &[]).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_protected(&r);
        assert_eq!(r.headers()["cache-control"], "no-cache", "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(r.text().await.unwrap().contains("id=\"app\""));
    }
    // Hashed assets are immutable, compressed for browsers that accept it.
    let js = "/console/assets/index-4f9a2c.js";
    let plain = raw(&app, js, &[]).await;
    assert_eq!(
        plain.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(plain.headers().get("content-encoding").is_none());
    let etag = plain.headers()["etag"].to_str().unwrap().to_string();
    let plain_len = plain.bytes().await.unwrap().len();
    let br = raw(&app, js, &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(br.headers()["vary"], "Accept-Encoding");
    assert!(br.bytes().await.unwrap().len() < plain_len / 4);
    let gz = raw(&app, js, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let body = gz.bytes().await.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut text).unwrap();
    assert!(text.starts_with("export const greet"));
    // Revalidation.
    let r = raw(&app, js, &[("if-none-match", &etag)]).await;
    assert_eq!(r.status(), 304);
    // Missing files are 404, not the app; nothing outside the directory is reachable.
    for path in [
        "/console/assets/missing-123.js",
        "/console/..%2fCargo.toml",
        "/console/assets/..%2f..%2fCargo.toml",
        "/console/.hidden",
    ] {
        let r = raw(&app, path, &[]).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_protected(&r);
    }
    // (`/console/%2e%2e/…` is resolved by the client to a path outside `/console/`.)
    assert_eq!(
        raw(&app, "/console/%2e%2e/Cargo.toml", &[]).await.status(),
        404
    );
    // Only GET and HEAD.
    let r = app
        .http
        .post(format!("{}/console/", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    app.finish().await;
    let _ = std::fs::remove_dir_all(&dist);

    // Without a built console, a page in Chinese says what to do.
    let Some(app) = TestApp::start_with(backend, "console_not_built", |s| {
        s.console.assets_dir = "/nonexistent/culturehub-console".into();
    })
    .await
    else {
        return;
    };
    let r = raw(&app, "/console/", &[]).await;
    assert_eq!(r.status(), 503);
    assert_protected(&r);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("管理后台尚未构建") && text.contains("npm run build"),
        "{text}"
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn console_is_served_sqlite() {
    console_is_served(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn console_is_served_postgres() {
    console_is_served(Backend::Postgres).await;
}

/// When the real console has been built (`console/dist`), it is served with the same policy
/// and its index loads no inline script (which the policy would block).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_built_console_fits_the_policy() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../console/dist");
    if !dist.join("index.html").exists() {
        eprintln!("SKIPPED the_built_console_fits_the_policy: console/dist not built (run npm ci && npm run build in console/)");
        return;
    }
    let index = std::fs::read_to_string(dist.join("index.html")).unwrap();
    for tag in index.split("<script").skip(1) {
        let head = tag.split('>').next().unwrap_or("");
        assert!(
            head.contains("src="),
            "inline script in console/dist/index.html: <script{head}>"
        );
    }
    let dir = dist.display().to_string();
    let app = TestApp::start_with(Backend::Sqlite, "built_console", |s| {
        s.console.assets_dir = dir.clone();
    })
    .await
    .unwrap();
    let r = raw(&app, "/console/", &[]).await;
    assert_eq!(r.status(), 200);
    assert_protected(&r);
    app.finish().await;
}

// ---------------------------------------------------------------------------------------------
// scripts/build-console (what scripts/run does before starting the service).

/// A repository root with a console's sources, and a bin directory with stand-ins for the
/// tools the script uses (`npm` records its calls and "builds").
struct ScriptWorld {
    root: std::path::PathBuf,
    bin: std::path::PathBuf,
    log: std::path::PathBuf,
}

impl ScriptWorld {
    fn new(with_node: bool, build_fails: bool) -> ScriptWorld {
        use std::os::unix::fs::PermissionsExt;
        let base = std::env::temp_dir().join(format!(
            "culturehub-build-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let root = base.join("repo");
        let bin = base.join("bin");
        let log = base.join("npm.log");
        std::fs::create_dir_all(root.join("console/src")).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(root.join("console/package.json"), "{}").unwrap();
        std::fs::write(root.join("console/package-lock.json"), "{}").unwrap();
        std::fs::write(root.join("console/src/main.ts"), "export {}").unwrap();
        // Only what the script needs, so the machine's own Node.js is out of sight.
        for tool in ["find", "dirname", "cat"] {
            let path = ["/usr/bin", "/bin"]
                .iter()
                .map(|d| std::path::Path::new(d).join(tool))
                .find(|p| p.exists())
                .unwrap_or_else(|| panic!("{tool} not found"));
            std::os::unix::fs::symlink(path, bin.join(tool)).unwrap();
        }
        if with_node {
            let script = |name: &str, body: String| {
                let p = bin.join(name);
                std::fs::write(&p, body).unwrap();
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            };
            script("node", "#!/bin/sh\nexit 0\n".into());
            let build = if build_fails {
                "echo boom >&2; exit 1".to_string()
            } else {
                "/bin/mkdir -p dist && echo '<!doctype html>' > dist/index.html".to_string()
            };
            script(
                "npm",
                format!(
                    "#!/bin/sh\necho \"$*\" >> {log}\ncase \"$1\" in\n  ci) /bin/mkdir -p node_modules && echo '{{}}' > node_modules/.package-lock.json ;;\n  run) {build} ;;\nesac\n",
                    log = log.display()
                ),
            );
        }
        ScriptWorld { root, bin, log }
    }

    fn run(&self) -> (i32, String) {
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/build-console");
        let out = std::process::Command::new("/bin/bash")
            .arg(script)
            .arg(&self.root)
            .env_clear()
            .env("PATH", &self.bin)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    fn npm_calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

#[test]
fn run_builds_the_console_when_missing_or_stale() {
    let w = ScriptWorld::new(true, false);
    let (code, out) = w.run();
    assert_eq!(code, 0, "{out}");
    assert_eq!(w.npm_calls(), ["ci --no-audit --no-fund", "run build"]);
    assert!(w.root.join("console/dist/index.html").exists());
    // Up to date: nothing to do.
    let (code, _) = w.run();
    assert_eq!(code, 0);
    assert_eq!(w.npm_calls().len(), 2);
    // A source newer than the build: build again (dependencies are current).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(w.root.join("console/src/main.ts"), "export const x = 1").unwrap();
    let (code, out) = w.run();
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        w.npm_calls(),
        ["ci --no-audit --no-fund", "run build", "run build"]
    );
}

#[test]
fn run_says_what_to_do_without_node() {
    let w = ScriptWorld::new(false, false);
    let (code, out) = w.run();
    assert_eq!(code, 0, "the service still starts: {out}");
    assert!(
        out.contains("没有 Node.js") && out.contains("npm ci && npm run build"),
        "{out}"
    );
    assert!(!w.root.join("console/dist").exists());
}

#[test]
fn run_reports_a_failed_build() {
    let w = ScriptWorld::new(true, true);
    let (code, out) = w.run();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("管理后台构建失败"), "{out}");
}
