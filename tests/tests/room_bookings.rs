//! Room bookings (issue 14): verified teams and residents book slots within a room's rules,
//! staff approve or decline in their own units, the leader checks in with the room's code,
//! unused slots become no-shows for the team, and many teams racing for one slot leave one
//! booking.

use culturehub::access::Role;
use culturehub_tests::{both, error_code, TestApp};
use serde_json::{json, Value};
use std::sync::Arc;

const POINT: &str = "ft-p-yuanling-hongli";

async fn call(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.call(method, path, Some(token), Some(body)).await
}

/// Sends every `(token, body)` booking request at the same moment (behind a barrier) and
/// returns each answer, in order.
async fn book_at_once(app: &TestApp, requests: Vec<(String, Value)>) -> Vec<(u16, Value)> {
    let barrier = Arc::new(tokio::sync::Barrier::new(requests.len()));
    let mut tasks = Vec::new();
    for (token, body) in requests {
        let (http, url, barrier) = (app.http.clone(), app.url.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let r = http
                .post(format!("{url}/api/v1/room-bookings"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap())
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// A room open every day 08:00–22:00 with the given booking settings.
async fn room(app: &TestApp, token: &str, name: &str, bookable_by: &str, auto: bool) -> i64 {
    let point = app.unit_id(POINT).await;
    let hours: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "opens": "08:00", "closes": "22:00"}))
        .collect();
    let (s, v) = app
        .post(
            "/api/v1/rooms",
            Some(token),
            json!({"unit_id": point, "name": name, "kind": "排练厅", "capacity": 40,
                   "bookable_by": bookable_by, "auto_confirm": auto,
                   "rules": {"book_ahead_days": 14, "max_slot_minutes": 120, "weekly_hours_per_team": 4, "cancel_hours_before": 24},
                   "hours": hours}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["auto_confirm"], auto, "{v}");
    v["id"].as_i64().unwrap()
}

/// A team led by `leader` at the point, in `status` (made directly: team registration is
/// another feature).
async fn team(app: &TestApp, leader: i64, name: &str, status: &str) -> i64 {
    let (unit, path) = app.unit_ref(POINT).await;
    let st = app.state();
    sqlx::query_scalar(
        "INSERT INTO teams (unit_id, unit_path, name, genre, leader_id, status, invite_code, created_at, updated_at) \
         VALUES ($1,$2,$3,'合唱',$4,$5,$6,$7,$7) RETURNING id",
    )
    .bind(unit)
    .bind(path)
    .bind(name)
    .bind(leader)
    .bind(status)
    .bind(uuid::Uuid::new_v4().simple().to_string())
    .bind(st.now())
    .fetch_one(st.db.pool())
    .await
    .unwrap()
}

/// [start, end) on the CST day `days` from today, from hour `h0` to `h1` (quarter hours as
/// fractions: 19.5 = 19:30).
fn slot(app: &TestApp, days: i64, h0: f64, h1: f64) -> (String, String) {
    let cst = culturehub::time::cst();
    let day = app.clock().now().with_timezone(&cst).date_naive() + chrono::Duration::days(days);
    let at = |h: f64| {
        let m = (h * 60.0) as i64;
        culturehub::time::fmt(
            day.and_hms_opt(0, 0, 0)
                .unwrap()
                .and_local_timezone(cst)
                .unwrap()
                .with_timezone(&chrono::Utc)
                + chrono::Duration::minutes(m),
        )
    };
    (at(h0), at(h1))
}

async fn book(
    app: &TestApp,
    token: &str,
    room: i64,
    team: Option<i64>,
    (s, e): &(String, String),
) -> (u16, Value) {
    app.post(
        "/api/v1/room-bookings",
        Some(token),
        json!({"room_id": room, "team_id": team, "starts_at": s, "ends_at": e, "purpose": "合唱排练"}),
    )
    .await
}

async fn journey(app: &TestApp) {
    let point = app.unit_id(POINT).await;
    let (staff, _) = app.staff("rb-point", Role::PointCoordinator, POINT).await;
    let (other_branch, _) = app
        .staff("rb-other", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (leader, leader_id) = app.sign_in("rb-leader").await;
    let (resident, _) = app.sign_in("rb-resident").await;
    let (stranger, stranger_id) = app.sign_in("rb-stranger").await;
    let hall = room(app, &staff, "合唱排练厅", "teams", false).await;
    let practice = room(app, &staff, "琴房一", "residents", true).await;
    let closed_room = room(app, &staff, "仓库", "none", false).await;
    let choir = team(app, leader_id, "红荔合唱团", "verified").await;
    let pending_team = team(app, stranger_id, "未认证舞蹈队", "pending").await;

    // Who may book: the leader of a verified team; not a stranger for that team, not an
    // unverified team, not a resident in a teams-only room, nobody in a room not bookable.
    let s1 = slot(app, 3, 10.0, 12.0);
    let (s, v) = book(app, &stranger, hall, Some(choir), &s1).await;
    assert_eq!(error_code(s, &v), "room_team_not_led");
    let (s, v) = book(app, &stranger, hall, Some(pending_team), &s1).await;
    assert_eq!(error_code(s, &v), "room_team_not_verified");
    let (s, v) = book(app, &resident, hall, None, &s1).await;
    assert_eq!(error_code(s, &v), "room_teams_only");
    let (s, v) = book(app, &leader, closed_room, Some(choir), &s1).await;
    assert_eq!(error_code(s, &v), "room_not_bookable");

    // Each rule refuses with its own code, and nothing is written.
    for (slot, code) in [
        (slot(app, 3, 10.0, 12.5), "room_slot_too_long"),
        (slot(app, 20, 10.0, 11.0), "room_slot_too_far_ahead"),
        (slot(app, -1, 10.0, 11.0), "room_slot_in_past"),
        (slot(app, 3, 7.0, 9.0), "room_slot_outside_hours"),
        (slot(app, 3, 21.0, 22.5), "room_slot_outside_hours"),
        (slot(app, 3, 21.5, 22.5), "room_slot_outside_hours"),
    ] {
        let (s, v) = book(app, &leader, hall, Some(choir), &slot).await;
        assert_eq!(error_code(s, &v), code, "{slot:?}: {v}");
    }
    let (s, v) = book(app, &leader, hall, Some(choir), &slot(app, 3, 10.1, 11.0)).await;
    assert_eq!(error_code(s, &v), "validation_failed", "{v}");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM room_bookings")
            .await,
        0
    );

    // A good request is pending and holds its slot on the calendar at once.
    let (s, b1) = book(app, &leader, hall, Some(choir), &s1).await;
    assert_eq!(s, 200, "{b1}");
    assert_eq!(b1["status"], "pending");
    assert_eq!(b1["team_name"], "红荔合唱团");
    let b1 = b1["id"].as_i64().unwrap();
    let (s, v) = book(app, &leader, hall, Some(choir), &slot(app, 3, 11.0, 12.0)).await;
    assert_eq!(error_code(s, &v), "room_clash", "{v}");
    let (_, busy) = app
        .get(&format!("/api/v1/org/units/{point}/rooms/busy"), None)
        .await;
    let spans = busy["busy"].as_array().unwrap();
    assert!(
        spans
            .iter()
            .any(|b| b["room_id"] == hall && b["state"] == "busy"),
        "{busy}"
    );
    assert!(
        !busy.to_string().contains("红荔合唱团"),
        "free/busy names no one: {busy}"
    );
    let (_, cal) = app
        .get(
            &format!("/api/v1/rooms/calendar?unit_id={point}&room_id={hall}&days=7"),
            Some(&staff),
        )
        .await;
    assert!(
        cal["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "team_booking"
                && e["title"].as_str().unwrap().contains("红荔合唱团")),
        "staff see whose booking: {cal}"
    );

    // Weekly hours per team: 2 h held, 2 h more fit, then the week is full.
    let (s, b2) = book(app, &leader, hall, Some(choir), &slot(app, 3, 14.0, 16.0)).await;
    assert_eq!(s, 200, "{b2}");
    let b2 = b2["id"].as_i64().unwrap();
    let (s, v) = book(app, &leader, hall, Some(choir), &slot(app, 3, 18.0, 19.0)).await;
    assert_eq!(error_code(s, &v), "room_weekly_limit", "{v}");
    assert_eq!(v["error"]["details"]["minutes_left"], 0, "{v}");

    // A closure names its reason.
    let (c0, c1) = slot(app, 4, 8.0, 22.0);
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/rooms/{hall}/closures"),
        &staff,
        json!({"starts_at": c0, "ends_at": c1, "reason": "设备检修"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");

    // The approvals queue: the unit's staff, never another branch's.
    let (s, q) = app
        .get(
            &format!("/api/v1/room-bookings?unit_id={point}&status=pending"),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 200, "{q}");
    let items = q["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{q}");
    assert!(
        !items[0]["booked_by_phone"]
            .as_str()
            .unwrap_or("****")
            .chars()
            .all(|c| c.is_ascii_digit()),
        "phones masked: {q}"
    );
    let (s, v) = app
        .get(
            &format!("/api/v1/room-bookings?unit_id={point}&status=pending"),
            Some(&other_branch),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{b1}/approve"),
        &other_branch,
        json!({}),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{b1}/approve"),
        &staff,
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "confirmed");
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{b1}/approve"),
        &staff,
        json!({}),
    )
    .await;
    assert_eq!(error_code(s, &v), "room_booking_not_pending");
    // Declining frees the slot: the hours come back and another team can take it.
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{b2}/decline"),
        &staff,
        json!({"reason": "当天有区级调演彩排"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "declined");
    assert_eq!(v["decline_reason"], "当天有区级调演彩排");
    let audit = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action IN ('room_booking_approved','room_booking_declined')")
        .await;
    assert_eq!(audit, 2);

    // Residents book practice rooms themselves; this room confirms on its own.
    let (s, p) = book(app, &resident, practice, None, &slot(app, 2, 9.0, 10.0)).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["status"], "confirmed");
    let p = p["id"].as_i64().unwrap();

    // Cancelling: not someone else's; a confirmed booking until 24 h before it starts.
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{b1}/cancel"),
        &stranger,
        json!({}),
    )
    .await;
    assert_eq!(s, 404, "{v}");
    let (s, mine) = app.get("/api/v1/me/room-bookings", Some(&leader)).await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(mine["items"].as_array().unwrap().len(), 2, "{mine}");
    assert!(
        mine["standing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["team_id"] == choir && x["no_shows"] == 0),
        "{mine}"
    );
    // Twelve hours before the slot: too late to cancel, too early to check in.
    let b1v = culturehub::room_bookings::load(&app.state().db, b1, app.clock().now())
        .await
        .unwrap();
    let to_start = (b1v.start - app.clock().now()).num_seconds();
    app.clock().advance(to_start - 12 * 3600);
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{b1}/cancel"),
        &leader,
        json!({}),
    )
    .await;
    assert_eq!(error_code(s, &v), "room_cancel_too_late", "{v}");

    // Check-in at the door: the right room's code, inside the window, once.
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{b1}/checkin"),
        &leader,
        json!({"room_id": hall}),
    )
    .await;
    assert_eq!(error_code(s, &v), "room_checkin_outside_window", "{v}");
    app.clock().advance(12 * 3600 - 10 * 60);
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{b1}/checkin"),
        &leader,
        json!({"room_id": practice}),
    )
    .await;
    assert_eq!(error_code(s, &v), "room_checkin_wrong_room", "{v}");
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{b1}/checkin"),
        &leader,
        json!({"room_id": hall}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"], "admitted");
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{b1}/checkin"),
        &leader,
        json!({"room_id": hall}),
    )
    .await;
    assert_eq!((s, v["result"].as_str()), (200, Some("already_admitted")));

    // The resident's practice slot (yesterday morning by now) was never used: a no-show.
    let (_, mine) = app.get("/api/v1/me/room-bookings", Some(&resident)).await;
    let item = &mine["items"][0];
    assert_eq!(
        (item["id"].as_i64(), &item["no_show"]),
        (Some(p), &json!(true)),
        "{mine}"
    );
    assert_eq!(mine["standing"][0]["no_shows"], 1, "{mine}");
    let (s, q) = app
        .get(
            &format!("/api/v1/room-bookings?unit_id={point}&status=no_show"),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(q["items"].as_array().unwrap().len(), 1, "{q}");
    // A point coordinator may not waive (as for activity no-shows); branch staff may, and only
    // a real no-show.
    let (branch, _) = app
        .staff("rb-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{b1}/waive-no-show"),
        &branch,
        json!({"reason": "误判"}),
    )
    .await;
    assert_eq!(
        error_code(s, &v),
        "not_a_no_show",
        "a checked-in booking: {v}"
    );
    let (s, _) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{p}/waive-no-show"),
        &staff,
        json!({"reason": "生病"}),
    )
    .await;
    assert_eq!(s, 403);
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{p}/waive-no-show"),
        &branch,
        json!({"reason": "生病住院"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (_, mine) = app.get("/api/v1/me/room-bookings", Some(&resident)).await;
    assert_eq!(mine["items"][0]["no_show"], false, "{mine}");
    assert_eq!(mine["standing"][0]["no_shows"], 0, "{mine}");

    // Room use this month counts the checked-in slot as used once it is over.
    app.clock().advance(3 * 3600);
    let month = culturehub::time::cst_month(b1v.start);
    let (s, u) = app
        .get(
            &format!("/api/v1/stats/room-use?unit_id={point}&month={month}"),
            Some(&branch),
        )
        .await;
    assert_eq!(s, 200, "{u}");
    let hall_use = u["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["room_id"] == hall)
        .unwrap();
    assert_eq!(hall_use["used_hours"], 2.0, "{u}");
    assert!(hall_use["booked_hours"].as_f64().unwrap() >= 2.0, "{u}");
    let practice_use = u["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["room_id"] == practice)
        .unwrap();
    if month == culturehub::time::cst_month(b1v.start - chrono::Duration::days(1)) {
        // The practice slot (the day before) fell in the same month: booked, never used.
        assert_eq!(practice_use["booked_hours"], 1.0, "{u}");
    }
    assert_eq!(practice_use["used_hours"], 0.0, "{u}");
}
both!(rb_journey, journey);

/// The residents' no-show rule applies to a team: enough unused slots suspend the team's
/// room booking; a cancelled booking before the deadline frees its slot.
async fn team_no_shows(app: &TestApp) {
    let (staff, _) = app.staff("rbn-point", Role::PointCoordinator, POINT).await;
    let (leader, leader_id) = app.sign_in("rbn-leader").await;
    let hall = room(app, &staff, "舞蹈室（测试）", "teams", true).await;
    let dance = team(app, leader_id, "红荔舞蹈队", "verified").await;
    let limit = app.state().settings.booking.no_show_limit;

    // Cancel before the deadline frees the slot for booking again.
    let s0 = slot(app, 5, 10.0, 11.0);
    let (s, b) = book(app, &leader, hall, Some(dance), &s0).await;
    assert_eq!(s, 200, "{b}");
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{}/cancel", b["id"]),
        &leader,
        json!({}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("cancelled")), "{v}");
    let (s, v) = book(app, &leader, hall, Some(dance), &s0).await;
    assert_eq!(s, 200, "the slot is free again: {v}");
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/room-bookings/{}/cancel", v["id"]),
        &leader,
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{v}");

    // `limit` unused slots, one a day.
    for _ in 0..limit {
        let (s, v) = book(app, &leader, hall, Some(dance), &slot(app, 1, 10.0, 11.0)).await;
        assert_eq!(s, 200, "{v}");
        app.clock().advance(2 * 24 * 3600);
    }
    let (s, v) = book(app, &leader, hall, Some(dance), &slot(app, 1, 10.0, 11.0)).await;
    assert_eq!(error_code(s, &v), "room_booking_suspended", "{v}");
    assert!(v["error"]["details"]["suspended_until"].is_string(), "{v}");
    // The leader as a resident is not suspended: the team is.
    let (_, mine) = app.get("/api/v1/me/room-bookings", Some(&leader)).await;
    let st = mine["standing"].as_array().unwrap();
    assert!(
        st.iter()
            .any(|x| x["team_id"].is_null() && x["suspended_until"].is_null()),
        "{mine}"
    );
    assert!(
        st.iter()
            .any(|x| x["team_id"] == dance && x["suspended_until"].is_string()),
        "{mine}"
    );
}
both!(rb_no_shows, team_no_shows);

const RACERS: usize = 12;

/// Many teams book the same slot at once: exactly one wins, the rest are told `room_clash`,
/// and one booking and one calendar entry remain.
async fn race(app: &TestApp) {
    let (staff, _) = app.staff("rbr-point", Role::PointCoordinator, POINT).await;
    let hall = room(app, &staff, "竞争排练厅", "teams", false).await;
    let mut leaders = Vec::new();
    for i in 0..RACERS {
        let (t, id) = app.sign_in(&format!("rbr-leader-{i}")).await;
        let team = team(app, id, &format!("竞争团队{i}"), "verified").await;
        leaders.push((t, team));
    }
    let requests = leaders
        .into_iter()
        .enumerate()
        .map(|(i, (token, team))| {
            // Every request covers 15:00–15:30; starts and ends differ.
            let (s, e) = slot(
                app,
                2,
                14.0 + (i % 4) as f64 * 0.25,
                15.5 + (i % 3) as f64 * 0.25,
            );
            (
                token,
                json!({"room_id": hall, "team_id": team, "starts_at": s, "ends_at": e}),
            )
        })
        .collect();
    let answers = book_at_once(app, requests).await;
    let mut won = 0;
    for (s, v) in answers {
        match s {
            200 => won += 1,
            409 => assert_eq!(v["error"]["code"], "room_clash", "{v}"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM room_bookings WHERE room_id = {hall}"
        ))
        .await,
        1,
        "the losers' bookings were rolled back"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM room_calendar WHERE room_id = {hall}"
        ))
        .await,
        1
    );
}
both!(rb_race, race);

/// One team sends many requests for different hours of one room at once: the weekly hours
/// (4 in `room`) are counted one request after another, so exactly four one-hour slots are
/// granted and the rest are told `room_weekly_limit`, on both databases.
async fn weekly_limit_race(app: &TestApp) {
    let (staff, _) = app.staff("rbw-point", Role::PointCoordinator, POINT).await;
    let hall = room(app, &staff, "限时排练厅", "teams", true).await;
    let (leader, leader_id) = app.sign_in("rbw-leader").await;
    let choir = team(app, leader_id, "限时合唱团", "verified").await;
    // Ten separate hours of one day, 09:00–19:00: no two clash.
    let requests = (0..10)
        .map(|i| {
            let (s, e) = slot(app, 2, 9.0 + i as f64, 10.0 + i as f64);
            (
                leader.clone(),
                json!({"room_id": hall, "team_id": choir, "starts_at": s, "ends_at": e}),
            )
        })
        .collect();
    let answers = book_at_once(app, requests).await;
    let mut won = 0;
    for (s, v) in answers {
        match s {
            200 => won += 1,
            422 | 409 => assert_eq!(v["error"]["code"], "room_weekly_limit", "{v}"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(won, 4, "exactly the weekly hours are granted");
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM room_bookings WHERE room_id = {hall} AND status = 'confirmed'"
        ))
        .await,
        4
    );
}
both!(rb_weekly_limit_race, weekly_limit_race);
