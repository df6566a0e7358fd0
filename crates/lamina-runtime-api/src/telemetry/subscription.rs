//! A Telemetry API (`PUT /2022-07-01/telemetry`) or Logs API (`PUT /2020-08-15/logs`)
//! subscription request, parsed and checked against Lambda's rules: known schema versions,
//! types among `platform`/`function`/`extension`, the buffering limits (maxItems 1000–10000,
//! maxBytes 262144–1048576, timeoutMs 25–30000) and a destination inside the sandbox.

use serde::Deserialize;

use crate::wire::ApiError;

/// Which of the two subscription APIs a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `PUT /2022-07-01/telemetry`.
    Telemetry,
    /// `PUT /2020-08-15/logs` (the older Logs API).
    Logs,
}

/// Schema versions the Telemetry API accepts (the docs and crates send 2022-07-01, many
/// public extensions 2022-12-13, the emulator's schema knows 2025-01-29).
const TELEMETRY_SCHEMAS: [&str; 3] = ["2022-07-01", "2022-12-13", "2025-01-29"];
/// Schema versions the Logs API accepts.
const LOGS_SCHEMAS: [&str; 2] = ["2020-08-15", "2021-03-18"];

/// The buffering bounds: (min, max, default).
pub(crate) const MAX_ITEMS: (u64, u64, u64) = (1000, 10_000, 10_000);
pub(crate) const MAX_BYTES: (u64, u64, u64) = (262_144, 1_048_576, 262_144);
pub(crate) const TIMEOUT_MS: (u64, u64, u64) = (25, 30_000, 1000);

/// The record types a subscriber can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelemetryKind {
    /// `platform.*` events.
    Platform,
    /// Lines the function wrote.
    Function,
    /// Lines extensions wrote.
    Extension,
}

impl TelemetryKind {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "platform" => Some(Self::Platform),
            "function" => Some(Self::Function),
            "extension" => Some(Self::Extension),
            _ => None,
        }
    }
}

/// Where batches go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    /// HTTP POST of a JSON array to `127.0.0.1:port` inside the sandbox, with this path.
    Http {
        port: u16,
        path: String,
        host: String,
    },
    /// Newline-delimited JSON on a TCP connection to `127.0.0.1:port` inside the sandbox.
    Tcp { port: u16 },
}

/// A checked subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subscription {
    pub(crate) api: Api,
    pub(crate) kinds: Vec<TelemetryKind>,
    pub(crate) max_items: usize,
    pub(crate) max_bytes: usize,
    pub(crate) timeout_ms: u64,
    pub(crate) destination: Destination,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    schema_version: Option<String>,
    types: Option<Vec<String>>,
    buffering: Option<WireBuffering>,
    destination: Option<WireDestination>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireBuffering {
    max_items: Option<u64>,
    max_bytes: Option<u64>,
    timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
struct WireDestination {
    protocol: Option<String>,
    #[serde(rename = "URI")]
    uri: Option<String>,
    port: Option<u16>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("ValidationError", message.into())
}

fn bounded(
    name: &str,
    value: Option<u64>,
    (min, max, default): (u64, u64, u64),
) -> Result<u64, ApiError> {
    let v = value.unwrap_or(default);
    if v < min || v > max {
        return Err(invalid(format!(
            "buffering.{name} must be between {min} and {max}, got {v}"
        )));
    }
    Ok(v)
}

impl Subscription {
    /// Parses and checks a subscription body sent to `api`.
    pub(crate) fn parse(api: Api, body: &[u8]) -> Result<Self, ApiError> {
        let wire: Wire = serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(
                "InvalidRequestFormat",
                format!("invalid subscription request: {e}"),
            )
        })?;
        let schemas: &[&str] = match api {
            Api::Telemetry => &TELEMETRY_SCHEMAS,
            Api::Logs => &LOGS_SCHEMAS,
        };
        // The Logs API's early clients sent no schema version; the Telemetry API needs one.
        match (&wire.schema_version, api) {
            (None, Api::Logs) => {}
            (None, Api::Telemetry) => return Err(invalid("schemaVersion is required")),
            (Some(v), _) if schemas.contains(&v.as_str()) => {}
            (Some(v), _) => {
                return Err(invalid(format!(
                    "schemaVersion {v} is not supported (one of {})",
                    schemas.join(", ")
                )));
            }
        }
        let names = wire.types.unwrap_or_default();
        if names.is_empty() {
            return Err(invalid(
                "types must name at least one of platform, function, extension",
            ));
        }
        let mut kinds = Vec::new();
        for n in &names {
            let k = TelemetryKind::parse(n).ok_or_else(|| {
                invalid(format!(
                    "unknown type {n} (one of platform, function, extension)"
                ))
            })?;
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        let b = wire.buffering.unwrap_or(WireBuffering {
            max_items: None,
            max_bytes: None,
            timeout_ms: None,
        });
        let max_items = bounded("maxItems", b.max_items, MAX_ITEMS)? as usize;
        let max_bytes = bounded("maxBytes", b.max_bytes, MAX_BYTES)? as usize;
        let timeout_ms = bounded("timeoutMs", b.timeout_ms, TIMEOUT_MS)?;
        let dest = wire
            .destination
            .ok_or_else(|| invalid("destination is required"))?;
        let destination = match dest.protocol.as_deref() {
            Some("HTTP") => parse_http(dest.uri.as_deref())?,
            Some("TCP") => match (dest.port, dest.uri.as_deref()) {
                (Some(port), _) => Destination::Tcp { port },
                (None, Some(uri)) => match parse_http(Some(uri))? {
                    Destination::Http { port, .. } => Destination::Tcp { port },
                    tcp => tcp,
                },
                (None, None) => return Err(invalid("destination.port is required for TCP")),
            },
            other => {
                return Err(invalid(format!(
                    "destination.protocol must be HTTP or TCP, got {}",
                    other.unwrap_or("nothing")
                )));
            }
        };
        Ok(Self {
            api,
            kinds,
            max_items,
            max_bytes,
            timeout_ms,
            destination,
        })
    }
}

/// `http://sandbox.localdomain:PORT/path`: Lambda delivers only inside the sandbox.
fn parse_http(uri: Option<&str>) -> Result<Destination, ApiError> {
    let uri = uri.ok_or_else(|| invalid("destination.URI is required for HTTP"))?;
    let parsed: http::Uri = uri
        .parse()
        .map_err(|_| invalid(format!("destination.URI {uri} is not a valid URI")))?;
    if parsed.scheme_str() != Some("http") {
        return Err(invalid(format!("destination.URI {uri} must use http")));
    }
    let host = parsed.host().unwrap_or_default();
    if host != "sandbox.localdomain" && host != "sandbox" {
        return Err(invalid(format!(
            "destination.URI {uri} must point at sandbox.localdomain"
        )));
    }
    let port = parsed.port_u16().unwrap_or(80);
    if port == 9001 {
        return Err(invalid(
            "destination port 9001 is reserved for the Runtime API",
        ));
    }
    let path = parsed
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    Ok(Destination::Http {
        port,
        path,
        host: format!("{host}:{port}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Subscription, ApiError> {
        Subscription::parse(Api::Telemetry, body.as_bytes())
    }

    fn error_message(r: Result<Subscription, ApiError>) -> String {
        match r {
            Err(ApiError::BadRequest { message, .. }) => message,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn the_documented_example_is_accepted() {
        let s = parse(
            r#"{"schemaVersion":"2022-07-01","types":["platform","function","extension"],
                "buffering":{"maxItems":1000,"maxBytes":262144,"timeoutMs":100},
                "destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:8080/x?y=1"}}"#,
        )
        .unwrap();
        assert_eq!(s.kinds.len(), 3);
        assert_eq!(
            (s.max_items, s.max_bytes, s.timeout_ms),
            (1000, 262_144, 100)
        );
        assert_eq!(
            s.destination,
            Destination::Http {
                port: 8080,
                path: "/x?y=1".into(),
                host: "sandbox.localdomain:8080".into()
            }
        );
    }

    #[test]
    fn buffering_defaults_and_limits_are_lambdas() {
        let s = parse(
            r#"{"schemaVersion":"2022-12-13","types":["platform"],
                "destination":{"protocol":"HTTP","URI":"http://sandbox:4243"}}"#,
        )
        .unwrap();
        assert_eq!(
            (s.max_items, s.max_bytes, s.timeout_ms),
            (10_000, 262_144, 1000)
        );
        for (field, bad) in [
            ("maxItems", 999),
            ("maxItems", 10_001),
            ("maxBytes", 262_143),
            ("maxBytes", 1_048_577),
            ("timeoutMs", 24),
            ("timeoutMs", 30_001),
        ] {
            let body = format!(
                r#"{{"schemaVersion":"2025-01-29","types":["platform"],"buffering":{{"{field}":{bad}}},
                    "destination":{{"protocol":"HTTP","URI":"http://sandbox.localdomain:1"}}}}"#
            );
            assert!(error_message(parse(&body)).contains(field), "{field}={bad}");
        }
        for (field, good) in [
            ("maxItems", 1000),
            ("maxBytes", 1_048_576),
            ("timeoutMs", 25),
            ("timeoutMs", 30_000),
        ] {
            let body = format!(
                r#"{{"schemaVersion":"2022-07-01","types":["platform"],"buffering":{{"{field}":{good}}},
                    "destination":{{"protocol":"HTTP","URI":"http://sandbox.localdomain:1"}}}}"#
            );
            assert!(parse(&body).is_ok(), "{field}={good}");
        }
    }

    #[test]
    fn bad_requests_are_validation_errors() {
        let dest = r#""destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:8080"}"#;
        for body in [
            format!(r#"{{"types":["platform"],{dest}}}"#),
            format!(r#"{{"schemaVersion":"2019-01-01","types":["platform"],{dest}}}"#),
            format!(r#"{{"schemaVersion":"2022-07-01","types":[],{dest}}}"#),
            format!(r#"{{"schemaVersion":"2022-07-01","types":["metrics"],{dest}}}"#),
            r#"{"schemaVersion":"2022-07-01","types":["platform"]}"#.to_string(),
            r#"{"schemaVersion":"2022-07-01","types":["platform"],"destination":{"protocol":"HTTP","URI":"http://example.com:8080"}}"#.to_string(),
            r#"{"schemaVersion":"2022-07-01","types":["platform"],"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:9001"}}"#.to_string(),
            r#"{"schemaVersion":"2022-07-01","types":["platform"],"destination":{"protocol":"UDP","URI":"http://sandbox.localdomain:1"}}"#.to_string(),
        ] {
            error_message(parse(&body));
        }
        assert!(matches!(
            parse("not json"),
            Err(ApiError::BadRequest {
                error_type: "InvalidRequestFormat",
                ..
            })
        ));
    }

    #[test]
    fn logs_api_takes_its_own_schema_and_tcp_takes_a_port() {
        let s = Subscription::parse(
            Api::Logs,
            br#"{"schemaVersion":"2021-03-18","types":["function"],"destination":{"protocol":"TCP","port":9002}}"#,
        )
        .unwrap();
        assert_eq!(s.destination, Destination::Tcp { port: 9002 });
        assert!(Subscription::parse(
            Api::Logs,
            br#"{"schemaVersion":"2022-07-01","types":["function"],"destination":{"protocol":"TCP","port":9002}}"#,
        )
        .is_err());
    }
}
