//! Environment images through the control plane: listing and showing the catalog, building
//! an image on the server, removing one (refused while a function runs on it, pins it, or a
//! plan names it), and the compatibility scanner over stored code and layers — per function,
//! per plan, and as the [`CompatibilityScanner`] behind `lamina migrate status`.
//!
//! The work itself (debootstrap, probing, the on-disk catalog, ELF rules) is
//! `lamina_images`'; this file decides what is allowed and keeps the one registry of images
//! ([`super::Environments`], which the engine reads) and the disk in step.

use std::path::PathBuf;
use std::sync::Arc;

use lamina_images::scan::{Package, ScanReport};
use lamina_images::{BuildRequest, DiskCatalog, LogProgress, Recipe};
use lamina_model::environment::{ImageId, ImageManifest, RuntimeVersion};
use lamina_model::{Function, FunctionVersion, LambdaError, LambdaResult};
use lamina_store::Store;
use serde::{Deserialize, Serialize};

use super::Control;
use super::environments::CompatibilityScanner;

/// Where a server keeps its images: the data folder's catalog and the build cache.
#[derive(Debug, Clone)]
pub struct ImageService {
    /// `<data>/images`.
    pub catalog: DiskCatalog,
    /// The build cache (`/var/cache/lamina/images`).
    pub cache_dir: PathBuf,
}

/// `POST /lamina/images`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BuildImageRequest {
    /// `debian-12` or `debian-13`.
    pub base: String,
    /// The image's name (default: the base, plus `-with-<packages>`).
    #[serde(default)]
    pub name: Option<String>,
    /// Extra Debian packages.
    #[serde(default)]
    pub packages: Vec<String>,
    /// Node.js majors installed from npm into `/var/lang/nodejs<major>`.
    #[serde(default)]
    pub node: Vec<u32>,
    /// Build from scratch and keep the result out of the cache.
    #[serde(default)]
    pub no_cache: bool,
    /// The Debian archive (default: the server's apt sources).
    #[serde(default)]
    pub mirror: Option<String>,
}

/// An image in a listing: its manifest without the library table.
#[derive(Debug, Clone, Serialize)]
pub struct ImageSummary {
    /// The id.
    pub id: ImageId,
    /// OS id.
    pub os_id: String,
    /// OS version.
    pub os_version: String,
    /// glibc.
    pub glibc_version: Option<String>,
    /// Each interpreted runtime it serves → the interpreter's exact version.
    pub runtimes: std::collections::BTreeMap<String, String>,
    /// How many sonames it has.
    pub library_count: usize,
    /// The content digest.
    pub digest: String,
}

impl ImageSummary {
    fn of(m: &ImageManifest) -> Self {
        let runtimes = m
            .runtimes
            .iter()
            .filter(|(_, r)| !r.version.is_empty())
            .map(|(id, r)| (id.clone(), r.version.clone()))
            .collect();
        Self {
            id: m.id.clone(),
            os_id: m.os_id.clone(),
            os_version: m.os_version.clone(),
            glibc_version: m.glibc_version.clone(),
            runtimes,
            library_count: m.libraries.len(),
            digest: m.digest.clone(),
        }
    }
}

/// One image in full, with the runtime version ARN of each runtime it serves.
#[derive(Debug, Clone, Serialize)]
pub struct ImageDetail {
    /// The manifest.
    #[serde(flatten)]
    pub manifest: ImageManifest,
    /// Runtime → its runtime version ARN on this image.
    pub runtime_version_arns: std::collections::BTreeMap<String, String>,
}

/// A plan-wide impact report: every function version the plan covers, scanned against the
/// plan's target image.
#[derive(Debug, Clone, Serialize)]
pub struct PlanImpact {
    /// The plan.
    pub plan: String,
    /// Its target image.
    pub image: ImageId,
    /// One report per covered function version (`target` is `function:version`).
    pub functions: Vec<ScanReport>,
    /// How many are potentially affected.
    pub affected: usize,
}

fn images_error(e: lamina_images::ImagesError) -> LambdaError {
    use lamina_images::ImagesError as E;
    match e {
        E::NotFound(_) => LambdaError::not_found(e.to_string()),
        E::Exists(_) => LambdaError::conflict(e.to_string()),
        E::UnknownBase(_)
        | E::InvalidPackage(_)
        | E::InvalidId(_)
        | E::Scan { .. }
        | E::UnsupportedNode { .. } => LambdaError::invalid_parameter(e.to_string()),
        other => LambdaError::service(other.to_string()),
    }
}

fn image_id(id: &str) -> LambdaResult<ImageId> {
    ImageId::new(id).map_err(|e| LambdaError::invalid_parameter(e.to_string()))
}

/// A stored package: its name, where it is mounted, its zip.
type StoredPackage = (String, &'static str, Vec<u8>);

/// The code and layer zips of `version`, read from `store` (flag layers carry none).
fn packages_of(store: &dyn Store, version: &FunctionVersion) -> Result<Vec<StoredPackage>, String> {
    let mut out = Vec::new();
    let read = |sha: &str| -> Result<Vec<u8>, String> {
        store
            .read_blob(sha)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("blob {sha} is missing from the store"))
    };
    out.push((
        "code".to_string(),
        "/var/task",
        read(&version.code.sha256_hex)?,
    ));
    for layer in &version.spec.layers {
        if let Some(content) = &layer.content {
            out.push((layer.arn.clone(), "/opt", read(&content.sha256_hex)?));
        }
    }
    Ok(out)
}

/// Scans `version` of `target` from `store` against `image`.
fn scan_version(
    store: &dyn Store,
    target: &str,
    version: &FunctionVersion,
    image: &ImageManifest,
) -> Result<ScanReport, String> {
    let zips = packages_of(store, version)?;
    let packages: Vec<Package<'_>> = zips
        .iter()
        .map(|(name, mount, zip)| Package { name, mount, zip })
        .collect();
    lamina_images::scan::scan_packages(target, &packages, image, version.spec.runtime)
        .map_err(|e| e.to_string())
}

/// The scanner `lamina migrate status` uses: the stored code and layers of each version.
pub struct StoreScanner {
    store: Arc<dyn Store>,
}

impl StoreScanner {
    /// A scanner reading packages from `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

impl CompatibilityScanner for StoreScanner {
    fn verdict(
        &self,
        function: &Function,
        version: &FunctionVersion,
        image: &ImageManifest,
    ) -> String {
        match scan_version(self.store.as_ref(), &function.name, version, image) {
            Ok(report) => report.summary(),
            Err(e) => format!("not scanned: {e}"),
        }
    }
}

impl Control {
    /// Every image, summarised.
    pub fn list_images(&self) -> Vec<ImageSummary> {
        self.environments
            .catalog()
            .iter()
            .map(ImageSummary::of)
            .collect()
    }

    /// One image in full.
    pub fn get_image(&self, id: &str) -> LambdaResult<ImageDetail> {
        let id = image_id(id)?;
        let catalog = self.environments.catalog();
        let manifest = catalog
            .get(&id)
            .ok_or_else(|| LambdaError::not_found(format!("no image {id} in the catalog")))?
            .clone();
        let region = self.account.region.clone();
        let runtime_version_arns = manifest
            .runtimes
            .keys()
            .map(|r| (r.clone(), RuntimeVersion::new(&region, r, &id).arn))
            .collect();
        Ok(ImageDetail {
            manifest,
            runtime_version_arns,
        })
    }

    /// Builds (or links from the cache) an image on the server and registers it (manifest
    /// and root) where the engine finds it; an image of that name already in the data folder (built by
    /// `lamina env build` while the server ran) is loaded instead. Blocks a worker thread
    /// for the build's length.
    pub async fn build_image(
        &self,
        service: &ImageService,
        request: BuildImageRequest,
    ) -> LambdaResult<ImageManifest> {
        let recipe = Recipe::new(&request.base, &request.packages)
            .and_then(|r| r.with_node(&request.node))
            .map_err(images_error)?;
        let id = match &request.name {
            Some(n) => image_id(n)?,
            None => recipe.default_id().map_err(images_error)?,
        };
        if self.environments.catalog().contains(&id) {
            return Err(LambdaError::conflict(format!(
                "image {id} exists already; remove it first or choose another Name"
            )));
        }
        // Built by `lamina env build` into this data folder while the server ran: load it.
        if service.catalog.contains(&id) {
            let stored = service.catalog.get(&id).map_err(images_error)?;
            self.register_stored_image(&stored);
            return Ok(stored.manifest);
        }
        let req = BuildRequest {
            recipe,
            id,
            mirror: request.mirror,
            use_cache: !request.no_cache,
            cache_dir: service.cache_dir.clone(),
        };
        let catalog = service.catalog.clone();
        let stored = tokio::task::spawn_blocking(move || {
            let never = std::sync::atomic::AtomicBool::new(false);
            lamina_images::build(&catalog, &req, &LogProgress, &never)
        })
        .await
        .map_err(|e| LambdaError::service(format!("the image build stopped: {e}")))?
        .map_err(images_error)?;
        self.register_stored_image(&stored);
        Ok(stored.manifest)
    }

    /// Registers an image of the disk catalog (its manifest and root folder) in the one
    /// registry of images, where the engine finds it.
    pub fn register_stored_image(&self, image: &lamina_images::StoredImage) {
        self.environments
            .register_image(image.manifest.clone(), Some(image.rootfs.clone()));
    }

    /// Removes image `id` from the registry of images and the data folder, unless something
    /// depends on it (409 naming what, from [`Control::image_dependents`]).
    pub async fn delete_image(&self, service: &ImageService, id: &str) -> LambdaResult<()> {
        let id = image_id(id)?;
        if !self.environments.catalog().contains(&id) {
            return Err(LambdaError::not_found(format!(
                "no image {id} in the catalog"
            )));
        }
        let why = self.image_dependents(&id).await?;
        if !why.is_empty() {
            return Err(LambdaError::conflict(format!(
                "image {id} is in use and was not removed: {}",
                why.join("; ")
            )));
        }
        self.environments.remove_image(&id)?;
        let catalog = service.catalog.clone();
        let disk = id.clone();
        let removed = tokio::task::spawn_blocking(move || catalog.remove(&disk))
            .await
            .map_err(|e| LambdaError::service(e.to_string()))?;
        match removed {
            // Registered with --image-root: nothing of ours on disk.
            Ok(()) | Err(lamina_images::ImagesError::NotFound(_)) => Ok(()),
            Err(e) => Err(images_error(e)),
        }
    }

    /// Scans a function version's code and layers against image `image`.
    pub async fn scan_function(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
        image: &str,
    ) -> LambdaResult<ScanReport> {
        let id = image_id(image)?;
        let manifest = self
            .environments
            .catalog()
            .get(&id)
            .cloned()
            .ok_or_else(|| LambdaError::not_found(format!("no image {id} in the catalog")))?;
        let (function, version) = self.resolve(function_name, qualifier).await?;
        let store = Arc::clone(&self.store);
        let target = format!("{}:{}", function.name, version.version);
        tokio::task::spawn_blocking(move || {
            scan_version(store.as_ref(), &target, &version, &manifest)
        })
        .await
        .map_err(|e| LambdaError::service(e.to_string()))?
        .map_err(LambdaError::service)
    }

    /// Every function version plan `plan` covers, scanned against its target image.
    pub async fn scan_plan(&self, plan: &str) -> LambdaResult<PlanImpact> {
        let plan = self.get_plan(plan).await?;
        let manifest = self
            .environments
            .catalog()
            .get(&plan.to_image)
            .cloned()
            .ok_or_else(|| {
                LambdaError::not_found(format!(
                    "plan {}'s target image {} is not in the catalog",
                    plan.name, plan.to_image
                ))
            })?;
        let covered: Vec<(Function, FunctionVersion)> = self
            .all_versions()
            .await?
            .into_iter()
            .filter(|(_, v)| {
                v.spec
                    .runtime
                    .as_deref()
                    .is_some_and(|r| plan.runtimes.covers(r))
            })
            .collect();
        let store = Arc::clone(&self.store);
        let functions = tokio::task::spawn_blocking(move || {
            covered
                .iter()
                .map(|(f, v)| {
                    let target = format!("{}:{}", f.name, v.version);
                    scan_version(store.as_ref(), &target, v, &manifest)
                })
                .collect::<Result<Vec<_>, String>>()
        })
        .await
        .map_err(|e| LambdaError::service(e.to_string()))?
        .map_err(LambdaError::service)?;
        let affected = functions
            .iter()
            .filter(|r| r.verdict == lamina_images::scan::POTENTIALLY_AFFECTED)
            .count();
        Ok(PlanImpact {
            plan: plan.name,
            image: plan.to_image,
            functions,
            affected,
        })
    }
}
