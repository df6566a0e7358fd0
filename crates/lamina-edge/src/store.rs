//! Distributions and invalidations on disk: `<data-dir>/edge.db`, a SQLite file this crate
//! owns (WAL, `synchronous=FULL`), so a write is durable before CloudFront's API answers it.
//! It keeps each configuration's XML as the client sent it; reading it into types is
//! `config.rs`'s job, and deciding whether a change is allowed is `operations.rs`'s.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

/// A store failure (logged; the client sees `InternalError`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("edge store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored time could not be read.
    #[error("edge store: bad stored time {0:?}")]
    Time(String),
}

/// One stored distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `E…` id.
    pub id: String,
    /// The current ETag.
    pub etag: String,
    /// `d….cloudfront.net`.
    pub domain: String,
    /// `CallerReference`.
    pub caller_reference: String,
    /// The inner XML of the `DistributionConfig` the client sent.
    pub config_xml: String,
    /// `Enabled`, kept beside the XML for DeleteDistribution's check.
    pub enabled: bool,
    /// `LastModifiedTime`.
    pub last_modified: OffsetDateTime,
}

/// One stored invalidation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidationRecord {
    /// `I…` id.
    pub id: String,
    /// The distribution it belongs to.
    pub distribution_id: String,
    /// `CallerReference`.
    pub caller_reference: String,
    /// The paths, as given.
    pub paths: Vec<String>,
    /// `CreateTime`.
    pub create_time: OffsetDateTime,
}

/// The edge's SQLite file.
pub struct EdgeStore {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS distributions (
    id TEXT PRIMARY KEY,
    etag TEXT NOT NULL,
    domain TEXT NOT NULL UNIQUE,
    caller_reference TEXT NOT NULL UNIQUE,
    config_xml TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    last_modified TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS invalidations (
    id TEXT PRIMARY KEY,
    distribution_id TEXT NOT NULL REFERENCES distributions(id) ON DELETE CASCADE,
    caller_reference TEXT NOT NULL,
    paths TEXT NOT NULL,
    create_time TEXT NOT NULL
);
";

fn lock(m: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    // A panic while holding the lock leaves SQLite consistent (every write is a transaction).
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn fmt_time(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn parse_time(raw: String) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(&raw, &time::format_description::well_known::Rfc3339)
        .map_err(|_| StoreError::Time(raw))
}

type Row = (String, String, String, String, String, bool, String);

fn record(
    (id, etag, domain, caller_reference, config_xml, enabled, at): Row,
) -> Result<Record, StoreError> {
    Ok(Record {
        id,
        etag,
        domain,
        caller_reference,
        config_xml,
        enabled,
        last_modified: parse_time(at)?,
    })
}

const COLUMNS: &str = "id, etag, domain, caller_reference, config_xml, enabled, last_modified";

impl EdgeStore {
    /// Opens (creating) `<dir>/edge.db`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(dir.join("edge.db"))?;
        Self::init(conn)
    }

    /// An in-memory store (tests).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Every distribution, oldest first.
    pub fn list(&self) -> Result<Vec<Record>, StoreError> {
        let conn = lock(&self.conn);
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM distributions ORDER BY last_modified, id"
        ))?;
        let rows = stmt.query_map([], row)?;
        rows.map(|r| record(r?)).collect()
    }

    /// The distribution `id`.
    pub fn get(&self, id: &str) -> Result<Option<Record>, StoreError> {
        let conn = lock(&self.conn);
        let found = conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM distributions WHERE id = ?1"),
                [id],
                row,
            )
            .optional()?;
        found.map(record).transpose()
    }

    /// The distribution created with `caller_reference`.
    pub fn by_caller_reference(
        &self,
        caller_reference: &str,
    ) -> Result<Option<Record>, StoreError> {
        let conn = lock(&self.conn);
        let found = conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM distributions WHERE caller_reference = ?1"),
                [caller_reference],
                row,
            )
            .optional()?;
        found.map(record).transpose()
    }

    /// Inserts a new distribution.
    pub fn insert(&self, r: &Record) -> Result<(), StoreError> {
        lock(&self.conn).execute(
            "INSERT INTO distributions (id, etag, domain, caller_reference, config_xml, enabled, last_modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![r.id, r.etag, r.domain, r.caller_reference, r.config_xml, r.enabled, fmt_time(r.last_modified)],
        )?;
        Ok(())
    }

    /// Replaces a distribution's configuration and ETag.
    pub fn update(&self, r: &Record) -> Result<(), StoreError> {
        lock(&self.conn).execute(
            "UPDATE distributions SET etag = ?2, config_xml = ?3, enabled = ?4, last_modified = ?5 WHERE id = ?1",
            params![r.id, r.etag, r.config_xml, r.enabled, fmt_time(r.last_modified)],
        )?;
        Ok(())
    }

    /// Deletes a distribution and its invalidations.
    pub fn delete(&self, id: &str) -> Result<(), StoreError> {
        lock(&self.conn).execute("DELETE FROM distributions WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Stores an invalidation.
    pub fn insert_invalidation(&self, r: &InvalidationRecord) -> Result<(), StoreError> {
        let paths = serde_json::to_string(&r.paths).unwrap_or_else(|_| "[]".to_string());
        lock(&self.conn).execute(
            "INSERT INTO invalidations (id, distribution_id, caller_reference, paths, create_time) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![r.id, r.distribution_id, r.caller_reference, paths, fmt_time(r.create_time)],
        )?;
        Ok(())
    }

    /// A distribution's invalidations, newest first.
    pub fn invalidations(
        &self,
        distribution_id: &str,
    ) -> Result<Vec<InvalidationRecord>, StoreError> {
        let conn = lock(&self.conn);
        let mut stmt = conn.prepare(
            "SELECT id, distribution_id, caller_reference, paths, create_time FROM invalidations WHERE distribution_id = ?1 ORDER BY create_time DESC, id",
        )?;
        let rows = stmt.query_map([distribution_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        rows.map(|r| {
            let (id, distribution_id, caller_reference, paths, at) = r?;
            Ok(InvalidationRecord {
                id,
                distribution_id,
                caller_reference,
                paths: serde_json::from_str(&paths).unwrap_or_default(),
                create_time: parse_time(at)?,
            })
        })
        .collect()
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_cascades() {
        let s = EdgeStore::in_memory().unwrap();
        let r = Record {
            id: "E1".into(),
            etag: "EA".into(),
            domain: "d1.cloudfront.net".into(),
            caller_reference: "c".into(),
            config_xml: "<Enabled>true</Enabled>".into(),
            enabled: true,
            last_modified: time::macros::datetime!(2026-12-03 08:00:00.123 UTC),
        };
        s.insert(&r).unwrap();
        assert_eq!(s.get("E1").unwrap().unwrap(), r);
        assert!(s.insert(&r).is_err(), "ids are unique");
        let i = InvalidationRecord {
            id: "I1".into(),
            distribution_id: "E1".into(),
            caller_reference: "x".into(),
            paths: vec!["/a/*".into()],
            create_time: r.last_modified,
        };
        s.insert_invalidation(&i).unwrap();
        assert_eq!(s.invalidations("E1").unwrap(), [i]);
        s.delete("E1").unwrap();
        assert!(s.get("E1").unwrap().is_none());
        assert!(s.invalidations("E1").unwrap().is_empty());
    }
}
