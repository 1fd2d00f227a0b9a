//! The culture-cloud connection (issue 17): snapshots pushed to a fake receiver that checks
//! the signature and the payload and can answer errors, time out or refuse; retries with
//! backoff; the send log, the manual push and the export file; two workers never push one row
//! twice.

use culturehub::access::Role;
use culturehub_tests::{both, error_code, Act, TestApp};
use hmac::{Hmac, Mac};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Request, Response, Server};
use serde_json::Value;
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "cloud-test-secret";
const KEY_ID: &str = "futian-01";

/// What the receiver answers next.
#[derive(Clone, Copy)]
enum Answer {
    Status(u16),
    /// Answer 200 only after this long (longer than the sender waits: a timeout).
    Slow(u64),
}

#[derive(Clone)]
struct Received {
    delivery: String,
    signature_ok: bool,
    body: Value,
    raw: String,
}

#[derive(Default)]
struct State {
    script: VecDeque<Answer>,
    received: Vec<Received>,
}

/// A culture cloud's docking interface, as the tests need it.
#[derive(Clone, Default)]
struct Receiver {
    state: Arc<Mutex<State>>,
}

impl Receiver {
    async fn spawn(&self) -> String {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().cloned())
            .unwrap();
        let me = self.clone();
        let app = poem::endpoint::make(move |req: Request| {
            let me = me.clone();
            async move { me.handle(req).await }
        });
        tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        });
        format!("http://{addr}/docking/push")
    }

    fn script(&self, answers: &[Answer]) {
        self.state
            .lock()
            .unwrap()
            .script
            .extend(answers.iter().copied());
    }

    fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    async fn handle(&self, mut req: Request) -> Response {
        let body = req.take_body().into_vec().await.unwrap_or_default();
        let h = |n: &str| {
            req.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        // Checked independently of the service's code: HMAC-SHA256 over timestamp "\n" body.
        let ts = h("x-ch-timestamp");
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(ts.as_bytes());
        mac.update(b"\n");
        mac.update(&body);
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        let signature_ok = h("x-ch-signature") == expected
            && h("x-ch-key") == KEY_ID
            && ts.parse::<i64>().is_ok()
            && h("content-type").starts_with("application/json");
        let answer = {
            let mut st = self.state.lock().unwrap();
            st.received.push(Received {
                delivery: h("x-ch-delivery"),
                signature_ok,
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                raw: String::from_utf8_lossy(&body).into_owned(),
            });
            st.script.pop_front().unwrap_or(Answer::Status(200))
        };
        match answer {
            Answer::Status(s) => Response::builder()
                .status(poem::http::StatusCode::from_u16(s).unwrap())
                .body(format!("{{\"code\":{s}}}")),
            Answer::Slow(ms) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Response::builder().body("{\"code\":0}")
            }
        }
    }
}

async fn start(
    name: &str,
    backend: culturehub_tests::Backend,
    daily: bool,
) -> Option<(TestApp, Receiver)> {
    let receiver = Receiver::default();
    let url = receiver.spawn().await;
    let app = TestApp::start_with(backend, name, |s| {
        s.cloud.endpoint = url;
        s.cloud.secret = SECRET.into();
        s.cloud.key_id = KEY_ID.into();
        s.cloud.target = "guangdong".into();
        s.cloud.timeout_secs = 1;
        s.cloud.max_attempts = 3;
        s.cloud.daily = daily;
        s.cloud
            .field_map
            .insert("unit_code".into(), "venueCode".into());
    })
    .await?;
    Some((app, receiver))
}

async fn pass(app: &TestApp, worker: &str) -> culturehub::cloud::PushReport {
    culturehub::worker::cloud_pass(app.state(), worker, app.clock().now())
        .await
        .unwrap()
}

async fn row(app: &TestApp, id: i64) -> (String, i64, Option<i64>, Option<String>) {
    use sqlx::Row;
    let r = sqlx::query(
        "SELECT status, attempts, last_status, last_error FROM cloud_outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_one(app.state().db.pool())
    .await
    .unwrap();
    (
        r.get("status"),
        r.get("attempts"),
        r.get("last_status"),
        r.get("last_error"),
    )
}

/// Walks every key of a JSON value.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

async fn daily_snapshot_retries_until_the_cloud_takes_it(backend: culturehub_tests::Backend) {
    let Some((app, receiver)) = start("cloud_retries", backend, true).await else {
        return;
    };
    let (_, session) = app.activity(Act::default()).await;
    let (resident, _) = app.sign_in("o-cloud-resident").await;
    let (s, v) = app.book(&resident, session, serde_json::json!({})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .call(
            "PATCH",
            "/api/v1/me",
            Some(&resident),
            Some(serde_json::json!({"display_name": "张秘密"})),
        )
        .await;
    assert!(s == 200 || s == 422, "{s} {v}");

    // First an error, then no answer in time, then success.
    receiver.script(&[Answer::Status(503), Answer::Slow(2500)]);
    let r = pass(&app, "w1").await;
    assert_eq!((r.sent, r.retried, r.failed), (0, 1, 0));
    let id: i64 = app.count("SELECT MAX(id) FROM cloud_outbox").await;
    let (status, attempts, last, _) = row(&app, id).await;
    assert_eq!((status.as_str(), attempts, last), ("pending", 1, Some(503)));
    // Not due yet: nothing is sent before the backoff (1 minute) has passed.
    assert_eq!(pass(&app, "w1").await, Default::default());
    assert_eq!(receiver.received().len(), 1);

    app.clock().advance(61);
    let r = pass(&app, "w1").await;
    assert_eq!(r.retried, 1, "{r:?}");
    let (status, attempts, _, err) = row(&app, id).await;
    assert_eq!((status.as_str(), attempts), ("pending", 2));
    assert_eq!(err.as_deref(), Some("timed out"));

    app.clock().advance(4 * 60 + 1);
    let r = pass(&app, "w1").await;
    assert_eq!(r.sent, 1, "{r:?}");
    let (status, attempts, last, _) = row(&app, id).await;
    assert_eq!((status.as_str(), attempts, last), ("sent", 3, Some(200)));
    // One snapshot per China day: the next pass queues nothing new.
    assert_eq!(pass(&app, "w1").await, Default::default());

    let got = receiver.received();
    assert_eq!(got.len(), 3);
    for r in &got {
        assert!(r.signature_ok, "bad signature");
        // The same push is recognisable across retries.
        assert_eq!(r.delivery, got[0].delivery);
        assert!(r.delivery.starts_with("snapshot:"));
    }
    let body = &got[2].body;
    assert_eq!(body["schema"], "culturehub.cloud.v1");
    // The configured field names are used at every level.
    assert_eq!(body["venues"][0]["venueCode"], "ft-main");
    assert!(body["venues"][0].get("unit_code").is_none());
    let act = body["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["sessions"][0]["session_id"] == session)
        .expect("the activity is sent");
    assert_eq!(act["sessions"][0]["booked"], 1);
    assert_eq!(act["sessions"][0]["attended"], 0);
    assert_eq!(act["satisfaction"]["ratings"], 0);
    // No personal data: only documented keys, and nothing of the resident.
    let mut k = Vec::new();
    keys(body, &mut k);
    for key in k {
        assert!(
            culturehub::cloud::FIELDS.contains(&key.as_str()) || key == "venueCode",
            "unexpected field {key}"
        );
    }
    assert!(!got[2].raw.contains("o-cloud-resident"));
    assert!(!got[2].raw.contains("张秘密"));
    app.finish().await;
}

async fn refusals_fail_and_attempts_run_out(backend: culturehub_tests::Backend) {
    // No daily snapshot here: the clock moves on by hours and would cross China midnight.
    let Some((app, receiver)) = start("cloud_refusals", backend, false).await else {
        return;
    };
    let (staff, _) = app
        .staff("o-cloud-staff", Role::CenterStaff, "ft-main")
        .await;
    assert_eq!(pass(&app, "w1").await, Default::default());
    // A push now goes through first.
    let (s, v) = app
        .call("POST", "/api/v1/cloud/pushes", Some(&staff), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(pass(&app, "w1").await.sent, 1);
    assert_eq!(receiver.received().len(), 1);
    assert!(receiver.received()[0].delivery.starts_with("manual:"));

    // Wrong credentials: retrying the same bytes cannot help.
    receiver.script(&[Answer::Status(401)]);
    let (s, v) = app
        .call("POST", "/api/v1/cloud/pushes", Some(&staff), None)
        .await;
    assert_eq!(s, 200, "{v}");
    let refused = v["id"].as_i64().unwrap();
    let r = pass(&app, "w1").await;
    assert_eq!(r.failed, 1, "{r:?}");
    let (status, attempts, last, _) = row(&app, refused).await;
    assert_eq!((status.as_str(), attempts, last), ("failed", 1, Some(401)));

    // Server errors are retried up to max_attempts (3), then given up.
    receiver.script(&[
        Answer::Status(500),
        Answer::Status(502),
        Answer::Status(500),
    ]);
    let (_, v) = app
        .call("POST", "/api/v1/cloud/pushes", Some(&staff), None)
        .await;
    let broken = v["id"].as_i64().unwrap();
    for _ in 0..3 {
        pass(&app, "w1").await;
        app.clock().advance(4 * 3600);
    }
    let (status, attempts, last, _) = row(&app, broken).await;
    assert_eq!((status.as_str(), attempts, last), ("failed", 3, Some(500)));
    assert_eq!(pass(&app, "w1").await, Default::default());

    // The send log shows all of it, newest first, without the payload.
    let (s, log) = app.get("/api/v1/cloud/pushes", Some(&staff)).await;
    assert_eq!(s, 200, "{log}");
    assert_eq!(log["enabled"], true);
    assert_eq!(log["target"], "guangdong");
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["id"], broken);
    assert_eq!(items[0]["status"], "failed");
    assert_eq!(items[1]["last_status"], 401);
    assert_eq!(items[2]["status"], "sent");
    assert!(items[2]["venues"].as_i64().unwrap() > 5);
    assert!(items[0].get("payload").is_none());
    // The push is in the audit trail.
    let audited = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'cloud_push'")
        .await;
    assert_eq!(audited, 3);

    // A branch's staff may not read it.
    let (branch, _) = app
        .staff("o-cloud-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (s, v) = app.get("/api/v1/cloud/pushes", Some(&branch)).await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = app.get("/api/v1/cloud/pushes?limit=0", Some(&staff)).await;
    assert_eq!(error_code(s, &v), "validation_failed");
    app.finish().await;
}

async fn two_workers_push_each_row_once(backend: culturehub_tests::Backend) {
    let Some((app, receiver)) = start("cloud_two_workers", backend, true).await else {
        return;
    };
    let st = app.state();
    for i in 0..4 {
        culturehub::cloud::enqueue(
            &st.db,
            &st.settings.cloud,
            &format!("manual:t{i}"),
            None,
            st.clock.now(),
        )
        .await
        .unwrap();
    }
    receiver.script(&[Answer::Slow(200); 6]);
    let second = app.instance(|_| {}).await;
    let (a, b) = tokio::join!(
        culturehub::worker::cloud_pass(st, "w-a", st.clock.now()),
        culturehub::worker::cloud_pass(&second.state, "w-b", st.clock.now()),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    // Four manual pushes and one daily snapshot, each sent exactly once.
    assert_eq!(a.sent + b.sent, 5, "{a:?} {b:?}");
    let mut deliveries: Vec<String> = receiver
        .received()
        .into_iter()
        .map(|r| r.delivery)
        .collect();
    deliveries.sort();
    let n = deliveries.len();
    deliveries.dedup();
    assert_eq!((n, deliveries.len()), (5, 5), "{deliveries:?}");
    second.shutdown().await;
    app.finish().await;
}

async fn export_file_and_unconfigured_push(backend: culturehub_tests::Backend) {
    let Some(app) = TestApp::start(backend, "cloud_export").await else {
        return;
    };
    let (_, session) = app.activity(Act::default()).await;
    let (staff, _) = app
        .staff("o-cloud-export", Role::CenterStaff, "ft-main")
        .await;
    let (supervisor, _) = app
        .staff("o-cloud-district", Role::DistrictSupervisor, "ft-main")
        .await;
    // No endpoint configured: the worker does nothing, a push is refused, the file works.
    assert_eq!(pass(&app, "w1").await, Default::default());
    let (s, v) = app
        .call("POST", "/api/v1/cloud/pushes", Some(&staff), None)
        .await;
    assert_eq!(error_code(s, &v), "cloud_not_configured");
    let (s, v) = app
        .call("POST", "/api/v1/cloud/pushes", Some(&supervisor), None)
        .await;
    assert_eq!(error_code(s, &v), "forbidden");

    let (s, h, body) = app.fetch("/api/v1/cloud/export", Some(&supervisor)).await;
    assert_eq!(s, 200);
    assert!(h["content-disposition"].to_str().unwrap().contains(".json"));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["district_code"], "ft-main");
    assert!(v["activities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["sessions"][0]["session_id"] == session));

    for (table, col) in [
        ("venues", "unit_code"),
        ("rooms", "room_id"),
        ("sessions", "attended"),
    ] {
        let (s, h, body) = app
            .fetch(
                &format!("/api/v1/cloud/export?format=csv&table={table}"),
                Some(&staff),
            )
            .await;
        assert_eq!(s, 200, "{table}");
        assert!(h["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = String::from_utf8(body).unwrap();
        let text = text.trim_start_matches('\u{feff}');
        let mut r = csv::Reader::from_reader(text.as_bytes());
        assert!(r.headers().unwrap().iter().any(|h| h == col), "{table}");
        if table != "rooms" {
            assert!(r.records().count() > 0, "{table}");
        }
    }
    let (s, v) = app
        .get("/api/v1/cloud/export?format=csv&table=people", Some(&staff))
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, v) = app
        .get("/api/v1/cloud/export?format=xml", Some(&staff))
        .await;
    assert_eq!(error_code(s, &v), "feed_format_invalid");
    app.finish().await;
}

macro_rules! on_both {
    ($name:ident, $f:ident) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                $f(culturehub_tests::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                $f(culturehub_tests::Backend::Postgres).await
            }
        }
    };
}

on_both!(retries, daily_snapshot_retries_until_the_cloud_takes_it);
on_both!(refusals, refusals_fail_and_attempts_run_out);
on_both!(two_workers, two_workers_push_each_row_once);
on_both!(export, export_file_and_unconfigured_push);

both!(openapi_lists_the_cloud_operations, openapi_lists);

async fn openapi_lists(app: &TestApp) {
    let (_, doc) = app.get("/openapi.json", None).await;
    for p in ["/api/v1/cloud/pushes", "/api/v1/cloud/export"] {
        assert!(doc["paths"][p].is_object(), "{p}");
    }
}
