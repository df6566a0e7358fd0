//! The content pass: decompress every planned entry through a real byte budget.
//!
//! Declared sizes are never trusted: each entry is read through `take(remaining + 1)`, so at
//! most one byte past the budget is ever produced, whatever the headers say. An entry whose
//! real size differs from its declared size is refused as corrupt (the CRC is checked by the
//! `zip` crate at the end of each entry).

use std::io::{self, Read, Write};

use crate::error::{PackageError, UnsafeReason};
use crate::summary::{FileEntry, Limits};
use crate::validate::{PlannedEntry, ValidatedArchive};

/// Where an entry's bytes go: nowhere (inspect) or a file (extract).
pub(crate) trait Sink {
    /// Called for each directory, in archive order.
    fn directory(&mut self, entry: &PlannedEntry) -> Result<(), PackageError>;
    /// A writer for a file's content.
    fn open_file(&mut self, entry: &PlannedEntry) -> Result<Box<dyn Write + '_>, PackageError>;
    /// Called after a file's content was fully and correctly written.
    fn close_file(&mut self, entry: &PlannedEntry) -> Result<(), PackageError>;
}

/// Stream every entry of `va` into `sink`; returns the entries with real sizes and the total.
pub(crate) fn stream_all(
    va: &mut ValidatedArchive<'_>,
    limits: &Limits,
    budget: u64,
    sink: &mut dyn Sink,
) -> Result<(Vec<FileEntry>, u64), PackageError> {
    let too_large = || PackageError::UnzippedTooLarge {
        budget,
        limit: limits.max_unzipped_bytes,
    };
    let mut total: u64 = 0;
    let mut files = Vec::with_capacity(va.entries.len());
    for entry in &va.entries {
        let remaining = budget.saturating_sub(total);
        let mut file = va
            .archive
            .by_index(entry.index)
            .map_err(|e| PackageError::InvalidZip(e.to_string()))?;
        let size = if entry.is_dir {
            // A directory must be empty; read at most one byte to know.
            let mut probe = [0u8; 1];
            let n = read_fully(&mut file, &mut probe)?;
            if n != 0 {
                return Err(PackageError::unsafe_entry(
                    &entry.raw_name,
                    UnsafeReason::DirectoryWithContent,
                ));
            }
            sink.directory(entry)?;
            0
        } else {
            let mut out = sink.open_file(entry)?;
            let mut limited = (&mut file).take(remaining.saturating_add(1));
            let n = copy(&mut limited, &mut out, &entry.path)?;
            drop(out);
            if n > remaining {
                return Err(too_large());
            }
            if n != entry.declared_size {
                return Err(PackageError::InvalidZip(format!(
                    "{:?} declares {} bytes but holds {n}",
                    entry.raw_name, entry.declared_size
                )));
            }
            sink.close_file(entry)?;
            n
        };
        total += size;
        files.push(FileEntry {
            path: entry.path.clone(),
            size,
            mode: entry.mode,
            is_dir: entry.is_dir,
        });
    }
    Ok((files, total))
}

/// Copy until EOF; read errors are the archive's fault, write errors the disk's.
fn copy(r: &mut impl Read, w: &mut dyn Write, path: &str) -> Result<u64, PackageError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut n: u64 = 0;
    loop {
        let got = match r.read(&mut buf) {
            Ok(0) => return Ok(n),
            Ok(got) => got,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(PackageError::InvalidZip(e.to_string())),
        };
        w.write_all(&buf[..got]).map_err(|e| PackageError::Io {
            path: path.to_string(),
            source: e,
        })?;
        n += got as u64;
    }
}

/// Read until `buf` is full or EOF.
fn read_fully(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, PackageError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(got) => n += got,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(PackageError::InvalidZip(e.to_string())),
        }
    }
    Ok(n)
}
