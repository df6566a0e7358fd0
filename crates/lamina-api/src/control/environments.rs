//! The control plane's view of execution environments: the image catalog, the migration
//! plans in force (cached in memory, reloaded from the store after every plan change) and
//! the clock. It answers, from memory only, which image and runtime version a function
//! version runs on now: for `RuntimeVersionConfig`, for the engine at every invoke, and for
//! the migration status report.
//!
//! The catalog starts with `host`; the images side (`lamina env`) registers more with
//! [`Environments::register_image`]. The scanner verdict shown by `lamina migrate status` comes
//! from a [`CompatibilityScanner`] set with [`Environments::set_scanner`]; without one, every
//! verdict is "not scanned".

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use lamina_model::environment::{
    EnvironmentError, FunctionFacts, ImageCatalog, ImageId, ImageManifest, MigrationPlan, PlanSet,
    Resolution,
};
use lamina_model::runtime::Runtime;
use lamina_model::{Clock, Function, FunctionVersion, LambdaError};
use time::OffsetDateTime;

use crate::RuntimeVersions;

/// The verdict shown when no scanner is wired.
pub const NOT_SCANNED: &str = "not scanned";

/// Judges whether a function version's native code can run on an image (the ELF scanner).
/// Called off the invoke path, on the blocking pool: it may read the code from the store.
pub trait CompatibilityScanner: Send + Sync + 'static {
    /// `compatible`, `no native code`, or `potentially affected: …` naming what is missing.
    fn verdict(
        &self,
        function: &Function,
        version: &FunctionVersion,
        image: &ImageManifest,
    ) -> String;
}

/// Images, plans and the clock, shared by the control plane, the API and the engine.
pub struct Environments {
    clock: Arc<dyn Clock>,
    catalog: RwLock<Arc<ImageCatalog>>,
    plans: RwLock<Arc<PlanSet>>,
    loaded: AtomicBool,
    scanner: OnceLock<Arc<dyn CompatibilityScanner>>,
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

impl Environments {
    /// `host` described by `host` (its id is forced to `host`), no plans yet, functions
    /// defaulting to `host`, runtime version ARNs in `region`.
    pub fn new(region: &str, clock: Arc<dyn Clock>, host: ImageManifest) -> Self {
        Self {
            clock,
            catalog: RwLock::new(Arc::new(ImageCatalog::with_host(host))),
            plans: RwLock::new(Arc::new(PlanSet::new(ImageId::host(), region))),
            loaded: AtomicBool::new(false),
            scanner: OnceLock::new(),
        }
    }

    /// The clock resolution reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The images known now.
    pub fn catalog(&self) -> Arc<ImageCatalog> {
        read(&self.catalog)
    }

    /// Adds or replaces an image (the images side calls this after a build or at start-up).
    pub fn register_image(&self, manifest: ImageManifest) {
        let mut guard = self
            .catalog
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut next = (**guard).clone();
        next.insert(manifest);
        *guard = Arc::new(next);
    }

    /// Removes an image from the catalog, refusing when a plan names it (the images side
    /// must also check pins with [`Environments::image_users`]).
    pub fn remove_image(&self, id: &ImageId) -> Result<Option<ImageManifest>, LambdaError> {
        if id.as_str() == lamina_model::environment::HOST_IMAGE {
            return Err(LambdaError::invalid_parameter(
                "the host image cannot be removed",
            ));
        }
        let users = self.image_users(id);
        if !users.is_empty() {
            return Err(LambdaError::conflict(format!(
                "image {id} is used by migration plan(s) {}",
                users.join(", ")
            )));
        }
        let mut guard = self
            .catalog
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut next = (**guard).clone();
        let removed = next.remove(id);
        *guard = Arc::new(next);
        Ok(removed)
    }

    /// The plans that name `image` as their from or to image.
    pub fn image_users(&self, image: &ImageId) -> Vec<String> {
        self.plans()
            .plans()
            .iter()
            .filter(|p| &p.from_image == image || &p.to_image == image)
            .map(|p| p.name.clone())
            .collect()
    }

    /// Sets the compatibility scanner (once; false if one was set).
    pub fn set_scanner(&self, scanner: Arc<dyn CompatibilityScanner>) -> bool {
        self.scanner.set(scanner).is_ok()
    }

    /// The scanner, if wired.
    pub fn scanner(&self) -> Option<&Arc<dyn CompatibilityScanner>> {
        self.scanner.get()
    }

    /// The plans in force (empty until loaded from the store).
    pub fn plans(&self) -> Arc<PlanSet> {
        read(&self.plans)
    }

    /// Whether the plans have been loaded from the store.
    pub fn loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// Replaces the plans in force (after loading them or after a change).
    pub(crate) fn set_plans(&self, plans: Vec<MigrationPlan>) {
        let mut guard = self
            .plans
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let next = (**guard).clone().with_plans(plans);
        *guard = Arc::new(next);
        self.loaded.store(true, Ordering::Release);
    }

    /// Where `version` runs at `at`.
    pub fn resolve_at(
        &self,
        function: &Function,
        version: &FunctionVersion,
        at: OffsetDateTime,
    ) -> Resolution {
        self.plans()
            .resolve(&FunctionFacts::of(function, version), at)
    }

    /// Where `version` runs now.
    pub fn resolve(&self, function: &Function, version: &FunctionVersion) -> Resolution {
        self.resolve_at(function, version, self.clock.now())
    }

    /// Checks a `Manual` pin: an ARN of this region, for the function's runtime, on an image
    /// the catalog has and that serves that runtime.
    pub fn check_pin(&self, arn: &str, runtime: Option<&str>) -> Result<(), LambdaError> {
        let region = self.plans().region().to_string();
        let unknown = |why: String| {
            LambdaError::invalid_parameter(format!(
                "RuntimeVersionArn {arn} is not a runtime version of this server: {why}"
            ))
        };
        let version =
            lamina_model::environment::RuntimeVersion::parse_arn(&region, arn).map_err(|_| {
                unknown(format!(
                    "expected arn:aws:lambda:{region}::runtime:<runtime>.<image>"
                ))
            })?;
        if let Some(runtime) = runtime.filter(|r| *r != version.runtime) {
            return Err(unknown(format!(
                "it is for {}, but the function's runtime is {runtime}",
                version.runtime
            )));
        }
        let catalog = self.catalog();
        if !catalog.contains(&version.image) {
            return Err(unknown(format!("there is no image {}", version.image)));
        }
        if !catalog.serves(&version.image, &version.runtime) {
            return Err(unknown(format!(
                "image {} does not serve {}",
                version.image, version.runtime
            )));
        }
        Ok(())
    }
}

impl Environments {
    /// Refuses a runtime no image of this server serves, before anything is stored: the
    /// 400 says why and which runtimes this server serves. A function is never run by
    /// another language version than its runtime names.
    pub fn check_servable(&self, runtime: Runtime) -> Result<(), LambdaError> {
        let catalog = self.catalog();
        if catalog.iter().any(|m| {
            m.runtimes.contains_key(runtime.id())
                || (m.runtimes.is_empty() && runtime.is_runnable())
        }) {
            return Ok(());
        }
        let served: Vec<String> = catalog.runtimes_served().into_keys().collect();
        let why = match runtime.language() {
            Some(language) => format!(
                "no environment image of this server has {language} (build or register an image that provides it; see docs/images.md)"
            ),
            None => "Lamina does not run this runtime family yet".to_string(),
        };
        Err(LambdaError::invalid_parameter(format!(
            "The runtime parameter of {runtime} is not served by this Lamina server: {why}. Runtimes this server serves: {}",
            served.join(", ")
        )))
    }
}

/// An environment error as the client sees it: a plan that collides with another is a
/// conflict (409); everything else is a bad parameter (400).
pub fn client_error(e: EnvironmentError) -> LambdaError {
    match e {
        EnvironmentError::FlagInUse { .. } | EnvironmentError::Overlap { .. } => {
            LambdaError::conflict(e.to_string())
        }
        other => LambdaError::invalid_parameter(other.to_string()),
    }
}

impl RuntimeVersions for Environments {
    fn runtime_version_arn(
        &self,
        function: &Function,
        version: &FunctionVersion,
    ) -> Option<String> {
        self.resolve(function, version)
            .runtime_version
            .map(|v| v.arn)
    }

    fn runtime_version_warnings(
        &self,
        function: &Function,
        version: &FunctionVersion,
    ) -> Vec<String> {
        self.resolve(function, version).warnings
    }
}

impl lamina_engine::EnvironmentResolver for Environments {
    fn resolve(
        &self,
        function: &Function,
        version: &FunctionVersion,
    ) -> lamina_engine::ResolvedEnvironment {
        let r = Environments::resolve(self, function, version);
        let served = version
            .spec
            .runtime
            .and_then(|runtime| self.catalog().served(&r.image, &runtime).cloned());
        lamina_engine::ResolvedEnvironment {
            image: r.image,
            runtime_version: r.runtime_version,
            served,
        }
    }
}
