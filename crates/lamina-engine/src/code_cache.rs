//! Code and layer packages extracted once per content: `<cache>/<sha256 hex>/`, read-only
//! to sandboxes. Extraction happens on the cold path only, the first time a package is used;
//! later sandboxes of the same content mount the same directory.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lamina_model::CodeRef;
use lamina_store::Store;

use crate::error::EngineError;

/// Extracted packages by digest.
pub struct CodeCache {
    dir: PathBuf,
    store: Arc<dyn Store>,
    limits: lamina_package::Limits,
    ready: Mutex<HashSet<String>>,
}

impl CodeCache {
    /// A cache in `dir` reading blobs from `store`. Leftovers of crashed extractions are
    /// removed first.
    pub fn open(
        dir: PathBuf,
        store: Arc<dyn Store>,
        limits: lamina_package::Limits,
    ) -> Result<Self, EngineError> {
        std::fs::create_dir_all(&dir).map_err(|e| EngineError::io("create", &dir, e))?;
        lamina_package::remove_partials(&dir).map_err(|e| EngineError::io("clean", &dir, e))?;
        Ok(Self {
            dir,
            store,
            limits,
            ready: Mutex::new(HashSet::new()),
        })
    }

    /// The store it reads blobs from (the engine re-reads functions through it too).
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The directory holding `code` extracted, extracting it first if needed.
    pub async fn dir_for(&self, code: &CodeRef) -> Result<PathBuf, EngineError> {
        let dest = self.dir.join(&code.sha256_hex);
        if self
            .ready
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&code.sha256_hex)
        {
            return Ok(dest);
        }
        let store = Arc::clone(&self.store);
        let key = code.sha256_hex.clone();
        let limits = self.limits.clone();
        let target = dest.clone();
        tokio::task::spawn_blocking(move || extract(store.as_ref(), &key, &target, &limits))
            .await
            .map_err(|e| EngineError::Internal(format!("extraction task failed: {e}")))??;
        self.ready
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(code.sha256_hex.clone());
        Ok(dest)
    }
}

fn extract(
    store: &dyn Store,
    key: &str,
    dest: &Path,
    limits: &lamina_package::Limits,
) -> Result<(), EngineError> {
    if dest.is_dir() {
        return Ok(());
    }
    let bytes = store
        .read_blob(key)
        .map_err(|e| EngineError::Internal(format!("reading blob {key}: {e}")))?
        .ok_or_else(|| EngineError::Internal(format!("blob {key} is missing from the store")))?;
    lamina_package::extract(&bytes, dest, limits)
        .map_err(|e| EngineError::Internal(format!("extracting blob {key}: {e}")))?;
    Ok(())
}
