//! Validating a whole package in memory without writing anything: [`inspect`].

use std::io::{self, Write};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::error::PackageError;
use crate::stream::{self, Sink};
use crate::summary::{Limits, PackageSummary};
use crate::validate::{self, PlannedEntry};

/// Validate a whole zip held in memory, streaming every entry through the decompressor with a
/// real byte budget (declared sizes are never trusted); writes nothing.
///
/// `unzipped_budget` is what is left of the unzipped limit for this package once the
/// function's layers are counted (Lambda counts code plus layers against 250 MB); the
/// smaller of it and `limits.max_unzipped_bytes` is enforced, and the error quotes the limit.
pub fn inspect(
    zip: &[u8],
    limits: &Limits,
    unzipped_budget: u64,
) -> Result<PackageSummary, PackageError> {
    let budget = unzipped_budget.min(limits.max_unzipped_bytes);
    let mut va = validate::validate(zip, limits, budget)?;
    let (files, unzipped_size) = stream::stream_all(&mut va, limits, budget, &mut Discard)?;
    Ok(summarise(zip, files, unzipped_size))
}

/// Build the summary of an accepted package.
pub(crate) fn summarise(
    zip: &[u8],
    files: Vec<crate::summary::FileEntry>,
    unzipped_size: u64,
) -> PackageSummary {
    let sha256: [u8; 32] = Sha256::digest(zip).into();
    PackageSummary {
        sha256,
        code_sha256: base64::engine::general_purpose::STANDARD.encode(sha256),
        zipped_size: zip.len() as u64,
        unzipped_size,
        files,
    }
}

/// A sink that drops every byte: inspection only counts.
pub(crate) struct Discard;

impl Sink for Discard {
    fn directory(&mut self, _: &PlannedEntry) -> Result<(), PackageError> {
        Ok(())
    }
    fn open_file(&mut self, _: &PlannedEntry) -> Result<Box<dyn Write + '_>, PackageError> {
        Ok(Box::new(io::sink()))
    }
    fn close_file(&mut self, _: &PlannedEntry) -> Result<(), PackageError> {
        Ok(())
    }
}
