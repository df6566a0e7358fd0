//! The Runtime API's routes, one file per endpoint. Each endpoint has a type that is the
//! parsed request; handlers only translate between HTTP and [`crate::state::Core`].
//!
//! The Extensions API (`/2020-01-01/extension/...`) and the Telemetry and Logs APIs mount
//! beside the Runtime API on the same listener, with their own state in `Core`.

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

use crate::error_type::{ERROR_TYPE_HEADER, normalise_error_type};
use crate::state::Core;
use crate::wire::ApiError;

pub(crate) mod extension_error;
pub(crate) mod extension_next;
pub(crate) mod extension_register;
pub(crate) mod init_error;
pub(crate) mod invocation_error;
pub(crate) mod invocation_response;
pub(crate) mod next;
pub(crate) mod ping;
pub(crate) mod refusal;
pub(crate) mod subscribe;

/// The router for one sandbox: unknown paths get 404, known paths with another method 405.
pub(crate) fn router(core: Arc<Core>) -> Router {
    Router::new()
        .route(next::PATH, get(next::handle))
        .route(invocation_response::PATH, post(invocation_response::handle))
        .route(invocation_error::PATH, post(invocation_error::handle))
        .route(init_error::PATH, post(init_error::handle))
        .route(ping::PATH, get(ping::handle))
        .route(extension_register::PATH, post(extension_register::handle))
        .route(extension_next::PATH, get(extension_next::handle))
        .route(
            extension_error::INIT_PATH,
            post(extension_error::handle_init),
        )
        .route(
            extension_error::EXIT_PATH,
            post(extension_error::handle_exit),
        )
        .route(subscribe::TELEMETRY_PATH, put(subscribe::handle_telemetry))
        .route(subscribe::LOGS_PATH, put(subscribe::handle_logs))
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
