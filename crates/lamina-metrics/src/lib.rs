//! Lambda's function metrics for Lamina: recorded on the invoke path, rolled into 1-minute
//! rows kept in the data folder, and read back as CloudWatch statistics and as a Prometheus
//! exposition.
//!
//! - [`record`]: the hot path. [`Metrics::begin`] counts an invocation in flight (atomic
//!   gauges) and [`InFlight::finish`] adds its figures to its series' pending minute;
//!   [`Metrics::throttled`] counts a refusal. No disk, no lock shared between series.
//! - a flusher thread samples the concurrency gauges every second and merges the pending
//!   minutes into SQLite (`store`) every few seconds; queries flush first, so they see
//!   every invocation that finished before them.
//! - [`query`]: which rows a metric and its dimensions select, and CloudWatch's statistics.
//! - [`prometheus`]: counters and histograms since the server started.
//!
//! It owns no wire format (the API renders CloudWatch's, the console its charts) and knows
//! nothing of the engine: the engine calls it.

pub mod cloudwatch;
pub mod prometheus;
pub mod query;
pub mod record;
pub mod stats;
mod store;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

pub use query::{Dimensions, Folded, LAMBDA_NAMESPACE, LAMINA_NAMESPACE, Metric, Statistic};
pub use record::{InFlight, Invocation, Outcome, SeriesKey};
pub use store::StoreError;

use record::Registry;
use stats::MinuteStats;
use store::Store;

/// The clock minutes are read from (the machine's; tests pass their own).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// How metrics are kept.
#[derive(Debug, Clone)]
pub struct MetricsConfig {
    /// Minutes older than this many days are deleted (CloudWatch keeps 1-minute data 15 days).
    pub retention_days: u32,
    /// How often pending minutes are written to disk (what `kill -9` can lose at most).
    pub flush_interval: Duration,
    /// How often the concurrency gauges are sampled (each sample is the peak since the last).
    pub sample_interval: Duration,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            retention_days: 15,
            flush_interval: Duration::from_secs(5),
            sample_interval: Duration::from_secs(1),
        }
    }
}

/// A query for statistics: one metric under one dimension set, over `[start, end)` in
/// periods of `period_s` seconds.
#[derive(Debug, Clone)]
pub struct StatsQuery {
    /// The namespace asked for.
    pub namespace: String,
    /// The metric.
    pub metric: Metric,
    /// Its dimensions.
    pub dimensions: Dimensions,
    /// Start, seconds since the epoch (inclusive).
    pub start_s: i64,
    /// End, seconds since the epoch (exclusive).
    pub end_s: i64,
    /// Period, seconds (a multiple of 60).
    pub period_s: i64,
}

/// A metric as ListMetrics shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Listed {
    /// Its namespace.
    pub namespace: &'static str,
    /// The metric.
    pub metric: Metric,
    /// Its dimensions, (name, value).
    pub dimensions: Vec<(&'static str, String)>,
}

/// The metrics of one server.
pub struct Metrics {
    inner: Arc<Inner>,
    flusher: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub(crate) registry: Registry,
    store: Mutex<Store>,
    /// Figures since the server started, per invocation series (the Prometheus counters).
    pub(crate) totals: Mutex<BTreeMap<SeriesKey, MinuteStats>>,
    clock: Clock,
    config: MetricsConfig,
    stop: (Mutex<bool>, Condvar),
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    fn now_s(&self) -> i64 {
        match (self.clock)().duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }

    pub(crate) fn minute_now(&self) -> i64 {
        self.now_s().div_euclid(60)
    }

    /// Samples the concurrency gauges into the current minute (only while something ran:
    /// an idle function leaves no rows).
    fn sample_gauges(&self) {
        let minute = self.minute_now();
        for series in self.registry.all() {
            if series.key.level() == record::Level::Invocations {
                continue;
            }
            let peak = series.in_flight.take_peak();
            let unreserved = if series.key.level() == record::Level::Account {
                self.registry.unreserved.take_peak()
            } else {
                0
            };
            if peak == 0 && unreserved == 0 {
                continue;
            }
            series.add(minute, |s| {
                s.concurrency.sample(peak);
                if series.key.level() == record::Level::Account {
                    s.unreserved.sample(unreserved);
                }
            });
        }
    }

    /// Writes every pending minute to disk and adds it to the totals.
    fn flush(&self) -> Result<(), StoreError> {
        let mut store = lock(&self.store);
        let mut deltas = Vec::new();
        for series in self.registry.all() {
            for (minute, stats) in series.drain() {
                deltas.push((series.key.clone(), minute, stats));
            }
        }
        if let Err(e) = store.merge(&deltas) {
            // Nothing was written (one transaction): the minutes go back to pending.
            for (key, minute, stats) in deltas {
                self.registry.series(&key).add(minute, |s| s.merge(&stats));
            }
            return Err(e);
        }
        let mut totals = lock(&self.totals);
        for (key, _, stats) in &deltas {
            if key.level() == record::Level::Invocations {
                totals.entry(key.clone()).or_default().merge(stats);
            }
        }
        Ok(())
    }

    fn prune(&self) -> Result<usize, StoreError> {
        let keep = i64::from(self.config.retention_days) * 24 * 60;
        lock(&self.store).prune(self.minute_now() - keep)
    }
}

impl Metrics {
    /// Opens the metrics kept in `dir` (made if missing), prunes what retention no longer
    /// keeps, and starts the flusher thread.
    pub fn open(dir: &Path, config: MetricsConfig) -> Result<Arc<Metrics>, StoreError> {
        Self::open_with_clock(dir, config, Arc::new(SystemTime::now))
    }

    /// [`Metrics::open`] on another clock.
    pub fn open_with_clock(
        dir: &Path,
        config: MetricsConfig,
        clock: Clock,
    ) -> Result<Arc<Metrics>, StoreError> {
        let inner = Arc::new(Inner {
            registry: Registry::new(),
            store: Mutex::new(Store::open(dir)?),
            totals: Mutex::new(BTreeMap::new()),
            clock,
            config,
            stop: (Mutex::new(false), Condvar::new()),
        });
        let pruned = inner.prune()?;
        if pruned > 0 {
            tracing::info!(pruned, "metrics: deleted minutes past retention");
        }
        let flusher = {
            let inner = Arc::clone(&inner);
            std::thread::Builder::new()
                .name("lamina-metrics".into())
                .spawn(move || run_flusher(&inner))
                .map_err(|source| StoreError::Io {
                    path: "the metrics flusher thread".into(),
                    source,
                })?
        };
        Ok(Arc::new(Metrics {
            inner,
            flusher: Mutex::new(Some(flusher)),
        }))
    }

    /// An invocation of `key` starts (after it got its concurrency): counted in flight until
    /// the returned guard is dropped, recorded when it is finished. `reserved`: the function
    /// has reserved concurrency (it is then not in `UnreservedConcurrentExecutions`).
    pub fn begin(&self, key: &SeriesKey, reserved: bool) -> InFlight {
        let series = self.inner.registry.series(key);
        InFlight::enter(Arc::clone(&self.inner), series, !reserved)
    }

    /// A request for `key` was throttled.
    pub fn throttled(&self, key: &SeriesKey) {
        let minute = self.inner.minute_now();
        self.inner
            .registry
            .series(key)
            .add(minute, |s| s.throttles += 1);
    }

    /// An asynchronous event for `key` was accepted into the queue.
    pub fn async_received(&self, key: &SeriesKey) {
        let minute = self.inner.minute_now();
        self.inner
            .registry
            .series(key)
            .add(minute, |s| s.async_received += 1);
    }

    /// Writes every pending minute to disk now (blocking).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush()
    }

    /// The seconds since the epoch on this metrics' clock.
    pub fn now_s(&self) -> i64 {
        self.inner.now_s()
    }

    /// The periods of `q` that have data, by start (blocking: flushes first).
    pub fn periods(&self, q: &StatsQuery) -> Result<BTreeMap<i64, Folded>, StoreError> {
        if !q.dimensions.published_for(q.metric, &q.namespace) || q.period_s <= 0 {
            return Ok(BTreeMap::new());
        }
        self.flush()?;
        // Minute m covers [60m, 60m + 60): it belongs to the query when it starts inside.
        let from = q.start_s.div_euclid(60) + i64::from(q.start_s.rem_euclid(60) != 0);
        let to = q.end_s.div_euclid(60) + i64::from(q.end_s.rem_euclid(60) != 0);
        let rows =
            lock(&self.inner.store).read(from, to, &|k| q.dimensions.selects(q.metric, k))?;
        let folded = query::fold_periods(&rows, from * 60, q.period_s);
        Ok(folded
            .into_iter()
            .filter(|(_, f)| f.value(q.metric, Statistic::SampleCount).is_some())
            .collect())
    }

    /// The metrics with data in the retention window, as ListMetrics shows them
    /// (blocking: flushes first).
    pub fn list(&self) -> Result<Vec<Listed>, StoreError> {
        self.flush()?;
        let since = self.inner.minute_now() - i64::from(self.inner.config.retention_days) * 1440;
        let series = lock(&self.inner.store).series_since(since)?;
        let mut out = std::collections::BTreeSet::new();
        for key in &series {
            for namespace in [LAMBDA_NAMESPACE, LAMINA_NAMESPACE] {
                for metric in Metric::ALL {
                    if namespace == LAMBDA_NAMESPACE && !metric.is_lambdas() {
                        continue;
                    }
                    for set in metric.dimension_sets() {
                        let mut dims = Vec::new();
                        for name in *set {
                            let value = match *name {
                                "FunctionName" => &key.function,
                                "Resource" => &key.resource,
                                _ => &key.executed_version,
                            };
                            dims.push((*name, value.clone()));
                        }
                        let d = Dimensions::from_pairs(dims.iter().map(|(n, v)| (*n, v.as_str())));
                        if d.is_ok_and(|d| d.selects(metric, key)) {
                            out.insert(Listed {
                                namespace,
                                metric,
                                dimensions: dims,
                            });
                        }
                    }
                    if namespace == LAMINA_NAMESPACE
                        && key.level() == record::Level::Invocations
                        && !matches!(
                            metric,
                            Metric::ConcurrentExecutions | Metric::UnreservedConcurrentExecutions
                        )
                    {
                        out.insert(Listed {
                            namespace,
                            metric,
                            dimensions: vec![
                                ("FunctionName", key.function.clone()),
                                ("Image", key.image.clone()),
                            ],
                        });
                    }
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Invocations in flight now: (account, functions without reserved concurrency).
    pub fn in_flight(&self) -> (u64, u64) {
        (
            self.inner.registry.account.in_flight.current(),
            self.inner.registry.unreserved.current(),
        )
    }

    /// Stops the flusher and writes what is pending (at shutdown).
    pub fn close(&self) {
        {
            let (stopped, wake) = &self.inner.stop;
            *lock(stopped) = true;
            wake.notify_all();
        }
        if let Some(handle) = lock(&self.flusher).take() {
            let _ = handle.join();
        }
        if let Err(e) = self.inner.flush() {
            tracing::warn!(error = %e, "metrics: the last flush failed");
        }
    }
}

impl Drop for Metrics {
    fn drop(&mut self) {
        self.close();
    }
}

/// Samples the gauges every `sample_interval`, flushes every `flush_interval`, prunes hourly.
fn run_flusher(inner: &Inner) {
    let tick = inner.config.sample_interval.max(Duration::from_millis(10));
    let flush_every = inner.config.flush_interval.max(tick);
    let mut since_flush = Duration::ZERO;
    let mut since_prune = Duration::ZERO;
    loop {
        {
            let (stopped, wake) = &inner.stop;
            let guard = lock(stopped);
            let (guard, _) = wake
                .wait_timeout_while(guard, tick, |s| !*s)
                .unwrap_or_else(PoisonError::into_inner);
            if *guard {
                return;
            }
        }
        inner.sample_gauges();
        since_flush += tick;
        since_prune += tick;
        if since_flush >= flush_every {
            since_flush = Duration::ZERO;
            if let Err(e) = inner.flush() {
                tracing::warn!(error = %e, "metrics: writing minutes failed; they stay pending");
            }
        }
        if since_prune >= Duration::from_secs(3600) {
            since_prune = Duration::ZERO;
            if let Err(e) = inner.prune() {
                tracing::warn!(error = %e, "metrics: retention failed");
            }
        }
    }
}

#[cfg(test)]
mod tests;
