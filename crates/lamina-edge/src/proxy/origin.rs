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
pub async fn fetch(
    client: &Client,
    s3_root: Option<&std::path::Path>,
    req: OriginRequest<'_>,
) -> Result<Fetched, Failure> {
    let custom = match req.origin {
        EventOrigin::Custom(c) => c,
        EventOrigin::S3(s3) => {
            let Some(root) = s3_root else {
                return Err(Failure::Origin(
                    502,
                    format!(
                        "S3 origin {} has no folder: start the server with --edge-s3-root DIR",
                        s3.domain_name
                    ),
                ));
            };
            return Ok(s3_object(root, s3, req.method, req.uri).await);
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

/// An S3 origin served from a folder: `<root>/<bucket>/<origin path><uri>`, the bucket being
/// the domain name's first label (`site.s3.amazonaws.com` → `site`). Keys are percent-decoded;
/// one with an empty, `.` or `..` segment names no object. Answers as S3 does: 200 with the
/// object (GET, HEAD), 404 `NoSuchKey`, 405 for other methods.
async fn s3_object(
    root: &std::path::Path,
    s3: &super::event::S3Origin,
    method: &str,
    uri: &str,
) -> Fetched {
    let s3_error = |status: u16, code: &str, message: &str| Fetched {
        status,
        status_description: hyper::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("")
            .to_string(),
        headers: vec![("Content-Type".to_string(), "application/xml".to_string())],
        body: Bytes::from(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        )),
    };
    if !matches!(method, "GET" | "HEAD") {
        return s3_error(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        );
    }
    let bucket = s3.domain_name.split('.').next().unwrap_or("");
    let key = format!("{}{}", s3.path, uri);
    let decoded = percent_encoding::percent_decode_str(&key)
        .decode_utf8_lossy()
        .into_owned();
    let segments: Vec<&str> = decoded.trim_start_matches('/').split('/').collect();
    let safe = !bucket.is_empty()
        && !matches!(bucket, "." | "..")
        && segments
            .iter()
            .all(|s| !s.is_empty() && *s != "." && *s != ".." && !s.contains('\0'));
    if !safe {
        return s3_error(404, "NoSuchKey", "The specified key does not exist.");
    }
    let mut path = root.join(bucket);
    for segment in &segments {
        path.push(segment);
    }
    match tokio::fs::read(&path).await {
        Ok(body) => Fetched {
            status: 200,
            status_description: "OK".to_string(),
            headers: vec![(
                "Content-Type".to_string(),
                mime_guess::from_path(&path)
                    .first_or_octet_stream()
                    .to_string(),
            )],
            body: if method == "HEAD" {
                Bytes::new()
            } else {
                Bytes::from(body)
            },
        },
        Err(_) => s3_error(404, "NoSuchKey", "The specified key does not exist."),
    }
}
