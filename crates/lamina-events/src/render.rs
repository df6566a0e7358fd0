//! Filling a template: every `{{option}}` inside a JSON string value is replaced by the
//! option's transformed value. Substitution happens on parsed JSON, never on text, so a value
//! containing quotes or backslashes can never break the document.
//!
//! A placeholder may carry a filter after a colon:
//! - `{{body:md5}}`: the MD5 hex digest of the raw value (SQS `md5OfBody`);
//! - `{{querystringparameters:multi}}`: a JSON object's values each wrapped in a one-element
//!   array (API Gateway's `multiValueQueryStringParameters`);
//! - `{{account-id:jsonstr}}`: the encoded value escaped for use inside a JSON string literal,
//!   for events that carry JSON as text (AWS Config's `invokingEvent`), so a value with a
//!   quote cannot break the inner document.

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

/// Parse `spec`'s template and fill it with `values` (one entry per option of `spec`,
/// defaults already applied, raw as the user typed them).
pub(crate) fn render(
    spec: &EventSpec,
    values: &BTreeMap<&str, String>,
) -> Result<Value, RenderError> {
    let mut document: Value = serde_json::from_str(spec.template)
        .map_err(|e| RenderError::Template(format!("not valid JSON: {e}")))?;
    let ctx = Context { spec, values };
    fill(&mut document, &ctx)?;
    Ok(document)
}

struct Context<'a> {
    spec: &'a EventSpec,
    values: &'a BTreeMap<&'a str, String>,
}

fn fill(node: &mut Value, ctx: &Context<'_>) -> Result<(), RenderError> {
    match node {
        Value::String(text) => {
            if let Some(replacement) = fill_string(text, ctx)? {
                *node = replacement;
            }
        }
        Value::Array(items) => {
            for item in items {
                fill(item, ctx)?;
            }
        }
        Value::Object(fields) => {
            for (_, value) in fields.iter_mut() {
                fill(value, ctx)?;
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

/// The new value of a string node, or `None` if it holds no placeholder.
fn fill_string(text: &str, ctx: &Context<'_>) -> Result<Option<Value>, RenderError> {
    if !text.contains("{{") {
        return Ok(None);
    }
    // A string that is exactly one placeholder takes the placeholder's value as is, so a JSON
    // option becomes an object rather than the text of one.
    if let Some(inner) = whole_placeholder(text) {
        return Ok(Some(resolve(inner, ctx)?));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| RenderError::Template(format!("unclosed placeholder in {text:?}")))?;
        match resolve(&after[..end], ctx)? {
            Value::String(s) => out.push_str(&s),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(Some(Value::String(out)))
}

fn whole_placeholder(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then_some(inner)
}

/// The value of one placeholder body such as `key` or `body:md5`.
fn resolve(body: &str, ctx: &Context<'_>) -> Result<Value, RenderError> {
    let (name, filter) = match body.split_once(':') {
        Some((name, filter)) => (name, Some(filter)),
        None => (body, None),
    };
    let param = ctx.spec.param(name).ok_or_else(|| {
        RenderError::Template(format!(
            "placeholder {{{{{body}}}}} names no option of this event"
        ))
    })?;
    let raw = ctx
        .values
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
            let quoted = Value::String(text).to_string();
            // `quoted` is a JSON string literal, so it starts and ends with '"'.
            Ok(Value::String(quoted[1..quoted.len() - 1].to_string()))
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
