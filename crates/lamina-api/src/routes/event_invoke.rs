//! `/2019-09-25/functions/{name}/event-invoke-config[/list]`: Put (PUT), Update (POST), Get,
//! Delete (204) and ListFunctionEventInvokeConfigs, with `?Qualifier=`. The response always
//! carries both destination keys (`{}` when unset) and omits unset numbers, as Lambda does.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lamina_model::event_invoke::EventInvokeConfig;
use serde_json::{Value, json};

use super::QueryParams;
use crate::AppState;
use crate::body::LambdaJson;
use crate::control::ConfigWrite;
use crate::error::ApiResult;
use crate::requests::EventInvokeConfigInput;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/2019-09-25/functions/{name}/event-invoke-config",
            get(get_config).put(put).post(update).delete(delete),
        )
        .route(
            "/2019-09-25/functions/{name}/event-invoke-config/list",
            get(list),
        )
}

/// `FunctionEventInvokeConfig` as Lambda renders it. `LastModified` is a timestamp member,
/// which rest-json sends as epoch seconds with a fraction.
pub(crate) fn render(state: &AppState, name: &str, config: &EventInvokeConfig) -> Value {
    let side = |arn: &Option<String>| match arn {
        Some(a) => json!({ "Destination": a }),
        None => json!({}),
    };
    let mut body = json!({
        "LastModified": config.last_modified_ms as f64 / 1000.0,
        "FunctionArn": state.control.account().qualified_function_arn(name, &config.qualifier),
        "DestinationConfig": {
            "OnSuccess": side(&config.on_success),
            "OnFailure": side(&config.on_failure),
        },
    });
    if let Some(r) = config.maximum_retry_attempts {
        body["MaximumRetryAttempts"] = json!(r);
    }
    if let Some(a) = config.maximum_event_age_in_seconds {
        body["MaximumEventAgeInSeconds"] = json!(a);
    }
    body
}

async fn write(
    state: Arc<AppState>,
    name: String,
    query: Option<String>,
    input: EventInvokeConfigInput,
    mode: ConfigWrite,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let (function, config) = state
        .control
        .write_event_invoke_config(&name, q.get("Qualifier"), &input, mode)
        .await?;
    Ok(Json(render(&state, &function, &config)).into_response())
}

async fn put(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    LambdaJson(input): LambdaJson<EventInvokeConfigInput>,
) -> ApiResult<Response> {
    write(state, name, query, input, ConfigWrite::Replace).await
}

async fn update(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    LambdaJson(input): LambdaJson<EventInvokeConfigInput>,
) -> ApiResult<Response> {
    write(state, name, query, input, ConfigWrite::Merge).await
}

async fn get_config(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let (function, config) = state
        .control
        .get_event_invoke_config(&name, q.get("Qualifier"))
        .await?;
    Ok(Json(render(&state, &function, &config)).into_response())
}

async fn delete(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    state
        .control
        .delete_event_invoke_config(&name, q.get("Qualifier"))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let (function, page) = state
        .control
        .list_event_invoke_configs(&name, q.get("Marker"), q.max_items()?)
        .await?;
    let configs: Vec<Value> = page
        .configs
        .iter()
        .map(|c| render(&state, &function, c))
        .collect();
    let mut body = json!({ "FunctionEventInvokeConfigs": configs });
    if let Some(marker) = page.next_marker {
        body["NextMarker"] = json!(marker);
    }
    Ok(Json(body).into_response())
}
