//! Shared harness for the end-to-end tests: a real `RuntimeApi` on a loopback port and a real
//! runtime client as a child process pointed at it, with Lambda's environment variables.

#![allow(dead_code)]
// each test binary uses a different part of the harness
// Test harness code: a failed set-up step should panic the test that needs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use lamina_runtime_api::{InitOutcome, Invocation, InvokeOutcome, RuntimeApi, RuntimeApiConfig};

pub const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:fixture:live";
pub const TRACE: &str =
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

/// The crate directory (for fixtures) and the repository root (for `runtimes/`).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn repo_root() -> PathBuf {
    crate_dir().join("../..").canonicalize().unwrap()
}

pub fn fixtures() -> PathBuf {
    crate_dir().join("tests/fixtures")
}

/// A runtime process and the Runtime API it talks to; the process is killed on drop.
pub struct Sandbox {
    pub api: RuntimeApi,
    child: Child,
    output: Arc<Mutex<String>>,
}

impl Sandbox {
    /// Starts `program args…` with the Lambda variables, `_HANDLER` and `LAMBDA_TASK_ROOT`.
    pub fn start(program: &str, args: &[&str], handler: &str, task_root: &Path) -> Sandbox {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let api = RuntimeApi::serve(listener, RuntimeApiConfig::default()).unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let child = spawn_runtime(&api, program, args, handler, task_root, &output);
        Sandbox { api, child, output }
    }

    /// Replaces the runtime process on the same Runtime API, as the engine does to re-init:
    /// kill the old one, `reset()`, start the new one.
    pub fn restart(&mut self, program: &str, args: &[&str], handler: &str, task_root: &Path) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.api.reset();
        self.child = spawn_runtime(&self.api, program, args, handler, task_root, &self.output);
    }

    pub fn python(handler: &str) -> Sandbox {
        let bootstrap = repo_root().join("runtimes/python/bootstrap.py");
        Sandbox::start(
            "python3",
            &[bootstrap.to_str().unwrap()],
            handler,
            &fixtures().join("python"),
        )
    }

    pub fn node(handler: &str, task_root: &str) -> Sandbox {
        let bootstrap = repo_root().join("runtimes/nodejs/bootstrap.js");
        Sandbox::start(
            "node",
            &[bootstrap.to_str().unwrap()],
            handler,
            &fixtures().join("node").join(task_root),
        )
    }

    pub async fn init(&self) -> InitOutcome {
        self.api
            .wait_init(Instant::now() + Duration::from_secs(20))
            .await
    }

    pub async fn invoke(&self, inv: Invocation) -> InvokeOutcome {
        tokio::time::timeout(Duration::from_secs(20), self.api.invoke(inv))
            .await
            .unwrap_or_else(|_| panic!("invoke timed out; runtime output:\n{}", self.output()))
            .expect("invoke failed")
    }

    /// Everything the runtime printed so far (stdout and stderr interleaved).
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Waits (up to 5 s) until the output contains `needle`; returns the output either way,
    /// so the caller's assertion shows what was printed.
    pub fn output_containing(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let out = self.output();
            if out.contains(needle) || Instant::now() > deadline {
                return out;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the process to exit (it must, after an init error).
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Give the reader threads a moment to drain the pipes.
                std::thread::sleep(Duration::from_millis(50));
                return status;
            }
            assert!(Instant::now() < deadline, "runtime did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn spawn_runtime(
    api: &RuntimeApi,
    program: &str,
    args: &[&str],
    handler: &str,
    task_root: &Path,
    output: &Arc<Mutex<String>>,
) -> Child {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.local_addr().to_string())
        .env("_HANDLER", handler)
        .env("LAMBDA_TASK_ROOT", task_root)
        .env("AWS_LAMBDA_FUNCTION_NAME", "fixture")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/fixture")
        .env(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/11/26/[$LATEST]0123456789abcdef",
        )
        .env("AWS_REGION", "us-east-1")
        .env("TZ", "UTC")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    for mut stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let output = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                output
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
    }
    child
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// An invocation with a deadline `secs` from now.
pub fn invocation(id: &str, payload: &str, secs: u64) -> Invocation {
    Invocation {
        request_id: id.to_owned(),
        payload: Bytes::from(payload.to_owned()),
        deadline_ms: now_ms() + secs * 1000,
        invoked_function_arn: ARN.to_owned(),
        trace_id: TRACE.to_owned(),
        client_context: None,
        cognito_identity: None,
    }
}

/// Runs `n` warm invokes and returns (p50, p99) of their round trips, in microseconds.
pub async fn measure_round_trips(sb: &Sandbox, n: usize) -> (f64, f64) {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let inv = invocation(&format!("warm-{i}"), r#"{"k":"v"}"#, 60);
        let started = Instant::now();
        let outcome = sb.api.invoke(inv).await.unwrap();
        samples.push(started.elapsed());
        assert!(matches!(outcome, InvokeOutcome::Response(_)), "{outcome:?}");
    }
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    (us(samples[n / 2]), us(samples[(n * 99 / 100).min(n - 1)]))
}

pub fn response_json(outcome: InvokeOutcome) -> serde_json::Value {
    match outcome {
        InvokeOutcome::Response(body) => serde_json::from_slice(&body).unwrap(),
        other => panic!("expected a response, got {other:?}"),
    }
}

/// The (normalised type, parsed body) of an error outcome.
pub fn error_json(outcome: InvokeOutcome) -> (String, serde_json::Value) {
    match outcome {
        InvokeOutcome::Error { error_type, body } => {
            (error_type, serde_json::from_slice(&body).unwrap())
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

pub fn init_error_json(outcome: InitOutcome) -> (String, serde_json::Value) {
    match outcome {
        InitOutcome::Error { error_type, body } => {
            (error_type, serde_json::from_slice(&body).unwrap())
        }
        other => panic!("expected an init error, got {other:?}"),
    }
}
