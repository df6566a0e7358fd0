//! The console's routes called in process (`router().oneshot(request)`) over a control
//! plane on `MemoryStore` without an engine: pages render what the control layer holds,
//! search and pagination, escaping, the configuration route's validation (the API's own
//! errors), templates, and the answers when no engine can run a test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use http_body_util::BodyExt;
use lamina_api::{AppState, Control, ControlLimits, NoRuntimeVersions};
use lamina_model::{Account, SystemClock};
use lamina_store::MemoryStore;
use serde_json::{Value, json};
use tower::ServiceExt;

fn hello_zip() -> String {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(&mut buf);
        zip.start_file("app.py", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"def handler(e, c):\n    return e\n")
            .unwrap();
        zip.start_file("lib/util.py", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"X = 1\n").unwrap();
        zip.finish().unwrap();
    }
    base64::engine::general_purpose::STANDARD.encode(buf.into_inner())
}

async fn setup(functions: &[&str]) -> (Router, Arc<Control>) {
    let control = Arc::new(Control::new(
        Arc::new(MemoryStore::new()),
        Account {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
        },
        ControlLimits::default(),
        Arc::new(SystemClock),
    ));
    let zip = hello_zip();
    for name in functions {
        let input = serde_json::from_value(json!({
            "FunctionName": name,
            "Runtime": "python3.12",
            "Role": "arn:aws:iam::000000000000:role/r",
            "Handler": "app.handler",
            "Description": format!("<b>{name}</b>"),
            "Code": {"ZipFile": zip},
        }))
        .unwrap();
        control.create_function(input).await.unwrap();
    }
    let state = Arc::new(AppState {
        control: Arc::clone(&control),
        runtime_versions: Arc::new(NoRuntimeVersions),
        base_url: "http://127.0.0.1:9001".into(),
        engine: None,
    });
    let app = lamina_api::router(Arc::clone(&state)).merge(lamina_console::router(state));
    (app, control)
}

async fn send(app: &Router, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri);
    let body = match body {
        Some(v) => {
            req = req.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let resp = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn console_root_redirects_to_the_functions_list() {
    let (app, _) = setup(&[]).await;
    let resp = app
        .clone()
        .oneshot(Request::get("/console").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(resp.status().is_redirection());
    assert_eq!(resp.headers()["location"], "/console/functions");
    let (status, html) = send(&app, "GET", "/console/functions", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No functions yet"), "{html}");
}

#[tokio::test]
async fn functions_list_pages_past_fifty_and_searches() {
    let names: Vec<String> = (0..55).map(|i| format!("fn-{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (app, _) = setup(&refs).await;
    let (_, first) = send(&app, "GET", "/console/functions", None).await;
    assert!(first.contains("Page 1 of 2"), "{first}");
    assert!(first.contains(">fn-49<") && !first.contains(">fn-50<"));
    assert!(first.contains("id=\"next-page\""));
    let (_, second) = send(&app, "GET", "/console/functions?page=2", None).await;
    assert!(
        second.contains(">fn-50<") && second.contains(">fn-54<") && !second.contains(">fn-49<")
    );
    assert!(second.contains("id=\"prev-page\""));
    let (_, found) = send(&app, "GET", "/console/functions?q=FN-1", None).await;
    assert!(found.contains("(10)"), "ten functions match fn-1: {found}");
    assert!(!found.contains("Page 1 of"));
    // Description is searched too, and user text is escaped everywhere.
    let (_, by_description) = send(&app, "GET", "/console/functions?q=%3Cb%3Efn-07", None).await;
    assert!(by_description.contains(">fn-07<"));
    assert!(
        by_description.contains("&lt;b&gt;fn-07"),
        "the query is echoed escaped"
    );
}

#[tokio::test]
async fn function_page_tabs_render_and_escape() {
    let (app, _) = setup(&["alpha"]).await;
    for tab in [
        "test",
        "configuration",
        "code",
        "versions",
        "invocations",
        "logs",
    ] {
        let (status, html) = send(
            &app,
            "GET",
            &format!("/console/functions/alpha?tab={tab}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{tab}");
        assert!(
            !html.contains("<b>alpha</b>"),
            "{tab}: description must be escaped"
        );
    }
    let (_, code) = send(&app, "GET", "/console/functions/alpha?tab=code", None).await;
    assert!(
        code.contains("app.py") && code.contains("lib/util.py"),
        "{code}"
    );
    let (_, test) = send(&app, "GET", "/console/functions/alpha", None).await;
    assert!(test.contains("<optgroup label=\"s3\">"));
    assert!(test.contains("value=\"s3/put\""));
    assert!(
        test.contains("value=\"edge/viewer-request\""),
        "Lambda@Edge templates are offered"
    );
    assert!(test.contains("without an invoke engine"));
    let (status, missing) = send(&app, "GET", "/console/functions/ghost", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("Function not found"));
}

#[tokio::test]
async fn configuration_route_uses_the_control_layers_validation() {
    let (app, control) = setup(&["alpha"]).await;
    let (_, latest) = control.get_function("alpha", None).await.unwrap();
    let form = |memory: &str, env: &str| {
        json!({
            "MemorySize": memory, "Timeout": "3", "Description": "<b>alpha</b>",
            "Environment": env, "Layers": "", "RevisionId": latest.revision_id,
        })
    };
    let (status, body) = send(
        &app,
        "POST",
        "/console/api/functions/alpha/configuration",
        Some(form("100", "")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let err: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(err["Type"], "ValidationException");
    assert!(
        err["Message"].as_str().unwrap().contains("memorySize"),
        "{err}"
    );

    let (status, body) = send(
        &app,
        "POST",
        "/console/api/functions/alpha/configuration",
        Some(form("1024", "STAGE=dev\n\nX_1=a=b\n")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, v) = control.get_function("alpha", None).await.unwrap();
    assert_eq!(v.spec.memory_size, 1024);
    assert_eq!(v.spec.environment["STAGE"], "dev");
    assert_eq!(v.spec.environment["X_1"], "a=b");

    // The revision the form was loaded with is stale now: the API's precondition error.
    let (status, body) = send(
        &app,
        "POST",
        "/console/api/functions/alpha/configuration",
        Some(form("2048", "")),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");

    let mut bad_env = form("1024", "no equals sign");
    bad_env["RevisionId"] = json!(v.revision_id);
    let (status, body) = send(
        &app,
        "POST",
        "/console/api/functions/alpha/configuration",
        Some(bad_env),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("environment variables"), "{body}");
}

#[tokio::test]
async fn templates_and_tests_without_an_engine() {
    let (app, control) = setup(&["alpha"]).await;
    let (status, text) = send(&app, "GET", "/console/api/event-templates/s3/put", None).await;
    assert_eq!(status, StatusCode::OK);
    let event: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(event["Records"][0]["eventName"], "ObjectCreated:Put");
    let (status, _) = send(&app, "GET", "/console/api/event-templates/s3/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    control
        .put_test_event("alpha", "saved", "{}".into())
        .await
        .unwrap();
    let (status, body) = send(
        &app,
        "POST",
        "/console/api/functions/alpha/test",
        Some(json!({"Event": "saved"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(body.contains("without an invoke engine"));
    let (status, body) = send(
        &app,
        "POST",
        "/console/api/functions/alpha/test",
        Some(json!({"Event": "missing"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = send(
        &app,
        "POST",
        "/console/api/functions/alpha/test",
        Some(json!({"Payload": "{oops"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let huge = format!("\"{}\"", "x".repeat(6 * 1024 * 1024));
    let (status, _) = send(
        &app,
        "POST",
        "/console/api/functions/alpha/test",
        Some(json!({ "Payload": huge })),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn assets_are_embedded_with_their_types() {
    let (app, _) = setup(&[]).await;
    let resp = app
        .clone()
        .oneshot(
            Request::get("/console/assets/console.js")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let (status, css) = send(&app, "GET", "/console/assets/console.css", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(css.contains("@media"));
    let (status, _) = send(&app, "GET", "/console/assets/../Cargo.toml", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn environments_page_shows_host_and_no_plans() {
    let (app, _) = setup(&["alpha"]).await;
    let (status, html) = send(&app, "GET", "/console/environments", None).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"no-plans\""));
    assert!(html.contains("<strong>host</strong>"));
    assert!(html.contains(">alpha<"));
}
