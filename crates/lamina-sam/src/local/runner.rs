//! Runs a template's functions in Lamina's engine, without a server: the engine gets a cache
//! folder (extracted code and layers, kept between runs), a run folder and a cgroup parent
//! of this process's own, and each function is handed to it as a `$LATEST` version built
//! from the template. When a function's code changes on disk its revision changes, so the
//! next invocation gets a fresh environment and the stale ones are drained.
//!
//! Functions run with the host's network (tag `lamina:network=host`), as SAM CLI's
//! containers reach the network: local functions usually talk to local or real services.
//!
//! Each function runs on the image its runtime resolves to as on `lamina server`
//! (`environments`): `host` when this machine's interpreter is exactly that version, else
//! the runtime's default image, prepared on first use.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use lamina_engine::{Engine, EngineConfig, EngineError, InvokeOutput, InvokeRequest};
use lamina_model::function::{State, UpdateStatus};
use lamina_model::{
    Account, CodeRef, Function, FunctionRef, FunctionSpec, FunctionVersion, LATEST, LambdaError,
    LayerRef, Qualifier,
};
use lamina_store::{MemoryStore, Store};
use sha2::{Digest, Sha256};

use crate::function::PackageType;
use crate::local::environments::{ImageSource, LocalEnvironments, LocalImageError};
use crate::local::package::{PackageError, Packages};
use crate::local::project::{Project, ProjectError};
use crate::model::LayerSource;

/// Why a function could not be run.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The template or the function name.
    #[error(transparent)]
    Project(#[from] ProjectError),
    /// The code folder.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// The engine could not start.
    #[error(
        "the invoke engine could not start (lamina local needs root, namespaces and cgroups): {0}"
    )]
    Engine(#[from] EngineError),
    /// The function cannot be run locally as written.
    #[error("{id} cannot run locally: {reason}")]
    NotRunnable {
        /// The function.
        id: String,
        /// Why.
        reason: String,
    },
    /// The function's environment image is missing, unknown, or could not be prepared.
    #[error(transparent)]
    Environment(#[from] LocalImageError),
    /// The engine refused the invocation (throttled, unsupported runtime, …).
    #[error("{0}")]
    Lambda(#[from] LambdaError),
}

/// How a runner is set up.
#[derive(Clone)]
pub struct RunnerOptions {
    /// Cache of extracted code and layers (see [`default_cache_dir`]).
    pub cache_dir: PathBuf,
    /// The executable started as each sandbox's init: the `lamina` binary.
    pub init_exe: PathBuf,
    /// How long an idle environment stays warm.
    pub idle_timeout: Duration,
    /// `--env`: the one image every function runs on (`host` or an image of the data
    /// folder); `None` runs each on its runtime's image, as the server does.
    pub environment: Option<String>,
    /// The data folder whose image catalog default images are taken from and prepared
    /// into (as `lamina server --data-dir`).
    pub data_dir: PathBuf,
    /// Receives the progress of an image being prepared.
    pub progress: Arc<dyn lamina_images::Progress + Send>,
    /// Account-wide concurrency limit.
    pub concurrency: u32,
}

impl std::fmt::Debug for RunnerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunnerOptions")
            .field("cache_dir", &self.cache_dir)
            .field("init_exe", &self.init_exe)
            .field("idle_timeout", &self.idle_timeout)
            .field("environment", &self.environment)
            .field("data_dir", &self.data_dir)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl RunnerOptions {
    /// Defaults for `init_exe` (the running binary), a cache folder and the data folder
    /// holding images; progress is logged.
    pub fn new(init_exe: PathBuf, cache_dir: PathBuf, data_dir: PathBuf) -> RunnerOptions {
        RunnerOptions {
            cache_dir,
            init_exe,
            idle_timeout: Duration::from_secs(600),
            environment: None,
            data_dir,
            progress: Arc::new(lamina_images::LogProgress),
            concurrency: 1000,
        }
    }
}

/// `$LAMINA_LOCAL_CACHE`, else `$XDG_CACHE_HOME/lamina/local`, else `~/.cache/lamina/local`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LAMINA_LOCAL_CACHE").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("lamina/local");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache/lamina/local"),
        None => PathBuf::from("/var/cache/lamina/local"),
    }
}

/// What must be removed once the engine's tasks are finished (after the tokio runtime that
/// ran them is dropped): this process's run folder and cgroup parents.
#[derive(Debug, Clone)]
pub struct Cleanup {
    run_dir: PathBuf,
    cgroup_parents: Vec<PathBuf>,
}

impl Cleanup {
    /// Removes the run folder and cgroup parents, best effort.
    pub fn run(&self) {
        for parent in &self.cgroup_parents {
            let _ = std::fs::remove_dir(parent);
        }
        let _ = std::fs::remove_dir_all(&self.run_dir);
    }
}

/// A template's functions, ready to invoke.
pub struct Runner {
    project: Project,
    engine: Arc<Engine>,
    environments: Arc<LocalEnvironments>,
    packages: Arc<Packages>,
    /// The functions as last built, for the engine's reads (an event retried after a
    /// throttle reads the function's concurrency again).
    store: Arc<MemoryStore>,
    account: Account,
    cleanup: Cleanup,
    /// The revision each function last ran with, to drain stale environments on change.
    revisions: Mutex<HashMap<String, String>>,
    warned: Mutex<std::collections::HashSet<String>>,
}

impl Runner {
    /// Starts an engine for `project`.
    pub async fn start(project: Project, opts: RunnerOptions) -> Result<Runner, RunnerError> {
        let pid = std::process::id();
        let run_root = run_root(&opts.cache_dir);
        sweep_stale(&run_root, &opts.init_exe);
        let run_dir = run_root.join(format!("local-{pid}"));
        let parent_name = format!("lamina-local-{pid}");
        let mut sandbox = lamina_sandbox::SandboxConfig::new(&opts.init_exe, &run_dir)
            .map_err(EngineError::from)?;
        sandbox.cgroups =
            lamina_sandbox::CgroupLayout::detect(&parent_name).map_err(EngineError::from)?;
        let cleanup = Cleanup {
            run_dir: run_dir.clone(),
            cgroup_parents: sandbox.cgroups.parents(),
        };
        let region = std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|_| super::LOCAL_REGION.to_string());
        let account = Account {
            region,
            account_id: super::LOCAL_ACCOUNT_ID.into(),
        };
        let config = EngineConfig {
            account: account.clone(),
            data_dir: opts.cache_dir.clone(),
            run_dir,
            init_exe: opts.init_exe.clone(),
            idle_timeout: opts.idle_timeout,
            init_timeout: Duration::from_secs(10),
            billing_granularity_ms: 1,
            account_concurrency: opts.concurrency,
            package_limits: lamina_package::Limits::default(),
            // Local functions use the host network: no namespaces to keep ready.
            netns_pool: 0,
            metrics: None,
        };
        let store = Arc::new(MemoryStore::new());
        let packages = Arc::new(Packages::new(&opts.cache_dir, Arc::clone(&store)));
        let host_image = match shared_host_image(&run_root, &sandbox.hostname, &opts.init_exe) {
            Ok(image) => Some(image),
            Err(e) => {
                tracing::debug!(error = %e, "no shared host image; the engine builds its own");
                None
            }
        };
        // The host's interpreters, probed as the server probes its images; other runtimes
        // run on their default images. The local environments are the engine's resolver and
        // the registry of the images it starts sandboxes on.
        let host_runtimes = tokio::task::spawn_blocking(|| {
            lamina_images::probe::probe_runtimes(std::path::Path::new("/"))
        })
        .await
        .unwrap_or_default();
        let source = ImageSource {
            catalog: lamina_images::DiskCatalog::new(&opts.data_dir),
            cache_dir: lamina_images::cache_dir(),
            progress: opts.progress,
        };
        let environments = match LocalEnvironments::new(
            &account.region,
            host_runtimes,
            opts.environment.as_deref(),
            source,
        ) {
            Ok(e) => Arc::new(e),
            Err(e) => {
                cleanup.run();
                return Err(e.into());
            }
        };
        let setup = lamina_engine::SandboxSetup {
            config: Some(sandbox),
            host_image,
        };
        let engine = match Engine::start(
            config,
            Arc::clone(&store) as Arc<dyn Store>,
            Arc::clone(&environments) as Arc<dyn lamina_engine::EnvironmentResolver>,
            setup,
        )
        .await
        {
            Ok(engine) => engine,
            Err(e) => {
                cleanup.run();
                return Err(e.into());
            }
        };
        Ok(Runner {
            project,
            engine,
            environments,
            packages,
            store,
            account,
            cleanup,
            revisions: Mutex::new(HashMap::new()),
            warned: Mutex::new(Default::default()),
        })
    }

    /// The template being run.
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The engine (for its logs and counts).
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// What to remove after the tokio runtime is dropped.
    pub fn cleanup(&self) -> Cleanup {
        self.cleanup.clone()
    }

    /// The ARN a function is invoked as.
    pub fn function_arn(&self, name: &str) -> String {
        self.account.function_arn(name)
    }

    /// The region and account local functions run in.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The template function an Invoke's reference names, built as it is on disk now.
    /// Locally every function has only `$LATEST`, and its `AutoPublishAlias` names that same
    /// code; any other qualifier is Lambda's not-found.
    pub async fn resolve_reference(
        &self,
        reference: &FunctionRef,
    ) -> Result<(Function, FunctionVersion), LambdaError> {
        let arn = self.account.invoked_arn(reference);
        let function = self
            .project
            .function(Some(&reference.name))
            .map_err(|_| LambdaError::not_found(format!("Function not found: {arn}")))?;
        let alias = function.auto_publish_alias.as_deref();
        let known = match reference.target() {
            Qualifier::Latest => true,
            Qualifier::Alias(a) => alias == Some(a),
            Qualifier::Version(_) => false,
        };
        if !known {
            return Err(LambdaError::not_found(format!(
                "Function not found: {arn} (locally a function has $LATEST{})",
                alias
                    .map(|a| format!(" and its AutoPublishAlias {a}"))
                    .unwrap_or_default()
            )));
        }
        let logical_id = function.logical_id.clone();
        self.resolve(Some(&logical_id)).await.map_err(|e| match e {
            RunnerError::Lambda(e) => e,
            RunnerError::Project(ProjectError::NotAFunction { id, .. }) => {
                LambdaError::not_found(format!("Function not found: {id}"))
            }
            other => LambdaError::service(other.to_string()),
        })
    }

    /// Builds the function `id` (or the only function) as it is on disk now: its package,
    /// layers and configuration. A changed package drains the function's warm environments.
    pub async fn resolve(
        &self,
        id: Option<&str>,
    ) -> Result<(Function, FunctionVersion), RunnerError> {
        let f = self.project.function(id)?.clone();
        let name = f.logical_id.clone();
        let not_runnable = |reason: String| RunnerError::NotRunnable {
            id: name.clone(),
            reason,
        };
        if f.package_type == PackageType::Image {
            return Err(not_runnable(
                "PackageType Image is not supported locally yet; use a Zip function with a Runtime"
                    .into(),
            ));
        }
        let runtime = f.runtime.clone().ok_or_else(|| {
            not_runnable("it has no Runtime (set it on the function or in Globals)".into())
        })?;
        let typed_runtime = lamina_model::runtime::Runtime::parse(&runtime)
            .map_err(|e| not_runnable(e.to_string()))?;
        // Its image, prepared the first time a function of this runtime runs.
        self.environments
            .ensure(typed_runtime)
            .await
            .map_err(|e| not_runnable(e.to_string()))?;
        let code_dir = f.code_dir(&self.project.template_dir).ok_or_else(|| {
            not_runnable(
                "its code is not a local folder or zip (CodeUri on S3, or InlineCode); point CodeUri at a folder".into(),
            )
        })?;
        let sources = self
            .project
            .model
            .layer_sources(&f, &self.project.template_dir);
        let packages = Arc::clone(&self.packages);
        let (code, local_layers) = tokio::task::spawn_blocking(move || {
            let code = packages.code_ref(&code_dir)?;
            let mut layers = Vec::new();
            for source in sources {
                let built = match &source {
                    LayerSource::Local { path, .. } => Some(packages.code_ref(path)?),
                    _ => None,
                };
                layers.push((source, built));
            }
            Ok::<_, PackageError>((code, layers))
        })
        .await
        .map_err(|e| not_runnable(format!("packaging task failed: {e}")))??;
        let mut layers = Vec::new();
        for (source, built) in local_layers {
            match (source, built) {
                (LayerSource::Local { logical_id, .. }, Some(content)) => {
                    let layer_name = self
                        .project
                        .model
                        .layer(&logical_id)
                        .and_then(|l| l.layer_name.clone())
                        .unwrap_or(logical_id);
                    layers.push(LayerRef {
                        arn: self.account.layer_version_arn(&layer_name, 1),
                        code_size: content.size,
                        unzipped_size: content.unzipped_size,
                        content: Some(content),
                    });
                }
                (LayerSource::Arn(arn), _) if is_flag_layer(&arn) => layers.push(LayerRef {
                    arn,
                    code_size: 0,
                    unzipped_size: 0,
                    content: None,
                }),
                (LayerSource::Arn(arn), _) => self.warn_once(
                    &format!("{name}/{arn}"),
                    &format!("{name}: layer {arn} is not in this template and cannot be fetched locally; running without it"),
                ),
                (LayerSource::Remote(id), _) | (LayerSource::Local { logical_id: id, .. }, None) => self.warn_once(
                    &format!("{name}/{id}"),
                    &format!("{name}: layer {id} has no local ContentUri; running without it"),
                ),
            }
        }
        let environment = self.project.environment(&f);
        let revision = revision_of(&code, &layers, &environment, &f, &runtime);
        let now = time::OffsetDateTime::now_utc();
        let version = FunctionVersion {
            version: LATEST.into(),
            spec: FunctionSpec {
                handler: f.handler.clone(),
                timeout: f.timeout,
                memory_size: f.memory_size,
                environment,
                layers,
                architectures: f.architectures.clone(),
                ..FunctionSpec::new(
                    &name,
                    typed_runtime,
                    "",
                    format!("arn:aws:iam::{}:role/lamina-local", self.account.account_id),
                )
            },
            code,
            last_modified: now,
            revision_id: revision.clone(),
            state: State::Active,
            last_update_status: UpdateStatus::Successful,
            state_reason: None,
            update_reason: None,
        };
        let function = Function {
            name: name.clone(),
            latest: version.clone(),
            tags: BTreeMap::from([("lamina:network".to_string(), "host".to_string())]),
            policy: Vec::new(),
            policy_revision_id: String::new(),
            reserved_concurrency: f.reserved_concurrent_executions,
            runtime_management: Default::default(),
            recursive_loop: None,
            next_version: 1,
            created: now,
        };
        let changed = {
            let mut revisions = self
                .revisions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match revisions.insert(name.clone(), revision.clone()) {
                Some(old) => old != revision,
                None => false,
            }
        };
        if changed {
            tracing::info!(function = %name, "code or configuration changed; starting fresh environments");
            self.engine.drain(&name);
        }
        let stored = match self.store.get_function(&name) {
            Ok(Some(_)) => self.store.update_function(&function),
            _ => self.store.create_function(&function),
        };
        if let Err(e) = stored {
            tracing::debug!(function = %name, error = %e, "keeping the built function in memory failed");
        }
        Ok((function, version))
    }

    /// Prepares the image of every function's runtime now (before `start-api` and
    /// `start-lambda` listen, so no request waits minutes for a first build). A function
    /// that cannot run is left for its invoke to report.
    pub async fn prepare_images(&self) {
        for id in self.project.function_ids() {
            let Ok(f) = self.project.function(Some(&id)) else {
                continue;
            };
            let Some(Ok(runtime)) = f
                .runtime
                .as_deref()
                .map(lamina_model::runtime::Runtime::parse)
            else {
                continue;
            };
            if let Err(e) = self.environments.ensure(runtime).await {
                self.warn_once(&format!("{id}/image"), &format!("{id}: {e}"));
            }
        }
    }

    /// Starts an execution environment for `id` now, so its first invocation finds it warm
    /// (`--warm-containers EAGER`).
    pub async fn prewarm(&self, id: &str) -> Result<(), RunnerError> {
        let (function, version) = self.resolve(Some(id)).await?;
        Ok(self.engine.prewarm(&function, &version).await?)
    }

    /// Invokes `id` (or the only function) with `payload`, synchronously.
    pub async fn invoke(
        &self,
        id: Option<&str>,
        payload: Bytes,
    ) -> Result<InvokeOutput, RunnerError> {
        let (function, version) = self.resolve(id).await?;
        let invoked_arn = self.account.function_arn(&function.name);
        Ok(self
            .engine
            .invoke(InvokeRequest {
                function,
                version,
                invoked_arn,
                payload,
                client_context: None,
                request_id: None,
            })
            .await?)
    }

    /// Destroys warm environments (at exit). Run [`Cleanup::run`] after the tokio runtime
    /// has finished its blocking tasks.
    pub fn shutdown(&self) {
        self.engine.shutdown();
    }

    fn warn_once(&self, key: &str, message: &str) {
        let first = self
            .warned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.to_string());
        if first {
            tracing::warn!("{message}");
        }
    }
}

/// Flag layers (`arn:aws:lambda:::awslayer:AmazonLinux1803`) carry no content.
fn is_flag_layer(arn: &str) -> bool {
    arn.contains(":awslayer:")
}

fn revision_of(
    code: &CodeRef,
    layers: &[LayerRef],
    env: &BTreeMap<String, String>,
    f: &crate::function::Function,
    runtime: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(code.sha256_hex.as_bytes());
    for layer in layers {
        h.update(layer.arn.as_bytes());
        if let Some(c) = &layer.content {
            h.update(c.sha256_hex.as_bytes());
        }
    }
    for (k, v) in env {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.as_bytes());
        h.update([1]);
    }
    h.update(runtime.as_bytes());
    h.update(f.handler.as_deref().unwrap_or_default().as_bytes());
    h.update(f.memory_size.to_le_bytes());
    h.update(f.timeout.to_le_bytes());
    hex::encode(&h.finalize()[..16])
}

/// Run folders live on tmpfs when there is one (`/run/lamina`), else in the cache.
fn run_root(cache_dir: &Path) -> PathBuf {
    let tmpfs = Path::new("/run");
    if tmpfs.is_dir() && std::fs::create_dir_all(tmpfs.join("lamina")).is_ok() {
        tmpfs.join("lamina")
    } else {
        cache_dir.join("run")
    }
}

/// The `host` image's filtered `/etc`, shared by every `lamina local` process: built once
/// per state of its sources (the host's `/etc` entries it copies and the binary that copies
/// them) under `<run_root>/image-host-<digest>`, so a local invoke does not copy `/etc`.
fn shared_host_image(
    run_root: &Path,
    hostname: &str,
    init_exe: &Path,
) -> Result<lamina_sandbox::ImageRoot, lamina_sandbox::SandboxError> {
    use std::os::unix::fs::MetadataExt;
    let mut h = Sha256::new();
    let sources = [
        "/etc/ld.so.cache",
        "/etc/ld.so.conf",
        "/etc/ld.so.conf.d",
        "/etc/resolv.conf",
        "/etc/ssl/certs",
        "/etc/ssl/openssl.cnf",
        "/etc/ca-certificates",
        "/etc/alternatives",
        "/etc/os-release",
        "/etc/nsswitch.conf",
    ];
    for path in sources.iter().map(Path::new).chain([init_exe]) {
        h.update(path.as_os_str().as_encoded_bytes());
        if let Ok(m) = std::fs::metadata(path) {
            h.update(m.mtime().to_le_bytes());
            h.update(m.mtime_nsec().to_le_bytes());
            h.update(m.size().to_le_bytes());
            h.update(m.ino().to_le_bytes());
        }
    }
    h.update(hostname.as_bytes());
    let dir = run_root.join(format!("image-host-{}", hex::encode(&h.finalize()[..8])));
    let etc_dir = dir.join("etc");
    if !etc_dir.is_dir() {
        // Built aside and renamed into place, so a concurrent process never sees half of it.
        let staging = run_root.join(format!(
            "{}.tmp{}",
            dir.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("image-host"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&staging);
        lamina_sandbox::ImageRoot::host(&staging, hostname)?;
        if std::fs::rename(&staging, &dir).is_err() {
            // Another process won the race; its copy is the same.
            let _ = std::fs::remove_dir_all(&staging);
        }
    }
    // Marks it in use, for `remove_old_images` of other processes.
    if let Ok(handle) = std::fs::File::open(&dir) {
        let _ = handle.set_modified(std::time::SystemTime::now());
    }
    remove_old_images(run_root, &dir);
    Ok(lamina_sandbox::ImageRoot::Host { etc_dir })
}

/// Host images of earlier binaries or an earlier `/etc`, untouched for a day: each rebuild
/// of `lamina` makes a new one, and nothing running that long still uses an old one.
fn remove_old_images(run_root: &Path, current: &Path) {
    const DAY: Duration = Duration::from_secs(24 * 3600);
    let Ok(entries) = std::fs::read_dir(run_root) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let is_image = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with("image-host-"));
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > DAY);
        if is_image && old && path != current {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Reaps what `lamina local` processes that were killed left behind: their sandboxes,
/// cgroup parents and run folders. A process that is still running is left alone.
fn sweep_stale(run_root: &Path, init_exe: &Path) {
    let Ok(entries) = std::fs::read_dir(run_root) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("local-"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let run_dir = entry.path();
        let Ok(mut cfg) = lamina_sandbox::SandboxConfig::new(init_exe, &run_dir) else {
            continue;
        };
        let Ok(layout) = lamina_sandbox::CgroupLayout::detect(&format!("lamina-local-{pid}"))
        else {
            continue;
        };
        cfg.cgroups = layout;
        if let Err(e) = lamina_sandbox::reap_orphans(&cfg) {
            tracing::debug!(error = %e, run_dir = %run_dir.display(), "reaping a stale local run failed");
        }
        Cleanup {
            run_dir,
            cgroup_parents: cfg.cgroups.parents(),
        }
        .run();
    }
}
