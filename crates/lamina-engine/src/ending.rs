//! How one invocation ended, as one type: the runtime's response, the function's error, a
//! timeout, an exit of the runtime, or a failure of the platform. Each ending is rendered
//! once, here, into everything that shows it: the payload the caller gets,
//! `X-Amz-Function-Error`, the REPORT line's `Status`/`Error Type`, and the log line the
//! platform writes for it.

use bytes::Bytes;
use serde_json::json;

use crate::report;

/// How an invocation (or the init that ran for it) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The runtime posted `/response`.
    Response(Bytes),
    /// The runtime posted an error (`/error` or `/init/error`), or its response was refused
    /// (too large): its body goes to the caller verbatim.
    FunctionError {
        /// The error type the platform keeps (REPORT's `Error Type`).
        error_type: String,
        /// The payload the caller gets.
        body: Bytes,
    },
    /// The function ran past its timeout (`Sandbox.Timedout`, REPORT `Status: timeout`).
    TimedOut {
        /// The configured timeout, seconds.
        timeout_s: u32,
    },
    /// The runtime process ended without answering (`Runtime.ExitError`).
    Exited {
        /// The status in Go's words, as Lambda prints it (`exit status 3`, `signal: killed`).
        status: String,
    },
    /// Lamina failed around the function (a lost runtime, an init that never finished).
    Platform {
        /// Lambda's error type (`Runtime.Unknown`, `Sandbox.Timedout`).
        error_type: &'static str,
        /// The message after `RequestId: … Error: `.
        message: String,
    },
}

/// An error payload `{"errorType", "errorMessage"}` for a platform-detected failure.
pub fn platform_error(error_type: &str, request_id: &str, message: &str) -> Bytes {
    Bytes::from(json!({ "errorType": error_type, "errorMessage": format!("RequestId: {request_id} Error: {message}") }).to_string())
}

impl Ending {
    /// What the caller gets.
    pub fn payload(&self, request_id: &str) -> Bytes {
        match self {
            Self::Response(body) | Self::FunctionError { body, .. } => body.clone(),
            Self::TimedOut { timeout_s } => platform_error(
                "Sandbox.Timedout",
                request_id,
                &report::timed_out_text(*timeout_s),
            ),
            Self::Exited { status } => {
                platform_error("Runtime.ExitError", request_id, &exit_message(status))
            }
            Self::Platform {
                error_type,
                message,
            } => platform_error(error_type, request_id, message),
        }
    }

    /// `X-Amz-Function-Error`: `Unhandled` for every ending but a response.
    pub fn function_error(&self) -> Option<&'static str> {
        match self {
            Self::Response(_) => None,
            _ => Some("Unhandled"),
        }
    }

    /// REPORT's `Status` and `Error Type`.
    pub fn report_status(&self) -> Option<(&'static str, Option<String>)> {
        match self {
            Self::Response(_) => None,
            Self::FunctionError { error_type, .. } => Some(("error", Some(error_type.clone()))),
            Self::TimedOut { .. } => Some(("timeout", None)),
            Self::Exited { .. } => Some(("error", Some("Runtime.ExitError".into()))),
            Self::Platform { error_type, .. } => Some(("error", Some((*error_type).to_string()))),
        }
    }

    /// The line the platform writes to the function's log stream when the invoke phase ends
    /// this way (timeouts and exits); `None` for the others.
    pub fn log_line(&self, request_id: &str) -> Option<String> {
        match self {
            Self::TimedOut { timeout_s } => Some(report::timed_out_line(request_id, *timeout_s)),
            Self::Exited { status } => {
                Some(report::exit_error_line(request_id, &exit_message(status)))
            }
            _ => None,
        }
    }
}

/// Lambda's words for a runtime exit: a clean exit without an answer has its own message.
fn exit_message(status: &str) -> String {
    if status == "exit status 0" {
        "Runtime exited without providing a reason".to_string()
    } else {
        format!("Runtime exited with error: {status}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(ending: &Ending) -> String {
        let v: serde_json::Value = serde_json::from_slice(&ending.payload("r1")).unwrap();
        v["errorMessage"].as_str().unwrap().to_string()
    }

    #[test]
    fn payloads_match_lambda() {
        let timeout = Ending::TimedOut { timeout_s: 1 };
        assert_eq!(
            message(&timeout),
            "RequestId: r1 Error: Task timed out after 1.00 seconds"
        );
        let killed = Ending::Exited {
            status: "signal: killed".into(),
        };
        assert_eq!(
            message(&killed),
            "RequestId: r1 Error: Runtime exited with error: signal: killed"
        );
        let clean = Ending::Exited {
            status: "exit status 0".into(),
        };
        assert_eq!(
            message(&clean),
            "RequestId: r1 Error: Runtime exited without providing a reason"
        );
    }

    #[test]
    fn each_ending_renders_its_header_status_and_log_line() {
        let ok = Ending::Response(Bytes::from_static(b"1"));
        assert_eq!(ok.payload("r"), Bytes::from_static(b"1"));
        assert_eq!((ok.function_error(), ok.report_status()), (None, None));
        assert_eq!(ok.log_line("r"), None);

        let failed = Ending::FunctionError {
            error_type: "Runtime.Unknown".into(),
            body: Bytes::from_static(b"{}"),
        };
        assert_eq!(failed.function_error(), Some("Unhandled"));
        assert_eq!(
            failed.report_status(),
            Some(("error", Some("Runtime.Unknown".into())))
        );
        assert_eq!(failed.log_line("r"), None);

        let timeout = Ending::TimedOut { timeout_s: 3 };
        assert_eq!(timeout.report_status(), Some(("timeout", None)));
        assert!(
            timeout
                .log_line("r")
                .unwrap()
                .ends_with(" r Task timed out after 3.00 seconds")
        );

        let exited = Ending::Exited {
            status: "exit status 2".into(),
        };
        assert_eq!(
            exited.log_line("r").unwrap(),
            "RequestId: r Error: Runtime exited with error: exit status 2\nRuntime.ExitError"
        );
        assert_eq!(
            exited.report_status(),
            Some(("error", Some("Runtime.ExitError".into())))
        );

        let lost = Ending::Platform {
            error_type: "Runtime.Unknown",
            message: "Lamina lost the runtime".into(),
        };
        let v: serde_json::Value = serde_json::from_slice(&lost.payload("r")).unwrap();
        assert_eq!(v["errorType"], "Runtime.Unknown");
    }
}
