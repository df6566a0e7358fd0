//! The command line: one clap definition, then a validated configuration per command.

mod auth;
mod build;
mod env;
mod generate_event;
mod http;
mod local;
mod logs;
mod migrate;
mod sam;
mod scan;
mod server;
mod signal;
mod tls;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Lamina: run AWS Lambda functions on your own machines, in versioned execution
/// environments, with Lambda's APIs.
#[derive(Debug, Parser)]
#[command(name = "lamina", version, about, long_about = None)]
pub struct Cli {
    /// Log format for the server's own logs.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "LAMINA_LOG_FORMAT"
    )]
    pub log_format: LogFormat,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Lamina's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the platform: Lambda's control-plane API, Invoke and the web console
    /// (`/console`) on 127.0.0.1:9001, with SQLite and blobs in the data folder.
    Server(server::ServerArgs),
    /// Print a function's logs from a running server (START, the function's output, END,
    /// REPORT).
    Logs(logs::LogsArgs),
    /// Check a SAM template as `sam validate` does (`--lint` for warnings).
    Validate(validate::ValidateArgs),
    /// Print a sample event of an AWS service (`lamina generate-event --help` lists them).
    GenerateEvent(generate_event::GenerateEventArgs),
    /// Run a SAM template's functions locally: invoke, start-api, start-lambda.
    #[command(subcommand)]
    Local(local::LocalCommand),
    /// SAM's build: `lamina sam build` installs each function's dependencies in its
    /// environment and writes .aws-sam/build.
    #[command(subcommand)]
    Sam(sam::SamCommand),
    /// Migration plans and where every function stands: `plan apply|list|show|delete`,
    /// `status`, `simulate`.
    Migrate(migrate::MigrateArgs),
    /// Environment images: `build debian-12|debian-13`, `list`, `show`, `remove`.
    Env(env::EnvArgs),
    /// Check a function's or zip's native code against an image (`--plan` for a plan).
    Scan(scan::ScanArgs),
    /// Run a build command inside an image, with the source folder mounted at /src.
    Build(build::BuildArgs),
    /// Access keys: `create-key --account ID [--read-only]`, `list-keys`, `disable-key`,
    /// `enable-key`, `delete-key`.
    Auth(auth::AuthArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // SAM-style commands keep stderr for function output; only warnings by default.
    let quiet = matches!(
        cli.command,
        Command::Validate(_)
            | Command::GenerateEvent(_)
            | Command::Local(_)
            | Command::Sam(_)
            | Command::Build(_)
            | Command::Scan(_)
            | Command::Auth(_)
    );
    init_logging(cli.log_format, if quiet { "warn" } else { "info" });
    match cli.command {
        Command::Server(args) => server::run(args),
        Command::Logs(args) => logs::run(args),
        Command::Validate(args) => validate::run(args),
        Command::GenerateEvent(args) => generate_event::run(args),
        Command::Local(cmd) => local::run(cmd),
        Command::Sam(cmd) => sam::run(cmd),
        Command::Migrate(args) => migrate::run(args),
        Command::Env(args) => env::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Build(args) => build::run(args),
        Command::Auth(args) => auth::run(args),
    }
}

fn init_logging(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LAMINA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
