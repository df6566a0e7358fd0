//! The Extensions API's state for one sandbox: who registered, for which events, and where
//! each extension stands in Lambda's lifecycle. It owns the hand-off of INVOKE and SHUTDOWN
//! events to each extension's long-poll `/event/next` and answers the platform's questions
//! (have the external extensions registered, has every extension called `/next` again).
//!
//! It does not own processes: the engine starts the executables of `/opt/extensions`, tells
//! this registry their names ([`Registry::expect`]), and kills them. Registrations with an
//! expected name are external; any other is an internal extension (a thread of the runtime
//! process), which Lambda lets register for INVOKE only.

mod event;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::watch;

pub use event::{EventKind, ShutdownReason};
pub(crate) use event::{invoke_event, shutdown_event};

use crate::wire::ApiError;

/// Lambda's limit on extensions per function (`MaxAgentsAllowed` in the emulator).
pub const MAX_EXTENSIONS: usize = 10;

/// Where one extension stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExtState {
    /// Registered; it has not called `/event/next` yet (its init is running).
    Registered,
    /// Waiting in (or between calls to) `/event/next`: done with its last event.
    Waiting,
    /// It took an event and has not called `/event/next` again.
    Processing,
    /// It posted `/exit/error`: nobody waits for it any more.
    Failed,
}

/// One registered extension.
#[derive(Debug)]
struct Ext {
    id: String,
    name: String,
    invoke: bool,
    shutdown: bool,
    state: ExtState,
    /// The next event's JSON, waiting for the extension's `/event/next`.
    pending: Option<Bytes>,
}

/// An error an extension posted with `/init/error`: init fails with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PostedError {
    pub(crate) error_type: String,
    pub(crate) body: Bytes,
}

#[derive(Debug, Default)]
struct Inner {
    exts: Vec<Ext>,
    /// File names of the external extensions the engine started, in start order.
    expected: Vec<String>,
    /// Registration closes when the runtime finishes init (its first `/next`).
    closed_for_registration: bool,
    init_error: Option<PostedError>,
    shut: bool,
}

/// What a successful registration returns to the handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Registered {
    pub(crate) id: String,
}

/// The Extensions API's registry for one sandbox.
#[derive(Debug)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
    /// Bumped on every change; waiters re-check their condition on each bump.
    changed: watch::Sender<u64>,
}

/// Whether every extension has come back from its last event, and whether one failed init.
enum Progress {
    Waiting,
    Done,
    InitFailed(PostedError),
}

impl Registry {
    pub(crate) fn new() -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            changed: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every transition below is a set of plain assignments: a panic elsewhere cannot leave
        // the registry half-updated, so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    // ---- extension side -----------------------------------------------------------------

    /// `POST /extension/register`.
    pub(crate) fn register(
        &self,
        name: &str,
        events: &[EventKind],
    ) -> Result<Registered, ApiError> {
        let mut m = self.lock();
        if m.shut {
            return Err(ApiError::Closed);
        }
        if m.closed_for_registration {
            return Err(ApiError::extension(
                "Extension.RegistrationClosed",
                "Extension registration closed already".into(),
            ));
        }
        if name.is_empty() {
            return Err(ApiError::extension(
                "Extension.InvalidExtensionName",
                "Empty extension name".into(),
            ));
        }
        if m.exts.iter().any(|e| e.name == name) {
            return Err(ApiError::extension(
                "Extension.InvalidExtensionName",
                format!("Extension {name} is already registered"),
            ));
        }
        if m.exts.len() >= MAX_EXTENSIONS {
            return Err(ApiError::extension(
                "Extension.TooManyExtensions",
                format!("Too many extensions registered (at most {MAX_EXTENSIONS})"),
            ));
        }
        let external = m.expected.iter().any(|n| n == name);
        let shutdown = events.contains(&EventKind::Shutdown);
        if shutdown && !external {
            return Err(ApiError::extension(
                "Extension.InvalidEventType",
                "Internal extensions cannot register for the SHUTDOWN event".into(),
            ));
        }
        let id = new_id();
        m.exts.push(Ext {
            id: id.clone(),
            name: name.to_owned(),
            invoke: events.contains(&EventKind::Invoke),
            shutdown,
            state: ExtState::Registered,
            pending: None,
        });
        drop(m);
        self.bump();
        Ok(Registered { id })
    }

    /// The name of the extension with identifier `id`, when it exists.
    pub(crate) fn name_of(&self, id: &str) -> Result<String, ApiError> {
        let m = self.lock();
        m.exts
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.name.clone())
            .ok_or_else(unknown_identifier)
    }

    /// `GET /extension/event/next`: the extension is done with its last event (or its init);
    /// waits for the next event and hands it over.
    pub(crate) async fn next(&self, id: &str) -> Result<Bytes, ApiError> {
        let mut rx = self.changed.subscribe();
        {
            let mut m = self.lock();
            let ext = find(&mut m, id)?;
            if ext.state != ExtState::Failed {
                ext.state = ExtState::Waiting;
            }
            let taken = take_event(ext);
            drop(m);
            self.bump();
            if let Some(event) = taken {
                return Ok(event);
            }
        }
        loop {
            if rx.changed().await.is_err() {
                return Err(ApiError::Closed);
            }
            let mut m = self.lock();
            if m.shut {
                return Err(ApiError::Closed);
            }
            let ext = find(&mut m, id)?;
            if let Some(event) = take_event(ext) {
                drop(m);
                self.bump();
                return Ok(event);
            }
        }
    }

    /// `POST /extension/init/error`: init fails with this error.
    pub(crate) fn init_error(&self, id: &str, error: PostedError) -> Result<(), ApiError> {
        let mut m = self.lock();
        let ext = find(&mut m, id)?;
        ext.state = ExtState::Failed;
        m.init_error.get_or_insert(error);
        drop(m);
        self.bump();
        Ok(())
    }

    /// `POST /extension/exit/error`: the extension is exiting; nobody waits for it any more.
    pub(crate) fn exit_error(&self, id: &str) -> Result<(), ApiError> {
        let mut m = self.lock();
        let ext = find(&mut m, id)?;
        ext.state = ExtState::Failed;
        ext.pending = None;
        drop(m);
        self.bump();
        Ok(())
    }

    // ---- platform side ------------------------------------------------------------------

    /// A new start of the sandbox's processes: forget every registration and expect the
    /// external extensions named `names` (file names in `/opt/extensions`).
    pub(crate) fn expect(&self, names: Vec<String>) {
        let mut m = self.lock();
        let shut = m.shut;
        *m = Inner {
            expected: names,
            shut,
            ..Inner::default()
        };
        drop(m);
        self.bump();
    }

    /// Forgets every registration and reopens registration (the processes were restarted).
    pub(crate) fn reset(&self) {
        let expected = std::mem::take(&mut self.lock().expected);
        self.expect(expected);
    }

    /// Closes registration: the runtime finished init.
    pub(crate) fn close_registration(&self) {
        self.lock().closed_for_registration = true;
        self.bump();
    }

    /// How many extensions are registered.
    pub(crate) fn count(&self) -> usize {
        self.lock().exts.len()
    }

    /// Waits until every expected external extension has registered (or one failed init).
    /// False when `deadline` passed first.
    pub(crate) async fn wait_registered(&self, deadline: Instant) -> bool {
        self.wait_for(deadline, |m| {
            if m.init_error.is_some() {
                return Progress::Done;
            }
            let all = m
                .expected
                .iter()
                .all(|n| m.exts.iter().any(|e| &e.name == n));
            if all {
                Progress::Done
            } else {
                Progress::Waiting
            }
        })
        .await
        .is_some()
    }

    /// Waits until every extension has called `/event/next` since its last event (or since
    /// registering). `Some(Ok)` when they have, `Some(Err)` when one posted `/init/error`,
    /// `None` when `deadline` passed first.
    pub(crate) async fn wait_all_next(&self, deadline: Instant) -> Option<Result<(), PostedError>> {
        self.wait_for(deadline, |m| {
            if let Some(e) = &m.init_error {
                return Progress::InitFailed(e.clone());
            }
            let done = m.exts.iter().all(|e| {
                e.state == ExtState::Failed || (e.state == ExtState::Waiting && e.pending.is_none())
            });
            if done {
                Progress::Done
            } else {
                Progress::Waiting
            }
        })
        .await
    }

    /// Resolves when an extension posts `/init/error` (pending forever otherwise).
    pub(crate) async fn wait_init_error(&self) -> PostedError {
        let mut rx = self.changed.subscribe();
        loop {
            if let Some(e) = self.lock().init_error.clone() {
                return e;
            }
            if rx.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    /// Hands `event` to every extension registered for `kind`; returns how many got it.
    pub(crate) fn dispatch(&self, kind: EventKind, event: Bytes) -> usize {
        let mut m = self.lock();
        let mut n = 0;
        for e in m.exts.iter_mut().filter(|e| e.state != ExtState::Failed) {
            let wants = match kind {
                EventKind::Invoke => e.invoke,
                EventKind::Shutdown => e.shutdown,
            };
            if wants {
                e.pending = Some(event.clone());
                n += 1;
            }
        }
        drop(m);
        if n > 0 {
            self.bump();
        }
        n
    }

    /// Names of the extensions that have not come back from their last event.
    pub(crate) fn laggards(&self) -> Vec<String> {
        let m = self.lock();
        m.exts
            .iter()
            .filter(|e| {
                e.state != ExtState::Failed && (e.state != ExtState::Waiting || e.pending.is_some())
            })
            .map(|e| e.name.clone())
            .collect()
    }

    /// Stops everything: waiting extensions get 500 and should exit.
    pub(crate) fn close(&self) {
        self.lock().shut = true;
        self.bump();
    }

    async fn wait_for(
        &self,
        deadline: Instant,
        check: impl Fn(&Inner) -> Progress,
    ) -> Option<Result<(), PostedError>> {
        let mut rx = self.changed.subscribe();
        let wait = async {
            loop {
                match check(&self.lock()) {
                    Progress::Done => return Ok(()),
                    Progress::InitFailed(e) => return Err(e),
                    Progress::Waiting => {}
                }
                if rx.changed().await.is_err() {
                    // The sender lives in `self`; this cannot happen while we borrow it.
                    return Ok(());
                }
            }
        };
        tokio::time::timeout_at(deadline.into(), wait).await.ok()
    }
}

fn find<'a>(m: &'a mut Inner, id: &str) -> Result<&'a mut Ext, ApiError> {
    if m.shut {
        return Err(ApiError::Closed);
    }
    m.exts
        .iter_mut()
        .find(|e| e.id == id)
        .ok_or_else(unknown_identifier)
}

fn unknown_identifier() -> ApiError {
    ApiError::extension(
        "Extension.UnknownExtensionIdentifier",
        "Unknown extension identifier".into(),
    )
}

fn take_event(ext: &mut Ext) -> Option<Bytes> {
    let event = ext.pending.take()?;
    ext.state = ExtState::Processing;
    Some(event)
}

/// A fresh extension (or event) identifier: a random v4 UUID.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests;
