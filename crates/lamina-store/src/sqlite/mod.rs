//! The embedded default `Store`: one SQLite file `<data_dir>/lamina.db` in WAL mode with
//! `synchronous=FULL` (every commit is fsynced before the call returns, so what the API
//! acknowledges survives `kill -9` and power loss on storage that honours fsync), and blob
//! files under `<data_dir>/blobs/`. Each trait call is one transaction.
//!
//! This module owns opening, the connection settings and the transaction discipline; the
//! schema is in `schema`, the queries in `functions`, `layers` and `plans`.

mod async_invoke;
mod functions;
mod layers;
mod plans;
mod schema;
mod test_events;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use lamina_model::environment::MigrationPlan;
use lamina_model::event_invoke::{EventInvokeConfig, QueuedEvent};
use lamina_model::{Alias, Function, FunctionVersion, LayerVersion};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::blob::BlobDir;
use crate::{EventFilter, EventWrite, EventWritten, Store, StoreError, StoreResult, TestEvent};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "lamina.db";
/// The blob directory's name inside the data directory.
pub const BLOB_DIR: &str = "blobs";
/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// `PRAGMA synchronous` reports FULL as 2.
const SYNCHRONOUS_FULL: i64 = 2;

/// The SQLite-backed `Store`. Calls block on disk I/O; call them from `spawn_blocking`.
pub struct SqliteStore {
    // One connection behind a mutex: SQLite serialises writers anyway, and one connection
    // keeps each call's transaction simple. Reads are short point or range queries.
    conn: Mutex<Connection>,
    blobs: BlobDir,
    db_path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("db_path", &self.db_path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `data_dir`: the database `lamina.db`,
    /// migrated to the current schema, and the `blobs/` directory. Fails if the database
    /// was written by a newer Lamina (`StoreError::SchemaTooNew`) or if SQLite would not
    /// run in WAL mode with `synchronous=FULL`.
    pub fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let db_path = data_dir.join(DB_FILE);
        let mut conn = Connection::open(&db_path)?;
        configure(&conn, &db_path)?;
        schema::migrate(&mut conn, &db_path, schema::MIGRATIONS)?;
        let blobs = BlobDir::open(data_dir.join(BLOB_DIR))?;
        // A freshly created database file or blob directory must not vanish with its
        // directory entry.
        std::fs::File::open(data_dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| StoreError::Io {
                path: data_dir.to_path_buf(),
                source,
            })?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            blobs,
            db_path,
        })
    }

    /// The connection's `journal_mode` (always `"wal"`) and `synchronous` level (always 2,
    /// FULL), read back from SQLite so a test or a health check can confirm them.
    pub fn pragmas(&self) -> StoreResult<(String, i64)> {
        let conn = self.lock();
        let mode = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        let sync = conn.pragma_query_value(None, "synchronous", |r| r.get(0))?;
        Ok((mode, sync))
    }

    /// The database's schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> StoreResult<i64> {
        schema::user_version(&self.lock())
    }

    /// The schema version this code writes; `open` migrates older databases up to it.
    pub fn current_schema_version() -> i64 {
        schema::current_version()
    }

    /// The database file.
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// Where the blob `sha256_hex` lives (it may not exist): `<data_dir>/blobs/<2 hex>/<hex>`.
    /// For the engine to stream or map a stored zip. A key that is not 64 lowercase hex
    /// digits maps to a path inside `blobs/` that is never written.
    pub fn blob_path(&self, sha256_hex: &str) -> PathBuf {
        self.blobs.path(sha256_hex)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves at most an open transaction, which rusqlite
        // rolls back when it is dropped during the unwind; the connection is still sound.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` in one write transaction, committed only if `f` succeeds. IMMEDIATE takes
    /// the write lock up front so a second process cannot make the commit fail half-way.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` on the connection; its single statement is its own transaction.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        f(&self.lock())
    }
}

/// Applies and checks the connection settings durability depends on.
fn configure(conn: &Connection, db_path: &Path) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0))?;
    let foreign_keys: bool = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") || sync != SYNCHRONOUS_FULL || !foreign_keys {
        return Err(StoreError::Database(format!(
            "{}: expected journal_mode=wal synchronous=2 foreign_keys=1, got {mode} {sync} {}",
            db_path.display(),
            u8::from(foreign_keys)
        )));
    }
    Ok(())
}

/// The JSON document stored for a record.
fn encode<T: Serialize>(key: &str, value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(format!("encode {key}: {e}")))
}

/// A record read back from its JSON document.
fn decode<T: DeserializeOwned>(key: &str, doc: &str) -> StoreResult<T> {
    serde_json::from_str(doc).map_err(|source| StoreError::Corrupt {
        key: key.to_string(),
        source,
    })
}

/// A version number as SQLite stores it; `None` past `i64::MAX`, which no stored row has.
fn sql_number(version: u64) -> Option<i64> {
    i64::try_from(version).ok()
}

impl Store for SqliteStore {
    fn create_function(&self, function: &Function) -> StoreResult<()> {
        self.write(|tx| functions::create(tx, function))
    }

    fn update_function(&self, function: &Function) -> StoreResult<()> {
        self.write(|tx| functions::update(tx, function))
    }

    fn get_function(&self, name: &str) -> StoreResult<Option<Function>> {
        self.read(|c| functions::get(c, name))
    }

    fn delete_function(&self, name: &str) -> StoreResult<bool> {
        self.write(|tx| functions::delete(tx, name))
    }

    fn list_functions(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<Function>> {
        self.read(|c| functions::list(c, after, limit))
    }

    fn publish_version(&self, function: &Function, version: &FunctionVersion) -> StoreResult<()> {
        self.write(|tx| functions::publish_version(tx, function, version))
    }

    fn get_version(&self, name: &str, version: &str) -> StoreResult<Option<FunctionVersion>> {
        self.read(|c| functions::get_version(c, name, version))
    }

    fn list_versions(&self, name: &str) -> StoreResult<Vec<FunctionVersion>> {
        self.read(|c| functions::list_versions(c, name))
    }

    fn delete_version(&self, name: &str, version: &str) -> StoreResult<bool> {
        self.write(|tx| {
            let deleted = functions::delete_version(tx, name, version)?;
            if deleted {
                async_invoke::forget_version(tx, name, version)?;
            }
            Ok(deleted)
        })
    }

    fn put_alias(&self, name: &str, alias: &Alias) -> StoreResult<()> {
        self.write(|tx| functions::put_alias(tx, name, alias))
    }

    fn get_alias(&self, name: &str, alias: &str) -> StoreResult<Option<Alias>> {
        self.read(|c| functions::get_alias(c, name, alias))
    }

    fn list_aliases(&self, name: &str) -> StoreResult<Vec<Alias>> {
        self.read(|c| functions::list_aliases(c, name))
    }

    fn delete_alias(&self, name: &str, alias: &str) -> StoreResult<bool> {
        self.write(|tx| {
            let deleted = functions::delete_alias(tx, name, alias)?;
            if deleted {
                async_invoke::delete_config(tx, name, alias)?;
            }
            Ok(deleted)
        })
    }

    fn publish_layer_version(&self, layer: &LayerVersion) -> StoreResult<LayerVersion> {
        self.write(|tx| layers::publish(tx, layer))
    }

    fn get_layer_version(&self, name: &str, version: u64) -> StoreResult<Option<LayerVersion>> {
        self.read(|c| layers::get(c, name, version))
    }

    fn list_layer_versions(&self, name: &str) -> StoreResult<Vec<LayerVersion>> {
        self.read(|c| layers::list_versions(c, name))
    }

    fn list_layers(&self) -> StoreResult<Vec<LayerVersion>> {
        self.read(layers::list_newest)
    }

    fn delete_layer_version(&self, name: &str, version: u64) -> StoreResult<bool> {
        self.write(|tx| layers::delete(tx, name, version))
    }

    fn update_layer_version(&self, layer: &LayerVersion) -> StoreResult<bool> {
        self.write(|tx| layers::update(tx, layer))
    }

    fn put_plan(&self, plan: &MigrationPlan) -> StoreResult<()> {
        self.write(|tx| plans::put(tx, plan))
    }

    fn get_plan(&self, name: &str) -> StoreResult<Option<MigrationPlan>> {
        self.read(|c| plans::get(c, name))
    }

    fn list_plans(&self) -> StoreResult<Vec<MigrationPlan>> {
        self.read(plans::list)
    }

    fn delete_plan(&self, name: &str) -> StoreResult<bool> {
        self.write(|tx| plans::delete(tx, name))
    }

    fn put_blob(&self, bytes: &[u8]) -> StoreResult<String> {
        self.blobs.put(bytes)
    }

    fn read_blob(&self, sha256_hex: &str) -> StoreResult<Option<Vec<u8>>> {
        self.blobs.read(sha256_hex)
    }

    fn put_test_event(&self, name: &str, event: &TestEvent) -> StoreResult<()> {
        self.write(|tx| test_events::put(tx, name, event))
    }

    fn get_test_event(&self, name: &str, event: &str) -> StoreResult<Option<TestEvent>> {
        self.read(|c| test_events::get(c, name, event))
    }

    fn list_test_events(&self, name: &str) -> StoreResult<Vec<TestEvent>> {
        self.read(|c| test_events::list(c, name))
    }

    fn delete_test_event(&self, name: &str, event: &str) -> StoreResult<bool> {
        self.write(|tx| test_events::delete(tx, name, event))
    }

    fn put_event_invoke_config(&self, name: &str, config: &EventInvokeConfig) -> StoreResult<()> {
        self.write(|tx| async_invoke::put_config(tx, name, config))
    }

    fn get_event_invoke_config(
        &self,
        name: &str,
        qualifier: &str,
    ) -> StoreResult<Option<EventInvokeConfig>> {
        self.read(|c| async_invoke::get_config(c, name, qualifier))
    }

    fn list_event_invoke_configs(&self, name: &str) -> StoreResult<Vec<EventInvokeConfig>> {
        self.read(|c| async_invoke::list_configs(c, name))
    }

    fn delete_event_invoke_config(&self, name: &str, qualifier: &str) -> StoreResult<bool> {
        self.write(|tx| async_invoke::delete_config(tx, name, qualifier))
    }

    fn write_events(&self, writes: &[EventWrite]) -> StoreResult<Vec<EventWritten>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx| async_invoke::write(tx, writes))
    }

    fn list_events(&self, filter: &EventFilter) -> StoreResult<Vec<QueuedEvent>> {
        self.read(|c| async_invoke::list(c, filter))
    }

    fn get_event(&self, id: u64) -> StoreResult<Option<QueuedEvent>> {
        self.read(|c| async_invoke::get(c, id))
    }
}
