//! The control layer: every control-plane rule (validation, revision checks, numbering,
//! what may be deleted) lives here, called by the REST routes and the console alike. It
//! reads and writes through a `Store`; writes are serialised by one lock, since the control
//! plane is rare and a strict order keeps revision checks simple. Nothing is acknowledged
//! before the store returns, and the store returns only once the write is durable.

mod aliases;
mod async_events;
mod cache;
mod environments;
mod event_invoke;
mod flags;
mod functions;
mod images;
mod layer_policy;
mod layers;
mod migration_status;
mod parity;
mod plans;
mod preparation;
mod settings;
mod test_events;
mod versions;

use std::sync::Arc;

use lamina_model::{
    Account, Clock, Function, FunctionRef, FunctionVersion, LATEST, LambdaError, LambdaResult,
    Qualifier,
};
use lamina_store::{Store, StoreError};

pub use environments::{CompatibilityScanner, Environments, LiveState, NOT_SCANNED, Preparation};
pub use event_invoke::{ConfigWrite, EventInvokeConfigPage};
pub use images::{
    BuildImageRequest, ImageDetail, ImageService, ImageSummary, PlanImpact, StoreScanner,
};
pub use layer_policy::LayerPermissionInput;
pub use migration_status::{
    FlagStatus, FunctionStatus, MigrationStatus, NextPhase, PlanStatus, SimulatedFunction,
    Simulation,
};
pub use preparation::Preparer;
pub use settings::AccountSettings;
pub use test_events::{MAX_TEST_EVENT_BYTES, MAX_TEST_EVENT_NAME, MAX_TEST_EVENTS};

/// Limits the control plane enforces (configurable, Lambda's values by default).
#[derive(Debug, Clone)]
pub struct ControlLimits {
    /// Zip limits for code and layers.
    pub package: lamina_package::Limits,
    /// Account concurrency (`ConcurrentExecutions`).
    pub concurrent_executions: u32,
    /// Concurrency that reservations must leave unreserved.
    pub min_unreserved: u32,
}

impl Default for ControlLimits {
    fn default() -> Self {
        Self {
            package: lamina_package::Limits::default(),
            concurrent_executions: 1000,
            min_unreserved: 100,
        }
    }
}

/// A change that running sandboxes must follow (the engine drains on these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `$LATEST`'s code or configuration changed, or the function's settings did.
    Function(String),
    /// The function and everything under it was deleted.
    Deleted(String),
}

/// The control plane.
pub struct Control {
    store: Arc<dyn Store>,
    account: Account,
    limits: ControlLimits,
    clock: Arc<dyn Clock>,
    write_lock: tokio::sync::Mutex<()>,
    changes: tokio::sync::broadcast::Sender<Change>,
    cache: cache::InvokeCache,
    environments: Arc<Environments>,
    preparer: std::sync::OnceLock<Preparer>,
}

impl Control {
    /// A control plane over `store`, answering as `account`.
    pub fn new(
        store: Arc<dyn Store>,
        account: Account,
        limits: ControlLimits,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let (changes, _) = tokio::sync::broadcast::channel(1024);
        // Until the server registers what it probed, `host` is known only by name.
        let host = lamina_model::environment::ImageManifest::minimal(
            lamina_model::environment::ImageId::host(),
            "",
            "",
        );
        let environments = Arc::new(Environments::new(&account.region, Arc::clone(&clock), host));
        Self {
            store,
            account,
            limits,
            clock,
            write_lock: tokio::sync::Mutex::new(()),
            changes,
            cache: Default::default(),
            environments,
            preparer: std::sync::OnceLock::new(),
        }
    }

    /// Images, migration plans and resolution (shared with the engine and the API).
    pub fn environments(&self) -> &Arc<Environments> {
        &self.environments
    }

    /// The region and account ARNs are built with.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The limits in force.
    pub fn limits(&self) -> &ControlLimits {
        &self.limits
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The store (the engine reads functions and blobs through it).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Subscribes to changes that invalidate warm sandboxes.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    fn notify(&self, change: Change) {
        match &change {
            Change::Function(name) | Change::Deleted(name) => self.cache.forget(name),
        }
        // No subscriber (no engine yet, or tests) is fine.
        let _ = self.changes.send(change);
    }

    /// The function and the version `reference` names, from memory (loading the function
    /// once from the store): an alias with weights picks one at random by weight. This is
    /// how the engine's front door resolves every invoke of this server.
    async fn resolve_cached(
        &self,
        reference: &FunctionRef,
    ) -> LambdaResult<(Function, FunctionVersion)> {
        let cached = match self.cache.get(&reference.name) {
            Some(c) => c,
            None => self.load_cached(&reference.name).await?,
        };
        let not_found = || {
            self.qualified_not_found(
                &reference.name,
                reference.qualifier.as_deref().unwrap_or(LATEST),
            )
        };
        let target = match reference.target() {
            Qualifier::Latest => LATEST.to_string(),
            Qualifier::Version(n) => n.to_string(),
            Qualifier::Alias(a) => pick_weighted(cached.aliases.get(a).ok_or_else(not_found)?),
        };
        let version = if target == LATEST {
            cached.function.latest.clone()
        } else {
            cached
                .versions
                .get(&target)
                .cloned()
                .ok_or_else(not_found)?
        };
        // Pending (or Failed) while the image its runtime needs is prepared.
        self.environments
            .check_invocable(&cached.function, &version)?;
        Ok((cached.function.clone(), version))
    }

    async fn load_cached(&self, name: &str) -> LambdaResult<std::sync::Arc<cache::Cached>> {
        let epoch = self.cache.epoch();
        let n = name.to_string();
        let loaded = self
            .store_call(move |s| {
                let Some(function) = s.get_function(&n)? else {
                    return Ok(None);
                };
                let versions = s
                    .list_versions(&n)?
                    .into_iter()
                    .map(|v| (v.version.clone(), v))
                    .collect();
                let aliases = s
                    .list_aliases(&n)?
                    .into_iter()
                    .map(|a| (a.name.clone(), a))
                    .collect();
                Ok(Some(cache::Cached {
                    function,
                    versions,
                    aliases,
                }))
            })
            .await?
            .ok_or_else(|| self.function_not_found(name))?;
        let entry = std::sync::Arc::new(loaded);
        self.cache
            .insert(name, std::sync::Arc::clone(&entry), epoch);
        Ok(entry)
    }

    /// Forgets what the invoke cache holds of `name` (after any write).
    fn forget(&self, name: &str) {
        self.cache.forget(name);
    }

    /// Every function, paging through the store (the account-wide reads: settings, migration
    /// status, plans).
    pub(super) async fn all_functions(&self) -> LambdaResult<Vec<Function>> {
        let mut out: Vec<Function> = Vec::new();
        loop {
            let after = out.last().map(|f| f.name.clone());
            let page = self
                .store_call(move |s| s.list_functions(after.as_deref(), 500))
                .await?;
            if page.is_empty() {
                break;
            }
            out.extend(page);
        }
        Ok(out)
    }

    /// Every function with every version: `$LATEST` first, then published ones.
    pub(super) async fn all_versions(&self) -> LambdaResult<Vec<(Function, FunctionVersion)>> {
        let mut out = Vec::new();
        for function in self.all_functions().await? {
            let n = function.name.clone();
            let versions = self.store_call(move |s| s.list_versions(&n)).await?;
            out.push((function.clone(), function.latest.clone()));
            out.extend(versions.into_iter().map(|v| (function.clone(), v)));
        }
        Ok(out)
    }

    /// Runs a store call on the blocking pool, turning faults into a logged 500.
    async fn store_call<T, F>(&self, f: F) -> LambdaResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let joined = tokio::task::spawn_blocking(move || f(store.as_ref())).await;
        match joined {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(StoreError::Conflict(what))) => Err(LambdaError::conflict(format!(
                "resource already exists: {what}"
            ))),
            Ok(Err(StoreError::NotFound(what))) => Err(LambdaError::not_found(format!(
                "resource not found: {what}"
            ))),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "store failure");
                Err(LambdaError::service(
                    "Lamina's store failed; see the server log",
                ))
            }
            Err(e) => {
                tracing::error!(error = %e, "store task failed");
                Err(LambdaError::service(
                    "Lamina's store failed; see the server log",
                ))
            }
        }
    }

    /// The function called by `name` (bare name), or Lambda's not-found.
    async fn function(&self, name: &str) -> LambdaResult<Function> {
        let owned = name.to_string();
        self.store_call(move |s| s.get_function(&owned))
            .await?
            .ok_or_else(|| self.function_not_found(name))
    }

    fn function_not_found(&self, name: &str) -> LambdaError {
        LambdaError::not_found(format!(
            "Function not found: {}",
            self.account.function_arn(name)
        ))
    }

    /// Resolves a caller's `FunctionName` (+ optional `Qualifier` parameter) to a function
    /// and the version the qualifier names (`$LATEST`, a number, or an alias's target).
    pub async fn resolve(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> LambdaResult<(Function, FunctionVersion)> {
        let reference = self
            .account
            .parse_function_ref(function_name)?
            .with_qualifier_param(qualifier)?;
        let function = self.function(&reference.name).await?;
        let version = self
            .version_of(&function, reference.qualifier.as_deref().unwrap_or(LATEST))
            .await?;
        Ok((function, version))
    }

    /// The version a qualifier names: `$LATEST`, a published number, or an alias's target.
    pub async fn version_of(
        &self,
        function: &Function,
        qualifier: &str,
    ) -> LambdaResult<FunctionVersion> {
        let name = function.name.clone();
        let target = match Qualifier::of(Some(qualifier)) {
            Qualifier::Latest => return Ok(function.latest.clone()),
            Qualifier::Version(n) => n.to_string(),
            Qualifier::Alias(a) => {
                let (n, a) = (name.clone(), a.to_string());
                let alias = self.store_call(move |s| s.get_alias(&n, &a)).await?;
                match alias {
                    Some(alias) => alias.function_version,
                    None => return Err(self.qualified_not_found(&name, qualifier)),
                }
            }
        };
        if target == LATEST {
            return Ok(function.latest.clone());
        }
        let (n, t) = (name.clone(), target.clone());
        self.store_call(move |s| s.get_version(&n, &t))
            .await?
            .ok_or_else(|| self.qualified_not_found(&name, qualifier))
    }

    fn qualified_not_found(&self, name: &str, qualifier: &str) -> LambdaError {
        LambdaError::not_found(format!(
            "Function not found: {}",
            self.account.qualified_function_arn(name, qualifier)
        ))
    }

    /// Parses a `FunctionName` that must not carry a qualifier (most write operations).
    fn bare_name(&self, function_name: &str) -> LambdaResult<String> {
        let reference = self.account.parse_function_ref(function_name)?;
        if reference.qualifier.is_some() {
            return Err(LambdaError::invalid_parameter(format!(
                "Unsupported function name format: {function_name}. The function name must not include a qualifier for this operation."
            )));
        }
        Ok(reference.name)
    }

    fn new_revision() -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

impl lamina_engine::FunctionSource for Control {
    fn account(&self) -> &Account {
        &self.account
    }

    fn resolve(
        &self,
        reference: &FunctionRef,
    ) -> impl std::future::Future<Output = LambdaResult<(Function, FunctionVersion)>> + Send {
        self.resolve_cached(reference)
    }
}

/// The version an alias sends this invocation to: its own, or the weighted one with the
/// probability of its weight.
fn pick_weighted(alias: &lamina_model::Alias) -> String {
    let roll: f64 = rand::random();
    let mut edge = 0.0;
    for (version, weight) in &alias.additional_version_weights {
        edge += weight;
        if roll < edge {
            return version.clone();
        }
    }
    alias.function_version.clone()
}

/// Checks an optimistic-concurrency `RevisionId` against the current one.
fn check_revision(expected: Option<&str>, current: &str) -> LambdaResult<()> {
    match expected {
        Some(expected) if expected != current => Err(LambdaError::precondition(
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
        )),
        _ => Ok(()),
    }
}
