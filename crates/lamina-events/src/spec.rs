//! The vocabulary of the catalog: what an event template is called, which options it takes,
//! and how each option's value is transformed before it lands in the event.
//!
//! This module only describes; `catalog` holds the data and `render` does the substitution.

/// How an option's raw value is transformed before substitution, mirroring SAM CLI's
/// `encoding` and `type` tags so that `--key "my photo.jpg"` produces what SAM produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Inserted as given.
    Plain,
    /// Percent-encoded except for unreserved characters and `/` (Python's `urllib.parse.quote`),
    /// as S3 does for object keys in notifications.
    Url,
    /// Standard base64 of the UTF-8 bytes, as Kinesis, ALB and API Gateway carry payloads.
    Base64,
    /// A JSON document; where the placeholder is a whole string value it becomes that JSON value
    /// (an object for `--querystringparameters '{"a":"b"}'`).
    Json,
}

/// One command-line option of an event, e.g. `--bucket`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    /// The flag name without leading dashes, exactly as SAM spells it (`bucket`, `account-id`).
    pub name: &'static str,
    /// The value used when the option is not given (SAM's default).
    pub default: &'static str,
    /// One line of help for `--help` output and the console's template picker.
    pub help: &'static str,
    /// The transformation applied to the value before substitution.
    pub encoding: Encoding,
}

/// One sample event: a service (`s3`), an event name (`put`) and its options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventSpec {
    /// Service name as typed on the command line (`s3`, `apigateway`, `edge`).
    pub service: &'static str,
    /// Event name within the service (`put`, `aws-proxy`, `viewer-request`).
    pub name: &'static str,
    /// One line saying what the event is.
    pub description: &'static str,
    /// The options this event accepts, in the order help should list them.
    pub params: &'static [ParamSpec],
    /// The raw JSON template, with `{{option}}` placeholders inside string values.
    pub template: &'static str,
}

impl EventSpec {
    /// The option called `name`, if this event has one.
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// A plain option; `const` so the catalog can be a static table.
pub(crate) const fn p(name: &'static str, default: &'static str, help: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        default,
        help,
        encoding: Encoding::Plain,
    }
}

/// An option whose value is transformed with `encoding` before substitution.
pub(crate) const fn enc(
    name: &'static str,
    default: &'static str,
    help: &'static str,
    encoding: Encoding,
) -> ParamSpec {
    ParamSpec {
        name,
        default,
        help,
        encoding,
    }
}
