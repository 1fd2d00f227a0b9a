//! Residents' demand requests (what they want, where, when, for whom), support from others,
//! staff triage and merging, and closing the loop when an activity answers a demand.

use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use crate::feedback::{check_text, moderate, Verdict};
use crate::notify;
use crate::privacy::mask_name;
use crate::time::{self, Ts};
use crate::wechat::WechatClient;
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::Row;

#[derive(Debug, Clone, Object, Deserialize)]
pub struct NewDemand {
    /// Kind of activity wanted (same kinds as activities).
    pub kind: String,
    /// The branch or point where it is wanted.
    pub unit_id: i64,
    #[oai(validator(max_length = 50))]
    pub preferred_time: Option<String>,
    #[oai(validator(max_length = 20))]
    pub age_group: Option<String>,
    #[oai(validator(min_length = 5, max_length = 300))]
    pub description: String,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct DemandView {
    pub id: i64,
    pub kind: String,
    pub kind_label: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// Masked.
    pub poster: String,
    pub preferred_time: String,
    pub age_group: String,
    pub description: String,
    /// `published`, `held` (waiting for review) or `rejected`.
    pub visibility: String,
    /// `open`, `accepted`, `planned`, `declined`, `fulfilled` or `merged`.
    pub status: String,
    /// Why it was declined, or a note from staff.
    pub status_reason: String,
    pub merged_into: Option<i64>,
    /// The activity that answered it.
    pub activity_id: Option<i64>,
    pub supporters: i64,
    pub i_support: bool,
    pub created_at: String,
    pub fulfilled_at: Option<String>,
}

pub async fn post(
    db: &Db,
    wechat: &WechatClient,
    user_id: i64,
    openid: Option<&str>,
    d: &NewDemand,
    now: Ts,
) -> ApiResult<i64> {
    if !crate::activity::KINDS.contains(&d.kind.as_str()) {
        return Err(ApiError::validation("活动类型无效"));
    }
    let unit = crate::org::unit_ref(db, d.unit_id).await?;
    let description = check_text(&d.description, 300, "需求描述")?;
    if description.chars().count() < 5 {
        return Err(ApiError::validation("请至少用 5 个字描述您的需求"));
    }
    let preferred = check_text(d.preferred_time.as_deref().unwrap_or(""), 50, "期望时间")?;
    let age = check_text(d.age_group.as_deref().unwrap_or(""), 20, "年龄段")?;
    let text = format!("{description} {preferred} {age}");
    let visibility = match moderate(wechat, openid, &text, 2).await {
        Verdict::Published => "published",
        Verdict::Held(_) => "held",
    };
    let now_s = time::fmt(now);
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO demands (user_id, kind, unit_id, unit_path, preferred_time, age_group, description, visibility, supporters, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,1,$9,$9) RETURNING id",
    )
    .bind(user_id)
    .bind(&d.kind)
    .bind(unit.id)
    .bind(&unit.path)
    .bind(preferred)
    .bind(age)
    .bind(description)
    .bind(visibility)
    .bind(&now_s)
    .fetch_one(&mut *tx)
    .await?;
    // The poster is its first supporter.
    sqlx::query("INSERT INTO demand_supports (demand_id, user_id, created_at) VALUES ($1,$2,$3)")
        .bind(id)
        .bind(user_id)
        .bind(&now_s)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn support(db: &Db, id: i64, user_id: i64, now: &str) -> ApiResult<i64> {
    let r = sqlx::query("SELECT visibility, status FROM demands WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该需求"))?;
    if r.get::<String, _>("visibility") != "published" {
        return Err(ApiError::not_found("该需求"));
    }
    if !matches!(
        r.get::<String, _>("status").as_str(),
        "open" | "accepted" | "planned"
    ) {
        return Err(ApiError::conflict("demand_closed", "这条需求已经处理完毕"));
    }
    let mut tx = db.begin().await?;
    let n = sqlx::query("INSERT INTO demand_supports (demand_id, user_id, created_at) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(ApiError::conflict(
            "already_supported",
            "您已经支持过这条需求",
        ));
    }
    let total: i64 = sqlx::query_scalar(
        "UPDATE demands SET supporters = supporters + 1 WHERE id = $1 RETURNING supporters",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(total)
}

const VIEW: &str = "SELECT d.*, u.short_name, p.display_name FROM demands d JOIN org_units u ON u.id = d.unit_id JOIN users p ON p.id = d.user_id";

fn view_from(r: &sqlx::any::AnyRow, mine: &std::collections::HashSet<i64>) -> DemandView {
    let kind: String = r.get("kind");
    let id: i64 = r.get("id");
    let name: String = r.get("display_name");
    DemandView {
        id,
        kind_label: crate::activity::kind_label(&kind).into(),
        kind,
        unit_id: r.get("unit_id"),
        unit_name: r.get("short_name"),
        poster: if name.is_empty() {
            "居民".into()
        } else {
            mask_name(&name)
        },
        preferred_time: r.get("preferred_time"),
        age_group: r.get("age_group"),
        description: r.get("description"),
        visibility: r.get("visibility"),
        status: r.get("status"),
        status_reason: r.get("status_reason"),
        merged_into: r.get("merged_into"),
        activity_id: r.get("activity_id"),
        supporters: r.get("supporters"),
        i_support: mine.contains(&id),
        created_at: r.get("created_at"),
        fulfilled_at: r.get("fulfilled_at"),
    }
}

async fn supported_by(db: &Db, user: Option<i64>) -> ApiResult<std::collections::HashSet<i64>> {
    let Some(u) = user else {
        return Ok(Default::default());
    };
    let v: Vec<i64> =
        sqlx::query_scalar("SELECT demand_id FROM demand_supports WHERE user_id = $1")
            .bind(u)
            .fetch_all(db.pool())
            .await?;
    Ok(v.into_iter().collect())
}

/// Published demands (residents' view), or every demand in a staff scope.
pub async fn list(
    db: &Db,
    viewer: Option<i64>,
    staff_scope: Option<&crate::access::Scope>,
    unit_path: Option<&str>,
    status: Option<&str>,
    by_support: bool,
    limit: i64,
) -> ApiResult<Vec<DemandView>> {
    let mut w = match staff_scope {
        Some(s) => format!("WHERE {}", s.sql("d.unit_path")),
        None => "WHERE d.visibility = 'published' AND d.status <> 'merged'".to_string(),
    };
    let mut binds: Vec<String> = Vec::new();
    if let Some(p) = unit_path {
        w.push_str(&format!(
            " AND {}",
            crate::access::subtree_sql("d.unit_path", p)
        ));
    }
    if let Some(s) = status {
        binds.push(s.to_string());
        w.push_str(&format!(" AND d.status = ${}", binds.len()));
    }
    let order = if by_support {
        "d.supporters DESC, d.id DESC"
    } else {
        "d.id DESC"
    };
    let sql = format!("{VIEW} {w} ORDER BY {order} LIMIT {}", limit.clamp(1, 200));
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(db.pool()).await?;
    let mine = supported_by(db, viewer).await?;
    Ok(rows.iter().map(|r| view_from(r, &mine)).collect())
}

/// My own demands, held ones included, newest first.
pub async fn mine(db: &Db, user_id: i64) -> ApiResult<Vec<DemandView>> {
    let rows = sqlx::query(&format!(
        "{VIEW} WHERE d.user_id = $1 ORDER BY d.id DESC LIMIT 200"
    ))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let supported = supported_by(db, Some(user_id)).await?;
    Ok(rows.iter().map(|r| view_from(r, &supported)).collect())
}

pub async fn get(db: &Db, id: i64, viewer: Option<i64>) -> ApiResult<DemandView> {
    let r = sqlx::query(&format!("{VIEW} WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该需求"))?;
    let mine = supported_by(db, viewer).await?;
    Ok(view_from(&r, &mine))
}

pub async fn place(db: &Db, id: i64) -> ApiResult<crate::access::UnitRef> {
    let r = sqlx::query("SELECT unit_id, unit_path FROM demands WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该需求"))?;
    Ok(crate::access::UnitRef {
        id: r.get("unit_id"),
        path: r.get("unit_path"),
    })
}

async fn tell_supporters(tx: &mut Tx, id: i64, note: &str, now: Ts, key: &str) -> ApiResult<()> {
    let r = sqlx::query("SELECT d.description, u.short_name FROM demands d JOIN org_units u ON u.id = d.unit_id WHERE d.id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let users: Vec<i64> =
        sqlx::query_scalar("SELECT user_id FROM demand_supports WHERE demand_id = $1")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    let title: String = r.get("description");
    for u in users {
        notify::enqueue(
            tx,
            u,
            "demand_update",
            &format!("demand:{id}:{key}:{u}"),
            Some(&format!("pages/demand/index?id={id}")),
            &notify::fields(&title, now, &r.get::<String, _>("short_name"), note),
            &time::fmt(now),
        )
        .await?;
    }
    Ok(())
}

/// Staff decide: accepted, planned, or declined with a reason residents can read.
pub async fn triage(db: &Db, id: i64, status: &str, reason: &str, now: Ts) -> ApiResult<()> {
    if !matches!(status, "accepted" | "planned" | "declined") {
        return Err(ApiError::validation(
            "状态只能是 accepted、planned 或 declined",
        ));
    }
    if status == "declined" && reason.trim().is_empty() {
        return Err(ApiError::validation("不采纳时请写明原因，居民可以看到"));
    }
    let now_s = time::fmt(now);
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE demands SET status = $1, status_reason = $2, triaged_at = COALESCE(triaged_at, $3), updated_at = $3 \
         WHERE id = $4 AND status IN ('open','accepted','planned')",
    )
    .bind(status)
    .bind(reason.trim())
    .bind(&now_s)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(ApiError::conflict("demand_closed", "这条需求已经处理完毕"));
    }
    let note = match status {
        "accepted" => "您的需求已被采纳",
        "planned" => "您的需求已列入活动计划",
        _ => "您的需求暂未被采纳，原因见详情",
    };
    tell_supporters(&mut tx, id, note, now, status).await?;
    tx.commit().await?;
    Ok(())
}

/// Merges a duplicate into another demand; its supporters move over.
pub async fn merge(db: &Db, from: i64, into: i64, now: &str) -> ApiResult<i64> {
    if from == into {
        return Err(ApiError::validation("不能合并到自己"));
    }
    let mut tx = db.begin().await?;
    let target: Option<String> = sqlx::query_scalar("SELECT status FROM demands WHERE id = $1")
        .bind(into)
        .fetch_optional(&mut *tx)
        .await?;
    match target.as_deref() {
        None => return Err(ApiError::not_found("目标需求")),
        Some("merged") | Some("declined") => {
            return Err(ApiError::conflict(
                "demand_closed",
                "不能合并到已关闭的需求",
            ))
        }
        _ => {}
    }
    let n = sqlx::query("UPDATE demands SET status = 'merged', merged_into = $1, updated_at = $2 WHERE id = $3 AND status IN ('open','accepted','planned')")
        .bind(into)
        .bind(now)
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(ApiError::conflict("demand_closed", "这条需求已经处理完毕"));
    }
    sqlx::query(
        "INSERT INTO demand_supports (demand_id, user_id, created_at) SELECT $1, user_id, created_at FROM demand_supports \
         WHERE demand_id = $2 ON CONFLICT DO NOTHING",
    )
    .bind(into)
    .bind(from)
    .execute(&mut *tx)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "UPDATE demands SET supporters = (SELECT CAST(COUNT(*) AS BIGINT) FROM demand_supports WHERE demand_id = $1) WHERE id = $1 RETURNING supporters",
    )
    .bind(into)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(total)
}

/// Links an activity to a demand; once the activity is published the demand is fulfilled.
pub async fn link(db: &Db, id: i64, activity_id: i64, now: Ts) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    let n = sqlx::query("UPDATE demands SET activity_id = $1, status = CASE WHEN status = 'open' THEN 'planned' ELSE status END, updated_at = $2 \
                         WHERE id = $3 AND status IN ('open','accepted','planned')")
        .bind(activity_id)
        .bind(time::fmt(now))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(ApiError::conflict("demand_closed", "这条需求已经处理完毕"));
    }
    fulfil_for_activity(&mut tx, activity_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Demands answered by a published activity become fulfilled, and everyone who posted or
/// supported them is told. Called when linking and when publishing.
pub async fn fulfil_for_activity(tx: &mut Tx, activity_id: i64, now: Ts) -> ApiResult<usize> {
    let published: Option<String> =
        sqlx::query_scalar("SELECT status FROM activities WHERE id = $1")
            .bind(activity_id)
            .fetch_optional(&mut **tx)
            .await?;
    if !matches!(published.as_deref(), Some("published") | Some("finished")) {
        return Ok(0);
    }
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM demands WHERE activity_id = $1 AND status IN ('open','accepted','planned')",
    )
    .bind(activity_id)
    .fetch_all(&mut **tx)
    .await?;
    let now_s = time::fmt(now);
    for id in &ids {
        sqlx::query("UPDATE demands SET status = 'fulfilled', fulfilled_at = $1, updated_at = $1 WHERE id = $2")
            .bind(&now_s)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        tell_supporters(tx, *id, "您期待的活动已发布，快来预约", now, "fulfilled").await?;
    }
    Ok(ids.len())
}

/// Staff moderation of held text (demands and rating comments share the decision words).
pub fn decision(d: &str) -> ApiResult<&'static str> {
    match d {
        "publish" => Ok("published"),
        "reject" => Ok("rejected"),
        _ => Err(ApiError::validation("审核结果只能是 publish 或 reject")),
    }
}
