//! Errors the platform side can get from this crate. Errors the *runtime* sees are HTTP
//! responses and live in `wire.rs`.

/// Starting the Runtime API server failed.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeApiError {
    /// `serve` was called outside a tokio runtime.
    #[error("runtime api must be started inside a tokio runtime")]
    NoTokioRuntime,
    /// The handed listener could not be switched to non-blocking mode or registered.
    #[error("cannot use the runtime api listener: {0}")]
    Listener(#[source] std::io::Error),
}

/// An invoke could not be handed to the runtime, or its answer cannot come any more.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// Another invocation is queued or being processed by this runtime: one sandbox serves one
    /// invoke at a time, so this is a scheduling bug in the caller.
    #[error("sandbox runtime is busy with request {request_id}")]
    Busy {
        /// The invocation already holding the runtime.
        request_id: String,
    },
    /// A field of the invocation cannot be sent as an HTTP header value.
    #[error("invocation field for header {name} is not a valid header value")]
    InvalidHeader {
        /// The header that could not be built.
        name: &'static str,
    },
    /// The Runtime API was shut down or reset before the runtime answered.
    #[error("runtime api closed before the runtime answered")]
    Closed,
}
