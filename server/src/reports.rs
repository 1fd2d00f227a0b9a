//! 举报: residents report a public comment (a rating's comment) or a demand request, and staff
//! of the item's unit decide.
//!
//! One report per person per item (a unique key), at most [`PER_HOUR`] reports per person per
//! hour (counted in the database so every instance agrees). Only what others can see can be
//! reported, and not one's own. Staff decide per item, for all its open reports at once:
//! *uphold* hides the item through the same states the text security check uses (a rating's
//! comment becomes `rejected`, a demand's visibility `rejected`), *dismiss* leaves it; either
//! way each reporter finds the outcome in 我的消息 (`user_messages`), in the same transaction.

use crate::access::Scope;
use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::time::{self, Ts};
use poem_openapi::Object;
use serde::Deserialize;
use sqlx::Row;

pub const PER_HOUR: i64 = 10;
pub const MAX_DETAIL: usize = 200;

/// The reason categories (code, label), as WeChat's reviewers expect for user content.
pub const REASONS: &[(&str, &str)] = &[
    ("abuse", "辱骂攻击"),
    ("porn", "色情低俗"),
    ("politics", "政治敏感"),
    ("ads", "广告营销"),
    ("fraud", "诈骗或虚假信息"),
    ("privacy", "泄露他人隐私"),
    ("other", "其他"),
];

pub fn reason_label(code: &str) -> &'static str {
    REASONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("其他")
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct NewReport {
    /// `rating` (a public comment) or `demand`.
    pub target_kind: String,
    pub target_id: i64,
    /// `abuse`, `porn`, `politics`, `ads`, `fraud`, `privacy` or `other`.
    pub reason: String,
    /// Optional words from the reporter (at most 200 characters).
    pub detail: Option<String>,
}

/// Checks a report's kind, reason and text. Pure.
pub fn check(r: &NewReport) -> ApiResult<(&'static str, &'static str, String)> {
    let kind = target_kind(&r.target_kind)?;
    let reason = REASONS
        .iter()
        .find(|(c, _)| *c == r.reason)
        .map(|(c, _)| *c)
        .ok_or_else(|| ApiError::validation("举报原因无效"))?;
    let detail = r.detail.as_deref().unwrap_or("").trim().to_string();
    if detail.chars().count() > MAX_DETAIL {
        return Err(ApiError::validation(format!(
            "补充说明不能超过 {MAX_DETAIL} 个字"
        )));
    }
    if reason == "other" && detail.is_empty() {
        return Err(ApiError::validation("选择“其他”时请写明原因"));
    }
    Ok((kind, reason, detail))
}

pub fn target_kind(k: &str) -> ApiResult<&'static str> {
    match k {
        "rating" => Ok("rating"),
        "demand" => Ok("demand"),
        _ => Err(ApiError::validation("只能举报评价或需求（rating、demand）")),
    }
}

/// `uphold` or `dismiss`. Pure.
pub fn decision(d: &str) -> ApiResult<&'static str> {
    match d {
        "uphold" => Ok("upheld"),
        "dismiss" => Ok("dismissed"),
        _ => Err(ApiError::validation("处理结果只能是 uphold 或 dismiss")),
    }
}

/// The item as reporting needs it: its unit, its author, whether others can see it.
struct Target {
    unit_id: i64,
    unit_path: String,
    author: i64,
    public: bool,
}

async fn target(tx: &mut Tx, kind: &str, id: i64) -> ApiResult<Option<Target>> {
    let sql = match kind {
        "rating" => "SELECT unit_id, unit_path, user_id, CAST(CASE WHEN comment_status = 'published' THEN 1 ELSE 0 END AS BIGINT) AS is_public FROM ratings WHERE id = $1",
        _ => "SELECT unit_id, unit_path, user_id, CAST(CASE WHEN visibility = 'published' AND status <> 'merged' THEN 1 ELSE 0 END AS BIGINT) AS is_public FROM demands WHERE id = $1",
    };
    let r = sqlx::query(sql).bind(id).fetch_optional(&mut **tx).await?;
    Ok(r.map(|r| Target {
        unit_id: r.get("unit_id"),
        unit_path: r.get("unit_path"),
        author: r.get("user_id"),
        public: r.get::<i64, _>("is_public") == 1,
    }))
}

/// Files a report. Bad input, a duplicate or too many reports change nothing.
pub async fn report(db: &Db, user_id: i64, r: &NewReport, now: Ts) -> ApiResult<i64> {
    let (kind, reason, detail) = check(r)?;
    let now_s = time::fmt(now);
    let mut tx = db.begin().await?;
    let t = match target(&mut tx, kind, r.target_id).await? {
        Some(t) if t.public => t,
        // Held or hidden items are not shown to anyone else, so there is nothing to report.
        _ => {
            return Err(ApiError::not_found(if kind == "rating" {
                "该评价"
            } else {
                "该需求"
            }))
        }
    };
    if t.author == user_id {
        return Err(ApiError::validation("不能举报自己发布的内容"));
    }
    let hour_ago = time::fmt(now - chrono::Duration::hours(1));
    let recent: Vec<String> = sqlx::query_scalar(
        "SELECT created_at FROM content_reports WHERE reporter_id = $1 AND created_at > $2 ORDER BY created_at",
    )
    .bind(user_id)
    .bind(&hour_ago)
    .fetch_all(&mut *tx)
    .await?;
    if recent.len() as i64 >= PER_HOUR {
        let oldest = time::parse(&recent[0]).unwrap_or(now);
        let wait = (oldest + chrono::Duration::hours(1) - now)
            .num_seconds()
            .max(1) as u64;
        return Err(ApiError::rate_limited(wait));
    }
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO content_reports (target_kind, target_id, unit_id, unit_path, reporter_id, reason, detail, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
    )
    .bind(kind)
    .bind(r.target_id)
    .bind(t.unit_id)
    .bind(&t.unit_path)
    .bind(user_id)
    .bind(reason)
    .bind(&detail)
    .bind(&now_s)
    .fetch_one(&mut *tx)
    .await;
    let id = match id {
        Ok(id) => id,
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(ApiError::conflict(
                "already_reported",
                "您已经举报过这条内容，请等待处理",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Object)]
pub struct ReportReasonCount {
    pub reason: String,
    pub label: String,
    pub count: i64,
}

/// One reported item in the staff queue, with its open reports summed up.
#[derive(Debug, Clone, Object)]
pub struct ReportItem {
    /// `rating` or `demand`.
    pub target_kind: String,
    pub target_id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    /// The activity rated, or the demand's kind.
    pub context: String,
    /// The reported text (phone-like digits masked).
    pub text: String,
    /// The author, masked.
    pub author: String,
    /// Still visible to residents (it may have been hidden since it was reported).
    pub public: bool,
    pub reports: i64,
    pub reasons: Vec<ReportReasonCount>,
    /// The reporters' own words (masked), newest first, at most 5.
    pub details: Vec<String>,
    pub first_reported_at: String,
}

/// Items with open reports in `scope` (under `under`), most reported first.
pub async fn queue(db: &Db, scope: &Scope, under: &str) -> ApiResult<Vec<ReportItem>> {
    let rows = sqlx::query(&format!(
        "SELECT c.target_kind, c.target_id, c.unit_id, u.short_name, CAST(COUNT(*) AS BIGINT) AS n, MIN(c.created_at) AS first_at \
         FROM content_reports c JOIN org_units u ON u.id = c.unit_id \
         WHERE c.status = 'open' AND {} AND c.unit_path LIKE $1 \
         GROUP BY c.target_kind, c.target_id, c.unit_id, u.short_name ORDER BY n DESC, first_at LIMIT 200",
        scope.sql("c.unit_path")
    ))
    .bind(format!("{under}%"))
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let kind: String = r.get("target_kind");
        let id: i64 = r.get("target_id");
        let (context, text, author, public) = describe(db, &kind, id).await?;
        let reasons = sqlx::query(
            "SELECT reason, CAST(COUNT(*) AS BIGINT) AS n FROM content_reports \
             WHERE target_kind = $1 AND target_id = $2 AND status = 'open' GROUP BY reason ORDER BY n DESC, reason",
        )
        .bind(&kind)
        .bind(id)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|x| {
            let reason: String = x.get("reason");
            ReportReasonCount {
                label: reason_label(&reason).into(),
                reason,
                count: x.get("n"),
            }
        })
        .collect();
        let details: Vec<String> = sqlx::query_scalar(
            "SELECT detail FROM content_reports WHERE target_kind = $1 AND target_id = $2 AND status = 'open' AND detail <> '' \
             ORDER BY id DESC LIMIT 5",
        )
        .bind(&kind)
        .bind(id)
        .fetch_all(db.pool())
        .await?;
        out.push(ReportItem {
            target_kind: kind,
            target_id: id,
            unit_id: r.get("unit_id"),
            unit_name: r.get("short_name"),
            context,
            text: crate::privacy::mask_text(&text),
            author,
            public,
            reports: r.get("n"),
            reasons,
            details: details
                .iter()
                .map(|d| crate::privacy::mask_text(d))
                .collect(),
            first_reported_at: r.get("first_at"),
        });
    }
    Ok(out)
}

async fn describe(db: &Db, kind: &str, id: i64) -> ApiResult<(String, String, String, bool)> {
    let sql = match kind {
        "rating" => "SELECT a.title AS context, r.comment AS text, p.display_name, \
                     CAST(CASE WHEN r.comment_status = 'published' THEN 1 ELSE 0 END AS BIGINT) AS is_public \
                     FROM ratings r JOIN activities a ON a.id = r.activity_id JOIN users p ON p.id = r.user_id WHERE r.id = $1",
        _ => "SELECT d.kind AS context, d.description AS text, p.display_name, \
              CAST(CASE WHEN d.visibility = 'published' AND d.status <> 'merged' THEN 1 ELSE 0 END AS BIGINT) AS is_public \
              FROM demands d JOIN users p ON p.id = d.user_id WHERE d.id = $1",
    };
    let r = sqlx::query(sql).bind(id).fetch_one(db.pool()).await?;
    let name: String = r.get("display_name");
    let context: String = r.get("context");
    Ok((
        if kind == "demand" {
            format!("需求 · {}", crate::activity::kind_label(&context))
        } else {
            context
        },
        r.get("text"),
        if name.is_empty() {
            "居民".into()
        } else {
            crate::privacy::mask_name(&name)
        },
        r.get::<i64, _>("is_public") == 1,
    ))
}

/// The unit an item belongs to, for authorization.
pub async fn place(db: &Db, kind: &str, id: i64) -> ApiResult<crate::access::UnitRef> {
    match target_kind(kind)? {
        "rating" => crate::feedback::place(db, id).await,
        _ => crate::demand::place(db, id).await,
    }
}

/// Decides every open report of an item; `to` is `upheld` or `dismissed`. Upholding hides the
/// item. Each reporter is told in 我的消息. Returns how many reports were decided.
pub async fn decide(
    tx: &mut Tx,
    kind: &str,
    id: i64,
    to: &str,
    staff: i64,
    now: Ts,
) -> ApiResult<Vec<i64>> {
    let now_s = time::fmt(now);
    // Claim the open reports first: of two staff deciding at once, one finds none left.
    let reporters: Vec<i64> = sqlx::query_scalar(
        "UPDATE content_reports SET status = $1, decided_by = $2, decided_at = $3 \
         WHERE target_kind = $4 AND target_id = $5 AND status = 'open' RETURNING reporter_id",
    )
    .bind(to)
    .bind(staff)
    .bind(&now_s)
    .bind(kind)
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    if reporters.is_empty() {
        return Err(ApiError::conflict(
            "no_open_reports",
            "这条内容没有待处理的举报",
        ));
    }
    let what = if kind == "rating" { "评价" } else { "需求" };
    if to == "upheld" {
        match kind {
            "rating" => {
                sqlx::query(
                    "UPDATE ratings SET comment_status = 'rejected', moderation_note = '举报核实，已隐藏' \
                     WHERE id = $1 AND comment_status = 'published'",
                )
                .bind(id)
                .execute(&mut **tx)
                .await?;
                crate::feedback::recount_ratings(tx, &[id]).await?;
            }
            _ => {
                sqlx::query(
                    "UPDATE demands SET visibility = 'rejected', updated_at = $1 WHERE id = $2 AND visibility = 'published'",
                )
                .bind(&now_s)
                .bind(id)
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    let body = if to == "upheld" {
        format!("您举报的{what}经核实违反社区规范，已被隐藏。感谢您的监督。")
    } else {
        format!("经核查，您举报的{what}未发现违规，予以保留。感谢您的监督。")
    };
    for u in &reporters {
        sqlx::query(
            "INSERT INTO user_messages (user_id, kind, title, body, page, created_at) \
             VALUES ($1,'report_outcome','举报处理结果',$2,NULL,$3)",
        )
        .bind(u)
        .bind(&body)
        .bind(&now_s)
        .execute(&mut **tx)
        .await?;
    }
    Ok(reporters)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(kind: &str, reason: &str, detail: Option<&str>) -> NewReport {
        NewReport {
            target_kind: kind.into(),
            target_id: 1,
            reason: reason.into(),
            detail: detail.map(Into::into),
        }
    }

    #[test]
    fn reports_are_checked() {
        assert!(check(&r("rating", "abuse", None)).is_ok());
        assert!(check(&r("demand", "ads", Some("  广告  "))).unwrap().2 == "广告");
        assert!(check(&r("booking", "abuse", None)).is_err());
        assert!(check(&r("rating", "boring", None)).is_err());
        assert!(check(&r("rating", "other", None)).is_err());
        assert!(check(&r("rating", "other", Some("说明"))).is_ok());
        assert!(check(&r("rating", "abuse", Some(&"长".repeat(201)))).is_err());
        assert!(check(&r("rating", "abuse", Some(&"长".repeat(200)))).is_ok());
        assert_eq!(decision("uphold").unwrap(), "upheld");
        assert!(decision("hide").is_err());
    }
}
