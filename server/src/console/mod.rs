//! The staff console's server side: browser sessions held in an HttpOnly cookie, signing in by
//! scanning a one-time mini-program code (扫码登录), and serving the built console.
//!
//! A console session is a second kind of credential for the same caller: `AppState::caller`
//! resolves either a bearer token or this cookie, so every rule in `access.rs` applies
//! unchanged. What is specific to the cookie lives here: idle and absolute expiry, the CSRF
//! token writes must carry, and that only staff, supervisors and evaluators may hold one.

pub mod agent;
pub mod assets;

use crate::access::{Caller, Grant, Role};
use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::identity::{hash_secret, new_secret};
use crate::time::{self, Ts};
use poem::http::StatusCode;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// The session cookie (HttpOnly, SameSite=Strict, Path=/).
pub const SESSION_COOKIE: &str = "ch_console";
/// The cookie binding a login code to the browser that created it (Path = that code's URL).
pub const LOGIN_COOKIE: &str = "ch_login";
/// Header every cookie-authenticated write must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A login code can be scanned and confirmed for this long.
pub const CODE_TTL_SECS: i64 = 120;
/// A confirmed code must be collected by its browser within this long.
pub const COLLECT_SECS: i64 = 60;
/// `last_used_at` is written at most this often per session (idle expiry is this precise).
pub const TOUCH_EVERY_SECS: i64 = 60;
/// The mini-program page a login code opens.
pub const CONFIRM_PAGE: &str = "pages/console/confirm";

/// Roles that may hold a console session: every staff role and the read-only ones.
pub fn may_sign_in(grants: &[Grant]) -> bool {
    grants.iter().any(|g| g.role != Role::Volunteer)
}

pub fn not_staff() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "console_not_staff",
        "只有工作人员、督导和评估人员可以登录管理后台",
    )
}

pub fn session_invalid() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "session_invalid",
        "登录已失效，请重新登录",
    )
}

pub fn csrf_failed() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "csrf_failed",
        "请求缺少有效的安全校验码，请刷新页面后重试",
    )
}

/// The CSRF token of a session: derived from the cookie value, so it is never stored and a
/// page that cannot read the cookie cannot compute it.
pub fn csrf_token(session_token: &str) -> String {
    hex::encode(Sha256::digest(format!("csrf:{session_token}").as_bytes()))
}

pub fn csrf_matches(session_token: &str, sent: Option<&str>) -> bool {
    let Some(sent) = sent else { return false };
    let want = csrf_token(session_token);
    // Constant time in the length of the expected token.
    want.len() == sent.len()
        && want
            .bytes()
            .zip(sent.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Who is asking, as shown on the confirm page and in the session list.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub browser: String,
    pub ip: String,
    pub place: String,
}

/// A live console session.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub id: i64,
    pub user_id: i64,
    pub via: String,
    pub browser: String,
    pub ip: String,
    pub place: String,
    pub created_at: String,
    pub last_used_at: String,
    pub expires_at: String,
}

impl ConsoleSession {
    fn from_row(r: &sqlx::any::AnyRow) -> Self {
        ConsoleSession {
            id: r.get("sid"),
            user_id: r.get("user_id"),
            via: r.get("via"),
            browser: r.get("browser"),
            ip: r.get("ip"),
            place: r.get("place"),
            created_at: r.get("created_at"),
            last_used_at: r.get("last_used_at"),
            expires_at: r.get("expires_at"),
        }
    }
    /// When the session ends if nothing more happens.
    pub fn idle_expires_at(&self, idle_minutes: i64) -> String {
        let last = time::parse(&self.last_used_at).unwrap_or_else(chrono::Utc::now);
        let idle = time::fmt(last + chrono::Duration::minutes(idle_minutes));
        idle.min(self.expires_at.clone())
    }
}

const SESSION_COLS: &str =
    "s.id AS sid, s.user_id, s.via, s.browser, s.ip, s.place, s.created_at, \
                            s.last_used_at, s.expires_at";

/// Resolves a console cookie to its caller, with current grants, in one query. `None` when the
/// session is unknown, revoked, past its absolute lifetime or idle too long, when the account
/// was deleted, or when the person no longer holds a role that may use the console.
pub async fn caller_for_cookie(
    db: &Db,
    token: &str,
    now: Ts,
    idle_minutes: i64,
) -> ApiResult<Option<(Caller, ConsoleSession)>> {
    let now_s = time::fmt(now);
    let idle_cutoff = time::fmt(now - chrono::Duration::minutes(idle_minutes));
    let rows = sqlx::query(&format!(
        "SELECT {SESSION_COLS}, u.openid, g.id AS grant_id, g.role, g.unit_id, o.path FROM console_sessions s \
         JOIN users u ON u.id = s.user_id \
         LEFT JOIN role_grants g ON g.user_id = s.user_id AND g.revoked_at IS NULL \
         LEFT JOIN org_units o ON o.id = g.unit_id \
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.last_used_at > $3 \
         AND u.deleted_at IS NULL ORDER BY g.id"
    ))
    .bind(hash_secret(token))
    .bind(&now_s)
    .bind(&idle_cutoff)
    .fetch_all(db.pool())
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let grants: Vec<Grant> = rows
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
    if !may_sign_in(&grants) {
        return Ok(None);
    }
    let session = ConsoleSession::from_row(first);
    Ok(Some((
        Caller {
            user_id: session.user_id,
            openid: first.get("openid"),
            grants,
        },
        session,
    )))
}

/// Records use for idle expiry, at most once a minute per session (a write per request would
/// queue every page view behind SQLite's single writer).
pub async fn touch(db: &Db, session: &ConsoleSession, now: Ts) -> ApiResult<()> {
    let stale = time::fmt(now - chrono::Duration::seconds(TOUCH_EVERY_SECS));
    if session.last_used_at.as_str() >= stale.as_str() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE console_sessions SET last_used_at = $1 WHERE id = $2 AND last_used_at < $3",
    )
    .bind(time::fmt(now))
    .bind(session.id)
    .bind(&stale)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Opens a session for `user_id`; returns (cookie value, session id, absolute expiry).
pub async fn open_session(
    tx: &mut Tx,
    user_id: i64,
    via: &str,
    client: &ClientInfo,
    now: Ts,
    absolute_hours: i64,
) -> ApiResult<(String, i64, String)> {
    let token = new_secret();
    let now_s = time::fmt(now);
    let expires_at = time::fmt(now + chrono::Duration::hours(absolute_hours));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO console_sessions (user_id, token_hash, via, browser, ip, place, created_at, last_used_at, expires_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$7,$8) RETURNING id",
    )
    .bind(user_id)
    .bind(hash_secret(&token))
    .bind(via)
    .bind(&client.browser)
    .bind(&client.ip)
    .bind(&client.place)
    .bind(&now_s)
    .bind(&expires_at)
    .fetch_one(&mut **tx)
    .await?;
    Ok((token, id, expires_at))
}

/// Ends every console session of a person (role revoked, account deleted), in `tx`.
pub async fn end_sessions_of(tx: &mut Tx, user_id: i64, now: &str, reason: &str) -> ApiResult<u64> {
    Ok(sqlx::query(
        "UPDATE console_sessions SET revoked_at = $1, revoked_reason = $2 WHERE user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(user_id)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Ends one session. `false` when it was already over.
pub async fn end_session(tx: &mut Tx, id: i64, now: &str, reason: &str) -> ApiResult<bool> {
    Ok(sqlx::query(
        "UPDATE console_sessions SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        > 0)
}

/// A person's sessions that are still live, newest first.
pub async fn live_sessions(
    db: &Db,
    user_id: i64,
    now: Ts,
    idle_minutes: i64,
) -> ApiResult<Vec<ConsoleSession>> {
    let rows = sqlx::query(&format!(
        "SELECT {SESSION_COLS} FROM console_sessions s WHERE s.user_id = $1 AND s.revoked_at IS NULL \
         AND s.expires_at > $2 AND s.last_used_at > $3 ORDER BY s.id DESC LIMIT 100"
    ))
    .bind(user_id)
    .bind(time::fmt(now))
    .bind(time::fmt(now - chrono::Duration::minutes(idle_minutes)))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(ConsoleSession::from_row).collect())
}

/// The owner of a session (live or not), for revocation; 404 when there is none.
pub async fn session_owner(db: &Db, id: i64) -> ApiResult<(i64, bool)> {
    let r = sqlx::query("SELECT user_id, revoked_at FROM console_sessions WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该登录会话"))?;
    Ok((
        r.get("user_id"),
        r.get::<Option<String>, _>("revoked_at").is_none(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Login codes.

/// A login code as stored.
#[derive(Debug, Clone)]
pub struct LoginCode {
    pub id: i64,
    pub nonce: String,
    pub binding_hash: String,
    pub status: String,
    pub browser: String,
    pub ip: String,
    pub place: String,
    pub created_at: String,
    pub expires_at: String,
    pub scanned_by: Option<i64>,
    pub decided_at: Option<String>,
}

/// A fresh nonce: 128 random bits, 22 characters of base64url, which `getwxacodeunlimit`
/// accepts as a scene (at most 32 of `0-9A-Za-z-_` among others).
pub fn new_nonce() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Whether a string could be a nonce we issued (checked before touching the database).
pub fn plausible_nonce(s: &str) -> bool {
    s.len() == 22
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The status a browser or phone sees: `pending`, `scanned`, `confirmed`, `rejected`,
/// `expired` or `used` (the session was handed to the browser). Pure.
pub fn effective_status(c: &LoginCode, now: &str) -> &'static str {
    match c.status.as_str() {
        "used" => "used",
        "rejected" => "rejected",
        "confirmed" => {
            let deadline = c
                .decided_at
                .as_deref()
                .and_then(time::parse)
                .map(|d| time::fmt(d + chrono::Duration::seconds(COLLECT_SECS)));
            match deadline {
                Some(d) if d.as_str() > now => "confirmed",
                _ => "expired",
            }
        }
        _ if c.expires_at.as_str() <= now => "expired",
        "scanned" => "scanned",
        _ => "pending",
    }
}

pub async fn create_code(
    db: &Db,
    nonce: &str,
    binding_secret: &str,
    client: &ClientInfo,
    now: Ts,
) -> ApiResult<String> {
    let expires_at = time::fmt(now + chrono::Duration::seconds(CODE_TTL_SECS));
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO console_login_codes (nonce, binding_hash, browser, ip, place, created_at, expires_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)",
    )
    .bind(nonce)
    .bind(hash_secret(binding_secret))
    .bind(&client.browser)
    .bind(&client.ip)
    .bind(&client.place)
    .bind(time::fmt(now))
    .bind(&expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(expires_at)
}

pub async fn code(db: &Db, nonce: &str) -> ApiResult<Option<LoginCode>> {
    if !plausible_nonce(nonce) {
        return Ok(None);
    }
    let r = sqlx::query(
        "SELECT id, nonce, binding_hash, status, browser, ip, place, created_at, expires_at, scanned_by, decided_at \
         FROM console_login_codes WHERE nonce = $1",
    )
    .bind(nonce)
    .fetch_optional(db.pool())
    .await?;
    Ok(r.map(|r| LoginCode {
        id: r.get("id"),
        nonce: r.get("nonce"),
        binding_hash: r.get("binding_hash"),
        status: r.get("status"),
        browser: r.get("browser"),
        ip: r.get("ip"),
        place: r.get("place"),
        created_at: r.get("created_at"),
        expires_at: r.get("expires_at"),
        scanned_by: r.get("scanned_by"),
        decided_at: r.get("decided_at"),
    }))
}

fn code_not_found() -> ApiError {
    ApiError::not_found("该登录二维码")
}

fn code_expired() -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        "login_code_expired",
        "二维码已过期，请在电脑上刷新二维码后重新扫码",
    )
}

fn code_used() -> ApiError {
    ApiError::conflict(
        "login_code_used",
        "这个二维码已被使用，请在电脑上刷新二维码后重新扫码",
    )
}

/// Why a conditional update of a code changed nothing.
async fn code_refusal(db: &Db, nonce: &str, now: &str) -> ApiError {
    match code(db, nonce).await {
        Ok(Some(c)) if effective_status(&c, now) == "expired" => code_expired(),
        Ok(Some(_)) => code_used(),
        Ok(None) => code_not_found(),
        Err(e) => e,
    }
}

/// The phone scanned the code: it is now bound to this person (a second scan by the same
/// person is fine, anyone else is refused).
pub async fn scan(db: &Db, nonce: &str, user_id: i64, now: Ts) -> ApiResult<LoginCode> {
    let now_s = time::fmt(now);
    if !plausible_nonce(nonce) {
        return Err(code_not_found());
    }
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE console_login_codes SET status = 'scanned', scanned_by = $1, scanned_at = $2 \
         WHERE nonce = $3 AND expires_at > $2 AND (status = 'pending' OR (status = 'scanned' AND scanned_by = $1))",
    )
    .bind(user_id)
    .bind(&now_s)
    .bind(nonce)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    if n == 0 {
        return Err(code_refusal(db, nonce, &now_s).await);
    }
    code(db, nonce).await?.ok_or_else(code_not_found)
}

/// The person who scanned confirms or refuses. Returns the new status.
pub async fn decide(
    db: &Db,
    nonce: &str,
    user_id: i64,
    approve: bool,
    now: Ts,
) -> ApiResult<&'static str> {
    let now_s = time::fmt(now);
    if !plausible_nonce(nonce) {
        return Err(code_not_found());
    }
    let status = if approve { "confirmed" } else { "rejected" };
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE console_login_codes SET status = $1, decided_at = $2 \
         WHERE nonce = $3 AND status = 'scanned' AND scanned_by = $4 AND expires_at > $2",
    )
    .bind(status)
    .bind(&now_s)
    .bind(nonce)
    .bind(user_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    if n == 0 {
        // Not scanned by this person (or at all): the same answer as a used code, so a
        // stranger learns nothing about who scanned it.
        return Err(code_refusal(db, nonce, &now_s).await);
    }
    Ok(status)
}

/// The browser collects its confirmed code: exactly once, a session is opened for the person
/// who confirmed. `None` when another request collected it first.
pub async fn collect(
    db: &Db,
    c: &LoginCode,
    client: &ClientInfo,
    now: Ts,
    absolute_hours: i64,
) -> ApiResult<Option<(String, i64, i64)>> {
    let user_id = c.scanned_by.ok_or_else(ApiError::internal)?;
    // Still staff at this moment?
    let grants = crate::identity::grants_of(db, user_id).await?;
    if !may_sign_in(&grants) {
        return Err(not_staff());
    }
    let deadline = time::fmt(now - chrono::Duration::seconds(COLLECT_SECS));
    let mut tx = db.begin().await?;
    let (token, session_id, _) =
        open_session(&mut tx, user_id, "scan", client, now, absolute_hours).await?;
    let n = sqlx::query(
        "UPDATE console_login_codes SET status = 'used', session_id = $1 WHERE id = $2 AND status = 'confirmed' AND decided_at > $3",
    )
    .bind(session_id)
    .bind(c.id)
    .bind(&deadline)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        tx.rollback().await?;
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some((token, session_id, user_id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(status: &str, expires: &str, decided: Option<&str>) -> LoginCode {
        LoginCode {
            id: 1,
            nonce: "n".into(),
            binding_hash: String::new(),
            status: status.into(),
            browser: String::new(),
            ip: String::new(),
            place: String::new(),
            created_at: "2026-01-01T00:00:00Z".into(),
            expires_at: expires.into(),
            scanned_by: None,
            decided_at: decided.map(str::to_string),
        }
    }

    #[test]
    fn codes_expire_and_confirmed_ones_must_be_collected_soon() {
        let exp = "2026-01-01T00:02:00Z";
        assert_eq!(
            effective_status(&code("pending", exp, None), "2026-01-01T00:01:59Z"),
            "pending"
        );
        assert_eq!(
            effective_status(&code("pending", exp, None), "2026-01-01T00:02:00Z"),
            "expired"
        );
        assert_eq!(
            effective_status(&code("scanned", exp, None), "2026-01-01T00:01:00Z"),
            "scanned"
        );
        assert_eq!(
            effective_status(&code("scanned", exp, None), "2026-01-01T00:05:00Z"),
            "expired"
        );
        let confirmed = code("confirmed", exp, Some("2026-01-01T00:01:50Z"));
        // Past the code's own expiry but within the collection window.
        assert_eq!(
            effective_status(&confirmed, "2026-01-01T00:02:30Z"),
            "confirmed"
        );
        assert_eq!(
            effective_status(&confirmed, "2026-01-01T00:02:50Z"),
            "expired"
        );
        assert_eq!(
            effective_status(&code("rejected", exp, None), "2026-01-01T09:00:00Z"),
            "rejected"
        );
        assert_eq!(
            effective_status(&code("used", exp, None), "2026-01-01T00:01:00Z"),
            "used"
        );
    }

    #[test]
    fn csrf_tokens_are_derived_and_compared_exactly() {
        let t = new_secret();
        let c = csrf_token(&t);
        assert_eq!(c.len(), 64);
        assert_ne!(c, csrf_token(&new_secret()));
        assert!(csrf_matches(&t, Some(&c)));
        assert!(!csrf_matches(&t, Some(&c[..63])));
        assert!(!csrf_matches(&t, Some("")));
        assert!(!csrf_matches(&t, None));
        let mut wrong = c.clone().into_bytes();
        wrong[10] = if wrong[10] == b'a' { b'b' } else { b'a' };
        assert!(!csrf_matches(&t, Some(&String::from_utf8(wrong).unwrap())));
    }

    #[test]
    fn nonces_fit_a_scene() {
        let n = new_nonce();
        assert!(plausible_nonce(&n), "{n}");
        assert!(n.len() <= 32);
        assert!(!plausible_nonce("short"));
        assert!(!plausible_nonce("aaaaaaaaaaaaaaaaaaaa/a"));
    }

    #[test]
    fn volunteers_alone_may_not_sign_in() {
        let g = |role| Grant {
            id: 1,
            role,
            unit_id: 1,
            unit_path: "/1/".into(),
        };
        assert!(!may_sign_in(&[]));
        assert!(!may_sign_in(&[g(Role::Volunteer)]));
        for r in [
            Role::PointCoordinator,
            Role::BranchStaff,
            Role::CenterStaff,
            Role::CenterAdmin,
            Role::DistrictSupervisor,
            Role::Evaluator,
        ] {
            assert!(may_sign_in(&[g(Role::Volunteer), g(r)]), "{r:?}");
        }
    }
}
