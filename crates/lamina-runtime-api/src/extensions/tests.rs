//! Router tests of the Extensions API: the app called in-process with the platform side
//! driven through `Core`, as `RuntimeApi` drives it. They pin the registration rules, the
//! event shapes, and the phases that wait for extensions (init, post-invoke, shutdown).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{EventKind, ShutdownReason, shutdown_event};
use crate::endpoints::router;
use crate::invocation::{InitOutcome, Invocation, InvokeOutcome};
use crate::state::{Core, FunctionInfo};

const REGISTER: &str = "/2020-01-01/extension/register";
const EXT_NEXT: &str = "/2020-01-01/extension/event/next";
const RT_NEXT: &str = "/2018-06-01/runtime/invocation/next";

fn setup() -> (Arc<Core>, Router) {
    let core = Arc::new(Core::new(
        crate::MAX_RESPONSE_BYTES,
        FunctionInfo {
            function_name: "f".into(),
            function_version: "$LATEST".into(),
            handler: "app.handler".into(),
            account_id: "123456789012".into(),
        },
        crate::loopback_connector(),
    ));
    let app = router(core.clone());
    (core, app)
}

struct Reply {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    Reply {
        status: resp.status(),
        headers: resp.headers().clone(),
        body: resp.into_body().collect().await.unwrap().to_bytes(),
    }
}

async fn register(app: &Router, name: &str, events: &str) -> Reply {
    call(
        app,
        Method::POST,
        REGISTER,
        &[("Lambda-Extension-Name", name)],
        &format!(r#"{{"events":{events}}}"#),
    )
    .await
}

fn id_of(r: &Reply) -> String {
    r.headers["lambda-extension-identifier"]
        .to_str()
        .unwrap()
        .to_owned()
}

fn spawn_next(app: &Router, id: &str) -> tokio::task::JoinHandle<Reply> {
    let app = app.clone();
    let id = id.to_owned();
    tokio::spawn(async move {
        call(
            &app,
            Method::GET,
            EXT_NEXT,
            &[("Lambda-Extension-Identifier", &id)],
            "",
        )
        .await
    })
}

fn inv(id: &str) -> Invocation {
    Invocation {
        request_id: id.to_owned(),
        payload: Bytes::from_static(b"{}"),
        deadline_ms: 1_700_000_000_123,
        invoked_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
        trace_id: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
            .into(),
        client_context: None,
        cognito_identity: None,
    }
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

#[tokio::test]
async fn register_answers_the_function_and_an_identifier() {
    let (core, app) = setup();
    core.extensions.expect(vec!["ext-a".into()]);
    let r = register(&app, "ext-a", r#"["INVOKE","SHUTDOWN"]"#).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"functionName": "f", "functionVersion": "$LATEST", "handler": "app.handler"})
    );
    assert_eq!(id_of(&r).len(), 36);
    let with_account = call(
        &app,
        Method::POST,
        REGISTER,
        &[
            ("Lambda-Extension-Name", "internal"),
            ("Lambda-Extension-Accept-Feature", "accountId"),
        ],
        r#"{"events":["INVOKE"]}"#,
    )
    .await;
    assert_eq!(with_account.json()["accountId"], "123456789012");
    assert!(core.extensions.wait_registered(soon()).await);
}

#[tokio::test]
async fn bad_registrations_get_the_emulators_error_types() {
    let (core, app) = setup();
    core.extensions.expect(vec!["ext".into()]);
    let cases = [
        ("", r#"["INVOKE"]"#, "Extension.InvalidExtensionName"),
        ("ext", r#"["INVOKE","BOOT"]"#, "Extension.InvalidEventType"),
        ("internal", r#"["SHUTDOWN"]"#, "Extension.InvalidEventType"),
    ];
    for (name, events, want) in cases {
        let r = register(&app, name, events).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name} {events}");
        assert_eq!(r.json()["errorType"], want);
    }
    assert_eq!(register(&app, "ext", "[]").await.status, StatusCode::OK);
    assert_eq!(
        register(&app, "ext", "[]").await.json()["errorType"],
        "Extension.InvalidExtensionName"
    );
    for i in 1..crate::MAX_EXTENSIONS {
        assert_eq!(
            register(&app, &format!("i{i}"), r#"["INVOKE"]"#)
                .await
                .status,
            StatusCode::OK
        );
    }
    assert_eq!(
        register(&app, "eleventh", r#"["INVOKE"]"#).await.json()["errorType"],
        "Extension.TooManyExtensions"
    );
    let r = call(&app, Method::GET, EXT_NEXT, &[], "").await;
    assert_eq!(
        r.json()["errorType"],
        "Extension.MissingExtensionIdentifier"
    );
    let r = call(
        &app,
        Method::GET,
        EXT_NEXT,
        &[("Lambda-Extension-Identifier", "nope")],
        "",
    )
    .await;
    assert_eq!(
        r.json()["errorType"],
        "Extension.UnknownExtensionIdentifier"
    );
}

#[tokio::test]
async fn registration_closes_when_the_runtime_finishes_init() {
    let (_core, app) = setup();
    let runtime_next = {
        let app = app.clone();
        tokio::spawn(async move { call(&app, Method::GET, RT_NEXT, &[], "").await })
    };
    // The runtime's /next has run far enough to close registration once this poll returns.
    let mut closed = false;
    for _ in 0..100 {
        let r = register(&app, "late", r#"["INVOKE"]"#).await;
        if r.status == StatusCode::FORBIDDEN {
            assert_eq!(r.json()["errorType"], "Extension.RegistrationClosed");
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(closed);
    runtime_next.abort();
}

#[tokio::test]
async fn init_waits_for_every_extension_next_and_invoke_waits_for_it_again() {
    let (core, app) = setup();
    core.extensions.expect(vec!["ext".into()]);
    let id = id_of(&register(&app, "ext", r#"["INVOKE","SHUTDOWN"]"#).await);
    // The runtime finished init, the extension has not: init is not done.
    let rt = {
        let app = app.clone();
        tokio::spawn(async move { call(&app, Method::GET, RT_NEXT, &[], "").await })
    };
    let short = Instant::now() + Duration::from_millis(100);
    assert_eq!(core.wait_init(short).await, InitOutcome::TimedOut);
    let ext_next = spawn_next(&app, &id);
    assert_eq!(core.wait_init(soon()).await, InitOutcome::Ready);

    // An invocation reaches the runtime and the extension at once.
    let invoke = {
        let core = core.clone();
        tokio::spawn(async move { core.invoke(inv("req-1")).await })
    };
    let event = ext_next.await.unwrap();
    assert_eq!(event.status, StatusCode::OK);
    assert_eq!(
        event.json(),
        json!({"eventType": "INVOKE", "deadlineMs": 1_700_000_000_123u64, "requestId": "req-1",
               "invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
               "tracing": {"type": "X-Amzn-Trace-Id",
                           "value": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}})
    );
    assert!(
        event
            .headers
            .contains_key("lambda-extension-event-identifier")
    );
    assert_eq!(rt.await.unwrap().status, StatusCode::OK);
    let ok = call(
        &app,
        Method::POST,
        "/2018-06-01/runtime/invocation/req-1/response",
        &[],
        "1",
    )
    .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED);
    assert_eq!(
        invoke.await.unwrap().unwrap(),
        InvokeOutcome::Response(Bytes::from_static(b"1"))
    );
    // The runtime answered; the extension is still busy with the INVOKE.
    let short = Instant::now() + Duration::from_millis(100);
    assert_eq!(core.extensions.wait_all_next(short).await, None);
    assert_eq!(core.extensions.laggards(), ["ext"]);
    let second_next = spawn_next(&app, &id);
    assert_eq!(core.extensions.wait_all_next(soon()).await, Some(Ok(())));

    // Shutdown reaches the extension registered for it.
    assert_eq!(
        core.extensions.dispatch(
            EventKind::Shutdown,
            shutdown_event(ShutdownReason::Spindown, 7)
        ),
        1
    );
    let shutdown = second_next.await.unwrap();
    assert_eq!(
        shutdown.json(),
        json!({"eventType": "SHUTDOWN", "shutdownReason": "SPINDOWN", "deadlineMs": 7})
    );
}

#[tokio::test]
async fn extension_init_error_fails_init_with_its_type_and_exit_error_stops_the_wait() {
    let (core, app) = setup();
    core.extensions.expect(vec!["ext".into(), "other".into()]);
    let id = id_of(&register(&app, "ext", r#"["INVOKE"]"#).await);
    let missing = call(
        &app,
        Method::POST,
        "/2020-01-01/extension/init/error",
        &[("Lambda-Extension-Identifier", &id)],
        "",
    )
    .await;
    assert_eq!(missing.json()["errorType"], "Extension.MissingHeader");
    let posted = call(
        &app,
        Method::POST,
        "/2020-01-01/extension/init/error",
        &[
            ("Lambda-Extension-Identifier", &id),
            (
                "Lambda-Extension-Function-Error-Type",
                "Extension.ConfigInvalid",
            ),
        ],
        r#"{"errorMessage":"bad config","errorType":"ConfigInvalid","stackTrace":[]}"#,
    )
    .await;
    assert_eq!(posted.status, StatusCode::ACCEPTED);
    // "other" never registered, yet waiting stops: init failed.
    assert!(core.extensions.wait_registered(soon()).await);
    match core.wait_init(soon()).await {
        InitOutcome::Error { error_type, body } => {
            assert_eq!(error_type, "Extension.ConfigInvalid");
            assert!(String::from_utf8_lossy(&body).contains("bad config"));
        }
        other => panic!("{other:?}"),
    }

    let (core, app) = setup();
    let id = id_of(&register(&app, "internal", r#"["INVOKE"]"#).await);
    let exit = call(
        &app,
        Method::POST,
        "/2020-01-01/extension/exit/error",
        &[
            ("Lambda-Extension-Identifier", &id),
            ("Lambda-Extension-Function-Error-Type", "Extension.Crash"),
        ],
        "",
    )
    .await;
    assert_eq!(exit.status, StatusCode::ACCEPTED);
    assert_eq!(core.extensions.wait_all_next(soon()).await, Some(Ok(())));
}

#[tokio::test]
async fn reset_forgets_registrations_and_close_ends_the_long_poll() {
    let (core, app) = setup();
    core.extensions.expect(vec!["ext".into()]);
    let id = id_of(&register(&app, "ext", r#"["INVOKE"]"#).await);
    let waiting = spawn_next(&app, &id);
    core.reset();
    assert_eq!(core.extensions.count(), 0);
    // The expected names survive a reset: the same extension registers again.
    assert_eq!(
        register(&app, "ext", r#"["SHUTDOWN"]"#).await.status,
        StatusCode::OK
    );
    core.close();
    let r = waiting.await.unwrap();
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
}
