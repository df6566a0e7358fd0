//! Signalling and reaping a process through its pidfd, which (unlike a pid) cannot be reused
//! by another process while we hold it.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use nix::libc;

use crate::error::SandboxError;

/// pidfd_send_signal(2).
pub(crate) fn pidfd_kill(pidfd: &OwnedFd, signal: i32) -> io::Result<()> {
    // SAFETY: pidfd_send_signal on a pidfd we own, with no siginfo.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signal,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// waitid(P_PIDFD): the process's status once it has exited, reaping it; `None` if it is
/// still running and `block` is false.
pub(crate) fn reap(
    pidfd: &OwnedFd,
    block: bool,
) -> Result<Option<crate::exit_status::ExitStatus>, SandboxError> {
    use crate::exit_status::ExitStatus;
    let mut flags = libc::WEXITED;
    if !block {
        flags |= libc::WNOHANG;
    }
    loop {
        // SAFETY: a zeroed siginfo for waitid to fill.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid on our own pidfd, writing only into `info`.
        let rc = unsafe {
            libc::waitid(
                libc::P_PIDFD,
                pidfd.as_raw_fd() as libc::id_t,
                &mut info,
                flags,
            )
        };
        if rc != 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(SandboxError::sys("waitid", e));
        }
        // SAFETY: waitid filled `info` for a child-state change (or left it zeroed with
        // WNOHANG when nothing changed, which si_pid == 0 tells).
        let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
        if pid == 0 {
            return Ok(None);
        }
        return Ok(Some(match info.si_code {
            libc::CLD_EXITED => ExitStatus::Exited(status),
            libc::CLD_DUMPED => ExitStatus::Signaled {
                signal: status,
                core_dumped: true,
            },
            _ => ExitStatus::Signaled {
                signal: status,
                core_dumped: false,
            },
        }));
    }
}
