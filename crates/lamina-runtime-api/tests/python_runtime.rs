//! End to end: Lamina's Python runtime client (`runtimes/python/bootstrap.py`) as a real
//! child process against a real `RuntimeApi`, with the fixture functions under
//! `tests/fixtures/python`.

mod common;

use common::{Sandbox, TRACE, error_json, init_error_json, invocation, now_ms, response_json};
use lamina_runtime_api::{InitOutcome, InvokeOutcome};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_sees_event_context_and_trace_id() {
    let sb = Sandbox::python("app.handler");
    assert_eq!(sb.init().await, InitOutcome::Ready);

    let mut inv = invocation("req-py-1", r#"{"name":"ada"}"#, 30);
    let deadline = inv.deadline_ms;
    inv.client_context = Some(r#"{"custom":{"k":"v"},"env":{"platform":"x"}}"#.into());
    inv.cognito_identity =
        Some(r#"{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}"#.into());
    let got = response_json(sb.invoke(inv).await);
    let expected_remaining = deadline.saturating_sub(now_ms()) as i64;
    let remaining = got["remaining_ms"].as_i64().unwrap();
    assert!(
        (remaining - expected_remaining).abs() < 1000,
        "remaining {remaining} vs {expected_remaining}"
    );
    let mut got = got;
    got.as_object_mut().unwrap().remove("remaining_ms");
    assert_eq!(
        got,
        json!({
            "event": {"name": "ada"},
            "aws_request_id": "req-py-1",
            "function_name": "fixture",
            "function_version": "$LATEST",
            "invoked_function_arn": common::ARN,
            "memory_limit_in_mb": "256",
            "log_group_name": "/aws/lambda/fixture",
            "log_stream_name": "2026/11/26/[$LATEST]0123456789abcdef",
            "client_context_custom": {"k": "v"},
            "client_context_env": {"platform": "x"},
            "cognito_identity_id": "id-1",
            "cognito_identity_pool_id": "pool-1",
            "trace_env": TRACE,
        })
    );

    // The second invoke on the same (warm) process gets its own id, trace id and no context.
    let mut inv = invocation("req-py-2", r#""plain""#, 5);
    inv.trace_id = "Root=1-00000000-000000000000000000000002;Sampled=0".into();
    let got = response_json(sb.invoke(inv).await);
    assert_eq!(got["aws_request_id"], "req-py-2");
    assert_eq!(got["event"], "plain");
    assert_eq!(got["client_context_custom"], serde_json::Value::Null);
    assert_eq!(got["cognito_identity_id"], serde_json::Value::Null);
    assert_eq!(
        got["trace_env"],
        "Root=1-00000000-000000000000000000000002;Sampled=0"
    );
    let remaining = got["remaining_ms"].as_i64().unwrap();
    assert!((2000..=5000).contains(&remaining), "remaining {remaining}");

    let out = sb.output_containing("handling ada\n");
    assert!(out.contains("app module imported\n"), "{out}");
    assert!(out.contains("handling ada\n"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raising_handler_posts_lambda_error_shape() {
    let sb = Sandbox::python("raising.handler");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let (error_type, body) = error_json(sb.invoke(invocation("req-raise", "{}", 30)).await);
    // The runtime posts its own exception type in the header; the platform normalises it.
    assert_eq!(error_type, "Runtime.Unknown");
    let trace = body["stackTrace"].as_array().unwrap();
    assert_eq!(trace.len(), 1, "{body}");
    let frame = trace[0].as_str().unwrap();
    assert!(
        frame.contains("raising.py\", line 5, in handler"),
        "{frame}"
    );
    assert!(frame.contains("raise Exception(\"boom\")"), "{frame}");
    assert_eq!(
        body,
        json!({"errorMessage": "boom", "errorType": "Exception", "requestId": "req-raise", "stackTrace": [frame]})
    );
    // The process survives and serves the next invoke.
    let (_, again) = error_json(sb.invoke(invocation("req-raise-2", "{}", 30)).await);
    assert_eq!(again["requestId"], "req-raise-2");
    let needle = "[ERROR] Exception: boom\rTraceback (most recent call last):\r";
    let out = sb.output_containing(needle);
    assert!(out.contains(needle), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_module_is_import_module_error() {
    let mut sb = Sandbox::python("nope.handler");
    let (error_type, body) = init_error_json(sb.init().await);
    assert_eq!(error_type, "Runtime.ImportModuleError");
    assert_eq!(
        body,
        json!({
            "errorMessage": "Unable to import module 'nope': No module named 'nope'",
            "errorType": "Runtime.ImportModuleError",
            "requestId": "",
            "stackTrace": []
        })
    );
    assert_eq!(sb.wait_exit().code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_function_is_handler_not_found() {
    let mut sb = Sandbox::python("app.nope");
    let (error_type, body) = init_error_json(sb.init().await);
    assert_eq!(error_type, "Runtime.HandlerNotFound");
    assert_eq!(
        body,
        json!({
            "errorMessage": "Handler 'nope' missing on module 'app'",
            "errorType": "Runtime.HandlerNotFound",
            "requestId": "",
            "stackTrace": []
        })
    );
    assert_eq!(sb.wait_exit().code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syntax_error_is_user_code_syntax_error() {
    let mut sb = Sandbox::python("syntax_error.handler");
    let (error_type, body) = init_error_json(sb.init().await);
    assert_eq!(error_type, "Runtime.UserCodeSyntaxError");
    assert_eq!(body["errorType"], "Runtime.UserCodeSyntaxError");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with("Syntax error in module 'syntax_error': ")
            && message.contains("syntax_error.py, line 2"),
        "{message}"
    );
    let trace = body["stackTrace"][0].as_str().unwrap();
    assert!(trace.contains("syntax_error.py\" Line 2"), "{trace}");
    assert_eq!(sb.wait_exit().code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_in_a_subdirectory_is_found() {
    let sb = Sandbox::python("sub/nested.handler");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let got = response_json(sb.invoke(invocation("req-nested", "[1,2]", 30)).await);
    assert_eq!(got, json!({"nested": true, "event": [1, 2]}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_response_is_refused_and_the_runtime_recovers() {
    let sb = Sandbox::python("app.handler");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let big = 7 * 1024 * 1024;
    let outcome = sb
        .invoke(invocation("req-big", &format!(r#"{{"big":{big}}}"#), 30))
        .await;
    assert_eq!(outcome, InvokeOutcome::ResponseTooLarge);
    // Exactly the limit: a JSON string of limit-2 characters plus its quotes.
    let exact = lamina_runtime_api::MAX_RESPONSE_BYTES - 2;
    let outcome = sb
        .invoke(invocation(
            "req-exact",
            &format!(r#"{{"big":{exact}}}"#),
            30,
        ))
        .await;
    match outcome {
        InvokeOutcome::Response(b) => assert_eq!(b.len(), lamina_runtime_api::MAX_RESPONSE_BYTES),
        other => panic!("{other:?}"),
    }
    let got = response_json(
        sb.invoke(invocation("req-after", r#"{"name":"x"}"#, 30))
            .await,
    );
    assert_eq!(got["aws_request_id"], "req-after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_invokes_reuse_one_keep_alive_connection() {
    let sb = Sandbox::python("sub/nested.handler");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let (p50, p99) = common::measure_round_trips(&sb, 200).await;
    println!("python warm round trip: p50 {p50:.0} µs, p99 {p99:.0} µs");
    assert_eq!(sb.api.connections_accepted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_is_unbuffered() {
    let sb = Sandbox::python("app.partial_line");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let got = response_json(sb.invoke(invocation("req-partial", "{}", 30)).await);
    assert_eq!(got, "done");
    // The process is still alive (no exit flush), so the text is there only if unbuffered.
    let out = sb.output_containing("no newline here");
    assert!(out.contains("no newline here"), "{out:?}");
}

/// Warm round trips through the Python client; run by hand with `--release -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run by hand"]
async fn bench_python_warm_invoke_round_trip() {
    let sb = Sandbox::python("sub/nested.handler");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    common::measure_round_trips(&sb, 500).await;
    let (p50, p99) = common::measure_round_trips(&sb, 5000).await;
    println!("python client, 5000 warm invokes: p50 {p50:.1} µs, p99 {p99:.1} µs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exception_at_import_is_the_functions_own_init_error() {
    let mut sb = Sandbox::python("init_raises.handler");
    let (_, body) = init_error_json(sb.init().await);
    assert_eq!(body["errorType"], "ValueError");
    assert_eq!(body["errorMessage"], "bad config");
    assert_eq!(body["requestId"], "");
    let trace = body["stackTrace"].as_array().unwrap();
    let last = trace.last().unwrap().as_str().unwrap();
    assert!(
        last.contains("init_raises.py\", line 2, in <module>"),
        "{trace:?}"
    );
    assert_eq!(sb.wait_exit().code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unserialisable_result_is_marshal_error_and_decimal_is_a_number() {
    let sb = Sandbox::python("app.returns_bytes");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let (_, body) = error_json(sb.invoke(invocation("req-bytes", "{}", 30)).await);
    assert_eq!(
        body,
        json!({
            "errorMessage": "Unable to marshal response: Object of type bytes is not JSON serializable",
            "errorType": "Runtime.MarshalError",
            "requestId": "req-bytes",
            "stackTrace": []
        })
    );
    drop(sb);
    let sb = Sandbox::python("app.returns_decimal");
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let got = response_json(sb.invoke(invocation("req-dec", "{}", 30)).await);
    assert_eq!(got, json!({"price": 12.5, "count": 3}));
}

/// Lambda retries a failed init at the first invoke: the engine kills the runtime, resets
/// the Runtime API and starts a new process; the invocation queued meanwhile goes to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reinit_after_failed_init_serves_the_queued_invoke() {
    let mut sb = Sandbox::python("nope.handler");
    let (error_type, _) = init_error_json(sb.init().await);
    assert_eq!(error_type, "Runtime.ImportModuleError");
    let bootstrap = common::repo_root().join("runtimes/python/bootstrap.py");
    sb.restart(
        "python3",
        &[bootstrap.to_str().unwrap()],
        "sub/nested.handler",
        &common::fixtures().join("python"),
    );
    let invoke = sb.invoke(invocation("req-reinit", "\"again\"", 30));
    let (outcome, init) = tokio::join!(invoke, sb.init());
    assert_eq!(init, InitOutcome::Ready);
    assert_eq!(
        response_json(outcome),
        json!({"nested": true, "event": "again"})
    );
}
