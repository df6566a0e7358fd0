//! `POST /2018-06-01/runtime/invocation/{id}/error`: the runtime reports that the function
//! failed. The header error type is normalised for the platform; the body is the function's
//! error payload and is passed to the caller verbatim.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::body::read_bounded;
use crate::endpoints::posted_error_type;
use crate::endpoints::refusal::refuse_body;
use crate::invocation::InvokeOutcome;
use crate::state::Core;
use crate::wire::accepted;

/// Route path of the invocation-error endpoint.
pub(crate) const PATH: &str = "/2018-06-01/runtime/invocation/{id}/error";

/// State name used in transition errors.
const TO: &str = "InvocationErrorResponse";

/// `POST /2018-06-01/runtime/invocation/{id}/error` once its body is read.
pub(crate) struct InvocationError {
    request_id: String,
    error_type: String,
    body: Bytes,
}

pub(crate) async fn handle(
    State(core): State<Arc<Core>>,
    Path(request_id): Path<String>,
    request: Request,
) -> Response {
    if let Err(e) = core.check_answer(&request_id, TO) {
        return e.into_response();
    }
    let (parts, mut body) = request.into_parts();
    let error_type = posted_error_type(&parts.headers);
    let error = match read_bounded(&parts.headers, &mut body, core.max_payload).await {
        Ok(body) => InvocationError {
            request_id,
            error_type,
            body,
        },
        Err(e) => return refuse_body(&core, &request_id, TO, e, body).await,
    };
    let outcome = InvokeOutcome::Error {
        error_type: error.error_type,
        body: error.body,
    };
    match core.answer(&error.request_id, TO, outcome) {
        Ok(()) => accepted(),
        Err(e) => e.into_response(),
    }
}
