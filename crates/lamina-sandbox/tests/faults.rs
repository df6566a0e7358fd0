//! End-to-end faults inside functions (reliability-reference §8 cases 17–19, 23): exit
//! statuses worded as Lambda words them, OOM kills, fork bombs, daemons that outlive their
//! parent, a missing entrypoint. Needs root.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use std::time::{Duration, Instant};

use common::Harness;
use lamina_sandbox::{Sandbox, SandboxError};

/// Host pids whose cgroup path names this sandbox.
fn pids_in_sandbox(id: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(cg) = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            && cg.lines().any(|l| l.ends_with(&format!("/{id}")))
        {
            pids.push(pid);
        }
    }
    pids
}

async fn run(h: &Harness, name: &str, script: &str) -> (String, String) {
    let (spec, logs, _l) = h.spec(name, script);
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    let status = sb.wait().await.unwrap();
    (status.to_string(), logs.take())
}

#[tokio::test]
async fn exit_statuses_read_as_lambda_prints_them() {
    let Some(h) = Harness::new() else { return };
    assert_eq!(run(&h, "exit0", "exit 0").await.0, "exit status 0");
    assert_eq!(run(&h, "exit3", "exit 3").await.0, "exit status 3");
    assert_eq!(
        run(&h, "segv", "kill -SEGV $$").await.0,
        "signal: segmentation fault"
    );
    assert_eq!(
        run(&h, "term", "kill -TERM $$").await.0,
        "signal: terminated"
    );
}

#[tokio::test]
async fn missing_entrypoint_is_an_exec_error() {
    let Some(h) = Harness::new() else { return };
    let (mut spec, _logs, _l) = h.spec("noentry", "");
    spec.argv = vec!["/var/task/bootstrap".into()];
    let id = spec.id.clone();
    let err = Sandbox::start(spec, &h.cfg).unwrap_err();
    match &err {
        SandboxError::Exec { path, message, .. } => {
            assert_eq!(path, "/var/task/bootstrap");
            assert!(message.contains("No such file or directory"), "{err}");
        }
        other => panic!("expected an exec error, got {other}"),
    }
    // A failed start leaves nothing behind.
    assert!(!h.cfg.run_dir.join("sandboxes").join(&id).exists());
    assert!(pids_in_sandbox(&id).is_empty());
}

#[tokio::test]
async fn oom_is_reported_as_signal_killed() {
    let Some(h) = Harness::new() else { return };
    let (mut spec, logs, _l) = h.spec("oom", "");
    spec.memory_mb = 48;
    spec.argv = vec![
        "/usr/bin/python3".into(),
        "-c".into(),
        "b = []\nwhile True: b.append(bytearray(1 << 20))".into(),
    ];
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    let status = sb.wait().await.unwrap();
    assert_eq!(status.to_string(), "signal: killed", "{}", logs.take());
    assert!(sb.oom_killed());
    let peak = sb.max_memory_used_bytes().unwrap();
    assert!(peak > 40 << 20 && peak <= 48 << 20, "peak {peak}");
}

#[tokio::test]
async fn no_oom_and_a_resettable_peak_in_a_normal_run() {
    let Some(h) = Harness::new() else { return };
    let (spec, _logs, _l) = h.spec(
        "peak",
        "head -c 12000000 /dev/zero > /tmp/f; rm /tmp/f; exit 0",
    );
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    sb.wait().await.unwrap();
    assert!(!sb.oom_killed());
    let peak = sb.max_memory_used_bytes().unwrap();
    assert!(peak >= 12_000_000, "the /tmp file was charged: {peak}");
    assert!(sb.reset_peak().unwrap());
    assert!(sb.max_memory_used_bytes().unwrap() < peak);
}

#[tokio::test]
async fn pids_max_stops_a_fork_loop() {
    let Some(h) = Harness::new() else { return };
    let (mut spec, logs, _l) = h.spec(
        "forks",
        "i=0; while [ $i -lt 200 ]; do sleep 60 & i=$((i+1)); echo $i > /tmp/n; done; echo never",
    );
    spec.pids_max = 32;
    let id = spec.id.clone();
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    let status = sb.wait().await.unwrap();
    let out = logs.take();
    assert!(out.contains("Cannot fork"), "{out}");
    assert!(!out.contains("never"), "{out}");
    assert_eq!(status.to_string(), "exit status 2", "{out}");
    let n: u32 = std::fs::read_to_string(h.cfg.run_dir.join("sandboxes").join(&id).join("tmp/n"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // 32 tasks: the init, the shell and at most 30 sleeps.
    assert!(n <= 30, "{n} forks succeeded");
    assert!(
        pids_in_sandbox(&id).is_empty(),
        "the shell's exit killed the sleeps"
    );
}

#[tokio::test]
async fn kill_all_stops_a_fork_bomb() {
    let Some(h) = Harness::new() else { return };
    let (mut spec, _logs, _l) = h.spec("bomb", "bomb() { bomb | bomb & }; bomb; sleep 1000");
    spec.pids_max = 64;
    let id = spec.id.clone();
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    sb.kill_all().unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), sb.wait())
        .await
        .expect("the bomb died within 10 s")
        .unwrap();
    assert!(
        status.to_string() == "signal: killed" || status.to_string().starts_with("exit status"),
        "{status}"
    );
    assert!(pids_in_sandbox(&id).is_empty());
    sb.destroy().unwrap();
    // The host still starts sandboxes.
    assert_eq!(run(&h, "after-bomb", "exit 7").await.0, "exit status 7");
}

#[tokio::test]
async fn kill_all_kills_a_double_forked_daemon() {
    let Some(h) = Harness::new() else { return };
    let (spec, _logs, _l) = h.spec(
        "daemon",
        "(setsid sh -c 'while true; do sleep 1; done' > /dev/null 2>&1 &); sleep 1000",
    );
    let id = spec.id.clone();
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    // init, sh, the daemon's sh and their sleeps.
    let deadline = Instant::now() + Duration::from_secs(5);
    while pids_in_sandbox(&id).len() < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(pids_in_sandbox(&id).len() >= 4);
    sb.kill_all().unwrap();
    assert_eq!(sb.wait().await.unwrap().to_string(), "signal: killed");
    assert!(pids_in_sandbox(&id).is_empty());
}

#[tokio::test]
async fn runtime_exit_ends_its_daemons_too() {
    let Some(h) = Harness::new() else { return };
    let (spec, _logs, _l) = h.spec("orphans", "(setsid sleep 1000 &); sleep 0.2; exit 4");
    let id = spec.id.clone();
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    assert_eq!(sb.wait().await.unwrap().to_string(), "exit status 4");
    assert!(pids_in_sandbox(&id).is_empty());
}

#[tokio::test]
async fn destroy_removes_cgroups_tmp_and_run_dir() {
    let Some(h) = Harness::new() else { return };
    let (spec, _logs, _l) = h.spec("destroy", "echo x > /tmp/y; sleep 1000");
    let id = spec.id.clone();
    let sb = Sandbox::start(spec, &h.cfg).unwrap();
    let dir = h.cfg.run_dir.join("sandboxes").join(&id);
    assert!(dir.join("tmp").exists());
    sb.destroy().unwrap();
    assert!(!dir.exists());
    for parent in h.cfg.cgroups.parents() {
        assert!(!parent.join(&id).exists(), "{}", parent.display());
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(&id));
}
