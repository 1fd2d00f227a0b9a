//! Files in a directory on this machine (the embedded default: `data/files` next to the
//! SQLite file). Writes go to a temporary name and are renamed into place, so a reader never
//! sees half a file and a crash leaves at most a stray `.tmp-*` file.

use super::StorageError;
use std::io::Write;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct LocalStore {
    root: PathBuf,
}

fn io_err(e: std::io::Error) -> StorageError {
    StorageError::Unavailable(e.to_string())
}

impl LocalStore {
    pub fn new(root: PathBuf) -> LocalStore {
        LocalStore { root }
    }

    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    /// Keys are checked by `BlobStore` (`valid_key`): relative, no `..`.
    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    pub async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StorageError> {
        let path = self.path(key);
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let dir = path.parent().expect("keys have a parent directory");
            std::fs::create_dir_all(dir)?;
            let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
            let written = (|| {
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(&bytes)?;
                f.sync_all()?;
                std::fs::rename(&tmp, &path)
            })();
            if written.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            written
        })
        .await
        .map_err(|e| StorageError::Unavailable(e.to_string()))?
        .map_err(io_err)
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        match tokio::fs::read(self.path(key)).await {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::NotFound),
            Err(e) => Err(io_err(e)),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_delete_in_a_fresh_directory() {
        let root = std::env::temp_dir().join(format!("ch-local-{}", uuid::Uuid::new_v4().simple()));
        let store = LocalStore::new(root.join("not/yet/there"));
        store.put("ab/abc.jpg", b"bytes").await.unwrap();
        assert_eq!(store.get("ab/abc.jpg").await.unwrap(), b"bytes");
        store.put("ab/abc.jpg", b"other").await.unwrap();
        assert_eq!(store.get("ab/abc.jpg").await.unwrap(), b"other");
        store.delete("ab/abc.jpg").await.unwrap();
        assert!(matches!(
            store.get("ab/abc.jpg").await,
            Err(StorageError::NotFound)
        ));
        store.delete("ab/abc.jpg").await.unwrap();
        // No temporary files left behind.
        let left: Vec<_> = std::fs::read_dir(root.join("not/yet/there/ab"))
            .unwrap()
            .collect();
        assert!(left.is_empty());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
