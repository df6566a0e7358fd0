//! Errors of package validation and extraction, and how each one looks to a Lambda client.
//!
//! This module owns the mapping from a [`PackageError`] to Lambda's wire error (exception name,
//! HTTP status, message). It does not log: the caller logs the cause chain it receives.

use lamina_model::{ErrorKind, LambdaError};

/// Why one zip entry is refused. Each variant names a hazard from the zip threat model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafeReason {
    /// The name is empty, or only `.` and `/`, for an entry that is not a directory.
    #[error("the name is empty")]
    EmptyName,
    /// The name contains a NUL byte (truncation tricks).
    #[error("the name contains a NUL byte")]
    NulByte,
    /// The raw name bytes are not UTF-8.
    #[error("the name is not valid UTF-8")]
    InvalidUtf8,
    /// The name contains `\`; Windows tools read it as a separator, Linux as a character.
    #[error("the name contains a backslash")]
    Backslash,
    /// The name starts with `/` or a drive letter such as `C:`.
    #[error("the name is an absolute path")]
    AbsolutePath,
    /// After resolving `.` and `..`, the path climbs above the package root.
    #[error("the path escapes the package root")]
    EscapesRoot,
    /// A path component is longer than 255 bytes or the whole path longer than 4095 bytes.
    #[error("the name is too long")]
    NameTooLong,
    /// The entry is a symbolic link; Lamina rejects every link in packages.
    #[error("symbolic links are not allowed")]
    Symlink,
    /// The entry is a device, fifo, socket or unknown file type.
    #[error("the entry is a {0}, only regular files and directories are allowed")]
    SpecialFile(&'static str),
    /// The entry carries a set-user-ID or set-group-ID bit: refused, since nothing in a
    /// function package has a reason to change identity when run.
    #[error("the entry has a set-user-ID or set-group-ID bit")]
    SetId,
    /// Two entries normalise to the same path.
    #[error("another entry has the same path")]
    DuplicateName,
    /// A parent of this path is a file, or a file has the path of a directory.
    #[error("the path conflicts with a file or directory of another entry")]
    PathConflict,
    /// The entry's bytes in the archive overlap another entry's (a non-recursive zip bomb).
    #[error("the entry overlaps another entry in the archive")]
    Overlapping,
    /// The local header disagrees with the central directory (name or compression method).
    #[error("the local header does not match the central directory")]
    HeaderMismatch,
    /// A directory entry carries file content.
    #[error("a directory entry has content")]
    DirectoryWithContent,
}

/// A package that cannot be accepted, or an I/O failure while extracting one.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The zip itself is larger than the zipped-size limit.
    #[error("zipped size {size} is over the limit of {limit} bytes")]
    ZippedTooLarge {
        /// Size of the upload in bytes.
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The bytes actually decompressed (or declared) pass the unzipped budget.
    #[error("unzipped size is over the budget of {budget} bytes (limit {limit})")]
    UnzippedTooLarge {
        /// The budget left for this package (the limit minus the function's layers).
        budget: u64,
        /// The configured unzipped limit quoted to the client.
        limit: u64,
    },
    /// The archive has more entries than allowed.
    #[error("the archive has {count} entries, over the limit of {limit}")]
    TooManyEntries {
        /// Entries declared by the archive.
        count: u64,
        /// The configured limit.
        limit: usize,
    },
    /// The input is not a zip, is corrupt, encrypted, or uses an unsupported feature.
    #[error("invalid zip file: {0}")]
    InvalidZip(String),
    /// One entry is unsafe to extract.
    #[error("unsafe entry {entry:?}: {reason}")]
    UnsafeEntry {
        /// The entry's name as stored (lossily decoded when not UTF-8).
        entry: String,
        /// What is wrong with it.
        reason: UnsafeReason,
    },
    /// Writing the extracted package failed (disk full, permissions…).
    #[error("extracting to {path}: {source}")]
    Io {
        /// The path being written.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl PackageError {
    /// An [`PackageError::UnsafeEntry`] for `entry`.
    pub(crate) fn unsafe_entry(entry: &str, reason: UnsafeReason) -> Self {
        Self::UnsafeEntry {
            entry: entry.to_string(),
            reason,
        }
    }

    /// A [`PackageError::Io`] for `path`.
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// The message Lambda sends with `InvalidZipFileException`.
pub const INVALID_ZIP_MESSAGE: &str =
    "Could not unzip uploaded file. Please check your file, then try to upload again.";

impl From<PackageError> for LambdaError {
    fn from(e: PackageError) -> Self {
        match e {
            PackageError::ZippedTooLarge { limit, .. } => {
                LambdaError::too_large(format!("Zipped size must be smaller than {limit} bytes"))
            }
            PackageError::UnzippedTooLarge { limit, .. } => LambdaError::invalid_parameter(
                format!("Unzipped size must be smaller than {limit} bytes"),
            ),
            PackageError::TooManyEntries { count, limit } => {
                LambdaError::invalid_parameter(format!(
                    "The deployment package has too many files: {count} entries, the limit is {limit}"
                ))
            }
            PackageError::InvalidZip(_) => LambdaError::invalid_zip(INVALID_ZIP_MESSAGE),
            PackageError::UnsafeEntry { entry, reason } => LambdaError::invalid_parameter(format!(
                "The deployment package contains an unsafe entry {entry:?}: {reason}"
            )),
            // The path and OS error are for the operator's log, not the client.
            PackageError::Io { .. } => LambdaError::new(
                ErrorKind::Service,
                "An error occurred while extracting the deployment package.",
            ),
        }
    }
}
