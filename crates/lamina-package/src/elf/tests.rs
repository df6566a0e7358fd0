//! Tests against real ELF files from this machine and programs compiled with `gcc` here.
//! They need `gcc` and a glibc ≥ 2.34 host (Debian 12 has 2.36) and fail without them.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::io::{Cursor, Write};
use std::path::Path;
use std::process::Command;

use super::*;

const LIBC: &str = "/lib/x86_64-linux-gnu/libc.so.6";
const LIBM: &str = "/lib/x86_64-linux-gnu/libm.so.6";
const LD: &str = "/lib64/ld-linux-x86-64.so.2";

/// A manifest of this host's libc, libm and loader, as an image manifest would hold them.
fn host_manifest() -> HashMap<String, BTreeSet<String>> {
    [LIBC, LIBM, LD]
        .iter()
        .map(|p| {
            let p = read_provides(&fs::read(p).unwrap()).unwrap();
            (p.soname, p.versions.into_iter().collect())
        })
        .collect()
}

fn gcc(dir: &Path, args: &[&str]) {
    let out = Command::new("gcc")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("gcc is needed for this test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `app` (needs libm, libc with GLIBC_2.34, and the package's own `libown.so.1`) and `libown.so.1`.
fn build_programs(dir: &Path) {
    fs::write(dir.join("own.c"), "int own_answer(void) { return 42; }\n").unwrap();
    fs::write(
        dir.join("app.c"),
        "#include <math.h>\n#include <stdio.h>\nint own_answer(void);\n\
         int main(int c, char **v) { printf(\"%f %d\\n\", sqrt((double)c), own_answer()); return 0; }\n",
    )
    .unwrap();
    gcc(
        dir,
        &[
            "-shared",
            "-fPIC",
            "-Wl,-soname,libown.so.1",
            "-o",
            "libown.so.1",
            "own.c",
        ],
    );
    gcc(dir, &["-o", "app", "app.c", "-L.", "-l:libown.so.1", "-lm"]);
}

fn zip_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in files {
        w.start_file(
            *name,
            zip::write::SimpleFileOptions::default().unix_permissions(0o755),
        )
        .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn ls_needs_libc_and_the_loader() {
    let r = read_requirements("bin/ls", &fs::read("/usr/bin/ls").unwrap()).unwrap();
    assert_eq!(r.path, "bin/ls");
    assert_eq!(r.machine, "x86_64");
    assert_eq!(
        r.interpreter.as_deref(),
        Some("/lib64/ld-linux-x86-64.so.2")
    );
    assert!(
        r.needed.contains(&"libc.so.6".to_string()),
        "{:?}",
        r.needed
    );
    assert!(
        r.versions
            .contains(&("libc.so.6".into(), "GLIBC_2.2.5".into())),
        "{:?}",
        r.versions
    );
    // A position-independent executable has no soname and provides nothing.
    assert_eq!(r.soname, None);
    assert_eq!(read_provides(&fs::read("/usr/bin/ls").unwrap()), None);
}

#[test]
fn libc_provides_its_glibc_versions() {
    let p = read_provides(&fs::read(LIBC).unwrap()).unwrap();
    assert_eq!(p.soname, "libc.so.6");
    for v in ["GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.34"] {
        assert!(
            p.versions.contains(&v.to_string()),
            "{v} in {:?}",
            p.versions
        );
    }
    // The base definition names the file, not a version.
    assert!(!p.versions.contains(&"libc.so.6".to_string()));
    assert!(!p.versions.contains(&"GLIBC_2.99".to_string()));
}

#[test]
fn non_elf_input_yields_none() {
    assert_eq!(read_requirements("index.py", b"print('hi')\n"), None);
    assert_eq!(read_provides(b"\x7fELF but truncated"), None);
    assert_eq!(read_requirements("x", b""), None);
}

#[test]
fn a_compiled_program_in_a_zip_is_compatible_with_the_host_and_not_with_an_older_libc() {
    let dir = tempfile::tempdir().unwrap();
    build_programs(dir.path());
    let zip = zip_of(&[
        ("index.py", b"import ctypes\n".to_vec()),
        ("bin/app", fs::read(dir.path().join("app")).unwrap()),
        (
            "lib/libown.so.1",
            fs::read(dir.path().join("libown.so.1")).unwrap(),
        ),
        ("README", b"\x7fEL not quite".to_vec()),
    ]);
    let reqs = scan_zip(&zip).unwrap();
    let paths: Vec<_> = reqs.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["bin/app", "lib/libown.so.1"]);
    let app = &reqs[0];
    assert_eq!(app.needed, ["libown.so.1", "libm.so.6", "libc.so.6"]);
    assert!(
        app.versions
            .contains(&("libc.so.6".into(), "GLIBC_2.34".into()))
    );
    assert_eq!(reqs[1].soname.as_deref(), Some("libown.so.1"));

    let own = own_sonames(&reqs);
    assert!(own.contains("libown.so.1"));
    let host = host_manifest();
    assert_eq!(verdict(&reqs, &host, &own), Verdict::Compatible);

    // Without the package's own library, the image lacks it.
    let missing = check(&reqs, &host, &BTreeSet::new());
    assert_eq!(
        missing,
        [Missing {
            file: "bin/app".into(),
            what: MissingKind::Soname("libown.so.1".into()),
        }]
    );

    // An image whose libc predates 2.34 (Amazon Linux 2 ships 2.26) cannot run it.
    let mut older = host.clone();
    let libc = older.get_mut("libc.so.6").unwrap();
    libc.retain(|v| !matches!(v.as_str(), "GLIBC_2.34" | "GLIBC_2.35" | "GLIBC_2.36"));
    let Verdict::PotentiallyAffected(missing) = verdict(&reqs, &older, &own) else {
        panic!("expected missing GLIBC_2.34");
    };
    assert_eq!(
        missing,
        [Missing {
            file: "bin/app".into(),
            what: MissingKind::Version {
                lib: "libc.so.6".into(),
                version: "GLIBC_2.34".into(),
            },
        }]
    );
    assert_eq!(
        missing[0].to_string(),
        "bin/app needs GLIBC_2.34 from libc.so.6, which the image's libc.so.6 lacks"
    );

    // An image without libm at all.
    let mut no_libm = host.clone();
    no_libm.remove("libm.so.6");
    let missing = check(&reqs, &no_libm, &own);
    assert_eq!(
        missing,
        [Missing {
            file: "bin/app".into(),
            what: MissingKind::Soname("libm.so.6".into()),
        }]
    );
}

#[test]
fn a_made_up_version_missing_from_the_map_is_reported_by_file_and_version() {
    let mut req = read_requirements("bin/ls", &fs::read("/usr/bin/ls").unwrap()).unwrap();
    req.versions.push(("libc.so.6".into(), "GLIBC_2.38".into()));
    let missing = check(&[req], &host_manifest(), &BTreeSet::new());
    // `ls` also needs libselinux, which this small manifest does not list.
    let versions: Vec<_> = missing
        .into_iter()
        .filter(|m| matches!(m.what, MissingKind::Version { .. }))
        .collect();
    assert_eq!(
        versions,
        [Missing {
            file: "bin/ls".into(),
            what: MissingKind::Version {
                lib: "libc.so.6".into(),
                version: "GLIBC_2.38".into(),
            },
        }]
    );
}

#[test]
fn the_interpreter_must_exist_in_the_image() {
    let req = read_requirements("bin/ls", &fs::read("/usr/bin/ls").unwrap()).unwrap();
    let mut host = host_manifest();
    host.remove("ld-linux-x86-64.so.2");
    let missing = check(&[req], &host, &BTreeSet::new());
    assert!(missing.contains(&Missing {
        file: "bin/ls".into(),
        what: MissingKind::Interpreter("/lib64/ld-linux-x86-64.so.2".into()),
    }));
}

#[test]
fn a_package_without_elf_files_has_no_native_code() {
    let zip = zip_of(&[("index.js", b"exports.handler = async () => 1;\n".to_vec())]);
    let reqs = scan_zip(&zip).unwrap();
    assert!(reqs.is_empty());
    assert_eq!(
        verdict(&reqs, &host_manifest(), &BTreeSet::new()),
        Verdict::NoNativeCode
    );
}

#[test]
fn scan_refuses_unsafe_packages_like_upload_does() {
    let zip = crate::testzip::build(&[crate::testzip::Entry::file("../x.so", b"\x7fELF")]);
    assert!(matches!(
        scan_zip(&zip),
        Err(crate::PackageError::UnsafeEntry { .. })
    ));
}

#[test]
fn an_elf_entry_that_inflates_past_its_size_or_the_budget_is_stopped() {
    use crate::testzip::{Entry, build};
    let mut content = fs::read("/usr/bin/ls").unwrap();
    content.resize(4 << 20, 0);
    // Declares 100 bytes, inflates to 4 MiB: refused after 101 bytes.
    let zip = build(&[Entry::deflated("bin/liar", &content).declare_size(100)]);
    let limits = crate::Limits {
        max_unzipped_bytes: 1 << 20,
        ..crate::Limits::default()
    };
    let err = scan_zip_with_limits(&zip, &limits).unwrap_err();
    assert!(matches!(err, crate::PackageError::InvalidZip(_)), "{err}");
    // Declaring its true size, it is over the budget before anything is inflated.
    let big = build(&[Entry::deflated("bin/big", &content)]);
    let err = scan_zip_with_limits(&big, &limits).unwrap_err();
    assert!(
        matches!(err, crate::PackageError::UnzippedTooLarge { .. }),
        "{err}"
    );
    // Within the budget it is read and parsed.
    let honest = build(&[Entry::deflated("bin/ls", &content)]);
    let limits = crate::Limits {
        max_unzipped_bytes: 8 << 20,
        ..crate::Limits::default()
    };
    let reqs = scan_zip_with_limits(&honest, &limits).unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "bin/ls");
}
