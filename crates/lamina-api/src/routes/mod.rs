//! The Lambda REST API's routes. Each handler only translates: it turns the request into a
//! call on the control layer and the result into Lambda's wire shape. No rule lives here.

mod aliases;
mod async_events;
mod cloudwatch_logs;
mod event_invoke;
mod functions;
mod images;
mod invoke;
mod layers;
mod logs;
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
