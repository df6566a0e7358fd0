//! Reading every ELF file of a package from the zip stream, without extracting to disk.
//!
//! The archive goes through the same metadata checks as an upload ([`crate::validate`]), so
//! paths are the normalised ones `extract` would write. Only the first four bytes of each file
//! are decompressed to tell ELF from the rest; ELF files are then read whole (within the
//! unzipped budget) and parsed in memory. Inflating ELF files is nearly all of the cost, so
//! entries are shared out over up to [`MAX_THREADS`] threads, each with its own reader.

use std::io::{Cursor, Read};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};

use zip::ZipArchive;

use crate::error::PackageError;
use crate::summary::Limits;
use crate::validate::{self, PlannedEntry};

use super::reader::{ElfRequirements, is_elf, read_requirements};

/// Most threads one scan uses; more would take cores from running functions.
const MAX_THREADS: usize = 4;

/// The requirements of every ELF file in the zip `zip`, in archive order. Files that start
/// with the ELF magic but cannot be parsed are skipped (they could not be loaded either).
///
/// Uses Lambda's default unzipped and entry limits and no zipped limit: packages reach
/// storage by paths with other zipped limits (layers, S3), and only what is inflated matters.
pub fn scan_zip(zip: &[u8]) -> Result<Vec<ElfRequirements>, PackageError> {
    let limits = Limits {
        max_zipped_bytes: u64::MAX,
        ..Limits::default()
    };
    scan_zip_with_limits(zip, &limits)
}

/// [`scan_zip`] with explicit limits; `limits.max_unzipped_bytes` caps the ELF bytes inflated.
pub fn scan_zip_with_limits(
    zip: &[u8],
    limits: &Limits,
) -> Result<Vec<ElfRequirements>, PackageError> {
    let budget = limits.max_unzipped_bytes;
    let va = validate::validate(zip, limits, budget)?;
    let files: Vec<&PlannedEntry> = va.entries.iter().filter(|e| !e.is_dir).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .clamp(1, MAX_THREADS)
        .min(files.len().max(1));
    let read_total = AtomicU64::new(0);
    let worker = |nth: usize, mut archive: ZipArchive<Cursor<&[u8]>>| {
        let mut found = Vec::new();
        for entry in files.iter().skip(nth).step_by(threads) {
            if let Some(req) = scan_entry(&mut archive, entry, budget, &read_total)? {
                found.push((entry.index, req));
            }
        }
        Ok::<_, PackageError>(found)
    };
    let mut found = if threads == 1 {
        worker(0, va.archive)?
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|nth| {
                    let archive = va.archive.clone();
                    s.spawn(move || worker(nth, archive))
                })
                .collect();
            let mut all = Vec::new();
            for h in handles {
                // A panic in a worker is a bug in goblin or here: report it as ours to fix.
                let part = h
                    .join()
                    .map_err(|_| PackageError::InvalidZip("elf scan worker panicked".into()))??;
                all.extend(part);
            }
            Ok::<_, PackageError>(all)
        })?
    };
    if read_total.load(Ordering::Relaxed) > budget {
        return Err(too_large(limits));
    }
    found.sort_by_key(|(index, _)| *index);
    Ok(found.into_iter().map(|(_, req)| req).collect())
}

/// Read one entry; parse it if it is ELF. Fails once all threads together pass the budget
/// or the entry holds more than it declares.
fn scan_entry(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    entry: &PlannedEntry,
    budget: u64,
    read_total: &AtomicU64,
) -> Result<Option<ElfRequirements>, PackageError> {
    let bad = |e: std::io::Error| PackageError::InvalidZip(e.to_string());
    let mut file = archive
        .by_index(entry.index)
        .map_err(|e| PackageError::InvalidZip(e.to_string()))?;
    let mut magic = Vec::with_capacity(4);
    (&mut file).take(4).read_to_end(&mut magic).map_err(bad)?;
    if !is_elf(&magic) {
        return Ok(None);
    }
    // Read at most one byte past the declared size: a larger entry is corrupt, and the
    // declared sizes were checked against the budget, so threads together never hold more
    // than the budget in memory.
    let remaining = budget.saturating_sub(read_total.load(Ordering::Relaxed));
    let cap = entry.declared_size.min(remaining).saturating_sub(4);
    let bytes =
        read_rest(&mut file, magic, entry.declared_size, cap.saturating_add(1)).map_err(bad)?;
    let size = bytes.len() as u64;
    let total = read_total.fetch_add(size, Ordering::Relaxed) + size;
    if total > budget {
        return Err(PackageError::UnzippedTooLarge {
            budget,
            limit: budget,
        });
    }
    if size > entry.declared_size {
        return Err(PackageError::InvalidZip(format!(
            "{:?} holds more than the {} bytes it declares",
            entry.raw_name, entry.declared_size
        )));
    }
    Ok(read_requirements(&entry.path, &bytes))
}

/// Append the rest of `r` to `head`, at most `cap` bytes past the head, reading in 1 MiB
/// chunks into a buffer sized from the declared size (on one 110 MB library, 1 MiB reads
/// inflated about 25 % faster than `read_to_end`).
fn read_rest(
    r: &mut impl Read,
    head: Vec<u8>,
    declared: u64,
    cap: u64,
) -> std::io::Result<Vec<u8>> {
    const CHUNK: usize = 1 << 20;
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let limit = head.len().saturating_add(cap);
    let mut len = head.len();
    let mut buf = head;
    let hint = usize::try_from(declared)
        .unwrap_or(0)
        .min(cap)
        .saturating_add(1);
    buf.resize(len.saturating_add(hint).min(limit).max(len + 1), 0);
    loop {
        if len == buf.len() {
            if len >= limit {
                break;
            }
            buf.resize(len.saturating_add(CHUNK.max(len)).min(limit), 0);
        }
        match r.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(len);
    Ok(buf)
}

fn too_large(limits: &Limits) -> PackageError {
    PackageError::UnzippedTooLarge {
        budget: limits.max_unzipped_bytes,
        limit: limits.max_unzipped_bytes,
    }
}
