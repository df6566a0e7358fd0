//! `POST /2020-01-01/extension/register`: an extension announces itself by name
//! (`Lambda-Extension-Name`, the file name for external extensions) with the events it wants
//! (`{"events":["INVOKE","SHUTDOWN"]}`), and gets its `Lambda-Extension-Identifier` and
//! `{"functionName","functionVersion","handler"}` (plus `accountId` when it asked for it with
//! `Lambda-Extension-Accept-Feature: accountId`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header::CONTENT_TYPE};
use serde::{Deserialize, Serialize};

use crate::body::read_bounded;
use crate::extensions::EventKind;
use crate::state::Core;
use crate::wire::ApiError;

/// Route path of the register endpoint.
pub(crate) const PATH: &str = "/2020-01-01/extension/register";

const NAME_HEADER: &str = "lambda-extension-name";
const FEATURE_HEADER: &str = "lambda-extension-accept-feature";
pub(crate) const IDENTIFIER_HEADER: &str = "lambda-extension-identifier";

/// Largest register body read (it holds a short list of event names).
const MAX_BODY: usize = 64 * 1024;

/// The parsed register request.
pub(crate) struct Register {
    name: String,
    events: Vec<EventKind>,
    wants_account: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireBody {
    #[serde(default)]
    events: Vec<String>,
    /// Deprecated by Lambda: a request carrying it is refused.
    configuration_keys: Option<serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Registered<'a> {
    function_name: &'a str,
    function_version: &'a str,
    handler: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
}

fn format_error(message: String) -> ApiError {
    ApiError::extension("InvalidRequestFormat", message)
}

impl Register {
    fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, ApiError> {
        let name = headers
            .get(NAME_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let wire: WireBody = if body.is_empty() {
            WireBody {
                events: Vec::new(),
                configuration_keys: None,
            }
        } else {
            serde_json::from_slice(body)
                .map_err(|e| format_error(format!("invalid register body: {e}")))?
        };
        if wire.configuration_keys.is_some() {
            return Err(format_error("configurationKeys is not supported".into()));
        }
        let mut events = Vec::new();
        for e in &wire.events {
            let kind = EventKind::parse(e).ok_or_else(|| {
                ApiError::extension(
                    "Extension.InvalidEventType",
                    format!("Unknown event type {e} (INVOKE or SHUTDOWN)"),
                )
            })?;
            if !events.contains(&kind) {
                events.push(kind);
            }
        }
        let wants_account = headers
            .get_all(FEATURE_HEADER)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|f| f.trim() == "accountId");
        Ok(Self {
            name,
            events,
            wants_account,
        })
    }
}

pub(crate) async fn handle(State(core): State<Arc<Core>>, request: Request) -> Response {
    let (parts, mut body) = request.into_parts();
    let body = match read_bounded(&parts.headers, &mut body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return format_error(format!("register body: {e}")).into_response(),
    };
    let req = match Register::parse(&parts.headers, &body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let registered = match core.extensions.register(&req.name, &req.events) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    // Telemetry subscribers hear of each extension (`platform.extension`, as Lambda says it).
    let events: Vec<&str> = req.events.iter().map(|e| e.as_str()).collect();
    core.telemetry.platform(
        "platform.extension",
        serde_json::json!({ "name": req.name, "state": "Ready", "events": events }),
    );
    let f = &core.function;
    let answer = Registered {
        function_name: &f.function_name,
        function_version: &f.function_version,
        handler: &f.handler,
        account_id: req.wants_account.then_some(f.account_id.as_str()),
    };
    // Serialising plain strings cannot fail.
    let json = serde_json::to_vec(&answer).unwrap_or_default();
    let mut response = (StatusCode::OK, json).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(&registered.id) {
        headers.insert(IDENTIFIER_HEADER, v);
    }
    response
}

/// The caller's `Lambda-Extension-Identifier`, required by every call after register.
pub(crate) fn identifier(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers.get(IDENTIFIER_HEADER).ok_or_else(|| {
        ApiError::extension(
            "Extension.MissingExtensionIdentifier",
            "Missing Lambda-Extension-Identifier header".into(),
        )
    })?;
    value.to_str().map(str::to_owned).map_err(|_| {
        ApiError::extension(
            "Extension.InvalidExtensionIdentifier",
            "Invalid Lambda-Extension-Identifier header".into(),
        )
    })
}
