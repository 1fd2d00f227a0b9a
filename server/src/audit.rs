//! Append-only audit trail of staff actions and security events. Staff actions are written in
//! the same transaction as the action itself; security events (denials, failed sign-ins) on
//! their own. Free text is masked before it is stored.

use crate::db::{Db, Tx};
use crate::privacy::mask_text;

pub struct Entry<'a> {
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub unit_id: Option<i64>,
    pub target: String,
    pub detail: String,
    pub ip: &'a str,
    pub request_id: &'a str,
}

const INSERT: &str =
    "INSERT INTO audit_log (at, actor_id, action, unit_id, target, detail, ip, request_id) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

pub async fn record(tx: &mut Tx, now: &str, e: Entry<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT)
        .bind(now)
        .bind(e.actor_id)
        .bind(e.action)
        .bind(e.unit_id)
        .bind(mask_text(&e.target))
        .bind(mask_text(&e.detail))
        .bind(e.ip)
        .bind(e.request_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A security event outside any business transaction. Failure to write it is logged, not
/// surfaced: the request is already being refused.
pub async fn security_event(db: &Db, now: &str, e: Entry<'_>) {
    let res = async {
        let mut tx = db.begin().await?;
        record(&mut tx, now, e).await?;
        tx.commit().await
    }
    .await;
    if let Err(err) = res {
        tracing::error!(error = %err, "could not write security event to audit log");
    }
}
