//! Starting an engine and stopping it: reaping what a previous run left, installing the
//! runtime clients, preparing the `host` image, the background refill of ready namespaces
//! and inits, the idle reaper, and the shutdown that destroys every idle environment.

use std::sync::Arc;
use std::time::Duration;

use lamina_sandbox::{ImageRoot, SandboxConfig};
use lamina_store::Store;

use crate::pool::Pools;
use crate::shared::Shared;
use crate::{Engine, EngineConfig, EngineError, EnvironmentResolver, code_cache, runtimes};

/// How an engine's sandboxes are set up; the default suits `lamina server`.
#[derive(Debug, Default)]
pub struct SandboxSetup {
    /// The sandbox configuration; `None` makes the default one under the run folder, with a
    /// cgroup parent named after it. `lamina local` commands give each process a cgroup
    /// parent of its own, so that several of them side by side (or beside a server) never
    /// reap each other's sandboxes at start-up.
    pub config: Option<SandboxConfig>,
    /// A `host` image built earlier; `None` builds one under the run folder. Short-lived
    /// `lamina local` processes share one across runs instead of copying `/etc` each start.
    pub host_image: Option<ImageRoot>,
}

impl Engine {
    /// Starts an engine: reaps sandboxes a previous run left behind (under its cgroup
    /// parent only), installs the runtime clients, prepares the `host` image and starts the
    /// idle reaper. `resolver` decides every invocation's image and knows every image's
    /// root; `setup` says how sandboxes are set up.
    pub async fn start(
        cfg: EngineConfig,
        store: Arc<dyn Store>,
        resolver: Arc<dyn EnvironmentResolver>,
        setup: SandboxSetup,
    ) -> Result<Arc<Engine>, EngineError> {
        let sandbox = match setup.config {
            Some(sandbox) => sandbox,
            None => {
                let mut sandbox = SandboxConfig::new(&cfg.init_exe, &cfg.run_dir)?;
                // Reaping at start-up kills everything under the cgroup parent: each data
                // folder gets its own parent, so a server never reaps the live sandboxes of
                // another one.
                sandbox.cgroups =
                    lamina_sandbox::CgroupLayout::detect(&cgroup_parent(&cfg.run_dir))?;
                sandbox
            }
        };
        std::fs::create_dir_all(&cfg.run_dir)
            .map_err(|e| EngineError::io("create", &cfg.run_dir, e))?;
        let reaped = {
            let sandbox = sandbox.clone();
            tokio::task::spawn_blocking(move || lamina_sandbox::reap_orphans(&sandbox))
                .await
                .map_err(|e| EngineError::Internal(format!("reaper task failed: {e}")))??
        };
        if reaped > 0 {
            tracing::info!(reaped, "removed sandboxes left by a previous run");
        }
        let runtimes_dir = cfg.run_dir.join("runtimes");
        runtimes::install(&runtimes_dir)?;
        let image = match setup.host_image {
            Some(image) => image,
            None => ImageRoot::host(&cfg.run_dir.join("image-host"), &sandbox.hostname)?,
        };
        let code = code_cache::CodeCache::open(
            cfg.data_dir.join("code"),
            store,
            cfg.package_limits.clone(),
        )?;
        let instance = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
        let shared = Arc::new(Shared::new(
            cfg.account.clone(),
            image,
            runtimes_dir,
            sandbox,
            code,
            cfg.init_timeout,
            cfg.billing_granularity_ms,
            instance,
            cfg.netns_pool,
        ));
        let engine = Arc::new(Engine {
            shared,
            pools: Pools::new(cfg.account_concurrency),
            idle_timeout: cfg.idle_timeout,
            resolver,
            queue: std::sync::OnceLock::new(),
            metrics: crate::metrics::Recorder::new(cfg.metrics.clone()),
        });
        let logs = lamina_logs::Logs::open(cfg.data_dir.join("logs"))
            .map_err(|e| EngineError::Internal(format!("opening the log store: {e}")))?;
        engine.shared.logs.attach(Arc::new(logs));
        engine.refill_netns();
        engine.start_reaper();
        Ok(engine)
    }

    /// Tops up the pools of network namespaces and pre-started inits in the background, so
    /// the next cold start finds them ready.
    pub(crate) fn refill_netns(&self) {
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || {
            shared.netns.refill();
            shared.inits.refill(&shared.sandbox, &shared.instance);
        });
    }

    fn start_reaper(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let period =
            (self.idle_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(5));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                let Some(engine) = weak.upgrade() else { break };
                for env in engine
                    .pools
                    .expired(engine.idle_timeout, std::time::Instant::now())
                {
                    env.destroy();
                }
            }
        });
    }

    /// Sends SHUTDOWN to the extensions of every idle environment, all at once (each gets at
    /// most its 2 s), then destroys everything as [`Engine::shutdown`] does. For a server
    /// that stops.
    pub async fn shutdown_gracefully(&self) {
        let mut set = tokio::task::JoinSet::new();
        for mut env in self.pools.take_all() {
            set.spawn(async move {
                env.shutdown_extensions(lamina_runtime_api::ShutdownReason::Spindown)
                    .await;
                env
            });
        }
        let mut envs = Vec::new();
        while let Some(joined) = set.join_next().await {
            if let Ok(env) = joined {
                envs.push(env);
            }
        }
        let _ = tokio::task::spawn_blocking(move || {
            for env in envs {
                env.destroy_now();
            }
        })
        .await;
        self.shutdown();
    }

    /// Destroys every idle environment (at shutdown).
    pub fn shutdown(&self) {
        for env in self.pools.take_all() {
            env.destroy_now();
        }
        self.shared.inits.clear();
        // This data folder's cgroup parents: removed when empty (a busy sandbox of an invoke
        // still in flight keeps them, and the next start reaps it), so stopped servers leave
        // no cgroup directories behind.
        for parent in self.shared.sandbox.cgroups.parents() {
            let _ = std::fs::remove_dir(&parent);
        }
    }
}

/// The cgroup parent of the sandboxes run from `run_dir`: `lamina-<16 hex>`, a digest
/// (FNV-1a) of the path, the same across restarts on the same data folder so that the next
/// run reaps what a crashed one left.
fn cgroup_parent(run_dir: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in run_dir.as_os_str().as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("lamina-{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::cgroup_parent;
    use std::path::Path;

    #[test]
    fn one_parent_per_data_folder_stable_across_restarts() {
        let a = cgroup_parent(Path::new("/srv/a/run"));
        assert_eq!(a, cgroup_parent(Path::new("/srv/a/run")));
        assert_ne!(a, cgroup_parent(Path::new("/srv/b/run")));
        assert!(a.starts_with("lamina-") && a.len() == "lamina-".len() + 16);
    }
}
