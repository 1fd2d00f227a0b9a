//! Staff training (issue 13): staff-only activities invisible to residents, bookable by staff on
//! the organiser's line, attended through the same tickets and check-in; each person's training
//! record; the yearly summary per unit against the policy, across a CST year boundary.

use culturehub::access::Role;
use culturehub_tests::{at, both, error_code, TestApp};
use serde_json::{json, Value};

/// Creates and publishes a staff training; returns (activity id, session id).
#[allow(clippy::too_many_arguments)]
async fn training(
    app: &TestApp,
    token: &str,
    title: &str,
    organizer: &str,
    place: &str,
    kind: &str,
    by_district: bool,
    starts_in_min: i64,
) -> (i64, i64) {
    let body = json!({
        "title": title, "kind": "training", "organizer_unit_id": app.unit_id(organizer).await,
        "booking_mode": "fcfs", "audience": "staff", "training_kind": kind, "by_district": by_district,
        "sessions": [{"unit_id": app.unit_id(place).await, "starts_at": at(app, starts_in_min),
                      "ends_at": at(app, starts_in_min + 120), "capacity": 30}],
    });
    let (s, v) = app.post("/api/v1/activities", Some(token), body).await;
    assert_eq!(s, 200, "create training: {v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{id}/publish"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "publish: {v}");
    (id, v["sessions"][0]["id"].as_i64().unwrap())
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["activity_id"].as_i64().unwrap())
        .collect()
}

/// Moves the app's clock to `days` before the next CST new year, and returns that year.
fn near_new_year(app: &TestApp, days: i64) -> i32 {
    let now = app.clock().now();
    let year = culturehub::time::cst_year(now);
    let (_, next) = culturehub::time::cst_year_bounds(year);
    let next = culturehub::time::parse(&next).unwrap();
    let target = next - chrono::Duration::days(days);
    app.clock().advance((target - now).num_seconds());
    year
}

async fn staff_only_is_invisible_to_residents(app: &TestApp) {
    let (center, _) = app.staff("t-center", Role::CenterAdmin, "ft-main").await;
    let (resident, _) = app.sign_in("t-resident").await;
    let (branch, _) = app
        .staff("t-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (coordinator, _) = app
        .staff("t-coord", Role::PointCoordinator, "ft-p-yuanling-hongli")
        .await;
    let (other_branch, _) = app
        .staff("t-other", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (volunteer, _) = app.staff("t-vol", Role::Volunteer, "ft-b-yuanling").await;
    let main = app.unit_id("ft-main").await;
    let yuanling = app.unit_id("ft-b-yuanling").await;

    // The anonymous browse page is cached before the training exists …
    let (s, before) = app.get("/api/v1/activities", None).await;
    assert_eq!(s, 200);
    assert!(ids(&before).is_empty(), "{before}");

    // Bad combinations are refused and store nothing.
    let when = at(app, 600);
    let end = at(app, 700);
    for body in [
        json!({"title": "公开培训", "kind": "training", "organizer_unit_id": main, "booking_mode": "fcfs",
               "training_kind": "business", "sessions": [{"unit_id": main, "starts_at": when, "ends_at": end, "capacity": 5}]}),
        json!({"title": "区级培训", "kind": "training", "organizer_unit_id": yuanling, "booking_mode": "fcfs",
               "audience": "staff", "training_kind": "management", "by_district": true,
               "sessions": [{"unit_id": yuanling, "starts_at": when, "ends_at": end, "capacity": 5}]}),
        json!({"title": "x", "kind": "training", "organizer_unit_id": main, "booking_mode": "fcfs",
               "audience": "everyone", "sessions": [{"unit_id": main, "starts_at": when, "ends_at": end, "capacity": 5}]}),
        json!({"title": "x", "kind": "training", "organizer_unit_id": main, "booking_mode": "fcfs",
               "audience": "staff", "training_kind": "cooking", "sessions": [{"unit_id": main, "starts_at": when, "ends_at": end, "capacity": 5}]}),
    ] {
        let (s, v) = app.post("/api/v1/activities", Some(&center), body).await;
        assert_eq!(error_code(s, &v), "validation_failed", "{v}");
    }
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM activities")
            .await,
        0
    );

    let (main_t, main_s) = training(
        app,
        &center,
        "业务骨干培训",
        "ft-main",
        "ft-main",
        "business",
        false,
        600,
    )
    .await;
    let (yl_t, yl_s) = training(
        app,
        &center,
        "协管员培训",
        "ft-b-yuanling",
        "ft-b-yuanling",
        "coordinator",
        false,
        600,
    )
    .await;
    // A public activity beside them, to show browse itself works.
    let (public_id, _) = app
        .activity(culturehub_tests::Act {
            title: "业务骨干公开课",
            ..Default::default()
        })
        .await;

    // Residents (and the anonymous, cached page) see only the public one: browse, search, nearest.
    for path in [
        "/api/v1/activities".to_string(),
        format!(
            "/api/v1/activities?q={}",
            "%E4%B8%9A%E5%8A%A1%E9%AA%A8%E5%B9%B2"
        ),
        "/api/v1/activities?kind=training".to_string(),
        "/api/v1/activities?lng=114.05&lat=22.54".to_string(),
        format!("/api/v1/activities?unit_id={main}"),
    ] {
        for token in [None, Some(resident.as_str()), Some(branch.as_str())] {
            let (s, v) = app.get(&path, token).await;
            assert_eq!(s, 200, "{path}: {v}");
            let got = ids(&v);
            assert!(
                !got.contains(&main_t) && !got.contains(&yl_t),
                "{path}: {v}"
            );
        }
    }
    let (_, v) = app
        .get("/api/v1/activities?q=%E4%B8%9A%E5%8A%A1", None)
        .await;
    assert_eq!(ids(&v), vec![public_id], "{v}");

    // Detail, ratings and booking: not found for a resident, the anonymous and a volunteer.
    for token in [None, Some(resident.as_str()), Some(volunteer.as_str())] {
        let (s, v) = app
            .get(&format!("/api/v1/activities/{main_t}"), token)
            .await;
        assert_eq!(error_code(s, &v), "not_found", "{v}");
        let (s, v) = app
            .get(&format!("/api/v1/activities/{main_t}/ratings"), token)
            .await;
        assert_eq!(error_code(s, &v), "not_found", "{v}");
    }
    for token in [&resident, &volunteer] {
        let (s, v) = app.book(token, main_s, json!({})).await;
        assert_eq!(error_code(s, &v), "not_found", "{v}");
        let (s, v) = app
            .post(
                "/api/v1/bookings",
                Some(token),
                json!({"activity_id": main_t}),
            )
            .await;
        assert_eq!(error_code(s, &v), "not_found", "{v}");
    }
    // Another branch's staff do not see a branch's training.
    let (s, v) = app
        .get(&format!("/api/v1/activities/{yl_t}"), Some(&other_branch))
        .await;
    assert_eq!(error_code(s, &v), "not_found", "{v}");
    let (s, v) = app.book(&other_branch, yl_s, json!({})).await;
    assert_eq!(error_code(s, &v), "not_found", "{v}");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM bookings")
            .await,
        0
    );

    // Staff on the line see and book them: the branch the main center's, the point coordinator
    // its branch's, the other branch the main center's.
    let (s, v) = app
        .get(&format!("/api/v1/activities/{main_t}"), Some(&branch))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["activity"]["audience"], "staff");
    assert_eq!(v["activity"]["training_kind"], "business");
    assert_eq!(v["activity"]["training_kind_label"], "业务培训");
    for (token, session) in [
        (&branch, main_s),
        (&coordinator, yl_s),
        (&other_branch, main_s),
    ] {
        let (s, v) = app.book(token, session, json!({})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "confirmed");
    }
}
both!(staff_only, staff_only_is_invisible_to_residents);

async fn record_and_yearly_summary(app: &TestApp) {
    let year = near_new_year(app, 3);
    let (center, _) = app.staff("r-center", Role::CenterAdmin, "ft-main").await;
    let (branch, branch_id) = app
        .staff("r-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (other_branch, _) = app
        .staff("r-other", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (resident, _) = app.sign_in("r-resident").await;
    let yuanling = app.unit_id("ft-b-yuanling").await;

    // This year (CST): a business training and a district management training at the main
    // center, a coordinator training by 园岭. Next year: another business training.
    let (biz, biz_s) = training(
        app,
        &center,
        "业务培训一",
        "ft-main",
        "ft-main",
        "business",
        false,
        60,
    )
    .await;
    let (district, _) = training(
        app,
        &center,
        "区级管理培训",
        "ft-main",
        "ft-main",
        "management",
        true,
        120,
    )
    .await;
    let (coord, coord_s) = training(
        app,
        &center,
        "协管员培训",
        "ft-b-yuanling",
        "ft-p-yuanling-hongli",
        "coordinator",
        false,
        180,
    )
    .await;
    let (next, next_s) = training(
        app,
        &center,
        "业务培训二",
        "ft-main",
        "ft-main",
        "business",
        false,
        5 * 24 * 60,
    )
    .await;
    let mut bookings = Vec::new();
    for s in [biz_s, coord_s, next_s] {
        let (st, v) = app.book(&branch, s, json!({})).await;
        assert_eq!(st, 200, "{v}");
        bookings.push((s, v["id"].as_i64().unwrap()));
    }

    // Held and checked in (the same manual check-in as any activity).
    app.clock().advance(4 * 3600);
    for (s, b) in &bookings[..2] {
        let (st, v) = app
            .post(
                &format!("/api/v1/sessions/{s}/checkin/manual"),
                Some(&center),
                json!({"booking_id": b}),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["result"], "admitted");
    }

    let (s, v) = app
        .get("/api/v1/people/trainings/mine", Some(&branch))
        .await;
    assert_eq!(s, 200, "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{v}");
    let got: Vec<i64> = items
        .iter()
        .map(|i| i["activity_id"].as_i64().unwrap())
        .collect();
    assert!(got.contains(&biz) && got.contains(&coord), "{v}");
    let (_, v) = app
        .get("/api/v1/people/trainings/mine", Some(&resident))
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 0);

    // The register entry linked to the account: its record for staff with ReadStaff there.
    let (s, entry) = app
        .post(
            "/api/v1/people/staff",
            Some(&center),
            json!({"unit_id": yuanling, "name": "李培训", "post": "业务干部", "employment": "full_time",
                   "from_date": "2020-01-01", "user_id": branch_id}),
        )
        .await;
    assert_eq!(s, 200, "{entry}");
    let path = format!("/api/v1/people/staff/{}/trainings", entry["id"]);
    let (s, v) = app.get(&path, Some(&center)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["linked"], true);
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    let (s, v) = app.get(&path, Some(&other_branch)).await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = app.get(&path, Some(&resident)).await;
    assert_eq!(error_code(s, &v), "forbidden");

    // The year's summary: three trainings held, attendance counted, gaps listed.
    let summary = |token: String, y: i32| async move {
        let (s, v) = app
            .get(
                &format!("/api/v1/people/trainings/summary?year={y}"),
                Some(&token),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        v
    };
    let v = summary(center.clone(), year).await;
    let trainings: Vec<i64> = v["trainings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["activity_id"].as_i64().unwrap())
        .collect();
    assert_eq!(trainings, vec![biz, district, coord], "{v}");
    assert_eq!(v["trainings"][0]["attendees"], 1);
    assert_eq!(v["trainings"][1]["attendees"], 0);
    assert_eq!(v["trainings"][1]["by_district"], true);
    let check = |v: &Value, level: &str, unit: Option<i64>| -> Value {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["level"] == level && (unit.is_none() || c["unit_id"] == json!(unit)))
            .cloned()
            .unwrap_or_else(|| panic!("{level} {unit:?} not in {v}"))
    };
    let d = check(&v, "district", None);
    assert_eq!(
        (d["counted"].as_i64(), d["met"].as_bool()),
        (Some(1), Some(true))
    );
    let m = check(&v, "main", None);
    assert_eq!(
        (
            m["counted"].as_i64(),
            m["required"].as_i64(),
            m["gap"].as_i64()
        ),
        (Some(1), Some(4), Some(3))
    );
    let y = check(&v, "branch", Some(yuanling));
    assert_eq!(y["met"], true, "{y}");
    let nanyuan = app.unit_id("ft-b-nanyuan").await;
    let gaps = v["gaps"].as_array().unwrap();
    assert!(gaps.iter().any(|g| g["unit_id"] == nanyuan), "{v}");
    assert!(!gaps.iter().any(|g| g["unit_id"] == yuanling), "{v}");

    // A branch sees only its own line: no district or main-center check, no other branch.
    let v = summary(branch.clone(), year).await;
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 1, "{v}");
    assert_eq!(checks[0]["unit_id"], yuanling);
    assert_eq!(v["trainings"].as_array().unwrap().len(), 1);

    // Not yet held: next year's training counts nowhere. Across the boundary it counts for
    // the new year only, and this year's numbers stay as they were.
    let v = summary(center.clone(), year + 1).await;
    assert_eq!(v["trainings"].as_array().unwrap().len(), 0, "{v}");
    app.clock().advance(6 * 24 * 3600);
    let v = summary(center.clone(), year + 1).await;
    let t = v["trainings"].as_array().unwrap();
    assert_eq!(t.len(), 1, "{v}");
    assert_eq!(t[0]["activity_id"], next);
    assert_eq!(check(&v, "main", None)["counted"], 1);
    assert_eq!(check(&v, "district", None)["met"], false);
    let v = summary(center.clone(), year).await;
    assert_eq!(v["trainings"].as_array().unwrap().len(), 3);
    // Default year: the CST year of the clock, now the new one.
    let (s, v) = app
        .get("/api/v1/people/trainings/summary?year=1999", Some(&center))
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, v) = app
        .get("/api/v1/people/trainings/summary", Some(&center))
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["year"], year + 1);
    let (s, v) = app
        .get("/api/v1/people/trainings/summary", Some(&resident))
        .await;
    assert_eq!(error_code(s, &v), "forbidden");
}
both!(record_and_summary, record_and_yearly_summary);
