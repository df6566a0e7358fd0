//! Watching a sandbox's runtime for an exit while it serves invokes. `Sandbox::wait`
//! registers its pidfd with the reactor and drops the registration on every call (an
//! `epoll_ctl` add and delete plus a `waitid` per invoke, since each invoke races the
//! runtime's answer against its exit). This keeps one pidfd of the sandbox's init
//! registered for as long as that process lives, so a warm invoke costs no syscall here;
//! only once it is readable (the process exited) is `Sandbox::wait` called for the status.

use std::os::fd::{FromRawFd, OwnedFd};

use lamina_sandbox::{ExitStatus, Sandbox, SandboxError};
use tokio::io::unix::AsyncFd;

/// A kept registration of the sandbox init's pidfd; `None` when it could not be opened
/// (then every wait goes through `Sandbox::wait`, as before).
#[derive(Debug)]
pub(crate) struct ExitWatch {
    fd: Option<AsyncFd<OwnedFd>>,
}

impl ExitWatch {
    /// Watches the process `pid` (the sandbox's init; 0 watches nothing).
    pub(crate) fn open(pid: u32) -> Self {
        if pid == 0 {
            return Self { fd: None };
        }
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1; no
        // memory is passed. The init is this process's child and not reaped yet, so the pid
        // cannot name another process.
        let raw =
            unsafe { nix::libc::syscall(nix::libc::SYS_pidfd_open, pid as nix::libc::pid_t, 0) };
        if raw < 0 {
            return Self { fd: None };
        }
        // SAFETY: `raw` is a descriptor the kernel just returned to us and nothing else owns.
        let owned = unsafe { OwnedFd::from_raw_fd(raw as i32) };
        // SAFETY: the AsyncFd owns the descriptor, so it stays open for as long as the
        // registration lives (the registration is dropped before the descriptor).
        let fd = unsafe { AsyncFd::register_with_interest(owned, tokio::io::Interest::READABLE) };
        Self { fd: fd.ok() }
    }

    /// Resolves with the runtime's exit status once the watched process has exited.
    pub(crate) async fn wait(&self, sandbox: &mut Sandbox) -> Result<ExitStatus, SandboxError> {
        if let Some(fd) = &self.fd {
            // A pidfd turns readable when its process exits and stays so; an error from the
            // reactor falls through to the sandbox's own wait.
            let _ = fd.readable().await;
        }
        sandbox.wait().await
    }
}
