//! The Lambda REST API's routes. Each handler only translates: it turns the request into a
//! call on the control layer and the result into Lambda's wire shape. No rule lives here.

mod aliases;
mod async_events;
mod cloudwatch_logs;
mod cloudwatch_metrics;
mod event_invoke;
mod functions;
mod images;
mod invoke;
mod layers;
mod logs;
mod metrics;
mod migration;
mod parity;
mod settings;
mod test_events;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, Method, Uri};
use lamina_model::LambdaError;

use crate::AppState;
use crate::error::ApiError;

/// All control-plane routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .merge(functions::routes())
        .merge(aliases::routes())
        .merge(layers::routes())
        .merge(settings::routes())
        .merge(invoke::routes())
        .merge(logs::routes())
        .merge(metrics::routes())
        .merge(cloudwatch_logs::routes())
        .merge(migration::routes())
        .merge(images::routes())
        .merge(test_events::routes())
        .merge(event_invoke::routes())
        .merge(parity::routes())
        .merge(async_events::routes())
        .fallback(unknown_route)
        // A known path with a method no operation uses is no operation either: the same
        // UnknownOperationException rather than axum's bare 405 with an empty body.
        .method_not_allowed_fallback(unknown_route)
        .layer(axum::middleware::map_response(lambda_rejection))
}

/// axum's own extractors refuse a request with a plain-text 4xx (a path segment whose
/// %-escapes are not UTF-8, a layer version that is not a number, a query string that does
/// not parse). Lambda's clients expect every refusal in Lambda's format, so such a response
/// becomes the matching Lambda error with the extractor's explanation. Responses that carry
/// `x-amzn-errortype` already, or are not plain text, pass unchanged.
async fn lambda_rejection(response: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = response.status();
    let plain = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !status.is_client_error() || !plain || response.headers().contains_key("x-amzn-errortype") {
        return response;
    }
    // Rejection texts are one short line; a longer body is not a rejection to rewrite.
    let (parts, body) = response.into_parts();
    let Ok(text) = axum::body::to_bytes(body, 4096).await else {
        return (parts.status, parts.headers).into_response();
    };
    let text = String::from_utf8_lossy(&text);
    let kind = match status.as_u16() {
        413 => lamina_model::ErrorKind::RequestEntityTooLarge,
        415 => lamina_model::ErrorKind::UnsupportedMediaType,
        404 => lamina_model::ErrorKind::ResourceNotFound,
        422 => lamina_model::ErrorKind::InvalidRequestContent,
        _ => lamina_model::ErrorKind::InvalidParameterValue,
    };
    ApiError(LambdaError::new(
        kind,
        format!("The request is not valid: {text}"),
    ))
    .into_response()
}

/// A path and method no operation has: 404 `UnknownOperationException`, as Lambda answers.
/// Only requests no listener's route matched reach here (the console and `/lamina/…` routes
/// are merged into the same router).
async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError(LambdaError::new(
        lamina_model::ErrorKind::UnknownOperation,
        format!("No Lambda operation matches {method} {}", uri.path()),
    ))
}

/// Query parameters, keeping repeated keys (`tagKeys=a&tagKeys=b`).
#[derive(Debug, Default)]
pub struct QueryParams(BTreeMap<String, Vec<String>>);

impl QueryParams {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Self {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            map.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        Self(map)
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.first()).map(String::as_str)
    }

    /// Every value of `key`.
    pub fn all(&self, key: &str) -> &[String] {
        self.0.get(key).map_or(&[], Vec::as_slice)
    }

    /// `MaxItems` as a number; a non-number is a validation error.
    pub fn max_items(&self) -> Result<Option<usize>, ApiError> {
        self.get("MaxItems")
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    ApiError(LambdaError::constraint(
                        v,
                        "maxItems",
                        "Member must be a number between 1 and 10000",
                    ))
                })
            })
            .transpose()
    }
}

/// The base URL a client reached us at, for links such as `Code.Location` (the scheme is the
/// fallback's: `https` when the server serves TLS).
pub fn base_url(headers: &HeaderMap, fallback: &str) -> String {
    let scheme = fallback.split_once("://").map_or("http", |(s, _)| s);
    match headers.get("host").and_then(|h| h.to_str().ok()) {
        Some(host) => format!("{scheme}://{host}"),
        None => fallback.to_string(),
    }
}
