use super::auth::RoleOut;
use super::ApiTags;
use crate::access::{self, Action, Role};
use crate::audit;
use crate::error::ApiError;
use crate::identity;
use crate::org;
use crate::privacy::{mask_name, mask_phone};
use crate::state::{ctx, AppState};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use sqlx::Row;

pub struct AdminApi;

#[derive(Object)]
struct NewInvitation {
    role: Role,
    unit_id: i64,
    /// How many people may use it (default 1).
    #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
    max_uses: Option<i64>,
    /// Hours until it expires (default 72).
    #[oai(validator(minimum(value = "1"), maximum(value = "720")))]
    valid_hours: Option<i64>,
}

#[derive(Object)]
struct Invitation {
    /// Shown once; only its hash is stored.
    code: String,
    role: Role,
    unit_id: i64,
    max_uses: i64,
    expires_at: String,
}

#[derive(Object)]
struct NewGrant {
    user_id: i64,
    role: Role,
    unit_id: i64,
}

#[derive(Object)]
struct StaffMember {
    user_id: i64,
    /// Masked.
    display_name: String,
    /// Masked.
    phone: Option<String>,
    role: RoleOut,
}

#[derive(Object)]
struct StaffList {
    items: Vec<StaffMember>,
}

#[derive(Object)]
struct AuditItem {
    id: i64,
    at: String,
    actor_id: Option<i64>,
    /// The actor's name, masked (empty for system events and unknown callers).
    actor_name: String,
    action: String,
    unit_id: Option<i64>,
    target: String,
    detail: String,
    request_id: String,
}

#[derive(Object)]
struct AuditPage {
    items: Vec<AuditItem>,
    /// Pass as `before` for the next (older) page.
    next_before: Option<i64>,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Admin")]
impl AdminApi {
    /// Create an invitation code that grants a role at a unit when redeemed.
    #[oai(
        path = "/admin/invitations",
        method = "post",
        operation_id = "invitation_create"
    )]
    async fn invite(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewInvitation>,
    ) -> Result<Json<Invitation>> {
        let caller = st.caller(req).await?;
        let unit = org::unit_ref(&st.db, body.unit_id).await?;
        let is_root = org::root(&st.db).await?.map(|r| r.id) == Some(unit.id);
        if let Err(e) = access::check_grant(&caller, body.role, &unit, is_root) {
            if e.code == "forbidden" {
                st.authorize(req, &caller, Action::Grant(body.role), &unit)
                    .await?;
            }
            return Err(e.into());
        }
        let c = ctx(req);
        let now = st.clock.now();
        let expires_at =
            crate::time::fmt(now + chrono::Duration::hours(body.valid_hours.unwrap_or(72)));
        let max_uses = body.max_uses.unwrap_or(1);
        let now_s = crate::time::fmt(now);
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let code = identity::create_invitation(
            &mut tx,
            body.role,
            unit.id,
            Some(caller.user_id),
            max_uses,
            &expires_at,
            &now_s,
        )
        .await?;
        audit::record(
            &mut tx,
            &now_s,
            st.audit(
                &c,
                &caller,
                "invitation_created",
                Some(unit.id),
                format!("unit {}", unit.id),
                format!("{} x{max_uses}", body.role.as_str()),
            ),
        )
        .await
        .map_err(ApiError::from)?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(Invitation {
            code,
            role: body.role,
            unit_id: unit.id,
            max_uses,
            expires_at,
        }))
    }

    /// Grant a role to a known user directly.
    #[oai(path = "/admin/grants", method = "post", operation_id = "grant_create")]
    async fn grant(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewGrant>,
    ) -> Result<Json<RoleOut>> {
        let caller = st.caller(req).await?;
        let unit = org::unit_ref(&st.db, body.unit_id).await?;
        let is_root = org::root(&st.db).await?.map(|r| r.id) == Some(unit.id);
        if let Err(e) = access::check_grant(&caller, body.role, &unit, is_root) {
            if e.code == "forbidden" {
                st.authorize(req, &caller, Action::Grant(body.role), &unit)
                    .await?;
            }
            return Err(e.into());
        }
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND deleted_at IS NULL")
                .bind(body.user_id)
                .fetch_optional(st.db.pool())
                .await
                .map_err(ApiError::from)?;
        if exists.is_none() {
            return Err(ApiError::not_found("该用户").into());
        }
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let id = identity::grant_role(
            &mut tx,
            body.user_id,
            body.role,
            unit.id,
            Some(caller.user_id),
            &now,
        )
        .await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "role_granted",
            Some(unit.id),
            format!("user {}", body.user_id),
            body.role.as_str().into(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.identity_changed(body.user_id);
        let unit_name: String = sqlx::query_scalar("SELECT name FROM org_units WHERE id = $1")
            .bind(unit.id)
            .fetch_one(st.db.pool())
            .await
            .map_err(ApiError::from)?;
        Ok(Json(RoleOut {
            grant_id: id,
            role: body.role,
            role_label: body.role.label().into(),
            unit_id: unit.id,
            unit_name,
        }))
    }

    /// Revoke a role grant.
    #[oai(
        path = "/admin/grants/:id",
        method = "delete",
        operation_id = "grant_revoke"
    )]
    async fn revoke(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<RoleOut>> {
        let caller = st.caller(req).await?;
        let row = sqlx::query(
            "SELECT g.role, g.unit_id, g.user_id, u.name FROM role_grants g JOIN org_units u ON u.id = g.unit_id \
             WHERE g.id = $1 AND g.revoked_at IS NULL",
        )
        .bind(id.0)
        .fetch_optional(st.db.pool())
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::not_found("该授权"))?;
        let role = Role::parse(&row.get::<String, _>("role")).ok_or_else(ApiError::internal)?;
        let unit_id: i64 = row.get("unit_id");
        st.authorize_unit(req, &caller, Action::Grant(role), unit_id)
            .await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        sqlx::query("UPDATE role_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(&now)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?;
        // A staff role taken away ends the person's console sessions at once; they may sign
        // in again with what they still hold.
        if role != Role::Volunteer {
            crate::console::end_sessions_of(&mut tx, row.get("user_id"), &now, "role_revoked")
                .await?;
        }
        st.audited(
            &mut tx,
            req,
            &caller,
            "role_revoked",
            Some(unit_id),
            format!("user {}", row.get::<i64, _>("user_id")),
            role.as_str().into(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.identity_changed(row.get("user_id"));
        Ok(Json(RoleOut {
            grant_id: id.0,
            role,
            role_label: role.label().into(),
            unit_id,
            unit_name: row.get("name"),
        }))
    }

    /// Staff and volunteers of a unit and the units below it (names and phones masked).
    #[oai(
        path = "/admin/units/:id/staff",
        method = "get",
        operation_id = "unit_staff"
    )]
    async fn staff(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<StaffList>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ReadStaff, id.0)
            .await?;
        let rows = sqlx::query(
            "SELECT g.id, g.role, g.unit_id, u.name AS unit_name, p.id AS user_id, p.display_name, p.phone \
             FROM role_grants g JOIN org_units u ON u.id = g.unit_id JOIN users p ON p.id = g.user_id \
             WHERE g.revoked_at IS NULL AND u.path LIKE $1 ORDER BY u.path, g.id LIMIT 1000",
        )
        .bind(format!("{}%", unit.path))
        .fetch_all(st.db.pool())
        .await
        .map_err(ApiError::from)?;
        let items = rows
            .iter()
            .filter_map(|r| {
                let role = Role::parse(&r.get::<String, _>("role"))?;
                Some(StaffMember {
                    user_id: r.get("user_id"),
                    display_name: mask_name(&r.get::<String, _>("display_name")),
                    phone: r
                        .get::<Option<String>, _>("phone")
                        .as_deref()
                        .map(mask_phone),
                    role: RoleOut {
                        grant_id: r.get("id"),
                        role,
                        role_label: role.label().into(),
                        unit_id: r.get("unit_id"),
                        unit_name: r.get("unit_name"),
                    },
                })
            })
            .collect();
        Ok(Json(StaffList { items }))
    }

    /// The audit trail of a unit and the units below it, newest first; filtered by action,
    /// actor and China-time date range when asked.
    #[oai(
        path = "/admin/units/:id/audit",
        method = "get",
        operation_id = "unit_audit"
    )]
    // One parameter per query filter, as the OpenAPI document lists them.
    #[allow(clippy::too_many_arguments)]
    async fn audit_log(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        before: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<i64>>,
        /// Only this action (e.g. `role_granted`).
        #[oai(validator(max_length = 64))]
        action: Query<Option<String>>,
        /// Only what this person did.
        actor_id: Query<Option<i64>>,
        /// From this day on (`YYYY-MM-DD`, China time, inclusive).
        from: Query<Option<String>>,
        /// Up to this day (`YYYY-MM-DD`, China time, inclusive).
        to: Query<Option<String>>,
    ) -> Result<Json<AuditPage>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ReadAudit, id.0)
            .await?;
        let limit = limit.0.unwrap_or(50);
        let (from, to) = audit_range(from.0.as_deref(), to.0.as_deref())?;
        let action = action
            .0
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty());
        // Absent filters bind NULL; the casts give PostgreSQL the parameter types.
        let rows = sqlx::query(
            "SELECT a.id, a.at, a.actor_id, p.display_name AS actor_name, a.action, a.unit_id, a.target, a.detail, a.request_id \
             FROM audit_log a JOIN org_units u ON u.id = a.unit_id LEFT JOIN users p ON p.id = a.actor_id \
             WHERE u.path LIKE $1 AND a.id < $2 \
             AND (CAST($4 AS TEXT) IS NULL OR a.action = $4) \
             AND (CAST($5 AS BIGINT) IS NULL OR a.actor_id = $5) \
             AND (CAST($6 AS TEXT) IS NULL OR a.at >= $6) \
             AND (CAST($7 AS TEXT) IS NULL OR a.at < $7) \
             ORDER BY a.id DESC LIMIT $3",
        )
        .bind(format!("{}%", unit.path))
        .bind(before.0.unwrap_or(i64::MAX))
        .bind(limit)
        .bind(action)
        .bind(actor_id.0)
        .bind(from)
        .bind(to)
        .fetch_all(st.db.pool())
        .await
        .map_err(ApiError::from)?;
        let items: Vec<AuditItem> = rows
            .iter()
            .map(|r| AuditItem {
                id: r.get("id"),
                at: r.get("at"),
                actor_id: r.get("actor_id"),
                actor_name: mask_name(
                    &r.get::<Option<String>, _>("actor_name").unwrap_or_default(),
                ),
                action: r.get("action"),
                unit_id: r.get("unit_id"),
                target: r.get("target"),
                detail: r.get("detail"),
                request_id: r.get("request_id"),
            })
            .collect();
        let next_before = (items.len() as i64 == limit)
            .then(|| items.last().map(|i| i.id))
            .flatten();
        Ok(Json(AuditPage { items, next_before }))
    }
}

/// A China-time day range as UTC timestamps `[from, to)`, each end optional.
fn audit_range(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let day = |s: &str| {
        chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| ApiError::validation(format!("日期格式应为 YYYY-MM-DD：{s}")))
    };
    // Midnight China time is 16:00 UTC the day before.
    let start = |d: chrono::NaiveDate| {
        crate::time::fmt(
            d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - chrono::Duration::hours(8),
        )
    };
    let from = from.filter(|s| !s.trim().is_empty()).map(day).transpose()?;
    let to = to.filter(|s| !s.trim().is_empty()).map(day).transpose()?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::validation("开始日期不能晚于结束日期"));
        }
    }
    Ok((
        from.map(start),
        to.map(|t| start(t + chrono::Duration::days(1))),
    ))
}
