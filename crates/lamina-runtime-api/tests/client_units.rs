//! Runs the runtime clients' own unit tests (`runtimes/python/test_bootstrap.py` with
//! unittest, `runtimes/nodejs/bootstrap.test.js` with `node --test`) so that
//! `cargo test -p lamina-runtime-api` covers them.

mod common;

use std::process::Command;

#[test]
fn python_client_unit_tests() {
    let dir = common::repo_root().join("runtimes/python");
    let out = Command::new("python3")
        .args([
            "-m",
            "unittest",
            "discover",
            "-s",
            ".",
            "-p",
            "test_*.py",
            "-v",
        ])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Ran 7 tests"), "{text}");
}

#[test]
fn node_client_unit_tests() {
    let dir = common::repo_root().join("runtimes/nodejs");
    let out = Command::new("node")
        .args(["--test", "bootstrap.test.js"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("# pass 5") && text.contains("# fail 0"),
        "{text}"
    );
}
