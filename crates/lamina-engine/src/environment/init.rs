//! The init phase: restart the runtime in its sandbox when it died, let the external
//! extensions register before the runtime starts (Lambda's order), then wait until the runtime
//! and every extension have called `/next`. An init that overruns the init timeout is retried
//! once under the function's timeout (Lambda's suppressed init). The phase is told to
//! telemetry subscribers as `platform.initStart`, `platform.initRuntimeDone` and
//! `platform.initReport`.

use std::time::{Duration, Instant};

use lamina_runtime_api::InitOutcome;
use lamina_sandbox::SandboxHandle;
use serde_json::json;

use super::{Env, RuntimeState};
use crate::ending::Ending;
use crate::report;

/// How one init attempt ended before the runtime could report.
enum Early {
    /// The sandbox's processes ended, with this status.
    Exited(String),
    /// The extensions did not all register in time.
    TimedOut,
}

impl<S: SandboxHandle> Env<S> {
    /// Restarts the runtime if needed and waits for its init; on failure, how the invocation
    /// that waited for it ends.
    pub(super) async fn init(
        &mut self,
        init_timeout: Duration,
        function_timeout: Duration,
    ) -> Result<(), Ending> {
        for (attempt, limit) in [(0, init_timeout), (1, function_timeout)] {
            if self.state == RuntimeState::Dead {
                self.api.reset();
                self.released = false;
                if let Err(e) = self.sandbox.restart().await {
                    tracing::error!(error = %e, "restarting a runtime failed");
                    self.state = RuntimeState::Broken;
                    return Err(Ending::Platform {
                        error_type: "Runtime.Unknown",
                        message: "Lamina could not restart the runtime".into(),
                    });
                }
                self.state = RuntimeState::Initialising;
            }
            let phase = if attempt == 0 { "init" } else { "invoke" };
            self.emit_init_start(phase);
            let began = Instant::now();
            let deadline = began + limit;
            let ended = match self.release_runtime(deadline).await {
                Err(early) => Err(early),
                Ok(()) => {
                    let Env { sandbox, api, .. } = self;
                    tokio::select! {
                        outcome = api.wait_init(deadline) => Ok(outcome),
                        status = sandbox.wait() => Err(Early::Exited(status.map(|s| s.to_string()).unwrap_or_else(|e| format!("unknown ({e})")))),
                    }
                }
            };
            let status = match &ended {
                Ok(InitOutcome::Ready) => "success",
                Ok(InitOutcome::Error { .. }) | Err(Early::Exited(_)) => "error",
                Ok(InitOutcome::TimedOut) | Err(Early::TimedOut) => "timeout",
            };
            self.emit_init_done(phase, status, began.elapsed());
            match ended {
                Ok(InitOutcome::Ready) => {
                    self.state = RuntimeState::Ready;
                    return Ok(());
                }
                Ok(InitOutcome::Error { error_type, body }) => {
                    // The runtime exits after reporting; the next invoke starts it again.
                    self.kill_runtime().await;
                    return Err(Ending::FunctionError { error_type, body });
                }
                Err(Early::Exited(status)) => {
                    self.state = RuntimeState::Dead;
                    return Err(Ending::Exited { status });
                }
                Ok(InitOutcome::TimedOut) | Err(Early::TimedOut) => {
                    self.kill_runtime().await;
                    if attempt == 1 {
                        return Err(Ending::Platform {
                            error_type: "Sandbox.Timedout",
                            message: report::timed_out_text(function_timeout.as_secs() as u32),
                        });
                    }
                }
            }
        }
        Err(Ending::Platform {
            error_type: "Sandbox.Timedout",
            message: "init did not finish".into(),
        })
    }

    /// With external extensions, the runtime of this start is held back until every one of
    /// them has registered; then it is released. Without extensions it runs already.
    async fn release_runtime(&mut self, deadline: Instant) -> Result<(), Early> {
        if self.extensions.is_empty() || self.released {
            return Ok(());
        }
        let Env { sandbox, api, .. } = self;
        let registered = tokio::select! {
            ok = api.wait_extensions_registered(deadline) => ok,
            status = sandbox.wait() => {
                return Err(Early::Exited(status.map(|s| s.to_string()).unwrap_or_else(|e| format!("unknown ({e})"))));
            }
        };
        if !registered {
            return Err(Early::TimedOut);
        }
        if let Err(e) = self.sandbox.release_runtime() {
            tracing::warn!(error = %e, "releasing the runtime after its extensions failed");
            return Err(Early::Exited(format!("unknown ({e})")));
        }
        self.released = true;
        Ok(())
    }

    fn emit_init_start(&self, phase: &str) {
        if !self.telemetry.active() {
            return;
        }
        let mut record = json!({ "initializationType": "on-demand", "phase": phase });
        if let Some((name, arn)) = &self.runtime_version {
            record["runtimeVersion"] = json!(name);
            record["runtimeVersionArn"] = json!(arn);
        }
        self.telemetry.platform("platform.initStart", record);
    }

    fn emit_init_done(&self, phase: &str, status: &str, took: Duration) {
        if !self.telemetry.active() {
            return;
        }
        self.telemetry.platform(
            "platform.initRuntimeDone",
            json!({ "initializationType": "on-demand", "phase": phase, "status": status }),
        );
        self.telemetry.platform(
            "platform.initReport",
            json!({
                "initializationType": "on-demand",
                "phase": phase,
                "status": status,
                "metrics": { "durationMs": ms(took) },
            }),
        );
    }

    /// Kills the runtime's processes and waits for them: the next invoke restarts it.
    pub(super) async fn kill_runtime(&mut self) {
        let _ = self.sandbox.kill_all();
        let _ = self.sandbox.wait().await;
        self.state = RuntimeState::Dead;
    }
}

/// A duration in milliseconds with three decimals, as telemetry metrics carry them.
pub(super) fn ms(d: Duration) -> f64 {
    (d.as_micros() as f64 / 1000.0 * 1000.0).round() / 1000.0
}
