//! The gate in front of the API's routes: SigV4 verification with the data folder's access
//! keys, then the access rules of `lamina_auth::access` (read-only keys, foreign accounts,
//! resource policies), then an audit line for every authenticated mutation. A refused
//! request never reaches a route, so it changes nothing. The signature rules, keys and
//! policy evaluation live in `lamina-auth`; this module only wires them to HTTP.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lamina_auth::sigv4::{Claim, RequestHead};
use lamina_auth::{AuthError, Decision, Identity, KeyRing, Operation, Owner};

use crate::AppState;

/// Whether requests must be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Never (loopback only, or `--insecure-…` for tests).
    Off,
    /// Always.
    Required,
    /// As soon as any access key exists (checked at every request, so a key created while
    /// the server runs turns authentication on at once).
    Auto,
}

/// The gate's configuration.
pub struct Gate {
    /// Off, required or automatic.
    pub mode: AuthMode,
    /// The data folder's keys.
    pub keys: Arc<KeyRing>,
    /// Largest body read for verification (larger requests get 413 before any route).
    pub max_body_bytes: usize,
    /// Delays refusals to sources that keep failing.
    pub throttle: lamina_auth::throttle::FailureThrottle,
    /// Console sessions.
    pub sessions: lamina_auth::sessions::Sessions,
    /// Whether session cookies are marked `Secure` (the server serves TLS).
    pub secure_cookies: bool,
}

/// The session cookie (`HttpOnly`).
pub const SESSION_COOKIE: &str = "lamina_session";
/// The CSRF cookie the console's script reads and echoes in [`CSRF_HEADER`].
pub const CSRF_COOKIE: &str = "lamina_csrf";
/// The header carrying the CSRF token on changes.
pub const CSRF_HEADER: &str = "x-lamina-csrf";

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// Whether a change carries its session's CSRF token.
pub fn csrf_ok(session: &lamina_auth::sessions::Session, headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| session.csrf_matches(v))
}

/// The refusal of a change without its CSRF token (a cross-site post).
pub fn csrf_refusal() -> AuthError {
    AuthError::AccessDenied(
        "This change did not come from a Lamina console page (missing or wrong CSRF token)"
            .to_string(),
    )
}

impl Gate {
    /// The live console session of a request, if its key is still active.
    pub fn session(
        &self,
        headers: &axum::http::HeaderMap,
    ) -> Option<lamina_auth::sessions::Session> {
        let token = cookie(headers, SESSION_COOKIE)?;
        let session = self.sessions.get(token, std::time::Instant::now())?;
        match self.keys.lookup(&session.identity.access_key_id) {
            Some(_) => Some(session),
            None => {
                self.sessions.remove(token);
                None
            }
        }
    }

    /// Whether this request must be signed now.
    pub fn required(&self) -> bool {
        match self.mode {
            AuthMode::Off => false,
            AuthMode::Required => true,
            AuthMode::Auto => self.keys.any(),
        }
    }
}

/// Credential scopes accepted on this port: Lambda, and the Logs, CloudFront and CloudWatch
/// metrics APIs that share it.
const SERVICES: &[&str] = &["lambda", "logs", "cloudfront", "monitoring"];

/// Paths that carry their own capability: `Code.Location` URLs name a zip by its SHA-256,
/// which only a caller allowed to `GetFunction` learns (as AWS hands out a presigned S3 URL).
fn exempt(path: &str) -> bool {
    path.starts_with("/lamina/code/")
}

/// A refusal in Lambda's error format.
pub fn refuse(error: &AuthError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::FORBIDDEN);
    let body = serde_json::json!({ "Type": "User", "Message": error.to_string() });
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("x-amzn-errortype", HeaderValue::from_static(error.code()));
    response
}

fn not_found(message: String) -> Response {
    crate::error::ApiError(lamina_model::LambdaError::not_found(message)).into_response()
}

/// Marks a response as an authentication refusal (for the throttle).
#[derive(Debug, Clone, Copy)]
struct Refusal;

/// The middleware: verifies, decides, audits; refusals of authentication (not of access)
/// to a source that keeps failing are answered after the throttle's delay.
pub async fn check(
    State((state, gate)): State<(Arc<AppState>, Arc<Gate>)>,
    request: Request,
    next: Next,
) -> Response {
    if !gate.required() || exempt(request.uri().path()) {
        return next.run(request).await;
    }
    let source = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    // A Prometheus on the same machine scrapes without signing; from anywhere else the
    // exposition needs a signature like every other route.
    if request.uri().path() == "/metrics" && source.is_some_and(|ip| ip.is_loopback()) {
        return next.run(request).await;
    }
    let response = verify(state, Arc::clone(&gate), request, next).await;
    if let (Some(ip), Some(Refusal)) = (source, response.extensions().get::<Refusal>()) {
        let delay = gate.throttle.failed(ip, std::time::Instant::now());
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    response
}

async fn verify(state: Arc<AppState>, gate: Arc<Gate>, request: Request, next: Next) -> Response {
    let source = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string())
        .unwrap_or_else(|| "-".to_string());
    let (parts, body) = request.into_parts();
    // A console session (cookie) stands for its key when the request carries no signature;
    // a change must also echo the session's CSRF token.
    let signed = parts.headers.contains_key("authorization")
        || parts
            .uri
            .query()
            .is_some_and(|q| q.contains("X-Amz-Algorithm="));
    if !signed && let Some(session) = gate.session(&parts.headers) {
        if !matches!(parts.method.as_str(), "GET" | "HEAD") && !csrf_ok(&session, &parts.headers) {
            return refused(csrf_refusal(), &parts, &source);
        }
        return authorize(state, session.identity, parts, body, next, source).await;
    }
    let (identity, claim) = {
        let head = RequestHead::from_parts(&parts);
        let claim = match Claim::parse(&head) {
            Ok(c) => c,
            Err(e) => return refused(e, &parts, &source),
        };
        // Long-term keys carry no session token; a token means credentials Lamina did
        // not issue, which AWS answers as an unknown key.
        let found = match claim.security_token {
            None => gate.keys.lookup(&claim.access_key_id),
            Some(_) => None,
        };
        let Some((identity, secret)) = found else {
            return refused(AuthError::UnrecognizedClient, &parts, &source);
        };
        let account = state.control.account();
        if let Err(e) = claim
            .check_scope(&account.region, SERVICES)
            .and_then(|()| claim.check_time(time::OffsetDateTime::now_utc()))
        {
            return refused(e, &parts, &source);
        }
        (identity, (claim, secret))
    };
    let (claim, secret) = claim;
    let bytes = match axum::body::to_bytes(body, gate.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return refused(
                AuthError::TooLarge(gate.max_body_bytes as u64),
                &parts,
                &source,
            );
        }
    };
    if let Err(e) = claim.verify(&RequestHead::from_parts(&parts), &bytes, &secret) {
        return refused(e, &parts, &source);
    }
    authorize(state, identity, parts, Body::from(bytes), next, source).await
}

/// What the identity may do: the access rules, the resource policy for a foreign invoke;
/// then the route, and the audit line for a change.
async fn authorize(
    state: Arc<AppState>,
    identity: Identity,
    parts: axum::http::request::Parts,
    body: Body,
    next: Next,
    source: String,
) -> Response {
    let operation = Operation::classify(parts.method.as_str(), parts.uri.path());
    let qualifier = crate::routes::QueryParams::parse(parts.uri.query())
        .get("Qualifier")
        .map(str::to_string);
    let account = state.control.account();
    let owner = Owner {
        account_id: &account.account_id,
        region: &account.region,
    };
    match lamina_auth::decide(&identity, &owner, &operation, qualifier.as_deref()) {
        Decision::Allow => {}
        Decision::EmptyList => {
            return axum::Json(serde_json::json!({ "Functions": [] })).into_response();
        }
        Decision::NotFound(message) => return not_found(message),
        Decision::Deny(e) => return refused(e, &parts, &source),
        Decision::NeedsPolicy {
            name,
            qualifier,
            resource,
        } => {
            let action = operation.action();
            let allowed = match state.control.get_policy(&name, qualifier.as_deref()).await {
                Ok((document, _)) => document["Statement"]
                    .as_array()
                    .is_some_and(|s| lamina_auth::policy_allows(s, &identity, &action, &resource)),
                Err(_) => false,
            };
            if !allowed {
                return refused(
                    lamina_auth::policy_denied(&identity, &action, &resource),
                    &parts,
                    &source,
                );
            }
        }
    }
    let mut request = Request::from_parts(parts, body);
    request.extensions_mut().insert(identity.clone());
    let response = next.run(request).await;
    if operation.mutates {
        audit(&identity, &operation, &source, response.status());
    }
    response
}

/// One structured line per authenticated mutation (`target: lamina::audit`).
fn audit(identity: &Identity, operation: &Operation, source: &str, status: StatusCode) {
    tracing::info!(
        target: "lamina::audit",
        account = %identity.account_id,
        key = %identity.access_key_id,
        operation = %operation.name,
        resource = %operation.function.as_deref().unwrap_or("-"),
        source = %source,
        status = status.as_u16(),
        "audit"
    );
}

/// Logs why (for the operator) and answers in Lambda's words (for the client).
fn refused(error: AuthError, parts: &axum::http::request::Parts, source: &str) -> Response {
    tracing::debug!(
        method = %parts.method,
        path = parts.uri.path(),
        source,
        code = error.code(),
        reason = %error,
        "request refused"
    );
    let mut response = refuse(&error);
    if !matches!(error, AuthError::AccessDenied(_)) {
        response.extensions_mut().insert(Refusal);
    }
    response
}
