//! Turning a zip entry's raw name into a safe relative path, or refusing it.
//!
//! This module owns the path policy: names must be UTF-8 with no NUL and no backslash, must
//! not be absolute (`/x`, `C:…`), and after lexical resolution of `.` and `..` must stay
//! inside the package root. Backslashes are refused rather than translated because Windows
//! tools read them as separators and Linux as ordinary characters, so two tools would see two
//! different trees. Resolution is lexical, which is sound only because symlink entries are
//! refused elsewhere: no component of an extracted tree can redirect a path.

use crate::error::UnsafeReason;

/// Longest single component Linux filesystems accept.
const MAX_COMPONENT: usize = 255;
/// Longest relative path we accept (`PATH_MAX` is 4096 including the NUL).
const MAX_PATH: usize = 4095;

/// A validated entry path: `/`-separated normal components, no leading or trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct EntryPath {
    /// The components joined by `/`; empty only for the root itself.
    pub(crate) path: String,
    /// Whether the raw name ended with `/` (zip's directory marker).
    pub(crate) trailing_slash: bool,
}

/// Validate and normalise a raw entry name.
pub(crate) fn normalise(raw: &[u8]) -> Result<EntryPath, UnsafeReason> {
    if raw.contains(&0) {
        return Err(UnsafeReason::NulByte);
    }
    let name = std::str::from_utf8(raw).map_err(|_| UnsafeReason::InvalidUtf8)?;
    if name.contains('\\') {
        return Err(UnsafeReason::Backslash);
    }
    if name.starts_with('/') || has_drive_prefix(name) {
        return Err(UnsafeReason::AbsolutePath);
    }
    let mut parts: Vec<&str> = Vec::new();
    for component in name.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(UnsafeReason::EscapesRoot);
                }
            }
            normal => {
                if normal.len() > MAX_COMPONENT {
                    return Err(UnsafeReason::NameTooLong);
                }
                parts.push(normal);
            }
        }
    }
    let path = parts.join("/");
    if path.len() > MAX_PATH {
        return Err(UnsafeReason::NameTooLong);
    }
    Ok(EntryPath {
        path,
        trailing_slash: name.ends_with('/'),
    })
}

/// `C:` or `c:` at the start: a Windows drive, absolute or drive-relative.
fn has_drive_prefix(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// The proper ancestors of a normalised path, shortest first (`a`, `a/b` for `a/b/c`).
pub(crate) fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> String {
        normalise(raw.as_bytes()).unwrap().path
    }

    #[test]
    fn normal_names_are_kept() {
        assert_eq!(ok("index.py"), "index.py");
        assert_eq!(ok("lib/a.so"), "lib/a.so");
        assert_eq!(ok("./lib//a.so"), "lib/a.so");
        assert_eq!(ok("a/../b"), "b");
        assert!(normalise(b"dir/").unwrap().trailing_slash);
    }

    #[test]
    fn escapes_are_refused() {
        for raw in ["../x", "../../etc/x", "a/../../x", "..", "./../x"] {
            assert_eq!(
                normalise(raw.as_bytes()),
                Err(UnsafeReason::EscapesRoot),
                "{raw}"
            );
        }
    }

    #[test]
    fn absolute_backslash_nul_and_utf8_are_refused() {
        assert_eq!(normalise(b"/etc/passwd"), Err(UnsafeReason::AbsolutePath));
        assert_eq!(normalise(b"C:/x"), Err(UnsafeReason::AbsolutePath));
        assert_eq!(normalise(b"C:\\x"), Err(UnsafeReason::Backslash));
        assert_eq!(normalise(b"..\\x"), Err(UnsafeReason::Backslash));
        assert_eq!(normalise(b"a\0b"), Err(UnsafeReason::NulByte));
        assert_eq!(normalise(b"a\xffb"), Err(UnsafeReason::InvalidUtf8));
    }

    #[test]
    fn long_names_are_refused() {
        let long = "x".repeat(256);
        assert_eq!(normalise(long.as_bytes()), Err(UnsafeReason::NameTooLong));
        let deep = vec!["d".repeat(200); 21].join("/");
        assert_eq!(normalise(deep.as_bytes()), Err(UnsafeReason::NameTooLong));
    }

    #[test]
    fn ancestors_are_listed_shortest_first() {
        assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), vec!["a", "a/b"]);
        assert_eq!(ancestors("a").count(), 0);
    }
}
