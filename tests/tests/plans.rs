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

/// The allocation rules, rule by rule: branches within the district, points within their
/// branch, per target kind; each refusal changes nothing; the plan shows what is left.
async fn allocations_checked(app: &TestApp) {
    let (admin, _) = app
        .staff("o-alloc-admin", Role::CenterAdmin, "ft-main")
        .await;
    let yl = app.unit_id("ft-b-yuanling").await;
    let ny = app.unit_id("ft-b-nanyuan").await;
    let hongli = app.unit_id("ft-p-yuanling-hongli").await;
    let baihua = app.unit_id("ft-p-yuanling-baihua").await;
    let a = |unit: i64, c: &str, t: i64| json!({"unit_id": unit, "category": c, "target": t});
    let plan = |allocs: Vec<Value>| json!({"performances": 20, "lectures_exhibitions": 20, "trainings": 10, "allocations": allocs});
    let put = |body: Value| {
        let admin = admin.clone();
        async move {
            app.call("PUT", "/api/v1/plans/2031", Some(&admin), Some(body))
                .await
        }
    };
    let fits = vec![
        a(yl, "trainings", 6),
        a(ny, "trainings", 4),
        a(hongli, "trainings", 4),
        a(baihua, "trainings", 2),
        a(yl, "performances", 5),
    ];
    let (s, v) = put(plan(fits.clone())).await;
    assert_eq!(s, 200, "{v}");
    let bal = |v: &Value, unit: i64, c: &str| {
        v["balance"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["unit_id"] == unit && b["category"] == c)
            .cloned()
            .unwrap_or_else(|| panic!("{unit} {c} in {v}"))
    };
    let root = app.unit_id("ft-main").await;
    assert_eq!(bal(&v, root, "trainings")["state"], "full", "6 + 4 of 10");
    assert_eq!(bal(&v, root, "performances")["remaining"], 15);
    assert_eq!(bal(&v, root, "performances")["state"], "under");
    assert_eq!(
        bal(&v, yl, "trainings")["allocated"],
        6,
        "its points: 4 + 2"
    );
    assert_eq!(bal(&v, yl, "trainings")["state"], "full");
    assert_eq!(
        bal(&v, yl, "performances")["state"],
        "under",
        "nothing handed to points"
    );

    // Rule 1: the branches together within the district's target.
    let mut over = fits.clone();
    over[1] = a(ny, "trainings", 5);
    let (s, e) = put(plan(over)).await;
    assert_eq!(error_code(s, &e), "validation_failed");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("超过了全区目标（10）"),
        "{e}"
    );
    // Rule 2: a branch's points together within the branch's allocation.
    let mut over = fits.clone();
    over[3] = a(baihua, "trainings", 3);
    let (s, e) = put(plan(over)).await;
    assert_eq!(error_code(s, &e), "validation_failed");
    assert_eq!(
        e["error"]["message"], "园岭分馆的公益性艺术培训分配合计（7）超过了该分馆的分配数（6）",
        "{e}"
    );
    // Rule 3: per kind — the branch's trainings do not cover its points' lectures.
    let mut other = fits.clone();
    other.push(a(hongli, "lectures_exhibitions", 1));
    let (s, e) = put(plan(other)).await;
    assert_eq!(error_code(s, &e), "validation_failed");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("讲座、展览"),
        "{e}"
    );
    // Lowering the district's target under what the branches hold is refused as well.
    let mut low = plan(fits.clone());
    low["trainings"] = json!(9);
    let (s, e) = put(low).await;
    assert_eq!(error_code(s, &e), "validation_failed");
    // Nothing changed by the refusals.
    let (_, now) = app.get("/api/v1/plans/2031", Some(&admin)).await;
    assert_eq!(now["trainings"], 10);
    assert_eq!(bal(&now, yl, "trainings")["allocated"], 6);
    assert_eq!(now["allocations"].as_array().unwrap().len(), 5, "{now}");
}
both!(allocations_fit_level_by_level, allocations_checked);

/// The main center's work-plan items: created, edited, closed and deleted by the main center;
/// activities linked by the main center or by whoever runs them at a named unit; the status
/// follows the held sessions; units see the items that name them.
async fn work_plan_items(app: &TestApp) {
    let (ny, year) = new_year(app);
    let prev = year - 1;
    let day = 24 * 60;
    let (admin, _) = app
        .staff("o-item-admin", Role::CenterAdmin, "ft-main")
        .await;
    let (bstaff, _) = app
        .staff("o-item-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (coord, _) = app
        .staff(
            "o-item-coord",
            Role::PointCoordinator,
            "ft-p-yuanling-hongli",
        )
        .await;
    let (other, _) = app
        .staff("o-item-other", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (eval, _) = app.staff("o-item-eval", Role::Evaluator, "ft-main").await;
    let yl = app.unit_id("ft-b-yuanling").await;
    let hongli = app.unit_id("ft-p-yuanling-hongli").await;
    let nanyuan = app.unit_id("ft-b-nanyuan").await;
    let dec = format!("{prev}-12");

    // Input is checked: the month within the plan's year, at least one unit of the district.
    let items = format!("/api/v1/plans/{prev}/items");
    for bad in [
        json!({"title": "送戏", "month": format!("{year}-01"), "unit_ids": [yl]}),
        json!({"title": "送戏", "month": format!("{prev}-13"), "unit_ids": [yl]}),
        json!({"title": " ", "month": dec, "unit_ids": [yl]}),
        json!({"title": "送戏", "month": dec, "unit_ids": []}),
    ] {
        let (s, v) = app.post(&items, Some(&admin), bad.clone()).await;
        assert_eq!(error_code(s, &v), "validation_failed", "{bad}");
    }
    let (s, v) = app
        .post(
            &items,
            Some(&admin),
            json!({"title": "送戏", "month": dec, "unit_ids": [999999]}),
        )
        .await;
    assert_eq!(error_code(s, &v), "not_found");
    // Only the main center keeps the plan.
    let body = json!({"title": "园岭片区迎新春送戏", "month": dec, "note": "每个服务点一场", "unit_ids": [yl, hongli]});
    let (s, v) = app.post(&items, Some(&bstaff), body.clone()).await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = app.post(&items, Some(&admin), body).await;
    assert_eq!(s, 200, "{v}");
    let item = v["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            &items,
            Some(&admin),
            json!({"title": "南园书法展", "month": format!("{prev}-11"), "unit_ids": [nanyuan]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let south = v["id"].as_i64().unwrap();

    // Units see the items that name them; the district readers see all.
    let titles = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, mine) = app.get(&items, Some(&coord)).await;
    assert_eq!(titles(&mine), vec!["园岭片区迎新春送戏"], "{mine}");
    let (_, theirs) = app.get(&items, Some(&other)).await;
    assert_eq!(titles(&theirs), vec!["南园书法展"], "{theirs}");
    let (_, all) = app.get(&items, Some(&eval)).await;
    assert_eq!(titles(&all).len(), 2, "{all}");
    let (_, narrowed) = app
        .get(&format!("{items}?unit_id={nanyuan}"), Some(&admin))
        .await;
    assert_eq!(titles(&narrowed), vec!["南园书法展"]);
    let (s, v) = app
        .get(&format!("{items}?unit_id={nanyuan}"), Some(&bstaff))
        .await;
    assert_eq!(error_code(s, &v), "forbidden");
    let first = &mine["items"][0];
    assert_eq!(first["status"], "planned", "{mine}");
    assert_eq!(first["units"].as_array().unwrap().len(), 2);

    // The point's coordinator links the performance it runs for the item; a unit the item
    // does not name cannot link its own activity; a cancelled activity carries nothing out.
    let (s, perf) = create(
        app,
        &admin,
        "performance",
        "ft-p-yuanling-hongli",
        "ft-p-yuanling-hongli",
        &[ny - 5 * day],
        &[],
        false,
    )
    .await;
    assert_eq!(s, 200, "{perf}");
    let (s, theirs_act) = create(
        app,
        &admin,
        "lecture",
        "ft-b-nanyuan",
        "ft-b-nanyuan",
        &[ny - 5 * day],
        &[],
        false,
    )
    .await;
    assert_eq!(s, 200, "{theirs_act}");
    let link = format!("/api/v1/plan-items/{item}/activities");
    let (s, v) = app
        .post(
            &link,
            Some(&other),
            json!({"activity_id": theirs_act["id"]}),
        )
        .await;
    assert_eq!(error_code(s, &v), "forbidden", "not named by the item");
    let (s, v) = app
        .post(&link, Some(&other), json!({"activity_id": perf["id"]}))
        .await;
    assert_eq!(error_code(s, &v), "forbidden", "not their activity");
    let (s, v) = app
        .post(&link, Some(&coord), json!({"activity_id": perf["id"]}))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(&link, Some(&coord), json!({"activity_id": 999999}))
        .await;
    assert_eq!(error_code(s, &v), "not_found");
    let (_, cancelled) = create(
        app,
        &admin,
        "lecture",
        "ft-b-yuanling",
        "ft-b-yuanling",
        &[ny - 4 * day],
        &[],
        false,
    )
    .await;
    app.post(
        &format!("/api/v1/activities/{}/cancel", cancelled["id"]),
        Some(&admin),
        json!({"reason": "场地维修"}),
    )
    .await;
    let (s, v) = app
        .post(
            &link,
            Some(&bstaff),
            json!({"activity_id": cancelled["id"]}),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (_, mine) = app.get(&items, Some(&bstaff)).await;
    assert_eq!(mine["items"][0]["status"], "scheduled", "{mine}");
    assert_eq!(mine["items"][0]["activities"][0]["sessions"], 1);
    assert_eq!(mine["items"][0]["held_sessions"], 0);

    // After the session is held (the clock moves past the CST new year): held. The other item,
    // its month passed with nothing held: overdue.
    app.clock().advance((ny + 60) * 60);
    let (admin, _) = app.sign_in("o-item-admin").await;
    let (bstaff, _) = app.sign_in("o-item-branch").await;
    let (_, all) = app.get(&items, Some(&admin)).await;
    let by = |v: &Value, id: i64| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by(&all, item)["status"], "held", "{all}");
    assert_eq!(by(&all, item)["held_sessions"], 1);
    assert_eq!(by(&all, south)["status"], "overdue", "{all}");
    // The new year's plan has none of last year's items.
    let (_, next) = app
        .get(&format!("/api/v1/plans/{year}/items"), Some(&admin))
        .await;
    assert_eq!(next["items"].as_array().unwrap().len(), 0);

    // Edit: what, when and units; the month stays in the plan's year.
    let edit = format!("/api/v1/plan-items/{south}");
    let (s, v) = app
        .call("PUT", &edit, Some(&admin), Some(json!({"title": "南园、园岭书法展", "month": format!("{prev}-10"), "unit_ids": [nanyuan, yl]})))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .call(
            "PUT",
            &edit,
            Some(&admin),
            Some(json!({"title": "书法展", "month": format!("{year}-10"), "unit_ids": [nanyuan]})),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, v) = app
        .call(
            "PUT",
            &edit,
            Some(&bstaff),
            Some(json!({"title": "书法展", "month": format!("{prev}-10"), "unit_ids": [yl]})),
        )
        .await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (_, mine) = app.get(&items, Some(&bstaff)).await;
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        2,
        "now named by both: {mine}"
    );
    assert_eq!(by(&mine, south)["month"], format!("{prev}-10"));

    // Unlink, close (no new links), reopen, delete.
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/plan-items/{item}/activities/{}", perf["id"]),
            Some(&bstaff),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = app
        .call(
            "DELETE",
            &format!("/api/v1/plan-items/{item}/activities/{}", perf["id"]),
            Some(&bstaff),
            None,
        )
        .await;
    assert_eq!(error_code(s, &v), "not_found");
    let (s, _) = app
        .post(
            &format!("/api/v1/plan-items/{item}/close"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = app
        .post(&link, Some(&admin), json!({"activity_id": perf["id"]}))
        .await;
    assert_eq!(error_code(s, &v), "validation_failed", "closed: {v}");
    let (_, all) = app.get(&items, Some(&admin)).await;
    assert_eq!(by(&all, item)["status"], "closed");
    let (s, _) = app
        .post(
            &format!("/api/v1/plan-items/{item}/reopen"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post(&link, Some(&admin), json!({"activity_id": perf["id"]}))
        .await;
    assert_eq!(s, 200);
    let (s, v) = app.call("DELETE", &edit, Some(&bstaff), None).await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, _) = app.call("DELETE", &edit, Some(&admin), None).await;
    assert_eq!(s, 200);
    let (s, v) = app.call("DELETE", &edit, Some(&admin), None).await;
    assert_eq!(error_code(s, &v), "not_found");
    let (_, all) = app.get(&items, Some(&admin)).await;
    assert_eq!(titles(&all), vec!["园岭片区迎新春送戏"]);
    let audited = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action LIKE 'plan_item_%'")
        .await;
    // 2 created, 1 updated, 2 linked, 1 unlinked, closed, reopened, deleted.
    assert_eq!(audited, 9);
}
both!(work_plan_items_follow_their_sessions, work_plan_items);
