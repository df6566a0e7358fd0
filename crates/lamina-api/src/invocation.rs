//! The wire side of Invoke shared by every server that speaks it: the control-plane API
//! (`lamina server`) and SAM's `start-lambda` (`lamina local start-lambda`). It owns the
//! request headers (`X-Amz-Invocation-Type`, `X-Amz-Log-Type`, `X-Amz-Client-Context`), the
//! payload rules and the response headers Lambda sets; which function runs, and how, stays
//! with each caller.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lamina_engine::InvokeOutput;
use lamina_model::LambdaError;

/// Largest synchronous request payload.
pub const SYNC_PAYLOAD_LIMIT: usize = 6_291_456;
/// Largest asynchronous (`Event`) payload.
pub const ASYNC_PAYLOAD_LIMIT: usize = 1_048_576;
/// Largest `X-Amz-Client-Context`, base64.
const CLIENT_CONTEXT_LIMIT: usize = 3583;

/// `X-Amz-Invocation-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    /// Run and answer with the result (200).
    RequestResponse,
    /// Queue and answer at once (202).
    Event,
    /// Check the request and the caller's access only (204).
    DryRun,
}

impl InvocationType {
    /// The largest payload this invocation type accepts.
    pub fn payload_limit(self) -> usize {
        match self {
            Self::Event => ASYNC_PAYLOAD_LIMIT,
            Self::RequestResponse | Self::DryRun => SYNC_PAYLOAD_LIMIT,
        }
    }
}

/// An Invoke request's headers, checked as Lambda checks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeHeaders {
    /// `X-Amz-Invocation-Type` (default `RequestResponse`).
    pub invocation_type: InvocationType,
    /// `X-Amz-Log-Type: Tail`: answer with the last 4 KB of the log in `X-Amz-Log-Result`.
    pub tail: bool,
    /// `X-Amz-Client-Context`, decoded from base64 (a JSON object's text).
    pub client_context: Option<String>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl InvokeHeaders {
    /// Reads the headers; an unknown enum value or a malformed client context is refused in
    /// Lambda's words.
    pub fn parse(headers: &HeaderMap) -> Result<Self, LambdaError> {
        let invocation_type =
            match header(headers, "x-amz-invocation-type").unwrap_or("RequestResponse") {
                "RequestResponse" => InvocationType::RequestResponse,
                "Event" => InvocationType::Event,
                "DryRun" => InvocationType::DryRun,
                other => {
                    return Err(LambdaError::constraint(
                        other,
                        "invocationType",
                        "Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
                    ));
                }
            };
        let tail = match header(headers, "x-amz-log-type").unwrap_or("None") {
            "None" => false,
            "Tail" => true,
            other => {
                return Err(LambdaError::constraint(
                    other,
                    "logType",
                    "Member must satisfy enum value set: [Tail, None]",
                ));
            }
        };
        let client_context = header(headers, "x-amz-client-context")
            .map(decode_client_context)
            .transpose()?;
        Ok(Self {
            invocation_type,
            tail,
            client_context,
        })
    }
}

/// A client context must be base64 of a JSON object's text, at most 3583 bytes encoded.
fn decode_client_context(raw: &str) -> Result<String, LambdaError> {
    use base64::Engine;
    if raw.len() > CLIENT_CONTEXT_LIMIT {
        return Err(LambdaError::invalid_parameter(format!(
            "Client context must be at most {CLIENT_CONTEXT_LIMIT} bytes of base64"
        )));
    }
    let invalid = || {
        LambdaError::invalid_request("Client context must be a valid Base64-encoded JSON object.")
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(raw)
        .map_err(|_| invalid())?;
    let text = String::from_utf8(decoded).map_err(|_| invalid())?;
    if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_err() {
        return Err(invalid());
    }
    Ok(text)
}

/// An empty payload or JSON text; anything else is refused as Lambda refuses it.
pub fn check_payload(payload: &[u8]) -> Result<(), LambdaError> {
    if !payload.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(payload).is_err() {
        return Err(LambdaError::invalid_request(
            "Could not parse request body into json: Could not parse payload into json: the payload is not valid JSON",
        ));
    }
    Ok(())
}

/// The `Event` refusal for a payload over [`ASYNC_PAYLOAD_LIMIT`]. Lambda's words name the
/// payload's size, which the SDKs always send as `Content-Length`.
pub fn event_too_large(headers: &HeaderMap) -> LambdaError {
    let size = header(headers, "content-length")
        .and_then(|v| v.parse::<u64>().ok())
        .map(|n| format!("{n} byte payload"))
        .unwrap_or_else(|| "Request payload".to_string());
    LambdaError::too_large(format!(
        "{size} is too large for the Event invocation type (limit {ASYNC_PAYLOAD_LIMIT} bytes)"
    ))
}

/// The 202 an `Event` invocation answers with, naming the version that will run.
pub fn event_accepted(executed_version: &str) -> Response {
    let mut response = StatusCode::ACCEPTED.into_response();
    if let Ok(v) = HeaderValue::from_str(executed_version) {
        response.headers_mut().insert("x-amz-executed-version", v);
    }
    response
}

/// The 200 of a synchronous invocation: the function's payload (its result or its error) and
/// the headers Lambda sets, with the log's tail when `tail` was asked for.
pub fn sync_response(output: &InvokeOutput, tail: bool) -> Response {
    let mut response = (StatusCode::OK, output.payload.clone()).into_response();
    let h = response.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(&output.executed_version) {
        h.insert("x-amz-executed-version", v);
    }
    if let Some(kind) = output.function_error {
        h.insert("x-amz-function-error", HeaderValue::from_static(kind));
    }
    if tail
        && let Ok(v) = HeaderValue::from_str(&lamina_engine::logs::tail_base64(&output.log_lines))
    {
        h.insert("x-amz-log-result", v);
    }
    if let Ok(v) = HeaderValue::from_str(&output.request_id) {
        h.insert("x-amzn-requestid", v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("test header"));
        }
        h
    }

    #[test]
    fn defaults_are_request_response_without_tail() {
        let parsed = InvokeHeaders::parse(&HeaderMap::new()).expect("defaults");
        assert_eq!(parsed.invocation_type, InvocationType::RequestResponse);
        assert!(!parsed.tail);
        assert_eq!(parsed.client_context, None);
    }

    #[test]
    fn unknown_invocation_type_names_the_member() {
        let e = InvokeHeaders::parse(&headers(&[("x-amz-invocation-type", "Later")]))
            .expect_err("refused");
        assert_eq!(e.kind.code(), "ValidationException");
        assert!(e.message.contains("'Later'"), "{}", e.message);
        assert!(e.message.contains("invocationType"), "{}", e.message);
    }

    #[test]
    fn log_type_tail_and_bad_value() {
        let parsed = InvokeHeaders::parse(&headers(&[
            ("x-amz-invocation-type", "Event"),
            ("x-amz-log-type", "Tail"),
        ]))
        .expect("valid");
        assert_eq!(parsed.invocation_type, InvocationType::Event);
        assert!(parsed.tail);
        let e = InvokeHeaders::parse(&headers(&[("x-amz-log-type", "All")])).expect_err("bad");
        assert!(e.message.contains("logType"), "{}", e.message);
    }

    #[test]
    fn client_context_must_be_base64_json() {
        use base64::Engine;
        let good = base64::engine::general_purpose::STANDARD.encode(r#"{"custom":{"a":"b"}}"#);
        let parsed = InvokeHeaders::parse(&headers(&[("x-amz-client-context", &good)]))
            .expect("valid context");
        assert_eq!(
            parsed.client_context.as_deref(),
            Some(r#"{"custom":{"a":"b"}}"#)
        );
        let not_json = base64::engine::general_purpose::STANDARD.encode("not json");
        for bad in ["%%%", not_json.as_str()] {
            let e = InvokeHeaders::parse(&headers(&[("x-amz-client-context", bad)]))
                .expect_err("refused");
            assert_eq!(e.kind.code(), "InvalidRequestContentException");
        }
        let long = "A".repeat(CLIENT_CONTEXT_LIMIT + 1);
        let e = InvokeHeaders::parse(&headers(&[("x-amz-client-context", &long)]))
            .expect_err("too long");
        assert_eq!(e.kind.code(), "InvalidParameterValueException");
    }

    #[test]
    fn payload_must_be_empty_or_json() {
        assert!(check_payload(b"").is_ok());
        assert!(check_payload(br#"{"a":1}"#).is_ok());
        assert!(check_payload(b"{").is_err());
    }

    #[test]
    fn event_too_large_names_the_declared_size() {
        let e = event_too_large(&headers(&[("content-length", "2000000")]));
        assert_eq!(
            e.message,
            "2000000 byte payload is too large for the Event invocation type (limit 1048576 bytes)"
        );
        let e = event_too_large(&HeaderMap::new());
        assert!(e.message.starts_with("Request payload is too large"));
    }
}
