//! The event a function behind API Gateway receives, built from an HTTP request: the REST
//! API's proxy event (payload format 1.0, also used by HTTP API routes that ask for `1.0`)
//! and the HTTP API's payload format 2.0.

use std::collections::BTreeMap;

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Map, Value as J, json};

use crate::local::api::routes::Matched;

/// An HTTP request, as the server received it.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// The method, upper case.
    pub method: String,
    /// The path as sent (percent-encoded).
    pub path: String,
    /// The query string without `?`, as sent.
    pub raw_query: String,
    /// Headers in arrival order; names lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// The client's address.
    pub source_ip: String,
    /// `HTTP/1.1` and so on.
    pub protocol: String,
    /// The `Host` the client used, for `domainName`.
    pub host: String,
}

impl HttpRequest {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.raw_query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    /// The body as API Gateway passes it: text when it is UTF-8 of a textual content type
    /// (or of no declared type), base64 otherwise.
    fn body_field(&self) -> (Option<String>, bool) {
        if self.body.is_empty() {
            return (None, false);
        }
        let textual = self.header("content-type").is_none_or(is_textual);
        match std::str::from_utf8(&self.body) {
            Ok(text) if textual => (Some(text.to_string()), false),
            _ => (
                Some(base64::engine::general_purpose::STANDARD.encode(&self.body)),
                true,
            ),
        }
    }
}

fn is_textual(content_type: &str) -> bool {
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    ct.starts_with("text/")
        || ct.ends_with("+json")
        || ct.ends_with("+xml")
        || matches!(
            ct.as_str(),
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/x-www-form-urlencoded"
                | "application/graphql"
                | ""
        )
}

/// What identifies one request in both formats.
#[derive(Debug, Clone)]
pub struct RequestIds {
    /// `requestContext.requestId`.
    pub request_id: String,
    /// Milliseconds since the epoch.
    pub epoch_ms: i64,
    /// `09/Apr/2015:12:34:56 +0000`.
    pub time: String,
}

impl RequestIds {
    /// Fresh ids for a request arriving now.
    pub fn now() -> RequestIds {
        let now = time::OffsetDateTime::now_utc();
        let format = time::macros::format_description!(
            "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
        );
        RequestIds {
            request_id: uuid::Uuid::new_v4().to_string(),
            epoch_ms: (now.unix_timestamp_nanos() / 1_000_000) as i64,
            time: now.format(&format).unwrap_or_default(),
        }
    }
}

fn object_or_null(map: Map<String, J>) -> J {
    if map.is_empty() {
        J::Null
    } else {
        J::Object(map)
    }
}

/// The payload format 1.0 event (REST API proxy integration).
pub fn event_v1(req: &HttpRequest, matched: &Matched, ids: &RequestIds, stage: &str) -> J {
    let mut headers = Map::new();
    let mut multi_headers: BTreeMap<String, Vec<J>> = BTreeMap::new();
    for (k, v) in &req.headers {
        headers.insert(k.clone(), J::from(v.clone()));
        multi_headers
            .entry(k.clone())
            .or_default()
            .push(J::from(v.clone()));
    }
    let mut query = Map::new();
    let mut multi_query: BTreeMap<String, Vec<J>> = BTreeMap::new();
    for (k, v) in req.query_pairs() {
        query.insert(k.clone(), J::from(v.clone()));
        multi_query.entry(k).or_default().push(J::from(v));
    }
    let path_params: Map<String, J> = matched
        .path_parameters
        .iter()
        .map(|(k, v)| (k.clone(), J::from(v.clone())))
        .collect();
    let (body, is_base64) = req.body_field();
    let resource = if matched.route.path == "$default" {
        req.path.clone()
    } else {
        matched.route.path.clone()
    };
    let mut event = json!({
        "resource": resource,
        "path": req.path,
        "httpMethod": req.method,
        "headers": object_or_null(headers),
        "multiValueHeaders": object_or_null(multi_headers.into_iter().map(|(k, v)| (k, J::Array(v))).collect()),
        "queryStringParameters": object_or_null(query),
        "multiValueQueryStringParameters": object_or_null(multi_query.into_iter().map(|(k, v)| (k, J::Array(v))).collect()),
        "pathParameters": object_or_null(path_params),
        "stageVariables": J::Null,
        "requestContext": {
            "resourceId": "123456",
            "resourcePath": resource,
            "httpMethod": req.method,
            "extendedRequestId": ids.request_id,
            "requestTime": ids.time,
            "path": format!("/{stage}{}", req.path),
            "accountId": crate::local::LOCAL_ACCOUNT_ID,
            "protocol": req.protocol,
            "stage": stage,
            "domainPrefix": domain_prefix(&req.host),
            "requestTimeEpoch": ids.epoch_ms,
            "requestId": ids.request_id,
            "identity": {
                "cognitoIdentityPoolId": J::Null,
                "accountId": J::Null,
                "cognitoIdentityId": J::Null,
                "caller": J::Null,
                "sourceIp": req.source_ip,
                "principalOrgId": J::Null,
                "accessKey": J::Null,
                "cognitoAuthenticationType": J::Null,
                "cognitoAuthenticationProvider": J::Null,
                "userArn": J::Null,
                "userAgent": req.header("user-agent"),
                "user": J::Null,
            },
            "domainName": req.host,
            "apiId": "1234567890",
        },
        "body": body,
        "isBase64Encoded": is_base64,
    });
    if matched.route.api == crate::event::ApiKind::Http
        && let J::Object(map) = &mut event
    {
        map.insert("version".into(), J::from("1.0"));
    }
    event
}

fn domain_prefix(host: &str) -> String {
    host.split(['.', ':'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The HTTP API's payload format 2.0 event.
pub fn event_v2(req: &HttpRequest, matched: &Matched, ids: &RequestIds) -> J {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies: Vec<J> = Vec::new();
    for (k, v) in &req.headers {
        if k == "cookie" {
            cookies.extend(
                v.split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(J::from),
            );
            continue;
        }
        headers
            .entry(k.clone())
            .and_modify(|e| {
                e.push(',');
                e.push_str(v);
            })
            .or_insert_with(|| v.clone());
    }
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in req.query_pairs() {
        query
            .entry(k)
            .and_modify(|e| {
                e.push(',');
                e.push_str(&v);
            })
            .or_insert(v);
    }
    let route_key = if matched.route.path == "$default" {
        "$default".to_string()
    } else {
        format!("{} {}", matched.route.method, matched.route.path)
    };
    let mut event = Map::new();
    event.insert("version".into(), J::from("2.0"));
    event.insert("routeKey".into(), J::from(route_key.clone()));
    event.insert("rawPath".into(), J::from(req.path.clone()));
    event.insert("rawQueryString".into(), J::from(req.raw_query.clone()));
    if !cookies.is_empty() {
        event.insert("cookies".into(), J::Array(cookies));
    }
    event.insert("headers".into(), json!(headers));
    if !query.is_empty() {
        event.insert("queryStringParameters".into(), json!(query));
    }
    if !matched.path_parameters.is_empty() {
        event.insert("pathParameters".into(), json!(matched.path_parameters));
    }
    event.insert(
        "requestContext".into(),
        json!({
            "accountId": crate::local::LOCAL_ACCOUNT_ID,
            "apiId": "1234567890",
            "domainName": req.host,
            "domainPrefix": domain_prefix(&req.host),
            "http": {
                "method": req.method,
                "path": req.path,
                "protocol": req.protocol,
                "sourceIp": req.source_ip,
                "userAgent": req.header("user-agent").unwrap_or_default(),
            },
            "requestId": ids.request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": ids.time,
            "timeEpoch": ids.epoch_ms,
        }),
    );
    let (body, is_base64) = req.body_field();
    if let Some(body) = body {
        event.insert("body".into(), J::from(body));
    }
    event.insert("isBase64Encoded".into(), J::from(is_base64));
    J::Object(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ApiKind, Route};

    fn request(body: &[u8], content_type: Option<&str>) -> HttpRequest {
        let mut headers = vec![
            ("x-multi".to_string(), "a".to_string()),
            ("x-multi".to_string(), "b".to_string()),
            ("cookie".to_string(), "c1=v1; c2=v2".to_string()),
        ];
        if let Some(ct) = content_type {
            headers.push(("content-type".into(), ct.into()));
        }
        HttpRequest {
            method: "POST".into(),
            path: "/items/42".into(),
            raw_query: "a=1&a=2&b=x%20y".into(),
            headers,
            body: Bytes::copy_from_slice(body),
            source_ip: "127.0.0.1".into(),
            protocol: "HTTP/1.1".into(),
            host: "127.0.0.1:3000".into(),
        }
    }

    fn matched(api: ApiKind) -> Matched {
        Matched {
            route: Route {
                function: "F".into(),
                event: "E".into(),
                api,
                method: "POST".into(),
                path: "/items/{id}".into(),
                api_id: None,
                payload_format_version: "2.0".into(),
            },
            path_parameters: BTreeMap::from([("id".to_string(), "42".to_string())]),
        }
    }

    #[test]
    fn v1_has_multi_values_and_path_parameters() {
        let e = event_v1(
            &request(b"{\"k\":1}", Some("application/json")),
            &matched(ApiKind::Rest),
            &RequestIds::now(),
            "Prod",
        );
        assert_eq!(e["resource"], "/items/{id}");
        assert_eq!(e["headers"]["x-multi"], "b");
        assert_eq!(e["multiValueHeaders"]["x-multi"], json!(["a", "b"]));
        assert_eq!(e["queryStringParameters"]["a"], "2");
        assert_eq!(e["multiValueQueryStringParameters"]["a"], json!(["1", "2"]));
        assert_eq!(e["queryStringParameters"]["b"], "x y");
        assert_eq!(e["pathParameters"]["id"], "42");
        assert_eq!(e["body"], "{\"k\":1}");
        assert_eq!(e["isBase64Encoded"], false);
        assert!(e.get("version").is_none());
    }

    #[test]
    fn v2_joins_values_and_splits_cookies_and_binary_is_base64() {
        let e = event_v2(
            &request(&[0xff, 0x00, 0x01], Some("image/png")),
            &matched(ApiKind::Http),
            &RequestIds::now(),
        );
        assert_eq!(e["routeKey"], "POST /items/{id}");
        assert_eq!(e["headers"]["x-multi"], "a,b");
        assert!(e["headers"].get("cookie").is_none());
        assert_eq!(e["cookies"], json!(["c1=v1", "c2=v2"]));
        assert_eq!(e["queryStringParameters"]["a"], "1,2");
        assert_eq!(e["rawQueryString"], "a=1&a=2&b=x%20y");
        assert_eq!(e["body"], "/wAB");
        assert_eq!(e["isBase64Encoded"], true);
    }
}
