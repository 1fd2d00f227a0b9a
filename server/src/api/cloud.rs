//! The culture-cloud connection for staff: the send log, a push now, the file export.
//! All three are about the whole network, so they are authorized at the root unit: the main
//! center (and, for reading, the district's supervisors).

use super::ApiTags;
use crate::access::{Action, Caller, UnitRef};
use crate::cloud::{self, SendLogItem};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::Query;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};

pub struct CloudApi;

#[derive(Object)]
struct SendLog {
    /// Whether an endpoint is configured (`cloud.endpoint`); without one only the export works.
    enabled: bool,
    target: String,
    items: Vec<SendLogItem>,
}

#[derive(Object)]
struct PushQueued {
    /// The send-log row of this push; the worker sends it within seconds.
    id: i64,
}

#[derive(ApiResponse)]
enum ExportFile {
    /// The snapshot (an object, documented field by field in docs/culture-cloud.md).
    #[oai(status = 200, content_type = "application/json; charset=utf-8")]
    Json(
        Json<serde_json::Value>,
        #[oai(header = "content-disposition")] String,
        #[oai(header = "cache-control")] String,
    ),
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Csv(
        Binary<Vec<u8>>,
        #[oai(header = "content-disposition")] String,
        #[oai(header = "cache-control")] String,
    ),
}

async fn at_root(
    st: &AppState,
    req: &Request,
    caller: &Caller,
    action: Action,
) -> ApiResult<UnitRef> {
    let root = crate::org::root(&st.db)
        .await?
        .ok_or_else(|| ApiError::not_found("总馆"))?;
    st.authorize(req, caller, action, &root).await?;
    Ok(root)
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Stats")]
impl CloudApi {
    /// The culture-cloud send log (文化云上报记录): the latest pushes, newest first, with
    /// attempts and the receiver's last answer.
    #[oai(path = "/cloud/pushes", method = "get", operation_id = "cloud_sends")]
    async fn sends(
        &self,
        st: Data<&AppState>,
        req: &Request,
        /// At most this many (default 50, up to 200).
        limit: Query<Option<i64>>,
    ) -> Result<Json<SendLog>> {
        let caller = st.caller(req).await?;
        at_root(&st, req, &caller, Action::ReadCloudLog).await?;
        let limit = limit.0.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(ApiError::validation("limit 应在 1–200 之间")
                .with_details(serde_json::json!({"param": "limit"}))
                .into());
        }
        Ok(Json(SendLog {
            enabled: cloud::enabled(&st.settings.cloud),
            target: st.settings.cloud.target.clone(),
            items: cloud::send_log(&st.db, limit).await?,
        }))
    }

    /// Push a snapshot to the culture cloud now (立即上报). `409 cloud_not_configured` when no
    /// endpoint is configured.
    #[oai(path = "/cloud/pushes", method = "post", operation_id = "cloud_push")]
    async fn push(&self, st: Data<&AppState>, req: &Request) -> Result<Json<PushQueued>> {
        let caller = st.caller(req).await?;
        let root = at_root(&st, req, &caller, Action::ManageCloud).await?;
        if !cloud::enabled(&st.settings.cloud) {
            return Err(ApiError::conflict(
                "cloud_not_configured",
                "尚未配置文化云上报地址，请使用导出文件手动上传",
            )
            .into());
        }
        let key = format!("manual:{}", uuid::Uuid::new_v4().simple());
        let id = cloud::enqueue(
            &st.db,
            &st.settings.cloud,
            &key,
            Some(caller.user_id),
            st.clock.now(),
        )
        .await?
        .ok_or_else(ApiError::internal)?;
        st.record_action(
            req,
            &caller,
            "cloud_push",
            Some(root.id),
            format!("cloud_outbox {id}"),
            st.settings.cloud.target.clone(),
        )
        .await?;
        Ok(Json(PushQueued { id }))
    }

    /// The snapshot as a file for manual upload (导出上报文件): the whole snapshot as JSON, or
    /// one table (`venues`, `rooms`, `sessions`) as CSV. Fields: docs/culture-cloud.md.
    #[oai(path = "/cloud/export", method = "get", operation_id = "cloud_export")]
    async fn export(
        &self,
        st: Data<&AppState>,
        req: &Request,
        /// `json` (default) or `csv`.
        format: Query<Option<String>>,
        /// For CSV: `venues`, `rooms` or `sessions` (default).
        table: Query<Option<String>>,
    ) -> Result<ExportFile> {
        let caller = st.caller(req).await?;
        at_root(&st, req, &caller, Action::ReadCloudLog).await?;
        let now = st.clock.now();
        let day = (now + chrono::Duration::hours(8)).format("%Y%m%d");
        let snap = cloud::snapshot(&st.db, now).await?;
        match format.0.as_deref().unwrap_or("json") {
            "json" => {
                let body = serde_json::to_value(&snap).map_err(|_| ApiError::internal())?;
                Ok(ExportFile::Json(
                    Json(body),
                    format!("attachment; filename=\"culture-cloud-{day}.json\""),
                    "private, no-store".into(),
                ))
            }
            "csv" => {
                let t = table.0.unwrap_or_else(|| "sessions".into());
                if !cloud::CSV_TABLES.contains(&t.as_str()) {
                    return Err(
                        ApiError::validation("table 只能是 venues、rooms 或 sessions")
                            .with_details(
                                serde_json::json!({"param": "table", "allowed": cloud::CSV_TABLES}),
                            )
                            .into(),
                    );
                }
                Ok(ExportFile::Csv(
                    Binary(cloud::csv_table(&snap, &t)?),
                    format!("attachment; filename=\"culture-cloud-{t}-{day}.csv\""),
                    "private, no-store".into(),
                ))
            }
            _ => Err(ApiError::new(
                poem::http::StatusCode::UNPROCESSABLE_ENTITY,
                "feed_format_invalid",
                "格式只能是 json 或 csv",
            )
            .into()),
        }
    }
}
