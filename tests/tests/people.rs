//! People (issue 13): the staff register, staffing minimums counted from it, dual dispatch
//! (双派) and its coverage.

use culturehub::access::Role;
use culturehub_tests::{both, error_code, TestApp};
use serde_json::{json, Value};

fn find(items: &Value, unit_id: i64) -> Value {
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_id"] == unit_id)
        .cloned()
        .unwrap_or_else(|| panic!("unit {unit_id} not in {items}"))
}

async fn register(
    app: &TestApp,
    token: &str,
    unit: i64,
    name: &str,
    post: &str,
    employment: &str,
) -> Value {
    let (status, v) = app
        .post(
            "/api/v1/people/staff",
            Some(token),
            json!({"unit_id": unit, "name": name, "phone": "13812345678", "post": post,
                   "employment": employment, "from_date": "2020-01-01"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn staff_register_and_minimums(app: &TestApp) {
    let (center, center_id) = app.staff("p-center", Role::CenterAdmin, "ft-main").await;
    let main = app.unit_id("ft-main").await;
    let branch = app.unit_id("ft-b-yuanling").await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;

    // Bad input: one error shape, a stable code, nothing stored.
    for (body, code) in [
        (
            json!({"unit_id": main, "name": "王小明", "post": "董事长", "employment": "full_time", "from_date": "2026-01-01"}),
            "validation_failed",
        ),
        (
            json!({"unit_id": main, "name": "王小明", "post": "业务干部", "employment": "hourly", "from_date": "2026-01-01"}),
            "validation_failed",
        ),
        (
            json!({"unit_id": main, "name": "王小明", "post": "业务干部", "employment": "full_time", "from_date": "2026-02-30"}),
            "validation_failed",
        ),
        (
            json!({"unit_id": main, "name": "王小明", "post": "业务干部", "employment": "full_time", "from_date": "2026-03-01", "to_date": "2026-02-01"}),
            "validation_failed",
        ),
        (
            json!({"unit_id": main, "name": "王小明", "post": "业务干部", "employment": "full_time", "from_date": "2026-03-01", "user_id": 999999}),
            "not_found",
        ),
        (
            json!({"unit_id": 999999, "name": "王小明", "post": "业务干部", "employment": "full_time", "from_date": "2026-03-01"}),
            "not_found",
        ),
    ] {
        let (status, v) = app
            .post("/api/v1/people/staff", Some(&center), body.clone())
            .await;
        assert_eq!(error_code(status, &v), code, "{body}: {v}");
    }
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM staff_members")
            .await,
        0
    );

    // Two full-time, one part-time and one who left at the main center.
    let first = register(app, &center, main, "王小明", "业务干部", "full_time").await;
    assert_eq!(first["name"], "王*明", "names are masked");
    assert_eq!(first["phone"], "138****5678", "phones are masked");
    assert_eq!(first["employment_label"], "专职");
    assert_eq!(first["active"], true);
    register(app, &center, main, "李小红", "馆长", "full_time").await;
    register(app, &center, main, "赵小兵", "业务干部", "part_time").await;
    let left = register(app, &center, main, "孙小美", "业务干部", "full_time").await;
    let (status, v) = app
        .call(
            "PATCH",
            &format!("/api/v1/people/staff/{}", left["id"]),
            Some(&center),
            Some(json!({"to_date": "2021-06-30"})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["active"], false);
    // The raw phone is never in the audit trail; every change is there.
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action IN ('staff_registered','staff_updated')")
            .await,
        5
    );
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE detail LIKE '%王小明%' OR detail LIKE '%13812345678%'")
            .await,
        0
    );

    // A main-center person holding a role at the branch, with no register entry there.
    let (_, cadre) = app
        .staff("p-cadre", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (status, v) = app
        .call(
            "PATCH",
            &format!("/api/v1/people/staff/{}", first["id"]),
            Some(&center),
            Some(json!({"user_id": cadre})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["user_id"], cadre);
    // A point coordinator on the register (part-time counts at a point), and a branch full-timer.
    let (branch_token, _) = app
        .staff("p-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    register(
        app,
        &branch_token,
        point,
        "周小梅",
        "文体协管员",
        "part_time",
    )
    .await;
    register(
        app,
        &branch_token,
        branch,
        "吴小强",
        "业务干部",
        "full_time",
    )
    .await;
    // The branch's staff may not register at the main center or at another branch.
    let other = app.unit_id("ft-b-nanyuan").await;
    for unit in [main, other] {
        let (status, v) = app
            .post(
                "/api/v1/people/staff",
                Some(&branch_token),
                json!({"unit_id": unit, "name": "钱多多", "post": "业务干部", "employment": "full_time", "from_date": "2026-01-01"}),
            )
            .await;
        assert_eq!(error_code(status, &v), "forbidden");
    }

    let (status, s) = app.get("/api/v1/stats/staffing", Some(&center)).await;
    assert_eq!(status, 200, "{s}");
    let m = find(&s["items"], main);
    assert_eq!(m["staff"], 2, "full-time, on the register today: {m}");
    assert_eq!(m["minimum"], 15);
    assert_eq!(m["met"], false);
    assert_eq!(m["gap"], 13);
    let b = find(&s["items"], branch);
    assert_eq!(
        b["staff"], 1,
        "role holders (the cadre, the branch's own app user) are not counted: {b}"
    );
    assert_eq!(b["gap"], 3);
    let p = find(&s["items"], point);
    assert_eq!(p["staff"], 1);
    assert_eq!(p["met"], true);
    assert_eq!(p["gap"], 0);
    let o = find(&s["items"], other);
    assert_eq!(o["staff"], 0);
    assert_eq!(o["gap"], 4, "gaps are listed for units with nobody");

    // The register in scope: the branch sees its own subtree only.
    let (_, list) = app.get("/api/v1/people/staff", Some(&branch_token)).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert!(items
        .iter()
        .all(|i| i["unit_id"] == point || i["unit_id"] == branch));
    assert!(list["posts"]
        .as_array()
        .unwrap()
        .contains(&json!("文体协管员")));
    let (_, all) = app.get("/api/v1/people/staff", Some(&center)).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 6);
    let _ = center_id;
}
both!(register_and_minimums, staff_register_and_minimums);

async fn dual_dispatch_and_coverage(app: &TestApp) {
    let (center, _) = app.staff("d-center", Role::CenterAdmin, "ft-main").await;
    let (branch_token, _) = app
        .staff("d-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let main = app.unit_id("ft-main").await;
    let branch = app.unit_id("ft-b-yuanling").await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let other_point = app.unit_id("ft-p-nanyuan-nanyuan").await;

    let (_, c0) = app
        .get("/api/v1/stats/dispatch-coverage", Some(&center))
        .await;
    let branches = c0["branches"].as_i64().unwrap();
    assert!(branches > 1);
    assert_eq!(c0["branches_covered"], 0);
    assert_eq!(c0["points_covered"], 0);

    let cadre = register(app, &center, main, "王大伟", "业务干部", "full_time").await;
    // Only one level down the person's own line.
    for to in [point, other_point, main] {
        let (status, v) = app
            .post(
                "/api/v1/people/dispatches",
                Some(&center),
                json!({"staff_id": cadre["id"], "to_unit_id": to, "from_date": "2026-01-01"}),
            )
            .await;
        assert_eq!(error_code(status, &v), "dispatch_not_down_the_line", "{v}");
    }
    let (status, d) = app
        .post(
            "/api/v1/people/dispatches",
            Some(&center),
            json!({"staff_id": cadre["id"], "to_unit_id": branch, "from_date": "2020-01-01"}),
        )
        .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["kind"], "deputy_head");
    assert_eq!(
        d["post"], "副馆长",
        "the district's deputy-head post by default"
    );
    assert_eq!(d["from_unit_id"], main);
    assert_eq!(d["staff_name"], "王*伟");
    // The branch may not dispatch the main center's people.
    let (status, v) = app
        .post(
            "/api/v1/people/dispatches",
            Some(&branch_token),
            json!({"staff_id": cadre["id"], "to_unit_id": branch, "from_date": "2026-01-01"}),
        )
        .await;
    assert_eq!(error_code(status, &v), "forbidden");

    // The branch sends its instructor to its point, not to another branch's point.
    let instructor = register(
        app,
        &branch_token,
        branch,
        "陈小东",
        "业务干部",
        "full_time",
    )
    .await;
    let (status, v) = app
        .post(
            "/api/v1/people/dispatches",
            Some(&branch_token),
            json!({"staff_id": instructor["id"], "to_unit_id": other_point, "from_date": "2026-01-01"}),
        )
        .await;
    assert_eq!(error_code(status, &v), "dispatch_not_down_the_line");
    let (status, v) = app
        .post(
            "/api/v1/people/dispatches",
            Some(&branch_token),
            json!({"staff_id": instructor["id"], "to_unit_id": point, "from_date": "2019-01-01"}),
        )
        .await;
    assert_eq!(
        error_code(status, &v),
        "dispatch_outside_register",
        "before the person joined"
    );
    let (status, inst) = app
        .post(
            "/api/v1/people/dispatches",
            Some(&branch_token),
            json!({"staff_id": instructor["id"], "to_unit_id": point, "from_date": "2020-01-01"}),
        )
        .await;
    assert_eq!(status, 200, "{inst}");
    assert_eq!(inst["kind"], "instructor");
    assert_eq!(inst["post"], "业务指导员");

    // The branch's page shows both: the deputy head it received, the instructor it sent.
    let (_, list) = app
        .get(
            &format!("/api/v1/people/dispatches?unit_id={branch}"),
            Some(&branch_token),
        )
        .await;
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert!(
        ids.contains(&d["id"].as_i64().unwrap()) && ids.contains(&inst["id"].as_i64().unwrap()),
        "{list}"
    );

    let (_, c1) = app
        .get("/api/v1/stats/dispatch-coverage", Some(&center))
        .await;
    assert_eq!(c1["branches_covered"], 1);
    assert_eq!(c1["points_covered"], 1);
    let units = c1["units"].as_array().unwrap();
    assert_eq!(units[0]["covered"], false, "gaps come first");
    let b = find(&c1["units"], branch);
    assert_eq!(b["covered"], true);
    assert_eq!(b["dispatched"], json!(["王*伟"]));
    assert_eq!(find(&c1["units"], other_point)["covered"], false);
    // The main center's person is not counted in the branch's staffing.
    let (_, s) = app.get("/api/v1/stats/staffing", Some(&center)).await;
    assert_eq!(find(&s["items"], branch)["staff"], 1);
    assert_eq!(find(&s["items"], main)["staff"], 1);

    // Ending the dispatch reopens the gap.
    let (status, v) = app
        .post(
            &format!("/api/v1/people/dispatches/{}/end", d["id"]),
            Some(&center),
            json!({"to_date": "2020-12-31"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["active"], false);
    let (_, c2) = app
        .get("/api/v1/stats/dispatch-coverage", Some(&center))
        .await;
    assert_eq!(c2["branches_covered"], 0);
    assert_eq!(c2["points_covered"], 1);
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action IN ('staff_dispatched','dispatch_ended')")
            .await,
        3
    );
}
both!(dual_dispatch, dual_dispatch_and_coverage);
