//! Test support: hand-written zip bytes, for archives the `zip` writer refuses to produce
//! (lying sizes, duplicate names, overlapping entries, links, fifos, setuid modes).

use std::io::{Cursor, Read, Write};

/// CRC-32 (IEEE), bit by bit: slow and obviously right.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Raw deflate of `data`, taken from a zip the `zip` writer produced.
pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(data.len() > u32::MAX as usize / 2);
    w.start_file("x", opts).unwrap();
    w.write_all(data).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let mut a = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut raw = Vec::new();
    a.by_index_raw(0).unwrap().read_to_end(&mut raw).unwrap();
    raw
}

/// One entry of a hand-built zip.
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) name: Vec<u8>,
    /// The bytes stored in the archive (already compressed when `method` is 8).
    pub(crate) payload: Vec<u8>,
    pub(crate) method: u16,
    pub(crate) crc: u32,
    pub(crate) uncompressed_size: u32,
    /// Unix mode; written as external attributes with "made by Unix".
    pub(crate) mode: Option<u32>,
    pub(crate) flags: u16,
}

impl Entry {
    /// A stored regular file, mode 0o100644.
    pub(crate) fn file(name: impl AsRef<[u8]>, data: &[u8]) -> Self {
        Self {
            name: name.as_ref().to_vec(),
            payload: data.to_vec(),
            method: 0,
            crc: crc32(data),
            uncompressed_size: data.len() as u32,
            mode: Some(0o100_644),
            flags: 0,
        }
    }
    /// A deflated regular file, mode 0o100644.
    pub(crate) fn deflated(name: impl AsRef<[u8]>, data: &[u8]) -> Self {
        Self {
            payload: deflate(data),
            method: 8,
            ..Self::file(name, data)
        }
    }
    /// A directory entry (name should end with `/`).
    pub(crate) fn dir(name: impl AsRef<[u8]>) -> Self {
        Self {
            mode: Some(0o040_755),
            ..Self::file(name, b"")
        }
    }
    /// Same entry with another Unix mode (type bits included).
    pub(crate) fn mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode);
        self
    }
    /// Same entry declaring another uncompressed size (a lying header).
    pub(crate) fn declare_size(mut self, size: u32) -> Self {
        self.uncompressed_size = size;
        self
    }

    /// The local header and payload.
    pub(crate) fn local(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(0x0403_4b50u32.to_le_bytes());
        b.extend(20u16.to_le_bytes());
        b.extend(self.flags.to_le_bytes());
        b.extend(self.method.to_le_bytes());
        b.extend([0u8; 4]); // time, date
        b.extend(self.crc.to_le_bytes());
        b.extend((self.payload.len() as u32).to_le_bytes());
        b.extend(self.uncompressed_size.to_le_bytes());
        b.extend((self.name.len() as u16).to_le_bytes());
        b.extend(0u16.to_le_bytes());
        b.extend(&self.name);
        b.extend(&self.payload);
        b
    }

    /// The central record pointing at a local header at `offset`.
    pub(crate) fn central(&self, offset: u32) -> Vec<u8> {
        let (made_by, ext) = match self.mode {
            Some(m) => ((3u16 << 8) | 20, m << 16),
            None => (20u16, 0),
        };
        let mut b = Vec::new();
        b.extend(0x0201_4b50u32.to_le_bytes());
        b.extend(made_by.to_le_bytes());
        b.extend(20u16.to_le_bytes());
        b.extend(self.flags.to_le_bytes());
        b.extend(self.method.to_le_bytes());
        b.extend([0u8; 4]);
        b.extend(self.crc.to_le_bytes());
        b.extend((self.payload.len() as u32).to_le_bytes());
        b.extend(self.uncompressed_size.to_le_bytes());
        b.extend((self.name.len() as u16).to_le_bytes());
        b.extend([0u8; 8]); // extra len, comment len, disk, internal attrs
        b.extend(ext.to_le_bytes());
        b.extend(offset.to_le_bytes());
        b.extend(&self.name);
        b
    }
}

/// The end-of-central-directory record.
pub(crate) fn eocd(count: u16, cd_size: u32, cd_offset: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(0x0605_4b50u32.to_le_bytes());
    b.extend([0u8; 4]);
    b.extend(count.to_le_bytes());
    b.extend(count.to_le_bytes());
    b.extend(cd_size.to_le_bytes());
    b.extend(cd_offset.to_le_bytes());
    b.extend(0u16.to_le_bytes());
    b
}

/// A well-formed archive of `entries`, in order.
pub(crate) fn build(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for e in entries {
        offsets.push(out.len() as u32);
        out.extend(e.local());
    }
    let cd_start = out.len();
    for (e, off) in entries.iter().zip(offsets) {
        out.extend(e.central(off));
    }
    let cd_size = out.len() - cd_start;
    out.extend(eocd(entries.len() as u16, cd_size as u32, cd_start as u32));
    out
}
