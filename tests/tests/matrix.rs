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
    "auth_wechat",
    "auth_dev",
    "activities_browse",
    "activity_get",
    "activity_lottery",
];
/// Operations on one's own account: any signed-in person, 401 when anonymous.
const SELF: &[&str] = &[
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

fn cases() -> Vec<Case> {
    vec![
        Case {
            op: "org_unit_update",
            allowed: UNIT_EDITORS,
            also_other: ROOT_WRITERS,
            ok: 200,
            build: edit_unit,
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
            op: "session_roster",
            allowed: ACTIVITY_READERS,
            also_other: ROOT_READERS,
            ok: 200,
            build: roster,
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
    ]
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
