//! Tickets and check-in, on SQLite and on PostgreSQL + Redis.

use culturehub::access::Role;
use culturehub_tests::{both, error_code, Act, TestApp};
use serde_json::{json, Value};

struct Door {
    session: i64,
    activity: i64,
    volunteer: String,
    volunteer_id: i64,
    staff: String,
}

/// A session starting in 30 minutes at 红荔, a volunteer assigned to it, and the branch's staff.
async fn door(app: &TestApp, act: Act<'_>) -> Door {
    let (activity, session) = app
        .activity(Act {
            starts_in_min: 30,
            ..act
        })
        .await;
    let (volunteer, volunteer_id) = app
        .staff("o-vol-1", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    let (staff, _) = app
        .staff("o-staff-1", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/sessions/{session}/assignments"),
            Some(&staff),
            json!({"user_id": volunteer_id}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    Door {
        session,
        activity,
        volunteer,
        volunteer_id,
        staff,
    }
}

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

async fn scan(app: &TestApp, token: &str, session: i64, ticket: &str, nonce: &str) -> (u16, Value) {
    app.post(
        "/api/v1/checkin/scan",
        Some(token),
        json!({"session_id": session, "token": ticket, "nonce": nonce}),
    )
    .await
}

async fn tickets(app: &TestApp) {
    let (_, session) = app
        .activity(Act {
            capacity: Some(1),
            ..Act::default()
        })
        .await;
    let (t, id, token) = booked_ticket(app, "holder", session).await;
    assert_eq!(token.len(), 43);
    let (_, ticket) = app
        .get(&format!("/api/v1/bookings/{id}/ticket"), Some(&t))
        .await;
    assert_eq!(ticket["token"], token, "the same ticket every time");
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD
        .decode(ticket["qr_png_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(ticket["qr_svg"].as_str().unwrap().contains("<svg"));
    // Only the hash is stored.
    assert_eq!(app.count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM tickets WHERE token_hash = '{token}' OR salt = '{token}'")).await, 0);
    // Not mine: 404. Waiting list: no ticket.
    let other = app.sign_in("nosy").await.0;
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{id}/ticket"), Some(&other))
            .await
            .0,
        404
    );
    let (_, w) = app
        .book(&other, session, json!({"join_waitlist": true}))
        .await;
    let (s, v) = app
        .get(
            &format!("/api/v1/bookings/{}/ticket", w["id"]),
            Some(&other),
        )
        .await;
    assert_eq!(error_code(s, &v), "no_ticket");
}
both!(ticket, tickets);

async fn scanning(app: &TestApp) {
    let d = door(app, Act::default()).await;
    let (holder, booking, ticket) = booked_ticket(app, "guest", d.session).await;
    // A volunteer of the point who is not assigned cannot scan.
    let (loose, _) = app
        .staff("o-vol-2", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    let (s, v) = scan(app, &loose, d.session, &ticket, "n0").await;
    assert_eq!(error_code(s, &v), "not_assigned");
    // A resident cannot scan at all.
    assert_eq!(scan(app, &holder, d.session, &ticket, "n0").await.0, 403);

    let (s, a) = scan(app, &d.volunteer, d.session, &ticket, "n1").await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["result"], "admitted");
    assert_eq!(a["colour"], "green");
    assert_eq!(a["admitted_count"], 1);
    assert_eq!(a["booked_count"], 1);
    // Again with a new nonce: already admitted, when and by whom.
    let (_, again) = scan(app, &d.volunteer, d.session, &ticket, "n2").await;
    assert_eq!(again["result"], "already_admitted");
    assert!(again["admitted_by"].as_str().unwrap().starts_with("志愿者"));
    // A retry with the same nonce returns the first answer and records nothing new.
    let scans = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM scans")
        .await;
    let (_, replay) = scan(app, &d.volunteer, d.session, &ticket, "n1").await;
    assert_eq!(replay, a);
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM scans")
            .await,
        scans
    );
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM checkins")
            .await,
        1
    );
    // The booking is no longer a no-show candidate.
    let (_, b) = app
        .get(&format!("/api/v1/bookings/{booking}"), Some(&holder))
        .await;
    assert!(b["checked_in_at"].is_string());

    // Garbled, forged and unknown tokens: one uniform answer, nothing touched.
    let before = (
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM checkins")
            .await,
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM scans")
            .await,
    );
    let mut forged: Vec<char> = ticket.chars().collect();
    forged[5] = if forged[5] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let unknown = culturehub::checkin::ticket_token(b"not our key", "whatever");
    for (i, bad) in [
        "",
        "hello",
        "' OR 1=1 --",
        &"x".repeat(43),
        &forged,
        &unknown,
        &booking.to_string(),
    ]
    .iter()
    .enumerate()
    {
        let (s, v) = scan(app, &d.volunteer, d.session, bad, &format!("bad-{i}")).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["result"], "not_recognised", "{bad}");
        assert!(v["holder_masked"].is_null());
    }
    assert_eq!(
        (
            app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM checkins")
                .await,
            app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM scans")
                .await
        ),
        before
    );
    // Bad input is refused with the error shape.
    let (s, v) = scan(app, &d.volunteer, d.session, &ticket, "").await;
    assert_eq!(s, 400, "{v}");
    let (s, _) = scan(app, &d.volunteer, 999_999, &ticket, "n9").await;
    assert_eq!(s, 404);

    // A ticket from another session never admits here.
    let (_, other_session) = app
        .activity(Act {
            title: "另一场",
            starts_in_min: 40,
            ..Act::default()
        })
        .await;
    let (_, _, ticket3) = booked_ticket(app, "wanderer", other_session).await;
    let (_, v) = scan(app, &d.volunteer, d.session, &ticket3, "n4").await;
    assert_eq!(v["result"], "wrong_session");
    assert_eq!(v["expected"]["session_id"], other_session);
    // Too early: the window opens 60 minutes before the start.
    let (_, later) = app
        .activity(Act {
            title: "晚上",
            starts_in_min: 300,
            ..Act::default()
        })
        .await;
    app.post(
        &format!("/api/v1/sessions/{later}/assignments"),
        Some(&d.staff),
        json!({"user_id": d.volunteer_id}),
    )
    .await;
    let (_, _, ticket4) = booked_ticket(app, "early-bird", later).await;
    let (_, v) = scan(app, &d.volunteer, later, &ticket4, "n5").await;
    assert_eq!(v["result"], "outside_window");
    // A cancelled booking's ticket is refused with the reason.
    let (t2, b2, ticket2) = booked_ticket(app, "canceller", later).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/bookings/{b2}/cancel"),
            Some(&t2),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = scan(app, &d.volunteer, later, &ticket2, "n3").await;
    assert_eq!(v["result"], "cancelled");
    // Live counts for staff.
    let (s, stats) = app
        .get(
            &format!("/api/v1/sessions/{}/checkin/stats", d.session),
            Some(&d.staff),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(stats["admitted"], 1);
    assert_eq!(stats["booked"], 1);
}
both!(scan_rules, scanning);

async fn double_scan(app: &TestApp) {
    let d = door(
        app,
        Act {
            capacity: Some(50),
            ..Act::default()
        },
    )
    .await;
    let (other, other_id) = app
        .staff("o-vol-3", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    app.post(
        &format!("/api/v1/sessions/{}/assignments", d.session),
        Some(&d.staff),
        json!({"user_id": other_id}),
    )
    .await;
    let (_, _, ticket) = booked_ticket(app, "popular", d.session).await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let token = if i % 2 == 0 {
            d.volunteer.clone()
        } else {
            other.clone()
        };
        let (http, url, ticket, session) =
            (app.http.clone(), app.url.clone(), ticket.clone(), d.session);
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(format!("{url}/api/v1/checkin/scan"))
                .bearer_auth(token)
                .json(
                    &json!({"session_id": session, "token": ticket, "nonce": format!("race-{i}")}),
                )
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap()["result"].as_str().unwrap().to_string());
    }
    assert_eq!(
        results.iter().filter(|r| *r == "admitted").count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .all(|r| r == "admitted" || r == "already_admitted"),
        "{results:?}"
    );
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM checkins WHERE undone_at IS NULL")
            .await,
        1
    );

    // One scan sent eight times at once (a flaky network's duplicates, same nonce): one
    // admission, one recorded answer, and every copy gets that same answer (D271: the
    // admission and its answer are one statement; the losers replay it).
    let (_, _, ticket) = booked_ticket(app, "dup-sender", d.session).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (http, url, ticket, session, token) = (
            app.http.clone(),
            app.url.clone(),
            ticket.clone(),
            d.session,
            d.volunteer.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(format!("{url}/api/v1/checkin/scan"))
                .bearer_auth(token)
                .json(&json!({"session_id": session, "token": ticket, "nonce": "dup-1"}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
    assert_eq!(answers[0].1["result"], "admitted", "{answers:?}");
    assert_eq!(answers[0].1["admitted_count"], 2);
    assert!(
        answers.iter().all(|(_, a)| *a == answers[0].1),
        "{answers:?}"
    );
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM checkins WHERE undone_at IS NULL")
            .await,
        2
    );
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM scans WHERE nonce = 'dup-1'")
            .await,
        1
    );
    // The answer's copy on the admission is cleared once recorded (SQLite keeps it there only
    // for the statement).
    if app.state().db.backend == culturehub::db::Backend::Sqlite {
        assert_eq!(
            app.count(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM checkins WHERE scan_answer IS NOT NULL"
            )
            .await,
            0
        );
    }
}
both!(concurrent_double_scan, double_scan);

async fn undo_rules(app: &TestApp) {
    let d = door(app, Act::default()).await;
    let (_, _, ticket) = booked_ticket(app, "mistake", d.session).await;
    let (_, a) = scan(app, &d.volunteer, d.session, &ticket, "u1").await;
    let id = a["checkin_id"].as_i64().unwrap();
    let (other, _) = app
        .staff("o-vol-4", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/checkin/{id}/undo"),
            Some(&other),
            json!({"reason": "扫错了"}),
        )
        .await;
    assert_eq!(s, 403, "only the admitting volunteer");
    let (s, v) = app
        .post(
            &format!("/api/v1/checkin/{id}/undo"),
            Some(&d.volunteer),
            json!({"reason": "扫错了"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/checkin/{id}/undo"),
            Some(&d.volunteer),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "already_undone");
    // Admitted again; after 15 minutes only staff may correct it.
    let (_, a) = scan(app, &d.volunteer, d.session, &ticket, "u2").await;
    assert_eq!(a["result"], "admitted");
    let id = a["checkin_id"].as_i64().unwrap();
    app.clock().advance(16 * 60);
    let (s, v) = app
        .post(
            &format!("/api/v1/checkin/{id}/undo"),
            Some(&d.volunteer),
            json!({"reason": "late"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "undo_too_late");
    let (s, _) = app
        .post(
            &format!("/api/v1/checkin/{id}/undo"),
            Some(&d.staff),
            json!({"reason": "居民未到场，系误扫"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'checkin_undone'")
            .await,
        2
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/checkin/{id}/undo"),
            Some(&d.staff),
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(s, 400);
}
both!(undo, undo_rules);

async fn offline(app: &TestApp) {
    let d = door(
        app,
        Act {
            capacity: Some(10),
            ..Act::default()
        },
    )
    .await;
    let (phone_b, b_id) = app
        .staff("o-vol-5", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    app.post(
        &format!("/api/v1/sessions/{}/assignments", d.session),
        Some(&d.staff),
        json!({"user_id": b_id}),
    )
    .await;
    let (_, _, t1) = booked_ticket(app, "off-1", d.session).await;
    let (_, _, t2) = booked_ticket(app, "off-2", d.session).await;
    let (_, _, t3) = booked_ticket(app, "off-3", d.session).await;
    // The list carries hashes and masked names only.
    let (s, list) = app
        .get(
            &format!("/api/v1/sessions/{}/checkin-list", d.session),
            Some(&d.volunteer),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    let hashes: Vec<&str> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["ticket_hash"].as_str().unwrap())
        .collect();
    assert_eq!(hashes.len(), 3);
    assert!(hashes.contains(&culturehub::checkin::token_hash(&t1).as_str()));
    assert!(
        !list.to_string().contains(&t1),
        "tokens never leave in the list"
    );
    assert!(list["expires_at"].is_string());
    let at = culturehub::time::fmt(app.clock().now());
    // Order 1: admitted online, then an offline phone syncs the same ticket → conflict.
    assert_eq!(
        scan(app, &d.volunteer, d.session, &t1, "on-1").await.1["result"],
        "admitted"
    );
    let (s, r) = app
        .post(
            &format!("/api/v1/sessions/{}/checkin/sync", d.session),
            Some(&phone_b),
            json!({"scans": [{"nonce": "off-a", "token": t1, "scanned_at": at}]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["answers"][0]["result"], "conflict");
    // Order 2: phone B synced first, then an online scan → already admitted.
    let (_, r) = app
        .post(
            &format!("/api/v1/sessions/{}/checkin/sync", d.session),
            Some(&phone_b),
            json!({"scans": [{"nonce": "off-b", "token": t2, "scanned_at": at}]}),
        )
        .await;
    assert_eq!(r["answers"][0]["result"], "admitted");
    assert_eq!(
        scan(app, &d.volunteer, d.session, &t2, "on-2").await.1["result"],
        "already_admitted"
    );
    // Two offline phones admitted the same ticket: the second sync is a conflict, not a rejection.
    let (_, r) = app
        .post(
            &format!("/api/v1/sessions/{}/checkin/sync", d.session),
            Some(&d.volunteer),
            json!({"scans": [{"nonce": "off-c", "token": t3, "scanned_at": at}]}),
        )
        .await;
    assert_eq!(r["answers"][0]["result"], "admitted");
    let sync_b = json!({"scans": [{"nonce": "off-d", "token": t3, "scanned_at": at}, {"nonce": "off-e", "token": "garbage", "scanned_at": at}]});
    let (_, r) = app
        .post(
            &format!("/api/v1/sessions/{}/checkin/sync", d.session),
            Some(&phone_b),
            sync_b.clone(),
        )
        .await;
    assert_eq!(r["answers"][0]["result"], "conflict");
    assert_eq!(r["answers"][1]["result"], "not_recognised");
    // Syncing the same batch again changes nothing.
    let (_, again) = app
        .post(
            &format!("/api/v1/sessions/{}/checkin/sync", d.session),
            Some(&phone_b),
            sync_b,
        )
        .await;
    assert_eq!(again["answers"][0], r["answers"][0]);
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM checkin_conflicts")
            .await,
        2
    );
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM checkins WHERE undone_at IS NULL")
            .await,
        3
    );
    // Staff see and resolve conflicts.
    let (_, c) = app
        .get(
            &format!("/api/v1/sessions/{}/checkin/conflicts", d.session),
            Some(&d.staff),
        )
        .await;
    let items = c["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let (s, _) = app
        .post(
            &format!("/api/v1/checkin/conflicts/{}/resolve", items[0]["id"]),
            Some(&d.staff),
            json!({"resolution": "同一人，重复扫码"}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, stats) = app
        .get(
            &format!("/api/v1/sessions/{}/checkin/stats", d.session),
            Some(&d.staff),
        )
        .await;
    assert_eq!(stats["open_conflicts"], 1);
    // A phone whose clock runs fast: the scan still counts, at the server's time.
    let (_, _, t4) = booked_ticket(app, "off-4", d.session).await;
    let future = culturehub::time::fmt(app.clock().now() + chrono::Duration::hours(2));
    let (s, r) = app
        .post(
            &format!("/api/v1/sessions/{}/checkin/sync", d.session),
            Some(&phone_b),
            json!({"scans": [{"nonce": "off-f", "token": t4, "scanned_at": future}]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["answers"][0]["result"], "admitted");
    let admitted_at: String = sqlx::query_scalar("SELECT MAX(admitted_at) FROM checkins")
        .fetch_one(app.state().db.pool())
        .await
        .unwrap();
    assert!(
        admitted_at <= culturehub::time::fmt(app.clock().now()),
        "clamped to now"
    );
    // An unreadable scan time is refused, and nothing in the batch is recorded.
    let (s, _) = app
        .post(
            &format!("/api/v1/sessions/{}/checkin/sync", d.session),
            Some(&phone_b),
            json!({"scans": [{"nonce": "off-g", "token": t1, "scanned_at": "yesterday"}]}),
        )
        .await;
    assert_eq!(s, 422);
}
both!(offline_sync, offline);

async fn door_fallbacks(app: &TestApp) {
    let d = door(app, Act::default()).await;
    let (t, booking, _) = booked_ticket(app, "no-phone", d.session).await;
    app.call(
        "PATCH",
        "/api/v1/me",
        Some(&t),
        Some(json!({"display_name": "张阿姨"})),
    )
    .await;
    let code = app.fake().issue_phone_code("13512348000");
    app.post("/api/v1/me/phone", Some(&t), json!({"code": code}))
        .await;
    let url = format!(
        "/api/v1/sessions/{}/checkin/lookup?name=%E5%BC%A0%E9%98%BF%E5%A7%A8&phone_last4=8000",
        d.session
    );
    assert_eq!(
        app.get(&url, Some(&d.volunteer)).await.0,
        403,
        "volunteers cannot look residents up"
    );
    let (s, v) = app.get(&url, Some(&d.staff)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"][0]["booking_id"], booking);
    assert_eq!(v["items"][0]["phone_masked"], "135****8000");
    assert!(!v.to_string().contains("13512348000"));
    let (s, _) = app
        .get(
            &format!(
                "/api/v1/sessions/{}/checkin/lookup?name=x&phone_last4=12",
                d.session
            ),
            Some(&d.staff),
        )
        .await;
    assert_eq!(s, 422);
    let (s, v) = app
        .post(
            &format!("/api/v1/sessions/{}/checkin/manual", d.session),
            Some(&d.staff),
            json!({"booking_id": booking}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"], "admitted");
    assert_eq!(app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action IN ('resident_lookup','manual_checkin')").await, 2);

    // A walk-in event: head counts by volunteers, and residents' own venue-code check-ins.
    let (_, open) = app
        .activity(Act {
            capacity: None,
            mode: "none",
            kind: "exhibition",
            starts_in_min: 10,
            title: "非遗展",
            ..Act::default()
        })
        .await;
    app.post(
        &format!("/api/v1/sessions/{open}/assignments"),
        Some(&d.staff),
        json!({"user_id": d.volunteer_id}),
    )
    .await;
    let (_, w) = app
        .post(
            &format!("/api/v1/sessions/{open}/headcount"),
            Some(&d.volunteer),
            json!({"count": 12, "nonce": "h1"}),
        )
        .await;
    assert_eq!(w["walk_ins"], 12);
    let (_, w) = app
        .post(
            &format!("/api/v1/sessions/{open}/headcount"),
            Some(&d.volunteer),
            json!({"count": 12, "nonce": "h1"}),
        )
        .await;
    assert_eq!(w["walk_ins"], 12, "same nonce, counted once");
    let (s, _) = app
        .post(
            &format!("/api/v1/sessions/{open}/headcount"),
            Some(&d.volunteer),
            json!({"count": 0, "nonce": "h2"}),
        )
        .await;
    assert_eq!(s, 400);
    let visitor = app.sign_in("visitor").await.0;
    let (_, v) = app
        .post(
            "/api/v1/checkin/self",
            Some(&visitor),
            json!({"session_id": open}),
        )
        .await;
    assert_eq!(v["result"], "admitted");
    let (_, v) = app
        .post(
            "/api/v1/checkin/self",
            Some(&visitor),
            json!({"session_id": open}),
        )
        .await;
    assert_eq!(v["result"], "already_admitted");
    let (_, stats) = app
        .get(
            &format!("/api/v1/sessions/{open}/checkin/stats"),
            Some(&d.staff),
        )
        .await;
    assert_eq!(stats["walk_ins"], 13);
    // The venue code comes from WeChat as image bytes; WeChat's errors become a clear error.
    let resp = app
        .http
        .get(format!("{}/api/v1/sessions/{open}/venue-code", app.url))
        .bearer_auth(&d.staff)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(&resp.bytes().await.unwrap()[..2], &[0xFF, 0xD8]);
    app.fake().fail_next("getwxacodeunlimit", 45009, 1);
    let (s, v) = app
        .get(
            &format!("/api/v1/sessions/{open}/venue-code"),
            Some(&d.staff),
        )
        .await;
    assert_eq!(error_code(s, &v), "wechat_unavailable");
    // Self check-in with a booking.
    let (_, v) = app
        .post(
            "/api/v1/checkin/self",
            Some(&t),
            json!({"session_id": d.session}),
        )
        .await;
    assert_eq!(v["result"], "already_admitted");
}
both!(fallbacks, door_fallbacks);

async fn courses_and_hours(app: &TestApp) {
    let d = door(
        app,
        Act {
            lessons: 3,
            kind: "training",
            title: "合唱培训",
            ..Act::default()
        },
    )
    .await;
    let (t, booking, ticket) = booked_ticket(app, "learner", d.session).await;
    assert_eq!(
        scan(app, &d.volunteer, d.session, &ticket, "c1").await.1["result"],
        "admitted"
    );
    // A week later, lesson 2: the same ticket works for the course's next lesson.
    let (_, act) = app
        .get(&format!("/api/v1/activities/{}", d.activity), None)
        .await;
    let lesson2 = act["activity"]["sessions"][1]["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/sessions/{lesson2}/assignments"),
        Some(&d.staff),
        json!({"user_id": d.volunteer_id}),
    )
    .await;
    app.clock().advance(7 * 24 * 3600);
    assert_eq!(
        scan(app, &d.volunteer, lesson2, &ticket, "c2").await.1["result"],
        "admitted"
    );
    // Lesson 3 has also been held (missed).
    app.clock().advance(7 * 24 * 3600 + 3600);
    let (s, mine) = app
        .get(&format!("/api/v1/bookings/{booking}/attendance"), Some(&t))
        .await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(mine["attended"], 2);
    assert_eq!(mine["held"], 3);
    assert_eq!(mine["rate_percent"], 66);
    let (s, all) = app
        .get(
            &format!("/api/v1/activities/{}/attendance", d.activity),
            Some(&d.staff),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    // Service hours: two served lessons of 90 minutes plus the hour before each.
    let (_, me) = app.get("/api/v1/me/volunteer", Some(&d.volunteer)).await;
    assert_eq!(me["hours"]["total_hours"], 5.0, "{me}");
    let unit = app.unit_id("ft-b-yuanling").await;
    let (s, v) = app
        .get(&format!("/api/v1/units/{unit}/volunteers"), Some(&d.staff))
        .await;
    assert_eq!(s, 200);
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["total_hours"] == 5.0));
    let resp = app
        .http
        .get(format!("{}/api/v1/units/{unit}/volunteers.csv", app.url))
        .bearer_auth(&d.staff)
        .send()
        .await
        .unwrap();
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = resp.text().await.unwrap();
    assert!(body.starts_with('\u{feff}'));
    assert!(
        body.contains("服务时长（小时）") && body.contains("5.0"),
        "{body}"
    );
}
both!(courses, courses_and_hours);

async fn volunteer_applications(app: &TestApp) {
    let (res, uid) = app.sign_in("would-be-volunteer").await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (s, _) = app
        .post(
            "/api/v1/volunteers/applications",
            Some(&res),
            json!({"unit_id": point, "note": "周末有空"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = app
        .post(
            "/api/v1/volunteers/applications",
            Some(&res),
            json!({"unit_id": point}),
        )
        .await;
    assert_eq!(error_code(s, &v), "already_applied");
    let (other, _) = app
        .staff("o-nanyuan", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (coord, _) = app
        .staff("o-coord", Role::PointCoordinator, "ft-p-yuanling-hongli")
        .await;
    let (_, list) = app
        .get(
            &format!("/api/v1/units/{point}/volunteer-applications"),
            Some(&coord),
        )
        .await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        app.post(
            &format!("/api/v1/volunteer-applications/{id}/approve"),
            Some(&other),
            json!({})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/volunteer-applications/{id}/approve"),
            Some(&coord),
            json!({})
        )
        .await
        .0,
        200
    );
    let (_, me) = app.get("/api/v1/me", Some(&res)).await;
    assert_eq!(me["roles"][0]["role"], "volunteer");
    let (s, v) = app
        .post(
            &format!("/api/v1/volunteer-applications/{id}/approve"),
            Some(&coord),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "already_decided");
    // Only volunteers of the unit can be assigned there.
    let (_, session) = app.activity(Act::default()).await;
    let (stranger_t, stranger) = app.sign_in("not-a-volunteer").await;
    let _ = stranger_t;
    let (s, v) = app
        .post(
            &format!("/api/v1/sessions/{session}/assignments"),
            Some(&coord),
            json!({"user_id": stranger}),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    assert_eq!(
        app.post(
            &format!("/api/v1/sessions/{session}/assignments"),
            Some(&coord),
            json!({"user_id": uid})
        )
        .await
        .0,
        200
    );
}
both!(volunteers, volunteer_applications);

/// 今日场次: every session held at a unit or below on a China date — more than 30 activities,
/// a course's later lesson, nothing from another branch, drafts or other days.
async fn day_sessions(app: &TestApp) {
    // start at noon China time (at least two hours ahead), so the whole set falls on one date
    let now = app.clock().now();
    let mut noon = (now + chrono::Duration::hours(8))
        .date_naive()
        .and_hms_opt(4, 0, 0)
        .unwrap()
        .and_utc();
    while noon < now + chrono::Duration::hours(2) {
        noon += chrono::Duration::days(1);
    }
    let noon_in = (noon - now).num_minutes() + 1;
    let (_, course_first) = app
        .activity(Act {
            starts_in_min: noon_in,
            lessons: 3,
            title: "周三书法班",
            ..Act::default()
        })
        .await;
    // the second lesson, a week later: that China date is the day we list
    let lesson2: (i64, String) =
        sqlx::query_as("SELECT id, starts_at FROM sessions WHERE activity_id = (SELECT activity_id FROM sessions WHERE id = $1) AND lesson_no = 2")
            .bind(course_first)
            .fetch_one(app.state().db.pool())
            .await
            .unwrap();
    let day_of = |ts: &str| {
        culturehub::family::china_date(culturehub::time::parse(ts).unwrap())
            .format("%Y-%m-%d")
            .to_string()
    };
    let date = day_of(&lesson2.1);
    let week = 7 * 24 * 60;
    let mut expected = vec![lesson2.0];
    for i in 0..33 {
        let (_, sid) = app
            .activity(Act {
                starts_in_min: noon_in + week + i,
                title: "周末讲座",
                ..Act::default()
            })
            .await;
        let (_, starts): (i64, String) =
            sqlx::query_as("SELECT id, starts_at FROM sessions WHERE id = $1")
                .bind(sid)
                .fetch_one(app.state().db.pool())
                .await
                .unwrap();
        if day_of(&starts) == date {
            expected.push(sid);
        }
    }
    // elsewhere: another branch's session the same day is not listed
    let (_, elsewhere) = app
        .activity(Act {
            organizer: "ft-b-nanyuan",
            place: "ft-b-nanyuan",
            starts_in_min: noon_in + week,
            ..Act::default()
        })
        .await;
    let (staff, _) = app
        .staff("o-day-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let branch = app.unit_id("ft-b-yuanling").await;
    let (s, v) = app
        .get(
            &format!("/api/v1/manage/sessions?unit_id={branch}&date={date}"),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["date"], json!(date));
    assert_eq!(v["truncated"], json!(false));
    let got: Vec<i64> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["session_id"].as_i64().unwrap())
        .collect();
    let mut want = expected.clone();
    want.sort();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(
        sorted, want,
        "every session of that day at the branch and below"
    );
    assert!(
        want.len() > 30,
        "more sessions than the old 30-activity look-up"
    );
    assert!(!got.contains(&elsewhere));
    let starts: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["starts_at"].as_str().unwrap())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "in time order");
    let lesson = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["session_id"] == json!(lesson2.0))
        .unwrap();
    assert_eq!(lesson["lesson_no"], json!(2));
    assert_eq!(lesson["is_course"], json!(true));
    assert_eq!(lesson["title"], json!("周三书法班"));
    assert!(!lesson["unit_name"].as_str().unwrap().is_empty());

    // a volunteer may not list, a bad date is a validation error, another branch's staff sees nothing of ours
    let (vol, _) = app
        .staff("o-day-vol", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    let (s, v) = app
        .get(
            &format!("/api/v1/manage/sessions?unit_id={branch}"),
            Some(&vol),
        )
        .await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = app
        .get(
            &format!("/api/v1/manage/sessions?unit_id={branch}&date=12/01"),
            Some(&staff),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let nanyuan = app.unit_id("ft-b-nanyuan").await;
    let (other, _) = app
        .staff("o-day-other", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (s, v) = app
        .get(
            &format!("/api/v1/manage/sessions?unit_id={nanyuan}&date={date}"),
            Some(&other),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let ids: Vec<i64> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["session_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![elsewhere]);
}

both!(manage_day_sessions, day_sessions);

/// A volunteer assigned to a unit for a whole day may scan that day's sessions there, and no
/// other day's: the door read decides when the session is on the day of the scan, and the
/// exact assignment query when it is not (D268).
async fn day_assignments(app: &TestApp) {
    let cst_day = |t: chrono::DateTime<chrono::Utc>| {
        (t + chrono::Duration::hours(8))
            .format("%Y-%m-%d")
            .to_string()
    };
    let now = app.clock().now();
    let (_, soon) = app
        .activity(Act {
            starts_in_min: 30,
            title: "今日讲座",
            ..Act::default()
        })
        .await;
    let (_, later) = app
        .activity(Act {
            starts_in_min: 2 * 24 * 60,
            title: "后天讲座",
            ..Act::default()
        })
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (staff, _) = app
        .staff("o-staff-day", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (today_vol, today_id) = app
        .staff("o-vol-today", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    let (later_vol, later_id) = app
        .staff("o-vol-later", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    for (uid, day) in [
        (today_id, cst_day(now + chrono::Duration::minutes(30))),
        (later_id, cst_day(now + chrono::Duration::days(2))),
    ] {
        let (s, v) = app
            .post(
                &format!("/api/v1/units/{point}/assignments"),
                Some(&staff),
                json!({"user_id": uid, "day": day}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (_, _, soon_ticket) = booked_ticket(app, "day-a", soon).await;
    let (_, _, later_ticket) = booked_ticket(app, "day-b", later).await;

    // Today's session: the volunteer of today admits, the one of the later day may not scan.
    let (s, v) = scan(app, &later_vol, soon, &soon_ticket, "d1").await;
    assert_eq!(error_code(s, &v), "not_assigned");
    let (s, a) = scan(app, &today_vol, soon, &soon_ticket, "d2").await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["result"], "admitted");
    // The later session: its day's volunteer may scan (too early: outside the window), today's
    // volunteer may not, and nothing was written for either.
    let (s, v) = scan(app, &today_vol, later, &later_ticket, "d3").await;
    assert_eq!(error_code(s, &v), "not_assigned");
    let (s, a) = scan(app, &later_vol, later, &later_ticket, "d4").await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["result"], "outside_window");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM checkins")
            .await,
        1
    );
}
both!(day_assignment_scans, day_assignments);
