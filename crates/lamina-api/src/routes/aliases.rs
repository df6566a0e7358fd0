//! Alias routes.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lamina_model::view::AliasConfiguration;
use serde_json::json;

use super::QueryParams;
use crate::AppState;
use crate::body::LambdaJson;
use crate::error::ApiResult;
use crate::requests::{CreateAliasInput, UpdateAliasInput};

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/2015-03-31/functions/{name}/aliases",
            get(list_aliases).post(create_alias),
        )
        .route(
            "/2015-03-31/functions/{name}/aliases/{alias}",
            get(get_alias).put(update_alias).delete(delete_alias),
        )
}

async fn create_alias(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    LambdaJson(input): LambdaJson<CreateAliasInput>,
) -> ApiResult<Response> {
    let alias = state.control.create_alias(&name, input).await?;
    let function = state.control.account().parse_function_ref(&name)?.name;
    let view = AliasConfiguration::of(state.control.account(), &function, &alias);
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn get_alias(
    State(state): State<Arc<AppState>>,
    Path((name, alias)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (function, alias) = state.control.get_alias(&name, &alias).await?;
    Ok(Json(AliasConfiguration::of(
        state.control.account(),
        &function,
        &alias,
    ))
    .into_response())
}

async fn update_alias(
    State(state): State<Arc<AppState>>,
    Path((name, alias)): Path<(String, String)>,
    LambdaJson(input): LambdaJson<UpdateAliasInput>,
) -> ApiResult<Response> {
    let (function, alias) = state.control.update_alias(&name, &alias, input).await?;
    Ok(Json(AliasConfiguration::of(
        state.control.account(),
        &function,
        &alias,
    ))
    .into_response())
}

async fn delete_alias(
    State(state): State<Arc<AppState>>,
    Path((name, alias)): Path<(String, String)>,
) -> ApiResult<Response> {
    state.control.delete_alias(&name, &alias).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_aliases(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let (function, aliases, next) = state
        .control
        .list_aliases(
            &name,
            q.get("FunctionVersion").map(String::from),
            q.get("Marker").map(String::from),
            q.max_items()?,
        )
        .await?;
    let list: Vec<_> = aliases
        .iter()
        .map(|a| AliasConfiguration::of(state.control.account(), &function, a))
        .collect();
    let mut body = json!({ "Aliases": list });
    if let Some(next) = next {
        body["NextMarker"] = json!(next);
    }
    Ok(Json(body).into_response())
}
