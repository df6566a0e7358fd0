//! AWS Signature Version 4, verified exactly as botocore signs requests for Lambda (and the
//! other JSON services Lamina will serve on the same port). It owns parsing what the client
//! claims (an `Authorization` header or presigned query parameters), the canonical request,
//! the string to sign, the signing key and the constant-time comparison. It does not own
//! looking keys up (`keys`) or deciding what an identity may do (`access`).
//!
//! Where botocore differs from the generic SigV4 description, botocore wins, because boto3
//! and the AWS CLI are the clients:
//! - the canonical URI is the path *as sent* (already %-encoded), with dot segments and
//!   repeated slashes removed, then %-encoded again (`my-fn%3Aprod` → `my-fn%253Aprod`);
//! - no `X-Amz-Content-SHA256` header is sent, so the server hashes the body itself;
//! - header values are trimmed and inner runs of white space collapsed to one space.

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, percent_encode};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use crate::error::AuthError;

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm Lambda accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// SHA-256 of an empty body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// The payload hash a presigned URL may use instead of the body's.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Lambda accepts a request dated at most five minutes from its own clock, either way.
pub const MAX_SKEW_SECONDS: i64 = 300;
/// Longest validity a presigned URL may ask for (seven days, as AWS).
pub const MAX_PRESIGNED_SECONDS: u64 = 604_800;

/// RFC 3986's unreserved characters stay; everything else is %-encoded (query keys and
/// values, as botocore's `quote(…, safe='-_.~')`).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// The same plus `/` (botocore's `quote(path, safe='/~')`).
const PATH_SAFE: &AsciiSet = &UNRESERVED.remove(b'/');

const AMZ_DATE: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// A request as it arrived: method, raw path and query (still %-encoded as sent) and every
/// header in arrival order. Built from `http::request::Parts` by the server; from text in
/// the tests (AWS's vectors hold bytes `http` would refuse).
#[derive(Debug, Clone)]
pub struct RequestHead<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The path as sent, %-encoding included.
    pub path: &'a str,
    /// The query string as sent, without `?` (empty when none).
    pub query: &'a str,
    /// Header names (any case) and values, in arrival order.
    pub headers: Vec<(&'a str, &'a [u8])>,
}

impl<'a> RequestHead<'a> {
    /// The head of an `http` request.
    pub fn from_parts(parts: &'a http::request::Parts) -> Self {
        Self {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes()))
                .collect(),
        }
    }

    /// The first value of header `name` (case-insensitive), as text.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The first value of query parameter `name` (exact case), decoded.
    fn query_param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k) == name).then(|| decode(v))
        })
    }
}

fn decode(raw: &str) -> String {
    percent_decode(raw.as_bytes())
        .decode_utf8_lossy()
        .into_owned()
}

/// Where the signature travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The `Authorization` header.
    Header,
    /// Presigned query parameters, valid for `expires` seconds from `X-Amz-Date`.
    Query {
        /// `X-Amz-Expires`.
        expires: u64,
    },
}

/// What a signed request claims, before anything is checked against a key.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The access key id in the credential scope.
    pub access_key_id: String,
    /// `yyyymmdd` in the credential scope.
    pub scope_date: String,
    /// Region in the credential scope.
    pub region: String,
    /// Service in the credential scope (`lambda`, `logs`).
    pub service: String,
    /// Lower-case names of the signed headers, in the order given.
    pub signed_headers: Vec<String>,
    /// The signature as sent (hex).
    pub signature: String,
    /// `X-Amz-Date` as sent.
    pub amz_date: String,
    /// `X-Amz-Date` parsed.
    pub timestamp: OffsetDateTime,
    /// `X-Amz-Security-Token`, when the credentials are temporary.
    pub security_token: Option<String>,
    /// Header or presigned query.
    pub placement: Placement,
    /// An `X-Amz-Content-SHA256` the client sent, if any.
    pub content_sha256: Option<String>,
}

impl Claim {
    /// `yyyymmdd/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.scope_date, self.region, self.service
        )
    }

    /// Reads what `head` claims. `MissingAuthenticationToken` when it carries no signature
    /// at all; `IncompleteSignature` when a part is missing or malformed.
    pub fn parse(head: &RequestHead<'_>) -> Result<Self, AuthError> {
        if let Some(authorization) = head.header("authorization") {
            return Self::from_header(head, authorization);
        }
        if head.query_param("X-Amz-Algorithm").is_some() {
            return Self::from_query(head);
        }
        Err(AuthError::MissingAuthenticationToken)
    }

    fn from_header(head: &RequestHead<'_>, authorization: &str) -> Result<Self, AuthError> {
        let rest = authorization
            .strip_prefix(ALGORITHM)
            .filter(|r| r.starts_with(' '))
            .ok_or_else(|| {
                AuthError::IncompleteSignature(format!(
                    "Authorization header requires the {ALGORITHM} algorithm"
                ))
            })?;
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let Some((key, value)) = part.trim().split_once('=') else {
                continue;
            };
            match key {
                "Credential" => credential = Some(value),
                "SignedHeaders" => signed = Some(value),
                "Signature" => signature = Some(value),
                _ => {}
            }
        }
        let amz_date = head.header("x-amz-date");
        let mut missing = Vec::new();
        if credential.is_none() {
            missing.push("Authorization header requires 'Credential' parameter.");
        }
        if signature.is_none() {
            missing.push("Authorization header requires 'Signature' parameter.");
        }
        if signed.is_none() {
            missing.push("Authorization header requires 'SignedHeaders' parameter.");
        }
        if amz_date.is_none() {
            missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
        }
        let (Some(credential), Some(signed), Some(signature), Some(amz_date)) =
            (credential, signed, signature, amz_date)
        else {
            return Err(AuthError::IncompleteSignature(missing.join(" ")));
        };
        Self::build(
            credential,
            signed,
            signature,
            amz_date,
            head.header("x-amz-security-token").map(str::to_string),
            Placement::Header,
            head.header("x-amz-content-sha256").map(str::to_string),
        )
    }

    fn from_query(head: &RequestHead<'_>) -> Result<Self, AuthError> {
        let algorithm = head.query_param("X-Amz-Algorithm").unwrap_or_default();
        if algorithm != ALGORITHM {
            return Err(AuthError::IncompleteSignature(format!(
                "X-Amz-Algorithm only supports \"{ALGORITHM}\""
            )));
        }
        let mut missing = Vec::new();
        let mut get = |name: &'static str| {
            let value = head.query_param(name);
            if value.is_none() {
                missing.push(format!(
                    "AWS query-string parameters must include '{name}'."
                ));
            }
            value
        };
        let credential = get("X-Amz-Credential");
        let signed = get("X-Amz-SignedHeaders");
        let signature = get("X-Amz-Signature");
        let amz_date = get("X-Amz-Date");
        let expires = get("X-Amz-Expires");
        let (Some(credential), Some(signed), Some(signature), Some(amz_date), Some(expires)) =
            (credential, signed, signature, amz_date, expires)
        else {
            return Err(AuthError::IncompleteSignature(missing.join(" ")));
        };
        let expires = expires
            .parse::<u64>()
            .ok()
            .filter(|e| (1..=MAX_PRESIGNED_SECONDS).contains(e))
            .ok_or_else(|| {
                AuthError::IncompleteSignature(format!(
                    "X-Amz-Expires must be a number of seconds between 1 and {MAX_PRESIGNED_SECONDS}"
                ))
            })?;
        Self::build(
            &credential,
            &signed,
            &signature,
            &amz_date,
            head.query_param("X-Amz-Security-Token")
                .or_else(|| head.header("x-amz-security-token").map(str::to_string)),
            Placement::Query { expires },
            head.header("x-amz-content-sha256")
                .map(str::to_string)
                .or_else(|| head.query_param("X-Amz-Content-Sha256")),
        )
    }

    fn build(
        credential: &str,
        signed: &str,
        signature: &str,
        amz_date: &str,
        security_token: Option<String>,
        placement: Placement,
        content_sha256: Option<String>,
    ) -> Result<Self, AuthError> {
        let parts: Vec<&str> = credential.split('/').collect();
        let [key, date, region, service, terminator] = parts.as_slice() else {
            return Err(AuthError::IncompleteSignature(format!(
                "Credential should be <access key id>/<yyyymmdd>/<region>/<service>/aws4_request, got {} parts",
                parts.len()
            )));
        };
        if *terminator != "aws4_request" {
            return Err(AuthError::InvalidSignature(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
            )));
        }
        let timestamp = time::PrimitiveDateTime::parse(amz_date, AMZ_DATE)
            .map(|t| t.assume_utc())
            .map_err(|_| {
                AuthError::IncompleteSignature(format!(
                    "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
                ))
            })?;
        if !amz_date.starts_with(date) || date.len() != 8 {
            return Err(AuthError::InvalidSignature(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP".to_string(),
            ));
        }
        Ok(Self {
            access_key_id: key.to_string(),
            scope_date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            signed_headers: signed
                .split(';')
                .filter(|h| !h.is_empty())
                .map(str::to_ascii_lowercase)
                .collect(),
            signature: signature.to_string(),
            amz_date: amz_date.to_string(),
            timestamp,
            security_token,
            placement,
            content_sha256,
        })
    }

    /// The scope checks that need no key: the region and service the server answers as,
    /// the signed `host` header.
    pub fn check_scope(&self, region: &str, services: &[&str]) -> Result<(), AuthError> {
        if !services.contains(&self.service.as_str()) {
            return Err(AuthError::InvalidSignature(format!(
                "Credential should be scoped to correct service: '{}'. ",
                services.first().copied().unwrap_or("lambda")
            )));
        }
        if self.region != region {
            return Err(AuthError::InvalidSignature(format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                self.region
            )));
        }
        if !self.signed_headers.iter().any(|h| h == "host") {
            return Err(AuthError::InvalidSignature(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// Lambda's clock rule: at most five minutes either way, and a presigned URL within its
    /// own validity.
    pub fn check_time(&self, now: OffsetDateTime) -> Result<(), AuthError> {
        let skew = time::Duration::seconds(MAX_SKEW_SECONDS);
        if self.timestamp < now - skew {
            if let Placement::Query { .. } = self.placement {
                // A presigned URL's own validity is checked below; only its date's
                // distance into the future is bounded by the clock rule.
            } else {
                return Err(AuthError::InvalidSignature(format!(
                    "Signature expired: {} is now earlier than {} ({} - 5 min.)",
                    self.amz_date,
                    format_amz(now - skew),
                    format_amz(now)
                )));
            }
        }
        if self.timestamp > now + skew {
            return Err(AuthError::InvalidSignature(format!(
                "Signature not yet current: {} is still later than {} ({} + 5 min.)",
                self.amz_date,
                format_amz(now + skew),
                format_amz(now)
            )));
        }
        if let Placement::Query { expires } = self.placement {
            let until = self.timestamp + time::Duration::seconds(expires as i64);
            if now > until {
                return Err(AuthError::AccessDenied("Request has expired".to_string()));
            }
        }
        Ok(())
    }

    /// Checks the signature against `secret` for this request and `body`, in time that does
    /// not depend on how much of the signature matches.
    pub fn verify(
        &self,
        head: &RequestHead<'_>,
        body: &[u8],
        secret: &str,
    ) -> Result<(), AuthError> {
        let payload = self.payload_hash(body);
        let canonical = canonical_request(head, &self.signed_headers, &payload, self.placement);
        let expected = signature(secret, self, &canonical);
        let given = hex::decode(&self.signature).unwrap_or_default();
        if expected.len() == given.len() && bool::from(expected.ct_eq(&given)) {
            Ok(())
        } else {
            Err(AuthError::mismatch())
        }
    }

    /// The payload hash the canonical request ends with: the body's own hash, unless a
    /// presigned URL says `UNSIGNED-PAYLOAD` or the client sent the header (then its value,
    /// which is itself signed, must match the body).
    fn payload_hash(&self, body: &[u8]) -> String {
        match (self.placement, self.content_sha256.as_deref()) {
            (Placement::Query { .. }, Some(UNSIGNED_PAYLOAD)) => UNSIGNED_PAYLOAD.to_string(),
            _ => hex::encode(Sha256::digest(body)),
        }
    }
}

/// `20150830T123600Z`.
pub fn format_amz(t: OffsetDateTime) -> String {
    t.format(AMZ_DATE).unwrap_or_default()
}

/// The canonical request: method, canonical URI, canonical query, canonical headers, a
/// blank line, the signed header list and the payload hash.
pub fn canonical_request(
    head: &RequestHead<'_>,
    signed_headers: &[String],
    payload_hash: &str,
    placement: Placement,
) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(head.method);
    out.push('\n');
    out.push_str(&canonical_uri(head.path));
    out.push('\n');
    out.push_str(&canonical_query(
        head.query,
        matches!(placement, Placement::Query { .. }),
    ));
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        let values: Vec<String> = head
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| trim_all(&String::from_utf8_lossy(v)))
            .collect();
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// botocore's `_header_value`: `' '.join(value.split())`.
fn trim_all(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The path as sent, dot segments and empty segments removed (botocore's
/// `remove_dot_segments`), then %-encoded once more with `/` and `~` kept.
pub fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = String::with_capacity(path.len());
    if path.starts_with('/') {
        normalized.push('/');
    }
    normalized.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    percent_encode(normalized.as_bytes(), PATH_SAFE).to_string()
}

/// Query parameters decoded, encoded again with only unreserved characters left bare,
/// sorted by key then value; a presigned URL's own `X-Amz-Signature` is left out.
pub fn canonical_query(query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k: Vec<u8> = percent_decode(k.as_bytes()).collect();
            let v: Vec<u8> = percent_decode(v.as_bytes()).collect();
            (
                percent_encode(&k, UNRESERVED).to_string(),
                percent_encode(&v, UNRESERVED).to_string(),
            )
        })
        .filter(|(k, _)| !(presigned && k == "X-Amz-Signature"))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `AWS4-HMAC-SHA256\n<date>\n<scope>\nhex(sha256(canonical))`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(),
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The signing key: `HMAC("AWS4"+secret, date) → region → service → "aws4_request"`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

fn signature(secret: &str, claim: &Claim, canonical: &str) -> Vec<u8> {
    let key = signing_key(secret, &claim.scope_date, &claim.region, &claim.service);
    hmac(
        &key,
        string_to_sign(&claim.amz_date, &claim.scope(), canonical).as_bytes(),
    )
}

/// Credentials for signing a request (tests and Lamina's own command-line client).
#[derive(Debug, Clone)]
pub struct SigningCredentials<'a> {
    /// Access key id.
    pub access_key_id: &'a str,
    /// Secret access key.
    pub secret: &'a str,
    /// Session token of temporary credentials.
    pub session_token: Option<&'a str>,
    /// Region of the scope.
    pub region: &'a str,
    /// Service of the scope.
    pub service: &'a str,
}

/// Signs a request as botocore does: returns the headers to add (`X-Amz-Date`, the
/// session token if any, `Authorization`). `head` must already carry the `host` header.
pub fn sign(
    head: &RequestHead<'_>,
    body: &[u8],
    credentials: &SigningCredentials<'_>,
    now: OffsetDateTime,
) -> Vec<(String, String)> {
    let amz_date = format_amz(now);
    let mut added = vec![("x-amz-date".to_string(), amz_date.clone())];
    if let Some(token) = credentials.session_token {
        added.push(("x-amz-security-token".to_string(), token.to_string()));
    }
    let mut full = head.clone();
    for (k, v) in &added {
        full.headers.push((k.as_str(), v.as_bytes()));
    }
    let mut names: Vec<String> = full
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| !UNSIGNED_HEADERS.contains(&n.as_str()) && n != "authorization")
        .collect();
    names.sort();
    names.dedup();
    let payload = hex::encode(Sha256::digest(body));
    let canonical = canonical_request(&full, &names, &payload, Placement::Header);
    let date = &amz_date[..8];
    let scope = format!(
        "{date}/{}/{}/aws4_request",
        credentials.region, credentials.service
    );
    let key = signing_key(
        credentials.secret,
        date,
        credentials.region,
        credentials.service,
    );
    let signature = hex::encode(hmac(
        &key,
        string_to_sign(&amz_date, &scope, &canonical).as_bytes(),
    ));
    added.push((
        "authorization".to_string(),
        format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            credentials.access_key_id,
            names.join(";")
        ),
    ));
    added
}

/// Headers botocore never signs (its `SIGNED_HEADERS_BLACKLIST`, plus the SDK's retry
/// headers it adds after signing).
pub const UNSIGNED_HEADERS: &[&str] = &[
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "content-length",
];

#[cfg(test)]
mod tests;
