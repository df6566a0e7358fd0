//! Lamina's web console, served by `lamina server` under `/console`: the functions list, a
//! function's page (configuration, code, versions and aliases, recent invocations, logs and
//! the Test tab with saved test events), and the environments page with migration
//! timelines, and the CloudFront distributions with their triggers and recent edge
//! requests. Pages are rendered on the server; one small script (embedded, like the
//! stylesheet) drives the forms. Every change goes through the same `Control` methods as
//! the REST API, so validation and error messages are identical.
//!
//! This crate owns presentation only: no rule lives here. Saved test events are stored by
//! the control layer (`/lamina/functions/{name}/test-events`), which the script calls too.

mod actions;
mod assets;
mod environments;
mod error;
mod html;
mod invocations;
mod pages;
pub mod sign_in;
mod timeline;

use std::sync::Arc;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};
use lamina_api::AppState;

pub use error::ConsoleError;

/// What the console's handlers reach: the API's own state.
pub struct Console {
    /// The control plane, engine and runtime-version answers the API uses.
    pub app: Arc<AppState>,
    /// The edge, when the server runs one: the environments page names the distributions
    /// whose Lambda@Edge triggers run each version.
    pub edge: Option<Arc<lamina_edge::Edge>>,
}

/// The Distributions page (Lambda@Edge), served beside the console's other pages when the
/// server runs the edge.
pub fn distributions_router(edge: Arc<lamina_edge::Edge>) -> Router {
    Router::new()
        .route("/console/distributions", get(pages::distributions::show))
        .with_state(edge)
}

/// The console's routes (all under `/console`); merge it into the API's router.
pub fn router(app: Arc<AppState>) -> Router {
    router_with_edge(app, None)
}

/// [`router`], with the edge whose distributions the environments page names.
pub fn router_with_edge(app: Arc<AppState>, edge: Option<Arc<lamina_edge::Edge>>) -> Router {
    let console = Arc::new(Console { app, edge });
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::to("/console/functions") }),
        )
        .route(
            "/console/",
            get(|| async { Redirect::to("/console/functions") }),
        )
        .route("/console/functions", get(pages::functions::list))
        .route("/console/functions/{name}", get(pages::function::show))
        .route("/console/environments", get(pages::environments::show))
        .route("/console/assets/{file}", get(assets::serve))
        .route(
            "/console/api/event-templates/{service}/{event}",
            get(actions::event_template),
        )
        .route(
            "/console/api/functions/{name}/configuration",
            post(actions::update_configuration),
        )
        .route("/console/api/functions/{name}/test", post(actions::test))
        .route("/console/api/functions/{name}/flags", post(actions::flag))
        .with_state(console)
}
