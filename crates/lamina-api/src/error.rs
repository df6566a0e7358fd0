//! Errors rendered in Lambda's wire format: the `x-amzn-errortype` header with the
//! exception name, and a `{"Type","Message"}` JSON body. What the client sees is the
//! `LambdaError`; the cause chain of a fault is logged where it happens.

use axum::http::{HeaderValue, StatusCode};
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
        let status =
            StatusCode::from_u16(self.0.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.0.body()).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert(
            "x-amzn-errortype",
            HeaderValue::from_static(self.0.kind.code()),
        );
        if self.0.kind.status() == 429 {
            headers.insert("retry-after", HeaderValue::from_static("1"));
        }
        response
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
