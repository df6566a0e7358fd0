//! Invoke's one front door. Every way into an invocation (the REST route of `lamina server`,
//! the console's Test button, `lamina local start-lambda`) turns its input into an
//! [`InvokeCommand`] and calls [`invoke`], which checks the payload, parses the function
//! reference and its qualifier once (Lambda's rules, in `lamina_model::arn`), asks a
//! [`FunctionSource`] for the version to run, and runs it on the engine: at once
//! (`RequestResponse`), in the background (`Event`), or not at all (`DryRun`). The answer
//! is a typed [`InvokeOutcome`] or [`InvokeError`]; [`wire`] renders both as Lambda's HTTP
//! response, the only place that knows headers and status codes.
//!
//! It does not own name resolution (the control plane's aliases and versions, or a SAM
//! template's functions: each implements [`FunctionSource`]) nor how a version runs (the
//! rest of the engine).

pub mod wire;

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use lamina_model::{Account, Function, FunctionRef, FunctionVersion, LambdaError, LambdaResult};
use tracing::Instrument;

use crate::{Engine, InvokeOutput, InvokeRequest};

/// Largest synchronous request payload (6 MB).
pub const SYNC_PAYLOAD_LIMIT: usize = 6_291_456;
/// Largest asynchronous (`Event`) payload (1 MB).
pub const ASYNC_PAYLOAD_LIMIT: usize = 1_048_576;

/// `X-Amz-Invocation-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    /// Run and answer with the result (200).
    RequestResponse,
    /// Queue and answer at once (202).
    Event,
    /// Check the request and the caller's access only (204).
    DryRun,
}

impl InvocationType {
    /// The largest payload this invocation type accepts.
    pub fn payload_limit(self) -> usize {
        match self {
            Self::Event => ASYNC_PAYLOAD_LIMIT,
            Self::RequestResponse | Self::DryRun => SYNC_PAYLOAD_LIMIT,
        }
    }
}

/// Who is invoking, once requests are authenticated (filled by the auth layer; `None` on an
/// unauthenticated loopback server and locally).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The caller's account id.
    pub account_id: String,
    /// The caller's principal ARN (user or role).
    pub principal_arn: String,
}

/// One Invoke, as every front door hands it over.
#[derive(Debug, Clone)]
pub struct InvokeCommand {
    /// `FunctionName` as the caller wrote it: a name, `name:qualifier`, a partial or a full ARN.
    pub function: String,
    /// The `Qualifier` parameter (`$LATEST`, a version number or an alias).
    pub qualifier: Option<String>,
    /// Run now, queue, or only check.
    pub invocation_type: InvocationType,
    /// The event.
    pub payload: Bytes,
    /// `X-Amz-Log-Type: Tail`: the caller wants the log's tail with the result.
    pub tail: bool,
    /// `X-Amz-Client-Context`, decoded.
    pub client_context: Option<String>,
    /// The authenticated caller, when there is one.
    pub caller: Option<Caller>,
    /// The request id the front door already gave this request (its `x-amzn-RequestId`);
    /// `None` lets the engine make one.
    pub request_id: Option<String>,
}

impl InvokeCommand {
    /// A synchronous invoke of `function` with `payload` and nothing else set.
    pub fn request_response(function: impl Into<String>, payload: Bytes) -> Self {
        Self {
            function: function.into(),
            qualifier: None,
            invocation_type: InvocationType::RequestResponse,
            payload,
            tail: false,
            client_context: None,
            caller: None,
            request_id: None,
        }
    }
}

/// How an invoke that was accepted ended.
#[derive(Debug, Clone)]
pub enum InvokeOutcome {
    /// `RequestResponse`: the function ran; its result or its error payload.
    Ran(InvokeOutput),
    /// `Event`: accepted, and this version will run.
    Queued {
        /// The version that will run (`X-Amz-Executed-Version`).
        executed_version: String,
        /// The invocation's request id.
        request_id: Option<String>,
    },
    /// `DryRun`: the request was checked; nothing ran.
    Checked,
}

/// Why an invoke was refused. A function that fails is not an error here: it is an
/// [`InvokeOutcome::Ran`] with an error payload.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The payload is larger than the invocation type accepts.
    #[error("payload of {size} bytes is over the {limit}-byte limit of {invocation_type:?}")]
    PayloadTooLarge {
        /// Its size.
        size: usize,
        /// The limit it broke.
        limit: usize,
        /// The invocation type whose limit it is.
        invocation_type: InvocationType,
    },
    /// The payload is neither empty nor JSON.
    #[error("the payload is not valid JSON")]
    PayloadNotJson,
    /// The function reference or its qualifier is malformed, or names nothing: already in
    /// Lambda's words (the model's validation or the function source).
    #[error("{0}")]
    Function(LambdaError),
    /// This server runs without an invoke engine (`--no-engine`).
    #[error("this server runs without an invoke engine")]
    NoEngine,
    /// The engine refused to run it (throttled, a runtime or image it cannot start).
    #[error("{0}")]
    Engine(LambdaError),
}

impl From<LambdaError> for InvokeError {
    fn from(e: LambdaError) -> Self {
        Self::Function(e)
    }
}

/// Where the front door finds the function version an invoke names: the control plane for
/// `lamina server`, a SAM template for `lamina local start-lambda`.
pub trait FunctionSource: Send + Sync + 'static {
    /// The region and account this source's ARNs belong to.
    fn account(&self) -> &Account;

    /// The function and the version `reference` names now (an alias with weights picks one),
    /// or Lambda's not-found.
    fn resolve(
        &self,
        reference: &FunctionRef,
    ) -> impl Future<Output = LambdaResult<(Function, FunctionVersion)>> + Send;

    /// Called with every invocation this source's front door ran, synchronous or not, once
    /// it has finished (`start-lambda` prints the log lines). Nothing by default.
    fn finished(&self, _output: &InvokeOutput) {}
}

/// Checks an invoke's payload: within its type's limit, and empty or JSON text.
pub fn check_payload(invocation_type: InvocationType, payload: &[u8]) -> Result<(), InvokeError> {
    let limit = invocation_type.payload_limit();
    if payload.len() > limit {
        return Err(InvokeError::PayloadTooLarge {
            size: payload.len(),
            limit,
            invocation_type,
        });
    }
    if !payload.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(payload).is_err() {
        return Err(InvokeError::PayloadNotJson);
    }
    Ok(())
}

/// Runs one Invoke: checks it, resolves the function through `source`, and hands it to
/// `engine` (`None`: a server without an engine, which refuses every invoke).
pub async fn invoke<S: FunctionSource>(
    engine: Option<&Arc<Engine>>,
    source: &Arc<S>,
    cmd: InvokeCommand,
) -> Result<InvokeOutcome, InvokeError> {
    check_payload(cmd.invocation_type, &cmd.payload)?;
    let account = source.account();
    let reference = account
        .parse_function_ref(&cmd.function)?
        .with_qualifier_param(cmd.qualifier.as_deref())?;
    let (function, version) = source.resolve(&reference).await?;
    tracing::debug!(function = %function.name, version = %version.version, kind = ?cmd.invocation_type, "invoke resolved");
    let engine = engine.ok_or(InvokeError::NoEngine)?;
    let req = InvokeRequest {
        invoked_arn: account.invoked_arn(&reference),
        function,
        version,
        payload: cmd.payload,
        client_context: cmd.client_context,
        request_id: cmd.request_id,
    };
    match cmd.invocation_type {
        InvocationType::DryRun => Ok(InvokeOutcome::Checked),
        InvocationType::Event => match engine.queue() {
            // The durable queue: the event is on disk (group commit) before this returns,
            // and its id is the request id the 202 carries and every attempt keeps.
            Some(queue) => {
                let executed_version = req.version.version.clone();
                let received = engine.async_series(&req);
                let request_id = queue
                    .enqueue(
                        &req.function.name,
                        &req.version.version,
                        reference.qualifier.as_deref(),
                        req.payload,
                        req.request_id,
                    )
                    .await
                    .map_err(InvokeError::Engine)?;
                engine.record_async_received(received);
                Ok(InvokeOutcome::Queued {
                    executed_version,
                    request_id: Some(request_id),
                })
            }
            None => {
                let outcome = InvokeOutcome::Queued {
                    executed_version: req.version.version.clone(),
                    request_id: req.request_id.clone(),
                };
                queue_event(engine, source, req);
                Ok(outcome)
            }
        },
        InvocationType::RequestResponse => {
            let output = engine.invoke(req).await.map_err(InvokeError::Engine)?;
            source.finished(&output);
            Ok(InvokeOutcome::Ran(output))
        }
    }
}

/// An accepted `Event` invocation on an engine without the durable queue (`lamina local
/// start-lambda`): it runs in the background on this engine, retrying while throttled.
fn queue_event<S: FunctionSource>(engine: &Arc<Engine>, source: &Arc<S>, mut req: InvokeRequest) {
    // Lambda gives the function no client context on asynchronous invocations.
    req.client_context = None;
    let engine = Arc::clone(engine);
    let source = Arc::clone(source);
    tokio::spawn(
        async move {
            if let Some(output) = engine.run_event(req).await {
                source.finished(&output);
            }
        }
        .in_current_span(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_must_be_empty_or_json_within_the_limit() {
        assert!(check_payload(InvocationType::RequestResponse, b"").is_ok());
        assert!(check_payload(InvocationType::RequestResponse, br#"{"a":1}"#).is_ok());
        assert!(matches!(
            check_payload(InvocationType::RequestResponse, b"{"),
            Err(InvokeError::PayloadNotJson)
        ));
        let big = format!("\"{}\"", "a".repeat(ASYNC_PAYLOAD_LIMIT));
        assert!(check_payload(InvocationType::RequestResponse, big.as_bytes()).is_ok());
        assert!(matches!(
            check_payload(InvocationType::Event, big.as_bytes()),
            Err(InvokeError::PayloadTooLarge {
                limit: ASYNC_PAYLOAD_LIMIT,
                ..
            })
        ));
    }
}
