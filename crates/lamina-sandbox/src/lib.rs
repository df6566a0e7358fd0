//! lamina-sandbox: Linux isolation for one execution environment, without Docker.
//!
//! A [`Sandbox`] is a process tree in its own PID, mount, IPC and UTS namespaces (and, unless
//! the function opts into [`Network::Host`], its own network namespace holding only the
//! Runtime API listener), under its own cgroups (memory without swap, pids, cpu shares), with a
//! read-only root built from an [`ImageRoot`], `/var/task`, `/opt` (layers merged, last wins)
//! and `/var/runtime` read-only, a size-capped disk-backed `/tmp` (`tmp_image.rs`), a minimal
//! `/dev` and a fresh `/proc`, running as an unprivileged uid with no capabilities and `no_new_privs`.
//!
//! How it starts (see `spawn.rs` for why): the engine `clone3`s straight into the new
//! namespaces and execs [`SandboxConfig::init_exe`] with the hidden argument [`INIT_ARG`]; that
//! binary calls [`init_main`], which builds the root from a mount plan computed by the engine,
//! pivots into it and forks the runtime as pid 2, then stays as pid 1 to reap and forward
//! signals. Mount and cgroup logic go through the [`Kernel`] trait and are unit-tested with a
//! recording fake; the real thing is tested end to end in `tests/` (root needed).
//!
//! The runtime also runs under a deny-list seccomp filter (`seccomp.rs`). Not here yet: user
//! namespaces, an allow-list filter and egress policy for `Network::Host`. See README.md for
//! the threat model.

mod cgroup;
mod error;
mod exit_status;
mod handle;
mod image;
mod init;
mod kernel;
mod mount_plan;
mod netns;
mod peak;
mod pidfd;
mod prepared;
mod reap;
mod sandbox;
mod seccomp;
mod spawn;
mod spec;
mod status_pipe;
mod tmp_image;

pub use cgroup::CgroupLayout;
pub use error::SandboxError;
pub use exit_status::{ExitStatus, signal_name};
pub use handle::SandboxHandle;
pub use image::{ImageRoot, SANDBOX_USER};
pub use init::init_main;
pub use kernel::{Kernel, RealKernel};
pub use netns::{NetNamespace, Network};
pub use prepared::PreparedInit;
pub use reap::reap_orphans;
pub use sandbox::Sandbox;
pub use spawn::INIT_ARG;
pub use spec::{LogPipe, SandboxConfig, SandboxSpec};

/// True when this process was started as a sandbox init (its first argument is
/// [`INIT_ARG`]). A binary checks this first thing in `main` and then calls [`init_main`].
pub fn is_init_invocation() -> bool {
    std::env::args_os().nth(1).is_some_and(|a| a == INIT_ARG)
}

#[cfg(test)]
mod tests {
    /// The engine holds these across `.await`s and shares sandboxes between tasks.
    #[test]
    fn handles_are_send_and_sync() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<crate::Sandbox>();
        send_sync::<crate::PreparedInit>();
        send_sync::<crate::NetNamespace>();
        send_sync::<crate::SandboxConfig>();
        send_sync::<crate::SandboxError>();
    }
}
