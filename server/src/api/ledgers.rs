//! Ledgers (台账): the yearly or monthly workbook and its completeness, within the caller's
//! scope, and the photos (evidence) staff attach to held sessions.

use super::{ApiTags, Done};
use crate::access::Action;
use crate::evidence::{self, Completeness, Evidence};
use crate::export;
use crate::ledger::{self, Period};
use crate::state::{ctx, AppState};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};

pub struct LedgersApi;
pub struct EvidenceApi;

#[derive(ApiResponse)]
pub enum Xlsx {
    #[oai(
        status = 200,
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )]
    File(
        Binary<poem::Body>,
        #[oai(header = "content-disposition")] String,
        #[oai(header = "cache-control")] String,
    ),
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Stats")]
impl LedgersApi {
    /// The ledgers of a year or month as one workbook, a sheet per ledger, in my scope
    /// (optionally one unit and everything under it).
    #[oai(
        path = "/ledgers/workbook.xlsx",
        method = "get",
        operation_id = "ledger_workbook"
    )]
    async fn workbook(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
        /// China-time year; defaults to the current one.
        year: Query<Option<i32>>,
        /// `YYYY-MM`: one month instead of the year.
        month: Query<Option<String>>,
    ) -> Result<Xlsx> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ExportLedger, unit_id.0)
            .await?;
        let period = Period::from_query(year.0, month.0.as_deref(), st.clock.now())?;
        // Streamed (D216): the sheets are written as the queries return them, on a blocking
        // thread, into constant-memory worksheets; the zip then flows to the client in 64 KiB
        // chunks through bounded channels. Every query has succeeded before the 200 is sent, so a
        // database error is still an ordinary error answer.
        let (sheets, sheets_rx) = tokio::sync::mpsc::channel(1);
        let (chunks, chunks_rx) = tokio::sync::mpsc::channel(4);
        tokio::task::spawn_blocking(move || {
            let mut out = export::ChunkWriter::new(chunks);
            match export::xlsx_stream(sheets_rx, &mut out) {
                Ok(()) => {
                    let _ = out.finish();
                }
                Err(_) => out.abort(),
            }
        });
        ledger::workbook(
            &st.db,
            &scope,
            &under,
            &period,
            &st.clock.now_str(),
            st.settings.booking.checkin_opens_minutes,
            &sheets,
        )
        .await?;
        let body =
            poem::Body::from_bytes_stream(tokio_stream::wrappers::ReceiverStream::new(chunks_rx));
        Ok(Xlsx::File(
            Binary(body),
            format!("attachment; filename=\"ledger-{}.xlsx\"", period.label),
            "private, no-store".into(),
        ))
    }
}

#[derive(Object)]
struct NewEvidence {
    /// A staff-only image uploaded with `POST /api/v1/files?visibility=staff`.
    file_id: i64,
    /// What the photo shows, for the ledger.
    #[oai(validator(max_length = 200))]
    note: Option<String>,
}

#[derive(Object)]
struct EvidenceList {
    session_id: i64,
    /// Whether the session has been held (photos may be attached).
    held: bool,
    items: Vec<Evidence>,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Stats")]
impl EvidenceApi {
    /// The photos attached to a session (staff who may read the unit's activity data).
    #[oai(
        path = "/sessions/:id/evidence",
        method = "get",
        operation_id = "evidence_list"
    )]
    async fn list(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
    ) -> Result<Json<EvidenceList>> {
        let caller = st.caller(req).await?;
        let info = evidence::session(&st.db, id.0, &st.now()).await?;
        st.authorize(req, &caller, Action::ReadActivityData, &info.unit)
            .await?;
        Ok(Json(EvidenceList {
            session_id: id.0,
            held: info.held,
            items: evidence::list(&st.db, id.0).await?,
        }))
    }

    /// Attach an uploaded photo with a short note to a held session (staff who may run the
    /// unit's activities).
    #[oai(
        path = "/sessions/:id/evidence",
        method = "post",
        operation_id = "evidence_attach"
    )]
    async fn attach(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        body: Json<NewEvidence>,
    ) -> Result<Json<Evidence>> {
        let caller = st.caller(req).await?;
        let now = st.now();
        let info = evidence::session(&st.db, id.0, &now).await?;
        st.authorize(req, &caller, Action::UploadFiles, &info.unit)
            .await?;
        let c = ctx(req);
        Ok(Json(
            evidence::attach(
                &st.db,
                &caller,
                id.0,
                &info,
                body.0.file_id,
                body.0.note.as_deref().unwrap_or(""),
                &now,
                &c.ip,
                &c.request_id,
            )
            .await?,
        ))
    }

    /// Remove a photo from a session's evidence (kept in the audit trail).
    #[oai(
        path = "/sessions/:id/evidence/:evidence_id",
        method = "delete",
        operation_id = "evidence_remove"
    )]
    async fn remove(
        &self,
        st: Data<&AppState>,
        req: &Request,
        id: Path<i64>,
        evidence_id: Path<i64>,
    ) -> Result<Json<Done>> {
        let caller = st.caller(req).await?;
        let now = st.now();
        let info = evidence::session(&st.db, id.0, &now).await?;
        st.authorize(req, &caller, Action::UploadFiles, &info.unit)
            .await?;
        let c = ctx(req);
        evidence::remove(
            &st.db,
            caller.user_id,
            id.0,
            info.unit.id,
            evidence_id.0,
            &now,
            &c.ip,
            &c.request_id,
        )
        .await?;
        Ok(Json(Done { ok: true }))
    }

    /// Ledger completeness: per unit, held sessions and how many have photos, and the held
    /// sessions still missing them, for a China-time year or month, in my scope.
    #[oai(
        path = "/ledgers/completeness",
        method = "get",
        operation_id = "ledger_completeness"
    )]
    async fn completeness(
        &self,
        st: Data<&AppState>,
        req: &Request,
        unit_id: Query<Option<i64>>,
        year: Query<Option<i32>>,
        /// `YYYY-MM`: one month instead of the year.
        month: Query<Option<String>>,
    ) -> Result<Json<Completeness>> {
        let caller = st.caller(req).await?;
        let (scope, under) = st
            .scoped(req, &caller, Action::ExportLedger, unit_id.0)
            .await?;
        let period = Period::from_query(year.0, month.0.as_deref(), st.clock.now())?;
        Ok(Json(
            evidence::completeness(&st.db, &scope, &under, &period, &st.now()).await?,
        ))
    }
}
