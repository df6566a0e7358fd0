//! Sample events for testing functions: the generator behind `lamina generate-event` and the
//! console's test-event templates.
//!
//! The catalog holds every service and event that `sam local generate-event` offers (26
//! services, 68 events, with SAM's option names and defaults) plus the `edge` service with
//! the four Lambda@Edge triggers. Each event is a JSON template under
//! `templates/<service>/<event>.json`, shaped as the real service sends it, with `{{option}}`
//! placeholders; [`generate`] fills them, applying SAM's transformations (URL-encoded S3 keys,
//! base64 payloads, the SQS body's MD5).
//!
//! This crate owns no I/O and no command line: callers print or store the JSON it returns.

mod catalog;
mod error;
mod md5;
mod params;
mod render;
mod spec;

use std::collections::BTreeMap;

pub use catalog::EDGE_SERVICE;
pub use error::EventError;
pub use spec::{Encoding, EventSpec, ParamSpec};

use catalog::CATALOG;
use render::RenderError;

/// Every event, in a stable order: SAM's services and events in the order of SAM's mapping
/// file, then the `edge` service.
pub fn catalog() -> Vec<EventSpec> {
    CATALOG.to_vec()
}

/// Every service name, each once, in catalog order.
pub fn services() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for spec in CATALOG {
        if !out.contains(&spec.service) {
            out.push(spec.service);
        }
    }
    out
}

/// The events of `service`, in catalog order; an error listing valid services if there is
/// no such service.
pub fn events(service: &str) -> Result<Vec<EventSpec>, EventError> {
    let found: Vec<EventSpec> = CATALOG
        .iter()
        .filter(|spec| spec.service == service)
        .copied()
        .collect();
    if found.is_empty() {
        return Err(EventError::UnknownService {
            service: service.to_string(),
            valid: services().into_iter().map(String::from).collect(),
        });
    }
    Ok(found)
}

/// The catalog entry for `service` and `event`, or an error listing the valid choices.
pub fn find(service: &str, event: &str) -> Result<EventSpec, EventError> {
    let candidates = events(service)?;
    candidates
        .iter()
        .find(|spec| spec.name == event)
        .copied()
        .ok_or_else(|| EventError::UnknownEvent {
            service: service.to_string(),
            event: event.to_string(),
            valid: candidates.iter().map(|s| s.name.to_string()).collect(),
        })
}

/// Generate the event `service`/`event` with `options` (option name without leading dashes
/// → raw value, as typed; `--bucket` is accepted as `bucket` too). Options not given take
/// their defaults. Unknown service, event or option is an error listing the valid choices.
pub fn generate(
    service: &str,
    event: &str,
    options: &BTreeMap<String, String>,
) -> Result<serde_json::Value, EventError> {
    let (spec, values) = prepare(service, event, options)?;
    render::render(&spec, &values).map_err(|e| render_error(&spec, e))
}

/// The same event as [`generate`], as indented JSON text whose fields keep the order the
/// real service sends them in (a `serde_json::Value` sorts keys). This is what
/// `generate-event` prints and what the console shows.
pub fn generate_text(
    service: &str,
    event: &str,
    options: &BTreeMap<String, String>,
) -> Result<String, EventError> {
    let (spec, values) = prepare(service, event, options)?;
    // Parse once so that text we hand out is always JSON, whatever the options were.
    render::render(&spec, &values).map_err(|e| render_error(&spec, e))?;
    render::render_text(&spec, &values).map_err(|e| render_error(&spec, e))
}

/// Look the event up and check every option against it.
fn prepare<'o>(
    service: &str,
    event: &str,
    options: &'o BTreeMap<String, String>,
) -> Result<(EventSpec, BTreeMap<&'static str, String>), EventError> {
    let spec = find(service, event)?;
    let mut values: BTreeMap<&'static str, String> = BTreeMap::new();
    for (given, value) in options {
        let name: &'o str = given.trim_start_matches('-');
        let param = spec.param(name).ok_or_else(|| EventError::UnknownOption {
            service: service.to_string(),
            event: event.to_string(),
            option: name.to_string(),
            valid: spec.params.iter().map(|p| p.name.to_string()).collect(),
        })?;
        values.insert(param.name, value.clone());
    }
    Ok((spec, values))
}

fn render_error(spec: &EventSpec, error: RenderError) -> EventError {
    match error {
        RenderError::Value { option, reason } => EventError::InvalidOptionValue { option, reason },
        RenderError::Template(reason) => EventError::Template {
            service: spec.service.to_string(),
            event: spec.name.to_string(),
            reason,
        },
    }
}
