//! The engine's side of `lamina-metrics`: the key an invocation is counted under (function,
//! the resource it was invoked through, the version that ran, its image) and how a REPORT's
//! figures become a recorded invocation. The engine calls [`Recorder`] at three points of
//! an invoke: a throttle, a lease taken, the ending; everything else is the metrics crate's.

use std::sync::Arc;

use lamina_metrics::{InFlight, Invocation, Metrics, Outcome, SeriesKey};

use crate::InvokeRequest;
use crate::report::Report;

/// Records invocations, or nothing when the server runs with metrics off.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recorder(Option<Arc<Metrics>>);

impl Recorder {
    pub(crate) fn new(metrics: Option<Arc<Metrics>>) -> Self {
        Self(metrics)
    }

    pub(crate) fn metrics(&self) -> Option<&Arc<Metrics>> {
        self.0.as_ref()
    }

    /// `req` was refused for concurrency.
    pub(crate) fn throttled(&self, req: &InvokeRequest, image: &str) {
        if let Some(m) = &self.0 {
            m.throttled(&key(req, image));
        }
    }

    /// The series of an asynchronous event of `req`, when metrics are on: counted before
    /// its image is resolved, so the series has no image.
    pub(crate) fn async_series(&self, req: &InvokeRequest) -> Option<SeriesKey> {
        self.0.as_ref().map(|_| key(req, ""))
    }

    /// An asynchronous event of `series` was accepted into the queue.
    pub(crate) fn async_received(&self, series: Option<SeriesKey>) {
        if let (Some(m), Some(series)) = (&self.0, series) {
            m.async_received(&series);
        }
    }

    /// `req` holds its concurrency now: in flight until the guard is dropped.
    pub(crate) fn begin(&self, req: &InvokeRequest, image: &str) -> Option<InFlight> {
        let m = self.0.as_ref()?;
        Some(m.begin(
            &key(req, image),
            req.function.reserved_concurrency.is_some(),
        ))
    }
}

/// Records an invocation that ran with the figures of its REPORT line.
pub(crate) fn finish(in_flight: Option<InFlight>, report: &Report) {
    let Some(in_flight) = in_flight else { return };
    let outcome = match report.status {
        None => Outcome::Success,
        Some("timeout") => Outcome::Timeout,
        Some(_) => Outcome::Error,
    };
    in_flight.finish(Invocation {
        outcome,
        duration: report.duration,
        init_duration: report.init_duration,
    });
}

/// The series of `req`: Lambda's `Resource` is the name, or `name:qualifier` when the
/// invoke named one (its ARN's last part).
fn key(req: &InvokeRequest, image: &str) -> SeriesKey {
    let name = &req.function.name;
    let resource = req
        .invoked_arn
        .split_once(":function:")
        .map_or(name.as_str(), |(_, rest)| rest);
    SeriesKey::new(name.as_str(), resource, req.version.version.as_str(), image)
}
