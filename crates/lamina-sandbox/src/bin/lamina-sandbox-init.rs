//! A minimal binary that serves as a sandbox init, so the crate's end-to-end tests and the
//! cold-start benchmark run without the `lamina` binary. `lamina` wires the same entry point
//! behind its hidden `__sandbox-init` subcommand.

fn main() {
    if lamina_sandbox::is_init_invocation() {
        lamina_sandbox::init_main();
    }
    eprintln!("usage: lamina-sandbox-init is started by lamina-sandbox, not by hand");
    std::process::exit(2);
}
