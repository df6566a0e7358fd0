//! CloudFront's Lambda@Edge event shape (`{"Records":[{"cf":{config, request, response}}]}`):
//! lower-case header names mapping to `[{key, value}]` lists, `status` as a string, the
//! request body as `{inputTruncated, action, encoding, data}` when IncludeBody is on, and the
//! origin (`custom` or `s3`) in origin events.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::config::{EventType, Origin, OriginKind};

/// One header value; `key` is the name in its original case (generated when omitted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderEntry {
    /// Original-case name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The value.
    pub value: String,
}

/// Headers: lower-case name → values.
pub type Headers = BTreeMap<String, Vec<HeaderEntry>>;

/// `Title-Case-Hyphenated`, how CloudFront writes a header's key when none is given.
pub fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => {
                    first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Adds one header value.
pub fn add(headers: &mut Headers, name: &str, value: &str) {
    headers
        .entry(name.to_ascii_lowercase())
        .or_default()
        .push(HeaderEntry {
            key: Some(title_case(name)),
            value: value.to_string(),
        });
}

/// Flattens headers into (name, value) pairs for the wire, each under its key.
pub fn flatten(headers: &Headers) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, entries) in headers {
        for e in entries {
            out.push((
                e.key.clone().unwrap_or_else(|| title_case(name)),
                e.value.clone(),
            ));
        }
    }
    out
}

/// Headers from (name, value) pairs.
pub fn from_pairs(pairs: &[(String, String)]) -> Headers {
    let mut headers = Headers::new();
    for (k, v) in pairs {
        headers
            .entry(k.to_ascii_lowercase())
            .or_default()
            .push(HeaderEntry {
                key: Some(k.clone()),
                value: v.clone(),
            });
    }
    headers
}

/// The request body as a trigger sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Body {
    /// Whether CloudFront cut the body at its limit.
    #[serde(default)]
    pub input_truncated: bool,
    /// `read-only` or `replace`.
    #[serde(default = "read_only")]
    pub action: String,
    /// `base64` or `text`.
    #[serde(default = "base64_name")]
    pub encoding: String,
    /// The body.
    #[serde(default)]
    pub data: String,
}

fn read_only() -> String {
    "read-only".to_string()
}

fn base64_name() -> String {
    "base64".to_string()
}

impl Body {
    /// The body exposed to a trigger: base64, cut at `limit` bytes.
    pub fn exposed(bytes: &[u8], limit: usize) -> Self {
        let cut = bytes.len().min(limit);
        Self {
            input_truncated: bytes.len() > limit,
            action: read_only(),
            encoding: base64_name(),
            data: base64::engine::general_purpose::STANDARD.encode(&bytes[..cut]),
        }
    }
}

/// A custom origin in an origin event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomOrigin {
    /// Headers added to the origin request.
    #[serde(default)]
    pub custom_headers: Headers,
    /// Host name.
    pub domain_name: String,
    /// Seconds.
    #[serde(default = "five")]
    pub keepalive_timeout: u32,
    /// Path prefix.
    #[serde(default)]
    pub path: String,
    /// Port.
    pub port: u16,
    /// `http` or `https`.
    pub protocol: String,
    /// Seconds.
    #[serde(default = "thirty")]
    pub read_timeout: u32,
    /// TLS versions.
    #[serde(default)]
    pub ssl_protocols: Vec<String>,
}

fn five() -> u32 {
    5
}

fn thirty() -> u32 {
    30
}

/// An S3 origin in an origin event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Origin {
    /// `origin-access-identity` or `none`.
    #[serde(default)]
    pub auth_method: String,
    /// Headers added to the origin request.
    #[serde(default)]
    pub custom_headers: Headers,
    /// Bucket host name.
    pub domain_name: String,
    /// Path prefix.
    #[serde(default)]
    pub path: String,
    /// Bucket region.
    #[serde(default)]
    pub region: String,
}

/// The origin of an origin event: exactly one of `custom` and `s3`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventOrigin {
    /// `{"custom": …}`.
    #[serde(rename = "custom")]
    Custom(CustomOrigin),
    /// `{"s3": …}`.
    #[serde(rename = "s3")]
    S3(S3Origin),
}

impl EventOrigin {
    /// A configured origin as the event shows it.
    pub fn of(origin: &Origin) -> Self {
        let mut custom_headers = Headers::new();
        for (k, v) in &origin.custom_headers {
            custom_headers
                .entry(k.to_ascii_lowercase())
                .or_default()
                .push(HeaderEntry {
                    key: Some(k.clone()),
                    value: v.clone(),
                });
        }
        match &origin.kind {
            OriginKind::Custom {
                http_port,
                https_port,
                protocol_policy,
                read_timeout,
                keepalive_timeout,
            } => {
                let https = protocol_policy == "https-only";
                Self::Custom(CustomOrigin {
                    custom_headers,
                    domain_name: origin.domain_name.clone(),
                    keepalive_timeout: *keepalive_timeout,
                    path: origin.path.clone(),
                    port: if https { *https_port } else { *http_port },
                    protocol: if https { "https" } else { "http" }.to_string(),
                    read_timeout: *read_timeout,
                    ssl_protocols: vec!["TLSv1.2".to_string()],
                })
            }
            OriginKind::S3 => Self::S3(S3Origin {
                auth_method: "none".to_string(),
                custom_headers,
                domain_name: origin.domain_name.clone(),
                path: origin.path.clone(),
                region: "us-east-1".to_string(),
            }),
        }
    }

    /// The origin's host name.
    pub fn domain_name(&self) -> &str {
        match self {
            Self::Custom(c) => &c.domain_name,
            Self::S3(s) => &s.domain_name,
        }
    }
}

/// The request in every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// The viewer's address (read-only).
    pub client_ip: String,
    /// The method (read-only).
    pub method: String,
    /// The path.
    pub uri: String,
    /// The query string without `?` (empty when none).
    #[serde(default)]
    pub querystring: String,
    /// Headers.
    #[serde(default)]
    pub headers: Headers,
    /// The body, with IncludeBody.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// The origin, in origin events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<EventOrigin>,
}

/// The response in response events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The status code, as a string.
    pub status: String,
    /// The reason phrase.
    pub status_description: String,
    /// Headers.
    pub headers: Headers,
}

/// `config` of every event.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Config<'a> {
    /// `d….cloudfront.net`.
    pub distribution_domain_name: &'a str,
    /// `E…`.
    pub distribution_id: &'a str,
    /// The trigger.
    pub event_type: &'static str,
    /// `x-amz-cf-id`.
    pub request_id: &'a str,
}

/// The whole event for one trigger.
pub fn record(
    config: &Config<'_>,
    request: &Request,
    response: Option<&Response>,
) -> serde_json::Value {
    let mut cf = serde_json::json!({ "config": config, "request": request });
    if let (Some(response), Some(map)) = (response, cf.as_object_mut()) {
        map.insert("response".to_string(), serde_json::json!(response));
    }
    serde_json::json!({ "Records": [ { "cf": cf } ] })
}

/// The event type's config name.
pub fn event_name(event: EventType) -> &'static str {
    event.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_matches_cloudfront_documentation() {
        let mut headers = Headers::new();
        add(&mut headers, "host", "d111111abcdef8.cloudfront.net");
        let request = Request {
            client_ip: "203.0.113.178".into(),
            method: "GET".into(),
            uri: "/".into(),
            querystring: String::new(),
            headers,
            body: Some(Body::exposed(b"abcdef", 4)),
            origin: None,
        };
        let config = Config {
            distribution_domain_name: "d111111abcdef8.cloudfront.net",
            distribution_id: "EDFDVBD6EXAMPLE",
            event_type: "viewer-request",
            request_id: "x",
        };
        let v = record(&config, &request, None);
        let cf = &v["Records"][0]["cf"];
        assert_eq!(cf["config"]["distributionId"], "EDFDVBD6EXAMPLE");
        assert_eq!(cf["request"]["clientIp"], "203.0.113.178");
        assert_eq!(cf["request"]["headers"]["host"][0]["key"], "Host");
        assert_eq!(cf["request"]["body"]["inputTruncated"], true);
        assert_eq!(cf["request"]["body"]["data"], "YWJjZA==");
        assert!(cf.get("response").is_none());
        assert!(cf["request"].get("origin").is_none());
        assert_eq!(title_case("x-forwarded-for"), "X-Forwarded-For");
        let o = serde_json::json!(EventOrigin::S3(S3Origin {
            auth_method: "none".into(),
            custom_headers: Headers::new(),
            domain_name: "b.s3.amazonaws.com".into(),
            path: String::new(),
            region: "us-east-1".into()
        }));
        assert_eq!(o["s3"]["authMethod"], "none");
    }
}
