//! Routes for tags, the resource policy, concurrency, runtime management and account settings.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use lamina_model::function::RuntimeManagement;
use serde_json::{Value, json};

use super::QueryParams;
use crate::AppState;
use crate::body::LambdaJson;
use crate::error::ApiResult;
use crate::requests::{AddPermissionInput, ConcurrencyInput, RuntimeManagementInput, TagInput};

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/2017-03-31/tags/{arn}",
            get(list_tags).post(tag_resource).delete(untag_resource),
        )
        .route(
            "/2015-03-31/functions/{name}/policy",
            get(get_policy).post(add_permission),
        )
        .route(
            "/2015-03-31/functions/{name}/policy/{sid}",
            axum::routing::delete(remove_permission),
        )
        .route(
            "/2017-10-31/functions/{name}/concurrency",
            put(put_concurrency).delete(delete_concurrency),
        )
        .route(
            "/2019-09-30/functions/{name}/concurrency",
            get(get_concurrency),
        )
        .route(
            "/2021-07-20/functions/{name}/runtime-management-config",
            get(get_runtime_management).put(put_runtime_management),
        )
        .route("/2016-08-19/account-settings", get(account_settings))
        .route("/2016-08-19/account-settings/", get(account_settings))
}

async fn tag_resource(
    State(state): State<Arc<AppState>>,
    Path(arn): Path<String>,
    LambdaJson(input): LambdaJson<TagInput>,
) -> ApiResult<Response> {
    state.control.tag_resource(&arn, input.tags).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn untag_resource(
    State(state): State<Arc<AppState>>,
    Path(arn): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    state.control.untag_resource(&arn, q.all("tagKeys")).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_tags(
    State(state): State<Arc<AppState>>,
    Path(arn): Path<String>,
) -> ApiResult<Response> {
    let tags = state.control.list_tags(&arn).await?;
    Ok(Json(json!({ "Tags": tags })).into_response())
}

async fn add_permission(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    LambdaJson(input): LambdaJson<AddPermissionInput>,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let statement = state
        .control
        .add_permission(&name, q.get("Qualifier"), input)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "Statement": statement.to_string() })),
    )
        .into_response())
}

async fn get_policy(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let (policy, revision) = state.control.get_policy(&name, q.get("Qualifier")).await?;
    Ok(Json(json!({ "Policy": policy.to_string(), "RevisionId": revision })).into_response())
}

async fn remove_permission(
    State(state): State<Arc<AppState>>,
    Path((name, sid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    state
        .control
        .remove_permission(&name, &sid, q.get("RevisionId"))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn put_concurrency(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    LambdaJson(input): LambdaJson<ConcurrencyInput>,
) -> ApiResult<Response> {
    let reserved = state
        .control
        .put_concurrency(&name, input.reserved_concurrent_executions)
        .await?;
    Ok(Json(json!({ "ReservedConcurrentExecutions": reserved })).into_response())
}

async fn get_concurrency(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let body = match state.control.get_concurrency(&name).await? {
        Some(reserved) => json!({ "ReservedConcurrentExecutions": reserved }),
        None => json!({}),
    };
    Ok(Json(body).into_response())
}

async fn delete_concurrency(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    state.control.delete_concurrency(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn put_runtime_management(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    LambdaJson(input): LambdaJson<RuntimeManagementInput>,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let (arn, config) = state
        .control
        .put_runtime_management(&name, q.get("Qualifier"), input)
        .await?;
    Ok(Json(runtime_management_body(&arn, config)).into_response())
}

/// Put and Get answer with the same shape: `RuntimeVersionArn` only when a version is pinned.
fn runtime_management_body(arn: &str, config: RuntimeManagement) -> Value {
    let mut body = json!({ "UpdateRuntimeOn": config.update_runtime_on, "FunctionArn": arn });
    if let Some(pinned) = config.runtime_version_arn {
        body["RuntimeVersionArn"] = json!(pinned);
    }
    body
}

async fn get_runtime_management(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let (arn, config) = state
        .control
        .get_runtime_management(&name, q.get("Qualifier"))
        .await?;
    Ok(Json(runtime_management_body(&arn, config)).into_response())
}

async fn account_settings(State(state): State<Arc<AppState>>) -> ApiResult<Response> {
    let settings = state.control.account_settings().await?;
    let limits = state.control.limits();
    Ok(Json(json!({
        "AccountLimit": {
            "TotalCodeSize": 80_530_636_800u64,
            "CodeSizeUnzipped": limits.package.max_unzipped_bytes,
            "CodeSizeZipped": limits.package.max_zipped_bytes,
            "ConcurrentExecutions": limits.concurrent_executions,
            "UnreservedConcurrentExecutions": settings.unreserved_concurrency,
        },
        "AccountUsage": {
            "TotalCodeSize": settings.total_code_size,
            "FunctionCount": settings.function_count,
        },
    }))
    .into_response())
}
