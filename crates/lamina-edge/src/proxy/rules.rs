//! What a trigger may return, as CloudFront validates it (a failure is a 502 "Lambda
//! validation error"): disallowed headers, read-only headers per event, header keys that
//! do not match their names, URI and query string rules, generated-response status, size and
//! body rules, and the body-replacement limits.

use base64::Engine as _;

use super::event::{Headers, Request};
use crate::config::EventType;

/// Headers a function can neither see nor add.
const DISALLOWED: &[&str] = &[
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "trailer",
    "upgrade",
    "x-accel-buffering",
    "x-accel-charset",
    "x-accel-limit-rate",
    "x-accel-redirect",
    "x-amzn-auth",
    "x-amzn-cf-billing",
    "x-amzn-cf-id",
    "x-amzn-cf-xff",
    "x-amzn-errortype",
    "x-amzn-fle-profile",
    "x-amzn-header-count",
    "x-amzn-header-order",
    "x-amzn-lambda-integration-tag",
    "x-amzn-requestid",
    "x-cache",
    "x-forwarded-proto",
    "x-real-ip",
];

/// Whether `name` (lower case) is a disallowed header.
pub fn is_disallowed(name: &str) -> bool {
    DISALLOWED.contains(&name) || name.starts_with("x-amz-cf-") || name.starts_with("x-edge-")
}

/// Headers a function of `event` may not change.
pub fn read_only(event: EventType) -> &'static [&'static str] {
    match event {
        EventType::ViewerRequest => &["content-length", "host", "transfer-encoding", "via"],
        EventType::OriginRequest => &[
            "accept-encoding",
            "content-length",
            "if-modified-since",
            "if-none-match",
            "if-range",
            "if-unmodified-since",
            "transfer-encoding",
            "via",
        ],
        EventType::OriginResponse => &["transfer-encoding", "via"],
        EventType::ViewerResponse => &["warning", "via"],
    }
}

/// Limit on a generated response (headers and body) for `event`.
pub fn generated_limit(event: EventType) -> usize {
    if event.is_viewer() {
        40 * 1024
    } else {
        1024 * 1024
    }
}

/// Limit on the request body exposed to (and replaced by) a request trigger, as text.
pub fn body_limit(event: EventType) -> usize {
    if event.is_viewer() {
        40 * 1024
    } else {
        1024 * 1024
    }
}

fn values(headers: &Headers, name: &str) -> Vec<String> {
    headers
        .get(name)
        .map(|entries| entries.iter().map(|e| e.value.clone()).collect())
        .unwrap_or_default()
}

/// Checks the headers a function returned against those it was given.
pub fn check_headers(event: EventType, before: &Headers, after: &Headers) -> Result<(), String> {
    for (name, entries) in after {
        if name.is_empty() || *name != name.to_ascii_lowercase() {
            return Err(format!(
                "The header name {name:?} is not valid: header names in the headers object must be lower case."
            ));
        }
        if let Some(key) = entries
            .iter()
            .filter_map(|e| e.key.as_deref())
            .find(|k| !k.eq_ignore_ascii_case(name))
        {
            return Err(format!(
                "The header key {key:?} does not match its header name {name:?}."
            ));
        }
        if let Some(bad) = entries
            .iter()
            .find(|e| e.value.contains(['\r', '\n', '\0']))
        {
            return Err(format!(
                "The header {name:?} has a value that is not valid: {:?}",
                bad.value
            ));
        }
        if is_disallowed(name) {
            return Err(format!(
                "The function tried to add, delete, or change a disallowed header: {name}."
            ));
        }
        if event == EventType::ViewerRequest
            && name.starts_with("cloudfront-")
            && !before.contains_key(name)
        {
            return Err(format!(
                "The function tried to add the header {name}, which CloudFront adds after the viewer request event."
            ));
        }
    }
    for name in read_only(event) {
        if values(before, name) != values(after, name) {
            return Err(format!(
                "The function tried to add, delete, or change a read-only header: {name}."
            ));
        }
    }
    Ok(())
}

/// Checks a request a function returned (uri, query string, headers).
pub fn check_request(event: EventType, before: &Request, after: &Request) -> Result<(), String> {
    if !after.uri.starts_with('/') {
        return Err(format!("The URI {:?} must begin with a slash.", after.uri));
    }
    if after.uri.chars().any(|c| c.is_control() || c == ' ') {
        return Err(format!(
            "The URI {:?} contains characters that are not valid.",
            after.uri
        ));
    }
    if after.querystring != before.querystring
        && matches!(event, EventType::OriginResponse | EventType::ViewerResponse)
    {
        return Err("The query string is read-only in response events.".to_string());
    }
    if after
        .querystring
        .chars()
        .any(|c| c.is_control() || c == ' ' || c == '#')
    {
        return Err(format!(
            "The query string {:?} contains a space, a control character or '#'.",
            after.querystring
        ));
    }
    if after.uri.len() + after.querystring.len() >= 8192 {
        return Err(
            "The URI and query string together must be shorter than 8,192 characters.".to_string(),
        );
    }
    check_headers(event, &before.headers, &after.headers)
}

/// The body a request trigger put in place, when it replaced it; `Ok(None)` when the body
/// is unchanged (`read-only`, or no body object).
pub fn replaced_body(event: EventType, after: &Request) -> Result<Option<Vec<u8>>, String> {
    let Some(body) = &after.body else {
        return Ok(None);
    };
    match body.action.as_str() {
        "read-only" => Ok(None),
        "replace" => {
            let limit = body_limit(event);
            let bytes = match body.encoding.as_str() {
                "text" => body.data.clone().into_bytes(),
                "base64" => {
                    // The base64 form may be a third longer than the text limit (53.2 KB / 1.33 MB).
                    if body.data.len() > limit * 4 / 3 {
                        return Err(format!("The replaced body is larger than {limit} bytes."));
                    }
                    base64::engine::general_purpose::STANDARD
                        .decode(&body.data)
                        .map_err(|_| "The replaced body is not valid base64.".to_string())?
                }
                other => {
                    return Err(format!(
                        "The body encoding {other:?} is not valid: use text or base64."
                    ));
                }
            };
            if bytes.len() > limit {
                return Err(format!("The replaced body is larger than {limit} bytes."));
            }
            Ok(Some(bytes))
        }
        other => Err(format!(
            "The body action {other:?} is not valid: use read-only or replace."
        )),
    }
}

/// A response a function generated or returned, read from its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Returned {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub status_description: Option<String>,
    /// Headers.
    pub headers: Headers,
    /// The body, decoded, when the function set one.
    pub body: Option<Vec<u8>>,
}

/// Reads a response object (generated by a request trigger, or returned by a response
/// trigger) and checks it: status 200–599, headers, body encoding, 204 without a body, and
/// the generated-response size limit of `event`.
pub fn read_response(
    event: EventType,
    value: &serde_json::Value,
    before: &Headers,
) -> Result<Returned, String> {
    let object = value.as_object().ok_or_else(|| {
        "The Lambda function returned a response that is not a JSON object.".to_string()
    })?;
    let status = match object.get("status") {
        Some(serde_json::Value::String(s)) => s.trim().parse::<u16>().ok(),
        Some(serde_json::Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        _ => None,
    }
    .filter(|s| (200..=599).contains(s))
    .ok_or_else(|| {
        format!(
            "The Lambda function returned an invalid HTTP status code: {}. The status must be between 200 and 599.",
            object.get("status").map(|v| v.to_string()).unwrap_or_else(|| "none".into())
        )
    })?;
    let status_description = match object.get("statusDescription") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("The statusDescription must be a string.".to_string()),
    };
    let headers: Headers = match object.get("headers") {
        None | Some(serde_json::Value::Null) => Headers::new(),
        Some(h) => serde_json::from_value(h.clone())
            .map_err(|e| format!("The headers object is not valid: {e}."))?,
    };
    check_headers(event, before, &headers)?;
    let body = match object.get("body") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(data)) => {
            let encoding = object
                .get("bodyEncoding")
                .and_then(|v| v.as_str())
                .unwrap_or("text");
            Some(match encoding {
                "text" => data.clone().into_bytes(),
                "base64" => base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .map_err(|_| "The body is not valid base64.".to_string())?,
                other => {
                    return Err(format!(
                        "The bodyEncoding {other:?} is not valid: use text or base64."
                    ));
                }
            })
        }
        Some(_) => return Err("The body must be a string.".to_string()),
    };
    if status == 204 && body.as_ref().is_some_and(|b| !b.is_empty()) {
        return Err(
            "The Lambda function returned a body with status 204 (No Content).".to_string(),
        );
    }
    let header_bytes: usize = headers
        .iter()
        .flat_map(|(name, entries)| entries.iter().map(move |e| name.len() + e.value.len() + 4))
        .sum();
    let size = header_bytes + body.as_ref().map_or(0, Vec::len);
    let limit = generated_limit(event);
    if size > limit {
        return Err(format!(
            "The Lambda function returned a response of {size} bytes, over the {limit}-byte limit of the {} event.",
            event.as_str()
        ));
    }
    Ok(Returned {
        status,
        status_description,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::event::add;
    use serde_json::json;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        let mut h = Headers::new();
        for (k, v) in pairs {
            add(&mut h, k, v);
        }
        h
    }

    #[test]
    fn disallowed_and_read_only_headers_are_refused() {
        let before = headers(&[("host", "d1.cloudfront.net"), ("accept", "*/*")]);
        let mut after = before.clone();
        add(&mut after, "x-forwarded-proto", "https");
        assert!(
            check_headers(EventType::ViewerRequest, &before, &after)
                .unwrap_err()
                .contains("disallowed")
        );
        let mut after = before.clone();
        after.insert(
            "host".into(),
            headers(&[("host", "evil.test")])["host"].clone(),
        );
        assert!(
            check_headers(EventType::ViewerRequest, &before, &after)
                .unwrap_err()
                .contains("read-only")
        );
        // Host is writable on origin-request.
        assert!(check_headers(EventType::OriginRequest, &before, &after).is_ok());
        let mut after = before.clone();
        after.insert(
            "X-Upper".into(),
            vec![crate::proxy::event::HeaderEntry {
                key: None,
                value: "1".into(),
            }],
        );
        assert!(
            check_headers(EventType::ViewerRequest, &before, &after).is_err(),
            "names are lower case"
        );
        let mut after = before.clone();
        add(&mut after, "cloudfront-viewer-country", "FR");
        assert!(check_headers(EventType::ViewerRequest, &before, &after).is_err());
        assert!(check_headers(EventType::OriginRequest, &before, &after).is_ok());
    }

    #[test]
    fn generated_responses_are_checked() {
        let none = Headers::new();
        let ok = read_response(
            EventType::ViewerRequest,
            &json!({"status": "200", "body": "hi"}),
            &none,
        )
        .unwrap();
        assert_eq!((ok.status, ok.body.as_deref()), (200, Some(&b"hi"[..])));
        let n = read_response(EventType::ViewerRequest, &json!({"status": 302}), &none).unwrap();
        assert_eq!(n.status, 302);
        assert!(read_response(EventType::ViewerRequest, &json!({"status": "700"}), &none).is_err());
        assert!(
            read_response(
                EventType::ViewerRequest,
                &json!({"status": "204", "body": "x"}),
                &none
            )
            .is_err()
        );
        assert!(
            read_response(
                EventType::ViewerRequest,
                &json!({"status": "200", "body": "!!", "bodyEncoding": "base64"}),
                &none
            )
            .is_err()
        );
        let body = "a".repeat(41 * 1024);
        assert!(
            read_response(
                EventType::ViewerRequest,
                &json!({"status": "200", "body": body}),
                &none
            )
            .is_err()
        );
        assert!(
            read_response(
                EventType::OriginRequest,
                &json!({"status": "200", "body": body}),
                &none
            )
            .is_ok()
        );
        let body = "a".repeat(39 * 1024);
        assert!(
            read_response(
                EventType::ViewerRequest,
                &json!({"status": "200", "body": body}),
                &none
            )
            .is_ok()
        );
    }

    #[test]
    fn request_changes_follow_the_rules() {
        let before = Request {
            client_ip: "127.0.0.1".into(),
            method: "GET".into(),
            uri: "/a".into(),
            querystring: "x=1".into(),
            headers: headers(&[("host", "d1")]),
            body: None,
            origin: None,
        };
        let mut after = before.clone();
        after.uri = "/b".into();
        after.querystring = "y=2".into();
        assert!(check_request(EventType::ViewerRequest, &before, &after).is_ok());
        after.uri = "b".into();
        assert!(check_request(EventType::ViewerRequest, &before, &after).is_err());
        after.uri = "/b".into();
        after.querystring = "a b".into();
        assert!(check_request(EventType::ViewerRequest, &before, &after).is_err());
    }
}
