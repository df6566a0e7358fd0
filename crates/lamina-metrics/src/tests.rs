//! Recording, queries, the exposition, restart and retention, on a real SQLite file and a
//! clock the test moves.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use super::*;

struct TestClock(AtomicI64);

impl TestClock {
    fn at(s: i64) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(s)))
    }
    fn set(&self, s: i64) {
        self.0.store(s, Ordering::SeqCst);
    }
    fn clock(self: &Arc<Self>) -> Clock {
        let me = Arc::clone(self);
        Arc::new(move || {
            SystemTime::UNIX_EPOCH + Duration::from_secs(me.0.load(Ordering::SeqCst) as u64)
        })
    }
}

const T0: i64 = 1_780_000_020; // 20 s into a minute

fn open(dir: &std::path::Path, clock: &Arc<TestClock>) -> Arc<Metrics> {
    // The test samples the gauges itself.
    let config = MetricsConfig {
        sample_interval: Duration::from_secs(3600),
        ..MetricsConfig::default()
    };
    Metrics::open_with_clock(dir, config, clock.clock()).unwrap()
}

fn run(m: &Metrics, key: &SeriesKey, outcome: Outcome, ms: u64, init_ms: Option<u64>) {
    m.begin(key, false).finish(Invocation {
        outcome,
        duration: Duration::from_millis(ms),
        init_duration: init_ms.map(Duration::from_millis),
    });
}

fn query(metric: Metric, dims: &[(&str, &str)], period_s: i64) -> StatsQuery {
    StatsQuery {
        namespace: LAMBDA_NAMESPACE.into(),
        metric,
        dimensions: Dimensions::from_pairs(dims.iter().copied()).unwrap(),
        start_s: T0 - 3600,
        end_s: T0 + 3600,
        period_s,
    }
}

fn sum(m: &Metrics, metric: Metric, dims: &[(&str, &str)]) -> f64 {
    m.periods(&query(metric, dims, 7200))
        .unwrap()
        .values()
        .filter_map(|f| f.value(metric, Statistic::Sum))
        .sum()
}

#[test]
fn a_known_workload_gives_exact_counts_per_dimension() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(T0);
    let m = open(dir.path(), &clock);
    let plain = SeriesKey::new("f", "f", "$LATEST", "host");
    let live = SeriesKey::new("f", "f:live", "2", "debian-12");
    run(&m, &plain, Outcome::Success, 10, Some(100));
    run(&m, &plain, Outcome::Success, 20, None);
    run(&m, &plain, Outcome::Error, 30, None);
    clock.set(T0 + 60);
    run(&m, &live, Outcome::Timeout, 1000, Some(50));
    m.throttled(&live);
    m.throttled(&live);

    assert_eq!(sum(&m, Metric::Invocations, &[]), 4.0);
    assert_eq!(sum(&m, Metric::Invocations, &[("FunctionName", "f")]), 4.0);
    assert_eq!(
        sum(
            &m,
            Metric::Invocations,
            &[("FunctionName", "f"), ("Resource", "f:live")]
        ),
        1.0
    );
    assert_eq!(sum(&m, Metric::Errors, &[("FunctionName", "f")]), 2.0);
    assert_eq!(sum(&m, Metric::Throttles, &[("FunctionName", "f")]), 2.0);
    assert_eq!(sum(&m, Metric::Duration, &[("FunctionName", "f")]), 1060.0);
    assert_eq!(sum(&m, Metric::Invocations, &[("FunctionName", "g")]), 0.0);
    // Per minute: the first minute has three invocations, the next one.
    let per_minute = m.periods(&query(Metric::Invocations, &[], 60)).unwrap();
    let counts: Vec<f64> = per_minute
        .values()
        .map(|f| f.value(Metric::Invocations, Statistic::Sum).unwrap())
        .collect();
    assert_eq!(counts, vec![3.0, 1.0]);
    let mut lamina = query(
        Metric::ColdStarts,
        &[("FunctionName", "f"), ("Image", "debian-12")],
        7200,
    );
    lamina.namespace = LAMINA_NAMESPACE.into();
    let folded = m.periods(&lamina).unwrap();
    assert_eq!(
        folded
            .values()
            .next()
            .unwrap()
            .value(Metric::ColdStarts, Statistic::Sum),
        Some(1.0)
    );
    let text = m.prometheus().unwrap();
    assert!(
        text.contains(r#"lamina_invocations_total{function="f",resource="f",version="$LATEST",image="host",outcome="success"} 2"#),
        "{text}"
    );
    assert!(text.contains(
        r#"lamina_throttles_total{function="f",resource="f:live",version="2",image="debian-12"} 2"#
    ));
    assert!(text.contains(
        r#"lamina_invocation_duration_seconds_count{function="f",resource="f",version="$LATEST",image="host"} 3"#
    ));
    assert!(text.ends_with("# EOF\n"));
}

#[test]
fn history_survives_a_restart_and_retention_prunes_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(T0);
    let key = SeriesKey::new("f", "f", "$LATEST", "host");
    {
        let m = open(dir.path(), &clock);
        run(&m, &key, Outcome::Success, 5, None);
        m.close();
    }
    // The same minute again after the restart adds to the row on disk.
    let m = open(dir.path(), &clock);
    run(&m, &key, Outcome::Error, 7, None);
    assert_eq!(sum(&m, Metric::Invocations, &[]), 2.0);
    assert_eq!(sum(&m, Metric::Errors, &[]), 1.0);
    let listed = m.list().unwrap();
    assert!(listed.iter().any(|l| l.metric == Metric::Invocations
        && l.namespace == LAMBDA_NAMESPACE
        && l.dimensions == vec![("FunctionName", "f".to_string())]));
    drop(m);
    // Sixteen days later the minute is gone.
    clock.set(T0 + 16 * 86_400);
    let m = open(dir.path(), &clock);
    let mut q = query(Metric::Invocations, &[], 7200);
    q.start_s = T0 - 60;
    q.end_s = T0 + 60;
    assert!(m.periods(&q).unwrap().is_empty());
    assert!(m.list().unwrap().is_empty());
}

#[test]
fn concurrency_peaks_are_sampled_from_the_gauges() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::at(T0);
    let m = open(dir.path(), &clock);
    let key = SeriesKey::new("f", "f", "$LATEST", "host");
    let a = m.begin(&key, false);
    let b = m.begin(&key, true);
    assert_eq!(m.in_flight(), (2, 1));
    drop(a);
    m.inner.sample_gauges();
    drop(b);
    assert_eq!(m.in_flight(), (0, 0));
    let max = |metric, dims: &[(&str, &str)]| {
        m.periods(&query(metric, dims, 60))
            .unwrap()
            .values()
            .next()
            .and_then(|f| f.value(metric, Statistic::Maximum))
    };
    assert_eq!(
        max(Metric::ConcurrentExecutions, &[("FunctionName", "f")]),
        Some(2.0)
    );
    assert_eq!(max(Metric::ConcurrentExecutions, &[]), Some(2.0));
    assert_eq!(max(Metric::UnreservedConcurrentExecutions, &[]), Some(1.0));
    // Nothing in flight and no peak since: idle functions leave no rows.
    m.inner.sample_gauges();
    m.inner.sample_gauges();
    let samples = m
        .periods(&query(Metric::ConcurrentExecutions, &[], 60))
        .unwrap();
    assert_eq!(
        samples
            .values()
            .next()
            .unwrap()
            .value(Metric::ConcurrentExecutions, Statistic::SampleCount),
        Some(2.0)
    );
}
