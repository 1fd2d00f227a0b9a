//! Seat pools known to be full, answered from memory (issue 18, D211): two instances on one
//! database; a pool filled on the first is "full" on the second from memory, a cancellation on
//! the first reopens it on the second within 100 ms, and the database still gives exactly the
//! capacity when both instances are rushed at once.

use culturehub_tests::{both, error_code, Act, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const WITHIN: Duration = Duration::from_millis(100);

async fn book_at(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    session: i64,
    extra: Value,
) -> (u16, Value) {
    let mut body = json!({ "session_id": session });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = http
        .post(format!("{url}/api/v1/bookings"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

async fn full_set_across_instances(app: &TestApp) {
    let other = app.instance(|_| {}).await;
    let b = other.url();
    let http = reqwest::Client::new();
    let (_, session) = app
        .activity(Act {
            capacity: Some(3),
            ..Act::default()
        })
        .await;
    let mut holders = Vec::new();
    for i in 0..3 {
        let t = app.sign_in(&format!("fs-holder-{i}")).await.0;
        let (s, v) = app.book(&t, session, json!({})).await;
        assert_eq!(s, 200, "{v}");
        holders.push((t, v["id"].as_i64().unwrap()));
    }
    let (late, _) = app.sign_in("fs-late").await;

    // B learns the pool is full from one read, then answers from memory, exactly as before.
    // B may still be applying the holders' bookings from its feed (SQLite polls every 20 ms):
    // a read made before that is not kept, so B is asked until two answers came from memory.
    let t0 = Instant::now();
    while other.state.seats.full.hits() < 2 && t0.elapsed() < Duration::from_secs(2) {
        let (s, v) = book_at(&http, &b, &late, session, json!({})).await;
        assert_eq!(error_code(s, &v), "session_full");
        assert_eq!(v["error"]["details"]["waitlist_length"], 0, "{v}");
    }
    assert!(
        other.state.seats.full.hits() >= 2,
        "B answers a full pool from memory ({} hits)",
        other.state.seats.full.hits()
    );
    // A holder hears "already booked", from memory too.
    let (s, v) = book_at(&http, &b, &holders[0].0, session, json!({})).await;
    assert_eq!(error_code(s, &v), "already_booked");

    // A full pool is not full for joining its waiting list: that goes to the database.
    let (waiter, _) = app.sign_in("fs-waiter").await;
    let (s, v) = book_at(&http, &b, &waiter, session, json!({"join_waitlist": true})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "waitlisted");
    // The waiting list changed the refusal's details: B reads it again.
    let (s, v) = book_at(&http, &b, &late, session, json!({})).await;
    assert_eq!(error_code(s, &v), "session_full");
    assert_eq!(v["error"]["details"]["waitlist_length"], 1, "{v}");

    // A cancellation on A: the waiting person gets the seat (still full on both).
    let (s, v) = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", holders[0].1),
            Some(&holders[0].0),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let t = Instant::now();
    loop {
        let (s, v) = book_at(&http, &b, &late, session, json!({})).await;
        assert_eq!(error_code(s, &v), "session_full");
        if v["error"]["details"]["waitlist_length"] == 0 {
            break;
        }
        assert!(
            t.elapsed() < WITHIN,
            "B still counted the promoted person as waiting: {v}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }

    // A cancellation on A with nobody waiting reopens the pool on B within 100 ms.
    let (s, v) = book_at(&http, &b, &late, session, json!({})).await;
    assert_eq!(error_code(s, &v), "session_full");
    let t = Instant::now();
    let (s, v) = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", holders[1].1),
            Some(&holders[1].0),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let took = loop {
        let (s, v) = book_at(&http, &b, &late, session, json!({})).await;
        if s == 200 {
            break t.elapsed();
        }
        assert_eq!(error_code(s, &v), "session_full");
        assert!(t.elapsed() < Duration::from_secs(3), "still full after 3 s");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    assert!(took < WITHIN, "B accepted a booking only after {took:?}");

    // A change written by something other than the service reopens it too (triggers).
    let (s, v) = book_at(&http, &b, &holders[1].0, session, json!({})).await;
    assert_eq!(error_code(s, &v), "session_full", "{v}");
    let t = Instant::now();
    sqlx::query("UPDATE sessions SET capacity = capacity + 1 WHERE id = $1")
        .bind(session)
        .execute(app.state().db.writer())
        .await
        .unwrap();
    let took = loop {
        let (s, _) = book_at(&http, &b, &holders[1].0, session, json!({})).await;
        if s == 200 {
            break t.elapsed();
        }
        assert!(t.elapsed() < Duration::from_secs(3), "still full after 3 s");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    assert!(
        took < WITHIN,
        "B saw the larger capacity only after {took:?}"
    );

    // Both instances rushed at once: the database still gives exactly the capacity.
    let (_, rush) = app
        .activity(Act {
            capacity: Some(5),
            title: "两台实例抢座",
            ..Act::default()
        })
        .await;
    let mut people = Vec::new();
    for i in 0..40 {
        people.push(app.sign_in(&format!("fs-rush-{i}")).await.0);
    }
    for round in 0..2 {
        let mut tasks = Vec::new();
        for (i, t) in people.iter().enumerate() {
            let url = if i % 2 == 0 {
                app.url.clone()
            } else {
                b.clone()
            };
            let (http, t) = (http.clone(), t.clone());
            tasks.push(tokio::spawn(async move {
                book_at(&http, &url, &t, rush, json!({})).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            let (s, v) = t.await.unwrap();
            match s {
                200 => ok += 1,
                409 => assert!(
                    ["session_full", "already_booked"]
                        .contains(&v["error"]["code"].as_str().unwrap()),
                    "{v}"
                ),
                other => panic!("unexpected {other}: {v}"),
            }
        }
        assert_eq!(ok, if round == 0 { 5 } else { 0 }, "round {round}");
    }
    let (booked, confirmed, _) = app.seats(rush).await;
    assert_eq!((booked, confirmed), (5, 5));
    other.shutdown().await;
}

both!(across_instances, full_set_across_instances);
