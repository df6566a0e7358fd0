//! A process killed with SIGKILL in the middle of [`crate::extract`] leaves no destination,
//! only a partial temp dir that [`crate::remove_partials`] clears, and a retry succeeds.
//! The test re-runs this test binary as the child that gets killed.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::testzip::{Entry, build};
use crate::{Limits, extract, remove_partials};

const CHILD_ENV: &str = "LAMINA_PACKAGE_CRASH_CHILD_DIR";

/// Many small files, so that extraction lasts long enough to be interrupted.
fn many_files() -> Vec<u8> {
    let entries: Vec<_> = (0..10_000)
        .map(|i| Entry::file(format!("d{}/f{i}.txt", i % 100), &[b'x'; 512]))
        .collect();
    build(&entries)
}

/// The child: extract into `$CHILD_ENV/code` (only when run by the parent test).
#[test]
#[ignore = "run by sigkill_during_extraction_leaves_no_destination as a child process"]
fn crash_child_extracts() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let zip = many_files();
    fs::write(Path::new(&dir).join("ready"), b"").unwrap();
    extract(&zip, &Path::new(&dir).join("code"), &Limits::default()).unwrap();
}

fn partial_file_count(dir: &Path) -> usize {
    let Ok(rd) = fs::read_dir(dir) else { return 0 };
    rd.flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".partial-"))
        .map(|e| {
            fs::read_dir(e.path())
                .map(|d| {
                    d.flatten()
                        .map(|sub| fs::read_dir(sub.path()).map_or(0, |x| x.count()))
                        .sum()
                })
                .unwrap_or(0)
        })
        .sum()
}

#[test]
fn sigkill_during_extraction_leaves_no_destination() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "crash_tests::crash_child_extracts",
            "--exact",
            "--ignored",
            "--quiet",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Kill it once some files, but not all, are on disk.
    while partial_file_count(dir.path()) < 50 {
        assert!(Instant::now() < deadline, "child never started writing");
        assert!(
            child.try_wait().unwrap().is_none(),
            "child finished before it was killed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let dest = dir.path().join("code");
    assert!(!dest.exists(), "a partial package became visible");
    assert!(partial_file_count(dir.path()) >= 50);
    assert_eq!(remove_partials(dir.path()).unwrap(), 1);

    let summary = extract(&many_files(), &dest, &Limits::default()).unwrap();
    assert_eq!(summary.files.len(), 10_000);
    assert_eq!(fs::read(dest.join("d7/f107.txt")).unwrap(), [b'x'; 512]);
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}"); // `code` and the child's `ready` marker
}
