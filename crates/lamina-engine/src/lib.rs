//! The invoke engine: it runs function versions in sandboxes, keeps warm environments per
//! (version, revision, environment image) and reuses them one invocation at a time, enforces
//! reserved and account concurrency, applies timeouts, captures logs and writes Lambda's
//! INIT_START/START/END/REPORT lines. It decides nothing about the control plane: the API resolves names, qualifiers and
//! aliases and hands the engine a concrete function version.
//!
//! The invoke path touches no disk and takes no global lock: a warm invoke is a per-function
//! pool lookup, a hand-off to the sandbox's Runtime API and a log append in memory.
//!
//! The rooms, by operation: `start.rs` starts an engine and shuts it down, `invoke.rs` runs
//! one invocation (and `prewarm`), `event.rs` runs asynchronous ones; this file holds the
//! engine's configuration, its request type and its small accessors.

mod code_cache;
mod ending;
mod environment;
mod error;
mod event;
pub mod front_door;
mod images;
mod invoke;
pub mod launch;
pub mod logs;
mod metrics;
pub mod outcome;
mod pool;
mod queue;
pub mod report;
mod runtimes;
mod shared;
mod start;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use lamina_model::{Account, Function, FunctionVersion};

pub use environment::StartFault;
pub use error::EngineError;
pub use front_door::{
    FunctionSource, InvocationType, InvokeCommand, InvokeError, InvokeOutcome, invoke,
};
pub use images::{EnvironmentResolver, ResolvedEnvironment};
pub use logs::{LogEvent, LogStore};
pub use outcome::InvokeOutput;
pub use pool::Throttle;
pub use queue::{
    DEFAULT_FUNCTION_CONCURRENCY, LAMBDA_RETRY_DELAY_MS, Queue, QueueConfig, QueueStats,
};
pub use start::SandboxSetup;

use environment::Env;
/// Request ids are made where invocations run; the queue makes them too when it accepts an event.
pub(crate) use invoke::request_id;
use pool::Pools;
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
    /// Where invocations are counted (`lamina server`); `None` records nothing.
    pub metrics: Option<Arc<lamina_metrics::Metrics>>,
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
    /// Given at start; asked on every invoke (from memory) which image a version runs on.
    resolver: Arc<dyn EnvironmentResolver>,
    /// The durable asynchronous queue, once started (`lamina server`); without it `Event`
    /// invokes run in the background from memory (`lamina local`).
    queue: std::sync::OnceLock<Arc<Queue>>,
    /// Counts invocations, throttles and concurrency (`lamina-metrics`).
    metrics: metrics::Recorder,
}

impl Engine {
    /// The logs of every function.
    pub fn logs(&self) -> &Arc<LogStore> {
        &self.shared.logs
    }

    /// Where this engine counts invocations, when metrics are on.
    pub fn metrics(&self) -> Option<&Arc<lamina_metrics::Metrics>> {
        self.metrics.metrics()
    }

    /// The series an asynchronous event of `req` is counted under, when metrics are on.
    pub(crate) fn async_series(&self, req: &InvokeRequest) -> Option<lamina_metrics::SeriesKey> {
        self.metrics.async_series(req)
    }

    /// Counts an asynchronous event accepted into the queue (the front door's `Event`).
    pub(crate) fn record_async_received(&self, series: Option<lamina_metrics::SeriesKey>) {
        self.metrics.async_received(series);
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
}
