//! Deployment packages: safe validation and extraction of function and layer zips.
//!
//! [`inspect`] checks a zip held in memory and writes nothing; [`extract`] checks it the same
//! way and writes it atomically. Both refuse every hazard of the zip threat model (path
//! escapes, links, special files, duplicates, overlapping entries, bombs, lying headers) with
//! the error Lambda would send, through `From<PackageError> for LambdaError`.
//!
//! Policy choices, each tested: all symlinks are refused; setuid/setgid entries are refused; other modes are normalised to
//! `0o644` or `0o755` (sticky and write bits for group/others are dropped);
//! names containing a backslash are refused.

pub mod elf;

mod central;
mod entry_path;
mod error;
mod extract;
mod inspect;
mod stream;
mod summary;
mod validate;

pub use elf::{
    ElfProvides, ElfRequirements, Missing, MissingKind, Verdict, check, is_elf, own_sonames,
    read_provides, read_requirements, scan_zip, scan_zip_with_limits, verdict,
};
pub use error::{INVALID_ZIP_MESSAGE, PackageError, UnsafeReason};
pub use extract::{extract, remove_partials};
pub use inspect::inspect;
pub use summary::{FileEntry, Limits, PackageSummary};

#[cfg(test)]
mod crash_tests;
#[cfg(test)]
mod hazard_tests;
#[cfg(test)]
mod testzip;
#[cfg(test)]
mod tool_zip_tests;
