//! Online programmes (live and replay of an activity) and the resource library: public
//! browsing for residents, views and ratings for the signed-in, curation for staff.

use super::ApiTags;
use crate::access::Action;
use crate::error::ApiError;
use crate::library::{self, Filter, ResourceDetail, ResourceInput, ResourceView};
use crate::online::{self, OnlineInput, OnlineItem, OnlineView};
use crate::state::AppState;
use crate::time;
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

pub struct LibraryApi;

#[derive(Object)]
struct OnlineList {
    items: Vec<OnlineItem>,
}

#[derive(Object)]
struct ActivityOnline {
    activity_id: i64,
    /// Null for an offline activity.
    online: Option<OnlineView>,
    /// `upcoming`, `live`, `replay` or `ended`; null when offline or without sessions.
    state: Option<String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
}

#[derive(Object)]
struct ResourcePage {
    items: Vec<ResourceView>,
    page: i64,
    page_size: i64,
    has_more: bool,
}

#[derive(Object)]
struct NewResource {
    /// The unit the resource belongs to (its curators).
    unit_id: i64,
    #[oai(flatten)]
    resource: ResourceInput,
}

#[derive(Object)]
struct ViewCounted {
    /// False when this person's view today was already counted.
    counted: bool,
    views: i64,
}

#[derive(Object)]
struct NewLibraryRating {
    /// 1–5.
    score: i64,
    /// Optional, ≤ 300 characters; shown after WeChat's content check passes.
    #[oai(validator(max_length = 600))]
    comment: Option<String>,
}

#[derive(Object)]
struct RatingSaved {
    score: i64,
    /// `none`, `published` or `held` (waits for staff).
    comment_status: String,
    rating_count: i64,
    rating_average: Option<f64>,
}

fn check_kind(kind: Option<&str>) -> Result<(), ApiError> {
    crate::input::one_of("kind", kind, &library::KINDS)
}

/// A unit's path, or 404 when there is no such unit.
async fn unit_path(st: &AppState, unit_id: Option<i64>) -> Result<Option<String>, ApiError> {
    match unit_id {
        Some(id) => Ok(Some(crate::org::unit_ref(&st.db, id).await?.path)),
        None => Ok(None),
    }
}

/// Checks a cover: a public image of a unit the caller may upload for.
async fn check_cover(
    st: &AppState,
    caller: &crate::access::Caller,
    r: &ResourceInput,
) -> Result<(), ApiError> {
    if let Some(f) = r.cover_file_id {
        crate::files::for_attachment(&st.db, caller, f, crate::files::Visibility::Public).await?;
    }
    Ok(())
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Library")]
impl LibraryApi {
    /// Online and hybrid activities open to the public, with their state now: live first,
    /// then upcoming (soonest first), then replays. `unit_id` narrows to a unit and below.
    #[oai(path = "/online", method = "get", operation_id = "online_list")]
    async fn online_list(
        &self,
        st: Data<&AppState>,
        unit_id: Query<Option<i64>>,
        /// `upcoming`, `live`, `replay` or `ended`.
        state: Query<Option<String>>,
    ) -> Result<Json<OnlineList>> {
        crate::input::one_of(
            "state",
            state.0.as_deref(),
            &["upcoming", "live", "replay", "ended"],
        )?;
        let path = unit_path(&st, unit_id.0)
            .await?
            .unwrap_or_else(|| "/".into());
        Ok(Json(OnlineList {
            items: online::list(&st.db, &path, state.0.as_deref(), st.clock.now()).await?,
        }))
    }

    /// The online part of a published public activity and its state now (anyone); staff who
    /// may read the activity's data also see it for drafts and staff-only activities.
    #[oai(
        path = "/activities/:id/online",
        method = "get",
        operation_id = "activity_online_get"
    )]
    async fn online_get(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<ActivityOnline>> {
        let head = crate::activity::head(&st.db, id.0).await?;
        let public: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM activities WHERE id = $1 AND status IN ('published','finished') AND audience = 'public'",
        )
        .bind(id.0)
        .fetch_optional(st.db.pool())
        .await
        .map_err(ApiError::from)?;
        if public.is_none() {
            let staff = match st.maybe_caller(req).await? {
                Some(c) => {
                    crate::access::check(&c, Action::ReadActivityData, &head.organizer).is_ok()
                }
                None => false,
            };
            if !staff {
                return Err(ApiError::not_found("该活动").into());
            }
        }
        activity_online(&st, id.0)
            .await
            .map(Json)
            .map_err(Into::into)
    }

    /// Sets an activity's online part (`ManageActivities` at the organizer): `mode` offline
    /// (removes it), online or hybrid; WeChat Channels (`finder_user_name`) or a web page on a
    /// configured business domain (`422 domain_not_allowed` otherwise). Watching needs no booking.
    #[oai(
        path = "/activities/:id/online",
        method = "put",
        operation_id = "activity_online_set"
    )]
    async fn online_set(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<OnlineInput>,
    ) -> Result<Json<ActivityOnline>> {
        let caller = st.caller(req).await?;
        let head = crate::activity::head(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::ManageActivities, &head.organizer)
            .await?;
        let v = online::validate(&body, &st.settings.online.business_domains)?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        online::set(&mut tx, id.0, v.as_ref(), caller.user_id, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "activity_online_set",
            Some(head.organizer.id),
            format!("activity {}", id.0),
            body.mode.clone(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        // The browse list's online filter shows it (or no longer does).
        st.browse_changed();
        Ok(Json(activity_online(&st, id.0).await?))
    }

    /// Published resources (public): by `kind`, `unit_id` (and the units below), a whole `tag`
    /// and text `q` in title, summary and tags; featured first, then the curators' order.
    #[oai(path = "/library", method = "get", operation_id = "library_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        st: Data<&AppState>,
        /// `video`, `audio`, `article`, `course` or `gallery`.
        kind: Query<Option<String>>,
        unit_id: Query<Option<i64>>,
        #[oai(validator(max_length = 10))] tag: Query<Option<String>>,
        #[oai(validator(max_length = 30))] q: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))] page_size: Query<
            Option<i64>,
        >,
    ) -> Result<Json<ResourcePage>> {
        check_kind(kind.0.as_deref())?;
        let f = Filter {
            kind: kind.0.clone(),
            path: unit_path(&st, unit_id.0).await?,
            tag: tag.0.clone().filter(|t| !t.trim().is_empty()),
            q: q.0.clone(),
            include_unpublished: false,
            page: page.0.unwrap_or(1),
            page_size: page_size.0.unwrap_or(20),
        };
        let (items, has_more) = library::list(&st.db, &f, None).await?;
        Ok(Json(ResourcePage {
            items,
            page: f.page,
            page_size: f.page_size,
            has_more,
        }))
    }

    /// One published resource with its article text and published comments; with a credential
    /// also the caller's own rating. Reading counts no view (`library_view` does).
    #[oai(path = "/library/:id", method = "get", operation_id = "library_get")]
    async fn get(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<ResourceDetail>> {
        let caller = st.maybe_caller(req).await?;
        let (unit, _, view, body) = library::load(&st.db, id.0).await?;
        // Unpublished resources exist only for their curators.
        let curator = caller
            .as_ref()
            .is_some_and(|c| crate::access::check(c, Action::ManageLibrary, &unit).is_ok());
        if !view.published && !curator {
            return Err(ApiError::not_found("该资源").into());
        }
        let mine = match &caller {
            Some(c) => library::mine(&st.db, id.0, c.user_id).await?,
            None => None,
        };
        Ok(Json(ResourceDetail {
            resource: view,
            body,
            my_score: mine.as_ref().map(|m| m.0),
            my_comment: mine.map(|m| m.1),
            comments: library::comments(&st.db, id.0).await?,
        }))
    }

    /// Counts the caller's view of a published resource: once per person and China day, so the
    /// mini-program may call it on every open (signed in).
    #[oai(
        path = "/library/:id/view",
        method = "post",
        operation_id = "library_view"
    )]
    async fn view(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<ViewCounted>> {
        let caller = st.caller(req).await?;
        let counted = library::record_view(&st.db, id.0, caller.user_id, st.clock.now()).await?;
        let (_, _, v, _) = library::load(&st.db, id.0).await?;
        Ok(Json(ViewCounted {
            counted,
            views: v.views,
        }))
    }

    /// Rates a published resource 1–5 with an optional comment (signed in); rating again
    /// changes one's rating. A comment WeChat's check does not pass cleanly is held.
    #[oai(
        path = "/library/:id/rating",
        method = "put",
        operation_id = "library_rate"
    )]
    async fn rate(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<NewLibraryRating>,
    ) -> Result<Json<RatingSaved>> {
        let caller = st.caller(req).await?;
        let comment =
            crate::feedback::check_text(body.comment.as_deref().unwrap_or(""), 300, "评价内容")?;
        if !(1..=5).contains(&body.score) {
            return Err(ApiError::validation("评分应为 1 到 5 分").into());
        }
        // Existence first, so a missing resource costs no content check.
        let (_, _, v, _) = library::load(&st.db, id.0).await?;
        if !v.published {
            return Err(ApiError::not_found("该资源").into());
        }
        let status = if comment.is_empty() {
            "none"
        } else {
            match crate::feedback::moderate(&st.wechat, caller.openid.as_deref(), &comment, 2).await
            {
                crate::feedback::Verdict::Published => "published",
                crate::feedback::Verdict::Held(_) => "held",
            }
        };
        library::rate(
            &st.db,
            id.0,
            caller.user_id,
            body.score,
            &comment,
            status,
            &st.now(),
        )
        .await?;
        let (_, _, v, _) = library::load(&st.db, id.0).await?;
        Ok(Json(RatingSaved {
            score: body.score,
            comment_status: status.into(),
            rating_count: v.rating_count,
            rating_average: v.rating_average,
        }))
    }

    /// Resources in the caller's scope for curating (`ManageLibrary`), unpublished included;
    /// `unit_id` narrows to a unit and below.
    #[oai(
        path = "/manage/library",
        method = "get",
        operation_id = "library_manage_list"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn manage_list(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
        kind: Query<Option<String>>,
        #[oai(validator(max_length = 30))] q: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))] page: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] page_size: Query<
            Option<i64>,
        >,
    ) -> Result<Json<ResourcePage>> {
        let caller = st.caller(req).await?;
        check_kind(kind.0.as_deref())?;
        let (scope, path) = st
            .scoped(req, &caller, Action::ManageLibrary, unit_id.0)
            .await?;
        let f = Filter {
            kind: kind.0.clone(),
            path: Some(path),
            tag: None,
            q: q.0.clone(),
            include_unpublished: true,
            page: page.0.unwrap_or(1),
            page_size: page_size.0.unwrap_or(50),
        };
        let (items, has_more) = library::list(&st.db, &f, Some(&scope)).await?;
        Ok(Json(ResourcePage {
            items,
            page: f.page,
            page_size: f.page_size,
            has_more,
        }))
    }

    /// Adds a resource to a unit's library (`ManageLibrary` at the unit); unpublished unless
    /// `published` is true.
    #[oai(
        path = "/manage/library",
        method = "post",
        operation_id = "library_create"
    )]
    async fn create(
        &self,
        st: Data<&AppState>,
        req: &Request,
        body: Json<NewResource>,
    ) -> Result<Json<ResourceView>> {
        let caller = st.caller(req).await?;
        let unit = st
            .authorize_unit(req, &caller, Action::ManageLibrary, body.unit_id)
            .await?;
        crate::org::ensure_open(&st.db, unit.id).await?;
        let r = library::merge(
            &library::Resource::default(),
            &body.resource,
            &st.settings.online.business_domains,
        )?;
        check_cover(&st, &caller, &body.resource).await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        let id = library::insert(&mut tx, &unit, &r, caller.user_id, &now).await?;
        st.audited(
            &mut tx,
            req,
            &caller,
            "library_resource_created",
            Some(unit.id),
            format!("library {id}"),
            r.title.clone(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(library::load(&st.db, id).await?.2))
    }

    /// Edits, publishes or withdraws (`published`), features or orders a resource
    /// (`ManageLibrary` at its unit). Fields left out stay as they are.
    #[oai(
        path = "/manage/library/:id",
        method = "patch",
        operation_id = "library_update"
    )]
    async fn update(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<ResourceInput>,
    ) -> Result<Json<ResourceView>> {
        let caller = st.caller(req).await?;
        let (unit, base, _, _) = library::load(&st.db, id.0).await?;
        st.authorize(req, &caller, Action::ManageLibrary, &unit)
            .await?;
        let r = library::merge(&base, &body, &st.settings.online.business_domains)?;
        check_cover(&st, &caller, &body).await?;
        let now = st.now();
        let mut tx = st.db.begin().await.map_err(ApiError::from)?;
        library::update(&mut tx, id.0, &r, &now).await?;
        let action = match (base.published, r.published) {
            (false, true) => "library_resource_published",
            (true, false) => "library_resource_withdrawn",
            _ => "library_resource_updated",
        };
        st.audited(
            &mut tx,
            req,
            &caller,
            action,
            Some(unit.id),
            format!("library {}", id.0),
            r.title.clone(),
        )
        .await?;
        tx.commit().await.map_err(ApiError::from)?;
        Ok(Json(library::load(&st.db, id.0).await?.2))
    }
}

async fn activity_online(st: &AppState, id: i64) -> Result<ActivityOnline, ApiError> {
    let online = online::get(&st.db, id).await?;
    let state = match &online {
        Some(o) => online::item_state(&st.db, id, o, st.clock.now()).await?,
        None => None,
    };
    Ok(ActivityOnline {
        activity_id: id,
        online,
        state: state.map(|s| s.0.as_str().to_string()),
        starts_at: state.map(|s| time::fmt(s.1)),
        ends_at: state.map(|s| time::fmt(s.2)),
    })
}
