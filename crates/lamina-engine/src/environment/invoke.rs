//! The invoke phase of one invocation: init first when the runtime needs it, START, the
//! hand-off to the Runtime API raced against the timeout and the runtime's exit, then END and
//! REPORT. Every way it can end is an [`Ending`], rendered once into the output.

use std::time::{Duration, Instant};

use lamina_runtime_api::{Invocation, InvokeOutcome};

use super::{Env, Request, RuntimeState, lock};
use crate::ending::Ending;
use crate::outcome::InvokeOutput;
use crate::report::{self, Report};
use crate::shared::Shared;

/// What the race of one invoke produced.
enum Raced {
    Answered(Result<InvokeOutcome, lamina_runtime_api::InvokeError>),
    TimedOut,
    Exited(String),
}

impl Env {
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
        if self.state.needs_init() {
            let began = Instant::now();
            let init = self.init(shared.init_timeout, timeout).await;
            init_duration = Some(began.elapsed());
            if let Err(ending) = init {
                let timing = (Duration::ZERO, init_duration);
                return self.finish(req, first_line, ending, timing, shared);
            }
        }
        lock(&self.stream).push(report::start_line(&req.request_id, &req.version));
        let _ = self.sandbox.reset_peak();
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
        let Env { sandbox, api, .. } = self;
        let raced = tokio::select! {
            answered = api.invoke(invocation) => Raced::Answered(answered),
            () = tokio::time::sleep(timeout) => Raced::TimedOut,
            status = sandbox.wait() => Raced::Exited(status.map(|s| s.to_string()).unwrap_or_else(|e| format!("unknown ({e})"))),
        };
        let duration = began.elapsed();
        let ending = self.ending_of(raced).await;
        if let Some(line) = ending.log_line(&req.request_id) {
            lock(&self.stream).push(line);
        }
        self.finish(req, first_line, ending, (duration, init_duration), shared)
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
        shared: &Shared,
    ) -> InvokeOutput {
        let (duration, init_duration) = timing;
        self.capture.flush();
        let max_memory = self.sandbox.max_memory_used_bytes().unwrap_or(0);
        let (status, error_type) = ending.report_status().unzip();
        let report = Report {
            request_id: req.request_id.clone(),
            duration,
            billed_ms: report::billed_ms(duration, shared.billing_granularity_ms),
            memory_size_mb: self.memory_mb,
            max_memory_used_mb: max_memory.div_ceil(1024 * 1024),
            init_duration,
            status,
            error_type: error_type.flatten(),
        };
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

fn epoch_ms() -> u64 {
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
