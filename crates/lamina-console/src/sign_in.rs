//! Console sign-in with an access key, and the gate every console page passes while the
//! server requires authentication: without a session a page redirects to `/console/sign-in`
//! and anything else is refused; a change must echo the session's CSRF token (the script
//! sends the `lamina_csrf` cookie back as `x-lamina-csrf`) and is refused for a read-only
//! key. The session cookie is `HttpOnly`, `SameSite=Strict`, and `Secure` under TLS. Keys,
//! sessions and the throttle belong to `lamina-auth`; this module is their pages.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use lamina_api::auth::{CSRF_COOKIE, Gate, SESSION_COOKIE, csrf_ok, csrf_refusal, refuse};
use lamina_auth::AuthError;

use crate::html::{Section, esc, page};

/// What sign-in needs: the gate (keys, sessions, throttle) and the account this console
/// shows.
struct SignIn {
    gate: Arc<Gate>,
    account_id: String,
}

/// `GET|POST /console/sign-in`, `POST /console/sign-out`.
pub fn router(gate: Arc<Gate>, account_id: String) -> Router {
    Router::new()
        .route("/console/sign-in", get(form).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .with_state(Arc::new(SignIn { gate, account_id }))
}

/// The gate in front of every console route.
pub async fn require(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !gate.required() || path == "/console/sign-in" || path.starts_with("/console/assets/") {
        return next.run(request).await;
    }
    let reads = matches!(request.method().as_str(), "GET" | "HEAD");
    let Some(session) = gate.session(request.headers()) else {
        return if reads {
            Redirect::to("/console/sign-in").into_response()
        } else {
            refuse(&AuthError::MissingAuthenticationToken)
        };
    };
    if !reads {
        if !csrf_ok(&session, request.headers()) {
            return refuse(&csrf_refusal());
        }
        if session.identity.read_only && request.uri().path() != "/console/sign-out" {
            return refuse(&AuthError::AccessDenied(format!(
                "User: {} is signed in with a read-only key",
                session.identity.principal_arn()
            )));
        }
    }
    next.run(request).await
}

fn sign_in_page(message: Option<&str>) -> String {
    let error = message
        .map(|m| format!("<p class=\"bad\" role=\"alert\">{}</p>", esc(m)))
        .unwrap_or_default();
    page(
        "Sign in",
        Section::Functions,
        &format!(
            "<h1>Sign in</h1>{error}\
<form method=\"post\" action=\"/console/sign-in\" class=\"sign-in\">\
<label>Access key ID <input name=\"AccessKeyId\" autocomplete=\"username\" required></label>\
<label>Secret access key <input name=\"SecretAccessKey\" type=\"password\" autocomplete=\"current-password\" required></label>\
<button type=\"submit\">Sign in</button></form>\
<p>Create a key with <code>lamina auth create-key --account ID</code>.</p>"
        ),
    )
}

async fn form() -> Html<String> {
    Html(sign_in_page(None))
}

/// Whether a form post comes from this server's own pages: its `Origin`, when the browser
/// sends one, names the host the request was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin.split_once("://").map(|(_, h)| h) == Some(host)
}

async fn sign_in(State(s): State<Arc<SignIn>>, request: Request) -> Response {
    let source = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let (parts, body) = request.into_parts();
    if !same_origin(&parts.headers) {
        return refuse(&csrf_refusal());
    }
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024).await else {
        return refuse(&AuthError::TooLarge(16 * 1024));
    };
    let (mut id, mut secret) = (String::new(), String::new());
    for (k, v) in form_urlencoded::parse(&bytes) {
        match k.as_ref() {
            "AccessKeyId" => id = v.trim().to_string(),
            "SecretAccessKey" => secret = v.trim().to_string(),
            _ => {}
        }
    }
    let found = s
        .gate
        .keys
        .lookup(&id)
        .filter(|(_, stored)| lamina_auth::sessions::secrets_equal(stored, &secret));
    let Some((identity, _)) = found else {
        if let Some(addr) = source {
            let delay = s.gate.throttle.failed(addr.ip(), std::time::Instant::now());
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }
        let text = AuthError::UnrecognizedClient.to_string();
        return (StatusCode::FORBIDDEN, Html(sign_in_page(Some(&text)))).into_response();
    };
    if identity.account_id != s.account_id {
        let text = format!(
            "This console shows account {}; keys of account {} own nothing here.",
            s.account_id, identity.account_id
        );
        return (StatusCode::FORBIDDEN, Html(sign_in_page(Some(&text)))).into_response();
    }
    tracing::info!(
        target: "lamina::audit",
        account = %identity.account_id,
        key = %identity.access_key_id,
        operation = "ConsoleSignIn",
        resource = "-",
        source = %source.map_or_else(|| "-".to_string(), |a| a.to_string()),
        status = 303u16,
        "audit"
    );
    let (token, csrf) = s.gate.sessions.create(identity, std::time::Instant::now());
    let secure = if s.gate.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let ttl = lamina_auth::sessions::SESSION_TTL.as_secs();
    let mut response = Redirect::to("/console/functions").into_response();
    for cookie in [
        format!(
            "{SESSION_COOKIE}={token}; Path=/; Max-Age={ttl}; HttpOnly; SameSite=Strict{secure}"
        ),
        format!("{CSRF_COOKIE}={csrf}; Path=/; Max-Age={ttl}; SameSite=Strict{secure}"),
    ] {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

async fn sign_out(State(s): State<Arc<SignIn>>, headers: HeaderMap) -> Response {
    if let Some(token) = lamina_api::auth::cookie(&headers, SESSION_COOKIE) {
        s.gate.sessions.remove(token);
    }
    let mut response = Redirect::to("/console/sign-in").into_response();
    for name in [SESSION_COOKIE, CSRF_COOKIE] {
        if let Ok(value) = HeaderValue::from_str(&format!("{name}=; Path=/; Max-Age=0")) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
