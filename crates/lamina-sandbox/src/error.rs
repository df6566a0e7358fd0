//! The crate's error type. Every failure names the sandbox id, path or step that failed, so an
//! operator's log line is enough to find the cause; the engine maps these to Lambda error types
//! (for example [`SandboxError::Exec`] to `Runtime.InvalidEntrypoint`).

use std::io;
use std::path::PathBuf;

/// Why a sandbox operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The spec or configuration is unusable (bad id, path with a character overlayfs cannot
    /// take, uid 0, …). Nothing was created.
    #[error("invalid sandbox spec: {0}")]
    InvalidSpec(String),
    /// A file-system or cgroup-file operation on the host failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done (`mkdir`, `write`, `mount`, …).
        op: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A system call that has no path (clone3, unshare, setns, ioctl, …) failed.
    #[error("{op}: {source}")]
    Sys {
        /// The call that failed.
        op: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// No usable cgroup hierarchy (neither v2 with the memory and pids controllers nor the v1
    /// memory and pids controllers) was found.
    #[error("no usable cgroup hierarchy: {0}")]
    NoCgroups(String),
    /// The sandbox init reported a failure while building the sandbox (a mount, pivot_root,
    /// setns, …), before the runtime was started.
    #[error("sandbox {id} setup failed: {message}")]
    Setup {
        /// The sandbox id.
        id: String,
        /// The init's own description of the failed step.
        message: String,
    },
    /// The runtime's program could not be executed (missing, not executable, bad interpreter).
    /// Lambda reports this as `Runtime.InvalidEntrypoint`.
    #[error("sandbox {id}: exec {path}: {message}")]
    Exec {
        /// The sandbox id.
        id: String,
        /// `argv[0]` as given.
        path: String,
        /// The OS error text, e.g. "No such file or directory (os error 2)".
        message: String,
    },
    /// The init process died before it said whether the runtime started.
    #[error("sandbox {id}: init exited before starting the runtime ({status})")]
    InitDied {
        /// The sandbox id.
        id: String,
        /// The init's exit status, in Go's words.
        status: String,
    },
}

impl SandboxError {
    /// Wraps an `io::Error` from an operation on `path`.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        SandboxError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// Wraps an `io::Error` (or errno) from a path-less system call.
    pub(crate) fn sys(op: &'static str, source: impl Into<io::Error>) -> Self {
        SandboxError::Sys {
            op,
            source: source.into(),
        }
    }
}
