//! Starting the sandbox init from the engine's (multi-threaded, tokio) process.
//!
//! Why `clone3` and not `std::process::Command`: the init must be pid 1 of a new PID namespace,
//! and only a process *created* with `CLONE_NEWPID` is; `unshare(CLONE_NEWPID)` in a `pre_exec`
//! hook would only put the init's children there, costing a third process per sandbox. So this
//! module calls `clone3(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD)`
//! itself. Everything the child needs (C strings, pointer arrays, fds dup'ed above 10) is
//! allocated *before* the clone; between clone and `execve` the child makes only `dup2`,
//! `execve` and `_exit` system calls, which is what async-signal-safety after a fork in a
//! threaded process demands. The real work (mounts, pivot_root, uid drop) happens after the
//! exec, in [`crate::init_main`], a fresh single-threaded process where ordinary Rust is safe.
//!
//! The init gets: fds 0–2 `/dev/null`, fd 3 one end of a Unix socket pair, fd 4 the status
//! pipe, and an empty environment. It is moved into its cgroups and then blocks on fd 3 until
//! the engine sends its spec (JSON) together with the log pipes and the network namespace as
//! SCM_RIGHTS. Splitting clone from launch lets the engine clone inits ahead of time
//! ([`crate::PreparedInit`]): on cgroup v1 moving a process into a cgroup waits for an RCU
//! grace period (~10 ms), which must stay off the invoke path.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::libc;

use crate::error::SandboxError;

/// The spec pipe's fd number in the init.
pub(crate) const FD_SPEC: i32 = 3;
/// The status pipe's fd number in the init.
pub(crate) const FD_STATUS: i32 = 4;

/// The hidden first argument that tells a binary to run [`crate::init_main`].
pub const INIT_ARG: &str = "__sandbox-init";

/// The program name the init runs under (its `argv[0]`), free of host paths.
pub(crate) const INIT_NAME: &str = "lamina-sandbox-init";

/// The init's environment variable naming the host's sandboxes folder.
pub(crate) const INIT_DIR_VAR: &str = "LAMINA_SANDBOXES_DIR";

/// The fds handed to the init at clone time.
pub(crate) struct InitFds<'a> {
    pub spec: BorrowedFd<'a>,
    pub status: BorrowedFd<'a>,
}

/// A started init: its host pid and a pidfd (for race-free signalling and waiting).
pub(crate) struct Child {
    pub pid: i32,
    pub pidfd: OwnedFd,
}

fn dup_high(fd: BorrowedFd<'_>) -> Result<OwnedFd, SandboxError> {
    // SAFETY: F_DUPFD_CLOEXEC on a valid borrowed fd returns a new fd that we then own.
    let new = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 10) };
    if new < 0 {
        return Err(SandboxError::sys("dup fd", io::Error::last_os_error()));
    }
    // SAFETY: `new` is a fresh fd nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// Clones the init into new PID, mount, IPC and UTS namespaces and execs `exe` in it, with
/// `sandboxes_dir` in its environment (mounts under it are dropped at once, see init.rs).
pub(crate) fn spawn_init(
    exe: &Path,
    sandboxes_dir: &Path,
    fds: InitFds<'_>,
) -> Result<Child, SandboxError> {
    let exe_c = CString::new(exe.as_os_str().as_bytes())
        .map_err(|_| SandboxError::InvalidSpec(format!("init exe {} has a NUL", exe.display())))?;
    // argv is world-readable inside the sandbox (/proc/1/cmdline), so it names no host path:
    // a neutral program name and the init marker. The sandboxes folder travels in the init's
    // own environment, which /proc shows to root only.
    let name = CString::new(INIT_NAME)
        .map_err(|_| SandboxError::InvalidSpec("init name has a NUL".into()))?;
    let arg = CString::new(INIT_ARG)
        .map_err(|_| SandboxError::InvalidSpec("init argument has a NUL".into()))?;
    let mut dir_var = format!("{INIT_DIR_VAR}=").into_bytes();
    dir_var.extend_from_slice(sandboxes_dir.as_os_str().as_bytes());
    let dir = CString::new(dir_var)
        .map_err(|_| SandboxError::InvalidSpec(format!("{} has a NUL", sandboxes_dir.display())))?;
    let argv: [*const libc::c_char; 3] = [name.as_ptr(), arg.as_ptr(), std::ptr::null()];
    let envp: [*const libc::c_char; 2] = [dir.as_ptr(), std::ptr::null()];

    let devnull = File::open("/dev/null").map_err(|e| SandboxError::io("open", "/dev/null", e))?;
    // Every source is first copied above 10 so that no dup2 below can clobber another source,
    // and so that a source already at its target number still loses CLOEXEC through dup2.
    let null = std::os::fd::AsFd::as_fd(&devnull);
    let held: Vec<(OwnedFd, i32)> = vec![
        (dup_high(null)?, 0),
        (dup_high(null)?, 1),
        (dup_high(null)?, 2),
        (dup_high(fds.spec)?, FD_SPEC),
        (dup_high(fds.status)?, FD_STATUS),
    ];
    let mut pairs = [(0i32, 0i32); 5];
    for (slot, (fd, target)) in pairs.iter_mut().zip(&held) {
        *slot = (fd.as_raw_fd(), *target);
    }
    let n = held.len();

    let mut pidfd: libc::c_int = -1;
    // SAFETY: clone_args is a plain C struct for which all-zero is a valid value.
    let mut args: libc::clone_args = unsafe { std::mem::zeroed() };
    args.flags = (libc::CLONE_NEWPID
        | libc::CLONE_NEWNS
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWUTS
        | libc::CLONE_PIDFD) as u64;
    args.pidfd = &mut pidfd as *mut libc::c_int as u64;
    args.exit_signal = libc::SIGCHLD as u64;

    // SAFETY: clone3 without CLONE_VM behaves like fork: the child gets a copy of this address
    // space with one thread. The child branch below only calls dup2, execve and _exit (all
    // async-signal-safe system calls) on memory prepared before the call, and never returns.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &mut args as *mut libc::clone_args,
            std::mem::size_of::<libc::clone_args>(),
        )
    };
    if ret < 0 {
        return Err(SandboxError::sys("clone3", io::Error::last_os_error()));
    }
    if ret == 0 {
        // SAFETY: see above; in the child only async-signal-safe calls happen from here on.
        unsafe {
            for &(src, dst) in &pairs[..n] {
                if libc::dup2(src, dst) < 0 {
                    libc::_exit(126);
                }
            }
            libc::execve(exe_c.as_ptr(), argv.as_ptr(), envp.as_ptr());
            libc::_exit(127);
        }
    }
    drop(held);
    // SAFETY: with CLONE_PIDFD the kernel stored a new pidfd that we now own.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    Ok(Child {
        pid: ret as i32,
        pidfd,
    })
}

/// An init that has been cloned and moved into its cgroups, blocked until it gets its spec.
pub(crate) struct Pending {
    pub child: Child,
    pub spec_tx: SpecSender,
    pub status: crate::status_pipe::StatusReader,
}

/// Our end of the init's spec socket.
pub(crate) struct SpecSender(std::os::unix::net::UnixStream);

/// Clones an init and moves it into `cgroup`.
pub(crate) fn clone_pending(
    exe: &Path,
    sandboxes_dir: &Path,
    cgroup: &crate::cgroup::Cgroup,
) -> Result<Pending, SandboxError> {
    let (ours, theirs) =
        std::os::unix::net::UnixStream::pair().map_err(|e| SandboxError::sys("socketpair", e))?;
    let (status_r, status_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| SandboxError::sys("pipe", e))?;
    let child = spawn_init(
        exe,
        sandboxes_dir,
        InitFds {
            spec: std::os::fd::AsFd::as_fd(&theirs),
            status: std::os::fd::AsFd::as_fd(&status_w),
        },
    )?;
    drop(theirs);
    drop(status_w);
    let pending = Pending {
        child,
        spec_tx: SpecSender(ours),
        status: crate::status_pipe::StatusReader::new(status_r),
    };
    if let Err(e) = cgroup.add_process(&crate::kernel::RealKernel, pending.child.pid) {
        pending.kill_and_reap();
        return Err(e);
    }
    Ok(pending)
}

impl SpecSender {
    /// Sends the spec with the runtime's stdout, stderr and (if any) network namespace.
    pub(crate) fn send(&mut self, spec: &[u8], fds: &[BorrowedFd<'_>]) -> Result<(), SandboxError> {
        use std::io::Write;
        let raw: Vec<RawFd> = fds.iter().map(|f| f.as_raw_fd()).collect();
        let sent = nix::sys::socket::sendmsg::<()>(
            self.0.as_raw_fd(),
            &[io::IoSlice::new(spec)],
            &[nix::sys::socket::ControlMessage::ScmRights(&raw)],
            nix::sys::socket::MsgFlags::empty(),
            None,
        )
        .map_err(|e| SandboxError::sys("send init spec", e))?;
        self.0
            .write_all(&spec[sent..])
            .map_err(|e| SandboxError::sys("send init spec", e))?;
        self.0
            .shutdown(std::net::Shutdown::Write)
            .map_err(|e| SandboxError::sys("send init spec", e))
    }
}

impl Pending {
    /// SIGKILLs the init (and with it its PID namespace) and reaps it.
    pub(crate) fn kill_and_reap(&self) {
        let _ = crate::pidfd::pidfd_kill(&self.child.pidfd, libc::SIGKILL);
        let _ = crate::pidfd::reap(&self.child.pidfd, true);
    }
}
