//! External extensions of an environment: which executables of `/opt/extensions` start (one
//! per file name, later layers winning as in `/opt`, at most Lambda's ten, in name order),
//! what environment they see (the function's, minus the variables Lambda hides from them),
//! and the shutdown of an environment that has extensions (SHUTDOWN, then up to 2,000 ms for
//! them to finish before everything is killed).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use lamina_runtime_api::{MAX_EXTENSIONS, ShutdownReason};
use lamina_sandbox::SandboxHandle;

use super::Env;

/// Where layers put external extensions, inside the sandbox.
pub(crate) const DIR: &str = "/opt/extensions";

/// How long extensions get after SHUTDOWN before they are killed (Lambda's budget with
/// external extensions).
pub(crate) const SHUTDOWN_BUDGET: Duration = Duration::from_millis(2000);

/// Variables of the function's environment that Lambda does not pass to extensions.
const HIDDEN: [&str; 10] = [
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_XRAY_CONTEXT_MISSING",
    "AWS_XRAY_DAEMON_ADDRESS",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
    "_AWS_XRAY_DAEMON_ADDRESS",
    "_AWS_XRAY_DAEMON_PORT",
    "_HANDLER",
];

/// The file names under `extensions/` across the layers (host-side directories merged at
/// `/opt` in this order), sorted, at most [`MAX_EXTENSIONS`].
pub(crate) fn discover(layer_dirs: &[PathBuf]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for dir in layer_dirs {
        let Ok(entries) = std::fs::read_dir(dir.join("extensions")) else {
            continue;
        };
        for entry in entries.flatten() {
            // Follows symlinks: a link to an executable is started like the executable.
            let is_file = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file());
            if let (true, Some(name)) = (is_file, entry.file_name().to_str())
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_owned());
            }
        }
    }
    names.sort();
    names.truncate(MAX_EXTENSIONS);
    names
}

/// The extensions' environment: the function's without the hidden variables.
pub(crate) fn environment(env: &[(String, String)]) -> Vec<(String, String)> {
    env.iter()
        .filter(|(k, _)| !HIDDEN.contains(&k.as_str()))
        .cloned()
        .collect()
}

impl<S: SandboxHandle> Env<S> {
    /// Sends SHUTDOWN (`reason`) to the extensions registered for it and waits until each
    /// has called `/event/next` again or every extension process has exited, at most
    /// [`SHUTDOWN_BUDGET`]. Telemetry subscribers get their last batches first. Returns at
    /// once when no extension asked for SHUTDOWN.
    pub async fn shutdown_extensions(&mut self, reason: ShutdownReason) {
        // Only a live runtime's extensions are there to hear it (a dead runtime took its
        // sandbox's processes with it).
        if self.extensions.is_empty()
            || self.state != super::RuntimeState::Ready
            || self.api.extensions_registered() == 0
        {
            return;
        }
        let until = Instant::now() + SHUTDOWN_BUDGET;
        let deadline_ms = super::invoke::epoch_ms() + SHUTDOWN_BUDGET.as_millis() as u64;
        if self.api.shutdown_extensions(reason, deadline_ms) == 0 {
            return;
        }
        while Instant::now() < until {
            let step = (Instant::now() + Duration::from_millis(20)).min(until);
            if self.api.wait_extensions_next(step).await || self.sandbox.extensions_exited() {
                break;
            }
        }
        // What they printed while shutting down belongs to the log.
        self.capture.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_layers_win_names_are_sorted_and_capped() {
        let base = std::env::temp_dir().join(format!("lamina-ext-{}", std::process::id()));
        let a = base.join("a");
        let b = base.join("b");
        std::fs::create_dir_all(a.join("extensions/sub")).unwrap();
        std::fs::create_dir_all(b.join("extensions")).unwrap();
        std::fs::write(a.join("extensions/zeta"), "").unwrap();
        std::fs::write(a.join("extensions/alpha"), "").unwrap();
        std::fs::write(b.join("extensions/alpha"), "").unwrap();
        for i in 0..12 {
            std::fs::write(b.join(format!("extensions/m{i:02}")), "").unwrap();
        }
        let names = discover(&[a.clone(), b.clone(), base.join("missing")]);
        assert_eq!(names.len(), MAX_EXTENSIONS);
        assert_eq!(names[0], "alpha");
        assert!(!names.contains(&"sub".to_owned()));
        assert!(
            !names.contains(&"zeta".to_owned()),
            "cut at ten, in name order"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn extensions_do_not_see_the_hidden_variables() {
        let env = vec![
            ("_HANDLER".to_owned(), "app.handler".to_owned()),
            ("AWS_REGION".to_owned(), "us-east-1".to_owned()),
            ("LAMBDA_TASK_ROOT".to_owned(), "/var/task".to_owned()),
        ];
        assert_eq!(
            environment(&env),
            [("AWS_REGION".to_owned(), "us-east-1".to_owned())]
        );
    }
}
