//! Queries for layer versions. Numbering comes from `layers.high_water`, bumped in the same
//! transaction that inserts the version, so two publishes never get the same number and a
//! deleted number is never handed out again.

use lamina_model::LayerVersion;
use rusqlite::{Connection, OptionalExtension, params};

use super::{decode, encode, sql_number};
use crate::{StoreError, StoreResult};

fn key(name: &str, version: i64) -> String {
    format!("layer {name}:{version}")
}

/// Reads `(name, version, doc)` rows into layer versions.
fn collect(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
) -> StoreResult<Vec<LayerVersion>> {
    let rows = stmt.query_map(params, |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (name, version, doc) = row?;
        decode(&key(&name, version), &doc)
    })
    .collect()
}

pub(super) fn publish(conn: &Connection, layer: &LayerVersion) -> StoreResult<LayerVersion> {
    let high_water: i64 = conn.query_row(
        "INSERT INTO layers (name, high_water) VALUES (?1, 1)
         ON CONFLICT (name) DO UPDATE SET high_water = high_water + 1
         RETURNING high_water",
        params![layer.name],
        |r| r.get(0),
    )?;
    let version = u64::try_from(high_water).map_err(|_| {
        StoreError::Database(format!(
            "layer {} has a negative high-water mark {high_water}",
            layer.name
        ))
    })?;
    let stored = LayerVersion {
        version,
        ..layer.clone()
    };
    conn.execute(
        "INSERT INTO layer_versions (name, version, doc) VALUES (?1, ?2, ?3)",
        params![
            stored.name,
            high_water,
            encode(&key(&stored.name, high_water), &stored)?
        ],
    )?;
    Ok(stored)
}

pub(super) fn get(
    conn: &Connection,
    name: &str,
    version: u64,
) -> StoreResult<Option<LayerVersion>> {
    let Some(number) = sql_number(version) else {
        return Ok(None);
    };
    let doc: Option<String> = conn
        .query_row(
            "SELECT doc FROM layer_versions WHERE name = ?1 AND version = ?2",
            params![name, number],
            |r| r.get(0),
        )
        .optional()?;
    doc.map(|d| decode(&key(name, number), &d)).transpose()
}

pub(super) fn list_versions(conn: &Connection, name: &str) -> StoreResult<Vec<LayerVersion>> {
    let mut stmt = conn.prepare(
        "SELECT name, version, doc FROM layer_versions WHERE name = ?1 ORDER BY version DESC",
    )?;
    collect(&mut stmt, params![name])
}

pub(super) fn list_newest(conn: &Connection) -> StoreResult<Vec<LayerVersion>> {
    let mut stmt = conn.prepare(
        "SELECT lv.name, lv.version, lv.doc FROM layer_versions AS lv
         WHERE lv.version = (SELECT MAX(version) FROM layer_versions WHERE name = lv.name)
         ORDER BY lv.name",
    )?;
    collect(&mut stmt, [])
}

pub(super) fn update(conn: &Connection, layer: &LayerVersion) -> StoreResult<bool> {
    let Some(number) = sql_number(layer.version) else {
        return Ok(false);
    };
    let updated = conn.execute(
        "UPDATE layer_versions SET doc = ?3 WHERE name = ?1 AND version = ?2",
        params![
            layer.name,
            number,
            encode(&key(&layer.name, number), layer)?
        ],
    )?;
    Ok(updated > 0)
}

pub(super) fn delete(conn: &Connection, name: &str, version: u64) -> StoreResult<bool> {
    let Some(number) = sql_number(version) else {
        return Ok(false);
    };
    // The `layers` row stays: it remembers the high-water mark.
    let deleted = conn.execute(
        "DELETE FROM layer_versions WHERE name = ?1 AND version = ?2",
        params![name, number],
    )?;
    Ok(deleted > 0)
}
