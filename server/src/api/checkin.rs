use super::{ApiTags, Done};
use crate::access::{self, Action, Caller};
use crate::checkin::{
    self, Attendance, CheckinList, Conflict, LookupHit, OfflineScan, ScanAnswer, ServiceHours,
    SessionInfo, Stats, Ticket,
};
use crate::error::ApiError;
use crate::export::{Cell, Download, ExportFormat, Table};
use crate::state::{ctx, AppState};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use sqlx::Row;

pub struct CheckinApi;

#[derive(Object)]
struct Scan {
    session_id: i64,
    /// The token read from the resident's QR code.
    #[oai(validator(max_length = 200))]
    token: String,
    /// A fresh random value per scan; a retry reuses it.
    #[oai(validator(min_length = 1, max_length = 64))]
    nonce: String,
}

#[derive(Object)]
struct Reason {
    #[oai(validator(min_length = 1, max_length = 200))]
    reason: String,
}

#[derive(Object)]
struct Sync {
    #[oai(validator(max_items = 2000))]
    scans: Vec<OfflineScan>,
}

#[derive(Object)]
struct SyncResult {
    answers: Vec<ScanAnswer>,
}

#[derive(Object)]
struct Manual {
    booking_id: i64,
}

#[derive(Object)]
struct HeadCount {
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    count: i64,
    #[oai(validator(min_length = 1, max_length = 64))]
    nonce: String,
}

#[derive(Object)]
struct WalkIns {
    session_id: i64,
    walk_ins: i64,
}

#[derive(Object)]
struct SelfCheckin {
    session_id: i64,
}

#[derive(Object)]
struct Lookup {
    items: Vec<LookupHit>,
}

#[derive(Object)]
struct Conflicts {
    items: Vec<Conflict>,
}

#[derive(Object)]
struct AttendanceList {
    items: Vec<Attendance>,
}

#[derive(Object)]
struct Resolve {
    #[oai(validator(min_length = 1, max_length = 200))]
    resolution: String,
}

#[derive(Object)]
struct Apply {
    unit_id: i64,
    #[oai(validator(max_length = 200))]
    note: Option<String>,
}

#[derive(Object)]
struct Application {
    id: i64,
    user_id: i64,
    /// Masked.
    name: String,
    unit_id: i64,
    unit_name: String,
    note: String,
    status: String,
    created_at: String,
}

#[derive(Object)]
struct Applications {
    items: Vec<Application>,
}

#[derive(Object)]
struct Assign {
    user_id: i64,
}

#[derive(Object)]
struct AssignDay {
    user_id: i64,
    /// `YYYY-MM-DD` (China time).
    day: String,
}

#[derive(Object)]
struct Assignment {
    id: i64,
    user_id: i64,
    session_id: Option<i64>,
    unit_id: i64,
    unit_name: String,
    day: Option<String>,
    title: Option<String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
}

#[derive(Object)]
struct MyVolunteering {
    assignments: Vec<Assignment>,
    hours: ServiceHours,
}

#[derive(Object)]
struct VolunteerHours {
    items: Vec<ServiceHours>,
}

#[derive(ApiResponse)]
enum VenueCode {
    /// The mini-program code image (JPEG) that residents scan to check themselves in.
    #[oai(status = 200, content_type = "image/jpeg")]
    Image(Binary<Vec<u8>>),
}

async fn scanner(
    st: &AppState,
    req: &Request,
    session_id: i64,
) -> Result<(Caller, SessionInfo), ApiError> {
    let caller = st.caller(req).await?;
    let s = checkin::session_info(&st.db, session_id).await?;
    if let Err(e) = checkin::may_scan(&st.db, &caller, &s).await {
        // Record the denial like any other.
        if e.code == "forbidden" {
            st.authorize(req, &caller, Action::ScanTickets, &s.unit)
                .await?;
        }
        return Err(e);
    }
    Ok((caller, s))
}

async fn staff_at(
    st: &AppState,
    req: &Request,
    session_id: i64,
    action: Action,
) -> Result<(Caller, SessionInfo), ApiError> {
    let caller = st.caller(req).await?;
    let s = checkin::session_info(&st.db, session_id).await?;
    st.authorize(req, &caller, action, &s.unit).await?;
    Ok((caller, s))
}

async fn assignments_of(
    st: &AppState,
    user_id: i64,
    from: &str,
) -> Result<Vec<Assignment>, ApiError> {
    let rows = sqlx::query(
        "SELECT g.id, g.user_id, g.session_id, g.unit_id, u.short_name, g.day, a.title, s.starts_at, s.ends_at \
         FROM assignments g JOIN org_units u ON u.id = g.unit_id LEFT JOIN sessions s ON s.id = g.session_id \
         LEFT JOIN activities a ON a.id = s.activity_id WHERE g.user_id = $1 AND g.removed_at IS NULL \
         AND (s.ends_at > $2 OR (g.session_id IS NULL AND g.day >= $3)) ORDER BY COALESCE(s.starts_at, g.day), g.id",
    )
    .bind(user_id)
    .bind(from)
    .bind(crate::family::china_date(crate::time::parse(from).unwrap_or_else(chrono::Utc::now)).format("%Y-%m-%d").to_string())
    .fetch_all(st.db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Assignment {
            id: r.get("id"),
            user_id: r.get("user_id"),
            session_id: r.get("session_id"),
            unit_id: r.get("unit_id"),
            unit_name: r.get("short_name"),
            day: r.get("day"),
            title: r.get("title"),
            starts_at: r.get("starts_at"),
            ends_at: r.get("ends_at"),
        })
        .collect())
}

/// The person must be a volunteer (or staff) whose grant covers the unit.
async fn check_volunteer(
    st: &AppState,
    user_id: i64,
    unit: &access::UnitRef,
) -> Result<(), ApiError> {
    let grants = crate::identity::grants_of(&st.db, user_id).await?;
    let who = Caller {
        user_id,
        openid: None,
        grants,
    };
    access::check(&who, Action::ScanTickets, unit)
        .map_err(|_| ApiError::validation("这位用户不是该单位的志愿者，请先审核其志愿者申请"))
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Checkin")]
impl CheckinApi {
    /// My ticket for a confirmed booking: QR token, PNG and SVG, masked name.
    #[oai(
        path = "/bookings/:id/ticket",
        method = "get",
        operation_id = "booking_ticket"
    )]
    async fn ticket(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Ticket>> {
        let caller = st.caller(req).await?;
        Ok(Json(
            checkin::ticket(&st.db, &st.ticket_key, caller.user_id, id.0, &st.now()).await?,
        ))
    }

    /// Scan a ticket at the door (volunteers assigned to the session, or its staff).
    #[oai(path = "/checkin/scan", method = "post", operation_id = "checkin_scan")]
    async fn scan(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<Scan>,
    ) -> Result<Json<ScanAnswer>> {
        // One read for the session, the caller's assignment and the ticket (D268).
        let caller = st.caller(req).await?;
        let now = st.clock.now();
        let d = checkin::door(&st.db, body.session_id, caller.user_id, &body.token, now).await?;
        if let Err(e) = checkin::may_scan_at_door(&st.db, &caller, &d).await {
            // Record the denial like any other.
            if e.code == "forbidden" {
                st.authorize(req, &caller, Action::ScanTickets, &d.session.unit)
                    .await?;
            }
            return Err(e.into());
        }
        let a = checkin::scan(
            &st.db,
            &d,
            caller.user_id,
            &body.token,
            &body.nonce,
            st.settings.booking.checkin_opens_minutes,
            now,
        )
        .await?;
        Ok(Json(a))
    }

    /// Undo an admission: the volunteer within 15 minutes, staff at any time; with a reason.
    #[oai(
        path = "/checkin/:id/undo",
        method = "post",
        operation_id = "checkin_undo"
    )]
    async fn undo(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Reason>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let c = ctx(req);
        let entry = st.audit(
            &c,
            &caller,
            "checkin_undone",
            None,
            format!("checkin {}", id.0),
            body.reason.clone(),
        );
        checkin::undo(
            &st.db,
            &caller,
            id.0,
            body.reason.trim(),
            st.clock.now(),
            entry,
        )
        .await?;
        Ok(Json(Done { ok: true }))
    }

    /// The session's check-in list for scanning without a connection (hashes and masked names).
    #[oai(
        path = "/sessions/:id/checkin-list",
        method = "get",
        operation_id = "checkin_list"
    )]
    async fn list(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<CheckinList>> {
        let (_, s) = scanner(&st, req, id.0).await?;
        Ok(Json(
            checkin::offline_list(&st.db, &st.ticket_key, &s, st.clock.now()).await?,
        ))
    }

    /// Upload scans made offline; conflicts are recorded for staff, never rejected.
    #[oai(
        path = "/sessions/:id/checkin/sync",
        method = "post",
        operation_id = "checkin_sync"
    )]
    async fn sync(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Sync>,
    ) -> Result<Json<SyncResult>> {
        let (caller, s) = scanner(&st, req, id.0).await?;
        Ok(Json(SyncResult {
            answers: checkin::sync(&st.db, &s, caller.user_id, &body.scans, st.clock.now()).await?,
        }))
    }

    /// Staff look-up for a resident without a phone: name and last 4 phone digits (recorded).
    #[oai(
        path = "/sessions/:id/checkin/lookup",
        method = "get",
        operation_id = "checkin_lookup"
    )]
    async fn lookup(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        name: Query<String>,
        phone_last4: Query<String>,
    ) -> Result<Json<Lookup>> {
        let (caller, s) = staff_at(&st, req, id.0, Action::ManageCheckin).await?;
        let items = checkin::lookup(&st.db, &s, &name.0, &phone_last4.0).await?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "resident_lookup",
            Some(s.unit.id),
            format!("session {}", s.id),
            format!("{} 条结果", items.len()),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(Lookup { items }))
    }

    /// Staff admit a booking found by look-up (recorded).
    #[oai(
        path = "/sessions/:id/checkin/manual",
        method = "post",
        operation_id = "checkin_manual"
    )]
    async fn manual(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Manual>,
    ) -> Result<Json<ScanAnswer>> {
        let (caller, s) = staff_at(&st, req, id.0, Action::ManageCheckin).await?;
        let c = ctx(req);
        let entry = st.audit(
            &c,
            &caller,
            "manual_checkin",
            Some(s.unit.id),
            format!("booking {}", body.booking_id),
            String::new(),
        );
        Ok(Json(
            checkin::admit_manually(
                &st.db,
                &s,
                caller.user_id,
                body.booking_id,
                st.clock.now(),
                entry,
            )
            .await?,
        ))
    }

    /// Record a head count at a walk-in event (idempotent by nonce).
    #[oai(
        path = "/sessions/:id/headcount",
        method = "post",
        operation_id = "checkin_headcount"
    )]
    async fn headcount(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<HeadCount>,
    ) -> Result<Json<WalkIns>> {
        let (caller, s) = scanner(&st, req, id.0).await?;
        let walk_ins = checkin::headcount(
            &st.db,
            &s,
            caller.user_id,
            body.count,
            &body.nonce,
            &st.now(),
        )
        .await?;
        Ok(Json(WalkIns {
            session_id: s.id,
            walk_ins,
        }))
    }

    /// A resident checks in by scanning the venue's mini-program code.
    #[oai(path = "/checkin/self", method = "post", operation_id = "checkin_self")]
    async fn self_checkin(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<SelfCheckin>,
    ) -> Result<Json<ScanAnswer>> {
        let caller = st.caller(req).await?;
        let s = checkin::session_info(&st.db, body.session_id).await?;
        Ok(Json(
            checkin::self_checkin(
                &st.db,
                &s,
                caller.user_id,
                st.settings.booking.checkin_opens_minutes,
                st.clock.now(),
            )
            .await?,
        ))
    }

    /// The venue code for self check-in, generated through WeChat (`getwxacodeunlimit`).
    #[oai(
        path = "/sessions/:id/venue-code",
        method = "get",
        operation_id = "checkin_venue_code"
    )]
    async fn venue_code(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<VenueCode> {
        staff_at(&st, req, id.0, Action::ManageCheckin).await?;
        let bytes = st
            .wechat
            .wxacode_unlimit(&format!("s={}", id.0), "pages/checkin/self")
            .await
            .map_err(|e| {
                tracing::warn!(errcode = ?e.errcode(), "getwxacodeunlimit failed");
                ApiError::upstream("wechat_unavailable", "暂时无法生成签到码，请稍后再试")
            })?;
        Ok(VenueCode::Image(Binary(bytes)))
    }

    /// Live counts for a session: booked, admitted, walk-ins, open conflicts.
    #[oai(
        path = "/sessions/:id/checkin/stats",
        method = "get",
        operation_id = "checkin_stats"
    )]
    async fn stats(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Stats>> {
        let caller = st.caller(req).await?;
        let s = checkin::session_info(&st.db, id.0).await?;
        if access::check(&caller, Action::ReadActivityData, &s.unit).is_err() {
            checkin::may_scan(&st.db, &caller, &s).await.map_err(|e| {
                if e.code == "not_assigned" {
                    ApiError::forbidden()
                } else {
                    e
                }
            })?;
        }
        Ok(Json(checkin::stats(&st.db, &s).await?))
    }

    /// Offline conflicts of a session (staff).
    #[oai(
        path = "/sessions/:id/checkin/conflicts",
        method = "get",
        operation_id = "checkin_conflicts"
    )]
    async fn conflicts(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Conflicts>> {
        let (_, s) = staff_at(&st, req, id.0, Action::ManageCheckin).await?;
        Ok(Json(Conflicts {
            items: checkin::conflicts(&st.db, s.id).await?,
        }))
    }

    /// Mark a conflict handled, with what was found.
    #[oai(
        path = "/checkin/conflicts/:id/resolve",
        method = "post",
        operation_id = "checkin_conflict_resolve"
    )]
    async fn resolve(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Resolve>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let session_id: i64 =
            sqlx::query_scalar("SELECT session_id FROM checkin_conflicts WHERE id = $1")
                .bind(id.0)
                .fetch_optional(st.db.pool())
                .await
                .map_err(ApiError::from)?
                .ok_or_else(|| ApiError::not_found("该冲突记录"))?;
        let s = checkin::session_info(&st.db, session_id).await?;
        st.authorize(req, &caller, Action::ManageCheckin, &s.unit)
            .await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let n = sqlx::query("UPDATE checkin_conflicts SET resolved_at = $1, resolved_by = $2, resolution = $3 WHERE id = $4 AND resolved_at IS NULL")
            .bind(&now)
            .bind(caller.user_id)
            .bind(body.resolution.trim())
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?
            .rows_affected();
        if n == 0 {
            return Err(ApiError::conflict("already_resolved", "这条冲突已处理").into());
        }
        st.audited(
            &mut tx,
            req,
            &caller,
            "conflict_resolved",
            Some(s.unit.id),
            format!("conflict {}", id.0),
            body.resolution.clone(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(Done { ok: true }))
    }

    /// Attendance per participant of a course (staff).
    #[oai(
        path = "/activities/:id/attendance",
        method = "get",
        operation_id = "activity_attendance"
    )]
    async fn attendance(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<AttendanceList>> {
        let caller = st.caller(req).await?;
        let head = crate::activity::head(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::ReadActivityData, &head.organizer)
            .await?;
        Ok(Json(AttendanceList {
            items: checkin::attendance(&st.db, id.0, None, &st.now()).await?,
        }))
    }

    /// My attendance on a course booking.
    #[oai(
        path = "/bookings/:id/attendance",
        method = "get",
        operation_id = "booking_attendance"
    )]
    async fn my_attendance(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Attendance>> {
        let caller = st.caller(req).await?;
        let b = crate::booking::view(&st.db, &st.settings.booking, id.0, caller.user_id).await?;
        let mut v = checkin::attendance(&st.db, b.activity_id, Some(id.0), &st.now()).await?;
        v.pop()
            .map(Json)
            .ok_or_else(|| ApiError::conflict("no_ticket", "这条预约没有有效名额").into())
    }

    /// Apply to volunteer at a branch or point.
    #[oai(
        path = "/volunteers/applications",
        method = "post",
        operation_id = "volunteer_apply"
    )]
    async fn apply(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<Apply>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        crate::org::unit_ref(&st.db, body.unit_id).await?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        sqlx::query("INSERT INTO volunteer_applications (user_id, unit_id, note, created_at) VALUES ($1,$2,$3,$4)")
            .bind(caller.user_id)
            .bind(body.unit_id)
            .bind(body.note.clone().unwrap_or_default())
            .bind(st.now())
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if crate::db::is_unique_violation(&e) {
                    ApiError::conflict("already_applied", "已提交申请，请等待审核")
                } else {
                    e.into()
                }
            })?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(Done { ok: true }))
    }

    /// Pending volunteer applications of a unit and the units below it.
    #[oai(
        path = "/units/:id/volunteer-applications",
        method = "get",
        operation_id = "volunteer_applications"
    )]
    async fn applications(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Applications>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(
                req,
                &caller,
                Action::Grant(crate::access::Role::Volunteer),
                id.0,
            )
            .await?;
        // A range, not LIKE: the org_units path index can serve it (same rows: paths are digits).
        let rows = sqlx::query(&format!(
            "SELECT v.id, v.user_id, p.display_name, v.unit_id, u.short_name, v.note, v.status, v.created_at FROM volunteer_applications v \
             JOIN users p ON p.id = v.user_id JOIN org_units u ON u.id = v.unit_id WHERE {} AND v.status = 'pending' ORDER BY v.id",
            crate::access::subtree_sql("u.path", &unit.path)
        ))
        .fetch_all(st.db.pool())
        .await
        .map_err(ApiError::from)?;
        Ok(Json(Applications {
            items: rows
                .iter()
                .map(|r| Application {
                    id: r.get("id"),
                    user_id: r.get("user_id"),
                    name: crate::privacy::mask_name(&r.get::<String, _>("display_name")),
                    unit_id: r.get("unit_id"),
                    unit_name: r.get("short_name"),
                    note: r.get("note"),
                    status: r.get("status"),
                    created_at: r.get("created_at"),
                })
                .collect(),
        }))
    }

    /// Approve a volunteer application: the volunteer role is granted at its unit.
    #[oai(
        path = "/volunteer-applications/:id/approve",
        method = "post",
        operation_id = "volunteer_approve"
    )]
    async fn approve(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        decide(&st, req, id.0, true).await
    }

    /// Reject a volunteer application.
    #[oai(
        path = "/volunteer-applications/:id/reject",
        method = "post",
        operation_id = "volunteer_reject"
    )]
    async fn reject(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        decide(&st, req, id.0, false).await
    }

    /// Assign a volunteer to a session.
    #[oai(
        path = "/sessions/:id/assignments",
        method = "post",
        operation_id = "assignment_session"
    )]
    async fn assign(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Assign>,
    ) -> Result<Json<Done>> {
        let (caller, s) = staff_at(&st, req, id.0, Action::ManageCheckin).await?;
        check_volunteer(&st, body.user_id, &s.unit).await?;
        insert_assignment(&st, req, &caller, body.user_id, Some(s.id), &s.unit, None).await
    }

    /// Assign a volunteer to a unit for a whole day (every session there that day).
    #[oai(
        path = "/units/:id/assignments",
        method = "post",
        operation_id = "assignment_day"
    )]
    async fn assign_day(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<AssignDay>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ManageCheckin, id.0)
            .await?;
        chrono::NaiveDate::parse_from_str(&body.day, "%Y-%m-%d")
            .map_err(|_| ApiError::validation("日期格式应为 2026-12-01"))?;
        check_volunteer(&st, body.user_id, &unit).await?;
        insert_assignment(
            &st,
            req,
            &caller,
            body.user_id,
            None,
            &unit,
            Some(&body.day),
        )
        .await
    }

    /// Remove an assignment.
    #[oai(
        path = "/assignments/:id",
        method = "delete",
        operation_id = "assignment_remove"
    )]
    async fn unassign(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let r = sqlx::query(
            "SELECT unit_id, unit_path FROM assignments WHERE id = $1 AND removed_at IS NULL",
        )
        .bind(id.0)
        .fetch_optional(st.db.pool())
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::not_found("该安排"))?;
        let unit = access::UnitRef {
            id: r.get("unit_id"),
            path: r.get("unit_path"),
        };
        st.authorize(req, &caller, Action::ManageCheckin, &unit)
            .await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        sqlx::query("UPDATE assignments SET removed_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "assignment_removed",
            Some(unit.id),
            format!("assignment {}", id.0),
            String::new(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(Done { ok: true }))
    }

    /// My assignments and my service hours.
    #[oai(
        path = "/me/volunteer",
        method = "get",
        operation_id = "my_volunteering"
    )]
    async fn me(&self, st: Data<&AppState>, req: &Request) -> Result<Json<MyVolunteering>> {
        let caller = st.caller(req).await?;
        let now = st.clock.now();
        Ok(Json(MyVolunteering {
            assignments: assignments_of(&st, caller.user_id, &crate::time::fmt(now)).await?,
            hours: checkin::service_hours(
                &st.db,
                caller.user_id,
                st.settings.booking.checkin_opens_minutes,
                now,
            )
            .await?,
        }))
    }

    /// Volunteers of a unit and the units below it, with their service hours (staff).
    #[oai(
        path = "/units/:id/volunteers",
        method = "get",
        operation_id = "unit_volunteers"
    )]
    async fn volunteers(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<VolunteerHours>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ManageCheckin, id.0)
            .await?;
        Ok(Json(VolunteerHours {
            items: unit_hours(&st, &unit.path).await?,
        }))
    }

    /// The same as CSV or xlsx (`format`), for the ledger (台账).
    #[oai(
        path = "/units/:id/volunteers.csv",
        method = "get",
        operation_id = "unit_volunteers_csv"
    )]
    async fn volunteers_csv(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        /// `csv` (default) or `xlsx`.
        format: Query<Option<ExportFormat>>,
    ) -> Result<Download> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ManageCheckin, id.0)
            .await?;
        let items = unit_hours(&st, &unit.path).await?;
        let mut t = Table::new(
            "志愿服务时长",
            &["志愿者编号", "志愿者", "服务次数", "服务时长（小时）"],
        );
        for v in &items {
            let served = v.records.iter().filter(|r| r.minutes > 0).count();
            t.push(vec![
                Cell::Int(v.user_id),
                v.volunteer_masked.clone().into(),
                Cell::Int(served as i64),
                Cell::Num(v.total_hours),
            ]);
        }
        Ok(Download::table(
            &t,
            format.0,
            &format!("volunteers-{}", unit.id),
        )?)
    }
}

async fn unit_hours(st: &AppState, path: &str) -> Result<Vec<ServiceHours>, ApiError> {
    let users: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT g.user_id FROM role_grants g JOIN org_units u ON u.id = g.unit_id \
         WHERE g.role = 'volunteer' AND g.revoked_at IS NULL AND u.path LIKE $1 ORDER BY g.user_id",
    )
    .bind(format!("{path}%"))
    .fetch_all(st.db.pool())
    .await?;
    let now = st.clock.now();
    let mut out = Vec::with_capacity(users.len());
    for u in users {
        out.push(
            checkin::service_hours(&st.db, u, st.settings.booking.checkin_opens_minutes, now)
                .await?,
        );
    }
    Ok(out)
}

async fn insert_assignment(
    st: &AppState,
    req: &Request,
    caller: &Caller,
    user_id: i64,
    session: Option<i64>,
    unit: &access::UnitRef,
    day: Option<&str>,
) -> Result<Json<Done>> {
    let now = st.now();
    let mut tx = st.db.begin().await.map_err(ApiError::from)?;
    sqlx::query("INSERT INTO assignments (user_id, session_id, unit_id, unit_path, day, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)")
        .bind(user_id)
        .bind(session)
        .bind(unit.id)
        .bind(&unit.path)
        .bind(day)
        .bind(caller.user_id)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(ApiError::from)?;
    st.audited(
        &mut tx,
        req,
        caller,
        "volunteer_assigned",
        Some(unit.id),
        format!("user {user_id}"),
        format!("session {session:?} day {day:?}"),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(Json(Done { ok: true }))
}

async fn decide(st: &AppState, req: &Request, id: i64, approve: bool) -> Result<Json<Done>> {
    let caller = st.caller(req).await?;
    let r =
        sqlx::query("SELECT user_id, unit_id, status FROM volunteer_applications WHERE id = $1")
            .bind(id)
            .fetch_optional(st.db.pool())
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("该申请"))?;
    let unit_id: i64 = r.get("unit_id");
    st.authorize_unit(
        req,
        &caller,
        Action::Grant(crate::access::Role::Volunteer),
        unit_id,
    )
    .await?;
    if r.get::<String, _>("status") != "pending" {
        return Err(ApiError::conflict("already_decided", "这份申请已处理").into());
    }
    let now = st.now();
    let mut tx = st.db.begin().await.map_err(ApiError::from)?;
    let n = sqlx::query("UPDATE volunteer_applications SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = 'pending'")
        .bind(if approve { "approved" } else { "rejected" })
        .bind(caller.user_id)
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(ApiError::from)?
        .rows_affected();
    if n == 0 {
        return Err(ApiError::conflict("already_decided", "这份申请已处理").into());
    }
    let user_id: i64 = r.get("user_id");
    if approve {
        crate::identity::grant_role(
            &mut tx,
            user_id,
            crate::access::Role::Volunteer,
            unit_id,
            Some(caller.user_id),
            &now,
        )
        .await?;
    }
    st.audited(
        &mut tx,
        req,
        &caller,
        if approve {
            "volunteer_approved"
        } else {
            "volunteer_rejected"
        },
        Some(unit_id),
        format!("user {user_id}"),
        String::new(),
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    st.identity_changed(user_id);
    Ok(Json(Done { ok: true }))
}
