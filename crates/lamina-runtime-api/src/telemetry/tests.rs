//! Telemetry and Logs API tests: subscriptions made through the router, batches delivered by
//! the real delivery task to a real HTTP (or TCP) listener on this machine's loopback.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tower::ServiceExt;

use crate::endpoints::router;
use crate::state::{Core, FunctionInfo};

fn setup() -> (Arc<Core>, Router) {
    let core = Arc::new(Core::new(
        crate::MAX_RESPONSE_BYTES,
        FunctionInfo::default(),
        crate::loopback_connector(),
    ));
    let app = router(core.clone());
    (core, app)
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: String,
) -> (StatusCode, Value, http::HeaderMap) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, v, headers)
}

async fn register(app: &Router, name: &str) -> String {
    let (status, _, headers) = call(
        app,
        Method::POST,
        "/2020-01-01/extension/register",
        &[("Lambda-Extension-Name", name)],
        r#"{"events":["INVOKE"]}"#.into(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    headers["lambda-extension-identifier"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// A subscriber's HTTP listener: every POSTed batch (a JSON array) comes out of the channel.
async fn listener() -> (u16, mpsc::UnboundedReceiver<Vec<Value>>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new().route(
        "/telemetry",
        axum::routing::post(move |body: axum::body::Bytes| {
            let tx = tx.clone();
            async move {
                let batch: Vec<Value> = serde_json::from_slice(&body).unwrap();
                let _ = tx.send(batch);
                "ok"
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(l, app).await });
    (port, rx)
}

async fn records(rx: &mut mpsc::UnboundedReceiver<Vec<Value>>, want: usize) -> Vec<Value> {
    let mut all = Vec::new();
    while all.len() < want {
        let batch = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        all.extend(batch);
    }
    all
}

fn types(records: &[Value]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn subscriber_gets_inits_backlog_then_live_records_in_batches() {
    let (core, app) = setup();
    let telemetry = core.telemetry.clone();
    telemetry.platform(
        "platform.initStart",
        json!({"initializationType": "on-demand", "phase": "init"}),
    );
    telemetry.function_line("init line");
    let id = register(&app, "ext").await;
    let (port, mut rx) = listener().await;
    let body = format!(
        r#"{{"schemaVersion":"2022-07-01","types":["platform","function"],
            "buffering":{{"maxItems":1000,"maxBytes":262144,"timeoutMs":25}},
            "destination":{{"protocol":"HTTP","URI":"http://sandbox.localdomain:{port}/telemetry"}}}}"#
    );
    let (status, answer, _) = call(
        &app,
        Method::PUT,
        "/2022-07-01/telemetry",
        &[("Lambda-Extension-Identifier", &id)],
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!("OK"));
    let first = records(&mut rx, 4).await;
    assert_eq!(
        types(&first),
        [
            "platform.initStart",
            "function",
            "platform.extension",
            "platform.telemetrySubscription"
        ]
    );
    assert_eq!(first[1]["record"], "init line");
    assert_eq!(
        first[2]["record"],
        json!({"name": "ext", "state": "Ready", "events": ["INVOKE"]})
    );
    assert_eq!(
        first[3]["record"],
        json!({"name": "ext", "state": "Subscribed", "types": ["platform", "function"]})
    );

    telemetry.close_subscriptions();
    telemetry.platform("platform.start", json!({"requestId": "r1"}));
    telemetry.extension_line("not subscribed to extension lines");
    telemetry.platform(
        "platform.report",
        json!({"requestId": "r1", "status": "success"}),
    );
    let live = records(&mut rx, 2).await;
    assert_eq!(types(&live), ["platform.start", "platform.report"]);
    assert_eq!(live[1]["record"]["requestId"], "r1");

    // After init, subscribing is closed.
    let (status, err, _) = call(
        &app,
        Method::PUT,
        "/2022-07-01/telemetry",
        &[("Lambda-Extension-Identifier", &id)],
        body,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        err,
        json!({"errorMessage": "Telemetry API subscription is closed", "errorType": "Telemetry.SubscriptionClosed"})
    );
}

#[tokio::test]
async fn subscription_errors() {
    let (_core, app) = setup();
    let ok = r#"{"schemaVersion":"2022-07-01","types":["platform"],"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:4243"}}"#;
    let (status, err, _) = call(&app, Method::PUT, "/2022-07-01/telemetry", &[], ok.into()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(err["errorType"], "Extension.MissingExtensionIdentifier");
    let id = register(&app, "ext").await;
    let bad = r#"{"schemaVersion":"2022-07-01","types":["platform"],"buffering":{"maxItems":10},"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:4243"}}"#;
    let (status, err, _) = call(
        &app,
        Method::PUT,
        "/2022-07-01/telemetry",
        &[("Lambda-Extension-Identifier", &id)],
        bad.into(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["errorType"], "ValidationError");
    let (status, _, _) = call(
        &app,
        Method::PUT,
        "/2022-07-01/telemetry",
        &[("Lambda-Extension-Identifier", &id)],
        ok.into(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let logs = r#"{"schemaVersion":"2021-03-18","types":["platform"],"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:4243"}}"#;
    let (status, err, _) = call(
        &app,
        Method::PUT,
        "/2020-08-15/logs",
        &[("Lambda-Extension-Identifier", &id)],
        logs.into(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
}

#[tokio::test]
async fn logs_api_subscriber_gets_its_own_record_types_over_tcp() {
    let (core, app) = setup();
    let id = register(&app, "logs-ext").await;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let body = format!(
        r#"{{"schemaVersion":"2021-03-18","types":["platform","function"],"buffering":{{"timeoutMs":25}},
            "destination":{{"protocol":"TCP","port":{port}}}}}"#
    );
    let (status, _, _) = call(
        &app,
        Method::PUT,
        "/2020-08-15/logs",
        &[("Lambda-Extension-Identifier", &id)],
        body,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let telemetry = core.telemetry.clone();
    telemetry.close_subscriptions();
    telemetry.platform(
        "platform.initReport",
        json!({"initializationType": "on-demand"}),
    );
    telemetry.platform("platform.start", json!({"requestId": "r9"}));
    telemetry.function_line("hello");
    telemetry.platform(
        "platform.runtimeDone",
        json!({"requestId": "r9", "status": "success"}),
    );
    let (mut sock, _) = tokio::time::timeout(Duration::from_secs(5), l.accept())
        .await
        .unwrap()
        .unwrap();
    let mut text = String::new();
    let mut buf = [0u8; 4096];
    while text.lines().count() < 5 {
        let n = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::io::AsyncReadExt::read(&mut sock, &mut buf),
        )
        .await
        .unwrap()
        .unwrap();
        assert!(n > 0);
        text.push_str(std::str::from_utf8(&buf[..n]).unwrap());
    }
    let got: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        types(&got),
        [
            "platform.extension",
            "platform.logsSubscription",
            "platform.start",
            "function",
            "platform.end"
        ]
    );
    assert_eq!(got[4]["record"], json!({"requestId": "r9"}));
}
