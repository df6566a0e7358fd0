//! The durable asynchronous queue. An `Event` invoke is written to the store (group
//! commit, [`writer`]) before it is acknowledged; a dispatcher runs queued events per
//! function within its concurrency, retries them by Lambda's rules, and removes an event
//! only once it is done: succeeded (and handed to its on-success destination), or failed
//! for good (handed to its on-failure destination, or kept as a failed event to be seen
//! and replayed). After a restart every queued event in the store runs.
//!
//! At-least-once: an event whose run finished is removed by the next group commit, a few
//! milliseconds later; a crash inside that window runs it again after the restart.
//!
//! The store is the record and this module's memory only its index (the due events of
//! each function), which fits one node; PostgreSQL would take leases instead.

mod record;
mod writer;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bytes::Bytes;
use lamina_model::event_invoke::{
    Condition, DestinationKind, EventFailure, EventInvokeConfig, EventStatus, LastResponse,
    QueuedEvent, destination_kind, retry_delay_ms, throttle_delay_ms,
};
use lamina_model::{Account, Clock, Function, FunctionVersion, LATEST, LambdaError};
use lamina_store::{EventFilter, EventWrite, EventWritten, Store};
use tokio::sync::Notify;

use crate::{Engine, InvokeRequest};
use writer::Writer;

/// Lambda's first retry delay after a function error (the second is twice as long).
pub const LAMBDA_RETRY_DELAY_MS: u64 = 60_000;
/// Concurrent runs of one function's events when it has no reserved concurrency.
pub const DEFAULT_FUNCTION_CONCURRENCY: u32 = 16;

/// How the queue is set up.
#[derive(Clone)]
pub struct QueueConfig {
    /// The first retry delay after a function error, 60 000 ms as in Lambda. A shorter one
    /// (tests, `--async-retry-delay-ms`) scales every asynchronous timing by the same
    /// factor: the second retry, the throttle back-off and the event age limit.
    pub retry_delay_ms: u64,
    /// Concurrent runs per function without a reservation.
    pub function_concurrency: u32,
    /// The clock events are stamped and aged with.
    pub clock: Arc<dyn Clock>,
}

/// Queue depth of one function, for `lamina events` and the console.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Events waiting or running.
    pub queued: usize,
    /// Events running now.
    pub running: u32,
    /// When the oldest queued event was accepted, Unix ms.
    pub oldest_accepted_ms: Option<i64>,
}

/// The queue; see the module documentation.
pub struct Queue {
    engine: Weak<Engine>,
    store: Arc<dyn Store>,
    writer: Writer,
    account: Account,
    cfg: QueueConfig,
    state: Mutex<State>,
    wake: Notify,
}

#[derive(Default)]
struct State {
    functions: HashMap<String, FunctionQueue>,
}

#[derive(Default)]
struct FunctionQueue {
    /// Events waiting, by (due ms, id).
    ready: BTreeMap<(i64, u64), QueuedEvent>,
    /// Events running.
    running: u32,
}

/// What the store says an event runs as, read before each attempt.
struct Target {
    function: Function,
    version: FunctionVersion,
    config: Option<EventInvokeConfig>,
}

impl Queue {
    /// Starts the queue on `engine`: loads every queued event from the store, starts the
    /// group-commit writer and the dispatcher.
    pub(crate) async fn start(
        engine: &Arc<Engine>,
        store: Arc<dyn Store>,
        account: Account,
        cfg: QueueConfig,
    ) -> Result<Arc<Queue>, crate::EngineError> {
        let writer = Writer::start(Arc::clone(&store))
            .map_err(|e| crate::EngineError::Internal(format!("queue writer thread: {e}")))?;
        let loaded = {
            let store = Arc::clone(&store);
            tokio::task::spawn_blocking(move || load_queued(store.as_ref()))
                .await
                .map_err(|e| crate::EngineError::Internal(format!("queue load task: {e}")))?
                .map_err(|e| crate::EngineError::Internal(format!("loading the queue: {e}")))?
        };
        if !loaded.is_empty() {
            tracing::info!(
                events = loaded.len(),
                "asynchronous events waiting from before the restart"
            );
        }
        let queue = Arc::new(Queue {
            engine: Arc::downgrade(engine),
            store,
            writer,
            account,
            cfg,
            state: Mutex::new(State::default()),
            wake: Notify::new(),
        });
        {
            let mut state = queue.lock();
            for event in loaded {
                state
                    .functions
                    .entry(event.function.clone())
                    .or_default()
                    .ready
                    .insert((event.due_ms, event.id), event);
            }
        }
        let dispatcher = Arc::clone(&queue);
        tokio::spawn(async move { dispatcher.dispatch().await });
        Ok(queue)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Only plain map updates happen under this lock; a panic cannot leave them half done.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn now_ms(&self) -> i64 {
        (self.cfg.clock.now().unix_timestamp_nanos() / 1_000_000) as i64
    }

    /// Accepts an event: returns its request id once it is durable in the store. `version`
    /// is the version resolved now; `qualifier` the one the caller named.
    pub async fn enqueue(
        &self,
        function: &str,
        version: &str,
        qualifier: Option<&str>,
        payload: Bytes,
        request_id: Option<String>,
    ) -> Result<String, LambdaError> {
        let now = self.now_ms();
        let event = QueuedEvent::new(
            function,
            version,
            qualifier.map(str::to_string),
            request_id.unwrap_or_else(crate::request_id),
            payload.to_vec(),
            now,
        );
        let request_id = event.request_id.clone();
        self.store_new(event).await.map_err(|e| match e {
            Stored::Missing => LambdaError::not_found(format!(
                "Function not found: {}",
                self.account.function_arn(function)
            )),
            Stored::Failed(e) => {
                tracing::error!(error = %e, function, "storing an accepted event failed");
                LambdaError::service("Lamina's store failed; see the server log")
            }
        })?;
        Ok(request_id)
    }

    /// Writes a new queued event durably, then hands it to the dispatcher.
    async fn store_new(&self, mut event: QueuedEvent) -> Result<u64, Stored> {
        let written = self
            .writer
            .commit(vec![EventWrite::Enqueue(event.clone())])
            .await
            .map_err(Stored::Failed)?;
        match written.first() {
            Some(EventWritten::Stored(id)) => {
                event.id = *id;
                self.schedule(event);
                Ok(*id)
            }
            _ => Err(Stored::Missing),
        }
    }

    fn schedule(&self, event: QueuedEvent) {
        self.lock()
            .functions
            .entry(event.function.clone())
            .or_default()
            .ready
            .insert((event.due_ms, event.id), event);
        self.wake.notify_one();
    }

    /// Depth and age of one function's queue.
    pub fn stats(&self, function: &str) -> QueueStats {
        let state = self.lock();
        let Some(q) = state.functions.get(function) else {
            return QueueStats::default();
        };
        QueueStats {
            queued: q.ready.len() + q.running as usize,
            running: q.running,
            oldest_accepted_ms: q.ready.values().map(|e| e.accepted_ms).min(),
        }
    }

    /// Puts failed events of `function` back in the queue (all, or the one with `id`), as
    /// new: attempts and age start again, the request id stays. Returns how many.
    pub async fn replay(&self, function: &str, id: Option<u64>) -> Result<usize, LambdaError> {
        let failed = self.failed(function, id).await?;
        let now = self.now_ms();
        let updated: Vec<QueuedEvent> = failed
            .into_iter()
            .map(|mut e| {
                e.status = EventStatus::Queued;
                e.failure = None;
                e.attempts = 0;
                e.throttles = 0;
                e.accepted_ms = now;
                e.due_ms = now;
                e.last_response = None;
                e
            })
            .collect();
        let written = self
            .writer
            .commit(updated.iter().cloned().map(EventWrite::Update).collect())
            .await
            .map_err(store_fault)?;
        let mut count = 0;
        for (event, w) in updated.into_iter().zip(written) {
            if w == EventWritten::Done {
                count += 1;
                self.schedule(event);
            }
        }
        Ok(count)
    }

    /// Deletes failed events of `function` (all, or the one with `id`). Returns how many.
    pub async fn purge(&self, function: &str, id: Option<u64>) -> Result<usize, LambdaError> {
        let failed = self.failed(function, id).await?;
        let written = self
            .writer
            .commit(failed.iter().map(|e| EventWrite::Remove(e.id)).collect())
            .await
            .map_err(store_fault)?;
        Ok(written.iter().filter(|w| **w == EventWritten::Done).count())
    }

    async fn failed(
        &self,
        function: &str,
        id: Option<u64>,
    ) -> Result<Vec<QueuedEvent>, LambdaError> {
        let store = Arc::clone(&self.store);
        let filter = EventFilter {
            function: Some(function.to_string()),
            status: Some(EventStatus::Failed),
            after_id: 0,
            limit: usize::MAX,
        };
        let all = tokio::task::spawn_blocking(move || store.list_events(&filter))
            .await
            .map_err(|e| store_fault(e.to_string()))?
            .map_err(|e| store_fault(e.to_string()))?;
        Ok(all
            .into_iter()
            .filter(|e| id.is_none_or(|id| e.id == id))
            .collect())
    }

    /// Runs due events as their functions have room, forever.
    async fn dispatch(self: Arc<Self>) {
        loop {
            let now = self.now_ms();
            let (due, next) = self.take_due(now);
            for event in due {
                let queue = Arc::clone(&self);
                tokio::spawn(async move { queue.run(event).await });
            }
            let wait = next.map_or(Duration::from_secs(3600), |at| {
                Duration::from_millis(u64::try_from(at - now).unwrap_or(0).max(1))
            });
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Takes the due events of every function with room, and tells when the next one is
    /// due. A function's room is its reserved concurrency (at least one, so that events of
    /// a function at 0 still come up to be throttled and aged out) or the default.
    fn take_due(&self, now: i64) -> (Vec<QueuedEvent>, Option<i64>) {
        let mut state = self.lock();
        let mut due = Vec::new();
        let mut next: Option<i64> = None;
        let cap = self.cfg.function_concurrency.max(1);
        for q in state.functions.values_mut() {
            while q.running < cap {
                let Some((&(at, id), _)) = q.ready.first_key_value() else {
                    break;
                };
                if at > now {
                    next = Some(next.map_or(at, |n| n.min(at)));
                    break;
                }
                if let Some(event) = q.ready.remove(&(at, id)) {
                    q.running += 1;
                    due.push(event);
                }
            }
        }
        state
            .functions
            .retain(|_, q| q.running > 0 || !q.ready.is_empty());
        (due, next)
    }

    /// The attempt ended: one run fewer, and the dispatcher looks again.
    fn finished(&self, function: &str) {
        if let Some(q) = self.lock().functions.get_mut(function) {
            q.running = q.running.saturating_sub(1);
        }
        self.wake.notify_one();
    }

    /// One attempt of `event`, and what follows from its outcome.
    async fn run(self: Arc<Self>, mut event: QueuedEvent) {
        let function = event.function.clone();
        self.attempt(&mut event).await;
        self.finished(&function);
    }

    async fn attempt(&self, event: &mut QueuedEvent) {
        let target = match self.target(event).await {
            Ok(Some(t)) => t,
            Ok(None) => {
                // The function or version is gone; the store dropped its events with it.
                self.writer.send(vec![EventWrite::Remove(event.id)]);
                return;
            }
            Err(e) => {
                tracing::warn!(function = %event.function, error = %e, "reading an event's function failed; retrying");
                self.back_off(event, None, e);
                return;
            }
        };
        let config = target.config.as_ref();
        let now = self.now_ms();
        if now - event.accepted_ms > self.max_age_ms(config) {
            self.fail(event, &target, Condition::EventAgeExceeded).await;
            return;
        }
        let Some(engine) = self.engine.upgrade() else {
            return;
        };
        let invoked_arn = match &event.qualifier {
            Some(q) => self.account.qualified_function_arn(&event.function, q),
            None => self.account.function_arn(&event.function),
        };
        let request = InvokeRequest {
            function: target.function.clone(),
            version: target.version.clone(),
            invoked_arn,
            payload: Bytes::from(event.payload.clone()),
            client_context: None,
            request_id: Some(event.request_id.clone()),
        };
        match engine.invoke(request).await {
            Ok(output) => {
                event.attempts += 1;
                event.throttles = 0;
                event.last_response = Some(LastResponse {
                    executed_version: output.executed_version.clone(),
                    function_error: output.function_error.map(str::to_string),
                    payload: String::from_utf8_lossy(&output.payload).into_owned(),
                });
                if output.function_error.is_none() {
                    self.succeed(event, &target).await;
                    return;
                }
                event.last_error = Some(error_summary(&output.payload));
                let retries = EventInvokeConfig::retries(config);
                if event.attempts > retries {
                    self.fail(event, &target, Condition::RetriesExhausted).await;
                    return;
                }
                let delay = retry_delay_ms(self.cfg.retry_delay_ms, event.attempts);
                self.reschedule(event, &target, delay).await;
            }
            Err(e) => self.back_off(event, Some(&target), e.message),
        }
    }

    /// A throttle or a platform error: back off (1 s doubling to 5 min, scaled). When the
    /// event would be too old by then, it comes up again the moment its age runs out, to
    /// fail as `EventAgeExceeded`.
    fn back_off(&self, event: &mut QueuedEvent, target: Option<&Target>, error: String) {
        event.throttles += 1;
        event.last_error = Some(error);
        let delay = throttle_delay_ms(self.cfg.retry_delay_ms, event.throttles).max(1);
        let mut due = self.now_ms() + i64::try_from(delay).unwrap_or(i64::MAX / 4);
        if let Some(t) = target {
            let expires = event.accepted_ms + self.max_age_ms(t.config.as_ref()) + 1;
            due = due.min(expires);
        }
        event.due_ms = due;
        self.writer.send(vec![EventWrite::Update(event.clone())]);
        self.schedule(event.clone());
    }

    /// A function error with retries left: run again after `delay_ms`, unless the event
    /// would be older than its limit by then.
    async fn reschedule(&self, event: &mut QueuedEvent, target: &Target, delay_ms: u64) {
        let due = self.now_ms() + i64::try_from(delay_ms).unwrap_or(i64::MAX / 4);
        if due - event.accepted_ms > self.max_age_ms(target.config.as_ref()) {
            self.fail(event, target, Condition::EventAgeExceeded).await;
            return;
        }
        event.due_ms = due;
        self.writer.send(vec![EventWrite::Update(event.clone())]);
        self.schedule(event.clone());
    }

    /// The event's age limit in ms, scaled like the retry delays.
    fn max_age_ms(&self, config: Option<&EventInvokeConfig>) -> i64 {
        let seconds = u64::from(EventInvokeConfig::max_age_seconds(config));
        let ms = seconds.saturating_mul(self.cfg.retry_delay_ms) / 60;
        i64::try_from(ms).unwrap_or(i64::MAX / 4)
    }

    /// The qualified ARN the record names.
    fn record_arn(&self, event: &QueuedEvent) -> String {
        self.account.qualified_function_arn(
            &event.function,
            event.qualifier.as_deref().unwrap_or(LATEST),
        )
    }

    async fn succeed(&self, event: &mut QueuedEvent, target: &Target) {
        let destination = target.config.as_ref().and_then(|c| c.on_success.clone());
        match destination {
            None => self.writer.send(vec![EventWrite::Remove(event.id)]),
            Some(arn) => {
                self.deliver(event, Condition::Success, &arn).await;
            }
        }
    }

    async fn fail(&self, event: &mut QueuedEvent, target: &Target, condition: Condition) {
        tracing::info!(function = %event.function, request_id = %event.request_id, condition = condition.as_str(), attempts = event.attempts, "asynchronous invocation failed for good");
        let destination = target.config.as_ref().and_then(|c| c.on_failure.clone());
        match destination {
            Some(arn) => self.deliver(event, condition, &arn).await,
            None => {
                let reason = event
                    .last_error
                    .clone()
                    .unwrap_or_else(|| condition.as_str().to_string());
                self.keep_failed(event, condition, reason);
            }
        }
    }

    /// Keeps `event` as a failed event with its record.
    fn keep_failed(&self, event: &mut QueuedEvent, condition: Condition, reason: String) {
        self.mark_failed(event, condition, reason);
        self.writer.send(vec![EventWrite::Update(event.clone())]);
    }

    /// Turns `event` into a failed event with its record and `reason`.
    fn mark_failed(&self, event: &mut QueuedEvent, condition: Condition, reason: String) {
        let record = record::record(
            event,
            &self.record_arn(event),
            condition,
            self.cfg.clock.now(),
        );
        event.status = EventStatus::Failed;
        event.failure = Some(EventFailure {
            condition,
            record: record.to_string(),
            reason,
            failed_ms: self.now_ms(),
        });
    }

    /// Hands the record to `arn`: a Lamina function gets it as a new asynchronous event, in
    /// the same transaction that removes this one; any other service cannot be reached from
    /// here, so the event is kept as failed, naming the destination.
    async fn deliver(&self, event: &mut QueuedEvent, condition: Condition, arn: &str) {
        let record = record::record(
            event,
            &self.record_arn(event),
            condition,
            self.cfg.clock.now(),
        );
        let DestinationKind::Function {
            name, qualifier, ..
        } = destination_kind(arn)
        else {
            let reason = format!(
                "delivery to {arn} failed: Lamina runs no {} service; the record is kept here",
                service_of(arn)
            );
            tracing::warn!(function = %event.function, request_id = %event.request_id, destination = arn, "destination delivery failed");
            self.keep_failed(event, condition, reason);
            return;
        };
        let now = self.now_ms();
        let payload = record.to_string().into_bytes();
        let delivery = QueuedEvent::new(
            name.clone(),
            qualifier.clone().unwrap_or_else(|| LATEST.to_string()),
            qualifier,
            crate::request_id(),
            payload,
            now,
        );
        let written = self
            .writer
            .commit(vec![
                EventWrite::Enqueue(delivery.clone()),
                EventWrite::Remove(event.id),
            ])
            .await;
        match written.as_deref() {
            Ok([EventWritten::Stored(id), _]) => {
                let mut delivery = delivery;
                delivery.id = *id;
                self.schedule(delivery);
            }
            Ok(_) => {
                // The destination function is gone: keep the event (stored anew, since the
                // same transaction removed it) as failed.
                let reason = format!("delivery to {arn} failed: the function does not exist");
                let mut kept = event.clone();
                kept.id = 0;
                self.mark_failed(&mut kept, condition, reason);
                self.writer.send(vec![EventWrite::Enqueue(kept)]);
            }
            Err(e) => {
                tracing::error!(error = %e, "delivering a record failed; the event stays queued");
                self.back_off(event, None, e.clone());
            }
        }
    }

    /// The function, version and config an event runs as now; `None` if they are gone.
    async fn target(&self, event: &QueuedEvent) -> Result<Option<Target>, String> {
        let store = Arc::clone(&self.store);
        let (name, version, qualifier) = (
            event.function.clone(),
            event.version.clone(),
            event
                .qualifier
                .clone()
                .unwrap_or_else(|| LATEST.to_string()),
        );
        tokio::task::spawn_blocking(move || -> Result<Option<Target>, String> {
            let s = store.as_ref();
            let Some(function) = s.get_function(&name).map_err(|e| e.to_string())? else {
                return Ok(None);
            };
            let mut label = version;
            if label != LATEST && !label.bytes().all(|b| b.is_ascii_digit()) {
                match s.get_alias(&name, &label).map_err(|e| e.to_string())? {
                    Some(alias) => label = alias.function_version,
                    None => return Ok(None),
                }
            }
            let version = if label == LATEST {
                function.latest.clone()
            } else {
                match s.get_version(&name, &label).map_err(|e| e.to_string())? {
                    Some(v) => v,
                    None => return Ok(None),
                }
            };
            let config = s
                .get_event_invoke_config(&name, &qualifier)
                .map_err(|e| e.to_string())?;
            Ok(Some(Target {
                function,
                version,
                config,
            }))
        })
        .await
        .map_err(|e| e.to_string())?
    }
}

enum Stored {
    Missing,
    Failed(String),
}

fn store_fault(e: String) -> LambdaError {
    tracing::error!(error = %e, "event queue store failure");
    LambdaError::service("Lamina's store failed; see the server log")
}

/// Every queued event in the store, oldest first.
fn load_queued(store: &dyn Store) -> Result<Vec<QueuedEvent>, lamina_store::StoreError> {
    let mut out: Vec<QueuedEvent> = Vec::new();
    loop {
        let page = store.list_events(&EventFilter {
            function: None,
            status: Some(EventStatus::Queued),
            after_id: out.last().map_or(0, |e| e.id),
            limit: 1000,
        })?;
        if page.is_empty() {
            return Ok(out);
        }
        out.extend(page);
    }
}

/// `errorType: errorMessage` of an error payload, or its first 200 characters.
fn error_summary(payload: &[u8]) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(payload).ok();
    match parsed {
        Some(v) if v.get("errorType").is_some() || v.get("errorMessage").is_some() => format!(
            "{}: {}",
            v["errorType"].as_str().unwrap_or("Error"),
            v["errorMessage"].as_str().unwrap_or("")
        ),
        _ => String::from_utf8_lossy(payload).chars().take(200).collect(),
    }
}

/// The service part of an ARN (`sqs`, `sns`, `events`, `s3`).
fn service_of(arn: &str) -> &str {
    arn.split(':').nth(2).unwrap_or("such")
}
