//! End-to-end lifecycle: signals forwarded by the init, crash recovery with `reap_orphans`,
//! and a directory image (what debootstrap will produce) used as `/`. Needs root.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::Harness;
use lamina_sandbox::{ImageRoot, Sandbox, reap_orphans};

#[tokio::test]
async fn signals_to_the_sandbox_reach_the_runtime() {
    let Some(h) = Harness::new() else { return };
    let (spec, logs, _l) = h.spec(
        "sigterm",
        "trap 'echo got TERM; exit 5' TERM; echo ready; while true; do sleep 0.05; done",
    );
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !logs.peek_contains("ready") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    sb.signal(nix::libc::SIGTERM).unwrap();
    assert_eq!(sb.wait().await.unwrap().to_string(), "exit status 5");
    assert!(logs.take().contains("got TERM"));
}

#[tokio::test]
async fn reap_orphans_cleans_up_after_a_crashed_engine() {
    let Some(h) = Harness::new() else { return };
    let (spec, _logs, _l) = h.spec("orphan", "echo x > /tmp/x; sleep 1000");
    let id = spec.id.clone();
    let sb = Sandbox::start(spec, &h.cfg).unwrap();
    let init_pid = sb.pid();
    // The engine "crashes": nothing tears the sandbox down.
    std::mem::forget(sb);
    let dir = h.cfg.run_dir.join("sandboxes").join(&id);
    assert!(dir.exists());

    let found = reap_orphans(&h.cfg).unwrap();
    assert!(found >= 1);
    assert!(!dir.exists());
    for parent in h.cfg.cgroups.parents() {
        assert!(!parent.join(&id).exists());
    }
    assert!(
        !std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap()
            .contains(&id)
    );
    // The init was killed; as our child it is now a zombie at most.
    let state = std::fs::read_to_string(format!("/proc/{init_pid}/stat")).unwrap_or_default();
    assert!(state.is_empty() || state.contains(") Z "), "{state}");
}

/// A minimal root file system: dash and the two libraries it links, an os-release, and the
/// usrmerge symlinks, as a debootstrapped image has them.
fn tiny_image(h: &Harness) -> std::path::PathBuf {
    let root = h.base.path().join("tiny-image");
    let copy = |from: &str, to: &str| {
        let dst = root.join(to);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(from, &dst).unwrap();
    };
    copy("/usr/bin/dash", "usr/bin/dash");
    copy(
        "/lib/x86_64-linux-gnu/libc.so.6",
        "usr/lib/x86_64-linux-gnu/libc.so.6",
    );
    copy(
        "/lib64/ld-linux-x86-64.so.2",
        "usr/lib64/ld-linux-x86-64.so.2",
    );
    std::os::unix::fs::symlink("usr/bin", root.join("bin")).unwrap();
    std::os::unix::fs::symlink("usr/lib", root.join("lib")).unwrap();
    std::os::unix::fs::symlink("usr/lib64", root.join("lib64")).unwrap();
    std::os::unix::fs::symlink("dash", root.join("usr/bin/sh")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=tiny\n").unwrap();
    std::fs::write(root.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
    for dir in ["", "usr", "usr/bin", "etc"] {
        std::fs::set_permissions(root.join(dir), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    root
}

#[tokio::test]
async fn a_directory_image_is_the_whole_root() {
    let Some(h) = Harness::new() else { return };
    let image = tiny_image(&h);
    let (mut spec, logs, _l) = h.spec(
        "dirimage",
        "read line < /etc/os-release; echo $line; \
         [ -e /usr/bin/python3 ] && echo HOST USR VISIBLE; \
         [ -e /var/task ] && [ -e /tmp ] && [ -e /proc/self ] && echo mounts ok; \
         while read l; do case $l in sbx_user1051*) echo user ok;; esac; done < /etc/passwd; \
         while read l; do case $l in *sandbox.localdomain*) echo hosts ok;; esac; done < /etc/hosts; \
         echo hi > /tmp/x && echo tmp ok; \
         (echo x > /etc/x) 2>/dev/null && echo WROTE ETC; \
         echo done",
    );
    spec.image = ImageRoot::directory(&image);
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    assert_eq!(sb.wait().await.unwrap().to_string(), "exit status 0");
    assert_eq!(
        logs.take(),
        "ID=tiny\nmounts ok\nuser ok\nhosts ok\ntmp ok\ndone\n"
    );
    // The image itself was not written.
    assert!(!image.join("etc/x").exists());
}

#[tokio::test]
async fn extensions_start_first_and_the_runtime_waits_for_its_release() {
    let Some(h) = Harness::new() else { return };
    let layer = h.dir(
        "ext-layer",
        &[(
            "extensions/one",
            "#!/bin/sh\necho ext one up\nsleep 0.3\necho ext one bye\n",
            0o755,
        )],
    );
    let (mut spec, logs, _l) = h.spec("extensions", "echo runtime up");
    spec.layer_dirs = vec![layer];
    spec.extensions = vec!["/opt/extensions/one".into()];
    spec.extension_env = spec.env.clone();
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    // The extension runs to its end while the runtime is held back.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !sb.extensions_exited() {
        assert!(Instant::now() < deadline, "the extension never exited");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(logs.take(), "ext one up\next one bye\n");
    sb.release_runtime().unwrap();
    assert_eq!(sb.wait().await.unwrap().to_string(), "exit status 0");
    assert_eq!(logs.take(), "runtime up\n");
}

#[tokio::test]
async fn a_pooled_init_does_not_hold_other_sandboxes_tmp() {
    // A prepared init's mount namespace is a copy of the host's, including every live
    // sandbox's /tmp tmpfs; kept, it would pin that memory after the sandbox is destroyed.
    let Some(h) = Harness::new() else { return };
    let (spec, _logs, _l) = h.spec("holder", "sleep 1000");
    let id = spec.id.clone();
    let sb = Sandbox::start(spec, &h.cfg).unwrap();
    let tmp = h.cfg.run_dir.join("sandboxes").join(&id).join("tmp");
    let ours = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(ours.contains(tmp.to_str().unwrap()));

    let prepared = lamina_sandbox::PreparedInit::new("pool-holder-0", &h.cfg).unwrap();
    let theirs = format!("/proc/{}/mountinfo", prepared.pid());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = std::fs::read_to_string(&theirs).unwrap();
        if !info.contains(tmp.to_str().unwrap()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the pooled init still holds {}",
            tmp.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(sb);
    drop(prepared);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_starts_keep_their_logs_environment_and_tmp_apart() {
    // Reliability reference §8 case 10: sandboxes started at the same time from several
    // threads see only their own environment, /tmp and processes.
    let Some(h) = Harness::new() else { return };
    let h = std::sync::Arc::new(h);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            let (mut spec, logs, _l) = h.spec(
                "conc",
                "echo $MARK > /tmp/mark; sleep 0.2; echo \"$MARK $(cat /tmp/mark) $(ls /tmp | wc -l) $(ls /proc | grep -c '^[0-9]')\"",
            );
            spec.env.push(("MARK".into(), format!("m{i}")));
            let cfg = h.cfg.clone();
            let mut sb = tokio::task::spawn_blocking(move || Sandbox::start(spec, &cfg))
                .await
                .unwrap()
                .unwrap();
            let status = sb.wait().await.unwrap();
            (i, status.to_string(), logs.take())
        }));
    }
    for t in tasks {
        let (i, status, out) = t.await.unwrap();
        assert_eq!(status, "exit status 0", "{out}");
        // Its own mark, one file in its /tmp, and only its own processes (init, sh, and the
        // subshell running ls/grep).
        let fields: Vec<&str> = out.split_whitespace().collect();
        assert_eq!(
            &fields[..3],
            [format!("m{i}"), format!("m{i}"), "1".to_string()],
            "{out}"
        );
        assert!(fields[3].parse::<u32>().unwrap() <= 5, "{out}");
    }
}
