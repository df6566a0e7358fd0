//! Statistics over a period, as CloudWatch computes them for Lambda's metrics: which rows a
//! metric and its dimensions select, how a minute becomes (sum, sample count, min, max) and
//! percentiles, and how minutes fold into periods. The wire shapes are the API's.

use std::collections::BTreeMap;

use crate::record::{Level, SeriesKey};
use crate::stats::{Dist, Gauge, MinuteStats};

/// `AWS/Lambda`: Lambda's own metric names.
pub const LAMBDA_NAMESPACE: &str = "AWS/Lambda";
/// `Lamina`: Lambda's names plus Lamina's own, and the `Image` dimension.
pub const LAMINA_NAMESPACE: &str = "Lamina";

/// A metric Lamina keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// Invocations that ran.
    Invocations,
    /// Invocations that ended in a function error or a timeout.
    Errors,
    /// Requests refused for concurrency.
    Throttles,
    /// The invoke phase, ms.
    Duration,
    /// Invocations in flight.
    ConcurrentExecutions,
    /// Account: invocations in flight of functions without reserved concurrency.
    UnreservedConcurrentExecutions,
    /// Asynchronous events accepted.
    AsyncEventsReceived,
    /// Lamina: invocations that started an execution environment.
    ColdStarts,
    /// Lamina: the init phase of cold starts, ms.
    InitDuration,
    /// Lamina: invocations that ran past their timeout.
    Timeouts,
}

impl Metric {
    /// Every metric, in listing order.
    pub const ALL: [Metric; 10] = [
        Metric::Invocations,
        Metric::Errors,
        Metric::Throttles,
        Metric::Duration,
        Metric::ConcurrentExecutions,
        Metric::UnreservedConcurrentExecutions,
        Metric::AsyncEventsReceived,
        Metric::ColdStarts,
        Metric::InitDuration,
        Metric::Timeouts,
    ];

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Invocations => "Invocations",
            Self::Errors => "Errors",
            Self::Throttles => "Throttles",
            Self::Duration => "Duration",
            Self::ConcurrentExecutions => "ConcurrentExecutions",
            Self::UnreservedConcurrentExecutions => "UnreservedConcurrentExecutions",
            Self::AsyncEventsReceived => "AsyncEventsReceived",
            Self::ColdStarts => "ColdStarts",
            Self::InitDuration => "InitDuration",
            Self::Timeouts => "Timeouts",
        }
    }

    /// The metric of `name` in `namespace`.
    pub fn parse(namespace: &str, name: &str) -> Option<Metric> {
        let m = Self::ALL.into_iter().find(|m| m.name() == name)?;
        match namespace {
            LAMINA_NAMESPACE => Some(m),
            LAMBDA_NAMESPACE if m.is_lambdas() => Some(m),
            _ => None,
        }
    }

    /// Whether Lambda publishes it in `AWS/Lambda`.
    pub fn is_lambdas(self) -> bool {
        !matches!(self, Self::ColdStarts | Self::InitDuration | Self::Timeouts)
    }

    /// CloudWatch's unit.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Duration | Self::InitDuration => "Milliseconds",
            _ => "Count",
        }
    }

    /// Whether it is a concurrency gauge (kept on function and account rows).
    fn is_gauge(self) -> bool {
        matches!(
            self,
            Self::ConcurrentExecutions | Self::UnreservedConcurrentExecutions
        )
    }

    /// The dimension sets it is published with (names only): what ListMetrics shows.
    pub fn dimension_sets(self) -> &'static [&'static [&'static str]] {
        match self {
            Self::UnreservedConcurrentExecutions => &[&[]],
            Self::ConcurrentExecutions => &[&[], &["FunctionName"]],
            _ => &[
                &[],
                &["FunctionName"],
                &["FunctionName", "Resource"],
                &["FunctionName", "Resource", "ExecutedVersion"],
            ],
        }
    }
}

/// The dimensions a query names (CloudWatch matches a metric's dimension set exactly).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dimensions {
    /// `FunctionName`.
    pub function: Option<String>,
    /// `Resource`.
    pub resource: Option<String>,
    /// `ExecutedVersion`.
    pub executed_version: Option<String>,
    /// `Image` (namespace `Lamina`).
    pub image: Option<String>,
}

/// Why a query names no metric Lamina keeps (CloudWatch answers such queries with no data).
impl Dimensions {
    /// Builds dimensions from (name, value) pairs; an unknown name or a repeated one is an
    /// error naming it.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, String> {
        let mut d = Dimensions::default();
        for (name, value) in pairs {
            let slot = match name {
                "FunctionName" => &mut d.function,
                "Resource" => &mut d.resource,
                "ExecutedVersion" => &mut d.executed_version,
                "Image" => &mut d.image,
                other => return Err(format!("unknown dimension {other}")),
            };
            if slot.replace(value.to_string()).is_some() {
                return Err(format!("dimension {name} is given twice"));
            }
        }
        Ok(d)
    }

    /// Whether this set is one `metric` is published with (others have no data, as in
    /// CloudWatch, where a dimension set must match exactly).
    pub fn published_for(&self, metric: Metric, namespace: &str) -> bool {
        if self.image.is_some() {
            return namespace == LAMINA_NAMESPACE
                && !metric.is_gauge()
                && self.resource.is_none()
                && self.executed_version.is_none();
        }
        let names: Vec<&str> = [
            self.function.as_ref().map(|_| "FunctionName"),
            self.resource.as_ref().map(|_| "Resource"),
            self.executed_version.as_ref().map(|_| "ExecutedVersion"),
        ]
        .into_iter()
        .flatten()
        .collect();
        metric.dimension_sets().contains(&names.as_slice())
    }

    /// Whether the rows of `key` count towards `metric` under these dimensions.
    pub fn selects(&self, metric: Metric, key: &SeriesKey) -> bool {
        let level = key.level();
        if metric.is_gauge() {
            return match (&self.function, level) {
                (None, Level::Account) => true,
                (Some(f), Level::Function) => *f == key.function,
                _ => false,
            };
        }
        level == Level::Invocations
            && self.function.as_ref().is_none_or(|f| *f == key.function)
            && self.resource.as_ref().is_none_or(|r| *r == key.resource)
            && self
                .executed_version
                .as_ref()
                .is_none_or(|v| *v == key.executed_version)
            && self.image.as_ref().is_none_or(|i| *i == key.image)
    }
}

/// A statistic CloudWatch computes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    /// How many values.
    SampleCount,
    /// Their mean.
    Average,
    /// Their sum.
    Sum,
    /// The lowest.
    Minimum,
    /// The highest.
    Maximum,
    /// A percentile, `pNN` or `pNN.NN` (0–100).
    Percentile(f64),
}

impl Statistic {
    /// Parses `Sum`, `p99`, `p99.9`, …; `None` for anything else.
    pub fn parse(s: &str) -> Option<Statistic> {
        Some(match s {
            "SampleCount" => Self::SampleCount,
            "Average" => Self::Average,
            "Sum" => Self::Sum,
            "Minimum" => Self::Minimum,
            "Maximum" => Self::Maximum,
            _ => {
                let p: f64 = s.strip_prefix('p')?.parse().ok()?;
                if !(0.0..=100.0).contains(&p) {
                    return None;
                }
                Self::Percentile(p)
            }
        })
    }
}

/// One metric's figures over a set of minutes.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    stats: MinuteStats,
}

impl Folded {
    /// Adds a minute.
    pub fn add(&mut self, stats: &MinuteStats) {
        self.stats.merge(stats);
    }

    /// The value of `statistic` for `metric`, or `None` when there is no sample.
    pub fn value(&self, metric: Metric, statistic: Statistic) -> Option<f64> {
        let s = &self.stats;
        let counter = |sum: u64, count: u64, min: f64, max: f64| -> Option<f64> {
            if count == 0 {
                return None;
            }
            Some(match statistic {
                Statistic::SampleCount => count as f64,
                Statistic::Sum => sum as f64,
                Statistic::Average => sum as f64 / count as f64,
                Statistic::Minimum => min,
                Statistic::Maximum => max,
                Statistic::Percentile(p) => {
                    // Values are 0 or 1: the share of ones decides each percentile.
                    let ones = sum as f64 / count as f64;
                    if p / 100.0 <= 1.0 - ones { min } else { max }
                }
            })
        };
        let ones = |n: u64| counter(n, n, 1.0, 1.0);
        // Errors are published per invocation as 0 or 1, so their average is the error rate.
        let rate = |n: u64, of: u64| {
            counter(
                n,
                of,
                if n == of { 1.0 } else { 0.0 },
                if n > 0 { 1.0 } else { 0.0 },
            )
        };
        let dist = |d: &Dist| -> Option<f64> {
            if d.count == 0 {
                return None;
            }
            let ms = |us: f64| us / 1000.0;
            Some(match statistic {
                Statistic::SampleCount => d.count as f64,
                Statistic::Sum => ms(d.sum_us as f64),
                Statistic::Average => ms(d.sum_us as f64 / d.count as f64),
                Statistic::Minimum => ms(d.min_us as f64),
                Statistic::Maximum => ms(d.max_us as f64),
                Statistic::Percentile(p) => ms(d.percentile_us(p)?),
            })
        };
        let gauge = |g: &Gauge| -> Option<f64> {
            counter(g.sum, g.count, g.min as f64, g.max as f64).map(|v| match statistic {
                // A gauge's percentiles are not kept: answer with its peak for the top
                // half and its lowest sample below.
                Statistic::Percentile(p) if p >= 50.0 => g.max as f64,
                Statistic::Percentile(_) => g.min as f64,
                _ => v,
            })
        };
        match metric {
            Metric::Invocations => ones(s.invocations),
            Metric::Errors => rate(s.errors, s.invocations),
            Metric::Timeouts => rate(s.timeouts, s.invocations),
            Metric::ColdStarts => rate(s.cold_starts, s.invocations),
            Metric::Throttles => ones(s.throttles),
            Metric::AsyncEventsReceived => ones(s.async_received),
            Metric::Duration => dist(&s.duration),
            Metric::InitDuration => dist(&s.init),
            Metric::ConcurrentExecutions => gauge(&s.concurrency),
            Metric::UnreservedConcurrentExecutions => gauge(&s.unreserved),
        }
    }
}

/// Folds rows (series, minute, figures) into periods of `period_s` seconds counted from
/// `origin_s` (the query's start, on a minute): the period's start (seconds) → its figures.
pub fn fold_periods(
    rows: &[(SeriesKey, i64, MinuteStats)],
    origin_s: i64,
    period_s: i64,
) -> BTreeMap<i64, Folded> {
    let mut out: BTreeMap<i64, Folded> = BTreeMap::new();
    for (_, minute, stats) in rows {
        let start = origin_s + (minute * 60 - origin_s).div_euclid(period_s) * period_s;
        out.entry(start).or_default().add(stats);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(f: &str, r: &str, v: &str) -> SeriesKey {
        SeriesKey::new(f, r, v, "host")
    }

    #[test]
    fn dimensions_select_like_cloudwatch() {
        let alias = key("f", "f:live", "3");
        let plain = key("f", "f", "$LATEST");
        let other = key("g", "g", "$LATEST");
        let all = Dimensions::default();
        let f = Dimensions::from_pairs([("FunctionName", "f")]).unwrap();
        let live = Dimensions::from_pairs([("FunctionName", "f"), ("Resource", "f:live")]).unwrap();
        for k in [&alias, &plain, &other] {
            assert!(all.selects(Metric::Invocations, k));
        }
        assert!(f.selects(Metric::Invocations, &alias) && f.selects(Metric::Invocations, &plain));
        assert!(!f.selects(Metric::Invocations, &other));
        assert!(live.selects(Metric::Invocations, &alias));
        assert!(!live.selects(Metric::Invocations, &plain));
        // Concurrency lives on the function and account rows only.
        assert!(!f.selects(Metric::ConcurrentExecutions, &alias));
        assert!(f.selects(
            Metric::ConcurrentExecutions,
            &SeriesKey::function_level("f")
        ));
        assert!(all.selects(Metric::ConcurrentExecutions, &SeriesKey::account()));
        assert!(!all.selects(Metric::Invocations, &SeriesKey::account()));
        assert!(Dimensions::from_pairs([("Colour", "x")]).is_err());
        assert!(
            !Dimensions::from_pairs([("Resource", "f")])
                .unwrap()
                .published_for(Metric::Invocations, LAMBDA_NAMESPACE)
        );
    }

    #[test]
    fn statistics_of_counters_and_durations() {
        let mut m = MinuteStats {
            invocations: 4,
            errors: 1,
            ..MinuteStats::default()
        };
        for ms in [10u64, 20, 30, 40] {
            m.duration.record(ms * 1000);
        }
        let mut f = Folded::default();
        f.add(&m);
        assert_eq!(f.value(Metric::Invocations, Statistic::Sum), Some(4.0));
        assert_eq!(f.value(Metric::Errors, Statistic::Sum), Some(1.0));
        assert_eq!(f.value(Metric::Errors, Statistic::Average), Some(0.25));
        assert_eq!(f.value(Metric::Errors, Statistic::Minimum), Some(0.0));
        assert_eq!(f.value(Metric::Duration, Statistic::Sum), Some(100.0));
        assert_eq!(f.value(Metric::Duration, Statistic::Maximum), Some(40.0));
        assert_eq!(f.value(Metric::Duration, Statistic::Average), Some(25.0));
        let p50 = f
            .value(Metric::Duration, Statistic::Percentile(50.0))
            .unwrap();
        assert!((19.8..=20.2).contains(&p50), "{p50}");
        assert_eq!(f.value(Metric::Throttles, Statistic::Sum), None);
    }

    #[test]
    fn statistic_names() {
        assert_eq!(Statistic::parse("p99"), Some(Statistic::Percentile(99.0)));
        assert_eq!(Statistic::parse("p99.9"), Some(Statistic::Percentile(99.9)));
        assert_eq!(Statistic::parse("p101"), None);
        assert_eq!(Statistic::parse("Median"), None);
        assert_eq!(Metric::parse(LAMBDA_NAMESPACE, "ColdStarts"), None);
        assert_eq!(
            Metric::parse(LAMINA_NAMESPACE, "ColdStarts"),
            Some(Metric::ColdStarts)
        );
    }
}
