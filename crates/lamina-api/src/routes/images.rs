//! Lamina's own routes for environment images and the compatibility scanner (not part of
//! Lambda's API; `lamina env` and `lamina scan` call them):
//!
//! - `GET /lamina/images` → `{"Images": [summary…]}`
//! - `POST /lamina/images` `{"Base","Name","Packages","NoCache","Mirror"}` → 201 + manifest
//!   (builds on the server; a cached recipe links in seconds)
//! - `GET /lamina/images/{id}` → the manifest and its runtime version ARNs
//! - `DELETE /lamina/images/{id}` → 204; 409 naming what still depends on it
//! - `GET /lamina/functions/{name}/scan?image=ID[&Qualifier=Q]` → a scan report
//! - `GET /lamina/plans/{name}/impact` → every covered function scanned against the target
//!
//! The server adds the [`ImageService`] as an axum extension; without it (router tests that
//! do not need images), building and removing answer with the reason.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use lamina_model::LambdaError;
use serde_json::json;

use super::QueryParams;
use crate::AppState;
use crate::body::{LambdaJson, Operation};
use crate::control::{BuildImageRequest, ImageService};
use crate::error::ApiResult;

impl Operation for BuildImageRequest {
    const NAME: &'static str = "BuildImage";
    const MAX_BODY: usize = 16 * 1024;
}

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/lamina/images", get(list).post(build))
        .route("/lamina/images/{id}", get(show).delete(remove))
        .route("/lamina/functions/{name}/scan", get(scan_function))
        .route("/lamina/plans/{name}/impact", get(plan_impact))
}

fn service(ext: Option<Extension<Arc<ImageService>>>) -> Result<Arc<ImageService>, LambdaError> {
    ext.map(|Extension(s)| s).ok_or_else(|| {
        LambdaError::service(
            "this server has no image folder configured (start it with lamina server)",
        )
    })
}

async fn list(State(state): State<Arc<AppState>>) -> ApiResult<Response> {
    Ok(Json(json!({ "Images": state.control.list_images() })).into_response())
}

async fn show(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(Json(state.control.get_image(&id)?).into_response())
}

async fn build(
    State(state): State<Arc<AppState>>,
    ext: Option<Extension<Arc<ImageService>>>,
    LambdaJson(request): LambdaJson<BuildImageRequest>,
) -> ApiResult<Response> {
    let service = service(ext)?;
    let manifest = state.control.build_image(&service, request).await?;
    Ok((StatusCode::CREATED, Json(manifest)).into_response())
}

async fn remove(
    State(state): State<Arc<AppState>>,
    ext: Option<Extension<Arc<ImageService>>>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let service = service(ext)?;
    state.control.delete_image(&service, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn scan_function(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let image = q
        .get("image")
        .ok_or_else(|| LambdaError::invalid_parameter("scan needs ?image=<image id>"))?;
    let report = state
        .control
        .scan_function(&name, q.get("Qualifier"), image)
        .await?;
    Ok(Json(report).into_response())
}

async fn plan_impact(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(state.control.scan_plan(&name).await?).into_response())
}
