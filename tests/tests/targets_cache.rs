//! The targets' facts cache (issue 18, D260): `/stats/targets` and `/stats/targets/sessions`
//! answer exactly what the uncached reference (`plans::report_direct`, `plans::sessions_direct`)
//! computes from the database, for the district and for a branch; a change made through the
//! API or by raw SQL is seen by the next request on this instance and on a second one; a
//! session whose end passes becomes counted; seat counters do not invalidate; concurrent
//! misses read the database once.

use culturehub::access::{Role, Scope, UnitRef};
use culturehub_tests::{at, both, TestApp};
use serde_json::{json, Value};

/// Creates and publishes an activity through the API; answers its id and first session's id.
#[allow(clippy::too_many_arguments)]
async fn create(
    app: &TestApp,
    token: &str,
    kind: &str,
    organizer: &str,
    place: &str,
    starts: &[i64],
    partners: &[&str],
) -> (i64, i64) {
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
        "title": format!("{kind} 缓存测试"), "kind": kind, "organizer_unit_id": app.unit_id(organizer).await,
        "booking_mode": "none", "is_course": starts.len() > 1, "sessions": sessions,
        "joint_unit_ids": joint, "delivered_by_main_center": false,
    });
    let (s, v) = app.post("/api/v1/activities", Some(token), body).await;
    assert_eq!(s, 200, "create: {v}");
    let id = v["id"].as_i64().unwrap();
    let (s, p) = app
        .post(
            &format!("/api/v1/activities/{id}/publish"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "publish: {p}");
    let session: i64 = app
        .count(&format!(
            "SELECT MIN(id) FROM sessions WHERE activity_id = {id}"
        ))
        .await;
    (id, session)
}

async fn get(http: &reqwest::Client, url: &str, path: &str, token: &str) -> Value {
    let r = http
        .get(format!("{url}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.json().await.expect("json")
}

/// One viewer: a token and the scope and unit the reference computes with.
struct Viewer {
    token: String,
    scope: Scope,
    unit: UnitRef,
}

/// Both endpoints on `url` against the uncached reference, for every viewer.
async fn same_as_reference(app: &TestApp, url: &str, year: i32, viewers: &[&Viewer]) -> Value {
    let http = reqwest::Client::new();
    let st = app.state();
    let root = culturehub::org::root(&st.db).await.unwrap().unwrap();
    let plan = culturehub::plans::load(&st.db, root.id, year, &st.settings.policy)
        .await
        .unwrap();
    let mut district = Value::Null;
    for v in viewers {
        let t = get(
            &http,
            url,
            &format!("/api/v1/stats/targets?year={year}"),
            &v.token,
        )
        .await;
        let want =
            culturehub::plans::report_direct(&st.db, &v.scope, &v.unit, &plan, app.clock().now())
                .await
                .unwrap();
        let want = serde_json::to_value(&want).unwrap();
        assert_eq!(t["unit_id"], v.unit.id);
        assert_eq!(t["items"], want["overall"], "overall at {url}");
        assert_eq!(t["units"], want["units"], "units at {url}");
        assert_eq!(t["trend"], want["trend"], "trend at {url}");
        let d = get(
            &http,
            url,
            &format!("/api/v1/stats/targets/sessions?year={year}&limit=500"),
            &v.token,
        )
        .await;
        let want = culturehub::plans::sessions_direct(
            &st.db,
            &v.scope,
            &v.unit.path,
            year,
            app.clock().now(),
        )
        .await
        .unwrap();
        // One page holds this fixture's few sessions (paging itself: target_sessions.rs).
        assert_eq!(d["total"], want.len(), "total at {url}");
        assert_eq!(
            d["items"],
            serde_json::to_value(&want).unwrap(),
            "sessions at {url}"
        );
        if district.is_null() {
            district = json!({"targets": t, "sessions": d});
        }
    }
    district
}

fn item<'a>(v: &'a Value, category: &str) -> &'a Value {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["category"] == category)
        .unwrap_or_else(|| panic!("{category} in {v}"))
}

fn reason_of(v: &Value, session: i64) -> String {
    v["sessions"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == session)
        .unwrap_or_else(|| panic!("session {session} in {v}"))["reason"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn version(app: &TestApp) -> i64 {
    app.count("SELECT version FROM targets_version WHERE id = 1")
        .await
}

async fn sql(app: &TestApp, q: &str) {
    sqlx::query(q)
        .execute(app.state().db.writer())
        .await
        .expect(q);
}

async fn cache_follows_changes(app: &TestApp) {
    let other = app.instance(|_| {}).await;
    let (a, b) = (app.url.clone(), other.url());
    let point = "ft-p-yuanling-hongli";
    let branch = "ft-b-yuanling";
    let (admin, _) = app.staff("o-tc-admin", Role::CenterAdmin, "ft-main").await;
    let (bstaff, _) = app.staff("o-tc-branch", Role::BranchStaff, branch).await;
    let (main_id, main_path) = app.unit_ref("ft-main").await;
    let (b_id, b_path) = app.unit_ref(branch).await;
    let district = Viewer {
        token: admin.clone(),
        scope: Scope::subtree(&main_path),
        unit: UnitRef {
            id: main_id,
            path: main_path.clone(),
        },
    };
    let mine = Viewer {
        token: bstaff.clone(),
        scope: Scope::subtree(&b_path),
        unit: UnitRef {
            id: b_id,
            path: b_path.clone(),
        },
    };
    let viewers = [&district, &mine];
    let year = culturehub::time::cst_year(culturehub::time::parse(&at(app, 60)).unwrap());

    // A fixture: a show at a point, a lecture with a partner on the line, a two-lesson course,
    // and a lecture at another branch (which the branch must never see).
    let (_, show) = create(app, &admin, "performance", branch, point, &[60], &[]).await;
    let (lecture, lecture_s) =
        create(app, &admin, "lecture", point, point, &[120], &[branch]).await;
    let (course, _) = create(app, &admin, "training", branch, point, &[180, 240], &[]).await;
    let (_, elsewhere) = create(
        app,
        &admin,
        "exhibition",
        "ft-b-nanyuan",
        "ft-b-nanyuan",
        &[60],
        &[],
    )
    .await;
    let v = same_as_reference(app, &a, year, &viewers).await;
    assert_eq!(reason_of(&v, show), "not_held_yet");
    let (_, mine_now) = app
        .get(
            &format!("/api/v1/stats/targets/sessions?year={year}"),
            Some(&bstaff),
        )
        .await;
    assert!(
        !mine_now["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["session_id"] == elsewhere),
        "another branch's session: {mine_now}"
    );
    same_as_reference(app, &b, year, &viewers).await;

    // The sessions' ends pass: nothing was written, the same cached facts now count.
    let before = version(app).await;
    app.clock().advance(6 * 3600);
    let v = same_as_reference(app, &a, year, &viewers).await;
    assert_eq!(version(app).await, before);
    assert_eq!(reason_of(&v, show), "no_partner");
    assert_eq!(item(&v["targets"], "trainings")["count"], 2, "{v}");
    assert_eq!(reason_of(&v, lecture_s), "partner_pending");
    same_as_reference(app, &b, year, &viewers).await;

    // Seat counters never touch the version (bookings update them all the time).
    sql(
        app,
        &format!("UPDATE sessions SET booked = booked + 1 WHERE id = {show}"),
    )
    .await;
    assert_eq!(
        version(app).await,
        before,
        "a seat counter bumped the version"
    );

    // Through the API: a partner confirms, a new session, a cancelled activity, an allocation.
    let (s, r) = app
        .post(
            &format!("/api/v1/activities/{lecture}/partners/{b_id}/confirm"),
            Some(&bstaff),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let (_, fresh) = create(app, &admin, "lecture", branch, point, &[60], &[]).await;
    let (s, r) = app
        .post(
            &format!("/api/v1/activities/{course}/cancel"),
            Some(&admin),
            json!({"reason": "场地维修"}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let plan = json!({"performances": 5, "lectures_exhibitions": 5, "trainings": 5,
        "allocations": [{"unit_id": b_id, "category": "performances", "target": 3}]});
    let (s, r) = app
        .call(
            "PUT",
            &format!("/api/v1/plans/{year}"),
            Some(&admin),
            Some(plan),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    for url in [&a, &b] {
        let v = same_as_reference(app, url, year, &viewers).await;
        assert_eq!(reason_of(&v, lecture_s), "counted", "confirmed at {url}");
        assert_eq!(reason_of(&v, fresh), "not_held_yet", "new session at {url}");
        assert_eq!(
            item(&v["targets"], "trainings")["count"],
            0,
            "cancelled at {url}"
        );
        assert_eq!(
            item(&v["targets"], "performances")["target"],
            5,
            "plan at {url}"
        );
        let unit = v["targets"]["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit_id"] == b_id)
            .unwrap_or_else(|| panic!("branch row in {v}"));
        assert_eq!(
            item(unit, "performances")["target"],
            3,
            "allocation at {url}"
        );
    }

    // By hand in SQL, as an operator would: a session cancelled, the partner's answer taken
    // back, the allocation changed, a unit renamed, and a session inserted.
    let before = version(app).await;
    sql(
        app,
        &format!("UPDATE sessions SET status = 'cancelled' WHERE id = {show}"),
    )
    .await;
    sql(
        app,
        &format!("UPDATE activity_units SET status = 'declined' WHERE activity_id = {lecture}"),
    )
    .await;
    sql(app, "UPDATE plan_allocations SET target = 2").await;
    sql(
        app,
        &format!("UPDATE org_units SET short_name = '改名分馆' WHERE id = {b_id}"),
    )
    .await;
    sql(app, &format!(
        "INSERT INTO sessions (activity_id, lesson_no, unit_id, unit_path, starts_at, ends_at, status) \
         SELECT activity_id, 2, unit_id, unit_path, starts_at, ends_at, status FROM sessions WHERE id = {fresh}"
    ))
    .await;
    assert!(version(app).await > before);
    for url in [&a, &b] {
        let v = same_as_reference(app, url, year, &viewers).await;
        assert_eq!(reason_of(&v, show), "cancelled", "at {url}");
        assert_eq!(reason_of(&v, lecture_s), "partner_declined", "at {url}");
        let unit = v["targets"]["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit_id"] == b_id)
            .unwrap_or_else(|| panic!("branch row in {v}"));
        assert_eq!(unit["unit_name"], "改名分馆", "at {url}");
        assert_eq!(item(unit, "performances")["target"], 2, "at {url}");
        let items = v["sessions"]["items"].as_array().unwrap();
        let act = &items.iter().find(|s| s["session_id"] == fresh).unwrap()["activity_id"];
        let lessons = items.iter().filter(|s| &s["activity_id"] == act).count();
        assert_eq!(lessons, 2, "inserted session at {url}: {v}");
    }
    other.shutdown().await;
}
both!(
    cache_follows_api_and_sql_changes_on_both_instances,
    cache_follows_changes
);

/// Eight simultaneous requests after a change read the database once between them.
async fn single_flight(app: &TestApp) {
    let (admin, _) = app.staff("o-tc-sf", Role::CenterAdmin, "ft-main").await;
    create(
        app,
        &admin,
        "performance",
        "ft-b-yuanling",
        "ft-p-yuanling-hongli",
        &[60],
        &[],
    )
    .await;
    let year = culturehub::time::cst_year(culturehub::time::parse(&at(app, 60)).unwrap());
    let path = format!("/api/v1/stats/targets?year={year}");
    let (_, before) = app.state().db.targets.stats();
    let all = futures_util::future::join_all((0..8).map(|_| app.get(&path, Some(&admin)))).await;
    for (s, v) in &all {
        assert_eq!(*s, 200, "{v}");
        assert_eq!(v["items"], all[0].1["items"]);
    }
    let (_, after) = app.state().db.targets.stats();
    assert_eq!(after - before, 1, "one read for eight requests");
}
both!(concurrent_misses_read_once, single_flight);
