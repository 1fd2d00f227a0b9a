//! Art teams (issue 14, teams half): registration and verification by the home unit, members
//! with an invitation code (children only with consent), hand-over, join requests, guidance,
//! performances and awards, public team pages, statistics, ledger, export and erasure.

use culturehub::access::Role;
use culturehub_tests::{both, error_code, Act, TestApp};
use serde_json::{json, Value};

async fn call(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.call(method, path, Some(token), Some(body)).await
}

fn birth(app: &TestApp, years: i64) -> String {
    let d = culturehub::family::china_date(app.clock().now()) - chrono::Duration::days(years * 366);
    d.format("%Y-%m-%d").to_string()
}

async fn register(app: &TestApp, token: &str, unit: i64, name: &str, genre: &str) -> (i64, String) {
    let (s, v) = app
        .post(
            "/api/v1/teams",
            Some(token),
            json!({"unit_id": unit, "name": name, "genre": genre,
                   "description": "退休教师组成的合唱团", "rehearsal_time": "每周三 19:00–21:00"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "pending");
    (
        v["id"].as_i64().unwrap(),
        v["invite_code"].as_str().unwrap().to_string(),
    )
}

async fn team_lifecycle(app: &TestApp) {
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (leader, leader_id) = app.sign_in("t-leader").await;
    let (branch, _) = app
        .staff("t-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (other_branch, _) = app
        .staff("t-other", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (center, _) = app.staff("t-center", Role::CenterStaff, "ft-main").await;

    // Bad input changes nothing.
    for body in [
        json!({"unit_id": point, "name": "街舞队", "genre": "街舞"}),
        json!({"unit_id": point, "name": "  ", "genre": "合唱"}),
        json!({"unit_id": point, "genre": "合唱"}),
    ] {
        let (s, v) = app.post("/api/v1/teams", Some(&leader), body).await;
        assert_eq!(error_code(s, &v), "validation_failed", "{v}");
    }
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM teams")
            .await,
        0
    );
    let (team, code) = register(app, &leader, point, "红枫合唱团", "合唱").await;
    let (s, v) = app
        .post(
            "/api/v1/teams",
            Some(&leader),
            json!({"unit_id": point, "name": "红枫合唱团", "genre": "合唱"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "team_name_taken");

    // Pending: not public, not recruiting; in the verification queue of its own branch only.
    let (s, _) = app.get(&format!("/api/v1/teams/{team}"), None).await;
    assert_eq!(s, 404);
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/teams/{team}/recruiting"),
        &leader,
        json!({"recruiting": true}),
    )
    .await;
    assert_eq!(error_code(s, &v), "team_not_verified");
    let (s, v) = app
        .get("/api/v1/manage/teams?status=pending", Some(&branch))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let (s, v) = app
        .get("/api/v1/manage/teams?status=pending", Some(&other_branch))
        .await;
    assert_eq!(s, 200);
    assert!(v["items"].as_array().unwrap().is_empty());
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/manage/teams/{team}/verify"),
        &other_branch,
        json!({}),
    )
    .await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, _) = app
        .get(&format!("/api/v1/manage/teams/{team}"), Some(&leader))
        .await;
    assert_eq!(s, 403, "a resident is not staff");

    // Declined with a reason, then verified; both audited.
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/manage/teams/{team}/decline"),
        &branch,
        json!({"reason": " "}),
    )
    .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, _) = call(
        app,
        "POST",
        &format!("/api/v1/manage/teams/{team}/decline"),
        &branch,
        json!({"reason": "请补充排练时间"}),
    )
    .await;
    assert_eq!(s, 200);
    let (_, v) = app.get("/api/v1/me/teams", Some(&leader)).await;
    assert_eq!(v["items"][0]["status"], "declined");
    assert_eq!(v["items"][0]["decline_reason"], "请补充排练时间");
    assert_eq!(v["items"][0]["invite_code"], code.as_str());
    let (s, _) = call(
        app,
        "POST",
        &format!("/api/v1/manage/teams/{team}/verify"),
        &branch,
        json!({}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/manage/teams/{team}/verify"),
        &center,
        json!({}),
    )
    .await;
    assert_eq!(error_code(s, &v), "team_already_decided");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action IN ('team_declined','team_verified')")
            .await,
        2
    );

    // Members join with the code (any case and spacing); a wrong code is refused.
    let (m1, m1_id) = app.sign_in("t-member1").await;
    let (s, v) = call(
        app,
        "POST",
        "/api/v1/teams/join",
        &m1,
        json!({"code": "WRONG123"}),
    )
    .await;
    assert_eq!(error_code(s, &v), "invalid_team_code");
    let (s, v) = call(
        app,
        "POST",
        "/api/v1/teams/join",
        &m1,
        json!({"code": format!(" {} ", code.to_lowercase())}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["team_id"], team);
    let (s, v) = call(
        app,
        "POST",
        "/api/v1/teams/join",
        &m1,
        json!({"code": code}),
    )
    .await;
    assert_eq!(error_code(s, &v), "already_team_member");
    // A child under 14 only as a family member with the guardian's consent.
    let (s, child) = call(app, "POST", "/api/v1/me/family", &m1, json!({"name": "小明", "relation": "child", "birth_date": birth(app, 9), "guardian_consent": true})).await;
    assert_eq!(s, 200, "{child}");
    let child = child["id"].as_i64().unwrap();
    let (s, v) = call(
        app,
        "POST",
        "/api/v1/teams/join",
        &m1,
        json!({"code": code, "family_member_id": child}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    sqlx::query("INSERT INTO family_members (user_id, name, relation, birth_date, created_at) VALUES ($1, '小红', 'child', $2, $3)")
        .bind(m1_id)
        .bind(birth(app, 8))
        .bind(app.state().now())
        .execute(app.state().db.writer())
        .await
        .unwrap();
    let unconsented: i64 = sqlx::query_scalar("SELECT id FROM family_members WHERE name = '小红'")
        .fetch_one(app.state().db.pool())
        .await
        .unwrap();
    let (s, v) = call(
        app,
        "POST",
        "/api/v1/teams/join",
        &m1,
        json!({"code": code, "family_member_id": unconsented}),
    )
    .await;
    assert_eq!(error_code(s, &v), "guardian_consent_required");

    // The members list: masked names, no phones; for members and the unit's staff only.
    let (s, v) = app
        .get(&format!("/api/v1/teams/{team}/members"), Some(&m1))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    assert_eq!(v["items"][0]["role"], "leader");
    assert!(!v.to_string().contains("phone"));
    let (outsider, _) = app.sign_in("t-outsider").await;
    let (s, _) = app
        .get(&format!("/api/v1/teams/{team}/members"), Some(&outsider))
        .await;
    assert_eq!(s, 403);

    // Only the leader resets the code; the old one stops working.
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/teams/{team}/invite-code"),
        &m1,
        json!({}),
    )
    .await;
    assert_eq!(error_code(s, &v), "not_team_leader");
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/teams/{team}/invite-code"),
        &leader,
        json!({}),
    )
    .await;
    assert_eq!(s, 200);
    let new_code = v["invite_code"].as_str().unwrap().to_string();
    assert_ne!(new_code, code);
    let (s, v) = call(
        app,
        "POST",
        "/api/v1/teams/join",
        &outsider,
        json!({"code": code}),
    )
    .await;
    assert_eq!(error_code(s, &v), "invalid_team_code");

    // Recruiting: residents ask, the leader accepts or declines.
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/teams/{team}/join-requests"),
        &outsider,
        json!({"message": "我会唱女高音"}),
    )
    .await;
    assert_eq!(error_code(s, &v), "team_not_recruiting");
    let (s, _) = call(
        app,
        "POST",
        &format!("/api/v1/teams/{team}/recruiting"),
        &leader,
        json!({"recruiting": true}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/teams/{team}/join-requests"),
        &outsider,
        json!({"message": "我会唱女高音，电话13800138000"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let rid = v["id"].as_i64().unwrap();
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/teams/{team}/join-requests"),
        &outsider,
        json!({}),
    )
    .await;
    assert_eq!(error_code(s, &v), "join_request_pending");
    let (s, v) = app
        .get(
            &format!("/api/v1/teams/{team}/join-requests"),
            Some(&leader),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert!(
        !v.to_string().contains("13800138000"),
        "phones in messages are masked: {v}"
    );
    let (_, v) = app.get("/api/v1/me/teams", Some(&leader)).await;
    assert_eq!(v["items"][0]["pending_requests"], 1);
    let (s, _) = app
        .get(&format!("/api/v1/teams/{team}/join-requests"), Some(&m1))
        .await;
    assert_eq!(s, 403);
    let (s, _) = call(
        app,
        "POST",
        &format!("/api/v1/teams/{team}/join-requests/{rid}/decide"),
        &leader,
        json!({"accept": true}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = call(
        app,
        "POST",
        &format!("/api/v1/teams/{team}/join-requests/{rid}/decide"),
        &leader,
        json!({"accept": true}),
    )
    .await;
    assert_eq!(s, 404, "decided once");
    let (_, v) = app.get("/api/v1/me/teams", Some(&outsider)).await;
    assert_eq!(v["items"][0]["role"], "member");
    assert!(
        v["items"][0]["invite_code"].is_null(),
        "only the leader sees the code"
    );

    // Leadership: the leader cannot leave before handing over; only to an adult member.
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/teams/{team}/leave"),
        &leader,
        json!({}),
    )
    .await;
    assert_eq!(error_code(s, &v), "leader_cannot_leave");
    let (_, stranger_id) = app.sign_in("t-stranger").await;
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/teams/{team}/hand-over"),
        &leader,
        json!({"user_id": stranger_id}),
    )
    .await;
    assert_eq!(error_code(s, &v), "not_team_member");
    let (s, _) = call(
        app,
        "POST",
        &format!("/api/v1/teams/{team}/hand-over"),
        &leader,
        json!({"user_id": m1_id}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = call(
        app,
        "POST",
        &format!("/api/v1/teams/{team}/leave"),
        &leader,
        json!({}),
    )
    .await;
    assert_eq!(s, 200);
    let (_, v) = app.get("/api/v1/me/teams", Some(&m1)).await;
    let mine: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["family_member_id"].is_null())
        .collect();
    assert_eq!(mine[0]["role"], "leader");
    assert_eq!(mine[0]["invite_code"], new_code.as_str());
    let _ = leader_id;

    // Public pages (社团风采): per unit (the branch lists its points' teams) and genre.
    let branch_id = app.unit_id("ft-b-yuanling").await;
    let (s, v) = app
        .get(&format!("/api/v1/org/units/{branch_id}/teams"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["items"][0]["members"], 3);
    assert_eq!(v["items"][0]["recruiting"], true);
    let (_, v) = app
        .get(
            &format!("/api/v1/org/units/{branch_id}/teams?genre=舞蹈"),
            None,
        )
        .await;
    assert!(v["items"].as_array().unwrap().is_empty());
    let (s, v) = app
        .get(
            &format!("/api/v1/org/units/{branch_id}/teams?genre=街舞"),
            None,
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, page) = app.get(&format!("/api/v1/teams/{team}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(page["team"]["genre"], "合唱");
    assert!(
        !page.to_string().contains("小明"),
        "no member names: {page}"
    );
}
both!(team_lifecycle_run, team_lifecycle);

async fn support_records(app: &TestApp) {
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (leader, _) = app.sign_in("s-leader").await;
    let (branch, _) = app
        .staff("s-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (other_branch, _) = app
        .staff("s-other", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (center, _) = app.staff("s-center", Role::CenterStaff, "ft-main").await;
    let (team, _) = register(app, &leader, point, "红枫舞蹈队", "舞蹈").await;

    // Guidance and performances need a verified team.
    let g = json!({"held_on": "2026-11-20", "instructor": "李老师", "topic": "民族舞基本功", "hours": 2.5});
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/manage/teams/{team}/guidance"),
        &center,
        g.clone(),
    )
    .await;
    assert_eq!(error_code(s, &v), "team_not_verified");
    let (s, _) = call(
        app,
        "POST",
        &format!("/api/v1/manage/teams/{team}/verify"),
        &branch,
        json!({}),
    )
    .await;
    assert_eq!(s, 200);
    for bad in [
        json!({"held_on": "20-11-2026", "instructor": "李老师", "topic": "基本功", "hours": 2}),
        json!({"held_on": "2026-11-20", "instructor": "李老师", "topic": "基本功", "hours": 0}),
        json!({"held_on": "2026-11-20", "instructor": " ", "topic": "基本功", "hours": 1}),
    ] {
        let (s, v) = call(
            app,
            "POST",
            &format!("/api/v1/manage/teams/{team}/guidance"),
            &center,
            bad,
        )
        .await;
        assert_eq!(error_code(s, &v), "validation_failed", "{v}");
    }
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/manage/teams/{team}/guidance"),
        &other_branch,
        g.clone(),
    )
    .await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/manage/teams/{team}/guidance"),
        &center,
        g.clone(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = call(app, "POST", &format!("/api/v1/manage/teams/{team}/awards"), &branch,
        json!({"title": "区群众文艺汇演一等奖", "level": "district", "awarded_on": "2026-10-01", "awarded_by": "区文旅局"})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/manage/teams/{team}/awards"),
        &branch,
        json!({"title": "奖", "level": "galactic", "awarded_on": "2026-10-01"}),
    )
    .await;
    assert_eq!(error_code(s, &v), "validation_failed");

    // A performance: the team performs in an activity (here the main center's).
    let (act, _) = app
        .activity(Act {
            organizer: "ft-main",
            kind: "performance",
            title: "送演出下基层·红枫舞蹈",
            ..Act::default()
        })
        .await;
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/manage/teams/{team}/performances"),
        &other_branch,
        json!({"activity_id": act}),
    )
    .await;
    assert_eq!(
        error_code(s, &v),
        "forbidden",
        "another branch cannot name performers of the main center's activity"
    );
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/manage/teams/{team}/performances"),
        &center,
        json!({"activity_id": act}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = call(
        app,
        "POST",
        &format!("/api/v1/manage/teams/{team}/performances"),
        &center,
        json!({"activity_id": act}),
    )
    .await;
    assert_eq!(error_code(s, &v), "team_already_performer");

    let (s, page) = app.get(&format!("/api/v1/teams/{team}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(page["upcoming"][0]["activity_id"], act);
    assert_eq!(page["awards"][0]["level"], "district");
    let (s, d) = app
        .get(&format!("/api/v1/manage/teams/{team}"), Some(&branch))
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["guidance"][0]["hours"], 2.5);
    assert_eq!(d["performances"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action IN ('team_guidance_recorded','team_award_recorded','team_performance_added')")
            .await,
        3
    );

    // Statistics in scope: the branch sees its point's team; another branch sees none.
    let year = culturehub::time::cst_year(app.clock().now());
    let (s, v) = app
        .get(&format!("/api/v1/stats/teams?year={year}"), Some(&branch))
        .await;
    assert_eq!(s, 200, "{v}");
    let row = &v["items"][0];
    assert_eq!(row["genre"], "舞蹈");
    assert_eq!(row["teams"], 1);
    assert_eq!(row["performances"], 1);
    let (_, v) = app
        .get(
            &format!("/api/v1/stats/teams?year={year}"),
            Some(&other_branch),
        )
        .await;
    assert!(v["items"].as_array().unwrap().is_empty());
    let (s, _) = app.get("/api/v1/stats/teams", Some(&leader)).await;
    assert_eq!(s, 403);

    // The ledger sheet lists the team.
    let st = app.state();
    let (main_id, main_path) = app.unit_ref("ft-main").await;
    let caller = culturehub::access::Caller {
        user_id: 0,
        openid: None,
        grants: vec![culturehub::access::Grant {
            id: 0,
            role: Role::CenterStaff,
            unit_id: main_id,
            unit_path: main_path,
        }],
    };
    let scope = culturehub::access::scope(&caller, culturehub::access::Action::ExportLedger);
    let (from, to) = culturehub::time::cst_year_bounds(year);
    let sheet = culturehub::teams::ledger_sheet(&st.db, &scope, "/", &from, &to)
        .await
        .unwrap();
    assert_eq!(sheet.rows.len(), 1);

    // Removing the performance is audited too.
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/manage/teams/{team}/performances/{act}"),
            Some(&center),
            None,
        )
        .await;
    assert_eq!(s, 200);
}
both!(support_records_run, support_records);

async fn export_and_erasure(app: &TestApp) {
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (branch, _) = app
        .staff("e-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (a, _) = app.sign_in("e-a").await;
    let (b, b_id) = app.sign_in("e-b").await;
    let (solo, _) = app.sign_in("e-solo").await;
    let (team, code) = register(app, &a, point, "红枫书画社", "书画").await;
    let (lonely, _) = register(app, &solo, point, "独奏队", "器乐").await;
    for t in [team, lonely] {
        let (s, _) = call(
            app,
            "POST",
            &format!("/api/v1/manage/teams/{t}/verify"),
            &branch,
            json!({}),
        )
        .await;
        assert_eq!(s, 200);
    }
    let (s, _) = call(app, "POST", "/api/v1/teams/join", &b, json!({"code": code})).await;
    assert_eq!(s, 200);

    // The export lists memberships.
    let (s, v) = app.get("/api/v1/me/export", Some(&b)).await;
    assert_eq!(s, 200);
    assert_eq!(v["teams"]["memberships"][0]["team"], "红枫书画社");

    // A leader who deletes the account: the team passes to the longest-standing adult member.
    let (s, _) = app.call("DELETE", "/api/v1/me", Some(&a), None).await;
    assert_eq!(s, 200);
    let leader: i64 = sqlx::query_scalar("SELECT leader_id FROM teams WHERE id = $1")
        .bind(team)
        .fetch_one(app.state().db.pool())
        .await
        .unwrap();
    assert_eq!(leader, b_id);
    // With nobody to take it, the team is dissolved and disappears from the public pages.
    let (s, _) = app.call("DELETE", "/api/v1/me", Some(&solo), None).await;
    assert_eq!(s, 200);
    let (s, _) = app.get(&format!("/api/v1/teams/{lonely}"), None).await;
    assert_eq!(s, 404);
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action IN ('team_leader_succeeded','team_dissolved')")
            .await,
        2
    );
    assert_eq!(
        app.count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM team_members WHERE team_id = {team} AND left_at IS NULL"))
            .await,
        1
    );
}
both!(export_and_erasure_run, export_and_erasure);
