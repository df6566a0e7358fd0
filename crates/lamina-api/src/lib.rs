//! Lambda's control-plane REST API (rest-json, botocore's paths and shapes) over the
//! control layer. `router` builds the axum app; the `lamina` binary serves it.

pub mod auth;
pub mod body;
pub mod control;
pub mod error;
pub mod requests;
pub mod routes;

use std::sync::Arc;

use axum::Router;
use lamina_model::{Function, FunctionVersion};

pub use control::{Change, CompatibilityScanner, Control, ControlLimits, Environments};
/// Invoke's typed command and answers, for front doors built on this crate (the console):
/// they invoke through [`AppState::invoke`] and never reach the engine themselves.
pub use lamina_engine::{
    InvocationType, InvokeCommand, InvokeError, InvokeOutcome, InvokeOutput, LogEvent,
    report::{Report, millis},
};

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

impl AppState {
    /// Runs one Invoke through the engine's front door, resolving the function through the
    /// control plane: the REST route and the console's Test button both come here.
    pub async fn invoke(&self, command: InvokeCommand) -> Result<InvokeOutcome, InvokeError> {
        lamina_engine::invoke(self.engine.as_ref(), &self.control, command).await
    }
}

/// The control-plane API as an axum router.
pub fn router(state: Arc<AppState>) -> Router {
    routes::router()
        .with_state(state)
        .layer(axum::middleware::from_fn(with_request_id))
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
        .layer(axum::middleware::from_fn(with_request_id))
}

/// The id Lamina gives a request when it arrives (`x-amzn-RequestId`). Invoke hands it to
/// the engine, so the invocation's id, its log lines and the response header agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Lambda names every response, error or not, with `x-amzn-RequestId`; the SDKs report it as
/// the request id. The id is made on arrival and carried by the request's span (debug level:
/// `LAMINA_LOG=lamina=debug` shows one request's whole path, the engine's spans inside it).
/// A handler that already set the header keeps its own.
async fn with_request_id(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument;
    // From the thread's generator, as the engine makes invocation ids: no system call.
    let id = uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string();
    let span = tracing::debug_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).instrument(span.clone()).await;
    tracing::debug!(parent: &span, status = response.status().as_u16(), "answered");
    let headers = response.headers_mut();
    if !headers.contains_key("x-amzn-requestid")
        && let Ok(value) = axum::http::HeaderValue::from_str(&id)
    {
        headers.insert("x-amzn-requestid", value);
    }
    response
}
