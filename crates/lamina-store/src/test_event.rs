//! Saved test events: named JSON payloads kept per function for the console's Test tab and
//! the `/lamina/functions/{name}/test-events` API. The store keeps them as given; the
//! control layer decides names, sizes and how many a function may have.

use serde::{Deserialize, Serialize};

/// One saved test event of a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestEvent {
    /// The event's name, unique within its function.
    pub name: String,
    /// The event's JSON text exactly as saved (formatting kept, so the editor shows it back
    /// as the user wrote it).
    pub body: String,
    /// When it was last saved, in milliseconds since the Unix epoch.
    pub last_modified_ms: i64,
}
