//! `start-lambda`: Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`) for
//! the template's functions, by logical id, so boto3 or the AWS CLI pointed at it run them
//! locally. Beyond SAM CLI it honours `Qualifier` (`$LATEST`, or the function's
//! `AutoPublishAlias`), `X-Amz-Log-Type: Tail`, and the `Event` and `DryRun` invocation types.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use lamina_model::{ErrorKind, LambdaError};

use crate::local::api::LogSink;
use crate::local::project::ProjectError;
use crate::local::runner::{Runner, RunnerError};

/// Largest synchronous payload Lambda accepts.
pub const SYNC_PAYLOAD_LIMIT: usize = 6_291_456;

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

/// Lambda's error wire format: `x-amzn-errortype` and `{"Type", "Message"}`.
fn error_response(e: &LambdaError) -> Response {
    let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::json!({"Type": e.kind.fault(), "Message": e.message}).to_string();
    (
        status,
        [
            ("x-amzn-errortype", e.kind.code()),
            ("content-type", "application/json"),
        ],
        body,
    )
        .into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
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
        Err(e) => error_response(&e),
    }
}

async fn run(
    state: &Arc<LambdaState>,
    raw_name: &str,
    query: Option<&str>,
    request: Request,
) -> Result<Response, LambdaError> {
    let headers = request.headers().clone();
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
    let kind = header(&headers, "x-amz-invocation-type").unwrap_or("RequestResponse");
    if !matches!(kind, "RequestResponse" | "Event" | "DryRun") {
        return Err(LambdaError::constraint(
            kind,
            "invocationType",
            "Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
        ));
    }
    let tail = match header(&headers, "x-amz-log-type").unwrap_or("None") {
        "None" => false,
        "Tail" => true,
        other => {
            return Err(LambdaError::constraint(
                other,
                "logType",
                "Member must satisfy enum value set: [Tail, None]",
            ));
        }
    };
    let payload = axum::body::to_bytes(request.into_body(), SYNC_PAYLOAD_LIMIT)
        .await
        .map_err(|_| {
            LambdaError::too_large(format!(
                "Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation"
            ))
        })?;
    if !payload.is_empty() && serde_json::from_slice::<serde_json::Value>(&payload).is_err() {
        return Err(LambdaError::invalid_request(
            "Could not parse request body into json: Could not parse payload into json: the payload is not valid JSON",
        ));
    }
    let payload = if payload.is_empty() {
        bytes::Bytes::from_static(b"{}")
    } else {
        payload
    };
    match kind {
        "DryRun" => Ok(StatusCode::NO_CONTENT.into_response()),
        "Event" => {
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
            let mut response = StatusCode::ACCEPTED.into_response();
            response.headers_mut().insert(
                "x-amz-executed-version",
                HeaderValue::from_static("$LATEST"),
            );
            Ok(response)
        }
        _ => {
            let out = state
                .runner
                .invoke(Some(&logical_id), payload)
                .await
                .map_err(to_lambda_error)?;
            (state.log)(&out.log_lines.join("\n"));
            let mut response = (StatusCode::OK, out.payload.clone()).into_response();
            let h = response.headers_mut();
            h.insert("content-type", HeaderValue::from_static("application/json"));
            if let Ok(v) = HeaderValue::from_str(&out.executed_version) {
                h.insert("x-amz-executed-version", v);
            }
            if let Some(kind) = out.function_error {
                h.insert("x-amz-function-error", HeaderValue::from_static(kind));
            }
            if tail
                && let Ok(v) =
                    HeaderValue::from_str(&lamina_engine::logs::tail_base64(&out.log_lines))
            {
                h.insert("x-amz-log-result", v);
            }
            if let Ok(v) = HeaderValue::from_str(&out.request_id) {
                h.insert("x-amzn-requestid", v);
            }
            Ok(response)
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
