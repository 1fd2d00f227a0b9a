//! Permission matrix over every operation of the API (see `culturehub_tests::matrix`).

use culturehub_tests::matrix::{self, Case, Req, Side, Who, World};
use culturehub_tests::{both, TestApp};
use serde_json::json;
use std::future::Future;
use std::pin::Pin;

type Fut<'a> = Pin<Box<dyn Future<Output = Req> + Send + 'a>>;

/// Operations anyone may call, signed in or not.
const PUBLIC: &[&str] = &[
    "org_tree",
    "org_units",
    "org_nearest",
    "org_unit",
    "org_unit_poster",
    "org_naming",
    "unit_rooms",
    "unit_rooms_busy",
    "unit_teams",
    "team_page",
    "auth_wechat",
    "auth_dev",
    "activities_browse",
    "activity_get",
    "activity_lottery",
    "activity_poster",
    "activity_ratings",
    "demand_list",
    "demand_get",
    "menu_items",
    "report_reasons",
    "console_login_code_create",
    "console_login_code_qr",
    "console_login_code_status",
    "console_dev_login",
    "console_dev_accounts",
    "online_list",
    "activity_online_get",
    "library_list",
    "library_get",
    // Open data and the personal calendar link (a token instead of a credential).
    "open_units",
    "open_activities",
    "calendar_feed",
    "volunteer_roles",
    "volunteer_opportunities",
    "volunteer_opportunity",
    "volunteer_certificate_verify",
    "volunteer_teams",
    "activity_supporters",
];
/// Operations on one's own account: any signed-in person, 401 when anonymous.
const SELF: &[&str] = &[
    "training_record_mine",
    "auth_logout",
    "me_get",
    "me_update",
    "me_phone",
    "me_export",
    "me_delete",
    "invitation_redeem",
    "booking_create",
    "booking_cancel",
    "booking_get",
    "my_messages",
    "my_messages_read",
    "report_create",
    "booking_transfer_create",
    "booking_transfer_revoke",
    "transfer_get",
    "transfer_accept",
    "my_bookings",
    "my_no_shows",
    "family_list",
    "family_add",
    "family_remove",
    "subscriptions_record",
    "booking_ticket",
    "booking_attendance",
    "checkin_self",
    "volunteer_apply",
    "my_volunteering",
    "rating_create",
    "rating_update",
    "demand_create",
    "demand_support",
    "my_demands",
    "menu_vote",
    // The console's own session (cookie), and confirming a code one scanned oneself.
    "console_session",
    "console_logout",
    "console_login_code_confirm",
    // Art teams: a resident's own teams; leader-only steps are checked by ownership
    // (`not_team_leader`), as bookings are (tests/teams.rs).
    "team_register",
    "my_teams",
    "team_update",
    "team_join",
    "team_reset_code",
    "team_hand_over",
    "team_leave",
    "team_set_recruiting",
    "team_request_join",
    "team_join_requests",
    "team_join_request_decide",
    "team_members",
    // Room bookings: one's own, or those of a team one leads (checked in the handlers).
    "room_booking_create",
    "my_room_bookings",
    "room_booking_cancel",
    "room_booking_checkin",
    // The resource library: counting one's own view, one's own rating.
    "library_view",
    "library_rate",
    // One's own calendar link.
    "me_calendar",
    "me_calendar_reset",
    // A provider's own record, offerings and orders: checked by ownership
    // (`access::check_provider`; tests/procurement.rs shows one provider never sees another's).
    "provider_register",
    "provider_me",
    "provider_offering_create",
    "provider_offerings",
    "provider_orders",
    "provider_order_accept",
    "provider_order_propose",
    // Volunteering (issue 16): one's own sign-ups, profile, certificate, team applications
    // (withdrawing another's sign-up is `not_found`, tests/volunteering.rs).
    "shift_signup",
    "shift_signup_withdraw",
    "my_shifts",
    "volunteer_profile_get",
    "volunteer_profile_save",
    "my_volunteer_certificate",
    "volunteer_team_apply",
    "my_volunteer_teams",
];

use Who::*;
const UNIT_EDITORS: &[Who] = &[BranchStaff, CenterStaff, CenterAdmin];
const UNIT_READERS: &[Who] = &[
    PointCoordinator,
    BranchStaff,
    CenterStaff,
    CenterAdmin,
    DistrictSupervisor,
];
const VOLUNTEER_GRANTERS: &[Who] = &[PointCoordinator, BranchStaff, CenterStaff, CenterAdmin];
const ROOT_WRITERS: &[Who] = &[CenterStaff, CenterAdmin];

fn edit_unit<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = w.app.unit_id(w.point(s)).await;
        Req {
            method: "PATCH",
            path: format!("/api/v1/org/units/{id}"),
            body: Some(json!({"opening_hours": "周一至周日 09:00-21:00"})),
        }
    })
}
/// A new service point under `branch_code`, made directly (no permission involved).
async fn fresh_point(w: &World<'_>, branch_code: &str) -> i64 {
    let st = w.app.state();
    let parent_id = w.app.unit_id(branch_code).await;
    let parent = culturehub::org::get_unit(&st.db, parent_id).await.unwrap();
    let naming = culturehub::org::Naming::load(&st.db, &st.settings.naming)
        .await
        .unwrap();
    let x = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let new = culturehub::org::NewUnit {
        parent_id,
        level: None,
        name: format!("福田区文化馆测{x}服务点"),
        short_name: None,
        code: None,
        address: None,
        opening_hours: None,
        phone: None,
        lng: None,
        lat: None,
        host_type: None,
        contracted: None,
    };
    let mut tx = st.db.begin().await.unwrap();
    let id = culturehub::org::create_unit(&mut tx, &parent, &new, &naming, &st.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}
fn create_point<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let parent = w.app.unit_id(w.branch(s)).await;
        let x = &uuid::Uuid::new_v4().simple().to_string()[..8];
        Req {
            method: "POST",
            path: "/api/v1/org/units".into(),
            body: Some(json!({"parent_id": parent, "name": format!("福田区文化馆新{x}服务点")})),
        }
    })
}
fn rename_point<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = fresh_point(w, w.branch(s)).await;
        let x = &uuid::Uuid::new_v4().simple().to_string()[..8];
        Req {
            method: "POST",
            path: format!("/api/v1/org/units/{id}/rename"),
            body: Some(json!({"name": format!("福田区文化馆改{x}服务点")})),
        }
    })
}
fn move_point<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        // From this side's branch to the other side's.
        let id = fresh_point(w, w.branch(s)).await;
        let other = match s {
            Side::Own => Side::Other,
            Side::Other => Side::Own,
        };
        let to = w.app.unit_id(w.branch(other)).await;
        Req {
            method: "POST",
            path: format!("/api/v1/org/units/{id}/move"),
            body: Some(json!({"parent_id": to})),
        }
    })
}
fn close_point<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = fresh_point(w, w.branch(s)).await;
        Req {
            method: "POST",
            path: format!("/api/v1/org/units/{id}/close"),
            body: None,
        }
    })
}
fn staff_list<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/admin/units/{id}/staff"),
            body: None,
        }
    })
}
fn audit_list<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = w.app.unit_id(w.branch(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/admin/units/{id}/audit"),
            body: None,
        }
    })
}
fn invite_volunteer<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = w.app.unit_id(w.point(s)).await;
        Req {
            method: "POST",
            path: "/api/v1/admin/invitations".into(),
            body: Some(json!({"role": "volunteer", "unit_id": id})),
        }
    })
}
fn invite_coordinator<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = w.app.unit_id(w.point(s)).await;
        Req {
            method: "POST",
            path: "/api/v1/admin/invitations".into(),
            body: Some(json!({"role": "point_coordinator", "unit_id": id})),
        }
    })
}
fn invite_branch_staff<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = w.app.unit_id(w.branch(s)).await;
        Req {
            method: "POST",
            path: "/api/v1/admin/invitations".into(),
            body: Some(json!({"role": "branch_staff", "unit_id": id})),
        }
    })
}
fn grant_volunteer<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = w.app.unit_id(w.point(s)).await;
        let user = w.users[&Resident];
        Req {
            method: "POST",
            path: "/api/v1/admin/grants".into(),
            body: Some(json!({"role": "volunteer", "unit_id": id, "user_id": user})),
        }
    })
}
fn revoke_volunteer<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        // A fresh grant for every attempt, so a successful revoke leaves the next one something to do.
        let (_, uid) = w
            .app
            .sign_in(&format!("matrix-revokee-{}", uuid::Uuid::new_v4().simple()))
            .await;
        let gid = w
            .app
            .grant(uid, culturehub::access::Role::Volunteer, w.point(s))
            .await;
        Req {
            method: "DELETE",
            path: format!("/api/v1/admin/grants/{gid}"),
            body: None,
        }
    })
}

const ACTIVITY_MANAGERS: &[Who] = &[PointCoordinator, BranchStaff, CenterStaff, CenterAdmin];
const ACTIVITY_READERS: &[Who] = &[
    PointCoordinator,
    BranchStaff,
    CenterStaff,
    CenterAdmin,
    DistrictSupervisor,
    Evaluator,
];
const ROOT_READERS: &[Who] = &[CenterStaff, CenterAdmin, DistrictSupervisor, Evaluator];

/// A fresh draft activity organised by the point on `s` (a fresh one per attempt, so a
/// successful publish or cancel leaves the next attempt something to act on).
async fn draft(w: &World<'_>, s: Side) -> (i64, i64) {
    let (admin, _) = w.app.sign_in("matrix-maker").await;
    let uid: i64 = sqlx::query_scalar("SELECT id FROM users WHERE openid = 'matrix-maker'")
        .fetch_one(w.app.state().db.pool())
        .await
        .unwrap();
    w.app
        .grant(uid, culturehub::access::Role::CenterAdmin, "ft-main")
        .await;
    let point = w.app.unit_id(w.point(s)).await;
    let body = json!({"title": "矩阵测试", "kind": "lecture", "organizer_unit_id": point, "booking_mode": "fcfs",
        "sessions": [{"unit_id": point, "starts_at": culturehub_tests::at(w.app, 3000), "ends_at": culturehub_tests::at(w.app, 3100), "capacity": 5}]});
    let (st, v) = w.app.post("/api/v1/activities", Some(&admin), body).await;
    assert_eq!(st, 200, "{v}");
    (
        v["id"].as_i64().unwrap(),
        v["sessions"][0]["id"].as_i64().unwrap(),
    )
}

fn create_activity<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        let body = json!({"title": "矩阵新建", "kind": "lecture", "organizer_unit_id": point, "booking_mode": "fcfs",
            "sessions": [{"unit_id": point, "starts_at": culturehub_tests::at(w.app, 3000), "ends_at": culturehub_tests::at(w.app, 3100), "capacity": 5}]});
        Req {
            method: "POST",
            path: "/api/v1/activities".into(),
            body: Some(body),
        }
    })
}
fn update_activity<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (id, _) = draft(w, s).await;
        Req {
            method: "PATCH",
            path: format!("/api/v1/activities/{id}"),
            body: Some(json!({"title": "改名"})),
        }
    })
}
fn publish_activity<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (id, _) = draft(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/activities/{id}/publish"),
            body: Some(json!({})),
        }
    })
}
fn cancel_activity<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (id, _) = draft(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/activities/{id}/cancel"),
            body: Some(json!({"reason": "测试"})),
        }
    })
}
fn update_session<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "PATCH",
            path: format!("/api/v1/sessions/{sid}"),
            body: Some(json!({"capacity": 8})),
        }
    })
}
fn manage_list<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/manage/activities?unit_id={id}"),
            body: None,
        }
    })
}
fn day_list<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/manage/sessions?unit_id={id}"),
            body: None,
        }
    })
}
fn roster<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/sessions/{sid}/bookings"),
            body: None,
        }
    })
}
fn notice_send<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/sessions/{sid}/notices"),
            body: Some(json!({"body": "教室改到三楼"})),
        }
    })
}
fn notices<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/sessions/{sid}/notices"),
            body: None,
        }
    })
}
fn roster_xlsx<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/sessions/{sid}/roster.xlsx"),
            body: None,
        }
    })
}
fn sign_in_sheet<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/sessions/{sid}/sign-in-sheet.xlsx"),
            body: None,
        }
    })
}
fn waive<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        // A real no-show: booked, never checked in, session over.
        let (_, sid) = draft(w, s).await;
        let (token, _) = w
            .app
            .sign_in(&format!("matrix-absent-{}", uuid::Uuid::new_v4().simple()))
            .await;
        let db = w.app.state().db.clone();
        sqlx::query("UPDATE activities SET status = 'published' WHERE id = (SELECT activity_id FROM sessions WHERE id = $1)")
            .bind(sid)
            .execute(db.pool())
            .await
            .unwrap();
        let (st, b) = w.app.book(&token, sid, json!({})).await;
        assert_eq!(st, 200, "{b}");
        sqlx::query("UPDATE sessions SET starts_at = '2020-01-01T00:00:00Z', ends_at = '2020-01-01T01:00:00Z' WHERE id = $1")
            .bind(sid)
            .execute(db.pool())
            .await
            .unwrap();
        Req {
            method: "POST",
            path: format!("/api/v1/bookings/{}/waive-no-show", b["id"]),
            body: Some(json!({"reason": "生病"})),
        }
    })
}

const CHECKIN_MANAGERS: &[Who] = &[PointCoordinator, BranchStaff, CenterStaff, CenterAdmin];

/// A published session on side `s` with one confirmed booking: (session, booking).
async fn booked(w: &World<'_>, s: Side) -> (i64, i64) {
    let (_, sid) = draft(w, s).await;
    let db = w.app.state().db.clone();
    sqlx::query("UPDATE activities SET status = 'published' WHERE id = (SELECT activity_id FROM sessions WHERE id = $1)")
        .bind(sid)
        .execute(db.pool())
        .await
        .unwrap();
    let (token, _) = w
        .app
        .sign_in(&format!("matrix-guest-{}", uuid::Uuid::new_v4().simple()))
        .await;
    let (st, b) = w.app.book(&token, sid, json!({})).await;
    assert_eq!(st, 200, "{b}");
    (sid, b["id"].as_i64().unwrap())
}

/// A live check-in row for a fresh booking on side `s`: (session, check-in id).
async fn checked_in(w: &World<'_>, s: Side) -> (i64, i64, i64) {
    let (sid, bid) = booked(w, s).await;
    let db = w.app.state().db.clone();
    let mut tx = db.begin().await.unwrap();
    let cid: i64 = sqlx::query_scalar(
        "INSERT INTO checkins (booking_id, session_id, source, admitted_at, recorded_at) VALUES ($1, $2, 'staff', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z') RETURNING id",
    )
    .bind(bid)
    .bind(sid)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (sid, bid, cid)
}

fn scan_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "POST",
            path: "/api/v1/checkin/scan".into(),
            body: Some(
                json!({"session_id": sid, "token": "x", "nonce": uuid::Uuid::new_v4().simple().to_string()}),
            ),
        }
    })
}
fn list_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/sessions/{sid}/checkin-list"),
            body: None,
        }
    })
}
fn sync_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/sessions/{sid}/checkin/sync"),
            body: Some(json!({"scans": []})),
        }
    })
}
fn lookup_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/sessions/{sid}/checkin/lookup?name=%E7%8E%8B&phone_last4=1234"),
            body: None,
        }
    })
}
fn manual_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (sid, bid) = booked(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/sessions/{sid}/checkin/manual"),
            body: Some(json!({"booking_id": bid})),
        }
    })
}
fn headcount_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/sessions/{sid}/headcount"),
            body: Some(json!({"count": 3, "nonce": uuid::Uuid::new_v4().simple().to_string()})),
        }
    })
}
fn venue_code_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/sessions/{sid}/venue-code"),
            body: None,
        }
    })
}
fn stats_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/sessions/{sid}/checkin/stats"),
            body: None,
        }
    })
}
fn conflicts_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/sessions/{sid}/checkin/conflicts"),
            body: None,
        }
    })
}
fn resolve_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (sid, bid, cid) = checked_in(w, s).await;
        let db = w.app.state().db.clone();
        let mut tx = db.begin().await.unwrap();
        let kid: i64 = sqlx::query_scalar(
            "INSERT INTO checkin_conflicts (session_id, booking_id, checkin_id, scanned_at, created_at) VALUES ($1,$2,$3,'2026-01-01T00:00:00Z','2026-01-01T00:00:00Z') RETURNING id",
        )
        .bind(sid)
        .bind(bid)
        .bind(cid)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        Req {
            method: "POST",
            path: format!("/api/v1/checkin/conflicts/{kid}/resolve"),
            body: Some(json!({"resolution": "已核实"})),
        }
    })
}
fn undo_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, _, cid) = checked_in(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/checkin/{cid}/undo"),
            body: Some(json!({"reason": "更正"})),
        }
    })
}
fn attendance_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (aid, _) = draft(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/activities/{aid}/attendance"),
            body: None,
        }
    })
}
async fn application(w: &World<'_>, s: Side) -> i64 {
    let (token, _) = w
        .app
        .sign_in(&format!(
            "matrix-applicant-{}",
            uuid::Uuid::new_v4().simple()
        ))
        .await;
    let point = w.app.unit_id(w.point(s)).await;
    let (st, v) = w
        .app
        .post(
            "/api/v1/volunteers/applications",
            Some(&token),
            json!({"unit_id": point}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    sqlx::query_scalar("SELECT MAX(id) FROM volunteer_applications")
        .fetch_one(w.app.state().db.pool())
        .await
        .unwrap()
}
fn applications_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/units/{point}/volunteer-applications"),
            body: None,
        }
    })
}
fn approve_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = application(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/volunteer-applications/{id}/approve"),
            body: Some(json!({})),
        }
    })
}
fn reject_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = application(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/volunteer-applications/{id}/reject"),
            body: Some(json!({})),
        }
    })
}
async fn a_volunteer(w: &World<'_>, s: Side) -> i64 {
    let (_, uid) = w
        .app
        .sign_in(&format!("matrix-helper-{}", uuid::Uuid::new_v4().simple()))
        .await;
    w.app
        .grant(uid, culturehub::access::Role::Volunteer, w.point(s))
        .await;
    uid
}
fn assign_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, sid) = draft(w, s).await;
        let uid = a_volunteer(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/sessions/{sid}/assignments"),
            body: Some(json!({"user_id": uid})),
        }
    })
}
fn assign_day_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        let uid = a_volunteer(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/units/{point}/assignments"),
            body: Some(json!({"user_id": uid, "day": "2026-12-24"})),
        }
    })
}
fn unassign_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_ref(w.point(s)).await;
        let uid = a_volunteer(w, s).await;
        let db = w.app.state().db.clone();
        let mut tx = db.begin().await.unwrap();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO assignments (user_id, unit_id, unit_path, day, created_at) VALUES ($1,$2,$3,'2026-12-24','2026-01-01T00:00:00Z') RETURNING id",
        )
        .bind(uid)
        .bind(point.0)
        .bind(point.1)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        Req {
            method: "DELETE",
            path: format!("/api/v1/assignments/{id}"),
            body: None,
        }
    })
}
fn volunteers_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/units/{point}/volunteers"),
            body: None,
        }
    })
}
fn volunteers_csv_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/units/{point}/volunteers.csv"),
            body: None,
        }
    })
}

const FEEDBACK_READERS: &[Who] = ACTIVITY_READERS;
const REPLIERS: &[Who] = CHECKIN_MANAGERS;
const EXPORTERS: &[Who] = &[
    BranchStaff,
    CenterStaff,
    CenterAdmin,
    DistrictSupervisor,
    Evaluator,
];
const MENU_MANAGERS: &[Who] = &[CenterStaff, CenterAdmin];

async fn exec(w: &World<'_>, sql: &str, binds: &[i64]) -> i64 {
    let db = w.app.state().db.clone();
    let mut tx = db.begin().await.unwrap();
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for b in binds {
        q = q.bind(*b);
    }
    let id = q.fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// A rating on side `s` (comment held when `held`).
async fn rating(w: &World<'_>, s: Side, held: bool) -> i64 {
    let (sid, bid, _) = checked_in(w, s).await;
    let status = if held { "held" } else { "published" };
    exec(
        w,
        &format!(
            "INSERT INTO ratings (booking_id, session_id, activity_id, unit_id, unit_path, kind, user_id, score, comment, comment_status, created_at, updated_at) \
             SELECT b.id, s.id, s.activity_id, s.unit_id, s.unit_path, 'lecture', b.user_id, 3, '还行', '{status}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' \
             FROM bookings b JOIN sessions s ON s.id = $2 WHERE b.id = $1 RETURNING id"
        ),
        &[bid, sid],
    )
    .await
}

/// A demand at the point on side `s`.
async fn demand_at(w: &World<'_>, s: Side, visibility: &str) -> i64 {
    let (point, path) = w.app.unit_ref(w.point(s)).await;
    let uid = w.users[&Resident];
    let db = w.app.state().db.clone();
    let mut tx = db.begin().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO demands (user_id, kind, unit_id, unit_path, description, visibility, created_at, updated_at) \
         VALUES ($1, 'lecture', $2, $3, '希望有讲座', $4, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z') RETURNING id",
    )
    .bind(uid)
    .bind(point)
    .bind(path)
    .bind(visibility)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// A menu order at the point on side `s`, in `status`.
async fn order_at(w: &World<'_>, s: Side, status: &str) -> i64 {
    let (point, path) = w.app.unit_ref(w.point(s)).await;
    let db = w.app.state().db.clone();
    let mut tx = db.begin().await.unwrap();
    let item: i64 = sqlx::query_scalar(
        "INSERT INTO menu_items (title, kind, quota, period_start, period_end, created_at) VALUES ('讲座', 'lecture', 1000, '2000-01-01', '2100-12-31', '2026-01-01T00:00:00Z') RETURNING id",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO menu_orders (menu_item_id, unit_id, unit_path, requested_date, status, created_at) VALUES ($1, $2, $3, '2027-01-01', $4, '2026-01-01T00:00:00Z') RETURNING id",
    )
    .bind(item)
    .bind(point)
    .bind(path)
    .bind(status)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

fn get_with_point<'a>(w: &'a World<'a>, s: Side, path: &'static str) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("{path}?unit_id={point}"),
            body: None,
        }
    })
}
fn inbox_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/feedback")
}
fn counts_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/feedback/counts")
}
fn export_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/feedback/export.csv")
}
fn manage_demands_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/manage/demands")
}
fn orders_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/menu/orders")
}
fn sat_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/stats/satisfaction")
}
fn demand_stats_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/stats/demand")
}
fn replies_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/stats/replies")
}
fn targets_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/stats/targets")
}
fn target_sessions_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/stats/targets/sessions")
}
fn plan_get_op<'a>(_w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        Req {
            method: "GET",
            path: "/api/v1/plans/2026".into(),
            body: None,
        }
    })
}
const CLOUD_READERS: &[Who] = &[CenterStaff, CenterAdmin, DistrictSupervisor];
fn cloud_sends_op<'a>(_w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        Req {
            method: "GET",
            path: "/api/v1/cloud/pushes".into(),
            body: None,
        }
    })
}
fn cloud_export_op<'a>(_w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        Req {
            method: "GET",
            path: "/api/v1/cloud/export?format=csv&table=venues".into(),
            body: None,
        }
    })
}
fn cloud_push_op<'a>(_w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        Req {
            method: "POST",
            path: "/api/v1/cloud/pushes".into(),
            body: None,
        }
    })
}
fn plan_save_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let branch = w.app.unit_id(w.branch(s)).await;
        Req {
            method: "PUT",
            path: "/api/v1/plans/2026".into(),
            body: Some(
                json!({"performances": 20, "lectures_exhibitions": 20, "trainings": 20,
                "allocations": [{"unit_id": branch, "category": "trainings", "target": 5}]}),
            ),
        }
    })
}
fn plan_items_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/plans/2026/items")
}
/// A fresh work-plan item naming the point on `s`, and a fresh activity that point organises.
async fn plan_item(w: &World<'_>, s: Side) -> (i64, i64) {
    let (activity, _) = draft(w, s).await;
    let (admin, _) = w.app.sign_in("matrix-maker").await;
    let point = w.app.unit_id(w.point(s)).await;
    let (st, v) = w
        .app
        .post(
            "/api/v1/plans/2026/items",
            Some(&admin),
            json!({"title": "矩阵工作事项", "month": "2026-06", "unit_ids": [point]}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    (v["id"].as_i64().unwrap(), activity)
}
fn plan_item_create_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "POST",
            path: "/api/v1/plans/2026/items".into(),
            body: Some(json!({"title": "矩阵新事项", "month": "2026-07", "unit_ids": [point]})),
        }
    })
}
fn plan_item_update_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (id, _) = plan_item(w, s).await;
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "PUT",
            path: format!("/api/v1/plan-items/{id}"),
            body: Some(json!({"title": "矩阵改事项", "month": "2026-08", "unit_ids": [point]})),
        }
    })
}
fn plan_item_close_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (id, _) = plan_item(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/plan-items/{id}/close"),
            body: Some(json!({})),
        }
    })
}
fn plan_item_reopen_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (id, _) = plan_item(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/plan-items/{id}/reopen"),
            body: Some(json!({})),
        }
    })
}
fn plan_item_delete_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (id, _) = plan_item(w, s).await;
        Req {
            method: "DELETE",
            path: format!("/api/v1/plan-items/{id}"),
            body: None,
        }
    })
}
fn plan_item_link_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (id, activity) = plan_item(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/plan-items/{id}/activities"),
            body: Some(json!({"activity_id": activity})),
        }
    })
}
fn plan_item_unlink_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (id, activity) = plan_item(w, s).await;
        let (admin, _) = w.app.sign_in("matrix-maker").await;
        let (st, v) = w
            .app
            .post(
                &format!("/api/v1/plan-items/{id}/activities"),
                Some(&admin),
                json!({"activity_id": activity}),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        Req {
            method: "DELETE",
            path: format!("/api/v1/plan-items/{id}/activities/{activity}"),
            body: None,
        }
    })
}
fn partner_requests_op<'a>(_w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        Req {
            method: "GET",
            path: "/api/v1/partner-requests".into(),
            body: None,
        }
    })
}
/// A fresh activity of the point on `s` naming its branch as partner; the branch answers.
async fn partnered(w: &World<'_>, s: Side, what: &str) -> Req {
    let (admin, _) = w.app.sign_in("matrix-maker").await;
    let point = w.app.unit_id(w.point(s)).await;
    let branch = w.app.unit_id(w.branch(s)).await;
    let body = json!({"title": "矩阵联办", "kind": "lecture", "organizer_unit_id": point, "booking_mode": "none",
        "joint_unit_ids": [branch],
        "sessions": [{"unit_id": point, "starts_at": culturehub_tests::at(w.app, 3000), "ends_at": culturehub_tests::at(w.app, 3100)}]});
    let (st, v) = w.app.post("/api/v1/activities", Some(&admin), body).await;
    assert_eq!(st, 200, "{v}");
    Req {
        method: "POST",
        path: format!("/api/v1/activities/{}/partners/{branch}/{what}", v["id"]),
        body: Some(json!({})),
    }
}
fn partner_confirm_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        // `draft` grants matrix-maker its role.
        draft(w, s).await;
        partnered(w, s, "confirm").await
    })
}
fn partner_decline_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        draft(w, s).await;
        partnered(w, s, "decline").await
    })
}
fn staffing_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/stats/staffing")
}
/// A register entry at `code` (a branch's instructor or a point's coordinator).
async fn register_entry(w: &World<'_>, code: &str, post: &str) -> i64 {
    let unit = w.app.unit_id(code).await;
    exec(
        w,
        &format!(
            "INSERT INTO staff_members (unit_id, name, post, employment, from_date, created_at, updated_at) \
             VALUES ($1, '张三丰', '{post}', 'full_time', '2026-01-01', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z') RETURNING id"
        ),
        &[unit],
    )
    .await
}
fn register_list_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/people/staff")
}
fn register_create_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = w.app.unit_id(w.point(s)).await;
        Req {
            method: "POST",
            path: "/api/v1/people/staff".into(),
            body: Some(json!({"unit_id": id, "name": "李四", "post": "文体协管员",
                "employment": "part_time", "from_date": "2026-01-01"})),
        }
    })
}
fn register_update_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = register_entry(w, w.point(s), "文体协管员").await;
        Req {
            method: "PATCH",
            path: format!("/api/v1/people/staff/{id}"),
            body: Some(json!({"to_date": "2026-12-31"})),
        }
    })
}
fn training_summary_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/people/trainings/summary")
}
fn training_record_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = register_entry(w, w.point(s), "文体协管员").await;
        Req {
            method: "GET",
            path: format!("/api/v1/people/staff/{id}/trainings"),
            body: None,
        }
    })
}
fn dispatch_list_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/people/dispatches")
}
fn dispatch_create_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let staff = register_entry(w, w.branch(s), "业务指导员").await;
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "POST",
            path: "/api/v1/people/dispatches".into(),
            body: Some(json!({"staff_id": staff, "to_unit_id": point, "from_date": "2026-01-01"})),
        }
    })
}
fn dispatch_end_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let staff = register_entry(w, w.branch(s), "业务指导员").await;
        let branch = w.app.unit_id(w.branch(s)).await;
        let point = w.app.unit_id(w.point(s)).await;
        let id = exec(
            w,
            "INSERT INTO dispatches (staff_id, from_unit_id, to_unit_id, kind, post, from_date, created_at, updated_at) \
             VALUES ($1, $2, $3, 'instructor', '业务指导员', '2026-01-01', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z') RETURNING id",
            &[staff, branch, point],
        )
        .await;
        Req {
            method: "POST",
            path: format!("/api/v1/people/dispatches/{id}/end"),
            body: Some(json!({"to_date": "2026-06-30"})),
        }
    })
}
fn coverage_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/stats/dispatch-coverage")
}
fn ledger_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/stats/ledger.csv")
}
fn workbook_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/ledgers/workbook.xlsx")
}
fn completeness_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/ledgers/completeness")
}
fn mark_read_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = rating(w, s, false).await;
        Req {
            method: "POST",
            path: "/api/v1/feedback/read".into(),
            body: Some(json!({"ids": [id]})),
        }
    })
}
fn reply_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = rating(w, s, false).await;
        Req {
            method: "POST",
            path: format!("/api/v1/feedback/{id}/replies"),
            body: Some(json!({"content": "谢谢您的反馈"})),
        }
    })
}
fn handle_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = rating(w, s, false).await;
        Req {
            method: "POST",
            path: format!("/api/v1/feedback/{id}/handle"),
            body: Some(json!({})),
        }
    })
}
fn moderate_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = rating(w, s, true).await;
        Req {
            method: "POST",
            path: format!("/api/v1/feedback/{id}/moderate"),
            body: Some(json!({"decision": "publish"})),
        }
    })
}
fn triage_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = demand_at(w, s, "published").await;
        Req {
            method: "POST",
            path: format!("/api/v1/demands/{id}/triage"),
            body: Some(json!({"status": "accepted"})),
        }
    })
}
fn merge_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let a = demand_at(w, s, "published").await;
        let b = demand_at(w, s, "published").await;
        Req {
            method: "POST",
            path: format!("/api/v1/demands/{a}/merge"),
            body: Some(json!({"into_id": b})),
        }
    })
}
fn link_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = demand_at(w, s, "published").await;
        let (activity, _) = draft(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/demands/{id}/link"),
            body: Some(json!({"activity_id": activity})),
        }
    })
}
fn demand_moderate_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = demand_at(w, s, "held").await;
        Req {
            method: "POST",
            path: format!("/api/v1/demands/{id}/moderate"),
            body: Some(json!({"decision": "publish"})),
        }
    })
}
fn report_queue_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/reports")
}
/// A published demand on side `s` with an open report from someone other than its poster.
fn report_decide_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = demand_at(w, s, "published").await;
        let (_, path) = w.app.unit_ref(w.point(s)).await;
        let unit = w.app.unit_id(w.point(s)).await;
        let reporter = w.users[&Volunteer];
        let db = w.app.state().db.clone();
        let mut tx = db.begin().await.unwrap();
        sqlx::query(
            "INSERT INTO content_reports (target_kind, target_id, unit_id, unit_path, reporter_id, reason, created_at) \
             VALUES ('demand', $1, $2, $3, $4, 'ads', '2026-01-01T00:00:00Z')",
        )
        .bind(id)
        .bind(unit)
        .bind(path)
        .bind(reporter)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        Req {
            method: "POST",
            path: format!("/api/v1/reports/demand/{id}/decide"),
            body: Some(json!({"decision": "dismiss"})),
        }
    })
}
fn menu_item_op<'a>(_w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        let body = json!({"title": "矩阵菜单", "kind": "lecture", "quota": 5, "period_start": "2026-01-01", "period_end": "2027-12-31"});
        Req {
            method: "POST",
            path: "/api/v1/menu/items".into(),
            body: Some(body),
        }
    })
}
fn order_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        let existing = order_at(w, s, "rejected").await;
        let item: i64 = sqlx::query_scalar("SELECT menu_item_id FROM menu_orders WHERE id = $1")
            .bind(existing)
            .fetch_one(w.app.state().db.pool())
            .await
            .unwrap();
        Req {
            method: "POST",
            path: "/api/v1/menu/orders".into(),
            body: Some(
                json!({"menu_item_id": item, "unit_id": point, "requested_date": "2027-06-01"}),
            ),
        }
    })
}
fn approve_order_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = order_at(w, s, "requested").await;
        Req {
            method: "POST",
            path: format!("/api/v1/menu/orders/{id}/approve"),
            body: Some(json!({})),
        }
    })
}
fn reject_order_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = order_at(w, s, "requested").await;
        Req {
            method: "POST",
            path: format!("/api/v1/menu/orders/{id}/reject"),
            body: Some(json!({"reason": "档期已满"})),
        }
    })
}
fn deliver_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = order_at(w, s, "approved").await;
        let body = json!({"starts_at": culturehub_tests::at(w.app, 5000), "ends_at": culturehub_tests::at(w.app, 5100), "capacity": 50});
        Req {
            method: "POST",
            path: format!("/api/v1/menu/orders/{id}/deliver"),
            body: Some(body),
        }
    })
}

// Files: staff who run a unit's activities upload its images; staff files are read by those
// who may read the unit's activity data (public files by anyone, see tests/files.rs).
const UPLOADERS: &[Who] = ACTIVITY_MANAGERS;

fn tiny_png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(8, 6, image::Rgb([200, 40, 40]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn upload_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = w.app.unit_id(w.point(s)).await;
        Req::upload(
            "POST",
            format!("/api/v1/files?unit_id={id}&visibility=staff"),
            "image/png",
            &tiny_png(),
        )
    })
}

/// A staff-only file of the point on `s`, stored directly.
async fn staff_file(w: &World<'_>, s: Side) -> i64 {
    let st = w.app.state();
    let unit = culturehub::org::unit_ref(&st.db, w.app.unit_id(w.point(s)).await)
        .await
        .unwrap();
    culturehub::files::store_image(
        &st.db,
        &st.storage,
        &culturehub::images::Limits::from_settings(&st.settings.storage),
        &unit,
        culturehub::files::Visibility::Staff,
        tiny_png(),
        &culturehub::files::Uploader {
            user_id: w.users[&CenterAdmin],
            ip: "",
            request_id: "",
        },
        &st.now(),
    )
    .await
    .unwrap()
    .id
}

/// A session at the point on `s` that has been held (published, ended an hour ago).
async fn held_session(w: &World<'_>, s: Side) -> i64 {
    let (activity, session) = draft(w, s).await;
    let db = w.app.state().db.pool();
    sqlx::query("UPDATE activities SET status = 'published' WHERE id = $1")
        .bind(activity)
        .execute(db)
        .await
        .unwrap();
    sqlx::query("UPDATE sessions SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(culturehub_tests::at(w.app, -180))
        .bind(culturehub_tests::at(w.app, -60))
        .bind(session)
        .execute(db)
        .await
        .unwrap();
    session
}

fn evidence_list_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = held_session(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/sessions/{id}/evidence"),
            body: None,
        }
    })
}

fn evidence_attach_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = held_session(w, s).await;
        let file = staff_file(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/sessions/{id}/evidence"),
            body: Some(json!({"file_id": file, "note": "现场照片"})),
        }
    })
}

fn evidence_remove_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = held_session(w, s).await;
        let file = staff_file(w, s).await;
        let path: String = sqlx::query_scalar("SELECT unit_path FROM sessions WHERE id = $1")
            .bind(id)
            .fetch_one(w.app.state().db.pool())
            .await
            .unwrap();
        let eid: i64 = sqlx::query_scalar(
            "INSERT INTO session_evidence (session_id, file_id, unit_path, note, created_at) VALUES ($1,$2,$3,'',$4) RETURNING id",
        )
        .bind(id)
        .bind(file)
        .bind(path)
        .bind(w.app.state().now())
        .fetch_one(w.app.state().db.pool())
        .await
        .unwrap();
        Req {
            method: "DELETE",
            path: format!("/api/v1/sessions/{id}/evidence/{eid}"),
            body: None,
        }
    })
}

fn file_get_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = staff_file(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/files/{id}"),
            body: None,
        }
    })
}

fn file_thumb_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = staff_file(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/files/{id}/thumb"),
            body: None,
        }
    })
}

/// A fresh room at the point on `s`, made directly (no permission involved).
async fn fresh_room(w: &World<'_>, s: Side) -> i64 {
    let st = w.app.state();
    let point = w.app.unit_id(w.point(s)).await;
    let input = culturehub::rooms::RoomInput {
        name: Some(format!(
            "矩阵室{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        )),
        kind: Some("其他".into()),
        capacity: Some(20),
        ..Default::default()
    };
    let mut tx = st.db.begin().await.unwrap();
    let id = culturehub::rooms::insert(&mut tx, point, &input, &st.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}
/// A pending team booking in a fresh bookable room at the point on `s`, made directly; with
/// `past`, a confirmed one that ended unused (a no-show).
async fn room_booking(w: &World<'_>, s: Side, past: bool) -> i64 {
    let room = fresh_room(w, s).await;
    let st = w.app.state();
    let (unit, path) = w.app.unit_ref(w.point(s)).await;
    let (_, leader) = w
        .app
        .sign_in(&format!("matrix-leader-{}", uuid::Uuid::new_v4().simple()))
        .await;
    let team: i64 = sqlx::query_scalar(
        "INSERT INTO teams (unit_id, unit_path, name, genre, leader_id, status, invite_code, created_at, updated_at) \
         VALUES ($1,$2,$3,'合唱',$4,'verified',$5,$6,$6) RETURNING id",
    )
    .bind(unit)
    .bind(path)
    .bind(format!("矩阵团队{}", &uuid::Uuid::new_v4().simple().to_string()[..8]))
    .bind(leader)
    .bind(uuid::Uuid::new_v4().simple().to_string())
    .bind(st.now())
    .fetch_one(st.db.pool())
    .await
    .unwrap();
    let now = st.clock.now().timestamp();
    let (start, end, status) = if past {
        (now - 7200, now - 3600, "confirmed")
    } else {
        (now + 3 * 86400, now + 3 * 86400 + 3600, "pending")
    };
    sqlx::query_scalar(
        "INSERT INTO room_bookings (room_id, unit_id, team_id, user_id, starts_s, ends_s, status, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8) RETURNING id",
    )
    .bind(room)
    .bind(unit)
    .bind(team)
    .bind(leader)
    .bind(start)
    .bind(end)
    .bind(status)
    .bind(st.now())
    .fetch_one(st.db.pool())
    .await
    .unwrap()
}
fn room_bookings_list_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/room-bookings")
}
fn room_booking_approve_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = room_booking(w, s, false).await;
        Req {
            method: "POST",
            path: format!("/api/v1/room-bookings/{id}/approve"),
            body: Some(json!({})),
        }
    })
}
fn room_booking_decline_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = room_booking(w, s, false).await;
        Req {
            method: "POST",
            path: format!("/api/v1/room-bookings/{id}/decline"),
            body: Some(json!({"reason": "场地检修"})),
        }
    })
}
fn room_booking_waive_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = room_booking(w, s, true).await;
        Req {
            method: "POST",
            path: format!("/api/v1/room-bookings/{id}/waive-no-show"),
            body: Some(json!({"reason": "暴雨停课"})),
        }
    })
}
fn rooms_list_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/rooms")
}
fn rooms_calendar_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/rooms/calendar")
}
fn room_use_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/stats/room-use")
}
fn room_create_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        let name = format!(
            "矩阵新室{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Req {
            method: "POST",
            path: "/api/v1/rooms".into(),
            body: Some(json!({"unit_id": point, "name": name, "kind": "琴房", "capacity": 6})),
        }
    })
}
fn room_update_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = fresh_room(w, s).await;
        Req {
            method: "PATCH",
            path: format!("/api/v1/rooms/{id}"),
            body: Some(json!({"capacity": 30})),
        }
    })
}
fn room_close_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = fresh_room(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/rooms/{id}/close"),
            body: Some(json!({})),
        }
    })
}
fn room_door_code_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = fresh_room(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/rooms/{id}/door-code"),
            body: None,
        }
    })
}
fn closure_create_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = fresh_room(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/rooms/{id}/closures"),
            body: Some(
                json!({"starts_at": culturehub_tests::at(w.app, 3000), "ends_at": culturehub_tests::at(w.app, 3600), "reason": "检修"}),
            ),
        }
    })
}
fn closure_delete_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let room = fresh_room(w, s).await;
        let st = w.app.state();
        let now = st.clock.now();
        let mut tx = st.db.begin().await.unwrap();
        let id = culturehub::rooms::insert_entry(
            &mut tx,
            room,
            "closure",
            None,
            now + chrono::Duration::days(2),
            now + chrono::Duration::days(3),
            "检修",
            None,
            &st.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        Req {
            method: "DELETE",
            path: format!("/api/v1/rooms/closures/{id}"),
            body: None,
        }
    })
}

/// A fresh team at the point on `s`, registered by the matrix's resident (verified when asked).
async fn fresh_team(w: &World<'_>, s: Side, verified: bool) -> i64 {
    let st = w.app.state();
    let unit = culturehub::org::unit_ref(&st.db, w.app.unit_id(w.point(s)).await)
        .await
        .unwrap();
    let input = culturehub::teams::TeamInput {
        name: Some(format!(
            "矩阵团{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        )),
        genre: Some("合唱".into()),
        ..Default::default()
    };
    let id = culturehub::teams::register(&st.db, w.users[&Resident], &unit, &input, &st.now())
        .await
        .unwrap();
    if verified {
        sqlx::query("UPDATE teams SET status = 'verified' WHERE id = $1")
            .bind(id)
            .execute(st.db.writer())
            .await
            .unwrap();
    }
    id
}
fn team_post<'a>(
    w: &'a World<'a>,
    s: Side,
    verified: bool,
    tail: &'static str,
    body: serde_json::Value,
) -> Fut<'a> {
    Box::pin(async move {
        let id = fresh_team(w, s, verified).await;
        Req {
            method: "POST",
            path: format!("/api/v1/manage/teams/{id}{tail}"),
            body: Some(body),
        }
    })
}
fn teams_manage_list_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/manage/teams")
}
fn stats_teams_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/stats/teams")
}
fn team_detail_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = fresh_team(w, s, false).await;
        Req {
            method: "GET",
            path: format!("/api/v1/manage/teams/{id}"),
            body: None,
        }
    })
}
fn team_verify_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    team_post(w, s, false, "/verify", json!({}))
}
fn team_decline_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    team_post(w, s, false, "/decline", json!({"reason": "材料不全"}))
}
fn team_guidance_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    team_post(
        w,
        s,
        true,
        "/guidance",
        json!({"held_on": "2026-11-20", "instructor": "李老师", "topic": "发声", "hours": 2}),
    )
}
fn team_award_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    team_post(
        w,
        s,
        true,
        "/awards",
        json!({"title": "汇演一等奖", "level": "district", "awarded_on": "2026-10-01"}),
    )
}
fn team_photos_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = fresh_team(w, s, true).await;
        Req {
            method: "PUT",
            path: format!("/api/v1/manage/teams/{id}/photos"),
            body: Some(json!({"file_ids": []})),
        }
    })
}
/// A performance link: a verified team of side A, the activity on side `s` (its organizer's
/// activity managers may name performers).
fn team_performance_add_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let team = fresh_team(w, Side::Own, true).await;
        let (activity, _) = draft(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/manage/teams/{team}/performances"),
            body: Some(json!({"activity_id": activity})),
        }
    })
}
fn team_performance_remove_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let team = fresh_team(w, Side::Own, true).await;
        let (activity, _) = draft(w, s).await;
        let st = w.app.state();
        sqlx::query("INSERT INTO activity_teams (activity_id, team_id, added_by, created_at) VALUES ($1,$2,$3,$4)")
            .bind(activity)
            .bind(team)
            .bind(w.users[&Resident])
            .bind(st.now())
            .execute(st.db.writer())
            .await
            .unwrap();
        Req {
            method: "DELETE",
            path: format!("/api/v1/manage/teams/{team}/performances/{activity}"),
            body: None,
        }
    })
}

fn activity_online_set_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (id, _) = draft(w, s).await;
        Req {
            method: "PUT",
            path: format!("/api/v1/activities/{id}/online"),
            body: Some(
                json!({"mode": "online", "platform": "channels", "finder_user_name": "sphMatrix1"}),
            ),
        }
    })
}
/// An unpublished Channels video in the library of the point on `s`, made directly.
async fn fresh_resource(w: &World<'_>, s: Side) -> i64 {
    let st = w.app.state();
    let (id, path) = w.app.unit_ref(w.point(s)).await;
    let r = culturehub::library::Resource {
        kind: "video".into(),
        title: "矩阵资源".into(),
        platform: "channels".into(),
        finder_user_name: "sphMatrix1".into(),
        feed_id: "export/matrix".into(),
        ..Default::default()
    };
    let mut tx = st.db.begin().await.unwrap();
    let rid = culturehub::library::insert(
        &mut tx,
        &culturehub::access::UnitRef { id, path },
        &r,
        w.users[&CenterAdmin],
        &st.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    rid
}
fn library_manage_list_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/manage/library")
}
fn library_create_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "POST",
            path: "/api/v1/manage/library".into(),
            body: Some(
                json!({"unit_id": point, "kind": "article", "title": "矩阵图文", "platform": "none", "body": "正文"}),
            ),
        }
    })
}
fn library_update_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = fresh_resource(w, s).await;
        Req {
            method: "PATCH",
            path: format!("/api/v1/manage/library/{id}"),
            body: Some(json!({"published": true, "featured": true})),
        }
    })
}

// --- Providers and procurement (issue 16) ---

const PURCHASERS: &[Who] = &[BranchStaff, CenterStaff, CenterAdmin];

/// A provider with a fresh approved offering (made directly).
async fn supply_offering(w: &World<'_>) -> i64 {
    let (_, user) = w.app.sign_in("o-matrix-provider").await;
    let db = w.app.state().db.clone();
    let mut tx = db.begin().await.unwrap();
    sqlx::query("INSERT INTO providers (user_id, name, kind, status, created_at, updated_at) VALUES ($1, '矩阵艺术团', 'troupe', 'approved', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z') ON CONFLICT (user_id) DO NOTHING")
        .bind(user)
        .execute(&mut *tx)
        .await
        .unwrap();
    let id: i64 = sqlx::query_scalar("INSERT INTO offerings (provider_id, title, kind, duration_minutes, price_fen, status, created_at) \
         SELECT id, '矩阵演出', 'performance', 60, 100, 'approved', '2026-01-01T00:00:00Z' FROM providers WHERE user_id = $1 RETURNING id")
        .bind(user)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}
/// The side's branch budget for 2026 (plenty).
async fn supply_budget(w: &World<'_>, s: Side) -> i64 {
    let (unit, path) = w.app.unit_ref(w.branch(s)).await;
    let db = w.app.state().db.clone();
    let mut tx = db.begin().await.unwrap();
    let id: i64 = sqlx::query_scalar("INSERT INTO procurement_budgets (unit_id, unit_path, year, amount_fen, created_at) VALUES ($1, $2, 2026, 100000000000, '2026-01-01T00:00:00Z') \
         ON CONFLICT (unit_id, year) DO UPDATE SET amount_fen = procurement_budgets.amount_fen RETURNING id")
        .bind(unit)
        .bind(path)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}
/// A procurement order at the side's point in `status` (bought from the side's branch budget
/// when `purchased`).
async fn supply_order(w: &World<'_>, s: Side, status: &str) -> i64 {
    let offering = supply_offering(w).await;
    let budget = if status == "purchased" {
        Some(supply_budget(w, s).await)
    } else {
        None
    };
    let (unit, path) = w.app.unit_ref(w.point(s)).await;
    let db = w.app.state().db.clone();
    let mut tx = db.begin().await.unwrap();
    let id: i64 = sqlx::query_scalar("INSERT INTO procurement_orders (offering_id, provider_id, unit_id, unit_path, requested_date, proposed_date, status, budget_id, amount_fen, created_at) \
         SELECT o.id, o.provider_id, $2, $3, '2026-12-20', '2026-12-21', $4, $5, 100, '2026-01-01T00:00:00Z' FROM offerings o WHERE o.id = $1 RETURNING id")
        .bind(offering)
        .bind(unit)
        .bind(path)
        .bind(status.to_string())
        .bind(budget)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}
fn providers_list_op<'a>(_w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        Req {
            method: "GET",
            path: "/api/v1/providers".into(),
            body: None,
        }
    })
}
fn provider_review_op<'a>(w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        let offering = supply_offering(w).await;
        let id: i64 = sqlx::query_scalar("SELECT provider_id FROM offerings WHERE id = $1")
            .bind(offering)
            .fetch_one(w.app.state().db.pool())
            .await
            .unwrap();
        Req {
            method: "POST",
            path: format!("/api/v1/providers/{id}/review"),
            body: Some(json!({"decision": "approve"})),
        }
    })
}
fn offerings_list_op<'a>(_w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        Req {
            method: "GET",
            path: "/api/v1/offerings?status=approved".into(),
            body: None,
        }
    })
}
fn offering_review_op<'a>(w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = supply_offering(w).await;
        Req {
            method: "POST",
            path: format!("/api/v1/offerings/{id}/review"),
            body: Some(json!({"decision": "approve"})),
        }
    })
}
fn catalogue_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/procurement/catalogue")
}
fn proc_orders_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/procurement/orders")
}
fn budgets_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/procurement/budgets")
}
fn spend_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!(
                "/api/v1/stats/procurement?from=2026-01-01&to=2026-12-31&unit_id={point}"
            ),
            body: None,
        }
    })
}
fn proc_order_create_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let offering = supply_offering(w).await;
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "POST",
            path: "/api/v1/procurement/orders".into(),
            body: Some(
                json!({"offering_id": offering, "unit_id": point, "requested_date": "2026-12-20"}),
            ),
        }
    })
}
fn proc_confirm_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = supply_order(w, s, "proposed").await;
        Req {
            method: "POST",
            path: format!("/api/v1/procurement/orders/{id}/confirm"),
            body: None,
        }
    })
}
fn proc_purchase_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = supply_order(w, s, "accepted").await;
        let budget = supply_budget(w, s).await;
        Req {
            method: "POST",
            path: format!("/api/v1/procurement/orders/{id}/purchase"),
            body: Some(
                json!({"budget_id": budget, "amount_fen": 100, "contract_ref": "HT-1", "funding_source": "区财政"}),
            ),
        }
    })
}
fn proc_deliver_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = supply_order(w, s, "purchased").await;
        let start = 30 * 24 * 60 + (id % 500) * 180;
        Req {
            method: "POST",
            path: format!("/api/v1/procurement/orders/{id}/deliver"),
            body: Some(
                json!({"starts_at": culturehub_tests::at(w.app, start), "ends_at": culturehub_tests::at(w.app, start + 60)}),
            ),
        }
    })
}
fn budget_set_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let unit = w.app.unit_id(w.branch(s)).await;
        Req {
            method: "POST",
            path: "/api/v1/procurement/budgets".into(),
            body: Some(json!({"unit_id": unit, "year": 2026, "amount_fen": 100000000000i64})),
        }
    })
}
fn branch_menu_item_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let unit = w.app.unit_id(w.branch(s)).await;
        Req {
            method: "POST",
            path: "/api/v1/menu/items".into(),
            body: Some(
                json!({"title": "分馆菜单", "kind": "lecture", "quota": 5, "period_start": "2026-01-01", "period_end": "2027-12-31", "unit_id": unit}),
            ),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Volunteering, sponsors, operators (issue 16).

const VOLUNTEERING: &[Who] = &[PointCoordinator, BranchStaff, CenterStaff, CenterAdmin];
const SPONSOR_KEEPERS: &[Who] = &[BranchStaff, CenterStaff, CenterAdmin];
const OPERATOR_READERS: &[Who] = &[CenterStaff, CenterAdmin, DistrictSupervisor];

/// An opportunity at the point of side `s` with one usher shift (in the past when `past`):
/// (opportunity, shift).
async fn vol_shift(w: &World<'_>, s: Side, past: bool) -> (i64, i64) {
    let (unit, path) = w.app.unit_ref(w.point(s)).await;
    let db = w.app.state().db.clone();
    let mut tx = db.begin().await.unwrap();
    let opp: i64 = sqlx::query_scalar(
        "INSERT INTO volunteer_opportunities (unit_id, unit_path, title, created_at) VALUES ($1,$2,'矩阵岗位','2026-01-01T00:00:00Z') RETURNING id",
    )
    .bind(unit)
    .bind(path)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let (a, b) = if past {
        ("2020-01-01T01:00:00Z", "2020-01-01T03:00:00Z")
    } else {
        ("2099-01-01T01:00:00Z", "2099-01-01T03:00:00Z")
    };
    let shift: i64 = sqlx::query_scalar(
        "INSERT INTO volunteer_shifts (opportunity_id, role_code, starts_at, ends_at, needed, taken, created_at) VALUES ($1,'usher',$2,$3,5,1,'2026-01-01T00:00:00Z') RETURNING id",
    )
    .bind(opp)
    .bind(a)
    .bind(b)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (opp, shift)
}
/// A sign-up (of a fresh resident) in `status` for a new shift on side `s`.
async fn vol_signup(w: &World<'_>, s: Side, status: &str, past: bool) -> i64 {
    let (_, shift) = vol_shift(w, s, past).await;
    let (_, uid) = w
        .app
        .sign_in(&format!("matrix-vol-{}", uuid::Uuid::new_v4().simple()))
        .await;
    let db = w.app.state().db.clone();
    let mut tx = db.begin().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO shift_signups (shift_id, user_id, status, created_at) VALUES ($1,$2,$3,'2026-01-01T00:00:00Z') RETURNING id",
    )
    .bind(shift)
    .bind(uid)
    .bind(status)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}
fn opportunity_create_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "POST",
            path: format!("/api/v1/units/{point}/volunteer-opportunities"),
            body: Some(
                json!({"title": "引导员招募", "shifts": [{"role_code": "usher", "starts_at": "2099-01-01T01:00:00Z", "ends_at": "2099-01-01T03:00:00Z", "needed": 2}]}),
            ),
        }
    })
}
fn opportunities_manage_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/units/{point}/volunteer-opportunities"),
            body: None,
        }
    })
}
fn shift_create_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (opp, _) = vol_shift(w, s, false).await;
        Req {
            method: "POST",
            path: format!("/api/v1/volunteer-opportunities/{opp}/shifts"),
            body: Some(
                json!({"role_code": "guide", "starts_at": "2099-01-02T01:00:00Z", "ends_at": "2099-01-02T03:00:00Z", "needed": 1}),
            ),
        }
    })
}
fn shift_update_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (_, shift) = vol_shift(w, s, false).await;
        Req {
            method: "PATCH",
            path: format!("/api/v1/volunteer-shifts/{shift}"),
            body: Some(json!({"needed": 8})),
        }
    })
}
fn opportunity_close_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (opp, _) = vol_shift(w, s, false).await;
        Req {
            method: "POST",
            path: format!("/api/v1/volunteer-opportunities/{opp}/close"),
            body: Some(json!({})),
        }
    })
}
fn shift_signups_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/units/{point}/shift-signups?status=pending"),
            body: None,
        }
    })
}
fn shift_approve_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = vol_signup(w, s, "pending", false).await;
        Req {
            method: "POST",
            path: format!("/api/v1/shift-signups/{id}/approve"),
            body: Some(json!({})),
        }
    })
}
fn shift_decline_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = vol_signup(w, s, "pending", false).await;
        Req {
            method: "POST",
            path: format!("/api/v1/shift-signups/{id}/decline"),
            body: Some(json!({"reason": "人员已满"})),
        }
    })
}
fn shift_hours_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = vol_signup(w, s, "approved", true).await;
        Req {
            method: "POST",
            path: format!("/api/v1/shift-signups/{id}/hours"),
            body: Some(json!({"minutes": 120})),
        }
    })
}
fn volunteer_hours_export_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/units/{point}/volunteer-hours.csv"),
            body: None,
        }
    })
}
async fn vol_team(w: &World<'_>, s: Side) -> i64 {
    let (unit, path) = w.app.unit_ref(w.point(s)).await;
    let db = w.app.state().db.clone();
    let mut tx = db.begin().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO volunteer_teams (unit_id, unit_path, name, created_at) VALUES ($1,$2,'矩阵服务队','2026-01-01T00:00:00Z') RETURNING id",
    )
    .bind(unit)
    .bind(path)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}
fn volunteer_team_create_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "POST",
            path: format!("/api/v1/units/{point}/volunteer-teams"),
            body: Some(json!({"name": "服务点志愿服务队"})),
        }
    })
}
fn volunteer_team_update_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = vol_team(w, s).await;
        Req {
            method: "PATCH",
            path: format!("/api/v1/volunteer-teams/{id}"),
            body: Some(json!({"recruiting": false})),
        }
    })
}
fn volunteer_team_applications_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/units/{point}/volunteer-team-applications"),
            body: None,
        }
    })
}
fn volunteer_team_decide_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let team = vol_team(w, s).await;
        let (_, uid) = w
            .app
            .sign_in(&format!("matrix-vt-{}", uuid::Uuid::new_v4().simple()))
            .await;
        let id = exec(
            w,
            "INSERT INTO volunteer_team_members (team_id, user_id, status, created_at) VALUES ($1,$2,'pending','2026-01-01T00:00:00Z') RETURNING id",
            &[team, uid],
        )
        .await;
        Req {
            method: "POST",
            path: format!("/api/v1/volunteer-team-applications/{id}/decide"),
            body: Some(json!({"approve": true})),
        }
    })
}
fn sponsorship_create_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "POST",
            path: format!("/api/v1/units/{point}/sponsorships"),
            body: Some(
                json!({"sponsor_name": "某企业", "sponsor_kind": "enterprise", "relation": "sponsor", "gift_kind": "money", "amount_fen": 100000, "public_consent": true}),
            ),
        }
    })
}
fn sponsorships_list_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/units/{point}/sponsorships"),
            body: None,
        }
    })
}
fn sponsorship_update_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (unit, path) = w.app.unit_ref(w.point(s)).await;
        let db = w.app.state().db.clone();
        let mut tx = db.begin().await.unwrap();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sponsorships (unit_id, unit_path, sponsor_name, sponsor_kind, relation, gift_kind, created_at) VALUES ($1,$2,'某书店','enterprise','partner','goods','2026-01-01T00:00:00Z') RETURNING id",
        )
        .bind(unit)
        .bind(path)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        Req {
            method: "PATCH",
            path: format!("/api/v1/sponsorships/{id}"),
            body: Some(json!({"public_consent": true})),
        }
    })
}
fn unit_operator_save_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        sqlx::query("UPDATE org_units SET contracted = 1 WHERE id = $1")
            .bind(point)
            .execute(w.app.state().db.pool())
            .await
            .unwrap();
        Req {
            method: "PUT",
            path: format!("/api/v1/units/{point}/operator"),
            body: Some(
                json!({"operator_name": "某运营公司", "starts_on": "2026-01-01", "ends_on": "2028-12-31",
                "obligations": {"sessions_per_year": 50, "min_attendance_pct": 60, "min_satisfaction_pct": 80, "open_hours_per_week": 40, "other": ""}}),
            ),
        }
    })
}
fn operators_list_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/operators?unit_id={point}"),
            body: None,
        }
    })
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            op: "activity_online_set",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: activity_online_set_op,
        },
        Case {
            op: "library_manage_list",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: library_manage_list_op,
        },
        Case {
            op: "library_create",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: library_create_op,
        },
        Case {
            op: "library_update",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: library_update_op,
        },
        // A branch publishes menu items for its own points, not another branch's.
        Case {
            op: "menu_item_create",
            allowed: PURCHASERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: branch_menu_item_op,
        },
        // The main center reviews providers and offerings and gives budgets.
        Case {
            op: "providers_list",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: providers_list_op,
        },
        Case {
            op: "provider_review",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: provider_review_op,
        },
        Case {
            op: "offerings_list",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: offerings_list_op,
        },
        Case {
            op: "offering_review",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: offering_review_op,
        },
        Case {
            op: "procurement_budget_set",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: budget_set_op,
        },
        // Branches and points browse and request for their own units.
        Case {
            op: "procurement_catalogue",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: catalogue_op,
        },
        Case {
            op: "procurement_order_create",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: proc_order_create_op,
        },
        Case {
            op: "procurement_orders",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: proc_orders_op,
        },
        Case {
            op: "procurement_order_confirm",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: proc_confirm_op,
        },
        // A branch buys and delivers with its own budget only; the main center with any.
        Case {
            op: "procurement_order_purchase",
            allowed: PURCHASERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: proc_purchase_op,
        },
        Case {
            op: "procurement_order_deliver",
            allowed: PURCHASERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: proc_deliver_op,
        },
        Case {
            op: "procurement_budgets",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: budgets_op,
        },
        Case {
            op: "stats_procurement",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: spend_op,
        },
        Case {
            op: "opportunity_create",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: opportunity_create_op,
        },
        Case {
            op: "opportunities_manage",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: opportunities_manage_op,
        },
        Case {
            op: "shift_create",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: shift_create_op,
        },
        Case {
            op: "shift_update",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: shift_update_op,
        },
        Case {
            op: "opportunity_close",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: opportunity_close_op,
        },
        Case {
            op: "shift_signups",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: shift_signups_op,
        },
        Case {
            op: "shift_signup_approve",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: shift_approve_op,
        },
        Case {
            op: "shift_signup_decline",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: shift_decline_op,
        },
        Case {
            op: "shift_hours_confirm",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: shift_hours_op,
        },
        Case {
            op: "volunteer_hours_export",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: volunteer_hours_export_op,
        },
        Case {
            op: "volunteer_team_create",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: volunteer_team_create_op,
        },
        Case {
            op: "volunteer_team_update",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: volunteer_team_update_op,
        },
        Case {
            op: "volunteer_team_applications",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: volunteer_team_applications_op,
        },
        Case {
            op: "volunteer_team_decide",
            allowed: VOLUNTEERING,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: volunteer_team_decide_op,
        },
        Case {
            op: "sponsorship_create",
            allowed: SPONSOR_KEEPERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: sponsorship_create_op,
        },
        Case {
            op: "sponsorships_list",
            allowed: SPONSOR_KEEPERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: sponsorships_list_op,
        },
        Case {
            op: "sponsorship_update",
            allowed: SPONSOR_KEEPERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: sponsorship_update_op,
        },
        Case {
            op: "unit_operator_save",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: unit_operator_save_op,
        },
        Case {
            op: "operators_list",
            allowed: OPERATOR_READERS,
            also_other: OPERATOR_READERS,
            ok: 200,
            build: operators_list_op,
        },
        Case {
            op: "teams_manage_list",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: teams_manage_list_op,
        },
        Case {
            op: "team_detail",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: team_detail_op,
        },
        Case {
            op: "team_verify",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: team_verify_op,
        },
        Case {
            op: "team_decline",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: team_decline_op,
        },
        Case {
            op: "team_guidance_add",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: team_guidance_op,
        },
        Case {
            op: "team_award_add",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: team_award_op,
        },
        Case {
            op: "team_photos_set",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: team_photos_op,
        },
        Case {
            op: "team_performance_add",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: team_performance_add_op,
        },
        Case {
            op: "team_performance_remove",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: team_performance_remove_op,
        },
        Case {
            op: "stats_teams",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: stats_teams_op,
        },
        Case {
            op: "rooms_list",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: rooms_list_op,
        },
        Case {
            op: "room_create",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: room_create_op,
        },
        Case {
            op: "room_update",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: room_update_op,
        },
        Case {
            op: "room_close",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: room_close_op,
        },
        Case {
            op: "room_door_code",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: room_door_code_op,
        },
        Case {
            op: "room_closure_create",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: closure_create_op,
        },
        Case {
            op: "room_closure_delete",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: closure_delete_op,
        },
        Case {
            op: "room_bookings_list",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: room_bookings_list_op,
        },
        Case {
            op: "room_booking_approve",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: room_booking_approve_op,
        },
        Case {
            op: "room_booking_decline",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: room_booking_decline_op,
        },
        Case {
            op: "room_booking_waive_no_show",
            allowed: &[BranchStaff, CenterStaff, CenterAdmin],
            also_other: ROOT_WRITERS,
            ok: 200,
            build: room_booking_waive_op,
        },
        Case {
            op: "rooms_calendar",
            allowed: ACTIVITY_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: rooms_calendar_op,
        },
        Case {
            op: "stats_room_use",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: room_use_op,
        },
        Case {
            op: "org_unit_update",
            allowed: UNIT_EDITORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: edit_unit,
        },
        Case {
            op: "org_unit_create",
            allowed: UNIT_EDITORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: create_point,
        },
        Case {
            op: "org_unit_rename",
            allowed: UNIT_EDITORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: rename_point,
        },
        Case {
            // Both branches are needed: only the main center moves a point between branches.
            op: "org_unit_move",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: move_point,
        },
        Case {
            op: "org_unit_close",
            allowed: UNIT_EDITORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: close_point,
        },
        Case {
            op: "unit_staff",
            allowed: UNIT_READERS,
            also_other: &[CenterStaff, CenterAdmin, DistrictSupervisor],
            ok: 200,
            build: staff_list,
        },
        Case {
            op: "unit_audit",
            allowed: &[BranchStaff, CenterStaff, CenterAdmin, DistrictSupervisor],
            also_other: &[CenterStaff, CenterAdmin, DistrictSupervisor],
            ok: 200,
            build: audit_list,
        },
        Case {
            op: "invitation_create",
            allowed: VOLUNTEER_GRANTERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: invite_volunteer,
        },
        Case {
            op: "invitation_create",
            allowed: &[BranchStaff, CenterStaff, CenterAdmin],
            also_other: ROOT_WRITERS,
            ok: 200,
            build: invite_coordinator,
        },
        Case {
            op: "invitation_create",
            allowed: &[BranchStaff, CenterStaff, CenterAdmin],
            also_other: ROOT_WRITERS,
            ok: 200,
            build: invite_branch_staff,
        },
        Case {
            op: "grant_create",
            allowed: VOLUNTEER_GRANTERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: grant_volunteer,
        },
        Case {
            op: "grant_revoke",
            allowed: VOLUNTEER_GRANTERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: revoke_volunteer,
        },
        Case {
            op: "activity_create",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: create_activity,
        },
        Case {
            op: "activity_update",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: update_activity,
        },
        Case {
            op: "activity_publish",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: publish_activity,
        },
        Case {
            op: "activity_cancel",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: cancel_activity,
        },
        Case {
            op: "session_update",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: update_session,
        },
        Case {
            op: "manage_activities",
            allowed: ACTIVITY_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: manage_list,
        },
        Case {
            op: "manage_sessions",
            allowed: ACTIVITY_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: day_list,
        },
        Case {
            op: "session_notice_send",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: notice_send,
        },
        Case {
            op: "session_notices",
            allowed: ACTIVITY_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: notices,
        },
        Case {
            op: "session_roster",
            allowed: ACTIVITY_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: roster,
        },
        Case {
            op: "session_roster_xlsx",
            allowed: ACTIVITY_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: roster_xlsx,
        },
        Case {
            op: "session_sign_in_sheet",
            allowed: ACTIVITY_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: sign_in_sheet,
        },
        Case {
            op: "booking_waive_no_show",
            allowed: &[BranchStaff, CenterStaff, CenterAdmin],
            also_other: ROOT_WRITERS,
            ok: 200,
            build: waive,
        },
        // The matrix volunteer is not assigned to these sessions, so it is refused like everyone outside.
        Case {
            op: "checkin_scan",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: scan_op,
        },
        Case {
            op: "checkin_list",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: list_op,
        },
        Case {
            op: "checkin_sync",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: sync_op,
        },
        Case {
            op: "checkin_headcount",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: headcount_op,
        },
        Case {
            op: "checkin_lookup",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: lookup_op,
        },
        Case {
            op: "checkin_manual",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: manual_op,
        },
        Case {
            op: "checkin_venue_code",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: venue_code_op,
        },
        Case {
            op: "checkin_stats",
            allowed: ACTIVITY_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: stats_op,
        },
        Case {
            op: "checkin_conflicts",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: conflicts_op,
        },
        Case {
            op: "checkin_conflict_resolve",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: resolve_op,
        },
        Case {
            op: "checkin_undo",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: undo_op,
        },
        Case {
            op: "activity_attendance",
            allowed: ACTIVITY_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: attendance_op,
        },
        Case {
            op: "volunteer_applications",
            allowed: VOLUNTEER_GRANTERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: applications_op,
        },
        Case {
            op: "volunteer_approve",
            allowed: VOLUNTEER_GRANTERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: approve_op,
        },
        Case {
            op: "volunteer_reject",
            allowed: VOLUNTEER_GRANTERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: reject_op,
        },
        Case {
            op: "assignment_session",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: assign_op,
        },
        Case {
            op: "assignment_day",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: assign_day_op,
        },
        Case {
            op: "assignment_remove",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: unassign_op,
        },
        Case {
            op: "unit_volunteers",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: volunteers_op,
        },
        Case {
            op: "unit_volunteers_csv",
            allowed: CHECKIN_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: volunteers_csv_op,
        },
        Case {
            op: "feedback_inbox",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: inbox_op,
        },
        Case {
            op: "feedback_counts",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: counts_op,
        },
        Case {
            op: "feedback_export",
            allowed: EXPORTERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: export_op,
        },
        // Not aimed at a unit: items outside the caller's scope are simply left alone.
        Case {
            op: "feedback_mark_read",
            allowed: FEEDBACK_READERS,
            also_other: FEEDBACK_READERS,
            ok: 200,
            build: mark_read_op,
        },
        Case {
            op: "feedback_reply",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: reply_op,
        },
        Case {
            op: "feedback_handle",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: handle_op,
        },
        Case {
            op: "feedback_moderate",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: moderate_op,
        },
        Case {
            op: "demand_manage_list",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: manage_demands_op,
        },
        Case {
            op: "demand_triage",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: triage_op,
        },
        Case {
            op: "demand_merge",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: merge_op,
        },
        Case {
            op: "demand_link",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: link_op,
        },
        Case {
            op: "demand_moderate",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: demand_moderate_op,
        },
        Case {
            op: "report_queue",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: report_queue_op,
        },
        Case {
            op: "report_decide",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: report_decide_op,
        },
        // The menu belongs to the main center, whichever side asks.
        Case {
            op: "menu_item_create",
            allowed: MENU_MANAGERS,
            also_other: MENU_MANAGERS,
            ok: 200,
            build: menu_item_op,
        },
        Case {
            op: "menu_order_create",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: order_op,
        },
        Case {
            op: "menu_orders",
            allowed: REPLIERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: orders_op,
        },
        Case {
            op: "menu_order_approve",
            allowed: MENU_MANAGERS,
            also_other: MENU_MANAGERS,
            ok: 200,
            build: approve_order_op,
        },
        Case {
            op: "menu_order_reject",
            allowed: MENU_MANAGERS,
            also_other: MENU_MANAGERS,
            ok: 200,
            build: reject_order_op,
        },
        Case {
            op: "menu_order_deliver",
            allowed: MENU_MANAGERS,
            also_other: MENU_MANAGERS,
            ok: 200,
            build: deliver_op,
        },
        Case {
            op: "stats_satisfaction",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: sat_op,
        },
        Case {
            op: "stats_demand",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: demand_stats_op,
        },
        Case {
            op: "stats_replies",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: replies_op,
        },
        Case {
            op: "stats_targets",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: targets_op,
        },
        Case {
            op: "stats_target_sessions",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: target_sessions_op,
        },
        Case {
            op: "plan_get",
            allowed: FEEDBACK_READERS,
            also_other: FEEDBACK_READERS,
            ok: 200,
            build: plan_get_op,
        },
        Case {
            op: "plan_save",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: plan_save_op,
        },
        // The culture cloud is the whole network's: decided at the root.
        Case {
            op: "cloud_sends",
            allowed: CLOUD_READERS,
            also_other: CLOUD_READERS,
            ok: 200,
            build: cloud_sends_op,
        },
        Case {
            op: "cloud_export",
            allowed: CLOUD_READERS,
            also_other: CLOUD_READERS,
            ok: 200,
            build: cloud_export_op,
        },
        // No endpoint is configured here: whoever may push is told so (409), everyone else 403.
        Case {
            op: "cloud_push",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 409,
            build: cloud_push_op,
        },
        Case {
            op: "plan_items",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: plan_items_op,
        },
        Case {
            op: "plan_item_create",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: plan_item_create_op,
        },
        Case {
            op: "plan_item_update",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: plan_item_update_op,
        },
        Case {
            op: "plan_item_close",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: plan_item_close_op,
        },
        Case {
            op: "plan_item_reopen",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: plan_item_reopen_op,
        },
        Case {
            op: "plan_item_delete",
            allowed: ROOT_WRITERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: plan_item_delete_op,
        },
        Case {
            // Whoever runs the activity at a unit the item names, or the main center.
            op: "plan_item_link",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: plan_item_link_op,
        },
        Case {
            op: "plan_item_unlink",
            allowed: ACTIVITY_MANAGERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: plan_item_unlink_op,
        },
        Case {
            op: "partner_requests",
            allowed: ACTIVITY_MANAGERS,
            also_other: ACTIVITY_MANAGERS,
            ok: 200,
            build: partner_requests_op,
        },
        Case {
            // The partner unit (the branch) answers; its point's coordinator cannot.
            op: "partner_confirm",
            allowed: UNIT_EDITORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: partner_confirm_op,
        },
        Case {
            op: "partner_decline",
            allowed: UNIT_EDITORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: partner_decline_op,
        },
        Case {
            op: "staff_register_list",
            allowed: UNIT_READERS,
            also_other: &[CenterStaff, CenterAdmin, DistrictSupervisor],
            ok: 200,
            build: register_list_op,
        },
        Case {
            op: "staff_register_create",
            allowed: UNIT_EDITORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: register_create_op,
        },
        Case {
            op: "staff_register_update",
            allowed: UNIT_EDITORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: register_update_op,
        },
        Case {
            op: "training_summary",
            allowed: UNIT_READERS,
            also_other: &[CenterStaff, CenterAdmin, DistrictSupervisor],
            ok: 200,
            build: training_summary_op,
        },
        Case {
            op: "training_record_staff",
            allowed: UNIT_READERS,
            also_other: &[CenterStaff, CenterAdmin, DistrictSupervisor],
            ok: 200,
            build: training_record_op,
        },
        Case {
            op: "dispatch_list",
            allowed: UNIT_READERS,
            also_other: &[CenterStaff, CenterAdmin, DistrictSupervisor],
            ok: 200,
            build: dispatch_list_op,
        },
        Case {
            op: "dispatch_create",
            allowed: UNIT_EDITORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: dispatch_create_op,
        },
        Case {
            op: "dispatch_end",
            allowed: UNIT_EDITORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: dispatch_end_op,
        },
        Case {
            op: "stats_dispatch_coverage",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: coverage_op,
        },
        Case {
            op: "stats_staffing",
            allowed: FEEDBACK_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: staffing_op,
        },
        Case {
            op: "stats_ledger",
            allowed: EXPORTERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: ledger_op,
        },
        Case {
            op: "ledger_workbook",
            allowed: EXPORTERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: workbook_op,
        },
        Case {
            op: "ledger_completeness",
            allowed: EXPORTERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: completeness_op,
        },
        Case {
            op: "console_login_code_scan",
            allowed: CONSOLE_USERS,
            also_other: CONSOLE_USERS,
            ok: 200,
            build: console_scan_op,
        },
        Case {
            op: "console_sessions",
            allowed: COORDINATOR_GRANTERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: console_sessions_op,
        },
        Case {
            op: "console_session_revoke",
            allowed: COORDINATOR_GRANTERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: console_revoke_op,
        },
        Case {
            op: "file_upload",
            allowed: UPLOADERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: upload_op,
        },
        Case {
            op: "file_get",
            allowed: ACTIVITY_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: file_get_op,
        },
        Case {
            op: "file_thumb",
            allowed: ACTIVITY_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: file_thumb_op,
        },
        Case {
            op: "evidence_list",
            allowed: ACTIVITY_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: evidence_list_op,
        },
        Case {
            op: "evidence_attach",
            allowed: UPLOADERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: evidence_attach_op,
        },
        Case {
            op: "evidence_remove",
            allowed: UPLOADERS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: evidence_remove_op,
        },
        Case {
            op: "eval_template_get",
            allowed: EVAL_READERS,
            also_other: EVAL_READERS,
            ok: 200,
            build: eval_template_get_op,
        },
        Case {
            op: "eval_template_save",
            allowed: DISTRICT,
            also_other: DISTRICT,
            ok: 200,
            build: eval_template_save_op,
        },
        Case {
            op: "eval_round_create",
            allowed: DISTRICT,
            also_other: DISTRICT,
            ok: 200,
            build: eval_round_create_op,
        },
        Case {
            op: "eval_rounds",
            allowed: EVAL_READERS,
            also_other: EVAL_READERS,
            ok: 200,
            build: eval_rounds_op,
        },
        Case {
            op: "eval_round_get",
            allowed: EVAL_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: eval_round_get_op,
        },
        Case {
            op: "eval_round_export",
            allowed: EVAL_READERS,
            also_other: EVAL_READERS,
            ok: 200,
            build: eval_round_export_op,
        },
        Case {
            op: "eval_round_publish",
            allowed: DISTRICT,
            also_other: DISTRICT,
            ok: 200,
            build: eval_round_publish_op,
        },
        Case {
            op: "eval_round_reopen",
            allowed: DISTRICT,
            also_other: DISTRICT,
            ok: 200,
            build: eval_round_reopen_op,
        },
        Case {
            op: "eval_entry_get",
            allowed: EVAL_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: eval_entry_get_op,
        },
        Case {
            op: "eval_entry_self",
            allowed: SELF_ASSESSORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: eval_entry_self_op,
        },
        Case {
            op: "eval_entry_submit",
            allowed: SELF_ASSESSORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: eval_entry_submit_op,
        },
        Case {
            op: "eval_entry_score",
            allowed: &[BranchStaff],
            also_other: &[],
            ok: 200,
            build: eval_entry_score_op,
        },
        Case {
            op: "eval_entry_return",
            allowed: &[BranchStaff],
            also_other: &[],
            ok: 200,
            build: eval_entry_return_op,
        },
        Case {
            op: "eval_assign",
            allowed: DISTRICT,
            also_other: DISTRICT,
            ok: 200,
            build: eval_assign_op,
        },
        Case {
            op: "eval_assess",
            allowed: EVALUATORS,
            also_other: EVALUATORS,
            ok: 200,
            build: eval_assess_op,
        },
        Case {
            op: "spot_check_create",
            allowed: SPOT_CHECKERS,
            also_other: SPOT_CHECKERS,
            ok: 200,
            build: spot_check_create_op,
        },
        Case {
            op: "spot_checks",
            allowed: EVAL_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: spot_checks_op,
        },
        Case {
            op: "spot_check_rectify",
            allowed: SELF_ASSESSORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: spot_check_rectify_op,
        },
        Case {
            op: "eval_facility_standards_get",
            allowed: EVAL_READERS,
            also_other: EVAL_READERS,
            ok: 200,
            build: eval_facility_standards_get_op,
        },
        Case {
            op: "eval_facility_standards_save",
            allowed: DISTRICT,
            also_other: DISTRICT,
            ok: 200,
            build: eval_facility_standards_save_op,
        },
        Case {
            op: "eval_facilities_get",
            allowed: EVAL_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: eval_facilities_get_op,
        },
        Case {
            op: "eval_facilities_save",
            allowed: SELF_ASSESSORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: eval_facilities_save_op,
        },
        Case {
            op: "eval_unit_history",
            allowed: EVAL_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: eval_unit_history_op,
        },
        Case {
            op: "eval_unit_status",
            allowed: EVAL_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: eval_unit_status_op,
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// Evaluation (考核评估): a branch scores only its points, the main center only branches, the
// district the main center; evaluators assess only what they are assigned.

/// Who reads evaluation data: staff of the unit and above, the district and evaluators.
const EVAL_READERS: &[Who] = ACTIVITY_READERS;
/// Who fills in a unit's self-assessment and records its rectifications.
const SELF_ASSESSORS: &[Who] = &[PointCoordinator, BranchStaff, CenterStaff, CenterAdmin];
const DISTRICT: &[Who] = &[DistrictSupervisor];
const SPOT_CHECKERS: &[Who] = &[CenterStaff, CenterAdmin, DistrictSupervisor];
const EVALUATORS: &[Who] = &[Evaluator];

/// The matrix's shared round (created once by the district), and a second one for publishing.
async fn eval_round(w: &World<'_>, year: i32) -> i64 {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM eval_rounds WHERE year = $1 AND period = 'year'")
            .bind(year as i64)
            .fetch_optional(w.app.state().db.pool())
            .await
            .unwrap();
    if let Some(id) = found {
        return id;
    }
    let due = culturehub_tests::at(w.app, 24 * 60);
    let (s, v) = w
        .app
        .post(
            "/api/v1/evaluation/rounds",
            w.token(DistrictSupervisor),
            json!({"year": year, "period": "year", "title": "矩阵考核", "point_self_due": due,
                "point_score_due": due, "branch_self_due": due, "branch_score_due": due,
                "main_self_due": due, "district_due": due}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["id"].as_i64().unwrap()
}

/// The entry of the point on side `s` in the shared round, put into `status` (self scores
/// filled in when it is past `self`).
async fn eval_entry(w: &World<'_>, s: Side, status: &str) -> i64 {
    let round = eval_round(w, 2000).await;
    let point = w.app.unit_id(w.point(s)).await;
    let db = w.app.state().db.pool();
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM eval_entries WHERE round_id = $1 AND unit_id = $2")
            .bind(round)
            .bind(point)
            .fetch_one(db)
            .await
            .unwrap();
    sqlx::query("UPDATE eval_entries SET status = $1 WHERE id = $2")
        .bind(status)
        .bind(id)
        .execute(db)
        .await
        .unwrap();
    sqlx::query("UPDATE eval_items SET self_score = max_score WHERE entry_id = $1")
        .bind(id)
        .execute(db)
        .await
        .unwrap();
    id
}

fn eval_template_get_op<'a>(_w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        Req {
            method: "GET",
            path: "/api/v1/evaluation/templates/2026/point".into(),
            body: None,
        }
    })
}
fn eval_template_save_op<'a>(_w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        Req {
            method: "PUT",
            path: "/api/v1/evaluation/templates/2030/branch".into(),
            body: Some(json!({"indicators": [
                {"category": "innovation", "title": "创新", "max_score": 100, "method": "manual"}]})),
        }
    })
}
fn eval_round_create_op<'a>(w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        // A year no other attempt used (a round is unique per year and period).
        let n = w
            .app
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log")
            .await;
        let due = culturehub_tests::at(w.app, 60);
        Req {
            method: "POST",
            path: "/api/v1/evaluation/rounds".into(),
            body: Some(
                json!({"year": 2040 + (n % 50), "period": "h1", "title": "矩阵", "point_self_due": due,
                "point_score_due": due, "branch_self_due": due, "branch_score_due": due,
                "main_self_due": due, "district_due": due}),
            ),
        }
    })
}
fn eval_rounds_op<'a>(_w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        Req {
            method: "GET",
            path: "/api/v1/evaluation/rounds".into(),
            body: None,
        }
    })
}
fn eval_round_get_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let round = eval_round(w, 2000).await;
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "GET",
            path: format!("/api/v1/evaluation/rounds/{round}?unit_id={point}"),
            body: None,
        }
    })
}
fn eval_round_export_op<'a>(w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        let round = eval_round(w, 2000).await;
        Req {
            method: "GET",
            path: format!("/api/v1/evaluation/rounds/{round}/export?format=xlsx"),
            body: None,
        }
    })
}
fn eval_round_publish_op<'a>(w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        let round = eval_round(w, 2001).await;
        let db = w.app.state().db.pool();
        sqlx::query("UPDATE eval_rounds SET status = 'open' WHERE id = $1")
            .bind(round)
            .execute(db)
            .await
            .unwrap();
        sqlx::query("UPDATE eval_entries SET status = 'scored' WHERE round_id = $1")
            .bind(round)
            .execute(db)
            .await
            .unwrap();
        Req {
            method: "POST",
            path: format!("/api/v1/evaluation/rounds/{round}/publish"),
            body: Some(json!({})),
        }
    })
}
fn eval_round_reopen_op<'a>(w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        let round = eval_round(w, 2001).await;
        sqlx::query("UPDATE eval_rounds SET status = 'published' WHERE id = $1")
            .bind(round)
            .execute(w.app.state().db.pool())
            .await
            .unwrap();
        Req {
            method: "POST",
            path: format!("/api/v1/evaluation/rounds/{round}/reopen"),
            body: Some(json!({"comment": "复核"})),
        }
    })
}
fn eval_entry_get_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = eval_entry(w, s, "self").await;
        Req {
            method: "GET",
            path: format!("/api/v1/evaluation/entries/{id}"),
            body: None,
        }
    })
}
fn eval_entry_self_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = eval_entry(w, s, "self").await;
        Req {
            method: "PUT",
            path: format!("/api/v1/evaluation/entries/{id}/self"),
            body: Some(json!({"items": [{"position": 3, "score": 10, "comment": "自评"}]})),
        }
    })
}
fn eval_entry_submit_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = eval_entry(w, s, "self").await;
        Req {
            method: "POST",
            path: format!("/api/v1/evaluation/entries/{id}/submit"),
            body: Some(json!({})),
        }
    })
}
fn eval_entry_score_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = eval_entry(w, s, "submitted").await;
        let items: Vec<serde_json::Value> =
            (0..8).map(|p| json!({"position": p, "score": 5})).collect();
        Req {
            method: "POST",
            path: format!("/api/v1/evaluation/entries/{id}/score"),
            body: Some(json!({"items": items})),
        }
    })
}
fn eval_entry_return_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let id = eval_entry(w, s, "submitted").await;
        Req {
            method: "POST",
            path: format!("/api/v1/evaluation/entries/{id}/return"),
            body: Some(json!({"comment": "请补充材料"})),
        }
    })
}
fn eval_assign_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let round = eval_round(w, 2000).await;
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "POST",
            path: format!("/api/v1/evaluation/rounds/{round}/assignments"),
            body: Some(json!({"user_id": w.users[&Evaluator], "unit_id": point})),
        }
    })
}
fn eval_assess_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let round = eval_round(w, 2000).await;
        let point = w.app.unit_id(w.point(s)).await;
        // The matrix's evaluator is assigned the point on either side.
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO eval_assignments (round_id, user_id, unit_id, created_at) VALUES ($1,$2,$3,$4) RETURNING id",
        )
        .bind(round)
        .bind(w.users[&Evaluator])
        .bind(point)
        .bind(w.app.state().now())
        .fetch_one(w.app.state().db.pool())
        .await
        .unwrap();
        Req {
            method: "PUT",
            path: format!("/api/v1/evaluation/assignments/{id}/assessment"),
            body: Some(json!({"assessment": "运行规范", "score": 90})),
        }
    })
}
fn spot_check_create_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method: "POST",
            path: "/api/v1/spot-checks".into(),
            body: Some(
                json!({"unit_id": point, "kind": "supervision", "visited_on": "2026-03-01",
                "findings": "标识不统一", "rectify_by": "2026-04-01"}),
            ),
        }
    })
}
fn spot_checks_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    get_with_point(w, s, "/api/v1/spot-checks")
}
fn spot_check_rectify_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let (point, path) = w.app.unit_ref(w.point(s)).await;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO spot_checks (unit_id, unit_path, kind, visited_on, findings, rectify_by, recorded_by, created_at) \
             VALUES ($1,$2,'unannounced','2026-03-01','未公示开放时间','2026-04-01',$3,$4) RETURNING id",
        )
        .bind(point)
        .bind(path)
        .bind(w.users[&DistrictSupervisor])
        .bind(w.app.state().now())
        .fetch_one(w.app.state().db.pool())
        .await
        .unwrap();
        Req {
            method: "POST",
            path: format!("/api/v1/spot-checks/{id}/rectify"),
            body: Some(json!({"rectification": "已公示"})),
        }
    })
}

fn eval_facility_standards_get_op<'a>(_w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        Req {
            method: "GET",
            path: "/api/v1/evaluation/facility-standards/point".into(),
            body: None,
        }
    })
}
fn eval_facility_standards_save_op<'a>(_w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        Req {
            method: "PUT",
            path: "/api/v1/evaluation/facility-standards/point".into(),
            body: Some(
                json!({"items": [{"key": "area", "label": "面积", "kind": "min", "min": 100, "unit": "平方米"}]}),
            ),
        }
    })
}
fn eval_point_op<'a>(
    w: &'a World<'a>,
    s: Side,
    method: &'static str,
    tail: &'static str,
    body: Option<serde_json::Value>,
) -> Fut<'a> {
    Box::pin(async move {
        let point = w.app.unit_id(w.point(s)).await;
        Req {
            method,
            path: format!("/api/v1/evaluation/{tail}").replace("{unit}", &point.to_string()),
            body,
        }
    })
}
fn eval_facilities_get_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    eval_point_op(w, s, "GET", "facilities/{unit}", None)
}
fn eval_facilities_save_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    eval_point_op(
        w,
        s,
        "PUT",
        "facilities/{unit}",
        Some(json!({"facts": [{"key": "area", "value": 120}]})),
    )
}
fn eval_unit_history_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    eval_point_op(w, s, "GET", "units/{unit}/history", None)
}
fn eval_unit_status_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    eval_point_op(w, s, "GET", "units/{unit}/status", None)
}

/// Everyone who may hold a console session (any role but volunteer).
const CONSOLE_USERS: &[Who] = &[
    PointCoordinator,
    BranchStaff,
    CenterStaff,
    CenterAdmin,
    DistrictSupervisor,
    Evaluator,
];
/// Who may revoke a point coordinator's role, and so end their console sessions.
const COORDINATOR_GRANTERS: &[Who] = &[BranchStaff, CenterStaff, CenterAdmin];

fn console_scan_op<'a>(w: &'a World<'a>, _s: Side) -> Fut<'a> {
    Box::pin(async move {
        // A fresh code per attempt: a scanned code belongs to whoever scanned it.
        let (_, v) = w
            .app
            .post("/api/v1/console/login-codes", None, json!({}))
            .await;
        let nonce = v["nonce"].as_str().expect("nonce").to_string();
        Req {
            method: "POST",
            path: format!("/api/v1/console/login-codes/{nonce}/scan"),
            body: Some(json!({})),
        }
    })
}

/// A point coordinator of side `s` (not one of the matrix's people).
async fn coordinator_of(w: &World<'_>, s: Side) -> i64 {
    let (_, uid) = w
        .app
        .staff(
            &format!("matrix-console-{s:?}"),
            culturehub::access::Role::PointCoordinator,
            w.point(s),
        )
        .await;
    uid
}

fn console_sessions_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let uid = coordinator_of(w, s).await;
        Req {
            method: "GET",
            path: format!("/api/v1/console/sessions?user_id={uid}"),
            body: None,
        }
    })
}

fn console_revoke_op<'a>(w: &'a World<'a>, s: Side) -> Fut<'a> {
    Box::pin(async move {
        let uid = coordinator_of(w, s).await;
        let st = w.app.state();
        let mut tx = st.db.begin().await.unwrap();
        let (_, id, _) = culturehub::console::open_session(
            &mut tx,
            uid,
            "dev",
            &Default::default(),
            st.clock.now(),
            12,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        Req {
            method: "DELETE",
            path: format!("/api/v1/console/sessions/{id}"),
            body: None,
        }
    })
}

async fn permission_matrix(app: &TestApp) {
    let w = matrix::world(app).await;
    let cases = cases();
    // Every operation in the API is public, self-service, or has a matrix case.
    let ops = matrix::operation_ids(app).await;
    let missing: Vec<&String> = ops
        .iter()
        .filter(|op| {
            !PUBLIC.contains(&op.as_str())
                && !SELF.contains(&op.as_str())
                && !cases.iter().any(|c| c.op == op.as_str())
        })
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a permission-matrix entry: {missing:?}"
    );
    // The OpenAPI document declares a credential for everything but these.
    let (_, doc) = app.get("/openapi.json", None).await;
    let mut open: Vec<String> = Vec::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let security = op["security"].as_array().cloned().unwrap_or_default();
            if security.is_empty()
                || security
                    .iter()
                    .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
            {
                open.push(op["operationId"].as_str().unwrap_or("").to_string());
            }
        }
    }
    // Uploaded images are open too: a public file needs no credential; the matrix above checks
    // staff files, which do.
    let mut public: Vec<String> = PUBLIC
        .iter()
        .chain(["file_get", "file_thumb"].iter())
        .map(|s| s.to_string())
        .collect();
    open.sort();
    public.sort();
    assert_eq!(
        open, public,
        "operations the document lets in without a credential"
    );

    let failures = matrix::run(&w, &cases).await;
    assert!(
        failures.is_empty(),
        "permission matrix failures:\n{}",
        failures.join("\n")
    );

    // Self-service operations need a session.
    for (method, path) in [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/me/export"),
        ("POST", "/api/v1/auth/logout"),
    ] {
        let (status, body) = app.call(method, path, None, None).await;
        assert_eq!(status, 401, "{method} {path}: {body}");
    }
    // Public reads need none.
    let id = app.unit_id(w.a.1).await;
    for path in [
        "/api/v1/org/tree".to_string(),
        "/api/v1/org/units".into(),
        format!("/api/v1/org/units/{id}"),
    ] {
        assert_eq!(app.get(&path, None).await.0, 200, "{path}");
    }
    // Denials are in the audit trail as security events.
    let denied = app
        .count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'access_denied'")
        .await;
    assert!(denied > 0, "denials must be audited");
}

both!(matrix_over_every_operation, permission_matrix);
