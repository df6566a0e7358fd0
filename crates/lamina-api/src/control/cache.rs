//! The invoke path's view of functions: name → function, its published versions and its
//! aliases, held in memory so an invoke reads no disk. Every write of the control layer
//! forgets the function it touched; a load that raced with a write is not kept (an epoch
//! counter tells), so the cache never serves what the store no longer holds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use lamina_model::{Alias, Function, FunctionVersion};

/// A function as the invoke path needs it.
#[derive(Debug)]
pub struct Cached {
    /// The function with `$LATEST`.
    pub function: Function,
    /// Published versions by number.
    pub versions: HashMap<String, FunctionVersion>,
    /// Aliases by name.
    pub aliases: HashMap<String, Alias>,
}

/// The cache.
#[derive(Debug, Default)]
pub struct InvokeCache {
    entries: RwLock<HashMap<String, Arc<Cached>>>,
    epoch: AtomicU64,
}

impl InvokeCache {
    /// The cached entry of `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Cached>> {
        self.entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// The epoch to pass to `insert` after loading from the store.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Keeps a loaded entry unless a write happened since `epoch` was read.
    pub fn insert(&self, name: &str, entry: Arc<Cached>, epoch: u64) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.epoch.load(Ordering::Acquire) == epoch {
            entries.insert(name.to_string(), entry);
        }
    }

    /// Forgets `name` after a write.
    pub fn forget(&self, name: &str) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.remove(name);
    }
}
