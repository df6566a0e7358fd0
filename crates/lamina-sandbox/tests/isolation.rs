//! End-to-end isolation tests (reliability-reference §8 cases 9, 11, 13, 14): a real sandbox
//! runs a /bin/sh script and the test asserts on what the script saw. Needs root.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic

mod common;

use common::Harness;
use lamina_sandbox::Sandbox;

#[tokio::test]
async fn runtime_sees_its_own_pid_namespace_user_and_no_privileges() {
    let Some(h) = Harness::new() else { return };
    let (spec, logs, _l) = h.spec(
        "privs",
        "echo pid=$$; id -u; id -g; hostname; grep -E '^(NoNewPrivs|CapEff|CapPrm|CapBnd|CapAmb):' /proc/self/status; ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '; echo; env | sort; cat /proc/self/cgroup",
    );
    let uid = spec.uid;
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    let status = sb.wait().await.unwrap();
    let out = logs.take();
    assert_eq!(status.to_string(), "exit status 0", "{out}");
    assert!(out.contains("pid=2\n"), "{out}");
    assert!(out.contains(&format!("\n{uid}\n{uid}\nlamina\n")), "{out}");
    assert!(out.contains("NoNewPrivs:\t1"), "{out}");
    // Its own cgroup namespace: no host cgroup path is visible.
    assert!(out.contains("\n4:memory:/\n"), "{out}");
    assert!(!out.contains("lamina-test"), "{out}");
    // Exactly the spec's environment (PWD is set by the shell itself).
    assert!(
        out.contains("\nLAMBDA_TASK_ROOT=/var/task\nPATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin\nPWD=/var/task\n"),
        "{out}"
    );
    for cap in ["CapEff", "CapPrm", "CapBnd", "CapAmb"] {
        assert!(
            out.contains(&format!("{cap}:\t0000000000000000")),
            "{cap}: {out}"
        );
    }
    sb.destroy().unwrap();
}

#[tokio::test]
async fn filesystem_view_is_the_image_only_and_read_only_outside_tmp() {
    let Some(h) = Harness::new() else { return };
    let (mut spec, logs, _l) = h.spec(
        "fs",
        r#"
        ls -a / | tr '\n' ' '; echo
        for p in /root /work /etc/shadow /etc/ssh /etc/ssl/private /home /sys /run; do
          if [ -e "$p" ]; then echo "VISIBLE $p"; fi
        done
        cat /etc/shadow 2>/dev/null && echo "READ shadow"
        for d in /var/task /opt /etc /usr /bin / /var/runtime /dev; do
          if touch "$d/probe" 2>/dev/null; then echo "WROTE $d"; fi
        done
        echo data > /tmp/probe && echo "tmp ok $(cat /tmp/probe)"
        echo "task: $(cat /var/task/handler.sh)"
        echo "whoami: $(whoami)"
        echo x > /dev/null && echo "devnull ok"
        echo "urandom $(head -c 16 /dev/urandom | wc -c)"
        echo "dev: $(ls /dev | tr '\n' ' ')"
        mknod /tmp/n c 1 3 2>/dev/null && echo MKNOD
        echo "mounts:"; cat /proc/self/mounts
        "#,
    );
    spec.task_dir = h.dir("fs-task", &[("handler.sh", "echo handler", 0o755)]);
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    let status = sb.wait().await.unwrap();
    let out = logs.take();
    assert_eq!(status.to_string(), "exit status 0", "{out}");
    let root_line = out.lines().next().unwrap();
    let mut entries: Vec<&str> = root_line.split_whitespace().collect();
    entries.sort();
    assert_eq!(
        entries,
        [
            ".", "..", "bin", "dev", "etc", "lib", "lib64", "opt", "proc", "sbin", "tmp", "usr",
            "var"
        ],
        "{out}"
    );
    assert!(!out.contains("VISIBLE"), "{out}");
    assert!(!out.contains("READ shadow"), "{out}");
    assert!(!out.contains("WROTE"), "{out}");
    assert!(out.contains("tmp ok data"), "{out}");
    assert!(out.contains("task: echo handler"), "{out}");
    assert!(out.contains("whoami: sbx_user1051"), "{out}");
    assert!(out.contains("devnull ok\nurandom 16\n"), "{out}");
    assert!(
        out.contains("dev: fd full null random shm stderr stdin stdout tty urandom zero \n"),
        "{out}"
    );
    assert!(!out.contains("MKNOD"), "{out}");
    // No host path leaks through the mount table either.
    assert!(!out.contains("/work"), "{out}");
    assert!(!out.contains(h.base.path().to_str().unwrap()), "{out}");
}

#[tokio::test]
async fn tmp_is_capped_at_its_size() {
    let Some(h) = Harness::new() else { return };
    let (mut spec, logs, _l) = h.spec(
        "tmpcap",
        "dd if=/dev/zero of=/tmp/big bs=1M count=40 2>&1; ls -l /tmp/big",
    );
    spec.tmp_size_mb = 8;
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    sb.wait().await.unwrap();
    let out = logs.take();
    assert!(out.contains("No space left on device"), "{out}");
    // ext4's own blocks come out of the image, which is sized so that about the requested
    // space is free: the file stops within a few hundred KiB of 8 MiB.
    let size: u64 = out
        .split_whitespace()
        .find_map(|w| w.parse().ok().filter(|n| *n > 1_000_000))
        .unwrap_or(0);
    assert!(
        (8 * 1024 * 1024 - 256 * 1024..=8 * 1024 * 1024 + 512 * 1024).contains(&size),
        "the file stops at about 8 MiB: {out}"
    );
}

#[tokio::test]
async fn tmp_survives_a_kill_and_restart_but_processes_do_not() {
    let Some(h) = Harness::new() else { return };
    let (spec, logs, _l) = h.spec(
        "tmpkeep",
        "if [ -f /tmp/mark ]; then echo second run sees $(cat /tmp/mark); exit 0; fi; echo first > /tmp/mark; echo first run; sleep 1000",
    );
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    sb.kill_all().unwrap();
    assert_eq!(sb.wait().await.unwrap().to_string(), "signal: killed");
    sb.restart().await.unwrap();
    assert_eq!(sb.wait().await.unwrap().to_string(), "exit status 0");
    let out = logs.take();
    assert!(out.contains("first run\nsecond run sees first"), "{out}");
}

#[tokio::test]
async fn later_layer_wins_in_opt() {
    let Some(h) = Harness::new() else { return };
    let l1 = h.dir(
        "layer1",
        &[
            ("lib/shared.txt", "from layer 1", 0o644),
            ("lib/one.txt", "only in 1", 0o644),
        ],
    );
    let l2 = h.dir(
        "layer2",
        &[
            ("lib/shared.txt", "from layer 2", 0o644),
            ("lib/two.txt", "only in 2", 0o644),
        ],
    );
    let (mut spec, logs, _l) = h.spec(
        "layers",
        "cat /opt/lib/shared.txt; echo; cat /opt/lib/one.txt; echo; cat /opt/lib/two.txt; echo; touch /opt/x 2>/dev/null && echo WROTE",
    );
    spec.layer_dirs = vec![l1, l2];
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    sb.wait().await.unwrap();
    let out = logs.take();
    assert_eq!(out, "from layer 2\nonly in 1\nonly in 2\n");
}

#[tokio::test]
async fn runtime_dir_is_mounted_read_only() {
    let Some(h) = Harness::new() else { return };
    let rt = h.dir(
        "runtime",
        &[("bootstrap", "#!/bin/sh\necho runtime bootstrap $1\n", 0o755)],
    );
    let (mut spec, logs, _l) = h.spec("rtdir", "");
    spec.runtime_dir = Some(rt);
    spec.argv = vec!["/var/runtime/bootstrap".into(), "arg1".into()];
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    assert_eq!(sb.wait().await.unwrap().to_string(), "exit status 0");
    assert_eq!(logs.take(), "runtime bootstrap arg1\n");
}

#[tokio::test]
async fn only_the_standard_fds_reach_the_runtime() {
    let Some(h) = Harness::new() else { return };
    // `ls` lists its own fds: the inherited ones plus the directory it is reading.
    let (spec, logs, _l) = h.spec("fds", "exec ls -l /proc/self/fd/");
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    sb.wait().await.unwrap();
    let out = logs.take();
    let fds: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| l.split_once(" -> "))
        .map(|(left, target)| {
            let fd = left.rsplit(' ').next().unwrap().to_string();
            (fd, target.to_string())
        })
        .collect();
    let numbers: Vec<&str> = fds.iter().map(|(fd, _)| fd.as_str()).collect();
    assert_eq!(numbers, ["0", "1", "2", "3"], "{out}");
    assert_eq!(fds[0].1, "/dev/null", "{out}");
    assert!(
        fds[1].1.starts_with("pipe:") && fds[2].1.starts_with("pipe:"),
        "{out}"
    );
    assert!(
        fds[3].1.starts_with("/proc/") && fds[3].1.ends_with("/fd"),
        "{out}"
    );
}

#[tokio::test]
async fn prepared_init_made_before_tmp_still_gets_the_capped_tmp() {
    // Regression: a prepared init's mount namespace is copied before the sandbox's /tmp tmpfs
    // is mounted on the host; binding it by path gave the sandbox the uncapped directory
    // underneath instead.
    let Some(h) = Harness::new() else { return };
    let prepared = lamina_sandbox::PreparedInit::new("prep-tmp-pool-0", &h.cfg).unwrap();
    let (mut spec, logs, _l) = h.spec(
        "preptmp",
        "echo kept > /tmp/mark; dd if=/dev/zero of=/tmp/big bs=1M count=40 2>&1 | grep -c 'No space'",
    );
    spec.tmp_size_mb = 4;
    let id = spec.id.clone();
    let mut sb = Sandbox::start_prepared(prepared, spec, &h.cfg).unwrap();
    sb.wait().await.unwrap();
    assert_eq!(logs.take(), "1\n");
    let host_tmp = h.cfg.run_dir.join("sandboxes").join(&id).join("tmp");
    assert_eq!(
        std::fs::read_to_string(host_tmp.join("mark")).unwrap(),
        "kept\n"
    );
}

#[tokio::test]
async fn an_unused_prepared_init_leaves_nothing_behind() {
    let Some(h) = Harness::new() else { return };
    let prepared = lamina_sandbox::PreparedInit::new("prep-unused-0", &h.cfg).unwrap();
    for parent in h.cfg.cgroups.parents() {
        assert!(parent.join("prep-unused-0").exists());
    }
    drop(prepared);
    for parent in h.cfg.cgroups.parents() {
        assert!(!parent.join("prep-unused-0").exists());
    }
}

#[tokio::test]
async fn seccomp_denies_the_kernel_surface_a_function_must_not_reach() {
    // Reliability reference §8 case 11, from inside: each call fails with EPERM, while threads,
    // fork and subprocesses (clone, vfork; clone3 falls back) keep working.
    let Some(h) = Harness::new() else { return };
    let probe = r#"
import ctypes, os, subprocess, threading
libc = ctypes.CDLL(None, use_errno=True)
def errno_of(nr, *args):
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_ulong(a) for a in args])
    return 0 if r >= 0 else ctypes.get_errno()
results = {
    "unshare_newuser": errno_of(272, 0x10000000),
    "keyctl": errno_of(250, 0, 0, 0, 0),
    "userfaultfd": errno_of(323, 0),
    "io_uring_setup": errno_of(425, 1, 0),
    "bpf": errno_of(321, 0, 0, 0),
    "perf_event_open": errno_of(298, 0, 0, 0, 0, 0),
    "mount": errno_of(165, 0, 0, 0, 0, 0),
    "ptrace": errno_of(101, 0, 0, 0, 0),
    "setns": errno_of(308, 0, 0),
    "kexec_load": errno_of(246, 0, 0, 0, 0),
    "tiocsti": errno_of(16, 0, 0x5412, 0),
    "tiocsti_high_bits": errno_of(16, 0, 0x100005412, 0),
    "setuid0": errno_of(105, 0),
}
print(" ".join(f"{k}={v}" for k, v in sorted(results.items())))
t = threading.Thread(target=lambda: None); t.start(); t.join()
pid = os.fork()
if pid == 0:
    os._exit(7)
print("thread ok, fork exit", os.waitpid(pid, 0)[1] >> 8, "subprocess", subprocess.run(["/bin/true"]).returncode)
"#;
    let (mut spec, logs, _l) = h.spec("seccomp", "");
    spec.argv = vec!["/usr/bin/python3".into(), "-c".into(), probe.into()];
    let mut sb = Sandbox::start(spec, &h.cfg).unwrap();
    let status = sb.wait().await.unwrap();
    let out = logs.take();
    assert_eq!(status.to_string(), "exit status 0", "{out}");
    let first = out.lines().next().unwrap();
    for pair in first.split(' ') {
        assert!(pair.ends_with("=1"), "{pair} should be EPERM (1): {out}");
    }
    assert_eq!(first.split(' ').count(), 13, "{out}");
    assert!(out.contains("thread ok, fork exit 7 subprocess 0"), "{out}");
}
