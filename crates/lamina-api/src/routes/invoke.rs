//! `POST /2015-03-31/functions/{name}/invocations`: Invoke. The route only translates: the
//! headers, the query's `Qualifier` and the body become an `InvokeCommand`, the engine's
//! front door (`lamina_engine::front_door`) runs it, and its `wire` module renders the
//! outcome or the refusal, exactly as `lamina local start-lambda` does.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::response::Response;
use axum::routing::post;
use lamina_engine::front_door::wire::{self, InvokeHeaders};
use lamina_engine::{InvocationType, InvokeCommand};

use super::QueryParams;
use crate::body::read_limited;
use crate::error::ApiResult;
use crate::{AppState, RequestId};

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
    let headers = InvokeHeaders::parse(request.headers())?;
    let kind = headers.invocation_type;
    let request_id = request.extensions().get::<RequestId>().map(|r| r.0.clone());
    let (parts, body) = request.into_parts();
    let payload = match read_limited(body, kind.payload_limit(), "InvokeFunction").await {
        Ok(p) => p,
        Err(_) if kind == InvocationType::Event => {
            return Err(wire::too_large(kind, wire::declared_size(&parts.headers)).into());
        }
        Err(e) => return Err(e),
    };
    let command = InvokeCommand {
        function: name,
        qualifier: q.get("Qualifier").map(String::from),
        invocation_type: kind,
        payload,
        tail: headers.tail,
        client_context: headers.client_context,
        caller: None,
        request_id,
    };
    let result = state.invoke(command).await;
    Ok(wire::response(result, headers.tail).map(axum::body::Body::from))
}
