//! Lambda's REST API from a hostile client: any method, path, query, content type and body
//! sent to the real control-plane router (over an in-memory store, no engine). No request
//! panics or gets a 500, and every refusal is in Lambda's error format (an
//! `x-amzn-errortype` header and a JSON body).

#![no_main]

use std::sync::{Arc, OnceLock};

use arbitrary::Arbitrary;
use axum::Router;
use axum::body::Body;
use http::Request;
use http_body_util::BodyExt;
use lamina_api::{AppState, Control, ControlLimits};
use lamina_model::{Account, Clock, SystemClock};
use libfuzzer_sys::fuzz_target;
use tokio::runtime::Runtime;
use tower::ServiceExt;

const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"];
const PREFIXES: [&str; 8] = [
    "/2015-03-31/functions/",
    "/2015-03-31/functions",
    "/2018-10-31/layers/",
    "/2017-03-31/tags/",
    "/2019-09-25/functions/",
    "/2021-10-31/functions/",
    "/2016-08-19/account-settings/",
    "/lamina/",
];

#[derive(Debug, Arbitrary)]
struct Input {
    method: u8,
    prefix: u8,
    path: String,
    query: String,
    json: bool,
    body: Vec<u8>,
}

struct Harness {
    runtime: Runtime,
    router: Router,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let store: Arc<dyn lamina_store::Store> = Arc::new(lamina_store::MemoryStore::new());
        let control = Arc::new(Control::new(
            store,
            Account::default(),
            ControlLimits::default(),
            Arc::new(SystemClock) as Arc<dyn Clock>,
        ));
        let runtime_versions = Arc::clone(control.environments());
        let state = Arc::new(AppState {
            control,
            runtime_versions,
            base_url: "http://127.0.0.1:9001".into(),
            engine: None,
        });
        Harness {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime"),
            router: lamina_api::router(state),
        }
    })
}

fuzz_target!(|input: Input| {
    let h = harness();
    let method = METHODS[usize::from(input.method) % METHODS.len()];
    let prefix = PREFIXES[usize::from(input.prefix) % PREFIXES.len()];
    let uri = if input.query.is_empty() {
        format!("{prefix}{}", input.path)
    } else {
        format!("{prefix}{}?{}", input.path, input.query)
    };
    let mut request = Request::builder().method(method).uri(uri.as_str());
    if input.json {
        request = request.header("content-type", "application/json");
    }
    let Ok(request) = request.body(Body::from(input.body)) else {
        return; // not a request an HTTP server would have parsed
    };
    h.runtime.block_on(async {
        let response = h
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status().as_u16();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .map(|v| v.to_str().unwrap_or("").to_string());
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        assert_ne!(status, 500, "{method} {uri} got a 500: {body:?}");
        if status >= 400 && method != "HEAD" {
            assert!(
                error_type.is_some(),
                "{method} {uri} → {status} without x-amzn-errortype: {body:?}"
            );
            let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&body);
            assert!(
                parsed.is_ok_and(|v| v.is_object()),
                "{method} {uri} → {status} with a body that is not a JSON object: {body:?}"
            );
        }
    });
});
