//! Evidence for the ledgers (活动照片台账): staff attach photos, each with a short note, to a
//! session once it has been held. The photos are staff-only files (`files`, re-encoded
//! without metadata); thumbnails and originals are served only to staff who may read the
//! unit's activity data. A ledger is complete when every held session has evidence.

use crate::access::{Scope, UnitRef};
use crate::audit;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::export::{Cell, Table};
use crate::files::{self, Visibility};
use crate::ledger::{china_time, Period};
use crate::privacy::mask_name;
use poem::http::StatusCode;
use poem_openapi::Object;
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;

/// Photos per session: enough for any event, small enough that a ledger stays readable.
pub const MAX_PER_SESSION: i64 = 30;

/// "Held": the session and its activity are not cancelled (and the activity was published),
/// and the session has ended.
const HELD: &str =
    "s.status = 'scheduled' AND a.status IN ('published','finished') AND s.ends_at <= $NOW";

fn held(now_param: &str) -> String {
    HELD.replace("$NOW", now_param)
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Evidence {
    pub id: i64,
    pub session_id: i64,
    pub file_id: i64,
    /// `/api/v1/files/{id}` (staff only).
    pub url: String,
    /// `/api/v1/files/{id}/thumb` (staff only).
    pub thumb_url: String,
    pub note: String,
    /// Who attached it, masked.
    pub added_by: String,
    pub created_at: String,
}

/// A session as evidence needs it.
pub struct SessionInfo {
    pub unit: UnitRef,
    pub held: bool,
}

pub async fn session(db: &Db, session_id: i64, now: &str) -> ApiResult<SessionInfo> {
    let r = sqlx::query(&format!(
        "SELECT s.unit_id, s.unit_path, CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT) AS held \
         FROM sessions s JOIN activities a ON a.id = s.activity_id WHERE s.id = $1",
        held("$2")
    ))
    .bind(session_id)
    .bind(now)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("场次"))?;
    Ok(SessionInfo {
        unit: UnitRef {
            id: r.get("unit_id"),
            path: r.get("unit_path"),
        },
        held: r.get::<i64, _>("held") == 1,
    })
}

fn unprocessable(code: &'static str, msg: &'static str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
}

/// Attaches an uploaded staff-only photo to a held session. The caller's right to upload at
/// the session's unit is checked by the handler; the file must be one they could have
/// uploaded (`files::for_attachment`).
#[allow(clippy::too_many_arguments)]
pub async fn attach(
    db: &Db,
    caller: &crate::access::Caller,
    session_id: i64,
    info: &SessionInfo,
    file_id: i64,
    note: &str,
    now: &str,
    ip: &str,
    request_id: &str,
) -> ApiResult<Evidence> {
    if !info.held {
        return Err(unprocessable(
            "session_not_held",
            "场次尚未举办（或已取消），举办结束后才能上传活动照片",
        ));
    }
    let file = files::for_attachment(db, caller, file_id, Visibility::Staff).await?;
    let note = note.trim();
    let mut tx = db.begin().await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM session_evidence WHERE session_id = $1 AND removed_at IS NULL",
    )
    .bind(session_id)
    .fetch_one(&mut *tx)
    .await?;
    if n >= MAX_PER_SESSION {
        return Err(unprocessable(
            "evidence_limit",
            "每场最多 30 张活动照片，请先删除不需要的照片",
        ));
    }
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM session_evidence WHERE file_id = $1")
            .bind(file_id)
            .fetch_optional(&mut *tx)
            .await?;
    if taken.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "evidence_file_used",
            "这张照片已经用作活动照片",
        ));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO session_evidence (session_id, file_id, unit_path, note, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
    )
    .bind(session_id)
    .bind(file_id)
    .bind(&info.unit.path)
    .bind(note)
    .bind(caller.user_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        audit::Entry {
            actor_id: Some(caller.user_id),
            action: "evidence_attach",
            unit_id: Some(info.unit.id),
            target: format!("session {session_id}"),
            detail: format!("evidence {id} file {}", file.id),
            ip,
            request_id,
        },
    )
    .await?;
    tx.commit().await?;
    let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(caller.user_id)
        .fetch_one(db.pool())
        .await?;
    Ok(Evidence {
        id,
        session_id,
        file_id,
        url: file.url(),
        thumb_url: file.thumb_url().unwrap_or_default(),
        note: note.to_string(),
        added_by: mask_name(&name),
        created_at: now.to_string(),
    })
}

/// The evidence of a session, oldest first.
pub async fn list(db: &Db, session_id: i64) -> ApiResult<Vec<Evidence>> {
    let rows = sqlx::query(
        "SELECT e.id, e.file_id, e.note, e.created_at, f.thumb_key, u.display_name FROM session_evidence e \
         JOIN files f ON f.id = e.file_id LEFT JOIN users u ON u.id = e.created_by \
         WHERE e.session_id = $1 AND e.removed_at IS NULL ORDER BY e.id",
    )
    .bind(session_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let file_id: i64 = r.get("file_id");
            Evidence {
                id: r.get("id"),
                session_id,
                file_id,
                url: format!("/api/v1/files/{file_id}"),
                thumb_url: r
                    .get::<Option<String>, _>("thumb_key")
                    .map(|_| format!("/api/v1/files/{file_id}/thumb"))
                    .unwrap_or_default(),
                note: r.get("note"),
                added_by: mask_name(
                    &r.get::<Option<String>, _>("display_name")
                        .unwrap_or_default(),
                ),
                created_at: r.get("created_at"),
            }
        })
        .collect())
}

/// Removes one piece of evidence (kept, marked removed), with an audit entry.
#[allow(clippy::too_many_arguments)]
pub async fn remove(
    db: &Db,
    user_id: i64,
    session_id: i64,
    unit_id: i64,
    evidence_id: i64,
    now: &str,
    ip: &str,
    request_id: &str,
) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE session_evidence SET removed_at = $1, removed_by = $2 WHERE id = $3 AND session_id = $4 AND removed_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(evidence_id)
    .bind(session_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(ApiError::not_found("活动照片"));
    }
    audit::record(
        &mut tx,
        now,
        audit::Entry {
            actor_id: Some(user_id),
            action: "evidence_remove",
            unit_id: Some(unit_id),
            target: format!("session {session_id}"),
            detail: format!("evidence {evidence_id}"),
            ip,
            request_id,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct MissingSession {
    pub session_id: i64,
    pub activity_id: i64,
    pub title: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub starts_at: String,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct UnitCompleteness {
    pub unit_id: i64,
    pub unit_name: String,
    pub level: String,
    /// Sessions held in the period at this unit.
    pub held: i64,
    /// Of those, with at least one photo.
    pub with_evidence: i64,
    /// 0–100; 100 when nothing was held.
    pub percent: i64,
    pub complete: bool,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Completeness {
    /// `2026` or `2026-11`.
    pub period: String,
    pub held: i64,
    pub with_evidence: i64,
    pub complete: bool,
    /// Every unit in scope under the one asked for, including those with nothing held.
    pub units: Vec<UnitCompleteness>,
    /// Held sessions without evidence, oldest first.
    pub missing: Vec<MissingSession>,
}

struct HeldSession {
    session_id: i64,
    activity_id: i64,
    title: String,
    unit_id: i64,
    starts_at: String,
    photos: i64,
    notes: String,
}

async fn held_sessions(
    db: &Db,
    scope: &Scope,
    under: &str,
    p: &Period,
    now: &str,
) -> ApiResult<Vec<HeldSession>> {
    let rows = sqlx::query(&format!(
        "SELECT s.id, s.activity_id, a.title, s.unit_id, s.starts_at, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM session_evidence e WHERE e.session_id = s.id AND e.removed_at IS NULL) AS photos \
         FROM sessions s JOIN activities a ON a.id = s.activity_id \
         WHERE {} AND s.unit_path LIKE $1 AND s.starts_at >= $2 AND s.starts_at < $3 AND {} ORDER BY s.starts_at, s.id",
        scope.sql("s.unit_path"),
        held("$4")
    ))
    .bind(format!("{under}%"))
    .bind(&p.from)
    .bind(&p.to)
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let notes = sqlx::query(&format!(
        "SELECT e.session_id, e.note FROM session_evidence e JOIN sessions s ON s.id = e.session_id \
         WHERE {} AND s.unit_path LIKE $1 AND s.starts_at >= $2 AND s.starts_at < $3 AND e.removed_at IS NULL AND e.note <> '' ORDER BY e.id",
        scope.sql("s.unit_path")
    ))
    .bind(format!("{under}%"))
    .bind(&p.from)
    .bind(&p.to)
    .fetch_all(db.pool())
    .await?;
    let mut by_session: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for n in notes {
        by_session
            .entry(n.get("session_id"))
            .or_default()
            .push(n.get("note"));
    }
    Ok(rows
        .iter()
        .map(|r| {
            let id: i64 = r.get("id");
            HeldSession {
                session_id: id,
                activity_id: r.get("activity_id"),
                title: r.get("title"),
                unit_id: r.get("unit_id"),
                starts_at: r.get("starts_at"),
                photos: r.get("photos"),
                notes: by_session
                    .get(&id)
                    .map(|v| v.join("；"))
                    .unwrap_or_default(),
            }
        })
        .collect())
}

/// Completeness per unit in scope under `under`, and the held sessions still missing evidence.
pub async fn completeness(
    db: &Db,
    scope: &Scope,
    under: &str,
    p: &Period,
    now: &str,
) -> ApiResult<Completeness> {
    let units = sqlx::query(&format!(
        "SELECT u.id, u.short_name, u.level FROM org_units u WHERE {} AND u.path LIKE $1 ORDER BY u.path",
        scope.sql("u.path")
    ))
    .bind(format!("{under}%"))
    .fetch_all(db.pool())
    .await?;
    let sessions = held_sessions(db, scope, under, p, now).await?;
    let mut counts: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for s in &sessions {
        let c = counts.entry(s.unit_id).or_default();
        c.0 += 1;
        if s.photos > 0 {
            c.1 += 1;
        }
    }
    let names: BTreeMap<i64, String> = units
        .iter()
        .map(|u| (u.get("id"), u.get("short_name")))
        .collect();
    let units: Vec<UnitCompleteness> = units
        .iter()
        .map(|u| {
            let id: i64 = u.get("id");
            let (held, with) = counts.get(&id).copied().unwrap_or((0, 0));
            UnitCompleteness {
                unit_id: id,
                unit_name: u.get("short_name"),
                level: u.get("level"),
                held,
                with_evidence: with,
                percent: if held == 0 { 100 } else { with * 100 / held },
                complete: with == held,
            }
        })
        .collect();
    let held = sessions.len() as i64;
    let with = sessions.iter().filter(|s| s.photos > 0).count() as i64;
    Ok(Completeness {
        period: p.label.clone(),
        held,
        with_evidence: with,
        complete: held == with,
        units,
        missing: sessions
            .into_iter()
            .filter(|s| s.photos == 0)
            .map(|s| MissingSession {
                session_id: s.session_id,
                activity_id: s.activity_id,
                title: s.title,
                unit_name: names.get(&s.unit_id).cloned().unwrap_or_default(),
                unit_id: s.unit_id,
                starts_at: s.starts_at,
            })
            .collect(),
    })
}

/// The 活动照片 sheet: every held session in the period with its photo count and notes.
pub async fn sheet(db: &Db, scope: &Scope, under: &str, p: &Period, now: &str) -> ApiResult<Table> {
    let sessions = held_sessions(db, scope, under, p, now).await?;
    let names: BTreeMap<i64, String> = sqlx::query(&format!(
        "SELECT u.id, u.short_name FROM org_units u WHERE {} AND u.path LIKE $1",
        scope.sql("u.path")
    ))
    .bind(format!("{under}%"))
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|u| (u.get("id"), u.get("short_name")))
    .collect();
    let mut t = Table::new(
        "活动照片",
        &[
            "场次编号",
            "活动编号",
            "活动名称",
            "举办单位",
            "开始时间",
            "照片数",
            "照片说明",
            "齐全",
        ],
    );
    for s in sessions {
        t.push(vec![
            s.session_id.into(),
            s.activity_id.into(),
            s.title.into(),
            names.get(&s.unit_id).cloned().unwrap_or_default().into(),
            Cell::Text(china_time(&s.starts_at)),
            s.photos.into(),
            s.notes.into(),
            (s.photos > 0).into(),
        ]);
    }
    Ok(t)
}
