//! Running one trigger: the event goes through the engine's front door as a synchronous
//! invoke of the associated version (so it runs in the environment the migration plans give
//! it), and the outcome is sorted as CloudFront sorts it: throttled or timed out → limit
//! exceeded (503), an unhandled error → execution error (503), an answer that is not a JSON
//! object → validation error (502).

use bytes::Bytes;
use lamina_api::{InvokeCommand, InvokeError, InvokeOutcome};
use lamina_model::ErrorKind;

use super::Failure;
use crate::Edge;
use crate::config::Association;

/// Invokes `association`'s function with `event`; the function's answer as JSON.
pub async fn run(
    edge: &Edge,
    association: &Association,
    event: &serde_json::Value,
) -> Result<serde_json::Value, Failure> {
    let arn = association.function_arn.clone();
    let fail = |kind: fn(String, String) -> Failure, reason: String| kind(arn.clone(), reason);
    let command = InvokeCommand::request_response(arn.clone(), Bytes::from(event.to_string()));
    match edge.app().invoke(command).await {
        Err(InvokeError::Engine(e)) if e.kind == ErrorKind::TooManyRequests => Err(fail(
            Failure::limit,
            format!("the function was throttled: {}", e.message),
        )),
        Err(e) => Err(fail(
            Failure::execution,
            format!("the function could not run: {e}"),
        )),
        Ok(InvokeOutcome::Ran(output)) => {
            if output.function_error.is_some() {
                let payload: serde_json::Value =
                    serde_json::from_slice(&output.payload).unwrap_or_default();
                let error_type = payload["errorType"]
                    .as_str()
                    .unwrap_or("Unhandled")
                    .to_string();
                let message = payload["errorMessage"].as_str().unwrap_or("").to_string();
                return Err(if error_type == "Sandbox.Timedout" {
                    fail(Failure::limit, format!("the function timed out: {message}"))
                } else {
                    fail(
                        Failure::execution,
                        format!("the function failed with {error_type}: {message}"),
                    )
                });
            }
            match serde_json::from_slice::<serde_json::Value>(&output.payload) {
                Ok(value @ serde_json::Value::Object(_)) => Ok(value),
                _ => Err(fail(
                    Failure::validation,
                    "The Lambda function returned invalid JSON: the result must be a request or response object.".to_string(),
                )),
            }
        }
        Ok(_) => Err(fail(
            Failure::execution,
            "the function did not run synchronously".to_string(),
        )),
    }
}
