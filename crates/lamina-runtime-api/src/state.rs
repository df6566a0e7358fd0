//! The state machine of one sandbox's runtime, shared by the HTTP handlers (runtime side) and
//! [`crate::RuntimeApi`] (platform side). It owns the hand-off of an invocation from the engine
//! to the runtime's long-poll `/next`, and the single answer that goes back.
//!
//! The lock is per sandbox and is never held across an `.await`; the hand-off is a `Notify`
//! permit plus a `oneshot` channel, so a warm invoke costs two uncontended lock round trips.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::{Notify, oneshot, watch};

use crate::error::InvokeError;
use crate::extensions::{EventKind, Registry, invoke_event};
use crate::invocation::{InitOutcome, Invocation, InvokeOutcome, PreparedInvocation};
use crate::telemetry::{Connector, Telemetry};
use crate::wire::{ApiError, RuntimeStateName};

/// What the Extensions API's `/register` answers about the function.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionInfo {
    /// `functionName`.
    pub function_name: String,
    /// `functionVersion` (`$LATEST` or a number).
    pub function_version: String,
    /// `handler`.
    pub handler: String,
    /// `accountId`, sent only to extensions that ask with `Lambda-Extension-Accept-Feature`.
    pub account_id: String,
}

/// Init progress as watched by [`Core::wait_init`].
#[derive(Debug, Clone)]
enum InitStatus {
    Pending,
    Ready,
    Failed { error_type: String, body: Bytes },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InitPhase {
    Initializing,
    Ready,
    Failed,
}

/// The invocation the runtime holds and has not answered.
struct Active {
    request_id: String,
    reply: oneshot::Sender<InvokeOutcome>,
}

/// An invocation the engine handed over that no `/next` has taken yet.
struct Queued {
    prepared: PreparedInvocation,
    reply: oneshot::Sender<InvokeOutcome>,
    ticket: u64,
}

struct Machine {
    init: InitPhase,
    running: Option<Active>,
    queued: Option<Queued>,
    closed: bool,
    /// Bumped by `reset`: a `/next` that started before a reset belongs to a dead runtime.
    epoch: u64,
    next_ticket: u64,
}

/// Shared core of one sandbox's Runtime API.
pub(crate) struct Core {
    machine: Mutex<Machine>,
    next_ready: Notify,
    init_tx: watch::Sender<InitStatus>,
    /// Largest response, error or init-error body accepted, in bytes.
    pub(crate) max_payload: usize,
    /// The Extensions API's registrations.
    pub(crate) extensions: Registry,
    /// The Telemetry and Logs APIs' subscriptions.
    pub(crate) telemetry: Telemetry,
    /// What `/extension/register` answers.
    pub(crate) function: FunctionInfo,
}

impl Core {
    pub(crate) fn new(max_payload: usize, function: FunctionInfo, connector: Connector) -> Self {
        Self {
            machine: Mutex::new(Machine {
                init: InitPhase::Initializing,
                running: None,
                queued: None,
                closed: false,
                epoch: 0,
                next_ticket: 0,
            }),
            next_ready: Notify::new(),
            init_tx: watch::Sender::new(InitStatus::Pending),
            max_payload,
            extensions: Registry::new(),
            telemetry: Telemetry::new(connector),
            function,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Machine> {
        // A poisoned lock only means a panic elsewhere; the machine's fields are always left
        // consistent (every transition is a single assignment), so keep serving.
        self.machine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ---- runtime side -------------------------------------------------------------------

    /// `GET /next`: waits until an invocation is available and marks it as running. The first
    /// call completes the runtime's init.
    pub(crate) async fn next(&self) -> Result<PreparedInvocation, ApiError> {
        let mut epoch = None;
        loop {
            {
                let mut m = self.lock();
                if m.closed {
                    return Err(ApiError::Closed);
                }
                let started = *epoch.get_or_insert(m.epoch);
                if started != m.epoch {
                    // The runtime that made this call was replaced while it waited.
                    return Err(ApiError::Closed);
                }
                if m.init == InitPhase::Failed {
                    return Err(transition(RuntimeStateName::InitFailed, "Ready"));
                }
                if m.running.is_some() {
                    return Err(transition(RuntimeStateName::Running, "Ready"));
                }
                if m.init == InitPhase::Initializing {
                    m.init = InitPhase::Ready;
                    // The runtime's init is done: no extension may register any more.
                    self.extensions.close_registration();
                    self.init_tx.send_replace(InitStatus::Ready);
                }
                if let Some(q) = m.queued.take() {
                    m.running = Some(Active {
                        request_id: q.prepared.request_id.clone(),
                        reply: q.reply,
                    });
                    return Ok(q.prepared);
                }
            }
            self.next_ready.notified().await;
        }
    }

    /// Checks that `/response` or `/error` for `request_id` is allowed now, before reading
    /// its body.
    pub(crate) fn check_answer(&self, request_id: &str, to: &'static str) -> Result<(), ApiError> {
        let m = self.lock();
        check_answer(&m, request_id, to)
    }

    /// Delivers the one answer for `request_id` and returns the runtime to Ready.
    pub(crate) fn answer(
        &self,
        request_id: &str,
        to: &'static str,
        outcome: InvokeOutcome,
    ) -> Result<(), ApiError> {
        let active = {
            let mut m = self.lock();
            check_answer(&m, request_id, to)?;
            m.running.take()
        };
        if let Some(active) = active {
            // The engine may have given up on this invoke (timeout, cancel); that is fine.
            let _ = active.reply.send(outcome);
        }
        Ok(())
    }

    /// Checks that `/init/error` is allowed now.
    pub(crate) fn check_init_error(&self) -> Result<(), ApiError> {
        check_init_error(&self.lock())
    }

    /// Records the runtime's init failure and wakes [`Core::wait_init`].
    pub(crate) fn init_failed(&self, error_type: String, body: Bytes) -> Result<(), ApiError> {
        let mut m = self.lock();
        check_init_error(&m)?;
        m.init = InitPhase::Failed;
        self.init_tx
            .send_replace(InitStatus::Failed { error_type, body });
        Ok(())
    }

    // ---- platform side ------------------------------------------------------------------

    /// Hands `inv` to the runtime and waits for its one answer.
    pub(crate) async fn invoke(&self, inv: Invocation) -> Result<InvokeOutcome, InvokeError> {
        let event = (self.extensions.count() > 0).then(|| invoke_event(&inv));
        let prepared = PreparedInvocation::prepare(inv)?;
        let (tx, rx) = oneshot::channel();
        let ticket = {
            let mut m = self.lock();
            if m.closed {
                return Err(InvokeError::Closed);
            }
            if let Some(q) = &m.queued {
                return Err(InvokeError::Busy {
                    request_id: q.prepared.request_id.clone(),
                });
            }
            if let Some(a) = m.running.as_ref().filter(|a| !a.reply.is_closed()) {
                return Err(InvokeError::Busy {
                    request_id: a.request_id.clone(),
                });
            }
            m.next_ticket += 1;
            let ticket = m.next_ticket;
            m.queued = Some(Queued {
                prepared,
                reply: tx,
                ticket,
            });
            ticket
        };
        // Extensions get their INVOKE event as the runtime gets the invocation.
        if let Some(event) = event {
            self.extensions.dispatch(EventKind::Invoke, event);
        }
        self.next_ready.notify_one();
        // If this future is dropped before `/next` took the invocation, the guard withdraws
        // it; once taken, the guard finds nothing to remove.
        let _unqueue = Unqueue { core: self, ticket };
        rx.await.map_err(|_| InvokeError::Closed)
    }

    /// Waits until init is done (the runtime and every extension called `/next`), failed
    /// (the runtime or an extension posted `/init/error`), or `deadline` passes. When it is
    /// done, telemetry subscriptions close.
    pub(crate) async fn wait_init(&self, deadline: Instant) -> InitOutcome {
        let mut rx = self.init_tx.subscribe();
        let runtime = rx.wait_for(|s| !matches!(s, InitStatus::Pending));
        let extension_failed = self.extensions.wait_init_error();
        let first = tokio::select! {
            done = tokio::time::timeout_at(deadline.into(), runtime) => match done {
                Err(_) => return InitOutcome::TimedOut,
                // The sender lives in `self`, so the channel cannot close while we borrow it.
                Ok(Err(_)) => return InitOutcome::TimedOut,
                Ok(Ok(status)) => status.clone(),
            },
            posted = extension_failed => {
                return InitOutcome::Error { error_type: posted.error_type, body: posted.body };
            }
        };
        match first {
            InitStatus::Failed { error_type, body } => InitOutcome::Error { error_type, body },
            InitStatus::Ready | InitStatus::Pending => {
                match self.extensions.wait_all_next(deadline).await {
                    None => InitOutcome::TimedOut,
                    Some(Err(posted)) => InitOutcome::Error {
                        error_type: posted.error_type,
                        body: posted.body,
                    },
                    Some(Ok(())) => {
                        self.telemetry.close_subscriptions();
                        InitOutcome::Ready
                    }
                }
            }
        }
    }

    /// Prepares for a new runtime process: back to Initializing, the unanswered invocation
    /// (if any) is dropped (its caller gets [`InvokeError::Closed`]), a queued one is kept
    /// for the new runtime's first `/next`.
    pub(crate) fn reset(&self) {
        let dropped = {
            let mut m = self.lock();
            m.init = InitPhase::Initializing;
            m.epoch += 1;
            self.init_tx.send_replace(InitStatus::Pending);
            m.running.take()
        };
        drop(dropped);
        self.extensions.reset();
        self.telemetry.reset();
        // Wake stale `/next` waiters so they notice the new epoch, and leave a permit for a
        // queued invocation.
        self.next_ready.notify_waiters();
        self.next_ready.notify_one();
    }

    /// Stops everything: waiting invokers get [`InvokeError::Closed`], runtimes get 500.
    pub(crate) fn close(&self) {
        let (running, queued) = {
            let mut m = self.lock();
            m.closed = true;
            (m.running.take(), m.queued.take())
        };
        drop((running, queued));
        self.extensions.close();
        self.telemetry.close();
        self.next_ready.notify_waiters();
    }
}

/// Removes a still-queued invocation when its `invoke` future is dropped (the engine gave up).
struct Unqueue<'a> {
    core: &'a Core,
    ticket: u64,
}

impl Drop for Unqueue<'_> {
    fn drop(&mut self) {
        let mut m = self.core.lock();
        if m.queued.as_ref().is_some_and(|q| q.ticket == self.ticket) {
            m.queued = None;
        }
    }
}

fn transition(from: RuntimeStateName, to: &'static str) -> ApiError {
    ApiError::InvalidStateTransition { from, to }
}

fn state_name(m: &Machine) -> RuntimeStateName {
    match (m.init, &m.running) {
        (_, Some(_)) => RuntimeStateName::Running,
        (InitPhase::Initializing, None) => RuntimeStateName::Initializing,
        (InitPhase::Failed, None) => RuntimeStateName::InitFailed,
        (InitPhase::Ready, None) => RuntimeStateName::Ready,
    }
}

fn check_answer(m: &Machine, request_id: &str, to: &'static str) -> Result<(), ApiError> {
    if m.closed {
        return Err(ApiError::Closed);
    }
    match &m.running {
        None => Err(transition(state_name(m), to)),
        Some(a) if a.request_id != request_id => Err(ApiError::InvalidRequestId),
        Some(_) => Ok(()),
    }
}

fn check_init_error(m: &Machine) -> Result<(), ApiError> {
    if m.closed {
        return Err(ApiError::Closed);
    }
    if m.init == InitPhase::Initializing && m.running.is_none() {
        Ok(())
    } else {
        Err(transition(state_name(m), "InitError"))
    }
}
