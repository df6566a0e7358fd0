//! Running one invocation synchronously, and starting an environment ahead of its first
//! invocation (`prewarm`): the environment's resolution, the pool lease, the cold start when
//! no environment is idle, and the output of a function whose bootstrap cannot start.

use std::time::Duration;

use lamina_model::{Function, FunctionVersion, LambdaError};
use lamina_sandbox::ImageRoot;

use lamina_model::environment::{HOST_IMAGE, ImageId};
use tracing::Instrument;

use crate::environment::{Env, Request};
use crate::launch::LaunchFault;
use crate::pool::{Lease, PoolKey};
use crate::{
    Engine, InvokeOutput, InvokeRequest, ResolvedEnvironment, StartFault, ending, logs, report,
};

/// Why [`Engine::lease_env`] gave no environment.
enum LeaseFault {
    /// Refused before starting anything: throttled, or an image this engine cannot start.
    Refused(LambdaError),
    /// No environment was idle and starting one failed.
    Start(StartFault),
}

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
        let (lease, env) = match self.lease_env(function, version, &resolved).await {
            Ok(leased) => leased,
            Err(LeaseFault::Refused(e)) => return Err(e),
            Err(LeaseFault::Start(StartFault::Launch(fault))) => {
                return Err(LambdaError::new(
                    lamina_model::ErrorKind::InvalidRuntime,
                    format!("{} cannot start: {fault}", function.name),
                ));
            }
            Err(LeaseFault::Start(StartFault::Engine(e))) => {
                return Err(LambdaError::service(format!(
                    "starting an execution environment for {} failed: {e}",
                    function.name
                )));
            }
        };
        give_back(lease, env);
        Ok(())
    }

    /// Runs one invocation synchronously (RequestResponse). A throttle or a function Lamina
    /// cannot run is an API error; everything that goes wrong in the function is an output
    /// with an error payload.
    ///
    /// Everything it logs, down to the environment and the sandbox, is inside one `invoke`
    /// span: function, qualifier, version, request id, then the image and whether the start
    /// was cold once they are known (`--log-format json` prints them with every line).
    pub async fn invoke(&self, mut req: InvokeRequest) -> Result<InvokeOutput, LambdaError> {
        let request_id = req.request_id.take().unwrap_or_else(request_id);
        let span = tracing::info_span!(
            "invoke",
            function = %req.function.name,
            qualifier = qualifier_of(&req.invoked_arn),
            version = %req.version.version,
            request_id = %request_id,
            image = tracing::field::Empty,
            cold = tracing::field::Empty,
        );
        self.invoke_in_span(req, request_id).instrument(span).await
    }

    async fn invoke_in_span(
        &self,
        req: InvokeRequest,
        request_id: String,
    ) -> Result<InvokeOutput, LambdaError> {
        let resolved = self.resolve_environment(&req.function, &req.version);
        tracing::Span::current().record("image", tracing::field::display(&resolved.image));
        let (lease, mut env) = match self.lease_env(&req.function, &req.version, &resolved).await {
            Ok(leased) => leased,
            Err(LeaseFault::Refused(e)) => {
                if e.kind == lamina_model::ErrorKind::TooManyRequests {
                    self.metrics.throttled(&req, resolved.image.as_str());
                }
                return Err(e);
            }
            Err(LeaseFault::Start(StartFault::Launch(
                fault @ (LaunchFault::NoBootstrap | LaunchFault::Exec { .. }),
            ))) => {
                tracing::warn!(function = %req.function.name, image = %resolved.image, "{fault}");
                let in_flight = self.metrics.begin(&req, resolved.image.as_str());
                let output = self.entrypoint_failure(&req, request_id, &fault);
                crate::metrics::finish(in_flight, &output.report);
                return Ok(output);
            }
            Err(LeaseFault::Start(StartFault::Launch(
                fault @ (LaunchFault::Unsupported(_) | LaunchFault::NotServed { .. }),
            ))) => {
                return Err(LambdaError::new(
                    lamina_model::ErrorKind::InvalidRuntime,
                    fault.to_string(),
                ));
            }
            Err(LeaseFault::Start(StartFault::Engine(e))) => {
                tracing::error!(error = %e, function = %req.function.name, "starting an execution environment failed");
                return Err(LambdaError::service(
                    "Lamina could not start an execution environment; see the server log",
                ));
            }
        };
        let in_flight = self.metrics.begin(&req, resolved.image.as_str());
        let output = env
            .invoke(
                Request {
                    request_id,
                    payload: req.payload,
                    invoked_arn: req.invoked_arn,
                    client_context: req.client_context,
                    version: req.version.version.clone(),
                },
                self.shared.env_settings(),
            )
            .await;
        crate::metrics::finish(in_flight, &output.report);
        give_back(lease, env);
        Ok(output)
    }

    /// The one way to get an environment for `version`, shared by `invoke` and `prewarm`: a
    /// lease under the reserved and account limits with a warm environment when one is idle
    /// on the resolved image, else one started now. Idle environments of this version on an
    /// image it no longer resolves to are destroyed on the way.
    async fn lease_env(
        &self,
        function: &Function,
        version: &FunctionVersion,
        resolved: &ResolvedEnvironment,
    ) -> Result<(Lease<Env>, Env), LeaseFault> {
        let key = PoolKey {
            version: version.version.clone(),
            revision: version.revision_id.clone(),
            image: resolved.image.clone(),
        };
        let mut lease = self
            .pools
            .acquire(&function.name, &key, function.reserved_concurrency)
            .map_err(|t| LeaseFault::Refused(LambdaError::throttled(t.reason())))?;
        for env in std::mem::take(&mut lease.stale) {
            env.destroy();
        }
        if let Some(env) = lease.env.take() {
            tracing::Span::current().record("cold", false);
            return Ok((lease, env));
        }
        tracing::Span::current().record("cold", true);
        tracing::info!(function = %function.name, image = %resolved.image, "starting an execution environment");
        let root = self
            .image_root(&resolved.image)
            .map_err(LeaseFault::Refused)?;
        let started = Env::start(&self.shared, function, version, root, resolved).await;
        // The start took a ready namespace and init (or made its own): top the pools up.
        self.refill_netns();
        match started {
            Ok(env) => Ok((lease, env)),
            Err(fault) => Err(LeaseFault::Start(fault)),
        }
    }

    /// The environment `version` of `function` runs in now, from the resolver given at start.
    pub fn resolve_environment(
        &self,
        function: &Function,
        version: &FunctionVersion,
    ) -> ResolvedEnvironment {
        self.resolver.resolve(function, version)
    }

    /// The root file system of `image`: the engine's own for `host`, else the folder the
    /// resolver's registry holds; or the error the caller sees when it has none.
    fn image_root(&self, image: &ImageId) -> Result<ImageRoot, LambdaError> {
        if image.as_str() == HOST_IMAGE {
            return Ok(self.shared.host_image.clone());
        }
        self.resolver
            .image_dir(image)
            .map(ImageRoot::directory)
            .ok_or_else(|| {
                LambdaError::new(
                    lamina_model::ErrorKind::InvalidRuntime,
                    format!(
                        "The function resolves to environment image {image}, which this server cannot start; build or register it (lamina env build {image})"
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

/// Gives a used environment back to the pool, or destroys it when it must not serve again
/// (broken, or its function was drained meanwhile).
fn give_back(lease: Lease<Env>, env: Env) {
    let healthy = env.healthy();
    if let Some(stale) = lease.finish(env, healthy) {
        stale.destroy();
    }
}

/// The qualifier of an invoked ARN (`$LATEST` when it has none), for the invoke span.
fn qualifier_of(invoked_arn: &str) -> &str {
    // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    invoked_arn.split(':').nth(7).unwrap_or("$LATEST")
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
    fn the_span_names_the_qualifier_or_latest() {
        let arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
        assert_eq!(super::qualifier_of(arn), "$LATEST");
        assert_eq!(super::qualifier_of(&format!("{arn}:live")), "live");
        assert_eq!(super::qualifier_of(&format!("{arn}:3")), "3");
    }

    #[test]
    fn request_ids_are_distinct_v4_uuids() {
        let a = uuid::Uuid::parse_str(&super::request_id()).unwrap();
        let b = uuid::Uuid::parse_str(&super::request_id()).unwrap();
        assert_eq!(a.get_version_num(), 4);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(a, b);
    }
}
