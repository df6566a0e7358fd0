//! Why a request was refused, worded as Lambda words it. Each variant knows the exception
//! name sent in `x-amzn-ErrorType`, the HTTP status and the message; the API layer renders
//! them in Lambda's error format. Operator-facing detail (which check failed and why) is
//! logged by the caller, never sent.

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// 403: no `Authorization` header and no presigned query parameters.
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,
    /// 400: an `Authorization` header or presigned query that lacks a part.
    #[error("{0}")]
    IncompleteSignature(String),
    /// 403: the access key is unknown, disabled or deleted.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
    /// 403: the signature does not match, is expired, or its scope is wrong.
    #[error("{0}")]
    InvalidSignature(String),
    /// 403: the identity is known but may not do this.
    #[error("{0}")]
    AccessDenied(String),
    /// 413: the body is larger than any operation accepts.
    #[error("Request must be smaller than {0} bytes for the operation")]
    TooLarge(u64),
}

/// AWS's words for a signature that does not match.
pub const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

impl AuthError {
    /// The exception name (`x-amzn-ErrorType`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::IncompleteSignature(_) => "IncompleteSignatureException",
            Self::UnrecognizedClient => "UnrecognizedClientException",
            Self::InvalidSignature(_) => "InvalidSignatureException",
            Self::AccessDenied(_) => "AccessDeniedException",
            Self::TooLarge(_) => "RequestEntityTooLargeException",
        }
    }

    /// The HTTP status Lambda answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::IncompleteSignature(_) => 400,
            Self::TooLarge(_) => 413,
            _ => 403,
        }
    }

    /// A signature that does not match.
    pub fn mismatch() -> Self {
        Self::InvalidSignature(SIGNATURE_MISMATCH.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_lambda() {
        assert_eq!(AuthError::UnrecognizedClient.status(), 403);
        assert_eq!(
            AuthError::UnrecognizedClient.to_string(),
            "The security token included in the request is invalid."
        );
        assert_eq!(
            AuthError::MissingAuthenticationToken.code(),
            "MissingAuthenticationTokenException"
        );
        assert_eq!(AuthError::mismatch().code(), "InvalidSignatureException");
        assert_eq!(AuthError::IncompleteSignature("x".into()).status(), 400);
    }
}
