//! Data and promises under restarts and races (issue 10): the outbox across a stopped or
//! killed worker, admitted bookings, retried offline batches, the lottery record, database
//! outages, and two instances racing at start and at sign-in. Each runs on SQLite and on
//! PostgreSQL + Redis; where the finding needed two servers, two instances share the database.

use culturehub::access::Role;
use culturehub_tests::{both, error_code, Act, Backend, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// 1. The outbox across a stopped or killed worker.

/// `n` residents, each with one due message and the permission to receive it.
async fn queue_messages(app: &TestApp, prefix: &str, n: usize) {
    let st = app.state();
    for i in 0..n {
        let openid = format!("{prefix}-{i}");
        let (_, uid) = app.sign_in(&openid).await;
        culturehub::notify::record_grants(&st.db, uid, &["booking_confirmed".to_string()])
            .await
            .unwrap();
        app.fake()
            .grant_subscription(&openid, "tmpl_booking_confirmed", 1);
        let mut tx = st.db.begin().await.unwrap();
        culturehub::notify::enqueue(
            &mut tx,
            uid,
            "booking_confirmed",
            &format!("{prefix}:{i}"),
            None,
            &culturehub::notify::fields("书法公益讲座", st.clock.now(), "园岭", "预约成功"),
            &st.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn outbox_count(app: &TestApp, status: &str) -> i64 {
    app.count(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE status = '{status}'"
    ))
    .await
}

async fn wait_for_sent(app: &TestApp, at_least: usize) {
    let t = Instant::now();
    while app.fake().sent_messages().len() < at_least {
        assert!(t.elapsed() < Duration::from_secs(20), "messages never sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every resident got exactly one message.
fn each_sent_once(app: &TestApp, prefix: &str, n: usize) {
    let sent = app.fake().sent_messages();
    for i in 0..n {
        let openid = format!("{prefix}-{i}");
        let got = sent.iter().filter(|m| m["touser"] == openid).count();
        assert_eq!(got, 1, "{openid} got {got} messages");
    }
}

/// A graceful stop (what SIGTERM runs) in the middle of a batch: the message under way is
/// finished, nothing else is held, and another instance sends the rest — each exactly once.
async fn outbox_graceful_stop(app: &TestApp) {
    let n = 8;
    queue_messages(app, "o-stop", n).await;
    app.fake()
        .set_delay("subscribe_send", Duration::from_millis(300));
    let other = app
        .instance(|s| {
            s.booking.worker_interval_secs = 1;
            s.shutdown_grace_secs = 5;
        })
        .await;
    wait_for_sent(app, 2).await;
    let t = Instant::now();
    other.shutdown().await;
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "stopped within the grace period"
    );
    let sent = outbox_count(app, "sent").await;
    assert!(
        sent >= 2 && (sent as usize) < n,
        "stopped mid-batch: {sent}"
    );
    assert_eq!(
        outbox_count(app, "sending").await,
        0,
        "no claim left behind"
    );
    assert_eq!(outbox_count(app, "unknown").await, 0, "nothing in doubt");
    assert_eq!(outbox_count(app, "pending").await, n as i64 - sent);
    assert_eq!(app.fake().sent_messages().len() as i64, sent);
    app.fake().set_delay("subscribe_send", Duration::ZERO);
    let r = culturehub::worker::pass(app.state(), "w-next")
        .await
        .unwrap();
    assert_eq!(r.outbox.sent as i64, n as i64 - sent, "{r:?}");
    assert_eq!(outbox_count(app, "sent").await, n as i64);
    each_sent_once(app, "o-stop", n);
}
both!(outbox_stop, outbox_graceful_stop);

/// A worker killed in the middle of a batch (SIGKILL: its task dropped at an await): only
/// the message whose send was under way may end `unknown`; every other one is sent later.
async fn outbox_killed_worker(app: &TestApp) {
    let n = 8;
    queue_messages(app, "o-kill", n).await;
    app.fake()
        .set_delay("subscribe_send", Duration::from_millis(300));
    let st = app.state().clone();
    let doomed = tokio::spawn(async move { culturehub::worker::pass(&st, "w-doomed").await });
    wait_for_sent(app, 2).await;
    doomed.abort();
    let _ = doomed.await;
    assert!(
        outbox_count(app, "sending").await <= 1,
        "a killed worker holds at most the message under way"
    );
    app.fake().set_delay("subscribe_send", Duration::ZERO);
    // After its lease, the message it was sending is in doubt and never sent again.
    app.clock().advance(120);
    culturehub::worker::pass(app.state(), "w-survivor")
        .await
        .unwrap();
    let unknown = outbox_count(app, "unknown").await;
    let sent = outbox_count(app, "sent").await;
    assert!(
        unknown <= 1,
        "only the message under way is in doubt: {unknown}"
    );
    assert_eq!(sent + unknown, n as i64);
    let delivered = app.fake().sent_messages();
    for i in 0..n {
        let openid = format!("o-kill-{i}");
        assert!(delivered.iter().filter(|m| m["touser"] == openid).count() <= 1);
    }
    assert!(delivered.len() as i64 >= sent);
}
both!(outbox_kill, outbox_killed_worker);

// ---------------------------------------------------------------------------------------------
// 2. An admitted booking keeps its seat.

/// Runs `async fn $body(app: &TestApp)` on both backends with `$tweak` applied to the settings.
macro_rules! both_with {
    ($name:ident, $body:path, $tweak:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                if let Some(app) =
                    TestApp::start_with(Backend::Sqlite, stringify!($name), $tweak).await
                {
                    ($body)(&app).await;
                    app.finish().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(app) =
                    TestApp::start_with(Backend::Postgres, stringify!($name), $tweak).await
                {
                    ($body)(&app).await;
                    app.finish().await;
                }
            }
        }
    };
}

/// A district whose cancellation deadline is later than check-in opening (refused at load
/// since, but the database must hold on its own): cancel until 30 minutes before, doors open 60.
fn late_deadline(s: &mut culturehub::config::Settings) {
    s.booking.cancel_deadline_minutes = 30;
    s.booking.checkin_opens_minutes = 60;
}

struct Door {
    session: i64,
    volunteer: String,
}

/// A session at 红荔 starting in 45 minutes (doors open, cancelling still allowed by the
/// settings above) and a volunteer assigned to it.
async fn door(app: &TestApp, capacity: i64) -> Door {
    let (_, session) = app
        .activity(Act {
            starts_in_min: 45,
            capacity: Some(capacity),
            ..Act::default()
        })
        .await;
    let (volunteer, volunteer_id) = app
        .staff("o-door-vol", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    let (staff, _) = app
        .staff("o-door-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/sessions/{session}/assignments"),
            Some(&staff),
            json!({"user_id": volunteer_id}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    Door { session, volunteer }
}

/// (resident token, booking id, ticket token)
async fn booked_ticket(app: &TestApp, who: &str, session: i64) -> (String, i64, String) {
    let (t, _) = app.sign_in(who).await;
    let (s, b) = app.book(&t, session, json!({})).await;
    assert_eq!(s, 200, "{b}");
    let id = b["id"].as_i64().unwrap();
    let (s, ticket) = app
        .get(&format!("/api/v1/bookings/{id}/ticket"), Some(&t))
        .await;
    assert_eq!(s, 200, "{ticket}");
    (t, id, ticket["token"].as_str().unwrap().to_string())
}

/// A request to any instance: (status, body).
async fn send(
    http: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
    key: Option<&str>,
) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = http.request(m, format!("{base}{path}")).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn admitted_booking_keeps_its_seat(app: &TestApp) {
    let d = door(app, 1).await;
    let (holder, id, ticket) = booked_ticket(app, "o-inside", d.session).await;
    let (waiter, _) = app.sign_in("o-waiting").await;
    let (s, w) = app
        .book(&waiter, d.session, json!({"join_waitlist": true}))
        .await;
    assert_eq!((s, w["status"].as_str()), (200, Some("waitlisted")), "{w}");
    let (s, a) = app
        .post(
            "/api/v1/checkin/scan",
            Some(&d.volunteer),
            json!({"session_id": d.session, "token": ticket, "nonce": "n-inside"}),
        )
        .await;
    assert_eq!((s, a["result"].as_str()), (200, Some("admitted")), "{a}");
    // Cancelling an admitted booking is refused, with its own code and a Chinese message.
    let (s, v) = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            Some(&holder),
            json!({}),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(error_code(409, &v), "already_checked_in");
    assert_eq!(app.seats(d.session).await, (1, 1, 1), "seat not given away");
    // Deleting the account keeps the booking of someone already inside.
    let (s, v) = app.call("DELETE", "/api/v1/me", Some(&holder), None).await;
    assert_eq!(s, 200, "{v}");
    let status: String = sqlx::query_scalar("SELECT status FROM bookings WHERE id = $1")
        .bind(id)
        .fetch_one(app.state().db.pool())
        .await
        .unwrap();
    assert_eq!(status, "confirmed");
    assert_eq!(
        app.seats(d.session).await,
        (1, 1, 1),
        "nobody promoted onto an occupied seat"
    );
}
both_with!(
    admitted_keeps_seat,
    admitted_booking_keeps_its_seat,
    late_deadline
);

/// Cancel on one instance and scan on another at the same instant, for 20 bookings: never
/// both succeed, and the database never holds a cancelled booking with a live check-in.
async fn cancel_and_scan_race(app: &TestApp) {
    let n = 20;
    let d = door(app, n).await;
    let mut tickets = Vec::new();
    for i in 0..n {
        tickets.push(booked_ticket(app, &format!("o-race-{i}"), d.session).await);
    }
    let other = app.instance(|_| {}).await;
    let (a_url, b_url) = (app.url.clone(), other.url());
    let http = reqwest::Client::new();
    let races = tickets.iter().enumerate().map(|(i, (t, id, ticket))| {
        let (http, a_url, b_url, vol) = (
            http.clone(),
            a_url.clone(),
            b_url.clone(),
            d.volunteer.clone(),
        );
        let session = d.session;
        async move {
            let path = format!("/api/v1/bookings/{id}/cancel");
            let cancel = send(&http, &a_url, "POST", &path, t, Some(json!({})), None);
            let scan = send(
                &http,
                &b_url,
                "POST",
                "/api/v1/checkin/scan",
                &vol,
                Some(json!({"session_id": session, "token": ticket, "nonce": format!("race-{i}")})),
                None,
            );
            let ((cs, cv), (ss, sv)) = tokio::join!(cancel, scan);
            assert_eq!(ss, 200, "{sv}");
            if cs != 200 {
                let code = error_code(cs, &cv);
                assert!(code == "already_checked_in", "{cv}");
            }
            (cs == 200, sv["result"] == "admitted")
        }
    });
    let outcomes = futures_util::future::join_all(races).await;
    for (i, (cancelled, admitted)) in outcomes.iter().enumerate() {
        assert!(
            !(cancelled & admitted),
            "booking {i}: cancelled and admitted"
        );
        assert!(cancelled | admitted, "booking {i}: neither happened");
    }
    let bad = app
        .count(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM bookings b JOIN checkins c ON c.booking_id = b.id \
             WHERE b.status = 'cancelled' AND c.undone_at IS NULL",
        )
        .await;
    assert_eq!(bad, 0, "a cancelled booking with a live check-in");
    let admitted = outcomes.iter().filter(|o| o.1).count() as i64;
    let (booked, confirmed, _) = app.seats(d.session).await;
    assert_eq!((booked, confirmed), (admitted, admitted));
    other.shutdown().await;
}
both_with!(cancel_vs_scan, cancel_and_scan_race, late_deadline);

/// Settings that would let an admitted person cancel are refused when they are loaded.
#[test]
fn contradicting_deadlines_are_refused_at_load() {
    let dir = std::env::temp_dir().join(format!("ch-cfg-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("culturehub.toml");
    let write = |booking: &str| {
        std::fs::write(
            &file,
            format!("[wechat]\nembedded_fake = true\n[booking]\n{booking}\n"),
        )
        .unwrap()
    };
    write("cancel_deadline_minutes = 30\ncheckin_opens_minutes = 60");
    let err = culturehub::config::Settings::load(Some(file.to_str().unwrap()))
        .expect_err("refused")
        .to_string();
    assert!(err.contains("cancel_deadline_minutes"), "{err}");
    assert!(err.contains("签到开始"), "{err}");
    write("cancel_deadline_minutes = 60\ncheckin_opens_minutes = 60");
    assert!(culturehub::config::Settings::load(Some(file.to_str().unwrap())).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// 3. A retried offline batch.

/// A phone's offline batch of 30 scans, 10 of them tickets another volunteer already admitted
/// online, is uploaded twice at once — to two instances — and once more afterwards: every copy
/// gets the same answers, and only the 10 real conflicts are recorded.
async fn retried_offline_batch(app: &TestApp) {
    let n = 30;
    let d = door(app, n).await;
    let (phone, phone_id) = app
        .staff("o-phone", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    let (staff, _) = app
        .staff("o-door-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/sessions/{}/assignments", d.session),
            Some(&staff),
            json!({"user_id": phone_id}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let mut tickets = Vec::new();
    for i in 0..n {
        tickets.push(
            booked_ticket(app, &format!("o-sync-{i}"), d.session)
                .await
                .2,
        );
    }
    for (i, t) in tickets.iter().take(10).enumerate() {
        let (s, a) = app
            .post(
                "/api/v1/checkin/scan",
                Some(&d.volunteer),
                json!({"session_id": d.session, "token": t, "nonce": format!("online-{i}")}),
            )
            .await;
        assert_eq!(a["result"], "admitted", "{s} {a}");
    }
    let at = culturehub::time::fmt(app.clock().now());
    let batch = json!({"scans": tickets.iter().enumerate().map(|(i, t)| {
        json!({"nonce": format!("phone-{i}"), "token": t, "scanned_at": at})
    }).collect::<Vec<_>>()});
    let other = app.instance(|_| {}).await;
    let http = reqwest::Client::new();
    let path = format!("/api/v1/sessions/{}/checkin/sync", d.session);
    let other_url = other.url();
    let ((s1, a1), (s2, a2)) = tokio::join!(
        send(
            &http,
            &app.url,
            "POST",
            &path,
            &phone,
            Some(batch.clone()),
            None
        ),
        send(
            &http,
            &other_url,
            "POST",
            &path,
            &phone,
            Some(batch.clone()),
            None
        )
    );
    assert_eq!((s1, s2), (200, 200), "{a1} {a2}");
    assert_eq!(a1, a2, "both copies of the batch get the same answers");
    let results: Vec<&str> = a1["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["result"].as_str().unwrap())
        .collect();
    assert_eq!(
        results.iter().filter(|r| **r == "conflict").count(),
        10,
        "{results:?}"
    );
    assert_eq!(
        results.iter().filter(|r| **r == "admitted").count(),
        20,
        "{results:?}"
    );
    let (s3, a3) = send(&http, &app.url, "POST", &path, &phone, Some(batch), None).await;
    assert_eq!(s3, 200);
    assert_eq!(a3, a1, "a later retry too");
    let conflicts = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM checkin_conflicts")
        .await;
    assert_eq!(conflicts, 10, "only the real conflicts");
    let live = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM checkins WHERE undone_at IS NULL")
        .await;
    assert_eq!(live, n);
    other.shutdown().await;
}
both!(offline_retry, retried_offline_batch);

// ---------------------------------------------------------------------------------------------
// 4. The lottery record names the draw's own entrants.

/// An entry cancelled in the same second as the draw, just before it, and placed first by the
/// seed: the published record must leave it out, so recomputing from the record gives the
/// winners the draw gave.
async fn lottery_record_is_the_draw(app: &TestApp) {
    let (activity, session) = app
        .activity(Act {
            capacity: Some(2),
            mode: "lottery",
            title: "迎春书法摇号",
            ..Act::default()
        })
        .await;
    let mut entries = Vec::new();
    for i in 0..6 {
        let (t, _) = app.sign_in(&format!("o-lot-{i}")).await;
        let (s, v) = app.book(&t, session, json!({})).await;
        assert_eq!((s, v["status"].as_str()), (200, Some("entered")), "{v}");
        entries.push((t, v["id"].as_i64().unwrap()));
    }
    let st = app.state();
    let seed: String = sqlx::query_scalar("SELECT lottery_seed FROM activities WHERE id = $1")
        .bind(activity)
        .fetch_one(st.db.pool())
        .await
        .unwrap();
    let ids: Vec<i64> = entries.iter().map(|e| e.1).collect();
    let first = culturehub::rules::lottery_order(&seed, &ids)[0];
    let (token, _) = entries.iter().find(|e| e.1 == first).unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/bookings/{first}/cancel"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // The draw runs in that same second.
    let cancelled_at: String =
        sqlx::query_scalar("SELECT cancelled_at FROM bookings WHERE id = $1")
            .bind(first)
            .fetch_one(st.db.pool())
            .await
            .unwrap();
    let now = culturehub::time::parse(&cancelled_at).unwrap();
    assert!(culturehub::booking::draw(&st.db, activity, now)
        .await
        .unwrap());
    let (s, rec) = app
        .get(&format!("/api/v1/activities/{activity}/lottery"), None)
        .await;
    assert_eq!(s, 200, "{rec}");
    let published: Vec<i64> = rec["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert!(
        !published.contains(&first),
        "cancelled before the draw: {rec}"
    );
    assert_eq!(published.len(), 5);
    let recomputed = culturehub::rules::lottery_order(rec["seed"].as_str().unwrap(), &published);
    assert_eq!(recomputed, published, "published in drawn order");
    let mut winners: Vec<i64> = recomputed[..2].to_vec();
    winners.sort();
    let actual: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM bookings WHERE session_id = $1 AND status = 'confirmed' ORDER BY id",
    )
    .bind(session)
    .fetch_all(st.db.pool())
    .await
    .unwrap();
    assert_eq!(winners, actual, "the record names the draw's winners");
}
both!(lottery_record, lottery_record_is_the_draw);

// ---------------------------------------------------------------------------------------------
// 5. Database outages answer 503 in the error shape, and fast.

fn db_name(app: &TestApp) -> String {
    app.state()
        .settings
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

/// Bookings waiting inside their transactions when the database terminates their connections
/// (what a PostgreSQL restart does to them) answer 503 `service_unavailable`, never 500; the
/// service then recovers on its own. Only this test's database's connections are terminated.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn terminated_connections_answer_503_postgres() {
    use sqlx::Connection;
    let Some(app) = TestApp::start(Backend::Postgres, "terminated_connections").await else {
        return;
    };
    let (_, session) = app
        .activity(Act {
            capacity: Some(50),
            ..Act::default()
        })
        .await;
    let mut people = Vec::new();
    for i in 0..8 {
        people.push(app.sign_in(&format!("o-term-{i}")).await.0);
    }
    // Hold the session row: each booking then waits on it inside its transaction.
    let mut locker = sqlx::PgConnection::connect(&app.state().settings.database_url)
        .await
        .unwrap();
    let locker_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut locker)
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut locker).await.unwrap();
    sqlx::query("SELECT id FROM sessions WHERE id = $1 FOR UPDATE")
        .bind(session)
        .execute(&mut locker)
        .await
        .unwrap();
    let name = db_name(&app);
    let terminate = async {
        let mut admin = sqlx::PgConnection::connect(&culturehub_tests::pg_admin_url())
            .await
            .unwrap();
        let t = Instant::now();
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
            )
            .bind(&name)
            .fetch_one(&mut admin)
            .await
            .unwrap();
            if waiting >= people.len() as i64 {
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "bookings never blocked"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2",
        )
        .bind(&name)
        .bind(locker_pid)
        .execute(&mut admin)
        .await
        .unwrap();
    };
    let bookings =
        futures_util::future::join_all(people.iter().map(|p| app.book(p, session, json!({}))));
    let (answers, _) = tokio::join!(bookings, terminate);
    for (s, v) in &answers {
        assert_eq!(*s, 503, "{v}");
        assert_eq!(error_code(*s, v), "service_unavailable");
    }
    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    // Recovered: ready again, and the same booking now succeeds.
    let t = Instant::now();
    while app.get("/readyz", None).await.0 != 200 {
        assert!(t.elapsed() < Duration::from_secs(10), "never ready again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (s, v) = app.book(&people[0], session, json!({})).await;
    assert_eq!(s, 200, "{v}");
    app.finish().await;
}

/// PostgreSQL stops answering (its host frozen: connections hang): the first request waits
/// the pool's acquire timeout for its 503; from then on, while the database is known down,
/// requests and `/readyz` answer 503 at once. When it answers again, the service recovers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outage_fails_fast_postgres() {
    let admin = culturehub_tests::pg_admin_url();
    let target = admin
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(&admin)
        .rsplit_once('@')
        .map(|(_, r)| r)
        .unwrap_or(&admin)
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let proxy = culturehub_tests::proxy::Proxy::start(&target).await;
    let via = proxy.addr.clone();
    let Some(app) = TestApp::start_with(Backend::Postgres, "outage_fails_fast", |s| {
        s.database_url = s.database_url.replacen(&target, &via, 1);
    })
    .await
    else {
        return;
    };
    assert!(app.state().settings.database_url.contains(&proxy.addr));
    let (token, _) = app.sign_in("o-outage").await;
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.0, 200);
    proxy.freeze();
    let (s, v) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(s, 503, "{v}");
    assert_eq!(error_code(s, &v), "service_unavailable");
    for _ in 0..5 {
        let t = Instant::now();
        let (s, v) = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(
            (s, error_code(s, &v).as_str()),
            (503, "service_unavailable")
        );
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "failed fast: {:?}",
            t.elapsed()
        );
    }
    let t = Instant::now();
    let (s, v) = app.get("/readyz", None).await;
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["database"], "unavailable");
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "readyz failed fast: {:?}",
        t.elapsed()
    );
    proxy.thaw();
    let t = Instant::now();
    while app.get("/readyz", None).await.0 != 200 {
        assert!(t.elapsed() < Duration::from_secs(15), "never ready again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.0, 200);
    app.finish().await;
}

/// SQLite: a write that cannot get the file's write lock within the busy timeout (another
/// process holds it) answers 503 `service_unavailable`, never 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn locked_database_answers_503_sqlite() {
    use sqlx::Connection;
    let Some(app) = TestApp::start(Backend::Sqlite, "locked_database").await else {
        return;
    };
    let (_, session) = app.activity(Act::default()).await;
    let (token, _) = app.sign_in("o-locked").await;
    let mut other = sqlx::SqliteConnection::connect(&app.state().settings.database_url)
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let (s, v) = app.book(&token, session, json!({})).await;
    assert_eq!(s, 503, "{v}");
    assert_eq!(error_code(s, &v), "service_unavailable");
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    let t = Instant::now();
    loop {
        let (s, v) = app.book(&token, session, json!({})).await;
        if s == 200 {
            break;
        }
        assert_eq!(s, 503, "{v}");
        assert!(t.elapsed() < Duration::from_secs(5), "{v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.finish().await;
}

// ---------------------------------------------------------------------------------------------
// 6. Two instances at once: start, sign-in, one idempotency key; shutdown's bound.

/// Two instances started at the same moment on an empty database both start, with one demo
/// network, one set of demo staff and activities, and one ticket key.
async fn start_together(backend: Backend) {
    let mut s = culturehub_tests::test_settings();
    s.seed_demo_activities = true;
    s.dev_login = true;
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
            if !culturehub_tests::redis_available("start_together").await {
                return;
            }
            let Some(url) = culturehub_tests::fresh_pg_database("start_together").await else {
                return;
            };
            s.database_url = url;
            s.redis_url = Some(culturehub_tests::redis_url());
        }
    }
    let files = std::env::temp_dir().join(format!(
        "culturehub-test-files-{}",
        uuid::Uuid::new_v4().simple()
    ));
    s.storage.dir = files.display().to_string();
    let (a, b) = tokio::join!(
        culturehub::app::build_state(s.clone(), Default::default()),
        culturehub::app::build_state(s.clone(), Default::default())
    );
    let a = a.unwrap_or_else(|e| panic!("first instance: {e}"));
    let b = b.unwrap_or_else(|e| panic!("second instance: {e}"));
    assert_eq!(a.ticket_key, b.ticket_key, "one ticket key");
    let count = |sql: &'static str| {
        let db = a.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(db.pool())
                .await
                .unwrap()
        }
    };
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS BIGINT) FROM org_units WHERE code = 'ft-main'").await,
        1
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS BIGINT) FROM server_secrets").await,
        1
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE openid LIKE 'dev:%'").await,
        culturehub::seed::DEMO_STAFF.len() as i64
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS BIGINT) FROM role_grants").await,
        culturehub::seed::DEMO_STAFF.len() as i64,
        "one grant per demo account"
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS BIGINT) FROM activities WHERE is_demo = 1").await,
        60,
        "the demo activities once"
    );
    a.db.close().await;
    b.db.close().await;
    if let Some(f) = sqlite_file {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", f.display()));
        }
    } else {
        culturehub_tests::drop_pg_database(&s.database_url).await;
    }
    let _ = std::fs::remove_dir_all(&files);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn start_together_sqlite() {
    start_together(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn start_together_postgres() {
    start_together(Backend::Postgres).await;
}

/// The same new person signing in on two instances at the same moment: both sign-ins
/// succeed, as one account.
async fn sign_in_twice_at_once(app: &TestApp) {
    let other = app.instance(|_| {}).await;
    let other_url = other.url();
    let http = reqwest::Client::new();
    for i in 0..6 {
        let openid = format!("o-twice-{i}");
        let (c1, c2) = (
            app.fake().issue_login_code(&openid),
            app.fake().issue_login_code(&openid),
        );
        let post = |base: String, code: String| {
            let http = http.clone();
            async move {
                let resp = http
                    .post(format!("{base}/api/v1/auth/wechat"))
                    .json(&json!({ "code": code }))
                    .send()
                    .await
                    .unwrap();
                let s = resp.status().as_u16();
                (s, resp.json::<Value>().await.unwrap())
            }
        };
        let ((s1, v1), (s2, v2)) =
            tokio::join!(post(app.url.clone(), c1), post(other_url.clone(), c2));
        assert_eq!((s1, s2), (200, 200), "{v1} {v2}");
        assert_eq!(v1["user"]["id"], v2["user"]["id"], "one account");
        let accounts = app
            .count(&format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM users WHERE openid = '{openid}'"
            ))
            .await;
        assert_eq!(accounts, 1);
    }
    other.shutdown().await;
}
both!(sign_in_race, sign_in_twice_at_once);

/// One cancel sent twice at the same moment with one Idempotency-Key, to two instances: each
/// copy answers the cancellation (200) or the documented `409 idempotency_race` — never
/// `booking_changed` or `already_cancelled`.
async fn cancel_twice_with_one_key(app: &TestApp) {
    let (_, session) = app
        .activity(Act {
            capacity: Some(20),
            ..Act::default()
        })
        .await;
    let other = app.instance(|_| {}).await;
    let other_url = other.url();
    let http = reqwest::Client::new();
    for i in 0..8 {
        let (t, _) = app.sign_in(&format!("o-key-{i}")).await;
        let (s, b) = app.book(&t, session, json!({})).await;
        assert_eq!(s, 200, "{b}");
        let path = format!("/api/v1/bookings/{}/cancel", b["id"]);
        let key = format!("cancel-key-{i}");
        let ((s1, v1), (s2, v2)) = tokio::join!(
            send(
                &http,
                &app.url,
                "POST",
                &path,
                &t,
                Some(json!({})),
                Some(&key)
            ),
            send(
                &http,
                &other_url,
                "POST",
                &path,
                &t,
                Some(json!({})),
                Some(&key)
            )
        );
        for (s, v) in [(s1, &v1), (s2, &v2)] {
            if s == 200 {
                assert_eq!(v["status"], "cancelled", "{v}");
            } else {
                assert_eq!(error_code(s, v), "idempotency_race", "{v}");
            }
        }
        assert!(s1 == 200 || s2 == 200, "{v1} {v2}");
    }
    assert_eq!(app.seats(session).await, (0, 0, 0));
    other.shutdown().await;
}
both!(cancel_key_race, cancel_twice_with_one_key);

/// Stopping while a request is stuck in the database (waiting on a lock held elsewhere) ends
/// within the grace period, not when the database lets go.
async fn shutdown_with_stuck_request(app: &TestApp) {
    use sqlx::Connection;
    let (_, session) = app.activity(Act::default()).await;
    let (t, _) = app.sign_in("o-stuck").await;
    let other = app
        .instance(|s| {
            s.shutdown_grace_secs = 1;
            s.request_timeout_secs = 60;
        })
        .await;
    let url = app.state().settings.database_url.clone();
    // Hold what the booking needs: SQLite's write lock, or the session row.
    let mut lock = sqlx::AnyConnection::connect(&url).await.unwrap();
    if app.backend == Backend::Sqlite {
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut lock)
            .await
            .unwrap();
    } else {
        sqlx::query("BEGIN").execute(&mut lock).await.unwrap();
        sqlx::query("SELECT id FROM sessions WHERE id = $1 FOR UPDATE")
            .bind(session)
            .execute(&mut lock)
            .await
            .unwrap();
    }
    let http = reqwest::Client::new();
    let stuck = tokio::spawn({
        let (base, t) = (other.url(), t.clone());
        async move {
            let _ = http
                .post(format!("{base}/api/v1/bookings"))
                .bearer_auth(t)
                .json(&json!({ "session_id": session }))
                .send()
                .await;
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    other.shutdown().await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "shutdown took {took:?}");
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    stuck.abort();
}
both!(bounded_shutdown, shutdown_with_stuck_request);
