//! The Runtime API's routes, one file per endpoint. Each endpoint has a type that is the
//! parsed request; handlers only translate between HTTP and [`crate::state::Core`].
//!
//! Extensions (`/2020-01-01/extension/...`) will mount beside these routes on the same
//! listener, with their own state in `Core`.

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::error_type::{ERROR_TYPE_HEADER, normalise_error_type};
use crate::state::Core;
use crate::wire::ApiError;

pub(crate) mod init_error;
pub(crate) mod invocation_error;
pub(crate) mod invocation_response;
pub(crate) mod next;
pub(crate) mod ping;
pub(crate) mod refusal;

/// The router for one sandbox: unknown paths get 404, known paths with another method 405.
pub(crate) fn router(core: Arc<Core>) -> Router {
    Router::new()
        .route(next::PATH, get(next::handle))
        .route(invocation_response::PATH, post(invocation_response::handle))
        .route(invocation_error::PATH, post(invocation_error::handle))
        .route(init_error::PATH, post(init_error::handle))
        .route(ping::PATH, get(ping::handle))
        .fallback(not_found)
        .with_state(core)
}

/// The error type a runtime posted with `/error` or `/init/error`, normalised for the
/// platform (`Runtime.Unknown` when absent or malformed).
pub(crate) fn posted_error_type(headers: &HeaderMap) -> String {
    let header = headers.get(ERROR_TYPE_HEADER).and_then(|v| v.to_str().ok());
    normalise_error_type(header).to_owned()
}

async fn not_found() -> Response {
    ApiError::NotFound.into_response()
}

#[cfg(test)]
mod tests;
