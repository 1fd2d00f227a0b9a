//! Yearly plans and the counting rules of the targets (docs/plans.md), rule by rule, on SQLite
//! and on PostgreSQL, with the app's clock moved across a China Standard Time year boundary.

use culturehub::access::Role;
use culturehub_tests::{both, error_code, TestApp};
use serde_json::{json, Value};

/// Minutes from the app's now to a CST new year at least 40 days ahead (so every session the
/// test creates, some weeks before it, is still in the future), and that new year's year.
fn new_year(app: &TestApp) -> (i64, i32) {
    let now = app.clock().now();
    let mut y = culturehub::time::cst_year(now) + 1;
    loop {
        let (start, _) = culturehub::time::cst_year_bounds(y);
        let t = culturehub::time::parse(&start).unwrap();
        let mins = (t - now).num_minutes();
        if mins > 40 * 24 * 60 {
            return (mins, y);
        }
        y += 1;
    }
}

fn at(app: &TestApp, m: i64) -> String {
    culturehub_tests::at(app, m)
}

/// Creates and publishes an activity through the API; returns (status, body) of the create
/// when it fails, else the activity id in the body's `id`.
#[allow(clippy::too_many_arguments)]
async fn create(
    app: &TestApp,
    token: &str,
    kind: &str,
    organizer: &str,
    place: &str,
    starts: &[i64],
    partners: &[&str],
    delivered: bool,
) -> (u16, Value) {
    let place = app.unit_id(place).await;
    let sessions: Vec<Value> = starts
        .iter()
        .map(|s| json!({"unit_id": place, "starts_at": at(app, *s), "ends_at": at(app, *s + 90), "capacity": null}))
        .collect();
    let mut joint = Vec::new();
    for p in partners {
        joint.push(app.unit_id(p).await);
    }
    let body = json!({
        "title": format!("{kind} 计数测试"), "kind": kind, "organizer_unit_id": app.unit_id(organizer).await,
        "booking_mode": "none", "is_course": starts.len() > 1, "sessions": sessions,
        "joint_unit_ids": joint, "delivered_by_main_center": delivered,
    });
    let (s, v) = app.post("/api/v1/activities", Some(token), body).await;
    if s != 200 {
        return (s, v);
    }
    let id = v["id"].as_i64().unwrap();
    let (s, p) = app
        .post(
            &format!("/api/v1/activities/{id}/publish"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "publish: {p}");
    (200, v)
}

fn item<'a>(v: &'a Value, category: &str) -> &'a Value {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["category"] == category)
        .unwrap_or_else(|| panic!("{category} in {v}"))
}

async fn counting_rules(app: &TestApp) {
    let (ny, year) = new_year(app);
    let prev = year - 1;
    let (admin, _) = app
        .staff("o-plan-admin", Role::CenterAdmin, "ft-main")
        .await;
    let point = "ft-p-yuanling-hongli";
    let branch = "ft-b-yuanling";
    let day = 24 * 60;

    // 送演出下基层: held at a point, no partner → counts, not joint.
    let (s, v) = create(
        app,
        &admin,
        "performance",
        branch,
        point,
        &[ny - 3 * day],
        &[],
        false,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // A performance at the main center is not "sent to the grassroots".
    let (s, v) = create(
        app,
        &admin,
        "performance",
        "ft-main",
        "ft-main",
        &[ny - 3 * day],
        &[],
        false,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // Delivered from the main center's menu: counts for the receiving point, and as joint.
    let (s, v) = create(
        app,
        &admin,
        "performance",
        point,
        point,
        &[ny - 4 * day],
        &["ft-main"],
        true,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // A 4-lesson course: 4 场/次 per lesson, 1 per course.
    let lessons: Vec<i64> = (0..4).map(|i| ny - 30 * day + i * 7 * day).collect();
    let (s, v) = create(app, &admin, "training", branch, point, &lessons, &[], false).await;
    assert_eq!(s, 200, "{v}");
    // Lectures with partners on the line: one to be confirmed, one declined, one left pending.
    let (_, confirmed) = create(
        app,
        &admin,
        "lecture",
        point,
        point,
        &[ny - 5 * day],
        &[branch],
        false,
    )
    .await;
    let (_, declined) = create(
        app,
        &admin,
        "exhibition",
        point,
        point,
        &[ny - 5 * day],
        &[branch],
        false,
    )
    .await;
    let (s, pending) = create(
        app,
        &admin,
        "lecture",
        branch,
        point,
        &[ny - 5 * day],
        &["ft-main"],
        false,
    )
    .await;
    assert_eq!(s, 200, "{pending}");
    // A partner off the line (another branch) cannot be named.
    let (s, v) = create(
        app,
        &admin,
        "lecture",
        point,
        point,
        &[ny - 5 * day],
        &["ft-b-nanyuan"],
        false,
    )
    .await;
    assert_eq!(error_code(s, &v), "partner_off_line");
    // Cancelled: never counts.
    let (_, cancelled) = create(
        app,
        &admin,
        "lecture",
        branch,
        point,
        &[ny - 6 * day],
        &[],
        false,
    )
    .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{}/cancel", cancelled["id"]),
            Some(&admin),
            json!({"reason": "场地维修"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // One hour after CST midnight: next year in CST, still the old year in UTC.
    let (s, v) = create(
        app,
        &admin,
        "lecture",
        branch,
        point,
        &[ny + 60],
        &[],
        false,
    )
    .await;
    assert_eq!(s, 200, "{v}");

    // The partners answer from their own inbox; a unit elsewhere cannot answer for them.
    let (bstaff, _) = app.staff("o-plan-branch", Role::BranchStaff, branch).await;
    let (other, _) = app
        .staff("o-plan-other", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (_, inbox) = app
        .get("/api/v1/partner-requests?status=pending", Some(&bstaff))
        .await;
    let ids: Vec<i64> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["activity_id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&confirmed["id"].as_i64().unwrap()), "{inbox}");
    assert!(ids.contains(&declined["id"].as_i64().unwrap()), "{inbox}");
    let (_, inbox_other) = app
        .get("/api/v1/partner-requests?status=pending", Some(&other))
        .await;
    assert_eq!(inbox_other["items"].as_array().unwrap().len(), 0);
    let b_id = app.unit_id(branch).await;
    let path =
        |a: &Value, what: &str| format!("/api/v1/activities/{}/partners/{b_id}/{what}", a["id"]);
    let (s, v) = app
        .post(&path(&confirmed, "confirm"), Some(&other), json!({}))
        .await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, _) = app
        .post(&path(&confirmed, "confirm"), Some(&bstaff), json!({}))
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post(&path(&declined, "decline"), Some(&bstaff), json!({}))
        .await;
    assert_eq!(s, 200);
    // Not a partner of that activity.
    let (s, v) = app
        .post(
            &format!(
                "/api/v1/activities/{}/partners/{b_id}/confirm",
                pending["id"]
            ),
            Some(&bstaff),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "not_found");

    // Before anything is held, nothing counts.
    let (s, t) = app
        .get(&format!("/api/v1/stats/targets?year={prev}"), Some(&admin))
        .await;
    assert_eq!(s, 200, "{t}");
    for c in ["performances", "lectures_exhibitions", "trainings"] {
        assert_eq!(item(&t, c)["count"], 0, "{c}: {t}");
        assert_eq!(item(&t, c)["target"], 20, "policy default: {t}");
    }
    assert_eq!(t["plan_is_default"], true);

    // Move past the new year: everything has been held.
    app.clock().advance((ny + 3 * 60) * 60);
    let (admin, _) = app.sign_in("o-plan-admin").await;
    let (bstaff, _) = app.sign_in("o-plan-branch").await;
    let (s, t) = app
        .get(&format!("/api/v1/stats/targets?year={prev}"), Some(&admin))
        .await;
    assert_eq!(s, 200, "{t}");
    let perf = item(&t, "performances");
    assert_eq!(
        perf["count"], 2,
        "point show + delivered show, not the main-center show: {t}"
    );
    assert_eq!(perf["joint_or_delivered"], 1, "{t}");
    assert_eq!(perf["met"], false);
    let tr = item(&t, "trainings");
    assert_eq!(tr["count"], 4, "per lesson: {t}");
    assert_eq!(tr["count_per_course"], 1, "per course: {t}");
    let le = item(&t, "lectures_exhibitions");
    assert_eq!(
        le["count"], 3,
        "confirmed + declined + pending, not the cancelled one: {t}"
    );
    assert_eq!(
        le["joint_or_delivered"], 1,
        "only the confirmed partner: {t}"
    );
    assert_eq!(le["not_counted"], 1, "the cancelled one: {t}");
    // The CST new year's lecture is next year's.
    let (_, next) = app
        .get(&format!("/api/v1/stats/targets?year={year}"), Some(&admin))
        .await;
    assert_eq!(item(&next, "lectures_exhibitions")["count"], 1, "{next}");
    assert_eq!(item(&next, "performances")["count"], 0, "{next}");

    // Drill-down: every session with its reason.
    let (s, d) = app
        .get(
            &format!("/api/v1/stats/targets/sessions?year={prev}&category=performances"),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    let reasons: Vec<&str> = d["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 3, "{d}");
    for r in ["held_at_main_center", "no_partner", "counted"] {
        assert!(reasons.contains(&r), "{r} in {d}");
    }
    let (_, d) = app
        .get(
            &format!("/api/v1/stats/targets/sessions?year={prev}&category=lectures_exhibitions"),
            Some(&admin),
        )
        .await;
    let reasons: Vec<&str> = d["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reason"].as_str().unwrap())
        .collect();
    for r in [
        "counted",
        "partner_declined",
        "partner_pending",
        "cancelled",
    ] {
        assert!(reasons.contains(&r), "{r} in {d}");
    }
    let (s, v) = app
        .get(
            &format!("/api/v1/stats/targets/sessions?year={prev}&category=nope"),
            Some(&admin),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");

    // The district's targets are set per year and allocated to branches; the district is
    // compared with the whole district, a branch with its allocation.
    let bid = app.unit_id(branch).await;
    let plan = json!({"performances": 1, "lectures_exhibitions": 1, "trainings": 30,
        "allocations": [{"unit_id": bid, "category": "performances", "target": 1}]});
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/plans/{prev}"),
            Some(&bstaff),
            Some(plan.clone()),
        )
        .await;
    assert_eq!(error_code(s, &v), "forbidden");
    let too_much = json!({"performances": 1, "lectures_exhibitions": 1, "trainings": 1,
        "allocations": [{"unit_id": bid, "category": "performances", "target": 5}]});
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/plans/{prev}"),
            Some(&admin),
            Some(too_much),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/plans/{prev}"),
            Some(&admin),
            Some(plan),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["is_default"], false);
    let (_, t) = app
        .get(&format!("/api/v1/stats/targets?year={prev}"), Some(&admin))
        .await;
    assert_eq!(t["plan_is_default"], false);
    assert_eq!(item(&t, "performances")["met"], true, "{t}");
    assert_eq!(item(&t, "lectures_exhibitions")["met"], true, "{t}");
    assert_eq!(
        item(&t, "trainings")["met"],
        false,
        "4 lessons, none joint: {t}"
    );
    let unit = t["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_id"] == bid)
        .unwrap_or_else(|| panic!("branch row in {t}"));
    assert_eq!(item(unit, "performances")["target"], 1);
    assert_eq!(item(unit, "performances")["allocated"], true);
    assert_eq!(item(unit, "performances")["joint_or_delivered"], 1);
    // The branch's own view compares with its allocation, not the district's targets.
    let (_, mine) = app
        .get(&format!("/api/v1/stats/targets?year={prev}"), Some(&bstaff))
        .await;
    assert_eq!(mine["unit_id"], bid, "{mine}");
    assert_eq!(item(&mine, "performances")["target"], 1, "{mine}");
    assert_eq!(item(&mine, "lectures_exhibitions")["target"], 0, "{mine}");
    // Another year keeps the policy defaults.
    let (_, p) = app
        .get(&format!("/api/v1/plans/{year}"), Some(&bstaff))
        .await;
    assert_eq!(p["is_default"], true);
    assert_eq!(p["performances"], 20);
    // Trend: cumulative joint sessions by CST month against the pace.
    let dec: Vec<&Value> = t["trend"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["month"] == format!("{prev}-12"))
        .collect();
    assert_eq!(dec.len(), 3, "{t}");
    let audited = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action IN ('plan_saved','partner_confirmed','partner_declined')")
        .await;
    assert_eq!(audited, 3);
}
both!(counting_rules_across_a_cst_year, counting_rules);
