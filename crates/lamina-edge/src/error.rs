//! CloudFront's API errors: a code, an HTTP status and a message, rendered as the REST-XML
//! `ErrorResponse` botocore reads (`Error/Type`, `Error/Code`, `Error/Message`, `RequestId`).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::xml::escape;

/// One CloudFront API error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CfError {
    /// HTTP status.
    pub status: u16,
    /// CloudFront's error code (`NoSuchDistribution`, …).
    pub code: &'static str,
    /// The sentence.
    pub message: String,
}

impl CfError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 `MalformedInput`: the document cannot be read.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(400, "MalformedInput", message)
    }

    /// 400 `InvalidArgument`.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidArgument", message)
    }

    /// 400 `InvalidOrigin`.
    pub fn invalid_origin(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidOrigin", message)
    }

    /// 400 `InvalidLambdaFunctionAssociation`.
    pub fn invalid_association(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidLambdaFunctionAssociation", message)
    }

    /// 400 `InvalidTTLOrder`.
    pub fn invalid_ttl_order() -> Self {
        Self::new(
            400,
            "InvalidTTLOrder",
            "The TTL order specified is not valid. MinTTL must be less than or equal to DefaultTTL, and DefaultTTL less than or equal to MaxTTL.",
        )
    }

    /// 404 `NoSuchOrigin`: a behavior targets an origin the distribution does not have.
    pub fn no_such_origin() -> Self {
        Self::new(
            404,
            "NoSuchOrigin",
            "One or more of your origins or origin groups do not exist.",
        )
    }

    /// 404 `NoSuchCachePolicy` (Lamina knows the managed CachingOptimized and CachingDisabled).
    pub fn no_such_cache_policy(id: &str) -> Self {
        Self::new(
            404,
            "NoSuchCachePolicy",
            format!("The cache policy {id} does not exist."),
        )
    }

    /// 404 `NoSuchDistribution`.
    pub fn no_such_distribution() -> Self {
        Self::new(
            404,
            "NoSuchDistribution",
            "The specified distribution does not exist.",
        )
    }

    /// 404 `NoSuchInvalidation`.
    pub fn no_such_invalidation() -> Self {
        Self::new(
            404,
            "NoSuchInvalidation",
            "The specified invalidation does not exist.",
        )
    }

    /// 400 `InvalidIfMatchVersion`: the `If-Match` header is missing.
    pub fn invalid_if_match() -> Self {
        Self::new(
            400,
            "InvalidIfMatchVersion",
            "The If-Match version is missing or not valid for the resource.",
        )
    }

    /// 412 `PreconditionFailed`: `If-Match` is not the current ETag.
    pub fn precondition_failed() -> Self {
        Self::new(
            412,
            "PreconditionFailed",
            "The request failed because it didn't meet the preconditions in one or more request-header fields.",
        )
    }

    /// 409 `DistributionNotDisabled`.
    pub fn not_disabled() -> Self {
        Self::new(
            409,
            "DistributionNotDisabled",
            "The distribution you are trying to delete has not been disabled.",
        )
    }

    /// 409 `DistributionAlreadyExists`: the caller reference belongs to another configuration.
    pub fn already_exists(id: &str) -> Self {
        Self::new(
            409,
            "DistributionAlreadyExists",
            format!(
                "The caller reference that you are using to create a distribution is associated with another distribution. Already exists: {id}"
            ),
        )
    }

    /// 409 `CNAMEAlreadyExists`.
    pub fn cname_exists(cname: &str) -> Self {
        Self::new(
            409,
            "CNAMEAlreadyExists",
            format!(
                "One or more of the CNAMEs you provided are already associated with a different resource. CNAME: {cname}"
            ),
        )
    }

    /// 400 `IllegalUpdate`.
    pub fn illegal_update(message: impl Into<String>) -> Self {
        Self::new(400, "IllegalUpdate", message)
    }

    /// 500 `InternalError`: the store failed (details go to the log).
    pub fn internal() -> Self {
        Self::new(
            500,
            "InternalError",
            "Lamina's edge store failed; see the server log",
        )
    }
}

impl IntoResponse for CfError {
    fn into_response(self) -> Response {
        let kind = if self.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        };
        let request_id = crate::ids::request_id();
        let body = format!(
            "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"{ns}\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            ns = crate::xml::NAMESPACE,
            code = self.code,
            message = escape(&self.message),
        );
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("text/xml"));
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            headers.insert("x-amz-request-id", v);
        }
        response
    }
}
