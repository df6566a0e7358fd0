//! Lambda's asynchronous invocation record, the document a destination receives:
//! `version`, `timestamp`, `requestContext` {requestId, functionArn, condition,
//! approximateInvokeCount}, `requestPayload`, and, once an attempt reached the function,
//! `responseContext` {statusCode, executedVersion, functionError?} and `responsePayload`.

use lamina_model::event_invoke::{Condition, QueuedEvent};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// The record of `event` ending with `condition` at `now`; `function_arn` is the qualified
/// ARN of what was invoked.
pub(crate) fn record(
    event: &QueuedEvent,
    function_arn: &str,
    condition: Condition,
    now: OffsetDateTime,
) -> Value {
    let mut record = json!({
        "version": "1.0",
        "timestamp": timestamp(now),
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": function_arn,
            "condition": condition.as_str(),
            "approximateInvokeCount": event.attempts,
        },
        "requestPayload": as_json(&event.payload),
    });
    if let Some(response) = &event.last_response {
        let mut context = json!({
            "statusCode": 200,
            "executedVersion": response.executed_version,
        });
        if let Some(error) = &response.function_error {
            context["functionError"] = json!(error);
        }
        record["responseContext"] = context;
        record["responsePayload"] = as_json(response.payload.as_bytes());
    }
    record
}

/// A payload as the record carries it: parsed when it is JSON, else its text; empty is null.
fn as_json(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// `2019-11-14T18:16:05.568Z`: UTC with milliseconds, as Lambda writes it.
fn timestamp(now: OffsetDateTime) -> String {
    let now = now.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use lamina_model::event_invoke::LastResponse;
    use time::macros::datetime;

    fn event() -> QueuedEvent {
        QueuedEvent {
            id: 7,
            attempts: 3,
            ..QueuedEvent::new(
                "f",
                "$LATEST",
                None,
                "11111111-2222-4333-8444-555555555555",
                br#"{"n":1}"#.to_vec(),
                0,
            )
        }
    }

    #[test]
    fn failure_record_has_lambdas_fields() {
        let mut e = event();
        e.last_response = Some(LastResponse {
            executed_version: "$LATEST".into(),
            function_error: Some("Unhandled".into()),
            payload: r#"{"errorMessage":"boom","errorType":"Exception"}"#.into(),
        });
        let r = record(
            &e,
            "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST",
            Condition::RetriesExhausted,
            datetime!(2019-11-14 18:16:05.568 UTC),
        );
        assert_eq!(
            r,
            json!({
                "version": "1.0",
                "timestamp": "2019-11-14T18:16:05.568Z",
                "requestContext": {
                    "requestId": "11111111-2222-4333-8444-555555555555",
                    "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST",
                    "condition": "RetriesExhausted",
                    "approximateInvokeCount": 3
                },
                "requestPayload": {"n": 1},
                "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
                "responsePayload": {"errorMessage": "boom", "errorType": "Exception"}
            })
        );
    }

    #[test]
    fn success_has_no_function_error_and_unrun_events_no_response() {
        let mut e = event();
        e.last_response = Some(LastResponse {
            executed_version: "1".into(),
            function_error: None,
            payload: "not json".into(),
        });
        let r = record(
            &e,
            "arn",
            Condition::Success,
            datetime!(2026-01-01 0:00 UTC),
        );
        assert_eq!(
            r["responseContext"],
            json!({"statusCode": 200, "executedVersion": "1"})
        );
        assert_eq!(r["responsePayload"], json!("not json"));
        let r = record(
            &event(),
            "arn",
            Condition::EventAgeExceeded,
            datetime!(2026-01-01 0:00 UTC),
        );
        assert!(r.get("responseContext").is_none() && r.get("responsePayload").is_none());
    }
}
