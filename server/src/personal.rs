//! Personal data on request (PIPL arts. 45 and 47): export everything we hold about a person,
//! and erase it. Erasure keeps rows other records depend on (bookings, audit) but strips what
//! identifies the person.

use crate::db::Db;
use crate::error::ApiResult;
use serde_json::{json, Value};
use sqlx::Row;

pub async fn export(db: &Db, user_id: i64) -> ApiResult<Value> {
    let u = sqlx::query(
        "SELECT id, openid, unionid, display_name, phone, created_at FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_one(db.pool())
    .await?;
    let roles = sqlx::query(
        "SELECT g.role, u.name, g.created_at FROM role_grants g JOIN org_units u ON u.id = g.unit_id \
         WHERE g.user_id = $1 AND g.revoked_at IS NULL",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let sessions: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM auth_sessions WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(db.pool())
    .await?;
    let family = sqlx::query(
        "SELECT name, relation, birth_date, guardian_consent_at FROM family_members WHERE user_id = $1 AND deleted_at IS NULL",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let bookings = sqlx::query(
        "SELECT b.id, b.activity_id, a.title, s.starts_at, b.status, b.created_at, b.checked_in_at, f.name AS member FROM bookings b \
         JOIN activities a ON a.id = b.activity_id JOIN sessions s ON s.id = b.session_id \
         LEFT JOIN family_members f ON f.id = b.family_member_id WHERE b.user_id = $1 ORDER BY b.id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    // Registration questions' answers, with the question each one answers.
    let mut answered = std::collections::HashMap::new();
    for r in &bookings {
        let aid: i64 = r.get("activity_id");
        let qs = crate::questions::of_activity(db, aid).await?;
        if qs.is_empty() {
            continue;
        }
        let id: i64 = r.get("id");
        if let Some(a) = crate::questions::answers_of(db, &[id], qs.len())
            .await?
            .remove(&id)
        {
            let list: Vec<Value> = qs
                .iter()
                .zip(a)
                .filter(|(_, a)| !a.is_empty())
                .map(|(q, a)| json!({ "question": q.text, "answer": a }))
                .collect();
            answered.insert(id, list);
        }
    }
    let room_bookings = crate::room_bookings::export(db, user_id).await?;
    let library = crate::library::export(db, user_id).await?;
    let ratings = sqlx::query(
        "SELECT a.title, r.score, r.comment, r.comment_status, r.created_at FROM ratings r JOIN activities a ON a.id = r.activity_id \
         WHERE r.user_id = $1 ORDER BY r.id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let demands = sqlx::query(
        "SELECT kind, description, status, created_at FROM demands WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let reports = sqlx::query(
        "SELECT target_kind, reason, detail, status, created_at FROM content_reports WHERE reporter_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let volunteering = sqlx::query(
        "SELECT u.name, v.status, v.created_at FROM volunteer_applications v JOIN org_units u ON u.id = v.unit_id WHERE v.user_id = $1 ORDER BY v.id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let messages = crate::notice::mine(db, user_id).await?;
    let teams = crate::teams::export(db, user_id).await?;
    let provider = crate::providers::export(db, user_id).await?;
    let volunteering_beyond = crate::volunteering::export_of(db, user_id).await?;
    let out = json!({
        "teams": teams,
        "provider": provider,
        "volunteering": volunteering_beyond,
        "profile": {
            "id": u.get::<i64, _>("id"),
            "wechat_openid": u.get::<Option<String>, _>("openid"),
            "wechat_unionid": u.get::<Option<String>, _>("unionid"),
            "display_name": u.get::<String, _>("display_name"),
            "phone": u.get::<Option<String>, _>("phone"),
            "created_at": u.get::<String, _>("created_at"),
        },
        "roles": roles.iter().map(|r| json!({
            "role": r.get::<String, _>("role"),
            "unit": r.get::<String, _>("name"),
            "since": r.get::<String, _>("created_at"),
        })).collect::<Vec<_>>(),
        "active_sessions": sessions,
        "family_members": family.iter().map(|r| json!({
            "name": r.get::<String, _>("name"),
            "relation": r.get::<String, _>("relation"),
            "birth_date": r.get::<String, _>("birth_date"),
            "guardian_consent_at": r.get::<Option<String>, _>("guardian_consent_at"),
        })).collect::<Vec<_>>(),
        "room_bookings": room_bookings,
        "bookings": bookings.iter().map(|r| json!({
            "activity": r.get::<String, _>("title"),
            "starts_at": r.get::<String, _>("starts_at"),
            "status": r.get::<String, _>("status"),
            "booked_at": r.get::<String, _>("created_at"),
            "checked_in_at": r.get::<Option<String>, _>("checked_in_at"),
            "for": r.get::<Option<String>, _>("member"),
            "answers": answered.get(&r.get::<i64, _>("id")).cloned().unwrap_or_default(),
        })).collect::<Vec<_>>(),
        "library": library,
        "ratings": ratings.iter().map(|r| json!({
            "activity": r.get::<String, _>("title"),
            "score": r.get::<i64, _>("score"),
            "comment": r.get::<String, _>("comment"),
            "comment_status": r.get::<String, _>("comment_status"),
            "at": r.get::<String, _>("created_at"),
        })).collect::<Vec<_>>(),
        "demands": demands.iter().map(|r| json!({
            "kind": r.get::<String, _>("kind"),
            "description": r.get::<String, _>("description"),
            "status": r.get::<String, _>("status"),
            "at": r.get::<String, _>("created_at"),
        })).collect::<Vec<_>>(),
        "reports": reports.iter().map(|r| json!({
            "kind": r.get::<String, _>("target_kind"),
            "reason": crate::reports::reason_label(&r.get::<String, _>("reason")),
            "detail": r.get::<String, _>("detail"),
            "status": r.get::<String, _>("status"),
            "at": r.get::<String, _>("created_at"),
        })).collect::<Vec<_>>(),
        "volunteer_applications": volunteering.iter().map(|r| json!({
            "unit": r.get::<String, _>("name"),
            "status": r.get::<String, _>("status"),
            "at": r.get::<String, _>("created_at"),
        })).collect::<Vec<_>>(),
        "messages": messages.iter().map(|m| json!({
            "title": m.title,
            "body": m.body,
            "at": m.created_at,
            "read": m.read,
        })).collect::<Vec<_>>(),
        // The link itself is kept only as a hash: we can say that it exists, not what it is.
        "calendar_feed": crate::feeds::token_created(db, user_id).await?.map(|at| json!({
            "created_at": at,
        })),
    });
    Ok(out)
}

pub async fn erase(db: &Db, user_id: i64, now: &str) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    // Future bookings are cancelled so their seats go to the next person in line — except one
    // whose holder is already inside (a live check-in): that seat is taken, and giving it away
    // would seat two people on it.
    let active = sqlx::query(
        "SELECT b.id, b.session_id, b.status FROM bookings b JOIN sessions s ON s.id = b.session_id \
         WHERE b.user_id = $1 AND b.status <> 'cancelled' AND s.starts_at > $2 AND b.checked_in_at IS NULL",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    for b in active {
        match crate::booking::cancel_in(
            &mut tx,
            b.get("id"),
            b.get("session_id"),
            &b.get::<String, _>("status"),
            "账号注销",
            now,
        )
        .await
        {
            // Admitted at this very moment: kept, as above.
            Err(e) if e.code == "already_checked_in" => {}
            r => r?,
        }
    }
    // What others could read: comments and demand texts written by this person.
    sqlx::query(
        "UPDATE ratings SET comment = '', comment_status = 'none', tags = '' WHERE user_id = $1",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    let rated: Vec<i64> = sqlx::query_scalar("SELECT id FROM ratings WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?;
    crate::feedback::recount_ratings(&mut tx, &rated).await?;
    crate::library::erase(&mut tx, user_id).await?;
    sqlx::query("UPDATE demands SET description = '（已注销用户的需求）', visibility = 'rejected' WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    // Reports (举报): the reporter's own words go; the report itself stays so an item's count
    // is still honest. Open reports about this person's texts (now hidden) are closed.
    sqlx::query("UPDATE content_reports SET detail = '' WHERE reporter_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE content_reports SET status = 'dismissed', decided_at = $1 WHERE status = 'open' AND (\
         (target_kind = 'rating' AND target_id IN (SELECT id FROM ratings WHERE user_id = $2)) OR \
         (target_kind = 'demand' AND target_id IN (SELECT id FROM demands WHERE user_id = $2)))",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    // Answers to registration questions describe the person: gone with the account.
    sqlx::query("DELETE FROM booking_answers WHERE booking_id IN (SELECT id FROM bookings WHERE user_id = $1)")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    crate::room_bookings::erase(
        &mut tx,
        user_id,
        crate::time::parse(now).unwrap_or_default(),
    )
    .await?;
    // In-app messages are about the person's bookings: gone with the account.
    // The personal calendar link stops working.
    sqlx::query("DELETE FROM calendar_tokens WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM user_messages WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    // Teams: memberships end, requests are withdrawn, led teams pass on or dissolve (D194).
    crate::teams::erase(&mut tx, user_id, now).await?;
    // A provider record loses its contact details and is suspended (D248).
    crate::providers::erase(&mut tx, user_id, now).await?;
    sqlx::query(
        "UPDATE family_members SET name = '', birth_date = '1900-01-01', guardian_consent_at = NULL, deleted_at = $1 \
         WHERE user_id = $2 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE users SET display_name = '', phone = NULL, unionid = NULL, openid = NULL, deleted_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE auth_sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    crate::console::end_sessions_of(&mut tx, user_id, now, "account_deleted").await?;
    crate::volunteering::erase(&mut tx, user_id, now).await?;
    sqlx::query("UPDATE role_grants SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, action, target) VALUES ($1, $2, 'account_deleted', $3)",
    )
    .bind(now)
    .bind(user_id)
    .bind(format!("user {user_id}"))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
