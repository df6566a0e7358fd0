//! Lambda's control-plane REST API (rest-json, botocore's paths and shapes) over the
//! control layer. `router` builds the axum app; the `lamina` binary serves it.

pub mod auth;
pub mod body;
pub mod control;
pub mod error;
pub mod invocation;
pub mod requests;
pub mod routes;

use std::sync::Arc;

use axum::Router;
use lamina_model::{Function, FunctionVersion};

pub use control::{Change, CompatibilityScanner, Control, ControlLimits, Environments};

/// Tells which runtime version (runtime + environment image) a function version runs on
/// now, for `RuntimeVersionConfig`. The environments layer provides the real answer.
pub trait RuntimeVersions: Send + Sync + 'static {
    /// The runtime version ARN of `version`, if known.
    fn runtime_version_arn(&self, function: &Function, version: &FunctionVersion)
    -> Option<String>;

    /// Migration warnings about `version` now (flags that do nothing, an expired delay),
    /// shown as `RuntimeVersionConfig.Error`.
    fn runtime_version_warnings(&self, _: &Function, _: &FunctionVersion) -> Vec<String> {
        Vec::new()
    }

    /// The state `version` is in now when it differs from the stored one: `Pending` while
    /// the image it needs is prepared, `Failed` when that preparation failed.
    fn live_state(&self, _: &Function, _: &FunctionVersion) -> Option<control::LiveState> {
        None
    }
}

/// No environments known: `RuntimeVersionConfig` is omitted.
pub struct NoRuntimeVersions;

impl RuntimeVersions for NoRuntimeVersions {
    fn runtime_version_arn(&self, _: &Function, _: &FunctionVersion) -> Option<String> {
        None
    }
}

/// What every handler can reach.
pub struct AppState {
    /// The control plane.
    pub control: Arc<Control>,
    /// Runtime-version answers.
    pub runtime_versions: Arc<dyn RuntimeVersions>,
    /// Base URL for links when a request has no Host header.
    pub base_url: String,
    /// The invoke engine; `None` serves the control plane only (Invoke answers 502).
    pub engine: Option<Arc<lamina_engine::Engine>>,
}

impl AppState {
    /// The invoke engine, or the 502 Lambda gives when a function cannot be run (a server
    /// started with `--no-engine`).
    pub fn engine(&self) -> Result<&Arc<lamina_engine::Engine>, lamina_model::LambdaError> {
        self.engine.as_ref().ok_or_else(|| {
            lamina_model::LambdaError::new(
                lamina_model::ErrorKind::ResourceNotReady,
                "This Lamina server runs without an invoke engine",
            )
        })
    }
}

/// The control-plane API as an axum router.
pub fn router(state: Arc<AppState>) -> Router {
    routes::router()
        .with_state(state)
        .layer(axum::middleware::map_response(with_request_id))
}

/// The API behind the authentication gate (`auth::check`): requests are verified (when the
/// gate's mode requires it) before any route sees them; refusals still carry
/// `x-amzn-RequestId`.
pub fn router_with_auth(state: Arc<AppState>, gate: Arc<auth::Gate>) -> Router {
    routes::router()
        .with_state(Arc::clone(&state))
        .layer(axum::middleware::from_fn_with_state(
            (state, gate),
            auth::check,
        ))
        .layer(axum::middleware::map_response(with_request_id))
}

/// Lambda names every response, error or not, with `x-amzn-RequestId`; the SDKs report it as
/// the request id. A handler that already chose one (Invoke: the invocation's id) keeps it.
async fn with_request_id(mut response: axum::response::Response) -> axum::response::Response {
    let headers = response.headers_mut();
    if !headers.contains_key("x-amzn-requestid") {
        let id = uuid::Uuid::new_v4().to_string();
        if let Ok(value) = axum::http::HeaderValue::from_str(&id) {
            headers.insert("x-amzn-requestid", value);
        }
    }
    response
}
