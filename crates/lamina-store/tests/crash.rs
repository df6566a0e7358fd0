//! Crash consistency: a child process (this test binary, re-run with an environment variable)
//! writes functions as the control layer would (blob, create, publish) and prints each one
//! once every call for it has returned, i.e. once the API could have acknowledged it. The
//! parent SIGKILLs it mid-stream, reopens the store and checks that every acknowledged write
//! is present and intact and that nothing is half-applied. Several rounds reuse one data
//! directory, so each round also opens a database left by a killed writer.

// Helpers outside #[test] functions; a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{code, function, version};
use lamina_model::Function;
use lamina_store::{SqliteStore, Store, blob_key};

const CHILD_DIR: &str = "LAMINA_STORE_CRASH_CHILD_DIR";
const CHILD_ROUND: &str = "LAMINA_STORE_CRASH_CHILD_ROUND";
const ACK: &str = "LAMINA-ACK ";

/// The code zip of write `name`: distinct per write and a few KiB, like a small package.
fn zip_bytes(name: &str) -> Vec<u8> {
    name.bytes().cycle().take(4096 + name.len()).collect()
}

/// What function `name` looks like once fully written (created and version 1 published).
fn expected(name: &str) -> Function {
    let mut f = function(name);
    f.latest.code = code(&zip_bytes(name));
    f.next_version = 2;
    f
}

/// The writer. Ignored in normal runs: it loops until killed and does nothing without the
/// environment the parent test gives it.
#[test]
#[ignore = "child process of acknowledged_writes_survive_sigkill"]
fn crash_child_writer() {
    let (Some(dir), Ok(round)) = (std::env::var_os(CHILD_DIR), std::env::var(CHILD_ROUND)) else {
        return;
    };
    let store = SqliteStore::open(Path::new(&dir)).unwrap();
    for i in 0..1_000_000 {
        let name = format!("fn-{round}-{i:06}");
        let key = store.put_blob(&zip_bytes(&name)).unwrap();
        let done = expected(&name);
        assert_eq!(key, done.latest.code.sha256_hex);
        let mut created = done.clone();
        created.next_version = 1;
        store.create_function(&created).unwrap();
        store.publish_version(&done, &version("1", &name)).unwrap();
        // Flushed explicitly so an ack never waits in a buffer that dies with the process.
        let mut out = std::io::stdout().lock();
        writeln!(out, "{ACK}{name}").unwrap();
        out.flush().unwrap();
    }
}

/// Runs one writer, kills it after `kill_after` acks (plus a little jitter), and returns
/// every name it acknowledged before it died.
fn run_writer(dir: &Path, round: usize, kill_after: usize) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "crash_child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir)
        .env(CHILD_ROUND, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked = Vec::new();
    let mut killed = false;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        // Searched anywhere in the line: the test harness prints `test crash_child_writer
        // ... ` without a newline before the test runs, so the first ack shares its line.
        let Some((_, name)) = line.split_once(ACK) else {
            continue;
        };
        acked.push(name.to_string());
        if !killed && acked.len() >= kill_after {
            // Land the kill at a varying point inside the next write.
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            std::thread::sleep(Duration::from_micros(u64::from(nanos % 3000)));
            child.kill().unwrap(); // SIGKILL
            killed = true;
        }
        // Keep reading after the kill: lines already in the pipe were acknowledged too.
    }
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "writer should die by SIGKILL mid-stream, got {status} after {} acks",
        acked.len()
    );
    acked
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut acked = Vec::new();
    let rounds = [1, 3, 7, 12, 25, 40, 60, 90];
    for (round, kill_after) in rounds.iter().enumerate() {
        let got = run_writer(dir.path(), round, *kill_after);
        assert!(got.len() >= *kill_after, "round {round}: {got:?}");
        // Every ack was seen, in order: none lost to the harness's own output.
        let in_order: Vec<String> = (0..got.len())
            .map(|i| format!("fn-{round}-{i:06}"))
            .collect();
        assert_eq!(got, in_order);
        acked.extend(got);

        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.pragmas().unwrap(), ("wal".to_string(), 2));
        for name in &acked {
            let f = store.get_function(name).unwrap();
            assert_eq!(f.as_ref(), Some(&expected(name)), "acknowledged {name}");
            assert_eq!(
                store.get_version(name, "1").unwrap(),
                Some(version("1", name)),
                "acknowledged {name}"
            );
            let bytes = store.read_blob(&blob_key(&zip_bytes(name))).unwrap();
            assert_eq!(bytes, Some(zip_bytes(name)), "blob of {name}");
        }
        // Whatever else is there (the write in flight at the kill) is whole: its blob is
        // stored, and it is published exactly when its counter says so.
        let all = store.list_functions(None, usize::MAX).unwrap();
        for f in &all {
            let blob = store.read_blob(&f.latest.code.sha256_hex).unwrap();
            assert_eq!(
                blob.map(|b| blob_key(&b)),
                Some(f.latest.code.sha256_hex.clone())
            );
            let published = store.get_version(&f.name, "1").unwrap().is_some();
            assert_eq!(published, f.next_version == 2, "half-published {}", f.name);
        }
        // At most one unacknowledged write per killed writer.
        let unacked: Vec<&str> = all
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| !acked.iter().any(|a| a == n))
            .collect();
        assert!(
            unacked.len() <= round + 1,
            "round {round}: unacknowledged {unacked:?}"
        );
    }
}
