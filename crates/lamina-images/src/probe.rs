//! Probing an image's manifest from its files: the OS identity (`os-release`), the C
//! library's version, every shared library in the loader's search path with the symbol
//! versions it defines, the interpreters it serves and their exact versions, and a digest.
//! The same code probes a built image (`<root>` ≠ `/`) and the `host` image (`/`).
//!
//! Paths inside an image are resolved by hand, following symlinks relative to the image's
//! root, because images are full of absolute symlinks (`/lib64/ld-linux-x86-64.so.2`) that
//! would otherwise lead to the host's files.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use lamina_model::environment::{ImageId, ImageManifest, ServedRuntime, os_release};
use lamina_model::runtime::{Family, RUNTIMES, Runtime};
use sha2::{Digest, Sha256};

use crate::chroot::{RootCommand, run_captured};

/// Folders the dynamic loader searches by default on x86-64 and aarch64 Debian, before
/// `etc/ld.so.conf.d`.
const LIB_DIRS: [&str; 9] = [
    "lib",
    "lib64",
    "usr/lib",
    "usr/lib64",
    "lib/x86_64-linux-gnu",
    "usr/lib/x86_64-linux-gnu",
    "lib/aarch64-linux-gnu",
    "usr/lib/aarch64-linux-gnu",
    "usr/local/lib",
];

/// Resolves `path` inside `root`, following symlinks as if `root` were `/`. `None` when a
/// component does not exist or symlinks loop.
pub fn resolve_in(root: &Path, path: &str) -> Option<PathBuf> {
    let mut pending: Vec<String> = path.split('/').rev().map(str::to_string).collect();
    let mut current: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                current.pop();
                continue;
            }
            _ => {}
        }
        let candidate = root.join(current.join("/")).join(&part);
        let meta = std::fs::symlink_metadata(&candidate).ok()?;
        if meta.file_type().is_symlink() {
            hops += 1;
            if hops > 40 {
                return None;
            }
            let target = std::fs::read_link(&candidate).ok()?;
            let target = target.to_string_lossy().into_owned();
            if target.starts_with('/') {
                current.clear();
            }
            pending.extend(target.split('/').rev().map(str::to_string));
        } else {
            current.push(part);
        }
    }
    Some(root.join(current.join("/")))
}

/// (`ID`, `VERSION_ID`) of the image's `os-release`.
pub fn probe_os(root: &Path) -> (String, String) {
    for p in ["etc/os-release", "usr/lib/os-release"] {
        if let Some(text) = resolve_in(root, p).and_then(|f| std::fs::read_to_string(f).ok()) {
            return os_release(&text);
        }
    }
    (String::new(), String::new())
}

/// The loader's search folders inside `root`, resolved, without duplicates.
fn library_dirs(root: &Path) -> Vec<PathBuf> {
    let mut names: Vec<String> = LIB_DIRS.iter().map(|s| s.to_string()).collect();
    if let Some(dir) = resolve_in(root, "etc/ld.so.conf.d")
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        for e in entries.flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            names.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| l.starts_with('/'))
                    .map(str::to_string),
            );
        }
    }
    let mut seen = HashSet::new();
    names
        .iter()
        .filter_map(|n| resolve_in(root, n))
        .filter(|p| p.is_dir() && seen.insert(p.clone()))
        .collect()
}

fn starts_with_elf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && lamina_package::is_elf(&magic)
}

/// Every shared library in the loader's search path: soname (and file name, which the
/// loader also matches) → the symbol versions it defines.
pub fn probe_libraries(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut libs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut read: BTreeMap<PathBuf, Option<(String, Vec<String>)>> = BTreeMap::new();
    for dir in library_dirs(root) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let rel_dir = dir.strip_prefix(root).unwrap_or(&dir).to_path_buf();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.contains(".so") {
                continue;
            }
            let rel = rel_dir.join(&name);
            let Some(file) = resolve_in(root, &rel.to_string_lossy()) else {
                continue;
            };
            let provides = read.entry(file.clone()).or_insert_with(|| {
                if !file.is_file() || !starts_with_elf(&file) {
                    return None;
                }
                let bytes = std::fs::read(&file).ok()?;
                lamina_package::read_provides(&bytes).map(|p| (p.soname, p.versions))
            });
            if let Some((soname, versions)) = provides.clone() {
                libs.entry(soname)
                    .or_default()
                    .extend(versions.iter().cloned());
                if !name.ends_with(".so") || name.starts_with("ld-") {
                    libs.entry(name).or_default().extend(versions);
                }
            }
        }
    }
    libs
}

/// The C library's version: the `release version X.Y` banner inside `libc.so.6`, else the
/// highest `GLIBC_X.Y` version it defines.
pub fn probe_glibc(root: &Path, libs: &BTreeMap<String, BTreeSet<String>>) -> Option<String> {
    for dir in library_dirs(root) {
        let path = dir.join("libc.so.6");
        let Some(file) = resolve_in(
            root,
            &path.strip_prefix(root).unwrap_or(&path).to_string_lossy(),
        ) else {
            continue;
        };
        if let Ok(bytes) = std::fs::read(&file) {
            let needle = b"release version ";
            if let Some(at) = bytes.windows(needle.len()).position(|w| w == needle) {
                let rest = &bytes[at + needle.len()..];
                let v: String = rest
                    .iter()
                    .take_while(|b| b.is_ascii_digit() || **b == b'.')
                    .map(|b| char::from(*b))
                    .collect();
                let v = v.trim_end_matches('.').to_string();
                if !v.is_empty() {
                    return Some(v);
                }
            }
        }
    }
    libs.get("libc.so.6")?
        .iter()
        .filter_map(|v| v.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let nums: Option<Vec<u32>> = v.split('.').map(|n| n.parse().ok()).collect();
            nums.map(|n| (n, v.to_string()))
        })
        .max()
        .map(|(_, v)| v)
}

/// The version an interpreter prints (`Python 3.11.2` → `3.11.2`, `v20.19.2` → `20.19.2`).
pub fn parse_version(output: &str) -> Option<String> {
    let word = output.split_whitespace().find(|w| {
        w.trim_start_matches('v')
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })?;
    Some(word.trim_start_matches('v').to_string())
}

/// Asks the interpreter at `path` (absolute, inside `root`) for `--version`, running it in
/// the image (directly for `/`); `None` if absent, not a file, or failing.
fn interpreter_version(root: &Path, path: &str) -> Option<String> {
    if !resolve_in(root, path).is_some_and(|f| f.is_file()) {
        return None;
    }
    let mut cmd = if root == Path::new("/") {
        let mut c = Command::new(path);
        c.arg("--version");
        c
    } else {
        RootCommand::new(root, vec![path.to_string(), "--version".into()])
            .command()
            .ok()?
    };
    let out = run_captured(path, &mut cmd).ok()?;
    parse_version(&out)
}

/// Every runtime the image can serve, each with the exact interpreter that serves it: the
/// first of the runtime's candidate paths ([`Runtime::interpreter_candidates`]) present in
/// the image whose version is the runtime's (`python3.13` only by a 3.13.x, `nodejs22.x`
/// only by a 22.x); and the `provided` runtimes, which need nothing. Each interpreter is run
/// once however many runtimes ask for it.
pub fn probe_runtimes(root: &Path) -> BTreeMap<String, ServedRuntime> {
    let mut asked: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for info in RUNTIMES {
        let runtime = Runtime::from(info);
        let served =
            match runtime.family() {
                Family::Provided => Some(ServedRuntime {
                    interpreter: String::new(),
                    version: String::new(),
                }),
                Family::Python | Family::Node => runtime
                    .interpreter_candidates()
                    .into_iter()
                    .find_map(|path| {
                        let version = asked
                            .entry(path.clone())
                            .or_insert_with(|| interpreter_version(root, &path))
                            .clone()?;
                        runtime.accepts_version(&version).then_some(ServedRuntime {
                            interpreter: path,
                            version,
                        })
                    }),
                Family::Other => None,
            };
        if let Some(served) = served {
            out.insert(info.id.to_string(), served);
        }
    }
    out
}

/// `sha256:` of the manifest's content (everything but the id and the digest), so two
/// images with the same OS, libraries and interpreters have the same digest.
pub fn digest(m: &ImageManifest) -> String {
    let content = serde_json::json!({
        "os_id": m.os_id,
        "os_version": m.os_version,
        "glibc_version": m.glibc_version,
        "libraries": m.libraries,
        "runtimes": m.runtimes,
    });
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(content.to_string()))
    )
}

/// A signature of every candidate library file under `root` (path, size, change time,
/// inode), so a cached library table is reused only while no library has changed.
fn library_signature(root: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    let mut h = Sha256::new();
    for dir in library_dirs(root) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        names.sort();
        for path in names.iter().filter(|p| p.to_string_lossy().contains(".so")) {
            if let Ok(m) = std::fs::metadata(path) {
                h.update(format!(
                    "{}\0{}\0{}\0{}\0{}\n",
                    path.display(),
                    m.len(),
                    m.ctime(),
                    m.ctime_nsec(),
                    m.ino()
                ));
            }
        }
    }
    hex::encode(h.finalize())
}

/// [`probe_libraries`], reusing a table cached in `cache_dir` while the library files are
/// unchanged (the host's hundreds of libraries take seconds to read; a server start should
/// not). A cache that cannot be read or written is ignored.
pub fn probe_libraries_cached(root: &Path, cache_dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let sig = library_signature(root);
    let file = cache_dir.join(format!("libraries-{}.json", &sig[..24]));
    if let Some(libs) = std::fs::read(&file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
    {
        return libs;
    }
    let libs = probe_libraries(root);
    if std::fs::create_dir_all(cache_dir).is_ok()
        && let Ok(bytes) = serde_json::to_vec(&libs)
    {
        let tmp = file.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, &file).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
    libs
}

/// [`probe`] with the library table cached in `cache_dir` (for the `host` image at every
/// server start).
pub fn probe_cached(root: &Path, id: ImageId, cache_dir: &Path) -> ImageManifest {
    manifest_from(root, id, probe_libraries_cached(root, cache_dir))
}

/// The full manifest of the root file system `root`, named `id`.
pub fn probe(root: &Path, id: ImageId) -> ImageManifest {
    manifest_from(root, id, probe_libraries(root))
}

fn manifest_from(
    root: &Path,
    id: ImageId,
    libraries: BTreeMap<String, BTreeSet<String>>,
) -> ImageManifest {
    let (os_id, os_version) = probe_os(root);
    let glibc_version = probe_glibc(root, &libraries);
    let mut m = ImageManifest {
        id,
        os_id,
        os_version,
        glibc_version,
        libraries,
        runtimes: probe_runtimes(root),
        digest: String::new(),
    };
    m.digest = digest(&m);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny root: usr-merge symlinks, os-release behind an absolute symlink, and the
    /// host's libc copied in (a real ELF library with real version definitions).
    fn fake_root() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join("usr/lib/x86_64-linux-gnu")).unwrap();
        std::fs::create_dir_all(r.join("etc")).unwrap();
        std::os::unix::fs::symlink("usr/lib", r.join("lib")).unwrap();
        std::fs::write(
            r.join("usr/lib/os-release"),
            "ID=debian\nVERSION_ID=\"13\"\n",
        )
        .unwrap();
        std::os::unix::fs::symlink("/usr/lib/os-release", r.join("etc/os-release")).unwrap();
        let host_libc = resolve_in(Path::new("/"), "lib/x86_64-linux-gnu/libc.so.6").unwrap();
        std::fs::copy(host_libc, r.join("usr/lib/x86_64-linux-gnu/libc.so.6")).unwrap();
        std::fs::write(r.join("usr/lib/x86_64-linux-gnu/libfake.so.1"), b"not elf").unwrap();
        root
    }

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let root = fake_root();
        let r = root.path();
        assert_eq!(
            resolve_in(r, "etc/os-release").unwrap(),
            r.join("usr/lib/os-release")
        );
        assert_eq!(
            resolve_in(r, "/lib/x86_64-linux-gnu/../x86_64-linux-gnu/libc.so.6").unwrap(),
            r.join("usr/lib/x86_64-linux-gnu/libc.so.6")
        );
        assert_eq!(resolve_in(r, "etc/missing"), None);
        std::os::unix::fs::symlink("loop", r.join("loop")).unwrap();
        assert_eq!(resolve_in(r, "loop"), None);
    }

    #[test]
    fn fake_root_manifest() {
        let root = fake_root();
        let m = probe(root.path(), ImageId::new("fake").unwrap());
        assert_eq!((m.os_id.as_str(), m.os_version.as_str()), ("debian", "13"));
        let libc = &m.libraries["libc.so.6"];
        assert!(libc.contains("GLIBC_2.2.5"), "{libc:?}");
        assert!(!m.libraries.contains_key("libfake.so.1"));
        let host_glibc = probe_glibc(Path::new("/"), &BTreeMap::new()).unwrap();
        assert_eq!(m.glibc_version.as_deref(), Some(host_glibc.as_str()));
        assert!(libc.contains(&format!("GLIBC_{host_glibc}")) || host_glibc.starts_with("2."));
        // No interpreters in this root: only the provided runtimes.
        assert!(m.runtimes.contains_key("provided.al2023"));
        assert!(!m.runtimes.contains_key("python3.12"));
        assert!(m.digest.starts_with("sha256:"));
        assert_eq!(m.digest, digest(&m));
    }

    #[test]
    fn host_manifest() {
        let m = probe(Path::new("/"), ImageId::host());
        assert_eq!(m.os_id, "debian");
        assert_eq!(m.os_version, "12");
        assert_eq!(m.glibc_version.as_deref(), Some("2.36"));
        assert!(m.libraries["libc.so.6"].contains("GLIBC_2.36"));
        assert!(!m.libraries["libc.so.6"].contains("GLIBC_2.38"));
        assert!(m.libraries.contains_key("ld-linux-x86-64.so.2"));
        // The host's own interpreters, each claimed only for its own version.
        let python = run_version("/usr/bin/python3");
        let (major, minor) = {
            let mut p = python.split('.');
            (p.next().unwrap().to_string(), p.next().unwrap().to_string())
        };
        let py = &m.runtimes[&format!("python{major}.{minor}")];
        assert_eq!(py.interpreter, format!("/usr/bin/python{major}.{minor}"));
        assert_eq!(py.version, python);
        let pythons: Vec<_> = m
            .runtimes
            .keys()
            .filter(|k| k.starts_with("python"))
            .collect();
        assert_eq!(pythons, [&format!("python{major}.{minor}")]);
        if Path::new("/usr/bin/node").exists() {
            let node = run_version("/usr/bin/node");
            let major = node.split('.').next().unwrap();
            let nodes: Vec<_> = m
                .runtimes
                .keys()
                .filter(|k| k.starts_with("nodejs"))
                .collect();
            assert_eq!(nodes, [&format!("nodejs{major}.x")]);
            assert_eq!(m.runtimes[&format!("nodejs{major}.x")].version, node);
        }
    }

    #[test]
    fn cached_library_table_matches_and_follows_changes() {
        let root = fake_root();
        let cache = tempfile::tempdir().unwrap();
        let fresh = probe_libraries(root.path());
        assert_eq!(probe_libraries_cached(root.path(), cache.path()), fresh);
        assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 1);
        assert_eq!(probe_libraries_cached(root.path(), cache.path()), fresh);
        // A library removed: a new signature, a new table.
        std::fs::remove_file(root.path().join("usr/lib/x86_64-linux-gnu/libc.so.6")).unwrap();
        let after = probe_libraries_cached(root.path(), cache.path());
        assert!(!after.contains_key("libc.so.6"));
        assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 2);
    }

    fn run_version(path: &str) -> String {
        let out = Command::new(path).arg("--version").output().unwrap();
        parse_version(&String::from_utf8_lossy(&out.stdout)).unwrap()
    }

    #[test]
    fn interpreter_versions_are_parsed() {
        assert_eq!(parse_version("Python 3.13.5\n").as_deref(), Some("3.13.5"));
        assert_eq!(parse_version("v20.19.2\n").as_deref(), Some("20.19.2"));
        assert_eq!(parse_version("nothing"), None);
    }
}
