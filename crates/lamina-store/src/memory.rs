//! An in-memory `Store` for unit tests: the same semantics as SQLite, nothing durable.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use lamina_model::environment::MigrationPlan;
use lamina_model::event_invoke::{EventInvokeConfig, QueuedEvent};
use lamina_model::{Alias, Function, FunctionVersion, LayerVersion};

use crate::{
    EventFilter, EventWrite, EventWritten, Store, StoreError, StoreResult, TestEvent, blob_key,
};

#[derive(Default)]
struct Inner {
    functions: BTreeMap<String, Function>,
    versions: BTreeMap<(String, u64), FunctionVersion>,
    aliases: BTreeMap<(String, String), Alias>,
    layers: BTreeMap<(String, u64), LayerVersion>,
    layer_high_water: BTreeMap<String, u64>,
    blobs: BTreeMap<String, Vec<u8>>,
    test_events: BTreeMap<(String, String), TestEvent>,
    plans: BTreeMap<String, MigrationPlan>,
    event_configs: BTreeMap<(String, String), EventInvokeConfig>,
    events: BTreeMap<u64, QueuedEvent>,
    last_event_id: u64,
}

/// A `Store` held in memory.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock only happens in a failing test; keep going.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn version_number(version: &str) -> StoreResult<u64> {
    version
        .parse()
        .map_err(|_| StoreError::NotFound(format!("version {version}")))
}

impl Store for MemoryStore {
    fn create_function(&self, function: &Function) -> StoreResult<()> {
        let mut inner = self.lock();
        if inner.functions.contains_key(&function.name) {
            return Err(StoreError::Conflict(function.name.clone()));
        }
        inner
            .functions
            .insert(function.name.clone(), function.clone());
        Ok(())
    }

    fn update_function(&self, function: &Function) -> StoreResult<()> {
        let mut inner = self.lock();
        match inner.functions.get_mut(&function.name) {
            Some(slot) => {
                *slot = function.clone();
                Ok(())
            }
            None => Err(StoreError::NotFound(function.name.clone())),
        }
    }

    fn get_function(&self, name: &str) -> StoreResult<Option<Function>> {
        Ok(self.lock().functions.get(name).cloned())
    }

    fn delete_function(&self, name: &str) -> StoreResult<bool> {
        let mut inner = self.lock();
        let existed = inner.functions.remove(name).is_some();
        inner.versions.retain(|(n, _), _| n != name);
        inner.aliases.retain(|(n, _), _| n != name);
        inner.event_configs.retain(|(n, _), _| n != name);
        inner.events.retain(|_, e| e.function != name);
        inner.test_events.retain(|(n, _), _| n != name);
        Ok(existed)
    }

    fn list_functions(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<Function>> {
        let inner = self.lock();
        Ok(inner
            .functions
            .values()
            .filter(|f| after.is_none_or(|a| f.name.as_str() > a))
            .take(limit)
            .cloned()
            .collect())
    }

    fn publish_version(&self, function: &Function, version: &FunctionVersion) -> StoreResult<()> {
        let number = version_number(&version.version)?;
        let mut inner = self.lock();
        let key = (function.name.clone(), number);
        if inner.versions.contains_key(&key) {
            return Err(StoreError::Conflict(format!("{}:{number}", function.name)));
        }
        if !inner.functions.contains_key(&function.name) {
            return Err(StoreError::NotFound(function.name.clone()));
        }
        inner
            .functions
            .insert(function.name.clone(), function.clone());
        inner.versions.insert(key, version.clone());
        Ok(())
    }

    fn get_version(&self, name: &str, version: &str) -> StoreResult<Option<FunctionVersion>> {
        let Ok(number) = version.parse::<u64>() else {
            return Ok(None);
        };
        Ok(self
            .lock()
            .versions
            .get(&(name.to_string(), number))
            .cloned())
    }

    fn list_versions(&self, name: &str) -> StoreResult<Vec<FunctionVersion>> {
        let inner = self.lock();
        Ok(inner
            .versions
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, v)| v.clone())
            .collect())
    }

    fn delete_version(&self, name: &str, version: &str) -> StoreResult<bool> {
        let Ok(number) = version.parse::<u64>() else {
            return Ok(false);
        };
        let mut inner = self.lock();
        let deleted = inner.versions.remove(&(name.to_string(), number)).is_some();
        if deleted {
            inner
                .event_configs
                .remove(&(name.to_string(), version.to_string()));
            inner
                .events
                .retain(|_, e| !(e.function == name && e.version == version));
        }
        Ok(deleted)
    }

    fn put_alias(&self, name: &str, alias: &Alias) -> StoreResult<()> {
        let mut inner = self.lock();
        // An alias belongs to a function; SQLite's foreign key enforces the same.
        if !inner.functions.contains_key(name) {
            return Err(StoreError::NotFound(name.to_string()));
        }
        inner
            .aliases
            .insert((name.to_string(), alias.name.clone()), alias.clone());
        Ok(())
    }

    fn get_alias(&self, name: &str, alias: &str) -> StoreResult<Option<Alias>> {
        Ok(self
            .lock()
            .aliases
            .get(&(name.to_string(), alias.to_string()))
            .cloned())
    }

    fn list_aliases(&self, name: &str) -> StoreResult<Vec<Alias>> {
        let inner = self.lock();
        Ok(inner
            .aliases
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, a)| a.clone())
            .collect())
    }

    fn delete_alias(&self, name: &str, alias: &str) -> StoreResult<bool> {
        let mut inner = self.lock();
        let key = (name.to_string(), alias.to_string());
        let deleted = inner.aliases.remove(&key).is_some();
        if deleted {
            inner.event_configs.remove(&key);
        }
        Ok(deleted)
    }

    fn publish_layer_version(&self, layer: &LayerVersion) -> StoreResult<LayerVersion> {
        let mut inner = self.lock();
        let high = inner
            .layer_high_water
            .entry(layer.name.clone())
            .or_insert(0);
        *high += 1;
        let stored = LayerVersion {
            version: *high,
            ..layer.clone()
        };
        inner
            .layers
            .insert((stored.name.clone(), stored.version), stored.clone());
        Ok(stored)
    }

    fn get_layer_version(&self, name: &str, version: u64) -> StoreResult<Option<LayerVersion>> {
        Ok(self
            .lock()
            .layers
            .get(&(name.to_string(), version))
            .cloned())
    }

    fn list_layer_versions(&self, name: &str) -> StoreResult<Vec<LayerVersion>> {
        let inner = self.lock();
        Ok(inner
            .layers
            .iter()
            .rev()
            .filter(|((n, _), _)| n == name)
            .map(|(_, l)| l.clone())
            .collect())
    }

    fn list_layers(&self) -> StoreResult<Vec<LayerVersion>> {
        let inner = self.lock();
        let mut newest: BTreeMap<&str, &LayerVersion> = BTreeMap::new();
        for ((name, _), layer) in &inner.layers {
            newest.insert(name.as_str(), layer);
        }
        Ok(newest.into_values().cloned().collect())
    }

    fn delete_layer_version(&self, name: &str, version: u64) -> StoreResult<bool> {
        Ok(self
            .lock()
            .layers
            .remove(&(name.to_string(), version))
            .is_some())
    }

    fn update_layer_version(&self, layer: &LayerVersion) -> StoreResult<bool> {
        let mut inner = self.lock();
        match inner.layers.get_mut(&(layer.name.clone(), layer.version)) {
            Some(stored) => {
                *stored = layer.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn put_plan(&self, plan: &MigrationPlan) -> StoreResult<()> {
        self.lock().plans.insert(plan.name.clone(), plan.clone());
        Ok(())
    }

    fn get_plan(&self, name: &str) -> StoreResult<Option<MigrationPlan>> {
        Ok(self.lock().plans.get(name).cloned())
    }

    fn list_plans(&self) -> StoreResult<Vec<MigrationPlan>> {
        Ok(self.lock().plans.values().cloned().collect())
    }

    fn delete_plan(&self, name: &str) -> StoreResult<bool> {
        Ok(self.lock().plans.remove(name).is_some())
    }

    fn put_blob(&self, bytes: &[u8]) -> StoreResult<String> {
        let key = blob_key(bytes);
        self.lock()
            .blobs
            .entry(key.clone())
            .or_insert_with(|| bytes.to_vec());
        Ok(key)
    }

    fn read_blob(&self, sha256_hex: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.lock().blobs.get(sha256_hex).cloned())
    }

    fn put_test_event(&self, name: &str, event: &TestEvent) -> StoreResult<()> {
        let mut inner = self.lock();
        // A test event belongs to a function; SQLite's foreign key enforces the same.
        if !inner.functions.contains_key(name) {
            return Err(StoreError::NotFound(name.to_string()));
        }
        inner
            .test_events
            .insert((name.to_string(), event.name.clone()), event.clone());
        Ok(())
    }

    fn get_test_event(&self, name: &str, event: &str) -> StoreResult<Option<TestEvent>> {
        Ok(self
            .lock()
            .test_events
            .get(&(name.to_string(), event.to_string()))
            .cloned())
    }

    fn list_test_events(&self, name: &str) -> StoreResult<Vec<TestEvent>> {
        let inner = self.lock();
        Ok(inner
            .test_events
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, e)| e.clone())
            .collect())
    }

    fn delete_test_event(&self, name: &str, event: &str) -> StoreResult<bool> {
        Ok(self
            .lock()
            .test_events
            .remove(&(name.to_string(), event.to_string()))
            .is_some())
    }

    fn put_event_invoke_config(&self, name: &str, config: &EventInvokeConfig) -> StoreResult<()> {
        let mut inner = self.lock();
        if !inner.functions.contains_key(name) {
            return Err(StoreError::NotFound(name.to_string()));
        }
        inner
            .event_configs
            .insert((name.to_string(), config.qualifier.clone()), config.clone());
        Ok(())
    }

    fn get_event_invoke_config(
        &self,
        name: &str,
        qualifier: &str,
    ) -> StoreResult<Option<EventInvokeConfig>> {
        Ok(self
            .lock()
            .event_configs
            .get(&(name.to_string(), qualifier.to_string()))
            .cloned())
    }

    fn list_event_invoke_configs(&self, name: &str) -> StoreResult<Vec<EventInvokeConfig>> {
        Ok(self
            .lock()
            .event_configs
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, c)| c.clone())
            .collect())
    }

    fn delete_event_invoke_config(&self, name: &str, qualifier: &str) -> StoreResult<bool> {
        Ok(self
            .lock()
            .event_configs
            .remove(&(name.to_string(), qualifier.to_string()))
            .is_some())
    }

    fn write_events(&self, writes: &[EventWrite]) -> StoreResult<Vec<EventWritten>> {
        let mut inner = self.lock();
        let mut out = Vec::with_capacity(writes.len());
        for write in writes {
            let done = match write {
                EventWrite::Enqueue(event) => {
                    if inner.functions.contains_key(&event.function) {
                        inner.last_event_id += 1;
                        let id = inner.last_event_id;
                        let mut stored = event.clone();
                        stored.id = id;
                        inner.events.insert(id, stored);
                        EventWritten::Stored(id)
                    } else {
                        EventWritten::Missing
                    }
                }
                EventWrite::Update(event) => match inner.events.get_mut(&event.id) {
                    Some(slot) => {
                        let payload = std::mem::take(&mut slot.payload);
                        *slot = event.clone();
                        slot.payload = payload;
                        EventWritten::Done
                    }
                    None => EventWritten::Missing,
                },
                EventWrite::Remove(id) => match inner.events.remove(id) {
                    Some(_) => EventWritten::Done,
                    None => EventWritten::Missing,
                },
            };
            out.push(done);
        }
        Ok(out)
    }

    fn list_events(&self, filter: &EventFilter) -> StoreResult<Vec<QueuedEvent>> {
        Ok(self
            .lock()
            .events
            .values()
            .filter(|e| filter.matches(e))
            .take(filter.limit)
            .cloned()
            .collect())
    }

    fn get_event(&self, id: u64) -> StoreResult<Option<QueuedEvent>> {
        Ok(self.lock().events.get(&id).cloned())
    }
}
