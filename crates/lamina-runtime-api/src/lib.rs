//! Lambda's Runtime API (2018-06-01) for one sandbox, with the Extensions API (2020-01-01),
//! the Telemetry API (2022-07-01) and the older Logs API (2020-08-15) on the same listener:
//! the HTTP server a runtime and its extensions talk to at `AWS_LAMBDA_RUNTIME_API`, and the
//! platform-side handle the engine uses to wait for init, hand over invocations, send
//! SHUTDOWN and emit telemetry.
//!
//! This crate owns the protocol and its state machine (the emulator's security rules: no
//! answer before `/next`, only the current request id, one answer per invocation) and the
//! payload bound. It does not own processes, clocks or timeouts: the engine starts and kills
//! the runtime, applies deadlines and turns outcomes into Lambda's invoke responses.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use lamina_runtime_api::{Invocation, InvokeOutcome, RuntimeApi, RuntimeApiConfig};
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let api = RuntimeApi::serve(listener, RuntimeApiConfig::default())?;
//! // ... start the runtime with AWS_LAMBDA_RUNTIME_API=api.local_addr() ...
//! let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
//! api.wait_init(deadline).await;
//! let outcome = api.invoke(Invocation {
//!     request_id: "8476a536-e9f4-11e8-9739-2dfe598c3fcd".into(),
//!     payload: bytes::Bytes::from_static(b"{}"),
//!     deadline_ms: 1_700_000_000_000,
//!     invoked_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
//!     trace_id: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".into(),
//!     client_context: None,
//!     cognito_identity: None,
//! }).await?;
//! # let _ = outcome; Ok(()) }
//! ```

mod body;
mod endpoints;
mod error;
mod error_type;
mod extensions;
mod invocation;
mod server;
mod state;
mod telemetry;
mod wire;

pub use error::{InvokeError, RuntimeApiError};
pub use error_type::{FUNCTION_UNKNOWN, RUNTIME_UNKNOWN, normalise_error_type};
pub use extensions::{EventKind, MAX_EXTENSIONS, ShutdownReason};
pub use invocation::{InitOutcome, Invocation, InvokeOutcome};
pub use server::{RuntimeApi, RuntimeApiConfig};
pub use state::FunctionInfo;
pub use telemetry::{Connector, Telemetry, TelemetryKind, loopback_connector};

/// Lambda's limit on a synchronous response body: 6 MiB + 100 bytes.
pub const MAX_RESPONSE_BYTES: usize = 6_291_556;

/// The error type a caller sees when the response went over the limit.
pub const RESPONSE_TOO_LARGE_TYPE: &str = "Function.ResponseSizeTooLarge";

/// The error message a caller sees when the response went over [`MAX_RESPONSE_BYTES`].
pub const RESPONSE_TOO_LARGE_MESSAGE: &str =
    "Response payload size exceeded maximum allowed payload size (6291556 bytes).";

/// The error type recorded when a runtime's body ended early.
pub const TRUNCATED_RESPONSE_TYPE: &str = "Runtime.TruncatedResponse";

/// The JSON body Lambda returns to the caller for [`InvokeOutcome::ResponseTooLarge`] with a
/// payload limit of `limit` bytes: `{"errorMessage": ..., "errorType": "Function.ResponseSizeTooLarge"}`.
pub fn response_too_large_body(limit: usize) -> bytes::Bytes {
    let message =
        format!("Response payload size exceeded maximum allowed payload size ({limit} bytes).");
    let body = serde_json::json!({ "errorMessage": message, "errorType": RESPONSE_TOO_LARGE_TYPE });
    bytes::Bytes::from(body.to_string())
}
