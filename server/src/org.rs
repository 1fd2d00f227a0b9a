//! The network: main center, directly affiliated themed branches, subdistrict branches and
//! community service points, as a tree. Plain functions over the database; HTTP lives in
//! `api::org`.

use crate::access::UnitRef;
use crate::db::{Db, Tx};
use crate::error::{ApiError, ApiResult};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

pub const LEVELS: [&str; 4] = ["main", "direct_branch", "branch", "point"];
pub const HOST_TYPES: [&str; 7] = [
    "government",
    "school",
    "enterprise",
    "industrial_park",
    "army",
    "hospital",
    "other",
];

#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct Room {
    pub id: i64,
    pub name: String,
    pub capacity: i64,
}

#[derive(Debug, Clone, Serialize, poem_openapi::Object)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    /// Official name following the unified naming rule (福田区文化馆××分馆).
    pub name: String,
    pub short_name: String,
    /// `main`, `direct_branch`, `branch` or `point`.
    pub level: String,
    pub parent_id: Option<i64>,
    #[oai(skip)]
    #[serde(skip)]
    pub path: String,
    pub address: String,
    /// GCJ-02 longitude (what `wx.openLocation` expects).
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub opening_hours: String,
    pub phone: String,
    pub host_type: String,
    pub contracted: bool,
    pub is_demo: bool,
    /// When the unit was closed (关闭): kept with its history, hidden from residents, takes no
    /// new activities. Null while open.
    pub closed_at: Option<String>,
}

impl Unit {
    pub fn as_ref(&self) -> UnitRef {
        UnitRef {
            id: self.id,
            path: self.path.clone(),
        }
    }
}

const UNIT_COLS: &str = "id, code, name, short_name, level, parent_id, path, address, lng, lat, \
                         opening_hours, phone, host_type, contracted, is_demo, closed_at";

fn unit_from(r: &sqlx::any::AnyRow) -> Unit {
    Unit {
        id: r.get("id"),
        code: r.get("code"),
        name: r.get("name"),
        short_name: r.get("short_name"),
        level: r.get("level"),
        parent_id: r.get("parent_id"),
        path: r.get("path"),
        address: r.get("address"),
        lng: r.get("lng"),
        lat: r.get("lat"),
        opening_hours: r.get("opening_hours"),
        phone: r.get("phone"),
        host_type: r.get("host_type"),
        contracted: r.get::<i64, _>("contracted") != 0,
        is_demo: r.get::<i64, _>("is_demo") != 0,
        closed_at: r.get("closed_at"),
    }
}

pub async fn all_units(db: &Db) -> ApiResult<Vec<Unit>> {
    let rows = sqlx::query(&format!("SELECT {UNIT_COLS} FROM org_units ORDER BY path"))
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(unit_from).collect())
}

pub async fn get_unit(db: &Db, id: i64) -> ApiResult<Unit> {
    let row = sqlx::query(&format!("SELECT {UNIT_COLS} FROM org_units WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref()
        .map(unit_from)
        .ok_or_else(|| ApiError::not_found("该单位"))
}

/// The unit as authorization sees it; an unknown id is a 404, not a 403.
pub async fn unit_ref(db: &Db, id: i64) -> ApiResult<UnitRef> {
    let path: Option<String> = sqlx::query_scalar("SELECT path FROM org_units WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    path.map(|path| UnitRef { id, path })
        .ok_or_else(|| ApiError::not_found("该单位"))
}

pub async fn root(db: &Db) -> ApiResult<Option<UnitRef>> {
    let row =
        sqlx::query("SELECT id, path FROM org_units WHERE parent_id IS NULL ORDER BY id LIMIT 1")
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(|r| UnitRef {
        id: r.get("id"),
        path: r.get("path"),
    }))
}

pub async fn children(db: &Db, id: i64) -> ApiResult<Vec<Unit>> {
    let rows = sqlx::query(&format!(
        "SELECT {UNIT_COLS} FROM org_units WHERE parent_id = $1 ORDER BY code"
    ))
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(unit_from).collect())
}

pub async fn rooms(db: &Db, unit_id: i64) -> ApiResult<Vec<Room>> {
    let rows = sqlx::query("SELECT id, name, capacity FROM rooms WHERE unit_id = $1 ORDER BY id")
        .bind(unit_id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(|r| Room {
            id: r.get("id"),
            name: r.get("name"),
            capacity: r.get("capacity"),
        })
        .collect())
}

pub async fn search(db: &Db, q: &str, limit: i64) -> ApiResult<Vec<Unit>> {
    let pattern = format!("%{}%", q.replace(['%', '_'], ""));
    let rows = sqlx::query(&format!(
        "SELECT {UNIT_COLS} FROM org_units WHERE name LIKE $1 OR short_name LIKE $1 OR address LIKE $1 \
         ORDER BY path LIMIT $2"
    ))
    .bind(pattern)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(unit_from).collect())
}

/// Great-circle distance in metres.
pub fn distance_m(lng1: f64, lat1: f64, lng2: f64, lat2: f64) -> f64 {
    let r = 6_371_000.0_f64;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lng2 - lng1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * a.sqrt().asin()
}

pub fn check_coordinate(lng: f64, lat: f64) -> ApiResult<()> {
    if !(-180.0..=180.0).contains(&lng) || !(-90.0..=90.0).contains(&lat) {
        return Err(ApiError::validation("经纬度超出范围"));
    }
    Ok(())
}

/// Units nearest to a coordinate, with their distance, closest first.
pub async fn nearest(db: &Db, lng: f64, lat: f64, limit: usize) -> ApiResult<Vec<(Unit, f64)>> {
    check_coordinate(lng, lat)?;
    let mut v: Vec<(Unit, f64)> = all_units(db)
        .await?
        .into_iter()
        .filter(|u| u.closed_at.is_none())
        .filter_map(|u| match (u.lng, u.lat) {
            (Some(x), Some(y)) => {
                let d = distance_m(lng, lat, x, y);
                Some((u, d))
            }
            _ => None,
        })
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.id.cmp(&b.0.id)));
    v.truncate(limit);
    Ok(v)
}

pub async fn count_units(db: &Db) -> ApiResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM org_units")
            .fetch_one(db.pool())
            .await?,
    )
}

/// Editable public fields of a unit.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize, poem_openapi::Object)]
pub struct UnitPatch {
    #[oai(validator(max_length = 200))]
    pub address: Option<String>,
    #[oai(validator(max_length = 100))]
    pub opening_hours: Option<String>,
    #[oai(validator(max_length = 40))]
    pub phone: Option<String>,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
}

pub async fn update_unit(tx: &mut Tx, id: i64, p: &UnitPatch, now: &str) -> ApiResult<()> {
    if let (Some(x), Some(y)) = (p.lng, p.lat) {
        check_coordinate(x, y)?;
    } else if p.lng.is_some() != p.lat.is_some() {
        return Err(ApiError::validation("经度和纬度需要同时提供"));
    }
    sqlx::query(
        "UPDATE org_units SET address = COALESCE($1, address), opening_hours = COALESCE($2, opening_hours), \
         phone = COALESCE($3, phone), lng = COALESCE($4, lng), lat = COALESCE($5, lat), updated_at = $6 WHERE id = $7",
    )
    .bind(&p.address)
    .bind(&p.opening_hours)
    .bind(&p.phone)
    .bind(p.lng)
    .bind(p.lat)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Changing the tree: adding, renaming, moving and closing units (staff; see `api::org`).

/// A unit to add under `parent_id`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, poem_openapi::Object)]
pub struct NewUnit {
    /// The unit above: the main center for a branch, a branch for a service point.
    pub parent_id: i64,
    /// Under the main center `branch` (default) or `direct_branch`; under a branch always `point`.
    pub level: Option<String>,
    /// The official name, following the unified naming rule (e.g. 福田区文化馆景田服务点).
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    /// Default: the name without the center's (景田服务点).
    #[oai(validator(max_length = 40))]
    pub short_name: Option<String>,
    /// Stable code (letters, digits, `-`, `_`). Default: the parent's code and the new id.
    #[oai(validator(max_length = 64))]
    pub code: Option<String>,
    #[oai(validator(max_length = 200))]
    pub address: Option<String>,
    #[oai(validator(max_length = 100))]
    pub opening_hours: Option<String>,
    #[oai(validator(max_length = 40))]
    pub phone: Option<String>,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    /// `government` (default), `school`, `enterprise`, `industrial_park`, `army`, `hospital`, `other`.
    pub host_type: Option<String>,
    /// Run under contract by a third party (委托管理).
    pub contracted: Option<bool>,
}

fn closed(u: &Unit) -> ApiError {
    ApiError::conflict("unit_closed", format!("{}已关闭", u.name))
}

fn duplicate(e: sqlx::Error) -> ApiError {
    if crate::db::is_unique_violation(&e) {
        ApiError::conflict("duplicate_unit", "已有同名或同编码的单位")
    } else {
        e.into()
    }
}

fn name_rule(msg: String) -> ApiError {
    ApiError::new(
        poem::http::StatusCode::UNPROCESSABLE_ENTITY,
        "unit_name_rule",
        msg,
    )
}

/// Refuses a closed unit (for new activities and new child units).
pub async fn ensure_open(db: &Db, id: i64) -> ApiResult<()> {
    let u = get_unit(db, id).await?;
    if u.closed_at.is_some() {
        return Err(closed(&u));
    }
    Ok(())
}

/// The level a new unit gets under `parent`.
pub fn child_level(parent: &str, asked: Option<&str>) -> ApiResult<&'static str> {
    match (parent, asked) {
        ("main", None | Some("branch")) => Ok("branch"),
        ("main", Some("direct_branch")) => Ok("direct_branch"),
        ("branch" | "direct_branch", None | Some("point")) => Ok("point"),
        ("point", _) => Err(ApiError::validation("服务点下不能再设单位")),
        _ => Err(ApiError::validation(
            "总馆下只能设分馆（branch / direct_branch），分馆下只能设服务点（point）",
        )),
    }
}

pub async fn create_unit(
    tx: &mut Tx,
    parent: &Unit,
    n: &NewUnit,
    naming: &Naming,
    now: &str,
) -> ApiResult<i64> {
    if parent.closed_at.is_some() {
        return Err(closed(parent));
    }
    let level = child_level(&parent.level, n.level.as_deref())?;
    let name = n.name.trim();
    let short_default = naming.check(level, name).map_err(name_rule)?;
    let host_type = n.host_type.clone().unwrap_or_else(|| "government".into());
    if !HOST_TYPES.contains(&host_type.as_str()) {
        return Err(ApiError::validation(format!(
            "举办主体只能是 {}",
            HOST_TYPES.join("、")
        )));
    }
    match (n.lng, n.lat) {
        (Some(x), Some(y)) => check_coordinate(x, y)?,
        (None, None) => {}
        _ => return Err(ApiError::validation("经度和纬度需要同时提供")),
    }
    if let Some(c) = &n.code {
        if c.is_empty()
            || !c
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            return Err(ApiError::validation("编码只能由字母、数字、- 和 _ 组成"));
        }
    }
    let short = n
        .short_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or(short_default);
    // A unique placeholder code until the id is known.
    let placeholder = format!("new-{}", uuid::Uuid::new_v4().simple());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO org_units (code, name, short_name, level, parent_id, path, address, lng, lat, \
         opening_hours, phone, host_type, contracted, is_demo, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,'',$6,$7,$8,$9,$10,$11,$12,0,$13,$13) RETURNING id",
    )
    .bind(n.code.clone().unwrap_or_else(|| placeholder.clone()))
    .bind(name)
    .bind(&short)
    .bind(level)
    .bind(parent.id)
    .bind(n.address.clone().unwrap_or_default())
    .bind(n.lng)
    .bind(n.lat)
    .bind(n.opening_hours.clone().unwrap_or_default())
    .bind(n.phone.clone().unwrap_or_default())
    .bind(&host_type)
    .bind(n.contracted.unwrap_or(false) as i64)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(duplicate)?;
    let code = n
        .code
        .clone()
        .unwrap_or_else(|| format!("{}-{id}", parent.code));
    sqlx::query("UPDATE org_units SET path = $1, code = $2 WHERE id = $3")
        .bind(format!("{}{id}/", parent.path))
        .bind(&code)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(duplicate)?;
    Ok(id)
}

/// Renames a unit under the naming rule; the short name follows unless given.
pub async fn rename_unit(
    tx: &mut Tx,
    unit: &Unit,
    name: &str,
    short_name: Option<&str>,
    naming: &Naming,
    now: &str,
) -> ApiResult<()> {
    let name = name.trim();
    let short_default = naming.check(&unit.level, name).map_err(name_rule)?;
    let short = short_name
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or(short_default);
    sqlx::query("UPDATE org_units SET name = $1, short_name = $2, updated_at = $3 WHERE id = $4")
        .bind(name)
        .bind(&short)
        .bind(now)
        .bind(unit.id)
        .execute(&mut **tx)
        .await
        .map_err(duplicate)?;
    Ok(())
}

/// Tables that copy a unit's path so a scope is one prefix match; moving a unit rewrites them.
const PATH_COPIES: [&str; 6] = [
    "sessions",
    "assignments",
    "ratings",
    "demands",
    "menu_orders",
    // A point's library resources go with it (issue 17).
    "library_resources",
];

/// Moves a service point to another branch. Its history moves with it: sessions, duty, feedback,
/// demands and orders are in the new branch's scope from now on (and out of the old one's).
pub async fn move_unit(tx: &mut Tx, unit: &Unit, to: &Unit, now: &str) -> ApiResult<()> {
    if unit.level != "point" {
        return Err(ApiError::validation(
            "只有服务点可以调整隶属（分馆都直属总馆）",
        ));
    }
    if !matches!(to.level.as_str(), "branch" | "direct_branch") {
        return Err(ApiError::validation("服务点只能隶属于分馆"));
    }
    if to.closed_at.is_some() {
        return Err(closed(to));
    }
    if unit.parent_id == Some(to.id) {
        return Err(ApiError::validation(format!(
            "{}已隶属于{}",
            unit.name, to.name
        )));
    }
    let old = unit.path.clone();
    let new = format!("{}{}/", to.path, unit.id);
    let cut = (old.chars().count() + 1) as i64;
    sqlx::query("UPDATE org_units SET parent_id = $1, updated_at = $2 WHERE id = $3")
        .bind(to.id)
        .bind(now)
        .bind(unit.id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE org_units SET path = $1 || SUBSTR(path, CAST($2 AS INTEGER)) WHERE path LIKE $3",
    )
    .bind(&new)
    .bind(cut)
    .bind(format!("{old}%"))
    .execute(&mut **tx)
    .await?;
    for table in PATH_COPIES {
        sqlx::query(&format!(
            "UPDATE {table} SET unit_path = $1 || SUBSTR(unit_path, CAST($2 AS INTEGER)) WHERE unit_path LIKE $3"
        ))
        .bind(&new)
        .bind(cut)
        .bind(format!("{old}%"))
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("UPDATE ratings SET branch_id = $1 WHERE unit_id = $2")
        .bind(to.id)
        .bind(unit.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Closes a unit: it keeps its history, leaves residents' lists and takes no new activities.
/// Refused while it has open child units or sessions still to come.
pub async fn close_unit(tx: &mut Tx, unit: &Unit, now: &str) -> ApiResult<()> {
    if unit.level == "main" {
        return Err(ApiError::validation("总馆不能关闭"));
    }
    if unit.closed_at.is_some() {
        return Err(closed(unit));
    }
    let open_children: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM org_units WHERE parent_id = $1 AND closed_at IS NULL",
    )
    .bind(unit.id)
    .fetch_one(&mut **tx)
    .await?;
    if open_children > 0 {
        return Err(ApiError::conflict(
            "unit_has_children",
            format!(
                "{}下还有 {open_children} 个未关闭的服务点，请先关闭或调整隶属",
                unit.name
            ),
        )
        .with_details(serde_json::json!({ "open_children": open_children })));
    }
    let upcoming: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM sessions s JOIN activities a ON a.id = s.activity_id \
         WHERE s.unit_id = $1 AND s.status = 'scheduled' AND a.status IN ('draft','published') AND s.ends_at > $2",
    )
    .bind(unit.id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    if upcoming > 0 {
        return Err(ApiError::conflict(
            "unit_has_sessions",
            format!(
                "{}还有 {upcoming} 个未结束的场次，请先取消或等其结束",
                unit.name
            ),
        )
        .with_details(serde_json::json!({ "upcoming_sessions": upcoming })));
    }
    sqlx::query("UPDATE org_units SET closed_at = $1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(unit.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Import: the network of a district from CSV (also how the Futian demo network is loaded).

/// One validated CSV row.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub line: usize,
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub address: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub opening_hours: String,
    pub phone: String,
    pub host_type: String,
    pub contracted: bool,
    pub rooms: Vec<(String, i64)>,
}

pub const CSV_HEADER: [&str; 13] = [
    "code",
    "name",
    "short_name",
    "level",
    "parent_code",
    "address",
    "lng",
    "lat",
    "opening_hours",
    "phone",
    "host_type",
    "contracted",
    "rooms",
];

/// Parses and validates the whole file. Every problem is reported with its line number;
/// nothing is written unless there are none. `existing` maps codes already in the database to
/// their level.
pub fn parse_csv(
    text: &str,
    existing: &HashMap<String, String>,
    naming: &Naming,
) -> Result<Vec<ImportRow>, Vec<String>> {
    let mut errors = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    match rdr.headers() {
        Ok(h) => {
            let got: Vec<&str> = h.iter().map(str::trim).collect();
            if got != CSV_HEADER {
                return Err(vec![format!("第 1 行：表头应为 {}", CSV_HEADER.join(","))]);
            }
        }
        Err(e) => return Err(vec![format!("第 1 行：无法读取表头：{e}")]),
    }
    let mut rows = Vec::new();
    let mut codes: HashMap<String, usize> = HashMap::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("第 {line} 行：格式错误：{e}"));
                continue;
            }
        };
        if rec.len() != CSV_HEADER.len() {
            errors.push(format!(
                "第 {line} 行：应有 {} 列，实际 {} 列",
                CSV_HEADER.len(),
                rec.len()
            ));
            continue;
        }
        let f = |k: usize| rec.get(k).unwrap_or("").trim().to_string();
        let mut err = |m: String| errors.push(format!("第 {line} 行：{m}"));
        let code = f(0);
        if code.is_empty()
            || code.len() > 64
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            err("编码只能由字母、数字、- 和 _ 组成（1–64 个字符）".into());
        }
        if let Some(prev) = codes.insert(code.clone(), line) {
            err(format!("编码 {code} 与第 {prev} 行重复"));
        }
        if existing.contains_key(&code) {
            err(format!("编码 {code} 已存在于数据库中"));
        }
        let name = f(1);
        if name.is_empty() || name.chars().count() > 100 {
            err("名称不能为空，且不超过 100 个字".into());
        }
        if let Some(prev) = names.insert(name.clone(), line) {
            err(format!("名称 {name} 与第 {prev} 行重复"));
        }
        let level = f(3);
        if !LEVELS.contains(&level.as_str()) {
            err(format!("层级 {level} 无效，应为 {}", LEVELS.join("/")));
        }
        let parent_code = Some(f(4)).filter(|s| !s.is_empty());
        if level == "main" && parent_code.is_some() {
            err("总馆不能有上级单位".into());
        }
        if level != "main" && parent_code.is_none() {
            err("分馆和服务点必须填写上级单位编码".into());
        }
        let num = |k: usize, what: &str, errors: &mut Vec<String>| -> Option<f64> {
            let s = f(k);
            if s.is_empty() {
                return None;
            }
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    errors.push(format!("第 {line} 行：{what} {s} 不是数字"));
                    None
                }
            }
        };
        let lng = num(6, "经度", &mut errors);
        let lat = num(7, "纬度", &mut errors);
        let mut err = |m: String| errors.push(format!("第 {line} 行：{m}"));
        if let (Some(x), Some(y)) = (lng, lat) {
            if check_coordinate(x, y).is_err() {
                err("经纬度超出范围".into());
            }
        } else if lng.is_some() != lat.is_some() {
            err("经度和纬度需要同时填写".into());
        }
        let host_type = if f(10).is_empty() {
            "government".to_string()
        } else {
            f(10)
        };
        if !HOST_TYPES.contains(&host_type.as_str()) {
            err(format!(
                "举办主体 {host_type} 无效，应为 {}",
                HOST_TYPES.join("/")
            ));
        }
        let contracted = match f(11).as_str() {
            "" | "0" | "否" | "false" => false,
            "1" | "是" | "true" => true,
            other => {
                err(format!("是否委托管理 {other} 无效，应为 0 或 1"));
                false
            }
        };
        let mut rooms: Vec<(String, i64)> = Vec::new();
        for part in f(12).split(';').map(str::trim).filter(|s| !s.is_empty()) {
            match part.rsplit_once(':') {
                Some((n, _)) if rooms.iter().any(|(r, _)| r == n.trim()) => {
                    err(format!("场地 {} 重复", n.trim()))
                }
                Some((n, c)) if !n.trim().is_empty() => match c.trim().parse::<i64>() {
                    Ok(c) if (0..=100_000).contains(&c) => rooms.push((n.trim().to_string(), c)),
                    _ => err(format!("场地 {part} 的容量无效")),
                },
                _ => err(format!("场地 {part} 应写成 名称:容量")),
            }
        }
        rows.push(ImportRow {
            line,
            code,
            name,
            short_name: f(2),
            level,
            parent_code,
            address: f(5),
            lng,
            lat,
            opening_hours: f(8),
            phone: f(9),
            host_type,
            contracted,
            rooms,
        });
    }
    // Parents must exist (in the file or the database), sit one level up, and form a tree.
    let mut level_of: HashMap<&str, &str> = existing
        .iter()
        .map(|(c, l)| (c.as_str(), l.as_str()))
        .collect();
    level_of.extend(rows.iter().map(|r| (r.code.as_str(), r.level.as_str())));
    let mains = rows.iter().filter(|r| r.level == "main").count();
    if mains > 1 {
        errors.push("文件中只能有一个总馆".into());
    }
    if mains > 0 && existing.values().any(|l| l == "main") {
        errors.push("数据库中已有总馆，一个系统只服务一个区的网络".into());
    }
    for r in &rows {
        if let Some(p) = &r.parent_code {
            match level_of.get(p.as_str()) {
                Some(pl) => {
                    let ok = match r.level.as_str() {
                        "direct_branch" | "branch" => *pl == "main",
                        "point" => *pl == "branch" || *pl == "direct_branch",
                        _ => false,
                    };
                    if !ok {
                        errors.push(format!(
                            "第 {} 行：{} 的上级 {p} 层级不对（分馆的上级应为总馆，服务点的上级应为分馆）",
                            r.line, r.code
                        ));
                    }
                }
                None => errors.push(format!("第 {} 行：上级单位编码 {p} 不存在", r.line)),
            }
        }
    }
    // The unified naming rule, with the center's name from the file's main unit when neither
    // the settings nor the database give it.
    let file_main = rows
        .iter()
        .find(|r| r.level == "main")
        .map(|r| r.name.as_str());
    let naming = naming.with_main(file_main);
    for r in &rows {
        if LEVELS.contains(&r.level.as_str()) && !r.name.is_empty() {
            if let Err(m) = naming.check(&r.level, &r.name) {
                errors.push(format!("第 {} 行：{m}", r.line));
            }
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push("文件中没有数据行".into());
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

// ---------------------------------------------------------------------------------------------
// The unified naming rule (统一命名规则): 福田区文化馆××分馆 / 福田区文化馆××服务点, per district.

/// The naming rule with the center's name resolved.
#[derive(Debug, Clone)]
pub struct Naming {
    center: String,
    patterns: crate::config::NamingSettings,
}

impl Naming {
    /// `main_name`: the main unit's name, when the settings leave the center's name empty.
    pub fn new(s: &crate::config::NamingSettings, main_name: Option<&str>) -> Naming {
        let center = if s.center.trim().is_empty() {
            main_name.map(center_of).unwrap_or_default()
        } else {
            s.center.trim().to_string()
        };
        Naming {
            center,
            patterns: s.clone(),
        }
    }

    /// The rule with the main unit's name database or file gives, when the center is still unknown.
    pub fn with_main(&self, main_name: Option<&str>) -> Naming {
        match main_name {
            Some(m) if self.center.is_empty() => Naming {
                center: center_of(m),
                patterns: self.patterns.clone(),
            },
            _ => self.clone(),
        }
    }

    /// The rule of this deployment: settings, then the main unit in the database.
    pub async fn load(db: &Db, s: &crate::config::NamingSettings) -> ApiResult<Naming> {
        let main: Option<String> = sqlx::query_scalar(
            "SELECT name FROM org_units WHERE level = 'main' ORDER BY id LIMIT 1",
        )
        .fetch_optional(db.pool())
        .await?;
        Ok(Naming::new(s, main.as_deref()))
    }

    /// The pattern of a level with the center filled in, e.g. `福田区文化馆{x}分馆`.
    pub fn pattern(&self, level: &str) -> String {
        let p = match level {
            "main" => &self.patterns.main,
            "direct_branch" => &self.patterns.direct_branch,
            "branch" => &self.patterns.branch,
            _ => &self.patterns.point,
        };
        p.replace("{center}", &self.center)
    }

    /// Checks a unit's name against its level's pattern; answers the default short name (the
    /// name without the center's, e.g. `园岭分馆`).
    pub fn check(&self, level: &str, name: &str) -> Result<String, String> {
        let pattern = self.pattern(level);
        let shown = pattern.replace("{x}", "××");
        let wrong = || format!("单位名称“{name}”不符合统一命名规则：{shown}");
        if name.chars().any(char::is_whitespace) {
            return Err(wrong());
        }
        match pattern.split_once("{x}") {
            None => {
                if name == pattern {
                    Ok(name.strip_prefix(&self.center).unwrap_or(name).to_string())
                } else {
                    Err(wrong())
                }
            }
            Some((pre, post)) => {
                let x = name
                    .strip_prefix(pre)
                    .and_then(|rest| rest.strip_suffix(post))
                    .ok_or_else(wrong)?;
                let n = x.chars().count();
                if n == 0 || n > 20 {
                    return Err(wrong());
                }
                Ok(format!("{x}{post}"))
            }
        }
    }
}

/// `福田区文化馆总馆` → `福田区文化馆`.
fn center_of(main_name: &str) -> String {
    main_name
        .trim()
        .strip_suffix("总馆")
        .unwrap_or(main_name.trim())
        .to_string()
}

/// Codes already in the database, with their level.
pub async fn existing_codes(db: &Db) -> ApiResult<HashMap<String, String>> {
    let rows = sqlx::query("SELECT code, level FROM org_units")
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get("code"), r.get("level")))
        .collect())
}

/// Writes validated rows in one transaction, parents first. `progress` is called per row.
pub async fn import_rows(
    db: &Db,
    rows: &[ImportRow],
    demo: bool,
    now: &str,
    mut progress: impl FnMut(usize),
) -> ApiResult<usize> {
    let mut tx = db.begin().await?;
    let mut ids: HashMap<String, (i64, String)> = HashMap::new();
    // Parents already in the database.
    for r in sqlx::query("SELECT code, id, path FROM org_units")
        .fetch_all(&mut *tx)
        .await?
    {
        ids.insert(r.get("code"), (r.get("id"), r.get("path")));
    }
    let order = ["main", "direct_branch", "branch", "point"];
    let mut done = 0;
    for level in order {
        for r in rows.iter().filter(|r| r.level == level) {
            let parent = match &r.parent_code {
                Some(p) => Some(
                    ids.get(p)
                        .cloned()
                        .ok_or_else(|| ApiError::validation(format!("上级单位 {p} 不存在")))?,
                ),
                None => None,
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO org_units (code, name, short_name, level, parent_id, path, address, lng, lat, \
                 opening_hours, phone, host_type, contracted, is_demo, created_at, updated_at) \
                 VALUES ($1,$2,$3,$4,$5,'',$6,$7,$8,$9,$10,$11,$12,$13,$14,$14) RETURNING id",
            )
            .bind(&r.code)
            .bind(&r.name)
            .bind(if r.short_name.is_empty() { &r.name } else { &r.short_name })
            .bind(&r.level)
            .bind(parent.as_ref().map(|p| p.0))
            .bind(&r.address)
            .bind(r.lng)
            .bind(r.lat)
            .bind(&r.opening_hours)
            .bind(&r.phone)
            .bind(&r.host_type)
            .bind(r.contracted as i64)
            .bind(demo as i64)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                if crate::db::is_unique_violation(&e) {
                    ApiError::conflict("duplicate_unit", format!("第 {} 行：编码或名称已存在", r.line))
                } else {
                    e.into()
                }
            })?;
            let path = format!(
                "{}{id}/",
                parent.as_ref().map(|p| p.1.as_str()).unwrap_or("/")
            );
            sqlx::query("UPDATE org_units SET path = $1 WHERE id = $2")
                .bind(&path)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for (name, cap) in &r.rooms {
                sqlx::query("INSERT INTO rooms (unit_id, name, capacity) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(name)
                    .bind(cap)
                    .execute(&mut *tx)
                    .await?;
            }
            ids.insert(r.code.clone(), (id, path));
            done += 1;
            progress(done);
        }
    }
    tx.commit().await?;
    Ok(done)
}

/// The Futian network shipped with the binary, loaded as demo data.
pub const FUTIAN_CSV: &str = include_str!("../seed/futian_network.csv");

#[cfg(test)]
mod tests {
    use super::*;

    fn default_naming() -> Naming {
        Naming::new(&crate::config::NamingSettings::default(), None)
    }

    #[test]
    fn naming_rule_follows_the_pattern() {
        let n = default_naming().with_main(Some("福田区文化馆总馆"));
        assert_eq!(
            n.check("branch", "福田区文化馆园岭分馆"),
            Ok("园岭分馆".into())
        );
        assert_eq!(
            n.check("point", "福田区文化馆红荔服务点"),
            Ok("红荔服务点".into())
        );
        assert_eq!(n.check("main", "福田区文化馆总馆"), Ok("总馆".into()));
        for (level, bad) in [
            ("branch", "园岭分馆"),
            ("branch", "福田区文化馆分馆"),
            ("branch", "福田区文化馆园岭服务点"),
            ("point", "福田区文化馆红荔分馆"),
            ("point", "罗湖区文化馆红荔服务点"),
            ("point", "福田区文化馆 红荔服务点"),
            ("main", "福田区文化馆"),
        ] {
            let e = n.check(level, bad).unwrap_err();
            assert!(e.contains("统一命名规则"), "{e}");
        }
        // Another district, configured: its own center and a different point pattern.
        let s = crate::config::NamingSettings {
            center: "南山区文化馆".into(),
            point: "{center}{x}文化服务点".into(),
            ..Default::default()
        };
        let n = Naming::new(&s, Some("whatever"));
        assert!(n.check("point", "南山区文化馆蛇口文化服务点").is_ok());
        assert!(n.check("point", "福田区文化馆蛇口文化服务点").is_err());
        assert_eq!(
            n.pattern("branch").replace("{x}", "××"),
            "南山区文化馆××分馆"
        );
    }

    #[test]
    fn futian_seed_is_valid() {
        let rows =
            parse_csv(FUTIAN_CSV, &HashMap::new(), &default_naming()).expect("seed must validate");
        assert_eq!(rows.iter().filter(|r| r.level == "main").count(), 1);
        assert_eq!(rows.iter().filter(|r| r.level == "branch").count(), 10);
        assert_eq!(rows.iter().filter(|r| r.level == "point").count(), 95);
        for sd in [
            "园岭",
            "南园",
            "福田",
            "沙头",
            "香蜜湖",
            "梅林",
            "莲花",
            "华富",
            "福保",
            "华强北",
        ] {
            assert!(
                rows.iter()
                    .any(|r| r.level == "branch" && r.name == format!("福田区文化馆{sd}分馆")),
                "missing subdistrict {sd}"
            );
        }
    }

    #[test]
    fn errors_carry_line_numbers() {
        let csv = format!(
            "{}\nm,总馆,总馆,main,,addr,114.0,22.5,,,government,0,厅:10\n\
             b,分馆,分馆,branch,nope,addr,114.0,22.5,,,government,0,厅:10\n\
             p,服务点,点,point,m,addr,999,22.5,,,palace,2,厅:x\n",
            CSV_HEADER.join(",")
        );
        let errs = parse_csv(&csv, &HashMap::new(), &default_naming()).unwrap_err();
        let all = errs.join("\n");
        assert!(all.contains("第 3 行：上级单位编码 nope 不存在"), "{all}");
        assert!(all.contains("第 4 行：经纬度超出范围"), "{all}");
        assert!(all.contains("第 4 行：举办主体 palace 无效"), "{all}");
        assert!(all.contains("第 4 行：是否委托管理 2 无效"), "{all}");
        assert!(all.contains("第 4 行：场地 厅:x 的容量无效"), "{all}");
        assert!(all.contains("第 4 行：p 的上级 m 层级不对"), "{all}");
    }

    #[test]
    fn parents_may_already_be_in_the_database() {
        let existing: HashMap<String, String> = [
            ("m".to_string(), "main".to_string()),
            ("b".to_string(), "branch".to_string()),
        ]
        .into();
        let ok = format!(
            "{}\np,福田区文化馆新建服务点,新建服务点,point,b,addr,114.0,22.5,,,government,0,厅:10\n",
            CSV_HEADER.join(",")
        );
        assert!(parse_csv(
            &ok,
            &existing,
            &default_naming().with_main(Some("福田区文化馆总馆"))
        )
        .is_ok());
        let wrong_level = format!(
            "{}\np,福田区文化馆新建服务点,新建服务点,point,m,addr,114.0,22.5,,,government,0,厅:10\n",
            CSV_HEADER.join(",")
        );
        assert!(
            parse_csv(&wrong_level, &existing, &default_naming()).is_err(),
            "a point under the main center"
        );
        let second_main = format!(
            "{}\nm2,另一个总馆,总馆,main,,addr,114.0,22.5,,,government,0,厅:10\n",
            CSV_HEADER.join(",")
        );
        assert!(parse_csv(&second_main, &existing, &default_naming()).is_err());
        let dup_rooms = format!(
            "{}\np,福田区文化馆新建服务点,新建服务点,point,b,addr,114.0,22.5,,,government,0,厅:10;厅:20\n",
            CSV_HEADER.join(",")
        );
        assert!(parse_csv(&dup_rooms, &existing, &default_naming())
            .unwrap_err()
            .join("")
            .contains("场地 厅 重复"));
    }

    #[test]
    fn wrong_header_is_refused() {
        assert!(parse_csv("a,b\n1,2\n", &HashMap::new(), &default_naming()).is_err());
    }

    #[test]
    fn distance_is_sane() {
        // About 1.1 km per 0.01 degree of latitude.
        let d = distance_m(114.05, 22.54, 114.05, 22.55);
        assert!((1100.0..1120.0).contains(&d), "{d}");
    }
}
