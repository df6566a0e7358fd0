//! Store failures. `Conflict` and `NotFound` are outcomes the control layer turns into
//! Lambda errors; the others are faults logged with their cause and shown as a 500.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record to create exists already.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The record to update does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A stored document could not be read back.
    #[error("corrupt record {key}: {source}")]
    Corrupt {
        /// Which record.
        key: String,
        /// Why.
        source: serde_json::Error,
    },
    /// The database failed.
    #[error("database: {0}")]
    Database(String),
    /// The database was written by a newer Lamina: its schema version is past what this
    /// code knows, and opening it could corrupt it.
    #[error(
        "database {path} has schema version {found}, newer than the {known} this lamina knows; run a newer lamina or restore a backup"
    )]
    SchemaTooNew {
        /// The database file.
        path: std::path::PathBuf,
        /// Its `user_version`.
        found: i64,
        /// The newest version this code knows.
        known: i64,
    },
    /// The file system failed.
    #[error("io at {path}: {source}")]
    Io {
        /// Where.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}
