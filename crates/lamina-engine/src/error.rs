//! Engine faults: things that go wrong in Lamina rather than in the function. A function's
//! own failures are not errors here; they are outcomes with Lambda's error payloads.

use std::path::{Path, PathBuf};

/// A fault of the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The sandbox could not be built or started.
    #[error("sandbox: {0}")]
    Sandbox(#[from] lamina_sandbox::SandboxError),
    /// The Runtime API server could not start.
    #[error("runtime api: {0}")]
    RuntimeApi(#[from] lamina_runtime_api::RuntimeApiError),
    /// A file operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Anything else.
    #[error("{0}")]
    Internal(String),
}

impl EngineError {
    pub(crate) fn io(op: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }
}
