//! [`SandboxHandle`]: what an execution environment needs from a sandbox once it has started:
//! wait for its runtime's exit, kill it, start the runtime again in place, release it after
//! the extensions registered, read its memory figures, tear it down. [`Sandbox`] is the real
//! one; the engine runs its environment over this trait so that its state machine (init,
//! timeout, crash, restart) is unit-tested with a fake that needs no root. Starting a sandbox
//! is not part of it: that stays [`Sandbox::start`], tested end to end.

use std::future::Future;

use crate::error::SandboxError;
use crate::exit_status::ExitStatus;
use crate::sandbox::Sandbox;

/// A started sandbox, as an execution environment uses it.
pub trait SandboxHandle: Send + 'static {
    /// Kills every process of the sandbox; returns at once ([`SandboxHandle::wait`] sees
    /// the end).
    fn kill_all(&self) -> Result<(), SandboxError>;

    /// Waits until the runtime has ended and says how. Cheap to call and drop again and
    /// again while it runs, so an invoke can race it against the runtime's answer.
    fn wait(&mut self) -> impl Future<Output = Result<ExitStatus, SandboxError>> + Send;

    /// Kills what still runs and starts the runtime again in the same sandbox (`/tmp`
    /// survives, process state does not).
    fn restart(&mut self) -> impl Future<Output = Result<(), SandboxError>> + Send;

    /// Lets the runtime start once the extensions registered (after every start and
    /// restart); nothing to do without extensions.
    fn release_runtime(&self) -> Result<(), SandboxError>;

    /// Whether every extension process of the current start has exited (false while any
    /// runs, and without extensions).
    fn extensions_exited(&mut self) -> bool;

    /// Resets the memory peak before an invoke; false where the kernel offers no reset.
    fn reset_peak(&self) -> Result<bool, SandboxError>;

    /// Peak memory use in bytes since start or the last reset.
    fn max_memory_used_bytes(&self) -> Result<u64, SandboxError>;

    /// Whether the OOM killer killed one of its processes since the last (re)start.
    fn oom_killed(&self) -> bool;

    /// Kills everything and removes the sandbox (blocking).
    fn destroy(self) -> Result<(), SandboxError>
    where
        Self: Sized;
}

impl SandboxHandle for Sandbox {
    fn kill_all(&self) -> Result<(), SandboxError> {
        Sandbox::kill_all(self)
    }

    fn wait(&mut self) -> impl Future<Output = Result<ExitStatus, SandboxError>> + Send {
        Sandbox::wait(self)
    }

    fn restart(&mut self) -> impl Future<Output = Result<(), SandboxError>> + Send {
        Sandbox::restart(self)
    }

    fn release_runtime(&self) -> Result<(), SandboxError> {
        Sandbox::release_runtime(self)
    }

    fn extensions_exited(&mut self) -> bool {
        Sandbox::extensions_exited(self)
    }

    fn reset_peak(&self) -> Result<bool, SandboxError> {
        Sandbox::reset_peak(self)
    }

    fn max_memory_used_bytes(&self) -> Result<u64, SandboxError> {
        Sandbox::max_memory_used_bytes(self)
    }

    fn oom_killed(&self) -> bool {
        Sandbox::oom_killed(self)
    }

    fn destroy(self) -> Result<(), SandboxError> {
        Sandbox::destroy(self)
    }
}
