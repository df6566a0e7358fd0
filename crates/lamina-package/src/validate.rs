//! The metadata pass over a zip: everything that can be decided without decompressing.
//!
//! This module owns the entry policy: size and count limits, path safety (via
//! [`crate::entry_path`]), file types (only regular files and directories; every symlink,
//! device, fifo and socket is refused), set-id bits refused, mode normalisation (to `0o644` or `0o755`;
//! setgid, sticky and group/world write bits are dropped, not refused, because they carry no
//! meaning Lambda honours and some build tools set them by accident), duplicates, path
//! conflicts, local/central header agreement and overlapping entries. It produces the list of
//! entries the streaming pass in [`crate::stream`] then reads.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use zip::ZipArchive;

use crate::central::{self, LocalSpan};
use crate::entry_path::{self, EntryPath};
use crate::error::{PackageError, UnsafeReason};
use crate::summary::Limits;

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;
const S_IFIFO: u32 = 0o010_000;
const S_IFCHR: u32 = 0o020_000;
const S_IFBLK: u32 = 0o060_000;
const S_IFSOCK: u32 = 0o140_000;

/// One entry that passed the metadata checks.
#[derive(Debug, Clone)]
pub(crate) struct PlannedEntry {
    /// Index in the `zip` crate's archive.
    pub(crate) index: usize,
    /// The normalised path, `/`-separated, never empty.
    pub(crate) path: String,
    /// Whether it is a directory.
    pub(crate) is_dir: bool,
    /// `0o644` or `0o755`.
    pub(crate) mode: u32,
    /// The size the headers declare (checked against the real size while streaming).
    pub(crate) declared_size: u64,
    /// The raw name, for error messages.
    pub(crate) raw_name: String,
}

/// An archive whose metadata passed every check, and the entries to stream from it.
pub(crate) struct ValidatedArchive<'a> {
    /// The opened archive.
    pub(crate) archive: ZipArchive<Cursor<&'a [u8]>>,
    /// Entries in central-directory order; directories that normalise to the root are left out.
    pub(crate) entries: Vec<PlannedEntry>,
}

/// What a path in the tree is, while checking for conflicts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Node {
    File,
    /// A directory named by its own entry.
    Dir,
    /// A directory implied by a deeper entry's path.
    ImpliedDir,
}

/// Open `zip` and check everything but the content. `budget` is the unzipped budget in bytes.
pub(crate) fn validate<'a>(
    zip: &'a [u8],
    limits: &Limits,
    budget: u64,
) -> Result<ValidatedArchive<'a>, PackageError> {
    let size = zip.len() as u64;
    if size > limits.max_zipped_bytes {
        return Err(PackageError::ZippedTooLarge {
            size,
            limit: limits.max_zipped_bytes,
        });
    }
    // Refuse a huge declared count before the `zip` crate allocates a record for each.
    if let Some(count) = central::declared_entry_count(zip)
        && count > limits.max_entries as u64
    {
        return Err(PackageError::TooManyEntries {
            count,
            limit: limits.max_entries,
        });
    }
    let mut archive =
        ZipArchive::new(Cursor::new(zip)).map_err(|e| PackageError::InvalidZip(e.to_string()))?;
    if archive.len() > limits.max_entries {
        return Err(PackageError::TooManyEntries {
            count: archive.len() as u64,
            limit: limits.max_entries,
        });
    }

    let records = central::central_records(zip, archive.central_directory_start())?;
    let mut seen_raw = HashSet::with_capacity(records.len());
    for r in &records {
        if !seen_raw.insert(r.name) {
            let name = String::from_utf8_lossy(r.name);
            return Err(PackageError::unsafe_entry(
                &name,
                UnsafeReason::DuplicateName,
            ));
        }
    }
    if records.len() != archive.len() {
        return Err(PackageError::InvalidZip(format!(
            "central directory holds {} records, the end record declares {}",
            records.len(),
            archive.len()
        )));
    }

    let mut tree: HashMap<String, Node> = HashMap::with_capacity(archive.len());
    let mut spans: Vec<LocalSpan> = Vec::with_capacity(archive.len());
    let mut entries = Vec::with_capacity(archive.len());
    let mut declared_total: u64 = 0;
    for (index, record) in records.iter().enumerate() {
        let file = archive
            .by_index_raw(index)
            .map_err(|e| PackageError::InvalidZip(e.to_string()))?;
        let raw_name = String::from_utf8_lossy(record.name).into_owned();
        let refuse = |reason| PackageError::unsafe_entry(&raw_name, reason);
        if file.encrypted() {
            return Err(PackageError::InvalidZip(format!(
                "{raw_name:?} is encrypted"
            )));
        }
        let path = entry_path::normalise(record.name).map_err(refuse)?;
        let is_dir = classify(&path, file.unix_mode()).map_err(refuse)?;
        let mode = normalise_mode(file.unix_mode(), is_dir);

        let span = central::local_span(zip, file.header_start(), file.compressed_size(), record)?
            .ok_or_else(|| refuse(UnsafeReason::HeaderMismatch))?;
        spans.push(span);

        declared_total = declared_total.saturating_add(file.size());
        let declared_size = file.size();
        drop(file);

        if path.path.is_empty() {
            if is_dir {
                continue; // `./` names the root itself: nothing to create.
            }
            return Err(refuse(UnsafeReason::EmptyName));
        }
        place(&mut tree, &path.path, is_dir).map_err(refuse)?;
        entries.push(PlannedEntry {
            index,
            path: path.path,
            is_dir,
            mode,
            declared_size,
            raw_name,
        });
    }
    if let Some(i) = central::first_overlap(&spans) {
        let name = String::from_utf8_lossy(records[i].name);
        return Err(PackageError::unsafe_entry(&name, UnsafeReason::Overlapping));
    }
    // Declared sizes may lie low (the stream catches that), but a declared total over the
    // budget is refused at once: either it is true, or the headers lie.
    if declared_total > budget {
        return Err(PackageError::UnzippedTooLarge {
            budget,
            limit: limits.max_unzipped_bytes,
        });
    }
    Ok(ValidatedArchive { archive, entries })
}

/// Whether the entry is a directory; refuses links and special files.
fn classify(path: &EntryPath, unix_mode: Option<u32>) -> Result<bool, UnsafeReason> {
    let kind = unix_mode.map_or(0, |m| m & S_IFMT);
    if unix_mode.is_some_and(|m| m & 0o6000 != 0) && kind != S_IFLNK {
        return Err(UnsafeReason::SetId);
    }
    match kind {
        // No type bits at all: trust the name's trailing slash, as zip tools do.
        0 => Ok(path.trailing_slash),
        S_IFREG => Ok(path.trailing_slash),
        S_IFDIR => Ok(true),
        S_IFLNK => Err(UnsafeReason::Symlink),
        S_IFIFO => Err(UnsafeReason::SpecialFile("fifo")),
        S_IFCHR => Err(UnsafeReason::SpecialFile("character device")),
        S_IFBLK => Err(UnsafeReason::SpecialFile("block device")),
        S_IFSOCK => Err(UnsafeReason::SpecialFile("socket")),
        _ => Err(UnsafeReason::SpecialFile("file of unknown type")),
    }
}

/// `0o755` for directories and for files with any execute bit, else `0o644`.
pub(crate) fn normalise_mode(unix_mode: Option<u32>, is_dir: bool) -> u32 {
    if is_dir || unix_mode.is_some_and(|m| m & 0o111 != 0) {
        0o755
    } else {
        0o644
    }
}

/// Record `path` in the tree, refusing duplicates and file/directory conflicts.
fn place(tree: &mut HashMap<String, Node>, path: &str, is_dir: bool) -> Result<(), UnsafeReason> {
    for parent in entry_path::ancestors(path) {
        match tree.get(parent) {
            Some(Node::File) => return Err(UnsafeReason::PathConflict),
            Some(_) => {}
            None => {
                tree.insert(parent.to_string(), Node::ImpliedDir);
            }
        }
    }
    match (tree.get(path).copied(), is_dir) {
        (None, _) => {
            tree.insert(
                path.to_string(),
                if is_dir { Node::Dir } else { Node::File },
            );
            Ok(())
        }
        (Some(Node::ImpliedDir), true) => {
            tree.insert(path.to_string(), Node::Dir);
            Ok(())
        }
        (Some(Node::ImpliedDir | Node::Dir), false) | (Some(Node::File), true) => {
            Err(UnsafeReason::PathConflict)
        }
        (Some(Node::Dir), true) | (Some(Node::File), false) => Err(UnsafeReason::DuplicateName),
    }
}
