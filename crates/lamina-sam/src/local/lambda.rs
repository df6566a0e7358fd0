//! `start-lambda`: Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`) for
//! the template's functions, by logical id, so boto3 or the AWS CLI pointed at it run them
//! locally. Beyond SAM CLI it honours `Qualifier` (`$LATEST`, or the function's
//! `AutoPublishAlias`), `X-Amz-Log-Type: Tail`, and the `Event` and `DryRun` invocation types.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use lamina_api::error::ApiError;
use lamina_api::invocation::{
    InvocationType, InvokeHeaders, SYNC_PAYLOAD_LIMIT, check_payload, event_accepted, sync_response,
};
use lamina_model::{ErrorKind, LambdaError};

use crate::local::api::LogSink;
use crate::local::project::ProjectError;
use crate::local::runner::{Runner, RunnerError};

struct LambdaState {
    runner: Arc<Runner>,
    log: LogSink,
}

/// The Invoke API app.
pub fn router(runner: Arc<Runner>, log: LogSink) -> Router {
    Router::new()
        .route("/2015-03-31/functions/{name}/invocations", post(invoke))
        .with_state(Arc::new(LambdaState { runner, log }))
        .layer(axum::extract::DefaultBodyLimit::max(SYNC_PAYLOAD_LIMIT))
}

/// `name`, `name:qualifier` or a function ARN → (name, qualifier in the name).
fn split_name(input: &str) -> (String, Option<String>) {
    let rest = match input.find(":function:") {
        Some(i) => &input[i + ":function:".len()..],
        None => input,
    };
    match rest.split_once(':') {
        Some((name, q)) => (name.to_string(), Some(q.to_string())),
        None => (rest.to_string(), None),
    }
}

async fn invoke(
    State(state): State<Arc<LambdaState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    match run(&state, &name, query.as_deref(), request).await {
        Ok(r) => r,
        Err(e) => ApiError(e).into_response(),
    }
}

async fn run(
    state: &Arc<LambdaState>,
    raw_name: &str,
    query: Option<&str>,
    request: Request,
) -> Result<Response, LambdaError> {
    let (name, name_qualifier) = split_name(raw_name);
    let qualifier = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "Qualifier")
        .map(|(_, v)| v.into_owned())
        .or(name_qualifier);
    let arn = state.runner.function_arn(&name);
    let qualified_arn = match &qualifier {
        Some(q) => format!("{arn}:{q}"),
        None => arn.clone(),
    };
    let function = state
        .runner
        .project()
        .function(Some(&name))
        .map_err(|_| LambdaError::not_found(format!("Function not found: {qualified_arn}")))?;
    // Locally every function has only $LATEST; its AutoPublishAlias names that same code.
    if let Some(q) = &qualifier
        && q != "$LATEST"
        && function.auto_publish_alias.as_deref() != Some(q.as_str())
    {
        return Err(LambdaError::not_found(format!(
            "Function not found: {qualified_arn} (locally a function has $LATEST{})",
            function
                .auto_publish_alias
                .as_ref()
                .map(|a| format!(" and its AutoPublishAlias {a}"))
                .unwrap_or_default()
        )));
    }
    let logical_id = function.logical_id.clone();
    // Locally the client context is checked as Lambda checks it; the runner has no slot for
    // it, so the function does not see it.
    let InvokeHeaders {
        invocation_type,
        tail,
        ..
    } = InvokeHeaders::parse(request.headers())?;
    let payload = axum::body::to_bytes(request.into_body(), SYNC_PAYLOAD_LIMIT)
        .await
        .map_err(|_| {
            LambdaError::too_large(format!(
                "Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation"
            ))
        })?;
    check_payload(&payload)?;
    let payload = if payload.is_empty() {
        bytes::Bytes::from_static(b"{}")
    } else {
        payload
    };
    match invocation_type {
        InvocationType::DryRun => Ok(StatusCode::NO_CONTENT.into_response()),
        InvocationType::Event => {
            let runner = Arc::clone(&state.runner);
            let log = Arc::clone(&state.log);
            tokio::spawn(async move {
                match runner.invoke(Some(&logical_id), payload).await {
                    Ok(out) => log(&out.log_lines.join("\n")),
                    Err(e) => log(&format!(
                        "{logical_id}: asynchronous invocation could not run: {e}"
                    )),
                }
            });
            Ok(event_accepted("$LATEST"))
        }
        InvocationType::RequestResponse => {
            let out = state
                .runner
                .invoke(Some(&logical_id), payload)
                .await
                .map_err(to_lambda_error)?;
            (state.log)(&out.log_lines.join("\n"));
            Ok(sync_response(&out, tail))
        }
    }
}

fn to_lambda_error(e: RunnerError) -> LambdaError {
    match e {
        RunnerError::Lambda(e) => e,
        RunnerError::Project(ProjectError::NotAFunction { id, .. }) => {
            LambdaError::not_found(format!("Function not found: {id}"))
        }
        other => LambdaError::new(ErrorKind::Service, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::split_name;

    #[test]
    fn names_arns_and_qualifiers() {
        assert_eq!(split_name("Fn"), ("Fn".into(), None));
        assert_eq!(split_name("Fn:live"), ("Fn".into(), Some("live".into())));
        assert_eq!(
            split_name("arn:aws:lambda:us-east-1:123456789012:function:Fn:$LATEST"),
            ("Fn".into(), Some("$LATEST".into()))
        );
    }
}
