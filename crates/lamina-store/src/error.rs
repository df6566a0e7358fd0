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
    /// The file system failed.
    #[error("io at {path}: {source}")]
    Io {
        /// Where.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}
