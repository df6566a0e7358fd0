//! `POST /2015-03-31/functions/{name}/invocations`: Invoke, with its invocation types
//! (`RequestResponse` 200, `Event` 202, `DryRun` 204), `X-Amz-Log-Type: Tail`,
//! `X-Amz-Client-Context`, and the response headers Lambda sets. The header and payload
//! rules live in [`crate::invocation`], shared with `lamina local start-lambda`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use lamina_engine::InvokeRequest;

use super::QueryParams;
use crate::AppState;
use crate::body::read_limited;
use crate::error::ApiResult;
use crate::invocation::{
    InvocationType, InvokeHeaders, check_payload, event_accepted, event_too_large, sync_response,
};

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/2015-03-31/functions/{name}/invocations", post(invoke))
}

async fn invoke(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    request: Request,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let parsed = InvokeHeaders::parse(request.headers())?;
    let kind = parsed.invocation_type;
    let (parts, body) = request.into_parts();
    let payload = match read_limited(body, kind.payload_limit(), "InvokeFunction").await {
        Ok(p) => p,
        Err(_) if kind == InvocationType::Event => {
            return Err(event_too_large(&parts.headers).into());
        }
        Err(e) => return Err(e),
    };
    check_payload(&payload)?;
    let (function, version, invoked_arn) = state
        .control
        .resolve_invoke(&name, q.get("Qualifier"))
        .await?;
    let engine = state.engine()?;
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
            Ok(event_accepted(&version_label))
        }
        InvocationType::RequestResponse => {
            let output = engine
                .invoke(InvokeRequest {
                    function,
                    version,
                    invoked_arn,
                    payload,
                    client_context: parsed.client_context,
                })
                .await?;
            Ok(sync_response(&output, parsed.tail))
        }
    }
}
