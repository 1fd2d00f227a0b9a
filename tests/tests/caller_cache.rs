//! The in-process session → caller cache (issue 18, D210): two instances on one database; a
//! logout, a revoked role and a deleted account made on the first stop working on the second
//! within 100 ms, although the second answers signed-in requests from memory.

use culturehub::access::Role;
use culturehub_tests::{both, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const WITHIN: Duration = Duration::from_millis(100);

async fn send(http: &reqwest::Client, url: &str, method: &str, path: &str, token: &str) -> u16 {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    http.request(m, format!("{url}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

/// Asks `path` on `url` until it answers `want`; returns how long that took from `since`.
async fn until(
    http: &reqwest::Client,
    url: &str,
    path: &str,
    token: &str,
    want: u16,
    since: Instant,
) -> Duration {
    loop {
        let s = send(http, url, "GET", path, token).await;
        if s == want {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < Duration::from_secs(3),
            "{path} still {s} after 3 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn revocations_reach_other_instance(app: &TestApp) {
    let other = app.instance(|_| {}).await;
    let b = other.url();
    let http = reqwest::Client::new();
    let (admin, _) = app.staff("o-admin", Role::CenterAdmin, "ft-main").await;
    let branch = app.unit_id("ft-b-yuanling").await;

    // A role granted through the API on A; B learns of the new grant too.
    let (staff, staff_id) = app.sign_in("o-staff").await;
    assert_eq!(
        send(&http, &b, "GET", "/api/v1/feedback", &staff).await,
        403
    );
    let (s, v): (u16, Value) = app
        .post(
            "/api/v1/admin/grants",
            Some(&admin),
            json!({"user_id": staff_id, "role": "branch_staff", "unit_id": branch}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let grant = v["grant_id"].as_i64().unwrap();
    let granted_in = until(&http, &b, "/api/v1/feedback", &staff, 200, Instant::now()).await;
    assert!(granted_in < WITHIN, "grant reached B after {granted_in:?}");

    // Warm B's cache for the three people, and check that B answers from it.
    let (resident, _) = app.sign_in("o-resident").await;
    let (leaver, _) = app.sign_in("o-leaver").await;
    for _ in 0..3 {
        assert_eq!(
            send(&http, &b, "GET", "/api/v1/feedback", &staff).await,
            200
        );
        assert_eq!(send(&http, &b, "GET", "/api/v1/me", &resident).await, 200);
        assert_eq!(send(&http, &b, "GET", "/api/v1/me", &leaver).await, 200);
    }
    let (hits, _) = other.state.callers.stats();
    assert!(
        hits >= 6,
        "B serves signed-in requests from memory ({hits} hits)"
    );

    // A revoked role: A refuses at once, B within 100 ms. The clock starts when A answers the
    // write (it has committed by then): the 100 ms are about reaching B, not about how long the
    // write itself takes on a loaded machine. A and B are asked at once.
    let s = send(
        &http,
        &app.url,
        "DELETE",
        &format!("/api/v1/admin/grants/{grant}"),
        &admin,
    )
    .await;
    assert_eq!(s, 200);
    let t = Instant::now();
    let (took, on_a) = tokio::join!(
        until(&http, &b, "/api/v1/feedback", &staff, 403, t),
        send(&http, &app.url, "GET", "/api/v1/feedback", &staff),
    );
    assert_eq!(on_a, 403, "A refuses at once");
    assert!(
        took < WITHIN,
        "revoked role still worked on B after {took:?}"
    );

    // A logout.
    assert_eq!(
        send(&http, &app.url, "POST", "/api/v1/auth/logout", &resident).await,
        200
    );
    let t = Instant::now();
    let (took, on_a) = tokio::join!(
        until(&http, &b, "/api/v1/me", &resident, 401, t),
        send(&http, &app.url, "GET", "/api/v1/me", &resident),
    );
    assert_eq!(on_a, 401, "A refuses at once");
    assert!(
        took < WITHIN,
        "logged-out session still worked on B after {took:?}"
    );

    // A deleted account.
    assert_eq!(
        send(&http, &app.url, "DELETE", "/api/v1/me", &leaver).await,
        200
    );
    let t = Instant::now();
    let (took, on_a) = tokio::join!(
        until(&http, &b, "/api/v1/me", &leaver, 401, t),
        send(&http, &app.url, "GET", "/api/v1/me", &leaver),
    );
    assert_eq!(on_a, 401, "A refuses at once");
    assert!(
        took < WITHIN,
        "deleted account still worked on B after {took:?}"
    );

    // A change written by something other than the service (an operator's SQL) is seen too:
    // the feed comes from triggers, not from the handlers.
    let (other_staff, other_id) = app
        .staff("o-staff-2", Role::BranchStaff, "ft-b-yuanling")
        .await;
    for _ in 0..2 {
        assert_eq!(
            send(&http, &b, "GET", "/api/v1/feedback", &other_staff).await,
            200
        );
    }
    let t = Instant::now();
    sqlx::query("UPDATE role_grants SET revoked_at = $1 WHERE user_id = $2")
        .bind(app.state().now())
        .bind(other_id)
        .execute(app.state().db.writer())
        .await
        .unwrap();
    // Both instances are watched at once: asking A only after B had answered would charge A
    // with B's wait (a CI run failed that way at 124 ms although neither instance was late).
    let (on_b, on_a) = tokio::join!(
        until(&http, &b, "/api/v1/feedback", &other_staff, 403, t),
        until(&http, &app.url, "/api/v1/feedback", &other_staff, 403, t),
    );
    assert!(
        on_b < WITHIN,
        "SQL revocation still worked on B after {on_b:?}"
    );
    assert!(
        on_a < WITHIN,
        "SQL revocation still worked on A after {on_a:?}"
    );

    // A unit moved to another branch on A: B answers scope checks from its cached unit paths,
    // and the move (a path change, fed as `*`) reaches them too.
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let nanyuan = app.unit_id("ft-b-nanyuan").await;
    let (yuanling_staff, _) = app
        .staff("o-yuanling", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let inbox = format!("/api/v1/feedback?unit_id={point}");
    for _ in 0..2 {
        assert_eq!(send(&http, &b, "GET", &inbox, &yuanling_staff).await, 200);
    }
    let (s, v): (u16, Value) = app
        .post(
            &format!("/api/v1/org/units/{point}/move"),
            Some(&admin),
            json!({"parent_id": nanyuan}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let t = Instant::now();
    let took = until(&http, &b, &inbox, &yuanling_staff, 403, t).await;
    assert!(
        took < WITHIN,
        "the moved point was still in 园岭's scope on B after {took:?}"
    );
    other.shutdown().await;
}

both!(revocation, revocations_reach_other_instance);
