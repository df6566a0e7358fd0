//! The SQLite schema and its history. `PRAGMA user_version` records how many steps of
//! [`MIGRATIONS`] a database has had; opening applies the missing ones in order, each in its
//! own transaction, and refuses a database written by newer code. This module owns the table
//! definitions only; the queries live beside the operations that use them.
//!
//! Records are stored as the serde JSON of the model types, so the model can grow without a
//! migration; names and version numbers are real columns because queries filter and sort on
//! them. A step, once released, is never edited: change the schema by appending a step.

use std::path::Path;

use rusqlite::Connection;

use crate::StoreError;

/// The schema steps in order; after step `i` (0-based) the database is at version `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: functions with their published versions and aliases. Deleting a function removes
    // both through the cascades, in the same statement.
    "CREATE TABLE functions (
         name TEXT PRIMARY KEY NOT NULL,
         doc  TEXT NOT NULL
     ) STRICT;
     CREATE TABLE function_versions (
         name    TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
         version INTEGER NOT NULL,
         doc     TEXT NOT NULL,
         PRIMARY KEY (name, version)
     ) STRICT;
     CREATE TABLE aliases (
         name  TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
         alias TEXT NOT NULL,
         doc   TEXT NOT NULL,
         PRIMARY KEY (name, alias)
     ) STRICT;",
    // 2: layers. `layers.high_water` is the highest number a layer name ever had; its row is
    // never deleted, so numbers are not reused after their versions are deleted.
    "CREATE TABLE layers (
         name       TEXT PRIMARY KEY NOT NULL,
         high_water INTEGER NOT NULL
     ) STRICT;
     CREATE TABLE layer_versions (
         name    TEXT NOT NULL REFERENCES layers(name),
         version INTEGER NOT NULL,
         doc     TEXT NOT NULL,
         PRIMARY KEY (name, version)
     ) STRICT;",
    // 3: saved test events, per function (the console's Test tab and its API). They go
    // with their function through the cascade.
    "CREATE TABLE test_events (
         name  TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
         event TEXT NOT NULL,
         doc   TEXT NOT NULL,
         PRIMARY KEY (name, event)
     ) STRICT;",
    // 4: migration plans, one JSON document per plan name.
    "CREATE TABLE migration_plans (
         name TEXT PRIMARY KEY NOT NULL,
         doc  TEXT NOT NULL
     ) STRICT;",
    // 5: asynchronous invocation. Event-invoke configs per (function, qualifier), and the
    // durable queue: one row per accepted event until it is done, or kept as `failed`.
    // AUTOINCREMENT so an id is never reused (a replayed or shown event keeps its identity).
    // Both go with their function through the cascade.
    "CREATE TABLE event_invoke_configs (
         name      TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
         qualifier TEXT NOT NULL,
         doc       TEXT NOT NULL,
         PRIMARY KEY (name, qualifier)
     ) STRICT;
     CREATE TABLE async_events (
         id      INTEGER PRIMARY KEY AUTOINCREMENT,
         name    TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
         version TEXT NOT NULL,
         status  TEXT NOT NULL,
         doc     TEXT NOT NULL,
         payload BLOB NOT NULL
     ) STRICT;
     CREATE INDEX async_events_by_function ON async_events (name, status, id);
     CREATE INDEX async_events_by_version ON async_events (name, version);",
];

/// The schema version this code writes.
pub(crate) fn current_version() -> i64 {
    // The list has a handful of entries; it cannot overflow an i64.
    MIGRATIONS.len() as i64
}

/// The database's recorded schema version.
pub(crate) fn user_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// Brings the database at `path` up to date with `steps`, one transaction per step, and
/// refuses one that is newer than `steps` knows.
pub(crate) fn migrate(
    conn: &mut Connection,
    path: &Path,
    steps: &[&str],
) -> Result<(), StoreError> {
    let found = user_version(conn)?;
    let known = steps.len() as i64;
    if found > known || found < 0 {
        return Err(StoreError::SchemaTooNew {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    for (index, step) in steps.iter().enumerate().skip(found as usize) {
        // The version bump is in the same transaction as the step: user_version lives in
        // the database header, which SQLite writes with the transaction, so a crash leaves
        // either the old schema and version or the new ones.
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn fresh_database_gets_every_step() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, Path::new(":memory:"), MIGRATIONS).unwrap();
        assert_eq!(user_version(&conn).unwrap(), current_version());
        assert_eq!(
            tables(&conn),
            [
                "aliases",
                "async_events",
                "event_invoke_configs",
                "function_versions",
                "functions",
                "layer_versions",
                "layers",
                "migration_plans",
                "sqlite_sequence",
                "test_events"
            ]
        );
    }

    #[test]
    fn failing_step_leaves_the_previous_version_and_no_partial_tables() {
        let mut conn = Connection::open_in_memory().unwrap();
        let steps = [
            "CREATE TABLE a (x INTEGER);",
            // The first statement succeeds, the second fails: the whole step must roll back.
            "CREATE TABLE b (x INTEGER); CREATE TABLE a (x INTEGER);",
        ];
        let err = migrate(&mut conn, Path::new(":memory:"), &steps).unwrap_err();
        assert!(matches!(err, StoreError::Database(_)), "{err}");
        assert_eq!(user_version(&conn).unwrap(), 1);
        assert_eq!(tables(&conn), ["a"]);
    }

    #[test]
    fn newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", current_version() + 1)
            .unwrap();
        let err = migrate(&mut conn, Path::new("/data/lamina.db"), MIGRATIONS).unwrap_err();
        assert!(matches!(err, StoreError::SchemaTooNew { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains("/data/lamina.db"), "{message}");
        assert!(tables(&conn).is_empty());
    }
}
