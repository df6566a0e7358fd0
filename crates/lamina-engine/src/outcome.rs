//! What an invocation ended with, and the error payloads Lambda sends for failures that
//! happen around the function rather than inside it (timeouts, crashes, missing bootstrap).

use bytes::Bytes;
use serde_json::json;

/// The result of one invocation.
#[derive(Debug, Clone)]
pub struct InvokeOutput {
    /// The request id.
    pub request_id: String,
    /// The version that ran (`X-Amz-Executed-Version`).
    pub executed_version: String,
    /// The response or the error payload.
    pub payload: Bytes,
    /// `Unhandled` when the function failed (`X-Amz-Function-Error`).
    pub function_error: Option<&'static str>,
    /// The invocation's log lines (START … REPORT), for `X-Amz-Log-Type: Tail` and the console.
    pub log_lines: Vec<String>,
    /// The REPORT figures.
    pub report: crate::report::Report,
}

/// An error payload `{"errorType", "errorMessage"}` for a platform-detected failure.
pub fn platform_error(error_type: &str, request_id: &str, message: &str) -> Bytes {
    Bytes::from(json!({ "errorType": error_type, "errorMessage": format!("RequestId: {request_id} Error: {message}") }).to_string())
}

/// `Sandbox.Timedout`.
pub fn timed_out(request_id: &str, timeout_s: u32) -> Bytes {
    platform_error(
        "Sandbox.Timedout",
        request_id,
        &crate::report::timed_out_text(timeout_s),
    )
}

/// `Runtime.ExitError` with the exit status in Go's words, or Lambda's message for a clean
/// exit without an answer.
pub fn exited(request_id: &str, status: &str) -> Bytes {
    if status == "exit status 0" {
        platform_error(
            "Runtime.ExitError",
            request_id,
            "Runtime exited without providing a reason",
        )
    } else {
        platform_error(
            "Runtime.ExitError",
            request_id,
            &format!("Runtime exited with error: {status}"),
        )
    }
}

/// `Runtime.InvalidEntrypoint` for a missing bootstrap.
pub fn invalid_entrypoint(request_id: &str) -> Bytes {
    platform_error(
        "Runtime.InvalidEntrypoint",
        request_id,
        "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_match_lambda() {
        let v: serde_json::Value = serde_json::from_slice(&timed_out("r1", 1)).unwrap();
        assert_eq!(v["errorType"], "Sandbox.Timedout");
        assert_eq!(
            v["errorMessage"],
            "RequestId: r1 Error: Task timed out after 1.00 seconds"
        );
        let v: serde_json::Value = serde_json::from_slice(&exited("r1", "signal: killed")).unwrap();
        assert_eq!(
            v["errorMessage"],
            "RequestId: r1 Error: Runtime exited with error: signal: killed"
        );
        let v: serde_json::Value = serde_json::from_slice(&exited("r1", "exit status 0")).unwrap();
        assert_eq!(
            v["errorMessage"],
            "RequestId: r1 Error: Runtime exited without providing a reason"
        );
    }
}
