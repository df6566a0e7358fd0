//! Ctrl-C during a build: a flag set by SIGINT/SIGTERM that the build checks between steps
//! and while a step runs, so it can stop its child, remove its work folder and register
//! nothing, instead of dying half-way.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: nix::libc::c_int) {
    // Only an atomic store: async-signal-safe.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Installs SIGINT and SIGTERM handlers that set the returned flag instead of killing the
/// process. For command-line builds; a server cancels by its own means.
pub fn interrupt_flag() -> &'static AtomicBool {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe, and
        // replacing these handlers affects no other code in the command-line process.
        if let Err(e) = unsafe { sigaction(sig, &action) } {
            tracing::warn!(signal = %sig, error = %e, "cannot catch the signal; an interrupted build may leave a work folder until the next build sweeps it");
        }
    }
    &INTERRUPTED
}
