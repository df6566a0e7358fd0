//! The compatibility scanner's report: every ELF file of a function's code and layers
//! checked against an image's manifest with `lamina_package`'s rules. Code files are named
//! as the function sees them (`/var/task/…`), layer files as `/opt/…`.
//!
//! Given the function's runtime, it also names the interpreter change: a Python extension
//! module carries the CPython version it was built for in its file name
//! (`_speedups.cpython-311-x86_64-linux-gnu.so`), and CPython imports only modules tagged
//! with its own `major.minor` (or the stable `abi3`), so a module built for 3.11 will not
//! load where the runtime is served by a 3.13 interpreter.

use std::collections::{BTreeSet, HashMap};

use lamina_model::environment::{ImageId, ImageManifest};
use lamina_model::runtime::{Language, Runtime};
use lamina_package::{ElfRequirements, MissingKind, Verdict};
use serde::Serialize;

use crate::error::ImagesError;

/// `compatible`.
pub const COMPATIBLE: &str = "compatible";
/// `potentially affected`.
pub const POTENTIALLY_AFFECTED: &str = "potentially affected";
/// `no native code`.
pub const NO_NATIVE_CODE: &str = "no native code";

/// One package to scan: the function's code or one of its layers.
#[derive(Debug, Clone, Copy)]
pub struct Package<'a> {
    /// What it is, for errors (`code`, a layer ARN, a file name).
    pub name: &'a str,
    /// Where its files appear in the sandbox (`/var/task` or `/opt`).
    pub mount: &'a str,
    /// The zip.
    pub zip: &'a [u8],
}

/// One unmet requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingItem {
    /// The file that needs it, as the function sees it.
    pub file: String,
    /// `soname`, `version`, `interpreter`, `architecture` or `python-abi`.
    pub kind: &'static str,
    /// The library a missing version belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    /// The missing soname, symbol version or interpreter path.
    pub name: String,
    /// A sentence saying it.
    pub message: String,
}

/// The scanner's answer for one target on one image.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// The function or zip scanned.
    pub target: String,
    /// The image.
    pub image: ImageId,
    /// [`COMPATIBLE`], [`POTENTIALLY_AFFECTED`] or [`NO_NATIVE_CODE`].
    pub verdict: &'static str,
    /// What is missing (empty unless potentially affected).
    pub missing: Vec<MissingItem>,
    /// The ELF files found.
    pub elf_files: Vec<String>,
    /// Zip bytes read.
    pub package_bytes: u64,
}

impl ScanReport {
    /// One line: the verdict, and for an affected target what is missing.
    pub fn summary(&self) -> String {
        if self.missing.is_empty() {
            return self.verdict.to_string();
        }
        let items: Vec<String> = self.missing.iter().map(|m| m.message.clone()).collect();
        format!("{}: {}", self.verdict, items.join("; "))
    }
}

/// Scans `packages` (code first, then layers) of `target` against `image`; with the
/// function's `runtime`, extension modules are also checked against the interpreter that
/// serves it on `image`.
pub fn scan_packages(
    target: &str,
    packages: &[Package<'_>],
    image: &ImageManifest,
    runtime: Option<Runtime>,
) -> Result<ScanReport, ImagesError> {
    let mut reqs: Vec<ElfRequirements> = Vec::new();
    let mut bytes = 0u64;
    for p in packages {
        bytes += p.zip.len() as u64;
        let found = lamina_package::scan_zip(p.zip).map_err(|source| ImagesError::Scan {
            name: p.name.to_string(),
            source,
        })?;
        let mount = p.mount.trim_end_matches('/');
        reqs.extend(found.into_iter().map(|mut r| {
            r.path = format!("{mount}/{}", r.path);
            r
        }));
    }
    let available: HashMap<String, BTreeSet<String>> = image
        .libraries
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let own = lamina_package::own_sonames(&reqs);
    let verdict = lamina_package::verdict(&reqs, &available, &own);
    let mut foreign = foreign_architecture(&reqs, std::env::consts::ARCH);
    if let Some(runtime) = runtime {
        foreign.extend(python_abi(&reqs, runtime, image));
    }
    let (verdict, mut missing) = match verdict {
        Verdict::Compatible => (COMPATIBLE, Vec::new()),
        Verdict::NoNativeCode => (NO_NATIVE_CODE, Vec::new()),
        Verdict::PotentiallyAffected(list) => (
            POTENTIALLY_AFFECTED,
            list.into_iter()
                .map(|m| {
                    let message = m.to_string();
                    let (kind, library, name) = match m.what {
                        MissingKind::Soname(s) => ("soname", None, s),
                        MissingKind::Version { lib, version } => ("version", Some(lib), version),
                        MissingKind::Interpreter(i) => ("interpreter", None, i),
                    };
                    MissingItem {
                        file: m.file,
                        kind,
                        library,
                        name,
                        message,
                    }
                })
                .collect(),
        ),
    };
    let verdict = if foreign.is_empty() {
        verdict
    } else {
        POTENTIALLY_AFFECTED
    };
    missing.extend(foreign);
    Ok(ScanReport {
        target: target.to_string(),
        image: image.id.clone(),
        verdict,
        missing,
        elf_files: reqs.iter().map(|r| r.path.clone()).collect(),
        package_bytes: bytes,
    })
}

/// ELF files built for another architecture than `arch` (the machine's, which is the
/// architecture debootstrap builds images for): no image here can load them.
fn foreign_architecture(reqs: &[ElfRequirements], arch: &str) -> Vec<MissingItem> {
    reqs.iter()
        .filter(|r| r.machine != arch)
        .map(|r| MissingItem {
            file: r.path.clone(),
            kind: "architecture",
            library: None,
            name: r.machine.clone(),
            message: format!(
                "{} is built for {}, but the image runs {arch}",
                r.path, r.machine
            ),
        })
        .collect()
}

/// The CPython `major.minor` an extension module's file name says it was built for
/// (`x.cpython-311-x86_64-linux-gnu.so` → (3, 11)); `None` for `abi3` and other files.
pub fn extension_module_python(path: &str) -> Option<(u32, u32)> {
    let name = path.rsplit('/').next()?;
    let (_, rest) = name.split_once(".cpython-")?;
    if !name.ends_with(".so") {
        return None;
    }
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    // `3` then the minor: `39` → 3.9, `311` → 3.11.
    let (major, minor) = digits.split_at_checked(1)?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Extension modules built for another CPython than the one serving `runtime` on `image`.
fn python_abi(
    reqs: &[ElfRequirements],
    runtime: Runtime,
    image: &ImageManifest,
) -> Vec<MissingItem> {
    let Some(Language::Python { major, minor }) = runtime.language() else {
        return Vec::new();
    };
    let served = image
        .runtimes
        .get(runtime.id())
        .map(|s| format!("Python {}", s.version))
        .unwrap_or_else(|| {
            format!("no Python {major}.{minor} (the image does not serve {runtime})")
        });
    reqs.iter()
        .filter_map(|r| {
            let built = extension_module_python(&r.path)?;
            (built != (major, minor)).then(|| MissingItem {
                file: r.path.clone(),
                kind: "python-abi",
                library: None,
                name: format!("cpython-{}{}", built.0, built.1),
                message: format!(
                    "{} is an extension module built for CPython {}.{}; {runtime} on {} runs {served}, which will not import it (rebuild it with `lamina build --env {}`)",
                    r.path, built.0, built.1, image.id, image.id
                ),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut buf);
        for (name, bytes) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap();
        buf.into_inner()
    }

    fn image_with_glibc(versions: &[&str]) -> ImageManifest {
        let mut m = ImageManifest::minimal(ImageId::new("old").unwrap(), "debian", "12");
        m.libraries.insert(
            "libc.so.6".into(),
            versions.iter().map(|v| v.to_string()).collect(),
        );
        m.libraries
            .insert("ld-linux-x86-64.so.2".into(), BTreeSet::new());
        m
    }

    #[test]
    fn host_binary_against_old_and_full_images() {
        // /bin/true needs some GLIBC_2.x versions from libc.so.6.
        let t = std::fs::read("/bin/true").unwrap();
        let zip = zip_of(&[("bin/true", t), ("handler.py", b"print(1)".to_vec())]);
        let pkg = [Package {
            name: "code",
            mount: "/var/task",
            zip: &zip,
        }];
        let host = crate::probe::probe(std::path::Path::new("/"), ImageId::host());
        let r = scan_packages("f", &pkg, &host, None).unwrap();
        assert_eq!(r.verdict, COMPATIBLE, "{r:?}");
        assert_eq!(r.elf_files, ["/var/task/bin/true"]);
        let r = scan_packages("f", &pkg, &image_with_glibc(&["GLIBC_2.0"]), None).unwrap();
        assert_eq!(r.verdict, POTENTIALLY_AFFECTED);
        assert!(r.missing.iter().all(|m| m.file == "/var/task/bin/true"));
        assert!(
            r.missing
                .iter()
                .any(|m| m.kind == "version" && m.library.as_deref() == Some("libc.so.6"))
        );
        assert!(
            r.summary()
                .starts_with("potentially affected: /var/task/bin/true needs GLIBC_")
        );
    }

    #[test]
    fn foreign_architecture_is_named() {
        let t = std::fs::read("/bin/true").unwrap();
        let reqs = lamina_package::scan_zip(&zip_of(&[("bin/true", t)])).unwrap();
        assert!(foreign_architecture(&reqs, std::env::consts::ARCH).is_empty());
        let other = if std::env::consts::ARCH == "aarch64" {
            "x86_64"
        } else {
            "aarch64"
        };
        let found = foreign_architecture(&reqs, other);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, "architecture");
        assert!(
            found[0]
                .message
                .contains(&format!("but the image runs {other}"))
        );
    }

    #[test]
    fn scripts_only_is_no_native_code_and_bad_zip_is_an_error() {
        let zip = zip_of(&[("app.py", b"x = 1".to_vec())]);
        let img = image_with_glibc(&[]);
        let pkg = [Package {
            name: "code",
            mount: "/var/task",
            zip: &zip,
        }];
        assert_eq!(
            scan_packages("f", &pkg, &img, None).unwrap().verdict,
            NO_NATIVE_CODE
        );
        let bad = [Package {
            name: "layer",
            mount: "/opt",
            zip: b"not a zip",
        }];
        assert!(matches!(
            scan_packages("f", &bad, &img, None),
            Err(ImagesError::Scan { .. })
        ));
    }

    #[test]
    fn extension_modules_for_another_cpython_are_named() {
        assert_eq!(
            extension_module_python("/var/task/a/_x.cpython-311-x86_64-linux-gnu.so"),
            Some((3, 11))
        );
        assert_eq!(
            extension_module_python("/opt/python/m.cpython-39-x86_64-linux-gnu.so"),
            Some((3, 9))
        );
        assert_eq!(extension_module_python("/var/task/m.abi3.so"), None);
        assert_eq!(extension_module_python("/var/task/libfoo.so.1"), None);
        // Any ELF file does: the tag is in the name.
        let elf = std::fs::read("/bin/true").unwrap();
        let zip = zip_of(&[
            ("pkg/_speedups.cpython-311-x86_64-linux-gnu.so", elf.clone()),
            ("pkg/_ok.cpython-313-x86_64-linux-gnu.so", elf.clone()),
            ("pkg/_stable.abi3.so", elf),
        ]);
        let pkg = [Package {
            name: "code",
            mount: "/var/task",
            zip: &zip,
        }];
        let mut image = crate::probe::probe(
            std::path::Path::new("/"),
            ImageId::new("debian-13").unwrap(),
        );
        image.runtimes.insert(
            "python3.13".into(),
            lamina_model::environment::ServedRuntime {
                interpreter: "/usr/bin/python3.13".into(),
                version: "3.13.5".into(),
            },
        );
        let r = scan_packages("f", &pkg, &image, Some("python3.13".parse().unwrap())).unwrap();
        assert_eq!(r.verdict, POTENTIALLY_AFFECTED, "{r:?}");
        assert_eq!(r.missing.len(), 1, "{r:?}");
        assert_eq!(r.missing[0].kind, "python-abi");
        assert_eq!(r.missing[0].name, "cpython-311");
        assert_eq!(
            r.missing[0].message,
            "/var/task/pkg/_speedups.cpython-311-x86_64-linux-gnu.so is an extension module built for CPython 3.11; python3.13 on debian-13 runs Python 3.13.5, which will not import it (rebuild it with `lamina build --env debian-13`)"
        );
        // Without the runtime (a zip scanned alone) nothing is said about it.
        let r = scan_packages("f", &pkg, &image, None).unwrap();
        assert_eq!(r.verdict, COMPATIBLE, "{r:?}");
    }
}
