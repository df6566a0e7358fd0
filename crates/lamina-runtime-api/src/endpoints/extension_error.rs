//! `POST /2020-01-01/extension/init/error` and `POST /2020-01-01/extension/exit/error`: an
//! extension reports that its init failed (init fails with its
//! `Lambda-Extension-Function-Error-Type`) or that it is exiting on an error (nobody waits for
//! it any more). Both answer 202.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::body::read_bounded;
use crate::endpoints::extension_register::identifier;
use crate::extensions::PostedError;
use crate::state::Core;
use crate::wire::{ApiError, accepted};

/// Route path of the extension init-error endpoint.
pub(crate) const INIT_PATH: &str = "/2020-01-01/extension/init/error";
/// Route path of the extension exit-error endpoint.
pub(crate) const EXIT_PATH: &str = "/2020-01-01/extension/exit/error";

const ERROR_TYPE_HEADER: &str = "lambda-extension-function-error-type";

/// Which of the two endpoints.
#[derive(Clone, Copy)]
enum Phase {
    Init,
    Exit,
}

/// A posted extension error once read.
pub(crate) struct ExtensionError {
    id: String,
    error: PostedError,
}

async fn read(core: &Core, request: Request) -> Result<ExtensionError, ApiError> {
    let (parts, mut body) = request.into_parts();
    let id = identifier(&parts.headers)?;
    let error_type = parts
        .headers
        .get(ERROR_TYPE_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::extension(
                "Extension.MissingHeader",
                "Missing Lambda-Extension-Function-Error-Type header".into(),
            )
        })?
        .to_owned();
    // The body is optional detail; one that cannot be read is dropped, the error still counts.
    let body = read_bounded(&parts.headers, &mut body, core.max_payload)
        .await
        .unwrap_or_else(|_| Bytes::new());
    Ok(ExtensionError {
        id,
        error: PostedError { error_type, body },
    })
}

async fn handle(core: Arc<Core>, request: Request, phase: Phase) -> Response {
    let posted = match read(&core, request).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let recorded = match phase {
        Phase::Init => core.extensions.init_error(&posted.id, posted.error),
        Phase::Exit => core.extensions.exit_error(&posted.id),
    };
    match recorded {
        Ok(()) => accepted(),
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn handle_init(State(core): State<Arc<Core>>, request: Request) -> Response {
    handle(core, request, Phase::Init).await
}

pub(crate) async fn handle_exit(State(core): State<Arc<Core>>, request: Request) -> Response {
    handle(core, request, Phase::Exit).await
}
