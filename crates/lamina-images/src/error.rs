//! The errors of building, probing, storing and scanning environment images.

use std::path::PathBuf;

use lamina_model::environment::EnvironmentError;

/// Why an image operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ImagesError {
    /// A file operation failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `rename`, …).
        op: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `lamina env build` was asked for a base it cannot make.
    #[error("unknown base image {0:?}: Lamina builds debian-12 and debian-13")]
    UnknownBase(String),
    /// A Node.js major Lamina has no pinned release of.
    #[error("no Node.js {major} release is pinned in Lamina (supported majors: {supported})")]
    UnsupportedNode {
        /// The major asked for.
        major: u32,
        /// The supported majors.
        supported: String,
    },
    /// The host's apt sources name no Debian archive.
    #[error("no Debian archive found in the host's apt sources ({0}); pass --mirror URL")]
    NoMirror(String),
    /// A package name that apt would not accept (and that must not reach a command line).
    #[error("invalid Debian package name {0:?}")]
    InvalidPackage(String),
    /// A build step (debootstrap, apt-get, a probe) failed.
    #[error("{step} failed: {detail}")]
    Step {
        /// The step.
        step: String,
        /// Its exit status and the end of its output.
        detail: String,
    },
    /// The build was interrupted (Ctrl-C); nothing was registered.
    #[error("the build was interrupted; nothing was registered")]
    Interrupted,
    /// No image of that name in the catalog.
    #[error("no image {0} in the catalog")]
    NotFound(String),
    /// An image of that name exists already.
    #[error("image {0} exists already; remove it first or choose another --name")]
    Exists(String),
    /// The image id is not valid.
    #[error(transparent)]
    InvalidId(#[from] EnvironmentError),
    /// A manifest file could not be read or written.
    #[error("manifest {}: {source}", path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// A package could not be scanned.
    #[error("scanning {name}: {source}")]
    Scan {
        /// The package (function, layer or file).
        name: String,
        /// The cause.
        source: lamina_package::PackageError,
    },
}

impl ImagesError {
    /// An I/O error on `path`.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }
}
