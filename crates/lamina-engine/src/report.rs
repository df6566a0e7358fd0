//! The platform's log lines, in Lambda's exact words and order, all in this one module:
//! `INIT_START`, `START`, `END`, `REPORT` (with `Init Duration` last, only on a cold start),
//! `INIT_REPORT` for a failed init, the timeout and runtime-exit lines, and billed duration.

use std::fmt::Write;
use std::time::Duration;

/// The figures of one invocation's `REPORT` line.
#[derive(Debug, Clone)]
pub struct Report {
    /// The request id.
    pub request_id: String,
    /// How long the invoke phase took.
    pub duration: Duration,
    /// Billed duration in ms (rounded up to the billing granularity).
    pub billed_ms: u64,
    /// The configured memory, MB.
    pub memory_size_mb: u32,
    /// The cgroup's peak, MB.
    pub max_memory_used_mb: u64,
    /// Init phase duration on a cold start.
    pub init_duration: Option<Duration>,
    /// `timeout` or `error` when the invoke did not end normally.
    pub status: Option<&'static str>,
    /// The error type that ended it, with `status`.
    pub error_type: Option<String>,
}

/// `INIT_START Runtime Version: <name>\tRuntime Version ARN: <arn>`: a cold start's first
/// line, before anything the runtime prints.
pub fn init_start_line(rv: &lamina_model::environment::RuntimeVersion) -> String {
    format!(
        "INIT_START Runtime Version: {}\tRuntime Version ARN: {}",
        rv.name(),
        rv.arn
    )
}

/// `INIT_REPORT` for an init that failed before the runtime could start.
pub fn init_report_error_line(init: Duration, error_type: &str) -> String {
    format!(
        "INIT_REPORT Init Duration: {} ms\tPhase: init\tStatus: error\tError Type: {error_type}",
        millis(init)
    )
}

/// `<timestamp> <id> Task timed out after N.00 seconds`, the line a timeout leaves in the log.
pub fn timed_out_line(request_id: &str, timeout_s: u32) -> String {
    format!(
        "{} {request_id} {}",
        log_timestamp(time::OffsetDateTime::now_utc()),
        timed_out_text(timeout_s)
    )
}

/// `RequestId: <id> Error: <message>` and the error type on the next line, as Lambda logs a
/// platform-detected failure (a runtime exit, a missing bootstrap).
pub fn platform_error_line(request_id: &str, message: &str, error_type: &str) -> String {
    format!("RequestId: {request_id} Error: {message}\n{error_type}")
}

/// [`platform_error_line`] for `Runtime.ExitError`.
pub fn exit_error_line(request_id: &str, message: &str) -> String {
    platform_error_line(request_id, message, "Runtime.ExitError")
}

/// A log line's UTC timestamp with milliseconds, as Lambda prints them: `2019-06-11T10:00:00.123Z`.
fn log_timestamp(t: time::OffsetDateTime) -> String {
    const FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    // Formatting a UTC date with this fixed description cannot fail.
    t.to_offset(time::UtcOffset::UTC)
        .format(FORMAT)
        .unwrap_or_default()
}

/// `START RequestId: <id> Version: <version>`.
pub fn start_line(request_id: &str, version: &str) -> String {
    format!("START RequestId: {request_id} Version: {version}")
}

/// `END RequestId: <id>`.
pub fn end_line(request_id: &str) -> String {
    format!("END RequestId: {request_id}")
}

/// Milliseconds with two decimals, as Lambda prints durations.
pub fn millis(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Rounds a duration up to the billing granularity (1 ms today; 100 ms reproduces 2019).
pub fn billed_ms(d: Duration, granularity_ms: u64) -> u64 {
    let granularity = granularity_ms.max(1);
    let micros = d.as_micros() as u64;
    let ms = micros.div_ceil(1000).max(1);
    ms.div_ceil(granularity) * granularity
}

impl Report {
    /// The `REPORT` line, tab-separated as Lambda writes it.
    pub fn line(&self) -> String {
        let mut line = format!(
            "REPORT RequestId: {}\tDuration: {} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
            self.request_id,
            millis(self.duration),
            self.billed_ms,
            self.memory_size_mb,
            self.max_memory_used_mb
        );
        if let Some(init) = self.init_duration {
            let _ = write!(line, "\tInit Duration: {} ms", millis(init));
        }
        if let Some(status) = self.status {
            let _ = write!(line, "\tStatus: {status}");
            if let Some(error_type) = &self.error_type {
                let _ = write!(line, "\tError Type: {error_type}");
            }
        }
        line
    }
}

/// `Task timed out after 1.00 seconds`.
pub fn timed_out_text(timeout_s: u32) -> String {
    format!("Task timed out after {timeout_s}.00 seconds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billed_duration_rounds_up() {
        assert_eq!(billed_ms(Duration::from_micros(1), 1), 1);
        assert_eq!(billed_ms(Duration::from_micros(1_001), 1), 2);
        assert_eq!(billed_ms(Duration::from_micros(1_000), 1), 1);
        assert_eq!(billed_ms(Duration::from_micros(1_001), 100), 100);
        assert_eq!(billed_ms(Duration::from_millis(101), 100), 200);
    }

    #[test]
    fn report_line_matches_lambda() {
        let mut r = Report {
            request_id: "abc".into(),
            duration: Duration::from_micros(2_190),
            billed_ms: 3,
            memory_size_mb: 128,
            max_memory_used_mb: 73,
            init_duration: Some(Duration::from_micros(113_140)),
            status: None,
            error_type: None,
        };
        assert_eq!(
            r.line(),
            "REPORT RequestId: abc\tDuration: 2.19 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 73 MB\tInit Duration: 113.14 ms"
        );
        r.init_duration = None;
        r.status = Some("timeout");
        assert!(
            r.line()
                .ends_with("Max Memory Used: 73 MB\tStatus: timeout")
        );
        assert_eq!(
            start_line("abc", "$LATEST"),
            "START RequestId: abc Version: $LATEST"
        );
        assert_eq!(timed_out_text(1), "Task timed out after 1.00 seconds");
    }

    #[test]
    fn log_timestamps_are_utc_with_milliseconds() {
        let t = time::macros::datetime!(2019-06-11 10:00:00.123456 +02:00);
        assert_eq!(log_timestamp(t), "2019-06-11T08:00:00.123Z");
        assert_eq!(
            init_report_error_line(Duration::ZERO, "Runtime.InvalidEntrypoint"),
            "INIT_REPORT Init Duration: 0.00 ms\tPhase: init\tStatus: error\tError Type: Runtime.InvalidEntrypoint"
        );
    }
}
