//! `GET /metrics`: the Prometheus exposition of the engine's metrics (`lamina-metrics`
//! encodes it; this route only serves it). The authentication gate lets loopback scrapers
//! in without a signature and asks everyone else for one (`auth.rs`).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lamina_model::LambdaError;

use crate::AppState;
use crate::error::ApiResult;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/metrics", get(exposition))
}

/// The metrics of a server that records them, or Lambda's not-found naming why not.
pub(crate) fn metrics_of(state: &AppState) -> Result<Arc<lamina_metrics::Metrics>, LambdaError> {
    state.engine()?.metrics().cloned().ok_or_else(|| {
        LambdaError::not_found("This Lamina server records no metrics (--no-metrics)")
    })
}

async fn exposition(State(state): State<Arc<AppState>>) -> ApiResult<Response> {
    let metrics = metrics_of(&state)?;
    let text = tokio::task::spawn_blocking(move || metrics.prometheus())
        .await
        .map_err(|e| LambdaError::service(format!("the metrics task failed: {e}")))?
        .map_err(|e| {
            tracing::error!(error = %e, "reading metrics failed");
            LambdaError::service("Lamina could not read its metrics; see the server log")
        })?;
    Ok((
        [("content-type", lamina_metrics::prometheus::CONTENT_TYPE)],
        text,
    )
        .into_response())
}
