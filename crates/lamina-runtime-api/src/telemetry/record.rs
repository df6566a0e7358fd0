//! One telemetry record, `{"time":"<ISO-8601 ms Z>","type":"…","record":…}`, serialised once
//! when it is emitted and shared by every subscriber that takes it.

use bytes::Bytes;

use super::TelemetryKind;

/// A serialised record.
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) kind: TelemetryKind,
    pub(crate) type_name: Box<str>,
    pub(crate) json: Bytes,
}

const TIME_FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
);

/// Now, as Lambda writes a record's `time`: `2022-10-12T00:03:50.000Z`.
pub(crate) fn now_iso() -> String {
    time::OffsetDateTime::now_utc()
        .format(TIME_FORMAT)
        .unwrap_or_default()
}

impl Record {
    /// A record of `type_name` stamped with the current time.
    pub(crate) fn new(kind: TelemetryKind, type_name: &str, record: serde_json::Value) -> Self {
        let value = serde_json::json!({ "time": now_iso(), "type": type_name, "record": record });
        Self {
            kind,
            type_name: type_name.into(),
            // A `Value` always serialises.
            json: Bytes::from(serde_json::to_vec(&value).unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_lambdas_envelope() {
        let r = Record::new(
            TelemetryKind::Function,
            "function",
            serde_json::json!("hello"),
        );
        let v: serde_json::Value = serde_json::from_slice(&r.json).unwrap();
        assert_eq!(v["type"], "function");
        assert_eq!(v["record"], "hello");
        let t = v["time"].as_str().unwrap();
        // 2026-12-03T09:10:11.123Z
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[19] == b'.', "{t}");
    }
}
