//! Activities and booking, on SQLite and on PostgreSQL + Redis.

use culturehub::access::Role;
use culturehub_tests::{at, both, error_code, Act, Backend, TestApp};
use serde_json::{json, Value};
use std::sync::Arc;

async fn residents(app: &TestApp, prefix: &str, n: usize) -> Vec<String> {
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        v.push(app.sign_in(&format!("{prefix}-{i}")).await.0);
    }
    v
}

/// The invariant every seat test checks: counter == confirmed rows <= capacity, and nobody
/// holds two active bookings for one seat pool.
async fn no_overbooking(app: &TestApp, session_id: i64, capacity: i64) -> Result<(), String> {
    let (booked, confirmed, _) = app.seats(session_id).await;
    let dupes = app
        .count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT attendee_key FROM bookings WHERE session_id = {session_id} \
             AND status <> 'cancelled' GROUP BY attendee_key HAVING COUNT(*) > 1) d"
        ))
        .await;
    if confirmed > capacity || booked != confirmed || dupes > 0 {
        Err(format!("capacity {capacity}: counter {booked}, confirmed rows {confirmed}, people booked twice {dupes}"))
    } else {
        Ok(())
    }
}

async fn concurrent_bookings(app: &TestApp) {
    let (_, session) = app
        .activity(Act {
            capacity: Some(5),
            ..Act::default()
        })
        .await;
    let people = residents(app, "rush", 40).await;
    let passes = app.state().seats.gate.passes();
    let mut tasks = Vec::new();
    for t in people.iter().cloned() {
        let (http, url) = (app.http.clone(), app.url.clone());
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(format!("{url}/api/v1/bookings"))
                .bearer_auth(t)
                .json(&json!({"session_id": session}))
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap())
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (s, v) = t.await.unwrap();
        match s {
            200 => ok += 1,
            409 => assert_eq!(v["error"]["code"], "session_full", "{v}"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(ok, 5);
    no_overbooking(app, session, 5).await.unwrap();
    // Only attempts that could win went on to write (D272): about one per seat, not one per
    // attempt (a read that missed a commit by a moment may let one more through).
    let wrote = app.state().seats.gate.passes() - passes;
    assert!(
        (5..=10).contains(&wrote),
        "{wrote} of 40 attempts reached the write path"
    );

    // One person pressing 预约 ten times at once gets one booking.
    let (_, s2) = app
        .activity(Act {
            capacity: Some(50),
            title: "二场",
            ..Act::default()
        })
        .await;
    let me = app.sign_in("impatient").await.0;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (http, url, t) = (app.http.clone(), app.url.clone(), me.clone());
        tasks.push(tokio::spawn(async move {
            http.post(format!("{url}/api/v1/bookings"))
                .bearer_auth(t)
                .json(&json!({"session_id": s2}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    no_overbooking(app, s2, 50).await.unwrap();
}
both!(concurrency, concurrent_bookings);

/// The control: the same concurrent run against a booking path without the guard (read the
/// count, then insert) overbooks — so the test above would catch a missing guard.
async fn control_without_guard(app: &TestApp) {
    let (_, session) = app
        .activity(Act {
            capacity: Some(5),
            ..Act::default()
        })
        .await;
    let db = app.state().db.clone();
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (uid, _) = (app.sign_in(&format!("naive-{i}")).await.1, ());
        let (db, barrier) = (db.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let taken: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM bookings WHERE session_id = $1 AND status = 'confirmed'",
            )
            .bind(session)
            .fetch_one(db.pool())
            .await
            .unwrap();
            barrier.wait().await;
            if taken < 5 {
                let mut tx = db.begin().await.unwrap();
                sqlx::query(
                    "INSERT INTO bookings (session_id, activity_id, user_id, attendee_key, status, created_at) \
                     SELECT $1, activity_id, $2, $3, 'confirmed', '2026-01-01T00:00:00Z' FROM sessions WHERE id = $1",
                )
                .bind(session)
                .bind(uid)
                .bind(format!("u:{uid}"))
                .execute(&mut *tx)
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let verdict = no_overbooking(app, session, 5).await;
    assert!(
        verdict.is_err(),
        "the unguarded path must be caught overbooking"
    );
}
both!(control, control_without_guard);

async fn waitlist_and_promotion(app: &TestApp) {
    let (_, session) = app
        .activity(Act {
            capacity: Some(2),
            ..Act::default()
        })
        .await;
    let p = residents(app, "wl", 4).await;
    let (_, a) = app.book(&p[0], session, json!({})).await;
    app.book(&p[1], session, json!({})).await;
    let (s, v) = app.book(&p[2], session, json!({})).await;
    assert_eq!(error_code(s, &v), "session_full");
    assert_eq!(v["error"]["details"]["waitlist_length"], 0);
    let (s, c) = app
        .book(&p[2], session, json!({"join_waitlist": true}))
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["status"], "waitlisted");
    assert_eq!(c["waitlist_position"], 1);
    let (_, d) = app
        .book(&p[3], session, json!({"join_waitlist": true}))
        .await;
    assert_eq!(d["waitlist_position"], 2);
    // A cancels: C moves up at once and is told; D is now first in line.
    let (s, v) = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", a["id"]),
            Some(&p[0]),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "cancelled");
    let (_, c2) = app
        .get(&format!("/api/v1/bookings/{}", c["id"]), Some(&p[2]))
        .await;
    assert_eq!(c2["status"], "confirmed");
    let (_, d2) = app
        .get(&format!("/api/v1/bookings/{}", d["id"]), Some(&p[3]))
        .await;
    assert_eq!(d2["waitlist_position"], 1);
    let promoted = app
        .count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE kind = 'waitlist_promoted' AND dedupe_key = 'promoted:{}'", c["id"]))
        .await;
    assert_eq!(promoted, 1);
    assert_eq!(app.seats(session).await, (2, 2, 1));
    // Someone else's booking is not mine to cancel or see.
    let (s, _) = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", d["id"]),
            Some(&p[0]),
            json!({}),
        )
        .await;
    assert_eq!(s, 404);
    // More seats are filled from the waiting list.
    let (admin, _) = app.staff("o-cap-admin", Role::CenterAdmin, "ft-main").await;
    let (s, v) = app
        .call(
            "PATCH",
            &format!("/api/v1/sessions/{session}"),
            Some(&admin),
            Some(json!({"capacity": 3})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(app.seats(session).await, (3, 3, 0));
    // Capacity below bookings is refused and changes nothing.
    let (s, v) = app
        .call(
            "PATCH",
            &format!("/api/v1/sessions/{session}"),
            Some(&admin),
            Some(json!({"capacity": 1})),
        )
        .await;
    assert_eq!(error_code(s, &v), "capacity_below_bookings");
    assert_eq!(app.seats(session).await, (3, 3, 0));
}
both!(waitlist, waitlist_and_promotion);

/// Model-based: random book / join-waitlist / cancel sequences against a simple reference.
async fn model_based(app: &TestApp) {
    use rand::{Rng, SeedableRng};
    const CAP: usize = 3;
    let (_, session) = app
        .activity(Act {
            capacity: Some(CAP as i64),
            ..Act::default()
        })
        .await;
    let people = residents(app, "model", 6).await;
    // Reference: confirmed set, waiting queue, booking id per person.
    let mut confirmed: Vec<usize> = Vec::new();
    let mut queue: Vec<usize> = Vec::new();
    let mut ids: Vec<Option<i64>> = vec![None; people.len()];
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for step in 0..120 {
        let who = rng.gen_range(0..people.len());
        let holds = confirmed.contains(&who) || queue.contains(&who);
        if holds && rng.gen_bool(0.5) {
            let (s, v) = app
                .post(
                    &format!("/api/v1/bookings/{}/cancel", ids[who].unwrap()),
                    Some(&people[who]),
                    json!({}),
                )
                .await;
            assert_eq!(s, 200, "step {step}: {v}");
            if let Some(i) = confirmed.iter().position(|p| *p == who) {
                confirmed.remove(i);
                if !queue.is_empty() {
                    confirmed.push(queue.remove(0));
                }
            } else {
                queue.retain(|p| *p != who);
            }
            ids[who] = None;
        } else {
            let wait = rng.gen_bool(0.5);
            let (s, v) = app
                .book(&people[who], session, json!({"join_waitlist": wait}))
                .await;
            if holds {
                assert_eq!(error_code(s, &v), "already_booked", "step {step}");
            } else if confirmed.len() < CAP {
                assert_eq!(v["status"], "confirmed", "step {step}: {v}");
                confirmed.push(who);
                ids[who] = v["id"].as_i64();
            } else if wait {
                assert_eq!(v["status"], "waitlisted", "step {step}: {v}");
                assert_eq!(
                    v["waitlist_position"].as_u64(),
                    Some(queue.len() as u64 + 1),
                    "step {step}"
                );
                queue.push(who);
                ids[who] = v["id"].as_i64();
            } else {
                assert_eq!(error_code(s, &v), "session_full", "step {step}");
            }
        }
        // The service agrees with the model about everyone.
        for (p, token) in people.iter().enumerate() {
            if let Some(id) = ids[p] {
                let (_, v) = app
                    .get(&format!("/api/v1/bookings/{id}"), Some(token))
                    .await;
                let expected = if confirmed.contains(&p) {
                    "confirmed"
                } else {
                    "waitlisted"
                };
                assert_eq!(v["status"], expected, "step {step}, person {p}");
                if let Some(pos) = queue.iter().position(|q| *q == p) {
                    assert_eq!(
                        v["waitlist_position"].as_u64(),
                        Some(pos as u64 + 1),
                        "step {step}, person {p}"
                    );
                }
            }
        }
        assert_eq!(
            app.seats(session).await,
            (
                confirmed.len() as i64,
                confirmed.len() as i64,
                queue.len() as i64
            ),
            "step {step}"
        );
    }
}
both!(model, model_based);

async fn lottery(app: &TestApp) {
    let (activity, session) = app
        .activity(Act {
            capacity: Some(3),
            mode: "lottery",
            kind: "training",
            lessons: 4,
            title: "少儿舞蹈培训班",
            ..Act::default()
        })
        .await;
    // The commitment is public before anyone enters; the seed is not.
    let (_, rec) = app
        .get(&format!("/api/v1/activities/{activity}/lottery"), None)
        .await;
    let commitment = rec["seed_sha256"].as_str().unwrap().to_string();
    assert!(rec["seed"].is_null());
    let people = residents(app, "lot", 8).await;
    for p in &people {
        let (s, v) = app.book(p, session, json!({})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "entered");
    }
    let (s, v) = app.book(&people[0], session, json!({})).await;
    assert_eq!(error_code(s, &v), "already_booked", "one entry per person");
    // Registration closes; the draw runs when due, once.
    app.clock().advance((3 * 24 * 60 - 59) * 60);
    let st = app.state();
    let r = culturehub::worker::pass(st, "w1").await.unwrap();
    assert_eq!(r.draws, 1);
    assert_eq!(culturehub::worker::pass(st, "w2").await.unwrap().draws, 0);
    assert_eq!(app.seats(session).await, (3, 3, 5));
    // Anyone can re-run it: the seed matches the commitment and gives the same order.
    let (_, rec) = app
        .get(&format!("/api/v1/activities/{activity}/lottery"), None)
        .await;
    let seed = rec["seed"].as_str().unwrap();
    assert_eq!(culturehub::rules::seed_commitment(seed), commitment);
    let entries: Vec<i64> = rec["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_i64().unwrap())
        .collect();
    let mut sorted = entries.clone();
    sorted.sort();
    assert_eq!(culturehub::rules::lottery_order(seed, &sorted), entries);
    for (i, id) in entries.iter().enumerate() {
        let status: String = sqlx::query_scalar("SELECT status FROM bookings WHERE id = $1")
            .bind(id)
            .fetch_one(st.db.pool())
            .await
            .unwrap();
        assert_eq!(
            status,
            if i < 3 { "confirmed" } else { "waitlisted" },
            "entry {i}"
        );
    }
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE kind = 'lottery_result'")
            .await,
        8,
        "everyone is told"
    );
    // After the draw, registration is closed.
    let late = app.sign_in("lot-late").await.0;
    let (s, v) = app.book(&late, session, json!({})).await;
    assert_eq!(error_code(s, &v), "booking_closed");
}
both!(lottery_draw, lottery);

async fn no_shows(backend: Backend) {
    let Some(app) = TestApp::start(backend, "no_shows").await else {
        return;
    };
    let me = app.sign_in("absent-minded").await.0;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (_, s) = app
            .activity(Act {
                starts_in_min: 60 * 24 + i * 180,
                title: "讲座",
                ..Act::default()
            })
            .await;
        let (_, b) = app.book(&me, s, json!({})).await;
        ids.push(b["id"].as_i64().unwrap());
    }
    // A cancellation before the deadline never counts.
    let (_, s4) = app
        .activity(Act {
            starts_in_min: 60 * 24 + 600,
            title: "讲座",
            ..Act::default()
        })
        .await;
    let (_, b4) = app.book(&me, s4, json!({})).await;
    app.post(
        &format!("/api/v1/bookings/{}/cancel", b4["id"]),
        Some(&me),
        json!({}),
    )
    .await;
    let (_, later) = app
        .activity(Act {
            starts_in_min: 60 * 24 * 10,
            title: "后来的讲座",
            ..Act::default()
        })
        .await;
    // Two days later all three ended without a check-in.
    app.clock().advance(2 * 24 * 3600);
    let (_, ns) = app.get("/api/v1/me/no-shows", Some(&me)).await;
    assert!(ns["suspended_until"].is_string(), "{ns}");
    assert!(ns["reason"].as_str().unwrap().contains("爽约"));
    let (s, v) = app.book(&me, later, json!({})).await;
    assert_eq!(error_code(s, &v), "booking_suspended");
    assert!(v["error"]["details"]["suspended_until"].is_string());
    // Branch staff of the place waive one; another branch's staff may not.
    let (other, _) = app
        .staff("o-other-branch", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/bookings/{}/waive-no-show", ids[0]),
            Some(&other),
            json!({"reason": "生病"}),
        )
        .await;
    assert_eq!(s, 403);
    let (staff, _) = app
        .staff("o-branch-yl", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/bookings/{}/waive-no-show", ids[0]),
            Some(&staff),
            json!({"reason": "生病"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/bookings/{}/waive-no-show", ids[0]),
            Some(&staff),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "not_a_no_show");
    let (_, ns) = app.get("/api/v1/me/no-shows", Some(&me)).await;
    assert!(ns["suspended_until"].is_null(), "{ns}");
    assert_eq!(ns["count"], 2);
    assert_eq!(app.book(&me, later, json!({})).await.0, 200);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_shows_sqlite() {
    no_shows(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_shows_postgres() {
    no_shows(Backend::Postgres).await;
}

async fn idempotency(app: &TestApp) {
    let (_, session) = app
        .activity(Act {
            capacity: Some(1),
            ..Act::default()
        })
        .await;
    let me = app.sign_in("retry-er").await.0;
    let send = |key: &'static str, path: String, body: Value| {
        let (http, url, t) = (app.http.clone(), app.url.clone(), me.clone());
        async move {
            let r = http
                .post(format!("{url}{path}"))
                .bearer_auth(t)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap())
        }
    };
    let (s1, a) = send(
        "k-1",
        "/api/v1/bookings".into(),
        json!({"session_id": session}),
    )
    .await;
    let (s2, b) = send(
        "k-1",
        "/api/v1/bookings".into(),
        json!({"session_id": session}),
    )
    .await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(a["id"], b["id"]);
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM bookings WHERE session_id = {session}"
        ))
        .await,
        1
    );
    // A refusal is answered the same way on retry.
    let other = app.sign_in("retry-er-2").await.0;
    let r = |key: &'static str| {
        let (http, url, t) = (app.http.clone(), app.url.clone(), other.clone());
        async move {
            let r = http
                .post(format!("{url}/api/v1/bookings"))
                .bearer_auth(t)
                .header("Idempotency-Key", key)
                .json(&json!({"session_id": session}))
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap())
        }
    };
    let (s, v) = r("k-full").await;
    assert_eq!(error_code(s, &v), "session_full");
    let (s, v) = r("k-full").await;
    assert_eq!(error_code(s, &v), "session_full");
    // Cancelling with a key twice cancels once.
    let cancel = format!("/api/v1/bookings/{}/cancel", a["id"]);
    let (s1, c1) = send("k-2", cancel.clone(), json!({})).await;
    let (s2, c2) = send("k-2", cancel.clone(), json!({})).await;
    assert_eq!((s1, s2), (200, 200), "{c1} {c2}");
    assert_eq!(c1, c2);
    // A key belongs to one request: the same key with a different body is refused.
    let (_, other_session) = app
        .activity(Act {
            title: "另一场讲座",
            ..Act::default()
        })
        .await;
    let (s, v) = send(
        "k-1",
        "/api/v1/bookings".into(),
        json!({"session_id": other_session}),
    )
    .await;
    assert_eq!(error_code(s, &v), "idempotency_key_reused");
    // A key belongs to one operation.
    let (s, v) = send("k-1", cancel, json!({})).await;
    assert_eq!(error_code(s, &v), "idempotency_key_reused");
    let (s, v) = send(
        "有中文",
        "/api/v1/bookings".into(),
        json!({"session_id": session}),
    )
    .await;
    assert_eq!(s, 400, "{v}");
}
both!(idempotent_retries, idempotency);

async fn family_and_ages(app: &TestApp) {
    let (_, kids) = app
        .activity(Act {
            age: (Some(6), Some(12)),
            title: "少儿书法",
            ..Act::default()
        })
        .await;
    let me = app.sign_in("parent").await.0;
    let birth = |years: i64| {
        (chrono::Utc::now() - chrono::Duration::days(365 * years + 30))
            .format("%Y-%m-%d")
            .to_string()
    };
    let before = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM family_members")
        .await;
    let (s, v) = app
        .post(
            "/api/v1/me/family",
            Some(&me),
            json!({"name": "小明", "relation": "child", "birth_date": birth(8)}),
        )
        .await;
    assert_eq!(error_code(s, &v), "guardian_consent_required");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM family_members")
            .await,
        before,
        "nothing stored without consent"
    );
    let (s, child) = app
        .post("/api/v1/me/family", Some(&me), json!({"name": "小明", "relation": "child", "birth_date": birth(8), "guardian_consent": true}))
        .await;
    assert_eq!(s, 200, "{child}");
    assert!(child["guardian_consent_at"].is_string());
    let (_, grandma) = app
        .post(
            "/api/v1/me/family",
            Some(&me),
            json!({"name": "王奶奶", "relation": "elder", "birth_date": birth(70)}),
        )
        .await;
    for bad in [
        json!({"name": "x", "relation": "pet", "birth_date": birth(3)}),
        json!({"name": "x", "relation": "child", "birth_date": "2015/01/01", "guardian_consent": true}),
    ] {
        let (s, _) = app.post("/api/v1/me/family", Some(&me), bad).await;
        assert_eq!(s, 422);
    }
    let (s, v) = app.book(&me, kids, json!({})).await;
    assert_eq!(error_code(s, &v), "age_not_allowed");
    let (s, v) = app
        .book(&me, kids, json!({"family_member_id": grandma["id"]}))
        .await;
    assert_eq!(error_code(s, &v), "age_not_allowed");
    let (s, v) = app
        .book(&me, kids, json!({"family_member_id": child["id"]}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["attendee_name"], "小明");
    // Someone else's family member cannot be used.
    let stranger = app.sign_in("stranger").await.0;
    let (s, _) = app
        .book(&stranger, kids, json!({"family_member_id": child["id"]}))
        .await;
    assert_eq!(s, 404);
    let (_, export) = app.get("/api/v1/me/export", Some(&me)).await;
    assert_eq!(export["family_members"].as_array().unwrap().len(), 2);
    assert_eq!(export["bookings"].as_array().unwrap().len(), 1);
}
both!(family, family_and_ages);

async fn windows_limits_and_bad_input(backend: Backend) {
    let Some(app) =
        TestApp::start_with(backend, "windows", |s| s.booking.max_active_per_person = 2).await
    else {
        return;
    };
    let me = app.sign_in("busy").await.0;
    let (_, s1) = app
        .activity(Act {
            title: "一",
            ..Act::default()
        })
        .await;
    let (_, s2) = app
        .activity(Act {
            title: "二",
            ..Act::default()
        })
        .await;
    let (_, s3) = app
        .activity(Act {
            title: "三",
            ..Act::default()
        })
        .await;
    let (_, b1) = app.book(&me, s1, json!({})).await;
    app.book(&me, s2, json!({})).await;
    let (s, v) = app.book(&me, s3, json!({})).await;
    assert_eq!(error_code(s, &v), "too_many_bookings");
    // Walk-in events need no booking.
    let (_, open) = app
        .activity(Act {
            capacity: None,
            mode: "none",
            title: "广场展览",
            kind: "exhibition",
            ..Act::default()
        })
        .await;
    let (s, v) = app.book(&me, open, json!({})).await;
    assert_eq!(error_code(s, &v), "no_booking_needed");
    // Unknown session.
    let (s, v) = app.book(&me, 999_999, json!({})).await;
    assert_eq!(error_code(s, &v), "not_found");
    // Too late to cancel within two hours of the start.
    app.clock().advance((3 * 24 * 60 - 60) * 60);
    let (s, v) = app
        .post(
            &format!("/api/v1/bookings/{}/cancel", b1["id"]),
            Some(&me),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "cancel_too_late");
    // After the start, booking is closed.
    app.clock().advance(2 * 3600);
    let other = app.sign_in("late").await.0;
    let (s, v) = app.book(&other, s1, json!({})).await;
    assert_eq!(error_code(s, &v), "booking_closed");

    // Staff input: past dates, unknown units, foreign scope — refused, nothing created.
    let (branch, _) = app
        .staff("o-branch-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let own = app.unit_id("ft-p-yuanling-hongli").await;
    let foreign = app.unit_id("ft-p-nanyuan-nanyuan").await;
    let organizer = app.unit_id("ft-b-yuanling").await;
    let before = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM activities")
        .await;
    let act = |place: i64, start: i64, cap: Option<i64>| {
        json!({"title": "测试", "kind": "lecture", "organizer_unit_id": organizer, "booking_mode": "fcfs",
               "sessions": [{"unit_id": place, "starts_at": at(&app, start), "ends_at": at(&app, start + 60), "capacity": cap}]})
    };
    for (body, status, code) in [
        (act(own, -60, Some(10)), 422, "validation_failed"),
        (act(own, 600, None), 422, "validation_failed"),
        (act(own, 600, Some(-1)), 422, "validation_failed"),
        (act(999_999, 600, Some(10)), 404, "not_found"),
        (act(foreign, 600, Some(10)), 403, "forbidden"),
    ] {
        let (s, v) = app.post("/api/v1/activities", Some(&branch), body).await;
        assert_eq!(s, status, "{v}");
        assert_eq!(error_code(s, &v), code);
    }
    let mut bad_kind = act(own, 600, Some(10));
    bad_kind["kind"] = json!("party");
    assert_eq!(
        app.post("/api/v1/activities", Some(&branch), bad_kind)
            .await
            .0,
        422
    );
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM activities")
            .await,
        before,
        "refusals created nothing"
    );
    let (s, v) = app
        .post("/api/v1/activities", Some(&branch), act(own, 600, Some(10)))
        .await;
    assert_eq!(s, 200, "{v}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn windows_sqlite() {
    windows_limits_and_bad_input(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn windows_postgres() {
    windows_limits_and_bad_input(Backend::Postgres).await;
}

async fn browse(app: &TestApp) {
    let (_, at_point) = app
        .activity(Act {
            title: "红荔讲座",
            place: "ft-p-yuanling-hongli",
            ..Act::default()
        })
        .await;
    let (_, at_branch) = app
        .activity(Act {
            title: "园岭演出",
            kind: "performance",
            place: "ft-b-yuanling",
            starts_in_min: 5 * 24 * 60,
            ..Act::default()
        })
        .await;
    let (_, elsewhere) = app
        .activity(Act {
            title: "南园展览",
            kind: "exhibition",
            organizer: "ft-b-nanyuan",
            place: "ft-p-nanyuan-nanyuan",
            ..Act::default()
        })
        .await;
    let branch = app.unit_id("ft-b-yuanling").await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let ids = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["session_id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let (s, v) = app
        .get(&format!("/api/v1/activities?unit_id={branch}"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        ids(&v),
        vec![at_point, at_branch],
        "a branch includes its points, in start order"
    );
    let (_, v) = app
        .get(&format!("/api/v1/activities?unit_id={point}"), None)
        .await;
    assert_eq!(ids(&v), vec![at_point]);
    let (_, v) = app.get("/api/v1/activities?kind=performance", None).await;
    assert_eq!(ids(&v), vec![at_branch]);
    let day = (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(5))
        .format("%Y-%m-%d")
        .to_string();
    let (_, v) = app
        .get(
            &format!("/api/v1/activities?date_from={day}&date_to={day}"),
            None,
        )
        .await;
    assert_eq!(ids(&v), vec![at_branch]);
    let (_, v) = app
        .get("/api/v1/activities?lng=114.0922&lat=22.5359", None)
        .await;
    assert_eq!(ids(&v)[0], elsewhere, "nearest first");
    assert!(v["items"][0]["distance_m"].as_i64().unwrap() < 100);
    let (_, v) = app
        .get(
            &format!("/api/v1/activities?q={}", "%E6%BC%94%E5%87%BA"),
            None,
        )
        .await; // 演出
    assert_eq!(ids(&v), vec![at_branch]);
    // Seats and my status are live, whatever is cached.
    let me = app.sign_in("browser").await.0;
    let (_, before) = app
        .get(&format!("/api/v1/activities?unit_id={point}"), Some(&me))
        .await;
    assert_eq!(before["items"][0]["seats_left"], 5);
    assert!(before["items"][0]["my_status"].is_null());
    app.book(&me, at_point, json!({})).await;
    let (_, after) = app
        .get(&format!("/api/v1/activities?unit_id={point}"), Some(&me))
        .await;
    assert_eq!(after["items"][0]["seats_left"], 4);
    assert_eq!(after["items"][0]["my_status"], "confirmed");
    // Paging is stable.
    let (_, p1) = app.get("/api/v1/activities?page_size=2", None).await;
    let (_, p2) = app.get("/api/v1/activities?page_size=2&page=2", None).await;
    assert_eq!(p1["has_more"], true);
    let mut all = ids(&p1);
    all.extend(ids(&p2));
    assert_eq!(all.len(), 3);
    // Bad input.
    for q in [
        "kind=party",
        "lng=114",
        "date_from=tomorrow",
        "page_size=500",
        "unit_id=999999",
    ] {
        let (s, v) = app.get(&format!("/api/v1/activities?{q}"), None).await;
        assert!(s == 422 || s == 404, "{q}: {s} {v}");
        error_code(s, &v);
    }
    // Drafts are invisible to the public.
    let (branch_staff, _) = app
        .staff("o-drafter", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let body = json!({"title": "草稿", "kind": "lecture", "organizer_unit_id": branch, "booking_mode": "fcfs",
        "sessions": [{"unit_id": point, "starts_at": at(app, 600), "ends_at": at(app, 700), "capacity": 3}]});
    let (_, d) = app
        .post("/api/v1/activities", Some(&branch_staff), body)
        .await;
    assert_eq!(
        app.get(&format!("/api/v1/activities/{}", d["id"]), None)
            .await
            .0,
        404
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/activities/{}", d["id"]),
            Some(&branch_staff)
        )
        .await
        .0,
        200
    );
    assert_eq!(
        ids(&app
            .get(&format!("/api/v1/activities?unit_id={point}"), None)
            .await
            .1),
        vec![at_point]
    );
}
both!(browsing, browse);

async fn notifications(app: &TestApp) {
    let (activity, session) = app
        .activity(Act {
            starts_in_min: 26 * 60,
            title: "粤剧欣赏",
            ..Act::default()
        })
        .await;
    let (token, _) = app.sign_in("o-listener").await;
    let (refuser, _) = app.sign_in("o-refuser").await;
    // The listener allowed both kinds in WeChat and told us; the refuser told us but WeChat has no grant.
    for kind in ["booking_confirmed", "session_reminder", "activity_changed"] {
        app.fake()
            .grant_subscription("o-listener", &format!("tmpl_{kind}"), 1);
    }
    for t in [&token, &refuser] {
        let (s, v) = app
            .post(
                "/api/v1/me/subscriptions",
                Some(t),
                json!({"kinds": ["booking_confirmed", "session_reminder", "activity_changed"]}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, _) = app
        .post(
            "/api/v1/me/subscriptions",
            Some(&token),
            json!({"kinds": ["spam"]}),
        )
        .await;
    assert_eq!(s, 422);
    // A booking made before its permission is recorded: the message waits for it.
    let (late, _) = app.sign_in("o-late-granter").await;
    app.book(&late, session, json!({})).await;
    let r0 = culturehub::worker::pass(app.state(), "w0").await.unwrap();
    assert_eq!(r0.outbox.waiting, 1, "{r0:?}");
    app.fake()
        .grant_subscription("o-late-granter", "tmpl_booking_confirmed", 1);
    app.post(
        "/api/v1/me/subscriptions",
        Some(&late),
        json!({"kinds": ["booking_confirmed"]}),
    )
    .await;
    app.clock().advance(15);
    culturehub::worker::pass(app.state(), "w0").await.unwrap();
    assert!(
        app.fake()
            .sent_messages()
            .iter()
            .any(|m| m["touser"] == "o-late-granter"),
        "sent once the permission arrived"
    );
    let (_, b) = app.book(&token, session, json!({})).await;
    let (_, rb) = app.book(&refuser, session, json!({})).await;
    // WeChat is busy once: the message waits and is retried, the booking stands.
    app.fake().fail_next("subscribe_send", -1, 1);
    let st = app.state();
    let r1 = culturehub::worker::pass(st, "w1").await.unwrap();
    assert_eq!(
        r1.outbox.retried + r1.outbox.sent + r1.outbox.refused,
        2,
        "{r1:?}"
    );
    app.clock().advance(60);
    culturehub::worker::pass(st, "w1").await.unwrap();
    let sent: Vec<Value> = app
        .fake()
        .sent_messages()
        .into_iter()
        .filter(|m| m["touser"] == "o-listener")
        .collect();
    assert_eq!(
        sent.iter()
            .filter(|m| m["template_id"] == "tmpl_booking_confirmed")
            .count(),
        1,
        "{sent:?}"
    );
    assert_eq!(sent[0]["data"]["thing1"]["value"], "粤剧欣赏");
    let refused = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE status = 'refused'")
        .await;
    assert_eq!(refused, 1, "43101 is recorded, not retried");
    let (_, rbv) = app
        .get(&format!("/api/v1/bookings/{}", rb["id"]), Some(&refuser))
        .await;
    assert_eq!(
        rbv["status"], "confirmed",
        "a refused message never touches the booking"
    );
    // The day-before reminder, once, even with two workers.
    app.clock().advance(3 * 3600);
    let st2 = st.clone();
    let (a, c) = tokio::join!(
        culturehub::worker::pass(st, "wa"),
        culturehub::worker::pass(&st2, "wb")
    );
    a.unwrap();
    c.unwrap();
    culturehub::worker::pass(st, "wa").await.unwrap();
    let reminders = app
        .fake()
        .sent_messages()
        .iter()
        .filter(|m| m["template_id"] == "tmpl_session_reminder")
        .count();
    assert_eq!(reminders, 1);
    // Cancelling the activity tells everyone booked.
    let (admin, _) = app.staff("o-canceller", Role::CenterAdmin, "ft-main").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{activity}/cancel"),
            Some(&admin),
            json!({"reason": "台风天气"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "cancelled");
    culturehub::worker::pass(st, "wa").await.unwrap();
    let changed: Vec<Value> = app
        .fake()
        .sent_messages()
        .into_iter()
        .filter(|m| m["template_id"] == "tmpl_activity_changed")
        .collect();
    assert_eq!(changed.len(), 1);
    assert!(changed[0]["data"]["thing4"]["value"]
        .as_str()
        .unwrap()
        .contains("台风"));
    let (_, bv) = app
        .get(&format!("/api/v1/bookings/{}", b["id"]), Some(&token))
        .await;
    assert_eq!(bv["status"], "cancelled");
    assert_eq!(app.seats(session).await, (0, 0, 0));
}
both!(notify, notifications);

/// A course keeps counting toward the active-booking limit until its last lesson has ended.
async fn course_counts_until_its_end(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, "course_limit", |s| {
        s.booking.max_active_per_person = 1
    })
    .await
    else {
        return;
    };
    let me = app.sign_in("course-taker").await.0;
    let (_, course) = app
        .activity(Act {
            lessons: 3,
            kind: "training",
            title: "书法课程",
            starts_in_min: 24 * 60,
            ..Act::default()
        })
        .await;
    assert_eq!(app.book(&me, course, json!({})).await.0, 200);
    // Lesson 1 is over, lessons 2 and 3 are still ahead.
    app.clock().advance(2 * 24 * 3600);
    let (_, other) = app
        .activity(Act {
            title: "另一场",
            starts_in_min: 24 * 60,
            ..Act::default()
        })
        .await;
    let (s, v) = app.book(&me, other, json!({})).await;
    assert_eq!(error_code(s, &v), "too_many_bookings");
    // After the last lesson it no longer counts.
    app.clock().advance(14 * 24 * 3600);
    let (_, later) = app
        .activity(Act {
            title: "再后来",
            starts_in_min: 24 * 60,
            ..Act::default()
        })
        .await;
    assert_eq!(app.book(&me, later, json!({})).await.0, 200);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn course_limit_sqlite() {
    course_counts_until_its_end(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn course_limit_postgres() {
    course_counts_until_its_end(Backend::Postgres).await;
}

/// Passing a booking on (转让): the seat moves in one step, the old ticket dies, both are told;
/// refused after the deadline, once admitted, to someone already booked or suspended.
async fn transfers(app: &TestApp) {
    let (_, session) = app
        .activity(Act {
            capacity: Some(1),
            title: "转让讲座",
            ..Act::default()
        })
        .await;
    let (holder, holder_id) = app.sign_in("giver").await;
    let (_, b) = app.book(&holder, session, json!({})).await;
    let old_id = b["id"].as_i64().unwrap();
    let (s, t) = app
        .get(&format!("/api/v1/bookings/{old_id}/ticket"), Some(&holder))
        .await;
    assert_eq!(s, 200, "{t}");
    let old_token = t["token"].as_str().unwrap().to_string();
    let (waiter, _) = app.sign_in("waiter").await;
    let (_, w) = app
        .book(&waiter, session, json!({"join_waitlist": true}))
        .await;
    assert_eq!(w["status"], "waitlisted");
    let (friend, friend_id) = app.sign_in("friend").await;

    // Only the holder can pass it on.
    let path = format!("/api/v1/bookings/{old_id}/transfer");
    let (s, v) = app.post(&path, Some(&friend), json!({})).await;
    assert_eq!(error_code(s, &v), "not_found");
    let (s, first) = app.post(&path, Some(&holder), json!({})).await;
    assert_eq!(s, 200, "{first}");
    let (s, created) = app.post(&path, Some(&holder), json!({})).await;
    assert_eq!(s, 200, "{created}");
    let code = created["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 10);
    assert_eq!(
        created["path"],
        format!("pages/transfer/accept?code={code}")
    );
    let expires = culturehub::time::parse(created["expires_at"].as_str().unwrap()).unwrap();
    assert!(expires <= app.clock().now() + chrono::Duration::minutes(30));
    // Only the hash is stored; a new code replaced the first one.
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM booking_transfers WHERE code_hash = '{code}'"
        ))
        .await,
        0
    );
    let (s, v) = app
        .post(
            &format!(
                "/api/v1/transfers/{}/accept",
                first["code"].as_str().unwrap()
            ),
            Some(&friend),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "transfer_used");

    // The recipient sees what they get, the holder's name masked; the code ignores case.
    let (s, p) = app
        .get(
            &format!("/api/v1/transfers/{}", code.to_lowercase()),
            Some(&friend),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["status"], "open");
    assert_eq!(p["activity_title"], "转让讲座");
    let (s, v) = app.get("/api/v1/transfers/NOPE234567", Some(&friend)).await;
    assert_eq!(error_code(s, &v), "transfer_not_found");

    let accept = format!("/api/v1/transfers/{code}/accept");
    let (s, v) = app.post(&accept, Some(&holder), json!({})).await;
    assert_eq!(error_code(s, &v), "transfer_to_self");
    // Someone already holding a place for the session (here: on its waiting list).
    let (s, v) = app.post(&accept, Some(&waiter), json!({})).await;
    assert_eq!(error_code(s, &v), "already_booked");
    // Someone suspended for no-shows: three past sessions they never came to.
    let (suspended, sid) = app.sign_in("no-show").await;
    for i in 0..3 {
        let past = culturehub::time::fmt(app.clock().now() - chrono::Duration::days(i + 2));
        let st = app.state();
        let ps: i64 = sqlx::query_scalar(
            "INSERT INTO sessions (activity_id, lesson_no, unit_id, unit_path, starts_at, ends_at, capacity, booked) \
             SELECT activity_id, $1, unit_id, unit_path, $2, $2, 5, 1 FROM sessions WHERE id = $3 RETURNING id",
        )
        .bind(10 + i)
        .bind(&past)
        .bind(session)
        .fetch_one(st.db.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO bookings (session_id, activity_id, user_id, attendee_key, status, created_at, confirmed_at) \
             SELECT $1, activity_id, $2, $3, 'confirmed', $4, $4 FROM sessions WHERE id = $1",
        )
        .bind(ps)
        .bind(sid)
        .bind(format!("u:{sid}"))
        .bind(&past)
        .execute(st.db.pool())
        .await
        .unwrap();
    }
    let (s, v) = app.post(&accept, Some(&suspended), json!({})).await;
    assert_eq!(error_code(s, &v), "booking_suspended");

    // Accepted: the seat moved without touching the waiting list.
    let (s, nb) = app.post(&accept, Some(&friend), json!({})).await;
    assert_eq!(s, 200, "{nb}");
    assert_eq!(nb["status"], "confirmed");
    assert_eq!(nb["session_id"], session);
    let new_id = nb["id"].as_i64().unwrap();
    assert_eq!(app.seats(session).await, (1, 1, 1));
    let (_, old) = app
        .get(&format!("/api/v1/bookings/{old_id}"), Some(&holder))
        .await;
    assert_eq!(old["status"], "cancelled");
    let (_, w) = app
        .get(&format!("/api/v1/bookings/{}", w["id"]), Some(&waiter))
        .await;
    assert_eq!(w["status"], "waitlisted");
    // The old ticket is dead, the new one is a different code.
    let (s, v) = app
        .get(&format!("/api/v1/bookings/{old_id}/ticket"), Some(&holder))
        .await;
    assert_eq!(error_code(s, &v), "no_ticket");
    let (staff, _) = app
        .staff("o-transfer-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (s, v) = app
        .post(
            "/api/v1/checkin/scan",
            Some(&staff),
            json!({"session_id": session, "token": old_token, "nonce": "transfer-old"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"], "cancelled", "{v}");
    let (s, t) = app
        .get(&format!("/api/v1/bookings/{new_id}/ticket"), Some(&friend))
        .await;
    assert_eq!(s, 200, "{t}");
    assert_ne!(t["token"].as_str().unwrap(), old_token);
    // Both are told, through the outbox.
    for (who, key) in [(friend_id, "transfer-in"), (holder_id, "transfer-out")] {
        assert_eq!(
            app.count(&format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE user_id = {who} AND dedupe_key LIKE '{key}:%'"
            ))
            .await,
            1,
            "{key}"
        );
    }
    // A code works once.
    let (other, _) = app.sign_in("late-friend").await;
    let (s, v) = app.post(&accept, Some(&other), json!({})).await;
    assert_eq!(error_code(s, &v), "transfer_used");
    // The new holder cannot take it back by a code of the old holder.
    let (s, v) = app.post(&path, Some(&holder), json!({})).await;
    assert_eq!(error_code(s, &v), "transfer_not_confirmed");

    // Within the cancellation deadline (120 minutes before the start): refused.
    let (_, soon) = app
        .activity(Act {
            starts_in_min: 30,
            title: "快开始的讲座",
            ..Act::default()
        })
        .await;
    let (_, b) = app.book(&other, soon, json!({})).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/bookings/{}/transfer", b["id"]),
            Some(&other),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "transfer_too_late");
    // Admitted at the door: refused (checked before the deadline).
    let (s, t) = app
        .get(
            &format!("/api/v1/bookings/{}/ticket", b["id"]),
            Some(&other),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    let (s, v) = app
        .post(
            "/api/v1/checkin/scan",
            Some(&staff),
            json!({"session_id": soon, "token": t["token"], "nonce": "transfer-admit"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"], "admitted", "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/bookings/{}/transfer", b["id"]),
            Some(&other),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "transfer_admitted");

    // A code expires after 30 minutes; the holder can also take it back.
    let (_, later) = app
        .activity(Act {
            title: "后天的讲座",
            ..Act::default()
        })
        .await;
    let (_, b) = app.book(&other, later, json!({})).await;
    let tpath = format!("/api/v1/bookings/{}/transfer", b["id"]);
    let (_, c) = app.post(&tpath, Some(&other), json!({})).await;
    app.clock().advance(31 * 60);
    let (s, v) = app
        .post(
            &format!("/api/v1/transfers/{}/accept", c["code"].as_str().unwrap()),
            Some(&friend),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "transfer_expired");
    let (_, c) = app.post(&tpath, Some(&other), json!({})).await;
    let (s, _) = app.call("DELETE", &tpath, Some(&other), None).await;
    assert_eq!(s, 200);
    let (s, v) = app
        .post(
            &format!("/api/v1/transfers/{}/accept", c["code"].as_str().unwrap()),
            Some(&friend),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "transfer_used");
}
both!(transfer, transfers);

/// Ten people accept one transfer code at the same moment: exactly one gets the seat.
async fn concurrent_transfer_accept(app: &TestApp) {
    let (_, session) = app
        .activity(Act {
            capacity: Some(1),
            title: "抢转让",
            ..Act::default()
        })
        .await;
    let (holder, _) = app.sign_in("giver-race").await;
    let (_, b) = app.book(&holder, session, json!({})).await;
    let (_, c) = app
        .post(
            &format!("/api/v1/bookings/{}/transfer", b["id"]),
            Some(&holder),
            json!({}),
        )
        .await;
    let code = c["code"].as_str().unwrap().to_string();
    let people = residents(app, "taker", 10).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(people.len()));
    let mut tasks = Vec::new();
    for t in people {
        let (http, url, code, barrier) = (
            app.http.clone(),
            app.url.clone(),
            code.clone(),
            barrier.clone(),
        );
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let r = http
                .post(format!("{url}/api/v1/transfers/{code}/accept"))
                .bearer_auth(t)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (s, v) = t.await.unwrap();
        match s {
            200 => ok += 1,
            409 => assert_eq!(v["error"]["code"], "transfer_used", "{v}"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(ok, 1);
    no_overbooking(app, session, 1).await.unwrap();
    assert_eq!(app.seats(session).await, (1, 1, 0));
    assert_eq!(
        app.count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM bookings WHERE session_id = {session} AND status <> 'cancelled'")).await,
        1
    );
}
both!(transfer_race, concurrent_transfer_accept);

/// Staff notices reach the session's confirmed attendees in 我的消息 and as a subscribe
/// message; limited to 3 an hour per session; audited; refused once the session is over.
async fn session_notices(app: &TestApp) {
    let (_, session) = app
        .activity(Act {
            capacity: Some(2),
            title: "通知讲座",
            ..Act::default()
        })
        .await;
    let (a, a_id) = app.sign_in("notice-a").await;
    let (b, _) = app.sign_in("notice-b").await;
    let (c, _) = app.sign_in("notice-waiting").await;
    app.book(&a, session, json!({})).await;
    app.book(&b, session, json!({})).await;
    app.book(&c, session, json!({"join_waitlist": true})).await;
    let (staff, staff_id) = app
        .staff("o-notice-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let path = format!("/api/v1/sessions/{session}/notices");
    let (s, v) = app.post(&path, Some(&staff), json!({"body": "  "})).await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, v) = app
        .post(&path, Some(&a), json!({"body": "我不是工作人员"}))
        .await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, n) = app
        .post(
            &path,
            Some(&staff),
            json!({"body": "教室改到三楼 301，请带好毛笔"}),
        )
        .await;
    assert_eq!(s, 200, "{n}");
    // Confirmed attendees only: not the waiting list.
    assert_eq!(n["recipients"], 2);
    let (s, m) = app.get("/api/v1/me/messages", Some(&a)).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["unread"], 1);
    assert_eq!(m["items"][0]["body"], "教室改到三楼 301，请带好毛笔");
    assert_eq!(m["items"][0]["page"], "pages/messages/index");
    assert!(m["items"][0]["title"]
        .as_str()
        .unwrap()
        .starts_with("通知讲座"));
    let (_, m) = app.get("/api/v1/me/messages", Some(&c)).await;
    assert_eq!(m["items"].as_array().unwrap().len(), 0);
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE kind = 'activity_changed' AND dedupe_key LIKE 'notice:{}:%'",
            n["id"]
        ))
        .await,
        2
    );
    assert_eq!(
        app.count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'session_notice_sent' AND actor_id = {staff_id}"))
            .await,
        1
    );
    let (s, _) = app
        .post("/api/v1/me/messages/read", Some(&a), json!({}))
        .await;
    assert_eq!(s, 200);
    let (_, m) = app.get("/api/v1/me/messages", Some(&a)).await;
    assert_eq!(m["unread"], 0);
    assert_eq!(m["items"][0]["read"], true);
    // 3 an hour: the fourth waits, and says how long.
    for i in 0..2 {
        let (s, v) = app
            .post(&path, Some(&staff), json!({"body": format!("补充 {i}")}))
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, v) = app
        .post(&path, Some(&staff), json!({"body": "第四条"}))
        .await;
    assert_eq!(error_code(s, &v), "rate_limited");
    assert!(v["error"]["details"]["retry_after"].as_u64().unwrap() > 0);
    let (s, list) = app.get(&path, Some(&staff)).await;
    assert_eq!(s, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert_eq!(list["items"][2]["body"], "教室改到三楼 301，请带好毛笔");
    // After the session: refused.
    app.clock().advance(4 * 24 * 3600);
    let (s, v) = app
        .post(&path, Some(&staff), json!({"body": "迟到的通知"}))
        .await;
    assert_eq!(error_code(s, &v), "notice_session_over");
    // The export holds them; an account deleted: its messages go with it.
    let (_, export) = app.get("/api/v1/me/export", Some(&a)).await;
    assert!(
        export["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["body"] == "教室改到三楼 301，请带好毛笔"),
        "{export}"
    );
    let (s, _) = app.call("DELETE", "/api/v1/me", Some(&a), None).await;
    assert_eq!(s, 200);
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM user_messages WHERE user_id = {a_id}"
        ))
        .await,
        0
    );
}
both!(notices, session_notices);

/// A rush with `Idempotency-Key`s: the losers queued behind the winners are refused from one
/// read under the write lock, and their refusals are stored in batches (not one write each);
/// every retry with the same key answers what the first attempt was told, and each key ends
/// up stored once.
async fn rush_answers_are_kept_under_keys(app: &TestApp) {
    let http = reqwest::Client::new();
    let (_, session) = app
        .activity(Act {
            capacity: Some(3),
            title: "带幂等键抢座",
            ..Act::default()
        })
        .await;
    let mut people = Vec::new();
    for i in 0..24 {
        people.push((
            app.sign_in(&format!("fs-key-{i}")).await.0,
            format!("rushkey-{i}"),
        ));
    }
    let send = |t: String, k: String, body: Value| {
        let (http, url) = (http.clone(), app.url.clone());
        tokio::spawn(async move {
            let r = http
                .post(format!("{url}/api/v1/bookings"))
                .bearer_auth(t)
                .header("Idempotency-Key", k)
                .json(&body)
                .send()
                .await
                .expect("request");
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap())
        })
    };
    let first: Vec<_> = people
        .iter()
        .map(|(t, k)| send(t.clone(), k.clone(), json!({ "session_id": session })))
        .collect();
    let mut answers = Vec::new();
    for t in first {
        answers.push(t.await.unwrap());
    }
    assert_eq!(answers.iter().filter(|(s, _)| *s == 200).count(), 3);
    for (s, v) in &answers {
        assert!(*s == 200 || error_code(*s, v) == "session_full", "{s} {v}");
    }
    // Retries, all at once: the same answer as the first time.
    let again: Vec<_> = people
        .iter()
        .map(|(t, k)| send(t.clone(), k.clone(), json!({ "session_id": session })))
        .collect();
    for (t, (s0, v0)) in again.into_iter().zip(&answers) {
        let (s, v) = t.await.unwrap();
        assert_eq!(s, *s0, "{v} after {v0}");
        if s == 200 {
            assert_eq!(v["id"], v0["id"]);
        } else {
            assert_eq!(v["error"]["code"], v0["error"]["code"], "{v}");
        }
    }
    // A key already used for this booking cannot be reused for another operation.
    let loser = answers.iter().position(|(s, _)| *s == 409).unwrap();
    let (t, k) = &people[loser];
    let (s, v) = send(
        t.clone(),
        k.clone(),
        json!({ "session_id": session, "join_waitlist": true }),
    )
    .await
    .unwrap();
    assert_eq!(error_code(s, &v), "idempotency_key_reused");
    // Every key is stored once (refusals are written in batches shortly after).
    let t0 = std::time::Instant::now();
    loop {
        let n = app
            .count(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM idempotency_keys WHERE key LIKE 'rushkey-%'",
            )
            .await;
        if n == 24 {
            break;
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(3),
            "{n} of 24 keys stored"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (booked, confirmed, _) = app.seats(session).await;
    assert_eq!((booked, confirmed), (3, 3));
}

both!(rush_with_keys, rush_answers_are_kept_under_keys);
