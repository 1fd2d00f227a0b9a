//! Cultural procurement (文化采购): branches and points request an offering from the catalogue
//! for a date at their venue; the provider accepts or proposes another date; the main center,
//! or a branch within the budget the main center gave it, approves and records the purchase
//! (amount in fen, contract reference, funding source); delivery creates the activity at the
//! requesting unit, counted as delivered and joint (plans.rs `classify`: `delivered`).
//!
//! Budgets are integers in fen. A purchase takes its amount from one budget with a single
//! conditional UPDATE (`spent + amount <= amount_fen`), so approvals at once never overspend
//! on either database (D243); the CHECK constraint in the table is the last guard.

use crate::access::{Scope, UnitRef};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::Row;

fn date(s: &str) -> ApiResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ApiError::validation("日期格式应为 2026-12-01"))
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct NewProcurementOrder {
    pub offering_id: i64,
    /// The requesting branch or point (the venue).
    pub unit_id: i64,
    /// `YYYY-MM-DD`.
    pub requested_date: String,
    #[oai(validator(max_length = 300))]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct ProcurementOrder {
    pub id: i64,
    pub offering_id: i64,
    pub title: String,
    pub kind: String,
    pub provider_id: i64,
    pub provider_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub requested_date: String,
    /// The provider's other date, when it proposed one.
    pub proposed_date: Option<String>,
    pub note: String,
    pub provider_note: String,
    /// `requested`, `proposed` (provider proposed another date), `accepted`, `purchased`
    /// or `delivered`.
    pub status: String,
    /// The offering's listed price in fen.
    pub price_fen: i64,
    /// What was paid, in fen (after purchase).
    pub amount_fen: Option<i64>,
    pub contract_ref: String,
    pub funding_source: String,
    pub budget_id: Option<i64>,
    pub activity_id: Option<i64>,
    pub created_at: String,
}

/// Places an order for an approved offering of an approved provider.
pub async fn create(
    db: &Db,
    by: i64,
    unit: &UnitRef,
    n: &NewProcurementOrder,
    now: &str,
) -> ApiResult<i64> {
    date(&n.requested_date)?;
    let r = sqlx::query(
        "SELECT o.provider_id, o.status, p.status AS p_status FROM offerings o JOIN providers p ON p.id = o.provider_id WHERE o.id = $1",
    )
    .bind(n.offering_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该服务项目"))?;
    if r.get::<String, _>("status") != "approved" || r.get::<String, _>("p_status") != "approved" {
        return Err(ApiError::conflict(
            "offering_unavailable",
            "该服务项目尚未通过审核或已暂停，不能采购",
        ));
    }
    let provider: i64 = r.get("provider_id");
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO procurement_orders (offering_id, provider_id, unit_id, unit_path, requested_date, note, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
    )
    .bind(n.offering_id)
    .bind(provider)
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

const ORDER_SELECT: &str = "SELECT po.*, f.title, f.kind, f.price_fen, p.name AS provider_name, u.short_name \
     FROM procurement_orders po JOIN offerings f ON f.id = po.offering_id JOIN providers p ON p.id = po.provider_id \
     JOIN org_units u ON u.id = po.unit_id";

fn order_from(r: &sqlx::any::AnyRow) -> ProcurementOrder {
    ProcurementOrder {
        id: r.get("id"),
        offering_id: r.get("offering_id"),
        title: r.get("title"),
        kind: r.get("kind"),
        provider_id: r.get("provider_id"),
        provider_name: r.get("provider_name"),
        unit_id: r.get("unit_id"),
        unit_name: r.get("short_name"),
        requested_date: r.get("requested_date"),
        proposed_date: r.get("proposed_date"),
        note: r.get("note"),
        provider_note: r.get("provider_note"),
        status: r.get("status"),
        price_fen: r.get("price_fen"),
        amount_fen: r.get("amount_fen"),
        contract_ref: r.get("contract_ref"),
        funding_source: r.get("funding_source"),
        budget_id: r.get("budget_id"),
        activity_id: r.get("activity_id"),
        created_at: r.get("created_at"),
    }
}

/// Orders of the caller's scope, under `unit_path`.
pub async fn list(db: &Db, scope: &Scope, unit_path: &str) -> ApiResult<Vec<ProcurementOrder>> {
    let rows = sqlx::query(&format!(
        "{ORDER_SELECT} WHERE {} AND {} ORDER BY po.id DESC LIMIT 500",
        scope.sql("po.unit_path"),
        crate::access::subtree_sql("po.unit_path", unit_path),
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(order_from).collect())
}

/// One provider's orders: never another provider's (the query is by the caller's own id).
pub async fn of_provider(db: &Db, provider_id: i64) -> ApiResult<Vec<ProcurementOrder>> {
    let rows = sqlx::query(&format!(
        "{ORDER_SELECT} WHERE po.provider_id = $1 ORDER BY po.id DESC LIMIT 500"
    ))
    .bind(provider_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(order_from).collect())
}

pub async fn get(db: &Db, id: i64) -> ApiResult<ProcurementOrder> {
    let r = sqlx::query(&format!("{ORDER_SELECT} WHERE po.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该采购订单"))?;
    Ok(order_from(&r))
}

/// Moves an order from one of `from` to `to`, setting extra columns; `order_decided` when it
/// was no longer in a state that allows it.
async fn transition(
    db: &Db,
    id: i64,
    from: &[&str],
    set: &str,
    binds: Vec<Option<String>>,
) -> ApiResult<()> {
    let states = from
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(",");
    let mut tx = db.begin().await?;
    let sql = format!(
        "UPDATE procurement_orders SET {set} WHERE id = ${} AND status IN ({states}) RETURNING id",
        binds.len() + 1
    );
    let mut q = sqlx::query_scalar::<_, i64>(&sql);
    for b in binds {
        q = q.bind(b);
    }
    let done = q.bind(id).fetch_optional(&mut *tx).await?;
    if done.is_none() {
        return Err(ApiError::conflict(
            "procurement_order_state",
            "这张采购订单当前状态不能进行此操作",
        ));
    }
    tx.commit().await?;
    Ok(())
}

/// The provider accepts the requested (or its own proposed and confirmed) date.
pub async fn accept(db: &Db, id: i64) -> ApiResult<()> {
    transition(db, id, &["requested"], "status = 'accepted'", vec![]).await
}

/// The provider proposes another date.
pub async fn propose(db: &Db, id: i64, on: &str, note: &str) -> ApiResult<()> {
    date(on)?;
    transition(
        db,
        id,
        &["requested"],
        "status = 'proposed', proposed_date = $1, provider_note = $2",
        vec![Some(on.to_string()), Some(note.trim().to_string())],
    )
    .await
}

/// The requesting unit agrees to the provider's date: the order is accepted for that date.
pub async fn confirm(db: &Db, id: i64) -> ApiResult<()> {
    transition(
        db,
        id,
        &["proposed"],
        "status = 'accepted', requested_date = proposed_date",
        vec![],
    )
    .await
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct Purchase {
    /// The budget the amount comes from: the approving unit's (a branch's own, or the main
    /// center's), covering the requesting unit.
    pub budget_id: i64,
    /// Whole fen.
    #[oai(validator(minimum(value = "0"), maximum(value = "100000000000")))]
    pub amount_fen: i64,
    #[oai(validator(min_length = 1, max_length = 60))]
    pub contract_ref: String,
    /// 经费来源, e.g. 财政专项, 免费开放补助.
    #[oai(validator(min_length = 1, max_length = 60))]
    pub funding_source: String,
}

/// The unit a budget belongs to.
pub async fn budget_unit(db: &Db, budget_id: i64) -> ApiResult<UnitRef> {
    let r = sqlx::query("SELECT unit_id, unit_path FROM procurement_budgets WHERE id = $1")
        .bind(budget_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该采购预算"))?;
    Ok(UnitRef {
        id: r.get("unit_id"),
        path: r.get("unit_path"),
    })
}

/// Records the purchase of an accepted order against a budget, in one transaction: the budget
/// grows its spending only if it stays within the amount (one conditional UPDATE, so concurrent
/// approvals cannot both take the last fen), then the order moves to `purchased`.
pub async fn purchase(
    db: &Db,
    id: i64,
    by: i64,
    order_unit: &UnitRef,
    p: &Purchase,
    now: &str,
) -> ApiResult<()> {
    if crate::input::blank(&p.contract_ref) || crate::input::blank(&p.funding_source) {
        return Err(ApiError::validation("请填写合同编号和经费来源"));
    }
    let r = sqlx::query("SELECT unit_path, year FROM procurement_budgets WHERE id = $1")
        .bind(p.budget_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该采购预算"))?;
    if !order_unit
        .path
        .starts_with(&r.get::<String, _>("unit_path"))
    {
        return Err(ApiError::validation("该预算不属于申请单位所在的分馆或总馆"));
    }
    let mut tx = db.begin().await?;
    let charged = sqlx::query(
        "UPDATE procurement_budgets SET spent_fen = spent_fen + $1 WHERE id = $2 AND spent_fen + $1 <= amount_fen",
    )
    .bind(p.amount_fen)
    .bind(p.budget_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if charged == 0 {
        return Err(ApiError::conflict(
            "budget_exceeded",
            "采购预算余额不足，不能批准这笔采购",
        ));
    }
    let n = sqlx::query(
        "UPDATE procurement_orders SET status = 'purchased', amount_fen = $1, contract_ref = $2, funding_source = $3, \
         budget_id = $4, purchased_by = $5, purchased_at = $6 WHERE id = $7 AND status = 'accepted'",
    )
    .bind(p.amount_fen)
    .bind(p.contract_ref.trim())
    .bind(p.funding_source.trim())
    .bind(p.budget_id)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        // Dropping the transaction gives the budget back.
        return Err(ApiError::conflict(
            "procurement_order_state",
            "供给方接受后才能批准采购，且每张订单只能采购一次",
        ));
    }
    tx.commit().await?;
    Ok(())
}

/// What delivery needs: the order's unit, the buying unit, the offering.
pub struct DeliveryPlan {
    pub unit_id: i64,
    pub buyer: UnitRef,
    pub title: String,
    pub kind: String,
    pub description: String,
    pub provider_name: String,
}

pub async fn delivery_plan(db: &Db, id: i64) -> ApiResult<DeliveryPlan> {
    let r = sqlx::query(
        "SELECT po.status, po.unit_id, b.unit_id AS b_unit, b.unit_path AS b_path, f.title, f.kind, f.description, p.name \
         FROM procurement_orders po JOIN offerings f ON f.id = po.offering_id JOIN providers p ON p.id = po.provider_id \
         LEFT JOIN procurement_budgets b ON b.id = po.budget_id WHERE po.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::not_found("该采购订单"))?;
    if r.get::<String, _>("status") != "purchased" {
        return Err(ApiError::conflict(
            "procurement_order_state",
            "采购记录完成后才能交付",
        ));
    }
    Ok(DeliveryPlan {
        unit_id: r.get("unit_id"),
        buyer: UnitRef {
            id: r.get::<Option<i64>, _>("b_unit").unwrap_or_default(),
            path: r.get::<Option<String>, _>("b_path").unwrap_or_default(),
        },
        title: r.get("title"),
        kind: crate::providers::activity_kind(&r.get::<String, _>("kind")).into(),
        description: r.get("description"),
        provider_name: r.get("name"),
    })
}

/// Claims a purchased order for delivery (one activity per order).
pub async fn claim_delivery(db: &Db, id: i64) -> ApiResult<bool> {
    let mut tx = db.begin().await?;
    let n = sqlx::query(
        "UPDATE procurement_orders SET status = 'delivered' WHERE id = $1 AND status = 'purchased'",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(n == 1)
}

pub async fn unclaim_delivery(db: &Db, id: i64) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE procurement_orders SET status = 'purchased' WHERE id = $1 AND status = 'delivered' AND activity_id IS NULL")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn mark_delivered(db: &Db, id: i64, activity_id: i64) -> ApiResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE procurement_orders SET activity_id = $1 WHERE id = $2 AND status = 'delivered'",
    )
    .bind(activity_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Object, Deserialize)]
pub struct BudgetForm {
    /// The main center itself or a branch.
    pub unit_id: i64,
    pub year: i64,
    /// Whole fen.
    #[oai(validator(minimum(value = "0"), maximum(value = "100000000000")))]
    pub amount_fen: i64,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Budget {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub year: i64,
    pub amount_fen: i64,
    pub spent_fen: i64,
    pub remaining_fen: i64,
}

/// Sets a unit's budget for a year (creates it or changes the amount, never below what is
/// already spent).
pub async fn set_budget(
    db: &Db,
    by: i64,
    unit: &UnitRef,
    f: &BudgetForm,
    now: &str,
) -> ApiResult<i64> {
    if !(2000..=2100).contains(&f.year) {
        return Err(ApiError::validation("年度无效"));
    }
    let mut tx = db.begin().await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO procurement_budgets (unit_id, unit_path, year, amount_fen, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (unit_id, year) DO UPDATE SET amount_fen = excluded.amount_fen \
         WHERE procurement_budgets.spent_fen <= excluded.amount_fen RETURNING id",
    )
    .bind(unit.id)
    .bind(&unit.path)
    .bind(f.year)
    .bind(f.amount_fen)
    .bind(by)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        return Err(ApiError::conflict(
            "budget_below_spent",
            "预算不能低于已支出的金额",
        ));
    };
    tx.commit().await?;
    Ok(id)
}

pub async fn budgets(db: &Db, scope: &Scope, unit_path: &str) -> ApiResult<Vec<Budget>> {
    // Budgets are few (one per unit and year). A unit sees those in its scope under the unit
    // asked about, and those that can pay for it (its branch's, the main center's).
    let rows = sqlx::query(
        "SELECT b.*, u.short_name FROM procurement_budgets b JOIN org_units u ON u.id = b.unit_id \
         ORDER BY b.year DESC, b.unit_path",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .filter(|r| {
            let p: String = r.get("unit_path");
            (scope.covers(&p) && p.starts_with(unit_path)) || unit_path.starts_with(&p)
        })
        .map(|r| {
            let amount: i64 = r.get("amount_fen");
            let spent: i64 = r.get("spent_fen");
            Budget {
                id: r.get("id"),
                unit_id: r.get("unit_id"),
                unit_name: r.get("short_name"),
                year: r.get("year"),
                amount_fen: amount,
                spent_fen: spent,
                remaining_fen: amount - spent,
            }
        })
        .collect())
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct SpendLine {
    /// The unit, provider or offering kind.
    pub key: String,
    pub label: String,
    pub orders: i64,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, Object, Serialize)]
pub struct Spend {
    pub from: String,
    pub to: String,
    pub total_fen: i64,
    pub orders: i64,
    pub by_unit: Vec<SpendLine>,
    pub by_provider: Vec<SpendLine>,
    pub by_kind: Vec<SpendLine>,
}

/// Purchases (purchased or delivered) with the purchase date in [from, to] (China dates),
/// within scope, summed per unit, provider and kind. All in fen.
pub async fn spend(
    db: &Db,
    scope: &Scope,
    unit_path: &str,
    from: &str,
    to: &str,
) -> ApiResult<Spend> {
    let f = date(from)?;
    let t = date(to)?;
    if f > t {
        return Err(ApiError::validation("开始日期不能晚于结束日期"));
    }
    let (start, _) = day_bounds(f);
    let (_, end) = day_bounds(t);
    let rows = sqlx::query(&format!(
        "SELECT po.unit_id, u.short_name, po.provider_id, p.name, f.kind, po.amount_fen \
         FROM procurement_orders po JOIN org_units u ON u.id = po.unit_id JOIN providers p ON p.id = po.provider_id \
         JOIN offerings f ON f.id = po.offering_id \
         WHERE po.status IN ('purchased','delivered') AND po.purchased_at >= $1 AND po.purchased_at < $2 AND {} AND {}",
        scope.sql("po.unit_path"),
        crate::access::subtree_sql("po.unit_path", unit_path),
    ))
    .bind(&start)
    .bind(&end)
    .fetch_all(db.pool())
    .await?;
    let mut by_unit: Vec<SpendLine> = Vec::new();
    let mut by_provider: Vec<SpendLine> = Vec::new();
    let mut by_kind: Vec<SpendLine> = Vec::new();
    let mut total = 0i64;
    fn add(lines: &mut Vec<SpendLine>, key: String, label: String, amount: i64) {
        match lines.iter_mut().find(|l| l.key == key) {
            Some(l) => {
                l.orders += 1;
                l.amount_fen += amount;
            }
            None => lines.push(SpendLine {
                key,
                label,
                orders: 1,
                amount_fen: amount,
            }),
        }
    }
    for r in &rows {
        let amount = r.get::<Option<i64>, _>("amount_fen").unwrap_or(0);
        total += amount;
        add(
            &mut by_unit,
            r.get::<i64, _>("unit_id").to_string(),
            r.get("short_name"),
            amount,
        );
        add(
            &mut by_provider,
            r.get::<i64, _>("provider_id").to_string(),
            r.get("name"),
            amount,
        );
        let kind: String = r.get("kind");
        let label = crate::providers::offering_kind_label(&kind).to_string();
        add(&mut by_kind, kind, label, amount);
    }
    for l in [&mut by_unit, &mut by_provider, &mut by_kind] {
        l.sort_by(|a, b| b.amount_fen.cmp(&a.amount_fen).then(a.key.cmp(&b.key)));
    }
    Ok(Spend {
        from: from.into(),
        to: to.into(),
        total_fen: total,
        orders: rows.len() as i64,
        by_unit,
        by_provider,
        by_kind,
    })
}

/// The UTC instants bounding one China day, as stored (RFC 3339).
fn day_bounds(d: chrono::NaiveDate) -> (String, String) {
    use chrono::TimeZone;
    let start = d
        .and_hms_opt(0, 0, 0)
        .and_then(|t| crate::time::cst().from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default();
    let end = start + chrono::Duration::days(1);
    (crate::time::fmt(start), crate::time::fmt(end))
}

/// The 文化采购 ledger sheet: purchases (purchased or delivered) whose purchase time falls in
/// [from, to) (UTC instants of the China-time period), by units in scope under `under`; amounts
/// in fen and in yuan as text (no floats).
pub async fn ledger_sheet(
    db: &Db,
    scope: &Scope,
    under: &str,
    from: &str,
    to: &str,
) -> ApiResult<crate::export::Table> {
    use crate::export::{Cell, Table};
    let rows = sqlx::query(&format!(
        "SELECT po.id, f.title, f.kind, p.name, u.short_name, po.requested_date, po.amount_fen, po.contract_ref, \
         po.funding_source, bu.short_name AS buyer, po.purchased_at, po.status, po.activity_id \
         FROM procurement_orders po JOIN offerings f ON f.id = po.offering_id JOIN providers p ON p.id = po.provider_id \
         JOIN org_units u ON u.id = po.unit_id LEFT JOIN procurement_budgets b ON b.id = po.budget_id \
         LEFT JOIN org_units bu ON bu.id = b.unit_id \
         WHERE po.status IN ('purchased','delivered') AND po.purchased_at >= $1 AND po.purchased_at < $2 AND {} AND {} \
         ORDER BY po.purchased_at, po.id",
        scope.sql("po.unit_path"),
        crate::access::subtree_sql("po.unit_path", under),
    ))
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    let mut t = Table::new(
        "文化采购",
        &[
            "订单编号",
            "项目",
            "类型",
            "供给方",
            "申请单位",
            "日期",
            "金额（分）",
            "金额（元）",
            "合同编号",
            "经费来源",
            "预算单位",
            "采购时间",
            "状态",
            "交付活动",
        ],
    );
    for r in rows {
        let fen = r.get::<Option<i64>, _>("amount_fen").unwrap_or(0);
        let kind: String = r.get("kind");
        t.push(vec![
            r.get::<i64, _>("id").into(),
            r.get::<String, _>("title").into(),
            crate::providers::offering_kind_label(&kind).into(),
            r.get::<String, _>("name").into(),
            r.get::<String, _>("short_name").into(),
            r.get::<String, _>("requested_date").into(),
            Cell::Int(fen),
            Cell::Text(format!("{}.{:02}", fen / 100, fen % 100)),
            r.get::<String, _>("contract_ref").into(),
            r.get::<String, _>("funding_source").into(),
            r.get::<Option<String>, _>("buyer")
                .unwrap_or_default()
                .into(),
            r.get::<Option<String>, _>("purchased_at")
                .map(|s| Cell::Text(crate::ledger::china_time(&s)))
                .unwrap_or(Cell::Empty),
            if r.get::<String, _>("status") == "delivered" {
                "已交付"
            } else {
                "已采购"
            }
            .into(),
            r.get::<Option<i64>, _>("activity_id")
                .map(Cell::Int)
                .unwrap_or(Cell::Empty),
        ]);
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_days_in_utc() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let (a, b) = day_bounds(d);
        assert!(a.starts_with("2026-11-30T16:00:00"), "{a}");
        assert!(b.starts_with("2026-12-01T16:00:00"), "{b}");
    }
}
