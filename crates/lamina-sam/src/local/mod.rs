//! The `lamina local` commands' machinery: a template loaded for running (`project`), SAM's
//! `--env-vars` file (`env_vars`), code folders turned into content-addressed packages that
//! are extracted once (`package`), the engine that runs them (`runner`) on each runtime's image (`environments`), and the two servers:
//! `start-api` (`api`) and `start-lambda` (`lambda`); and `sam build` (`build`).
//!
//! It owns no command line and prints nothing: the `lamina` binary parses flags, calls these
//! and writes the streams.

pub mod api;
pub mod build;
pub mod env_vars;
pub mod environments;
pub mod lambda;
pub mod package;
pub mod project;
pub mod runner;

pub use env_vars::{EnvVars, EnvVarsError};
pub use package::{PackageError, Packages};
pub use project::{Project, ProjectError};
pub use runner::{Runner, RunnerError, RunnerOptions, default_cache_dir};

/// The account local functions run in (SAM CLI's local account id).
pub const LOCAL_ACCOUNT_ID: &str = "123456789012";
/// The region local functions run in unless `AWS_REGION`/`AWS_DEFAULT_REGION` says otherwise.
pub const LOCAL_REGION: &str = "us-east-1";
