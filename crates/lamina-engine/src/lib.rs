//! The invoke engine: it runs function versions in sandboxes, keeps warm environments per
//! (version, revision, environment image) and reuses them one invocation at a time, enforces
//! reserved and account concurrency, applies timeouts, captures logs and writes Lambda's
//! INIT_START/START/END/REPORT lines. It decides nothing about the control plane: the API resolves names, qualifiers and
//! aliases and hands the engine a concrete function version.
//!
//! The invoke path touches no disk and takes no global lock: a warm invoke is a per-function
//! pool lookup, a hand-off to the sandbox's Runtime API and a log append in memory.

mod code_cache;
mod ending;
mod environment;
mod error;
pub mod front_door;
mod images;
pub mod launch;
pub mod logs;
pub mod outcome;
mod pool;
mod queue;
pub mod report;
mod runtimes;
mod shared;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use lamina_model::{Account, Function, FunctionVersion, LambdaError};
use lamina_sandbox::{ImageRoot, SandboxConfig};
use lamina_store::Store;

pub use environment::StartFault;
pub use error::EngineError;
pub use front_door::{
    FunctionSource, InvocationType, InvokeCommand, InvokeError, InvokeOutcome, invoke,
};
pub use images::{EnvironmentResolver, HostResolver, ImageRegistry, ResolvedEnvironment};
pub use logs::{LogEvent, LogStore};
pub use outcome::InvokeOutput;
pub use pool::Throttle;
pub use queue::{
    DEFAULT_FUNCTION_CONCURRENCY, LAMBDA_RETRY_DELAY_MS, Queue, QueueConfig, QueueStats,
};

use environment::{Env, Request};
use launch::LaunchFault;
use pool::{PoolKey, Pools};
use shared::Shared;

/// How an engine is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Region and account of ARNs and environment variables.
    pub account: Account,
    /// Where extracted code and layers are cached (`<data_dir>/code`).
    pub data_dir: PathBuf,
    /// Where sandboxes, the host image's `/etc` and the runtime clients live (root-only).
    pub run_dir: PathBuf,
    /// The executable started as each sandbox's init (the `lamina` binary).
    pub init_exe: PathBuf,
    /// How long an idle environment is kept warm.
    pub idle_timeout: Duration,
    /// How long a runtime may take to reach its first `/next`.
    pub init_timeout: Duration,
    /// Billing granularity in ms (1 today; 100 reproduces 2019).
    pub billing_granularity_ms: u64,
    /// Account concurrency limit.
    pub account_concurrency: u32,
    /// Package limits for extraction.
    pub package_limits: lamina_package::Limits,
    /// Network namespaces kept ready.
    pub netns_pool: usize,
}

/// One invocation to run: a resolved function version and the caller's input.
pub struct InvokeRequest {
    /// The function.
    pub function: Function,
    /// The version to run.
    pub version: FunctionVersion,
    /// The ARN the caller used (qualified when a qualifier was given).
    pub invoked_arn: String,
    /// The event.
    pub payload: Bytes,
    /// `X-Amz-Client-Context`, decoded.
    pub client_context: Option<String>,
    /// The request id the front door gave this request; `None` makes a new one.
    pub request_id: Option<String>,
}

/// The engine.
pub struct Engine {
    shared: Arc<Shared>,
    pools: Arc<Pools<Env>>,
    idle_timeout: Duration,
    /// Set once at start-up; read lock-free on every invoke. Unset: everything runs on `host`.
    resolver: std::sync::OnceLock<Arc<dyn EnvironmentResolver>>,
    /// The durable asynchronous queue, once started (`lamina server`); without it `Event`
    /// invokes run in the background from memory (`lamina local`).
    queue: std::sync::OnceLock<Arc<Queue>>,
}

impl Engine {
    /// Starts an engine: reaps sandboxes a previous run left behind, installs the runtime
    /// clients, prepares the `host` image, and starts the idle reaper.
    pub async fn start(
        cfg: EngineConfig,
        store: Arc<dyn Store>,
    ) -> Result<Arc<Engine>, EngineError> {
        let mut sandbox = SandboxConfig::new(&cfg.init_exe, &cfg.run_dir)?;
        // Reaping at start-up kills everything under the cgroup parent: each data folder gets
        // its own parent, so a server never reaps the live sandboxes of another one.
        sandbox.cgroups = lamina_sandbox::CgroupLayout::detect(&cgroup_parent(&cfg.run_dir))?;
        Self::start_with_sandbox(cfg, store, sandbox).await
    }

    /// Starts an engine whose sandboxes are set up by `sandbox` instead of the default
    /// configuration: `lamina local` commands give each process a cgroup parent of its own,
    /// so that several of them side by side (or beside a server) never reap each other's
    /// sandboxes at start-up.
    pub async fn start_with_sandbox(
        cfg: EngineConfig,
        store: Arc<dyn Store>,
        sandbox: SandboxConfig,
    ) -> Result<Arc<Engine>, EngineError> {
        Self::start_with_image(cfg, store, sandbox, None).await
    }

    /// [`Engine::start_with_sandbox`] with a `host` image built earlier (`None` builds it
    /// under the run folder): short-lived `lamina local` processes share one across runs
    /// instead of copying `/etc` on every start.
    pub async fn start_with_image(
        cfg: EngineConfig,
        store: Arc<dyn Store>,
        sandbox: SandboxConfig,
        host_image: Option<ImageRoot>,
    ) -> Result<Arc<Engine>, EngineError> {
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
        let image = match host_image {
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
            resolver: std::sync::OnceLock::new(),
            queue: std::sync::OnceLock::new(),
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
    fn refill_netns(&self) {
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

    /// The logs of every function.
    pub fn logs(&self) -> &Arc<LogStore> {
        &self.shared.logs
    }

    /// Starts an execution environment for `version` ahead of its first invocation and parks
    /// it idle in the pool (`lamina local start-api --warm-containers EAGER`): the sandbox and
    /// the runtime process start now, so the first request does not pay for them. Nothing
    /// runs in the function; an environment already idle is left as it is.
    pub async fn prewarm(
        &self,
        function: &Function,
        version: &FunctionVersion,
    ) -> Result<(), LambdaError> {
        let resolved = self.resolve_environment(function, version);
        let key = PoolKey {
            version: version.version.clone(),
            revision: version.revision_id.clone(),
            image: resolved.image.clone(),
        };
        let mut lease = self
            .pools
            .acquire(&function.name, &key, function.reserved_concurrency)
            .map_err(|t| LambdaError::throttled(t.reason()))?;
        for env in std::mem::take(&mut lease.stale) {
            env.destroy();
        }
        let env = match lease.env.take() {
            Some(env) => env,
            None => {
                let started = Env::start(
                    &self.shared,
                    function,
                    version,
                    self.image_root(&resolved)?,
                    &resolved,
                )
                .await;
                self.refill_netns();
                started.map_err(|e| match e {
                    StartFault::Launch(fault) => LambdaError::new(
                        lamina_model::ErrorKind::InvalidRuntime,
                        format!("{} cannot start: {fault}", function.name),
                    ),
                    StartFault::Engine(e) => LambdaError::service(format!(
                        "starting an execution environment for {} failed: {e}",
                        function.name
                    )),
                })?
            }
        };
        let healthy = env.healthy();
        if let Some(stale) = lease.finish(env, healthy) {
            stale.destroy();
        }
        Ok(())
    }

    /// Runs one invocation synchronously (RequestResponse). A throttle or a function Lamina
    /// cannot run is an API error; everything that goes wrong in the function is an output
    /// with an error payload.
    pub async fn invoke(&self, mut req: InvokeRequest) -> Result<InvokeOutput, LambdaError> {
        let resolved = self.resolve_environment(&req.function, &req.version);
        let key = PoolKey {
            version: req.version.version.clone(),
            revision: req.version.revision_id.clone(),
            image: resolved.image.clone(),
        };
        let mut lease = self
            .pools
            .acquire(&req.function.name, &key, req.function.reserved_concurrency)
            .map_err(|t| LambdaError::throttled(t.reason()))?;
        // Warm environments of this version on an image it no longer resolves to.
        for env in std::mem::take(&mut lease.stale) {
            env.destroy();
        }
        let request_id = req.request_id.take().unwrap_or_else(request_id);
        let mut env = match lease.env.take() {
            Some(env) => env,
            None => match Env::start(
                &self.shared,
                &req.function,
                &req.version,
                self.image_root(&resolved)?,
                &resolved,
            )
            .await
            {
                Ok(env) => {
                    self.refill_netns();
                    env
                }
                Err(StartFault::Launch(
                    fault @ (LaunchFault::NoBootstrap | LaunchFault::Exec { .. }),
                )) => {
                    tracing::warn!(function = %req.function.name, image = %resolved.image, "{fault}");
                    return Ok(self.entrypoint_failure(&req, request_id, &fault));
                }
                Err(StartFault::Launch(
                    fault @ (LaunchFault::Unsupported(_) | LaunchFault::NotServed { .. }),
                )) => {
                    return Err(LambdaError::new(
                        lamina_model::ErrorKind::InvalidRuntime,
                        fault.to_string(),
                    ));
                }
                Err(StartFault::Engine(e)) => {
                    tracing::error!(error = %e, function = %req.function.name, "starting an execution environment failed");
                    return Err(LambdaError::service(
                        "Lamina could not start an execution environment; see the server log",
                    ));
                }
            },
        };
        let output = env
            .invoke(
                Request {
                    request_id,
                    payload: req.payload,
                    invoked_arn: req.invoked_arn,
                    client_context: req.client_context,
                    version: req.version.version.clone(),
                },
                &self.shared,
            )
            .await;
        let healthy = env.healthy();
        if let Some(stale) = lease.finish(env, healthy) {
            stale.destroy();
        }
        Ok(output)
    }

    /// Starts the durable asynchronous queue over the engine's store: every event queued
    /// before a restart runs. Only the first call starts one.
    pub async fn start_queue(
        self: &Arc<Self>,
        cfg: QueueConfig,
    ) -> Result<Arc<Queue>, EngineError> {
        if let Some(q) = self.queue.get() {
            return Ok(Arc::clone(q));
        }
        let store = Arc::clone(self.shared.code.store());
        let queue = Queue::start(self, store, self.shared.account.clone(), cfg).await?;
        Ok(Arc::clone(self.queue.get_or_init(|| queue)))
    }

    /// The durable asynchronous queue, when started.
    pub fn queue(&self) -> Option<&Arc<Queue>> {
        self.queue.get()
    }

    /// Gives the engine the resolver that decides each invocation's image (the control
    /// plane's migration plans). Only the first call takes effect; false after that.
    pub fn set_resolver(&self, resolver: Arc<dyn EnvironmentResolver>) -> bool {
        self.resolver.set(resolver).is_ok()
    }

    /// The images this engine can start sandboxes on; register directory images here.
    pub fn images(&self) -> &ImageRegistry {
        &self.shared.images
    }

    /// The environment `version` runs in now (`host` without a resolver, as `lamina local`
    /// runs, with the runtime version `<runtime>.host`).
    pub fn resolve_environment(
        &self,
        function: &Function,
        version: &FunctionVersion,
    ) -> ResolvedEnvironment {
        match self.resolver.get() {
            Some(r) => r.resolve(function, version),
            None => {
                let image = lamina_model::environment::ImageId::host();
                let runtime_version = version.spec.runtime.as_deref().map(|runtime| {
                    lamina_model::environment::RuntimeVersion::new(
                        &self.shared.account.region,
                        runtime,
                        &image,
                    )
                });
                ResolvedEnvironment {
                    image,
                    runtime_version,
                    served: None,
                }
            }
        }
    }

    /// The root file system of a resolved image, or the error the caller sees when this
    /// engine cannot start it.
    fn image_root(&self, resolved: &ResolvedEnvironment) -> Result<ImageRoot, LambdaError> {
        self.shared.images.get(&resolved.image).ok_or_else(|| {
            LambdaError::new(
                lamina_model::ErrorKind::InvalidRuntime,
                format!(
                    "The function resolves to environment image {}, which this server cannot start; build or register it (lamina env build {})",
                    resolved.image, resolved.image
                ),
            )
        })
    }

    /// An invocation of a function whose bootstrap is missing or cannot be executed:
    /// Lambda's `Runtime.InvalidEntrypoint`, logged like any other invocation.
    fn entrypoint_failure(
        &self,
        req: &InvokeRequest,
        request_id: String,
        fault: &LaunchFault,
    ) -> InvokeOutput {
        let stream = self.shared.logs.new_stream(
            &req.version.spec.logging.log_group,
            logs::stream_name(&req.version.version),
        );
        let ending = ending::Ending::Platform {
            error_type: "Runtime.InvalidEntrypoint",
            message: fault.to_string(),
        };
        let (status, error_type) = ending.report_status().unzip();
        let report = report::Report {
            request_id: request_id.clone(),
            duration: Duration::ZERO,
            billed_ms: 0,
            memory_size_mb: req.version.spec.memory_size,
            max_memory_used_mb: 0,
            init_duration: None,
            status,
            error_type: error_type.flatten(),
        };
        let lines = {
            let mut s = stream
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let from = s.position();
            s.push(report::init_report_error_line(
                Duration::ZERO,
                "Runtime.InvalidEntrypoint",
            ));
            s.push(report::start_line(&request_id, &req.version.version));
            s.push(report::platform_error_line(
                &request_id,
                &fault.to_string(),
                "Runtime.InvalidEntrypoint",
            ));
            s.push(report::end_line(&request_id));
            s.push(report.line());
            s.since(from)
        };
        InvokeOutput {
            payload: ending.payload(&request_id),
            function_error: ending.function_error(),
            request_id,
            executed_version: req.version.version.clone(),
            log_lines: lines,
            report,
        }
    }

    /// Runs an invocation in the background (`Event`). Throttled events wait and retry, so
    /// an accepted event is not dropped; failures are logged. (Durable queues come later.)
    pub fn invoke_event(self: &Arc<Self>, req: InvokeRequest) {
        let engine = Arc::clone(self);
        tokio::spawn(async move { engine.run_event(req).await });
    }

    /// Runs an accepted event to its end: a throttled one waits and retries under the
    /// function's concurrency as it is then; a failure to run is logged. The output, when it
    /// ran.
    pub async fn run_event(self: &Arc<Self>, req: InvokeRequest) -> Option<InvokeOutput> {
        let name = req.function.name.clone();
        let mut backoff = Duration::from_millis(50);
        let mut req = Some(req);
        loop {
            let current = req.take()?;
            let retry = InvokeRequest {
                function: current.function.clone(),
                version: current.version.clone(),
                invoked_arn: current.invoked_arn.clone(),
                payload: current.payload.clone(),
                client_context: None,
                request_id: current.request_id.clone(),
            };
            match self.invoke(current).await {
                Ok(out) => {
                    if out.function_error.is_some() {
                        tracing::info!(function = %name, request_id = %out.request_id, "asynchronous invocation failed in the function");
                    }
                    return Some(out);
                }
                Err(e) if e.kind == lamina_model::ErrorKind::TooManyRequests => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    // Retry under the function's concurrency as it is now: a reservation
                    // lifted since (DeleteFunctionConcurrency) must let the event run.
                    let mut retry = retry;
                    let known = retry.function.reserved_concurrency;
                    match self.current_reserved(&name, known).await {
                        Some(reserved) => retry.function.reserved_concurrency = reserved,
                        None => {
                            tracing::warn!(function = %name, "function deleted; dropping its accepted asynchronous invocation");
                            return None;
                        }
                    }
                    req = Some(retry);
                }
                Err(e) => {
                    tracing::warn!(function = %name, error = %e, "asynchronous invocation could not run");
                    return None;
                }
            }
        }
    }

    /// The reserved concurrency `function` has now in the store: `None` when the function
    /// is gone. A store fault is logged and keeps `known`, the setting last seen.
    async fn current_reserved(&self, function: &str, known: Option<u32>) -> Option<Option<u32>> {
        let store = Arc::clone(self.shared.code.store());
        let name = function.to_string();
        match tokio::task::spawn_blocking(move || store.get_function(&name)).await {
            Ok(Ok(found)) => found.map(|f| f.reserved_concurrency),
            Ok(Err(e)) => {
                tracing::warn!(function, error = %e, "re-reading a function for a throttled event failed");
                Some(known)
            }
            Err(e) => {
                tracing::warn!(function, error = %e, "re-reading a function for a throttled event failed");
                Some(known)
            }
        }
    }

    /// Drops the warm environments of `function` (its code or configuration changed, or it
    /// was deleted); busy ones are destroyed when they finish.
    pub fn drain(&self, function: &str) {
        for env in self.pools.drain(function) {
            env.destroy();
        }
    }

    /// (idle, in-flight) environments of a function.
    pub fn counts(&self, function: &str) -> (usize, u32) {
        self.pools.counts(function)
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

/// A request id, a version 4 UUID like Lambda's. From the thread's random generator rather
/// than `Uuid::new_v4`, which makes a `getrandom` system call for every invoke.
fn request_id() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
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
mod cgroup_parent_tests {
    use super::cgroup_parent;
    use std::path::Path;

    #[test]
    fn one_parent_per_data_folder_stable_across_restarts() {
        let a = cgroup_parent(Path::new("/srv/a/run"));
        assert_eq!(a, cgroup_parent(Path::new("/srv/a/run")));
        assert_ne!(a, cgroup_parent(Path::new("/srv/b/run")));
        assert!(a.starts_with("lamina-") && a.len() == "lamina-".len() + 16);
    }

    #[test]
    fn request_ids_are_distinct_v4_uuids() {
        let a = uuid::Uuid::parse_str(&super::request_id()).unwrap();
        let b = uuid::Uuid::parse_str(&super::request_id()).unwrap();
        assert_eq!(a.get_version_num(), 4);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(a, b);
    }
}
