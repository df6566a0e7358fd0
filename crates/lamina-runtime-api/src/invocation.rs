//! What the platform hands to a runtime (an [`Invocation`]) and what comes back
//! ([`InvokeOutcome`], [`InitOutcome`]). It also owns the translation of an invocation into the
//! `/next` response headers, done once on the caller's side so the `/next` handler only moves
//! prepared values.

use bytes::Bytes;
use http::HeaderValue;

use crate::error::InvokeError;

/// One event for the runtime, as `/next` will deliver it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// `Lambda-Runtime-Aws-Request-Id`; also the `{id}` the runtime must answer on.
    pub request_id: String,
    /// The event bytes, sent as the `/next` body unchanged.
    pub payload: Bytes,
    /// `Lambda-Runtime-Deadline-Ms`: the Unix epoch millisecond at which the invoke times out.
    pub deadline_ms: u64,
    /// `Lambda-Runtime-Invoked-Function-Arn`: the ARN the caller used (with its qualifier).
    pub invoked_function_arn: String,
    /// `Lambda-Runtime-Trace-Id`: X-Ray header `Root=…;Parent=…;Sampled=…`.
    pub trace_id: String,
    /// `Lambda-Runtime-Client-Context`: JSON, sent only when present.
    pub client_context: Option<String>,
    /// `Lambda-Runtime-Cognito-Identity`: JSON, sent only when present.
    pub cognito_identity: Option<String>,
}

/// How an invoke ended, as far as the Runtime API can tell. Timeouts and runtime crashes are
/// the engine's to detect (it owns the clock and the process).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvokeOutcome {
    /// The runtime posted `/response` with this body (at most the configured limit).
    Response(Bytes),
    /// The runtime posted `/error`, or the response could not be taken.
    Error {
        /// The normalised `Lambda-Runtime-Function-Error-Type` (`Runtime.Unknown` when the
        /// runtime sent none or an invalid one), or a platform type such as
        /// `Runtime.TruncatedResponse` / `Runtime.InvalidResponseModeHeader`.
        error_type: String,
        /// The body the runtime posted, verbatim: the function's error payload for the caller.
        body: Bytes,
    },
    /// The response body went over the limit; the caller must see
    /// `Function.ResponseSizeTooLarge` ([`crate::RESPONSE_TOO_LARGE_MESSAGE`]).
    ResponseTooLarge,
}

/// How the runtime's initialisation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitOutcome {
    /// The runtime called `/next` for the first time: init is done.
    Ready,
    /// The runtime posted `/runtime/init/error`.
    Error {
        /// The normalised error type header.
        error_type: String,
        /// The body the runtime posted, verbatim (the caller of the waiting invoke gets it).
        body: Bytes,
    },
    /// Neither happened before the deadline.
    TimedOut,
}

/// The `/next` response headers, validated and built before the hand-off.
#[derive(Debug)]
pub(crate) struct PreparedInvocation {
    pub(crate) request_id: String,
    pub(crate) payload: Bytes,
    pub(crate) headers: Vec<(&'static str, HeaderValue)>,
}

/// Header names of the `/next` response.
pub(crate) mod header {
    pub(crate) const REQUEST_ID: &str = "lambda-runtime-aws-request-id";
    pub(crate) const DEADLINE_MS: &str = "lambda-runtime-deadline-ms";
    pub(crate) const FUNCTION_ARN: &str = "lambda-runtime-invoked-function-arn";
    pub(crate) const TRACE_ID: &str = "lambda-runtime-trace-id";
    pub(crate) const CLIENT_CONTEXT: &str = "lambda-runtime-client-context";
    pub(crate) const COGNITO_IDENTITY: &str = "lambda-runtime-cognito-identity";
}

impl PreparedInvocation {
    /// Validates every header value; an invalid one (control characters) is the caller's bug.
    pub(crate) fn prepare(inv: Invocation) -> Result<Self, InvokeError> {
        let mut headers = Vec::with_capacity(6);
        let value = |name: &'static str, v: &str| {
            HeaderValue::from_str(v).map_err(|_| InvokeError::InvalidHeader { name })
        };
        if inv.request_id.is_empty() || inv.request_id.contains('/') {
            return Err(InvokeError::InvalidHeader {
                name: header::REQUEST_ID,
            });
        }
        headers.push((
            header::REQUEST_ID,
            value(header::REQUEST_ID, &inv.request_id)?,
        ));
        headers.push((header::DEADLINE_MS, HeaderValue::from(inv.deadline_ms)));
        headers.push((
            header::FUNCTION_ARN,
            value(header::FUNCTION_ARN, &inv.invoked_function_arn)?,
        ));
        headers.push((header::TRACE_ID, value(header::TRACE_ID, &inv.trace_id)?));
        if let Some(cc) = &inv.client_context {
            headers.push((header::CLIENT_CONTEXT, value(header::CLIENT_CONTEXT, cc)?));
        }
        if let Some(ci) = &inv.cognito_identity {
            headers.push((
                header::COGNITO_IDENTITY,
                value(header::COGNITO_IDENTITY, ci)?,
            ));
        }
        Ok(Self {
            request_id: inv.request_id,
            payload: inv.payload,
            headers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv() -> Invocation {
        Invocation {
            request_id: "req-1".into(),
            payload: Bytes::from_static(b"{}"),
            deadline_ms: 1_700_000_000_000,
            invoked_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            trace_id: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=1;Sampled=1".into(),
            client_context: None,
            cognito_identity: None,
        }
    }

    #[test]
    fn optional_headers_only_when_present() {
        let p = PreparedInvocation::prepare(inv()).unwrap();
        let names: Vec<_> = p.headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                header::REQUEST_ID,
                header::DEADLINE_MS,
                header::FUNCTION_ARN,
                header::TRACE_ID
            ]
        );
        let mut with = inv();
        with.client_context = Some("{\"custom\":{}}".into());
        with.cognito_identity = Some("{}".into());
        assert_eq!(PreparedInvocation::prepare(with).unwrap().headers.len(), 6);
    }

    #[test]
    fn control_characters_are_rejected() {
        let mut bad = inv();
        bad.trace_id = "a\nb".into();
        assert!(matches!(
            PreparedInvocation::prepare(bad),
            Err(InvokeError::InvalidHeader { name }) if name == header::TRACE_ID
        ));
        let mut slash = inv();
        slash.request_id = "a/b".into();
        assert!(PreparedInvocation::prepare(slash).is_err());
    }
}
