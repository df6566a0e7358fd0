//! Lambda's error vocabulary: the exception names a client sees in `x-amzn-errortype`,
//! their HTTP status, and the `{"Type","Message"}` body. This module owns the *client-facing*
//! error; the cause chain an operator needs is logged where the error is raised.

use serde::Serialize;

/// One of Lambda's exception shapes (botocore `lambda/2015-03-31`), with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 400: a parameter is out of bounds or malformed.
    InvalidParameterValue,
    /// 400: the body is not valid JSON or a header is wrong.
    InvalidRequestContent,
    /// 400: a member fails the API model's constraint (pattern, range, enum), as AWS's
    /// generic `ValidationException` words it.
    Validation,
    /// 400: the account's code storage is full.
    CodeStorageExceeded,
    /// 404: the function, version, alias, layer or statement does not exist.
    ResourceNotFound,
    /// 409: the resource already exists, or is being changed.
    ResourceConflict,
    /// 412: the `RevisionId` given does not match the current one.
    PreconditionFailed,
    /// 413: the request or the zipped package is too large.
    RequestEntityTooLarge,
    /// 415: the content type is not accepted.
    UnsupportedMediaType,
    /// 429: a concurrency limit is reached.
    TooManyRequests,
    /// 500: Lamina itself failed.
    Service,
    /// 502: the deployment package is not a readable zip.
    InvalidZipFile,
    /// 502: the runtime or runtime version is not usable.
    InvalidRuntime,
    /// 502: the function is not ready to be invoked.
    ResourceNotReady,
    /// 404: no operation of the API has this path and method.
    UnknownOperation,
    /// 404: the alias or version has no provisioned concurrency configuration.
    ProvisionedConcurrencyConfigNotFound,
}

impl ErrorKind {
    /// The exception name sent in `x-amzn-errortype` and expected by the SDKs.
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidParameterValue => "InvalidParameterValueException",
            Self::InvalidRequestContent => "InvalidRequestContentException",
            Self::Validation => "ValidationException",
            Self::CodeStorageExceeded => "CodeStorageExceededException",
            Self::ResourceNotFound => "ResourceNotFoundException",
            Self::ResourceConflict => "ResourceConflictException",
            Self::PreconditionFailed => "PreconditionFailedException",
            Self::RequestEntityTooLarge => "RequestEntityTooLargeException",
            Self::UnsupportedMediaType => "UnsupportedMediaTypeException",
            Self::TooManyRequests => "TooManyRequestsException",
            Self::Service => "ServiceException",
            Self::InvalidZipFile => "InvalidZipFileException",
            Self::InvalidRuntime => "InvalidRuntimeException",
            Self::ResourceNotReady => "ResourceNotReadyException",
            Self::UnknownOperation => "UnknownOperationException",
            Self::ProvisionedConcurrencyConfigNotFound => {
                "ProvisionedConcurrencyConfigNotFoundException"
            }
        }
    }

    /// The HTTP status Lambda answers with for this exception.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidParameterValue
            | Self::InvalidRequestContent
            | Self::Validation
            | Self::CodeStorageExceeded => 400,
            Self::ResourceNotFound
            | Self::UnknownOperation
            | Self::ProvisionedConcurrencyConfigNotFound => 404,
            Self::ResourceConflict => 409,
            Self::PreconditionFailed => 412,
            Self::RequestEntityTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::TooManyRequests => 429,
            Self::Service => 500,
            Self::InvalidZipFile | Self::InvalidRuntime | Self::ResourceNotReady => 502,
        }
    }

    /// Whether the fault is the caller's (`User`) or Lamina's (`Service`), as the body's `Type`.
    pub fn fault(self) -> &'static str {
        match self {
            Self::Service | Self::InvalidRuntime | Self::ResourceNotReady => "Service",
            _ => "User",
        }
    }
}

/// A client-facing Lambda error: an exception kind and the message shown to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.code())]
pub struct LambdaError {
    /// Which exception this is.
    pub kind: ErrorKind,
    /// The message, worded as Lambda words it where Lambda's wording is known.
    pub message: String,
    /// For 429 only: the throttle reason (`ReservedFunctionConcurrentInvocationLimitExceeded`, …).
    pub reason: Option<String>,
}

impl LambdaError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            reason: None,
        }
    }
    /// 400 InvalidParameterValueException.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameterValue, message)
    }
    /// 400 InvalidRequestContentException.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequestContent, message)
    }
    /// 400 ValidationException in AWS's words: `1 validation error detected: Value 'x' at
    /// 'field' failed to satisfy constraint: …`.
    pub fn constraint(value: &str, field: &str, constraint: &str) -> Self {
        Self::new(
            ErrorKind::Validation,
            format!(
                "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
            ),
        )
    }
    /// 412 PreconditionFailedException.
    pub fn precondition(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::PreconditionFailed, message)
    }
    /// 404 ResourceNotFoundException.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceNotFound, message)
    }
    /// 409 ResourceConflictException.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceConflict, message)
    }
    /// 413 RequestEntityTooLargeException.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::RequestEntityTooLarge, message)
    }
    /// 502 InvalidZipFileException.
    pub fn invalid_zip(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidZipFile, message)
    }
    /// 500 ServiceException; the message must not leak internals, log them instead.
    pub fn service(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Service, message)
    }
    /// 429 TooManyRequestsException with its `Reason`.
    pub fn throttled(reason: &str) -> Self {
        Self {
            kind: ErrorKind::TooManyRequests,
            message: "Rate Exceeded.".into(),
            reason: Some(reason.into()),
        }
    }

    /// The JSON body Lambda sends: `{"Type": "User", "Message": "..."}` (plus `Reason` on 429).
    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody {
            fault: self.kind.fault(),
            message: &self.message,
            reason: self.reason.as_deref(),
        }
    }
}

/// The wire body of an error.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// `User` or `Service`.
    #[serde(rename = "Type")]
    pub fault: &'static str,
    /// The message.
    #[serde(rename = "Message")]
    pub message: &'a str,
    /// The throttle reason, only for 429.
    #[serde(rename = "Reason", skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

/// Result with a client-facing Lambda error.
pub type LambdaResult<T> = Result<T, LambdaError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_type_and_message() {
        let e = LambdaError::not_found(
            "Function not found: arn:aws:lambda:us-east-1:000000000000:function:f",
        );
        let v = serde_json::to_value(e.body()).unwrap();
        assert_eq!(v["Type"], "User");
        assert_eq!(e.kind.status(), 404);
        assert_eq!(e.kind.code(), "ResourceNotFoundException");
        assert!(v.get("Reason").is_none());
    }

    #[test]
    fn throttle_carries_reason() {
        let e = LambdaError::throttled("ReservedFunctionConcurrentInvocationLimitExceeded");
        let v = serde_json::to_value(e.body()).unwrap();
        assert_eq!(
            v["Reason"],
            "ReservedFunctionConcurrentInvocationLimitExceeded"
        );
        assert_eq!(e.kind.status(), 429);
    }
}
