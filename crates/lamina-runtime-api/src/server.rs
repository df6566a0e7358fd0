//! [`RuntimeApi`]: the platform's handle on one sandbox's Runtime API server. It owns the
//! accept loop (HTTP/1.1 only, keep-alive, `TCP_NODELAY`) and exposes the engine-facing
//! operations; the request handling lives in `endpoints/`, the state machine in `state.rs`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::endpoints::router;
use crate::error::{InvokeError, RuntimeApiError};
use crate::extensions::{EventKind, ShutdownReason, shutdown_event};
use crate::invocation::{InitOutcome, Invocation, InvokeOutcome};
use crate::state::{Core, FunctionInfo};
use crate::telemetry::{Connector, Telemetry, loopback_connector};

/// Settings of one sandbox's Runtime API.
#[derive(Clone)]
pub struct RuntimeApiConfig {
    /// Largest `/response`, `/error` or `/init/error` body accepted, in bytes. Lambda's limit
    /// is [`crate::MAX_RESPONSE_BYTES`] (6 MiB + 100 bytes).
    pub max_payload_bytes: usize,
    /// What the Extensions API's `/register` tells extensions about the function.
    pub function: FunctionInfo,
    /// How telemetry reaches a subscriber's listener inside the sandbox.
    pub connector: Connector,
}

impl std::fmt::Debug for RuntimeApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeApiConfig")
            .field("max_payload_bytes", &self.max_payload_bytes)
            .field("function", &self.function)
            .finish_non_exhaustive()
    }
}

impl Default for RuntimeApiConfig {
    fn default() -> Self {
        Self {
            max_payload_bytes: crate::MAX_RESPONSE_BYTES,
            function: FunctionInfo::default(),
            connector: loopback_connector(),
        }
    }
}

/// The Runtime API of one sandbox. Dropping it (or [`RuntimeApi::shutdown`]) stops the
/// server, closes every connection and fails pending invokes with [`InvokeError::Closed`].
pub struct RuntimeApi {
    core: Arc<Core>,
    local_addr: SocketAddr,
    server: JoinHandle<()>,
    connections: Arc<AtomicU64>,
}

impl RuntimeApi {
    /// Starts serving on `listener` (already bound, e.g. 127.0.0.1:9001 in the sandbox's
    /// network namespace) on the current tokio runtime.
    pub fn serve(
        listener: std::net::TcpListener,
        cfg: RuntimeApiConfig,
    ) -> Result<Self, RuntimeApiError> {
        let handle =
            tokio::runtime::Handle::try_current().map_err(|_| RuntimeApiError::NoTokioRuntime)?;
        listener
            .set_nonblocking(true)
            .map_err(RuntimeApiError::Listener)?;
        let local_addr = listener.local_addr().map_err(RuntimeApiError::Listener)?;
        let listener = {
            let _guard = handle.enter();
            TcpListener::from_std(listener).map_err(RuntimeApiError::Listener)?
        };
        let core = Arc::new(Core::new(
            cfg.max_payload_bytes,
            cfg.function,
            cfg.connector,
        ));
        let app = router(core.clone());
        let connections = Arc::new(AtomicU64::new(0));
        let server = handle.spawn(accept_loop(listener, app, connections.clone()));
        Ok(Self {
            core,
            local_addr,
            server,
            connections,
        })
    }

    /// The address the server listens on (what `AWS_LAMBDA_RUNTIME_API` points at).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// How many TCP connections the server has accepted so far. A healthy runtime keeps one
    /// keep-alive connection; a growing count means it reconnects per request (slow).
    pub fn connections_accepted(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Waits until the runtime finishes init (its first `/next`), reports an init error, or
    /// `deadline` passes.
    pub async fn wait_init(&self, deadline: Instant) -> InitOutcome {
        self.core.wait_init(deadline).await
    }

    /// Hands `inv` to the runtime's waiting `/next` (or the next one to come) and resolves
    /// with its answer. Dropping the future withdraws a not-yet-delivered invocation; the
    /// engine applies the timeout and kills the sandbox.
    pub async fn invoke(&self, inv: Invocation) -> Result<InvokeOutcome, InvokeError> {
        self.core.invoke(inv).await
    }

    /// Names the external extensions (file names in `/opt/extensions`) started for this run
    /// of the sandbox's processes; registrations under these names are external. Call it
    /// before they start, and again after [`RuntimeApi::reset`] if the set changed.
    pub fn expect_extensions(&self, names: Vec<String>) {
        self.core.extensions.expect(names);
    }

    /// Waits until every expected external extension has registered (the moment Lambda
    /// starts the runtime), or one posted `/init/error`. False when `deadline` passed first.
    pub async fn wait_extensions_registered(&self, deadline: Instant) -> bool {
        self.core.extensions.wait_registered(deadline).await
    }

    /// How many extensions (external and internal) are registered.
    pub fn extensions_registered(&self) -> usize {
        self.core.extensions.count()
    }

    /// Waits until every extension has called `/event/next` since its last event: the end of
    /// an invocation's post-runtime phase, or of a shutdown. False when `deadline` passed
    /// first (see [`RuntimeApi::extension_laggards`]).
    pub async fn wait_extensions_next(&self, deadline: Instant) -> bool {
        matches!(
            self.core.extensions.wait_all_next(deadline).await,
            Some(Ok(()))
        )
    }

    /// Names of the extensions that have not come back from their last event.
    pub fn extension_laggards(&self) -> Vec<String> {
        self.core.extensions.laggards()
    }

    /// Sends SHUTDOWN to every extension registered for it and returns how many got it;
    /// then [`RuntimeApi::wait_extensions_next`] waits for them. Telemetry subscriptions end
    /// first, so what they hold is sent while the extensions still run.
    pub fn shutdown_extensions(&self, reason: ShutdownReason, deadline_ms: u64) -> usize {
        self.core.telemetry.close();
        self.core
            .extensions
            .dispatch(EventKind::Shutdown, shutdown_event(reason, deadline_ms))
    }

    /// The sandbox's telemetry: where the platform emits `platform.*` records and log lines.
    pub fn telemetry(&self) -> Telemetry {
        self.core.telemetry.clone()
    }

    /// Readies the server for a new runtime process (after a crash, timeout or a failed
    /// init): the state goes back to Initializing, an unanswered invocation is dropped, a
    /// queued one is kept for the new runtime. Requests still waiting from the old runtime
    /// are refused.
    pub fn reset(&self) {
        self.core.reset();
    }

    /// Stops the server: the port closes, every connection (long polls included) is
    /// dropped, and pending or later invokes get [`InvokeError::Closed`]. Idempotent; it
    /// takes `&self` so a handle shared with in-flight invokes can be shut down. Dropping
    /// the handle does the same.
    pub fn shutdown(&self) {
        self.core.close();
        // Aborting the accept loop drops its listener and its JoinSet, which aborts every
        // connection task.
        self.server.abort();
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn accept_loop(listener: TcpListener, app: Router, accepted_count: Arc<AtomicU64>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    accepted_count.fetch_add(1, Ordering::Relaxed);
                    // Every request is small and latency bound: never wait for Nagle.
                    let _ = stream.set_nodelay(true);
                    let service = TowerToHyperService::new(app.clone());
                    connections.spawn(async move {
                        let served = http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                        if let Err(e) = served {
                            tracing::debug!(error = %e, "runtime api connection ended with an error");
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors or a transient accept failure: back off briefly
                    // instead of spinning.
                    tracing::warn!(error = %e, "runtime api accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
