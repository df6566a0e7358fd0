//! One execution environment: a sandbox, its Runtime API server and its log stream, in the
//! lifecycle Starting → Idle ⇄ Busy → Gone. It runs one invocation at a time. After a
//! timeout or a crash its runtime is started again in the same sandbox (`/tmp` survives,
//! process state does not), as Lambda re-initialises an environment.

use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::images::ResolvedEnvironment;
use bytes::Bytes;
use lamina_model::{Function, FunctionVersion};
use lamina_runtime_api::{InitOutcome, Invocation, InvokeOutcome, RuntimeApi, RuntimeApiConfig};
use lamina_sandbox::{ImageRoot, Network, Sandbox, SandboxSpec};

use crate::error::EngineError;
use crate::exit_watch::ExitWatch;
use crate::launch::{self, EnvContext, LaunchFault};
use crate::logs::{Capture, LogStream};
use crate::outcome::{self, InvokeOutput};
use crate::peak::MemoryPeak;
use crate::report::{self, Report};
use crate::shared::Shared;

/// Why an environment could not be started.
#[derive(Debug)]
pub enum StartFault {
    /// The function cannot run as configured.
    Launch(LaunchFault),
    /// Lamina failed.
    Engine(EngineError),
}

impl From<EngineError> for StartFault {
    fn from(e: EngineError) -> Self {
        Self::Engine(e)
    }
}

/// A warm or starting execution environment.
pub struct Env {
    /// False once it must not serve again (the engine destroys it instead of pooling it).
    healthy: bool,
    /// Declared before `sandbox` so it is closed before the sandbox's cgroup is removed.
    peak: MemoryPeak,
    /// The runtime's process, watched for an exit without a registration per invoke.
    exit: ExitWatch,
    sandbox: Sandbox,
    api: RuntimeApi,
    capture: Capture,
    stream: Arc<Mutex<LogStream>>,
    /// The runtime has not finished init since it was (re)started.
    needs_init: bool,
    /// The runtime process is gone (timed out, crashed, failed init) and must be restarted.
    needs_restart: bool,
    timeout_s: u32,
    memory_mb: u32,
    /// Where the cold start's lines (INIT_START) begin, until the first invocation's Tail
    /// has included them.
    cold_from: Option<u64>,
}

/// What one invoke hands to the environment.
pub struct Request {
    /// The request id.
    pub request_id: String,
    /// The event.
    pub payload: Bytes,
    /// The ARN the caller used.
    pub invoked_arn: String,
    /// `X-Amz-Client-Context`, decoded from base64.
    pub client_context: Option<String>,
    /// The version label for START and `X-Amz-Executed-Version`.
    pub version: String,
}

fn lock(m: &Mutex<LogStream>) -> std::sync::MutexGuard<'_, LogStream> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Env {
    /// Builds and starts an environment for `version` of `function` on `image`, printing
    /// `INIT_START` with `runtime_version` first when there is one.
    pub async fn start(
        shared: &Arc<Shared>,
        function: &Function,
        version: &FunctionVersion,
        image: ImageRoot,
        resolved: &ResolvedEnvironment,
    ) -> Result<Env, StartFault> {
        let runtime_version = resolved.runtime_version.as_ref();
        let code_dir = shared.code.dir_for(&version.code).await?;
        let mut layer_dirs = Vec::new();
        for layer in &version.spec.layers {
            if let Some(content) = &layer.content {
                layer_dirs.push(shared.code.dir_for(content).await?);
            }
        }
        let argv = launch::command(
            version,
            &resolved.image,
            resolved.served.as_ref(),
            &code_dir,
            &layer_dirs,
        )
        .map_err(StartFault::Launch)?;
        let host_network = function
            .tags
            .get("lamina:network")
            .is_some_and(|v| v == "host");
        let (network, listener) = if host_network {
            let l = std::net::TcpListener::bind("127.0.0.1:0")
                .map_err(|e| EngineError::Internal(format!("binding a runtime api port: {e}")))?;
            (Network::Host, l)
        } else {
            let (ns, l) = shared.netns.take().await?;
            (Network::Isolated(ns), l)
        };
        let runtime_api = if host_network {
            listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default()
        } else {
            "127.0.0.1:9001".to_string()
        };
        let stream_name = crate::logs::stream_name(&version.version);
        let stream = shared
            .logs
            .new_stream(&version.spec.logging.log_group, stream_name.clone());
        let cold_from = lock(&stream).position();
        if let Some(rv) = runtime_version {
            // Lambda's cold-start line, before anything the runtime prints.
            lock(&stream).push(format!(
                "INIT_START Runtime Version: {}\tRuntime Version ARN: {}",
                rv.name(),
                rv.arn
            ));
        }
        let env = launch::environment(&EnvContext {
            account: &shared.account,
            function,
            version,
            runtime_api: &runtime_api,
            log_stream: &stream_name,
        });
        let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| EngineError::Internal(format!("creating the log pipe: {e}")))?;
        let write2: OwnedFd = write
            .try_clone()
            .map_err(|e| EngineError::Internal(format!("duplicating the log pipe: {e}")))?;
        let uid = shared.next_uid();
        let spec = SandboxSpec {
            id: shared.next_sandbox_id(),
            image,
            task_dir: code_dir,
            layer_dirs,
            runtime_dir: Some(shared.runtimes_dir.clone()),
            tmp_size_mb: u64::from(version.spec.ephemeral_storage),
            memory_mb: u64::from(version.spec.memory_size),
            pids_max: 1024,
            nofile: 1024,
            argv,
            env,
            cwd: launch::TASK_ROOT.into(),
            uid,
            gid: uid,
            network,
            stdout: write,
            stderr: write2,
        };
        let api =
            RuntimeApi::serve(listener, RuntimeApiConfig::default()).map_err(EngineError::from)?;
        let capture = Capture::start(read, Arc::clone(&stream))
            .map_err(|e| EngineError::Internal(format!("capturing logs: {e}")))?;
        let cfg = shared.sandbox.clone();
        let prepared = shared.inits.take();
        // A pre-started init brings its own cgroups, named by its id rather than the spec's.
        let cgroup_id = prepared
            .as_ref()
            .map_or_else(|| spec.id.clone(), |p| p.id().to_string());
        let started = tokio::task::spawn_blocking(move || match prepared {
            Some(init) => Sandbox::start_prepared(init, spec, &cfg),
            None => Sandbox::start(spec, &cfg),
        })
        .await
        .map_err(|e| EngineError::Internal(format!("sandbox start task failed: {e}")))?;
        let sandbox = match started {
            Ok(s) => s,
            Err(lamina_sandbox::SandboxError::Exec { path, message, .. }) => {
                return Err(StartFault::Launch(LaunchFault::Exec { path, message }));
            }
            Err(e) => return Err(StartFault::Engine(e.into())),
        };
        let peak = MemoryPeak::open(&shared.sandbox.cgroups, &cgroup_id);
        let exit = ExitWatch::open(sandbox.pid());
        Ok(Env {
            healthy: true,
            peak,
            exit,
            sandbox,
            api,
            capture,
            stream,
            needs_init: true,
            needs_restart: false,
            timeout_s: version.spec.timeout,
            memory_mb: version.spec.memory_size,
            cold_from: Some(cold_from),
        })
    }

    /// Runs one invocation: init first if the runtime has not finished it, then the invoke
    /// under the function's timeout. Every failure becomes Lambda's error payload.
    pub async fn invoke(&mut self, req: Request, shared: &Shared) -> InvokeOutput {
        // The first invocation of a cold environment shows its INIT_START line too.
        let first_line = match self.cold_from.take() {
            Some(from) => from,
            None => lock(&self.stream).position(),
        };
        let timeout = Duration::from_secs(u64::from(self.timeout_s));
        let mut init_duration = None;
        if self.needs_init {
            let began = Instant::now();
            let init = self
                .init(&req.request_id, shared.init_timeout, timeout)
                .await;
            init_duration = Some(began.elapsed());
            if let Err(payload) = init {
                let error_type = error_type_of(&payload);
                return self
                    .finish(
                        req,
                        first_line,
                        payload,
                        Some("Unhandled"),
                        Duration::ZERO,
                        init_duration,
                        Some(("error", error_type)),
                        shared,
                    )
                    .await;
            }
        }
        lock(&self.stream).push(report::start_line(&req.request_id, &req.version));
        self.peak.reset(&self.sandbox);
        let began = Instant::now();
        let deadline_ms = epoch_ms() + timeout.as_millis() as u64;
        let invocation = Invocation {
            request_id: req.request_id.clone(),
            payload: req.payload.clone(),
            deadline_ms,
            invoked_function_arn: req.invoked_arn.clone(),
            trace_id: trace_id(),
            client_context: req.client_context.clone(),
            cognito_identity: None,
        };
        let Env {
            sandbox, api, exit, ..
        } = self;
        let ended = tokio::select! {
            answered = api.invoke(invocation) => Ended::Answered(answered),
            () = tokio::time::sleep(timeout) => Ended::TimedOut,
            status = exit.wait(sandbox) => Ended::Exited(status.map(|s| s.to_string()).unwrap_or_else(|e| format!("unknown ({e})"))),
        };
        let duration = began.elapsed();
        let (payload, error, status) = match ended {
            Ended::Answered(Ok(InvokeOutcome::Response(body))) => (body, None, None),
            Ended::Answered(Ok(InvokeOutcome::Error { body, error_type })) => {
                (body, Some("Unhandled"), Some(("error", error_type)))
            }
            Ended::Answered(Ok(InvokeOutcome::ResponseTooLarge)) => (
                lamina_runtime_api::response_too_large_body(lamina_runtime_api::MAX_RESPONSE_BYTES),
                Some("Unhandled"),
                Some((
                    "error",
                    lamina_runtime_api::RESPONSE_TOO_LARGE_TYPE.to_string(),
                )),
            ),
            Ended::Answered(Err(e)) => {
                tracing::error!(error = %e, "runtime api failed during an invoke");
                self.healthy = false;
                (
                    outcome::platform_error(
                        "Runtime.Unknown",
                        &req.request_id,
                        "Lamina lost the runtime",
                    ),
                    Some("Unhandled"),
                    Some(("error", "Runtime.Unknown".to_string())),
                )
            }
            Ended::TimedOut => {
                let _ = self.sandbox.kill_all();
                let _ = self.sandbox.wait().await;
                let text = report::timed_out_text(self.timeout_s);
                lock(&self.stream).push(format!("{} {} {text}", iso_now(), req.request_id));
                self.mark_dead();
                (
                    outcome::timed_out(&req.request_id, self.timeout_s),
                    Some("Unhandled"),
                    Some(("timeout", String::new())),
                )
            }
            Ended::Exited(status) => {
                let status = if self.sandbox.oom_killed() {
                    "signal: killed".to_string()
                } else {
                    status
                };
                let payload = outcome::exited(&req.request_id, &status);
                let message = serde_json::from_slice::<serde_json::Value>(&payload)
                    .ok()
                    .and_then(|v| v["errorMessage"].as_str().map(String::from))
                    .unwrap_or_default();
                lock(&self.stream).push(format!("{message}\nRuntime.ExitError"));
                self.mark_dead();
                (
                    payload,
                    Some("Unhandled"),
                    Some(("error", "Runtime.ExitError".to_string())),
                )
            }
        };
        self.finish(
            req,
            first_line,
            payload,
            error,
            duration,
            init_duration,
            status,
            shared,
        )
        .await
    }

    /// Writes END and REPORT and builds the output.
    #[allow(clippy::too_many_arguments)]
    async fn finish(
        &mut self,
        req: Request,
        first_line: u64,
        payload: Bytes,
        function_error: Option<&'static str>,
        duration: Duration,
        init_duration: Option<Duration>,
        status: Option<(&'static str, String)>,
        shared: &Shared,
    ) -> InvokeOutput {
        self.capture.flush();
        let max_memory = self.peak.read(&self.sandbox);
        let report = Report {
            request_id: req.request_id.clone(),
            duration,
            billed_ms: report::billed_ms(duration, shared.billing_granularity_ms),
            memory_size_mb: self.memory_mb,
            max_memory_used_mb: max_memory.div_ceil(1024 * 1024),
            init_duration,
            status: status.as_ref().map(|s| s.0),
            error_type: status.and_then(|s| (!s.1.is_empty()).then_some(s.1)),
        };
        let log_lines = {
            let mut stream = lock(&self.stream);
            stream.push(report::end_line(&req.request_id));
            stream.push(report.line());
            stream.since(first_line)
        };
        InvokeOutput {
            request_id: req.request_id,
            executed_version: req.version,
            payload,
            function_error,
            log_lines,
            report,
        }
    }

    /// Restarts the runtime if needed and waits for its init; on failure returns the error
    /// payload the caller gets. An init that overruns the init timeout is retried once
    /// under the function timeout (Lambda's suppressed init). Failures that Lamina detects
    /// (a timeout, an exit) name `request_id`, as Lambda's do: the init ran for that invoke.
    async fn init(
        &mut self,
        request_id: &str,
        init_timeout: Duration,
        function_timeout: Duration,
    ) -> Result<(), Bytes> {
        for (attempt, limit) in [(0, init_timeout), (1, function_timeout)] {
            if self.needs_restart {
                self.api.reset();
                if let Err(e) = self.sandbox.restart().await {
                    tracing::error!(error = %e, "restarting a runtime failed");
                    self.healthy = false;
                    return Err(outcome::platform_error(
                        "Runtime.Unknown",
                        request_id,
                        "Lamina could not restart the runtime",
                    ));
                }
                self.needs_restart = false;
                self.exit = ExitWatch::open(self.sandbox.pid());
            }
            let deadline = Instant::now() + limit;
            let Env { sandbox, api, .. } = self;
            let ended = tokio::select! {
                outcome = api.wait_init(deadline) => Ok(outcome),
                status = sandbox.wait() => Err(status.map(|s| s.to_string()).unwrap_or_else(|e| format!("unknown ({e})"))),
            };
            match ended {
                Ok(InitOutcome::Ready) => {
                    self.needs_init = false;
                    return Ok(());
                }
                Ok(InitOutcome::Error { body, .. }) => {
                    // The runtime exits after reporting; the next invoke starts it again.
                    let _ = self.sandbox.kill_all();
                    let _ = self.sandbox.wait().await;
                    self.mark_dead();
                    return Err(body);
                }
                Err(status) => {
                    self.mark_dead();
                    return Err(outcome::exited(request_id, &status));
                }
                Ok(InitOutcome::TimedOut) => {
                    let _ = self.sandbox.kill_all();
                    let _ = self.sandbox.wait().await;
                    self.mark_dead();
                    if attempt == 1 {
                        return Err(outcome::platform_error(
                            "Sandbox.Timedout",
                            request_id,
                            &report::timed_out_text(function_timeout.as_secs() as u32),
                        ));
                    }
                }
            }
        }
        Err(outcome::platform_error(
            "Sandbox.Timedout",
            request_id,
            "init did not finish",
        ))
    }

    /// Whether it may serve another invocation (pooled) or must be destroyed.
    pub fn healthy(&self) -> bool {
        self.healthy
    }

    fn mark_dead(&mut self) {
        self.needs_init = true;
        self.needs_restart = true;
    }

    /// Kills and removes the environment (off the async threads).
    pub fn destroy(self) {
        tokio::task::spawn_blocking(move || self.destroy_now());
    }

    /// Kills and removes the environment on this thread (blocking; for shutdown, where the
    /// process must not exit before its sandboxes are gone).
    pub fn destroy_now(self) {
        let Env {
            sandbox, api, peak, ..
        } = self;
        drop(api);
        drop(peak);
        if let Err(e) = sandbox.destroy() {
            tracing::warn!(error = %e, "destroying a sandbox failed");
        }
    }
}

enum Ended {
    Answered(Result<InvokeOutcome, lamina_runtime_api::InvokeError>),
    TimedOut,
    Exited(String),
}

fn error_type_of(payload: &Bytes) -> String {
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v["errorType"].as_str().map(String::from))
        .unwrap_or_else(|| "Runtime.Unknown".into())
}

fn epoch_ms() -> u64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as u64
}

fn iso_now() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// An X-Ray trace header for one invocation: `Root=1-<epoch hex>-<24 hex>;Parent=<16 hex>;Sampled=0`.
fn trace_id() -> String {
    use std::fmt::Write;
    let root: u128 = rand::random();
    let parent: u64 = rand::random();
    let secs = time::OffsetDateTime::now_utc().unix_timestamp();
    // One allocation of the final size; writing to a String cannot fail.
    let mut out = String::with_capacity(80);
    let _ = write!(
        out,
        "Root=1-{secs:08x}-{:024x};Parent={parent:016x};Sampled=0",
        root >> 32
    );
    out
}
