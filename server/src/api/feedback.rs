use super::{ApiTags, Done};
use crate::access::{self, Action};
use crate::demand::decision;
use crate::error::ApiError;
use crate::export::{Cell, Download, ExportFormat, Table};
use crate::feedback::{self, Counts, InboxItem, InboxQuery, NewRating, PublicRatings, RatingPatch};
use crate::state::AppState;
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;
use poem_openapi::{Object, OpenApi};
use sqlx::Row;
use std::sync::Arc;

pub struct FeedbackApi;

#[derive(Object)]
struct RatingOut {
    id: i64,
    /// `none`, `published` or `held` (waiting for review before others see it).
    comment_status: String,
}

#[derive(Object)]
struct Inbox {
    items: Vec<InboxItem>,
    next_before: Option<i64>,
    counts: Counts,
}

#[derive(Object)]
struct Ids {
    #[oai(validator(max_items = 200))]
    ids: Vec<i64>,
}

#[derive(Object)]
struct ReplyIn {
    #[oai(validator(min_length = 1, max_length = 300))]
    content: String,
}

#[derive(Object)]
struct Moderation {
    /// `publish` or `reject`.
    decision: String,
    #[oai(validator(max_length = 200))]
    note: Option<String>,
}

/// The rating's comment status after a committed write, which also drops this instance's inbox
/// answers that show the rating (other instances learn it from the change feed).
async fn rating_status(st: &AppState, id: i64) -> Result<String, ApiError> {
    let (status, path): (String, String) =
        sqlx::query_as("SELECT comment_status, unit_path FROM ratings WHERE id = $1")
            .bind(id)
            .fetch_one(st.db.pool())
            .await?;
    st.inbox_changed(&path);
    Ok(status)
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Feedback")]
impl FeedbackApi {
    /// Rate a session I attended (checked in), once, within the rating period.
    #[oai(path = "/ratings", method = "post", operation_id = "rating_create")]
    async fn rate(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewRating>,
    ) -> Result<Json<RatingOut>> {
        let caller = st.caller(req).await?;
        let id = feedback::rate(
            &st.db,
            &st.wechat,
            &st.settings.booking,
            caller.user_id,
            caller.openid.as_deref(),
            &body.0,
            st.clock.now(),
        )
        .await?;
        Ok(Json(RatingOut {
            id,
            comment_status: rating_status(&st, id).await?,
        }))
    }

    /// Edit my rating within the edit period.
    #[oai(
        path = "/ratings/:id",
        method = "patch",
        operation_id = "rating_update"
    )]
    async fn edit(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<RatingPatch>,
    ) -> Result<Json<RatingOut>> {
        let caller = st.caller(req).await?;
        feedback::edit(
            &st.db,
            &st.wechat,
            &st.settings.booking,
            &caller,
            id.0,
            &body.0,
            st.clock.now(),
        )
        .await?;
        Ok(Json(RatingOut {
            id: id.0,
            comment_status: rating_status(&st, id.0).await?,
        }))
    }

    /// Published comments (names masked), staff replies and the average score.
    #[oai(
        path = "/activities/:id/ratings",
        method = "get",
        operation_id = "activity_ratings"
    )]
    async fn public(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<PublicRatings>> {
        crate::activity::head(&st.db, id.0).await?;
        let caller = st.maybe_caller(req).await?;
        crate::training::gate(&st.db, caller.as_ref(), id.0).await?;
        Ok(Json(feedback::public(&st.db, id.0).await?))
    }

    /// The feedback inbox of my scope (a point its own, a branch its own and its points').
    #[oai(path = "/feedback", method = "get", operation_id = "feedback_inbox")]
    #[allow(clippy::too_many_arguments)]
    async fn inbox(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
        activity_id: Query<Option<i64>>,
        kind: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "5")))] max_score: Query<Option<i64>>,
        /// `unread`, `unhandled`, `flagged` or `held`.
        state: Query<Option<String>>,
        /// `newest` (default) or `lowest`.
        sort: Query<Option<String>>,
        before: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<i64>>,
    ) -> Result<super::CachedJson<Inbox>> {
        crate::input::one_of("kind", kind.0.as_deref(), &crate::activity::KINDS)?;
        // Read before the caller: a flush after it (the identity feed's `*` flushes the inbox
        // too, D269) keeps an answer computed from a stale caller out of the cache.
        let generation = st.inbox.generation();
        let caller = st.caller(req).await?;
        if let Some(s) = state.0.as_deref() {
            if !matches!(s, "unread" | "unhandled" | "flagged" | "held") {
                return Err(ApiError::validation(
                    "state 只能是 unread、unhandled、flagged 或 held",
                )
                .into());
            }
        }
        if let Some(s) = sort.0.as_deref() {
            if !matches!(s, "newest" | "lowest") {
                return Err(ApiError::validation("sort 只能是 newest 或 lowest").into());
            }
        }
        let limit = limit.0.unwrap_or(20);
        // The ready answer is keyed by everything it depends on: the caller's scope (not the
        // person: no item field depends on who asks), the unit asked about and every filter. A
        // stored answer passed the same scope check, so a hit needs no database at all (D265).
        let key = format!(
            "page|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{limit}",
            access::scope(&caller, Action::ReadFeedback).key(),
            unit_id.0,
            activity_id.0,
            kind.0,
            max_score.0,
            state.0,
            sort.0,
            before.0,
        );
        if let Some(json) = st.inbox.get(&key) {
            return Ok(super::CachedJson::new(json.to_vec()));
        }
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadFeedback, unit_id.0)
            .await?;
        let q = InboxQuery {
            unit_path: Some(under.clone()),
            activity_id: activity_id.0,
            kind: kind.0,
            max_score: max_score.0,
            state: state.0,
            sort: sort.0,
            before: before.0,
            limit,
        };
        let (items, next_before) = feedback::inbox(&st.db, &scope, &q).await?;
        let counts = feedback::counts(&st.db, &scope, Some(&under)).await?;
        let json = ToJSON::to_json_string(&Inbox {
            items,
            next_before,
            counts,
        })
        .into_bytes();
        st.inbox
            .put(key, &under, generation, Arc::new(json.clone()));
        Ok(super::CachedJson::new(json))
    }

    /// Unread, flagged and held counts of my scope.
    #[oai(
        path = "/feedback/counts",
        method = "get",
        operation_id = "feedback_counts"
    )]
    async fn counts(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
    ) -> Result<super::CachedJson<Counts>> {
        let generation = st.inbox.generation();
        let caller = st.caller(req).await?;
        // From the same memory as the inbox pages, keyed the same way.
        let key = format!(
            "counts|{}|{:?}",
            access::scope(&caller, Action::ReadFeedback).key(),
            unit_id.0
        );
        if let Some(json) = st.inbox.get(&key) {
            return Ok(super::CachedJson::new(json.to_vec()));
        }
        let (scope, under) = st
            .scoped(req, &caller, Action::ReadFeedback, unit_id.0)
            .await?;
        let counts = feedback::counts(&st.db, &scope, Some(&under)).await?;
        let json = ToJSON::to_json_string(&counts).into_bytes();
        st.inbox
            .put(key, &under, generation, Arc::new(json.clone()));
        Ok(super::CachedJson::new(json))
    }

    /// Mark items read (those outside my scope are left alone).
    #[oai(
        path = "/feedback/read",
        method = "post",
        operation_id = "feedback_mark_read"
    )]
    async fn read(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<Ids>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let (scope, _) = st.scoped(req, &caller, Action::ReadFeedback, None).await?;
        if !body.ids.is_empty() {
            let list = body
                .ids
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let mut tx = st.db.begin().await.map_err(ApiError::from)?;
            let paths: Vec<String> = sqlx::query_scalar(&format!(
                "UPDATE ratings SET read_at = $1 WHERE id IN ({list}) AND read_at IS NULL AND {} RETURNING unit_path",
                scope.sql("unit_path")
            ))
            .bind(st.now())
            .fetch_all(&mut *tx)
            .await
            .map_err(ApiError::from)?;
            crate::feedback::recount_ratings(&mut tx, &body.ids).await?;
            tx.commit().await.map_err(ApiError::from)?;
            let paths: std::collections::BTreeSet<String> = paths.into_iter().collect();
            for p in &paths {
                st.inbox_changed(p);
            }
        }
        Ok(Json(Done { ok: true }))
    }

    /// Reply publicly to a rating.
    #[oai(
        path = "/feedback/:id/replies",
        method = "post",
        operation_id = "feedback_reply"
    )]
    async fn reply(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<ReplyIn>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let place = feedback::place(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::ReplyFeedback, &place)
            .await?;
        let content = feedback::check_text(&body.content, 300, "回复")?;
        if crate::input::blank(&content) {
            return Err(ApiError::validation("回复不能为空").into());
        }
        // The reply is signed by the replying staff member's unit.
        let unit_name: String = sqlx::query_scalar(
            "SELECT u.short_name FROM role_grants g JOIN org_units u ON u.id = g.unit_id WHERE g.user_id = $1 AND g.revoked_at IS NULL ORDER BY LENGTH(u.path) DESC LIMIT 1",
        )
        .bind(caller.user_id)
        .fetch_optional(st.db.pool())
        .await
        .map_err(ApiError::from)?
        .unwrap_or_else(|| "文化馆".into());
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        sqlx::query("INSERT INTO rating_replies (rating_id, staff_id, unit_name, content, created_at) VALUES ($1,$2,$3,$4,$5)")
            .bind(id.0)
            .bind(caller.user_id)
            .bind(&unit_name)
            .bind(&content)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?;
        sqlx::query("UPDATE ratings SET first_reply_at = COALESCE(first_reply_at, $1), read_at = COALESCE(read_at, $1) WHERE id = $2")
            .bind(&now)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "feedback_replied",
            Some(place.id),
            format!("rating {}", id.0),
            content,
        )
        .await?;
        crate::feedback::recount_ratings(&mut tx, &[id.0]).await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.inbox_changed(&place.path);
        Ok(Json(Done { ok: true }))
    }

    /// Mark a rating handled (a low score followed up).
    #[oai(
        path = "/feedback/:id/handle",
        method = "post",
        operation_id = "feedback_handle"
    )]
    async fn handle(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let place = feedback::place(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::ReplyFeedback, &place)
            .await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        sqlx::query("UPDATE ratings SET handled_at = COALESCE(handled_at, $1), handled_by = COALESCE(handled_by, $2), read_at = COALESCE(read_at, $1) WHERE id = $3")
            .bind(&now)
            .bind(caller.user_id)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "feedback_handled",
            Some(place.id),
            format!("rating {}", id.0),
            String::new(),
        )
        .await?;
        crate::feedback::recount_ratings(&mut tx, &[id.0]).await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.inbox_changed(&place.path);
        Ok(Json(Done { ok: true }))
    }

    /// Publish or reject a comment held by the text security check.
    #[oai(
        path = "/feedback/:id/moderate",
        method = "post",
        operation_id = "feedback_moderate"
    )]
    async fn moderate(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<Moderation>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let place = feedback::place(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::ReplyFeedback, &place)
            .await?;
        let to = decision(&body.decision)?;
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let n = sqlx::query("UPDATE ratings SET comment_status = $1, moderation_note = $2 WHERE id = $3 AND comment_status = 'held'")
            .bind(to)
            .bind(body.note.clone().unwrap_or_default())
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?
            .rows_affected();
        if n == 0 {
            return Err(ApiError::conflict("not_held", "这条评价不在待审核状态").into());
        }
        st.audited(
            &mut tx,
            req,
            &caller,
            "comment_moderated",
            Some(place.id),
            format!("rating {}", id.0),
            to.into(),
        )
        .await?;
        crate::feedback::recount_ratings(&mut tx, &[id.0]).await?;
        tx.commit().await.map_err(ApiError::from)?;
        st.inbox_changed(&place.path);
        Ok(Json(Done { ok: true }))
    }

    /// The feedback of my scope as CSV or xlsx (`format`; comments' phone-like digits masked).
    #[oai(
        path = "/feedback/export.csv",
        method = "get",
        operation_id = "feedback_export"
    )]
    async fn export(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
        /// `csv` (default) or `xlsx`.
        format: Query<Option<ExportFormat>>,
    ) -> Result<Download> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ExportLedger, unit_id.0)
            .await?;
        let rows = sqlx::query(&format!(
            "SELECT r.id, r.created_at, u.short_name, a.title, r.kind, r.score, r.comment, r.comment_status, r.first_reply_at, r.handled_at \
             FROM ratings r JOIN org_units u ON u.id = r.unit_id JOIN activities a ON a.id = r.activity_id \
             WHERE {} AND r.unit_path LIKE $1 ORDER BY r.id",
            scope.sql("r.unit_path")
        ))
        .bind(format!("{under}%"))
        .fetch_all(st.db.pool())
        .await
        .map_err(ApiError::from)?;
        let mut t = Table::new(
            "评价",
            &[
                "编号",
                "时间",
                "单位",
                "活动",
                "类型",
                "评分",
                "评价",
                "审核状态",
                "首次回复",
                "已跟进",
            ],
        );
        for r in rows {
            t.push(vec![
                Cell::Int(r.get("id")),
                r.get::<String, _>("created_at").into(),
                r.get::<String, _>("short_name").into(),
                r.get::<String, _>("title").into(),
                crate::activity::kind_label(&r.get::<String, _>("kind")).into(),
                Cell::Int(r.get("score")),
                crate::privacy::mask_text(&r.get::<String, _>("comment")).into(),
                r.get::<String, _>("comment_status").into(),
                r.get::<Option<String>, _>("first_reply_at").into(),
                r.get::<Option<String>, _>("handled_at").is_some().into(),
            ]);
        }
        Ok(Download::table(&t, format.0, "feedback")?)
    }
}
