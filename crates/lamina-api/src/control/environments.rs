//! The control plane's view of execution environments: the image catalog, the migration
//! plans in force (cached in memory, reloaded from the store after every plan change) and
//! the clock. It answers, from memory only, which image and runtime version a function
//! version runs on now: for `RuntimeVersionConfig`, for the engine at every invoke, and for
//! the migration status report.
//!
//! This is the one registry of images: the catalog starts with `host`; the images side
//! (`lamina env`, `--image-root`, default-image preparation) registers each other image once,
//! with its manifest and its root folder, with [`Environments::register_image`], and the
//! engine reads both from here (it keeps no registry of its own). The scanner verdict shown by `lamina migrate status` comes
//! from a [`CompatibilityScanner`] set with [`Environments::set_scanner`]; without one, every
//! verdict is "not scanned".

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use lamina_model::environment::{
    EnvironmentError, FunctionFacts, ImageCatalog, ImageId, ImageManifest, MigrationPlan, PlanSet,
    Resolution,
};
use lamina_model::function::{Reason, State, UpdateStatus};
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

/// Where the preparation of a default image stands (absent: not needed, or finished).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preparation {
    /// Being built in the background.
    Running,
    /// The build failed, for this reason; the next function that needs the image retries.
    Failed(String),
}

/// A function version's state as it stands now, when an image preparation decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveState {
    /// `State`.
    pub state: State,
    /// `StateReason[Code]`.
    pub state_reason: Option<Reason>,
    /// `LastUpdateStatus`.
    pub last_update_status: UpdateStatus,
    /// `LastUpdateStatusReason[Code]`.
    pub update_reason: Option<Reason>,
}

impl LiveState {
    /// Writes this state into a configuration's wire shape.
    pub fn apply(&self, view: &mut lamina_model::view::FunctionConfiguration) {
        view.state = self.state;
        view.state_reason = self.state_reason.as_ref().map(|r| r.reason.clone());
        view.state_reason_code = self.state_reason.as_ref().map(|r| r.code.clone());
        view.last_update_status = self.last_update_status;
        view.last_update_status_reason = self.update_reason.as_ref().map(|r| r.reason.clone());
        view.last_update_status_reason_code = self.update_reason.as_ref().map(|r| r.code.clone());
    }
}

/// `StateReasonCode` of a version waiting for its image (`Pending` or `InProgress`).
pub const WAITING_CODE: &str = "Creating";
/// `StateReasonCode` of a version whose image could not be prepared.
pub const FAILED_CODE: &str = "InternalError";
/// How the reason of a failed preparation begins (so it is told from other failures).
const FAILED_PREFIX: &str = "Preparing environment image ";

/// Why a version waits for `image`: the `StateReason` (created) or `LastUpdateStatusReason`
/// (updated) stored with it.
pub fn waiting_reason(image: &ImageId, runtime: &str, created: bool) -> Reason {
    let doing = if created { "created" } else { "updated" };
    Reason::new(
        WAITING_CODE,
        format!(
            "The function is being {doing}: environment image {image} for {runtime} is being prepared."
        ),
    )
}

/// Why a version's image could not be prepared.
pub fn failed_reason(image: &ImageId, runtime: &str, why: &str) -> Reason {
    Reason::new(
        FAILED_CODE,
        format!("{FAILED_PREFIX}{image} for {runtime} failed: {why}"),
    )
}

/// Whether the state stored with `version` was set by an image preparation (waiting for
/// one, or failed by one), so that the preparation's end settles it.
pub fn bound_to_preparation(version: &FunctionVersion) -> bool {
    let ours = |r: &Option<Reason>| {
        r.as_ref().is_some_and(|r| {
            r.code == WAITING_CODE || (r.code == FAILED_CODE && r.reason.starts_with(FAILED_PREFIX))
        })
    };
    ours(&version.state_reason) || ours(&version.update_reason)
}

/// The state a preparation's end gives a version bound to it: `Active`/`Successful` when
/// the image is ready, `Failed` with the reason otherwise.
pub fn settled(version: &FunctionVersion, image: &ImageId, outcome: Result<(), &str>) -> LiveState {
    let runtime = version.spec.runtime.map(|r| r.id()).unwrap_or_default();
    let created = version.state != State::Active;
    match (outcome, created) {
        (Ok(()), _) => LiveState {
            state: State::Active,
            state_reason: None,
            last_update_status: UpdateStatus::Successful,
            update_reason: None,
        },
        (Err(why), true) => LiveState {
            state: State::Failed,
            state_reason: Some(failed_reason(image, runtime, why)),
            last_update_status: UpdateStatus::Failed,
            update_reason: None,
        },
        (Err(why), false) => LiveState {
            state: version.state,
            state_reason: None,
            last_update_status: UpdateStatus::Failed,
            update_reason: Some(failed_reason(image, runtime, why)),
        },
    }
}

/// Images, plans and the clock, shared by the control plane, the API and the engine.
pub struct Environments {
    clock: Arc<dyn Clock>,
    catalog: RwLock<Arc<ImageCatalog>>,
    /// Where each directory image's root file system is (`host` has none: the engine
    /// builds its own).
    roots: RwLock<HashMap<ImageId, PathBuf>>,
    plans: RwLock<Arc<PlanSet>>,
    loaded: AtomicBool,
    scanner: OnceLock<Arc<dyn CompatibilityScanner>>,
    preparing: Mutex<BTreeMap<ImageId, Preparation>>,
    /// Each finished preparation (the image, and why it failed), for the control plane to
    /// write the states of the functions that waited for it.
    finished: tokio::sync::broadcast::Sender<(ImageId, Result<(), String>)>,
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
        let catalog = ImageCatalog::with_host(host);
        let plans = PlanSet::new(ImageId::host(), region).with_images(
            lamina_images::defaults::runtime_defaults(&catalog),
            &catalog,
        );
        Self {
            clock,
            catalog: RwLock::new(Arc::new(catalog)),
            roots: RwLock::new(HashMap::new()),
            plans: RwLock::new(Arc::new(plans)),
            loaded: AtomicBool::new(false),
            scanner: OnceLock::new(),
            preparing: Mutex::new(BTreeMap::new()),
            finished: tokio::sync::broadcast::channel(64).0,
        }
    }

    /// Each preparation's end from now on.
    pub fn finished_preparations(
        &self,
    ) -> tokio::sync::broadcast::Receiver<(ImageId, Result<(), String>)> {
        self.finished.subscribe()
    }

    /// Recomputes what the plans know of the images (each runtime's default image, what
    /// each image serves) after the catalog changed.
    fn refresh_plans(&self, catalog: &ImageCatalog) {
        let mut guard = self
            .plans
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let next = (**guard)
            .clone()
            .with_images(lamina_images::defaults::runtime_defaults(catalog), catalog);
        *guard = Arc::new(next);
    }

    /// Where the preparation of `image` stands.
    pub fn preparation(&self, image: &ImageId) -> Option<Preparation> {
        self.preparing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(image)
            .cloned()
    }

    /// Marks `image` as being prepared; false when it already is (concurrent creations
    /// share one preparation).
    pub(crate) fn begin_preparation(&self, image: &ImageId) -> bool {
        let mut map = self
            .preparing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.get(image) == Some(&Preparation::Running) {
            return false;
        }
        map.insert(image.clone(), Preparation::Running);
        true
    }

    /// Records the end of `image`'s preparation (registering it is the caller's job) and
    /// announces it.
    pub(crate) fn end_preparation(&self, image: &ImageId, result: Result<(), String>) {
        {
            let mut map = self
                .preparing
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match &result {
                Ok(()) => {
                    map.remove(image);
                }
                Err(reason) => {
                    map.insert(image.clone(), Preparation::Failed(reason.clone()));
                }
            }
        }
        // No listener (tests, or a server that has not started one) is fine.
        let _ = self.finished.send((image.clone(), result));
    }

    /// The state `version` is in now when an image preparation decides it: a version that
    /// resolves to an image being prepared is `Pending` (created) or `InProgress` (updated);
    /// one whose image failed to prepare is `Failed`. The store holds the same states
    /// (written at the change and when the preparation ends); memory decides while this
    /// server prepares, and a stored wait whose image is in the catalog by now is settled
    /// (published versions keep the state they were published with).
    pub fn live_state(&self, function: &Function, version: &FunctionVersion) -> Option<LiveState> {
        let bound = bound_to_preparation(version);
        // The common case, on every invoke: nothing is being prepared or waited for.
        if !bound
            && self
                .preparing
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .is_empty()
        {
            return None;
        }
        let image = self.resolve(function, version).image;
        let Some(preparation) = self.preparation(&image) else {
            // No preparation here now, and the image is ready: what `settle` writes for a
            // stored wait *or* a stored failure (a restart that prepared it again). Between
            // the preparation's end and that write, the stored state must not show: a
            // waiter would read a stale `Failed` as terminal.
            return (bound && self.catalog().contains(&image))
                .then(|| settled(version, &image, Ok(())));
        };
        let runtime = version
            .spec
            .runtime
            .map(|r| r.to_string())
            .unwrap_or_default();
        // A function never updated since its creation is being created; otherwise updated.
        let created = version.state == State::Pending || version.last_modified <= function.created;
        Some(match (preparation, created) {
            (Preparation::Running, true) => LiveState {
                state: State::Pending,
                state_reason: Some(waiting_reason(&image, &runtime, true)),
                last_update_status: version.last_update_status,
                update_reason: None,
            },
            (Preparation::Running, false) => LiveState {
                state: version.state,
                state_reason: None,
                last_update_status: UpdateStatus::InProgress,
                update_reason: Some(waiting_reason(&image, &runtime, false)),
            },
            (Preparation::Failed(why), true) => LiveState {
                state: State::Failed,
                state_reason: Some(failed_reason(&image, &runtime, &why)),
                last_update_status: UpdateStatus::Failed,
                update_reason: None,
            },
            (Preparation::Failed(why), false) => LiveState {
                state: version.state,
                state_reason: None,
                last_update_status: UpdateStatus::Failed,
                update_reason: Some(failed_reason(&image, &runtime, &why)),
            },
        })
    }

    /// Refuses to invoke a version that cannot run yet, in Lambda's words.
    pub fn check_invocable(
        &self,
        function: &Function,
        version: &FunctionVersion,
    ) -> Result<(), LambdaError> {
        // What memory says, else what the store says (another node's or an earlier run's
        // preparation).
        let (state, update) = match self.live_state(function, version) {
            Some(live) => (live.state, live.last_update_status),
            None if bound_to_preparation(version) => (version.state, version.last_update_status),
            None => return Ok(()),
        };
        let state = match (state, update) {
            (State::Active, UpdateStatus::InProgress) => {
                return Err(LambdaError::conflict(format!(
                    "The operation cannot be performed at this time. An update is in progress for resource: {}",
                    function.name
                )));
            }
            (State::Active, UpdateStatus::Failed) => State::Failed,
            (State::Active, _) => return Ok(()),
            (other, _) => other,
        };
        let name = match state {
            State::Pending => "Pending",
            State::Failed => "Failed",
            State::Inactive => "Inactive",
            State::Active => "Active",
        };
        Err(LambdaError::conflict(format!(
            "The operation cannot be performed at this time. The function is currently in the following state: {name}"
        )))
    }

    /// The default image `runtime` needs that is not built yet and that this server can
    /// prepare, if any.
    pub fn image_to_prepare(&self, runtime: Runtime) -> Option<ImageId> {
        let image = self.plans().default_image_for(runtime.id()).clone();
        if self.catalog().contains(&image) {
            return None;
        }
        lamina_images::defaults::by_id(&image).map(|_| image)
    }

    /// The clock resolution reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The images known now.
    pub fn catalog(&self) -> Arc<ImageCatalog> {
        read(&self.catalog)
    }

    /// Adds or replaces an image (the images side calls this after a build or at start-up):
    /// its manifest, and the folder of its root file system when the engine may start
    /// sandboxes on it (`None`: known to the catalog only, as `host` and router tests are).
    pub fn register_image(&self, manifest: ImageManifest, root: Option<PathBuf>) {
        {
            let mut roots = self
                .roots
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match root {
                Some(root) => roots.insert(manifest.id.clone(), root),
                None => roots.remove(&manifest.id),
            };
        }
        let mut guard = self
            .catalog
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut next = (**guard).clone();
        next.insert(manifest);
        *guard = Arc::new(next.clone());
        drop(guard);
        self.refresh_plans(&next);
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
        *guard = Arc::new(next.clone());
        drop(guard);
        self.roots
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
        self.refresh_plans(&next);
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
        }) || lamina_images::defaults::default_image(runtime.id()).is_some()
        {
            return Ok(());
        }
        // Served by an image now, or by a default image this server can prepare.
        let mut served: Vec<String> = catalog.runtimes_served().into_keys().collect();
        served.extend(
            lamina_images::defaults::DEFAULT_IMAGES
                .iter()
                .flat_map(|d| d.runtimes.iter().map(|r| r.to_string())),
        );
        served.sort();
        served.dedup();
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

    fn live_state(&self, function: &Function, version: &FunctionVersion) -> Option<LiveState> {
        Environments::live_state(self, function, version)
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

    fn image_dir(&self, image: &ImageId) -> Option<PathBuf> {
        self.roots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(image)
            .cloned()
    }
}
