//! Which image each local function runs on, decided as `lamina server` decides it: a
//! runtime the host serves exactly (its own interpreter of that version) runs on `host`;
//! any other runtime runs on its default image (`lamina_images::defaults`: debian-13 for
//! python3.13, debian-12-nodejs for nodejs20.x/22.x/24.x, …), taken from the data folder's
//! catalog or prepared into it the first time a function needs it (debootstrap and/or Node
//! from npm, shared with the server through the build cache). `--env IMAGE` runs every
//! function on that one image instead. A runtime no image serves is refused with the reason,
//! never run by another version's interpreter.
//!
//! It is the local run's one registry of images: the engine, given it as its resolver at
//! start, asks it for the root folder of each image it starts a sandbox on. It does not
//! start sandboxes and prints nothing itself: build progress goes to the [`Progress`] the
//! caller gives.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use lamina_engine::{EnvironmentResolver, ResolvedEnvironment};
use lamina_images::{BuildRequest, DiskCatalog, Progress};
use lamina_model::environment::{ImageId, RuntimeVersion, ServedRuntime};
use lamina_model::runtime::Runtime;
use lamina_model::{Function, FunctionVersion};

/// Where the images a local run needs come from.
pub struct ImageSource {
    /// The data folder's catalog (`lamina env list`; `LAMINA_DATA_DIR`).
    pub catalog: DiskCatalog,
    /// The build cache shared with the server (`LAMINA_IMAGE_CACHE`).
    pub cache_dir: std::path::PathBuf,
    /// Receives the progress of an image being prepared.
    pub progress: Arc<dyn Progress + Send>,
}

/// The local run's resolver: `host`'s runtimes, the images prepared so far, or one forced
/// image.
pub struct LocalEnvironments {
    region: String,
    host: BTreeMap<String, ServedRuntime>,
    /// `--env IMAGE`: every function runs there.
    forced: Option<(ImageId, BTreeMap<String, ServedRuntime>)>,
    /// Runtime → the default image prepared for it, with its interpreter.
    prepared: RwLock<BTreeMap<String, (ImageId, ServedRuntime)>>,
    /// Image → its root folder, for every image of the catalog taken so far (forced or
    /// prepared); `host` is the engine's own.
    roots: RwLock<HashMap<ImageId, PathBuf>>,
    source: ImageSource,
    /// One preparation at a time (two functions of one runtime share it).
    preparing: tokio::sync::Mutex<()>,
}

/// Why a function's environment cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum LocalImageError {
    /// No image serves the runtime, and none can be prepared.
    #[error(
        "no environment image serves {runtime}: this machine's interpreters serve {host}, and Lamina has no default image for {runtime} (build one with `lamina env build` and pass --env IMAGE)"
    )]
    NoImage {
        /// The runtime.
        runtime: String,
        /// What the host serves.
        host: String,
    },
    /// The forced image does not serve the runtime.
    #[error("environment image {image} does not serve {runtime} (it serves {served})")]
    NotServed {
        /// The image.
        image: ImageId,
        /// The runtime.
        runtime: String,
        /// What it serves.
        served: String,
    },
    /// The image named by `--env` is not in the data folder.
    #[error(
        "unknown execution environment {image}: not in {} (`lamina env list`; build it with `lamina env build`)",
        dir.display()
    )]
    Unknown {
        /// The image.
        image: String,
        /// The catalog's folder.
        dir: std::path::PathBuf,
    },
    /// Preparing the default image failed.
    #[error("preparing environment image {image} for {runtime} failed: {reason}")]
    Prepare {
        /// The image.
        image: ImageId,
        /// The runtime.
        runtime: String,
        /// Why.
        reason: String,
    },
}

fn listed(runtimes: &BTreeMap<String, ServedRuntime>) -> String {
    let interpreted: Vec<&str> = runtimes
        .iter()
        .filter(|(_, s)| !s.interpreter.is_empty())
        .map(|(r, _)| r.as_str())
        .collect();
    if interpreted.is_empty() {
        "no interpreted runtime".to_string()
    } else {
        interpreted.join(", ")
    }
}

impl LocalEnvironments {
    /// `host` serving `host_runtimes` (probed from `/`); with `forced`, every function runs
    /// on that image of the catalog (`host` included).
    pub fn new(
        region: &str,
        host_runtimes: BTreeMap<String, ServedRuntime>,
        forced: Option<&str>,
        source: ImageSource,
    ) -> Result<Self, LocalImageError> {
        let mut roots = HashMap::new();
        let forced = match forced {
            None => None,
            Some("host") => Some((ImageId::host(), host_runtimes.clone())),
            Some(name) => {
                let unknown = || LocalImageError::Unknown {
                    image: name.to_string(),
                    dir: source.catalog.dir().to_path_buf(),
                };
                let id = ImageId::new(name).map_err(|_| unknown())?;
                let stored = source.catalog.get(&id).map_err(|_| unknown())?;
                roots.insert(id.clone(), stored.rootfs);
                Some((id, stored.manifest.runtimes))
            }
        };
        Ok(Self {
            region: region.to_string(),
            host: host_runtimes,
            forced,
            prepared: RwLock::new(BTreeMap::new()),
            roots: RwLock::new(roots),
            source,
            preparing: tokio::sync::Mutex::new(()),
        })
    }

    fn prepared(&self, runtime: &str) -> Option<(ImageId, ServedRuntime)> {
        self.prepared
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(runtime)
            .cloned()
    }

    /// Where `runtime` runs now, if anywhere.
    fn placement(&self, runtime: &str) -> Option<(ImageId, ServedRuntime)> {
        if let Some((image, served)) = &self.forced {
            return served.get(runtime).map(|s| (image.clone(), s.clone()));
        }
        if let Some(served) = self.host.get(runtime) {
            return Some((ImageId::host(), served.clone()));
        }
        self.prepared(runtime)
    }

    /// Makes sure `runtime` has an image: nothing to do when the host (or the forced image)
    /// serves it; otherwise its default image is taken from the catalog, or built into it
    /// (minutes the first time, reported to the progress sink), and registered here.
    pub async fn ensure(&self, runtime: Runtime) -> Result<(), LocalImageError> {
        let id = runtime.id();
        if self.placement(id).is_some() {
            return Ok(());
        }
        if let Some((image, served)) = &self.forced {
            return Err(LocalImageError::NotServed {
                image: image.clone(),
                runtime: id.to_string(),
                served: listed(served),
            });
        }
        let Some(default) = lamina_images::defaults::default_image(id) else {
            return Err(LocalImageError::NoImage {
                runtime: id.to_string(),
                host: listed(&self.host),
            });
        };
        let _one = self.preparing.lock().await;
        if self.placement(id).is_some() {
            return Ok(());
        }
        let failed = |image: ImageId, reason: String| LocalImageError::Prepare {
            image,
            runtime: id.to_string(),
            reason,
        };
        let image = default
            .image_id()
            .map_err(|e| failed(ImageId::host(), e.to_string()))?;
        let catalog = self.source.catalog.clone();
        let cache_dir = self.source.cache_dir.clone();
        let progress = Arc::clone(&self.source.progress);
        let target = image.clone();
        let stored = tokio::task::spawn_blocking(move || {
            if catalog.contains(&target) {
                return catalog.get(&target);
            }
            let req = BuildRequest {
                recipe: default.recipe()?,
                id: target,
                mirror: None,
                use_cache: true,
                cache_dir,
            };
            let never = std::sync::atomic::AtomicBool::new(false);
            lamina_images::build(&catalog, &req, progress.as_ref(), &never)
        })
        .await
        .map_err(|e| failed(image.clone(), format!("the preparation task stopped: {e}")))?
        .map_err(|e| failed(image.clone(), e.to_string()))?;
        self.roots
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(stored.manifest.id.clone(), stored.rootfs.clone());
        let mut prepared = self
            .prepared
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (runtime, served) in &stored.manifest.runtimes {
            if default.runtimes.contains(&runtime.as_str()) && !self.host.contains_key(runtime) {
                prepared.insert(runtime.clone(), (image.clone(), served.clone()));
            }
        }
        if !prepared.contains_key(id) {
            return Err(failed(
                image,
                format!(
                    "the image was built but serves {} only",
                    listed(&stored.manifest.runtimes)
                ),
            ));
        }
        Ok(())
    }
}

impl EnvironmentResolver for LocalEnvironments {
    fn resolve(&self, _function: &Function, version: &FunctionVersion) -> ResolvedEnvironment {
        let runtime = version.spec.runtime;
        let placement = runtime.and_then(|r| self.placement(r.id()));
        let image = match (&placement, &self.forced) {
            (Some((image, _)), _) => image.clone(),
            (None, Some((image, _))) => image.clone(),
            (None, None) => ImageId::host(),
        };
        ResolvedEnvironment {
            runtime_version: runtime.map(|r| RuntimeVersion::new(&self.region, &r, &image)),
            served: placement.map(|(_, served)| served),
            image,
        }
    }

    fn image_dir(&self, image: &ImageId) -> Option<PathBuf> {
        self.roots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(image)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(path: &str, version: &str) -> ServedRuntime {
        ServedRuntime {
            interpreter: path.into(),
            version: version.into(),
        }
    }

    fn source(dir: &std::path::Path) -> ImageSource {
        ImageSource {
            catalog: DiskCatalog::new(dir),
            cache_dir: dir.join("cache"),
            progress: Arc::new(lamina_images::LogProgress),
        }
    }

    #[tokio::test]
    async fn host_runtimes_stay_on_host_and_unknown_ones_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let host = BTreeMap::from([(
            "python3.11".to_string(),
            served("/usr/bin/python3.11", "3.11.2"),
        )]);
        let envs = LocalEnvironments::new("us-east-1", host, None, source(dir.path())).unwrap();
        envs.ensure("python3.11".parse().unwrap()).await.unwrap();
        let err = envs
            .ensure("python3.12".parse().unwrap())
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("no environment image serves python3.12: this machine's interpreters serve python3.11"),
            "{err}"
        );
        assert!(envs.roots.read().unwrap().is_empty(), "no image taken");
    }

    #[tokio::test]
    async fn a_prepared_image_in_the_catalog_serves_its_runtimes() {
        let dir = tempfile::tempdir().unwrap();
        // debian-13 as `lamina env build` leaves it in the data folder.
        let image_dir = dir.path().join("images/debian-13");
        std::fs::create_dir_all(image_dir.join("rootfs")).unwrap();
        let mut manifest = lamina_model::environment::ImageManifest::minimal(
            ImageId::new("debian-13").unwrap(),
            "debian",
            "13",
        );
        manifest
            .runtimes
            .insert("python3.13".into(), served("/usr/bin/python3.13", "3.13.5"));
        lamina_images::write_manifest(&image_dir.join("manifest.json"), &manifest).unwrap();
        let envs =
            LocalEnvironments::new("us-east-1", BTreeMap::new(), None, source(dir.path())).unwrap();
        envs.ensure("python3.13".parse().unwrap()).await.unwrap();
        let d13 = ImageId::new("debian-13").unwrap();
        let root = std::fs::canonicalize(image_dir.join("rootfs")).unwrap();
        assert_eq!(envs.image_dir(&d13), Some(root.clone()));
        assert_eq!(
            envs.placement("python3.13"),
            Some((
                ImageId::new("debian-13").unwrap(),
                served("/usr/bin/python3.13", "3.13.5")
            ))
        );
        // A forced image that lacks the runtime refuses it, naming what it serves.
        let forced = LocalEnvironments::new(
            "us-east-1",
            BTreeMap::new(),
            Some("debian-13"),
            source(dir.path()),
        )
        .unwrap();
        assert_eq!(forced.image_dir(&d13), Some(root));
        let err = forced
            .ensure("nodejs22.x".parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment image debian-13 does not serve nodejs22.x (it serves python3.13)"
        );
        assert!(
            LocalEnvironments::new(
                "us-east-1",
                BTreeMap::new(),
                Some("debian-99"),
                source(dir.path()),
            )
            .is_err()
        );
    }
}
