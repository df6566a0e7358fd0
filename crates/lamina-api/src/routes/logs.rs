//! `GET /lamina/logs/{function}`: a function's log events (`?follow=true` streams new
//! ones as they come), for `lamina logs` and the console. Lamina's own path, not Lambda's.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::QueryParams;
use crate::AppState;
use crate::error::ApiResult;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/lamina/logs/{name}", get(logs))
}

async fn logs(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let (function, _) = state.control.get_function(&name, None).await?;
    let engine = state.engine()?;
    let group = function.latest.spec.logging.log_group.clone();
    if q.get("follow") == Some("true") {
        // Subscribe before reading the backlog so nothing falls between the two.
        let feed = engine.logs().follow(&group);
        let backlog: Vec<Result<String, std::io::Error>> = engine
            .logs()
            .events(&group)
            .into_iter()
            .map(|e| Ok(format!("{}\n", e.message)))
            .collect();
        let live = futures_util::stream::unfold(feed, |mut feed| async move {
            loop {
                match feed.recv().await {
                    Ok(e) => {
                        return Some((Ok::<_, std::io::Error>(format!("{}\n", e.message)), feed));
                    }
                    // A slow reader skips what it missed rather than stopping.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        let body = Body::from_stream(futures_util::StreamExt::chain(
            futures_util::stream::iter(backlog),
            live,
        ));
        return Ok(([("content-type", "text/plain; charset=utf-8")], body).into_response());
    }
    let events: Vec<_> = engine
        .logs()
        .events(&group)
        .into_iter()
        .map(|e| json!({ "timestamp": e.timestamp_ms, "message": e.message, "logStreamName": e.stream.as_ref() }))
        .collect();
    Ok(Json(json!({ "logGroupName": group, "logStreams": engine.logs().stream_names(&group), "events": events })).into_response())
}
