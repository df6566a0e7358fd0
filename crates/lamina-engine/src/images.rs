//! Which image an invocation runs on, and where that image's root file system is. The engine
//! asks an [`EnvironmentResolver`] (the control plane's migration plans, resolved at every
//! invoke from memory) for the image and runtime version of the function version it is
//! about to run, and maps the image id to a [`ImageRoot`] through the [`ImageRegistry`]:
//! `host` is registered at start; directory images are registered by whoever builds or
//! loads them (`lamina env`), with [`ImageRegistry::register`].
//!
//! Neither lookup touches the disk. The registry is read only on a cold start (a warm
//! invoke reuses its sandbox's image), under a read lock that readers share.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use lamina_model::environment::{ImageId, RuntimeVersion, ServedRuntime};
use lamina_model::{Function, FunctionVersion};
use lamina_sandbox::ImageRoot;

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
    /// The `host` image, with no runtime version: what the engine uses without a resolver.
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
}

/// Runs everything on `host`, each runtime by the host interpreter recorded for it (what
/// `lamina local` uses: no plans, no other images). A runtime the host does not serve
/// resolves with no interpreter, and its cold start is refused naming the runtime.
#[derive(Debug, Clone)]
pub struct HostResolver {
    region: String,
    runtimes: BTreeMap<String, ServedRuntime>,
}

impl HostResolver {
    /// `runtimes` as probed from the host (runtime id → interpreter).
    pub fn new(region: &str, runtimes: BTreeMap<String, ServedRuntime>) -> Self {
        Self {
            region: region.to_string(),
            runtimes,
        }
    }

    /// How the host serves `runtime`.
    pub fn served(&self, runtime: &str) -> Option<&ServedRuntime> {
        self.runtimes.get(runtime)
    }

    /// The runtimes the host serves, with their interpreter versions.
    pub fn runtimes(&self) -> &BTreeMap<String, ServedRuntime> {
        &self.runtimes
    }
}

impl EnvironmentResolver for HostResolver {
    fn resolve(&self, _function: &Function, version: &FunctionVersion) -> ResolvedEnvironment {
        let image = ImageId::host();
        let runtime = version.spec.runtime;
        ResolvedEnvironment {
            runtime_version: runtime.map(|r| RuntimeVersion::new(&self.region, &r, &image)),
            served: runtime.and_then(|r| self.runtimes.get(r.id()).cloned()),
            image,
        }
    }
}

/// Image id → root file system, for the images this engine can start sandboxes on.
#[derive(Debug, Default)]
pub struct ImageRegistry {
    roots: RwLock<HashMap<ImageId, ImageRoot>>,
}

impl ImageRegistry {
    /// A registry holding `host` only.
    pub fn with_host(host: ImageRoot) -> Self {
        let registry = Self::default();
        registry.register(ImageId::host(), host);
        registry
    }

    /// Makes `image` startable from `root` (replacing a previous root). Sandboxes already
    /// running keep the root they were started with.
    pub fn register(&self, image: ImageId, root: ImageRoot) {
        self.roots
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(image, root);
    }

    /// Forgets `image`; later cold starts on it fail with the reason.
    pub fn unregister(&self, image: &ImageId) -> Option<ImageRoot> {
        self.roots
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(image)
    }

    /// The root of `image`.
    pub fn get(&self, image: &ImageId) -> Option<ImageRoot> {
        self.roots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(image)
            .cloned()
    }

    /// The registered image ids, sorted.
    pub fn ids(&self) -> Vec<ImageId> {
        let mut ids: Vec<ImageId> = self
            .roots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        ids.sort();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_maps_ids_to_roots() {
        let host = ImageRoot::Host {
            etc_dir: "/run/lamina/image-host/etc".into(),
        };
        let registry = ImageRegistry::with_host(host.clone());
        assert_eq!(registry.get(&ImageId::host()), Some(host));
        let d13 = ImageId::new("debian-13").unwrap();
        assert_eq!(registry.get(&d13), None);
        registry.register(
            d13.clone(),
            ImageRoot::directory("/var/lib/lamina/images/debian-13"),
        );
        assert_eq!(
            registry.get(&d13),
            Some(ImageRoot::Directory {
                root: "/var/lib/lamina/images/debian-13".into()
            })
        );
        assert_eq!(registry.ids(), vec![d13.clone(), ImageId::host()]);
        assert!(registry.unregister(&d13).is_some());
        assert_eq!(registry.get(&d13), None);
    }
}
