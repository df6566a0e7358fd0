//! Content-addressed blob files: code and layer zips stored under their hex SHA-256 at
//! `<root>/<first 2 hex>/<sha256 hex>`. A blob appears whole or not at all (written to a
//! temporary file in its final directory, synced, renamed into place, directory synced), so
//! a file that exists under a key always holds the bytes of that key; temporaries left by a
//! killed writer are swept at open. This module knows nothing of which records reference a
//! blob; collecting unreferenced blobs is not done yet.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::{StoreError, blob_key};

/// How temporary files start; no key does (keys are hex).
const TEMP_PREFIX: &str = ".tmp-";
/// A temporary file this old is left over from a crash: a `put` takes far less.
const STALE_TEMPORARY: Duration = Duration::from_secs(3600);

/// Distinguishes temporary files written by threads of one process; the pid in the name
/// distinguishes processes.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A directory of content-addressed blobs.
#[derive(Debug, Clone)]
pub(crate) struct BlobDir {
    root: PathBuf,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// True for the 64 lowercase hex digits `blob_key` produces. Anything else never names a
/// blob, and must not reach a path join (a `..` would leave the blob directory).
fn is_key(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Makes the entries of `dir` (a created or renamed file) durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

impl BlobDir {
    /// Opens (creating if needed) the blob directory at `root`.
    /// Opens (creating if needed) the blob directory at `root`, removing temporary files
    /// that writers killed mid-`put` left behind.
    pub(crate) fn open(root: PathBuf) -> Result<Self, StoreError> {
        fs::create_dir_all(&root).map_err(io_err(&root))?;
        let blobs = Self { root };
        blobs.sweep_temporaries(STALE_TEMPORARY)?;
        Ok(blobs)
    }

    /// Removes `.tmp-*` files older than `min_age`. Younger ones may belong to a writer in
    /// another process sharing this directory, so they are left alone.
    fn sweep_temporaries(&self, min_age: Duration) -> Result<(), StoreError> {
        let now = SystemTime::now();
        for shard in fs::read_dir(&self.root).map_err(io_err(&self.root))? {
            let shard = shard.map_err(io_err(&self.root))?.path();
            if !shard.is_dir() {
                continue;
            }
            for entry in fs::read_dir(&shard).map_err(io_err(&shard))? {
                let entry = entry.map_err(io_err(&shard))?;
                if !entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                    continue;
                }
                let path = entry.path();
                let modified = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .map_err(io_err(&path))?;
                let age = now.duration_since(modified).unwrap_or_default();
                if age >= min_age {
                    fs::remove_file(&path).map_err(io_err(&path))?;
                }
            }
        }
        Ok(())
    }

    /// Where the blob `key` lives. A malformed key maps to a name that is never written.
    pub(crate) fn path(&self, key: &str) -> PathBuf {
        if is_key(key) {
            self.root.join(&key[..2]).join(key)
        } else {
            self.root.join("not-a-blob-key")
        }
    }

    /// Stores `bytes` durably and returns their key; a no-op if the key exists.
    pub(crate) fn put(&self, bytes: &[u8]) -> Result<String, StoreError> {
        let key = blob_key(bytes);
        let target = self.path(&key);
        let shard = self.root.join(&key[..2]);
        if target.exists() {
            // Another writer may have renamed it into place and not yet synced the
            // directory; sync it before acknowledging, as if this call had written it.
            sync_dir(&shard)?;
            return Ok(key);
        }
        if !shard.exists() {
            fs::create_dir_all(&shard).map_err(io_err(&shard))?;
            // The new shard directory's own entry must survive a crash too.
            sync_dir(&self.root)?;
        }
        let temp = shard.join(format!(
            "{TEMP_PREFIX}{key}-{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = write_synced(&temp, bytes).and_then(|()| {
            // rename(2) replaces atomically, so a concurrent writer of the same key (same
            // bytes) is harmless.
            fs::rename(&temp, &target).map_err(io_err(&target))
        });
        if let Err(e) = written {
            // Best effort: the temporary file is garbage either way; the first error is
            // the one worth reporting.
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        sync_dir(&shard)?;
        Ok(key)
    }

    /// The bytes stored under `key`, or `None`.
    pub(crate) fn read(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if !is_key(key) {
            return Ok(None);
        }
        let path = self.path(key);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path)(e)),
        }
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_err(path))?;
    file.write_all(bytes).map_err(io_err(path))?;
    file.sync_all().map_err(io_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_lands_in_its_shard_without_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobDir::open(dir.path().join("blobs")).unwrap();
        let key = blobs.put(b"zip bytes").unwrap();
        let shard = dir.path().join("blobs").join(&key[..2]);
        let names: Vec<_> = fs::read_dir(&shard)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, std::slice::from_ref(&key));
        assert_eq!(fs::read(shard.join(&key)).unwrap(), b"zip bytes");
        assert_eq!(blobs.path(&key), shard.join(&key));
    }

    #[test]
    fn malformed_keys_never_escape_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobDir::open(dir.path().join("blobs")).unwrap();
        fs::write(dir.path().join("secret"), b"x").unwrap();
        for key in ["../secret", "", "AB", &"A".repeat(64), &"0".repeat(63)] {
            assert_eq!(blobs.read(key).unwrap(), None, "{key:?}");
            assert!(blobs.path(key).starts_with(dir.path().join("blobs")));
        }
    }

    #[test]
    fn stale_temporaries_are_swept_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("blobs");
        let blobs = BlobDir::open(root.clone()).unwrap();
        let key = blobs.put(b"keep me").unwrap();
        let shard = root.join(&key[..2]);
        let stale = shard.join(format!("{TEMP_PREFIX}{key}-1-0"));
        let fresh = shard.join(format!("{TEMP_PREFIX}{key}-2-0"));
        fs::write(&stale, b"half").unwrap();
        fs::write(&fresh, b"half").unwrap();
        let old = SystemTime::now() - Duration::from_secs(2 * 3600);
        File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(old)
            .unwrap();
        drop(BlobDir::open(root).unwrap());
        assert!(!stale.exists());
        assert!(fresh.exists());
        assert_eq!(blobs.read(&key).unwrap(), Some(b"keep me".to_vec()));
    }

    #[test]
    fn existing_blob_is_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobDir::open(dir.path().join("blobs")).unwrap();
        let key = blobs.put(b"same").unwrap();
        let before = fs::metadata(blobs.path(&key)).unwrap();
        assert_eq!(blobs.put(b"same").unwrap(), key);
        let after = fs::metadata(blobs.path(&key)).unwrap();
        use std::os::unix::fs::MetadataExt;
        // Same inode: the second put did not write and rename a new file.
        assert_eq!(before.ino(), after.ino());
    }
}
