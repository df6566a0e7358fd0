//! A function's answer turned back into HTTP as API Gateway does it: payload format 1.0
//! (`statusCode`, `headers`, `multiValueHeaders`, `body`, `isBase64Encoded`) and 2.0 (the same
//! plus `cookies`, and the shortcut where any JSON without `statusCode` is a 200 JSON body).
//! A response that breaks the format is an error whose message says what is wrong; the
//! server answers 502 with API Gateway's body then.

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Map, Value as J};

/// The body API Gateway sends with a 502 for a bad function response.
pub const INTERNAL_ERROR_BODY: &str = r#"{"message":"Internal server error"}"#;

/// Keys a 1.0 response may carry (SAM CLI refuses others).
const V1_KEYS: [&str; 5] = [
    "statusCode",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
];

/// An HTTP response to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, in order; a name may repeat.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Bytes,
}

impl HttpResponse {
    /// API Gateway's 502 for a failed or malformed function response.
    pub fn bad_gateway() -> HttpResponse {
        HttpResponse {
            status: 502,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from_static(INTERNAL_ERROR_BODY.as_bytes()),
        }
    }
}

/// Why a function's response is not a valid proxy response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// Not JSON at all.
    #[error("the function's response is not JSON")]
    NotJson,
    /// 1.0 needs an object.
    #[error(
        "the function's response must be a JSON object with statusCode, headers and body, got {0}"
    )]
    NotAnObject(&'static str),
    /// A key the format does not have.
    #[error(
        "invalid API Gateway response key {0:?} (allowed: statusCode, headers, multiValueHeaders, body, isBase64Encoded)"
    )]
    UnknownKey(String),
    /// statusCode is not a number from 100 to 599.
    #[error("statusCode must be an integer from 100 to 599, got {0}")]
    Status(String),
    /// headers / multiValueHeaders of the wrong shape.
    #[error("{0} must be an object of strings{1}")]
    Headers(&'static str, &'static str),
    /// body is an object or a list.
    #[error("body must be a string (serialise objects with json.dumps / JSON.stringify), got {0}")]
    Body(&'static str),
    /// isBase64Encoded with a body that is not base64.
    #[error("isBase64Encoded is true but body is not valid base64")]
    Base64,
    /// cookies not a list of strings.
    #[error("cookies must be a list of strings")]
    Cookies,
}

fn kind(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "a list",
        J::Object(_) => "an object",
    }
}

fn scalar_text(v: &J) -> Option<String> {
    match v {
        J::String(s) => Some(s.clone()),
        J::Number(n) => Some(n.to_string()),
        J::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn status(obj: &Map<String, J>) -> Result<u16, ResponseError> {
    let Some(v) = obj.get("statusCode") else {
        return Ok(200);
    };
    let code = match v {
        J::Number(n) => n.as_u64(),
        J::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    code.filter(|c| (100..=599).contains(c))
        .and_then(|c| u16::try_from(c).ok())
        .ok_or_else(|| ResponseError::Status(v.to_string()))
}

fn headers(obj: &Map<String, J>, out: &mut Vec<(String, String)>) -> Result<(), ResponseError> {
    match obj.get("headers") {
        None | Some(J::Null) => {}
        Some(J::Object(map)) => {
            for (k, v) in map {
                let text = scalar_text(v).ok_or(ResponseError::Headers("headers", ""))?;
                out.push((k.clone(), text));
            }
        }
        Some(_) => return Err(ResponseError::Headers("headers", "")),
    }
    match obj.get("multiValueHeaders") {
        None | Some(J::Null) => {}
        Some(J::Object(map)) => {
            for (k, v) in map {
                let J::Array(items) = v else {
                    return Err(ResponseError::Headers(
                        "multiValueHeaders",
                        " lists (\"Set-Cookie\": [\"a=1\", \"b=2\"])",
                    ));
                };
                // A name in both maps: the multi-value list wins, as in API Gateway.
                out.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
                for item in items {
                    let text = scalar_text(item).ok_or(ResponseError::Headers(
                        "multiValueHeaders",
                        " lists (\"Set-Cookie\": [\"a=1\", \"b=2\"])",
                    ))?;
                    out.push((k.clone(), text));
                }
            }
        }
        Some(_) => {
            return Err(ResponseError::Headers(
                "multiValueHeaders",
                " lists (\"Set-Cookie\": [\"a=1\", \"b=2\"])",
            ));
        }
    }
    Ok(())
}

fn body(obj: &Map<String, J>) -> Result<Bytes, ResponseError> {
    let text = match obj.get("body") {
        None | Some(J::Null) => return Ok(Bytes::new()),
        Some(v @ (J::Object(_) | J::Array(_))) => return Err(ResponseError::Body(kind(v))),
        Some(v) => scalar_text(v).unwrap_or_default(),
    };
    let base64 = match obj.get("isBase64Encoded") {
        Some(J::Bool(b)) => *b,
        Some(J::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    if base64 {
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map(Bytes::from)
            .map_err(|_| ResponseError::Base64)
    } else {
        Ok(Bytes::from(text))
    }
}

/// A payload format 1.0 response.
pub fn translate_v1(payload: &[u8]) -> Result<HttpResponse, ResponseError> {
    let value: J = serde_json::from_slice(payload).map_err(|_| ResponseError::NotJson)?;
    let J::Object(obj) = value else {
        return Err(ResponseError::NotAnObject(kind(&value)));
    };
    if let Some(key) = obj.keys().find(|k| !V1_KEYS.contains(&k.as_str())) {
        return Err(ResponseError::UnknownKey(key.clone()));
    }
    let mut out = Vec::new();
    headers(&obj, &mut out)?;
    Ok(HttpResponse {
        status: status(&obj)?,
        headers: out,
        body: body(&obj)?,
    })
}

/// A payload format 2.0 response.
pub fn translate_v2(payload: &[u8]) -> Result<HttpResponse, ResponseError> {
    let value: J = serde_json::from_slice(payload).map_err(|_| ResponseError::NotJson)?;
    let obj = match value {
        J::Object(obj) if obj.contains_key("statusCode") => obj,
        _ => {
            // Any other JSON is the body of a 200 JSON response.
            return Ok(HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: Bytes::copy_from_slice(payload),
            });
        }
    };
    let mut out = Vec::new();
    headers(&obj, &mut out)?;
    match obj.get("cookies") {
        None | Some(J::Null) => {}
        Some(J::Array(items)) => {
            for item in items {
                let J::String(cookie) = item else {
                    return Err(ResponseError::Cookies);
                };
                out.push(("set-cookie".into(), cookie.clone()));
            }
        }
        Some(_) => return Err(ResponseError::Cookies),
    }
    Ok(HttpResponse {
        status: status(&obj)?,
        headers: out,
        body: body(&obj)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_translates_every_field() {
        let r = translate_v1(
            br#"{"statusCode": "201", "headers": {"X-A": "1", "X-N": 2}, "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": "aGk=", "isBase64Encoded": true}"#,
        )
        .unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(r.body, Bytes::from_static(b"hi"));
        assert!(r.headers.contains(&("X-N".into(), "2".into())));
        assert_eq!(
            r.headers.iter().filter(|(k, _)| k == "Set-Cookie").count(),
            2
        );
    }

    #[test]
    fn v1_refuses_malformed_responses() {
        assert_eq!(translate_v1(b"nope"), Err(ResponseError::NotJson));
        assert_eq!(
            translate_v1(b"\"hello\""),
            Err(ResponseError::NotAnObject("a string"))
        );
        assert!(matches!(
            translate_v1(br#"{"statusCode": 200, "bodyy": "x"}"#),
            Err(ResponseError::UnknownKey(_))
        ));
        assert!(matches!(
            translate_v1(br#"{"statusCode": 200, "body": {"a": 1}}"#),
            Err(ResponseError::Body(_))
        ));
        assert!(matches!(
            translate_v1(br#"{"statusCode": 42}"#),
            Err(ResponseError::Status(_))
        ));
    }

    #[test]
    fn v2_shortcut_and_cookies() {
        let r = translate_v2(br#"{"message": "hi"}"#).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, Bytes::from_static(br#"{"message": "hi"}"#));
        let r = translate_v2(
            br#"{"statusCode": 302, "cookies": ["a=1", "b=2"], "headers": {"location": "/x"}}"#,
        )
        .unwrap();
        assert_eq!(r.status, 302);
        assert_eq!(
            r.headers.iter().filter(|(k, _)| k == "set-cookie").count(),
            2
        );
        assert!(translate_v2(b"{not json").is_err());
    }
}
