//! Asynchronous invocations: the durable queue's start-up, and an accepted event run to its
//! end in the background, retrying a throttle under the function's concurrency as it is then.

use std::sync::Arc;
use std::time::Duration;

use crate::{Engine, EngineError, InvokeOutput, InvokeRequest, Queue, QueueConfig};

impl Engine {
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
}
