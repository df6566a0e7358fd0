//! `start-lambda`: Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`) for
//! the template's functions, by logical id, so boto3 or the AWS CLI pointed at it run them
//! locally. Beyond SAM CLI it honours `Qualifier` (`$LATEST`, or the function's
//! `AutoPublishAlias`), `X-Amz-Log-Type: Tail`, and the `Event` and `DryRun` invocation types.
//!
//! Invocations go through the engine's front door, as `lamina server`'s Invoke does: the
//! same payload checks, ARN and qualifier rules, `Event` hand-over and wire rendering. The
//! template is the [`FunctionSource`].

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::response::Response;
use axum::routing::post;
use lamina_engine::front_door::wire::{self, InvokeHeaders};
use lamina_engine::front_door::{InvokeCommand, SYNC_PAYLOAD_LIMIT};
use lamina_engine::{FunctionSource, InvokeOutput};
use lamina_model::{Account, Function, FunctionRef, FunctionVersion, LambdaResult};

use crate::local::api::LogSink;
use crate::local::runner::Runner;

/// The template's functions as the front door sees them; every invocation's log lines go
/// to the command's log.
struct TemplateFunctions {
    runner: Arc<Runner>,
    log: LogSink,
}

impl FunctionSource for TemplateFunctions {
    fn account(&self) -> &Account {
        self.runner.account()
    }

    fn resolve(
        &self,
        reference: &FunctionRef,
    ) -> impl Future<Output = LambdaResult<(Function, FunctionVersion)>> + Send {
        self.runner.resolve_reference(reference)
    }

    fn finished(&self, output: &InvokeOutput) {
        (self.log)(&output.log_lines.join("\n"));
    }
}

/// The Invoke API app.
pub fn router(runner: Arc<Runner>, log: LogSink) -> Router {
    Router::new()
        .route("/2015-03-31/functions/{name}/invocations", post(invoke))
        .with_state(Arc::new(TemplateFunctions { runner, log }))
        .layer(axum::extract::DefaultBodyLimit::max(SYNC_PAYLOAD_LIMIT))
}

async fn invoke(
    State(source): State<Arc<TemplateFunctions>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let headers = match InvokeHeaders::parse(request.headers()) {
        Ok(h) => h,
        Err(e) => return wire::error_response(&e).map(Body::from),
    };
    let kind = headers.invocation_type;
    let declared = wire::declared_size(request.headers());
    let payload = match axum::body::to_bytes(request.into_body(), kind.payload_limit()).await {
        // SAM CLI runs a function invoked without a payload with `{}`.
        Ok(p) if p.is_empty() => bytes::Bytes::from_static(b"{}"),
        Ok(p) => p,
        Err(_) => return wire::error_response(&wire::too_large(kind, declared)).map(Body::from),
    };
    let qualifier = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "Qualifier")
        .map(|(_, v)| v.into_owned());
    let command = InvokeCommand {
        function: name,
        qualifier,
        invocation_type: kind,
        payload,
        tail: headers.tail,
        client_context: headers.client_context,
        caller: None,
        request_id: None,
    };
    let result = lamina_engine::invoke(Some(source.runner.engine()), &source, command).await;
    wire::response(result, headers.tail).map(Body::from)
}
