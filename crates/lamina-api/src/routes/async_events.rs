//! `/lamina/functions/{name}/events[/{id}]` and `/lamina/functions/{name}/events/replay`:
//! a function's asynchronous events (Lamina's own paths, for `lamina events` and the
//! console). GET lists queued and failed events with the queue's depth and oldest age;
//! `?status=queued|failed` filters. POST `.../replay` re-queues failed events, DELETE
//! purges them (`?id=` limits both to one event).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lamina_model::LambdaError;
use lamina_model::event_invoke::{EventStatus, QueuedEvent};
use serde_json::{Value, json};

use super::QueryParams;
use crate::AppState;
use crate::error::ApiResult;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/lamina/functions/{name}/events", get(list).delete(purge))
        .route("/lamina/functions/{name}/events/replay", post(replay))
        .route("/lamina/functions/{name}/events/{id}", get(show))
}

fn summary(e: &QueuedEvent) -> Value {
    let mut v = json!({
        "Id": e.id,
        "RequestId": e.request_id,
        "Status": e.status.as_str(),
        "Version": e.version,
        "Attempts": e.attempts,
        "AcceptedAt": e.accepted_ms,
        "DueAt": e.due_ms,
        "Size": e.payload.len(),
    });
    if let Some(q) = &e.qualifier {
        v["Qualifier"] = json!(q);
    }
    if let Some(err) = &e.last_error {
        v["LastError"] = json!(err);
    }
    if let Some(f) = &e.failure {
        v["Condition"] = json!(f.condition.as_str());
        v["Reason"] = json!(f.reason);
        v["FailedAt"] = json!(f.failed_ms);
    }
    v
}

fn status_param(q: &QueryParams) -> Result<Option<EventStatus>, LambdaError> {
    match q.get("status") {
        None | Some("") | Some("all") => Ok(None),
        Some("queued") => Ok(Some(EventStatus::Queued)),
        Some("failed") => Ok(Some(EventStatus::Failed)),
        Some(other) => Err(LambdaError::invalid_parameter(format!(
            "status {other:?} is not one of queued, failed, all"
        ))),
    }
}

fn id_param(q: &QueryParams) -> Result<Option<u64>, LambdaError> {
    q.get("id")
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                LambdaError::invalid_parameter(format!("event id {v:?} is not a number"))
            })
        })
        .transpose()
}

async fn list(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let (function, events) = state
        .control
        .list_async_events(&name, status_param(&q)?)
        .await?;
    let stats = state
        .engine
        .as_ref()
        .and_then(|e| e.queue())
        .map(|queue| queue.stats(&function))
        .unwrap_or_default();
    let now_ms = (state.control.clock().now().unix_timestamp_nanos() / 1_000_000) as i64;
    let listed: Vec<Value> = events.iter().map(summary).collect();
    let failed = events
        .iter()
        .filter(|e| e.status == EventStatus::Failed)
        .count();
    Ok(Json(json!({
        "FunctionName": function,
        "Events": listed,
        "Queued": stats.queued,
        "Running": stats.running,
        "Failed": failed,
        "OldestQueuedAgeMs": stats.oldest_accepted_ms.map(|t| (now_ms - t).max(0)),
    }))
    .into_response())
}

async fn show(
    State(state): State<Arc<AppState>>,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id: u64 = id
        .parse()
        .map_err(|_| LambdaError::not_found(format!("Event {id} not found (function {name})")))?;
    let event = state.control.get_async_event(&name, id).await?;
    let mut body = summary(&event);
    body["Payload"] = json!(String::from_utf8_lossy(&event.payload));
    if let Some(f) = &event.failure {
        body["Record"] = serde_json::from_str(&f.record).unwrap_or(json!(f.record));
    }
    Ok(Json(body).into_response())
}

async fn replay(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let function = state.control.existing_function_name(&name).await?;
    let queue = queue(&state)?;
    let count = queue.replay(&function, id_param(&q)?).await?;
    Ok(Json(json!({ "Replayed": count })).into_response())
}

async fn purge(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let function = state.control.existing_function_name(&name).await?;
    let queue = queue(&state)?;
    let count = queue.purge(&function, id_param(&q)?).await?;
    Ok(Json(json!({ "Purged": count })).into_response())
}

fn queue(state: &AppState) -> Result<&Arc<lamina_engine::Queue>, LambdaError> {
    state.engine()?.queue().ok_or_else(|| {
        LambdaError::new(
            lamina_model::ErrorKind::ResourceNotReady,
            "This Lamina server runs without the asynchronous queue",
        )
    })
}
