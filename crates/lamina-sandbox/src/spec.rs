//! What the engine asks for: one sandbox's [`SandboxSpec`], and the process-wide
//! [`SandboxConfig`] (where the init binary, run directory and cgroups are).

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use crate::cgroup::CgroupLayout;
use crate::error::SandboxError;
use crate::image::ImageRoot;
use crate::mount_plan::check_mount_path;
use crate::netns::Network;

/// One execution environment to start.
#[derive(Debug)]
pub struct SandboxSpec {
    /// Unique among live sandboxes: `[A-Za-z0-9_-]`, 1–64 characters. Names the cgroup and the
    /// run directory.
    pub id: String,
    /// What `/` is made of.
    pub image: ImageRoot,
    /// Mounted read-only at `/var/task`.
    pub task_dir: PathBuf,
    /// Mounted read-only at `/opt`, merged in order: a later layer's file wins. Empty → an
    /// empty `/opt`.
    pub layer_dirs: Vec<PathBuf>,
    /// Mounted read-only at `/var/runtime` when given.
    pub runtime_dir: Option<PathBuf>,
    /// Size of `/tmp` (Lambda's EphemeralStorage), in MiB: a disk-backed ext4 image, so it does
    /// not count towards `memory_mb`. `/tmp` lives as long as the [`crate::Sandbox`], across
    /// runtime restarts.
    pub tmp_size_mb: u64,
    /// Memory limit (no swap), in MiB.
    pub memory_mb: u64,
    /// Maximum number of tasks (processes and threads).
    pub pids_max: u64,
    /// RLIMIT_NOFILE, soft and hard (Lambda: 1024).
    pub nofile: u64,
    /// The program and its arguments; `argv[0]` is a path inside the sandbox or a name looked
    /// up in the `PATH` of `env`.
    pub argv: Vec<String>,
    /// Exactly the runtime's environment; nothing is inherited.
    pub env: Vec<(String, String)>,
    /// External extensions (absolute paths inside the sandbox, e.g.
    /// `/opt/extensions/<name>`), started in order before the runtime, with the same
    /// privileges. When there are any, the runtime waits until [`crate::Sandbox::release_runtime`]
    /// (Lambda starts the runtime once the extensions have registered).
    pub extensions: Vec<String>,
    /// The extensions' environment (Lambda hides a few of the runtime's variables from them).
    pub extension_env: Vec<(String, String)>,
    /// The runtime's working directory (Lambda: `/var/task`).
    pub cwd: String,
    /// The unprivileged uid the runtime runs as (never 0).
    pub uid: u32,
    /// The unprivileged gid the runtime runs as (never 0).
    pub gid: u32,
    /// Network isolation.
    pub network: Network,
    /// The runtime's stdout (the engine reads logs from it).
    pub stdout: OwnedFd,
    /// The runtime's stderr.
    pub stderr: OwnedFd,
}

/// Process-wide settings, made once at start-up.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The executable started as each sandbox's init; it must call [`crate::init_main`] when
    /// its first argument is [`crate::INIT_ARG`] (the `lamina` binary itself, normally).
    pub init_exe: PathBuf,
    /// Where per-sandbox directories live (`<run_dir>/sandboxes/<id>`); root-only. A tmpfs
    /// such as `/run/lamina` is ideal.
    pub run_dir: PathBuf,
    /// Where sandbox cgroups are created.
    pub cgroups: CgroupLayout,
    /// The hostname every sandbox sees.
    pub hostname: String,
}

impl SandboxConfig {
    /// A configuration with the cgroup layout detected for this machine (parent `lamina`
    /// under this process's own cgroup) and the hostname `lamina`.
    pub fn new(
        init_exe: impl Into<PathBuf>,
        run_dir: impl Into<PathBuf>,
    ) -> Result<Self, SandboxError> {
        Ok(SandboxConfig {
            init_exe: init_exe.into(),
            run_dir: run_dir.into(),
            cgroups: CgroupLayout::detect("lamina")?,
            hostname: "lamina".into(),
        })
    }

    /// `<run_dir>/sandboxes`.
    pub(crate) fn sandboxes_dir(&self) -> PathBuf {
        self.run_dir.join("sandboxes")
    }

    /// `<run_dir>/skeleton`: empty mount points for directory images.
    pub(crate) fn skeleton_dir(&self) -> PathBuf {
        self.run_dir.join("skeleton")
    }
}

/// Checks a sandbox (or prepared init) id: it names directories and cgroups.
pub(crate) fn check_id(id: &str) -> Result<(), SandboxError> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(SandboxError::InvalidSpec(format!(
            "id {id:?} must be 1-64 of [A-Za-z0-9_-]"
        )));
    }
    Ok(())
}

/// Checks a spec before anything is created.
pub(crate) fn validate(spec: &SandboxSpec) -> Result<(), SandboxError> {
    let bad = |m: String| Err(SandboxError::InvalidSpec(m));
    check_id(&spec.id)?;
    if spec.uid == 0 || spec.gid == 0 {
        return bad(format!(
            "sandbox {} must run as a non-root uid and gid (got {}:{})",
            spec.id, spec.uid, spec.gid
        ));
    }
    if spec.argv.is_empty() || spec.argv[0].is_empty() {
        return bad(format!("sandbox {} has an empty argv", spec.id));
    }
    if spec.argv.iter().any(|a| a.contains('\0')) {
        return bad(format!("sandbox {} argv contains a NUL byte", spec.id));
    }
    for (k, v) in &spec.env {
        if k.is_empty() || k.contains(['=', '\0']) || v.contains('\0') {
            return bad(format!(
                "sandbox {} has an invalid environment variable {k:?}",
                spec.id
            ));
        }
    }
    if !spec.cwd.starts_with('/') {
        return bad(format!(
            "sandbox {} cwd {} is not absolute",
            spec.id, spec.cwd
        ));
    }
    if spec.memory_mb == 0 || spec.pids_max == 0 || spec.nofile == 0 || spec.tmp_size_mb == 0 {
        return bad(format!(
            "sandbox {} needs non-zero memory, pids, nofile and /tmp size",
            spec.id
        ));
    }
    check_mount_path("task dir", &spec.task_dir)?;
    for layer in &spec.layer_dirs {
        check_mount_path("layer dir", layer)?;
    }
    if let Some(r) = &spec.runtime_dir {
        check_mount_path("runtime dir", r)?;
    }
    match &spec.image {
        ImageRoot::Host { etc_dir } => check_mount_path("image etc dir", etc_dir)?,
        ImageRoot::Directory { root } => check_mount_path("image root", root)?,
    }
    for dir in std::iter::once(&spec.task_dir)
        .chain(&spec.layer_dirs)
        .chain(spec.runtime_dir.as_ref())
    {
        if !Path::new(dir).is_dir() {
            return bad(format!(
                "sandbox {}: {} is not a directory",
                spec.id,
                dir.display()
            ));
        }
    }
    Ok(())
}

/// The pipe a runtime's stdout and stderr share: the read end for the engine's log capture,
/// and one write end for each of [`SandboxSpec::stdout`] and [`SandboxSpec::stderr`]. All
/// close-on-exec on the host side (the sandbox's init hands the write ends to the runtime).
#[derive(Debug)]
pub struct LogPipe {
    /// Where the runtime's output is read.
    pub read: OwnedFd,
    /// The runtime's stdout.
    pub stdout: OwnedFd,
    /// The runtime's stderr (the same pipe).
    pub stderr: OwnedFd,
}

impl LogPipe {
    /// A new pipe.
    pub fn new() -> Result<Self, SandboxError> {
        let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| SandboxError::sys("pipe2", std::io::Error::from(e)))?;
        let stderr = write.try_clone().map_err(|e| SandboxError::sys("dup", e))?;
        Ok(Self {
            read,
            stdout: write,
            stderr,
        })
    }
}
