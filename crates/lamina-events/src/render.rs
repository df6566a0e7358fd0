//! Filling a template: every `{{option}}` inside a JSON string literal is replaced by the
//! option's transformed value, JSON-escaped, so a value containing quotes or backslashes can
//! never break the document. Substitution works on the template's text so that the event
//! keeps the field order the real service uses (a `serde_json::Value` would sort keys); the
//! result is parsed once to prove it is JSON.
//!
//! A placeholder may carry a filter after a colon:
//! - `{{body:md5}}`: the MD5 hex digest of the raw value (SQS `md5OfBody`);
//! - `{{querystringparameters:multi}}`: a JSON object's values each wrapped in a one-element
//!   array (API Gateway's `multiValueQueryStringParameters`);
//! - `{{account-id:jsonstr}}`: the encoded value escaped for use inside a JSON string literal,
//!   for events that carry JSON as text (AWS Config's `invokingEvent`), so a value with a
//!   quote cannot break the inner document.
//!
//! A placeholder that is a whole string literal (`"{{querystringparameters}}"`) and yields a
//! JSON value that is not a string replaces the literal, quotes included.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Map, Value};

use crate::md5::md5_hex;
use crate::spec::{Encoding, EventSpec};

/// Why a placeholder could not be filled; turned into `EventError` by the caller, which
/// knows whether the template or the user is to blame.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RenderError {
    /// A user-supplied value is unusable (e.g. not JSON where JSON is required).
    Value { option: String, reason: String },
    /// The template refers to an unknown option or filter, or is not JSON.
    Template(String),
}

/// Fill `spec`'s template with `values` (option name → raw value as the user typed it;
/// missing options take their defaults) and return the JSON text, in the template's layout.
pub(crate) fn render_text(
    spec: &EventSpec,
    values: &BTreeMap<&str, String>,
) -> Result<String, RenderError> {
    let template = spec.template;
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| {
            RenderError::Template(format!(
                "unclosed placeholder at {:?}",
                &after[..after.len().min(40)]
            ))
        })?;
        let value = resolve(&after[..end], spec, values)?;
        let before = &rest[..start];
        let tail = &after[end + 2..];
        // An unescaped quote right before and a quote right after: the placeholder is the
        // whole string literal.
        let whole = before.ends_with('"') && !before.ends_with("\\\"") && tail.starts_with('"');
        match value {
            Value::String(text) => {
                out.push_str(before);
                out.push_str(&escape(&text));
                rest = tail;
            }
            other if whole => {
                out.push_str(&before[..before.len() - 1]);
                out.push_str(&other.to_string());
                rest = &tail[1..];
            }
            other => {
                out.push_str(before);
                out.push_str(&escape(&other.to_string()));
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Fill the template and parse the result.
pub(crate) fn render(
    spec: &EventSpec,
    values: &BTreeMap<&str, String>,
) -> Result<Value, RenderError> {
    let text = render_text(spec, values)?;
    serde_json::from_str(&text).map_err(|e| RenderError::Template(format!("not valid JSON: {e}")))
}

/// `text` as it must appear between the quotes of a JSON string literal.
fn escape(text: &str) -> String {
    let quoted = Value::String(text.to_string()).to_string();
    // A serialized JSON string always starts and ends with '"'.
    quoted[1..quoted.len() - 1].to_string()
}

/// The value of one placeholder body such as `key` or `body:md5`.
fn resolve(
    body: &str,
    spec: &EventSpec,
    values: &BTreeMap<&str, String>,
) -> Result<Value, RenderError> {
    let (name, filter) = match body.split_once(':') {
        Some((name, filter)) => (name, Some(filter)),
        None => (body, None),
    };
    let param = spec.param(name).ok_or_else(|| {
        RenderError::Template(format!(
            "placeholder {{{{{body}}}}} names no option of this event"
        ))
    })?;
    let raw = values
        .get(name)
        .map(String::as_str)
        .unwrap_or(param.default);
    match filter {
        None => encode(name, raw, param.encoding),
        Some("md5") => Ok(Value::String(md5_hex(raw.as_bytes()))),
        Some("jsonstr") => {
            let text = match encode(name, raw, param.encoding)? {
                Value::String(s) => s,
                other => other.to_string(),
            };
            Ok(Value::String(escape(&text)))
        }
        Some("multi") => {
            let Value::Object(fields) = encode(name, raw, Encoding::Json)? else {
                return Err(RenderError::Value {
                    option: name.to_string(),
                    reason: "expected a JSON object".to_string(),
                });
            };
            let multi: Map<String, Value> = fields
                .into_iter()
                .map(|(k, v)| (k, Value::Array(vec![v])))
                .collect();
            Ok(Value::Object(multi))
        }
        Some(other) => Err(RenderError::Template(format!("unknown filter '{other}'"))),
    }
}

fn encode(option: &str, raw: &str, encoding: Encoding) -> Result<Value, RenderError> {
    Ok(match encoding {
        Encoding::Plain => Value::String(raw.to_string()),
        Encoding::Url => Value::String(url_quote(raw)),
        Encoding::Base64 => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(raw.as_bytes()))
        }
        Encoding::Json => serde_json::from_str(raw).map_err(|e| RenderError::Value {
            option: option.to_string(),
            reason: format!("not valid JSON: {e}"),
        })?,
    })
}

/// Percent-encode like Python's `urllib.parse.quote(value)`: letters, digits, `_.-~` and `/`
/// stay, every other UTF-8 byte becomes `%XX`. This is what SAM puts in S3 keys; both
/// `unquote` and `unquote_plus` in a function decode it back to the original key.
pub(crate) fn url_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"_.-~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ParamSpec, enc, p};

    const PARAMS: &[ParamSpec] = &[
        p("name", "world", ""),
        enc("q", "{\"a\":\"b\"}", "", Encoding::Json),
        enc("key", "a b/c+d", "", Encoding::Url),
        enc("data", "hi", "", Encoding::Base64),
    ];

    fn spec(template: &'static str) -> EventSpec {
        EventSpec {
            service: "t",
            name: "t",
            description: "",
            params: PARAMS,
            template,
        }
    }

    #[test]
    fn url_quote_matches_python_quote() {
        // python3 -c 'from urllib.parse import quote; print(quote("my photo/ü+1.jpeg"))'
        assert_eq!(url_quote("my photo/ü+1.jpeg"), "my%20photo/%C3%BC%2B1.jpeg");
        assert_eq!(url_quote("test/key"), "test/key");
    }

    #[test]
    fn substitutes_inside_strings_and_whole_values() {
        let s = spec(
            r#"{"greeting":"hello {{name}}!","q":"{{q}}","m":"{{q:multi}}","k":"{{key}}","d":"{{data}}","h":"{{name:md5}}","j":"{\"n\":\"{{name:jsonstr}}\"}"}"#,
        );
        let mut values = BTreeMap::new();
        values.insert("name", "\"quoted\" \\ name".to_string());
        let out = render(&s, &values).unwrap();
        assert_eq!(out["greeting"], "hello \"quoted\" \\ name!");
        assert_eq!(out["q"], serde_json::json!({"a": "b"}));
        assert_eq!(out["m"], serde_json::json!({"a": ["b"]}));
        assert_eq!(out["k"], "a%20b/c%2Bd");
        assert_eq!(out["d"], "aGk=");
        assert_eq!(out["h"], md5_hex(b"\"quoted\" \\ name"));
        let inner: Value = serde_json::from_str(out["j"].as_str().unwrap()).unwrap();
        assert_eq!(inner["n"], "\"quoted\" \\ name");
    }

    #[test]
    fn unknown_placeholder_is_a_template_error() {
        let err = render(&spec(r#"{"x":"{{nope}}"}"#), &BTreeMap::new()).unwrap_err();
        assert!(matches!(err, RenderError::Template(m) if m.contains("nope")));
    }

    #[test]
    fn invalid_json_option_is_a_value_error() {
        let mut values = BTreeMap::new();
        values.insert("q", "{not json".to_string());
        let err = render(&spec(r#"{"x":"{{q}}"}"#), &values).unwrap_err();
        assert!(matches!(err, RenderError::Value { option, .. } if option == "q"));
    }
}
