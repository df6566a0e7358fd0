//! Routes tools such as Terraform and SAM call on every plan: recursion config, the function's
//! code signing config, provisioned concurrency configurations (see `control::parity`), and
//! layer version permissions (`control::layer_policy`).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use super::QueryParams;
use super::layers::version_number;
use crate::AppState;
use crate::body::{LambdaJson, Operation};
use crate::control::LayerPermissionInput;
use crate::error::ApiResult;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/2024-08-31/functions/{name}/recursion-config",
            get(get_recursion).put(put_recursion),
        )
        .route(
            "/2020-06-30/functions/{name}/code-signing-config",
            get(get_code_signing),
        )
        .route(
            "/2019-09-30/functions/{name}/provisioned-concurrency",
            get(provisioned_concurrency),
        )
        .route(
            "/2018-10-31/layers/{layer}/versions/{version}/policy",
            get(get_layer_policy).post(add_layer_permission),
        )
        .route(
            "/2018-10-31/layers/{layer}/versions/{version}/policy/{sid}",
            axum::routing::delete(remove_layer_permission),
        )
}

/// PutFunctionRecursionConfig's body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecursionInput {
    recursive_loop: Option<String>,
}

impl Operation for RecursionInput {
    const NAME: &'static str = "PutFunctionRecursionConfig";
}

async fn get_recursion(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let value = state.control.get_recursion_config(&name).await?;
    Ok(Json(json!({ "RecursiveLoop": value })).into_response())
}

async fn put_recursion(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    LambdaJson(input): LambdaJson<RecursionInput>,
) -> ApiResult<Response> {
    let value = state
        .control
        .put_recursion_config(&name, input.recursive_loop.as_deref())
        .await?;
    Ok(Json(json!({ "RecursiveLoop": value })).into_response())
}

/// A function without a code signing config: its name and an empty ARN (both members are
/// required in the model).
async fn get_code_signing(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let function = state
        .control
        .get_function_code_signing_config(&name)
        .await?;
    Ok(Json(json!({ "CodeSigningConfigArn": "", "FunctionName": function })).into_response())
}

/// `?List=ALL` is ListProvisionedConcurrencyConfigs; otherwise GetProvisionedConcurrencyConfig.
async fn provisioned_concurrency(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    if q.get("List") == Some("ALL") {
        q.max_items()?;
        state.control.list_provisioned_concurrency(&name).await?;
        return Ok(Json(json!({ "ProvisionedConcurrencyConfigs": [] })).into_response());
    }
    match state
        .control
        .get_provisioned_concurrency(&name, q.get("Qualifier"))
        .await
    {
        Ok(never) => match never {},
        Err(e) => Err(e.into()),
    }
}

async fn add_layer_permission(
    State(state): State<Arc<AppState>>,
    Path((layer, version)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    LambdaJson(input): LambdaJson<LayerPermissionInput>,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let (statement, revision) = state
        .control
        .add_layer_version_permission(
            &layer,
            version_number(&version)?,
            q.get("RevisionId"),
            input,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "Statement": statement.to_string(), "RevisionId": revision })),
    )
        .into_response())
}

async fn get_layer_policy(
    State(state): State<Arc<AppState>>,
    Path((layer, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (policy, revision) = state
        .control
        .get_layer_version_policy(&layer, version_number(&version)?)
        .await?;
    Ok(Json(json!({ "Policy": policy.to_string(), "RevisionId": revision })).into_response())
}

async fn remove_layer_permission(
    State(state): State<Arc<AppState>>,
    Path((layer, version, sid)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    state
        .control
        .remove_layer_version_permission(
            &layer,
            version_number(&version)?,
            &sid,
            q.get("RevisionId"),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
