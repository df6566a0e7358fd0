//! Warm pools and concurrency. Each function has a slot holding its idle environments and
//! its in-flight count; the account has one counter. Taking an environment checks reserved
//! and account concurrency atomically, per function: no global lock on the invoke path
//! (the function map is read-locked, which readers share).
//!
//! The pool is generic over what it holds (`E`): it keeps the bookkeeping (what an
//! environment was built for, the drain generation it belongs to, when it was last used) in
//! its own slots, so its rules are unit-tested with plain values and without root.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// What an environment was built for: never shared across versions or configurations.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// `$LATEST` or a number.
    pub version: String,
    /// The version's revision (changes with code or configuration).
    pub revision: String,
    /// The image it runs on: when a function's resolved image changes, its sandboxes on the
    /// old image are never reused (they idle out, or go with the next drain).
    pub image: lamina_model::environment::ImageId,
}

impl PoolKey {
    /// Same version and revision, another image: the function's resolved image moved away.
    fn is_stale_for(&self, wanted: &PoolKey) -> bool {
        self.version == wanted.version
            && self.revision == wanted.revision
            && self.image != wanted.image
    }
}

/// An idle environment with the pool's bookkeeping about it.
struct Idle<E> {
    key: PoolKey,
    last_used: Instant,
    env: E,
}

struct SlotInner<E> {
    idle: Vec<Idle<E>>,
    in_flight: u32,
    /// Bumped by every drain: an environment leased before the bump is not pooled again.
    generation: u64,
}

/// One function's pool.
struct Slot<E> {
    inner: Mutex<SlotInner<E>>,
}

impl<E> Slot<E> {
    fn new() -> Self {
        Self {
            inner: Mutex::new(SlotInner {
                idle: Vec::new(),
                in_flight: 0,
                generation: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlotInner<E>> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Every function's pool plus the account's concurrency.
pub struct Pools<E> {
    slots: RwLock<HashMap<String, Arc<Slot<E>>>>,
    account_in_flight: AtomicU32,
    account_limit: u32,
}

/// A reason an invoke is throttled (`TooManyRequestsException.Reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// The function's reserved concurrency is in use (or is 0).
    Reserved,
    /// The account's concurrency is in use.
    Account,
}

impl Throttle {
    /// The wire reason.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Reserved => "ReservedFunctionConcurrentInvocationLimitExceeded",
            Self::Account => "ConcurrentInvocationLimitExceeded",
        }
    }
}

/// The right to run one invocation of a function; dropping it gives the concurrency back.
pub struct Lease<E> {
    pools: Arc<Pools<E>>,
    slot: Arc<Slot<E>>,
    key: PoolKey,
    /// A warm environment, if one was idle.
    pub env: Option<E>,
    /// The slot's generation when the lease was taken.
    generation: u64,
    /// Idle environments of the same version and revision on another image: the function's
    /// resolved image changed, so they are taken out of the pool for the caller to destroy.
    pub stale: Vec<E>,
    released: bool,
}

impl<E> Pools<E> {
    /// Empty pools with an account concurrency limit.
    pub fn new(account_limit: u32) -> Arc<Self> {
        Arc::new(Self {
            slots: RwLock::new(HashMap::new()),
            account_in_flight: AtomicU32::new(0),
            account_limit,
        })
    }

    fn slot(&self, function: &str) -> Arc<Slot<E>> {
        if let Some(slot) = self
            .slots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(function)
        {
            return Arc::clone(slot);
        }
        let mut slots = self
            .slots
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(
            slots
                .entry(function.to_string())
                .or_insert_with(|| Arc::new(Slot::new())),
        )
    }

    fn all_slots(&self) -> Vec<Arc<Slot<E>>> {
        self.slots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// Takes the right to invoke `function` once, with an idle environment of `key` if any.
    pub fn acquire(
        self: &Arc<Self>,
        function: &str,
        key: &PoolKey,
        reserved: Option<u32>,
    ) -> Result<Lease<E>, Throttle> {
        let slot = self.slot(function);
        let mut inner = slot.lock();
        if reserved.is_some_and(|r| inner.in_flight >= r) {
            return Err(Throttle::Reserved);
        }
        let taken = self.account_in_flight.fetch_add(1, Ordering::AcqRel);
        if taken >= self.account_limit {
            self.account_in_flight.fetch_sub(1, Ordering::AcqRel);
            return Err(Throttle::Account);
        }
        inner.in_flight += 1;
        let generation = inner.generation;
        let (stale, keep): (Vec<Idle<E>>, Vec<Idle<E>>) = std::mem::take(&mut inner.idle)
            .into_iter()
            .partition(|i| i.key.is_stale_for(key));
        inner.idle = keep;
        // The most recently used one: its caches are the warmest.
        let env = inner
            .idle
            .iter()
            .rposition(|i| &i.key == key)
            .map(|i| inner.idle.swap_remove(i).env);
        drop(inner);
        Ok(Lease {
            pools: Arc::clone(self),
            slot,
            key: key.clone(),
            env,
            generation,
            stale: stale.into_iter().map(|i| i.env).collect(),
            released: false,
        })
    }

    /// Drops every idle environment of `function` and makes busy ones go away when they
    /// finish: its code or configuration changed.
    pub fn drain(&self, function: &str) -> Vec<E> {
        let slot = self.slot(function);
        let mut inner = slot.lock();
        inner.generation += 1;
        std::mem::take(&mut inner.idle)
            .into_iter()
            .map(|i| i.env)
            .collect()
    }

    /// Idle environments unused for longer than `idle_timeout` at `now`, removed from their
    /// pools.
    pub fn expired(&self, idle_timeout: Duration, now: Instant) -> Vec<E> {
        let mut out = Vec::new();
        for slot in self.all_slots() {
            let mut inner = slot.lock();
            let (keep, old): (Vec<Idle<E>>, Vec<Idle<E>>) = std::mem::take(&mut inner.idle)
                .into_iter()
                .partition(|i| now.saturating_duration_since(i.last_used) < idle_timeout);
            inner.idle = keep;
            out.extend(old.into_iter().map(|i| i.env));
        }
        out
    }

    /// Every idle environment (for shutdown).
    pub fn take_all(&self) -> Vec<E> {
        self.all_slots()
            .iter()
            .flat_map(|s| std::mem::take(&mut s.lock().idle))
            .map(|i| i.env)
            .collect()
    }

    /// (idle, in flight) environments of `function`.
    pub fn counts(&self, function: &str) -> (usize, u32) {
        let slot = self.slot(function);
        let inner = slot.lock();
        (inner.idle.len(), inner.in_flight)
    }

    /// Invocations in flight across the account.
    #[cfg(test)]
    fn account_in_flight(&self) -> u32 {
        self.account_in_flight.load(Ordering::Acquire)
    }
}

impl<E> Lease<E> {
    /// Gives a used environment back: pooled if `reusable` and no drain happened since the
    /// lease was taken, else returned for the caller to destroy.
    pub fn finish(mut self, env: E, reusable: bool) -> Option<E> {
        let mut inner = self.slot.lock();
        inner.in_flight = inner.in_flight.saturating_sub(1);
        let out = if reusable && self.generation == inner.generation {
            inner.idle.push(Idle {
                key: self.key.clone(),
                last_used: Instant::now(),
                env,
            });
            None
        } else {
            Some(env)
        };
        drop(inner);
        self.pools.account_in_flight.fetch_sub(1, Ordering::AcqRel);
        // Counted down already; the Drop below must not do it again.
        self.released = true;
        out
    }
}

impl<E> Drop for Lease<E> {
    fn drop(&mut self) {
        // An invoke abandoned midway (the caller went away): give the concurrency back. Its
        // environment, if any, is dropped with it, which kills the sandbox.
        if !self.released {
            let mut inner = self.slot.lock();
            inner.in_flight = inner.in_flight.saturating_sub(1);
            drop(inner);
            self.pools.account_in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
