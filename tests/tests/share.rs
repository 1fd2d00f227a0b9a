//! Share posters and English error messages, on SQLite and on PostgreSQL + Redis.

use culturehub::access::Role;
use culturehub_tests::{at, both, Act, TestApp};
use serde_json::{json, Value};

async fn posters(app: &TestApp) {
    let (activity, _) = app
        .activity(Act {
            title: "梅花香自苦寒来",
            ..Act::default()
        })
        .await;
    // Public: no credential needed.
    let (s, h, png) = app
        .fetch(&format!("/api/v1/activities/{activity}/poster.png"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(h["content-type"], "image/png");
    let img = image::load_from_memory(&png).unwrap();
    assert_eq!((img.width(), img.height()), (750, 1334));

    // A draft has no poster, not even for its organiser.
    let branch = app.unit_id("ft-b-yuanling").await;
    let (staff, _) = app
        .staff("o-poster-drafter", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (s, d) = app
        .post(
            "/api/v1/activities",
            Some(&staff),
            json!({"title": "草稿海报", "kind": "lecture", "organizer_unit_id": branch, "booking_mode": "fcfs",
                "sessions": [{"unit_id": branch, "starts_at": at(app, 600), "ends_at": at(app, 700), "capacity": 3}]}),
        )
        .await;
    assert!(s == 200 || s == 201, "{s} {d}");
    for token in [None, Some(staff.as_str())] {
        let (s, v) = app
            .get(&format!("/api/v1/activities/{}/poster.png", d["id"]), token)
            .await;
        assert_eq!(s, 404, "{v}");
        assert_eq!(v["error"]["code"], "not_found");
    }
    // A cancelled activity is not advertised either.
    let (admin, _) = app
        .staff("o-poster-admin", Role::CenterAdmin, "ft-main")
        .await;
    let (s, v) = app
        .post(
            &format!("/api/v1/activities/{activity}/cancel"),
            Some(&admin),
            json!({"reason": "场地维修"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        app.get(&format!("/api/v1/activities/{activity}/poster.png"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        app.get("/api/v1/activities/999999/poster.png", None)
            .await
            .0,
        404
    );

    // Units: the same poster, a different code.
    let (s, h, unit_png) = app
        .fetch(&format!("/api/v1/org/units/{branch}/poster.png"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(h["content-type"], "image/png");
    assert_ne!(unit_png, png);
    assert_eq!(
        app.get("/api/v1/org/units/999999/poster.png", None).await.0,
        404
    );
}
both!(share_posters, posters);

async fn get_in(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut req = app.http.get(format!("{}{}", app.url, path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

async fn english_errors(app: &TestApp) {
    let path = "/api/v1/activities/999999";
    let (s, zh) = get_in(app, path, &[]).await;
    assert_eq!(s, 404);
    assert_eq!(zh["error"]["message"], "该活动不存在");
    for h in [
        [("x-culturehub-lang", "en")],
        [("accept-language", "en-GB,en;q=0.9,zh-CN;q=0.5")],
    ] {
        let (s, en) = get_in(app, path, &h).await;
        assert_eq!(s, 404);
        assert_eq!(en["error"]["code"], zh["error"]["code"]);
        assert_eq!(en["error"]["message"], "It does not exist.");
    }
    // Errors poem produces itself, and an unsigned write, follow the language too.
    let (s, v) = get_in(app, "/api/v1/nowhere", &[("x-culturehub-lang", "en")]).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (404, Some("route_not_found"))
    );
    assert_eq!(v["error"]["message"], "This interface does not exist.");
    let (s, v) = get_in(app, "/api/v1/me", &[("x-culturehub-lang", "en")]).await;
    assert_eq!(s, 401);
    assert_eq!(v["error"]["message"], "Please sign in first.");
    // The app's own choice wins over the phone's Accept-Language.
    let (_, v) = get_in(
        app,
        path,
        &[("x-culturehub-lang", "zh"), ("accept-language", "en")],
    )
    .await;
    assert_eq!(v["error"]["message"], "该活动不存在");
}
both!(english_error_messages, english_errors);
