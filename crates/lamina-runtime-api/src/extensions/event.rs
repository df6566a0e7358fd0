//! The events an extension receives from `/event/next`, in Lambda's JSON shapes:
//! `{"eventType":"INVOKE","deadlineMs","requestId","invokedFunctionArn","tracing"}` and
//! `{"eventType":"SHUTDOWN","shutdownReason","deadlineMs"}`. INVOKE carries no payload.

use bytes::Bytes;
use serde::Serialize;

use crate::invocation::Invocation;

/// The events an extension can register for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// One per invocation, sent when the runtime gets the invocation.
    Invoke,
    /// Once, when the environment is shut down.
    Shutdown,
}

impl EventKind {
    /// Parses the wire name (`INVOKE`, `SHUTDOWN`).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "INVOKE" => Some(Self::Invoke),
            "SHUTDOWN" => Some(Self::Shutdown),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invoke => "INVOKE",
            Self::Shutdown => "SHUTDOWN",
        }
    }
}

/// Why the environment shuts down, as the SHUTDOWN event's `shutdownReason` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownReason {
    /// The environment is reclaimed (idle, drained, the server stops).
    Spindown,
    /// An invocation timed out and the environment is reset.
    Timeout,
    /// The runtime or an extension failed and the environment is reset.
    Failure,
}

impl ShutdownReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::Spindown => "SPINDOWN",
            Self::Timeout => "TIMEOUT",
            Self::Failure => "FAILURE",
        }
    }
}

#[derive(Serialize)]
struct Tracing<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InvokeEvent<'a> {
    event_type: &'static str,
    deadline_ms: u64,
    request_id: &'a str,
    invoked_function_arn: &'a str,
    tracing: Tracing<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ShutdownEvent {
    event_type: &'static str,
    shutdown_reason: &'static str,
    deadline_ms: u64,
}

/// The INVOKE event for `inv`.
pub(crate) fn invoke_event(inv: &Invocation) -> Bytes {
    let event = InvokeEvent {
        event_type: "INVOKE",
        deadline_ms: inv.deadline_ms,
        request_id: &inv.request_id,
        invoked_function_arn: &inv.invoked_function_arn,
        tracing: Tracing {
            kind: "X-Amzn-Trace-Id",
            value: &inv.trace_id,
        },
    };
    // Serialising plain strings and integers cannot fail.
    Bytes::from(serde_json::to_vec(&event).unwrap_or_default())
}

/// The SHUTDOWN event.
pub(crate) fn shutdown_event(reason: ShutdownReason, deadline_ms: u64) -> Bytes {
    let event = ShutdownEvent {
        event_type: "SHUTDOWN",
        shutdown_reason: reason.as_str(),
        deadline_ms,
    };
    Bytes::from(serde_json::to_vec(&event).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoke_event_has_lambdas_fields_and_no_payload() {
        let inv = Invocation {
            request_id: "r1".into(),
            payload: Bytes::from_static(b"{\"secret\":1}"),
            deadline_ms: 1_700_000_000_123,
            invoked_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            trace_id: "Root=1-a-b;Parent=c;Sampled=0".into(),
            client_context: None,
            cognito_identity: None,
        };
        let v: serde_json::Value = serde_json::from_slice(&invoke_event(&inv)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "eventType": "INVOKE",
                "deadlineMs": 1_700_000_000_123u64,
                "requestId": "r1",
                "invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "tracing": {"type": "X-Amzn-Trace-Id", "value": "Root=1-a-b;Parent=c;Sampled=0"}
            })
        );
    }

    #[test]
    fn shutdown_event_names_the_reason() {
        let v: serde_json::Value =
            serde_json::from_slice(&shutdown_event(ShutdownReason::Spindown, 42)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"eventType": "SHUTDOWN", "shutdownReason": "SPINDOWN", "deadlineMs": 42})
        );
    }
}
