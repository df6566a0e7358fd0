//! The error responses the *runtime* sees, in the Runtime API's wire format
//! `{"errorMessage": "...", "errorType": "..."}` with the emulator's status codes.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header::CONTENT_TYPE};
use serde::Serialize;

/// The states of the runtime as named in state-transition errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuntimeStateName {
    /// Started, has not called `/next` yet.
    Initializing,
    /// Posted `/init/error`; it should exit.
    InitFailed,
    /// Waiting for, or between, invocations.
    Ready,
    /// Holding an invocation it has not answered.
    Running,
}

impl RuntimeStateName {
    fn as_str(self) -> &'static str {
        match self {
            Self::Initializing => "Initializing",
            Self::InitFailed => "InitError",
            Self::Ready => "Ready",
            Self::Running => "Running",
        }
    }
}

/// A request the Runtime API refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// 403: the call is not allowed in the runtime's current state.
    InvalidStateTransition {
        from: RuntimeStateName,
        to: &'static str,
    },
    /// 400: the `{id}` is not the invocation the runtime currently holds.
    InvalidRequestId,
    /// 413: the body is over the payload limit.
    TooLarge { limit: usize },
    /// 400: `Lambda-Runtime-Function-Response-Mode` has a value other than `streaming`.
    InvalidResponseMode,
    /// 400: the body ended before its declared length, or the connection failed mid-body.
    Truncated,
    /// 404: no such endpoint.
    NotFound,
    /// 500: the Runtime API is shutting down; the runtime should exit.
    Closed,
    /// 403: an Extensions or Telemetry API call refused in the extension's or sandbox's
    /// current state (`Extension.*`, `Telemetry.*` error types, as the emulator sends them).
    Forbidden {
        error_type: &'static str,
        message: String,
    },
    /// 400: a malformed Extensions or Telemetry API request (`InvalidRequestFormat`,
    /// `ValidationError`, `Extension.MissingHeader`).
    BadRequest {
        error_type: &'static str,
        message: String,
    },
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "errorMessage")]
    error_message: &'a str,
    #[serde(rename = "errorType")]
    error_type: &'a str,
}

impl ApiError {
    /// A 403 with an `Extension.*` or `Telemetry.*` error type.
    pub(crate) fn extension(error_type: &'static str, message: String) -> Self {
        Self::Forbidden {
            error_type,
            message,
        }
    }

    /// A 400 with the given error type.
    pub(crate) fn bad_request(error_type: &'static str, message: String) -> Self {
        Self::BadRequest {
            error_type,
            message,
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::InvalidStateTransition { from, to } => (
                StatusCode::FORBIDDEN,
                "InvalidStateTransition",
                format!(
                    "State transition from {} to {} failed for runtime",
                    from.as_str(),
                    to
                ),
            ),
            Self::InvalidRequestId => (
                StatusCode::BAD_REQUEST,
                "InvalidRequestID",
                "Invalid request ID".to_owned(),
            ),
            Self::TooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!("Exceeded maximum allowed payload size ({limit} bytes)."),
            ),
            Self::InvalidResponseMode => (
                StatusCode::BAD_REQUEST,
                "InvalidFunctionResponseMode",
                "Invalid function response mode".to_owned(),
            ),
            Self::Truncated => (
                StatusCode::BAD_REQUEST,
                "TruncatedHTTPRequest",
                "HTTP request detected as truncated".to_owned(),
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "NotFound",
                "No such Runtime API endpoint".to_owned(),
            ),
            Self::Closed => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "Container error. Non-recoverable state. Runtime should exit promptly.".to_owned(),
            ),
            Self::Forbidden {
                error_type,
                message,
            } => (StatusCode::FORBIDDEN, error_type, message.clone()),
            Self::BadRequest {
                error_type,
                message,
            } => (StatusCode::BAD_REQUEST, error_type, message.clone()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error_type, message) = self.parts();
        let body = ErrorBody {
            error_message: &message,
            error_type,
        };
        // Serialising two strings cannot fail; fall back to an empty body rather than panic.
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (status, json).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

/// The 202 every accepted post gets, with the emulator's `{"status":"OK"}` body.
pub(crate) fn accepted() -> Response {
    let mut response = (StatusCode::ACCEPTED, r#"{"status":"OK"}"#).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
