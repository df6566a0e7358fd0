//! The hot path: what the invoke path calls. A series is found under a read lock that
//! readers share (written once, when a series first appears); the in-flight gauges are
//! atomics; the invocation's figures go into its series' pending minute under that series'
//! own mutex, held for one histogram record. No lock is shared by different series, and
//! nothing here touches the disk: the flusher thread drains pending minutes to SQLite.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use crate::stats::MinuteStats;

/// What a series counts: one function invoked through one resource (its name, or
/// `name:qualifier`), run as one version on one environment image. Lamina also keeps a row
/// per function (`resource` empty: the function's concurrency) and one for the account
/// (everything empty: account concurrency).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    /// The function's name.
    pub function: String,
    /// Lambda's `Resource` dimension: `name`, or `name:alias` / `name:version` when the
    /// invoke named a qualifier.
    pub resource: String,
    /// Lambda's `ExecutedVersion`: the version that ran.
    pub executed_version: String,
    /// The environment image it ran on (Lamina's own dimension).
    pub image: String,
}

impl SeriesKey {
    /// The key of invocations of `function` through `resource`, run as `version` on `image`.
    pub fn new(
        function: impl Into<String>,
        resource: impl Into<String>,
        executed_version: impl Into<String>,
        image: impl Into<String>,
    ) -> Self {
        Self {
            function: function.into(),
            resource: resource.into(),
            executed_version: executed_version.into(),
            image: image.into(),
        }
    }

    /// The function-level row of `function`.
    pub fn function_level(function: &str) -> Self {
        Self::new(function, "", "", "")
    }

    /// The account-level row.
    pub fn account() -> Self {
        Self::new("", "", "", "")
    }

    /// What kind of row this is.
    pub fn level(&self) -> Level {
        if self.function.is_empty() {
            Level::Account
        } else if self.resource.is_empty() {
            Level::Function
        } else {
            Level::Invocations
        }
    }
}

/// The kinds of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Invocations of one (function, resource, version, image).
    Invocations,
    /// One function's concurrency.
    Function,
    /// The account's concurrency.
    Account,
}

/// How an invocation that ran ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The runtime answered.
    Success,
    /// The function (or the runtime around it) failed.
    Error,
    /// The function ran past its timeout (an error too).
    Timeout,
}

impl Outcome {
    /// The `outcome` label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Error => "error",
            Self::Timeout => "timeout",
        }
    }
}

/// The figures of one invocation that ran (those of its REPORT line).
#[derive(Debug, Clone, Copy)]
pub struct Invocation {
    /// How it ended.
    pub outcome: Outcome,
    /// The invoke phase's duration (REPORT's `Duration`).
    pub duration: Duration,
    /// On a cold start, the init phase's duration (REPORT's `Init Duration`).
    pub init_duration: Option<Duration>,
}

/// A gauge of invocations in flight, with the peak since it was last sampled, so a burst
/// between two samples still shows.
#[derive(Debug, Default)]
pub(crate) struct InFlightGauge {
    now: AtomicU64,
    peak: AtomicU64,
}

impl InFlightGauge {
    fn enter(&self) {
        let n = self.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(n, Ordering::Relaxed);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::Relaxed);
    }

    /// In flight now.
    pub(crate) fn current(&self) -> u64 {
        self.now.load(Ordering::Relaxed)
    }

    /// The peak since the last call (at least what is in flight now); resets the peak.
    pub(crate) fn take_peak(&self) -> u64 {
        let now = self.now.load(Ordering::Relaxed);
        self.peak.swap(now, Ordering::Relaxed).max(now)
    }
}

/// One series in memory: its gauge and the minutes recorded since the last flush.
#[derive(Debug)]
pub(crate) struct Series {
    pub(crate) key: SeriesKey,
    pub(crate) in_flight: InFlightGauge,
    /// (minute, figures) not yet on disk; normally one entry, two across a minute boundary.
    pending: Mutex<Vec<(i64, MinuteStats)>>,
    /// The function-level series (itself for function and account rows).
    function: Option<Arc<Series>>,
}

impl Series {
    fn new(key: SeriesKey, function: Option<Arc<Series>>) -> Self {
        Self {
            key,
            in_flight: InFlightGauge::default(),
            pending: Mutex::new(Vec::new()),
            function,
        }
    }

    fn pending(&self) -> MutexGuard<'_, Vec<(i64, MinuteStats)>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `f` to this series' figures of `minute`.
    pub(crate) fn add(&self, minute: i64, f: impl FnOnce(&mut MinuteStats)) {
        let mut pending = self.pending();
        if let Some((_, stats)) = pending.iter_mut().rev().find(|(m, _)| *m == minute) {
            f(stats);
            return;
        }
        let mut stats = MinuteStats::default();
        f(&mut stats);
        pending.push((minute, stats));
    }

    /// Takes everything recorded since the last call.
    pub(crate) fn drain(&self) -> Vec<(i64, MinuteStats)> {
        std::mem::take(&mut *self.pending())
    }
}

/// Every series, found by key.
#[derive(Debug)]
pub(crate) struct Registry {
    series: RwLock<HashMap<SeriesKey, Arc<Series>>>,
    pub(crate) account: Arc<Series>,
    /// In-flight invocations of functions without reserved concurrency.
    pub(crate) unreserved: InFlightGauge,
}

impl Registry {
    pub(crate) fn new() -> Self {
        Self {
            series: RwLock::new(HashMap::new()),
            account: Arc::new(Series::new(SeriesKey::account(), None)),
            unreserved: InFlightGauge::default(),
        }
    }

    /// The series of `key`, made on first use.
    pub(crate) fn series(&self, key: &SeriesKey) -> Arc<Series> {
        if let Some(s) = self
            .series
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
        {
            return Arc::clone(s);
        }
        let function = match key.level() {
            Level::Invocations => Some(self.series(&SeriesKey::function_level(&key.function))),
            Level::Function | Level::Account => None,
        };
        let mut map = self.series.write().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            map.entry(key.clone())
                .or_insert_with(|| Arc::new(Series::new(key.clone(), function))),
        )
    }

    /// Every series (the account's last).
    pub(crate) fn all(&self) -> Vec<Arc<Series>> {
        let mut all: Vec<Arc<Series>> = self
            .series
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        all.push(Arc::clone(&self.account));
        all
    }
}

/// An invocation in flight: counted in the concurrency gauges until it is dropped. Its
/// figures are recorded by [`InFlight::finish`].
#[must_use = "an invocation in flight records nothing unless it is finished"]
#[derive(Debug)]
pub struct InFlight {
    pub(crate) metrics: Arc<crate::Inner>,
    pub(crate) series: Arc<Series>,
    pub(crate) unreserved: bool,
}

impl InFlight {
    pub(crate) fn enter(metrics: Arc<crate::Inner>, series: Arc<Series>, unreserved: bool) -> Self {
        series.in_flight.enter();
        if let Some(f) = &series.function {
            f.in_flight.enter();
        }
        metrics.registry.account.in_flight.enter();
        if unreserved {
            metrics.registry.unreserved.enter();
        }
        Self {
            metrics,
            series,
            unreserved,
        }
    }

    /// Records how the invocation ended and leaves the gauges.
    pub fn finish(self, invocation: Invocation) {
        let minute = self.metrics.minute_now();
        self.series.add(minute, |s| {
            s.invocations += 1;
            match invocation.outcome {
                Outcome::Success => {}
                Outcome::Error => s.errors += 1,
                Outcome::Timeout => {
                    s.errors += 1;
                    s.timeouts += 1;
                }
            }
            s.duration.record(micros(invocation.duration));
            if let Some(init) = invocation.init_duration {
                s.cold_starts += 1;
                s.init.record(micros(init));
            }
        });
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.series.in_flight.leave();
        if let Some(f) = &self.series.function {
            f.in_flight.leave();
        }
        self.metrics.registry.account.in_flight.leave();
        if self.unreserved {
            self.metrics.registry.unreserved.leave();
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
