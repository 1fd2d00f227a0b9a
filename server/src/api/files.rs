//! Uploading images and serving them back. The upload body is the raw image; the outer
//! middleware gives this one route its own body limit (`storage.max_upload_bytes`).

use super::ApiTags;
use crate::access::Action;
use crate::error::ApiError;
use crate::files::{self, Visibility};
use crate::images::Limits;
use crate::state::{ctx, AppState};
use poem::web::Data;
use poem::{Request, Result};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::registry::{
    MetaMediaType, MetaRequest, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions, Object, OpenApi};

pub struct FilesApi;

/// The path of the upload route, which gets its own body limit in `app::outer`.
pub const UPLOAD_PATH: &str = "/api/v1/files";

const ACCEPTED: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

fn binary_schema() -> MetaSchemaRef {
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        format: Some("binary"),
        ..MetaSchema::new("string")
    }))
}

/// The raw bytes of an uploaded image. Whatever `Content-Type` says, the format is decided
/// by the bytes themselves (`images::sniff`).
pub struct ImageUpload(pub Vec<u8>);

impl<'a> ApiExtractor<'a> for ImageUpload {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: Some("The image itself (JPEG, PNG or WebP), not a form."),
            content: ACCEPTED
                .iter()
                .map(|ct| MetaMediaType {
                    content_type: ct,
                    schema: binary_schema(),
                })
                .collect(),
            required: true,
        })
    }

    async fn from_request(
        _request: &'a Request,
        body: &mut poem::RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> Result<Self> {
        let bytes = body
            .take()?
            .into_vec()
            .await
            .map_err(|_| ApiError::bad_request("invalid_body", "图片内容读取失败"))?;
        Ok(ImageUpload(bytes))
    }
}

/// A file's bytes with the headers that keep them safe and cacheable.
pub struct FileBytes {
    bytes: Vec<u8>,
    content_type: String,
    visibility: Visibility,
}

impl poem::IntoResponse for FileBytes {
    fn into_response(self) -> poem::Response {
        // Public files never change under their URL; staff files must not linger in caches.
        let cache = match self.visibility {
            Visibility::Public => "public, max-age=31536000, immutable",
            Visibility::Staff => "private, no-store",
        };
        poem::Response::builder()
            .content_type(self.content_type)
            .header("cache-control", cache)
            .header("x-content-type-options", "nosniff")
            .header("content-disposition", "inline")
            .body(self.bytes)
    }
}

impl poem_openapi::ApiResponse for FileBytes {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The image (JPEG or PNG as stored).",
                status: Some(200),
                status_range: None,
                content: ["image/jpeg", "image/png"]
                    .iter()
                    .map(|ct| MetaMediaType {
                        content_type: ct,
                        schema: binary_schema(),
                    })
                    .collect(),
                headers: vec![],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}

#[derive(Object)]
struct UploadedFile {
    id: i64,
    /// Where to read the image: `/api/v1/files/{id}`.
    url: String,
    /// Where to read its thumbnail: `/api/v1/files/{id}/thumb`.
    thumb_url: String,
    width: i64,
    height: i64,
    /// Size of the stored (re-encoded) image.
    bytes: i64,
    /// `image/jpeg` or `image/png`, as stored.
    content_type: String,
    visibility: Visibility,
}

async fn serve(st: &AppState, req: &Request, id: i64, thumb: bool) -> Result<FileBytes> {
    let meta = files::get(&st.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("文件"))?;
    if meta.visibility == Visibility::Staff {
        let caller = st.caller(req).await?;
        st.authorize(req, &caller, Action::ReadActivityData, &meta.unit())
            .await?;
    }
    let (bytes, content_type) = files::read(&st.storage, &meta, thumb).await?;
    Ok(FileBytes {
        bytes,
        content_type,
        visibility: meta.visibility,
    })
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Files")]
impl FilesApi {
    /// Upload an image (staff who may run the unit's activities). The body is the image itself
    /// (JPEG, PNG or WebP, recognised by its content); it is re-encoded without metadata
    /// (EXIF/GPS), turned upright, scaled to fit `max_edge_px` and given a thumbnail. Attach
    /// the answered `id` to your object.
    #[oai(path = "/files", method = "post", operation_id = "file_upload")]
    async fn upload(
        &self,
        st: Data<&AppState>,
        req: &Request,
        /// The unit the file belongs to: decides who may read a staff file.
        unit_id: Query<i64>,
        /// `public` (anyone may read it) or `staff` (staff of the unit's line only).
        visibility: Query<Visibility>,
        body: ImageUpload,
    ) -> Result<Json<UploadedFile>> {
        let caller = st.caller(req).await?;
        st.limit(
            &format!("user:{}:upload", caller.user_id),
            st.settings.storage.uploads_per_minute,
        )
        .await?;
        let unit = st
            .authorize_unit(req, &caller, Action::UploadFiles, unit_id.0)
            .await?;
        let c = ctx(req);
        let meta = files::store_image(
            &st.db,
            &st.storage,
            &Limits::from_settings(&st.settings.storage),
            &unit,
            visibility.0,
            body.0,
            &files::Uploader {
                user_id: caller.user_id,
                ip: &c.ip,
                request_id: &c.request_id,
            },
            &st.now(),
        )
        .await?;
        Ok(Json(UploadedFile {
            id: meta.id,
            url: meta.url(),
            thumb_url: meta.thumb_url().unwrap_or_default(),
            width: meta.width.unwrap_or(0),
            height: meta.height.unwrap_or(0),
            bytes: meta.bytes,
            content_type: meta.content_type,
            visibility: meta.visibility,
        }))
    }

    /// The image. Public files: anyone, cached for a year. Staff files: staff who may read the
    /// unit's activity data, never cached.
    #[oai(path = "/files/:id", method = "get", operation_id = "file_get")]
    async fn get(&self, st: Data<&AppState>, req: &Request, id: Path<i64>) -> Result<FileBytes> {
        serve(&st, req, id.0, false).await
    }

    /// The image's thumbnail (320 px on the long side by default), under the same rules.
    #[oai(path = "/files/:id/thumb", method = "get", operation_id = "file_thumb")]
    async fn thumb(&self, st: Data<&AppState>, req: &Request, id: Path<i64>) -> Result<FileBytes> {
        serve(&st, req, id.0, true).await
    }
}
