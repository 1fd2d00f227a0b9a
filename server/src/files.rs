//! Uploaded files: images staff upload for posters, room and team photos, session evidence,
//! covers. An upload is validated and re-encoded (`images`), its original and thumbnail put in
//! the blob store (`storage`) under unguessable keys, and one `files` row records what it is,
//! which unit it belongs to and who may read it: `public` files anyone, `staff` files those
//! with `ReadActivityData` on the unit. Other domains keep file ids and check them with
//! `for_attachment`; they never touch keys or bytes.

use crate::access::{self, Action, Caller, UnitRef};
use crate::audit;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::images::{self, ImageError, Limits};
use crate::storage::{self, BlobStore};
use poem::http::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Visibility {
    /// Anyone may read it, signed in or not (posters, room and team photos, covers).
    Public,
    /// Only staff who may read the unit's activity data (evidence photos, ledgers).
    Staff,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Staff => "staff",
        }
    }
    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "public" => Some(Visibility::Public),
            "staff" => Some(Visibility::Staff),
            _ => None,
        }
    }
}

/// A file as the `files` table knows it.
#[derive(Debug, Clone)]
pub struct FileMeta {
    pub id: i64,
    pub storage_key: String,
    pub content_type: String,
    pub bytes: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub sha256: String,
    pub unit_id: i64,
    /// Materialised path of the unit, for access checks.
    pub unit_path: String,
    pub visibility: Visibility,
    pub uploaded_by: Option<i64>,
    pub created_at: String,
    pub thumb_key: Option<String>,
    pub thumb_content_type: Option<String>,
}

impl FileMeta {
    pub fn unit(&self) -> UnitRef {
        UnitRef {
            id: self.unit_id,
            path: self.unit_path.clone(),
        }
    }
    pub fn url(&self) -> String {
        format!("/api/v1/files/{}", self.id)
    }
    pub fn thumb_url(&self) -> Option<String> {
        self.thumb_key
            .as_ref()
            .map(|_| format!("/api/v1/files/{}/thumb", self.id))
    }
}

/// Who uploads, for the audit trail.
pub struct Uploader<'a> {
    pub user_id: i64,
    pub ip: &'a str,
    pub request_id: &'a str,
}

/// Image decoding is memory- and CPU-heavy: at most two at a time per process, so a burst
/// of uploads queues instead of exhausting memory (a 40-megapixel image decodes to 160 MB).
static IMAGE_JOBS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

impl From<ImageError> for ApiError {
    fn from(e: ImageError) -> Self {
        let msg = e.to_string();
        match e {
            ImageError::Empty => unprocessable("image_empty", msg),
            ImageError::TooLarge { limit } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("图片太大，最大 {}", human_bytes(limit)),
            )
            .with_details(serde_json::json!({ "max_bytes": limit })),
            ImageError::Unsupported => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_image_type",
                msg,
            ),
            ImageError::TooManyPixels {
                width,
                height,
                limit,
            } => unprocessable("image_too_many_pixels", msg).with_details(
                serde_json::json!({ "width": width, "height": height, "max_pixels": limit }),
            ),
            ImageError::Invalid(why) => {
                tracing::info!(error = %why, "undecodable image refused");
                unprocessable("image_invalid", msg)
            }
        }
    }
}

fn unprocessable(code: &'static str, msg: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
}

/// `8 MB`, `512 KB`.
pub fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MB", n >> 20)
    } else if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / (1 << 20) as f64)
    } else {
        format!("{} KB", n.div_ceil(1024))
    }
}

/// Validates and re-encodes an uploaded image, puts the original and its thumbnail in the
/// store, and records the file (with an audit entry) — all or nothing: a refused image puts
/// nothing anywhere, and a failed insert removes the blobs it put.
#[allow(clippy::too_many_arguments)]
pub async fn store_image(
    db: &Db,
    store: &BlobStore,
    limits: &Limits,
    unit: &UnitRef,
    visibility: Visibility,
    bytes: Vec<u8>,
    who: &Uploader<'_>,
    now: &str,
) -> ApiResult<FileMeta> {
    let processed = {
        let _permit = IMAGE_JOBS
            .acquire()
            .await
            .map_err(|_| ApiError::unavailable())?;
        let limits = *limits;
        tokio::task::spawn_blocking(move || images::process(&bytes, &limits))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "image processing task failed");
                ApiError::internal()
            })??
    };
    let original = processed.original;
    let thumb = processed.thumb;
    let key = storage::random_key(original.ext);
    let stem = key.rsplit_once('.').map(|(s, _)| s).unwrap_or(&key);
    let thumb_key = format!("{stem}-thumb.{}", thumb.ext);
    let sha256 = hex::encode(Sha256::digest(&original.bytes));

    store
        .put(&key, &original.bytes, original.content_type)
        .await?;
    if let Err(e) = store
        .put(&thumb_key, &thumb.bytes, thumb.content_type)
        .await
    {
        remove_blobs(store, &[&key]).await;
        return Err(e.into());
    }
    let inserted = async {
        let mut tx = db.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO files (storage_key, content_type, bytes, width, height, sha256, unit_id, \
             visibility, uploaded_by, created_at, thumb_key, thumb_content_type) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id",
        )
        .bind(&key)
        .bind(original.content_type)
        .bind(original.bytes.len() as i64)
        .bind(i64::from(original.width))
        .bind(i64::from(original.height))
        .bind(&sha256)
        .bind(unit.id)
        .bind(visibility.as_str())
        .bind(who.user_id)
        .bind(now)
        .bind(&thumb_key)
        .bind(thumb.content_type)
        .fetch_one(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            now,
            audit::Entry {
                actor_id: Some(who.user_id),
                action: "file_upload",
                unit_id: Some(unit.id),
                target: format!("file {id}"),
                detail: format!(
                    "{} {} {}x{} {} bytes",
                    visibility.as_str(),
                    original.content_type,
                    original.width,
                    original.height,
                    original.bytes.len()
                ),
                ip: who.ip,
                request_id: who.request_id,
            },
        )
        .await?;
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    }
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e) => {
            remove_blobs(store, &[&key, &thumb_key]).await;
            return Err(e.into());
        }
    };
    Ok(FileMeta {
        id,
        storage_key: key,
        content_type: original.content_type.into(),
        bytes: original.bytes.len() as i64,
        width: Some(original.width.into()),
        height: Some(original.height.into()),
        sha256,
        unit_id: unit.id,
        unit_path: unit.path.clone(),
        visibility,
        uploaded_by: Some(who.user_id),
        created_at: now.into(),
        thumb_key: Some(thumb_key),
        thumb_content_type: Some(thumb.content_type.into()),
    })
}

async fn remove_blobs(store: &BlobStore, keys: &[&str]) {
    for k in keys {
        if let Err(e) = store.delete(k).await {
            tracing::warn!(key = %k, error = %e, "could not remove the blob of a failed upload");
        }
    }
}

/// The file's row, with its unit's path.
pub async fn get(db: &Db, id: i64) -> ApiResult<Option<FileMeta>> {
    let row = sqlx::query(
        "SELECT f.id, f.storage_key, f.content_type, f.bytes, f.width, f.height, f.sha256, \
                f.unit_id, u.path, f.visibility, f.uploaded_by, f.created_at, f.thumb_key, \
                f.thumb_content_type \
         FROM files f JOIN org_units u ON u.id = f.unit_id WHERE f.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| FileMeta {
        id: r.get("id"),
        storage_key: r.get("storage_key"),
        content_type: r.get("content_type"),
        bytes: r.get("bytes"),
        width: r.get("width"),
        height: r.get("height"),
        sha256: r.get("sha256"),
        unit_id: r.get("unit_id"),
        unit_path: r.get("path"),
        visibility: Visibility::parse(r.get::<String, _>("visibility").as_str())
            .unwrap_or(Visibility::Staff),
        uploaded_by: r.get("uploaded_by"),
        created_at: r.get("created_at"),
        thumb_key: r.get("thumb_key"),
        thumb_content_type: r.get("thumb_content_type"),
    }))
}

/// The stored bytes of a file or of its thumbnail, with their content type. A row whose blob
/// has gone missing is logged and answered as not found.
pub async fn read(store: &BlobStore, meta: &FileMeta, thumb: bool) -> ApiResult<(Vec<u8>, String)> {
    let (key, ct) = if thumb {
        match (&meta.thumb_key, &meta.thumb_content_type) {
            (Some(k), Some(ct)) => (k.as_str(), ct.clone()),
            _ => return Err(ApiError::not_found("缩略图")),
        }
    } else {
        (meta.storage_key.as_str(), meta.content_type.clone())
    };
    match store.get(key).await {
        Ok(b) => Ok((b, ct)),
        Err(storage::StorageError::NotFound) => {
            tracing::error!(file_id = meta.id, key, "file row without its blob");
            Err(ApiError::not_found("文件"))
        }
        Err(e) => Err(e.into()),
    }
}

/// For other domains attaching a file to their object (an activity's poster, a session's
/// evidence, a room's photos): the file must exist, have the expected visibility, and belong
/// to a unit where the caller may upload files — so nobody attaches a file they could not
/// have uploaded themselves. Answers 422 with `file_unusable` otherwise.
pub async fn for_attachment(
    db: &Db,
    caller: &Caller,
    file_id: i64,
    visibility: Visibility,
) -> ApiResult<FileMeta> {
    let unusable =
        |why: &str| unprocessable("file_unusable", format!("文件 {file_id} 不能使用：{why}"));
    let meta = get(db, file_id)
        .await?
        .ok_or_else(|| unusable("文件不存在"))?;
    if meta.visibility != visibility {
        return Err(unusable(match visibility {
            Visibility::Public => "这里需要公开文件（visibility=public）",
            Visibility::Staff => "这里需要仅工作人员可见的文件（visibility=staff）",
        }));
    }
    if access::check(caller, Action::UploadFiles, &meta.unit()).is_err() {
        return Err(unusable("文件属于您无权管理的单位"));
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_bytes(8 << 20), "8 MB");
        assert_eq!(human_bytes(1536 * 1024), "1.5 MB");
        assert_eq!(human_bytes(256 * 1024), "256 KB");
    }
}
