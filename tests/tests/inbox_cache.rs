//! The staff inbox from memory (issue 18, D265): two instances on one database; a new rating, a
//! reply and a mark-as-read made through the first, and a change made by raw SQL, show on the
//! second within 100 ms although it answers the inbox from memory; another branch never sees
//! them; the cache really serves.

use culturehub::access::Role;
use culturehub_tests::{both, Act, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const WITHIN: Duration = Duration::from_millis(100);

async fn get(http: &reqwest::Client, url: &str, path: &str, token: &str) -> (u16, Value) {
    let r = http
        .get(format!("{url}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// Asks `path` on `url` until `ok` holds for its answer; returns how long that took from `since`.
async fn until(
    http: &reqwest::Client,
    url: &str,
    path: &str,
    token: &str,
    since: Instant,
    ok: impl Fn(&Value) -> bool,
) -> Duration {
    loop {
        let (s, v) = get(http, url, path, token).await;
        assert_eq!(s, 200, "{path}: {v}");
        if ok(&v) {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < Duration::from_secs(3),
            "{path} still not changed after 3 s: {v}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn item(v: &Value, id: i64) -> Option<&Value> {
    v["items"].as_array()?.iter().find(|i| i["id"] == id)
}

/// A resident who attended a session at a Yuanling point; returns (token, booking id).
async fn attendee(app: &TestApp, who: &str, title: &'static str) -> (String, i64) {
    let (_, session) = app
        .activity(Act {
            starts_in_min: 30,
            place: "ft-p-yuanling-hongli",
            organizer: "ft-b-yuanling",
            title,
            capacity: Some(20),
            ..Act::default()
        })
        .await;
    let (t, _) = app.sign_in(who).await;
    let (s, b) = app.book(&t, session, json!({})).await;
    assert_eq!(s, 200, "{b}");
    let booking = b["id"].as_i64().unwrap();
    let (admin, _) = app.staff("o-ic-admin", Role::CenterAdmin, "ft-main").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/sessions/{session}/checkin/manual"),
            Some(&admin),
            json!({"booking_id": booking}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    (t, booking)
}

async fn changes_reach_other_instance(app: &TestApp) {
    let other = app.instance(|_| {}).await;
    let b = other.url();
    let http = reqwest::Client::new();
    let branch = app.unit_id("ft-b-yuanling").await;
    let (staff, _) = app
        .staff("o-ic-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (stranger, _) = app
        .staff("o-ic-stranger", Role::BranchStaff, "ft-b-lianhua")
        .await;
    let (t1, booking1) = attendee(app, "o-ic-r1", "书法讲座").await;
    let (t2, booking2) = attendee(app, "o-ic-r2", "国画讲座").await;
    let page = format!("/api/v1/feedback?unit_id={branch}&limit=20");
    let counts = format!("/api/v1/feedback/counts?unit_id={branch}");

    // Warm both instances, and check that B answers from memory.
    let (hits_before, _) = other.state.inbox.stats();
    for url in [&app.url, &b] {
        for _ in 0..3 {
            let (s, v) = get(&http, url, &page, &staff).await;
            assert_eq!(s, 200, "{v}");
            assert_eq!(v["items"].as_array().unwrap().len(), 0);
            assert_eq!(get(&http, url, &counts, &staff).await.0, 200);
        }
    }
    let (hits, _) = other.state.inbox.stats();
    assert!(
        hits >= hits_before + 4,
        "B serves the inbox from memory ({} hits)",
        hits - hits_before
    );

    // A new rating through A: on A at once, on B within 100 ms (page and counters).
    let t = Instant::now();
    let (s, r) = app
        .post(
            "/api/v1/ratings",
            Some(&t1),
            json!({"booking_id": booking1, "score": 2, "comment": "音响太差"}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let id = r["id"].as_i64().unwrap();
    let (_, v) = get(&http, &app.url, &page, &staff).await;
    assert!(
        item(&v, id).is_some(),
        "A shows its own rating at once: {v}"
    );
    let (on_b, counted_b) = tokio::join!(
        until(&http, &b, &page, &staff, t, |v| item(v, id).is_some()),
        until(&http, &b, &counts, &staff, t, |v| v["unread"] == 1),
    );
    assert!(on_b < WITHIN, "new rating reached B's inbox after {on_b:?}");
    assert!(
        counted_b < WITHIN,
        "new rating reached B's counts after {counted_b:?}"
    );

    // Another branch never sees it, from memory or not.
    for url in [&app.url, &b] {
        for _ in 0..2 {
            let (s, v) = get(&http, url, "/api/v1/feedback", &stranger).await;
            assert_eq!(s, 200, "{v}");
            assert!(
                item(&v, id).is_none(),
                "another branch sees the rating: {v}"
            );
            assert_eq!(v["counts"]["total"], 0, "{v}");
            assert_eq!(get(&http, url, &page, &stranger).await.0, 403);
            let (s, _) = get(
                &http,
                url,
                &format!("/api/v1/feedback/counts?unit_id={branch}"),
                &stranger,
            )
            .await;
            assert_eq!(s, 403);
        }
    }

    // A reply through A.
    let t = Instant::now();
    let (s, v) = app
        .post(
            &format!("/api/v1/feedback/{id}/replies"),
            Some(&staff),
            json!({"content": "已更换音响设备，感谢反馈"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let replied = |v: &Value| {
        item(v, id).is_some_and(|i| i["replies"].as_array().is_some_and(|r| r.len() == 1))
    };
    let (_, v) = get(&http, &app.url, &page, &staff).await;
    assert!(replied(&v), "A shows its own reply at once: {v}");
    let took = until(&http, &b, &page, &staff, t, replied).await;
    assert!(took < WITHIN, "reply reached B after {took:?}");

    // A mark-as-read through A (a second rating, still unread).
    let (s, r) = app
        .post(
            "/api/v1/ratings",
            Some(&t2),
            json!({"booking_id": booking2, "score": 5}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let id2 = r["id"].as_i64().unwrap();
    until(&http, &b, &page, &staff, Instant::now(), |v| {
        item(v, id2).is_some_and(|i| i["read"] == false)
    })
    .await;
    let t = Instant::now();
    let (s, v) = app
        .post("/api/v1/feedback/read", Some(&staff), json!({"ids": [id2]}))
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = get(&http, &app.url, &page, &staff).await;
    assert_eq!(item(&v, id2).unwrap()["read"], true, "A at once: {v}");
    let (on_b, counted_b) = tokio::join!(
        until(&http, &b, &page, &staff, t, |v| {
            item(v, id2).is_some_and(|i| i["read"] == true)
        }),
        until(&http, &b, &counts, &staff, t, |v| v["unread"] == 0),
    );
    assert!(on_b < WITHIN, "read mark reached B after {on_b:?}");
    assert!(
        counted_b < WITHIN,
        "read mark reached B's counts after {counted_b:?}"
    );

    // A change by raw SQL (an operator): the feed comes from triggers, so both instances see
    // it, although neither handler ran.
    for url in [&app.url, &b] {
        get(&http, url, &page, &staff).await;
    }
    let t = Instant::now();
    sqlx::query("UPDATE ratings SET handled_at = $1, comment = '已电话回访' WHERE id = $2")
        .bind(app.state().now())
        .bind(id)
        .execute(app.state().db.writer())
        .await
        .unwrap();
    let handled = |v: &Value| item(v, id).is_some_and(|i| i["handled"] == true);
    let (on_b, on_a) = tokio::join!(
        until(&http, &b, &page, &staff, t, handled),
        until(&http, &app.url, &page, &staff, t, handled),
    );
    assert!(on_b < WITHIN, "SQL change reached B after {on_b:?}");
    assert!(on_a < WITHIN, "SQL change reached A after {on_a:?}");

    // A name the page shows, changed by SQL: every page goes.
    let t = Instant::now();
    sqlx::query("UPDATE org_units SET short_name = '红荔点改名' WHERE id = (SELECT unit_id FROM ratings WHERE id = $1)")
        .bind(id)
        .execute(app.state().db.writer())
        .await
        .unwrap();
    let took = until(&http, &b, &page, &staff, t, |v| {
        item(v, id).is_some_and(|i| i["unit_name"] == "红荔点改名")
    })
    .await;
    assert!(took < WITHIN, "renamed unit reached B after {took:?}");
    other.shutdown().await;
}

both!(inbox_changes, changes_reach_other_instance);
