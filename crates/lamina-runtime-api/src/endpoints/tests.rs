//! Router tests: the axum app called in-process, with the platform side driven through
//! `Core` exactly as `RuntimeApi` does. They pin the emulator's security state machine, the
//! status codes and the `/next` header set.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use super::router;
use crate::error::InvokeError;
use crate::invocation::{InitOutcome, Invocation, InvokeOutcome};
use crate::state::Core;

const NEXT: &str = "/2018-06-01/runtime/invocation/next";

fn setup() -> (Arc<Core>, Router) {
    let core = Arc::new(Core::new(
        crate::MAX_RESPONSE_BYTES,
        crate::FunctionInfo::default(),
        crate::loopback_connector(),
    ));
    let app = router(core.clone());
    (core, app)
}

fn inv(id: &str) -> Invocation {
    Invocation {
        request_id: id.to_owned(),
        payload: Bytes::from(format!("{{\"id\":\"{id}\"}}")),
        deadline_ms: 1_700_000_000_123,
        invoked_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f:prod".into(),
        trace_id: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
            .into(),
        client_context: None,
        cognito_identity: None,
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    fn error_type(&self) -> String {
        self.json()["errorType"].as_str().unwrap().to_owned()
    }
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

async fn next(app: &Router) -> Reply {
    call(app, Method::GET, NEXT, &[], Body::empty()).await
}

async fn post(app: &Router, uri: &str, body: &'static str) -> Reply {
    call(app, Method::POST, uri, &[], Body::from(body)).await
}

fn response_uri(id: &str) -> String {
    format!("/2018-06-01/runtime/invocation/{id}/response")
}

fn error_uri(id: &str) -> String {
    format!("/2018-06-01/runtime/invocation/{id}/error")
}

/// Spawns `invoke` so the runtime side can be driven from the test body.
fn spawn_invoke(
    core: &Arc<Core>,
    inv: Invocation,
) -> tokio::task::JoinHandle<Result<InvokeOutcome, InvokeError>> {
    let core = core.clone();
    tokio::spawn(async move { core.invoke(inv).await })
}

#[tokio::test]
async fn next_delivers_event_and_required_headers_only() {
    let (core, app) = setup();
    let pending = spawn_invoke(&core, inv("A"));
    let r = next(&app).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], br#"{"id":"A"}"#);
    let h = &r.headers;
    assert_eq!(h["lambda-runtime-aws-request-id"], "A");
    assert_eq!(h["lambda-runtime-deadline-ms"], "1700000000123");
    assert_eq!(
        h["lambda-runtime-invoked-function-arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:f:prod"
    );
    assert_eq!(
        h["lambda-runtime-trace-id"],
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    );
    assert_eq!(h["content-type"], "application/json");
    assert!(h.get("lambda-runtime-client-context").is_none());
    assert!(h.get("lambda-runtime-cognito-identity").is_none());
    assert_eq!(
        post(&app, &response_uri("A"), "1").await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        pending.await.unwrap().unwrap(),
        InvokeOutcome::Response(Bytes::from_static(b"1"))
    );
}

#[tokio::test]
async fn next_sends_client_context_and_cognito_identity_when_present() {
    let (core, app) = setup();
    let mut i = inv("A");
    i.client_context = Some(r#"{"custom":{"k":"v"}}"#.into());
    i.cognito_identity = Some(r#"{"cognitoIdentityId":"id"}"#.into());
    let _pending = spawn_invoke(&core, i);
    let r = next(&app).await;
    assert_eq!(
        r.headers["lambda-runtime-client-context"],
        r#"{"custom":{"k":"v"}}"#
    );
    assert_eq!(
        r.headers["lambda-runtime-cognito-identity"],
        r#"{"cognitoIdentityId":"id"}"#
    );
}

#[tokio::test]
async fn next_long_polls_until_an_invocation_arrives() {
    let (core, app) = setup();
    let poll = tokio::spawn({
        let app = app.clone();
        async move { next(&app).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!poll.is_finished(), "/next must wait for an invocation");
    let _pending = spawn_invoke(&core, inv("late"));
    let r = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.headers["lambda-runtime-aws-request-id"], "late");
}

#[tokio::test]
async fn response_and_error_before_next_are_invalid_state_transitions() {
    let (core, app) = setup();
    let _pending = spawn_invoke(&core, inv("A"));
    tokio::task::yield_now().await;
    for uri in [response_uri("A"), error_uri("A")] {
        let r = post(&app, &uri, "{}").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}");
        assert_eq!(r.error_type(), "InvalidStateTransition");
        assert!(
            r.json()["errorMessage"]
                .as_str()
                .unwrap()
                .contains("failed for runtime")
        );
    }
}

#[tokio::test]
async fn wrong_request_id_is_invalid_request_id() {
    let (core, app) = setup();
    let pending = spawn_invoke(&core, inv("A"));
    next(&app).await;
    for uri in [response_uri("Z"), error_uri("Z")] {
        let r = post(&app, &uri, "{}").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["errorType"], "InvalidRequestID");
        assert_eq!(r.json()["errorMessage"], "Invalid request ID");
    }
    // The wrong ids did not resolve the invoke.
    assert_eq!(
        post(&app, &response_uri("A"), "ok").await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        pending.await.unwrap().unwrap(),
        InvokeOutcome::Response(Bytes::from_static(b"ok"))
    );
}

#[tokio::test]
async fn old_request_id_after_the_next_next_is_rejected() {
    let (core, app) = setup();
    let a = spawn_invoke(&core, inv("A"));
    next(&app).await;
    assert_eq!(
        post(&app, &response_uri("A"), "a").await.status,
        StatusCode::ACCEPTED
    );
    a.await.unwrap().unwrap();
    let b = spawn_invoke(&core, inv("B"));
    next(&app).await;
    for uri in [response_uri("A"), error_uri("A")] {
        let r = post(&app, &uri, "{}").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.error_type(), "InvalidRequestID");
    }
    assert_eq!(
        post(&app, &error_uri("B"), "{}").await.status,
        StatusCode::ACCEPTED
    );
    assert!(matches!(
        b.await.unwrap().unwrap(),
        InvokeOutcome::Error { .. }
    ));
}

#[tokio::test]
async fn second_answer_for_the_same_id_is_rejected_and_caller_gets_the_first() {
    let (core, app) = setup();
    let pending = spawn_invoke(&core, inv("A"));
    next(&app).await;
    assert_eq!(
        post(&app, &response_uri("A"), "first").await.status,
        StatusCode::ACCEPTED
    );
    for uri in [response_uri("A"), error_uri("A")] {
        let r = post(&app, &uri, "second").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.error_type(), "InvalidStateTransition");
    }
    assert_eq!(
        pending.await.unwrap().unwrap(),
        InvokeOutcome::Response(Bytes::from_static(b"first"))
    );
}

#[tokio::test]
async fn next_while_holding_an_invocation_is_forbidden() {
    let (core, app) = setup();
    let _pending = spawn_invoke(&core, inv("A"));
    next(&app).await;
    let r = next(&app).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_type(), "InvalidStateTransition");
}

#[tokio::test]
async fn error_normalises_the_header_and_passes_the_body_verbatim() {
    let cases = [
        (
            Some("Runtime.ImportModuleError"),
            "Runtime.ImportModuleError",
        ),
        (Some("Unhandled"), "Runtime.Unknown"),
        (Some("Function.bad type"), "Function.Unknown"),
        (None, "Runtime.Unknown"),
    ];
    for (header, expected) in cases {
        let (core, app) = setup();
        let pending = spawn_invoke(&core, inv("A"));
        next(&app).await;
        let body = r#"{"errorMessage":"boom","errorType":"Exception","stackTrace":["  File x"]}"#;
        let headers: Vec<(&str, &str)> = header
            .map(|h| vec![("Lambda-Runtime-Function-Error-Type", h)])
            .unwrap_or_default();
        let r = call(
            &app,
            Method::POST,
            &error_uri("A"),
            &headers,
            Body::from(body),
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        assert_eq!(r.json()["status"], "OK");
        assert_eq!(
            pending.await.unwrap().unwrap(),
            InvokeOutcome::Error {
                error_type: expected.to_owned(),
                body: Bytes::from_static(body.as_bytes()),
            }
        );
    }
}

#[tokio::test]
async fn init_error_reaches_wait_init_and_closes_init() {
    let (core, app) = setup();
    let body = r#"{"errorMessage":"Unable to import module 'app': No module named 'app'","errorType":"Runtime.ImportModuleError","requestId":"","stackTrace":[]}"#;
    let r = call(
        &app,
        Method::POST,
        "/2018-06-01/runtime/init/error",
        &[(
            "Lambda-Runtime-Function-Error-Type",
            "Runtime.ImportModuleError",
        )],
        Body::from(body),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let outcome = core
        .wait_init(Instant::now() + Duration::from_secs(1))
        .await;
    assert_eq!(
        outcome,
        InitOutcome::Error {
            error_type: "Runtime.ImportModuleError".into(),
            body: Bytes::from_static(body.as_bytes()),
        }
    );
    // A failed runtime can neither report again nor take work.
    let again = post(&app, "/2018-06-01/runtime/init/error", "{}").await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    let n = next(&app).await;
    assert_eq!(n.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn first_next_completes_init_and_later_init_error_is_forbidden() {
    let (core, app) = setup();
    let deadline = Instant::now() + Duration::from_millis(30);
    assert_eq!(core.wait_init(deadline).await, InitOutcome::TimedOut);
    let poll = tokio::spawn({
        let app = app.clone();
        async move { next(&app).await }
    });
    let ready = core
        .wait_init(Instant::now() + Duration::from_secs(5))
        .await;
    assert_eq!(ready, InitOutcome::Ready);
    let r = post(&app, "/2018-06-01/runtime/init/error", "{}").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_type(), "InvalidStateTransition");
    poll.abort();
}

#[tokio::test]
async fn response_over_the_limit_is_413_and_resolves_as_too_large() {
    let (core, app) = setup();
    let pending = spawn_invoke(&core, inv("A"));
    next(&app).await;
    let big = vec![b'x'; crate::MAX_RESPONSE_BYTES + 1];
    let r = call(&app, Method::POST, &response_uri("A"), &[], Body::from(big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.error_type(), "RequestEntityTooLarge");
    assert_eq!(
        r.json()["errorMessage"],
        "Exceeded maximum allowed payload size (6291556 bytes)."
    );
    assert_eq!(
        pending.await.unwrap().unwrap(),
        InvokeOutcome::ResponseTooLarge
    );

    // The sandbox is not poisoned: a response of exactly the limit goes through.
    let pending = spawn_invoke(&core, inv("B"));
    next(&app).await;
    let exact = Bytes::from(vec![b'y'; crate::MAX_RESPONSE_BYTES]);
    let r = call(
        &app,
        Method::POST,
        &response_uri("B"),
        &[],
        Body::from(exact.clone()),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(
        pending.await.unwrap().unwrap(),
        InvokeOutcome::Response(exact)
    );
}

#[tokio::test]
async fn error_body_over_the_limit_is_413() {
    let (core, app) = setup();
    let pending = spawn_invoke(&core, inv("A"));
    next(&app).await;
    let big = vec![b'x'; crate::MAX_RESPONSE_BYTES + 10];
    let r = call(&app, Method::POST, &error_uri("A"), &[], Body::from(big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        pending.await.unwrap().unwrap(),
        InvokeOutcome::ResponseTooLarge
    );
}

#[tokio::test]
async fn invalid_response_mode_is_400_and_fails_the_invoke() {
    let (core, app) = setup();
    let pending = spawn_invoke(&core, inv("A"));
    next(&app).await;
    let r = call(
        &app,
        Method::POST,
        &response_uri("A"),
        &[("Lambda-Runtime-Function-Response-Mode", "telepathy")],
        Body::from("x"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_type(), "InvalidFunctionResponseMode");
    assert_eq!(
        pending.await.unwrap().unwrap(),
        InvokeOutcome::Error {
            error_type: "Runtime.InvalidResponseModeHeader".into(),
            body: Bytes::new()
        }
    );
}

#[tokio::test]
async fn unknown_path_is_404_and_wrong_method_is_405() {
    let (_core, app) = setup();
    let r = call(
        &app,
        Method::GET,
        "/2018-06-01/runtime/nope",
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_type(), "NotFound");
    let r = call(&app, Method::POST, NEXT, &[], Body::empty()).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = call(&app, Method::GET, &response_uri("A"), &[], Body::empty()).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = call(&app, Method::GET, "/2018-06-01/ping", &[], Body::empty()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], b"pong");
}

#[tokio::test]
async fn a_second_invoke_while_busy_is_refused() {
    let (core, app) = setup();
    let _a = spawn_invoke(&core, inv("A"));
    tokio::task::yield_now().await;
    let b = core.invoke(inv("B")).await;
    assert_eq!(
        b,
        Err(InvokeError::Busy {
            request_id: "A".into()
        })
    );
    next(&app).await;
    let c = core.invoke(inv("C")).await;
    assert_eq!(
        c,
        Err(InvokeError::Busy {
            request_id: "A".into()
        })
    );
}

#[tokio::test]
async fn dropping_an_undelivered_invoke_withdraws_it() {
    let (core, app) = setup();
    let fut = core.invoke(inv("gone"));
    let timed_out = tokio::time::timeout(Duration::from_millis(10), fut).await;
    assert!(timed_out.is_err());
    let pending = spawn_invoke(&core, inv("fresh"));
    let r = next(&app).await;
    assert_eq!(r.headers["lambda-runtime-aws-request-id"], "fresh");
    post(&app, &response_uri("fresh"), "1").await;
    pending.await.unwrap().unwrap();
}

#[tokio::test]
async fn late_answer_after_the_engine_gave_up_is_accepted_and_frees_the_runtime() {
    let (core, app) = setup();
    let fut = core.invoke(inv("slow"));
    let poll = tokio::spawn({
        let app = app.clone();
        async move { next(&app).await }
    });
    // The engine times out after delivery.
    let _ = tokio::time::timeout(Duration::from_millis(50), fut).await;
    poll.await.unwrap();
    // A new invoke can be queued while the abandoned one is still held…
    let pending = spawn_invoke(&core, inv("next"));
    tokio::task::yield_now().await;
    // …and the runtime's late answer is accepted and discarded.
    assert_eq!(
        post(&app, &response_uri("slow"), "late").await.status,
        StatusCode::ACCEPTED
    );
    let r = next(&app).await;
    assert_eq!(r.headers["lambda-runtime-aws-request-id"], "next");
    post(&app, &response_uri("next"), "fresh").await;
    assert_eq!(
        pending.await.unwrap().unwrap(),
        InvokeOutcome::Response(Bytes::from_static(b"fresh"))
    );
}

#[tokio::test]
async fn reset_refuses_the_old_runtime_and_keeps_the_queued_invocation() {
    let (core, app) = setup();
    let stale = tokio::spawn({
        let app = app.clone();
        async move { next(&app).await }
    });
    assert_eq!(
        core.wait_init(Instant::now() + Duration::from_secs(5))
            .await,
        InitOutcome::Ready
    );
    core.reset();
    let r = tokio::time::timeout(Duration::from_secs(5), stale)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let pending = spawn_invoke(&core, inv("after-reset"));
    tokio::task::yield_now().await;
    let r = next(&app).await;
    assert_eq!(r.headers["lambda-runtime-aws-request-id"], "after-reset");
    post(&app, &response_uri("after-reset"), "1").await;
    pending.await.unwrap().unwrap();
}

#[tokio::test]
async fn close_fails_pending_invokes() {
    let (core, app) = setup();
    let pending = spawn_invoke(&core, inv("A"));
    tokio::task::yield_now().await;
    core.close();
    assert_eq!(pending.await.unwrap(), Err(InvokeError::Closed));
    assert_eq!(next(&app).await.status, StatusCode::INTERNAL_SERVER_ERROR);
}

/// Reliability case 16: random methods, paths, headers and bodies never panic and never get a
/// 5xx. `/next` may legitimately wait, so every call is bounded.
#[tokio::test]
async fn fuzz_router_never_panics_or_returns_5xx() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    let (core, app) = setup();
    let _pending = spawn_invoke(&core, inv("A"));
    let mut rng = StdRng::seed_from_u64(0x1a31a);
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
    ];
    let segments = [
        "2018-06-01",
        "runtime",
        "invocation",
        "next",
        "A",
        "B",
        "response",
        "error",
        "init",
        "ping",
        "%2F",
        "..",
        "",
        "%ZZ",
        "2020-01-01",
        "extension",
        "register",
        "{id}",
    ];
    let header_values = [
        "Runtime.X",
        "Function.y",
        "",
        "streaming",
        "buffered",
        "x\u{7f}",
    ];
    for _ in 0..2000 {
        let n = rng.random_range(0..6);
        let path: String = (0..n)
            .map(|_| format!("/{}", segments[rng.random_range(0..segments.len())]))
            .collect();
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        let method = methods[rng.random_range(0..methods.len())].clone();
        let mut req = Request::builder().method(method).uri(path.as_str());
        if rng.random_bool(0.5) {
            let v = header_values[rng.random_range(0..header_values.len())];
            if http::HeaderValue::from_str(v).is_ok() {
                req = req.header("Lambda-Runtime-Function-Error-Type", v);
                req = req.header("Lambda-Runtime-Function-Response-Mode", v);
            }
        }
        if rng.random_bool(0.2) {
            req = req.header("content-length", "99999999999");
        }
        let len = rng.random_range(0..64);
        let body: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let req = req.body(Body::from(body)).unwrap();
        if let Ok(resp) =
            tokio::time::timeout(Duration::from_millis(20), app.clone().oneshot(req)).await
        {
            let status = resp.unwrap().status();
            assert!(
                status.is_success() || status.is_client_error(),
                "{path}: {status}"
            );
        }
    }
}
