//! Lamina's own routes for migration plans and the migration report (not part of Lambda's
//! API; the `lamina migrate` commands call them):
//!
//! - `GET /lamina/plans`, `POST /lamina/plans` (apply: 201 created, 200 replaced)
//! - `GET /lamina/plans/{name}`, `DELETE /lamina/plans/{name}` (204)
//! - `GET /lamina/migration/status[?at=<RFC 3339>]`
//! - `GET /lamina/migration/simulate?at=<RFC 3339>`
//!
//! Bodies are the plan as JSON, with the field names of the TOML plan file.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lamina_model::LambdaError;
use lamina_model::environment::MigrationPlan;
use serde_json::json;
use time::OffsetDateTime;

use super::QueryParams;
use crate::AppState;
use crate::body::{LambdaJson, Operation};
use crate::error::ApiResult;

impl Operation for MigrationPlan {
    const NAME: &'static str = "ApplyMigrationPlan";
    const MAX_BODY: usize = 64 * 1024;
}

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/lamina/plans", get(list_plans).post(apply_plan))
        .route("/lamina/plans/{name}", get(get_plan).delete(delete_plan))
        .route("/lamina/migration/status", get(status))
        .route("/lamina/migration/simulate", get(simulate))
}

async fn apply_plan(
    State(state): State<Arc<AppState>>,
    LambdaJson(plan): LambdaJson<MigrationPlan>,
) -> ApiResult<Response> {
    let (plan, created) = state.control.apply_plan(plan).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(plan)).into_response())
}

async fn list_plans(State(state): State<Arc<AppState>>) -> ApiResult<Response> {
    let plans = state.control.list_plans().await?;
    Ok(Json(json!({ "Plans": plans })).into_response())
}

async fn get_plan(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(state.control.get_plan(&name).await?).into_response())
}

async fn delete_plan(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    state.control.delete_plan(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Parses `at` as RFC 3339.
fn instant(raw: &str) -> Result<OffsetDateTime, LambdaError> {
    OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339).map_err(|_| {
        LambdaError::invalid_parameter(format!(
            "at {raw:?} is not an RFC 3339 instant such as 2019-06-11T00:00:00Z"
        ))
    })
}

async fn status(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let at = q.get("at").map(instant).transpose()?;
    Ok(Json(state.control.migration_status(at).await?).into_response())
}

async fn simulate(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let raw = q
        .get("at")
        .ok_or_else(|| LambdaError::invalid_parameter("simulate needs ?at=<RFC 3339 instant>"))?;
    Ok(Json(state.control.migration_simulate(instant(raw)?).await?).into_response())
}
