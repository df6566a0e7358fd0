//! `/lamina/functions/{name}/test-events[/{event}]`: a function's saved test events, shared
//! between the console and anyone with the API (Lamina's own paths, not Lambda's). A PUT's
//! body is the event's JSON itself, and a GET of one event answers that JSON back, so
//! `curl -T event.json` and `curl -o event.json` round-trip a file unchanged.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lamina_store::TestEvent;
use serde_json::json;

use crate::AppState;
use crate::body::read_limited;
use crate::control::MAX_TEST_EVENT_BYTES;
use crate::error::ApiResult;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/lamina/functions/{name}/test-events", get(list))
        .route(
            "/lamina/functions/{name}/test-events/{event}",
            get(get_one).put(put).delete(delete),
        )
}

/// The listing entry of one event (the body is fetched one event at a time).
fn summary(event: &TestEvent) -> serde_json::Value {
    json!({
        "Name": event.name,
        "LastModified": event.last_modified_ms,
        "Size": event.body.len(),
    })
}

async fn list(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> ApiResult<Response> {
    let events = state.control.list_test_events(&name).await?;
    let listed: Vec<_> = events.iter().map(summary).collect();
    Ok(Json(json!({ "TestEvents": listed })).into_response())
}

async fn get_one(
    State(state): State<Arc<AppState>>,
    Path((name, event)): Path<(String, String)>,
) -> ApiResult<Response> {
    let event = state.control.get_test_event(&name, &event).await?;
    Ok(([("content-type", "application/json")], event.body).into_response())
}

async fn put(
    State(state): State<Arc<AppState>>,
    Path((name, event)): Path<(String, String)>,
    body: Body,
) -> ApiResult<Response> {
    // One byte past the limit so the control layer's own size message is what callers see.
    let bytes = read_limited(body, MAX_TEST_EVENT_BYTES + 1, "PutTestEvent").await?;
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
        lamina_model::LambdaError::invalid_request("Test event body is not UTF-8 text")
    })?;
    let saved = state.control.put_test_event(&name, &event, text).await?;
    Ok(Json(summary(&saved)).into_response())
}

async fn delete(
    State(state): State<Arc<AppState>>,
    Path((name, event)): Path<(String, String)>,
) -> ApiResult<Response> {
    state.control.delete_test_event(&name, &event).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
