//! [`Sandbox`]: one execution environment's lifetime on the host side — creating its run
//! directory, `/tmp` and cgroups, starting (and restarting) its init, watching it exit, reading
//! its memory figures, killing it, and tearing everything down.
//!
//! Lifetime of the pieces: the cgroup, `/tmp` and the network namespace live as long as the
//! `Sandbox`; the process tree (init + runtime + anything they start) lives from
//! [`Sandbox::start`] or [`Sandbox::restart`] until the runtime exits or is killed. So a
//! timeout kill followed by `restart` keeps `/tmp`, as Lambda does.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::time::Duration;

use nix::libc;

use crate::cgroup::Cgroup;
use crate::error::SandboxError;
use crate::exit_status::ExitStatus;
use crate::kernel::{Kernel, RealKernel};
use crate::netns::Network;
use crate::peak::PeakFile;
use crate::spawn;
use crate::status_pipe::StatusReader;

/// How long the init may take to build the sandbox and exec the runtime.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The running init of one start.
struct Running {
    /// The pidfd registered with the reactor on the first wait and kept for the process's
    /// life, so the wait that every invoke races against the runtime's answer costs no
    /// `epoll_ctl` or `waitid` until the process really exits. Declared before `pidfd` so
    /// the registration goes first.
    watch: Option<tokio::io::unix::AsyncFd<PidFdRef>>,
    pid: i32,
    pidfd: OwnedFd,
    status: StatusReader,
}

impl Running {
    fn new(pid: i32, pidfd: OwnedFd, status: StatusReader) -> Self {
        Self {
            watch: None,
            pid,
            pidfd,
            status,
        }
    }
}

/// One live execution environment.
pub struct Sandbox {
    id: String,
    dir: PathBuf,
    tmp_dir: PathBuf,
    init_exe: PathBuf,
    sandboxes_dir: PathBuf,
    init_spec: Vec<u8>,
    /// Declared before `cgroup`: closed before the cgroup is removed.
    peak: PeakFile,
    cgroup: Cgroup,
    network: Network,
    stdout: OwnedFd,
    stderr: OwnedFd,
    running: Option<Running>,
    exit: Option<ExitStatus>,
    oom_baseline: u64,
    torn_down: bool,
    /// Whether the spec starts extensions before the runtime.
    extensions: bool,
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

mod start;

impl Sandbox {
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
            && let Err(e) = crate::pidfd::pidfd_kill(&r.pidfd, libc::SIGKILL)
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
            crate::pidfd::pidfd_kill(&r.pidfd, signal)
                .map_err(|e| SandboxError::sys("pidfd_send_signal", e))?;
        }
        Ok(())
    }

    /// Starts the runtime of a sandbox whose spec has extensions: until this is called (after
    /// every start or restart), the init holds the runtime back. Does nothing without
    /// extensions, where the runtime starts at once.
    pub fn release_runtime(&self) -> Result<(), SandboxError> {
        if self.extensions {
            self.signal(crate::init::RELEASE_SIGNAL)?;
        }
        Ok(())
    }

    /// Whether every extension process of the current start has exited (false while any
    /// runs, and for a sandbox without extensions). Does not block.
    pub fn extensions_exited(&mut self) -> bool {
        if !self.extensions {
            return false;
        }
        match self.running.as_mut() {
            Some(r) => r.status.seen(crate::init::EXTENSIONS_EXITED),
            None => true,
        }
    }

    /// Peak memory use of the sandbox's cgroup in bytes (v1 `memory.max_usage_in_bytes`, v2
    /// `memory.peak`), since start or the last [`Sandbox::reset_peak`]. Includes `/tmp` pages.
    /// One `pread` on a descriptor kept open.
    pub fn max_memory_used_bytes(&self) -> Result<u64, SandboxError> {
        self.peak.read(&self.cgroup)
    }

    /// Resets the peak so the next [`Sandbox::max_memory_used_bytes`] covers only what
    /// follows (call before each invoke). Returns false where the kernel offers no reset
    /// (cgroup v2 here).
    pub fn reset_peak(&self) -> Result<bool, SandboxError> {
        self.peak.reset(&self.cgroup)
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
        let Some(init_status) = crate::pidfd::reap(&r.pidfd, false)? else {
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
    /// runtime with I/O enabled. Cheap to call and drop again and again while the process
    /// lives (its pidfd stays registered), so an invoke can race it against the answer.
    pub async fn wait(&mut self) -> Result<ExitStatus, SandboxError> {
        loop {
            if let Some(s) = self.exit {
                return Ok(s);
            }
            let Some(r) = self.running.as_mut() else {
                return Err(SandboxError::InvalidSpec(format!(
                    "sandbox {} has no process to wait for",
                    self.id
                )));
            };
            match &r.watch {
                Some(watch) => {
                    // A pidfd turns readable when its process exits and stays so.
                    let mut guard = watch
                        .readable()
                        .await
                        .map_err(|e| SandboxError::sys("poll pidfd", e))?;
                    guard.clear_ready();
                }
                None => {
                    // SAFETY: the pidfd stays open (owned by `Running`, declared after the
                    // registration) for as long as this registration lives.
                    let watch = unsafe {
                        tokio::io::unix::AsyncFd::register_with_interest(
                            PidFdRef(r.pidfd.as_raw_fd()),
                            tokio::io::Interest::READABLE,
                        )
                    }
                    .map_err(|e| SandboxError::sys("register pidfd", std::io::Error::from(e)))?;
                    r.watch = Some(watch);
                }
            }
            if let Some(s) = self.try_wait()? {
                return Ok(s);
            }
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
        self.running = Some(Running::new(
            pending.child.pid,
            pending.child.pidfd,
            pending.status,
        ));
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
                && let Ok(Some(s)) = crate::pidfd::reap(&r.pidfd, true)
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
