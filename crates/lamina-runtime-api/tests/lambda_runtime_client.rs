//! End to end with the real `lambda_runtime` crate: `examples/echo_runtime.rs` is a `provided`
//! bootstrap built on it, run as a child process against a real `RuntimeApi`. Also holds the
//! warm round-trip latency benchmark (`#[ignore]`, run by hand; see docs/benchmarks.md).

// Harness helpers outside #[test] fns: a failed set-up step should panic the test.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Sandbox, TRACE, error_json, invocation, response_json};
use lamina_runtime_api::{InitOutcome, InvokeOutcome, MAX_RESPONSE_BYTES};
use serde_json::json;

/// The `echo_runtime` example binary next to this test binary, built if missing.
fn echo_runtime() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let bin = profile_dir.join("examples/echo_runtime");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "-p",
            "lamina-runtime-api",
            "--example",
            "echo_runtime",
        ])
        .env("CARGO_TARGET_DIR", profile_dir.parent().unwrap());
        if profile_dir.ends_with("release") {
            cmd.arg("--release");
        }
        let status = cmd.status().unwrap();
        assert!(status.success(), "building the echo_runtime example failed");
    }
    bin
}

fn start() -> Sandbox {
    let bin = echo_runtime();
    Sandbox::start(bin.to_str().unwrap(), &[], "bootstrap", &common::fixtures())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_and_context_through_lambda_runtime() {
    let sb = start();
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let got = response_json(
        sb.invoke(invocation("rs-1", r#"{"hello":"world"}"#, 30))
            .await,
    );
    assert_eq!(got, json!({"hello": "world"}));

    let mut inv = invocation("rs-2", r#"{"op":"context"}"#, 30);
    let deadline = inv.deadline_ms;
    inv.client_context = Some(r#"{"custom":{"k":"v"},"environment":{"e":"1"}}"#.into());
    inv.cognito_identity =
        Some(r#"{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}"#.into());
    let got = response_json(sb.invoke(inv).await);
    assert_eq!(
        got,
        json!({
            "request_id": "rs-2",
            "deadline": deadline,
            "invoked_function_arn": common::ARN,
            "xray_trace_id": TRACE,
            "client_context": {"custom": {"k": "v"}, "env": {"e": "1"}},
            "identity": {"id": "id-1", "pool": "pool-1"},
            "function_name": "fixture",
            "memory": 256,
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_error_through_lambda_runtime() {
    let sb = start();
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let (error_type, body) = error_json(
        sb.invoke(invocation(
            "rs-err",
            r#"{"op":"fail","message":"kaput"}"#,
            30,
        ))
        .await,
    );
    // lambda_runtime sends `unhandled`, which is not an allowed platform type.
    assert_eq!(error_type, "Runtime.Unknown");
    assert_eq!(body["errorMessage"], "kaput");
    assert!(body["errorType"].is_string(), "{body}");
    let got = response_json(sb.invoke(invocation("rs-ok", "[1]", 30)).await);
    assert_eq!(got, json!([1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_size_limit_through_lambda_runtime() {
    let sb = start();
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let over = sb
        .invoke(invocation("rs-big", r#"{"op":"big","bytes":7340032}"#, 30))
        .await;
    assert_eq!(over, InvokeOutcome::ResponseTooLarge);
    // A response of exactly the limit (a JSON string: limit - 2 characters and two quotes).
    let exact = format!(r#"{{"op":"big","bytes":{}}}"#, MAX_RESPONSE_BYTES - 2);
    match sb.invoke(invocation("rs-exact", &exact, 30)).await {
        InvokeOutcome::Response(b) => assert_eq!(b.len(), MAX_RESPONSE_BYTES),
        other => panic!("{other:?}"),
    }
    let got = response_json(sb.invoke(invocation("rs-after", r#""ok""#, 30)).await);
    assert_eq!(got, "ok");
}

/// Warm `invoke()` round trips with the `lambda_runtime` echo client over loopback.
/// Run: `cargo test -p lamina-runtime-api --release --test lambda_runtime_client -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run by hand"]
async fn bench_warm_invoke_round_trip() {
    let sb = start();
    assert_eq!(sb.init().await, InitOutcome::Ready);
    let n = 10_000;
    let warmup = 500;
    let mut samples = Vec::with_capacity(n);
    for i in 0..(n + warmup) {
        let inv = invocation(&format!("bench-{i}"), r#"{"k":"v"}"#, 60);
        let started = Instant::now();
        let outcome = sb.api.invoke(inv).await.unwrap();
        let took = started.elapsed();
        assert!(matches!(outcome, InvokeOutcome::Response(_)));
        if i >= warmup {
            samples.push(took);
        }
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "warm invoke round trip over {n} invokes: p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        us(pct(0.50)),
        us(pct(0.90)),
        us(pct(0.99)),
        us(*samples.last().unwrap())
    );
}
