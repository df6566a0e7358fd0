//! What the store offers the asynchronous queue beyond plain records: the writes the queue
//! batches into one transaction (group commit) and the filter its reads take.

use lamina_model::event_invoke::{EventStatus, QueuedEvent};

/// One write to the event queue. [`crate::Store::write_events`] applies a batch of them in
/// one durable transaction, so many accepted invokes share one fsync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventWrite {
    /// Stores a new event (its `id` is ignored; the store assigns one).
    Enqueue(QueuedEvent),
    /// Replaces an event's state (attempts, due time, status, failure); its payload stays.
    Update(QueuedEvent),
    /// Removes an event (it finished, was purged, or was handed on).
    Remove(u64),
}

/// What each write of a batch did, in the batch's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventWritten {
    /// Enqueued with this id.
    Stored(u64),
    /// The update or removal found its event.
    Done,
    /// The event's function (for an enqueue) or the event (otherwise) does not exist.
    Missing,
}

/// Which events [`crate::Store::list_events`] returns, ordered by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only this function's.
    pub function: Option<String>,
    /// Only those with this status.
    pub status: Option<EventStatus>,
    /// Only ids greater than this.
    pub after_id: u64,
    /// At most this many.
    pub limit: usize,
}

impl EventFilter {
    /// Whether `event` passes the filter (ignoring `limit`).
    pub fn matches(&self, event: &QueuedEvent) -> bool {
        event.id > self.after_id
            && self.function.as_deref().is_none_or(|f| f == event.function)
            && self.status.is_none_or(|s| s == event.status)
    }
}
