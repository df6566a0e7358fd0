//! One minute of one series: the counters, the distributions (a real histogram each, with
//! the exact count, sum, minimum and maximum beside it) and the concurrency gauges. Minutes
//! merge, so deltas recorded in memory fold into what is already on disk, and a query folds
//! the minutes of a period into one.

use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};

/// Prometheus bucket bounds of the duration histograms, in seconds (Lambda's durations run
/// from a millisecond to 15 minutes).
pub const BUCKETS_S: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0, 300.0,
    900.0,
];

/// Significant digits the histograms keep: values are exact to 1 %.
const SIGNIFICANT_DIGITS: u8 = 2;

/// A distribution of durations in microseconds.
#[derive(Debug, Clone)]
pub struct Dist {
    /// Every value, within 1 %.
    pub hist: Histogram<u64>,
    /// Exact count, sum, minimum and maximum.
    pub count: u64,
    /// Sum of the values, µs.
    pub sum_us: u64,
    /// Smallest value, µs.
    pub min_us: u64,
    /// Largest value, µs.
    pub max_us: u64,
    /// Counts per [`BUCKETS_S`] bound (not cumulative; the last slot is above the last bound).
    /// Kept in memory only, for the Prometheus histograms.
    pub buckets: [u64; BUCKETS_S.len() + 1],
}

impl Default for Dist {
    fn default() -> Self {
        Self {
            hist: new_histogram(),
            count: 0,
            sum_us: 0,
            min_us: u64::MAX,
            max_us: 0,
            buckets: [0; BUCKETS_S.len() + 1],
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    // Auto-resizing from the smallest range: a minute of millisecond durations holds a few
    // hundred counters, not the whole range up to 15 minutes. `new` only fails for
    // significant digits outside 0..=5.
    #[allow(clippy::expect_used)]
    Histogram::new(SIGNIFICANT_DIGITS).expect("2 significant digits are valid")
}

impl Dist {
    /// Adds one value.
    pub fn record(&mut self, us: u64) {
        let us = us.max(1);
        // Auto-resizing histograms take any value.
        let _ = self.hist.record(us);
        self.count += 1;
        self.sum_us += us;
        self.min_us = self.min_us.min(us);
        self.max_us = self.max_us.max(us);
        let secs = us as f64 / 1e6;
        let slot = BUCKETS_S.partition_point(|b| *b < secs);
        self.buckets[slot] += 1;
    }

    /// Adds another distribution.
    pub fn merge(&mut self, other: &Dist) {
        if other.count == 0 {
            return;
        }
        let _ = self.hist.add(&other.hist);
        self.count += other.count;
        self.sum_us += other.sum_us;
        self.min_us = self.min_us.min(other.min_us);
        self.max_us = self.max_us.max(other.max_us);
        for (a, b) in self.buckets.iter_mut().zip(other.buckets.iter()) {
            *a += b;
        }
    }

    /// The value at percentile `p` (0–100), µs: the exact maximum at 100 and above it.
    pub fn percentile_us(&self, p: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        if p >= 100.0 {
            return Some(self.max_us as f64);
        }
        // The histogram answers with its bucket's highest equivalent value; clamp into the
        // exact range so p0..p99 never leave [min, max].
        let v = self.hist.value_at_quantile(p / 100.0) as f64;
        Some(v.clamp(self.min_us as f64, self.max_us as f64))
    }

    /// The histogram in HdrHistogram's V2 encoding (what is kept on disk).
    pub fn encode_histogram(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = V2Serializer::new().serialize(&self.hist, &mut out);
        out
    }

    /// A distribution from its stored parts (bucket counts are not stored).
    pub fn decode(count: u64, sum_us: u64, min_us: u64, max_us: u64, histogram: &[u8]) -> Self {
        let hist = Deserializer::new()
            .deserialize(&mut &histogram[..])
            .unwrap_or_else(|_| new_histogram());
        Self {
            hist,
            count,
            sum_us,
            min_us,
            max_us,
            buckets: [0; BUCKETS_S.len() + 1],
        }
    }
}

/// A gauge sampled during a minute: its peak and lowest sample, and the sum and count of
/// the samples (their average).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gauge {
    /// The highest sample.
    pub max: u64,
    /// The lowest sample (meaningless while `count` is 0).
    pub min: u64,
    /// Sum of the samples.
    pub sum: u64,
    /// How many samples.
    pub count: u64,
}

impl Gauge {
    /// Adds a sample.
    pub fn sample(&mut self, v: u64) {
        self.min = if self.count == 0 { v } else { self.min.min(v) };
        self.max = self.max.max(v);
        self.sum += v;
        self.count += 1;
    }

    /// Adds another gauge's samples.
    pub fn merge(&mut self, other: &Gauge) {
        if other.count == 0 {
            return;
        }
        self.min = if self.count == 0 {
            other.min
        } else {
            self.min.min(other.min)
        };
        self.max = self.max.max(other.max);
        self.sum += other.sum;
        self.count += other.count;
    }
}

/// One minute of one series.
#[derive(Debug, Clone, Default)]
pub struct MinuteStats {
    /// Invocations that ran (successes, function errors and timeouts).
    pub invocations: u64,
    /// Invocations that ended in an error (timeouts included), Lambda's `Errors`.
    pub errors: u64,
    /// Of the errors, timeouts.
    pub timeouts: u64,
    /// Requests refused for concurrency (not invocations).
    pub throttles: u64,
    /// Invocations that started an execution environment.
    pub cold_starts: u64,
    /// Invoke-phase durations.
    pub duration: Dist,
    /// Init durations of cold starts.
    pub init: Dist,
    /// Invocations in flight (`ConcurrentExecutions`).
    pub concurrency: Gauge,
    /// Account rows only: in-flight invocations of functions without reserved concurrency.
    pub unreserved: Gauge,
    /// Asynchronous events accepted into the queue.
    pub async_received: u64,
}

impl MinuteStats {
    /// Adds another minute's figures.
    pub fn merge(&mut self, other: &MinuteStats) {
        self.invocations += other.invocations;
        self.errors += other.errors;
        self.timeouts += other.timeouts;
        self.throttles += other.throttles;
        self.cold_starts += other.cold_starts;
        self.duration.merge(&other.duration);
        self.init.merge(&other.init);
        self.concurrency.merge(&other.concurrency);
        self.unreserved.merge(&other.unreserved);
        self.async_received += other.async_received;
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.invocations == 0
            && self.throttles == 0
            && self.concurrency.count == 0
            && self.unreserved.count == 0
            && self.async_received == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_histogram_within_the_exact_range() {
        let mut d = Dist::default();
        for ms in 1..=100u64 {
            d.record(ms * 1000);
        }
        assert_eq!((d.count, d.min_us, d.max_us), (100, 1000, 100_000));
        assert_eq!(d.sum_us, 5_050_000);
        let p50 = d.percentile_us(50.0).unwrap();
        assert!((49_500.0..=50_500.0).contains(&p50), "{p50}");
        let p99 = d.percentile_us(99.0).unwrap();
        assert!((98_000.0..=100_000.0).contains(&p99), "{p99}");
        assert_eq!(d.percentile_us(100.0), Some(100_000.0));
        assert_eq!(Dist::default().percentile_us(50.0), None);
    }

    #[test]
    fn a_distribution_survives_its_encoding_and_merges() {
        let mut a = Dist::default();
        a.record(2_000);
        a.record(900_000_000);
        let back = Dist::decode(a.count, a.sum_us, a.min_us, a.max_us, &a.encode_histogram());
        assert_eq!(back.hist.len(), 2);
        let mut b = Dist::default();
        b.record(500);
        b.merge(&back);
        assert_eq!((b.count, b.min_us, b.max_us), (3, 500, 900_000_000));
        assert_eq!(b.hist.len(), 3);
    }

    #[test]
    fn prometheus_buckets_split_at_their_bounds() {
        let mut d = Dist::default();
        d.record(1_000); // exactly 1 ms: the first bucket (le="0.001")
        d.record(1_001);
        d.record(2_000_000_000); // above 900 s
        assert_eq!(d.buckets[0], 1);
        assert_eq!(d.buckets[1], 1);
        assert_eq!(d.buckets[BUCKETS_S.len()], 1);
    }
}
