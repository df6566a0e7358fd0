//! [`Sandbox`]: one execution environment's lifetime on the host side — creating its run
//! directory, `/tmp` and cgroups, starting (and restarting) its init, watching it exit, reading
//! its memory figures, killing it, and tearing everything down.
//!
//! Lifetime of the pieces: the cgroup, `/tmp` and the network namespace live as long as the
//! `Sandbox`; the process tree (init + runtime + anything they start) lives from
//! [`Sandbox::start`] or [`Sandbox::restart`] until the runtime exits or is killed. So a
//! timeout kill followed by `restart` keeps `/tmp`, as Lambda does.

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::libc;
use nix::mount::MsFlags;

use crate::cgroup::{Cgroup, Limits};
use crate::error::SandboxError;
use crate::exit_status::ExitStatus;
use crate::image::{self, ImageRoot};
use crate::init::InitSpec;
use crate::kernel::{Kernel, RealKernel};
use crate::mount_plan::{self, PlanInput};
use crate::netns::Network;
use crate::prepared::PreparedInit;
use crate::spawn::{self, StatusReader};
use crate::spec::{self, SandboxConfig, SandboxSpec};

/// How long the init may take to build the sandbox and exec the runtime.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The running init of one start.
struct Running {
    pid: i32,
    pidfd: OwnedFd,
    status: StatusReader,
}

/// One live execution environment.
pub struct Sandbox {
    id: String,
    dir: PathBuf,
    tmp_dir: PathBuf,
    init_exe: PathBuf,
    sandboxes_dir: PathBuf,
    init_spec: Vec<u8>,
    cgroup: Cgroup,
    network: Network,
    stdout: OwnedFd,
    stderr: OwnedFd,
    running: Option<Running>,
    exit: Option<ExitStatus>,
    oom_baseline: u64,
    torn_down: bool,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("id", &self.id)
            .field("pid", &self.running.as_ref().map(|r| r.pid))
            .field("exit", &self.exit)
            .finish()
    }
}

/// A borrowed raw pidfd, for registering with tokio without giving up ownership.
struct PidFdRef(RawFd);

impl AsRawFd for PidFdRef {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

impl Sandbox {
    /// Builds the sandbox and starts its runtime; returns once `argv` has been exec'd inside
    /// (or with [`SandboxError::Exec`] if it could not be). Blocking; call it from
    /// `spawn_blocking` in async code. Needs root. This clones the init on the spot (about
    /// 10 ms more on cgroup v1); [`Sandbox::start_prepared`] with a pooled [`PreparedInit`]
    /// does not.
    pub fn start(spec: SandboxSpec, cfg: &SandboxConfig) -> Result<Sandbox, SandboxError> {
        spec::validate(&spec)?;
        let prepared = PreparedInit::new(&spec.id, cfg)?;
        Sandbox::start_prepared(prepared, spec, cfg)
    }

    /// Like [`Sandbox::start`], with an init cloned ahead of time. The sandbox keeps the
    /// prepared init's cgroups (named after its id, which may differ from `spec.id`).
    pub fn start_prepared(
        prepared: PreparedInit,
        spec: SandboxSpec,
        cfg: &SandboxConfig,
    ) -> Result<Sandbox, SandboxError> {
        spec::validate(&spec)?;
        let k = RealKernel;
        let dir = cfg.sandboxes_dir().join(&spec.id);
        if k.exists(&dir) {
            return Err(SandboxError::InvalidSpec(format!(
                "sandbox id {} is already in use ({} exists)",
                spec.id,
                dir.display()
            )));
        }
        let (cgroup, pending) = prepared.into_parts()?;
        let root = dir.join("root");
        let tmp_dir = dir.join("tmp");
        // From here on, dropping `sb` (on any error) undoes what was made; until `launch`
        // takes it over, the waiting init is killed by `pending`'s owner below.
        let mut sb = Sandbox {
            id: spec.id.clone(),
            dir: dir.clone(),
            tmp_dir: tmp_dir.clone(),
            init_exe: cfg.init_exe.clone(),
            sandboxes_dir: cfg.sandboxes_dir(),
            init_spec: Vec::new(),
            cgroup,
            network: spec.network,
            stdout: spec.stdout,
            stderr: spec.stderr,
            running: Some(Running {
                pid: pending.child.pid,
                pidfd: pending.child.pidfd,
                status: pending.status,
            }),
            exit: None,
            oom_baseline: 0,
            torn_down: false,
        };
        let spec_tx = pending.spec_tx;

        let mkdir = |p: &Path| k.mkdir_all(p).map_err(|e| SandboxError::io("mkdir", p, e));
        mkdir(&root)?;
        mkdir(&tmp_dir)?;
        let passwd = dir.join("passwd");
        let group = dir.join("group");
        k.write_file(&passwd, image::passwd_file(spec.uid, spec.gid).as_bytes())
            .map_err(|e| SandboxError::io("write", &passwd, e))?;
        k.write_file(&group, image::group_file(spec.gid).as_bytes())
            .map_err(|e| SandboxError::io("write", &group, e))?;
        // /tmp is mounted in the host's namespace so it outlives the sandbox's processes.
        k.mount(
            Some(Path::new("tmpfs")),
            &tmp_dir,
            Some("tmpfs"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
            Some(&format!("mode=1777,size={}m", spec.tmp_size_mb)),
        )
        .map_err(|e| SandboxError::io("mount tmpfs", &tmp_dir, e))?;
        if matches!(spec.image, ImageRoot::Directory { .. }) {
            ensure_skeleton(&k, &cfg.skeleton_dir())?;
        }
        sb.cgroup.set_limits(
            &k,
            Limits {
                memory_mb: spec.memory_mb,
                pids_max: spec.pids_max,
            },
        )?;

        let skeleton = cfg.skeleton_dir();
        let mounts = mount_plan::plan(
            &k,
            &PlanInput {
                root: &root,
                image: &spec.image,
                passwd: &passwd,
                group: &group,
                task_dir: &spec.task_dir,
                layer_dirs: &spec.layer_dirs,
                runtime_dir: spec.runtime_dir.as_deref(),
                skeleton: &skeleton,
            },
        )?;
        let init_spec = InitSpec {
            id: spec.id.clone(),
            root,
            mounts,
            hostname: cfg.hostname.clone(),
            join_netns: matches!(sb.network, Network::Isolated(_)),
            argv: spec.argv,
            env: spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            cwd: spec.cwd,
            uid: spec.uid,
            gid: spec.gid,
            nofile: spec.nofile,
        };
        sb.init_spec = serde_json::to_vec(&init_spec)
            .map_err(|e| SandboxError::InvalidSpec(format!("serialise init spec: {e}")))?;
        sb.launch(spec_tx)?;
        Ok(sb)
    }

    /// Sends the spec to the waiting init in `self.running` and waits until it reports the
    /// runtime exec'd (or failed).
    fn launch(&mut self, mut spec_tx: spawn::SpecSender) -> Result<(), SandboxError> {
        let k = RealKernel;
        self.exit = None;
        self.oom_baseline = self.cgroup.oom_kills(&k);
        // A fresh detached copy of the host-side /tmp mount for each launch: the init attaches
        // it inside its own mount namespace.
        let tmp_tree = match crate::kernel::open_tree_clone(&self.tmp_dir) {
            Ok(fd) => fd,
            Err(e) => {
                self.kill_and_reap();
                return Err(SandboxError::io("open_tree", &self.tmp_dir, e));
            }
        };
        let mut fds = vec![self.stdout.as_fd(), self.stderr.as_fd(), tmp_tree.as_fd()];
        if let Network::Isolated(ns) = &self.network {
            fds.push(ns.as_fd());
        }
        if let Err(e) = spec_tx.send(&self.init_spec, &fds) {
            self.kill_and_reap();
            return Err(e);
        }
        drop(spec_tx);
        drop(tmp_tree);

        let line = match self.running.as_mut() {
            Some(r) => r.status.next_line(START_TIMEOUT)?,
            None => None,
        };
        match line.as_deref() {
            Some("started") => Ok(()),
            Some(l) if l.starts_with("exec ") => {
                let text = &l["exec ".len()..];
                let (path, message) = text.split_once(": ").unwrap_or((text, ""));
                let err = SandboxError::Exec {
                    id: self.id.clone(),
                    path: path.to_string(),
                    message: message.to_string(),
                };
                self.kill_and_reap();
                Err(err)
            }
            Some(l) => {
                let err = SandboxError::Setup {
                    id: self.id.clone(),
                    message: l.strip_prefix("error ").unwrap_or(l).to_string(),
                };
                self.kill_and_reap();
                Err(err)
            }
            None => {
                self.kill_and_reap();
                Err(SandboxError::InitDied {
                    id: self.id.clone(),
                    status: self
                        .exit
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "no status".into()),
                })
            }
        }
    }

    /// The sandbox id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The host pid of the sandbox's init (pid 1 inside); 0 when nothing is running.
    pub fn pid(&self) -> u32 {
        self.running.as_ref().map(|r| r.pid as u32).unwrap_or(0)
    }

    /// Kills every process of the sandbox (SIGKILL): the init, which makes the kernel kill the
    /// whole PID namespace, and every process in the cgroup as a second net. Returns at once;
    /// use [`Sandbox::wait`] to see the end.
    pub fn kill_all(&self) -> Result<(), SandboxError> {
        if let (Some(r), None) = (&self.running, &self.exit)
            && let Err(e) = spawn::pidfd_kill(&r.pidfd, libc::SIGKILL)
            // ESRCH: already exited (not yet reaped), which is fine.
            && e.raw_os_error() != Some(libc::ESRCH)
        {
            return Err(SandboxError::sys("pidfd_send_signal", e));
        }
        self.cgroup.kill(&RealKernel)
    }

    /// Sends `signal` to the init, which forwards it to the runtime (SIGTERM for a graceful
    /// shutdown, as Lambda does before killing).
    pub fn signal(&self, signal: i32) -> Result<(), SandboxError> {
        if let (Some(r), None) = (&self.running, &self.exit) {
            spawn::pidfd_kill(&r.pidfd, signal)
                .map_err(|e| SandboxError::sys("pidfd_send_signal", e))?;
        }
        Ok(())
    }

    /// Peak memory use of the sandbox's cgroup in bytes (v1 `memory.max_usage_in_bytes`, v2
    /// `memory.peak`), since start or the last [`Sandbox::reset_peak`]. Includes `/tmp` pages.
    pub fn max_memory_used_bytes(&self) -> Result<u64, SandboxError> {
        self.cgroup.peak(&RealKernel)
    }

    /// Resets the peak so the next [`Sandbox::max_memory_used_bytes`] covers only what
    /// follows (call before each invoke). Returns false where the kernel offers no reset
    /// (cgroup v2 here).
    pub fn reset_peak(&self) -> Result<bool, SandboxError> {
        self.cgroup.reset_peak(&RealKernel)
    }

    /// Whether the OOM killer killed a process of this sandbox since the last (re)start.
    pub fn oom_killed(&self) -> bool {
        self.cgroup.oom_kills(&RealKernel) > self.oom_baseline
    }

    /// The runtime's exit status if the sandbox's processes have ended, without blocking.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, SandboxError> {
        if let Some(s) = self.exit {
            return Ok(Some(s));
        }
        let Some(r) = self.running.as_mut() else {
            return Ok(None);
        };
        let Some(init_status) = spawn::reap(&r.pidfd, false)? else {
            return Ok(None);
        };
        // The runtime's own status, when the init lived to report it, is the one that counts.
        let reported = r
            .status
            .drain()
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("exit ").and_then(|s| s.parse::<i32>().ok()))
            .map(ExitStatus::from_raw);
        let status = reported.unwrap_or(init_status);
        self.exit = Some(status);
        Ok(Some(status))
    }

    /// Waits for the runtime to end and returns how it ended ("exit status 3", "signal:
    /// killed", …). Every process of the sandbox is gone when this returns. Needs a tokio
    /// runtime with I/O enabled.
    pub async fn wait(&mut self) -> Result<ExitStatus, SandboxError> {
        loop {
            if let Some(s) = self.try_wait()? {
                return Ok(s);
            }
            let Some(r) = self.running.as_ref() else {
                return Err(SandboxError::InvalidSpec(format!(
                    "sandbox {} has no process to wait for",
                    self.id
                )));
            };
            // SAFETY: the pidfd stays open (owned by `self.running`) for as long as this
            // registration lives; it is dropped at the end of this loop iteration.
            let fd = unsafe {
                tokio::io::unix::AsyncFd::register_with_interest(
                    PidFdRef(r.pidfd.as_raw_fd()),
                    tokio::io::Interest::READABLE,
                )
            }
            .map_err(|e| SandboxError::sys("register pidfd", e))?;
            let mut guard = fd
                .readable()
                .await
                .map_err(|e| SandboxError::sys("poll pidfd", e))?;
            guard.clear_ready();
        }
    }

    /// Kills the current process tree (if any), waits for it, and starts the runtime again in
    /// the same cgroup, `/tmp` and network namespace (Lambda's re-init after a timeout or a
    /// crash).
    pub async fn restart(&mut self) -> Result<(), SandboxError> {
        if self.running.is_some() {
            self.kill_all()?;
            self.wait().await?;
        }
        self.running = None;
        let pending = spawn::clone_pending(&self.init_exe, &self.sandboxes_dir, &self.cgroup)?;
        self.running = Some(Running {
            pid: pending.child.pid,
            pidfd: pending.child.pidfd,
            status: pending.status,
        });
        self.launch(pending.spec_tx)
    }

    /// Kills everything and removes the sandbox: its processes, `/tmp`, run directory and
    /// cgroups. Dropping a `Sandbox` does the same, ignoring errors.
    pub fn destroy(mut self) -> Result<(), SandboxError> {
        self.teardown()
    }

    fn kill_and_reap(&mut self) {
        if self.exit.is_none() {
            let _ = self.kill_all();
            if let Some(r) = &self.running
                && let Ok(Some(s)) = spawn::reap(&r.pidfd, true)
            {
                self.exit = Some(s);
            }
        }
    }

    fn teardown(&mut self) -> Result<(), SandboxError> {
        if self.torn_down {
            return Ok(());
        }
        self.torn_down = true;
        let k = RealKernel;
        self.kill_and_reap();
        let _ = self.cgroup.kill(&k);
        let mut first_err = None;
        // EINVAL: not mounted (a start that failed before the mount).
        if let Err(e) = k.umount(&self.tmp_dir, true)
            && e.raw_os_error() != Some(libc::EINVAL)
            && e.raw_os_error() != Some(libc::ENOENT)
        {
            first_err = Some(SandboxError::io("umount", &self.tmp_dir, e));
        }
        if let Err(e) = self.cgroup.remove(&k) {
            first_err.get_or_insert(e);
        }
        if let Err(e) = k.remove_dir_all(&self.dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            first_err.get_or_insert(SandboxError::io("remove", &self.dir, e));
        }
        first_err.map_or(Ok(()), Err)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Err(e) = self.teardown() {
            tracing::warn!(sandbox = %self.id, error = %e, "sandbox teardown failed");
        }
    }
}

/// Creates the shared mount-point skeleton for directory images (idempotent).
fn ensure_skeleton(k: &dyn Kernel, dir: &Path) -> Result<(), SandboxError> {
    let (dirs, files) = mount_plan::skeleton_entries();
    for d in dirs {
        let p = dir.join(d);
        k.mkdir_all(&p)
            .map_err(|e| SandboxError::io("mkdir", &p, e))?;
    }
    for f in files {
        let p = dir.join(f);
        k.touch(&p).map_err(|e| SandboxError::io("touch", &p, e))?;
    }
    Ok(())
}
