//! What every environment of one engine shares: the `host` image's root, the runtime clients on disk, the
//! sandbox configuration, a pool of ready network namespaces, the code cache and the logs.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use lamina_model::Account;
use lamina_sandbox::{ImageRoot, NetNamespace, PreparedInit, SandboxConfig};

use crate::code_cache::CodeCache;
use crate::error::EngineError;
use crate::logs::LogStore;

/// Shared state of an engine.
pub struct Shared {
    pub(crate) account: Account,
    /// The root of the `host` image (directory images come from the resolver).
    pub(crate) host_image: ImageRoot,
    pub(crate) runtimes_dir: PathBuf,
    pub(crate) sandbox: SandboxConfig,
    pub(crate) netns: NetnsPool,
    pub(crate) inits: InitPool,
    pub(crate) code: CodeCache,
    pub(crate) logs: std::sync::Arc<LogStore>,
    pub(crate) init_timeout: Duration,
    pub(crate) billing_granularity_ms: u64,
    pub(crate) instance: String,
    sandbox_counter: AtomicU64,
    uid_counter: AtomicU32,
}

/// The first uid handed to sandboxes; each gets its own, so no two share an identity.
const FIRST_UID: u32 = 200_000;
const UID_RANGE: u32 = 100_000;

impl Shared {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        account: Account,
        image: ImageRoot,
        runtimes_dir: PathBuf,
        sandbox: SandboxConfig,
        code: CodeCache,
        init_timeout: Duration,
        billing_granularity_ms: u64,
        instance: String,
        netns_target: usize,
    ) -> Self {
        Self {
            account,
            host_image: image,
            runtimes_dir,
            sandbox,
            netns: NetnsPool::new(netns_target),
            inits: InitPool::new(netns_target),
            code,
            logs: std::sync::Arc::new(LogStore::default()),
            init_timeout,
            billing_granularity_ms,
            instance,
            sandbox_counter: AtomicU64::new(0),
            uid_counter: AtomicU32::new(0),
        }
    }

    /// The settings every invocation of this engine runs under.
    pub(crate) fn env_settings(&self) -> crate::environment::Settings {
        crate::environment::Settings {
            init_timeout: self.init_timeout,
            billing_granularity_ms: self.billing_granularity_ms,
        }
    }

    /// A sandbox id unique to this engine instance.
    pub(crate) fn next_sandbox_id(&self) -> String {
        format!(
            "{}-{}",
            self.instance,
            self.sandbox_counter.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// A fresh unprivileged uid.
    pub(crate) fn next_uid(&self) -> u32 {
        FIRST_UID + self.uid_counter.fetch_add(1, Ordering::Relaxed) % UID_RANGE
    }
}

/// Things made ahead of time off the invoke path (network namespaces, sandbox inits), taken
/// by cold starts and topped up in the background.
pub struct ReadyPool<T> {
    ready: Mutex<Vec<T>>,
    target: usize,
}

impl<T> ReadyPool<T> {
    fn new(target: usize) -> Self {
        Self {
            ready: Mutex::new(Vec::new()),
            target,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<T>> {
        self.ready
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A ready item, if any.
    pub fn take(&self) -> Option<T> {
        self.lock().pop()
    }

    /// Tops the pool up to its target with `make` (blocking; run off the async threads). A
    /// failure stops the refill and only costs the speed-up: starts then make their own.
    pub fn refill<E: std::fmt::Display>(&self, what: &str, mut make: impl FnMut() -> Result<T, E>) {
        while self.lock().len() < self.target {
            match make() {
                Ok(item) => self.lock().push(item),
                Err(e) => {
                    tracing::warn!(error = %e, "pre-creating {what} failed");
                    return;
                }
            }
        }
    }

    /// Drops every ready item (at shutdown).
    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// Network namespaces made ahead of time, each with its Runtime API listener bound at
/// 127.0.0.1:9001 inside, so a cold start does not pay for creating one.
pub struct NetnsPool(ReadyPool<(NetNamespace, TcpListener)>);

impl NetnsPool {
    fn new(target: usize) -> Self {
        Self(ReadyPool::new(target))
    }

    /// Takes a ready namespace, making one if none is ready.
    pub async fn take(&self) -> Result<(NetNamespace, TcpListener), EngineError> {
        match self.0.take() {
            Some(pair) => Ok(pair),
            None => tokio::task::spawn_blocking(|| NetNamespace::create(9001))
                .await
                .map_err(|e| EngineError::Internal(format!("netns task failed: {e}")))?
                .map_err(EngineError::from),
        }
    }

    /// Tops the pool up to its target (blocking).
    pub fn refill(&self) {
        self.0
            .refill("a network namespace", || NetNamespace::create(9001));
    }
}

/// Sandbox inits cloned ahead of time into their namespaces and cgroups (the slow part of a
/// start: on cgroup v1, moving a process into a memory cgroup waits for an RCU grace period),
/// so a cold start pays only for mounts, a fork and an exec.
pub struct InitPool {
    pool: ReadyPool<PreparedInit>,
    counter: AtomicU64,
}

impl InitPool {
    /// An empty pool that `refill` tops up to `target`.
    pub fn new(target: usize) -> Self {
        Self {
            pool: ReadyPool::new(target),
            counter: AtomicU64::new(0),
        }
    }

    /// A ready init, if any.
    pub fn take(&self) -> Option<PreparedInit> {
        self.pool.take()
    }

    /// Tops the pool up (blocking); starts fall back to cloning on the spot.
    pub fn refill(&self, cfg: &SandboxConfig, instance: &str) {
        self.pool.refill("a sandbox init", || {
            let id = format!(
                "{instance}-p{}",
                self.counter.fetch_add(1, Ordering::Relaxed)
            );
            PreparedInit::new(&id, cfg)
        });
    }

    /// Kills every waiting init (at shutdown).
    pub fn clear(&self) {
        self.pool.clear();
    }
}
