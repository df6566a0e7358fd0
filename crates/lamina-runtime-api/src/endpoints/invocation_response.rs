//! `POST /2018-06-01/runtime/invocation/{id}/response`: the runtime's result for the
//! invocation it holds. The body is read with the payload bound; over it, the runtime gets
//! 413 and the invoke resolves as `Function.ResponseSizeTooLarge`.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::HeaderMap;

use crate::body::read_bounded;
use crate::endpoints::refusal::refuse_body;
use crate::invocation::InvokeOutcome;
use crate::state::Core;
use crate::wire::{ApiError, accepted};

/// Route path of the invocation-response endpoint.
pub(crate) const PATH: &str = "/2018-06-01/runtime/invocation/{id}/response";

/// State name used in transition errors.
const TO: &str = "InvocationResponse";

/// Header selecting buffered (absent) or `streaming` responses.
const RESPONSE_MODE_HEADER: &str = "lambda-runtime-function-response-mode";

/// `POST /2018-06-01/runtime/invocation/{id}/response` once its body is read.
pub(crate) struct InvocationResponse {
    request_id: String,
    body: Bytes,
}

/// Whether the response-mode header is absent or `streaming`. Streamed responses are taken
/// like buffered ones (the body is still bounded); the caller gets them whole.
fn response_mode_ok(headers: &HeaderMap) -> bool {
    headers
        .get(RESPONSE_MODE_HEADER)
        .is_none_or(|v| v.as_bytes().eq_ignore_ascii_case(b"streaming"))
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
    if !response_mode_ok(&parts.headers) {
        let outcome = InvokeOutcome::Error {
            error_type: "Runtime.InvalidResponseModeHeader".to_owned(),
            body: Bytes::new(),
        };
        return match core.answer(&request_id, TO, outcome) {
            Ok(()) => ApiError::InvalidResponseMode.into_response(),
            Err(e) => e.into_response(),
        };
    }
    let response = match read_bounded(&parts.headers, &mut body, core.max_payload).await {
        Ok(body) => InvocationResponse { request_id, body },
        Err(e) => return refuse_body(&core, &request_id, TO, e, body).await,
    };
    match core.answer(
        &response.request_id,
        TO,
        InvokeOutcome::Response(response.body),
    ) {
        Ok(()) => accepted(),
        Err(e) => e.into_response(),
    }
}
