//! `POST /2018-06-01/runtime/init/error`: the runtime failed before its first `/next` (import
//! error, missing handler, ...). The platform's `wait_init` gets the normalised type and the
//! body, which becomes the answer of the invoke that waited for init.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::body::{drain, read_bounded};
use crate::endpoints::posted_error_type;
use crate::endpoints::refusal::told;
use crate::state::Core;
use crate::wire::accepted;

/// Route path of the init-error endpoint.
pub(crate) const PATH: &str = "/2018-06-01/runtime/init/error";

/// `POST /2018-06-01/runtime/init/error` once its body is read.
pub(crate) struct InitError {
    error_type: String,
    body: Bytes,
}

pub(crate) async fn handle(State(core): State<Arc<Core>>, request: Request) -> Response {
    if let Err(e) = core.check_init_error() {
        return e.into_response();
    }
    let (parts, mut body) = request.into_parts();
    let error_type = posted_error_type(&parts.headers);
    // Init still failed when its body cannot be taken: it is recorded with no body so the
    // waiting invoke is answered, and the runtime is told why.
    let (body_bytes, refusal) =
        match read_bounded(&parts.headers, &mut body, core.max_payload).await {
            Ok(bytes) => (bytes, None),
            Err(e) => (Bytes::new(), Some(told(e))),
        };
    let error = InitError {
        error_type,
        body: body_bytes,
    };
    let recorded = core.init_failed(error.error_type, error.body);
    if refusal.is_some() {
        drain(&mut body).await;
    }
    match recorded {
        Ok(()) => refusal.map_or_else(accepted, IntoResponse::into_response),
        Err(e) => e.into_response(),
    }
}
