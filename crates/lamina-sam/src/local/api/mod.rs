//! `start-api`: an HTTP server that plays API Gateway for the template's `Api` (REST,
//! payload 1.0) and `HttpApi` (payload 2.0 or 1.0) routes. Each request becomes an event, the
//! function runs in a warm sandbox of the engine (parallel requests in parallel sandboxes,
//! up to the function's reserved concurrency), and its answer is translated back. Files of
//! `--static-dir` are served where no route matches.
//!
//! Code is re-read on every request (a fingerprint of names, sizes and times, so the check
//! costs a few `stat` calls): an edit is picked up by the next request without a restart.

pub mod auth;
pub mod gateway;
pub mod request;
pub mod response;
pub mod routes;
mod static_files;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::event::ApiKind;
use crate::local::runner::{Runner, RunnerError};
use auth::{AuthCache, Decision};
use gateway::{Cors, Gateway};
use request::{HttpRequest, RequestIds};
use response::HttpResponse;
use routes::RouteTable;

/// API Gateway's largest request payload.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Where the server reports function logs and bad responses (the CLI prints to stderr).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// How `start-api` serves.
#[derive(Clone)]
pub struct ApiOptions {
    /// `--static-dir`: files served where no route matches.
    pub static_dir: Option<PathBuf>,
    /// The REST API stage name in `requestContext` (`Prod`).
    pub stage: String,
    /// Receives each invocation's log lines and every error line.
    pub log: LogSink,
}

struct ApiState {
    runner: Arc<Runner>,
    table: RouteTable,
    gateway: Gateway,
    auth_cache: AuthCache,
    only_http_apis: bool,
    opts: ApiOptions,
}

/// The routes `start-api` serves for the runner's template.
pub fn route_table(runner: &Runner) -> RouteTable {
    RouteTable::new(runner.project().model.routes())
}

/// The `start-api` app. Serve it with `into_make_service_with_connect_info::<SocketAddr>()`.
pub fn router(runner: Arc<Runner>, opts: ApiOptions) -> Router {
    let table = route_table(&runner);
    let routes: Vec<crate::event::Route> = table.routes().cloned().collect();
    let gateway = Gateway::new(runner.project(), &routes, &opts.stage);
    let only_http_apis = !routes.is_empty() && routes.iter().all(|r| r.api == ApiKind::Http);
    let state = Arc::new(ApiState {
        runner,
        table,
        gateway,
        auth_cache: AuthCache::default(),
        only_http_apis,
        opts,
    });
    Router::new()
        .fallback(handle)
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn handle(
    State(state): State<Arc<ApiState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_ascii_uppercase();
    let path = parts.uri.path().to_string();
    let origin = parts
        .headers
        .get("origin")
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    let matched = state.table.find(&method, &path);
    // A CORS preflight: API Gateway answers OPTIONS itself unless a route takes OPTIONS.
    if method == "OPTIONS" && matched.as_ref().is_none_or(|m| m.route.method != "OPTIONS") {
        // The API the path belongs to (a preflight names no route's method).
        let owner = matched.clone().or_else(|| {
            ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
                .iter()
                .find_map(|m| state.table.find(m, &path))
        });
        let cors = match &owner {
            Some(m) => state.gateway.api(&m.route).and_then(|a| a.cors.as_ref()),
            None => state
                .gateway
                .cors_for_kind(false)
                .or_else(|| state.gateway.cors_for_kind(true)),
        };
        if let Some(cors) = cors {
            return preflight(cors, origin.as_deref());
        }
    }
    let Some(matched) = matched else {
        if let Some(dir) = &state.opts.static_dir
            && let Some(found) = static_files::serve(dir, &path).await
        {
            return found;
        }
        // REST APIs answer an unknown route 403 (the route is not there to authorize);
        // HTTP APIs answer 404.
        if state.only_http_apis {
            return json_response(StatusCode::NOT_FOUND, r#"{"message":"Not Found"}"#);
        }
        return json_response(
            StatusCode::FORBIDDEN,
            r#"{"message":"Missing Authentication Token"}"#,
        );
    };
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                r#"{"message":"Request Too Long"}"#,
            );
        }
    };
    let headers = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let req = HttpRequest {
        method,
        path,
        raw_query: parts.uri.query().unwrap_or_default().to_string(),
        headers,
        body,
        source_ip: peer.ip().to_string(),
        protocol: format!("{:?}", parts.version),
        host,
    };
    let ids = RequestIds::now();
    let v2 = matched.route.api == ApiKind::Http && matched.route.payload_format_version != "1.0";
    let api = state
        .gateway
        .api(&matched.route)
        .cloned()
        .unwrap_or_default();
    let stage = if api.stage.is_empty() {
        state.opts.stage.clone()
    } else {
        api.stage.clone()
    };
    let mut event = if v2 {
        request::event_v2(&req, &matched, &ids)
    } else {
        request::event_v1(&req, &matched, &ids, &stage)
    };
    let variables: serde_json::Map<String, serde_json::Value> = api
        .stage_variables
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone())))
        .collect();
    event["stageVariables"] = if variables.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::Value::Object(variables)
    };
    if v2 {
        event["requestContext"]["stage"] = serde_json::Value::from(stage.clone());
    }
    let log = &state.opts.log;
    if let Some(authorizer) = state.gateway.authorizer(&matched.route) {
        let api_id = event["requestContext"]["apiId"]
            .as_str()
            .unwrap_or("1234567890")
            .to_string();
        let arn = auth::method_arn(&api_id, &stage, &req.method, &req.path);
        let api_key = format!("{:?}/{:?}", matched.route.api, matched.route.api_id);
        let decision = match auth::begin(
            &state.auth_cache,
            &api_key,
            authorizer,
            &api,
            &req,
            &event,
            &arn,
        ) {
            Ok(d) => d,
            Err(consult) => {
                let answer = state
                    .runner
                    .invoke(
                        Some(&consult.function),
                        Bytes::from(consult.event.to_string()),
                    )
                    .await;
                let payload = match &answer {
                    Ok(out) => {
                        log(&out.log_lines.join("\n"));
                        out.function_error.is_none().then(|| out.payload.to_vec())
                    }
                    Err(e) => {
                        log(&format!(
                            "authorizer {}: could not run: {e}",
                            consult.function
                        ));
                        None
                    }
                };
                auth::decide(
                    &state.auth_cache,
                    authorizer,
                    consult,
                    payload.as_deref(),
                    &arn,
                )
            }
        };
        match decision {
            Decision::Allow(context) => event["requestContext"]["authorizer"] = context,
            Decision::Refuse(r) => {
                let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::FORBIDDEN);
                return with_cors(
                    json_response(status, r.body),
                    api.cors.as_ref(),
                    origin.as_deref(),
                );
            }
        }
    }
    let function = matched.route.function.clone();
    let output = match state
        .runner
        .invoke(Some(&function), Bytes::from(event.to_string()))
        .await
    {
        Ok(out) => out,
        Err(RunnerError::Lambda(e)) if e.kind == lamina_model::ErrorKind::TooManyRequests => {
            log(&format!("{function}: throttled ({e})"));
            return json_response(
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"message":"Too Many Requests"}"#,
            );
        }
        Err(e) => {
            log(&format!("{function}: could not run: {e}"));
            return to_axum(HttpResponse::bad_gateway());
        }
    };
    log(&output.log_lines.join("\n"));
    if output.function_error.is_some() {
        log(&format!(
            "{function} failed; API Gateway answers 502. Its error: {}",
            String::from_utf8_lossy(&output.payload)
        ));
        return to_axum(HttpResponse::bad_gateway());
    }
    let translated = if v2 {
        response::translate_v2(&output.payload)
    } else {
        response::translate_v1(&output.payload)
    };
    match translated {
        Ok(r) => with_cors(to_axum(r), api.cors.as_ref(), origin.as_deref()),
        Err(e) => {
            log(&format!(
                "{function} returned an invalid response for API Gateway, answering 502: {e}; the response was: {}",
                String::from_utf8_lossy(&output.payload)
            ));
            to_axum(HttpResponse::bad_gateway())
        }
    }
}

/// API Gateway's answer to a CORS preflight.
fn preflight(cors: &Cors, origin: Option<&str>) -> Response {
    let mut out = Response::new(Body::empty());
    let headers = out.headers_mut();
    let mut set = |name: &'static str, value: Option<String>| {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, v);
        }
    };
    set("access-control-allow-origin", cors.origin_for(origin));
    set("access-control-allow-methods", cors.allow_methods.clone());
    set("access-control-allow-headers", cors.allow_headers.clone());
    set("access-control-max-age", cors.max_age.clone());
    if cors.allow_credentials {
        set("access-control-allow-credentials", Some("true".into()));
    }
    out
}

/// The CORS headers API Gateway adds to an answer (those the function set stay).
fn with_cors(mut out: Response, cors: Option<&Cors>, origin: Option<&str>) -> Response {
    let Some(cors) = cors else { return out };
    let headers = out.headers_mut();
    let mut set = |name: &'static str, value: Option<String>| {
        if !headers.contains_key(name)
            && let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok())
        {
            headers.insert(name, v);
        }
    };
    set("access-control-allow-origin", cors.origin_for(origin));
    set("access-control-expose-headers", cors.expose_headers.clone());
    if cors.allow_credentials {
        set("access-control-allow-credentials", Some("true".into()));
    }
    out
}

fn json_response(status: StatusCode, body: &'static str) -> Response {
    (status, [("content-type", "application/json")], body).into_response()
}

fn to_axum(r: HttpResponse) -> Response {
    let mut out = Response::new(Body::from(r.body));
    *out.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = out.headers_mut();
    for (k, v) in r.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            headers.append(name, value);
        }
    }
    out
}
