//! Building an environment: the function's code and layers from the code cache, the launch
//! command, a network namespace (or the host's, for `lamina:network=host`), the log stream
//! with `INIT_START`, the Runtime API server, and the sandbox itself.

use std::sync::Arc;

use lamina_model::{Function, FunctionVersion};
use lamina_runtime_api::{FunctionInfo, RuntimeApi, RuntimeApiConfig};
use lamina_sandbox::{ImageRoot, LogPipe, Network, Sandbox, SandboxSpec};

use super::{Env, RuntimeState, StartFault, extensions, lock};
use crate::error::EngineError;
use crate::images::ResolvedEnvironment;
use crate::launch::{self, EnvContext, LaunchFault};
use crate::logs::Capture;
use crate::report;
use crate::shared::Shared;

impl Env {
    /// Builds and starts an environment for `version` of `function` on `image`, printing
    /// `INIT_START` with the resolved runtime version first when there is one.
    pub async fn start(
        shared: &Arc<Shared>,
        function: &Function,
        version: &FunctionVersion,
        image: ImageRoot,
        resolved: &ResolvedEnvironment,
    ) -> Result<Env, StartFault> {
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
        let (network, listener, connector) = if host_network {
            let l = std::net::TcpListener::bind("127.0.0.1:0")
                .map_err(|e| EngineError::Internal(format!("binding a runtime api port: {e}")))?;
            (Network::Host, l, lamina_runtime_api::loopback_connector())
        } else {
            let (ns, l) = shared.netns.take().await?;
            // Telemetry reaches subscribers' listeners on the sandbox's own loopback.
            let inside = ns.try_clone().map_err(EngineError::from)?;
            let connector: lamina_runtime_api::Connector =
                Arc::new(move |port| inside.connect(port));
            (Network::Isolated(ns), l, connector)
        };
        let extension_names = extensions::discover(&layer_dirs);
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
        if let Some(rv) = &resolved.runtime_version {
            lock(&stream).push(report::init_start_line(rv));
        }
        let env = launch::environment(&EnvContext {
            account: &shared.account,
            function,
            version,
            runtime_api: &runtime_api,
            log_stream: &stream_name,
        });
        let extension_env = extensions::environment(&env);
        let pipe = LogPipe::new().map_err(EngineError::from)?;
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
            extensions: extension_names
                .iter()
                .map(|n| format!("{}/{n}", extensions::DIR))
                .collect(),
            extension_env,
            cwd: launch::TASK_ROOT.into(),
            uid,
            gid: uid,
            network,
            stdout: pipe.stdout,
            stderr: pipe.stderr,
        };
        let api_config = RuntimeApiConfig {
            function: FunctionInfo {
                function_name: function.name.clone(),
                function_version: version.version.clone(),
                handler: version.spec.handler.clone().unwrap_or_default(),
                account_id: shared.account.account_id.clone(),
            },
            connector,
            ..RuntimeApiConfig::default()
        };
        let api = RuntimeApi::serve(listener, api_config).map_err(EngineError::from)?;
        api.expect_extensions(extension_names.clone());
        let telemetry = api.telemetry();
        let capture = Capture::start(pipe.read, Arc::clone(&stream), Some(telemetry.clone()))
            .map_err(|e| EngineError::Internal(format!("capturing logs: {e}")))?;
        let cfg = shared.sandbox.clone();
        let prepared = shared.inits.take();
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
        Ok(Env {
            state: RuntimeState::Initialising,
            sandbox,
            api,
            capture,
            stream,
            timeout_s: version.spec.timeout,
            memory_mb: version.spec.memory_size,
            cold_from: Some(cold_from),
            extensions: extension_names,
            released: false,
            telemetry,
            runtime_version: resolved
                .runtime_version
                .as_ref()
                .map(|rv| (rv.name(), rv.arn.clone())),
        })
    }
}
