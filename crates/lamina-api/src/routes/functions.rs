//! Function routes: create, get, list, update code/configuration, delete, versions, and the
//! URL that serves a function's zip (`Code.Location`).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lamina_model::view::FunctionConfiguration;
use lamina_model::{Function, FunctionVersion, LATEST, LambdaError};
use serde_json::json;

use super::{QueryParams, base_url};
use crate::AppState;
use crate::body::LambdaJson;
use crate::error::ApiResult;
use crate::requests::{
    CreateFunctionInput, PublishVersionInput, UpdateCodeInput, UpdateConfigInput,
};

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/2015-03-31/functions",
            get(list_functions).post(create_function),
        )
        .route(
            "/2015-03-31/functions/",
            get(list_functions).post(create_function),
        )
        .route(
            "/2015-03-31/functions/{name}",
            get(get_function).delete(delete_function),
        )
        .route(
            "/2015-03-31/functions/{name}/configuration",
            get(get_configuration).put(update_configuration),
        )
        .route(
            "/2015-03-31/functions/{name}/code",
            axum::routing::put(update_code),
        )
        .route(
            "/2015-03-31/functions/{name}/versions",
            get(list_versions).post(publish_version),
        )
        .route("/lamina/code/{sha}", get(download_code))
}

fn config(
    state: &AppState,
    function: &Function,
    version: &FunctionVersion,
) -> FunctionConfiguration {
    let runtime_version = state
        .runtime_versions
        .runtime_version_arn(function, version);
    let mut view =
        FunctionConfiguration::of(state.control.account(), function, version, runtime_version);
    if let Some(live) = state.runtime_versions.live_state(function, version) {
        live.apply(&mut view);
    }
    let warnings = state
        .runtime_versions
        .runtime_version_warnings(function, version);
    if let (Some(rv), false) = (view.runtime_version_config.as_mut(), warnings.is_empty()) {
        rv.error = Some(lamina_model::view::RuntimeVersionErrorView {
            error_code: "MigrationWarning".into(),
            message: warnings.join("; "),
        });
    }
    view
}

/// The configuration as read through `qualifier`: Lambda then names the function by the
/// qualifier the caller used (`name:$LATEST`, `name:live`) while `Version` stays the version
/// it resolved to. Unqualified reads keep the unqualified ARN.
fn config_as(
    state: &AppState,
    function: &Function,
    version: &FunctionVersion,
    qualifier: Option<&str>,
) -> FunctionConfiguration {
    let mut view = config(state, function, version);
    if let Some(q) = qualifier {
        view.function_arn = state
            .control
            .account()
            .qualified_function_arn(&function.name, q);
    }
    view
}

/// The qualifier a read named, from `Qualifier` or the function name (`name:alias`).
fn requested_qualifier(state: &AppState, name: &str, q: &QueryParams) -> Option<String> {
    q.get("Qualifier")
        .filter(|v| !v.is_empty())
        .map(String::from)
        .or_else(|| {
            state
                .control
                .account()
                .parse_function_ref(name)
                .ok()
                .and_then(|r| r.qualifier)
        })
}

async fn create_function(
    State(state): State<Arc<AppState>>,
    LambdaJson(input): LambdaJson<CreateFunctionInput>,
) -> ApiResult<Response> {
    let (function, version) = state.control.create_function(input).await?;
    Ok((
        StatusCode::CREATED,
        Json(config(&state, &function, &version)),
    )
        .into_response())
}

async fn list_functions(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let all_versions = match q.get("FunctionVersion") {
        None => false,
        Some("ALL") => true,
        Some(other) => {
            return Err(LambdaError::constraint(
                other,
                "functionVersion",
                "Member must satisfy enum value set: [ALL]",
            )
            .into());
        }
    };
    let marker = q.get("Marker").map(String::from);
    let (out, next) = if all_versions {
        let (page, next) = state
            .control
            .list_functions_with_versions(marker, q.max_items()?)
            .await?;
        // Listing every version names `$LATEST` by its qualified ARN, as Lambda does.
        let out: Vec<_> = page
            .iter()
            .flat_map(|(function, versions)| {
                versions.iter().map(|v| match v.version.as_str() {
                    LATEST => config_as(&state, function, v, Some(LATEST)),
                    _ => config(&state, function, v),
                })
            })
            .collect();
        (out, next)
    } else {
        let (functions, next) = state.control.list_functions(marker, q.max_items()?).await?;
        let out: Vec<_> = functions
            .iter()
            .map(|function| config(&state, function, &function.latest))
            .collect();
        (out, next)
    };
    let mut body = json!({ "Functions": out });
    if let Some(next) = next {
        body["NextMarker"] = json!(next);
    }
    Ok(Json(body).into_response())
}

async fn get_function(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let (function, version) = state
        .control
        .get_function(&name, q.get("Qualifier"))
        .await?;
    let qualifier = requested_qualifier(&state, &name, &q);
    let location = format!(
        "{}/lamina/code/{}",
        base_url(&headers, &state.base_url),
        version.code.sha256_hex
    );
    let mut body = json!({
        "Configuration": config_as(&state, &function, &version, qualifier.as_deref()),
        "Code": { "RepositoryType": "S3", "Location": location },
    });
    if !function.tags.is_empty() {
        body["Tags"] = json!(function.tags);
    }
    if let Some(reserved) = function.reserved_concurrency {
        body["Concurrency"] = json!({ "ReservedConcurrentExecutions": reserved });
    }
    Ok(Json(body).into_response())
}

async fn get_configuration(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let (function, version) = state
        .control
        .get_function(&name, q.get("Qualifier"))
        .await?;
    let qualifier = requested_qualifier(&state, &name, &q);
    Ok(Json(config_as(&state, &function, &version, qualifier.as_deref())).into_response())
}

async fn update_configuration(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    LambdaJson(input): LambdaJson<UpdateConfigInput>,
) -> ApiResult<Response> {
    let (function, version) = state.control.update_configuration(&name, input).await?;
    Ok(Json(config(&state, &function, &version)).into_response())
}

async fn update_code(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    LambdaJson(input): LambdaJson<UpdateCodeInput>,
) -> ApiResult<Response> {
    let (function, version) = state.control.update_code(&name, input).await?;
    Ok(Json(config(&state, &function, &version)).into_response())
}

async fn delete_function(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    state
        .control
        .delete_function(&name, q.get("Qualifier"))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn publish_version(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    LambdaJson(input): LambdaJson<PublishVersionInput>,
) -> ApiResult<Response> {
    let (function, version) = state.control.publish_version(&name, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(config(&state, &function, &version)),
    )
        .into_response())
}

async fn list_versions(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(query.as_deref());
    let (function, versions, next) = state
        .control
        .list_versions(&name, q.get("Marker").map(String::from), q.max_items()?)
        .await?;
    // `$LATEST` is listed under its qualified ARN, like every published version.
    let list: Vec<_> = versions
        .iter()
        .map(|v| config_as(&state, &function, v, Some(&v.version)))
        .collect();
    let mut body = json!({ "Versions": list });
    if let Some(next) = next {
        body["NextMarker"] = json!(next);
    }
    Ok(Json(body).into_response())
}

/// Serves a stored zip by its hex SHA-256 (the `Code.Location` and layer `Content.Location`).
async fn download_code(
    State(state): State<Arc<AppState>>,
    Path(sha): Path<String>,
) -> ApiResult<Response> {
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LambdaError::not_found("The resource you requested does not exist.").into());
    }
    let store = Arc::clone(state.control.store());
    let bytes = tokio::task::spawn_blocking(move || store.read_blob(&sha))
        .await
        .map_err(|e| LambdaError::service(format!("blob read failed: {e}")))?
        .map_err(|e| {
            tracing::error!(error = %e, "blob read failed");
            LambdaError::service("Lamina's store failed; see the server log")
        })?
        .ok_or_else(|| LambdaError::not_found("The resource you requested does not exist."))?;
    Ok(([("content-type", "application/zip")], bytes).into_response())
}
