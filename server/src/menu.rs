//! The cultural menu (点单): the main center publishes deliverable items with a quota per
//! period; branches and points order them for dates at their venues; the main center approves
//! and delivers (配送), which creates the activity at the ordering unit; residents vote on
//! items they would like at their point.
//!
//! A branch runs the same menu for its own points (D241): an item belongs to the unit that
//! published it (`owner_unit_id`), is visible and orderable only within that unit's subtree,
//! and its orders are approved and delivered by whoever may `ManageMenu` at the owner.

use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::Row;

#[derive(Debug, Clone, Object, Deserialize)]
pub struct NewItem {
    #[oai(validator(min_length = 1, max_length = 60))]
    pub title: String,
    pub kind: String,
    #[oai(validator(max_length = 1000))]
    pub description: Option<String>,
    /// Deliveries possible within the period.
    #[oai(validator(minimum(value = "0"), maximum(value = "10000")))]
    pub quota: i64,
    /// `YYYY-MM-DD`, inclusive.
    pub period_start: String,
    pub period_end: String,
    /// The publishing unit: the main center (default, for the whole district) or a branch
    /// (for its own points).
    pub unit_id: Option<i64>,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Item {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub kind_label: String,
    pub description: String,
    pub quota: i64,
    /// Approved or delivered orders so far.
    pub used: i64,
    pub period_start: String,
    pub period_end: String,
    pub status: String,
    /// Residents' votes (at the unit asked about, or everywhere).
    pub votes: i64,
    /// The publishing unit (main center or a branch).
    pub owner_unit_id: i64,
}

/// May a unit at `unit_path` see and order an item published at `owner_path`? Only within the
/// owner's subtree; an item of the main center reaches the whole district, and so does an item
/// without an owner (written before branch menus, or by the seed): it is the main center's.
pub fn reaches(owner_path: &str, unit_path: &str) -> bool {
    owner_path.is_empty() || unit_path.starts_with(owner_path)
}

/// Is `path` the root's (`/1/`): one segment.
fn is_root_path(path: &str) -> bool {
    path.matches('/').count() == 2
}

fn date(s: &str) -> ApiResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ApiError::validation("日期格式应为 2026-12-01"))
}

pub async fn create(
    db: &Db,
    by: i64,
    owner: &crate::access::UnitRef,
    n: &NewItem,
    now: &str,
) -> ApiResult<i64> {
    if !crate::activity::KINDS.contains(&n.kind.as_str()) {
        return Err(ApiError::validation("类型无效"));
    }
    if date(&n.period_start)? > date(&n.period_end)? {
        return Err(ApiError::validation("周期开始日期不能晚于结束日期"));
    }
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO menu_items (title, kind, description, quota, period_start, period_end, created_by, created_at, owner_unit_id, owner_path) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id",
    )
    .bind(n.title.trim())
    .bind(&n.kind)
    .bind(n.description.clone().unwrap_or_default())
    .bind(n.quota)
    .bind(&n.period_start)
    .bind(&n.period_end)
    .bind(by)
    .bind(now)
    .bind(owner.id)
    .bind(&owner.path)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The unit that published an item.
pub async fn item_owner(db: &Db, item: i64) -> ApiResult<crate::access::UnitRef> {
    let r = sqlx::query("SELECT owner_unit_id, owner_path FROM menu_items WHERE id = $1")
        .bind(item)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该菜单项目"))?;
    match r.get::<Option<i64>, _>("owner_unit_id") {
        Some(id) => Ok(crate::access::UnitRef {
            id,
            path: r.get("owner_path"),
        }),
        // No owner: the main center's (see `reaches`).
        None => crate::org::root(db).await?.ok_or_else(ApiError::internal),
    }
}

/// Active items reaching the unit at `votes_at` (or, without one, the district-wide items of
/// the main center).
pub async fn items(db: &Db, votes_at: Option<&str>) -> ApiResult<Vec<Item>> {
    let rows = sqlx::query(
        "SELECT m.*, (SELECT CAST(COUNT(*) AS BIGINT) FROM menu_orders o WHERE o.menu_item_id = m.id AND o.status IN ('approved','delivered')) AS used, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM menu_votes v JOIN org_units u ON u.id = v.unit_id WHERE v.menu_item_id = m.id AND u.path LIKE $1) AS votes \
         FROM menu_items m WHERE m.status = 'active' ORDER BY m.id",
    )
    .bind(format!("{}%", votes_at.unwrap_or("/")))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .filter(|r| {
            let owner: String = r.get("owner_path");
            match votes_at {
                Some(at) => reaches(&owner, at),
                None => owner.is_empty() || is_root_path(&owner),
            }
        })
        .map(|r| {
            let kind: String = r.get("kind");
            Item {
                id: r.get("id"),
                title: r.get("title"),
                kind_label: crate::activity::kind_label(&kind).into(),
                kind,
                description: r.get("description"),
                quota: r.get("quota"),
                used: r.get("used"),
                period_start: r.get("period_start"),
                period_end: r.get("period_end"),
                status: r.get("status"),
                votes: r.get("votes"),
                owner_unit_id: r.get::<Option<i64>, _>("owner_unit_id").unwrap_or_default(),
            }
        })
        .collect())
}

pub async fn vote(db: &Db, item: i64, unit_id: i64, user_id: i64, now: &str) -> ApiResult<()> {
    let active: Option<String> = sqlx::query_scalar("SELECT status FROM menu_items WHERE id = $1")
        .bind(item)
        .fetch_optional(db.pool())
        .await?;
    if active.as_deref() != Some("active") {
        return Err(ApiError::not_found("该菜单项目"));
    }
    let at = crate::org::unit_ref(db, unit_id).await?;
    if !reaches(&item_owner(db, item).await?.path, &at.path) {
        return Err(ApiError::not_found("该菜单项目"));
    }
    let mut tx = db.begin().await?;
    let n = sqlx::query("INSERT INTO menu_votes (menu_item_id, unit_id, user_id, created_at) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING")
        .bind(item)
        .bind(unit_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    if n == 0 {
        return Err(ApiError::conflict(
            "already_voted",
            "您已经为这个项目投过票",
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct NewOrder {
    pub menu_item_id: i64,
    /// The ordering branch or point (the venue).
    pub unit_id: i64,
    /// `YYYY-MM-DD`, within the item's period.
    pub requested_date: String,
    #[oai(validator(max_length = 300))]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Order {
    pub id: i64,
    pub menu_item_id: i64,
    pub title: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub requested_date: String,
    pub note: String,
    /// `requested`, `approved`, `rejected` or `delivered`.
    pub status: String,
    pub reason: String,
    pub activity_id: Option<i64>,
    pub created_at: String,
}

pub async fn order(
    db: &Db,
    by: i64,
    unit: &crate::access::UnitRef,
    n: &NewOrder,
    now: &str,
) -> ApiResult<i64> {
    let r = sqlx::query(
        "SELECT status, period_start, period_end, owner_path FROM menu_items WHERE id = $1",
    )
    .bind(n.menu_item_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该菜单项目"))?;
    // Another branch's item is not there for this unit at all.
    if r.get::<String, _>("status") != "active"
        || !reaches(&r.get::<String, _>("owner_path"), &unit.path)
    {
        return Err(ApiError::not_found("该菜单项目"));
    }
    let d = date(&n.requested_date)?;
    if d < date(&r.get::<String, _>("period_start"))?
        || d > date(&r.get::<String, _>("period_end"))?
    {
        return Err(ApiError::validation("期望日期不在该项目的配送周期内"));
    }
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO menu_orders (menu_item_id, unit_id, unit_path, requested_date, note, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
    )
    .bind(n.menu_item_id)
    .bind(unit.id)
    .bind(&unit.path)
    .bind(&n.requested_date)
    .bind(n.note.clone().unwrap_or_default())
    .bind(by)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn orders(
    db: &Db,
    scope: &crate::access::Scope,
    unit_path: Option<&str>,
) -> ApiResult<Vec<Order>> {
    let rows = sqlx::query(&format!(
        "SELECT o.*, m.title, u.short_name FROM menu_orders o JOIN menu_items m ON m.id = o.menu_item_id JOIN org_units u ON u.id = o.unit_id \
         WHERE {} AND {} ORDER BY o.id DESC LIMIT 500",
        scope.sql("o.unit_path"),
        // A range, not LIKE: an index on the path can serve it (same rows: paths are digits).
        crate::access::subtree_sql("o.unit_path", unit_path.unwrap_or("/"))
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Order {
            id: r.get("id"),
            menu_item_id: r.get("menu_item_id"),
            title: r.get("title"),
            unit_id: r.get("unit_id"),
            unit_name: r.get("short_name"),
            requested_date: r.get("requested_date"),
            note: r.get("note"),
            status: r.get("status"),
            reason: r.get("reason"),
            activity_id: r.get("activity_id"),
            created_at: r.get("created_at"),
        })
        .collect())
}

pub async fn order_place(db: &Db, id: i64) -> ApiResult<(crate::access::UnitRef, String, i64)> {
    let r = sqlx::query(
        "SELECT unit_id, unit_path, status, menu_item_id FROM menu_orders WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该订单"))?;
    Ok((
        crate::access::UnitRef {
            id: r.get("unit_id"),
            path: r.get("unit_path"),
        },
        r.get("status"),
        r.get("menu_item_id"),
    ))
}

/// Approves an order within the item's quota. The item row is locked first, so two approvals
/// at once cannot both take the last delivery.
pub async fn approve(db: &Db, id: i64, by: i64, now: &str) -> ApiResult<()> {
    let (_, _, item) = order_place(db, id).await?;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE menu_items SET quota = quota WHERE id = $1")
        .bind(item)
        .execute(&mut *tx)
        .await?;
    let r = sqlx::query(
        "SELECT quota, (SELECT CAST(COUNT(*) AS BIGINT) FROM menu_orders o WHERE o.menu_item_id = m.id AND o.status IN ('approved','delivered')) AS used \
         FROM menu_items m WHERE m.id = $1",
    )
    .bind(item)
    .fetch_one(&mut *tx)
    .await?;
    if r.get::<i64, _>("used") >= r.get::<i64, _>("quota") {
        return Err(ApiError::conflict(
            "menu_quota_exhausted",
            "该项目本周期的配送名额已用完",
        ));
    }
    let n = sqlx::query("UPDATE menu_orders SET status = 'approved', decided_by = $1, decided_at = $2 WHERE id = $3 AND status = 'requested'")
        .bind(by)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(ApiError::conflict("order_decided", "这张订单已经处理过"));
    }
    tx.commit().await?;
    Ok(())
}

pub async fn reject(db: &Db, id: i64, by: i64, reason: &str, now: &str) -> ApiResult<()> {
    if crate::input::blank(reason) {
        return Err(ApiError::validation("请写明原因"));
    }
    let mut tx = db.begin().await?;
    let n = sqlx::query("UPDATE menu_orders SET status = 'rejected', reason = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = 'requested'")
        .bind(reason.trim())
        .bind(by)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(ApiError::conflict("order_decided", "这张订单已经处理过"));
    }
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct Delivery {
    pub starts_at: String,
    pub ends_at: String,
    /// Seats; omit for a walk-in event.
    pub capacity: Option<i64>,
    #[oai(validator(max_length = 40))]
    pub room: Option<String>,
}

/// What `deliver` needs to create the activity.
pub struct DeliveryPlan {
    pub item_id: i64,
    pub title: String,
    pub kind: String,
    pub description: String,
    pub unit_id: i64,
}

pub async fn delivery_plan(db: &Db, id: i64) -> ApiResult<DeliveryPlan> {
    let r = sqlx::query(
        "SELECT o.status, o.unit_id, o.menu_item_id, m.title, m.kind, m.description FROM menu_orders o JOIN menu_items m ON m.id = o.menu_item_id WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该订单"))?;
    if r.get::<String, _>("status") != "approved" {
        return Err(ApiError::conflict(
            "order_not_approved",
            "订单批准后才能配送",
        ));
    }
    Ok(DeliveryPlan {
        item_id: r.get("menu_item_id"),
        title: r.get("title"),
        kind: r.get("kind"),
        description: r.get("description"),
        unit_id: r.get("unit_id"),
    })
}

/// Claims an approved order for delivery, so two deliveries of one order cannot both create
/// an activity. Returns false when it was not (or no longer) approved.
pub async fn claim_delivery(db: &Db, id: i64) -> ApiResult<bool> {
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE menu_orders SET status = 'delivered' WHERE id = $1 AND status = 'approved'",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(n == 1)
}

/// Gives a claimed order back (the activity could not be created).
pub async fn unclaim_delivery(db: &Db, id: i64) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE menu_orders SET status = 'approved' WHERE id = $1 AND status = 'delivered' AND activity_id IS NULL")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn mark_delivered(db: &Db, id: i64, activity_id: i64) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE menu_orders SET activity_id = $1 WHERE id = $2 AND status = 'delivered'")
        .bind(activity_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_reaches_its_owners_subtree_only() {
        assert!(reaches("/1/", "/1/4/17/"));
        assert!(reaches("/1/4/", "/1/4/17/"));
        assert!(reaches("/1/4/", "/1/4/"));
        assert!(!reaches("/1/4/", "/1/5/20/"));
        assert!(!reaches("/1/4/", "/1/45/"));
        assert!(!reaches("/1/4/", "/1/"));
        assert!(
            reaches("", "/1/4/"),
            "an item without an owner is the main center's"
        );
        assert!(is_root_path("/1/"));
        assert!(!is_root_path("/1/4/"));
    }
}
