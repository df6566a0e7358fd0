//! `POST /2015-03-31/functions/{name}/invocations`: Invoke, with its invocation types
//! (`RequestResponse` 200, `Event` 202, `DryRun` 204), `X-Amz-Log-Type: Tail`,
//! `X-Amz-Client-Context`, and the response headers Lambda sets.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use lamina_engine::InvokeRequest;
use lamina_model::{ErrorKind, LambdaError};

use super::QueryParams;
use crate::AppState;
use crate::body::read_limited;
use crate::error::ApiResult;

/// Largest synchronous request payload.
pub const SYNC_PAYLOAD_LIMIT: usize = 6_291_456;
/// Largest asynchronous (`Event`) payload.
pub const ASYNC_PAYLOAD_LIMIT: usize = 1_048_576;
/// Largest `X-Amz-Client-Context`, base64.
const CLIENT_CONTEXT_LIMIT: usize = 3583;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/2015-03-31/functions/{name}/invocations", post(invoke))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum InvocationType {
    RequestResponse,
    Event,
    DryRun,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn invoke(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    request: Request,
) -> ApiResult<Response> {
    let headers = request.headers().clone();
    let q = QueryParams::parse(query.as_deref());
    let kind = match header(&headers, "x-amz-invocation-type").unwrap_or("RequestResponse") {
        "RequestResponse" => InvocationType::RequestResponse,
        "Event" => InvocationType::Event,
        "DryRun" => InvocationType::DryRun,
        other => {
            return Err(LambdaError::constraint(
                other,
                "invocationType",
                "Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
            )
            .into());
        }
    };
    let tail = match header(&headers, "x-amz-log-type").unwrap_or("None") {
        "None" => false,
        "Tail" => true,
        other => {
            return Err(LambdaError::constraint(
                other,
                "logType",
                "Member must satisfy enum value set: [Tail, None]",
            )
            .into());
        }
    };
    let client_context = match header(&headers, "x-amz-client-context") {
        None => None,
        Some(raw) if raw.len() > CLIENT_CONTEXT_LIMIT => {
            return Err(LambdaError::invalid_parameter(format!(
                "Client context must be at most {CLIENT_CONTEXT_LIMIT} bytes of base64"
            ))
            .into());
        }
        Some(raw) => {
            use base64::Engine;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(raw)
                .map_err(|_| {
                    LambdaError::invalid_request(
                        "Client context must be a valid Base64-encoded JSON object.",
                    )
                })?;
            let text = String::from_utf8(decoded).map_err(|_| {
                LambdaError::invalid_request(
                    "Client context must be a valid Base64-encoded JSON object.",
                )
            })?;
            if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_err() {
                return Err(LambdaError::invalid_request(
                    "Client context must be a valid Base64-encoded JSON object.",
                )
                .into());
            }
            Some(text)
        }
    };
    let limit = if kind == InvocationType::Event {
        ASYNC_PAYLOAD_LIMIT
    } else {
        SYNC_PAYLOAD_LIMIT
    };
    let body: Body = request.into_body();
    let payload = match read_limited(body, limit, "InvokeFunction").await {
        Ok(p) => p,
        Err(_) if kind == InvocationType::Event => {
            // Lambda's words name the payload's size; the SDKs always send Content-Length.
            let size = header(&headers, "content-length")
                .and_then(|v| v.parse::<u64>().ok())
                .map(|n| format!("{n} byte payload"))
                .unwrap_or_else(|| "Request payload".to_string());
            return Err(LambdaError::too_large(format!(
                "{size} is too large for the Event invocation type (limit {ASYNC_PAYLOAD_LIMIT} bytes)"
            ))
            .into());
        }
        Err(e) => return Err(e),
    };
    if !payload.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(&payload).is_err() {
        return Err(LambdaError::invalid_request(
            "Could not parse request body into json: Could not parse payload into json: the payload is not valid JSON",
        )
        .into());
    }
    let (function, version, invoked_arn) = state
        .control
        .resolve_invoke(&name, q.get("Qualifier"))
        .await?;
    let engine = state.engine.as_ref().ok_or_else(|| {
        LambdaError::new(
            ErrorKind::ResourceNotReady,
            "This Lamina server runs without an invoke engine",
        )
    })?;
    match kind {
        InvocationType::DryRun => Ok(StatusCode::NO_CONTENT.into_response()),
        InvocationType::Event => {
            let version_label = version.version.clone();
            engine.invoke_event(InvokeRequest {
                function,
                version,
                invoked_arn,
                payload,
                client_context: None,
            });
            let mut response = StatusCode::ACCEPTED.into_response();
            if let Ok(v) = HeaderValue::from_str(&version_label) {
                response.headers_mut().insert("x-amz-executed-version", v);
            }
            Ok(response)
        }
        InvocationType::RequestResponse => {
            let output = engine
                .invoke(InvokeRequest {
                    function,
                    version,
                    invoked_arn,
                    payload,
                    client_context,
                })
                .await?;
            let mut response = (StatusCode::OK, output.payload.clone()).into_response();
            let h = response.headers_mut();
            h.insert("content-type", HeaderValue::from_static("application/json"));
            if let Ok(v) = HeaderValue::from_str(&output.executed_version) {
                h.insert("x-amz-executed-version", v);
            }
            if let Some(kind) = output.function_error {
                h.insert("x-amz-function-error", HeaderValue::from_static(kind));
            }
            let log_result = tail.then(|| {
                HeaderValue::from_str(&lamina_engine::logs::tail_base64(&output.log_lines))
            });
            if let Some(Ok(v)) = log_result {
                h.insert("x-amz-log-result", v);
            }
            if let Ok(v) = HeaderValue::from_str(&output.request_id) {
                h.insert("x-amzn-requestid", v);
            }
            Ok(response)
        }
    }
}
