//! Where uploaded files' bytes live: a local directory (the embedded default) or an
//! S3-compatible object store, chosen by the `[storage]` settings. Callers see three
//! operations on opaque keys — put, get, delete — and one error type; which files exist and
//! who may read them is the `files` table's business, not the store's.

pub mod fake;
pub mod local;
pub mod s3;
pub mod sigv4;

use crate::config::StorageSettings;
use crate::error::ApiError;
use poem::http::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("对象不存在")]
    NotFound,
    /// The store answered and refused (wrong credentials, unknown bucket, denied): a
    /// configuration problem an administrator must fix; retrying does not help.
    #[error("存储服务拒绝了请求: {0}")]
    Rejected(String),
    /// The store could not be reached or failed (network, timeout, full disk): may pass.
    #[error("存储服务暂不可用: {0}")]
    Unavailable(String),
    #[error("无效的存储键: {0}")]
    BadKey(String),
}

/// Handlers answer storage failures as 502 (refused: fix the configuration) or 503 (down:
/// try again), never 500, and never with the store's own message in the body.
impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => ApiError::not_found("文件"),
            StorageError::Rejected(why) => {
                tracing::error!(error = %why, "file storage refused a request");
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "storage_failed",
                    "文件存储服务拒绝了请求，请联系管理员检查存储配置",
                )
            }
            StorageError::Unavailable(why) => {
                tracing::error!(error = %why, "file storage unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "文件存储暂时不可用，请稍后再试",
                )
            }
            StorageError::BadKey(k) => {
                tracing::error!(key = %k, "invalid storage key");
                ApiError::internal()
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageOpenError {
    #[error("存储配置无效: {0}")]
    Invalid(String),
}

/// The configured store. Cheap to clone.
#[derive(Clone)]
pub enum BlobStore {
    Local(local::LocalStore),
    S3(s3::S3Store),
}

impl BlobStore {
    pub fn open(s: &StorageSettings, database_url: &str) -> Result<BlobStore, StorageOpenError> {
        match s.backend.as_str() {
            "local" => Ok(BlobStore::Local(local::LocalStore::new(
                s.local_dir(database_url),
            ))),
            "s3" => s3::S3Store::new(&s.s3)
                .map(BlobStore::S3)
                .map_err(StorageOpenError::Invalid),
            other => Err(StorageOpenError::Invalid(format!(
                "未知的存储类型 {other}（应为 local 或 s3）"
            ))),
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            BlobStore::Local(_) => "local",
            BlobStore::S3(_) => "s3",
        }
    }

    pub async fn put(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> Result<(), StorageError> {
        check_key(key)?;
        match self {
            BlobStore::Local(l) => l.put(key, bytes).await,
            BlobStore::S3(s) => s.put(key, bytes, content_type).await,
        }
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        check_key(key)?;
        match self {
            BlobStore::Local(l) => l.get(key).await,
            BlobStore::S3(s) => s.get(key).await,
        }
    }

    /// Deleting a key that does not exist succeeds (as on S3).
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        check_key(key)?;
        match self {
            BlobStore::Local(l) => l.delete(key).await,
            BlobStore::S3(s) => s.delete(key).await,
        }
    }
}

/// Keys are ours, never a client's: lower-case letters, digits, `/`, `_`, `-` and `.`, no
/// empty or dot-only segments, so a key can never leave the local directory or need escaping.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 200
        && key.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'/' | b'_' | b'-' | b'.')
        })
        && key
            .split('/')
            .all(|seg| !seg.is_empty() && seg.bytes().any(|b| b != b'.'))
}

fn check_key(key: &str) -> Result<(), StorageError> {
    if valid_key(key) {
        Ok(())
    } else {
        Err(StorageError::BadKey(key.to_string()))
    }
}

/// A fresh unguessable key: 128 random bits, fanned out by the first two hex digits so no
/// directory grows past a few thousand entries (`3f/3f9a…e1.jpg`).
pub fn random_key(ext: &str) -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let id = hex::encode(b);
    format!("{}/{id}.{ext}", &id[..2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape() {
        assert!(valid_key("3f/3f9a.jpg"));
        assert!(valid_key(&random_key("jpg")));
        for bad in [
            "",
            "../etc/passwd",
            "a/../b",
            "/abs",
            "a//b",
            "A.jpg",
            "a b",
            "a/./b",
            "a\\b",
            "a/",
            ".",
        ] {
            assert!(!valid_key(bad), "{bad}");
        }
        assert_ne!(random_key("png"), random_key("png"));
    }
}
