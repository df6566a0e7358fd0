//! A hostile zip: `inspect` and `extract` must agree on every input, an accepted package
//! must land whole inside its destination, and a refused one must leave nothing behind.

#![no_main]

use std::path::Path;

use lamina_package::{Limits, extract, inspect};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small limits so that bombs are refused quickly instead of timing the run out.
    let limits = Limits {
        max_zipped_bytes: 1 << 20,
        max_unzipped_bytes: 8 << 20,
        max_entries: 4096,
    };
    let inspected = inspect(data, &limits, u64::MAX);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dest = dir.path().join("code");
    let extracted = extract(data, &dest, &limits);
    match (&inspected, &extracted) {
        (Ok(seen), Ok(written)) => {
            assert_eq!(
                seen.files, written.files,
                "inspect and extract list different files"
            );
            assert_eq!(seen.unzipped_size, written.unzipped_size);
            assert_eq!(seen.sha256, written.sha256);
            let root = dest.canonicalize().expect("the destination exists");
            for file in &written.files {
                let path = root.join(&file.path);
                let meta = std::fs::symlink_metadata(&path)
                    .unwrap_or_else(|e| panic!("{} is listed but missing: {e}", file.path));
                assert!(!meta.file_type().is_symlink(), "{} is a link", file.path);
                let real = path.canonicalize().expect("an extracted path resolves");
                assert!(
                    real.starts_with(&root),
                    "{} escaped to {}",
                    file.path,
                    real.display()
                );
                if !file.is_dir {
                    assert_eq!(meta.len(), file.size, "{} has the wrong size", file.path);
                }
            }
        }
        (Err(_), Err(_)) => {
            assert!(
                !dest.exists(),
                "a refused package left its destination behind"
            );
            assert_eq!(
                leftovers(dir.path()),
                0,
                "a refused package left partial files"
            );
        }
        _ => panic!("inspect said {inspected:?} but extract said {extracted:?}"),
    }
});

fn leftovers(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}
