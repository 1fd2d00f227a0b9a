//! Online programmes and the resource library (issue 17): live, upcoming and replay from the
//! sessions' times; web links only on configured business domains; curation within a unit's
//! scope; views counted once per person and day (also under concurrent calls); ratings; the
//! person's export and erasure. Each test runs on SQLite and on PostgreSQL + Redis.

use culturehub::access::Role;
use culturehub_tests::{error_code, Act, Backend, TestApp};
use serde_json::{json, Value};
use std::sync::Arc;

const DOMAIN: &str = "live.example.cn";

/// Like `both!`, with the business domain configured.
macro_rules! both_online {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;
            async fn run(backend: Backend) {
                if let Some(app) = TestApp::start_with(backend, stringify!($name), |s| {
                    s.online.business_domains = vec![DOMAIN.to_string()];
                })
                .await
                {
                    ($body)(&app).await;
                    app.finish().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    };
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.call("PUT", path, Some(token), Some(body)).await
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.call("PATCH", path, Some(token), Some(body)).await
}

async fn online_programmes(app: &TestApp) {
    // A published activity at a point of 园岭, starting in an hour for 90 minutes.
    let (id, _) = app
        .activity(Act {
            starts_in_min: 60,
            title: "线上粤剧赏析",
            ..Default::default()
        })
        .await;
    let (admin, _) = app.sign_in("o-activity-maker").await;
    let path = format!("/api/v1/activities/{id}/online");

    // Offline by default.
    let (s, v) = app.get(&path, None).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["online"].is_null() && v["state"].is_null(), "{v}");

    // Bad input changes nothing: a page off the business domains, plain http, no Channels id.
    for (body, code) in [
        (
            json!({"mode": "online", "platform": "web", "live_url": "https://elsewhere.example.cn/live"}),
            "domain_not_allowed",
        ),
        (
            json!({"mode": "online", "platform": "web", "live_url": "http://live.example.cn/live"}),
            "validation_failed",
        ),
        (
            json!({"mode": "hybrid", "platform": "channels"}),
            "validation_failed",
        ),
        (json!({"mode": "broadcast"}), "validation_failed"),
    ] {
        let (s, v) = put(app, &path, &admin, body).await;
        assert_eq!(error_code(s, &v), code, "{v}");
    }
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM activity_online")
            .await,
        0
    );

    // Staff of another branch may not.
    let (other, _) = app
        .staff("o-online-other", Role::BranchStaff, "ft-b-lianhua")
        .await;
    let (s, v) = put(
        app,
        &path,
        &other,
        json!({"mode": "online", "platform": "channels", "finder_user_name": "sphA1"}),
    )
    .await;
    assert_eq!(error_code(s, &v), "forbidden", "{v}");

    let (s, v) = put(
        app,
        &path,
        &admin,
        json!({"mode": "hybrid", "platform": "web", "live_url": "https://live.example.cn/room/7"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "upcoming", "{v}");
    assert_eq!(v["online"]["live_url"], "https://live.example.cn/room/7");
    assert_eq!(
        app.count(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'activity_online_set'"
        )
        .await,
        1
    );

    // The browse filter: only activities with an online part.
    let (other_id, _) = app
        .activity(Act {
            title: "线下书法课",
            ..Default::default()
        })
        .await;
    let browse_ids = |v: &Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["activity_id"].as_i64().unwrap())
            .collect()
    };
    let (s, v) = app.get("/api/v1/activities?online=true", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(browse_ids(&v), vec![id]);
    let (_, v) = app.get("/api/v1/activities", None).await;
    assert!(browse_ids(&v).contains(&other_id));

    let (s, list) = app.get("/api/v1/online", None).await;
    assert_eq!(s, 200, "{list}");
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["activity_id"] == id)
        .cloned()
        .expect("listed");
    assert_eq!(item["state"], "upcoming");
    assert_eq!(item["mode"], "hybrid");

    // The clock decides: live from the start, ended after, replay once there is one.
    app.clock().advance(61 * 60);
    let (_, v) = app.get(&path, None).await;
    assert_eq!(v["state"], "live", "{v}");
    let (_, live) = app.get("/api/v1/online?state=live", None).await;
    assert!(live["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["activity_id"] == id));
    let (_, up) = app.get("/api/v1/online?state=upcoming", None).await;
    assert!(!up["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["activity_id"] == id));
    app.clock().advance(90 * 60);
    let (_, v) = app.get(&path, None).await;
    assert_eq!(v["state"], "ended", "{v}");
    let (s, v) = put(
        app,
        &path,
        &admin,
        json!({"mode": "hybrid", "platform": "web", "live_url": "https://live.example.cn/room/7",
               "replay_url": "https://live.example.cn/replay/7"}),
    )
    .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("replay")), "{v}");

    // Channels: the account id, and a replay video by feed id.
    let (s, v) = put(
        app,
        &path,
        &admin,
        json!({"mode": "online", "platform": "channels", "finder_user_name": "sphFutian01",
               "replay_feed_id": "export/UzFfAgtgekIEAQAAAAAA"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["online"]["finder_user_name"], "sphFutian01");
    assert_eq!(v["state"], "replay");

    // Offline again removes it from the list.
    let (s, _) = put(app, &path, &admin, json!({"mode": "offline"})).await;
    assert_eq!(s, 200);
    let (_, list) = app.get("/api/v1/online", None).await;
    assert!(!list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["activity_id"] == id));
    let (s, v) = app.get("/api/v1/online?state=soon", None).await;
    assert_eq!(error_code(s, &v), "validation_failed");
}
both_online!(online_programmes_run, online_programmes);

fn video(unit: i64) -> Value {
    json!({"unit_id": unit, "kind": "video", "title": "粤剧身段入门", "summary": "十分钟学会基本身段",
           "tags": ["粤剧", "戏曲"], "duration_s": 600, "platform": "web",
           "source_url": "https://live.example.cn/v/1"})
}

async fn library_curation(app: &TestApp) {
    let (coord, _) = app
        .staff(
            "o-lib-point",
            Role::PointCoordinator,
            "ft-p-yuanling-hongli",
        )
        .await;
    let (other, _) = app
        .staff("o-lib-other", Role::BranchStaff, "ft-b-lianhua")
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let branch = app.unit_id("ft-b-yuanling").await;
    let lianhua = app.unit_id("ft-b-lianhua").await;

    // Bad input changes nothing.
    let mut bad_domain = video(point);
    bad_domain["source_url"] = json!("https://video.elsewhere.cn/1");
    let mut bad_kind = video(point);
    bad_kind["kind"] = json!("podcast");
    let mut no_text = video(point);
    no_text["kind"] = json!("article");
    no_text["platform"] = json!("none");
    for (body, code) in [
        (bad_domain, "domain_not_allowed"),
        (bad_kind, "validation_failed"),
        (no_text, "validation_failed"),
    ] {
        let (s, v) = app.post("/api/v1/manage/library", Some(&coord), body).await;
        assert_eq!(error_code(s, &v), code, "{v}");
    }
    // Outside one's unit.
    let (s, v) = app
        .post("/api/v1/manage/library", Some(&coord), video(branch))
        .await;
    assert_eq!(error_code(s, &v), "forbidden", "{v}");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM library_resources")
            .await,
        0
    );

    let (s, v) = app
        .post("/api/v1/manage/library", Some(&coord), video(point))
        .await;
    assert_eq!(s, 200, "{v}");
    let vid = v["id"].as_i64().unwrap();
    assert_eq!(
        (v["published"].as_bool(), v["kind_label"].as_str()),
        (Some(false), Some("视频"))
    );
    let (s, v) = app
        .post(
            "/api/v1/manage/library",
            Some(&coord),
            json!({"unit_id": point, "kind": "article", "title": "红荔社区的非遗故事", "platform": "none",
                   "body": "很久以前……", "tags": ["非遗"], "published": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let art = v["id"].as_i64().unwrap();

    // Residents see only what is published.
    let (_, list) = app.get("/api/v1/library", None).await;
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![art]);
    let (s, v) = app.get(&format!("/api/v1/library/{vid}"), None).await;
    assert_eq!(error_code(s, &v), "not_found");
    let (s, _) = app
        .get(&format!("/api/v1/library/{vid}"), Some(&coord))
        .await;
    assert_eq!(s, 200, "the curator previews it");

    // Publish and feature: featured first.
    let (s, v) = patch(
        app,
        &format!("/api/v1/manage/library/{vid}"),
        &coord,
        json!({"published": true, "featured": true}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["published_at"].is_string());
    let (s, v) = patch(
        app,
        &format!("/api/v1/manage/library/{vid}"),
        &other,
        json!({"featured": false}),
    )
    .await;
    assert_eq!(error_code(s, &v), "forbidden", "{v}");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'library_resource_published'")
            .await,
        1
    );

    let ids = |v: &Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    };
    let (_, v) = app.get("/api/v1/library", None).await;
    assert_eq!(ids(&v), vec![vid, art]);
    let (_, v) = app.get("/api/v1/library?kind=article", None).await;
    assert_eq!(ids(&v), vec![art]);
    let (_, v) = app
        .get(&format!("/api/v1/library?unit_id={branch}"), None)
        .await;
    assert_eq!(ids(&v).len(), 2, "a branch shows its points' resources");
    let (_, v) = app
        .get(&format!("/api/v1/library?unit_id={lianhua}"), None)
        .await;
    assert!(ids(&v).is_empty());
    let (_, v) = app
        .get("/api/v1/library?tag=%E7%B2%A4%E5%89%A7", None)
        .await;
    assert_eq!(ids(&v), vec![vid], "tag 粤剧");
    let (_, v) = app.get("/api/v1/library?tag=%E7%B2%A4", None).await;
    assert!(ids(&v).is_empty(), "a tag matches whole");
    let (_, v) = app.get("/api/v1/library?q=%E9%9D%9E%E9%81%97", None).await;
    assert_eq!(ids(&v), vec![art], "text 非遗");
    let (_, v) = app.get("/api/v1/library?q=%25", None).await;
    assert!(ids(&v).is_empty(), "% is literal");
    let (s, v) = app.get("/api/v1/library?kind=podcast", None).await;
    assert_eq!(error_code(s, &v), "validation_failed");

    // Staff lists: unpublished included, within scope only.
    let (s, v) = app
        .get(
            &format!("/api/v1/manage/library?unit_id={point}"),
            Some(&coord),
        )
        .await;
    assert_eq!((s, ids(&v).len()), (200, 2), "{v}");
    let (s, v) = app
        .get(
            &format!("/api/v1/manage/library?unit_id={point}"),
            Some(&other),
        )
        .await;
    assert_eq!(error_code(s, &v), "forbidden");
    let (s, v) = app.get("/api/v1/manage/library", Some(&other)).await;
    assert_eq!((s, ids(&v).len()), (200, 0), "{v}");

    // Views: once per person per China day.
    let (r1, _) = app.sign_in("o-lib-res1").await;
    let (r2, _) = app.sign_in("o-lib-res2").await;
    let view = format!("/api/v1/library/{vid}/view");
    let (s, v) = app.post(&view, Some(&r1), json!({})).await;
    assert_eq!(
        (s, v["counted"].as_bool(), v["views"].as_i64()),
        (200, Some(true), Some(1)),
        "{v}"
    );
    let (_, v) = app.post(&view, Some(&r1), json!({})).await;
    assert_eq!(
        (v["counted"].as_bool(), v["views"].as_i64()),
        (Some(false), Some(1))
    );
    let (_, v) = app.post(&view, Some(&r2), json!({})).await;
    assert_eq!(v["views"], 2);
    app.clock().advance(24 * 3600);
    let (_, v) = app.post(&view, Some(&r1), json!({})).await;
    assert_eq!(v["views"], 3, "a new day counts again");
    let (s, v) = app.post(&view, None, json!({})).await;
    assert_eq!(error_code(s, &v), "unauthenticated");

    // Ratings: one per person, changed in place; averages follow.
    let rate = format!("/api/v1/library/{vid}/rating");
    let (s, v) = put(app, &rate, &r1, json!({"score": 4, "comment": "讲得清楚"})).await;
    assert_eq!(
        (s, v["comment_status"].as_str()),
        (200, Some("published")),
        "{v}"
    );
    let (_, v) = put(app, &rate, &r1, json!({"score": 2})).await;
    assert_eq!(
        (v["rating_count"].as_i64(), v["rating_average"].as_f64()),
        (Some(1), Some(2.0))
    );
    let (_, v) = put(
        app,
        &rate,
        &r2,
        json!({"score": 5, "comment": "[review] 看看"}),
    )
    .await;
    assert_eq!(v["comment_status"], "held");
    assert_eq!(
        (v["rating_count"].as_i64(), v["rating_average"].as_f64()),
        (Some(2), Some(3.5))
    );
    for body in [json!({"score": 0}), json!({"score": 6})] {
        let (s, v) = put(app, &rate, &r1, body).await;
        assert_eq!(error_code(s, &v), "validation_failed");
    }
    let (s, v) = put(
        app,
        "/api/v1/library/999999/rating",
        &r1,
        json!({"score": 3}),
    )
    .await;
    assert_eq!(error_code(s, &v), "not_found");
    let (_, d) = app.get(&format!("/api/v1/library/{vid}"), Some(&r1)).await;
    assert_eq!(
        (d["my_score"].as_i64(), d["views"].as_i64()),
        (Some(2), Some(3)),
        "{d}"
    );
    assert!(
        d["comments"].as_array().unwrap().is_empty(),
        "no comment left, the held one hidden: {d}"
    );

    // Withdrawn: gone for residents, views and ratings refused.
    let (s, _) = patch(
        app,
        &format!("/api/v1/manage/library/{vid}"),
        &coord,
        json!({"published": false}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = app.post(&view, Some(&r1), json!({})).await;
    assert_eq!(error_code(s, &v), "not_found");
    let (s, v) = put(app, &rate, &r1, json!({"score": 3})).await;
    assert_eq!(error_code(s, &v), "not_found");

    // The person's export lists their library data; erasure clears comments and views.
    let (_, export) = app.get("/api/v1/me/export", Some(&r2)).await;
    assert_eq!(export["library"]["ratings"][0]["score"], 5, "{export}");
    assert_eq!(export["library"]["viewed"].as_array().unwrap().len(), 1);
    let (s, v) = app.call("DELETE", "/api/v1/me", Some(&r2), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM library_ratings WHERE comment <> ''")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM library_views")
            .await,
        2,
        "only the first resident's two days remain"
    );
}
both_online!(library_curation_run, library_curation);

/// Simultaneous opens by one person on one day count once, on both databases.
async fn concurrent_views(app: &TestApp) {
    let (coord, _) = app
        .staff("o-lib-race", Role::PointCoordinator, "ft-p-yuanling-hongli")
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let mut body = video(point);
    body["published"] = json!(true);
    let (s, v) = app.post("/api/v1/manage/library", Some(&coord), body).await;
    assert_eq!(s, 200, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (token, _) = app.sign_in("o-lib-racer").await;
    let token = Arc::new(token);
    let app_url = app.url.clone();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let token = token.clone();
        let url = format!("{app_url}/api/v1/library/{id}/view");
        let http = app.http.clone();
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(token.as_str())
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let v: Value = r.json().await.unwrap();
            (status, v["counted"].as_bool() == Some(true))
        }));
    }
    let mut counted = 0;
    for t in tasks {
        let (s, c) = t.await.unwrap();
        assert_eq!(s, 200);
        counted += c as usize;
    }
    assert_eq!(counted, 1);
    let views: i64 = sqlx::query_scalar("SELECT views FROM library_resources WHERE id = $1")
        .bind(id)
        .fetch_one(app.state().db.pool())
        .await
        .unwrap();
    assert_eq!(views, 1);
}
both_online!(concurrent_views_run, concurrent_views);
