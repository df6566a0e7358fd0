//! What a sandbox runs for a function: the command line and the exact environment Lambda
//! gives a function (reference §2.4), user variables included. Nothing of the platform's own
//! environment leaks in.
//!
//! The runtime's launch recipe (argv, `AWS_EXECUTION_ENV`, `PYTHONPATH`/`NODE_PATH`) is the
//! model's ([`Runtime::argv`], [`Runtime::launch_env`]); the interpreter is the absolute path
//! the image's manifest records for the runtime, so no `PATH` search decides which
//! interpreter runs.

use std::path::{Path, PathBuf};

use lamina_model::environment::{ImageId, ServedRuntime};
use lamina_model::runtime::{Family, Runtime};
use lamina_model::{Account, Function, FunctionVersion};

pub use lamina_model::runtime::{RUNTIME_DIR, TASK_ROOT};

/// Why a function cannot be started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchFault {
    /// No executable bootstrap in the code or in `/opt` (`Runtime.InvalidEntrypoint`).
    NoBootstrap,
    /// A runtime Lamina cannot run (Java, .NET, Ruby, Go, images).
    Unsupported(String),
    /// The image the function resolves to has no interpreter for its runtime.
    NotServed {
        /// The runtime.
        runtime: String,
        /// The image.
        image: ImageId,
    },
    /// The sandbox could not execute the runtime's program.
    Exec {
        /// The program (`/usr/bin/python3.11`, `/var/task/bootstrap`).
        path: String,
        /// The OS error.
        message: String,
    },
}

impl std::fmt::Display for LaunchFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoBootstrap => f.write_str(
                "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]",
            ),
            Self::Unsupported(runtime) => write!(
                f,
                "The runtime parameter of {runtime} is not supported by Lamina yet: it runs provided, provided.al2, provided.al2023, python3.x and nodejs*.x functions"
            ),
            Self::NotServed { runtime, image } => write!(
                f,
                "environment image {image} has no interpreter for runtime {runtime}"
            ),
            Self::Exec { path, message } => write!(f, "exec {path}: {message}"),
        }
    }
}

/// The runtime's command line. For `provided*`, the bootstrap in the code wins over one in
/// a layer, as in Lambda; the host paths are checked so a missing one is reported before a
/// sandbox is made. For an interpreted runtime, `served` is how the image serves it (from
/// its manifest); the interpreter is started by that absolute path.
pub fn command(
    version: &FunctionVersion,
    image: &ImageId,
    served: Option<&ServedRuntime>,
    code_dir: &Path,
    layer_dirs: &[PathBuf],
) -> Result<Vec<String>, LaunchFault> {
    let Some(runtime) = version.spec.runtime else {
        return Err(LaunchFault::Unsupported("(none)".into()));
    };
    match runtime.family() {
        Family::Provided => {
            if is_executable(&code_dir.join("bootstrap")) {
                return Ok(vec![format!("{TASK_ROOT}/bootstrap")]);
            }
            // The last layer that has one is what /opt shows.
            if layer_dirs
                .iter()
                .any(|d| is_executable(&d.join("bootstrap")))
            {
                return Ok(vec!["/opt/bootstrap".into()]);
            }
            Err(LaunchFault::NoBootstrap)
        }
        Family::Python | Family::Node => served
            .filter(|s| s.interpreter.starts_with('/'))
            .and_then(|s| runtime.argv(&s.interpreter))
            .ok_or_else(|| LaunchFault::NotServed {
                runtime: runtime.to_string(),
                image: image.clone(),
            }),
        Family::Other => Err(LaunchFault::Unsupported(runtime.to_string())),
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Everything that names one execution environment in its variables.
pub struct EnvContext<'a> {
    /// Region and account.
    pub account: &'a Account,
    /// The function.
    pub function: &'a Function,
    /// The version it runs.
    pub version: &'a FunctionVersion,
    /// `host:port` of its Runtime API.
    pub runtime_api: &'a str,
    /// Its log stream.
    pub log_stream: &'a str,
}

/// The environment of the runtime process: Lambda's reserved and default variables, then
/// the function's own (which validation keeps away from the reserved names).
pub fn environment(ctx: &EnvContext<'_>) -> Vec<(String, String)> {
    let spec = &ctx.version.spec;
    let runtime: Option<Runtime> = spec.runtime;
    let mut env: Vec<(String, String)> = Vec::with_capacity(32 + spec.environment.len());
    let mut set = |k: &str, v: String| env.push((k.to_string(), v));
    set("_HANDLER", spec.handler.clone().unwrap_or_default());
    set("AWS_REGION", ctx.account.region.clone());
    set("AWS_DEFAULT_REGION", ctx.account.region.clone());
    set("AWS_LAMBDA_FUNCTION_NAME", ctx.function.name.clone());
    set(
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        spec.memory_size.to_string(),
    );
    set("AWS_LAMBDA_FUNCTION_VERSION", ctx.version.version.clone());
    set("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into());
    set("AWS_LAMBDA_LOG_GROUP_NAME", spec.logging.log_group.clone());
    set("AWS_LAMBDA_LOG_STREAM_NAME", ctx.log_stream.to_string());
    if spec.logging.log_format == "JSON" {
        set("AWS_LAMBDA_LOG_FORMAT", "JSON".into());
        if let Some(level) = &spec.logging.application_log_level {
            set("AWS_LAMBDA_LOG_LEVEL", level.clone());
        }
    }
    // Lamina has no IAM: the credentials are per-environment placeholders that SDKs accept
    // and that grant nothing. They are never the platform's own.
    let token = uuid::Uuid::new_v4().simple().to_string();
    set(
        "AWS_ACCESS_KEY_ID",
        format!("ASIALAMINA{}", &token[..10].to_uppercase()),
    );
    set(
        "AWS_ACCESS_KEY",
        format!("ASIALAMINA{}", &token[..10].to_uppercase()),
    );
    set("AWS_SECRET_ACCESS_KEY", token[..32].to_string());
    set("AWS_SESSION_TOKEN", format!("lamina-session-{token}"));
    set("AWS_LAMBDA_RUNTIME_API", ctx.runtime_api.to_string());
    set("LAMBDA_TASK_ROOT", TASK_ROOT.into());
    set("LAMBDA_RUNTIME_DIR", RUNTIME_DIR.into());
    set("TZ", ":UTC".into());
    set("LANG", "en_US.UTF-8".into());
    set("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".into());
    set(
        "LD_LIBRARY_PATH",
        format!(
            "/lib64:/usr/lib64:{RUNTIME_DIR}:{RUNTIME_DIR}/lib:{TASK_ROOT}:{TASK_ROOT}/lib:/opt/lib"
        ),
    );
    set("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR".into());
    set("AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129:2000".into());
    set("_AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129".into());
    set("_AWS_XRAY_DAEMON_PORT", "2000".into());
    // The runtime's own variables (AWS_EXECUTION_ENV, its module path), from its recipe.
    for (k, v) in runtime.map(Runtime::launch_env).unwrap_or_default() {
        set(k, v);
    }
    for (k, v) in &spec.environment {
        env.push((k.clone(), v.clone()));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use lamina_model::function::{State, UpdateStatus};
    use lamina_model::{CodeRef, FunctionSpec};

    fn version(runtime: &str) -> FunctionVersion {
        FunctionVersion {
            version: "$LATEST".into(),
            spec: FunctionSpec {
                memory_size: 256,
                environment: [("GREETING".to_string(), "hi".to_string())].into(),
                ..FunctionSpec::new(
                    "f",
                    runtime.parse().unwrap(),
                    "app.handler",
                    "arn:aws:iam::000000000000:role/r",
                )
            },
            code: CodeRef {
                sha256_hex: "00".into(),
                code_sha256: "x".into(),
                size: 1,
                unzipped_size: 1,
            },
            last_modified: time::OffsetDateTime::UNIX_EPOCH,
            revision_id: "r".into(),
            state: State::Active,
            last_update_status: UpdateStatus::Successful,
            state_reason: None,
            update_reason: None,
        }
    }

    fn function(v: &FunctionVersion) -> Function {
        Function {
            name: "f".into(),
            latest: v.clone(),
            tags: Default::default(),
            policy: vec![],
            policy_revision_id: "p".into(),
            reserved_concurrency: None,
            runtime_management: Default::default(),
            recursive_loop: None,
            next_version: 1,
            created: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn python_environment_has_lambdas_variables() {
        let v = version("python3.12");
        let f = function(&v);
        let account = Account::default();
        let env = environment(&EnvContext {
            account: &account,
            function: &f,
            version: &v,
            runtime_api: "127.0.0.1:9001",
            log_stream: "s",
        });
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("AWS_EXECUTION_ENV"), Some("AWS_Lambda_python3.12"));
        assert_eq!(get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), Some("256"));
        assert_eq!(get("AWS_LAMBDA_RUNTIME_API"), Some("127.0.0.1:9001"));
        assert_eq!(get("PYTHONPATH"), Some("/var/runtime"));
        assert_eq!(get("GREETING"), Some("hi"));
        assert_eq!(get("_HANDLER"), Some("app.handler"));
    }

    #[test]
    fn provided_has_no_execution_env_and_needs_a_bootstrap() {
        let v = version("provided.al2023");
        let f = function(&v);
        let account = Account::default();
        let env = environment(&EnvContext {
            account: &account,
            function: &f,
            version: &v,
            runtime_api: "x:1",
            log_stream: "s",
        });
        assert!(!env.iter().any(|(k, _)| k == "AWS_EXECUTION_ENV"));
        let empty = std::env::temp_dir().join(format!("lamina-launch-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&empty).unwrap();
        let host = ImageId::host();
        assert_eq!(
            command(&v, &host, None, &empty, &[]),
            Err(LaunchFault::NoBootstrap)
        );
        assert_eq!(
            command(&version("java21"), &host, None, &empty, &[]),
            Err(LaunchFault::Unsupported("java21".into()))
        );
    }

    #[test]
    fn interpreters_start_by_the_manifests_absolute_path() {
        let empty = std::path::Path::new("/nonexistent");
        let host = ImageId::host();
        let node = ServedRuntime {
            interpreter: "/var/lang/nodejs22/bin/node".into(),
            version: "22.23.5".into(),
        };
        assert_eq!(
            command(&version("nodejs22.x"), &host, Some(&node), empty, &[]).unwrap(),
            [
                "/var/lang/nodejs22/bin/node",
                "/var/runtime/nodejs/bootstrap.js"
            ]
        );
        // No interpreter recorded: refused, naming the runtime and the image.
        let fault = command(&version("python3.13"), &host, None, empty, &[]).unwrap_err();
        assert_eq!(
            fault.to_string(),
            "environment image host has no interpreter for runtime python3.13"
        );
    }
}
