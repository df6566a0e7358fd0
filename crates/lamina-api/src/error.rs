//! Errors rendered in Lambda's wire format: the `x-amzn-errortype` header with the
//! exception name, and a `{"Type","Message"}` JSON body (rendered by the engine's Invoke
//! wire module, the one place that shapes Lambda's errors for every server). What the
//! client sees is the `LambdaError`; the cause chain of a fault is logged where it happens.

use axum::response::{IntoResponse, Response};
use lamina_model::LambdaError;

/// A `LambdaError` as an HTTP response.
#[derive(Debug)]
pub struct ApiError(pub LambdaError);

impl From<LambdaError> for ApiError {
    fn from(e: LambdaError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        lamina_engine::front_door::wire::error_response(&self.0).map(axum::body::Body::from)
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
