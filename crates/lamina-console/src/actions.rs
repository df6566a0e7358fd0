//! The routes the console's script calls (`/console/api/…`). Each turns a form into the
//! same `Control` call or typed Invoke command the REST API makes, and answers JSON: the result, or
//! Lambda's `{"Type","Message"}` error that the script shows next to the form.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use lamina_api::requests::{EnvironmentInput, UpdateConfigInput};
use lamina_api::{InvokeCommand, InvokeOutcome};
use lamina_model::LambdaError;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Console;
use crate::error::ApiError;

/// `GET /console/api/event-templates/{service}/{event}`: the generator's event with its
/// default options, as text in the order the service sends its fields.
pub async fn event_template(
    Path((service, event)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let text = lamina_events::generate_text(&service, &event, &BTreeMap::new())
        .map_err(|e| LambdaError::not_found(e.to_string()))?;
    Ok(([("content-type", "application/json")], text).into_response())
}

/// The configuration form as the script sends it: every field as typed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfigForm {
    memory_size: String,
    timeout: String,
    description: String,
    /// `KEY=value` lines.
    environment: String,
    /// One ARN per line.
    layers: String,
    revision_id: Option<String>,
}

fn whole_number(text: &str, member: &str) -> Result<u32, LambdaError> {
    text.trim()
        .parse::<u32>()
        .map_err(|_| LambdaError::constraint(text.trim(), member, "Member must be a whole number"))
}

/// Parses `KEY=value` lines; blank lines are skipped.
fn environment_lines(text: &str) -> Result<BTreeMap<String, String>, LambdaError> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (k, v) = line.split_once('=').ok_or_else(|| {
            LambdaError::invalid_parameter(format!(
                "environment variables: line {} ({:?}) is not KEY=value",
                i + 1,
                line
            ))
        })?;
        out.insert(k.trim().to_string(), v.to_string());
    }
    Ok(out)
}

/// `POST /console/api/functions/{name}/configuration`: changes what differs from
/// `$LATEST` through `Control::update_configuration`, so an unchanged field is never
/// re-validated and the errors are the API's.
pub async fn update_configuration(
    State(console): State<Arc<Console>>,
    Path(name): Path<String>,
    Json(form): Json<ConfigForm>,
) -> Result<Response, ApiError> {
    let control = &console.app.control;
    let (function, _) = control.get_function(&name, None).await?;
    let spec = &function.latest.spec;
    let mut input = UpdateConfigInput {
        revision_id: form.revision_id.filter(|r| !r.is_empty()),
        ..Default::default()
    };
    let memory = whole_number(&form.memory_size, "memorySize")?;
    if memory != spec.memory_size {
        input.memory_size = Some(memory);
    }
    let timeout = whole_number(&form.timeout, "timeout")?;
    if timeout != spec.timeout {
        input.timeout = Some(timeout);
    }
    if form.description != spec.description {
        input.description = Some(form.description);
    }
    let variables = environment_lines(&form.environment)?;
    if variables != spec.environment {
        input.environment = Some(EnvironmentInput { variables });
    }
    let layers: Vec<String> = form
        .layers
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let current: Vec<String> = spec.layers.iter().map(|l| l.arn.clone()).collect();
    if layers != current {
        input.layers = Some(layers);
    }
    let (_, latest) = control.update_configuration(&name, input).await?;
    Ok(Json(json!({
        "MemorySize": latest.spec.memory_size,
        "Timeout": latest.spec.timeout,
        "Description": latest.spec.description,
        "RevisionId": latest.revision_id,
        "LastModified": crate::html::when(latest.last_modified),
    }))
    .into_response())
}

/// What to test: a saved event by name, or a payload given inline.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TestForm {
    event: Option<String>,
    payload: Option<String>,
}

/// `POST /console/api/functions/{name}/test`: invokes `$LATEST` with the event through the
/// same front door as the API's Invoke and answers the whole result panel: status, response, error parts, REPORT
/// figures and the log output.
pub async fn test(
    State(console): State<Arc<Console>>,
    Path(name): Path<String>,
    Json(form): Json<TestForm>,
) -> Result<Response, ApiError> {
    let control = &console.app.control;
    let payload = match (form.payload, form.event) {
        (Some(p), _) => p,
        (None, Some(event)) => control.get_test_event(&name, &event).await?.body,
        (None, None) => {
            return Err(LambdaError::invalid_parameter(
                "choose a saved test event or configure one first",
            )
            .into());
        }
    };
    // The same checks, resolution and engine as the REST API's Invoke (`$LATEST`).
    let command = InvokeCommand::request_response(name, Bytes::from(payload));
    let output = match console
        .app
        .invoke(command)
        .await
        .map_err(LambdaError::from)?
    {
        InvokeOutcome::Ran(output) => output,
        // A RequestResponse command always runs or is refused.
        other => {
            return Err(LambdaError::service(format!(
                "the console's test invoke ended as {other:?} instead of running"
            ))
            .into());
        }
    };
    let text = String::from_utf8_lossy(&output.payload).into_owned();
    let parsed: Option<Value> = serde_json::from_str(&text).ok();
    let response = match &parsed {
        Some(v) => serde_json::to_string_pretty(v).unwrap_or_else(|_| text.clone()),
        None => text.clone(),
    };
    let report = &output.report;
    let mut body = json!({
        "Status": if output.function_error.is_some() { "failed" } else { "succeeded" },
        "FunctionError": output.function_error,
        "RequestId": output.request_id,
        "ExecutedVersion": output.executed_version,
        "Response": response,
        "Report": {
            "Duration": lamina_api::millis(report.duration),
            "BilledDuration": report.billed_ms,
            "MemorySize": report.memory_size_mb,
            "MaxMemoryUsed": report.max_memory_used_mb,
            "InitDuration": report.init_duration.map(lamina_api::millis),
        },
        "Logs": output.log_lines.join("\n"),
    });
    if output.function_error.is_some()
        && let Some(Value::Object(error)) = &parsed
    {
        body["ErrorType"] = error.get("errorType").cloned().unwrap_or(Value::Null);
        body["ErrorMessage"] = error.get("errorMessage").cloned().unwrap_or(Value::Null);
        body["StackTrace"] = error.get("stackTrace").cloned().unwrap_or(Value::Null);
    }
    Ok(Json(body).into_response())
}

/// Adding or removing a plan's flag layer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlagForm {
    plan: String,
    /// `opt-in` or `delay`.
    kind: String,
    /// `add` or `remove`.
    action: String,
}

/// `POST /console/api/functions/{name}/flags`: adds or removes a flag layer through
/// `Control::update_configuration` (so the five-layer limit and the both-flags rule apply
/// exactly as through the API).
pub async fn flag(
    State(console): State<Arc<Console>>,
    Path(name): Path<String>,
    Json(form): Json<FlagForm>,
) -> Result<Response, ApiError> {
    let plans = crate::environments::plans(&console.app.control).await?;
    let plan = plans
        .plan(&form.plan)
        .ok_or_else(|| LambdaError::not_found(format!("no migration plan {}", form.plan)))?;
    let arn = match form.kind.as_str() {
        "opt-in" => plan.opt_in_layer_arn.clone(),
        "delay" => plan.delay_layer_arn.clone(),
        other => {
            return Err(LambdaError::invalid_parameter(format!(
                "flag kind {other:?} is neither opt-in nor delay"
            ))
            .into());
        }
    };
    let control = &console.app.control;
    let (function, _) = control.get_function(&name, None).await?;
    let mut layers: Vec<String> = function
        .latest
        .spec
        .layers
        .iter()
        .map(|l| l.arn.clone())
        .collect();
    match form.action.as_str() {
        "add" if !layers.contains(&arn) => layers.push(arn),
        "remove" => layers.retain(|l| l != &arn),
        "add" => {}
        other => {
            return Err(LambdaError::invalid_parameter(format!(
                "flag action {other:?} is neither add nor remove"
            ))
            .into());
        }
    }
    let input = UpdateConfigInput {
        layers: Some(layers),
        revision_id: Some(function.latest.revision_id.clone()),
        ..Default::default()
    };
    let (_, latest) = control.update_configuration(&name, input).await?;
    let now: BTreeSet<&str> = latest.spec.layers.iter().map(|l| l.arn.as_str()).collect();
    Ok(Json(json!({ "Layers": now })).into_response())
}
