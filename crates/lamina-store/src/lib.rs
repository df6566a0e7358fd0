//! Lamina's durable state behind a small trait: functions with their versions and aliases,
//! layer versions, migration plans, saved test events, event-invoke configs and the
//! asynchronous event queue, and content-addressed blobs (code and layer zips). `SqliteStore` is the
//! embedded default; `MemoryStore` serves unit tests. Every write returns only once it is
//! durable, so the API may acknowledge it.
//!
//! The store does not decide anything: validation, revision checks and numbering rules live
//! in the control layer, which calls these operations one aggregate at a time.

mod blob;
mod error;
mod events;
mod memory;
mod sqlite;
mod test_event;

pub use error::StoreError;
pub use events::{EventFilter, EventWrite, EventWritten};
pub use memory::MemoryStore;
pub use sqlite::{BLOB_DIR, DB_FILE, SqliteStore};
pub use test_event::TestEvent;

use lamina_model::environment::MigrationPlan;
use lamina_model::event_invoke::{EventInvokeConfig, QueuedEvent};
use lamina_model::{Alias, Function, FunctionVersion, LayerVersion};

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Persistence for Lamina's control plane. Implementations must make each call atomic and
/// durable before returning.
pub trait Store: Send + Sync + 'static {
    /// Inserts a new function (with its `$LATEST`); `StoreError::Conflict` if the name exists.
    fn create_function(&self, function: &Function) -> StoreResult<()>;
    /// Replaces an existing function (its `$LATEST` and settings); `NotFound` if missing.
    fn update_function(&self, function: &Function) -> StoreResult<()>;
    /// The function named `name`.
    fn get_function(&self, name: &str) -> StoreResult<Option<Function>>;
    /// Deletes a function with all its published versions and aliases; false if missing.
    fn delete_function(&self, name: &str) -> StoreResult<bool>;
    /// Functions ordered by name, starting after `after` (exclusive), at most `limit`.
    fn list_functions(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<Function>>;

    /// Atomically stores `function` (its `next_version` bumped) and inserts the published
    /// `version`; `Conflict` if that version number exists.
    fn publish_version(&self, function: &Function, version: &FunctionVersion) -> StoreResult<()>;
    /// A published version (not `$LATEST`, which lives in the function).
    fn get_version(&self, name: &str, version: &str) -> StoreResult<Option<FunctionVersion>>;
    /// Published versions in ascending numeric order.
    fn list_versions(&self, name: &str) -> StoreResult<Vec<FunctionVersion>>;
    /// Deletes a published version; false if missing.
    fn delete_version(&self, name: &str, version: &str) -> StoreResult<bool>;

    /// Inserts or replaces an alias of function `name`; `NotFound` if the function is missing.
    fn put_alias(&self, name: &str, alias: &Alias) -> StoreResult<()>;
    /// An alias.
    fn get_alias(&self, name: &str, alias: &str) -> StoreResult<Option<Alias>>;
    /// Aliases of a function ordered by name.
    fn list_aliases(&self, name: &str) -> StoreResult<Vec<Alias>>;
    /// Deletes an alias; false if missing.
    fn delete_alias(&self, name: &str, alias: &str) -> StoreResult<bool>;

    /// Stores a new layer version, numbering it one past the highest number this layer name
    /// ever had (numbers are never reused, even after deletion), and returns it as stored.
    fn publish_layer_version(&self, layer: &LayerVersion) -> StoreResult<LayerVersion>;
    /// One layer version.
    fn get_layer_version(&self, name: &str, version: u64) -> StoreResult<Option<LayerVersion>>;
    /// Versions of one layer, newest first.
    fn list_layer_versions(&self, name: &str) -> StoreResult<Vec<LayerVersion>>;
    /// The newest version of every layer that has one, ordered by layer name.
    fn list_layers(&self) -> StoreResult<Vec<LayerVersion>>;
    /// Deletes a layer version; false if missing.
    fn delete_layer_version(&self, name: &str, version: u64) -> StoreResult<bool>;
    /// Replaces a stored layer version's document (its permissions); false when it is gone.
    fn update_layer_version(&self, layer: &LayerVersion) -> StoreResult<bool>;

    /// Inserts a migration plan, or replaces the plan of the same name.
    fn put_plan(&self, plan: &MigrationPlan) -> StoreResult<()>;
    /// The plan called `name`.
    fn get_plan(&self, name: &str) -> StoreResult<Option<MigrationPlan>>;
    /// Every plan, ordered by name.
    fn list_plans(&self) -> StoreResult<Vec<MigrationPlan>>;
    /// Deletes a plan; false if missing.
    fn delete_plan(&self, name: &str) -> StoreResult<bool>;

    /// Stores bytes under their hex SHA-256 and returns that key; storing the same bytes
    /// twice is a no-op. Durable (file and directory synced) before returning.
    fn put_blob(&self, bytes: &[u8]) -> StoreResult<String>;
    /// The bytes stored under `sha256_hex`.
    fn read_blob(&self, sha256_hex: &str) -> StoreResult<Option<Vec<u8>>>;

    /// Inserts or replaces the test event `event.name` of function `name`; `NotFound` if
    /// the function is missing. Deleting the function deletes its test events.
    fn put_test_event(&self, name: &str, event: &TestEvent) -> StoreResult<()>;
    /// One saved test event.
    fn get_test_event(&self, name: &str, event: &str) -> StoreResult<Option<TestEvent>>;
    /// The test events of a function ordered by name (empty if the function is missing).
    fn list_test_events(&self, name: &str) -> StoreResult<Vec<TestEvent>>;
    /// Deletes a test event; false if missing.
    fn delete_test_event(&self, name: &str, event: &str) -> StoreResult<bool>;

    /// Inserts or replaces the event-invoke config of function `name` for
    /// `config.qualifier`; `NotFound` if the function is missing. Deleting the function, or
    /// the version or alias the qualifier names, deletes it.
    fn put_event_invoke_config(&self, name: &str, config: &EventInvokeConfig) -> StoreResult<()>;
    /// The event-invoke config of one qualifier of a function.
    fn get_event_invoke_config(
        &self,
        name: &str,
        qualifier: &str,
    ) -> StoreResult<Option<EventInvokeConfig>>;
    /// The event-invoke configs of a function ordered by qualifier.
    fn list_event_invoke_configs(&self, name: &str) -> StoreResult<Vec<EventInvokeConfig>>;
    /// Deletes one event-invoke config; false if missing.
    fn delete_event_invoke_config(&self, name: &str, qualifier: &str) -> StoreResult<bool>;

    /// Applies queue writes in order, all in one durable transaction (the queue's group
    /// commit), and tells what each did. An enqueue for a missing function stores nothing.
    /// Deleting a function or one of its versions deletes its events.
    fn write_events(&self, writes: &[EventWrite]) -> StoreResult<Vec<EventWritten>>;
    /// Events matching `filter`, ordered by id, with their payloads.
    fn list_events(&self, filter: &EventFilter) -> StoreResult<Vec<QueuedEvent>>;
    /// One event by id.
    fn get_event(&self, id: u64) -> StoreResult<Option<QueuedEvent>>;
}

/// Opens the embedded default store in `data_dir` (see [`SqliteStore::open`]) behind the
/// trait, for wiring code that does not need SQLite's extras.
pub fn open_default(data_dir: &std::path::Path) -> StoreResult<std::sync::Arc<dyn Store>> {
    Ok(std::sync::Arc::new(SqliteStore::open(data_dir)?))
}

/// Hex SHA-256 of `bytes`, the key blobs are stored under.
pub fn blob_key(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
