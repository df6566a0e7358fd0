//! Packages made by the tools users really zip with (Info-ZIP `zip`, Python's `zipfile`, the
//! `zip` crate's streaming writer with data descriptors) must be accepted and extracted
//! byte for byte. These tests need `zip` and `python3` on the PATH and fail without them.

use std::fs;
use std::io::{Cursor, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::{Limits, extract, inspect};

/// A source tree with a nested dir, an executable and a binary file.
fn source_tree(root: &std::path::Path) {
    fs::create_dir_all(root.join("pkg/sub")).unwrap();
    fs::write(root.join("index.py"), b"def handler(e, c):\n    return e\n").unwrap();
    fs::write(
        root.join("pkg/sub/data.bin"),
        (0..=255u8).cycle().take(70_000).collect::<Vec<_>>(),
    )
    .unwrap();
    fs::write(root.join("bootstrap"), b"#!/bin/sh\nexec true\n").unwrap();
    fs::set_permissions(root.join("bootstrap"), fs::Permissions::from_mode(0o750)).unwrap();
}

fn assert_round_trip(zip: &[u8], src: &std::path::Path) {
    let summary = inspect(zip, &Limits::default(), u64::MAX).unwrap();
    let expected: u64 = ["index.py", "pkg/sub/data.bin", "bootstrap"]
        .iter()
        .map(|f| fs::metadata(src.join(f)).unwrap().len())
        .sum();
    assert_eq!(summary.unzipped_size, expected);
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("code");
    extract(zip, &dest, &Limits::default()).unwrap();
    for f in ["index.py", "pkg/sub/data.bin", "bootstrap"] {
        assert_eq!(
            fs::read(dest.join(f)).unwrap(),
            fs::read(src.join(f)).unwrap(),
            "{f}"
        );
    }
    let mode = fs::metadata(dest.join("bootstrap"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755);
    let mode = fs::metadata(dest.join("index.py"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o644);
}

#[test]
fn info_zip_archives_are_accepted() {
    let src = tempfile::tempdir().unwrap();
    source_tree(src.path());
    let status = Command::new("zip")
        .args(["-q", "-r", "pkg.zip", "index.py", "pkg", "bootstrap"])
        .current_dir(src.path())
        .status()
        .expect("the `zip` tool is needed for this test");
    assert!(status.success());
    assert_round_trip(&fs::read(src.path().join("pkg.zip")).unwrap(), src.path());
}

#[test]
fn python_zipfile_archives_are_accepted() {
    let src = tempfile::tempdir().unwrap();
    source_tree(src.path());
    let script = "import zipfile,os\n\
        z=zipfile.ZipFile('pkg.zip','w',zipfile.ZIP_DEFLATED)\n\
        [z.write(p) for p in ['index.py','pkg/','pkg/sub/','pkg/sub/data.bin','bootstrap']]\n\
        z.close()\n";
    let status = Command::new("python3")
        .args(["-c", script])
        .current_dir(src.path())
        .status()
        .expect("python3 is needed for this test");
    assert!(status.success());
    assert_round_trip(&fs::read(src.path().join("pkg.zip")).unwrap(), src.path());
}

#[test]
fn streamed_archives_with_data_descriptors_are_accepted() {
    let src = tempfile::tempdir().unwrap();
    source_tree(src.path());
    let mut w = zip::ZipWriter::new_stream(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, mode) in [
        ("index.py", 0o644),
        ("pkg/sub/data.bin", 0o644),
        ("bootstrap", 0o755),
    ] {
        w.start_file(name, opts.unix_permissions(mode)).unwrap();
        w.write_all(&fs::read(src.path().join(name)).unwrap())
            .unwrap();
    }
    let zip = w.finish().unwrap().into_inner().into_inner();
    assert_round_trip(&zip, src.path());
}
