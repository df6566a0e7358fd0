//! The edge proxy on `--edge-listen`: picks the distribution by Host header, the cache
//! behavior by path, then runs CloudFront's request life cycle: viewer-request → cache lookup
//! → origin-request → origin fetch → origin-response → cache store → viewer-response, each
//! trigger with CloudFront's event and rules (`event.rs`, `rules.rs`), and answers with
//! CloudFront's headers (`X-Cache`, `Via`, `X-Amz-Cf-Id`, `Age`) and error statuses.

pub mod event;
pub mod invoke;
pub mod origin;
pub mod rules;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use self::event::{Body, EventOrigin, Headers};
use crate::cache::{self, CachedResponse, Key};
use crate::config::{Association, Behavior, EventType};
use crate::{Edge, LiveDistribution, ids};

/// Largest viewer request body the proxy reads.
const MAX_VIEWER_BODY: usize = 20 << 20;

/// The proxy as an axum app (every path, every method).
pub fn router(edge: Arc<Edge>) -> Router {
    Router::new().fallback(handle).with_state(edge)
}

/// What an origin answered.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub status_description: String,
    /// Headers (original case), in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

/// Why a request ends in one of CloudFront's own error answers.
#[derive(Debug)]
pub enum Failure {
    /// 502 `LambdaValidationError`: the function's answer broke a rule.
    Validation {
        /// The function.
        arn: String,
        /// What was wrong.
        reason: String,
        /// Which trigger.
        event: Option<EventType>,
    },
    /// 503 `LambdaExecutionError`: the function failed.
    Execution {
        /// The function.
        arn: String,
        /// What happened.
        reason: String,
    },
    /// 503 `LambdaLimitExceeded`: throttled or timed out.
    Limit {
        /// The function.
        arn: String,
        /// What happened.
        reason: String,
    },
    /// 502/504 from the origin fetch.
    Origin(u16, String),
}

impl Failure {
    fn validation(arn: String, reason: String) -> Self {
        Self::Validation {
            arn,
            reason,
            event: None,
        }
    }

    fn execution(arn: String, reason: String) -> Self {
        Self::Execution { arn, reason }
    }

    fn limit(arn: String, reason: String) -> Self {
        Self::Limit { arn, reason }
    }

    fn at(self, at: EventType) -> Self {
        match self {
            Self::Validation { arn, reason, .. } => Self::Validation {
                arn,
                reason,
                event: Some(at),
            },
            other => other,
        }
    }
}

/// One request's context.
struct Flow<'a> {
    edge: &'a Edge,
    distribution: &'a LiveDistribution,
    behavior: &'a Behavior,
    request_id: String,
}

async fn handle(
    State(edge): State<Arc<Edge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let request_id = ids::edge_request_id();
    let host = request
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name))
        .unwrap_or("");
    let Some(distribution) = edge.distribution_for_host(host) else {
        return error_page(
            403,
            "Error",
            "Bad request. We can't connect to the server for this app or website at this time. No distribution serves this host name.",
            &request_id,
        );
    };
    let path = request.uri().path().to_string();
    let path = match (&distribution.config.default_root_object, path.as_str()) {
        (Some(object), "/") => format!("/{object}"),
        _ => path,
    };
    let behavior = distribution.config.behavior_for(&path);
    let flow = Flow {
        edge: &edge,
        distribution: &distribution,
        behavior,
        request_id,
    };
    let started = Instant::now();
    let at = edge.app().control.clock().now();
    let method = request.method().to_string();
    let uri = request.uri().to_string();
    let response = match flow.run(request, path, peer).await {
        Ok(response) => response,
        Err(failure) => flow.fail(failure),
    };
    edge.remember(crate::EdgeRequest {
        at,
        distribution_id: distribution.id.clone(),
        method,
        uri,
        status: response.status().as_u16(),
        x_cache: response
            .headers()
            .get("x-cache")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
    response
}

/// A response on its way to the viewer.
struct Outgoing {
    status: u16,
    status_description: String,
    headers: Vec<(String, String)>,
    body: Bytes,
    x_cache: &'static str,
    age: Option<u64>,
}

impl<'a> Flow<'a> {
    fn config(&self, event: EventType) -> event::Config<'_> {
        event::Config {
            distribution_domain_name: &self.distribution.domain,
            distribution_id: &self.distribution.id,
            event_type: event.as_str(),
            request_id: &self.request_id,
        }
    }

    async fn run(
        &self,
        request: Request,
        path: String,
        peer: SocketAddr,
    ) -> Result<Response, Failure> {
        let (parts, body) = request.into_parts();
        let body = match http_body_util::BodyExt::collect(http_body_util::Limited::new(
            body,
            MAX_VIEWER_BODY,
        ))
        .await
        {
            Ok(c) => c.to_bytes(),
            Err(_) => {
                return Ok(error_page(
                    413,
                    "Error",
                    "The request body is too large.",
                    &self.request_id,
                ));
            }
        };
        let mut headers = Headers::new();
        for (name, value) in &parts.headers {
            if rules::is_disallowed(name.as_str()) {
                continue;
            }
            if let Ok(v) = value.to_str() {
                event::add(&mut headers, name.as_str(), v);
            }
        }
        let mut request = event::Request {
            client_ip: peer.ip().to_string(),
            method: parts.method.as_str().to_string(),
            uri: path,
            querystring: parts.uri.query().unwrap_or("").to_string(),
            headers,
            body: None,
            origin: None,
        };
        let mut body = body;

        // Viewer request: may change the request or answer it (not cached, no viewer-response).
        if let Some(association) = self.behavior.association(EventType::ViewerRequest) {
            match self
                .request_trigger(
                    association,
                    EventType::ViewerRequest,
                    &mut request,
                    &mut body,
                )
                .await?
            {
                None => {}
                Some(generated) => return Ok(self.send(generated)),
            }
        }

        let cacheable = matches!(request.method.as_str(), "GET" | "HEAD");
        let key = self.cache_key(&request);
        if cacheable && let Some(hit) = self.edge.cache.get(&key, Instant::now()) {
            let r = &hit.response;
            let outgoing = Outgoing {
                status: r.status,
                status_description: reason(r.status),
                headers: r.headers.clone(),
                body: r.body.clone(),
                x_cache: "Hit from cloudfront",
                age: Some(hit.age),
            };
            return Ok(self.send(self.viewer_response(&request, outgoing).await?));
        }

        // Origin request: the request as the origin will get it (Host is the origin's).
        let Some(origin) = self
            .distribution
            .config
            .origin(&self.behavior.target_origin_id)
        else {
            return Err(Failure::Origin(
                502,
                format!(
                    "origin {} is not configured",
                    self.behavior.target_origin_id
                ),
            ));
        };
        let mut origin_request = request.clone();
        origin_request.body = None;
        let event_origin = EventOrigin::of(origin);
        if !self.behavior.cache_key.headers.iter().any(|h| h == "host") {
            origin_request.headers.remove("host");
            event::add(
                &mut origin_request.headers,
                "host",
                event_origin.domain_name(),
            );
        }
        origin_request.origin = Some(event_origin);
        let mut generated_at_origin = None;
        if let Some(association) = self.behavior.association(EventType::OriginRequest) {
            generated_at_origin = self
                .request_trigger(
                    association,
                    EventType::OriginRequest,
                    &mut origin_request,
                    &mut body,
                )
                .await?;
        }
        let fetched = match generated_at_origin {
            Some(generated) => Fetched {
                status: generated.status,
                status_description: generated.status_description,
                headers: generated.headers,
                body: generated.body,
            },
            None => {
                let Some(origin) = origin_request.origin.as_ref() else {
                    return Err(Failure::Origin(502, "the request has no origin".into()));
                };
                let forwarded_query = if self.behavior.cache_key.query_string {
                    origin_request.querystring.as_str()
                } else {
                    ""
                };
                let fetched = origin::fetch(
                    &self.edge.client,
                    self.edge.s3_root.as_deref(),
                    origin::OriginRequest {
                        origin,
                        method: &origin_request.method,
                        uri: &origin_request.uri,
                        querystring: forwarded_query,
                        headers: &origin_request.headers,
                        body: body.clone(),
                        request_id: &self.request_id,
                    },
                )
                .await?;
                self.origin_response(&origin_request, fetched).await?
            }
        };

        // GET and HEAD share cache entries, but only a GET's answer carries the body.
        if request.method == "GET"
            && let Some(ttl) = cache::ttl(
                fetched.status,
                &fetched.headers,
                self.behavior,
                self.edge.app().control.clock().now(),
            )
        {
            self.edge.cache.put(
                key,
                CachedResponse {
                    status: fetched.status,
                    headers: fetched.headers.clone(),
                    body: fetched.body.clone(),
                },
                ttl,
                Instant::now(),
            );
        }
        let x_cache = if fetched.status >= 400 {
            "Error from cloudfront"
        } else {
            "Miss from cloudfront"
        };
        let outgoing = Outgoing {
            status: fetched.status,
            status_description: fetched.status_description,
            headers: fetched.headers,
            body: fetched.body,
            x_cache,
            age: None,
        };
        Ok(self.send(self.viewer_response(&request, outgoing).await?))
    }

    /// Runs a request trigger. The request is updated in place when the function returned
    /// one; a generated response comes back as `Some`.
    async fn request_trigger(
        &self,
        association: &Association,
        at: EventType,
        request: &mut event::Request,
        body: &mut Bytes,
    ) -> Result<Option<Outgoing>, Failure> {
        let limit = rules::body_limit(at);
        request.body = association.include_body.then(|| Body::exposed(body, limit));
        let value = invoke::run(
            self.edge,
            association,
            &event::record(&self.config(at), request, None),
        )
        .await
        .map_err(|f| f.at(at))?;
        let invalid = |reason: String| Failure::Validation {
            arn: association.function_arn.clone(),
            reason,
            event: Some(at),
        };
        if value.get("status").is_some() {
            let returned = rules::read_response(at, &value, &Headers::new()).map_err(invalid)?;
            let status_description = returned
                .status_description
                .unwrap_or_else(|| reason(returned.status));
            return Ok(Some(Outgoing {
                status: returned.status,
                status_description,
                headers: event::flatten(&returned.headers),
                body: Bytes::from(returned.body.unwrap_or_default()),
                x_cache: "LambdaGeneratedResponse from cloudfront",
                age: None,
            }));
        }
        let mut after: event::Request = serde_json::from_value(value).map_err(|e| {
            invalid(format!(
                "The Lambda function returned a request that is not valid: {e}."
            ))
        })?;
        rules::check_request(at, request, &after).map_err(invalid)?;
        if let Some(replaced) = rules::replaced_body(at, &after).map_err(invalid)? {
            *body = Bytes::from(replaced);
        }
        // Read-only fields keep their values whatever the function returned.
        after.client_ip = request.client_ip.clone();
        after.method = request.method.clone();
        after.body = None;
        if at != EventType::OriginRequest {
            after.origin = request.origin.clone();
        } else if after.origin.is_none() {
            return Err(invalid(
                "The request returned by an origin-request function must keep an origin.".into(),
            ));
        }
        *request = after;
        Ok(None)
    }

    /// Runs origin-response (for every status) on what the origin answered.
    async fn origin_response(
        &self,
        request: &event::Request,
        fetched: Fetched,
    ) -> Result<Fetched, Failure> {
        let Some(association) = self.behavior.association(EventType::OriginResponse) else {
            return Ok(fetched);
        };
        let at = EventType::OriginResponse;
        let response = event::Response {
            status: fetched.status.to_string(),
            status_description: fetched.status_description.clone(),
            headers: event::from_pairs(&fetched.headers),
        };
        let mut request = request.clone();
        request.body = None;
        let value = invoke::run(
            self.edge,
            association,
            &event::record(&self.config(at), &request, Some(&response)),
        )
        .await
        .map_err(|f| f.at(at))?;
        let returned = rules::read_response(at, &value, &response.headers).map_err(|reason| {
            Failure::Validation {
                arn: association.function_arn.clone(),
                reason,
                event: Some(at),
            }
        })?;
        Ok(Fetched {
            status: returned.status,
            status_description: returned
                .status_description
                .unwrap_or_else(|| reason(returned.status)),
            headers: event::flatten(&returned.headers),
            body: returned.body.map(Bytes::from).unwrap_or(fetched.body),
        })
    }

    /// Runs viewer-response, except for error statuses (≥ 400), which CloudFront sends as
    /// they are. The function may change headers (and the body), never the status.
    async fn viewer_response(
        &self,
        request: &event::Request,
        outgoing: Outgoing,
    ) -> Result<Outgoing, Failure> {
        let Some(association) = self.behavior.association(EventType::ViewerResponse) else {
            return Ok(outgoing);
        };
        if outgoing.status >= 400 {
            return Ok(outgoing);
        }
        let at = EventType::ViewerResponse;
        let response = event::Response {
            status: outgoing.status.to_string(),
            status_description: outgoing.status_description.clone(),
            headers: event::from_pairs(&outgoing.headers),
        };
        let mut request = request.clone();
        request.body = None;
        request.origin = None;
        let value = invoke::run(
            self.edge,
            association,
            &event::record(&self.config(at), &request, Some(&response)),
        )
        .await
        .map_err(|f| f.at(at))?;
        let invalid = |reason: String| Failure::Validation {
            arn: association.function_arn.clone(),
            reason,
            event: Some(at),
        };
        let returned = rules::read_response(at, &value, &response.headers).map_err(invalid)?;
        if returned.status != outgoing.status {
            return Err(invalid(format!(
                "A viewer-response function cannot change the status code ({} to {}).",
                outgoing.status, returned.status
            )));
        }
        Ok(Outgoing {
            headers: event::flatten(&returned.headers),
            body: returned.body.map(Bytes::from).unwrap_or(outgoing.body),
            ..outgoing
        })
    }

    /// The cache key: path, then the behavior's query string, headers and cookies.
    fn cache_key(&self, request: &event::Request) -> Key {
        let key = &self.behavior.cache_key;
        let mut rest = String::new();
        if key.query_string {
            rest.push_str(&request.querystring);
        }
        for name in &key.headers {
            rest.push('\n');
            rest.push_str(name);
            rest.push('=');
            if let Some(entries) = request.headers.get(name) {
                for e in entries {
                    rest.push_str(&e.value);
                    rest.push(',');
                }
            }
        }
        if key.all_cookies || !key.cookies.is_empty() {
            let mut cookies: Vec<&str> = request
                .headers
                .get("cookie")
                .into_iter()
                .flatten()
                .flat_map(|e| e.value.split(';'))
                .map(str::trim)
                .filter(|c| {
                    key.all_cookies
                        || c.split_once('=')
                            .is_some_and(|(name, _)| key.cookies.iter().any(|k| k == name))
                })
                .collect();
            cookies.sort_unstable();
            rest.push_str("\ncookies=");
            rest.push_str(&cookies.join(";"));
        }
        Key {
            distribution: self.distribution.id.clone(),
            path: request.uri.clone(),
            rest,
        }
    }

    fn send(&self, outgoing: Outgoing) -> Response {
        let status = StatusCode::from_u16(outgoing.status).unwrap_or(StatusCode::BAD_GATEWAY);
        let mut response = (status, outgoing.body).into_response();
        let headers = response.headers_mut();
        for (name, value) in &outgoing.headers {
            let lower = name.to_ascii_lowercase();
            if lower == "content-length" || origin::HOP_BY_HOP.contains(&lower.as_str()) {
                continue;
            }
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(lower.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(n, v);
            }
        }
        self.stamp(headers, outgoing.x_cache);
        if let Some(age) = outgoing.age {
            headers.insert("age", HeaderValue::from(age));
        }
        response
    }

    fn stamp(&self, headers: &mut axum::http::HeaderMap, x_cache: &'static str) {
        headers.insert("x-cache", HeaderValue::from_static(x_cache));
        headers.insert(
            "via",
            HeaderValue::from_static("1.1 lamina.cloudfront.net (CloudFront)"),
        );
        headers.insert("x-amz-cf-pop", HeaderValue::from_static("LAMINA1"));
        if let Ok(v) = HeaderValue::from_str(&self.request_id) {
            headers.insert("x-amz-cf-id", v);
        }
    }

    /// CloudFront's error answer for `failure`; Lambda validation errors are also logged to
    /// `/aws/cloudfront/LambdaEdge/<DistributionId>`.
    fn fail(&self, failure: Failure) -> Response {
        let (status, x_cache, text) = match &failure {
            Failure::Validation { arn, reason, event } => {
                self.log_validation(arn, *event, reason);
                (
                    502,
                    "LambdaValidationError from cloudfront",
                    "The Lambda function returned an invalid response (Lambda validation error).",
                )
            }
            Failure::Execution { .. } => (
                503,
                "LambdaExecutionError from cloudfront",
                "The Lambda function associated with the CloudFront distribution failed (Lambda execution error).",
            ),
            Failure::Limit { .. } => (
                503,
                "LambdaLimitExceeded from cloudfront",
                "The Lambda function associated with the CloudFront distribution was throttled or timed out (Lambda limit exceeded).",
            ),
            Failure::Origin(504, _) => (
                504,
                "Error from cloudfront",
                "CloudFront attempted to establish a connection with the origin, but the origin did not respond in time.",
            ),
            Failure::Origin(_, _) => (
                502,
                "Error from cloudfront",
                "CloudFront wasn't able to connect to the origin.",
            ),
        };
        tracing::warn!(distribution = %self.distribution.id, request_id = %self.request_id, ?failure, status, "edge request failed");
        let mut response = error_page(status, "", text, &self.request_id);
        self.stamp(response.headers_mut(), x_cache);
        response
    }

    fn log_validation(&self, arn: &str, event: Option<EventType>, reason: &str) {
        let Some(logs) = self
            .edge
            .app()
            .engine
            .as_ref()
            .and_then(|e| e.logs().durable().cloned())
        else {
            return;
        };
        let group = format!("/aws/cloudfront/LambdaEdge/{}", self.distribution.id);
        let now = self.edge.app().control.clock().now();
        let stream = format!(
            "{:04}/{:02}/{:02}/{}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            self.distribution.id
        );
        let line = serde_json::json!({
            "requestId": self.request_id,
            "distributionId": self.distribution.id,
            "distributionName": self.distribution.domain,
            "lambdaFunctionARN": arn,
            "eventType": event.map(EventType::as_str),
            "error": "LambdaValidationError",
            "message": reason,
        });
        logs.append(
            &group,
            &stream,
            vec![(lamina_logs::now_ms(), line.to_string())],
        );
    }
}

fn reason(status: u16) -> String {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
        .to_string()
}

/// CloudFront-style HTML error page.
fn error_page(status: u16, _kind: &str, text: &str, request_id: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let body = format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY>\n<H1>{status} ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n<HR noshade size=\"1px\">\n{text}\n<BR clear=\"all\">\n<HR noshade size=\"1px\">\n<PRE>\nGenerated by cloudfront (Lamina)\nRequest ID: {request_id}\n</PRE>\n</BODY></HTML>\n"
    );
    let mut response = (code, body).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("text/html"));
    if status == 403 {
        response
            .headers_mut()
            .insert("x-cache", HeaderValue::from_static("Error from cloudfront"));
    }
    response
}
