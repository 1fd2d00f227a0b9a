//! The resource library (数字资源库, issue 17): videos, audio, articles, course materials and
//! exhibition galleries that units curate. The media stay where they are hosted (a business
//! domain page or a Channels video); the service keeps metadata and a cover image (D236).
//! Views count once per person per China day (D234) and ratings are one per person (D235).

use crate::access::Scope;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::time::Ts;
use poem_openapi::Object;
use sqlx::Row;

pub const KINDS: [&str; 5] = ["video", "audio", "article", "course", "gallery"];
pub const PLATFORMS: [&str; 3] = ["web", "channels", "none"];

pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "video" => "视频",
        "audio" => "音频",
        "article" => "图文",
        "course" => "课程资料",
        _ => "数字展厅",
    }
}

/// A resource as staff write it; on update every field is optional.
#[derive(Debug, Clone, Object, Default)]
pub struct ResourceInput {
    /// `video`, `audio`, `article`, `course` or `gallery`.
    pub kind: Option<String>,
    #[oai(validator(max_length = 60))]
    pub title: Option<String>,
    #[oai(validator(max_length = 300))]
    pub summary: Option<String>,
    /// An article's text (shown in the mini-program itself).
    #[oai(validator(max_length = 20000))]
    pub body: Option<String>,
    /// At most 5, each ≤ 10 characters, no commas.
    #[oai(validator(max_items = 5))]
    pub tags: Option<Vec<String>>,
    /// An uploaded public image (`POST /api/v1/files`) of a unit where the caller may upload.
    pub cover_file_id: Option<i64>,
    /// Seconds, for video, audio and courses.
    pub duration_s: Option<i64>,
    /// `web` (a page on a business domain in a `web-view`), `channels` (a Channels video) or
    /// `none` (an article shown from `body`).
    pub platform: Option<String>,
    #[oai(validator(max_length = 500))]
    pub source_url: Option<String>,
    #[oai(validator(max_length = 64))]
    pub finder_user_name: Option<String>,
    #[oai(validator(max_length = 200))]
    pub feed_id: Option<String>,
    pub published: Option<bool>,
    /// Shown first (精选).
    pub featured: Option<bool>,
    /// Lower first among equals; default 0.
    pub sort_order: Option<i64>,
}

/// A resource after validation: every field decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub tags: String,
    pub cover_file_id: Option<i64>,
    pub duration_s: Option<i64>,
    pub platform: String,
    pub source_url: String,
    pub finder_user_name: String,
    pub feed_id: String,
    pub published: bool,
    pub featured: bool,
    pub sort_order: i64,
}

impl Default for Resource {
    fn default() -> Self {
        Resource {
            kind: String::new(),
            title: String::new(),
            summary: String::new(),
            body: String::new(),
            tags: String::new(),
            cover_file_id: None,
            duration_s: None,
            platform: "none".into(),
            source_url: String::new(),
            finder_user_name: String::new(),
            feed_id: String::new(),
            published: false,
            featured: false,
            sort_order: 0,
        }
    }
}

pub fn tags_text(tags: &[String]) -> ApiResult<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > 10 || t.contains(',') {
            return Err(ApiError::validation("标签每个不超过 10 个字，且不能含逗号"));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    Ok(out.join(","))
}

pub fn split_tags(t: &str) -> Vec<String> {
    t.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `base` with `i` applied, checked as a whole. Pure: the business domains are passed in.
pub fn merge(
    base: &Resource,
    i: &ResourceInput,
    business_domains: &[String],
) -> ApiResult<Resource> {
    let mut r = base.clone();
    if let Some(k) = &i.kind {
        r.kind = k.clone();
    }
    crate::input::one_of("kind", Some(&r.kind), &KINDS)?;
    if let Some(t) = &i.title {
        r.title = t.trim().to_string();
    }
    if crate::input::blank(&r.title) {
        return Err(ApiError::validation("资源标题不能为空"));
    }
    if let Some(s) = &i.summary {
        r.summary = s.trim().to_string();
    }
    if let Some(b) = &i.body {
        r.body = b.trim().to_string();
    }
    if let Some(t) = &i.tags {
        r.tags = tags_text(t)?;
    }
    if let Some(c) = i.cover_file_id {
        r.cover_file_id = Some(c);
    }
    if let Some(d) = i.duration_s {
        if !(0..=24 * 3600).contains(&d) {
            return Err(ApiError::validation(
                "时长应在 0 到 24 小时之间（单位：秒）",
            ));
        }
        r.duration_s = Some(d);
    }
    if let Some(p) = &i.platform {
        r.platform = p.clone();
    }
    crate::input::one_of("platform", Some(&r.platform), &PLATFORMS)?;
    if let Some(u) = &i.source_url {
        r.source_url = u.trim().to_string();
    }
    if let Some(f) = &i.finder_user_name {
        r.finder_user_name = f.trim().to_string();
    }
    if let Some(f) = &i.feed_id {
        r.feed_id = f.trim().to_string();
    }
    match r.platform.as_str() {
        "web" => {
            r.source_url =
                crate::online::check_web_url(&r.source_url, business_domains, "资源网址")?;
            r.finder_user_name.clear();
            r.feed_id.clear();
        }
        "channels" => {
            r.finder_user_name = crate::online::check_finder(&r.finder_user_name)?;
            if r.feed_id.is_empty() || r.feed_id.chars().any(char::is_whitespace) {
                return Err(ApiError::validation("请填写视频号视频的 feedId"));
            }
            r.source_url.clear();
        }
        _ => {
            // Shown from its own text: only an article can be.
            if r.kind != "article" {
                return Err(ApiError::validation(
                    "除图文外，资源需要网页地址或视频号视频",
                ));
            }
            if r.body.is_empty() {
                return Err(ApiError::validation("图文资源需要正文"));
            }
            r.source_url.clear();
            r.finder_user_name.clear();
            r.feed_id.clear();
        }
    }
    if let Some(p) = i.published {
        r.published = p;
    }
    if let Some(f) = i.featured {
        r.featured = f;
    }
    if let Some(o) = i.sort_order {
        if !(-100_000..=100_000).contains(&o) {
            return Err(ApiError::validation("排序值应在 -100000 到 100000 之间"));
        }
        r.sort_order = o;
    }
    Ok(r)
}

/// A resource as shown (residents see only published ones).
#[derive(Debug, Clone, Object)]
pub struct ResourceView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: String,
    /// 视频, 音频, 图文, 课程资料, 数字展厅.
    pub kind_label: String,
    pub title: String,
    pub summary: String,
    pub tags: Vec<String>,
    pub cover_file_id: Option<i64>,
    /// `/api/v1/files/{id}` of the cover.
    pub cover_url: Option<String>,
    pub duration_s: Option<i64>,
    pub platform: String,
    pub source_url: String,
    pub finder_user_name: String,
    pub feed_id: String,
    pub published: bool,
    pub featured: bool,
    pub sort_order: i64,
    pub views: i64,
    pub rating_count: i64,
    /// One decimal; null before the first rating.
    pub rating_average: Option<f64>,
    pub updated_at: String,
    pub published_at: Option<String>,
}

/// A resource with its article text (the detail).
#[derive(Debug, Clone, Object)]
pub struct ResourceDetail {
    #[oai(flatten)]
    pub resource: ResourceView,
    pub body: String,
    /// The caller's own rating, when signed in and rated.
    pub my_score: Option<i64>,
    pub my_comment: Option<String>,
    /// Published comments, newest first, names masked.
    pub comments: Vec<PublicComment>,
}

#[derive(Debug, Clone, Object)]
pub struct PublicComment {
    pub name: String,
    pub score: i64,
    pub comment: String,
    pub created_at: String,
}

const SELECT: &str = "SELECT r.id, r.unit_id, u.short_name AS unit_name, u.path AS upath, r.kind, r.title, r.summary, r.body, r.tags, \
     r.cover_file_id, r.duration_s, r.platform, r.source_url, r.finder_user_name, r.feed_id, r.published, r.featured, \
     r.sort_order, r.views, r.rating_sum, r.rating_count, r.updated_at, r.published_at \
     FROM library_resources r JOIN org_units u ON u.id = r.unit_id";

fn view_of(r: &sqlx::any::AnyRow) -> ResourceView {
    let n: i64 = r.get("rating_count");
    let sum: i64 = r.get("rating_sum");
    let kind: String = r.get("kind");
    let cover: Option<i64> = r.get("cover_file_id");
    ResourceView {
        id: r.get("id"),
        unit_id: r.get("unit_id"),
        unit_name: r.get("unit_name"),
        kind_label: kind_label(&kind).into(),
        kind,
        title: r.get("title"),
        summary: r.get("summary"),
        tags: split_tags(&r.get::<String, _>("tags")),
        cover_file_id: cover,
        cover_url: cover.map(|c| format!("/api/v1/files/{c}")),
        duration_s: r.get("duration_s"),
        platform: r.get("platform"),
        source_url: r.get("source_url"),
        finder_user_name: r.get("finder_user_name"),
        feed_id: r.get("feed_id"),
        published: r.get::<i64, _>("published") != 0,
        featured: r.get::<i64, _>("featured") != 0,
        sort_order: r.get("sort_order"),
        views: r.get("views"),
        rating_count: n,
        rating_average: (n > 0).then(|| ((sum as f64 / n as f64) * 10.0).round() / 10.0),
        updated_at: r.get("updated_at"),
        published_at: r.get("published_at"),
    }
}

/// The stored resource, its unit and its fields as `Resource` (for updates).
pub async fn load(
    db: &Db,
    id: i64,
) -> ApiResult<(crate::access::UnitRef, Resource, ResourceView, String)> {
    let r = sqlx::query(&format!("{SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::not_found("该资源"))?;
    let unit = crate::access::UnitRef {
        id: r.get("unit_id"),
        path: r.get("upath"),
    };
    let res = Resource {
        kind: r.get("kind"),
        title: r.get("title"),
        summary: r.get("summary"),
        body: r.get("body"),
        tags: r.get("tags"),
        cover_file_id: r.get("cover_file_id"),
        duration_s: r.get("duration_s"),
        platform: r.get("platform"),
        source_url: r.get("source_url"),
        finder_user_name: r.get("finder_user_name"),
        feed_id: r.get("feed_id"),
        published: r.get::<i64, _>("published") != 0,
        featured: r.get::<i64, _>("featured") != 0,
        sort_order: r.get("sort_order"),
    };
    Ok((unit, res, view_of(&r), r.get("body")))
}

pub async fn insert(
    tx: &mut crate::db::Tx,
    unit: &crate::access::UnitRef,
    r: &Resource,
    user_id: i64,
    now: &str,
) -> ApiResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO library_resources (unit_id, unit_path, kind, title, summary, body, tags, cover_file_id, duration_s, \
         platform, source_url, finder_user_name, feed_id, published, featured, sort_order, created_by, created_at, updated_at, published_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$18,$19) RETURNING id",
    )
    .bind(unit.id)
    .bind(&unit.path)
    .bind(&r.kind)
    .bind(&r.title)
    .bind(&r.summary)
    .bind(&r.body)
    .bind(&r.tags)
    .bind(r.cover_file_id)
    .bind(r.duration_s)
    .bind(&r.platform)
    .bind(&r.source_url)
    .bind(&r.finder_user_name)
    .bind(&r.feed_id)
    .bind(r.published as i64)
    .bind(r.featured as i64)
    .bind(r.sort_order)
    .bind(user_id)
    .bind(now)
    .bind(r.published.then_some(now))
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn update(tx: &mut crate::db::Tx, id: i64, r: &Resource, now: &str) -> ApiResult<()> {
    sqlx::query(
        "UPDATE library_resources SET kind = $2, title = $3, summary = $4, body = $5, tags = $6, cover_file_id = $7, \
         duration_s = $8, platform = $9, source_url = $10, finder_user_name = $11, feed_id = $12, published = $13, \
         featured = $14, sort_order = $15, updated_at = $16, \
         published_at = CASE WHEN $13 = 1 THEN COALESCE(published_at, $16) ELSE NULL END WHERE id = $1",
    )
    .bind(id)
    .bind(&r.kind)
    .bind(&r.title)
    .bind(&r.summary)
    .bind(&r.body)
    .bind(&r.tags)
    .bind(r.cover_file_id)
    .bind(r.duration_s)
    .bind(&r.platform)
    .bind(&r.source_url)
    .bind(&r.finder_user_name)
    .bind(&r.feed_id)
    .bind(r.published as i64)
    .bind(r.featured as i64)
    .bind(r.sort_order)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Browse filters. `path` narrows to a unit and the units below it.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub path: Option<String>,
    pub tag: Option<String>,
    pub q: Option<String>,
    /// Staff lists include unpublished resources within their scope.
    pub include_unpublished: bool,
    pub page: i64,
    pub page_size: i64,
}

/// `%`, `_` and the escape itself taken literally in a `LIKE` pattern.
pub fn like_literal(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One page (and whether more follow): featured first, then by sort order, newest first.
pub async fn list(
    db: &Db,
    f: &Filter,
    scope: Option<&Scope>,
) -> ApiResult<(Vec<ResourceView>, bool)> {
    let mut clauses: Vec<String> = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let arg = |v: String, binds: &mut Vec<String>| {
        binds.push(v);
        format!("${}", binds.len())
    };
    if !f.include_unpublished {
        clauses.push("r.published = 1".into());
    }
    if let Some(k) = &f.kind {
        let a = arg(k.clone(), &mut binds);
        clauses.push(format!("r.kind = {a}"));
    }
    if let Some(p) = &f.path {
        let a = arg(format!("{}%", like_literal(p)), &mut binds);
        clauses.push(format!("r.unit_path LIKE {a} ESCAPE '\\'"));
    }
    if let Some(t) = &f.tag {
        // Tags are stored comma-joined: match one whole tag.
        let a = arg(format!("%,{},%", like_literal(t.trim())), &mut binds);
        clauses.push(format!("(',' || r.tags || ',') LIKE {a} ESCAPE '\\'"));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let a = arg(format!("%{}%", like_literal(&q.to_lowercase())), &mut binds);
        clauses.push(format!(
            "(LOWER(r.title) LIKE {a} ESCAPE '\\' OR LOWER(r.summary) LIKE {a} ESCAPE '\\' OR LOWER(r.tags) LIKE {a} ESCAPE '\\')"
        ));
    }
    if let Some(s) = scope {
        clauses.push(s.sql("r.unit_path"));
    }
    let where_ = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    let sql = format!(
        "{SELECT}{where_} ORDER BY r.featured DESC, r.sort_order, r.id DESC LIMIT {} OFFSET {}",
        f.page_size + 1,
        (f.page - 1) * f.page_size
    );
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(db.pool()).await?;
    let more = rows.len() as i64 > f.page_size;
    Ok((
        rows.iter()
            .take(f.page_size as usize)
            .map(view_of)
            .collect(),
        more,
    ))
}

/// Counts a view: once per person, resource and China day (D234). The row's primary key is
/// the guard, so concurrent calls count once; the counter moves only when the row is new.
pub async fn record_view(db: &Db, id: i64, user_id: i64, now: Ts) -> ApiResult<bool> {
    let day = now
        .with_timezone(&crate::time::cst())
        .format("%Y-%m-%d")
        .to_string();
    let mut tx = db.begin().await?;
    let published: Option<i64> =
        sqlx::query_scalar("SELECT published FROM library_resources WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if published != Some(1) {
        return Err(ApiError::not_found("该资源"));
    }
    let n = sqlx::query(
        "INSERT INTO library_views (resource_id, user_id, day) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(user_id)
    .bind(&day)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 1 {
        sqlx::query("UPDATE library_resources SET views = views + 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(n == 1)
}

/// Sets the caller's rating (one per person; a second call changes it). The counters move in
/// the same transaction.
pub async fn rate(
    db: &Db,
    id: i64,
    user_id: i64,
    score: i64,
    comment: &str,
    comment_status: &str,
    now: &str,
) -> ApiResult<()> {
    if !(1..=5).contains(&score) {
        return Err(ApiError::validation("评分应为 1 到 5 分"));
    }
    let mut tx = db.begin().await?;
    let published: Option<i64> =
        sqlx::query_scalar("SELECT published FROM library_resources WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if published != Some(1) {
        return Err(ApiError::not_found("该资源"));
    }
    sqlx::query(
        "INSERT INTO library_ratings (resource_id, user_id, score, comment, comment_status, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$6) ON CONFLICT (resource_id, user_id) DO UPDATE SET score = excluded.score, \
         comment = excluded.comment, comment_status = excluded.comment_status, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(user_id)
    .bind(score)
    .bind(comment)
    .bind(comment_status)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    recount(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Recomputes a resource's rating counters from its rows (in the writer's transaction).
pub async fn recount(tx: &mut crate::db::Tx, id: i64) -> ApiResult<()> {
    sqlx::query(
        "UPDATE library_resources SET \
         rating_sum = (SELECT CAST(COALESCE(SUM(score), 0) AS BIGINT) FROM library_ratings WHERE resource_id = $1), \
         rating_count = (SELECT CAST(COUNT(*) AS BIGINT) FROM library_ratings WHERE resource_id = $1) WHERE id = $1",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn mine(db: &Db, id: i64, user_id: i64) -> ApiResult<Option<(i64, String)>> {
    let r = sqlx::query(
        "SELECT score, comment FROM library_ratings WHERE resource_id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(r.map(|r| (r.get("score"), r.get("comment"))))
}

pub async fn comments(db: &Db, id: i64) -> ApiResult<Vec<PublicComment>> {
    let rows = sqlx::query(
        "SELECT r.score, r.comment, r.updated_at, p.display_name FROM library_ratings r JOIN users p ON p.id = r.user_id \
         WHERE r.resource_id = $1 AND r.comment_status = 'published' ORDER BY r.updated_at DESC LIMIT 50",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let name: String = r.get("display_name");
            PublicComment {
                name: if name.is_empty() {
                    "居民".into()
                } else {
                    crate::privacy::mask_name(&name)
                },
                score: r.get("score"),
                comment: r.get("comment"),
                created_at: r.get("updated_at"),
            }
        })
        .collect())
}

/// A person's library data for their export: ratings and the days they opened resources.
pub async fn export(db: &Db, user_id: i64) -> ApiResult<serde_json::Value> {
    let ratings = sqlx::query(
        "SELECT r.title, l.score, l.comment, l.comment_status, l.updated_at FROM library_ratings l \
         JOIN library_resources r ON r.id = l.resource_id WHERE l.user_id = $1 ORDER BY l.id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let views = sqlx::query(
        "SELECT r.title, v.day FROM library_views v JOIN library_resources r ON r.id = v.resource_id \
         WHERE v.user_id = $1 ORDER BY v.day, r.id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(serde_json::json!({
        "ratings": ratings.iter().map(|r| serde_json::json!({
            "resource": r.get::<String, _>("title"),
            "score": r.get::<i64, _>("score"),
            "comment": r.get::<String, _>("comment"),
            "comment_status": r.get::<String, _>("comment_status"),
            "at": r.get::<String, _>("updated_at"),
        })).collect::<Vec<_>>(),
        "viewed": views.iter().map(|r| serde_json::json!({
            "resource": r.get::<String, _>("title"),
            "day": r.get::<String, _>("day"),
        })).collect::<Vec<_>>(),
    }))
}

/// Erasure: comments others could read are cleared (scores stay in the averages, as for
/// activity ratings) and the record of what the person opened is deleted (the counts stay).
pub async fn erase(tx: &mut crate::db::Tx, user_id: i64) -> ApiResult<()> {
    sqlx::query(
        "UPDATE library_ratings SET comment = '', comment_status = 'none' WHERE user_id = $1",
    )
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM library_views WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains() -> Vec<String> {
        vec!["media.example.cn".into()]
    }

    fn video() -> ResourceInput {
        ResourceInput {
            kind: Some("video".into()),
            title: Some(" 粤剧入门 ".into()),
            platform: Some("web".into()),
            source_url: Some("https://media.example.cn/v/1".into()),
            tags: Some(vec!["粤剧".into(), "入门".into(), "粤剧".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_resource_is_checked_whole() {
        let r = merge(&Resource::default(), &video(), &domains()).unwrap();
        assert_eq!(r.title, "粤剧入门");
        assert_eq!(r.tags, "粤剧,入门");
        assert!(!r.published);
        let mut bad = video();
        bad.source_url = Some("https://elsewhere.example.cn/v/1".into());
        assert_eq!(
            merge(&Resource::default(), &bad, &domains())
                .unwrap_err()
                .code,
            "domain_not_allowed"
        );
        let mut bad = video();
        bad.kind = Some("podcast".into());
        assert!(merge(&Resource::default(), &bad, &domains()).is_err());
        let mut bad = video();
        bad.tags = Some(vec!["a,b".into()]);
        assert!(merge(&Resource::default(), &bad, &domains()).is_err());
        let mut bad = video();
        bad.title = Some("  ".into());
        assert!(merge(&Resource::default(), &bad, &domains()).is_err());
    }

    #[test]
    fn platforms() {
        let mut c = video();
        c.platform = Some("channels".into());
        assert!(
            merge(&Resource::default(), &c, &domains()).is_err(),
            "needs the account and feed"
        );
        c.finder_user_name = Some("sphXyz9".into());
        c.feed_id = Some("export/abc".into());
        let r = merge(&Resource::default(), &c, &domains()).unwrap();
        assert_eq!(r.source_url, "", "a Channels video keeps no web address");
        let mut a = video();
        a.platform = Some("none".into());
        assert!(
            merge(&Resource::default(), &a, &domains()).is_err(),
            "only articles have no link"
        );
        a.kind = Some("article".into());
        assert!(
            merge(&Resource::default(), &a, &domains()).is_err(),
            "an article needs its text"
        );
        a.body = Some("正文".into());
        assert!(merge(&Resource::default(), &a, &domains()).is_ok());
    }

    #[test]
    fn updates_apply_over_the_stored_fields() {
        let base = merge(&Resource::default(), &video(), &domains()).unwrap();
        let p = ResourceInput {
            published: Some(true),
            featured: Some(true),
            sort_order: Some(-5),
            ..Default::default()
        };
        let r = merge(&base, &p, &domains()).unwrap();
        assert!(r.published && r.featured);
        assert_eq!((r.sort_order, r.title.as_str()), (-5, "粤剧入门"));
        let p = ResourceInput {
            duration_s: Some(-1),
            ..Default::default()
        };
        assert!(merge(&base, &p, &domains()).is_err());
    }

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_literal("50%_a\\"), "50\\%\\_a\\\\");
    }
}
