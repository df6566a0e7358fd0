//! Which image an invocation runs on, and where that image's root file system is. The engine
//! is given an [`EnvironmentResolver`] when it starts (the control plane's catalog and
//! migration plans for `lamina server`; for `lamina local`, its environments, which put each
//! runtime on `host` or its default image). It asks it, at every invoke and from memory, for
//! the image and runtime version of the function version it is about to run, and, on a cold
//! start only, for the folder holding that image's root file system. The resolver's side is the one registry of images: an image is registered
//! and removed there once, and the engine keeps no copy. `host` is the engine's own (the
//! host's root with an `/etc` of Lamina's, built at start).
//!
//! Neither lookup touches the disk.

use std::path::PathBuf;

use lamina_model::environment::{ImageId, RuntimeVersion, ServedRuntime};
use lamina_model::{Function, FunctionVersion};

/// The environment a function version must run in now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedEnvironment {
    /// The image.
    pub image: ImageId,
    /// The runtime version (`None` for a function without a runtime).
    pub runtime_version: Option<RuntimeVersion>,
    /// How the image serves the function's runtime (its interpreter's absolute path and
    /// version, from the image's manifest); `None` when it does not, or for `provided*`.
    pub served: Option<ServedRuntime>,
}

impl ResolvedEnvironment {
    /// The `host` image, with no runtime version.
    pub fn host() -> Self {
        Self {
            image: ImageId::host(),
            runtime_version: None,
            served: None,
        }
    }
}

/// Decides the environment of each invocation. Called on the invoke path: it must be pure
/// computation over memory (no disk, no global write lock).
pub trait EnvironmentResolver: Send + Sync + 'static {
    /// The environment `version` of `function` runs in now.
    fn resolve(&self, function: &Function, version: &FunctionVersion) -> ResolvedEnvironment;

    /// The folder holding the root file system of directory image `image`, asked on a cold
    /// start; `None` when no such image is registered (the invoke is refused naming it).
    /// Never asked for `host`, whose root the engine builds itself.
    fn image_dir(&self, image: &ImageId) -> Option<PathBuf>;
}
