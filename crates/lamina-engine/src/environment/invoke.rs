//! The invoke phase of one invocation: init first when the runtime needs it, START, the
//! hand-off to the Runtime API raced against the timeout and the runtime's exit, the
//! post-runtime phase (every extension calls `/event/next` again, within the same timeout),
//! then END and REPORT. Every way it can end is an [`Ending`], rendered once into the output.
//! Telemetry subscribers get `platform.start`, `platform.runtimeDone` and `platform.report`.

use std::time::{Duration, Instant};

use lamina_runtime_api::{Invocation, InvokeOutcome};
use lamina_sandbox::SandboxHandle;
use serde_json::json;

use super::{Env, Request, RuntimeState, Settings, lock};
use crate::ending::Ending;
use crate::outcome::InvokeOutput;
use crate::report::{self, Report};

/// What the race of one invoke produced.
enum Raced {
    Answered(Result<InvokeOutcome, lamina_runtime_api::InvokeError>),
    TimedOut,
    Exited(String),
}

impl<S: SandboxHandle> Env<S> {
    /// Runs one invocation: init first if the runtime has not finished it, then the invoke
    /// under the function's timeout. Every failure becomes Lambda's error payload.
    pub async fn invoke(&mut self, req: Request, settings: Settings) -> InvokeOutput {
        // The first invocation of a cold environment shows its INIT_START line too.
        let first_line = match self.cold_from.take() {
            Some(from) => from,
            None => lock(&self.stream).position(),
        };
        let timeout = Duration::from_secs(u64::from(self.timeout_s));
        let mut init_duration = None;
        if self.state.needs_init() {
            let began = Instant::now();
            let init = self.init(settings.init_timeout, timeout).await;
            init_duration = Some(began.elapsed());
            if let Err(ending) = init {
                let timing = (Duration::ZERO, init_duration);
                return self.finish(req, first_line, ending, timing, settings);
            }
        }
        lock(&self.stream).push(report::start_line(&req.request_id, &req.version));
        let trace = trace_id();
        if self.telemetry.active() {
            self.telemetry.platform(
                "platform.start",
                json!({
                    "requestId": req.request_id,
                    "version": req.version,
                    "tracing": { "type": "X-Amzn-Trace-Id", "value": trace },
                }),
            );
        }
        let _ = self.sandbox.reset_peak();
        let began = Instant::now();
        let deadline_ms = epoch_ms() + timeout.as_millis() as u64;
        let invocation = Invocation {
            request_id: req.request_id.clone(),
            payload: req.payload.clone(),
            deadline_ms,
            invoked_function_arn: req.invoked_arn.clone(),
            trace_id: trace,
            client_context: req.client_context.clone(),
            cognito_identity: None,
        };
        let Env { sandbox, api, .. } = self;
        let raced = tokio::select! {
            answered = api.invoke(invocation) => Raced::Answered(answered),
            () = tokio::time::sleep(timeout) => Raced::TimedOut,
            status = sandbox.wait() => Raced::Exited(status.map(|s| s.to_string()).unwrap_or_else(|e| format!("unknown ({e})"))),
        };
        let runtime_duration = began.elapsed();
        let ending = self.ending_of(raced).await;
        if let Some(line) = ending.log_line(&req.request_id) {
            lock(&self.stream).push(line);
        }
        if self.telemetry.active() {
            let (status, error_type) = telemetry_status(&ending, None);
            let mut record = json!({
                "requestId": req.request_id,
                "status": status,
                "metrics": { "durationMs": super::init::ms(runtime_duration) },
            });
            if let Some(t) = error_type {
                record["errorType"] = json!(t);
            }
            if let crate::ending::Ending::Response(body) = &ending {
                record["metrics"]["producedBytes"] = json!(body.len());
            }
            self.telemetry.platform("platform.runtimeDone", record);
        }
        // Lambda's post-runtime phase: the invoke lasts until every extension is done with
        // its INVOKE, within the function's timeout. One that never comes back is killed with
        // the runtime, and the invoke counts as timed out.
        let mut overrun = false;
        if self.state == RuntimeState::Ready && self.api.extensions_registered() > 0 {
            let until = began + timeout;
            if !self.api.wait_extensions_next(until).await {
                tracing::warn!(
                    request_id = %req.request_id,
                    extensions = ?self.api.extension_laggards(),
                    "extensions did not finish the invoke within the function's timeout"
                );
                self.kill_runtime().await;
                overrun = true;
            }
        }
        let duration = began.elapsed();
        self.finish_with(
            req,
            first_line,
            ending,
            (duration, init_duration),
            overrun,
            settings,
        )
    }

    /// Turns the race's result into how the invocation ended, killing the runtime where it
    /// must not serve again as it is.
    async fn ending_of(&mut self, raced: Raced) -> Ending {
        match raced {
            Raced::Answered(Ok(InvokeOutcome::Response(body))) => Ending::Response(body),
            Raced::Answered(Ok(InvokeOutcome::Error { body, error_type })) => {
                Ending::FunctionError { error_type, body }
            }
            Raced::Answered(Ok(InvokeOutcome::ResponseTooLarge)) => Ending::FunctionError {
                error_type: lamina_runtime_api::RESPONSE_TOO_LARGE_TYPE.to_string(),
                body: lamina_runtime_api::response_too_large_body(
                    lamina_runtime_api::MAX_RESPONSE_BYTES,
                ),
            },
            Raced::Answered(Err(e)) => {
                tracing::error!(error = %e, "runtime api failed during an invoke");
                self.state = RuntimeState::Broken;
                Ending::Platform {
                    error_type: "Runtime.Unknown",
                    message: "Lamina lost the runtime".into(),
                }
            }
            Raced::TimedOut => {
                // Lambda resets the environment after a timeout as a shutdown: extensions
                // get SHUTDOWN (reason TIMEOUT) and their 2 s before everything is killed.
                self.shutdown_extensions(lamina_runtime_api::ShutdownReason::Timeout)
                    .await;
                self.kill_runtime().await;
                Ending::TimedOut {
                    timeout_s: self.timeout_s,
                }
            }
            Raced::Exited(status) => {
                self.state = RuntimeState::Dead;
                let status = if self.sandbox.oom_killed() {
                    "signal: killed".to_string()
                } else {
                    status
                };
                Ending::Exited { status }
            }
        }
    }

    /// Writes END and REPORT and builds the output. `timing` is (invoke phase, init phase).
    fn finish(
        &mut self,
        req: Request,
        first_line: u64,
        ending: Ending,
        timing: (Duration, Option<Duration>),
        settings: Settings,
    ) -> InvokeOutput {
        self.finish_with(req, first_line, ending, timing, false, settings)
    }

    /// [`Env::finish`], where `overrun` says extensions outlasted the timeout after the
    /// runtime answered (the caller still gets the runtime's answer; REPORT says timeout).
    fn finish_with(
        &mut self,
        req: Request,
        first_line: u64,
        ending: Ending,
        timing: (Duration, Option<Duration>),
        overrun: bool,
        settings: Settings,
    ) -> InvokeOutput {
        let (duration, init_duration) = timing;
        self.capture.flush();
        let max_memory = self.sandbox.max_memory_used_bytes().unwrap_or(0);
        let (status, error_type) = if overrun {
            (Some("timeout"), None)
        } else {
            ending.report_status().unzip()
        };
        let report = Report {
            request_id: req.request_id.clone(),
            duration,
            billed_ms: report::billed_ms(duration, settings.billing_granularity_ms),
            memory_size_mb: self.memory_mb,
            max_memory_used_mb: max_memory.div_ceil(1024 * 1024),
            init_duration,
            status,
            error_type: error_type.flatten(),
        };
        if self.telemetry.active() {
            let mut metrics = json!({
                "durationMs": super::init::ms(report.duration),
                "billedDurationMs": report.billed_ms,
                "memorySizeMB": report.memory_size_mb,
                "maxMemoryUsedMB": report.max_memory_used_mb,
            });
            if let Some(init) = report.init_duration {
                metrics["initDurationMs"] = json!(super::init::ms(init));
            }
            let (status, error_type) = telemetry_status(&ending, report.status);
            let mut record =
                json!({ "requestId": req.request_id, "status": status, "metrics": metrics });
            if let Some(t) = report.error_type.as_deref().or(error_type) {
                record["errorType"] = json!(t);
            }
            self.telemetry.platform("platform.report", record);
        }
        let log_lines = {
            let mut stream = lock(&self.stream);
            stream.push(report::end_line(&req.request_id));
            stream.push(report.line());
            stream.since(first_line)
        };
        InvokeOutput {
            payload: ending.payload(&req.request_id),
            function_error: ending.function_error(),
            request_id: req.request_id,
            executed_version: req.version,
            log_lines,
            report,
        }
    }
}

/// Telemetry's `status` (`success`, `error`, `timeout`) and `errorType` for an ending;
/// `report_status` overrides the ending's own (an overrun after the answer is a timeout).
fn telemetry_status<'a>(
    ending: &'a Ending,
    report_status: Option<&'static str>,
) -> (&'static str, Option<&'a str>) {
    let status = report_status.unwrap_or(match ending {
        Ending::Response(_) => "success",
        Ending::TimedOut { .. } => "timeout",
        _ => "error",
    });
    let error_type = match ending {
        Ending::FunctionError { error_type, .. } => Some(error_type.as_str()),
        Ending::Platform { error_type, .. } => Some(*error_type),
        Ending::Exited { .. } => Some("Runtime.ExitError"),
        Ending::Response(_) | Ending::TimedOut { .. } => None,
    };
    (status, error_type.filter(|_| status != "success"))
}

pub(super) fn epoch_ms() -> u64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as u64
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
