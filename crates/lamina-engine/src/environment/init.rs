//! The init phase: restart the runtime in its sandbox when it died, then wait for its first
//! `/next`. An init that overruns the init timeout is retried once under the function's
//! timeout (Lambda's suppressed init).

use std::time::{Duration, Instant};

use lamina_runtime_api::InitOutcome;

use super::{Env, RuntimeState};
use crate::ending::Ending;
use crate::report;

impl Env {
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
            let deadline = Instant::now() + limit;
            let Env { sandbox, api, .. } = self;
            let ended = tokio::select! {
                outcome = api.wait_init(deadline) => Ok(outcome),
                status = sandbox.wait() => Err(status.map(|s| s.to_string()).unwrap_or_else(|e| format!("unknown ({e})"))),
            };
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
                Err(status) => {
                    self.state = RuntimeState::Dead;
                    return Err(Ending::Exited { status });
                }
                Ok(InitOutcome::TimedOut) => {
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

    /// Kills the runtime's processes and waits for them: the next invoke restarts it.
    pub(super) async fn kill_runtime(&mut self) {
        let _ = self.sandbox.kill_all();
        let _ = self.sandbox.wait().await;
        self.state = RuntimeState::Dead;
    }
}
