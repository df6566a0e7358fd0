//! The sandbox init: the code that runs as pid 1 inside a new sandbox, after the engine's
//! `clone3` + `execve` (see `spawn.rs`). It reads its [`InitSpec`] from the socket on fd 3,
//! with the log pipes (made its stdout and stderr) and the network namespace (joined) passed
//! alongside as SCM_RIGHTS, sets the hostname, applies the mount plan, pivots into the new
//! root, then forks the runtime as pid 2 and becomes a tiny init: it reaps every zombie,
//! forwards signals to the runtime, and when the runtime exits it reports the raw wait status on
//! the status pipe (fd 4) and exits, which makes the kernel kill whatever is left in the PID
//! namespace.
//!
//! The runtime child drops everything before `execve`: a new session, RLIMIT_NOFILE and
//! RLIMIT_CORE=0, an empty capability bounding set, no supplementary groups, the sandbox
//! uid/gid (which clears every capability), `PR_SET_NO_NEW_PRIVS`, the default signal state,
//! every fd but 0–2 closed, and exactly the spec's environment.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;

use nix::libc;
use serde::{Deserialize, Serialize};

use crate::kernel::{Kernel, RealKernel};
use crate::mount_plan::{self, MountOp};
use crate::spawn::{FD_SPEC, FD_STATUS};

mod runtime;
use runtime::{Prepared, exec_runtime};

/// Everything the init needs, sent as JSON on fd 3.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct InitSpec {
    pub id: String,
    pub root: PathBuf,
    pub mounts: Vec<MountOp>,
    pub hostname: String,
    pub join_netns: bool,
    pub argv: Vec<String>,
    /// `KEY=value` strings.
    pub env: Vec<String>,
    pub cwd: String,
    /// External extensions to start before the runtime (absolute paths).
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Their environment, `KEY=value` strings.
    #[serde(default)]
    pub extension_env: Vec<String>,
    pub uid: u32,
    pub gid: u32,
    pub nofile: u64,
}

/// Status line: the extensions were started and the runtime waits for its release.
pub(crate) const EXTENSIONS_STARTED: &str = "extensions-started";
/// Status line: every extension process has exited.
pub(crate) const EXTENSIONS_EXITED: &str = "extensions-exited";
/// The signal that releases the runtime when extensions were started first.
pub(crate) const RELEASE_SIGNAL: i32 = libc::SIGUSR1;

/// The entry point of the sandbox init. A binary calls it when its first argument is
/// [`crate::INIT_ARG`], before doing anything else (no threads, no async runtime). Never
/// returns.
pub fn init_main() -> ! {
    // Refuse to run outside a sandbox: the init must be pid 1 of its namespace with the status
    // pipe at fd 4, or it would mount over the caller's own tree.
    // SAFETY: fstat on a possibly-closed fd number only fills the stat buffer or fails.
    let is_pipe = unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        libc::fstat(FD_STATUS, &mut st) == 0 && (st.st_mode & libc::S_IFMT) == libc::S_IFIFO
    };
    if std::process::id() != 1 || !is_pipe {
        eprintln!(
            "{}: internal entry point of lamina-sandbox, not for direct use",
            crate::INIT_ARG
        );
        std::process::exit(2);
    }
    // SAFETY: fd 4 is the status pipe placed there by the spawner (checked above) and nothing
    // else in this process owns it.
    let mut status = unsafe { File::from_raw_fd(FD_STATUS) };
    let code = match run(&mut status) {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(status, "error {}", message.replace('\n', " "));
            1
        }
    };
    std::process::exit(code)
}

fn errno_text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Restores default dispositions for every signal and blocks them all: the init handles
/// signals synchronously with sigwaitinfo, and the runtime unblocks them before its exec.
fn reset_signals() {
    for sig in 1..=64 {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        // SAFETY: installing SIG_DFL for a signal number; failures (reserved numbers) are
        // harmless and ignored.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
        }
    }
    // SAFETY: a zeroed sigset filled by sigfillset, passed to sigprocmask.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::sigprocmask(libc::SIG_SETMASK, &all, std::ptr::null_mut());
    }
}

fn run(status: &mut File) -> Result<i32, String> {
    // Nothing but our own fds may reach the sandbox.
    // SAFETY: close_range on numbers above our known fds.
    unsafe {
        libc::close_range((FD_STATUS + 1) as u32, u32::MAX, 0);
    }
    reset_signals();
    if let Some(dir) = std::env::var_os(crate::spawn::INIT_DIR_VAR) {
        drop_other_sandboxes_mounts(std::path::Path::new(&dir))?;
    }

    let (raw, mut fds) = receive_spec()?;
    let spec: InitSpec = serde_json::from_slice(&raw).map_err(|e| format!("parse spec: {e}"))?;
    // stdout, stderr, the detached /tmp mount, and the network namespace when isolated.
    let expected = if spec.join_netns { 4 } else { 3 };
    if fds.len() != expected {
        return Err(format!(
            "expected {expected} fds with the spec, got {}",
            fds.len()
        ));
    }
    let netns = if spec.join_netns { fds.pop() } else { None };
    let tmp = fds.pop();
    if let [out, err] = fds.as_slice() {
        nix::unistd::dup2_stdout(out).map_err(|e| format!("dup2 stdout: {e}"))?;
        nix::unistd::dup2_stderr(err).map_err(|e| format!("dup2 stderr: {e}"))?;
    }
    drop(fds);
    if let Some(ns) = netns {
        nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET)
            .map_err(|e| format!("setns net: {e}"))?;
    }
    // The engine moved us into our cgroups before sending the spec, so a new cgroup namespace
    // now roots at them: /proc/self/cgroup shows "/" instead of the host's cgroup paths.
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWCGROUP)
        .map_err(|e| format!("unshare cgroup namespace: {e}"))?;
    nix::unistd::sethostname(&spec.hostname).map_err(|e| format!("sethostname: {e}"))?;
    let k = RealKernel;
    mount_plan::apply(&k, &spec.mounts, tmp.as_ref().map(std::os::fd::AsFd::as_fd))
        .map_err(|e| e.to_string())?;
    drop(tmp);
    k.pivot_root(&spec.root)
        .map_err(|e| format!("pivot_root {}: {e}", spec.root.display()))?;

    let prepared = Prepared::new(&spec)?;
    let mut extensions = start_extensions(&spec);
    if !spec.extensions.is_empty() {
        let _ = writeln!(status, "{EXTENSIONS_STARTED}");
        wait_for_release(&mut extensions, status);
    }
    let (err_r, err_w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| format!("pipe: {e}"))?;
    // SAFETY: this process is single-threaded (the init never starts threads), so fork is safe.
    match unsafe { nix::unistd::fork() }.map_err(|e| format!("fork: {e}"))? {
        nix::unistd::ForkResult::Child => {
            drop(err_r);
            exec_runtime(&prepared, File::from(err_w))
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop(err_w);
            let mut failure = String::new();
            let _ = File::from(err_r).read_to_string(&mut failure);
            if !failure.is_empty() {
                let _ = nix::sys::wait::waitpid(child, None);
                let _ = writeln!(status, "{}", failure.replace('\n', " "));
                return Ok(127);
            }
            let _ = writeln!(status, "started");
            Ok(supervise(child.as_raw(), &mut extensions, status))
        }
    }
}

/// Makes this mount namespace private at once (so nothing the host mounts while this init
/// waits in a pool propagates in, and nothing done here propagates out) and lazily unmounts
/// the copies of other sandboxes' mounts (their `/tmp`s) that came with it: a waiting init
/// must not keep another sandbox's /tmp alive after that sandbox is destroyed.
fn drop_other_sandboxes_mounts(sandboxes_dir: &std::path::Path) -> Result<(), String> {
    use nix::mount::{MntFlags, MsFlags};
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| format!("make mounts private: {e}"))?;
    let info = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| format!("read mountinfo: {e}"))?;
    let mut points: Vec<&str> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|p| std::path::Path::new(p).starts_with(sandboxes_dir))
        .collect();
    // Deepest first, so a parent is never detached before what sits on it.
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in points {
        // Already gone with a parent, or never there: either way it is not visible.
        let _ = nix::mount::umount2(p, MntFlags::MNT_DETACH);
    }
    Ok(())
}

/// Reads the spec from fd 3 to end of file, with the fds that came with its first bytes.
fn receive_spec() -> Result<(Vec<u8>, Vec<OwnedFd>), String> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut cmsg = nix::cmsg_space!([std::os::fd::RawFd; 4]);
    let (n, fds) = {
        let mut iov = [std::io::IoSliceMut::new(&mut buf)];
        let msg = nix::sys::socket::recvmsg::<()>(
            FD_SPEC,
            &mut iov,
            Some(&mut cmsg),
            nix::sys::socket::MsgFlags::MSG_CMSG_CLOEXEC,
        )
        .map_err(|e| format!("receive spec: {e}"))?;
        let mut fds = Vec::new();
        for c in msg.cmsgs().map_err(|e| format!("receive spec: {e}"))? {
            if let nix::sys::socket::ControlMessageOwned::ScmRights(raw) = c {
                // SAFETY: the kernel just installed these fds in this process for us.
                fds.extend(
                    raw.into_iter()
                        .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                );
            }
        }
        (msg.bytes, fds)
    };
    buf.truncate(n);
    // SAFETY: fd 3 is the spec socket placed by the spawner, owned by nobody else here.
    let mut rest = unsafe { File::from_raw_fd(FD_SPEC) };
    rest.read_to_end(&mut buf)
        .map_err(|e| format!("read spec: {e}"))?;
    Ok((buf, fds))
}

/// Forks and execs each extension with the runtime's privileges (a failure is written to the
/// sandbox's stderr, which is the function's log, and the others still start). Returns their
/// pids.
fn start_extensions(spec: &InitSpec) -> Vec<i32> {
    let mut pids = Vec::new();
    for path in &spec.extensions {
        let one = InitSpec {
            argv: vec![path.clone()],
            env: spec.extension_env.clone(),
            ..spec.clone()
        };
        let started = Prepared::new(&one).and_then(|p| {
            let (err_r, err_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
                .map_err(|e| format!("pipe: {e}"))?;
            // SAFETY: the init is single-threaded, so fork is safe.
            match unsafe { nix::unistd::fork() }.map_err(|e| format!("fork: {e}"))? {
                nix::unistd::ForkResult::Child => {
                    drop(err_r);
                    exec_runtime(&p, File::from(err_w))
                }
                nix::unistd::ForkResult::Parent { child } => {
                    drop(err_w);
                    let mut failure = String::new();
                    let _ = File::from(err_r).read_to_string(&mut failure);
                    if failure.is_empty() {
                        Ok(child.as_raw())
                    } else {
                        let _ = nix::sys::wait::waitpid(child, None);
                        Err(failure)
                    }
                }
            }
        });
        match started {
            Ok(pid) => pids.push(pid),
            Err(e) => eprintln!("lamina: extension {path} could not start: {}", e.trim()),
        }
    }
    pids
}

/// Holds the runtime back until the engine sends [`RELEASE_SIGNAL`] (the extensions have
/// registered), reaping extensions that exit meanwhile.
fn wait_for_release(extensions: &mut Vec<i32>, status: &mut File) {
    loop {
        // SAFETY: sigwaitinfo with a filled set and a zeroed siginfo to receive the result.
        let sig = unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::sigwaitinfo(&all, &mut info)
        };
        if sig == RELEASE_SIGNAL {
            return;
        }
        if sig == libc::SIGCHLD {
            reap(-1, extensions, status);
        }
    }
}

/// Reaps every exited child; returns the runtime's raw wait status if `runtime` was among
/// them. Writes [`EXTENSIONS_EXITED`] when the last extension is gone.
fn reap(runtime: i32, extensions: &mut Vec<i32>, status: &mut File) -> Option<i32> {
    let mut runtime_status = None;
    loop {
        let mut raw = 0;
        // SAFETY: waitpid writes only into `raw`.
        let pid = unsafe { libc::waitpid(-1, &mut raw, libc::WNOHANG) };
        if pid <= 0 {
            return runtime_status;
        }
        if pid == runtime {
            runtime_status = Some(raw);
        }
        if let Some(i) = extensions.iter().position(|&p| p == pid) {
            extensions.swap_remove(i);
            if extensions.is_empty() {
                let _ = writeln!(status, "{EXTENSIONS_EXITED}");
            }
        }
    }
}

/// pid 1's loop: reap every child, forward signals to the runtime, and report the runtime's
/// end. Returns the init's own exit code (the runtime's, or 128 + its signal).
fn supervise(runtime: i32, extensions: &mut Vec<i32>, status: &mut File) -> i32 {
    loop {
        // SAFETY: sigwaitinfo with a filled set and a zeroed siginfo to receive the result.
        let sig = unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::sigwaitinfo(&all, &mut info)
        };
        if sig < 0 {
            continue;
        }
        if sig != libc::SIGCHLD {
            // SAFETY: kill(2) with plain integers.
            unsafe {
                libc::kill(runtime, sig);
            }
            continue;
        }
        if let Some(raw) = reap(runtime, extensions, status) {
            let _ = writeln!(status, "exit {raw}");
            return if libc::WIFEXITED(raw) {
                libc::WEXITSTATUS(raw)
            } else {
                128 + libc::WTERMSIG(raw)
            };
        }
    }
}
