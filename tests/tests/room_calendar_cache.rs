//! The staff week calendar of rooms from memory (issue 18, D274): two instances on one
//! database; a room booking, a closure, a session moved into a room, an activity's new title
//! and a room's new name, made through the first, show there at once (its own feed held back)
//! and on the second within 100 ms although both answer from memory; changes made by raw SQL (an operator) show on both
//! through the feed; a repeat is a hit; another unit's answers stay; the caller is still
//! authorized on every request.

use culturehub::access::Role;
use culturehub_tests::{both, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const WITHIN: Duration = Duration::from_millis(100);
const POINT: &str = "ft-p-yuanling-hongli";

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

/// RFC 3339 of hour `h` (CST) on the day `days` after today (CST).
fn cst(app: &TestApp, days: i64, h: i64) -> String {
    let tz = culturehub::time::cst();
    let day = app.clock().now().with_timezone(&tz).date_naive() + chrono::Duration::days(days);
    culturehub::time::fmt(
        day.and_hms_opt(h as u32, 0, 0)
            .unwrap()
            .and_local_timezone(tz)
            .unwrap()
            .with_timezone(&chrono::Utc),
    )
}

fn entry(v: &Value, ok: impl Fn(&Value) -> bool) -> Option<&Value> {
    v["entries"].as_array()?.iter().find(|e| ok(e))
}

fn room_named(v: &Value, room: i64) -> Option<&str> {
    v["rooms"].as_array()?.iter().find(|r| r["id"] == room)?["name"].as_str()
}

async fn new_room(app: &TestApp, token: &str, unit: i64, name: &str) -> i64 {
    let hours: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "opens": "08:00", "closes": "22:00"}))
        .collect();
    let (s, v) = app
        .post(
            "/api/v1/rooms",
            Some(token),
            json!({"unit_id": unit, "name": name, "kind": "排练厅", "capacity": 40,
                   "bookable_by": "teams", "auto_confirm": true,
                   "rules": {"book_ahead_days": 14, "max_slot_minutes": 120, "weekly_hours_per_team": 4, "cancel_hours_before": 24},
                   "hours": hours}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["id"].as_i64().unwrap()
}

async fn calendar_from_memory(app: &TestApp) {
    let other = app.instance(|_| {}).await;
    let (a, b) = (app.url.clone(), other.url());
    let http = reqwest::Client::new();
    let point = app.unit_id(POINT).await;
    let branch = app.unit_id("ft-b-yuanling").await;
    let (staff, _) = app
        .staff("rc-staff", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (stranger, _) = app
        .staff("rc-stranger", Role::BranchStaff, "ft-b-lianhua")
        .await;
    let hall = new_room(app, &staff, point, "缓存测试排练厅").await;
    let studio = new_room(app, &staff, point, "缓存测试书画室").await;
    // A session in the studio, to be moved into the hall later.
    let (s, v) = app
        .post(
            "/api/v1/activities",
            Some(&staff),
            json!({"title": "书法讲座", "kind": "lecture", "organizer_unit_id": point,
                   "booking_mode": "fcfs",
                   "sessions": [{"unit_id": point, "room_id": studio, "capacity": 20,
                                 "starts_at": cst(app, 4, 14), "ends_at": cst(app, 4, 16)}]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let activity = v["id"].as_i64().unwrap();
    let session = v["sessions"][0]["id"].as_i64().unwrap();

    // Let the feeds deliver the set-up's changes before anything is counted.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let today = app
        .clock()
        .now()
        .with_timezone(&culturehub::time::cst())
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let week = format!("/api/v1/rooms/calendar?unit_id={point}&from={today}&days=14");
    let hall_week = format!("/api/v1/rooms/calendar?unit_id={point}&room_id={hall}&days=14");
    let branch_week = format!("/api/v1/rooms/calendar?unit_id={branch}&days=14");

    // A repeat is a hit, on both instances, and the same answer as the miss; "today" and
    // today's date given explicitly share one answer.
    let (hits_a, _) = app.state().room_calendar.stats();
    let (hits_b, _) = other.state.room_calendar.stats();
    let (s, first) = get(&http, &a, &week, &staff).await;
    assert_eq!(s, 200, "{first}");
    assert!(
        entry(&first, |e| e["session_id"] == session
            && e["room_id"] == studio)
        .is_some(),
        "{first}"
    );
    for url in [&a, &b] {
        for _ in 0..3 {
            let (s, v) = get(&http, url, &week, &staff).await;
            assert_eq!(s, 200, "{v}");
            assert_eq!(v, first, "the same answer from memory");
        }
        assert_eq!(get(&http, url, &hall_week, &staff).await.0, 200);
        assert_eq!(get(&http, url, &branch_week, &staff).await.0, 200);
    }
    let (s, v) = get(
        &http,
        &a,
        &format!("/api/v1/rooms/calendar?unit_id={point}&days=14"),
        &staff,
    )
    .await;
    assert_eq!((s, &v), (200, &first));
    let (hits, _) = app.state().room_calendar.stats();
    assert!(
        hits >= hits_a + 3,
        "A answers from memory ({} hits)",
        hits - hits_a
    );
    let (hits, _) = other.state.room_calendar.stats();
    assert!(
        hits >= hits_b + 2,
        "B answers from memory ({} hits)",
        hits - hits_b
    );

    // Authorization still runs before the look-up: a stored answer is no pass.
    for url in [&a, &b] {
        let (s, v) = get(&http, url, &week, &stranger).await;
        assert_eq!(s, 403, "{v}");
    }

    // From here on A's own feed is held back (as a slow feed would be), so what A shows at once
    // comes from its handlers' invalidation alone.
    app.state().room_calendar.hold_feed(true);

    // A room booking through A: on A at once, on B within 100 ms; the branch's own calendar
    // (another unit) stays in memory.
    let (leader, leader_id) = app.sign_in("rc-leader").await;
    let (unit, path) = app.unit_ref(POINT).await;
    let team: i64 = sqlx::query_scalar(
        "INSERT INTO teams (unit_id, unit_path, name, genre, leader_id, status, invite_code, created_at, updated_at) \
         VALUES ($1,$2,'红荔合唱团','合唱',$3,'verified','rc-invite',$4,$4) RETURNING id",
    )
    .bind(unit)
    .bind(path)
    .bind(leader_id)
    .bind(app.state().now())
    .fetch_one(app.state().db.writer())
    .await
    .unwrap();
    let (hits_b, _) = other.state.room_calendar.stats();
    let t = Instant::now();
    let (s, v) = app
        .post(
            "/api/v1/room-bookings",
            Some(&leader),
            json!({"room_id": hall, "team_id": team, "starts_at": cst(app, 3, 10),
                   "ends_at": cst(app, 3, 12), "purpose": "合唱排练"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let booked =
        |v: &Value| entry(v, |e| e["kind"] == "team_booking" && e["room_id"] == hall).is_some();
    let (_, v) = get(&http, &a, &week, &staff).await;
    assert!(booked(&v), "A shows its own booking at once: {v}");
    let (_, v) = get(&http, &a, &hall_week, &staff).await;
    assert!(booked(&v), "A's one-room calendar too: {v}");
    let (on_b, hall_b) = tokio::join!(
        until(&http, &b, &week, &staff, t, booked),
        until(&http, &b, &hall_week, &staff, t, booked),
    );
    assert!(on_b < WITHIN, "booking reached B after {on_b:?}");
    assert!(
        hall_b < WITHIN,
        "booking reached B's one-room calendar after {hall_b:?}"
    );
    let (hits, _) = other.state.room_calendar.stats();
    assert_eq!(get(&http, &b, &branch_week, &staff).await.0, 200);
    assert_eq!(
        other.state.room_calendar.stats().0,
        hits + 1,
        "another unit's calendar stays in memory (hits before: {hits_b})"
    );

    // A closure through A.
    let t = Instant::now();
    let (s, v) = app
        .post(
            &format!("/api/v1/rooms/{hall}/closures"),
            Some(&staff),
            json!({"starts_at": cst(app, 5, 8), "ends_at": cst(app, 5, 22), "reason": "设备检修"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let closure = v["id"].as_i64().unwrap();
    let closed = |v: &Value| entry(v, |e| e["id"] == closure && e["title"] == "设备检修").is_some();
    let (_, v) = get(&http, &a, &week, &staff).await;
    assert!(closed(&v), "A shows its own closure at once: {v}");
    let took = until(&http, &b, &week, &staff, t, closed).await;
    assert!(took < WITHIN, "closure reached B after {took:?}");

    // The session moved from the studio into the hall through A.
    let t = Instant::now();
    let (s, v) = app
        .call(
            "PATCH",
            &format!("/api/v1/sessions/{session}"),
            Some(&staff),
            Some(json!({"room_id": hall})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let moved =
        |v: &Value| entry(v, |e| e["session_id"] == session && e["room_id"] == hall).is_some();
    let (_, v) = get(&http, &a, &week, &staff).await;
    assert!(moved(&v), "A shows the move at once: {v}");
    let (_, v) = get(&http, &a, &hall_week, &staff).await;
    assert!(moved(&v), "A's one-room calendar too: {v}");
    let (on_b, hall_b) = tokio::join!(
        until(&http, &b, &week, &staff, t, moved),
        until(&http, &b, &hall_week, &staff, t, moved),
    );
    assert!(on_b < WITHIN, "move reached B after {on_b:?}");
    assert!(
        hall_b < WITHIN,
        "move reached B's one-room calendar after {hall_b:?}"
    );

    // The activity's new title through A.
    let t = Instant::now();
    let (s, v) = app
        .call(
            "PATCH",
            &format!("/api/v1/activities/{activity}"),
            Some(&staff),
            Some(json!({"title": "书法进阶讲座"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let titled = |v: &Value| {
        entry(v, |e| {
            e["session_id"] == session && e["title"] == "书法进阶讲座"
        })
        .is_some()
    };
    let (_, v) = get(&http, &a, &week, &staff).await;
    assert!(titled(&v), "A shows the new title at once: {v}");
    let took = until(&http, &b, &week, &staff, t, titled).await;
    assert!(took < WITHIN, "title reached B after {took:?}");

    // The hall renamed through A: its record and its entries.
    let t = Instant::now();
    let (s, v) = app
        .call(
            "PATCH",
            &format!("/api/v1/rooms/{hall}"),
            Some(&staff),
            Some(json!({"name": "一号排练厅"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let renamed = |v: &Value| {
        room_named(v, hall) == Some("一号排练厅")
            && v["entries"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["room_id"] == hall)
                .all(|e| e["room_name"] == "一号排练厅")
    };
    let (_, v) = get(&http, &a, &week, &staff).await;
    assert!(renamed(&v), "A shows the new name at once: {v}");
    let took = until(&http, &b, &week, &staff, t, renamed).await;
    assert!(took < WITHIN, "new name reached B after {took:?}");

    // Changes by raw SQL (an operator): no handler ran, so both instances learn them from the
    // feed alone. A closure's reason, a room's hours, an activity's title.
    app.state().room_calendar.hold_feed(false);
    for url in [&a, &b] {
        get(&http, url, &week, &staff).await;
    }
    let sql = |q: &'static str| {
        let db = app.state().db.clone();
        async move {
            sqlx::query(q).execute(db.writer()).await.unwrap();
        }
    };
    let t = Instant::now();
    sqlx::query("UPDATE room_calendar SET reason = '消防检查' WHERE id = $1")
        .bind(closure)
        .execute(app.state().db.writer())
        .await
        .unwrap();
    let reason = |v: &Value| entry(v, |e| e["id"] == closure && e["title"] == "消防检查").is_some();
    let (on_b, on_a) = tokio::join!(
        until(&http, &b, &week, &staff, t, reason),
        until(&http, &a, &week, &staff, t, reason),
    );
    assert!(on_b < WITHIN, "SQL reason reached B after {on_b:?}");
    assert!(on_a < WITHIN, "SQL reason reached A after {on_a:?}");

    let t = Instant::now();
    sqlx::query("UPDATE room_hours SET closes = '20:30' WHERE room_id = $1 AND weekday = 1")
        .bind(hall)
        .execute(app.state().db.writer())
        .await
        .unwrap();
    let hours = |v: &Value| {
        v["rooms"].as_array().unwrap().iter().any(|r| {
            r["id"] == hall
                && r["hours"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|h| h["weekday"] == 1 && h["closes"] == "20:30")
        })
    };
    let (on_b, on_a) = tokio::join!(
        until(&http, &b, &week, &staff, t, hours),
        until(&http, &a, &week, &staff, t, hours),
    );
    assert!(on_b < WITHIN, "SQL hours reached B after {on_b:?}");
    assert!(on_a < WITHIN, "SQL hours reached A after {on_a:?}");

    let t = Instant::now();
    sql("UPDATE activities SET title = '书法大师课' WHERE title = '书法进阶讲座'").await;
    let master = |v: &Value| {
        entry(v, |e| {
            e["session_id"] == session && e["title"] == "书法大师课"
        })
        .is_some()
    };
    let (on_b, on_a) = tokio::join!(
        until(&http, &b, &week, &staff, t, master),
        until(&http, &a, &week, &staff, t, master),
    );
    assert!(on_b < WITHIN, "SQL title reached B after {on_b:?}");
    assert!(on_a < WITHIN, "SQL title reached A after {on_a:?}");

    // After all that, both instances answer exactly what the database holds now.
    let (_, on_a) = get(&http, &a, &week, &staff).await;
    let (_, on_b) = get(&http, &b, &week, &staff).await;
    assert_eq!(on_a, on_b);
    let from = culturehub::time::parse(on_a["from"].as_str().unwrap()).unwrap();
    let to = culturehub::time::parse(on_a["to"].as_str().unwrap()).unwrap();
    let db = &app.state().db;
    let ids: Vec<i64> = culturehub::rooms::list(db, point, false)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    let rows = culturehub::rooms::entries(db, &ids, from, to)
        .await
        .unwrap();
    let shown: Vec<(i64, String, String)> = on_a["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_i64().unwrap(),
                e["room_name"].as_str().unwrap().to_string(),
                e["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let held: Vec<(i64, String, String)> = rows
        .into_iter()
        .map(|e| (e.id, e.room_name, e.title))
        .collect();
    assert_eq!(shown, held);
    other.shutdown().await;
}

both!(room_calendar_changes, calendar_from_memory);
