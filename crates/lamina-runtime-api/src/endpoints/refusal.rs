//! A posted body the Runtime API cannot take (over the payload bound, or cut short): the
//! runtime is told why, and whatever waits on the post is still resolved so no caller hangs.
//! Shared by the invocation response, invocation error and init error endpoints.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::body::{BodyError, drain};
use crate::invocation::InvokeOutcome;
use crate::state::Core;
use crate::wire::ApiError;

/// What the runtime is told about a body that could not be taken.
pub(crate) fn told(error: BodyError) -> ApiError {
    match error {
        BodyError::TooLarge { limit } => ApiError::TooLarge { limit },
        BodyError::Truncated => ApiError::Truncated,
    }
}

/// Resolves the invoke for a body that could not be taken, then drains what is left of the
/// body and tells the runtime why.
pub(crate) async fn refuse_body(
    core: &Core,
    request_id: &str,
    to: &'static str,
    error: BodyError,
    mut rest: Body,
) -> Response {
    let outcome = match error {
        BodyError::TooLarge { .. } => InvokeOutcome::ResponseTooLarge,
        BodyError::Truncated => InvokeOutcome::Error {
            error_type: crate::TRUNCATED_RESPONSE_TYPE.to_owned(),
            body: Bytes::from_static(
                br#"{"errorMessage":"Runtime sent a truncated response","errorType":"Runtime.TruncatedResponse"}"#,
            ),
        },
    };
    let answered = core.answer(request_id, to, outcome);
    drain(&mut rest).await;
    match answered {
        Ok(()) => told(error).into_response(),
        Err(e) => e.into_response(),
    }
}
