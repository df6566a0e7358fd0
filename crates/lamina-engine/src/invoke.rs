//! Running one invocation synchronously, and starting an environment ahead of its first
//! invocation (`prewarm`): the environment's resolution, the pool lease, the cold start when
//! no environment is idle, and the output of a function whose bootstrap cannot start.

use std::time::Duration;

use lamina_model::{Function, FunctionVersion, LambdaError};
use lamina_sandbox::ImageRoot;

use crate::environment::{Env, Request};
use crate::launch::LaunchFault;
use crate::pool::PoolKey;
use crate::{
    Engine, InvokeOutput, InvokeRequest, ResolvedEnvironment, StartFault, ending, logs, report,
};

impl Engine {
    /// Starts an execution environment for `version` ahead of its first invocation and parks
    /// it idle in the pool (`lamina local start-api --warm-containers EAGER`): the sandbox and
    /// the runtime process start now, so the first request does not pay for them. Nothing
    /// runs in the function; an environment already idle is left as it is.
    pub async fn prewarm(
        &self,
        function: &Function,
        version: &FunctionVersion,
    ) -> Result<(), LambdaError> {
        let resolved = self.resolve_environment(function, version);
        let key = PoolKey {
            version: version.version.clone(),
            revision: version.revision_id.clone(),
            image: resolved.image.clone(),
        };
        let mut lease = self
            .pools
            .acquire(&function.name, &key, function.reserved_concurrency)
            .map_err(|t| LambdaError::throttled(t.reason()))?;
        for env in std::mem::take(&mut lease.stale) {
            env.destroy();
        }
        let env = match lease.env.take() {
            Some(env) => env,
            None => {
                let started = Env::start(
                    &self.shared,
                    function,
                    version,
                    self.image_root(&resolved)?,
                    &resolved,
                )
                .await;
                self.refill_netns();
                started.map_err(|e| match e {
                    StartFault::Launch(fault) => LambdaError::new(
                        lamina_model::ErrorKind::InvalidRuntime,
                        format!("{} cannot start: {fault}", function.name),
                    ),
                    StartFault::Engine(e) => LambdaError::service(format!(
                        "starting an execution environment for {} failed: {e}",
                        function.name
                    )),
                })?
            }
        };
        let healthy = env.healthy();
        if let Some(stale) = lease.finish(env, healthy) {
            stale.destroy();
        }
        Ok(())
    }

    /// Runs one invocation synchronously (RequestResponse). A throttle or a function Lamina
    /// cannot run is an API error; everything that goes wrong in the function is an output
    /// with an error payload.
    pub async fn invoke(&self, mut req: InvokeRequest) -> Result<InvokeOutput, LambdaError> {
        let resolved = self.resolve_environment(&req.function, &req.version);
        let key = PoolKey {
            version: req.version.version.clone(),
            revision: req.version.revision_id.clone(),
            image: resolved.image.clone(),
        };
        let mut lease = self
            .pools
            .acquire(&req.function.name, &key, req.function.reserved_concurrency)
            .map_err(|t| LambdaError::throttled(t.reason()))?;
        // Warm environments of this version on an image it no longer resolves to.
        for env in std::mem::take(&mut lease.stale) {
            env.destroy();
        }
        let request_id = req.request_id.take().unwrap_or_else(request_id);
        let mut env = match lease.env.take() {
            Some(env) => env,
            None => match Env::start(
                &self.shared,
                &req.function,
                &req.version,
                self.image_root(&resolved)?,
                &resolved,
            )
            .await
            {
                Ok(env) => {
                    self.refill_netns();
                    env
                }
                Err(StartFault::Launch(
                    fault @ (LaunchFault::NoBootstrap | LaunchFault::Exec { .. }),
                )) => {
                    tracing::warn!(function = %req.function.name, image = %resolved.image, "{fault}");
                    return Ok(self.entrypoint_failure(&req, request_id, &fault));
                }
                Err(StartFault::Launch(
                    fault @ (LaunchFault::Unsupported(_) | LaunchFault::NotServed { .. }),
                )) => {
                    return Err(LambdaError::new(
                        lamina_model::ErrorKind::InvalidRuntime,
                        fault.to_string(),
                    ));
                }
                Err(StartFault::Engine(e)) => {
                    tracing::error!(error = %e, function = %req.function.name, "starting an execution environment failed");
                    return Err(LambdaError::service(
                        "Lamina could not start an execution environment; see the server log",
                    ));
                }
            },
        };
        let output = env
            .invoke(
                Request {
                    request_id,
                    payload: req.payload,
                    invoked_arn: req.invoked_arn,
                    client_context: req.client_context,
                    version: req.version.version.clone(),
                },
                &self.shared,
            )
            .await;
        let healthy = env.healthy();
        if let Some(stale) = lease.finish(env, healthy) {
            stale.destroy();
        }
        Ok(output)
    }

    /// The environment `version` runs in now (`host` without a resolver, as `lamina local`
    /// runs, with the runtime version `<runtime>.host`).
    pub fn resolve_environment(
        &self,
        function: &Function,
        version: &FunctionVersion,
    ) -> ResolvedEnvironment {
        match self.resolver.get() {
            Some(r) => r.resolve(function, version),
            None => {
                let image = lamina_model::environment::ImageId::host();
                let runtime_version = version.spec.runtime.as_deref().map(|runtime| {
                    lamina_model::environment::RuntimeVersion::new(
                        &self.shared.account.region,
                        runtime,
                        &image,
                    )
                });
                ResolvedEnvironment {
                    image,
                    runtime_version,
                    served: None,
                }
            }
        }
    }

    /// The root file system of a resolved image, or the error the caller sees when this
    /// engine cannot start it.
    fn image_root(&self, resolved: &ResolvedEnvironment) -> Result<ImageRoot, LambdaError> {
        self.shared.images.get(&resolved.image).ok_or_else(|| {
            LambdaError::new(
                lamina_model::ErrorKind::InvalidRuntime,
                format!(
                    "The function resolves to environment image {}, which this server cannot start; build or register it (lamina env build {})",
                    resolved.image, resolved.image
                ),
            )
        })
    }

    /// An invocation of a function whose bootstrap is missing or cannot be executed:
    /// Lambda's `Runtime.InvalidEntrypoint`, logged like any other invocation.
    fn entrypoint_failure(
        &self,
        req: &InvokeRequest,
        request_id: String,
        fault: &LaunchFault,
    ) -> InvokeOutput {
        let stream = self.shared.logs.new_stream(
            &req.version.spec.logging.log_group,
            logs::stream_name(&req.version.version),
        );
        let ending = ending::Ending::Platform {
            error_type: "Runtime.InvalidEntrypoint",
            message: fault.to_string(),
        };
        let (status, error_type) = ending.report_status().unzip();
        let report = report::Report {
            request_id: request_id.clone(),
            duration: Duration::ZERO,
            billed_ms: 0,
            memory_size_mb: req.version.spec.memory_size,
            max_memory_used_mb: 0,
            init_duration: None,
            status,
            error_type: error_type.flatten(),
        };
        let lines = {
            let mut s = stream
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let from = s.position();
            s.push(report::init_report_error_line(
                Duration::ZERO,
                "Runtime.InvalidEntrypoint",
            ));
            s.push(report::start_line(&request_id, &req.version.version));
            s.push(report::platform_error_line(
                &request_id,
                &fault.to_string(),
                "Runtime.InvalidEntrypoint",
            ));
            s.push(report::end_line(&request_id));
            s.push(report.line());
            s.since(from)
        };
        InvokeOutput {
            payload: ending.payload(&request_id),
            function_error: ending.function_error(),
            request_id,
            executed_version: req.version.version.clone(),
            log_lines: lines,
            report,
        }
    }
}

/// A request id, a version 4 UUID like Lambda's. From the thread's random generator rather
/// than `Uuid::new_v4`, which makes a `getrandom` system call for every invoke.
pub(crate) fn request_id() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_distinct_v4_uuids() {
        let a = uuid::Uuid::parse_str(&super::request_id()).unwrap();
        let b = uuid::Uuid::parse_str(&super::request_id()).unwrap();
        assert_eq!(a.get_version_num(), 4);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(a, b);
    }
}
