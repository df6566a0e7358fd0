//! The Telemetry API (`PUT /2022-07-01/telemetry`) and the older Logs API
//! (`PUT /2020-08-15/logs`) for one sandbox: extensions subscribe during init, the platform
//! emits `platform.*` records and the function's and extensions' log lines through
//! [`Telemetry`], and each subscriber gets the kinds it asked for, batched under its own
//! buffering bounds, by HTTP POST (or TCP) to a listener inside the sandbox.
//!
//! Records emitted during init, before anyone could subscribe (`platform.initStart`, the
//! function's init lines), are kept and handed to each subscriber when it subscribes, as
//! Lambda does; subscriptions close when init completes (`Telemetry.SubscriptionClosed`).
//!
//! Reaching into the sandbox is the caller's business: a [`Connector`] opens a TCP connection
//! to a port on the sandbox's loopback.

mod delivery;
mod record;
mod subscription;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub use subscription::TelemetryKind;
pub(crate) use subscription::{Api, Subscription};

use delivery::Feed;
use record::Record;

use crate::wire::ApiError;

/// Opens a TCP connection to `127.0.0.1:<port>` inside the sandbox (its network namespace).
/// Called on a blocking thread.
pub type Connector = Arc<dyn Fn(u16) -> std::io::Result<std::net::TcpStream> + Send + Sync>;

/// A connector for sandboxes sharing the host's network: plain `127.0.0.1:<port>`.
pub fn loopback_connector() -> Connector {
    Arc::new(|port| std::net::TcpStream::connect(("127.0.0.1", port)))
}

/// Records kept from init for subscribers to come.
const MAX_BACKLOG: usize = 1000;

/// Logs API (2020-08-15) platform record types; Telemetry-only ones are not sent there. Its
/// clients parse records by type and refuse a whole batch over one they do not know (the
/// `lambda-extension` crate's `LambdaLogRecord` knows exactly these), so `platform.runtimeDone`
/// reaches them as `platform.end`.
const LOGS_API_PLATFORM_TYPES: [&str; 7] = [
    "platform.start",
    "platform.end",
    "platform.report",
    "platform.extension",
    "platform.logsSubscription",
    "platform.logsDropped",
    "platform.fault",
];

struct Subscriber {
    extension_id: String,
    sub: Subscription,
    feed: Feed,
}

impl Subscriber {
    fn wants(&self, r: &Record) -> bool {
        if !self.sub.kinds.contains(&r.kind) {
            return false;
        }
        match (self.sub.api, r.kind) {
            (Api::Logs, TelemetryKind::Platform) => {
                LOGS_API_PLATFORM_TYPES.contains(&&*r.type_name)
            }
            _ => true,
        }
    }
}

#[derive(Default)]
struct HubState {
    subscribers: Vec<Subscriber>,
    backlog: VecDeque<Arc<Record>>,
    /// Subscriptions close when init completes.
    closed: bool,
}

struct Hub {
    state: Mutex<HubState>,
    connector: Connector,
}

/// The emitting side of one sandbox's telemetry. Cheap to clone; every method is
/// non-blocking (a subscriber that lags loses records, counted in `platform.logsDropped`).
#[derive(Clone)]
pub struct Telemetry {
    hub: Arc<Hub>,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry").finish_non_exhaustive()
    }
}

impl Telemetry {
    pub(crate) fn new(connector: Connector) -> Self {
        Self {
            hub: Arc::new(Hub {
                state: Mutex::new(HubState::default()),
                connector,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        // Each change is a push or a clear: a panic elsewhere leaves the state usable.
        self.hub
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether anything would take a record now (a subscriber, or init's backlog): lets the
    /// caller skip building records nobody reads.
    pub fn active(&self) -> bool {
        let s = self.lock();
        !s.closed || !s.subscribers.is_empty()
    }

    /// Emits a `platform.*` record, e.g. `platform.start` with `{"requestId": …}`.
    pub fn platform(&self, type_name: &str, record: serde_json::Value) {
        let request_id =
            (type_name == "platform.runtimeDone").then(|| record_field(&record, "requestId"));
        self.emit(Record::new(TelemetryKind::Platform, type_name, record));
        if let Some(request_id) = request_id {
            // The Logs API marks the end of the runtime's work with platform.end.
            let has_logs_api = self
                .lock()
                .subscribers
                .iter()
                .any(|s| s.sub.api == Api::Logs);
            if has_logs_api {
                self.emit(Record::new(
                    TelemetryKind::Platform,
                    "platform.end",
                    serde_json::json!({ "requestId": request_id }),
                ));
            }
        }
    }

    /// Emits one line the function wrote.
    pub fn function_line(&self, line: &str) {
        self.emit(Record::new(
            TelemetryKind::Function,
            "function",
            line.into(),
        ));
    }

    /// Emits one line an extension wrote.
    pub fn extension_line(&self, line: &str) {
        self.emit(Record::new(
            TelemetryKind::Extension,
            "extension",
            line.into(),
        ));
    }

    fn emit(&self, record: Record) {
        let record = Arc::new(record);
        let mut s = self.lock();
        if !s.closed {
            if s.backlog.len() >= MAX_BACKLOG {
                s.backlog.pop_front();
            }
            s.backlog.push_back(Arc::clone(&record));
        }
        for sub in s.subscribers.iter().filter(|sub| sub.wants(&record)) {
            sub.feed.offer(Arc::clone(&record));
        }
    }

    /// Subscribes extension `extension_id` (named `name`): replaces its earlier subscription
    /// to the same API, hands it init's backlog, and announces the subscription.
    pub(crate) fn subscribe(
        &self,
        extension_id: &str,
        name: &str,
        sub: Subscription,
    ) -> Result<(), ApiError> {
        let api = sub.api;
        let types: Vec<&'static str> = sub
            .kinds
            .iter()
            .map(|k| match k {
                TelemetryKind::Platform => "platform",
                TelemetryKind::Function => "function",
                TelemetryKind::Extension => "extension",
            })
            .collect();
        {
            let mut s = self.lock();
            if s.closed {
                return Err(ApiError::extension(
                    match api {
                        Api::Telemetry => "Telemetry.SubscriptionClosed",
                        Api::Logs => "Logs.SubscriptionClosed",
                    },
                    match api {
                        Api::Telemetry => "Telemetry API subscription is closed",
                        Api::Logs => "Logs API subscription is closed",
                    }
                    .into(),
                ));
            }
            if s.subscribers
                .iter()
                .any(|o| o.extension_id == extension_id && o.sub.api != api)
            {
                return Err(ApiError::bad_request(
                    "ValidationError",
                    "An extension subscribes to either the Telemetry API or the Logs API, not both"
                        .into(),
                ));
            }
            s.subscribers.retain(|o| o.extension_id != extension_id);
            let feed = delivery::start(&sub, Arc::clone(&self.hub.connector));
            let subscriber = Subscriber {
                extension_id: extension_id.to_owned(),
                sub,
                feed,
            };
            for r in s.backlog.iter().filter(|r| subscriber.wants(r)) {
                subscriber.feed.offer(Arc::clone(r));
            }
            s.subscribers.push(subscriber);
        }
        let (type_name, state) = match api {
            Api::Telemetry => ("platform.telemetrySubscription", "Subscribed"),
            Api::Logs => ("platform.logsSubscription", "Subscribed"),
        };
        self.platform(
            type_name,
            serde_json::json!({ "name": name, "state": state, "types": types }),
        );
        Ok(())
    }

    /// Init completed: no more subscriptions, and init's backlog is no longer needed.
    pub(crate) fn close_subscriptions(&self) {
        let mut s = self.lock();
        s.closed = true;
        s.backlog.clear();
    }

    /// The sandbox's processes start again: subscriptions end (their last batches are still
    /// sent) and the window for new ones opens.
    pub(crate) fn reset(&self) {
        let mut s = self.lock();
        s.subscribers.clear();
        s.backlog.clear();
        s.closed = false;
    }

    /// Ends every subscription; each delivery task sends what it holds and stops.
    pub(crate) fn close(&self) {
        let mut s = self.lock();
        s.subscribers.clear();
        s.backlog.clear();
        s.closed = true;
    }
}

fn record_field(record: &serde_json::Value, name: &str) -> serde_json::Value {
    record.get(name).cloned().unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests;
