//! Invoke on the wire, for every server that speaks it (`lamina server` and
//! `lamina local start-lambda`): the request headers (`X-Amz-Invocation-Type`,
//! `X-Amz-Log-Type`, `X-Amz-Client-Context`) and, in one place, the responses: the status
//! of each outcome, `X-Amz-Executed-Version`, `X-Amz-Function-Error`, `X-Amz-Log-Result`,
//! and Lambda's error (`x-amzn-errortype` + `{"Type","Message"}`). Bodies are plain
//! [`Bytes`], so any HTTP framework can send them.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use lamina_model::{ErrorKind, LambdaError};

use super::{ASYNC_PAYLOAD_LIMIT, InvocationType, InvokeError, InvokeOutcome};
use crate::InvokeOutput;

/// Largest `X-Amz-Client-Context`, base64.
const CLIENT_CONTEXT_LIMIT: usize = 3583;

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

/// The refusal of a body over `invocation_type`'s limit. `size` is what the client declared
/// or sent, when known: the `Event` refusal names it, as Lambda's does.
pub fn too_large(invocation_type: InvocationType, size: Option<u64>) -> LambdaError {
    match invocation_type {
        InvocationType::Event => {
            let size = size
                .map(|n| format!("{n} byte payload"))
                .unwrap_or_else(|| "Request payload".to_string());
            LambdaError::too_large(format!(
                "{size} is too large for the Event invocation type (limit {ASYNC_PAYLOAD_LIMIT} bytes)"
            ))
        }
        InvocationType::RequestResponse | InvocationType::DryRun => {
            LambdaError::too_large(format!(
                "Request must be smaller than {} bytes for the InvokeFunction operation",
                invocation_type.payload_limit()
            ))
        }
    }
}

/// The size a request declares in `Content-Length`.
pub fn declared_size(headers: &HeaderMap) -> Option<u64> {
    header(headers, "content-length").and_then(|v| v.parse().ok())
}

impl From<InvokeError> for LambdaError {
    /// What the client is told: Lambda's error for each refusal.
    fn from(e: InvokeError) -> Self {
        match e {
            InvokeError::PayloadTooLarge {
                size,
                invocation_type,
                ..
            } => too_large(invocation_type, Some(size as u64)),
            InvokeError::PayloadNotJson => LambdaError::invalid_request(
                "Could not parse request body into json: Could not parse payload into json: the payload is not valid JSON",
            ),
            InvokeError::NoEngine => LambdaError::new(
                ErrorKind::ResourceNotReady,
                "This Lamina server runs without an invoke engine",
            ),
            InvokeError::Function(e) | InvokeError::Engine(e) => e,
        }
    }
}

/// A Lambda error as its HTTP response: the status of its kind, `x-amzn-errortype`, a
/// `{"Type","Message"}` body, and `Retry-After` on a throttle.
pub fn error_response(e: &LambdaError) -> Response<Bytes> {
    let body = serde_json::to_vec(&e.body()).unwrap_or_default();
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() =
        StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = response.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h.insert("x-amzn-errortype", HeaderValue::from_static(e.kind.code()));
    if e.kind.status() == 429 {
        h.insert("retry-after", HeaderValue::from_static("1"));
    }
    response
}

/// An invoke's answer: its outcome as Lambda's response, or its refusal as Lambda's error.
pub fn response(result: Result<InvokeOutcome, InvokeError>, tail: bool) -> Response<Bytes> {
    match result {
        Ok(outcome) => outcome_response(&outcome, tail),
        Err(e) => error_response(&LambdaError::from(e)),
    }
}

/// 200 with the function's payload, 202 for a queued event, 204 for a dry run.
pub fn outcome_response(outcome: &InvokeOutcome, tail: bool) -> Response<Bytes> {
    match outcome {
        InvokeOutcome::Ran(output) => sync_response(output, tail),
        InvokeOutcome::Queued {
            executed_version,
            request_id,
        } => {
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = StatusCode::ACCEPTED;
            insert(
                response.headers_mut(),
                "x-amz-executed-version",
                executed_version,
            );
            if let Some(id) = request_id {
                insert(response.headers_mut(), "x-amzn-requestid", id);
            }
            response
        }
        InvokeOutcome::Checked => {
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
    }
}

/// The 200 of a synchronous invocation: the function's payload (its result or its error) and
/// the headers Lambda sets, with the log's tail when `tail` was asked for.
fn sync_response(output: &InvokeOutput, tail: bool) -> Response<Bytes> {
    let mut response = Response::new(output.payload.clone());
    let h = response.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    insert(h, "x-amz-executed-version", &output.executed_version);
    if let Some(kind) = output.function_error {
        h.insert("x-amz-function-error", HeaderValue::from_static(kind));
    }
    if tail {
        insert(
            h,
            "x-amz-log-result",
            &crate::logs::tail_base64(&output.log_lines),
        );
    }
    insert(h, "x-amzn-requestid", &output.request_id);
    response
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
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
    fn too_large_names_the_limit_or_the_declared_size() {
        let e = too_large(
            InvocationType::Event,
            declared_size(&headers(&[("content-length", "2000000")])),
        );
        assert_eq!(
            e.message,
            "2000000 byte payload is too large for the Event invocation type (limit 1048576 bytes)"
        );
        let e = too_large(InvocationType::Event, None);
        assert!(e.message.starts_with("Request payload is too large"));
        let e = too_large(InvocationType::RequestResponse, Some(7_000_000));
        assert_eq!(
            e.message,
            "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
        );
        assert_eq!(e.kind.status(), 413);
    }

    #[test]
    fn refusals_render_as_lambda_errors() {
        let r = response(Err(InvokeError::PayloadNotJson), false);
        assert_eq!(r.status(), 400);
        assert_eq!(
            r.headers()["x-amzn-errortype"],
            "InvalidRequestContentException"
        );
        let body: serde_json::Value = serde_json::from_slice(r.body()).expect("json");
        assert_eq!(body["Type"], "User");
        let r = response(Err(InvokeError::NoEngine), false);
        assert_eq!(r.status(), 502);
        let r = error_response(&LambdaError::throttled("Rate Exceeded."));
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "1");
    }

    #[test]
    fn queued_and_checked_answer_without_a_body() {
        let r = outcome_response(
            &InvokeOutcome::Queued {
                executed_version: "3".into(),
                request_id: Some("id-1".into()),
            },
            false,
        );
        assert_eq!(r.status(), 202);
        assert_eq!(r.headers()["x-amz-executed-version"], "3");
        assert_eq!(r.headers()["x-amzn-requestid"], "id-1");
        assert_eq!(
            outcome_response(&InvokeOutcome::Checked, true).status(),
            204
        );
    }
}
