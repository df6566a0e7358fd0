//! Queries for functions, their published versions and their aliases. Each function here
//! runs inside the transaction the caller opened (a `Transaction` derefs to `Connection`),
//! so a multi-statement operation such as publishing is atomic.

use lamina_model::{Alias, Function, FunctionVersion};
use rusqlite::{Connection, OptionalExtension, params};

use super::{decode, encode};
use crate::{StoreError, StoreResult};

/// Parses a published version number; `$LATEST` and other text name no stored version.
fn number(version: &str) -> Option<i64> {
    version.parse::<u64>().ok().and_then(super::sql_number)
}

fn exists(conn: &Connection, name: &str) -> StoreResult<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM functions WHERE name = ?1",
            params![name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub(super) fn create(conn: &Connection, function: &Function) -> StoreResult<()> {
    let doc = encode(&function.name, function)?;
    let inserted = conn.execute(
        "INSERT INTO functions (name, doc) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        params![function.name, doc],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(function.name.clone()));
    }
    Ok(())
}

pub(super) fn update(conn: &Connection, function: &Function) -> StoreResult<()> {
    let doc = encode(&function.name, function)?;
    let updated = conn.execute(
        "UPDATE functions SET doc = ?2 WHERE name = ?1",
        params![function.name, doc],
    )?;
    if updated == 0 {
        return Err(StoreError::NotFound(function.name.clone()));
    }
    Ok(())
}

pub(super) fn get(conn: &Connection, name: &str) -> StoreResult<Option<Function>> {
    let doc: Option<String> = conn
        .query_row(
            "SELECT doc FROM functions WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )
        .optional()?;
    doc.map(|d| decode(name, &d)).transpose()
}

pub(super) fn delete(conn: &Connection, name: &str) -> StoreResult<bool> {
    // The foreign keys cascade to function_versions and aliases in this statement.
    let deleted = conn.execute("DELETE FROM functions WHERE name = ?1", params![name])?;
    Ok(deleted > 0)
}

pub(super) fn list(
    conn: &Connection,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<Function>> {
    // SQLite's default BINARY collation compares UTF-8 bytes, the same order as Rust's
    // `str` ordering that `MemoryStore` uses.
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare(
        "SELECT name, doc FROM functions WHERE ?1 IS NULL OR name > ?1 ORDER BY name LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    rows.map(|row| {
        let (name, doc) = row?;
        decode(&name, &doc)
    })
    .collect()
}

pub(super) fn publish_version(
    conn: &Connection,
    function: &Function,
    version: &FunctionVersion,
) -> StoreResult<()> {
    let name = &function.name;
    let Some(number) = number(&version.version) else {
        return Err(StoreError::NotFound(format!("version {}", version.version)));
    };
    let taken = conn
        .query_row(
            "SELECT 1 FROM function_versions WHERE name = ?1 AND version = ?2",
            params![name, number],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if taken {
        return Err(StoreError::Conflict(format!("{name}:{number}")));
    }
    // Updating the function first doubles as the existence check; if the insert below
    // fails, the caller's transaction rolls this back too.
    update(conn, function)?;
    let key = format!("{name}:{number}");
    conn.execute(
        "INSERT INTO function_versions (name, version, doc) VALUES (?1, ?2, ?3)",
        params![name, number, encode(&key, version)?],
    )?;
    Ok(())
}

pub(super) fn get_version(
    conn: &Connection,
    name: &str,
    version: &str,
) -> StoreResult<Option<FunctionVersion>> {
    let Some(number) = number(version) else {
        return Ok(None);
    };
    let doc: Option<String> = conn
        .query_row(
            "SELECT doc FROM function_versions WHERE name = ?1 AND version = ?2",
            params![name, number],
            |r| r.get(0),
        )
        .optional()?;
    doc.map(|d| decode(&format!("{name}:{number}"), &d))
        .transpose()
}

pub(super) fn list_versions(conn: &Connection, name: &str) -> StoreResult<Vec<FunctionVersion>> {
    // `version` is an INTEGER column, so 2 sorts before 10.
    let mut stmt = conn
        .prepare("SELECT version, doc FROM function_versions WHERE name = ?1 ORDER BY version")?;
    let rows = stmt.query_map(params![name], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    rows.map(|row| {
        let (number, doc) = row?;
        decode(&format!("{name}:{number}"), &doc)
    })
    .collect()
}

pub(super) fn delete_version(conn: &Connection, name: &str, version: &str) -> StoreResult<bool> {
    let Some(number) = number(version) else {
        return Ok(false);
    };
    let deleted = conn.execute(
        "DELETE FROM function_versions WHERE name = ?1 AND version = ?2",
        params![name, number],
    )?;
    Ok(deleted > 0)
}

pub(super) fn put_alias(conn: &Connection, name: &str, alias: &Alias) -> StoreResult<()> {
    // Checked here rather than left to the foreign key so the caller gets `NotFound`
    // naming the function instead of a constraint error.
    if !exists(conn, name)? {
        return Err(StoreError::NotFound(name.to_string()));
    }
    let key = format!("{name}:{}", alias.name);
    conn.execute(
        "INSERT INTO aliases (name, alias, doc) VALUES (?1, ?2, ?3)
         ON CONFLICT (name, alias) DO UPDATE SET doc = excluded.doc",
        params![name, alias.name, encode(&key, alias)?],
    )?;
    Ok(())
}

pub(super) fn get_alias(conn: &Connection, name: &str, alias: &str) -> StoreResult<Option<Alias>> {
    let doc: Option<String> = conn
        .query_row(
            "SELECT doc FROM aliases WHERE name = ?1 AND alias = ?2",
            params![name, alias],
            |r| r.get(0),
        )
        .optional()?;
    doc.map(|d| decode(&format!("{name}:{alias}"), &d))
        .transpose()
}

pub(super) fn list_aliases(conn: &Connection, name: &str) -> StoreResult<Vec<Alias>> {
    let mut stmt = conn.prepare("SELECT alias, doc FROM aliases WHERE name = ?1 ORDER BY alias")?;
    let rows = stmt.query_map(params![name], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    rows.map(|row| {
        let (alias, doc) = row?;
        decode(&format!("{name}:{alias}"), &doc)
    })
    .collect()
}

pub(super) fn delete_alias(conn: &Connection, name: &str, alias: &str) -> StoreResult<bool> {
    let deleted = conn.execute(
        "DELETE FROM aliases WHERE name = ?1 AND alias = ?2",
        params![name, alias],
    )?;
    Ok(deleted > 0)
}
