//! A `provided` runtime bootstrap built on the real `lambda_runtime` crate, used by the
//! integration tests and the latency benchmark as a conformance client.
//!
//! Run it with `AWS_LAMBDA_RUNTIME_API=host:port`, `AWS_LAMBDA_FUNCTION_NAME`,
//! `AWS_LAMBDA_FUNCTION_VERSION`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` set. Events:
//! - `{"op":"big","bytes":N}` answers a JSON string of N `x` characters (N+2 bytes);
//! - `{"op":"fail","message":M}` fails the invocation with message M;
//! - `{"op":"context"}` answers what the runtime saw of the invocation context;
//! - anything else is echoed back.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, ctx) = event.into_parts();
    match payload.get("op").and_then(Value::as_str) {
        Some("big") => {
            let n = payload.get("bytes").and_then(Value::as_u64).unwrap_or(0) as usize;
            Ok(Value::String("x".repeat(n)))
        }
        Some("fail") => {
            let message = payload
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("boom");
            Err(message.into())
        }
        Some("context") => Ok(json!({
            "request_id": ctx.request_id,
            "deadline": ctx.deadline,
            "invoked_function_arn": ctx.invoked_function_arn,
            "xray_trace_id": ctx.xray_trace_id,
            "client_context": ctx.client_context.map(|c| json!({"custom": c.custom, "env": c.environment})),
            "identity": ctx.identity.map(|i| json!({"id": i.identity_id, "pool": i.identity_pool_id})),
            "function_name": ctx.env_config.function_name,
            "memory": ctx.env_config.memory,
        })),
        _ => Ok(payload),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}
