//! The targets' facts cache (issue 18, D260): `/stats/targets` and `/stats/targets/sessions`
//! answer exactly what the uncached reference (`plans::report_direct`, `plans::sessions_direct`)
//! computes from the database, for the district and for a branch; a change made through the
//! API or by raw SQL is seen by the next request on this instance and on a second one; a
//! session whose end passes becomes counted; seat counters do not invalidate; concurrent
//! misses read the database once. The ready answers kept with the facts (D273): a repeat is a
//! hit, a session end or a version bump between two requests changes the answer, each scope
//! gets its own, and at most `MAX_ANSWERS` are kept.

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

/// Asks `path` once; answers the body and whether it was a ready answer kept from before.
async fn ask(app: &TestApp, path: &str, token: &str) -> (Value, bool) {
    let cache = &app.state().db.targets;
    let (h0, m0) = cache.answer_stats();
    let (s, v) = app.get(path, Some(token)).await;
    assert_eq!(s, 200, "{path}: {v}");
    let (h1, m1) = cache.answer_stats();
    assert_eq!(h1 - h0 + m1 - m0, 1, "one answer looked up for {path}");
    (v, h1 > h0)
}

fn reason_in(sessions: &Value, session: i64) -> &str {
    sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == session)
        .unwrap_or_else(|| panic!("session {session} in {sessions}"))["reason"]
        .as_str()
        .unwrap()
}

async fn ready_answers(app: &TestApp) {
    let (admin, _) = app.staff("o-ra-admin", Role::CenterAdmin, "ft-main").await;
    let (yl, _) = app
        .staff("o-ra-yl", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (yl2, _) = app
        .staff("o-ra-yl2", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (ny, _) = app
        .staff("o-ra-ny", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (main_id, main_path) = app.unit_ref("ft-main").await;
    let (yl_id, yl_path) = app.unit_ref("ft-b-yuanling").await;
    let (ny_id, _) = app.unit_ref("ft-b-nanyuan").await;
    let district = Viewer {
        token: admin.clone(),
        scope: Scope::subtree(&main_path),
        unit: UnitRef {
            id: main_id,
            path: main_path.clone(),
        },
    };
    let mine = Viewer {
        token: yl.clone(),
        scope: Scope::subtree(&yl_path),
        unit: UnitRef {
            id: yl_id,
            path: yl_path.clone(),
        },
    };
    let viewers = [&district, &mine];
    let year = culturehub::time::cst_year(culturehub::time::parse(&at(app, 60)).unwrap());
    // Another branch's lecture ends first (in 150 minutes), Yuanling's show later (390).
    let (_, elsewhere) = create(
        app,
        &admin,
        "lecture",
        "ft-b-nanyuan",
        "ft-b-nanyuan",
        &[60],
        &[],
    )
    .await;
    let (_, show) = create(
        app,
        &admin,
        "performance",
        "ft-b-yuanling",
        "ft-p-yuanling-hongli",
        &[300],
        &[],
    )
    .await;
    let targets = format!("/api/v1/stats/targets?year={year}");
    let sessions = format!("/api/v1/stats/targets/sessions?year={year}");
    let plan = format!("/api/v1/plans/{year}");

    // A repeat is a hit with the same bytes' answer, for each endpoint.
    for path in [&targets, &sessions, &plan] {
        let (first, hit) = ask(app, path, &admin).await;
        assert!(!hit, "first {path}");
        let (again, hit) = ask(app, path, &admin).await;
        assert!(hit, "repeat {path}");
        assert_eq!(again, first, "{path}");
    }
    let (d_targets, _) = ask(app, &targets, &admin).await;
    let (d_sessions, _) = ask(app, &sessions, &admin).await;
    assert_eq!(reason_in(&d_sessions, elsewhere), "not_held_yet");

    // Each scope its own answer; two staff of one branch share theirs.
    let (mine_t, hit) = ask(app, &targets, &yl).await;
    assert!(!hit, "a branch is not served the district's answer");
    assert_eq!(mine_t["unit_id"], yl_id);
    let (also, hit) = ask(app, &targets, &yl2).await;
    assert!(hit, "the same scope shares the answer");
    assert_eq!(also, mine_t);
    let (theirs, hit) = ask(app, &targets, &ny).await;
    assert!(!hit, "another branch is not served Yuanling's answer");
    assert_eq!(theirs["unit_id"], ny_id);
    assert_eq!(item(&theirs, "lectures_exhibitions")["not_counted"], 1);
    assert_eq!(item(&mine_t, "lectures_exhibitions")["not_counted"], 0);
    let (mine_s, hit) = ask(app, &sessions, &yl).await;
    assert!(!hit);
    assert_eq!(mine_s["total"], 1, "{mine_s}");
    assert_eq!(reason_in(&mine_s, show), "not_held_yet");
    same_as_reference(app, &app.url, year, &viewers).await;

    // The other branch's lecture ends: the district's answers change at once; Yuanling's,
    // which do not show it, stay kept.
    app.clock().advance(200 * 60);
    let (t, hit) = ask(app, &targets, &admin).await;
    assert!(!hit, "a session ended since the district's answer");
    assert_ne!(t, d_targets);
    assert_eq!(item(&t, "lectures_exhibitions")["count"], 1, "{t}");
    let (s, hit) = ask(app, &sessions, &admin).await;
    assert!(!hit);
    assert_eq!(reason_in(&s, elsewhere), "no_partner");
    assert_eq!(reason_in(&s, show), "not_held_yet");
    let (t, hit) = ask(app, &targets, &yl).await;
    assert!(hit, "nothing Yuanling's answer shows has changed");
    assert_eq!(t, mine_t);
    let (_, hit) = ask(app, &plan, &admin).await;
    assert!(hit, "the plan does not depend on the time");
    same_as_reference(app, &app.url, year, &viewers).await;

    // Yuanling's show ends: its answers change with nothing written.
    app.clock().advance(200 * 60);
    let (t, hit) = ask(app, &targets, &yl).await;
    assert!(!hit, "the show ended since Yuanling's answer");
    assert_eq!(item(&t, "performances")["count"], 1, "{t}");
    let (s, hit) = ask(app, &sessions, &yl).await;
    assert!(!hit);
    assert_eq!(reason_in(&s, show), "no_partner");
    let (again, hit) = ask(app, &targets, &yl).await;
    assert!(hit);
    assert_eq!(again, t);
    same_as_reference(app, &app.url, year, &viewers).await;

    // A write that bumps the version: new facts, so every answer is computed again.
    let before = version(app).await;
    let (_, facts_misses) = app.state().db.targets.stats();
    let body = json!({"performances": 7, "lectures_exhibitions": 5, "trainings": 5,
        "allocations": [{"unit_id": yl_id, "category": "performances", "target": 3}]});
    let (st, r) = app.call("PUT", &plan, Some(&admin), Some(body)).await;
    assert_eq!(st, 200, "{r}");
    assert!(version(app).await > before);
    let (p, hit) = ask(app, &plan, &admin).await;
    assert!(!hit, "the plan after a write");
    assert_eq!(p["performances"], 7);
    assert_eq!(app.state().db.targets.stats().1, facts_misses + 1);
    let (t, hit) = ask(app, &targets, &yl).await;
    assert!(!hit, "Yuanling's targets after a write");
    let perf = item(&t, "performances");
    assert_eq!(
        (&perf["target"], &perf["allocated"]),
        (&json!(3), &json!(true))
    );
    let (t, hit) = ask(app, &targets, &admin).await;
    assert!(!hit);
    assert_eq!(item(&t, "performances")["target"], 7);
    // By hand in SQL as well: a unit renamed.
    sql(
        app,
        &format!("UPDATE org_units SET short_name = '改名分馆' WHERE id = {yl_id}"),
    )
    .await;
    let (t, hit) = ask(app, &targets, &yl).await;
    assert!(!hit);
    assert_eq!(t["unit_name"], "改名分馆");
    same_as_reference(app, &app.url, year, &viewers).await;

    // A clock set back is not served an answer computed later.
    let (s, _) = ask(app, &sessions, &yl).await;
    assert_eq!(reason_in(&s, show), "no_partner");
    let (_, hit) = ask(app, &sessions, &yl).await;
    assert!(hit);
    app.clock().advance(-400 * 60);
    let (s, hit) = ask(app, &sessions, &yl).await;
    assert!(
        !hit,
        "an answer is kept only from the time it was computed at"
    );
    assert_eq!(reason_in(&s, show), "not_held_yet");
    same_as_reference(app, &app.url, year, &viewers).await;

    // Bounded: many distinct pages keep at most MAX_ANSWERS answers.
    for offset in 0..60 {
        ask(app, &format!("{sessions}&offset={offset}&limit=1"), &admin).await;
    }
    let (_, facts) = app
        .state()
        .db
        .targets
        .year(&app.state().db, year, &app.state().settings.policy)
        .await
        .unwrap();
    let kept = facts.answers.len();
    assert!(
        kept <= culturehub::targets_cache::MAX_ANSWERS,
        "{kept} answers kept"
    );
    assert!(kept >= 40, "{kept} answers kept");
    assert!(facts.answers.bytes() <= culturehub::targets_cache::MAX_ANSWER_BYTES);
}
both!(ready_answers_kept_until_they_change, ready_answers);
