//! One execution environment: a sandbox, its Runtime API server and its log stream. It runs
//! one invocation at a time. After a timeout or a crash its runtime is started again in the
//! same sandbox (`/tmp` survives, process state does not), as Lambda re-initialises an
//! environment.
//!
//! The rooms: `start.rs` builds one (code, network, log pipe, sandbox), `init.rs` waits for
//! the runtime's init (restarting it when it died), `invoke.rs` runs one invocation and
//! writes its END/REPORT, `extensions.rs` finds the layers' external extensions and shuts
//! them down. The runtime's lifecycle is [`RuntimeState`]. Every phase also emits Lambda's
//! `platform.*` telemetry records through the Runtime API's [`Telemetry`].
//!
//! An environment runs over [`SandboxHandle`], not the sandbox itself: `tests.rs` drives the
//! state machine (init, init error, timeout, crash, restart in place) over a fake sandbox and
//! the real Runtime API, with a scripted runtime, and no root.

mod extensions;
mod init;
mod invoke;
mod start;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use lamina_runtime_api::{RuntimeApi, ShutdownReason, Telemetry};
use lamina_sandbox::{Sandbox, SandboxHandle};

use crate::error::EngineError;
use crate::launch::LaunchFault;
use crate::logs::{Capture, LogStream};

/// Why an environment could not be started.
#[derive(Debug)]
pub enum StartFault {
    /// The function cannot run as configured.
    Launch(LaunchFault),
    /// Lamina failed.
    Engine(EngineError),
}

impl From<EngineError> for StartFault {
    fn from(e: EngineError) -> Self {
        Self::Engine(e)
    }
}

/// Where the runtime process of an environment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuntimeState {
    /// Started (or restarted); it has not reached its first `/next` yet.
    Initialising,
    /// Init finished; it waits for invocations.
    Ready,
    /// Its process is gone (timed out, crashed, failed init): the next invoke restarts it in
    /// the same sandbox and runs init again.
    Dead,
    /// Lamina lost it (the Runtime API failed, a restart failed): never used again.
    Broken,
}

impl RuntimeState {
    /// Whether init must run before the next invocation.
    fn needs_init(self) -> bool {
        !matches!(self, Self::Ready)
    }
}

/// A warm or starting execution environment, over a started sandbox `S` (the real
/// [`Sandbox`] outside tests).
pub struct Env<S = Sandbox> {
    state: RuntimeState,
    sandbox: S,
    api: RuntimeApi,
    capture: Capture,
    stream: Arc<Mutex<LogStream>>,
    timeout_s: u32,
    memory_mb: u32,
    /// Where the cold start's lines (INIT_START) begin, until the first invocation's Tail
    /// has included them.
    cold_from: Option<u64>,
    /// File names of the external extensions started before the runtime.
    extensions: Vec<String>,
    /// Whether the runtime of the current start was released (after the extensions
    /// registered); false after every start and restart.
    released: bool,
    /// Where `platform.*` records and function lines go.
    telemetry: Telemetry,
    /// `runtimeVersion` and `runtimeVersionArn` for `platform.initStart`.
    runtime_version: Option<(String, String)>,
}

/// The engine-wide settings an invocation runs under.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// How long a runtime may take to reach its first `/next` before init is retried once
    /// under the function's timeout.
    pub init_timeout: Duration,
    /// Billing granularity in ms.
    pub billing_granularity_ms: u64,
}

/// What one invoke hands to the environment.
pub struct Request {
    /// The request id.
    pub request_id: String,
    /// The event.
    pub payload: Bytes,
    /// The ARN the caller used.
    pub invoked_arn: String,
    /// `X-Amz-Client-Context`, decoded from base64.
    pub client_context: Option<String>,
    /// The version label for START and `X-Amz-Executed-Version`.
    pub version: String,
}

fn lock(m: &Mutex<LogStream>) -> std::sync::MutexGuard<'_, LogStream> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<S: SandboxHandle> Env<S> {
    /// Whether it may serve another invocation (pooled) or must be destroyed.
    pub fn healthy(&self) -> bool {
        self.state != RuntimeState::Broken
    }

    /// Kills and removes the environment (off the async threads), after its extensions had
    /// their SHUTDOWN.
    pub fn destroy(mut self) {
        if self.extensions.is_empty() {
            tokio::task::spawn_blocking(move || self.destroy_now());
            return;
        }
        tokio::spawn(async move {
            self.shutdown_extensions(ShutdownReason::Spindown).await;
            let _ = tokio::task::spawn_blocking(move || self.destroy_now()).await;
        });
    }

    /// Kills and removes the environment on this thread (blocking; for shutdown, where the
    /// process must not exit before its sandboxes are gone).
    pub fn destroy_now(self) {
        let Env { sandbox, api, .. } = self;
        drop(api);
        if let Err(e) = sandbox.destroy() {
            tracing::warn!(error = %e, "destroying a sandbox failed");
        }
    }
}
