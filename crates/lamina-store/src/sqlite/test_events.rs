//! Queries for saved test events: one row per (function, event name) holding the record's
//! JSON document; the foreign key removes them with their function.

use rusqlite::{Connection, OptionalExtension, params};

use super::{decode, encode};
use crate::{StoreError, StoreResult, TestEvent};

fn key(name: &str, event: &str) -> String {
    format!("test event {name}/{event}")
}

pub(super) fn put(conn: &Connection, name: &str, event: &TestEvent) -> StoreResult<()> {
    // Checked here rather than left to the foreign key so the caller gets `NotFound`
    // naming the function instead of a constraint error.
    let exists: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM functions WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Err(StoreError::NotFound(name.to_string()));
    }
    conn.execute(
        "INSERT INTO test_events (name, event, doc) VALUES (?1, ?2, ?3)
         ON CONFLICT (name, event) DO UPDATE SET doc = excluded.doc",
        params![name, event.name, encode(&key(name, &event.name), event)?],
    )?;
    Ok(())
}

pub(super) fn get(conn: &Connection, name: &str, event: &str) -> StoreResult<Option<TestEvent>> {
    let doc: Option<String> = conn
        .query_row(
            "SELECT doc FROM test_events WHERE name = ?1 AND event = ?2",
            params![name, event],
            |r| r.get(0),
        )
        .optional()?;
    doc.map(|d| decode(&key(name, event), &d)).transpose()
}

pub(super) fn list(conn: &Connection, name: &str) -> StoreResult<Vec<TestEvent>> {
    let mut stmt =
        conn.prepare("SELECT event, doc FROM test_events WHERE name = ?1 ORDER BY event")?;
    let rows = stmt.query_map(params![name], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    rows.map(|row| {
        let (event, doc) = row?;
        decode(&key(name, &event), &doc)
    })
    .collect()
}

pub(super) fn delete(conn: &Connection, name: &str, event: &str) -> StoreResult<bool> {
    let deleted = conn.execute(
        "DELETE FROM test_events WHERE name = ?1 AND event = ?2",
        params![name, event],
    )?;
    Ok(deleted > 0)
}
