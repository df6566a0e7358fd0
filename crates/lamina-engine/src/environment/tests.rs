//! The environment's state machine without root: a fake sandbox whose "runtime" is a task
//! speaking the real Runtime API over loopback HTTP, following a script per process life
//! (each start or restart takes the next life). The assertions are what a caller relies on:
//! the payload, `X-Amz-Function-Error`, REPORT's status, whether the runtime was restarted
//! in place, and whether the environment may serve again.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lamina_runtime_api::{RuntimeApi, RuntimeApiConfig};
use lamina_sandbox::{ExitStatus, LogPipe, SandboxError, SandboxHandle};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Env, Request, RuntimeState, Settings};
use crate::logs::{Capture, LogStore};
use crate::outcome::InvokeOutput;

const BASE: &str = "/2018-06-01/runtime";

/// How one life of the scripted runtime inits.
#[derive(Debug, Clone)]
enum Init {
    /// Reaches `/next`.
    Ready,
    /// Posts `/init/error` with this error type, then exits 1.
    Error(&'static str),
    /// Never reaches `/next` (an init that hangs).
    Hang,
}

/// What the scripted runtime does with one invocation.
#[derive(Debug, Clone)]
enum Step {
    /// Posts `/response` with this body.
    Respond(&'static str),
    /// Posts `/error` with this error type.
    Fail(&'static str),
    /// Never answers.
    Hang,
    /// Exits with this code without answering.
    Exit(i32),
    /// Posts `/response` with this body, then exits 0 before asking for the next event.
    RespondThenExit(&'static str),
}

/// One process life: its init, then one step per invocation (then it idles in `/next`).
#[derive(Debug, Clone)]
struct Life {
    init: Init,
    steps: Vec<Step>,
}

fn life(init: Init, steps: &[Step]) -> Life {
    Life {
        init,
        steps: steps.to_vec(),
    }
}

/// A sandbox whose process is a tokio task running the next [`Life`] of its script.
struct FakeSandbox {
    api: String,
    lives: VecDeque<Life>,
    exit_tx: Arc<watch::Sender<Option<ExitStatus>>>,
    exit_rx: watch::Receiver<Option<ExitStatus>>,
    task: Option<JoinHandle<()>>,
    restarts: Arc<AtomicUsize>,
    oom: Arc<AtomicBool>,
}

impl FakeSandbox {
    fn start(api: String, lives: Vec<Life>) -> Self {
        let (exit_tx, exit_rx) = watch::channel(None);
        let mut sandbox = Self {
            api,
            lives: lives.into(),
            exit_tx: Arc::new(exit_tx),
            exit_rx,
            task: None,
            restarts: Arc::new(AtomicUsize::new(0)),
            oom: Arc::new(AtomicBool::new(false)),
        };
        sandbox.spawn_next_life();
        sandbox
    }

    fn spawn_next_life(&mut self) {
        let life = self
            .lives
            .pop_front()
            .expect("the script has no life left for this start");
        self.exit_tx.send_replace(None);
        let exit = Arc::clone(&self.exit_tx);
        let api = self.api.clone();
        self.task = Some(tokio::spawn(async move {
            let code = run_life(&api, life).await;
            exit.send_replace(Some(ExitStatus::Exited(code)));
        }));
    }
}

impl SandboxHandle for FakeSandbox {
    fn kill_all(&self) -> Result<(), SandboxError> {
        if let Some(task) = &self.task {
            task.abort();
        }
        let running = self.exit_rx.borrow().is_none();
        if running {
            self.exit_tx.send_replace(Some(ExitStatus::Signaled {
                signal: 9,
                core_dumped: false,
            }));
        }
        Ok(())
    }

    async fn wait(&mut self) -> Result<ExitStatus, SandboxError> {
        let mut rx = self.exit_rx.clone();
        let status = *rx
            .wait_for(Option::is_some)
            .await
            .expect("the sender lives in the sandbox");
        Ok(status.expect("waited for Some"))
    }

    async fn restart(&mut self) -> Result<(), SandboxError> {
        self.kill_all()?;
        self.restarts.fetch_add(1, Ordering::SeqCst);
        self.spawn_next_life();
        Ok(())
    }

    fn release_runtime(&self) -> Result<(), SandboxError> {
        Ok(())
    }

    fn extensions_exited(&mut self) -> bool {
        false
    }

    fn reset_peak(&self) -> Result<bool, SandboxError> {
        Ok(true)
    }

    fn max_memory_used_bytes(&self) -> Result<u64, SandboxError> {
        Ok(40 * 1024 * 1024)
    }

    fn oom_killed(&self) -> bool {
        self.oom.load(Ordering::SeqCst)
    }

    fn destroy(self) -> Result<(), SandboxError> {
        self.kill_all()
    }
}

type Http = Client<HttpConnector, Full<Bytes>>;

/// Runs one life of the scripted runtime against the Runtime API at `api`; its exit code.
async fn run_life(api: &str, life: Life) -> i32 {
    let http: Http = Client::builder(TokioExecutor::new()).build_http();
    match life.init {
        Init::Ready => {}
        Init::Error(error_type) => {
            let body = format!(r#"{{"errorType":"{error_type}","errorMessage":"init failed"}}"#);
            post(&http, api, "init/error", Some(error_type), body).await;
            linger().await;
            return 1;
        }
        Init::Hang => std::future::pending::<()>().await,
    }
    let mut steps = life.steps.into_iter();
    loop {
        let request_id = next(&http, api).await;
        match steps.next() {
            Some(Step::Respond(body)) => {
                let path = format!("invocation/{request_id}/response");
                post(&http, api, &path, None, body.to_string()).await;
            }
            Some(Step::Fail(error_type)) => {
                let path = format!("invocation/{request_id}/error");
                let body = format!(r#"{{"errorType":"{error_type}","errorMessage":"boom"}}"#);
                post(&http, api, &path, Some(error_type), body).await;
            }
            Some(Step::Exit(code)) => return code,
            Some(Step::RespondThenExit(body)) => {
                let path = format!("invocation/{request_id}/response");
                post(&http, api, &path, None, body.to_string()).await;
                linger().await;
                return 0;
            }
            Some(Step::Hang) | None => std::future::pending::<()>().await,
        }
    }
}

/// A real process takes a moment to exit after its last request; exiting in the same
/// instant would race the answer it just gave.
async fn linger() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// `GET /next`: the request id of the next event.
async fn next(http: &Http, api: &str) -> String {
    let uri = format!("http://{api}{BASE}/invocation/next");
    let response = http.get(uri.parse().unwrap()).await.unwrap();
    assert_eq!(response.status(), 200);
    let id = response.headers()["lambda-runtime-aws-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let _ = response.into_body().collect().await.unwrap();
    id
}

async fn post(http: &Http, api: &str, path: &str, error_type: Option<&str>, body: String) {
    let mut request = hyper::Request::post(format!("http://{api}{BASE}/{path}"));
    if let Some(error_type) = error_type {
        request = request.header("Lambda-Runtime-Function-Error-Type", error_type);
    }
    let request = request.body(Full::new(Bytes::from(body))).unwrap();
    let response = http.request(request).await.unwrap();
    assert_eq!(response.status(), 202, "{path}");
    let _ = response.into_body().collect().await.unwrap();
}

/// An environment over a fake sandbox following `lives`, with the real Runtime API, log
/// capture and stream; the counters of restarts and the OOM switch.
fn env(timeout_s: u32, lives: Vec<Life>) -> (Env<FakeSandbox>, Arc<AtomicUsize>, Arc<AtomicBool>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let api = RuntimeApi::serve(listener, RuntimeApiConfig::default()).unwrap();
    let logs = LogStore::default();
    let stream = logs.new_stream("/aws/lambda/f", "2026/12/03/[$LATEST]test".into());
    let pipe = LogPipe::new().unwrap();
    let telemetry = api.telemetry();
    let capture = Capture::start(pipe.read, Arc::clone(&stream), Some(telemetry.clone())).unwrap();
    let sandbox = FakeSandbox::start(addr, lives);
    let restarts = Arc::clone(&sandbox.restarts);
    let oom = Arc::clone(&sandbox.oom);
    let env = Env {
        state: RuntimeState::Initialising,
        sandbox,
        api,
        capture,
        stream,
        timeout_s,
        memory_mb: 128,
        cold_from: None,
        extensions: Vec::new(),
        released: false,
        telemetry,
        runtime_version: None,
    };
    (env, restarts, oom)
}

const SETTINGS: Settings = Settings {
    init_timeout: Duration::from_millis(300),
    billing_granularity_ms: 1,
};

async fn invoke(env: &mut Env<FakeSandbox>, id: &str) -> InvokeOutput {
    let req = Request {
        request_id: id.to_string(),
        payload: Bytes::from_static(b"{}"),
        invoked_arn: "arn:aws:lambda:us-east-1:000000000000:function:f".into(),
        client_context: None,
        version: "$LATEST".into(),
    };
    tokio::time::timeout(Duration::from_secs(10), env.invoke(req, SETTINGS))
        .await
        .expect("an invoke always ends")
}

fn error_type(out: &InvokeOutput) -> String {
    let v: serde_json::Value = serde_json::from_slice(&out.payload).unwrap();
    v["errorType"].as_str().unwrap().to_string()
}

fn ok(out: &InvokeOutput, body: &str) {
    assert_eq!(out.payload, body, "{:?}", out.log_lines);
    assert_eq!(out.function_error, None);
    assert_eq!(out.report.status, None);
}

#[tokio::test]
async fn init_then_invokes_reuse_the_runtime_and_only_the_first_reports_init() {
    let lives = vec![life(Init::Ready, &[Step::Respond("1"), Step::Respond("2")])];
    let (mut env, restarts, _) = env(3, lives);
    let first = invoke(&mut env, "r1").await;
    ok(&first, "1");
    assert!(first.report.init_duration.is_some());
    assert_eq!(env.state, RuntimeState::Ready);
    let second = invoke(&mut env, "r2").await;
    ok(&second, "2");
    assert_eq!(second.report.init_duration, None, "warm: no init phase");
    assert_eq!(second.report.max_memory_used_mb, 40);
    assert!(second.log_lines[0].starts_with("START RequestId: r2"));
    assert!(
        second
            .log_lines
            .last()
            .unwrap()
            .starts_with("REPORT RequestId: r2")
    );
    assert_eq!(restarts.load(Ordering::SeqCst), 0);
    assert!(env.healthy());
}

#[tokio::test]
async fn an_init_error_fails_the_invoke_and_the_next_one_restarts_the_runtime() {
    let lives = vec![
        life(Init::Error("Runtime.ImportModuleError"), &[]),
        life(Init::Ready, &[Step::Respond("after")]),
    ];
    let (mut env, restarts, _) = env(3, lives);
    let failed = invoke(&mut env, "r1").await;
    assert_eq!(failed.function_error, Some("Unhandled"));
    assert_eq!(error_type(&failed), "Runtime.ImportModuleError");
    assert_eq!(failed.report.status, Some("error"));
    assert_eq!(env.state, RuntimeState::Dead);
    assert!(
        env.healthy(),
        "a failed init is retried in place, not discarded"
    );
    ok(&invoke(&mut env, "r2").await, "after");
    assert_eq!(restarts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_function_error_keeps_the_runtime() {
    let lives = vec![life(
        Init::Ready,
        &[Step::Fail("Function.ValueError"), Step::Respond("fine")],
    )];
    let (mut env, restarts, _) = env(3, lives);
    let failed = invoke(&mut env, "r1").await;
    assert_eq!(failed.function_error, Some("Unhandled"));
    assert_eq!(error_type(&failed), "Function.ValueError");
    assert_eq!(
        failed.report.error_type.as_deref(),
        Some("Function.ValueError")
    );
    assert_eq!(env.state, RuntimeState::Ready);
    ok(&invoke(&mut env, "r2").await, "fine");
    assert_eq!(restarts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_timeout_kills_the_runtime_and_the_next_invoke_restarts_it_in_place() {
    let lives = vec![
        life(Init::Ready, &[Step::Hang]),
        life(Init::Ready, &[Step::Respond("again")]),
    ];
    let (mut env, restarts, _) = env(1, lives);
    let timed_out = invoke(&mut env, "r1").await;
    assert_eq!(error_type(&timed_out), "Sandbox.Timedout");
    assert_eq!(timed_out.report.status, Some("timeout"));
    assert!(
        timed_out
            .log_lines
            .iter()
            .any(|l| l.contains("Task timed out after 1.00 seconds")),
        "{:?}",
        timed_out.log_lines
    );
    assert_eq!(env.state, RuntimeState::Dead);
    let again = invoke(&mut env, "r2").await;
    ok(&again, "again");
    assert!(
        again.report.init_duration.is_some(),
        "the restart inits again"
    );
    assert_eq!(restarts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_crash_mid_invoke_is_an_exit_error_and_the_next_invoke_restarts() {
    let lives = vec![
        life(Init::Ready, &[Step::Exit(3)]),
        life(Init::Ready, &[Step::Respond("back")]),
    ];
    let (mut env, restarts, _) = env(3, lives);
    let crashed = invoke(&mut env, "r1").await;
    assert_eq!(error_type(&crashed), "Runtime.ExitError");
    assert!(
        String::from_utf8_lossy(&crashed.payload)
            .contains("Runtime exited with error: exit status 3"),
        "{:?}",
        crashed.payload
    );
    assert_eq!(
        crashed.report.error_type.as_deref(),
        Some("Runtime.ExitError")
    );
    assert_eq!(env.state, RuntimeState::Dead);
    ok(&invoke(&mut env, "r2").await, "back");
    assert_eq!(restarts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_oom_kill_reads_as_signal_killed() {
    let lives = vec![life(Init::Ready, &[Step::Exit(137)])];
    let (mut env, _, oom) = env(3, lives);
    oom.store(true, Ordering::SeqCst);
    let killed = invoke(&mut env, "r1").await;
    assert!(
        String::from_utf8_lossy(&killed.payload)
            .contains("Runtime exited with error: signal: killed"),
        "{:?}",
        killed.payload
    );
}

#[tokio::test]
async fn a_runtime_that_exits_between_invokes_fails_the_next_one_and_is_restarted_after() {
    let lives = vec![
        life(Init::Ready, &[Step::RespondThenExit("one")]),
        life(Init::Ready, &[Step::Respond("three")]),
    ];
    let (mut env, restarts, _) = env(3, lives);
    ok(&invoke(&mut env, "r1").await, "one");
    // The runtime is gone while the environment is idle: the next invocation meets its exit.
    let second = invoke(&mut env, "r2").await;
    assert_eq!(error_type(&second), "Runtime.ExitError");
    assert!(
        String::from_utf8_lossy(&second.payload)
            .contains("Runtime exited without providing a reason"),
        "{:?}",
        second.payload
    );
    assert_eq!(env.state, RuntimeState::Dead);
    ok(&invoke(&mut env, "r3").await, "three");
    assert_eq!(restarts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_init_past_the_init_timeout_is_retried_once_under_the_function_timeout() {
    let lives = vec![
        life(Init::Hang, &[]),
        life(Init::Ready, &[Step::Respond("late")]),
    ];
    let (mut env, restarts, _) = env(3, lives);
    let out = invoke(&mut env, "r1").await;
    ok(&out, "late");
    assert!(out.report.init_duration.unwrap() >= SETTINGS.init_timeout);
    assert_eq!(
        restarts.load(Ordering::SeqCst),
        1,
        "one suppressed init, one retry"
    );
}

#[tokio::test]
async fn an_init_that_never_finishes_times_out_under_the_function_timeout() {
    let lives = vec![
        life(Init::Hang, &[]),
        life(Init::Hang, &[]),
        life(Init::Ready, &[Step::Respond("later")]),
    ];
    let (mut env, restarts, _) = env(1, lives);
    let out = invoke(&mut env, "r1").await;
    assert_eq!(error_type(&out), "Sandbox.Timedout");
    assert_eq!(env.state, RuntimeState::Dead);
    ok(&invoke(&mut env, "r2").await, "later");
    assert_eq!(restarts.load(Ordering::SeqCst), 2);
}
