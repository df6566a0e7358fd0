//! Shared set-up for the end-to-end tests: a run directory, the `host` image, task and layer
//! directories, log pipes and specs. These tests need root (mounts, cgroups, namespaces); as
//! any other user each test prints SKIPPED and returns.

#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use lamina_sandbox::{CgroupLayout, ImageRoot, NetNamespace, Network, SandboxConfig, SandboxSpec};

pub struct Harness {
    pub cfg: SandboxConfig,
    pub image: ImageRoot,
    pub base: tempfile::TempDir,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

pub struct Logs {
    read: OwnedFd,
    seen: std::sync::Mutex<String>,
}

impl Logs {
    /// Whether the output so far contains `needle` (the bytes read are kept for `take`).
    pub fn peek_contains(&self, needle: &str) -> bool {
        let more = self.read_now();
        let mut seen = self.seen.lock().unwrap();
        seen.push_str(&more);
        seen.contains(needle)
    }

    /// Everything written so far (the pipe is non-blocking; call after `wait`).
    pub fn take(&self) -> String {
        let more = self.read_now();
        let mut seen = self.seen.lock().unwrap();
        seen.push_str(&more);
        std::mem::take(&mut *seen)
    }

    fn read_now(&self) -> String {
        let mut f = fs::File::from(self.read.try_clone().unwrap());
        let mut out = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("read logs: {e}"),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

impl Harness {
    pub fn new() -> Option<Harness> {
        if !is_root() {
            eprintln!("SKIPPED: needs root");
            return None;
        }
        let base = tempfile::tempdir().unwrap();
        fs::set_permissions(base.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let run = base.path().join("run");
        fs::create_dir_all(&run).unwrap();
        let image = ImageRoot::host(&run.join("images/host"), "lamina").unwrap();
        let cfg = SandboxConfig {
            init_exe: env!("CARGO_BIN_EXE_lamina-sandbox-init").into(),
            run_dir: run,
            // Each harness its own cgroup parent, so reap_orphans in one test cannot touch
            // another test's sandboxes.
            cgroups: CgroupLayout::detect(&format!(
                "lamina-test-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::SeqCst)
            ))
            .unwrap(),
            hostname: "lamina".into(),
        };
        Some(Harness { cfg, image, base })
    }

    /// A directory (mode 0755) with the given files: (relative path, contents, mode).
    pub fn dir(&self, name: &str, files: &[(&str, &str, u32)]) -> PathBuf {
        let d = self.base.path().join(name);
        fs::create_dir_all(&d).unwrap();
        fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
        for (rel, contents, mode) in files {
            let p = d.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, contents).unwrap();
            fs::set_permissions(&p, fs::Permissions::from_mode(*mode)).unwrap();
        }
        d
    }

    /// A spec that runs `script` with /bin/sh in an isolated network namespace.
    pub fn spec(&self, name: &str, script: &str) -> (SandboxSpec, Logs, std::net::TcpListener) {
        let (ns, listener) = NetNamespace::create(9001).unwrap();
        let (spec, logs) = self.spec_with_network(name, script, Network::Isolated(ns));
        (spec, logs, listener)
    }

    pub fn spec_with_network(
        &self,
        name: &str,
        script: &str,
        network: Network,
    ) -> (SandboxSpec, Logs) {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let id = format!("{name}-{}-{n}", std::process::id());
        let task = self.dir(&format!("task-{id}"), &[]);
        let (read, write) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)
                .unwrap();
        let stderr = write.try_clone().unwrap();
        let spec = SandboxSpec {
            id,
            image: self.image.clone(),
            task_dir: task,
            layer_dirs: vec![],
            runtime_dir: None,
            tmp_size_mb: 16,
            memory_mb: 128,
            pids_max: 64,
            nofile: 1024,
            argv: vec!["/bin/sh".into(), "-c".into(), script.into()],
            extensions: vec![],
            extension_env: vec![],
            env: vec![
                (
                    "PATH".into(),
                    "/usr/local/bin:/usr/bin/:/bin:/opt/bin".into(),
                ),
                ("LAMBDA_TASK_ROOT".into(), "/var/task".into()),
            ],
            cwd: "/var/task".into(),
            uid: 20000 + n,
            gid: 20000 + n,
            network,
            stdout: write,
            stderr,
        };
        (
            spec,
            Logs {
                read,
                seen: Default::default(),
            },
        )
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // Sandboxes are gone by now (each test destroys or drops its own); the parents are
        // empty directories.
        for parent in self.cfg.cgroups.parents() {
            let _ = fs::remove_dir(parent);
        }
    }
}

pub fn path_exists(p: &Path) -> bool {
    fs::symlink_metadata(p).is_ok()
}
