//! Errors of event generation. Each names what was asked for and lists the valid choices, so
//! the command line can print the message as it is.

/// Why an event could not be generated.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    /// The service is not in the catalog.
    #[error("unknown service '{service}'; valid services: {}", .valid.join(", "))]
    UnknownService {
        /// What was asked for.
        service: String,
        /// Every service in the catalog.
        valid: Vec<String>,
    },
    /// The service exists but has no such event.
    #[error("unknown event '{event}' for service '{service}'; valid events: {}", .valid.join(", "))]
    UnknownEvent {
        /// The service.
        service: String,
        /// What was asked for.
        event: String,
        /// Every event of that service.
        valid: Vec<String>,
    },
    /// The event does not take this option.
    #[error(
        "unknown option '--{option}' for '{service} {event}'; valid options: {}",
        if .valid.is_empty() { "(none)".to_string() } else { .valid.iter().map(|v| format!("--{v}")).collect::<Vec<_>>().join(", ") }
    )]
    UnknownOption {
        /// The service.
        service: String,
        /// The event.
        event: String,
        /// The option as given, without leading dashes.
        option: String,
        /// Every option of that event, without leading dashes.
        valid: Vec<String>,
    },
    /// The option exists but its value cannot be used (e.g. not JSON where JSON is required).
    #[error("invalid value for '--{option}': {reason}")]
    InvalidOptionValue {
        /// The option, without leading dashes.
        option: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// A built-in template is malformed; a bug in this crate, caught by its tests.
    #[error("template '{service} {event}' is broken: {reason}")]
    Template {
        /// The service.
        service: String,
        /// The event.
        event: String,
        /// What is wrong.
        reason: String,
    },
}
