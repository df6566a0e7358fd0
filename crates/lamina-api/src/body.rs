//! Request bodies: read with the per-operation size limit Lambda applies (and its 413
//! message), rejected with 415 when declared as something other than JSON, and parsed
//! into the operation's input type with Lambda's `InvalidRequestContentException`.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use lamina_model::{ErrorKind, LambdaError};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// An API operation's input: its name (for error messages) and its request size limit.
pub trait Operation: DeserializeOwned {
    /// The operation name as Lambda spells it (`CreateFunction`).
    const NAME: &'static str;
    /// Largest accepted request body, in bytes.
    const MAX_BODY: usize = 6 * 1024 * 1024;
}

/// The largest CreateFunction/UpdateFunctionCode/PublishLayerVersion body Lambda accepts.
pub const CODE_UPLOAD_MAX_BODY: usize = 70_167_211;

/// A parsed JSON body for operation `T`.
pub struct LambdaJson<T>(pub T);

/// Reads a whole body up to `limit` bytes, answering Lambda's 413 past it.
pub async fn read_limited(
    body: Body,
    limit: usize,
    operation: &str,
) -> Result<bytes::Bytes, ApiError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(LambdaError::too_large(
            format!("Request must be smaller than {limit} bytes for the {operation} operation"),
        )
        .into()),
        Err(e) => {
            Err(LambdaError::invalid_request(format!("could not read request body: {e}")).into())
        }
    }
}

/// Rejects a body declared as a media type that cannot be JSON (415). A missing content
/// type is accepted: the SDKs do not always send one.
pub fn check_json_media_type(request: &Request) -> Result<(), ApiError> {
    let Some(value) = request.headers().get("content-type") else {
        return Ok(());
    };
    let value = value.to_str().unwrap_or("").to_ascii_lowercase();
    let accepted = value.is_empty()
        || value.starts_with("application/json")
        || value.starts_with("application/x-amz-json")
        || value.starts_with("binary/octet-stream")
        || value.starts_with("application/octet-stream");
    if accepted {
        Ok(())
    } else {
        Err(LambdaError::new(
            ErrorKind::UnsupportedMediaType,
            format!("The content type {value} is not supported"),
        )
        .into())
    }
}

impl<S: Send + Sync, T: Operation> FromRequest<S> for LambdaJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        check_json_media_type(&request)?;
        let bytes = read_limited(request.into_body(), T::MAX_BODY, T::NAME).await?;
        // An empty body is an empty object to the SDKs (every member optional).
        let parsed = if bytes.iter().all(u8::is_ascii_whitespace) {
            serde_json::from_slice(b"{}")
        } else {
            serde_json::from_slice(&bytes)
        };
        parsed.map(LambdaJson).map_err(|e| {
            // A required member left out is the API model's constraint, not bad JSON.
            if let Some(member) = missing_member(&e.to_string()) {
                return LambdaError::new(
                    ErrorKind::Validation,
                    format!(
                        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
                    ),
                )
                .into();
            }
            LambdaError::invalid_request(format!("Could not parse request body into json: {e}"))
                .into()
        })
    }
}

/// The member serde reports missing (`missing field `Role` at …`), in the camelCase Lambda
/// uses in validation messages (`role`).
fn missing_member(error: &str) -> Option<String> {
    let rest = error.strip_prefix("missing field `")?;
    let name = &rest[..rest.find('`')?];
    let mut chars = name.chars();
    let first = chars.next()?;
    Some(first.to_ascii_lowercase().to_string() + chars.as_str())
}

#[cfg(test)]
mod tests {
    use super::missing_member;

    #[test]
    fn missing_member_is_named_in_camel_case() {
        assert_eq!(
            missing_member("missing field `FunctionName` at line 1 column 2").as_deref(),
            Some("functionName")
        );
        assert_eq!(missing_member("invalid type: string").as_deref(), None);
    }
}
