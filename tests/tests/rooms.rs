//! Rooms (issue 14, rooms half): managed rooms of a unit, one calendar per room whose clashes
//! the database refuses, sessions placed in rooms, public free/busy and room use.

use culturehub::access::Role;
use culturehub_tests::{at, both, error_code, TestApp};
use serde_json::{json, Value};
use std::sync::Arc;

async fn call(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.call(method, path, Some(token), Some(body)).await
}

async fn new_room(app: &TestApp, token: &str, unit: i64, name: &str, capacity: i64) -> i64 {
    let (s, v) = app
        .post(
            "/api/v1/rooms",
            Some(token),
            json!({"unit_id": unit, "name": name, "kind": "排练厅", "capacity": capacity,
                   "facilities": ["钢琴", "音响"], "accessibility": "无障碍坡道",
                   "bookable_by": "teams",
                   "rules": {"book_ahead_days": 14, "max_slot_minutes": 120, "weekly_hours_per_team": 4, "cancel_hours_before": 24},
                   "hours": [{"weekday": 1, "opens": "09:00", "closes": "21:00"},
                             {"weekday": 6, "opens": "09:00", "closes": "18:00"}]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["id"].as_i64().unwrap()
}

fn session_body(unit: i64, room: Value, start: String, end: String, capacity: i64) -> Value {
    let mut s = json!({"unit_id": unit, "starts_at": start, "ends_at": end, "capacity": capacity});
    if let (Some(o), Some(r)) = (s.as_object_mut(), room.as_object()) {
        for (k, v) in r {
            o.insert(k.clone(), v.clone());
        }
    }
    json!({"title": "排练厅讲座", "kind": "lecture", "organizer_unit_id": unit, "booking_mode": "fcfs",
           "sessions": [s]})
}

async fn entries(app: &TestApp, room: i64) -> i64 {
    app.count(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM room_calendar WHERE room_id = {room}"
    ))
    .await
}

async fn rooms_and_calendar(app: &TestApp) {
    let (staff, _) = app
        .staff("r-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;

    // Bad input changes nothing: an unknown kind, hours the wrong way round.
    let before = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM rooms")
        .await;
    for body in [
        json!({"unit_id": point, "name": "游泳馆", "kind": "游泳池", "capacity": 10}),
        json!({"unit_id": point, "name": "夜场", "kind": "其他", "capacity": 10,
               "hours": [{"weekday": 1, "opens": "21:00", "closes": "09:00"}]}),
        json!({"unit_id": point, "name": "空场", "kind": "其他", "capacity": 0}),
    ] {
        let (s, v) = app.post("/api/v1/rooms", Some(&staff), body).await;
        assert_eq!(error_code(s, &v), "validation_failed", "{v}");
    }
    let (s, v) = app
        .post(
            "/api/v1/rooms",
            Some(&staff),
            json!({"unit_id": point, "name": "多功能活动室", "kind": "多功能厅", "capacity": 10}),
        )
        .await;
    assert_eq!(
        error_code(s, &v),
        "room_name_taken",
        "the CSV room exists: {v}"
    );
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM rooms")
            .await,
        before
    );

    let room = new_room(app, &staff, point, "排练厅", 40).await;
    // Public: the unit's rooms with facilities and hours; every change audited.
    let (s, v) = app
        .get(&format!("/api/v1/org/units/{point}/rooms"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    let r = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == room)
        .cloned()
        .unwrap();
    assert_eq!(r["facilities"], json!(["钢琴", "音响"]));
    assert_eq!(r["bookable_by"], "teams");
    assert_eq!(r["rules"]["weekly_hours_per_team"], 4);
    assert_eq!(r["hours"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'room_created'")
            .await,
        1
    );
    // Several rooms listed at once each carry their own hours (read for all rooms in one query).
    let (s, v) = app
        .post(
            "/api/v1/rooms",
            Some(&staff),
            json!({"unit_id": point, "name": "二楼书画小屋", "kind": "书画室", "capacity": 12,
                   "hours": [{"weekday": 3, "opens": "14:00", "closes": "17:00"}]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let studio = v["id"].as_i64().unwrap();
    let (_, v) = app
        .get(&format!("/api/v1/org/units/{point}/rooms"), None)
        .await;
    let hours_of = |id: i64| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["hours"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["weekday"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(hours_of(room), vec![1, 6]);
    assert_eq!(hours_of(studio), vec![3]);
    let (s, v) = app
        .post(
            &format!("/api/v1/rooms/{studio}/close"),
            Some(&staff),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    // A session in the room goes on its calendar; the same hour again is refused.
    let start = at(app, 3 * 24 * 60);
    let end = at(app, 3 * 24 * 60 + 90);
    let (s, v) = app
        .post(
            "/api/v1/activities",
            Some(&staff),
            session_body(
                point,
                json!({"room_id": room}),
                start.clone(),
                end.clone(),
                30,
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let first_session = v["sessions"][0]["id"].as_i64().unwrap();
    assert_eq!(v["sessions"][0]["room"], "排练厅");
    assert_eq!(v["sessions"][0]["room_id"], room);
    assert_eq!(entries(app, room).await, 1);
    let activities = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM activities")
        .await;
    let (s, v) = app
        .post(
            "/api/v1/activities",
            Some(&staff),
            // Named by its name this time, overlapping by half an hour.
            session_body(
                point,
                json!({"room": "排练厅"}),
                at(app, 3 * 24 * 60 + 60),
                at(app, 3 * 24 * 60 + 120),
                20,
            ),
        )
        .await;
    assert_eq!(error_code(s, &v), "room_clash", "{v}");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM activities")
            .await,
        activities,
        "a refused clash leaves no activity behind"
    );
    // Right after it is fine (half-open ranges).
    let (s, v) = app
        .post(
            "/api/v1/activities",
            Some(&staff),
            session_body(
                point,
                json!({"room_id": room}),
                end.clone(),
                at(app, 3 * 24 * 60 + 150),
                20,
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let second_activity = v["id"].as_i64().unwrap();

    // More seats than the room holds: refused without a reason, recorded with one.
    let later = |m: i64| at(app, 5 * 24 * 60 + m);
    let (s, v) = app
        .post(
            "/api/v1/activities",
            Some(&staff),
            session_body(point, json!({"room_id": room}), later(0), later(60), 900),
        )
        .await;
    assert_eq!(error_code(s, &v), "over_room_capacity", "{v}");
    assert_eq!(v["error"]["details"]["room_capacity"], 40);
    let (s, v) = app
        .post(
            "/api/v1/activities",
            Some(&staff),
            session_body(
                point,
                json!({"room_id": room, "capacity_reason": "室外连廊加座"}),
                later(0),
                later(60),
                60,
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let over_session = v["sessions"][0]["id"].as_i64().unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions WHERE id = {over_session} AND capacity_reason = '室外连廊加座'"
        ))
        .await,
        1
    );

    // A room that does not exist, or one of another unit, is refused; outside is marked.
    let (s, v) = app
        .post(
            "/api/v1/activities",
            Some(&staff),
            session_body(
                point,
                json!({"room": "不存在的大礼堂"}),
                later(200),
                later(260),
                900,
            ),
        )
        .await;
    assert_eq!(error_code(s, &v), "unknown_room", "{v}");
    let branch = app.unit_id("ft-b-yuanling").await;
    let (s, v) = app
        .post(
            "/api/v1/activities",
            Some(&staff),
            session_body(branch, json!({"room_id": room}), later(200), later(260), 10),
        )
        .await;
    assert_eq!(error_code(s, &v), "room_not_in_unit", "{v}");
    let (s, v) = app
        .post(
            "/api/v1/activities",
            Some(&staff),
            session_body(
                point,
                json!({"room": "红荔社区广场", "outside": true}),
                later(200),
                later(260),
                300,
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["sessions"][0]["outside"], true);
    assert_eq!(v["sessions"][0]["room_id"], Value::Null);
    // A new text for an outside place stays outside (the console sends only the text).
    let outside_session = v["sessions"][0]["id"].as_i64().unwrap();
    let (s, v) = call(
        app,
        "PATCH",
        &format!("/api/v1/sessions/{outside_session}"),
        &staff,
        json!({"room": "红荔公园"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions WHERE id = {outside_session} AND outside = 1 AND room = '红荔公园' AND room_id IS NULL"
        ))
        .await,
        1
    );

    // Moving a session moves its entry (into a clash: refused, nothing changes); cancelling
    // frees the slot.
    let (s, v) = call(
        app,
        "PATCH",
        &format!("/api/v1/sessions/{first_session}"),
        &staff,
        json!({"starts_at": later(30), "ends_at": later(90)}),
    )
    .await;
    assert_eq!(error_code(s, &v), "room_clash", "{v}");
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions WHERE id = {first_session} AND starts_at = '{start}'"
        ))
        .await,
        1
    );
    let (s, v) = call(
        app,
        "PATCH",
        &format!("/api/v1/sessions/{first_session}"),
        &staff,
        json!({"starts_at": later(300), "ends_at": later(360)}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let moved_to: i64 =
        sqlx::query_scalar("SELECT starts_s FROM room_calendar WHERE session_id = $1")
            .bind(first_session)
            .fetch_one(app.state().db.pool())
            .await
            .unwrap();
    assert_eq!(
        moved_to,
        culturehub::time::parse(&later(300)).unwrap().timestamp()
    );
    let (s, v) = app
        .post(
            "/api/v1/activities",
            Some(&staff),
            session_body(
                point,
                json!({"room_id": room}),
                start.clone(),
                end.clone(),
                30,
            ),
        )
        .await;
    assert_eq!(s, 200, "the old slot is free after the move: {v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{second_activity}/cancel"),
            Some(&staff),
            json!({"reason": "场地调整"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM room_calendar c JOIN sessions s ON s.id = c.session_id WHERE s.activity_id = {second_activity}"
        ))
        .await,
        0
    );

    // Closures sit on the same calendar: over a session they clash, elsewhere they close.
    let (s, v) = app
        .post(
            &format!("/api/v1/rooms/{room}/closures"),
            Some(&staff),
            json!({"starts_at": start, "ends_at": end, "reason": "设备检修"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "room_clash", "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/rooms/{room}/closures"),
            Some(&staff),
            json!({"starts_at": later(24 * 60), "ends_at": later(48 * 60), "reason": "设备检修"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let closure = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            "/api/v1/activities",
            Some(&staff),
            session_body(
                point,
                json!({"room_id": room}),
                later(25 * 60),
                later(26 * 60),
                10,
            ),
        )
        .await;
    assert_eq!(error_code(s, &v), "room_clash", "closed: {v}");

    // Public free/busy: spans without names or reasons.
    let (s, v) = app
        .get(
            &format!("/api/v1/org/units/{point}/rooms/busy?weeks=2"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let text = v.to_string();
    assert!(
        !text.contains("排练厅讲座") && !text.contains("设备检修"),
        "{text}"
    );
    let spans: Vec<&Value> = v["busy"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["room_id"] == room)
        .collect();
    assert!(spans.iter().any(|b| b["state"] == "closed"));
    assert!(spans.iter().filter(|b| b["state"] == "busy").count() >= 3);

    // Staff calendar: titles and reasons, per unit and per room.
    let day = &start[..10];
    let (s, v) = app
        .get(
            &format!("/api/v1/rooms/calendar?unit_id={point}&room_id={room}&days=14&from={day}"),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let kinds: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"closure") && kinds.contains(&"session"),
        "{v}"
    );
    assert!(v["entries"].to_string().contains("排练厅讲座"));

    // The room cannot shrink below a coming session without a reason, nor close while used.
    let (s, v) = call(
        app,
        "PATCH",
        &format!("/api/v1/rooms/{room}"),
        &staff,
        json!({"capacity": 25}),
    )
    .await;
    assert_eq!(error_code(s, &v), "room_capacity_below_sessions", "{v}");
    let (s, v) = call(
        app,
        "PATCH",
        &format!("/api/v1/rooms/{room}"),
        &staff,
        json!({"name": "一号排练厅"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions WHERE room_id = {room} AND room = '一号排练厅'"
        ))
        .await,
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions WHERE room_id = {room}"
        ))
        .await
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/rooms/{room}/close"),
            Some(&staff),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "room_in_use", "{v}");
    let (s, v) = call(
        app,
        "DELETE",
        &format!("/api/v1/rooms/closures/{closure}"),
        &staff,
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{v}");

    // Room use: hours booked against opening hours in the month of the first session.
    let month = culturehub::time::cst_month(culturehub::time::parse(&start).unwrap());
    let (s, v) = app
        .get(
            &format!("/api/v1/stats/room-use?unit_id={point}&month={month}"),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let u = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["room_id"] == room)
        .cloned()
        .unwrap();
    assert!(u["booked_hours"].as_f64().unwrap() >= 1.5, "{u}");
    assert!(u["opening_hours"].as_f64().unwrap() > 0.0, "{u}");
}
both!(rooms, rooms_and_calendar);

const RACERS: usize = 12;

/// Many staff place sessions in one room at overlapping times at once: exactly one wins,
/// the rest are told `room_clash`, and the calendar holds one entry.
async fn clash_race(app: &TestApp) {
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (owner, _) = app
        .staff("race-owner", Role::PointCoordinator, "ft-p-yuanling-hongli")
        .await;
    let room = new_room(app, &owner, point, "竞争排练厅", 50).await;
    let mut tokens = Vec::new();
    for i in 0..RACERS {
        tokens.push(
            app.staff(
                &format!("racer-{i}"),
                Role::PointCoordinator,
                "ft-p-yuanling-hongli",
            )
            .await
            .0,
        );
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
    let mut tasks = Vec::new();
    for (i, t) in tokens.into_iter().enumerate() {
        // Every request overlaps every other: they all cover minute 3·24·60 + 60.
        let body = session_body(
            point,
            json!({"room_id": room}),
            at(app, 3 * 24 * 60 + i as i64 * 5),
            at(app, 3 * 24 * 60 + 90 + i as i64 * 5),
            10,
        );
        let (http, url, barrier) = (app.http.clone(), app.url.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let r = http
                .post(format!("{url}/api/v1/activities"))
                .bearer_auth(t)
                .json(&body)
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap())
        }));
    }
    let mut won = 0;
    for t in tasks {
        let (s, v) = t.await.unwrap();
        match s {
            200 => won += 1,
            409 => assert_eq!(v["error"]["code"], "room_clash", "{v}"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(entries(app, room).await, 1);
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions WHERE room_id = {room}"
        ))
        .await,
        1,
        "the losers' activities were rolled back"
    );
}
both!(clash, clash_race);

/// The control: the same concurrent run through a read-then-write check (look for an
/// overlap, then insert) lets several through on a table without the database's guard — so
/// the race above is real and the test would catch a missing guard. Against the guarded
/// calendar the same naive path still ends with one entry.
async fn clash_control(app: &TestApp) {
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (owner, _) = app
        .staff(
            "control-owner",
            Role::PointCoordinator,
            "ft-p-yuanling-hongli",
        )
        .await;
    let room = new_room(app, &owner, point, "对照排练厅", 50).await;
    let db = app.state().db.clone();
    sqlx::query(
        "CREATE TABLE race_control (room_id BIGINT NOT NULL, starts_s BIGINT NOT NULL, ends_s BIGINT NOT NULL)",
    )
    .execute(db.writer())
    .await
    .unwrap();
    for (table, guarded) in [("race_control", false), ("room_calendar", true)] {
        let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
        let mut tasks = Vec::new();
        for i in 0..RACERS as i64 {
            let (db, barrier) = (db.clone(), barrier.clone());
            tasks.push(tokio::spawn(async move {
                let (s, e) = (1_900_000_000 + i * 300, 1_900_005_400 + i * 300);
                let overlaps: i64 = sqlx::query_scalar(&format!(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM {table} WHERE room_id = $1 AND starts_s < $3 AND ends_s > $2"
                ))
                .bind(room)
                .bind(s)
                .bind(e)
                .fetch_one(db.pool())
                .await
                .unwrap();
                barrier.wait().await;
                if overlaps > 0 {
                    return false;
                }
                let mut tx = db.begin().await.unwrap();
                let ok = sqlx::query(&format!(
                    "INSERT INTO {table} (room_id, starts_s, ends_s{}) VALUES ($1, $2, $3{})",
                    if guarded { ", kind, created_at" } else { "" },
                    if guarded { ", 'closure', '2026-01-01T00:00:00Z'" } else { "" },
                ))
                .bind(room)
                .bind(s)
                .bind(e)
                .execute(&mut *tx)
                .await;
                match ok {
                    Ok(_) => tx.commit().await.is_ok(),
                    Err(err) => {
                        let shown = err.to_string();
                        assert!(
                            matches!(culturehub::rooms::clash_or(err).code.as_ref(), "room_clash"),
                            "only a clash may refuse: {shown}"
                        );
                        false
                    }
                }
            }));
        }
        let mut won = 0;
        for t in tasks {
            won += t.await.unwrap() as usize;
        }
        let rows = app
            .count(&format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM {table} WHERE room_id = {room}"
            ))
            .await;
        if guarded {
            assert_eq!((won, rows), (1, 1), "the database's guard holds");
        } else {
            assert!(
                won > 1 && rows > 1,
                "the unguarded path must be caught double-booking ({won})"
            );
        }
    }
}
both!(clash_control_run, clash_control);
