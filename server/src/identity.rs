//! Who is calling: WeChat sign-in, our own opaque session tokens, phone binding, role grants
//! and invitations. Tokens carry 256 random bits; only their SHA-256 is stored.

use crate::access::{Caller, Grant, Role};
use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::wechat::WxError;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn hash_secret(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Maps WeChat's sign-in errors to what the person should do.
pub fn signin_error(e: &WxError) -> ApiError {
    match e.errcode() {
        Some(40029 | 40163) => ApiError::bad_request(
            "wechat_code_invalid",
            "登录凭证无效或已使用，请重新进入小程序",
        ),
        Some(40226) => ApiError::new(
            poem::http::StatusCode::FORBIDDEN,
            "wechat_risky_user",
            "微信提示该账号存在风险，暂时无法登录",
        ),
        Some(45011) => ApiError::new(
            poem::http::StatusCode::TOO_MANY_REQUESTS,
            "wechat_rate_limited",
            "登录太频繁，请一分钟后再试",
        ),
        Some(-1) | None => ApiError::upstream("wechat_unavailable", "微信服务繁忙，请稍后再试"),
        Some(code) => {
            tracing::error!(errcode = code, "wechat sign-in configuration error");
            ApiError::upstream("wechat_error", "微信登录暂时不可用，请稍后再试")
        }
    }
}

/// Finds or creates the user for an openid and opens a session. Returns (token, user_id).
pub async fn open_session(
    db: &Db,
    openid: &str,
    unionid: Option<&str>,
    now: &str,
    expires_at: &str,
) -> ApiResult<(String, i64)> {
    let mut tx = db.begin().await?;
    let existing: Option<(i64, Option<String>)> =
        sqlx::query("SELECT id, deleted_at FROM users WHERE openid = $1")
            .bind(openid)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| (r.get("id"), r.get("deleted_at")));
    let user_id = match existing {
        Some((id, None)) => id,
        // A deleted account signs in afresh: its old row stays anonymised.
        Some((id, Some(_))) => {
            sqlx::query("UPDATE users SET openid = NULL WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            insert_user(&mut tx, openid, unionid, now).await?
        }
        None => insert_user(&mut tx, openid, unionid, now).await?,
    };
    let token = new_secret();
    sqlx::query("INSERT INTO auth_sessions (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(user_id)
        .bind(hash_secret(&token))
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((token, user_id))
}

/// Insert-or-get on the openid: the same new person signing in on two instances at once gets
/// one account (the second insert waits for the first and then finds its row).
async fn insert_user(
    tx: &mut Tx,
    openid: &str,
    unionid: Option<&str>,
    now: &str,
) -> ApiResult<i64> {
    let made: Option<i64> = sqlx::query_scalar(
        "INSERT INTO users (openid, unionid, created_at) VALUES ($1, $2, $3) ON CONFLICT (openid) DO NOTHING RETURNING id",
    )
    .bind(openid)
    .bind(unionid)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    match made {
        Some(id) => Ok(id),
        None => Ok(sqlx::query_scalar("SELECT id FROM users WHERE openid = $1")
            .bind(openid)
            .fetch_one(&mut **tx)
            .await?),
    }
}

/// Resolves a bearer token to a caller with its current grants, from the database. Requests
/// go through `AppState::caller`, which keeps these answers in `caller_cache` (D210).
pub async fn caller_for_token(db: &Db, token: &str, now: &str) -> ApiResult<Option<Caller>> {
    Ok(caller_for_hash(db, &hash_secret(token), now)
        .await?
        .map(|(c, _)| c))
}

/// The caller behind a token hash and the session's expiry.
pub async fn caller_for_hash(
    db: &Db,
    token_hash: &str,
    now: &str,
) -> ApiResult<Option<(Caller, String)>> {
    // One round trip: the session, its person and their live grants.
    let rows = sqlx::query(
        "SELECT s.user_id, s.expires_at, u.openid, g.id AS grant_id, g.role, g.unit_id, o.path FROM auth_sessions s \
         JOIN users u ON u.id = s.user_id \
         LEFT JOIN role_grants g ON g.user_id = s.user_id AND g.revoked_at IS NULL \
         LEFT JOIN org_units o ON o.id = g.unit_id \
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.deleted_at IS NULL ORDER BY g.id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let grants = rows
        .iter()
        .filter_map(|r| {
            Some(Grant {
                id: r.get::<Option<i64>, _>("grant_id")?,
                role: Role::parse(&r.get::<Option<String>, _>("role")?)?,
                unit_id: r.get::<Option<i64>, _>("unit_id")?,
                unit_path: r.get::<Option<String>, _>("path")?,
            })
        })
        .collect();
    Ok(Some((
        Caller {
            user_id: first.get("user_id"),
            openid: first.get("openid"),
            grants,
        },
        first.get("expires_at"),
    )))
}

pub async fn grants_of(db: &Db, user_id: i64) -> ApiResult<Vec<Grant>> {
    let rows = sqlx::query(
        "SELECT g.id, g.role, g.unit_id, u.path FROM role_grants g JOIN org_units u ON u.id = g.unit_id \
         WHERE g.user_id = $1 AND g.revoked_at IS NULL ORDER BY g.id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(Grant {
                id: r.get("id"),
                role: Role::parse(&r.get::<String, _>("role"))?,
                unit_id: r.get("unit_id"),
                unit_path: r.get("path"),
            })
        })
        .collect())
}

pub async fn revoke_session(db: &Db, token: &str, now: &str) -> ApiResult<()> {
    sqlx::query(
        "UPDATE auth_sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(hash_secret(token))
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Grants a role; granting one that is already active is a no-op that returns its id.
pub async fn grant_role(
    tx: &mut Tx,
    user_id: i64,
    role: Role,
    unit_id: i64,
    by: Option<i64>,
    now: &str,
) -> ApiResult<i64> {
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM role_grants WHERE user_id = $1 AND role = $2 AND unit_id = $3 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(role.as_str())
    .bind(unit_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO role_grants (user_id, role, unit_id, granted_by, created_at) VALUES ($1,$2,$3,$4,$5) RETURNING id",
    )
    .bind(user_id)
    .bind(role.as_str())
    .bind(unit_id)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn create_invitation(
    tx: &mut Tx,
    role: Role,
    unit_id: i64,
    by: Option<i64>,
    max_uses: i64,
    expires_at: &str,
    now: &str,
) -> ApiResult<String> {
    // Short enough to type, 120 bits of entropy: 24 characters of base32.
    let code = invitation_code();
    sqlx::query(
        "INSERT INTO invitations (code_hash, role, unit_id, created_by, max_uses, expires_at, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)",
    )
    .bind(hash_secret(&code))
    .bind(role.as_str())
    .bind(unit_id)
    .bind(by)
    .bind(max_uses)
    .bind(expires_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(code)
}

fn invitation_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut b);
    let s: String = b
        .iter()
        .map(|x| ALPHABET[(*x as usize) % 32] as char)
        .collect();
    format!("{}-{}-{}-{}", &s[0..6], &s[6..12], &s[12..18], &s[18..24])
}

pub fn normalise_invitation(code: &str) -> String {
    let raw: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if raw.len() != 24 {
        return raw;
    }
    format!(
        "{}-{}-{}-{}",
        &raw[0..6],
        &raw[6..12],
        &raw[12..18],
        &raw[18..24]
    )
}

/// Redeems an invitation for `user_id`: one use taken atomically, the grant made, in `tx`.
pub async fn redeem_invitation(
    tx: &mut Tx,
    code: &str,
    user_id: i64,
    now: &str,
) -> ApiResult<(i64, Role, i64)> {
    let hash = hash_secret(&normalise_invitation(code));
    let row = sqlx::query(
        "UPDATE invitations SET uses = uses + 1 WHERE code_hash = $1 AND revoked_at IS NULL \
         AND expires_at > $2 AND uses < max_uses RETURNING role, unit_id",
    )
    .bind(&hash)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Err(ApiError::bad_request(
            "invitation_invalid",
            "邀请码无效、已过期或已用完",
        ));
    };
    let role = Role::parse(&row.get::<String, _>("role")).ok_or_else(ApiError::internal)?;
    let unit_id: i64 = row.get("unit_id");
    let grant_id = grant_role(tx, user_id, role, unit_id, None, now).await?;
    Ok((grant_id, role, unit_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn secrets_are_long_and_distinct() {
        let a = new_secret();
        assert!(a.len() >= 43);
        assert_ne!(a, new_secret());
        assert_eq!(hash_secret("x").len(), 64);
    }
    #[test]
    fn invitation_codes_normalise() {
        let c = invitation_code();
        assert_eq!(normalise_invitation(&c.to_lowercase().replace('-', " ")), c);
    }
}
