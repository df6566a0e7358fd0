//! Raw reads of the zip structures that the `zip` crate hides or normalises away.
//!
//! The `zip` crate keys its entries by name, so two central records with the same name
//! silently become one; it also never compares the local header with the central record.
//! This module reads the end-of-central-directory record (to refuse an oversized entry
//! count before the crate allocates for it), walks the central directory itself (to see every
//! record, duplicates included), and parses local headers (to compare names and methods and
//! to compute each entry's byte span for the overlap check). It decides nothing about paths.

use crate::error::PackageError;

const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD64_LOCATOR_SIG: u32 = 0x0706_4b50;
const EOCD64_SIG: u32 = 0x0606_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const LOCAL_SIG: u32 = 0x0403_4b50;
const EOCD_LEN: usize = 22;
const CENTRAL_LEN: usize = 46;
const LOCAL_LEN: usize = 30;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The entry count the end-of-central-directory record declares (zip64 aware), or `None`
/// when no record is found (the `zip` crate then reports the archive as invalid).
pub(crate) fn declared_entry_count(zip: &[u8]) -> Option<u64> {
    if zip.len() < EOCD_LEN {
        return None;
    }
    // The record sits in the last 22 + 65535 (comment) bytes; the last match wins.
    let lowest = zip.len().saturating_sub(EOCD_LEN + usize::from(u16::MAX));
    let pos = (lowest..=zip.len() - EOCD_LEN)
        .rev()
        .find(|&p| u32_at(zip, p) == Some(EOCD_SIG))?;
    let count = u64::from(u16_at(zip, pos + 10)?);
    if count != u64::from(u16::MAX) || pos < 20 {
        return Some(count);
    }
    // Zip64: the locator right before the record points at the zip64 record.
    let loc = pos - 20;
    if u32_at(zip, loc) != Some(EOCD64_LOCATOR_SIG) {
        return Some(count);
    }
    let at = usize::try_from(u64_at(zip, loc + 8)?).ok()?;
    if u32_at(zip, at) != Some(EOCD64_SIG) {
        return Some(count);
    }
    u64_at(zip, at + 32)
}

/// One central directory record, as stored.
pub(crate) struct CentralRecord<'a> {
    /// The raw name bytes.
    pub(crate) name: &'a [u8],
    /// The raw compression method.
    pub(crate) method: u16,
}

/// Every central record from `start` on, in order, until the signature stops matching.
pub(crate) fn central_records(
    zip: &[u8],
    start: u64,
) -> Result<Vec<CentralRecord<'_>>, PackageError> {
    let mut at = usize::try_from(start).map_err(|_| bad("central directory offset"))?;
    let mut out = Vec::new();
    while u32_at(zip, at) == Some(CENTRAL_SIG) {
        let method = u16_at(zip, at + 10).ok_or_else(|| bad("central record"))?;
        let name_len = usize::from(u16_at(zip, at + 28).ok_or_else(|| bad("central record"))?);
        let extra_len = usize::from(u16_at(zip, at + 30).ok_or_else(|| bad("central record"))?);
        let comment_len = usize::from(u16_at(zip, at + 32).ok_or_else(|| bad("central record"))?);
        let name_at = at + CENTRAL_LEN;
        let name = zip
            .get(name_at..name_at + name_len)
            .ok_or_else(|| bad("central record name"))?;
        out.push(CentralRecord { name, method });
        at = name_at + name_len + extra_len + comment_len;
    }
    Ok(out)
}

/// Where one entry's local header and data lie, as read from the local header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LocalSpan {
    /// First byte of the local header.
    pub(crate) start: u64,
    /// One past the last byte of the compressed data.
    pub(crate) end: u64,
}

/// Parse the local header at `header_start`; `None` means it disagrees with the central
/// record (`name`, `method`), `Err` that it is not there at all.
pub(crate) fn local_span(
    zip: &[u8],
    header_start: u64,
    compressed_size: u64,
    record: &CentralRecord<'_>,
) -> Result<Option<LocalSpan>, PackageError> {
    let at = usize::try_from(header_start).map_err(|_| bad("local header offset"))?;
    if u32_at(zip, at) != Some(LOCAL_SIG) {
        return Err(bad("missing local header"));
    }
    let method = u16_at(zip, at + 8).ok_or_else(|| bad("local header"))?;
    let name_len = usize::from(u16_at(zip, at + 26).ok_or_else(|| bad("local header"))?);
    let extra_len = usize::from(u16_at(zip, at + 28).ok_or_else(|| bad("local header"))?);
    let name_at = at + LOCAL_LEN;
    let name = zip
        .get(name_at..name_at + name_len)
        .ok_or_else(|| bad("local header name"))?;
    if name != record.name || method != record.method {
        return Ok(None);
    }
    let data_start = (name_at + name_len + extra_len) as u64;
    let end = data_start
        .checked_add(compressed_size)
        .filter(|&end| end <= zip.len() as u64)
        .ok_or_else(|| bad("entry data runs past the end of the file"))?;
    Ok(Some(LocalSpan {
        start: header_start,
        end,
    }))
}

/// Index of the first span that overlaps an earlier one (by start), if any.
pub(crate) fn first_overlap(spans: &[LocalSpan]) -> Option<usize> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].start, spans[i].end));
    order.windows(2).find_map(|w| {
        let (a, b) = (spans[w[0]], spans[w[1]]);
        // Report the entry that comes later in the central directory.
        (b.start < a.end).then_some(w[0].max(w[1]))
    })
}

fn bad(what: &str) -> PackageError {
    PackageError::InvalidZip(format!("malformed {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_found_in_any_order() {
        let s = |start, end| LocalSpan { start, end };
        assert_eq!(first_overlap(&[s(0, 10), s(10, 20)]), None);
        assert_eq!(first_overlap(&[s(10, 20), s(0, 11)]), Some(1));
        assert_eq!(first_overlap(&[s(0, 100), s(200, 300), s(50, 60)]), Some(2));
    }

    #[test]
    fn no_eocd_means_no_count() {
        assert_eq!(declared_entry_count(b"not a zip at all, clearly"), None);
    }
}
