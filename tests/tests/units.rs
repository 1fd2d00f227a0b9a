//! Changing the network: adding, renaming, moving and closing units under the unified naming
//! rule, scoped (main center for branches, a branch for its points), audited; the same rule for
//! `import`. (Who may call each operation is in the permission matrix.)

use culturehub::access::Role;
use culturehub_tests::{both, error_code, Act, TestApp};
use serde_json::{json, Value};

async fn audit_has(app: &TestApp, action: &str, unit: i64) -> bool {
    app.count(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = '{action}' AND unit_id = {unit}"
    ))
    .await
        > 0
}

fn ids(v: &Value) -> Vec<i64> {
    fn walk(n: &Value, out: &mut Vec<i64>) {
        out.push(n["unit"]["id"].as_i64().unwrap());
        for c in n["children"].as_array().unwrap() {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    for n in v.as_array().unwrap() {
        walk(n, &mut out);
    }
    out
}

async fn add_rename_move_close(app: &TestApp) {
    let (branch, _) = app
        .staff("units-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (nanyuan_staff, _) = app
        .staff("units-nanyuan", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (center, _) = app
        .staff("units-center", Role::CenterStaff, "ft-main")
        .await;
    let yuanling = app.unit_id("ft-b-yuanling").await;
    let nanyuan = app.unit_id("ft-b-nanyuan").await;
    let main = app.unit_id("ft-main").await;

    // The rule is public, from the district's main center.
    let (s, rule) = app.get("/api/v1/org/naming", None).await;
    assert_eq!(s, 200);
    assert_eq!(rule["branch"], "福田区文化馆××分馆");
    assert_eq!(rule["point"], "福田区文化馆××服务点");

    // Add a point: the name must follow the rule.
    for bad in [
        "翠景服务点",
        "福田区文化馆景田分馆",
        "罗湖区文化馆翠景服务点",
        "福田区文化馆服务点",
    ] {
        let (s, v) = app
            .post(
                "/api/v1/org/units",
                Some(&branch),
                json!({"parent_id": yuanling, "name": bad}),
            )
            .await;
        assert_eq!(error_code(s, &v), "unit_name_rule", "{bad}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("福田区文化馆××服务点"),
            "{v}"
        );
    }
    let (s, p) = app
        .post(
            "/api/v1/org/units",
            Some(&branch),
            json!({"parent_id": yuanling, "name": "福田区文化馆翠景服务点", "address": "翠景路 1 号", "lng": 114.04, "lat": 22.55}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    let point = p["id"].as_i64().unwrap();
    assert_eq!(p["level"], "point");
    assert_eq!(p["short_name"], "翠景服务点");
    assert_eq!(p["parent_id"], yuanling);
    assert_eq!(p["code"], format!("ft-b-yuanling-{point}"));
    assert!(audit_has(app, "unit_created", point).await);
    let (_, tree) = app.get("/api/v1/org/tree", None).await;
    assert!(ids(&tree).contains(&point));
    // The same name again, and a point under a point, are refused.
    let (s, v) = app
        .post(
            "/api/v1/org/units",
            Some(&branch),
            json!({"parent_id": yuanling, "name": "福田区文化馆翠景服务点"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "duplicate_unit", "{v}");
    let (s, v) = app
        .post(
            "/api/v1/org/units",
            Some(&branch),
            json!({"parent_id": point, "name": "福田区文化馆翠景二服务点"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed", "{v}");
    // Branches are the main center's to add; a direct branch too.
    let (s, v) = app
        .post(
            "/api/v1/org/units",
            Some(&branch),
            json!({"parent_id": main, "name": "福田区文化馆书法分馆"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "forbidden", "{v}");
    let (s, b) = app
        .post(
            "/api/v1/org/units",
            Some(&center),
            json!({"parent_id": main, "name": "福田区文化馆书法分馆", "level": "direct_branch", "code": "ft-d-calligraphy"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["level"], "direct_branch");
    assert_eq!(b["code"], "ft-d-calligraphy");
    assert_eq!(b["short_name"], "书法分馆");

    // Rename: by the branch above, under the rule; the short name follows.
    let (s, v) = app
        .post(
            &format!("/api/v1/org/units/{point}/rename"),
            Some(&branch),
            json!({"name": "翠景北服务点"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "unit_name_rule");
    let (s, v) = app
        .post(
            &format!("/api/v1/org/units/{point}/rename"),
            Some(&branch),
            json!({"name": "福田区文化馆翠景北服务点"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["name"], "福田区文化馆翠景北服务点");
    assert_eq!(v["short_name"], "翠景北服务点");
    assert!(audit_has(app, "unit_renamed", point).await);
    let (s, v) = app
        .post(
            &format!("/api/v1/org/units/{point}/rename"),
            Some(&branch),
            json!({"name": "福田区文化馆红荔服务点"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "duplicate_unit", "{v}");
    // A branch does not rename itself: the main center does.
    let (s, v) = app
        .post(
            &format!("/api/v1/org/units/{yuanling}/rename"),
            Some(&branch),
            json!({"name": "福田区文化馆园岭新分馆"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "forbidden", "{v}");

    // An activity at the new point, with a booking; then the point moves to 南园.
    let place = format!("ft-b-yuanling-{point}");
    let (activity, session) = app
        .activity(Act {
            organizer: "ft-b-yuanling",
            place: &place,
            title: "翠景社区书法课",
            ..Act::default()
        })
        .await;
    let roster = format!("/api/v1/sessions/{session}/bookings");
    assert_eq!(app.get(&roster, Some(&branch)).await.0, 200);
    assert_eq!(app.get(&roster, Some(&nanyuan_staff)).await.0, 403);
    // Moving needs both branches: 园岭 alone may not hand it to 南园.
    let (s, v) = app
        .post(
            &format!("/api/v1/org/units/{point}/move"),
            Some(&branch),
            json!({"parent_id": nanyuan}),
        )
        .await;
    assert_eq!(error_code(s, &v), "forbidden", "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/org/units/{yuanling}/move"),
            Some(&center),
            json!({"parent_id": nanyuan}),
        )
        .await;
    assert_eq!(
        error_code(s, &v),
        "validation_failed",
        "branches do not move: {v}"
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/org/units/{point}/move"),
            Some(&center),
            json!({"parent_id": nanyuan}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["parent_id"], nanyuan);
    // Its sessions are in 南园's scope now, and out of 园岭's.
    assert_eq!(app.get(&roster, Some(&nanyuan_staff)).await.0, 200);
    assert_eq!(app.get(&roster, Some(&branch)).await.0, 403);
    let nanyuan_path: String = sqlx::query_scalar("SELECT path FROM org_units WHERE id = $1")
        .bind(nanyuan)
        .fetch_one(app.state().db.pool())
        .await
        .unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions WHERE unit_id = {point} AND unit_path = '{nanyuan_path}{point}/'"
        ))
        .await,
        1
    );
    for at in [point, yuanling, nanyuan] {
        assert!(audit_has(app, "unit_moved", at).await, "audited at {at}");
    }

    // Close: refused while a session is to come, then allowed; history stays.
    let (s, v) = app
        .post(
            &format!("/api/v1/org/units/{point}/close"),
            Some(&nanyuan_staff),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "unit_has_sessions", "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{activity}/cancel"),
            Some(&center),
            json!({"reason": "服务点撤并"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/org/units/{point}/close"),
            Some(&nanyuan_staff),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["closed_at"].is_string());
    assert!(audit_has(app, "unit_closed", point).await);
    let (s, v) = app
        .post(
            &format!("/api/v1/org/units/{point}/close"),
            Some(&nanyuan_staff),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "unit_closed");
    // Hidden from residents' lists; its own page and its activity remain.
    let (_, tree) = app.get("/api/v1/org/tree", None).await;
    assert!(!ids(&tree).contains(&point));
    let (_, tree) = app.get("/api/v1/org/tree?include_closed=true", None).await;
    assert!(ids(&tree).contains(&point));
    let (_, list) = app.get("/api/v1/org/units?level=point", None).await;
    assert!(!list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == point));
    let (_, near) = app
        .get(
            "/api/v1/org/units/nearest?lng=114.04&lat=22.55&limit=50",
            None,
        )
        .await;
    assert!(!near["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["unit"]["id"] == point));
    let (_, parent) = app.get(&format!("/api/v1/org/units/{nanyuan}"), None).await;
    assert!(!parent["children"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == point));
    let (s, page) = app.get(&format!("/api/v1/org/units/{point}"), None).await;
    assert_eq!(s, 200);
    assert!(page["unit"]["closed_at"].is_string());
    assert_eq!(app.get(&roster, Some(&nanyuan_staff)).await.0, 200);
    // No new activities there, nor new points under a closed branch.
    let (admin, _) = app.sign_in("o-activity-maker").await;
    let start = culturehub_tests::at(app, 3 * 24 * 60);
    let end = culturehub_tests::at(app, 3 * 24 * 60 + 60);
    let (s, v) = app
        .post(
            "/api/v1/activities",
            Some(&admin),
            json!({"title": "不该出现", "kind": "lecture", "organizer_unit_id": nanyuan, "booking_mode": "none",
                   "sessions": [{"unit_id": point, "starts_at": start, "ends_at": end}]}),
        )
        .await;
    assert_eq!(error_code(s, &v), "unit_closed", "{v}");
    // A branch with open points cannot close.
    let (s, v) = app
        .post(
            &format!("/api/v1/org/units/{yuanling}/close"),
            Some(&center),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "unit_has_children", "{v}");
    let calligraphy = b["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/org/units/{calligraphy}/close"),
            Some(&center),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = app
        .post(
            "/api/v1/org/units",
            Some(&center),
            json!({"parent_id": calligraphy, "name": "福田区文化馆书法一服务点"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "unit_closed", "{v}");
}
both!(unit_changes, add_rename_move_close);

/// `culturehub import` applies the same rule, with the center from the database's main unit.
async fn import_follows_the_rule(app: &TestApp) {
    let st = app.state();
    let existing = culturehub::org::existing_codes(&st.db).await.unwrap();
    let naming = culturehub::org::Naming::load(&st.db, &st.settings.naming)
        .await
        .unwrap();
    let header = culturehub::org::CSV_HEADER.join(",");
    let good = format!(
        "{header}\nft-p-new,福田区文化馆新洲服务点,新洲服务点,point,ft-b-yuanling,addr,114.0,22.5,,,government,0,厅:10\n"
    );
    assert!(culturehub::org::parse_csv(&good, &existing, &naming).is_ok());
    let bad = format!(
        "{header}\nft-p-new,新洲社区文化室,新洲,point,ft-b-yuanling,addr,114.0,22.5,,,government,0,厅:10\n\
         ft-b-new,福田区文化馆新洲服务点,新洲,branch,ft-main,addr,114.0,22.5,,,government,0,厅:10\n"
    );
    let errors = culturehub::org::parse_csv(&bad, &existing, &naming)
        .unwrap_err()
        .join("\n");
    assert!(
        errors
            .contains("第 2 行：单位名称“新洲社区文化室”不符合统一命名规则：福田区文化馆××服务点"),
        "{errors}"
    );
    assert!(
        errors.contains(
            "第 3 行：单位名称“福田区文化馆新洲服务点”不符合统一命名规则：福田区文化馆××分馆"
        ),
        "{errors}"
    );
}
both!(import_naming, import_follows_the_rule);
