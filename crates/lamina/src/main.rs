//! `lamina`: the one binary. It parses the command line and wires the library crates
//! together; every rule lives in those crates.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    // A sandbox's init is this same binary started with a hidden argument: it must not parse
    // the command line or start anything else.
    if lamina_sandbox::is_init_invocation() {
        lamina_sandbox::init_main();
    }
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
