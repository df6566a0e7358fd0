//! Origin fetches: one pooled HTTP/1.1 client (hyper) for every custom origin.

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The client type.
pub type Client = hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>;

/// A client keeping idle connections to origins for reuse.
pub fn client() -> Client {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(std::time::Duration::from_secs(10)));
    hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector)
}

use super::event::{EventOrigin, Headers, flatten};
use super::{Failure, Fetched};

/// Response headers that describe one connection, not the object: never cached or passed on.
pub const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "trailer",
    "te",
];

/// Largest origin body the proxy reads.
const MAX_ORIGIN_BODY: usize = 256 << 20;

/// What to send to the origin.
pub struct OriginRequest<'a> {
    /// Where.
    pub origin: &'a EventOrigin,
    /// Method.
    pub method: &'a str,
    /// Path (before the origin's path prefix).
    pub uri: &'a str,
    /// Query string forwarded (empty: none).
    pub querystring: &'a str,
    /// Headers, as the triggers left them.
    pub headers: &'a Headers,
    /// Body.
    pub body: Bytes,
    /// `x-amz-cf-id`.
    pub request_id: &'a str,
}

/// Fetches from a custom HTTP origin within its read timeout: a connection failure is a 502,
/// a timeout a 504 (CloudFront's answers).
pub async fn fetch(client: &Client, req: OriginRequest<'_>) -> Result<Fetched, Failure> {
    let custom = match req.origin {
        EventOrigin::Custom(c) => c,
        EventOrigin::S3(_) => {
            return Err(Failure::Origin(
                502,
                "Lamina fetches custom HTTP origins only; this request's origin is S3".into(),
            ));
        }
    };
    if custom.protocol != "http" {
        return Err(Failure::Origin(
            502,
            format!(
                "Lamina fetches origins over HTTP only; origin {} asks for {}",
                custom.domain_name, custom.protocol
            ),
        ));
    }
    let query = if req.querystring.is_empty() {
        String::new()
    } else {
        format!("?{}", req.querystring)
    };
    let url = format!(
        "http://{}:{}{}{}{}",
        custom.domain_name, custom.port, custom.path, req.uri, query
    );
    let mut builder = hyper::Request::builder().method(req.method).uri(&url);
    for (name, value) in flatten(req.headers) {
        if HOP_BY_HOP.contains(&name.to_ascii_lowercase().as_str())
            || name.eq_ignore_ascii_case("content-length")
        {
            continue;
        }
        builder = builder.header(name, value);
    }
    for (name, value) in flatten(&custom.custom_headers) {
        builder = builder.header(name, value);
    }
    builder = builder
        .header("x-amz-cf-id", req.request_id)
        .header("via", "1.1 lamina.cloudfront.net (CloudFront)");
    let request = builder.body(Full::new(req.body)).map_err(|e| {
        Failure::Origin(
            502,
            format!("the origin request for {url} is not valid: {e}"),
        )
    })?;
    let limit = std::time::Duration::from_secs(u64::from(custom.read_timeout));
    let response = match tokio::time::timeout(limit, client.request(request)).await {
        Err(_) => {
            return Err(Failure::Origin(
                504,
                format!(
                    "origin {url} did not answer within {}s",
                    custom.read_timeout
                ),
            ));
        }
        Ok(Err(e)) => {
            return Err(Failure::Origin(
                502,
                format!("cannot reach origin {url}: {e}"),
            ));
        }
        Ok(Ok(r)) => r,
    };
    let (parts, body) = response.into_parts();
    let collected = tokio::time::timeout(
        limit,
        http_body_util::BodyExt::collect(http_body_util::Limited::new(body, MAX_ORIGIN_BODY)),
    )
    .await;
    let body = match collected {
        Err(_) => {
            return Err(Failure::Origin(
                504,
                format!(
                    "origin {url} stopped sending within {}s",
                    custom.read_timeout
                ),
            ));
        }
        Ok(Err(e)) => return Err(Failure::Origin(502, format!("reading origin {url}: {e}"))),
        Ok(Ok(c)) => c.to_bytes(),
    };
    let headers = parts
        .headers
        .iter()
        .filter(|(name, _)| !HOP_BY_HOP.contains(&name.as_str()))
        .filter_map(|(name, value)| {
            Some((
                super::event::title_case(name.as_str()),
                value.to_str().ok()?.to_string(),
            ))
        })
        .collect();
    Ok(Fetched {
        status: parts.status.as_u16(),
        status_description: parts.status.canonical_reason().unwrap_or("").to_string(),
        headers,
        body,
    })
}
