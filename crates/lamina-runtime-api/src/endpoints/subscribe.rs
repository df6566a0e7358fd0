//! `PUT /2022-07-01/telemetry` (Telemetry API) and `PUT /2020-08-15/logs` (Logs API): a
//! registered extension subscribes a listener inside the sandbox to platform records and log
//! lines. Answers 200 `"OK"`; a bad body is 400 `ValidationError`, a subscription after init
//! 403 `Telemetry.SubscriptionClosed`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::body::read_bounded;
use crate::endpoints::extension_register::identifier;
use crate::state::Core;
use crate::telemetry::{Api, Subscription};
use crate::wire::ApiError;

/// Route path of the Telemetry API.
pub(crate) const TELEMETRY_PATH: &str = "/2022-07-01/telemetry";
/// Route path of the Logs API.
pub(crate) const LOGS_PATH: &str = "/2020-08-15/logs";

/// Largest subscription body read.
const MAX_BODY: usize = 64 * 1024;

async fn handle(core: Arc<Core>, request: Request, api: Api) -> Response {
    let (parts, mut body) = request.into_parts();
    let id = match identifier(&parts.headers) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let name = match core.extensions.name_of(&id) {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    let body = match read_bounded(&parts.headers, &mut body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return ApiError::bad_request("ValidationError", format!("subscription body: {e}"))
                .into_response();
        }
    };
    let sub = match Subscription::parse(api, &body) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    match core.telemetry.subscribe(&id, &name, sub) {
        Ok(()) => (StatusCode::OK, "OK").into_response(),
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn handle_telemetry(State(core): State<Arc<Core>>, request: Request) -> Response {
    handle(core, request, Api::Telemetry).await
}

pub(crate) async fn handle_logs(State(core): State<Arc<Core>>, request: Request) -> Response {
    handle(core, request, Api::Logs).await
}
