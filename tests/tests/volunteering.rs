//! Volunteering beyond the door (issue 16): opportunities with shifts, sign-up and approval, a
//! door check-in shift giving the door's scanning right, reminders, hours confirmed by staff,
//! certificates, the city export, volunteer teams — and many volunteers racing for the last
//! places of one shift never overfilling it. Sponsors and contracted operators too.

use culturehub::access::Role;
use culturehub_tests::{at, both, error_code, Act, TestApp};
use serde_json::{json, Value};
use std::sync::Arc;

const POINT: &str = "ft-p-yuanling-hongli";

/// Posts an opportunity at POINT with the given shifts; returns its JSON.
async fn opportunity(app: &TestApp, token: &str, shifts: Value) -> Value {
    let point = app.unit_id(POINT).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{point}/volunteer-opportunities"),
            Some(token),
            json!({"title": "周末文化活动志愿服务", "description": "引导观众入场", "shifts": shifts}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

/// Sends every sign-up at the same moment (behind a barrier); returns the statuses.
async fn sign_up_at_once(app: &TestApp, shift: i64, tokens: Vec<String>) -> Vec<(u16, Value)> {
    let barrier = Arc::new(tokio::sync::Barrier::new(tokens.len()));
    let mut tasks = Vec::new();
    for token in tokens {
        let (http, url, barrier) = (app.http.clone(), app.url.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let r = http
                .post(format!("{url}/api/v1/volunteer-shifts/{shift}/signups"))
                .bearer_auth(token)
                .json(&json!({}))
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

async fn no_overfill_under_concurrent_sign_ups(app: &TestApp) {
    let (staff, _) = app
        .staff("vol-race-staff", Role::PointCoordinator, POINT)
        .await;
    let opp = opportunity(
        app,
        &staff,
        json!([{"role_code": "usher", "starts_at": at(app, 2 * 24 * 60), "ends_at": at(app, 2 * 24 * 60 + 180), "needed": 3}]),
    )
    .await;
    let shift = opp["shifts"][0]["id"].as_i64().unwrap();
    let mut tokens = Vec::new();
    for i in 0..12 {
        tokens.push(app.sign_in(&format!("vol-racer-{i}")).await.0);
    }
    let answers = sign_up_at_once(app, shift, tokens.clone()).await;
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(ok, 3, "{answers:?}");
    for (s, v) in answers.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(*s, 409, "{v}");
        assert_eq!(error_code(*s, v), "shift_full");
    }
    let taken = app
        .count(&format!(
            "SELECT taken FROM volunteer_shifts WHERE id = {shift}"
        ))
        .await;
    let live = app
        .count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM shift_signups WHERE shift_id = {shift} AND status IN ('pending','approved')"))
        .await;
    assert_eq!((taken, live), (3, 3));

    // A withdrawal frees one place; two racing for it leave one sign-up.
    let (_, mine) = app.get("/api/v1/me/shifts", Some(&tokens[0])).await;
    let first = answers.iter().position(|(s, _)| *s == 200).unwrap();
    let (_, mine_first) = app.get("/api/v1/me/shifts", Some(&tokens[first])).await;
    let sid = mine_first["items"][0]["id"].as_i64().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/v1/shift-signups/{sid}/withdraw"),
            Some(&tokens[first]),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v} {mine}");
    let losers: Vec<String> = answers
        .iter()
        .enumerate()
        .filter(|(_, (s, _))| *s != 200)
        .map(|(i, _)| tokens[i].clone())
        .take(4)
        .collect();
    let again = sign_up_at_once(app, shift, losers).await;
    assert_eq!(
        again.iter().filter(|(s, _)| *s == 200).count(),
        1,
        "{again:?}"
    );
    let live = app
        .count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM shift_signups WHERE shift_id = {shift} AND status IN ('pending','approved')"))
        .await;
    assert_eq!(live, 3);
}

both!(concurrent_sign_ups, no_overfill_under_concurrent_sign_ups);

async fn shifts_from_sign_up_to_certificate(app: &TestApp) {
    let (staff, _) = app
        .staff("vol-flow-staff", Role::PointCoordinator, POINT)
        .await;
    let (_, session) = app.activity(Act::default()).await;
    let (s, roles) = app.get("/api/v1/volunteer-roles", None).await;
    assert_eq!(s, 200);
    assert!(roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "door_checkin"));
    // A door shift needs a session.
    let point = app.unit_id(POINT).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{point}/volunteer-opportunities"),
            Some(&staff),
            json!({"title": "入场", "shifts": [{"role_code": "door_checkin", "starts_at": at(app, 3 * 24 * 60 - 30), "ends_at": at(app, 3 * 24 * 60 + 90), "needed": 2}]}),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed", "{v}");
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{point}/volunteer-opportunities"),
            Some(&staff),
            json!({"title": "入场", "shifts": [{"role_code": "juggler", "starts_at": at(app, 60), "ends_at": at(app, 120), "needed": 2}]}),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed", "{v}");
    let opp = opportunity(
        app,
        &staff,
        json!([
            {"role_code": "door_checkin", "session_id": session, "starts_at": at(app, 3 * 24 * 60 - 30), "ends_at": at(app, 3 * 24 * 60 + 90), "place": "一楼大厅", "needed": 2},
            {"role_code": "photographer", "starts_at": at(app, 3 * 24 * 60), "ends_at": at(app, 3 * 24 * 60 + 90), "needed": 1}
        ]),
    )
    .await;
    let door = opp["shifts"][0]["id"].as_i64().unwrap();
    let photo = opp["shifts"][1]["id"].as_i64().unwrap();
    // Public list shows it with places left.
    let (s, list) = app
        .get(
            &format!("/api/v1/volunteer-opportunities?unit_id={point}"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["id"] == opp["id"] && o["shifts"][0]["remaining"] == 2));

    let (vol, vol_id) = app.sign_in("vol-flow-resident").await;
    let (s, p) = app
        .call(
            "PUT",
            "/api/v1/me/volunteer-profile",
            Some(&vol),
            Some(json!({"skills": "摄影, 英语讲解", "intro": "退休教师"})),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    // Not yet a volunteer: no scanning.
    let (s, _) = app
        .get(
            &format!("/api/v1/sessions/{session}/checkin-list"),
            Some(&vol),
        )
        .await;
    assert_eq!(s, 403);
    let (s, d) = app
        .post(
            &format!("/api/v1/volunteer-shifts/{door}/signups"),
            Some(&vol),
            json!({"note": "周六有空"}),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["status"], "pending");
    let (s, v) = app
        .post(
            &format!("/api/v1/volunteer-shifts/{door}/signups"),
            Some(&vol),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "already_signed_up");
    let (s, ph) = app
        .post(
            &format!("/api/v1/volunteer-shifts/{photo}/signups"),
            Some(&vol),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{ph}");

    // Staff see the pending sign-ups with the skills, approve them.
    let (s, pending) = app
        .get(
            &format!("/api/v1/units/{point}/shift-signups?status=pending"),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 200, "{pending}");
    let row = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == d["id"])
        .unwrap()
        .clone();
    assert_eq!(row["skills"], "摄影, 英语讲解");
    assert_ne!(row["volunteer_masked"], "vol-flow-resident");
    let (s, a) = app
        .post(
            &format!("/api/v1/shift-signups/{}/approve", d["id"]),
            Some(&staff),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["status"], "approved");
    let (s, v) = app
        .post(
            &format!("/api/v1/shift-signups/{}/approve", d["id"]),
            Some(&staff),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "signup_not_pending");
    let (s, _) = app
        .post(
            &format!("/api/v1/shift-signups/{}/approve", ph["id"]),
            Some(&staff),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    // The approved door shift gives the same scanning right as a session assignment.
    let (s, v) = app
        .get(
            &format!("/api/v1/sessions/{session}/checkin-list"),
            Some(&vol),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let assigned = app
        .count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM assignments WHERE user_id = {vol_id} AND session_id = {session} AND removed_at IS NULL"))
        .await;
    assert_eq!(assigned, 1);

    // The worker reminds a day ahead, once.
    app.clock().advance((2 * 24 * 60 + 60) * 60);
    let st = app.state();
    culturehub::worker::pass(st, "vw1").await.unwrap();
    culturehub::worker::pass(st, "vw2").await.unwrap();
    let reminders = app
        .count(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE user_id = {vol_id} AND dedupe_key LIKE 'shift:%'"))
        .await;
    assert_eq!(reminders, 2);

    // Hours only once the shift has started; bounded by its length.
    let (s, v) = app
        .post(
            &format!("/api/v1/shift-signups/{}/hours", d["id"]),
            Some(&staff),
            json!({"minutes": 120}),
        )
        .await;
    assert_eq!(error_code(s, &v), "shift_not_started");
    app.clock().advance(24 * 3600);
    let (s, v) = app
        .post(
            &format!("/api/v1/shift-signups/{}/hours", d["id"]),
            Some(&staff),
            json!({"minutes": 100000}),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    for (id, m) in [(&d["id"], 120), (&ph["id"], 90)] {
        let (s, v) = app
            .post(
                &format!("/api/v1/shift-signups/{id}/hours"),
                Some(&staff),
                json!({"minutes": m}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["minutes"], m);
    }
    let (s, mine) = app.get("/api/v1/me/shifts", Some(&vol)).await;
    assert_eq!(s, 200);
    assert_eq!(mine["hours"]["shift_minutes"], 210, "{mine}");
    assert_eq!(mine["hours"]["door_minutes"], 0, "{mine}");
    assert_eq!(mine["hours"]["by_role"].as_array().unwrap().len(), 2);

    // Certificate: same code while the hours stand; public verification masks the name.
    let (s, cert) = app
        .get("/api/v1/me/volunteer-certificate", Some(&vol))
        .await;
    assert_eq!(s, 200, "{cert}");
    assert_eq!(cert["hours"], "3.5");
    let (_, again) = app
        .get("/api/v1/me/volunteer-certificate", Some(&vol))
        .await;
    assert_eq!(again["code"], cert["code"]);
    let (s, check) = app
        .get(
            &format!(
                "/api/v1/volunteer-certificates/{}",
                cert["code"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(s, 200, "{check}");
    assert_eq!(check["valid"], true);
    assert_eq!(check["hours"], "3.5");
    let (other, _) = app.sign_in("vol-flow-nohours").await;
    let (s, v) = app
        .get("/api/v1/me/volunteer-certificate", Some(&other))
        .await;
    assert_eq!(error_code(s, &v), "no_service_hours");

    // Export for the city system: documented columns, one row per confirmed shift.
    let (s, _, body) = app
        .fetch(
            &format!("/api/v1/units/{point}/volunteer-hours.csv"),
            Some(&staff),
        )
        .await;
    assert_eq!(s, 200);
    let text = String::from_utf8(body).unwrap();
    let header = text.lines().next().unwrap().trim_start_matches('\u{feff}');
    assert_eq!(header, culturehub::volunteering::EXPORT_COLUMNS.join(","));
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains(",2.0") && text.contains(",1.5"), "{text}");
    let (s, v) = app
        .get(
            &format!("/api/v1/units/{point}/volunteer-hours.csv?from=2020-13-01"),
            Some(&staff),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");

    // The personal export carries it; erasure withdraws and revokes.
    let (_, exported) = app.get("/api/v1/me/export", Some(&vol)).await;
    assert_eq!(
        exported["volunteering"]["profile"]["skills"],
        "摄影, 英语讲解"
    );
    assert_eq!(
        exported["volunteering"]["shift_signups"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

both!(sign_up_to_certificate, shifts_from_sign_up_to_certificate);

async fn teams_recruit_residents(app: &TestApp) {
    let (center, _) = app
        .staff("vol-team-center", Role::CenterStaff, "ft-main")
        .await;
    let (branch, _) = app
        .staff("vol-team-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let root = app.unit_id("ft-main").await;
    let yuanling = app.unit_id("ft-b-yuanling").await;
    let (s, fed) = app
        .post(
            &format!("/api/v1/units/{root}/volunteer-teams"),
            Some(&center),
            json!({"name": "区文化志愿者联合会", "intro": "全区文化志愿者"}),
        )
        .await;
    assert_eq!(s, 200, "{fed}");
    let (s, team) = app
        .post(
            &format!("/api/v1/units/{yuanling}/volunteer-teams"),
            Some(&branch),
            json!({"name": "园岭文化志愿服务队", "parent_id": fed["id"]}),
        )
        .await;
    assert_eq!(s, 200, "{team}");
    // The branch may not found a team at the root.
    let (s, _) = app
        .post(
            &format!("/api/v1/units/{root}/volunteer-teams"),
            Some(&branch),
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, list) = app.get("/api/v1/volunteer-teams", None).await;
    assert_eq!(s, 200);
    assert!(list["items"].as_array().unwrap().len() >= 2);
    let (res, _) = app.sign_in("vol-team-resident").await;
    let (s, a) = app
        .post(
            &format!("/api/v1/volunteer-teams/{}/apply", team["id"]),
            Some(&res),
            json!({"note": "会摄影"}),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    let (s, v) = app
        .post(
            &format!("/api/v1/volunteer-teams/{}/apply", team["id"]),
            Some(&res),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "already_applied");
    let (s, apps) = app
        .get(
            &format!("/api/v1/units/{yuanling}/volunteer-team-applications"),
            Some(&branch),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(apps["items"][0]["note"], "会摄影");
    let (s, d) = app
        .post(
            &format!("/api/v1/volunteer-team-applications/{}/decide", a["id"]),
            Some(&branch),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["status"], "approved");
    let (s, v) = app
        .post(
            &format!("/api/v1/volunteer-team-applications/{}/decide", a["id"]),
            Some(&branch),
            json!({"approve": false}),
        )
        .await;
    assert_eq!(error_code(s, &v), "application_decided");
    // Closing recruitment stops applications.
    let (s, _) = app
        .call(
            "PATCH",
            &format!("/api/v1/volunteer-teams/{}", team["id"]),
            Some(&branch),
            Some(json!({"recruiting": false})),
        )
        .await;
    assert_eq!(s, 200);
    let (late, _) = app.sign_in("vol-team-late").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/volunteer-teams/{}/apply", team["id"]),
            Some(&late),
            json!({}),
        )
        .await;
    assert_eq!(error_code(s, &v), "team_not_recruiting");
}

both!(volunteer_teams, teams_recruit_residents);

async fn sponsors_and_operators(app: &TestApp) {
    let (branch, _) = app
        .staff("sp-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (center, _) = app.staff("sp-center", Role::CenterAdmin, "ft-main").await;
    let (district, _) = app
        .staff("sp-district", Role::DistrictSupervisor, "ft-main")
        .await;
    let (activity, _) = app.activity(Act::default()).await;
    let yuanling = app.unit_id("ft-b-yuanling").await;
    let base =
        json!({"activity_id": activity, "sponsor_kind": "enterprise", "relation": "sponsor"});
    let with = |extra: Value| {
        let mut b = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let (s, v) = app
        .post(
            &format!("/api/v1/units/{yuanling}/sponsorships"),
            Some(&branch),
            with(
                json!({"sponsor_name": "某文化公司", "gift_kind": "money", "public_consent": true}),
            ),
        )
        .await;
    assert_eq!(
        error_code(s, &v),
        "validation_failed",
        "money needs an amount"
    );
    for (name, gift, amount, consent) in [
        ("某文化公司", "money", json!(500000), true),
        ("某书店", "goods", json!(null), false),
        ("某剧场", "venue", json!(2000000), true),
    ] {
        let (s, v) = app
            .post(
                &format!("/api/v1/units/{yuanling}/sponsorships"),
                Some(&branch),
                with(json!({"sponsor_name": name, "gift_kind": gift, "amount_fen": amount, "public_consent": consent})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, list) = app
        .get(
            &format!("/api/v1/units/{yuanling}/sponsorships"),
            Some(&branch),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(list["money_total_fen"], 500000);
    // Public: consenting names only, no amounts.
    let (s, sup) = app
        .get(&format!("/api/v1/activities/{activity}/supporters"), None)
        .await;
    assert_eq!(s, 200);
    let names: Vec<&str> = sup["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["某文化公司", "某剧场"]);
    assert!(!sup.to_string().contains("500000"));
    // Consent withdrawn: no longer shown.
    let first = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["sponsor_name"] == "某剧场")
        .unwrap()["id"]
        .clone();
    let (s, _) = app
        .call(
            "PATCH",
            &format!("/api/v1/sponsorships/{first}"),
            Some(&branch),
            Some(json!({"public_consent": false})),
        )
        .await;
    assert_eq!(s, 200);
    let (_, sup) = app
        .get(&format!("/api/v1/activities/{activity}/supporters"), None)
        .await;
    assert_eq!(sup["items"].as_array().unwrap().len(), 1);

    // Operators: only for contracted units; visible to the district and the center.
    let point = app.unit_id(POINT).await;
    let today = (app.clock().now() + chrono::Duration::hours(8)).date_naive();
    let day = |d: i64| {
        (today + chrono::Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let body = json!({"operator_name": "某文化运营公司", "contract_ref": "FT-2026-001",
        "starts_on": day(-100), "ends_on": day(365),
        "obligations": {"sessions_per_year": 100, "min_attendance_pct": 70, "min_satisfaction_pct": 90, "open_hours_per_week": 40, "other": "每月一次公益讲座"}});
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/units/{point}/operator"),
            Some(&center),
            Some(body.clone()),
        )
        .await;
    assert_eq!(error_code(s, &v), "unit_not_contracted");
    let db = app.state().db.clone();
    sqlx::query("UPDATE org_units SET contracted = 1 WHERE id = $1")
        .bind(point)
        .execute(db.pool())
        .await
        .unwrap();
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/units/{point}/operator"),
            Some(&branch),
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = app
        .call(
            "PUT",
            &format!("/api/v1/units/{point}/operator"),
            Some(&center),
            Some(body),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, ops) = app.get("/api/v1/operators", Some(&district)).await;
    assert_eq!(s, 200, "{ops}");
    let op = &ops["items"][0];
    assert_eq!(op["operator_name"], "某文化运营公司");
    assert_eq!(op["term_status"], "active");
    assert!(op["performance"]["sessions_due"].as_i64().unwrap() > 0);
    assert!(op["performance"]["shortfalls"]
        .as_array()
        .unwrap()
        .contains(&json!("sessions")));
    let (s, _) = app.get("/api/v1/operators", Some(&branch)).await;
    assert_eq!(s, 403);
}

both!(sponsors_operators, sponsors_and_operators);
