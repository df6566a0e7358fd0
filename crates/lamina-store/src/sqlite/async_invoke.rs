//! Queries for asynchronous invocation: event-invoke configs (one row per function and
//! qualifier) and the durable event queue (one row per accepted event, its payload in a
//! BLOB column beside the JSON document). Both go with their function through the foreign
//! key; a deleted version takes its configs and queued events with it (`delete_version`).

use lamina_model::event_invoke::{EventInvokeConfig, EventStatus, QueuedEvent};
use rusqlite::{Connection, OptionalExtension, params};

use super::{decode, encode};
use crate::{EventFilter, EventWrite, EventWritten, StoreError, StoreResult};

fn config_key(name: &str, qualifier: &str) -> String {
    format!("event invoke config {name}:{qualifier}")
}

fn event_key(id: u64) -> String {
    format!("async event {id}")
}

pub(super) fn put_config(
    conn: &Connection,
    name: &str,
    config: &EventInvokeConfig,
) -> StoreResult<()> {
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
        "INSERT INTO event_invoke_configs (name, qualifier, doc) VALUES (?1, ?2, ?3)
         ON CONFLICT (name, qualifier) DO UPDATE SET doc = excluded.doc",
        params![
            name,
            config.qualifier,
            encode(&config_key(name, &config.qualifier), config)?
        ],
    )?;
    Ok(())
}

pub(super) fn get_config(
    conn: &Connection,
    name: &str,
    qualifier: &str,
) -> StoreResult<Option<EventInvokeConfig>> {
    let doc: Option<String> = conn
        .query_row(
            "SELECT doc FROM event_invoke_configs WHERE name = ?1 AND qualifier = ?2",
            params![name, qualifier],
            |r| r.get(0),
        )
        .optional()?;
    doc.map(|d| decode(&config_key(name, qualifier), &d))
        .transpose()
}

pub(super) fn list_configs(conn: &Connection, name: &str) -> StoreResult<Vec<EventInvokeConfig>> {
    let mut stmt = conn.prepare(
        "SELECT qualifier, doc FROM event_invoke_configs WHERE name = ?1 ORDER BY qualifier",
    )?;
    let rows = stmt.query_map(params![name], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    rows.map(|row| {
        let (qualifier, doc) = row?;
        decode(&config_key(name, &qualifier), &doc)
    })
    .collect()
}

pub(super) fn delete_config(conn: &Connection, name: &str, qualifier: &str) -> StoreResult<bool> {
    let deleted = conn.execute(
        "DELETE FROM event_invoke_configs WHERE name = ?1 AND qualifier = ?2",
        params![name, qualifier],
    )?;
    Ok(deleted > 0)
}

/// Removes what hangs on a deleted version: its configs and its events.
pub(super) fn forget_version(conn: &Connection, name: &str, version: &str) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM event_invoke_configs WHERE name = ?1 AND qualifier = ?2",
        params![name, version],
    )?;
    conn.execute(
        "DELETE FROM async_events WHERE name = ?1 AND version = ?2",
        params![name, version],
    )?;
    Ok(())
}

fn sql_id(id: u64) -> i64 {
    // Ids come from SQLite's own INTEGER PRIMARY KEY, so they fit; a larger one names no row.
    i64::try_from(id).unwrap_or(-1)
}

pub(super) fn write(conn: &Connection, writes: &[EventWrite]) -> StoreResult<Vec<EventWritten>> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO async_events (name, version, status, doc, payload)
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM functions WHERE name = ?1)",
    )?;
    let mut update =
        conn.prepare_cached("UPDATE async_events SET status = ?2, doc = ?3 WHERE id = ?1")?;
    let mut remove = conn.prepare_cached("DELETE FROM async_events WHERE id = ?1")?;
    let mut out = Vec::with_capacity(writes.len());
    for write in writes {
        let done = match write {
            EventWrite::Enqueue(event) => {
                let doc = encode(&format!("async event of {}", event.function), event)?;
                let inserted = insert.execute(params![
                    event.function,
                    event.version,
                    event.status.as_str(),
                    doc,
                    event.payload
                ])?;
                if inserted == 0 {
                    EventWritten::Missing
                } else {
                    // Rowids are positive.
                    EventWritten::Stored(conn.last_insert_rowid().max(0) as u64)
                }
            }
            EventWrite::Update(event) => {
                let doc = encode(&event_key(event.id), event)?;
                match update.execute(params![sql_id(event.id), event.status.as_str(), doc])? {
                    0 => EventWritten::Missing,
                    _ => EventWritten::Done,
                }
            }
            EventWrite::Remove(id) => match remove.execute(params![sql_id(*id)])? {
                0 => EventWritten::Missing,
                _ => EventWritten::Done,
            },
        };
        out.push(done);
    }
    Ok(out)
}

fn row_event(id: i64, doc: &str, payload: Vec<u8>) -> StoreResult<QueuedEvent> {
    let id = id.max(0) as u64;
    let mut event: QueuedEvent = decode(&event_key(id), doc)?;
    event.id = id;
    event.payload = payload;
    Ok(event)
}

pub(super) fn list(conn: &Connection, filter: &EventFilter) -> StoreResult<Vec<QueuedEvent>> {
    let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
    let status = filter.status.map(EventStatus::as_str);
    let mut stmt = conn.prepare_cached(
        "SELECT id, doc, payload FROM async_events
         WHERE id > ?1 AND (?2 IS NULL OR name = ?2) AND (?3 IS NULL OR status = ?3)
         ORDER BY id LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        params![sql_id(filter.after_id), filter.function, status, limit],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        },
    )?;
    rows.map(|row| {
        let (id, doc, payload) = row?;
        row_event(id, &doc, payload)
    })
    .collect()
}

pub(super) fn get(conn: &Connection, id: u64) -> StoreResult<Option<QueuedEvent>> {
    let row = conn
        .query_row(
            "SELECT id, doc, payload FROM async_events WHERE id = ?1",
            params![sql_id(id)],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            },
        )
        .optional()?;
    row.map(|(id, doc, payload)| row_event(id, &doc, payload))
        .transpose()
}
