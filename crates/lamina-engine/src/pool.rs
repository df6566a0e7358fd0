//! Warm pools and concurrency. Each function has a slot holding its idle environments and
//! its in-flight count; the account has one counter. Taking an environment checks reserved
//! and account concurrency atomically, per function: no global lock on the invoke path
//! (the function map is read-locked, which readers share).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::environment::Env;

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

#[derive(Default)]
struct SlotInner {
    idle: Vec<Env>,
    in_flight: u32,
    generation: u64,
}

/// One function's pool.
#[derive(Default)]
pub struct Slot {
    inner: Mutex<SlotInner>,
}

impl Slot {
    fn lock(&self) -> std::sync::MutexGuard<'_, SlotInner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Every function's pool plus the account's concurrency.
pub struct Pools {
    slots: RwLock<HashMap<String, Arc<Slot>>>,
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
pub struct Lease {
    pools: Arc<Pools>,
    slot: Arc<Slot>,
    /// A warm environment, if one was idle.
    pub env: Option<Env>,
    /// The slot's generation when the lease was taken.
    pub generation: u64,
    /// Idle environments of the same version and revision on another image: the function's
    /// resolved image changed, so they are taken out of the pool for the caller to destroy.
    pub stale: Vec<Env>,
    released: bool,
}

impl Pools {
    /// Empty pools with an account concurrency limit.
    pub fn new(account_limit: u32) -> Arc<Self> {
        Arc::new(Self {
            slots: RwLock::new(HashMap::new()),
            account_in_flight: AtomicU32::new(0),
            account_limit,
        })
    }

    fn slot(&self, function: &str) -> Arc<Slot> {
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
        Arc::clone(slots.entry(function.to_string()).or_default())
    }

    /// Takes the right to invoke `function` once, with an idle environment of `key` if any.
    pub fn acquire(
        self: &Arc<Self>,
        function: &str,
        key: &PoolKey,
        reserved: Option<u32>,
    ) -> Result<Lease, Throttle> {
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
        let (stale, keep): (Vec<Env>, Vec<Env>) =
            std::mem::take(&mut inner.idle).into_iter().partition(|e| {
                e.key.version == key.version
                    && e.key.revision == key.revision
                    && e.key.image != key.image
            });
        inner.idle = keep;
        let env = inner
            .idle
            .iter()
            .rposition(|e| &e.key == key)
            .map(|i| inner.idle.swap_remove(i));
        drop(inner);
        Ok(Lease {
            pools: Arc::clone(self),
            slot,
            env,
            generation,
            stale,
            released: false,
        })
    }

    /// Drops every idle environment of `function` and makes busy ones go away when they
    /// finish: its code or configuration changed.
    pub fn drain(&self, function: &str) -> Vec<Env> {
        let slot = self.slot(function);
        let mut inner = slot.lock();
        inner.generation += 1;
        std::mem::take(&mut inner.idle)
    }

    /// Idle environments unused for longer than `idle_timeout`, removed from their pools.
    pub fn expired(&self, idle_timeout: Duration) -> Vec<Env> {
        let now = Instant::now();
        let slots: Vec<Arc<Slot>> = self
            .slots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        let mut out = Vec::new();
        for slot in slots {
            let mut inner = slot.lock();
            let (keep, old): (Vec<Env>, Vec<Env>) = std::mem::take(&mut inner.idle)
                .into_iter()
                .partition(|e| now.duration_since(e.last_used) < idle_timeout);
            inner.idle = keep;
            out.extend(old);
        }
        out
    }

    /// Every idle environment (for shutdown).
    pub fn take_all(&self) -> Vec<Env> {
        let slots: Vec<Arc<Slot>> = self
            .slots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        slots
            .iter()
            .flat_map(|s| std::mem::take(&mut s.lock().idle))
            .collect()
    }

    /// (idle, in flight) environments of `function`.
    pub fn counts(&self, function: &str) -> (usize, u32) {
        let slot = self.slot(function);
        let inner = slot.lock();
        (inner.idle.len(), inner.in_flight)
    }
}

impl Lease {
    /// Gives a used environment back: pooled if healthy and still current, else returned for
    /// destruction.
    pub fn finish(mut self, env: Env) -> Option<Env> {
        let mut inner = self.slot.lock();
        let current = env.generation == inner.generation && env.healthy;
        inner.in_flight = inner.in_flight.saturating_sub(1);
        self.env = None;
        let out = if current {
            inner.idle.push(env);
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

impl Drop for Lease {
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
