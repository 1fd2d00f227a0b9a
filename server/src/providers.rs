//! Providers (供给方): troupes, teachers, social organisations, enterprises and individual
//! artists who offer programmes (performances, lectures, exhibitions, course modules) that the
//! main center and branches buy (cultural procurement, 双向选择).
//!
//! A provider signs in with WeChat like a resident and registers one provider record linked to
//! that account; it holds no grant (D240). The main center reviews providers and offerings.
//! A provider's record (deliveries, residents' ratings, complaints) is computed from the
//! activities its delivered orders became (D245).

use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::Row;

pub const KINDS: [&str; 5] = ["troupe", "teacher", "social_org", "enterprise", "artist"];
pub const OFFERING_KINDS: [&str; 4] = ["performance", "lecture", "exhibition", "course"];

pub fn kind_label(k: &str) -> &'static str {
    match k {
        "troupe" => "文艺院团",
        "teacher" => "教师",
        "social_org" => "社会组织",
        "enterprise" => "企业",
        "artist" => "个人艺术家",
        _ => "",
    }
}

pub fn offering_kind_label(k: &str) -> &'static str {
    match k {
        "performance" => "演出",
        "lecture" => "讲座",
        "exhibition" => "展览",
        "course" => "课程模块",
        _ => "",
    }
}

/// The activity kind a delivered offering becomes (a course module is a training).
pub fn activity_kind(offering_kind: &str) -> &'static str {
    match offering_kind {
        "performance" => "performance",
        "lecture" => "lecture",
        "exhibition" => "exhibition",
        _ => "training",
    }
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct ProviderForm {
    #[oai(validator(min_length = 1, max_length = 60))]
    pub name: String,
    /// `troupe`, `teacher`, `social_org`, `enterprise` or `artist`.
    pub kind: String,
    #[oai(validator(max_length = 30))]
    pub contact_name: Option<String>,
    #[oai(validator(max_length = 20))]
    pub phone: Option<String>,
    #[oai(validator(max_length = 1000))]
    pub intro: Option<String>,
    /// Qualifications (资质): registrations, licences, awards, as text.
    #[oai(validator(max_length = 1000))]
    pub qualifications: Option<String>,
}

/// A provider's record: what its delivered orders became and how residents rated them.
#[derive(Debug, Clone, Object, Serialize, Default)]
pub struct ProviderRecord {
    pub deliveries: i64,
    pub ratings: i64,
    /// Average overall score ×100 (integer, no floats: 465 = 4.65); absent without ratings.
    pub average_score_x100: Option<i64>,
    /// Ratings of 1 or 2 (差评), counted as complaints.
    pub complaints: i64,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Provider {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub contact_name: String,
    /// Masked (138****0000).
    pub phone: String,
    pub intro: String,
    pub qualifications: String,
    /// `pending`, `approved`, `returned` or `suspended`.
    pub status: String,
    pub review_comment: String,
    pub record: ProviderRecord,
}

fn check_form(f: &ProviderForm) -> ApiResult<()> {
    if crate::input::blank(&f.name) {
        return Err(ApiError::validation("请填写名称"));
    }
    if !KINDS.contains(&f.kind.as_str()) {
        return Err(ApiError::validation("供给方类型无效"));
    }
    Ok(())
}

/// The caller's own provider id, if they registered one.
pub async fn mine(db: &Db, user_id: i64) -> ApiResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM providers WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// The caller's provider id, or `not_provider`.
pub async fn require_mine(db: &Db, user_id: i64) -> ApiResult<i64> {
    mine(db, user_id).await?.ok_or_else(|| {
        ApiError::new(
            poem::http::StatusCode::NOT_FOUND,
            "not_provider",
            "您还没有登记为供给方",
        )
    })
}

/// Registers (or edits) the caller's provider record. An edit sends it back to review unless
/// it is suspended (a suspended provider stays suspended until the main center decides).
pub async fn register(db: &Db, user_id: i64, f: &ProviderForm, now: &str) -> ApiResult<i64> {
    check_form(f)?;
    let mut tx = db.begin().await?;
    let existing: Option<(i64, String)> =
        sqlx::query_as("SELECT id, status FROM providers WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
    let id = match existing {
        Some((id, status)) => {
            let next = if status == "suspended" {
                "suspended"
            } else {
                "pending"
            };
            sqlx::query(
                "UPDATE providers SET name = $1, kind = $2, contact_name = $3, phone = $4, intro = $5, \
                 qualifications = $6, status = $7, updated_at = $8 WHERE id = $9",
            )
            .bind(f.name.trim())
            .bind(&f.kind)
            .bind(f.contact_name.clone().unwrap_or_default())
            .bind(f.phone.clone().unwrap_or_default())
            .bind(f.intro.clone().unwrap_or_default())
            .bind(f.qualifications.clone().unwrap_or_default())
            .bind(next)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            id
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO providers (user_id, name, kind, contact_name, phone, intro, qualifications, created_at, updated_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8) ON CONFLICT (user_id) DO NOTHING RETURNING id",
            )
            .bind(user_id)
            .bind(f.name.trim())
            .bind(&f.kind)
            .bind(f.contact_name.clone().unwrap_or_default())
            .bind(f.phone.clone().unwrap_or_default())
            .bind(f.intro.clone().unwrap_or_default())
            .bind(f.qualifications.clone().unwrap_or_default())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| ApiError::conflict("provider_exists", "您已经登记过供给方"))?
        }
    };
    tx.commit().await?;
    Ok(id)
}

pub async fn record(db: &Db, provider_id: i64) -> ApiResult<ProviderRecord> {
    let deliveries: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM procurement_orders WHERE provider_id = $1 AND status = 'delivered' AND activity_id IS NOT NULL",
    )
    .bind(provider_id)
    .fetch_one(db.pool())
    .await?;
    // Residents' ratings of the activities the provider delivered rate the provider too.
    let r = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(r.score), 0) AS BIGINT) AS total, \
         CAST(COALESCE(SUM(CASE WHEN r.score <= 2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS low \
         FROM ratings r JOIN procurement_orders o ON o.activity_id = r.activity_id \
         WHERE o.provider_id = $1 AND o.status = 'delivered'",
    )
    .bind(provider_id)
    .fetch_one(db.pool())
    .await?;
    let n: i64 = r.get("n");
    let total: i64 = r.get("total");
    Ok(ProviderRecord {
        deliveries,
        ratings: n,
        average_score_x100: average_x100(total, n),
        complaints: r.get("low"),
    })
}

/// Integer average ×100, rounded half up; none without ratings.
pub fn average_x100(total: i64, n: i64) -> Option<i64> {
    if n <= 0 {
        None
    } else {
        Some((total * 200 + n) / (2 * n))
    }
}

fn provider_from(r: &sqlx::any::AnyRow, record: ProviderRecord) -> Provider {
    let kind: String = r.get("kind");
    Provider {
        id: r.get("id"),
        name: r.get("name"),
        kind_label: kind_label(&kind).into(),
        kind,
        contact_name: r.get("contact_name"),
        phone: crate::privacy::mask_phone(&r.get::<String, _>("phone")),
        intro: r.get("intro"),
        qualifications: r.get("qualifications"),
        status: r.get("status"),
        review_comment: r.get("review_comment"),
        record,
    }
}

pub async fn get(db: &Db, id: i64) -> ApiResult<Provider> {
    let r = sqlx::query("SELECT * FROM providers WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该供给方"))?;
    let rec = record(db, id).await?;
    Ok(provider_from(&r, rec))
}

/// Providers for the main center's review, optionally by status.
pub async fn list(db: &Db, status: Option<&str>) -> ApiResult<Vec<Provider>> {
    crate::input::one_of(
        "status",
        status,
        &["pending", "approved", "returned", "suspended"],
    )?;
    let rows = sqlx::query(
        "SELECT * FROM providers WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT 500",
    )
    .bind(status.unwrap_or(""))
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let rec = record(db, r.get("id")).await?;
        out.push(provider_from(r, rec));
    }
    Ok(out)
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct ReviewDecision {
    /// `approve`, `return` (with comments) or `suspend`.
    pub decision: String,
    #[oai(validator(max_length = 500))]
    pub comment: Option<String>,
}

/// The status a review decision leads to.
pub fn review_status(decision: &str, comment: &str) -> ApiResult<&'static str> {
    match decision {
        "approve" => Ok("approved"),
        "return" | "suspend" if crate::input::blank(comment) => {
            Err(ApiError::validation("退回或暂停时请写明意见"))
        }
        "return" => Ok("returned"),
        "suspend" => Ok("suspended"),
        _ => Err(ApiError::validation("审核结果无效")),
    }
}

/// Reviews a provider (`table` = `providers`) or an offering (`offerings`).
pub async fn review(
    db: &Db,
    table: &'static str,
    id: i64,
    by: i64,
    r: &ReviewDecision,
    now: &str,
) -> ApiResult<&'static str> {
    let comment = r.comment.clone().unwrap_or_default();
    let status = review_status(&r.decision, &comment)?;
    let mut tx = db.begin().await?;
    let n = sqlx::query(&format!(
        "UPDATE {table} SET status = $1, review_comment = $2, reviewed_by = $3, reviewed_at = $4 WHERE id = $5"
    ))
    .bind(status)
    .bind(comment.trim())
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::not_found(if table == "providers" {
            "该供给方"
        } else {
            "该服务项目"
        }));
    }
    tx.commit().await?;
    Ok(status)
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct OfferingForm {
    #[oai(validator(min_length = 1, max_length = 60))]
    pub title: String,
    /// `performance`, `lecture`, `exhibition` or `course` (课程模块).
    pub kind: String,
    #[oai(validator(max_length = 2000))]
    pub description: Option<String>,
    #[oai(validator(minimum(value = "1"), maximum(value = "10080")))]
    pub duration_minutes: i64,
    /// Who it is for (少儿、老年、全年龄…).
    #[oai(validator(max_length = 100))]
    pub audience: Option<String>,
    /// What the venue must have: stage, room, equipment.
    #[oai(validator(max_length = 500))]
    pub requirements: Option<String>,
    /// Whole fen; 0 is free.
    #[oai(validator(minimum(value = "0"), maximum(value = "100000000000")))]
    pub price_fen: i64,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Offering {
    pub id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub title: String,
    pub kind: String,
    pub kind_label: String,
    pub description: String,
    pub duration_minutes: i64,
    pub audience: String,
    pub requirements: String,
    pub price_fen: i64,
    /// `pending`, `approved`, `returned` or `suspended`.
    pub status: String,
    pub review_comment: String,
}

pub async fn create_offering(
    db: &Db,
    provider_id: i64,
    f: &OfferingForm,
    now: &str,
) -> ApiResult<i64> {
    if crate::input::blank(&f.title) {
        return Err(ApiError::validation("请填写项目名称"));
    }
    if !OFFERING_KINDS.contains(&f.kind.as_str()) {
        return Err(ApiError::validation("项目类型无效"));
    }
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO offerings (provider_id, title, kind, description, duration_minutes, audience, requirements, price_fen, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
    )
    .bind(provider_id)
    .bind(f.title.trim())
    .bind(&f.kind)
    .bind(f.description.clone().unwrap_or_default())
    .bind(f.duration_minutes)
    .bind(f.audience.clone().unwrap_or_default())
    .bind(f.requirements.clone().unwrap_or_default())
    .bind(f.price_fen)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

fn offering_from(r: &sqlx::any::AnyRow) -> Offering {
    let kind: String = r.get("kind");
    Offering {
        id: r.get("id"),
        provider_id: r.get("provider_id"),
        provider_name: r.get("provider_name"),
        title: r.get("title"),
        kind_label: offering_kind_label(&kind).into(),
        kind,
        description: r.get("description"),
        duration_minutes: r.get("duration_minutes"),
        audience: r.get("audience"),
        requirements: r.get("requirements"),
        price_fen: r.get("price_fen"),
        status: r.get("status"),
        review_comment: r.get("review_comment"),
    }
}

/// One provider's offerings (all statuses), for the provider itself.
pub async fn offerings_of(db: &Db, provider_id: i64) -> ApiResult<Vec<Offering>> {
    let rows = sqlx::query(
        "SELECT o.*, p.name AS provider_name FROM offerings o JOIN providers p ON p.id = o.provider_id \
         WHERE o.provider_id = $1 ORDER BY o.id DESC",
    )
    .bind(provider_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(offering_from).collect())
}

/// Offerings waiting for review, or all of one status (main center).
pub async fn offerings_by_status(db: &Db, status: &str) -> ApiResult<Vec<Offering>> {
    let rows = sqlx::query(
        "SELECT o.*, p.name AS provider_name FROM offerings o JOIN providers p ON p.id = o.provider_id \
         WHERE o.status = $1 ORDER BY o.id DESC LIMIT 500",
    )
    .bind(status)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(offering_from).collect())
}

/// The catalogue units buy from: approved offerings of approved providers.
pub async fn catalogue(db: &Db) -> ApiResult<Vec<Offering>> {
    let rows = sqlx::query(
        "SELECT o.*, p.name AS provider_name FROM offerings o JOIN providers p ON p.id = o.provider_id \
         WHERE o.status = 'approved' AND p.status = 'approved' ORDER BY o.id DESC LIMIT 500",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(offering_from).collect())
}

/// The person's provider record, unmasked, for their own export (PIPL); null without one.
pub async fn export(db: &Db, user_id: i64) -> ApiResult<serde_json::Value> {
    let Some(r) = sqlx::query("SELECT * FROM providers WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(serde_json::Value::Null);
    };
    let offerings = offerings_of(db, r.get("id")).await?;
    Ok(serde_json::json!({
        "name": r.get::<String, _>("name"),
        "kind": r.get::<String, _>("kind"),
        "contact_name": r.get::<String, _>("contact_name"),
        "phone": r.get::<String, _>("phone"),
        "intro": r.get::<String, _>("intro"),
        "qualifications": r.get::<String, _>("qualifications"),
        "status": r.get::<String, _>("status"),
        "created_at": r.get::<String, _>("created_at"),
        "offerings": offerings.iter().map(|o| serde_json::json!({
            "title": &o.title, "kind": &o.kind, "price_fen": o.price_fen, "status": &o.status,
        })).collect::<Vec<_>>(),
    }))
}

/// Erasure: the contact person, phone and free text go; the provider is suspended. The name
/// stays, as the counterparty of purchases already recorded (financial records are kept).
pub async fn erase(tx: &mut crate::db::Tx, user_id: i64, now: &str) -> ApiResult<()> {
    sqlx::query(
        "UPDATE providers SET contact_name = '', phone = '', intro = '', qualifications = '', \
         status = 'suspended', review_comment = '账号已注销', updated_at = $1 WHERE user_id = $2",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviews_need_reasons_to_refuse() {
        assert_eq!(review_status("approve", "").unwrap(), "approved");
        assert!(review_status("return", " ").is_err());
        assert_eq!(review_status("return", "缺少资质").unwrap(), "returned");
        assert_eq!(review_status("suspend", "投诉").unwrap(), "suspended");
        assert!(review_status("delete", "x").is_err());
    }

    #[test]
    fn averages_are_integers() {
        assert_eq!(average_x100(0, 0), None);
        assert_eq!(average_x100(9, 2), Some(450));
        assert_eq!(average_x100(14, 3), Some(467));
        assert_eq!(average_x100(5, 1), Some(500));
    }

    #[test]
    fn offerings_become_activities() {
        assert_eq!(activity_kind("course"), "training");
        assert_eq!(activity_kind("performance"), "performance");
        for k in OFFERING_KINDS {
            assert!(crate::activity::KINDS.contains(&activity_kind(k)));
            assert!(!offering_kind_label(k).is_empty());
        }
    }
}
