//! The targets page's session list one page at a time (issue 18, D267): every page, total,
//! category and drill-down unit answers exactly what the uncached reference
//! (`plans::sessions_direct`) computes from the database; a new session, a cancellation and a
//! session whose end passes are seen by the next request, here and on a second instance; a bad
//! `limit`/`offset` is refused and changes nothing; the lists kept per facts stay bounded.

use culturehub::access::{Role, Scope};
use culturehub_tests::{at, both, error_code, TestApp};
use serde_json::{json, Value};

const CATEGORIES: [Option<&str>; 4] = [
    None,
    Some("performances"),
    Some("lectures_exhibitions"),
    Some("trainings"),
];

/// Creates and publishes an activity through the API, one session per start (minutes from
/// now, 90 minutes long); answers the activity id and its session ids in lesson order.
async fn create(
    app: &TestApp,
    token: &str,
    kind: &str,
    organizer: &str,
    place: &str,
    starts: &[i64],
) -> (i64, Vec<i64>) {
    let place = app.unit_id(place).await;
    let sessions: Vec<Value> = starts
        .iter()
        .map(|s| json!({"unit_id": place, "starts_at": at(app, *s), "ends_at": at(app, *s + 90), "capacity": null}))
        .collect();
    let body = json!({
        "title": format!("{kind} 分页测试"), "kind": kind, "organizer_unit_id": app.unit_id(organizer).await,
        "booking_mode": "none", "is_course": starts.len() > 1, "sessions": sessions,
        "joint_unit_ids": [], "delivered_by_main_center": false,
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
    let ids =
        sqlx::query_scalar("SELECT id FROM sessions WHERE activity_id = $1 ORDER BY lesson_no, id")
            .bind(id)
            .fetch_all(app.state().db.pool())
            .await
            .unwrap();
    (id, ids)
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

/// One viewer: a token and the scope the reference computes with.
struct Viewer {
    token: String,
    scope: Scope,
}

/// The reference: every matching session, read from the database, in the documented order.
async fn reference(
    app: &TestApp,
    scope: &Scope,
    under: &str,
    year: i32,
    category: Option<&str>,
) -> Vec<Value> {
    let all =
        culturehub::plans::sessions_direct(&app.state().db, scope, under, year, app.clock().now())
            .await
            .unwrap();
    all.iter()
        .filter(|s| category.is_none_or(|c| s.category == c))
        .map(|s| serde_json::to_value(s).unwrap())
        .collect()
}

fn query(year: i32, unit: Option<i64>, category: Option<&str>) -> String {
    let mut q = format!("/api/v1/stats/targets/sessions?year={year}");
    if let Some(u) = unit {
        q.push_str(&format!("&unit_id={u}"));
    }
    if let Some(c) = category {
        q.push_str(&format!("&category={c}"));
    }
    q
}

/// Pages through one list `limit` at a time on `url` and checks every page, its total and the
/// default page against the reference; answers the reference.
#[allow(clippy::too_many_arguments)]
async fn pages_match(
    app: &TestApp,
    url: &str,
    v: &Viewer,
    year: i32,
    unit: Option<(i64, &str)>,
    category: Option<&str>,
    limit: usize,
) -> Vec<Value> {
    let http = reqwest::Client::new();
    let under = unit.map(|u| u.1).unwrap_or("/");
    let want = reference(app, &v.scope, under, year, category).await;
    let base = query(year, unit.map(|u| u.0), category);
    let mut got = Vec::new();
    let mut offset = 0;
    loop {
        let page = get(
            &http,
            url,
            &format!("{base}&limit={limit}&offset={offset}"),
            &v.token,
        )
        .await;
        assert_eq!(page["year"], year);
        assert_eq!(page["total"], want.len(), "total of {base} at {url}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit);
        if items.is_empty() {
            break;
        }
        got.extend(items.iter().cloned());
        offset += limit;
    }
    assert_eq!(got, want, "pages of {base} at {url}");
    // No limit: the first 50, as the console asks.
    let first = get(&http, url, &base, &v.token).await;
    assert_eq!(
        first["items"].as_array().unwrap()[..],
        want[..want.len().min(50)],
        "default page of {base}"
    );
    // Past the end: nothing, the same total.
    let past = get(
        &http,
        url,
        &format!("{base}&offset={}", want.len() + 3),
        &v.token,
    )
    .await;
    assert_eq!(past["items"], json!([]));
    assert_eq!(past["total"], want.len());
    want
}

fn reason(list: &[Value], session: i64) -> &str {
    list.iter()
        .find(|s| s["session_id"] == session)
        .unwrap_or_else(|| panic!("session {session} listed"))["reason"]
        .as_str()
        .unwrap()
}

async fn paged(app: &TestApp) {
    // Keep the fixture inside one CST year: move a day past the new year when it is close.
    let now = app.clock().now();
    let (_, end) = culturehub::time::cst_year_bounds(culturehub::time::cst_year(now));
    let left = culturehub::time::parse(&end).unwrap() - now;
    if left < chrono::Duration::days(2) {
        app.clock().advance(left.num_seconds() + 86_400);
    }
    let year = culturehub::time::cst_year(app.clock().now());
    let other = app.instance(|_| {}).await;
    let (a, b) = (app.url.clone(), other.url());

    let (admin, _) = app.staff("o-ts-admin", Role::CenterAdmin, "ft-main").await;
    let (bstaff, _) = app
        .staff("o-ts-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (_, main_path) = app.unit_ref("ft-main").await;
    let (yl_id, yl_path) = app.unit_ref("ft-b-yuanling").await;
    let (hongli_id, hongli_path) = app.unit_ref("ft-p-yuanling-hongli").await;
    let (nanyuan_id, _) = app.unit_ref("ft-b-nanyuan").await;
    let district = Viewer {
        token: admin.clone(),
        scope: Scope::subtree(&main_path),
    };
    let mine = Viewer {
        token: bstaff.clone(),
        scope: Scope::subtree(&yl_path),
    };

    // A 56-lesson course at a point (more than one default page), lectures at another point of
    // the same branch, shows at another branch, an exhibition at the main center, and two
    // lectures starting at the same minute (ordered by session id).
    let lessons: Vec<i64> = (0..56).map(|i| 60 + i * 10).collect();
    let (_, course) = create(
        app,
        &admin,
        "training",
        "ft-b-yuanling",
        "ft-p-yuanling-hongli",
        &lessons,
    )
    .await;
    let (_, lectures) = create(
        app,
        &admin,
        "lecture",
        "ft-b-yuanling",
        "ft-p-yuanling-baihua",
        &[65, 125, 185, 245, 305],
    )
    .await;
    create(
        app,
        &admin,
        "performance",
        "ft-b-nanyuan",
        "ft-p-nanyuan-nanyuan",
        &[70, 130, 190, 250, 310, 370],
    )
    .await;
    create(
        app,
        &admin,
        "exhibition",
        "ft-main",
        "ft-main",
        &[75, 135, 195],
    )
    .await;
    let (_, same1) = create(app, &admin, "lecture", "ft-main", "ft-main", &[400]).await;
    let (_, same2) = create(app, &admin, "lecture", "ft-main", "ft-main", &[400]).await;

    // Every list, paged, on both instances: the district by category, drilled into a branch
    // and a point; the branch's own view, and drilled into its point.
    for url in [&a, &b] {
        for c in CATEGORIES {
            let all = pages_match(app, url, &district, year, None, c, 7).await;
            pages_match(app, url, &district, year, Some((yl_id, &yl_path)), c, 9).await;
            pages_match(
                app,
                url,
                &district,
                year,
                Some((hongli_id, &hongli_path)),
                c,
                50,
            )
            .await;
            pages_match(app, url, &mine, year, None, c, 11).await;
            pages_match(
                app,
                url,
                &mine,
                year,
                Some((hongli_id, &hongli_path)),
                c,
                500,
            )
            .await;
            if c.is_none() {
                assert_eq!(all.len(), 56 + 5 + 6 + 3 + 2, "every session of the year");
            }
        }
    }
    let all = reference(app, &district.scope, "/", year, None).await;
    let pos = |id: i64| all.iter().position(|s| s["session_id"] == id).unwrap();
    assert!(
        pos(same1[0]) + 1 == pos(same2[0]),
        "same start: by session id"
    );
    let starts: Vec<&str> = all
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "by start time");
    // The branch sees none of another branch's sessions, and may not drill into one.
    let branch = reference(app, &mine.scope, "/", year, None).await;
    assert_eq!(branch.len(), 56 + 5);
    let (s, v) = app
        .get(
            &format!("{}&unit_id={nanyuan_id}", query(year, None, None)),
            Some(&bstaff),
        )
        .await;
    assert_eq!(error_code(s, &v), "forbidden");

    // Out of range: the one validation error, in Chinese, and nothing else happens.
    let audited = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log")
        .await;
    for bad in [
        "limit=0",
        "limit=501",
        "limit=-5",
        "limit=ten",
        "offset=-1",
        "offset=x",
    ] {
        let (s, v) = app
            .get(
                &format!("{}&{bad}", query(year, None, Some("trainings"))),
                Some(&admin),
            )
            .await;
        assert_eq!(error_code(s, &v), "validation_failed", "{bad}: {v}");
    }
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log")
            .await,
        audited
    );

    // The clock moves past the first lesson's end: the next request on either instance
    // counts it, with nothing written; later lessons are still to come.
    let trainings = pages_match(app, &a, &district, year, None, Some("trainings"), 20).await;
    assert_eq!(reason(&trainings, course[0]), "not_held_yet");
    app.clock().advance(152 * 60);
    for url in [&a, &b] {
        let t = pages_match(app, url, &district, year, None, Some("trainings"), 20).await;
        assert_eq!(reason(&t, course[0]), "no_partner", "at {url}");
        assert_eq!(reason(&t, course[55]), "not_held_yet", "at {url}");
    }

    // Writes: a new lecture, cancelled at once, is listed (in start order) with its reason by
    // the next request on either instance, though both had the list in memory.
    let q = format!(
        "{}&limit=3",
        query(year, Some(yl_id), Some("lectures_exhibitions"))
    );
    let http = reqwest::Client::new();
    for url in [&a, &b] {
        assert_eq!(get(&http, url, &q, &admin).await["total"], 5);
    }
    let (fresh_act, fresh) = create(
        app,
        &admin,
        "lecture",
        "ft-b-yuanling",
        "ft-p-yuanling-baihua",
        &[1],
    )
    .await;
    let (s, r) = app
        .post(
            &format!("/api/v1/activities/{fresh_act}/cancel"),
            Some(&admin),
            json!({"reason": "讲师临时有事"}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    for url in [&a, &b] {
        assert_eq!(get(&http, url, &q, &admin).await["total"], 6, "at {url}");
        let l = pages_match(
            app,
            url,
            &district,
            year,
            Some((yl_id, &yl_path)),
            Some("lectures_exhibitions"),
            2,
        )
        .await;
        assert_eq!(reason(&l, fresh[0]), "cancelled", "at {url}");
        assert_eq!(l[0]["session_id"], lectures[0], "in start order: at {url}");
        assert_eq!(l[2]["session_id"], fresh[0], "in start order: at {url}");
    }

    // The lists kept with the facts stay bounded, whatever is asked.
    let st = app.state();
    let root = culturehub::org::root(&st.db).await.unwrap().unwrap();
    let facts = culturehub::plans::year_facts(&st.db, root.id, year, &st.settings.policy)
        .await
        .unwrap();
    let units: Vec<String> = sqlx::query_scalar("SELECT path FROM org_units")
        .fetch_all(st.db.pool())
        .await
        .unwrap();
    assert!(units.len() > 40);
    for p in &units {
        let page = culturehub::plans::session_page(
            &facts,
            &district.scope,
            p,
            None,
            app.clock().now(),
            0,
            5,
        );
        let want = reference(app, &district.scope, p, year, None).await;
        assert_eq!(page.total, want.len(), "{p}");
        assert!(facts.lists.len() <= 32, "{} lists kept", facts.lists.len());
    }
    assert_eq!(
        facts.lists.len(),
        32,
        "more keys than kept: the bound is reached"
    );
    other.shutdown().await;
}
both!(pages_follow_the_reference_and_changes, paged);
