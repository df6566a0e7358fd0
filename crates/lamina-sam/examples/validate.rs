//! `cargo run -p lamina-sam --example validate -- TEMPLATE [--lint]`: the validate verdict
//! as the CLI will print it (a development aid until the CLI is wired).

use std::path::Path;
use std::process::ExitCode;

use lamina_sam::{Options, has_errors, render_streams, validate_file};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: validate TEMPLATE [--lint]");
        return ExitCode::from(2);
    };
    let lint = args.iter().any(|a| a == "--lint");
    let base_dir = Path::new(path)
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let options = Options {
        lint,
        base_dir,
        ..Options::default()
    };
    let diagnostics = match validate_file(Path::new(path), &options) {
        Ok(diagnostics) => diagnostics,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let (stdout, stderr) = render_streams(&diagnostics, path);
    eprint!("{stderr}");
    print!("{stdout}");
    if has_errors(&diagnostics) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
