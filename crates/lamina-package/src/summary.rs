//! The limits a package is checked against and the summary an accepted package yields.

/// Size and count limits for one package. Defaults are Lambda's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted zip, in bytes (Lambda: 52,428,800 for a direct upload).
    pub max_zipped_bytes: u64,
    /// Largest unzipped size of code plus layers, in bytes (Lambda: 262,144,000). Quoted in
    /// the error message; the budget actually enforced is passed to [`crate::inspect`].
    pub max_unzipped_bytes: u64,
    /// Most entries (files and directories) one zip may hold.
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_zipped_bytes: 52_428_800,
            max_unzipped_bytes: 262_144_000,
            max_entries: 100_000,
        }
    }
}

/// What an accepted package holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSummary {
    /// SHA-256 of the zip bytes.
    pub sha256: [u8; 32],
    /// The same digest in base64, as Lambda's `CodeSha256`.
    pub code_sha256: String,
    /// Size of the zip in bytes (Lambda's `CodeSize`).
    pub zipped_size: u64,
    /// Sum of the real (streamed, not declared) sizes of all files.
    pub unzipped_size: u64,
    /// Every entry, in archive order, with normalised paths. Directories only implied by a
    /// file's path are not listed (extraction still creates them).
    pub files: Vec<FileEntry>,
}

/// One entry of an accepted package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Normalised relative path, `/`-separated, without a trailing slash.
    pub path: String,
    /// Real size in bytes (0 for directories).
    pub size: u64,
    /// `0o644` or `0o755`, whatever the archive said.
    pub mode: u32,
    /// Whether it is a directory.
    pub is_dir: bool,
}
