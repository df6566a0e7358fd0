//! Recent invocations of a function, read back from its log group: the engine writes one
//! `REPORT` line per invocation (whoever invoked: the API, the console or the async queue),
//! so the kept log events are the ring of recent results, and no second record is needed.

use std::collections::HashMap;

use lamina_api::LogEvent;

/// One invocation as its `REPORT` line tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The request id.
    pub request_id: String,
    /// When the REPORT line was written, ms since the epoch.
    pub timestamp_ms: i64,
    /// The version its `START` line names, if that line is still kept.
    pub version: Option<String>,
    /// `Duration` as printed (ms, two decimals).
    pub duration: String,
    /// `Billed Duration` (ms).
    pub billed: String,
    /// `Memory Size` (MB).
    pub memory_size: String,
    /// `Max Memory Used` (MB).
    pub max_memory_used: String,
    /// `Init Duration` (ms) when the invocation started a new environment.
    pub init_duration: Option<String>,
    /// `Status` when it did not succeed (`error`, `timeout`).
    pub status: Option<String>,
    /// `Error Type` with a status.
    pub error_type: Option<String>,
}

/// The newest `limit` invocations in `events` (which are ordered by time), newest first.
pub fn recent(events: &[LogEvent], limit: usize) -> Vec<Invocation> {
    let mut versions: HashMap<&str, &str> = HashMap::new();
    for e in events {
        if let Some(rest) = e.message.strip_prefix("START RequestId: ")
            && let Some((id, version)) = rest.split_once(" Version: ")
        {
            versions.insert(id, version.trim());
        }
    }
    events
        .iter()
        .rev()
        .filter_map(|e| {
            let mut inv = parse_report(&e.message)?;
            inv.timestamp_ms = e.timestamp_ms;
            inv.version = versions.get(inv.request_id.as_str()).map(|v| v.to_string());
            Some(inv)
        })
        .take(limit)
        .collect()
}

/// Reads a tab-separated `REPORT RequestId: …` line.
pub fn parse_report(line: &str) -> Option<Invocation> {
    let rest = line.trim_end().strip_prefix("REPORT ")?;
    let mut fields: HashMap<&str, &str> = HashMap::new();
    for part in rest.split('\t') {
        if let Some((k, v)) = part.split_once(": ") {
            fields.insert(k.trim(), v.trim());
        }
    }
    let unit = |key: &str, suffix: &str| {
        fields
            .get(key)
            .map(|v| v.trim_end_matches(suffix).trim().to_string())
    };
    Some(Invocation {
        request_id: fields.get("RequestId")?.to_string(),
        timestamp_ms: 0,
        version: None,
        duration: unit("Duration", "ms")?,
        billed: unit("Billed Duration", "ms")?,
        memory_size: unit("Memory Size", "MB")?,
        max_memory_used: unit("Max Memory Used", "MB")?,
        init_duration: unit("Init Duration", "ms"),
        status: fields.get("Status").map(|s| s.to_string()),
        error_type: fields.get("Error Type").map(|s| s.to_string()),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use super::*;

    fn ev(ts: i64, message: &str) -> LogEvent {
        LogEvent {
            timestamp_ms: ts,
            message: message.to_string(),
            stream: Arc::from("s"),
        }
    }

    #[test]
    fn reads_reports_newest_first_with_their_versions() {
        let events = [
            ev(1, "START RequestId: a Version: $LATEST"),
            ev(2, "hello"),
            ev(3, "END RequestId: a"),
            ev(
                4,
                "REPORT RequestId: a\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB\tInit Duration: 80.01 ms",
            ),
            ev(5, "START RequestId: b Version: 3"),
            ev(
                6,
                "REPORT RequestId: b\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 256 MB\tMax Memory Used: 31 MB\tStatus: error\tError Type: Runtime.ExitError",
            ),
        ];
        let got = recent(&events, 10);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].request_id, "b");
        assert_eq!(got[0].version.as_deref(), Some("3"));
        assert_eq!(got[0].status.as_deref(), Some("error"));
        assert_eq!(got[0].error_type.as_deref(), Some("Runtime.ExitError"));
        assert_eq!(got[0].init_duration, None);
        assert_eq!(got[1].duration, "12.50");
        assert_eq!(got[1].billed, "13");
        assert_eq!(got[1].memory_size, "128");
        assert_eq!(got[1].max_memory_used, "30");
        assert_eq!(got[1].init_duration.as_deref(), Some("80.01"));
        assert_eq!(got[1].timestamp_ms, 4);
        assert_eq!(recent(&events, 1).len(), 1);
    }

    #[test]
    fn other_lines_are_not_reports() {
        assert_eq!(parse_report("REPORT from my function"), None);
        assert_eq!(parse_report("hello REPORT RequestId: x"), None);
    }
}
