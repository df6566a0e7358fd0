//! Layer routes.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lamina_model::view::LayerVersionView;
use lamina_model::{LambdaError, LayerVersion, function::lambda_timestamp};
use serde_json::json;

use super::{QueryParams, base_url};
use crate::AppState;
use crate::body::LambdaJson;
use crate::error::ApiResult;
use crate::requests::PublishLayerInput;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/2018-10-31/layers", get(list_layers))
        .route(
            "/2018-10-31/layers/{layer}/versions",
            get(list_layer_versions).post(publish_layer_version),
        )
        .route(
            "/2018-10-31/layers/{layer}/versions/{version}",
            get(get_layer_version).delete(delete_layer_version),
        )
}

fn view(state: &AppState, headers: &HeaderMap, layer: &LayerVersion) -> LayerVersionView {
    let location = format!(
        "{}/lamina/code/{}",
        base_url(headers, &state.base_url),
        layer.content.sha256_hex
    );
    LayerVersionView::of(state.control.account(), layer, location)
}

/// `LayerVersionsListItem`.
fn list_item(state: &AppState, layer: &LayerVersion) -> serde_json::Value {
    let mut item = json!({
        "LayerVersionArn": state.control.account().layer_version_arn(&layer.name, layer.version),
        "Version": layer.version,
        "Description": layer.description,
        "CreatedDate": lambda_timestamp(layer.created),
    });
    if !layer.compatible_runtimes.is_empty() {
        item["CompatibleRuntimes"] = json!(layer.compatible_runtimes);
    }
    if !layer.compatible_architectures.is_empty() {
        item["CompatibleArchitectures"] = json!(layer.compatible_architectures);
    }
    if let Some(license) = &layer.license_info {
        item["LicenseInfo"] = json!(license);
    }
    item
}

pub(super) fn version_number(raw: &str) -> Result<u64, LambdaError> {
    match raw.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n.unsigned_abs()),
        // Lambda's own words for 0 and negative numbers.
        Ok(_) => Err(LambdaError::invalid_parameter(
            "Layer Version Cannot be less than 1",
        )),
        Err(_) => Err(LambdaError::constraint(
            raw,
            "versionNumber",
            "Member must be a number",
        )),
    }
}

async fn publish_layer_version(
    State(state): State<Arc<AppState>>,
    Path(layer): Path<String>,
    headers: HeaderMap,
    LambdaJson(input): LambdaJson<PublishLayerInput>,
) -> ApiResult<Response> {
    let stored = state.control.publish_layer_version(&layer, input).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &headers, &stored))).into_response())
}

async fn get_layer_version(
    State(state): State<Arc<AppState>>,
    Path((layer, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let found = state
        .control
        .get_layer_version(&layer, version_number(&version)?)
        .await?;
    Ok(Json(view(&state, &headers, &found)).into_response())
}

async fn delete_layer_version(
    State(state): State<Arc<AppState>>,
    Path((layer, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    state
        .control
        .delete_layer_version(&layer, version_number(&version)?)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_layer_versions(
    State(state): State<Arc<AppState>>,
    Path(layer): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let versions = state
        .control
        .list_layer_versions(&layer, q.get("CompatibleRuntime").map(String::from))
        .await?;
    let (page, next) = page(versions, q.get("Marker"), q.max_items()?, |l| {
        l.version.to_string()
    });
    let mut body =
        json!({ "LayerVersions": page.iter().map(|l| list_item(&state, l)).collect::<Vec<_>>() });
    if let Some(next) = next {
        body["NextMarker"] = json!(next);
    }
    Ok(Json(body).into_response())
}

/// ListLayers, and GetLayerVersionByArn (`?find=LayerVersion&Arn=…`) on the same path.
async fn list_layers(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    if q.get("find") == Some("LayerVersion") {
        let arn = q
            .get("Arn")
            .ok_or_else(|| LambdaError::invalid_parameter("Arn is required"))?;
        let found = state.control.get_layer_version_by_arn(arn).await?;
        return Ok(Json(view(&state, &headers, &found)).into_response());
    }
    let layers = state
        .control
        .list_layers(q.get("CompatibleRuntime").map(String::from))
        .await?;
    let (page, next) = page(layers, q.get("Marker"), q.max_items()?, |l| l.name.clone());
    let items: Vec<_> = page
        .iter()
        .map(|l| {
            json!({
                "LayerName": l.name,
                "LayerArn": state.control.account().layer_arn(&l.name),
                "LatestMatchingVersion": list_item(&state, l),
            })
        })
        .collect();
    let mut body = json!({ "Layers": items });
    if let Some(next) = next {
        body["NextMarker"] = json!(next);
    }
    Ok(Json(body).into_response())
}

/// Pages an in-memory list by a marker key.
fn page<T>(
    items: Vec<T>,
    marker: Option<&str>,
    max: Option<usize>,
    key: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    let limit = max.unwrap_or(50).clamp(1, 50);
    let start = marker
        .and_then(|m| items.iter().position(|i| key(i) == m))
        .map_or(0, |i| i + 1);
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    if rest.len() > limit {
        rest.truncate(limit);
        let next = rest.last().map(&key);
        (rest, next)
    } else {
        (rest, None)
    }
}
