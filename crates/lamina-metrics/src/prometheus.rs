//! The Prometheus exposition (`GET /metrics`), encoded by `prometheus-client` in the
//! OpenMetrics text format from the figures since the server started: counters of
//! invocations by outcome, throttles and cold starts, histograms of duration and init
//! duration, and the concurrency gauges now. Labels stay few: `function`, `resource`
//! (Lambda's: the name or `name:qualifier` invoked), `version`, `image`, `outcome`.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use crate::stats::{BUCKETS_S, Dist};
use crate::{Metrics, Outcome, lock};

/// The content type of [`Metrics::prometheus`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A scrape's view: a snapshot taken when the scrape starts.
#[derive(Debug)]
struct Snapshot {
    series: Vec<(crate::SeriesKey, crate::stats::MinuteStats)>,
    functions: Vec<(String, u64)>,
    account: u64,
    unreserved: u64,
}

type Labels = Vec<(&'static str, String)>;

fn labels(key: &crate::SeriesKey) -> Labels {
    vec![
        ("function", key.function.clone()),
        ("resource", key.resource.clone()),
        ("version", key.executed_version.clone()),
        ("image", key.image.clone()),
    ]
}

fn histogram(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    series: &[(Labels, &Dist)],
) -> Result<(), std::fmt::Error> {
    let mut metric =
        encoder.encode_descriptor(name, help, Some(&Unit::Seconds), MetricType::Histogram)?;
    for (labels, dist) in series {
        let mut buckets: Vec<(f64, u64)> = BUCKETS_S
            .iter()
            .copied()
            .zip(dist.buckets.iter().copied())
            .collect();
        buckets.push((f64::INFINITY, dist.buckets[BUCKETS_S.len()]));
        metric
            .encode_family(labels)?
            .encode_histogram::<prometheus_client::encoding::NoLabelSet>(
                dist.sum_us as f64 / 1e6,
                dist.count,
                &buckets,
                None,
            )?;
    }
    Ok(())
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        {
            let mut m = encoder.encode_descriptor(
                "lamina_invocations",
                "Invocations that ran, by how they ended (Lambda's Invocations; errors and timeouts are Lambda's Errors)",
                None,
                MetricType::Counter,
            )?;
            for (key, s) in self
                .series
                .iter()
                .filter(|(_, s)| s.invocations > 0 || s.throttles > 0)
            {
                let success = s.invocations - s.errors;
                for (outcome, n) in [
                    (Outcome::Success, success),
                    (Outcome::Error, s.errors - s.timeouts),
                    (Outcome::Timeout, s.timeouts),
                ] {
                    let mut l = labels(key);
                    l.push(("outcome", outcome.label().to_string()));
                    ConstCounter::new(n).encode(m.encode_family(&l)?)?;
                }
            }
        }
        for (name, help, pick) in [
            (
                "lamina_throttles",
                "Invoke requests refused for concurrency (Lambda's Throttles)",
                (|s: &crate::stats::MinuteStats| s.throttles) as fn(&_) -> u64,
            ),
            (
                "lamina_cold_starts",
                "Invocations that started an execution environment",
                |s| s.cold_starts,
            ),
            (
                "lamina_async_events_received",
                "Asynchronous events accepted into the queue (Lambda's AsyncEventsReceived)",
                |s| s.async_received,
            ),
        ] {
            let mut m = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            // A series that never counted this (an asynchronous series has no invocations;
            // an invocation series receives no events) gets no line.
            for (key, s) in &self.series {
                let n = pick(s);
                let relevant = if name == "lamina_async_events_received" {
                    n > 0
                } else {
                    s.invocations > 0 || s.throttles > 0
                };
                if relevant {
                    ConstCounter::new(n).encode(m.encode_family(&labels(key))?)?;
                }
            }
        }
        let durations: Vec<(Labels, &Dist)> = self
            .series
            .iter()
            .filter(|(_, s)| s.duration.count > 0)
            .map(|(k, s)| (labels(k), &s.duration))
            .collect();
        histogram(
            &mut encoder,
            "lamina_invocation_duration",
            "The invoke phase of each invocation (REPORT's Duration)",
            &durations,
        )?;
        let inits: Vec<(Labels, &Dist)> = self
            .series
            .iter()
            .filter(|(_, s)| s.init.count > 0)
            .map(|(k, s)| (labels(k), &s.init))
            .collect();
        histogram(
            &mut encoder,
            "lamina_init_duration",
            "The init phase of each cold start (REPORT's Init Duration)",
            &inits,
        )?;
        {
            let mut m = encoder.encode_descriptor(
                "lamina_concurrent_executions",
                "Invocations of a function in flight now (Lambda's ConcurrentExecutions)",
                None,
                MetricType::Gauge,
            )?;
            for (function, n) in &self.functions {
                let l: Labels = vec![("function", function.clone())];
                ConstGauge::new(*n as i64).encode(m.encode_family(&l)?)?;
            }
        }
        for (name, help, v) in [
            (
                "lamina_account_concurrent_executions",
                "Invocations of every function in flight now",
                self.account,
            ),
            (
                "lamina_unreserved_concurrent_executions",
                "Invocations in flight now of functions without reserved concurrency (Lambda's UnreservedConcurrentExecutions)",
                self.unreserved,
            ),
        ] {
            let m = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            ConstGauge::new(v as i64).encode(m)?;
        }
        Ok(())
    }
}

impl Metrics {
    /// The exposition text (blocking: flushes first, so every finished invocation counts).
    pub fn prometheus(&self) -> Result<String, crate::StoreError> {
        self.flush()?;
        let series = lock(&self.inner.totals)
            .iter()
            .map(|(k, s)| (k.clone(), s.clone()))
            .collect();
        let mut functions: Vec<(String, u64)> = self
            .inner
            .registry
            .all()
            .into_iter()
            .filter(|s| s.key.level() == crate::record::Level::Function)
            .map(|s| (s.key.function.clone(), s.in_flight.current()))
            .collect();
        functions.sort();
        let (account, unreserved) = self.in_flight();
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Snapshot {
            series,
            functions,
            account,
            unreserved,
        }));
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        Ok(out)
    }
}
