//! What an invocation gives back to the front door.

use bytes::Bytes;

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
