//! 举报: residents report public comments and demands; staff of the item's unit uphold (the item
//! is hidden) or dismiss; reporters learn the outcome in 我的消息. SQLite and PostgreSQL + Redis.

use culturehub::access::Role;
use culturehub_tests::{both, error_code, Act, TestApp};
use serde_json::{json, Value};

const POINT: &str = "ft-p-yuanling-hongli";

/// A published comment on a session at POINT, by `who`. Returns (rating id, activity id).
async fn published_comment(app: &TestApp, who: &str) -> (i64, i64) {
    let (activity, session) = app
        .activity(Act {
            starts_in_min: 30,
            place: POINT,
            organizer: "ft-b-yuanling",
            title: "举报测试讲座",
            capacity: Some(20),
            ..Act::default()
        })
        .await;
    let (t, _) = app.sign_in(who).await;
    app.fake().mark_seen(who);
    let (s, b) = app.book(&t, session, json!({})).await;
    assert_eq!(s, 200, "{b}");
    let booking = b["id"].as_i64().unwrap();
    let (admin, _) = app.staff("o-rep-admin", Role::CenterAdmin, "ft-main").await;
    let (s, v) = app
        .post(
            &format!("/api/v1/sessions/{session}/checkin/manual"),
            Some(&admin),
            json!({"booking_id": booking}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, r) = app
        .post(
            "/api/v1/ratings",
            Some(&t),
            json!({"booking_id": booking, "score": 1, "comment": "垃圾活动，组织者都是骗子"}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["comment_status"], "published");
    (r["id"].as_i64().unwrap(), activity)
}

/// A published demand at POINT, written straight into the database (posting has its own tests).
async fn demand(app: &TestApp, poster: i64, text: &str) -> i64 {
    let (unit, path) = app.unit_ref(POINT).await;
    let db = app.state().db.clone();
    let mut tx = db.begin().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO demands (user_id, kind, unit_id, unit_path, description, visibility, created_at, updated_at) \
         VALUES ($1, 'lecture', $2, $3, $4, 'published', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z') RETURNING id",
    )
    .bind(poster)
    .bind(unit)
    .bind(path)
    .bind(text)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn report(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    app.post("/api/v1/reports", Some(token), body).await
}

async fn reports_count(app: &TestApp) -> i64 {
    app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM content_reports")
        .await
}

async fn messages(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, v) = app.get("/api/v1/me/messages", Some(token)).await;
    assert_eq!(s, 200, "{v}");
    v["items"]
        .as_array()
        .or_else(|| v.as_array())
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m["kind"] == "report_outcome")
        .collect()
}

async fn report_and_moderate(app: &TestApp) {
    let (rating, activity) = published_comment(app, "o-rep-author").await;
    let (_, author_id) = app.sign_in("o-rep-demander").await;
    let dem = demand(app, author_id, "希望开设广场舞班").await;
    let (author, _) = app.sign_in("o-rep-author").await;
    let (r1, _) = app.sign_in("o-rep-1").await;
    let (r2, _) = app.sign_in("o-rep-2").await;

    // The reasons are public, with Chinese labels.
    let (s, reasons) = app.get("/api/v1/reports/reasons", None).await;
    assert_eq!(s, 200);
    assert!(reasons["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "abuse" && r["label"] == "辱骂攻击"));

    // Bad input changes nothing: unknown kind or reason, "other" without words, too many
    // words, one's own text, a missing item.
    for (body, code) in [
        (
            json!({"target_kind": "booking", "target_id": rating, "reason": "abuse"}),
            "validation_failed",
        ),
        (
            json!({"target_kind": "rating", "target_id": rating, "reason": "boring"}),
            "validation_failed",
        ),
        (
            json!({"target_kind": "rating", "target_id": rating, "reason": "other"}),
            "validation_failed",
        ),
        (
            json!({"target_kind": "rating", "target_id": rating, "reason": "abuse", "detail": "长".repeat(201)}),
            "validation_failed",
        ),
        (
            json!({"target_kind": "rating", "target_id": rating + 1000, "reason": "abuse"}),
            "not_found",
        ),
    ] {
        let (s, v) = report(app, &r1, body.clone()).await;
        assert_eq!(error_code(s, &v), code, "{body}");
    }
    let (s, v) = report(
        app,
        &author,
        json!({"target_kind": "rating", "target_id": rating, "reason": "abuse"}),
    )
    .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, _) = app
        .post(
            "/api/v1/reports",
            None,
            json!({"target_kind": "rating", "target_id": rating, "reason": "abuse"}),
        )
        .await;
    assert_eq!(s, 401);
    assert_eq!(reports_count(app).await, 0);

    // Two people report the comment; the same person cannot report it twice.
    let (s, v) = report(
        app,
        &r1,
        json!({"target_kind": "rating", "target_id": rating, "reason": "abuse"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = report(
        app,
        &r1,
        json!({"target_kind": "rating", "target_id": rating, "reason": "fraud"}),
    )
    .await;
    assert_eq!(error_code(s, &v), "already_reported");
    let (s, v) = report(
        app,
        &r2,
        json!({"target_kind": "rating", "target_id": rating, "reason": "other", "detail": "造谣，电话13812345678"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(reports_count(app).await, 2);

    // One report per person even when the same person taps eight times at once.
    let (r3, _) = app.sign_in("o-rep-3").await;
    let body = json!({"target_kind": "demand", "target_id": dem, "reason": "ads"});
    let tries = (0..8).map(|_| report(app, &r3, body.clone()));
    let results = futures_util::future::join_all(tries).await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(ok, 1, "{results:?}");
    for (s, v) in results.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(error_code(*s, v), "already_reported");
    }
    assert_eq!(reports_count(app).await, 3);

    // The queue is scoped: the branch and its point see both items (the comment, reported
    // twice, first); another branch sees nothing and cannot decide.
    let (branch, _) = app
        .staff("o-rep-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (point, _) = app
        .staff("o-rep-point", Role::PointCoordinator, POINT)
        .await;
    let (other, _) = app
        .staff("o-rep-other", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (volunteer, _) = app.staff("o-rep-vol", Role::Volunteer, POINT).await;
    for t in [&branch, &point] {
        let (s, q) = app.get("/api/v1/reports", Some(t)).await;
        assert_eq!(s, 200, "{q}");
        let items = q["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{q}");
        assert_eq!(items[0]["target_kind"], "rating");
        assert_eq!(items[0]["target_id"], rating);
        assert_eq!(items[0]["reports"], 2);
        assert_eq!(items[0]["public"], true);
        assert_eq!(items[0]["context"], "举报测试讲座");
        // The reporter's words are shown with phone-like digits masked.
        let details = items[0]["details"].as_array().unwrap();
        assert_eq!(details.len(), 1);
        assert!(!details[0].as_str().unwrap().contains("13812345678"), "{q}");
        assert_eq!(items[1]["target_kind"], "demand");
    }
    let (s, q) = app.get("/api/v1/reports", Some(&other)).await;
    assert_eq!(s, 200);
    assert_eq!(q["items"].as_array().unwrap().len(), 0, "{q}");
    let (a_branch, _) = app.unit_ref("ft-b-yuanling").await;
    let (s, _) = app
        .get(&format!("/api/v1/reports?unit_id={a_branch}"), Some(&other))
        .await;
    assert_eq!(s, 403);
    let (s, _) = app.get("/api/v1/reports", Some(&volunteer)).await;
    assert_eq!(s, 403);
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/rating/{rating}/decide"),
            Some(&other),
            json!({"decision": "uphold"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "forbidden");
    // A bad decision changes nothing either.
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/rating/{rating}/decide"),
            Some(&branch),
            json!({"decision": "hide"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/booking/{rating}/decide"),
            Some(&branch),
            json!({"decision": "uphold"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "validation_failed");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM content_reports WHERE status = 'open'")
            .await,
        3
    );
    let (_, public) = app
        .get(&format!("/api/v1/activities/{activity}/ratings"), None)
        .await;
    assert_eq!(public["items"].as_array().unwrap().len(), 1);

    // Upholding hides the comment, closes both reports, tells both reporters, is audited.
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/rating/{rating}/decide"),
            Some(&point),
            json!({"decision": "uphold", "note": "人身攻击"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["reports"], 2);
    let (_, public) = app
        .get(&format!("/api/v1/activities/{activity}/ratings"), None)
        .await;
    assert_eq!(public["items"].as_array().unwrap().len(), 0, "{public}");
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM ratings WHERE id = {rating} AND comment_status = 'rejected'"
        ))
        .await,
        1
    );
    for t in [&r1, &r2] {
        let m = messages(app, t).await;
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0]["body"].as_str().unwrap().contains("已被隐藏"), "{m:?}");
    }
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'report_decided' AND target = 'rating {rating}'"
        ))
        .await,
        1
    );
    // Decided once: a second decision finds nothing open; the hidden comment cannot be reported.
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/rating/{rating}/decide"),
            Some(&branch),
            json!({"decision": "dismiss"}),
        )
        .await;
    assert_eq!(error_code(s, &v), "no_open_reports");
    let (s, v) = report(
        app,
        &r3,
        json!({"target_kind": "rating", "target_id": rating, "reason": "abuse"}),
    )
    .await;
    assert_eq!(error_code(s, &v), "not_found");

    // Dismissing keeps the demand public and tells the reporter.
    let (s, v) = app
        .post(
            &format!("/api/v1/reports/demand/{dem}/decide"),
            Some(&branch),
            json!({"decision": "dismiss"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, d) = app.get(&format!("/api/v1/demands/{dem}"), None).await;
    assert_eq!(d["visibility"], "published", "{d}");
    let m = messages(app, &r3).await;
    assert_eq!(m.len(), 1);
    assert!(m[0]["body"].as_str().unwrap().contains("予以保留"), "{m:?}");
    let (_, q) = app.get("/api/v1/reports", Some(&branch)).await;
    assert_eq!(q["items"].as_array().unwrap().len(), 0, "{q}");

    // My reports are in my data export; deleting my account removes my words.
    let (s, e) = app.get("/api/v1/me/export", Some(&r2)).await;
    assert_eq!(s, 200, "{e}");
    let mine = e["reports"].as_array().unwrap();
    assert_eq!(mine.len(), 1, "{e}");
    assert_eq!(mine[0]["status"], "upheld");
    let (s, v) = app.call("DELETE", "/api/v1/me", Some(&r2), None).await;
    assert!(s == 200 || s == 204, "{s} {v}");
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM content_reports WHERE detail <> ''")
            .await,
        0
    );
}

both!(reports, report_and_moderate);

async fn report_rate_limit(app: &TestApp) {
    let (_, poster) = app.sign_in("o-rl-poster").await;
    let mut items = Vec::new();
    for i in 0..11 {
        items.push(demand(app, poster, &format!("需求 {i}")).await);
    }
    let (t, _) = app.sign_in("o-rl-reporter").await;
    for id in &items[..10] {
        let (s, v) = report(
            app,
            &t,
            json!({"target_kind": "demand", "target_id": id, "reason": "ads"}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, v) = report(
        app,
        &t,
        json!({"target_kind": "demand", "target_id": items[10], "reason": "ads"}),
    )
    .await;
    assert_eq!(error_code(s, &v), "rate_limited");
    assert_eq!(reports_count(app).await, 10);
    // An hour later the next report goes through.
    app.clock().advance(3601);
    let (s, v) = report(
        app,
        &t,
        json!({"target_kind": "demand", "target_id": items[10], "reason": "ads"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

both!(rate_limit, report_rate_limit);
