//! The supply side (issue 16): providers register and offer programmes, the main center
//! reviews them, branches and points request offerings, the provider accepts or proposes a
//! date, the main center or a branch (within its budget) records the purchase, delivery makes
//! the activity (delivered and joint), ratings rate the provider; budgets never overspend under
//! concurrent approvals; branch menus are scoped to the branch's own points.

use culturehub::access::Role;
use culturehub_tests::{at, both, error_code, TestApp};
use serde_json::{json, Value};
use std::sync::Arc;

const BRANCH_A: &str = "ft-b-yuanling";
const POINT_A: &str = "ft-p-yuanling-hongli";
const BRANCH_B: &str = "ft-b-nanyuan";
const POINT_B: &str = "ft-p-nanyuan-nanyuan";

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.post(path, Some(token), body).await
}

/// A provider signed in, registered, approved, with one approved offering at `price_fen`.
/// Returns (token, provider id, offering id).
async fn approved_provider(
    app: &TestApp,
    center: &str,
    openid: &str,
    price_fen: i64,
) -> (String, i64, i64) {
    let (token, _) = app.sign_in(openid).await;
    let (s, v) = post(
        app,
        "/api/v1/providers/me",
        &token,
        json!({"name": format!("{openid}艺术团"), "kind": "troupe", "contact_name": "王老师",
               "phone": "13800001234", "qualifications": "民办非企业单位登记证书"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let provider = v["id"].as_i64().unwrap();
    let (s, v) = post(
        app,
        "/api/v1/providers/me/offerings",
        &token,
        json!({"title": "粤剧折子戏专场", "kind": "performance", "duration_minutes": 90,
               "audience": "全年龄", "requirements": "舞台、音响", "price_fen": price_fen}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let offering = v["id"].as_i64().unwrap();
    let (s, v) = post(
        app,
        &format!("/api/v1/providers/{provider}/review"),
        center,
        json!({"decision": "approve"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = post(
        app,
        &format!("/api/v1/offerings/{offering}/review"),
        center,
        json!({"decision": "approve"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    (token, provider, offering)
}

async fn budget(app: &TestApp, center: &str, unit: &str, amount_fen: i64) -> i64 {
    let unit_id = app.unit_id(unit).await;
    let (s, v) = post(
        app,
        "/api/v1/procurement/budgets",
        center,
        json!({"unit_id": unit_id, "year": 2026, "amount_fen": amount_fen}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["id"].as_i64().unwrap()
}

/// An accepted order of `offering` at `unit`.
async fn accepted_order(
    app: &TestApp,
    requester: &str,
    provider: &str,
    offering: i64,
    unit: &str,
) -> i64 {
    let unit_id = app.unit_id(unit).await;
    let (s, v) = post(
        app,
        "/api/v1/procurement/orders",
        requester,
        json!({"offering_id": offering, "unit_id": unit_id, "requested_date": "2026-12-20"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = post(
        app,
        &format!("/api/v1/procurement/orders/{id}/accept"),
        provider,
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    id
}

async fn journey(app: &TestApp) {
    let (center, _) = app
        .staff("o-sup-center", Role::CenterStaff, "ft-main")
        .await;
    let (branch_a, _) = app
        .staff("o-sup-branch-a", Role::BranchStaff, BRANCH_A)
        .await;
    let (coord_a, _) = app
        .staff("o-sup-coord-a", Role::PointCoordinator, POINT_A)
        .await;
    let (branch_b, _) = app
        .staff("o-sup-branch-b", Role::BranchStaff, BRANCH_B)
        .await;

    // Registration: pending until reviewed; a return needs comments; not in the catalogue yet.
    let (prov, _) = app.sign_in("o-sup-provider").await;
    let (s, v) = app.get("/api/v1/providers/me", Some(&prov)).await;
    assert_eq!(error_code(s, &v), "not_provider");
    let (s, v) = post(
        app,
        "/api/v1/providers/me",
        &prov,
        json!({"name": "福田青年粤剧团", "kind": "dance_school"}),
    )
    .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, v) = post(
        app,
        "/api/v1/providers/me",
        &prov,
        json!({"name": "福田青年粤剧团", "kind": "troupe", "phone": "13800001234"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let provider = v["id"].as_i64().unwrap();
    let (_, me) = app.get("/api/v1/providers/me", Some(&prov)).await;
    assert_eq!(me["status"], "pending");
    assert_eq!(me["phone"], "138****1234", "phones are masked");
    let (s, v) = post(
        app,
        "/api/v1/providers/me/offerings",
        &prov,
        json!({"title": "粤剧进社区", "kind": "performance", "duration_minutes": 90, "price_fen": 1_200_000}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let offering = v["id"].as_i64().unwrap();
    let (s, v) = post(
        app,
        &format!("/api/v1/providers/{provider}/review"),
        &center,
        json!({"decision": "return"}),
    )
    .await;
    assert_eq!(
        error_code(s, &v),
        "validation_failed",
        "a return needs comments"
    );
    let (s, v) = post(
        app,
        &format!("/api/v1/providers/{provider}/review"),
        &branch_a,
        json!({"decision": "approve"}),
    )
    .await;
    assert_eq!(
        error_code(s, &v),
        "forbidden",
        "only the main center reviews"
    );
    let (s, v) = post(
        app,
        &format!("/api/v1/providers/{provider}/review"),
        &center,
        json!({"decision": "return", "comment": "请补充资质"}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("returned")), "{v}");
    let point_a = app.unit_id(POINT_A).await;
    let (_, cat) = app
        .get(
            &format!("/api/v1/procurement/catalogue?unit_id={point_a}"),
            Some(&coord_a),
        )
        .await;
    assert!(cat["items"].as_array().unwrap().is_empty());
    for (path, _) in [
        (format!("/api/v1/providers/{provider}/review"), 0),
        (format!("/api/v1/offerings/{offering}/review"), 0),
    ] {
        let (s, v) = post(app, &path, &center, json!({"decision": "approve"})).await;
        assert_eq!(s, 200, "{v}");
    }
    let (_, cat) = app
        .get(
            &format!("/api/v1/procurement/catalogue?unit_id={point_a}"),
            Some(&coord_a),
        )
        .await;
    assert_eq!(cat["items"][0]["id"], offering);
    assert_eq!(cat["items"][0]["price_fen"], 1_200_000);

    // A point requests; the provider proposes another date; the point confirms.
    let (s, v) = post(
        app,
        "/api/v1/procurement/orders",
        &coord_a,
        json!({"offering_id": offering, "unit_id": point_a, "requested_date": "2026-12-20", "note": "社区广场"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let order = v["id"].as_i64().unwrap();
    let (s, v) = post(
        app,
        &format!("/api/v1/procurement/orders/{order}/purchase"),
        &center,
        json!({"budget_id": 1, "amount_fen": 1, "contract_ref": "x", "funding_source": "y"}),
    )
    .await;
    assert!(
        s == 404 || s == 409,
        "no purchase before acceptance: {s} {v}"
    );
    let (s, v) = post(
        app,
        &format!("/api/v1/procurement/orders/{order}/propose"),
        &prov,
        json!({"date": "2026-12-27", "note": "20日已有演出"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = post(
        app,
        &format!("/api/v1/procurement/orders/{order}/accept"),
        &prov,
        json!({}),
    )
    .await;
    assert_eq!(error_code(s, &v), "procurement_order_state");
    let (s, v) = post(
        app,
        &format!("/api/v1/procurement/orders/{order}/confirm"),
        &branch_b,
        json!({}),
    )
    .await;
    assert_eq!(
        error_code(s, &v),
        "forbidden",
        "another branch cannot confirm"
    );
    let (s, v) = post(
        app,
        &format!("/api/v1/procurement/orders/{order}/confirm"),
        &coord_a,
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (_, mine) = app.get("/api/v1/providers/me/orders", Some(&prov)).await;
    assert_eq!(mine["items"][0]["status"], "accepted");
    assert_eq!(mine["items"][0]["requested_date"], "2026-12-27");

    // The branch buys within its budget only; the point cannot buy.
    let budget_a = budget(app, &center, BRANCH_A, 1_000_000).await;
    let budget_b = budget(app, &center, BRANCH_B, 5_000_000).await;
    let buy = |budget: i64, amount: i64| json!({"budget_id": budget, "amount_fen": amount, "contract_ref": "FT-CG-2026-018", "funding_source": "免费开放补助"});
    let purchase = format!("/api/v1/procurement/orders/{order}/purchase");
    let (s, v) = post(app, &purchase, &coord_a, buy(budget_a, 900_000)).await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = post(app, &purchase, &branch_a, buy(budget_b, 900_000)).await;
    assert_eq!(
        error_code(s, &v),
        "forbidden",
        "not another branch's budget"
    );
    let (s, v) = post(app, &purchase, &center, buy(budget_b, 900_000)).await;
    assert_eq!(
        error_code(s, &v),
        "validation_failed",
        "a budget pays only for its own units"
    );
    let (s, v) = post(app, &purchase, &branch_a, buy(budget_a, 1_200_000)).await;
    assert_eq!(error_code(s, &v), "budget_exceeded");
    let (s, v) = post(app, &purchase, &branch_a, buy(budget_a, 950_000)).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = post(app, &purchase, &branch_a, buy(budget_a, 1)).await;
    assert_eq!(error_code(s, &v), "procurement_order_state", "bought once");
    let (_, budgets) = app
        .get(
            &format!("/api/v1/procurement/budgets?unit_id={point_a}"),
            Some(&coord_a),
        )
        .await;
    let b = budgets["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == budget_a)
        .expect("a point sees its branch's budget");
    assert_eq!(
        (b["spent_fen"].as_i64(), b["remaining_fen"].as_i64()),
        (Some(950_000), Some(50_000))
    );
    let (s, v) = post(
        app,
        "/api/v1/procurement/budgets",
        &center,
        json!({"unit_id": app.unit_id(BRANCH_A).await, "year": 2026, "amount_fen": 900_000}),
    )
    .await;
    assert_eq!(error_code(s, &v), "budget_below_spent");

    // Delivery: the activity at the point, delivered by the branch, joint with it.
    let deliver = format!("/api/v1/procurement/orders/{order}/deliver");
    let when = json!({"starts_at": at(app, 10 * 24 * 60), "ends_at": at(app, 10 * 24 * 60 + 90), "capacity": 100});
    let (s, v) = post(app, &deliver, &branch_b, when.clone()).await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = post(app, &deliver, &branch_a, when.clone()).await;
    assert_eq!(s, 200, "{v}");
    let activity = v["activity_id"].as_i64().unwrap();
    let (s, v) = post(app, &deliver, &branch_a, when).await;
    assert_eq!(
        error_code(s, &v),
        "procurement_order_state",
        "one activity per order"
    );
    let delivered_by: Option<i64> = sqlx::query_scalar(
        "SELECT delivered_by_unit_id FROM activities WHERE id = $1 AND organizer_unit_id = $2",
    )
    .bind(activity)
    .bind(point_a)
    .fetch_one(app.state().db.pool())
    .await
    .unwrap();
    assert_eq!(delivered_by, Some(app.unit_id(BRANCH_A).await));

    // Ratings of the activity rate the provider.
    let session: i64 = sqlx::query_scalar("SELECT id FROM sessions WHERE activity_id = $1")
        .bind(activity)
        .fetch_one(app.state().db.pool())
        .await
        .unwrap();
    for (i, score) in [5i64, 4, 1].iter().enumerate() {
        let (_, user) = app.sign_in(&format!("o-sup-rater-{i}")).await;
        let mut tx = app.state().db.begin().await.unwrap();
        let booking: i64 = sqlx::query_scalar(
            "INSERT INTO bookings (session_id, activity_id, user_id, attendee_key, status, created_at) \
             VALUES ($1,$2,$3,$4,'entered','2026-01-01T00:00:00Z') RETURNING id",
        )
        .bind(session)
        .bind(activity)
        .bind(user)
        .bind(format!("u:{user}"))
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO ratings (booking_id, session_id, activity_id, unit_id, unit_path, kind, user_id, score, created_at, updated_at) \
             SELECT $1, s.id, s.activity_id, s.unit_id, s.unit_path, 'performance', $2, $3, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM sessions s WHERE s.id = $4",
        )
        .bind(booking)
        .bind(user)
        .bind(*score)
        .bind(session)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let (_, me) = app.get("/api/v1/providers/me", Some(&prov)).await;
    assert_eq!(me["record"]["deliveries"], 1, "{me}");
    assert_eq!(me["record"]["ratings"], 3);
    assert_eq!(me["record"]["average_score_x100"], 333);
    assert_eq!(me["record"]["complaints"], 1);

    // Spend, within scope.
    let today = culturehub::time::fmt(app.clock().now())[..10].to_string();
    let spend = "/api/v1/stats/procurement?from=2020-01-01&to=2030-12-31";
    let (s, v) = app.get(spend, Some(&center)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total_fen"], 950_000);
    assert_eq!(v["by_kind"][0]["key"], "performance");
    assert_eq!(v["by_provider"][0]["amount_fen"], 950_000);
    let (_, v) = app.get(spend, Some(&branch_b)).await;
    assert_eq!(
        v["total_fen"], 0,
        "another branch's spending is not in scope"
    );
    let (_, v) = app
        .get(
            &format!("/api/v1/stats/procurement?from={today}&to=2020-01-01"),
            Some(&center),
        )
        .await;
    assert_eq!(v["error"]["code"], "validation_failed");

    // Suspension takes the offering out of the catalogue and out of new orders.
    let (s, _) = post(
        app,
        &format!("/api/v1/providers/{provider}/review"),
        &center,
        json!({"decision": "suspend", "comment": "合同纠纷"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = post(
        app,
        "/api/v1/procurement/orders",
        &coord_a,
        json!({"offering_id": offering, "unit_id": point_a, "requested_date": "2026-12-30"}),
    )
    .await;
    assert_eq!(error_code(s, &v), "offering_unavailable");
}
both!(procurement_journey, journey);

/// A provider sees and answers only its own offerings and orders.
async fn providers_are_separate(app: &TestApp) {
    let (center, _) = app
        .staff("o-sep-center", Role::CenterStaff, "ft-main")
        .await;
    let (coord_a, _) = app
        .staff("o-sep-coord", Role::PointCoordinator, POINT_A)
        .await;
    let (p1, _, off1) = approved_provider(app, &center, "o-sep-p1", 100).await;
    let (p2, _, off2) = approved_provider(app, &center, "o-sep-p2", 200).await;
    let point = app.unit_id(POINT_A).await;
    let mut orders = Vec::new();
    for off in [off1, off2] {
        let (s, v) = post(
            app,
            "/api/v1/procurement/orders",
            &coord_a,
            json!({"offering_id": off, "unit_id": point, "requested_date": "2026-12-20"}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        orders.push(v["id"].as_i64().unwrap());
    }
    for (token, own, other_offering, other_order) in [
        (&p1, orders[0], off2, orders[1]),
        (&p2, orders[1], off1, orders[0]),
    ] {
        let (_, v) = app.get("/api/v1/providers/me/orders", Some(token)).await;
        let ids: Vec<i64> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![own]);
        let (_, v) = app.get("/api/v1/providers/me/offerings", Some(token)).await;
        assert!(v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["id"] != other_offering));
        for action in ["accept", "propose"] {
            let (s, v) = post(
                app,
                &format!("/api/v1/procurement/orders/{other_order}/{action}"),
                token,
                json!({"date": "2026-12-21"}),
            )
            .await;
            assert_eq!(error_code(s, &v), "forbidden", "{action}");
        }
        // Nor staff endpoints.
        let (s, _) = app.get("/api/v1/procurement/orders", Some(token)).await;
        assert_eq!(s, 403);
        let (s, _) = app.get("/api/v1/providers", Some(token)).await;
        assert_eq!(s, 403);
    }
    // A resident who is no provider answers nothing.
    let (resident, _) = app.sign_in("o-sep-resident").await;
    let (s, v) = post(
        app,
        &format!("/api/v1/procurement/orders/{}/accept", orders[0]),
        &resident,
        json!({}),
    )
    .await;
    assert_eq!(error_code(s, &v), "forbidden");
}
both!(procurement_providers_separate, providers_are_separate);

/// Many approvals against one budget at once: the sum never exceeds it; the rest are refused
/// with `budget_exceeded`.
async fn budget_race(app: &TestApp) {
    let (center, _) = app
        .staff("o-race-center", Role::CenterStaff, "ft-main")
        .await;
    let (coord, _) = app
        .staff("o-race-coord", Role::PointCoordinator, POINT_A)
        .await;
    let (prov, _, offering) = approved_provider(app, &center, "o-race-prov", 300_000).await;
    // Room for exactly 3 purchases of 300 000 fen (plus change).
    let budget_id = budget(app, &center, BRANCH_A, 1_000_000).await;
    let mut approvers = Vec::new();
    for i in 0..4 {
        let (t, _) = app
            .staff(&format!("o-race-branch-{i}"), Role::BranchStaff, BRANCH_A)
            .await;
        approvers.push(t);
    }
    let n = 12;
    let mut orders = Vec::new();
    for _ in 0..n {
        orders.push(accepted_order(app, &coord, &prov, offering, POINT_A).await);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let mut tasks = Vec::new();
    for (i, order) in orders.iter().enumerate() {
        let (http, url, barrier) = (app.http.clone(), app.url.clone(), barrier.clone());
        let token = approvers[i % approvers.len()].clone();
        let order = *order;
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let r = http
                .post(format!("{url}/api/v1/procurement/orders/{order}/purchase"))
                .bearer_auth(token)
                .json(&json!({"budget_id": budget_id, "amount_fen": 300_000, "contract_ref": format!("HT-{order}"), "funding_source": "区财政"}))
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
            409 => assert_eq!(v["error"]["code"], "budget_exceeded", "{v}"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(won, 3);
    let spent: i64 = sqlx::query_scalar("SELECT spent_fen FROM procurement_budgets WHERE id = $1")
        .bind(budget_id)
        .fetch_one(app.state().db.pool())
        .await
        .unwrap();
    assert_eq!(spent, 900_000);
    let sum = app
        .count(&format!("SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM procurement_orders WHERE budget_id = {budget_id} AND status = 'purchased'"))
        .await;
    assert_eq!(sum, spent, "the orders and the budget agree");
}
both!(procurement_budget_race, budget_race);

/// A branch runs a menu for its own points with the same code path as the main center.
async fn branch_menu(app: &TestApp) {
    let (center, _) = app.staff("o-bm-center", Role::CenterStaff, "ft-main").await;
    let (branch_a, _) = app
        .staff("o-bm-branch-a", Role::BranchStaff, BRANCH_A)
        .await;
    let (branch_b, _) = app
        .staff("o-bm-branch-b", Role::BranchStaff, BRANCH_B)
        .await;
    let (coord_a, _) = app
        .staff("o-bm-coord-a", Role::PointCoordinator, POINT_A)
        .await;
    let (coord_b, _) = app
        .staff("o-bm-coord-b", Role::PointCoordinator, POINT_B)
        .await;
    let (ba, pa, bb, pb) = (
        app.unit_id(BRANCH_A).await,
        app.unit_id(POINT_A).await,
        app.unit_id(BRANCH_B).await,
        app.unit_id(POINT_B).await,
    );
    let item = |unit: Option<i64>| json!({"title": "园岭书法课", "kind": "training", "quota": 1, "period_start": "2026-01-01", "period_end": "2027-12-31", "unit_id": unit});
    let (s, v) = post(app, "/api/v1/menu/items", &branch_a, item(None)).await;
    assert_eq!(error_code(s, &v), "forbidden", "not the district's menu");
    let (s, v) = post(app, "/api/v1/menu/items", &branch_a, item(Some(bb))).await;
    assert_eq!(error_code(s, &v), "forbidden", "not another branch's");
    let (s, v) = post(app, "/api/v1/menu/items", &coord_a, item(Some(pa))).await;
    assert_eq!(error_code(s, &v), "forbidden", "points do not run menus");
    let (s, v) = post(app, "/api/v1/menu/items", &branch_a, item(Some(ba))).await;
    assert_eq!(s, 200, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = post(app, "/api/v1/menu/items", &center, item(None)).await;
    assert_eq!(s, 200, "{v}");
    let district = v["id"].as_i64().unwrap();

    let listed = |v: &Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    };
    let (_, v) = app
        .get(&format!("/api/v1/menu/items?unit_id={pa}"), None)
        .await;
    assert!(listed(&v).contains(&id) && listed(&v).contains(&district));
    let (_, v) = app
        .get(&format!("/api/v1/menu/items?unit_id={pb}"), None)
        .await;
    assert!(!listed(&v).contains(&id) && listed(&v).contains(&district));
    let (_, v) = app.get("/api/v1/menu/items", None).await;
    assert!(
        !listed(&v).contains(&id),
        "the district list is the main center's"
    );

    let order =
        |unit: i64| json!({"menu_item_id": id, "unit_id": unit, "requested_date": "2026-12-20"});
    let (s, v) = post(app, "/api/v1/menu/orders", &coord_b, order(pb)).await;
    assert_eq!(
        error_code(s, &v),
        "not_found",
        "another branch's point cannot order it"
    );
    let (s, v) = post(
        app,
        &format!("/api/v1/menu/items/{id}/votes"),
        &coord_b,
        json!({"unit_id": pb}),
    )
    .await;
    assert_eq!(error_code(s, &v), "not_found");
    let (s, v) = post(app, "/api/v1/menu/orders", &coord_a, order(pa)).await;
    assert_eq!(s, 200, "{v}");
    let o1 = v["id"].as_i64().unwrap();
    let (s, v) = post(app, "/api/v1/menu/orders", &coord_a, order(pa)).await;
    assert_eq!(s, 200, "{v}");
    let o2 = v["id"].as_i64().unwrap();
    let approve = |o: i64| format!("/api/v1/menu/orders/{o}/approve");
    let (s, v) = post(app, &approve(o1), &branch_b, json!({})).await;
    assert_eq!(
        error_code(s, &v),
        "forbidden",
        "another branch cannot touch it"
    );
    let (s, v) = post(app, &approve(o1), &branch_a, json!({})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = post(app, &approve(o2), &branch_a, json!({})).await;
    assert_eq!(
        error_code(s, &v),
        "menu_quota_exhausted",
        "quotas as for the district"
    );
    let (s, v) = post(
        app,
        &format!("/api/v1/menu/orders/{o2}/reject"),
        &branch_a,
        json!({"reason": "名额已满"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // The main center's items stay the main center's.
    let (s, v) = post(
        app,
        "/api/v1/menu/orders",
        &coord_a,
        json!({"menu_item_id": district, "unit_id": pa, "requested_date": "2026-12-20"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = post(
        app,
        &approve(v["id"].as_i64().unwrap()),
        &branch_a,
        json!({}),
    )
    .await;
    assert_eq!(error_code(s, &v), "forbidden");

    let deliver = format!("/api/v1/menu/orders/{o1}/deliver");
    let when = json!({"starts_at": at(app, 20 * 24 * 60), "ends_at": at(app, 20 * 24 * 60 + 120), "capacity": 30});
    let (s, v) = post(app, &deliver, &branch_b, when.clone()).await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = post(app, &deliver, &branch_a, when).await;
    assert_eq!(s, 200, "{v}");
    let activity = v["activity_id"].as_i64().unwrap();
    let delivered_by: Option<i64> =
        sqlx::query_scalar("SELECT delivered_by_unit_id FROM activities WHERE id = $1")
            .bind(activity)
            .fetch_one(app.state().db.pool())
            .await
            .unwrap();
    assert_eq!(
        delivered_by,
        Some(ba),
        "delivered by the branch (counts as joint)"
    );
}
both!(branch_menus, branch_menu);
