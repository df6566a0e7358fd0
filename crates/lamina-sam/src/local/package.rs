//! Code and layer folders (or zip files) of a template turned into packages the engine runs:
//! zipped in memory, put in the in-memory store, and extracted by the engine once per content
//! under `<cache>/code/<sha256>`.
//!
//! Nothing is rebuilt when nothing changed: a cheap fingerprint (names, sizes, modes and
//! modification times, no file contents) is compared first; when it differs the content is
//! hashed, and an index `<cache>/packages/<content digest>` remembers which zip that content
//! became, so a later process whose engine already extracted it neither zips nor extracts
//! again. A layer shared by several functions is therefore extracted once and reused.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lamina_model::CodeRef;
use lamina_store::{MemoryStore, Store};
use sha2::{Digest, Sha256};

/// Deepest folder nesting followed (symlinked folders could otherwise loop).
const MAX_DEPTH: usize = 64;

/// Why a package could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The folder or zip does not exist.
    #[error("code path {0} does not exist (check CodeUri/ContentUri in the template)")]
    Missing(PathBuf),
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Zipping failed.
    #[error("zipping {path}: {reason}")]
    Zip {
        /// The folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The store refused the blob.
    #[error("storing the package of {path}: {reason}")]
    Store {
        /// The folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

fn io(path: &Path, source: std::io::Error) -> PackageError {
    PackageError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One file of a folder, as found by a walk.
struct Entry {
    /// Path inside the package, `/`-separated.
    name: String,
    /// Where it is on disk.
    path: PathBuf,
    /// Unix permission bits.
    mode: u32,
    /// Size in bytes.
    size: u64,
    /// Modification time, ns since the epoch.
    mtime_ns: i128,
    /// A folder (kept so empty folders survive).
    dir: bool,
}

/// The packages of one process, by source path.
pub struct Packages {
    index_dir: PathBuf,
    code_dir: PathBuf,
    store: Arc<MemoryStore>,
    known: Mutex<HashMap<PathBuf, ([u8; 32], CodeRef)>>,
}

impl Packages {
    /// Packages whose index lives in `<cache_dir>/packages` and whose extracted copies the
    /// engine keeps in `<cache_dir>/code`; zips go into `store`.
    pub fn new(cache_dir: &Path, store: Arc<MemoryStore>) -> Packages {
        Packages {
            index_dir: cache_dir.join("packages"),
            code_dir: cache_dir.join("code"),
            store,
            known: Mutex::new(HashMap::new()),
        }
    }

    /// The package of `source` (a folder or a zip file) as it is now. Blocking: call it off
    /// the async threads. Returns the same [`CodeRef`] while nothing under `source` changed.
    pub fn code_ref(&self, source: &Path) -> Result<CodeRef, PackageError> {
        let meta = std::fs::metadata(source).map_err(|_| PackageError::Missing(source.into()))?;
        let entries = if meta.is_dir() {
            let mut out = Vec::new();
            walk(source, "", 0, &mut out)?;
            out
        } else {
            vec![Entry {
                name: String::new(),
                path: source.to_path_buf(),
                mode: meta.permissions().mode(),
                size: meta.len(),
                mtime_ns: mtime_ns(&meta),
                dir: false,
            }]
        };
        let fingerprint = fingerprint(&entries);
        if let Some((fp, code)) = self.lock().get(source)
            && *fp == fingerprint
        {
            return Ok(code.clone());
        }
        let code = if meta.is_dir() {
            self.folder_package(source, &entries)?
        } else {
            self.zip_file_package(source)?
        };
        self.lock()
            .insert(source.to_path_buf(), (fingerprint, code.clone()));
        Ok(code)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, ([u8; 32], CodeRef)>> {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A zip file used as is: its own digest is the key.
    fn zip_file_package(&self, source: &Path) -> Result<CodeRef, PackageError> {
        let bytes = std::fs::read(source).map_err(|e| io(source, e))?;
        let sha: [u8; 32] = Sha256::digest(&bytes).into();
        let key = hex::encode(sha);
        if !self.code_dir.join(&key).is_dir() {
            self.put(source, &bytes)?;
        }
        Ok(code_ref(sha, bytes.len() as u64, 0))
    }

    /// A folder: hashed by content; zipped only when no earlier zip of that content is
    /// known to be extracted already.
    fn folder_package(&self, source: &Path, entries: &[Entry]) -> Result<CodeRef, PackageError> {
        let digest = content_digest(entries)?;
        let index = self.index_dir.join(hex::encode(digest));
        if let Some(code) = read_index(&index)
            && self.code_dir.join(&code.sha256_hex).is_dir()
        {
            return Ok(code);
        }
        let zip = zip_folder(source, entries)?;
        let sha: [u8; 32] = Sha256::digest(&zip).into();
        self.put(source, &zip)?;
        let unzipped: u64 = entries.iter().map(|e| e.size).sum();
        let code = code_ref(sha, zip.len() as u64, unzipped);
        write_index(&self.index_dir, &index, &code);
        Ok(code)
    }

    fn put(&self, source: &Path, bytes: &[u8]) -> Result<(), PackageError> {
        self.store
            .put_blob(bytes)
            .map(drop)
            .map_err(|e| PackageError::Store {
                path: source.to_path_buf(),
                reason: e.to_string(),
            })
    }
}

fn code_ref(sha: [u8; 32], size: u64, unzipped_size: u64) -> CodeRef {
    use base64::Engine;
    CodeRef {
        sha256_hex: hex::encode(sha),
        code_sha256: base64::engine::general_purpose::STANDARD.encode(sha),
        size,
        unzipped_size,
    }
}

fn mtime_ns(meta: &std::fs::Metadata) -> i128 {
    i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec())
}

/// Every file and folder under `dir`, sorted by name so digests are stable. Symlinks are
/// followed, as SAM CLI copies what they point to.
fn walk(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<Entry>) -> Result<(), PackageError> {
    if depth > MAX_DEPTH {
        return Err(PackageError::Zip {
            path: dir.to_path_buf(),
            reason: format!("folders nest deeper than {MAX_DEPTH} levels (a symlink loop?)"),
        });
    }
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let Some(name) = name.to_str() else {
            return Err(PackageError::Zip {
                path,
                reason: "file name is not UTF-8".into(),
            });
        };
        let meta = std::fs::metadata(&path).map_err(|e| io(&path, e))?;
        let rel = format!("{prefix}{name}");
        out.push(Entry {
            name: rel.clone(),
            path: path.clone(),
            mode: meta.permissions().mode(),
            size: if meta.is_dir() { 0 } else { meta.len() },
            mtime_ns: mtime_ns(&meta),
            dir: meta.is_dir(),
        });
        if meta.is_dir() {
            walk(&path, &format!("{rel}/"), depth + 1, out)?;
        }
    }
    Ok(())
}

fn fingerprint(entries: &[Entry]) -> [u8; 32] {
    let mut h = Sha256::new();
    for e in entries {
        h.update(e.name.as_bytes());
        h.update([0]);
        h.update(e.mode.to_le_bytes());
        h.update(e.size.to_le_bytes());
        h.update(e.mtime_ns.to_le_bytes());
    }
    h.finalize().into()
}

fn content_digest(entries: &[Entry]) -> Result<[u8; 32], PackageError> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    for e in entries {
        h.update(e.name.as_bytes());
        h.update([0, u8::from(e.dir)]);
        h.update((e.mode & 0o7777).to_le_bytes());
        if e.dir {
            continue;
        }
        let mut file = std::fs::File::open(&e.path).map_err(|err| io(&e.path, err))?;
        loop {
            let n = file.read(&mut buf).map_err(|err| io(&e.path, err))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        h.update([0xff]);
    }
    Ok(h.finalize().into())
}

/// The folder as a zip (stored, not deflated: it is unpacked on this machine right away),
/// keeping each file's permission bits so executables (`bootstrap`) stay executable.
fn zip_folder(source: &Path, entries: &[Entry]) -> Result<Vec<u8>, PackageError> {
    let zip_err = |reason: String| PackageError::Zip {
        path: source.to_path_buf(),
        reason,
    };
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for e in entries {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(e.size >= u64::from(u32::MAX))
            .unix_permissions(e.mode & 0o777);
        if e.dir {
            w.add_directory(format!("{}/", e.name), opts)
                .map_err(|err| zip_err(err.to_string()))?;
            continue;
        }
        w.start_file(e.name.as_str(), opts)
            .map_err(|err| zip_err(err.to_string()))?;
        let mut file = std::fs::File::open(&e.path).map_err(|err| io(&e.path, err))?;
        std::io::copy(&mut file, &mut w).map_err(|err| io(&e.path, err))?;
    }
    let cursor = w.finish().map_err(|err| zip_err(err.to_string()))?;
    Ok(cursor.into_inner())
}

fn read_index(path: &Path) -> Option<CodeRef> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut parts = text.split_whitespace();
    let sha = hex::decode(parts.next()?).ok()?;
    let sha: [u8; 32] = sha.try_into().ok()?;
    let size = parts.next()?.parse().ok()?;
    let unzipped = parts.next()?.parse().ok()?;
    Some(code_ref(sha, size, unzipped))
}

/// Best effort: a missing index only costs a zip next time.
fn write_index(dir: &Path, path: &Path, code: &CodeRef) {
    let text = format!("{} {} {}\n", code.sha256_hex, code.size, code.unzipped_size);
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::File::create(&tmp))
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        tracing::debug!(error = %e, path = %path.display(), "could not write the package index");
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_content_same_package_and_an_edit_makes_a_new_one() {
        let cache = tempfile::tempdir().unwrap();
        let src = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join("app.py"), "x = 1\n").unwrap();
        std::fs::create_dir(src.path().join("pkg")).unwrap();
        std::fs::write(src.path().join("pkg/m.py"), "y = 2\n").unwrap();
        let store = Arc::new(MemoryStore::new());
        let packages = Packages::new(cache.path(), Arc::clone(&store));
        let a = packages.code_ref(src.path()).unwrap();
        let b = packages.code_ref(src.path()).unwrap();
        assert_eq!(a, b);
        let zip = store.read_blob(&a.sha256_hex).unwrap().unwrap();
        let dest = cache.path().join("x");
        let summary =
            lamina_package::extract(&zip, &dest, &lamina_package::Limits::default()).unwrap();
        assert_eq!(summary.sha256.to_vec(), hex::decode(&a.sha256_hex).unwrap());
        assert_eq!(
            std::fs::read_to_string(dest.join("pkg/m.py")).unwrap(),
            "y = 2\n"
        );
        std::fs::write(src.path().join("app.py"), "x = 22\n").unwrap();
        let c = packages.code_ref(src.path()).unwrap();
        assert_ne!(a.sha256_hex, c.sha256_hex);
    }

    #[test]
    fn an_extracted_package_is_found_by_a_new_process_without_zipping() {
        let cache = tempfile::tempdir().unwrap();
        let src = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join("app.py"), "x = 1\n").unwrap();
        let first = Packages::new(cache.path(), Arc::new(MemoryStore::new()));
        let a = first.code_ref(src.path()).unwrap();
        std::fs::create_dir_all(cache.path().join("code").join(&a.sha256_hex)).unwrap();
        let store = Arc::new(MemoryStore::new());
        let second = Packages::new(cache.path(), Arc::clone(&store));
        let b = second.code_ref(src.path()).unwrap();
        assert_eq!(a, b);
        assert!(store.read_blob(&b.sha256_hex).unwrap().is_none());
    }

    #[test]
    fn missing_folder_is_named() {
        let cache = tempfile::tempdir().unwrap();
        let packages = Packages::new(cache.path(), Arc::new(MemoryStore::new()));
        let err = packages.code_ref(Path::new("/no/such/dir")).unwrap_err();
        assert!(err.to_string().contains("/no/such/dir"));
    }
}
