//! End to end: Lamina's Node.js runtime client (`runtimes/nodejs/bootstrap.js`) as a real
//! child process against a real `RuntimeApi`, with the fixture functions under
//! `tests/fixtures/node`.

mod common;

use std::time::{Duration, Instant};

use common::{Sandbox, TRACE, error_json, init_error_json, invocation, now_ms, response_json};
use lamina_runtime_api::{InitOutcome, InvokeOutcome};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_esm_handler_sees_event_context_and_trace_id() {
    let sb = Sandbox::node("index.handler", "esm");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let mut inv = invocation("req-node-1", r#"{"name":"grace"}"#, 30);
    let deadline = inv.deadline_ms;
    inv.client_context = Some(r#"{"custom":{"k":"v"}}"#.into());
    inv.cognito_identity =
        Some(r#"{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}"#.into());
    let mut got = response_json(sb.invoke(inv).await);
    let expected_remaining = deadline.saturating_sub(now_ms()) as i64;
    let remaining = got["remainingMs"].as_i64().unwrap();
    assert!(
        (remaining - expected_remaining).abs() < 1000,
        "remaining {remaining} vs {expected_remaining}"
    );
    got.as_object_mut().unwrap().remove("remainingMs");
    assert_eq!(
        got,
        json!({
            "event": {"name": "grace"},
            "awsRequestId": "req-node-1",
            "functionName": "fixture",
            "functionVersion": "$LATEST",
            "invokedFunctionArn": common::ARN,
            "memoryLimitInMB": "256",
            "logGroupName": "/aws/lambda/fixture",
            "logStreamName": "2026/11/26/[$LATEST]0123456789abcdef",
            "callbackWaitsForEmptyEventLoop": true,
            "clientContext": {"custom": {"k": "v"}},
            "identity": {"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"},
            "traceEnv": TRACE,
        })
    );

    // Warm second invoke: new id and trace id, no context headers.
    let mut inv = invocation("req-node-2", "7", 30);
    inv.trace_id = "Root=1-00000000-000000000000000000000002;Sampled=0".into();
    let got = response_json(sb.invoke(inv).await);
    assert_eq!(got["awsRequestId"], "req-node-2");
    assert_eq!(got["event"], 7);
    assert!(got.get("clientContext").is_none() && got.get("identity").is_none());
    assert_eq!(
        got["traceEnv"],
        "Root=1-00000000-000000000000000000000002;Sampled=0"
    );

    // console.* lines: `<ISO time>\t<request id>\t<LEVEL>\t<message>`, newlines as \r.
    let out = sb.output_containing("req-node-2\tINFO\thandling undefined");
    let lines: Vec<&str> = out.lines().collect();
    let init = lines
        .iter()
        .find(|l| l.ends_with("\tundefined\tINFO\tinit log line"));
    assert!(init.is_some(), "{out:?}");
    let handling = lines
        .iter()
        .find(|l| l.ends_with("\treq-node-1\tINFO\thandling grace"))
        .unwrap_or_else(|| panic!("{out:?}"));
    let ts = handling.split('\t').next().unwrap();
    assert_eq!(ts.len(), 24, "{ts}");
    assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T', "{ts}");
    assert!(out.contains("\treq-node-1\tINFO\tmulti\rline\n"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throwing_async_handler_posts_node_error_shape() {
    let sb = Sandbox::node("index.throws", "esm");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let (error_type, body) = error_json(sb.invoke(invocation("req-throw", "{}", 30)).await);
    assert_eq!(error_type, "Runtime.Unknown");
    assert_eq!(body["errorType"], "Error");
    assert_eq!(body["errorMessage"], "boom");
    let trace: Vec<&str> = body["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(trace[0], "Error: boom");
    assert!(trace[1].contains("index.mjs"), "{trace:?}");
    assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
    let out = sb.output_containing("Invoke Error");
    assert!(
        out.contains(
            "\treq-throw\tERROR\tInvoke Error \t{\"errorType\":\"Error\",\"errorMessage\":\"boom\""
        ),
        "{out:?}"
    );
    // Still serving.
    let (_, again) = error_json(sb.invoke(invocation("req-throw-2", "{}", 30)).await);
    assert_eq!(again["errorMessage"], "boom");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_handler_waits_for_the_empty_event_loop() {
    let sb = Sandbox::node("callback.waits", "cjs");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let started = Instant::now();
    let got = response_json(sb.invoke(invocation("req-cb", "{}", 30)).await);
    let took = started.elapsed();
    assert_eq!(got["waited"], true);
    assert!(
        took >= Duration::from_millis(250),
        "answered after {took:?}"
    );
    let out = sb.output_containing("timer fired");
    assert!(out.contains("\treq-cb\tINFO\ttimer fired"), "{out:?}");
    // The process keeps serving after the event loop emptied.
    let got = response_json(sb.invoke(invocation("req-cb-2", "{}", 30)).await);
    assert_eq!(got["waited"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_handler_can_skip_waiting_for_the_event_loop() {
    let sb = Sandbox::node("callback.nowait", "cjs");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let started = Instant::now();
    let got = response_json(sb.invoke(invocation("req-nowait", "{}", 30)).await);
    assert_eq!(got["waited"], false);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_error_promise_and_nested_handlers() {
    let sb = Sandbox::node("callback.fails", "cjs");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let (_, body) = error_json(sb.invoke(invocation("req-f", "{}", 30)).await);
    assert_eq!(body["errorType"], "TypeError");
    assert_eq!(body["errorMessage"], "bad input");
    drop(sb);

    let sb = Sandbox::node("callback.promise", "cjs");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let got = response_json(sb.invoke(invocation("req-p", r#"{"a":1}"#, 30)).await);
    assert_eq!(got, json!({"promised": {"a": 1}}));
    drop(sb);

    let sb = Sandbox::node("callback.nested.deep", "cjs");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let got = response_json(sb.invoke(invocation("req-n", "[true]", 30)).await);
    assert_eq!(got, json!({"deep": [true]}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_module_is_import_module_error() {
    let mut sb = Sandbox::node("nope.handler", "cjs");
    let (error_type, body) = init_error_json(sb.init().await);
    assert_eq!(error_type, "Runtime.ImportModuleError");
    assert_eq!(body["errorType"], "Runtime.ImportModuleError");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with("Error: Cannot find module 'nope'\nRequire stack:"),
        "{message}"
    );
    assert!(
        body["trace"][0]
            .as_str()
            .unwrap()
            .starts_with("Runtime.ImportModuleError: Error: Cannot find module 'nope'")
    );
    assert_eq!(sb.wait_exit().code(), Some(1));
    let out = sb.output();
    assert!(
        out.contains(
            "\tundefined\tERROR\tUncaught Exception \t{\"errorType\":\"Runtime.ImportModuleError\""
        ),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_export_is_handler_not_found() {
    let mut sb = Sandbox::node("index.nope", "esm");
    let (error_type, body) = init_error_json(sb.init().await);
    assert_eq!(error_type, "Runtime.HandlerNotFound");
    assert_eq!(body["errorType"], "Runtime.HandlerNotFound");
    assert_eq!(
        body["errorMessage"],
        "index.nope is undefined or not exported"
    );
    assert_eq!(sb.wait_exit().code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syntax_error_is_user_code_syntax_error() {
    let mut sb = Sandbox::node("syntax_error.handler", "cjs");
    let (error_type, body) = init_error_json(sb.init().await);
    assert_eq!(error_type, "Runtime.UserCodeSyntaxError");
    assert_eq!(body["errorType"], "Runtime.UserCodeSyntaxError");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.starts_with("SyntaxError: "), "{message}");
    assert_eq!(sb.wait_exit().code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_response_is_refused_and_the_runtime_recovers() {
    let sb = Sandbox::node("index.handler", "esm");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    // The event itself is echoed back, so a 7 MiB event makes a 7 MiB response.
    let big = format!("\"{}\"", "y".repeat(7 * 1024 * 1024));
    let outcome = sb.invoke(invocation("req-big", &big, 30)).await;
    assert_eq!(outcome, InvokeOutcome::ResponseTooLarge);
    let got = response_json(sb.invoke(invocation("req-after", "1", 30)).await);
    assert_eq!(got["awsRequestId"], "req-after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_invokes_reuse_one_keep_alive_connection() {
    let sb = Sandbox::node("callback.nested.deep", "cjs");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let (p50, p99) = common::measure_round_trips(&sb, 200).await;
    println!("node warm round trip: p50 {p50:.0} µs, p99 {p99:.0} µs");
    assert_eq!(sb.api.connections_accepted(), 1);
}

/// Warm round trips through the Node.js client; run by hand with `--release -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run by hand"]
async fn bench_node_warm_invoke_round_trip() {
    let sb = Sandbox::node("callback.nested.deep", "cjs");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    common::measure_round_trips(&sb, 500).await;
    let (p50, p99) = common::measure_round_trips(&sb, 5000).await;
    println!("node client, 5000 warm invokes: p50 {p50:.1} µs, p99 {p99:.1} µs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncaught_exception_fails_the_invoke_and_exits_129() {
    let mut sb = Sandbox::node("callback.crashes", "cjs");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let (_, body) = error_json(sb.invoke(invocation("req-crash", "{}", 30)).await);
    assert_eq!(body["errorType"], "Error");
    assert_eq!(body["errorMessage"], "async boom");
    assert_eq!(sb.wait_exit().code(), Some(129));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unhandled_rejection_fails_the_invoke_and_exits_128() {
    let mut sb = Sandbox::node("callback.rejects", "cjs");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let (error_type, body) = error_json(sb.invoke(invocation("req-reject", "{}", 30)).await);
    assert_eq!(error_type, "Runtime.UnhandledPromiseRejection");
    assert_eq!(body["errorType"], "Runtime.UnhandledPromiseRejection");
    assert_eq!(body["errorMessage"], "Error: nope");
    assert_eq!(sb.wait_exit().code(), Some(128));
}
