//! Tests of [`crate::inspect`] and [`crate::extract`] against hostile archives, one per hazard
//! of the zip threat model, asserting the exact Lambda error a client would see and that
//! nothing is left on disk.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use lamina_model::{ErrorKind, LambdaError};

use crate::testzip::{self, Entry, build};
use crate::{Limits, PackageError, extract, inspect};

const BIG: u64 = u64::MAX;

fn lambda(e: PackageError) -> LambdaError {
    e.into()
}

/// Inspect with default limits and assert the 400 naming `entry` and `reason`.
fn assert_unsafe(zip: &[u8], entry: &str, reason: &str) {
    let err = lambda(inspect(zip, &Limits::default(), BIG).unwrap_err());
    assert_eq!(err.kind, ErrorKind::InvalidParameterValue, "{err}");
    assert_eq!(err.kind.status(), 400);
    assert_eq!(
        err.message,
        format!("The deployment package contains an unsafe entry {entry:?}: {reason}")
    );
    assert_extract_leaves_nothing(zip);
}

/// `extract` fails and leaves neither the destination nor a temp dir behind.
fn assert_extract_leaves_nothing(zip: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("code");
    assert!(extract(zip, &dest, &Limits::default()).is_err());
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn zip_slip_names_are_refused() {
    for name in ["../../evil", "a/../../evil", "../evil"] {
        let zip = build(&[Entry::file("ok.txt", b"x"), Entry::file(name, b"boom")]);
        assert_unsafe(&zip, name, "the path escapes the package root");
    }
    let zip = build(&[Entry::file("..\\evil", b"boom")]);
    assert_unsafe(&zip, "..\\evil", "the name contains a backslash");
}

#[test]
fn absolute_names_nul_and_bad_utf8_are_refused() {
    let zip = build(&[Entry::file("/etc/passwd", b"root")]);
    assert_unsafe(&zip, "/etc/passwd", "the name is an absolute path");
    let zip = build(&[Entry::file("C:/x", b"x")]);
    assert_unsafe(&zip, "C:/x", "the name is an absolute path");
    let zip = build(&[Entry::file("C:\\x", b"x")]);
    assert_unsafe(&zip, "C:\\x", "the name contains a backslash");
    let zip = build(&[Entry::file(b"a\0b", b"x")]);
    assert_unsafe(&zip, "a\0b", "the name contains a NUL byte");
    let zip = build(&[Entry::file(b"a\xffb", b"x")]);
    assert_unsafe(&zip, "a\u{fffd}b", "the name is not valid UTF-8");
}

#[test]
fn symlink_entries_are_refused_and_nothing_is_written_through_them() {
    let zip = build(&[
        Entry::file("lib", b"/etc").mode(0o120_777),
        Entry::file("lib/passwd", b"owned"),
    ]);
    assert_unsafe(&zip, "lib", "symbolic links are not allowed");
    let zip = build(&[Entry::file("up", b"../../..").mode(0o120_777)]);
    assert_unsafe(&zip, "up", "symbolic links are not allowed");
}

#[test]
fn special_file_types_are_refused() {
    for (mode, what) in [
        (0o010_644, "fifo"),
        (0o020_644, "character device"),
        (0o060_644, "block device"),
        (0o140_755, "socket"),
        (0o170_644, "file of unknown type"),
    ] {
        let zip = build(&[Entry::file("dev", b"").mode(mode)]);
        assert_unsafe(
            &zip,
            "dev",
            &format!("the entry is a {what}, only regular files and directories are allowed"),
        );
    }
}

#[test]
fn setuid_and_setgid_entries_are_refused() {
    for (name, mode) in [
        ("bin/suid", 0o104_755),
        ("bin/sgid", 0o102_755),
        ("bin/both", 0o106_644),
    ] {
        let zip = build(&[Entry::file(name, b"#!/bin/sh\n").mode(mode)]);
        assert_unsafe(
            &zip,
            name,
            "the entry has a set-user-ID or set-group-ID bit",
        );
    }
}

#[test]
fn sticky_and_world_writable_bits_are_stripped() {
    let zip = build(&[
        Entry::dir("bin/").mode(0o041_777),
        Entry::file("bin/open", b"x").mode(0o100_777),
        Entry::file("bin/plain", b"x").mode(0o100_666),
        Entry::file("bin/none", b"x").mode(0o100_000),
    ]);
    let summary = inspect(&zip, &Limits::default(), BIG).unwrap();
    let modes: Vec<_> = summary
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.mode))
        .collect();
    assert_eq!(
        modes,
        [
            ("bin", 0o755),
            ("bin/open", 0o755),
            ("bin/plain", 0o644),
            ("bin/none", 0o644),
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("code");
    extract(&zip, &dest, &Limits::default()).unwrap();
    for (path, mode) in modes {
        let meta = fs::symlink_metadata(dest.join(path)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, mode, "{path}");
    }
    assert_eq!(
        fs::metadata(&dest).unwrap().permissions().mode() & 0o7777,
        0o755
    );
}

#[test]
fn duplicate_names_are_refused_even_when_spelt_differently() {
    let zip = build(&[Entry::file("a.txt", b"1"), Entry::file("a.txt", b"2")]);
    assert_unsafe(&zip, "a.txt", "another entry has the same path");
    let zip = build(&[
        Entry::file("d/a.txt", b"1"),
        Entry::file("./d//a.txt", b"2"),
    ]);
    assert_unsafe(&zip, "./d//a.txt", "another entry has the same path");
    let zip = build(&[Entry::file("d", b"1"), Entry::file("d/a.txt", b"2")]);
    assert_unsafe(
        &zip,
        "d/a.txt",
        "the path conflicts with a file or directory of another entry",
    );
}

#[test]
fn overlapping_entries_are_refused() {
    // Entry "b"'s local header and data sit inside entry "a"'s data: a non-recursive bomb
    // reuses compressed bytes this way.
    let inner = Entry::file("b", b"shared bytes");
    let inner_local = inner.local();
    let outer = Entry::file("a", &inner_local);
    let mut zip = outer.local();
    let inner_offset = 30 + 1;
    let cd_start = zip.len();
    zip.extend(outer.central(0));
    zip.extend(inner.central(inner_offset));
    let cd_size = zip.len() - cd_start;
    zip.extend(testzip::eocd(2, cd_size as u32, cd_start as u32));
    assert_unsafe(&zip, "b", "the entry overlaps another entry in the archive");

    // Two central records sharing one local header (different names in the central record
    // would be a header mismatch, so the same name is a duplicate): both refused.
    let e = Entry::file("same", b"data");
    let mut zip = e.local();
    let cd_start = zip.len();
    zip.extend(e.central(0));
    zip.extend(e.central(0));
    let cd_size = zip.len() - cd_start;
    zip.extend(testzip::eocd(2, cd_size as u32, cd_start as u32));
    assert!(inspect(&zip, &Limits::default(), BIG).is_err());
}

#[test]
fn local_header_that_disagrees_with_central_record_is_refused() {
    let e = Entry::file("innocent.txt", b"x");
    let mut local_e = e.clone();
    local_e.name = b"evil.txt\0\0\0\0".to_vec();
    let mut zip = local_e.local();
    let cd_start = zip.len();
    zip.extend(e.central(0));
    let cd_size = zip.len() - cd_start;
    zip.extend(testzip::eocd(1, cd_size as u32, cd_start as u32));
    assert_unsafe(
        &zip,
        "innocent.txt",
        "the local header does not match the central directory",
    );
}

fn small(max_unzipped: u64) -> Limits {
    Limits {
        max_zipped_bytes: 1 << 30,
        max_unzipped_bytes: max_unzipped,
        max_entries: 1000,
    }
}

fn assert_unzipped_too_large(zip: &[u8], limits: &Limits, budget: u64) {
    let err = lambda(inspect(zip, limits, budget).unwrap_err());
    assert_eq!(err.kind, ErrorKind::InvalidParameterValue);
    assert_eq!(
        err.message,
        format!(
            "Unzipped size must be smaller than {} bytes",
            limits.max_unzipped_bytes
        )
    );
}

#[test]
fn high_ratio_bomb_is_stopped_by_the_real_budget() {
    let zeros = vec![0u8; 20 << 20];
    let zip = build(&[Entry::deflated("zeros", &zeros)]);
    assert!(zip.len() < 100_000, "ratio over 200:1");
    assert_unzipped_too_large(&zip, &small(10 << 20), BIG);
}

#[test]
fn lying_header_that_streams_more_than_the_budget_is_stopped() {
    // Declares 10 bytes, inflates to 20 MiB: the declared total passes, the stream does not.
    let zeros = vec![0u8; 20 << 20];
    let zip = build(&[Entry::deflated("liar", &zeros).declare_size(10)]);
    assert_unzipped_too_large(&zip, &small(10 << 20), BIG);
    assert_extract_leaves_nothing(&zip);
}

#[test]
fn lying_header_within_the_budget_is_corrupt() {
    let zip = build(&[Entry::deflated("liar", b"more than ten bytes here").declare_size(10)]);
    let err = lambda(inspect(&zip, &Limits::default(), BIG).unwrap_err());
    assert_eq!(err.kind, ErrorKind::InvalidZipFile);
    assert_eq!(err.kind.status(), 502);
    assert_eq!(
        err.message,
        "Could not unzip uploaded file. Please check your file, then try to upload again."
    );
}

#[test]
fn unzipped_size_at_the_edge_of_the_budget() {
    let limits = small(1000);
    let zip = build(&[
        Entry::file("a", &[7u8; 600]),
        Entry::deflated("b", &[9u8; 399]),
    ]);
    // 999 bytes: accepted at a budget of 999 and of 1000; refused at 998.
    assert_eq!(inspect(&zip, &limits, 999).unwrap().unzipped_size, 999);
    assert_eq!(inspect(&zip, &limits, 1000).unwrap().unzipped_size, 999);
    assert_unzipped_too_large(&zip, &limits, 998);
    // The declared-size fast path and the streamed path agree: a liar declaring 0 bytes
    // for "b" is still counted by what it streams.
    let liar = build(&[
        Entry::file("a", &[7u8; 600]),
        Entry::deflated("b", &[9u8; 399]).declare_size(0),
    ]);
    assert_unzipped_too_large(&liar, &limits, 998);
}

#[test]
fn zipped_size_at_the_edge_of_the_limit() {
    let zip = build(&[Entry::file("a", &[1u8; 100])]);
    let at = |max| Limits {
        max_zipped_bytes: max,
        ..Limits::default()
    };
    let n = zip.len() as u64;
    assert!(inspect(&zip, &at(n), BIG).is_ok());
    assert!(inspect(&zip, &at(n + 1), BIG).is_ok());
    let err = lambda(inspect(&zip, &at(n - 1), BIG).unwrap_err());
    assert_eq!(err.kind, ErrorKind::RequestEntityTooLarge);
    assert_eq!(err.kind.status(), 413);
    assert_eq!(
        err.message,
        format!("Zipped size must be smaller than {} bytes", n - 1)
    );
}

#[test]
fn default_limits_quote_lambdas_numbers() {
    let too_big = PackageError::ZippedTooLarge {
        size: 52_428_801,
        limit: 52_428_800,
    };
    assert_eq!(
        lambda(too_big).message,
        "Zipped size must be smaller than 52428800 bytes"
    );
    let err = lambda(PackageError::UnzippedTooLarge {
        budget: 1,
        limit: 262_144_000,
    });
    assert_eq!(
        err.message,
        "Unzipped size must be smaller than 262144000 bytes"
    );
}

#[test]
fn too_many_entries_are_refused_before_reading_them() {
    let entries: Vec<_> = (0..11).map(|i| Entry::file(format!("f{i}"), b"")).collect();
    let zip = build(&entries);
    let limits = Limits {
        max_entries: 10,
        ..Limits::default()
    };
    let err = lambda(inspect(&zip, &limits, BIG).unwrap_err());
    assert_eq!(err.kind, ErrorKind::InvalidParameterValue);
    assert_eq!(
        err.message,
        "The deployment package has too many files: 11 entries, the limit is 10"
    );
    assert!(inspect(&build(&entries[..10]), &limits, BIG).is_ok());
}

#[test]
fn corrupt_and_non_zip_input_is_an_invalid_zip_file() {
    let good = build(&[Entry::deflated(
        "index.py",
        b"def handler(e, c):\n    return 1\n",
    )]);
    let mut bad_crc = build(&[Entry::file("a", b"hello")]);
    bad_crc[30 + 1] ^= 0xff; // flip the first content byte
    let truncated = &good[..good.len() - 10];
    for input in [&b""[..], b"hello world", truncated, &bad_crc] {
        let err = lambda(inspect(input, &Limits::default(), BIG).unwrap_err());
        assert_eq!(err.kind, ErrorKind::InvalidZipFile, "{input:?}");
        assert_eq!(err.message, crate::INVALID_ZIP_MESSAGE);
    }
    assert_extract_leaves_nothing(&bad_crc);
}

#[test]
fn a_directory_entry_with_content_is_refused() {
    let zip = build(&[Entry::file("d/", b"payload")]);
    assert_unsafe(&zip, "d/", "a directory entry has content");
}

#[test]
fn extract_writes_the_tree_and_reports_lambdas_digest() {
    let zip = build(&[
        Entry::deflated("index.py", b"print('hi')\n"),
        Entry::file("bin/tool", b"#!/bin/sh\n").mode(0o100_755),
        Entry::dir("empty/"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("code");
    let summary = extract(&zip, &dest, &Limits::default()).unwrap();
    assert_eq!(fs::read(dest.join("index.py")).unwrap(), b"print('hi')\n");
    assert_eq!(fs::read(dest.join("bin/tool")).unwrap(), b"#!/bin/sh\n");
    assert!(dest.join("empty").is_dir());
    assert_eq!(summary.unzipped_size, 12 + 10);
    assert_eq!(summary.zipped_size, zip.len() as u64);
    // Lambda's CodeSha256 is base64 of SHA-256 of the zip; check against `sha256sum`.
    let file = dir.path().join("pkg.zip");
    fs::write(&file, &zip).unwrap();
    let out = std::process::Command::new("sha256sum")
        .arg(&file)
        .output()
        .unwrap();
    let hex = String::from_utf8(out.stdout).unwrap();
    let expected: String = summary.sha256.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(&hex[..64], expected);
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&summary.code_sha256)
        .unwrap();
    assert_eq!(decoded, summary.sha256);
    assert_eq!(inspect(&zip, &Limits::default(), BIG).unwrap(), summary);
}

#[test]
fn extract_into_an_existing_destination_does_not_rewrite_it() {
    let zip = build(&[Entry::file("a.txt", b"new")]);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("code");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("marker"), b"old").unwrap();
    extract(&zip, &dest, &Limits::default()).unwrap();
    assert!(!dest.join("a.txt").exists());
    assert_eq!(fs::read(dest.join("marker")).unwrap(), b"old");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_failure_after_some_files_were_written_leaves_nothing() {
    // The first file is written in full before the second one breaks the budget.
    let zip = build(&[
        Entry::file("first.txt", &[1u8; 4000]),
        Entry::deflated("second.bin", &vec![0u8; 1 << 20]).declare_size(1),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("code");
    let err = extract(&zip, &dest, &small(100_000)).unwrap_err();
    assert!(
        matches!(err, PackageError::UnzippedTooLarge { .. }),
        "{err}"
    );
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn partial_dirs_left_by_a_crash_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join(".code.partial-0123/sub")).unwrap();
    fs::create_dir(dir.path().join("kept")).unwrap();
    assert_eq!(crate::remove_partials(dir.path()).unwrap(), 1);
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["kept"]);
}

#[test]
fn random_byte_flips_of_a_valid_zip_never_panic_or_escape() {
    use rand::{Rng, SeedableRng};
    let zip = build(&[
        Entry::deflated(
            "index.py",
            &b"def handler(event, context):\n    return event\n".repeat(20),
        ),
        Entry::dir("lib/"),
        Entry::file("lib/data.bin", &[42u8; 300]).mode(0o100_755),
    ]);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x1a2b);
    let dir = tempfile::tempdir().unwrap();
    for round in 0..3000 {
        let mut z = zip.clone();
        for _ in 0..rng.random_range(1..4) {
            let i = rng.random_range(0..z.len());
            z[i] = rng.random();
        }
        let _ = inspect(&z, &Limits::default(), BIG);
        if round % 10 == 0 {
            let dest = dir.path().join(format!("out{round}"));
            if extract(&z, &dest, &Limits::default()).is_ok() {
                assert_only_inside(&dest);
            }
        }
    }
    // Nothing but finished destinations: no temp dirs, nothing beside them.
    for e in fs::read_dir(dir.path()).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(name.starts_with("out"), "{name}");
    }
}

/// Every path under `root` is a regular file or directory with a normalised mode.
fn assert_only_inside(root: &Path) {
    for e in fs::read_dir(root).unwrap() {
        let e = e.unwrap();
        let meta = fs::symlink_metadata(e.path()).unwrap();
        let mode = meta.permissions().mode() & 0o7777;
        assert!(mode == 0o644 || mode == 0o755, "{:?} {mode:o}", e.path());
        if meta.is_dir() {
            assert_only_inside(&e.path());
        } else {
            assert!(meta.is_file());
        }
    }
}
