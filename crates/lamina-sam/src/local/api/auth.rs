//! Authorizers under `start-api`, as API Gateway runs them: the identity sources are read
//! (missing ones answer 401), a Lambda authorizer's function is invoked with the TOKEN or
//! REQUEST event and its IAM policy (or simple response) decides, JWTs are decoded without
//! network, decisions are cached per identity for the authorizer's TTL, and the context
//! reaches the function under `requestContext.authorizer`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use serde_json::{Value as J, json};

use super::gateway::{ApiConfig, Authorizer, AuthorizerKind};
use super::request::HttpRequest;

/// Why a request is refused, as API Gateway answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: &'static str,
}

const UNAUTHORIZED: Refusal = Refusal {
    status: 401,
    body: r#"{"message":"Unauthorized"}"#,
};
const REST_EXPLICIT_DENY: Refusal = Refusal {
    status: 403,
    body: r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#,
};
const REST_DENY: Refusal = Refusal {
    status: 403,
    body: r#"{"Message":"User is not authorized to access this resource"}"#,
};
const HTTP_FORBIDDEN: Refusal = Refusal {
    status: 403,
    body: r#"{"message":"Forbidden"}"#,
};
const REST_AUTHORIZER_FAILED: Refusal = Refusal {
    status: 500,
    body: r#"{"message": null}"#,
};
const HTTP_AUTHORIZER_FAILED: Refusal = Refusal {
    status: 500,
    body: r#"{"message":"Internal Server Error"}"#,
};

/// A cache key: the API and authorizer, and the identity values.
type CacheKey = (String, Vec<String>);

/// Cached authorizer answers, with when each was given.
#[derive(Default)]
pub struct AuthCache {
    entries: Mutex<HashMap<CacheKey, (Instant, J)>>,
}

impl AuthCache {
    fn get(&self, key: &CacheKey, ttl: u64) -> Option<J> {
        let entries = self.entries.lock().ok()?;
        let (at, answer) = entries.get(key)?;
        (at.elapsed() < Duration::from_secs(ttl)).then(|| answer.clone())
    }

    fn put(&self, key: CacheKey, answer: J) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(key, (Instant::now(), answer));
        }
    }
}

/// The identity values an authorizer reads, or `None` when one is missing (401).
pub fn identity(a: &Authorizer, req: &HttpRequest, api: &ApiConfig) -> Option<Vec<String>> {
    let mut values = Vec::new();
    for h in &a.identity.headers {
        values.push(req.header(h).filter(|v| !v.is_empty())?.to_string());
    }
    let query: Vec<(String, String)> = req.query_pairs();
    for q in &a.identity.query_strings {
        values.push(query.iter().find(|(k, _)| k == q)?.1.clone());
    }
    for s in &a.identity.stage_variables {
        values.push(api.stage_variables.get(s)?.clone());
    }
    Some(values)
}

/// `arn:aws:execute-api:…:{api}/{stage}/{METHOD}{path}`, the ARN policies are matched
/// against.
pub fn method_arn(api_id: &str, stage: &str, method: &str, path: &str) -> String {
    format!(
        "arn:aws:execute-api:us-east-1:{}:{api_id}/{stage}/{method}{path}",
        crate::local::LOCAL_ACCOUNT_ID
    )
}

/// What an authorizer decided: the value for `requestContext.authorizer`, or a refusal.
pub enum Decision {
    /// Let the request through with this authorizer context.
    Allow(J),
    /// Answer with this instead of calling the function.
    Refuse(Refusal),
}

/// What the caller must do to consult a Lambda authorizer: invoke `function` with `event`,
/// then pass its answer to [`decide`].
pub struct Consult {
    /// The authorizer's function.
    pub function: String,
    /// The event to send it.
    pub event: J,
    /// The cache key for its answer.
    key: CacheKey,
}

/// The first step for a request: a cached or JWT decision, or the authorizer to consult.
pub fn begin(
    cache: &AuthCache,
    api_key: &str,
    a: &Authorizer,
    api: &ApiConfig,
    req: &HttpRequest,
    request_event: &J,
    arn: &str,
) -> Result<Decision, Consult> {
    let http = !matches!(
        a.kind,
        AuthorizerKind::Token { .. } | AuthorizerKind::Request
    );
    let Some(values) = identity(a, req, api) else {
        return Ok(Decision::Refuse(UNAUTHORIZED));
    };
    if let AuthorizerKind::Jwt { issuer, audience } = &a.kind {
        return Ok(jwt(values.first().map(String::as_str), issuer, audience));
    }
    let key = (format!("{api_key}/{}", a.name), values.clone());
    if a.ttl_seconds > 0
        && let Some(answer) = cache.get(&key, a.ttl_seconds)
    {
        return Ok(judge(a, &answer, arn, http));
    }
    let event = match &a.kind {
        AuthorizerKind::Token { .. } => json!({
            "type": "TOKEN",
            "authorizationToken": values.first().cloned().unwrap_or_default(),
            "methodArn": arn,
        }),
        AuthorizerKind::Request => {
            let mut e = request_event.clone();
            e["type"] = J::from("REQUEST");
            e["methodArn"] = J::from(arn);
            e
        }
        AuthorizerKind::HttpLambda {
            payload_version, ..
        } => {
            let mut e = request_event.clone();
            e["type"] = J::from("REQUEST");
            if payload_version == "1.0" {
                e["methodArn"] = J::from(arn);
                e["identitySource"] = J::from(values.join(","));
            } else {
                e["routeArn"] = J::from(arn);
                e["identitySource"] = J::from(values.clone());
            }
            e
        }
        AuthorizerKind::Jwt { .. } => return Ok(Decision::Refuse(UNAUTHORIZED)),
    };
    Err(Consult {
        function: a.function.clone().unwrap_or_default(),
        event,
        key,
    })
}

/// The decision from an authorizer function's answer (`None`: the function failed).
pub fn decide(
    cache: &AuthCache,
    a: &Authorizer,
    consult: Consult,
    answer: Option<&[u8]>,
    arn: &str,
) -> Decision {
    let http = matches!(a.kind, AuthorizerKind::HttpLambda { .. });
    let failed = if http {
        HTTP_AUTHORIZER_FAILED
    } else {
        REST_AUTHORIZER_FAILED
    };
    let Some(answer) = answer.and_then(|b| serde_json::from_slice::<J>(b).ok()) else {
        return Decision::Refuse(failed);
    };
    let valid = match &a.kind {
        AuthorizerKind::HttpLambda {
            simple_responses: true,
            ..
        } => answer.get("isAuthorized").is_some_and(J::is_boolean),
        _ => answer.get("policyDocument").is_some_and(J::is_object),
    };
    if !valid {
        return Decision::Refuse(failed);
    }
    if a.ttl_seconds > 0 {
        cache.put(consult.key, answer.clone());
    }
    judge(a, &answer, arn, http)
}

/// Applies a (possibly cached) authorizer answer to one request.
fn judge(a: &Authorizer, answer: &J, arn: &str, http: bool) -> Decision {
    let context = answer
        .get("context")
        .cloned()
        .filter(J::is_object)
        .unwrap_or_else(|| json!({}));
    if let AuthorizerKind::HttpLambda {
        simple_responses: true,
        payload_version,
    } = &a.kind
    {
        if answer.get("isAuthorized") != Some(&J::Bool(true)) {
            return Decision::Refuse(HTTP_FORBIDDEN);
        }
        return Decision::Allow(http_context(payload_version, context, None));
    }
    let (allowed, explicit_deny) = evaluate(answer.get("policyDocument"), arn);
    if !allowed {
        return Decision::Refuse(match (http, explicit_deny) {
            (true, _) => HTTP_FORBIDDEN,
            (false, true) => REST_EXPLICIT_DENY,
            (false, false) => REST_DENY,
        });
    }
    let principal = answer.get("principalId").cloned().unwrap_or(J::Null);
    match &a.kind {
        AuthorizerKind::HttpLambda {
            payload_version, ..
        } => Decision::Allow(http_context(payload_version, context, Some(principal))),
        _ => {
            let mut c = context;
            c["principalId"] = principal;
            c["integrationLatency"] = J::from(0);
            Decision::Allow(c)
        }
    }
}

fn http_context(payload_version: &str, context: J, principal: Option<J>) -> J {
    if payload_version == "1.0" {
        let mut c = context;
        if let Some(p) = principal {
            c["principalId"] = p;
        }
        c
    } else {
        let mut c = json!({ "lambda": context });
        if let Some(p) = principal {
            c["principalId"] = p;
        }
        c
    }
}

/// Whether an IAM policy allows invoking `arn`: (allowed, denied explicitly).
fn evaluate(policy: Option<&J>, arn: &str) -> (bool, bool) {
    let statements: Vec<&J> = match policy.and_then(|p| p.get("Statement")) {
        Some(J::Array(items)) => items.iter().collect(),
        Some(one @ J::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    let mut allowed = false;
    for s in statements {
        let list = |v: Option<&J>| -> Vec<String> {
            match v {
                Some(J::String(s)) => vec![s.clone()],
                Some(J::Array(items)) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let invokes = list(s.get("Action"))
            .iter()
            .any(|a| glob(&a.to_ascii_lowercase(), "execute-api:invoke"));
        let covers = list(s.get("Resource")).iter().any(|r| glob(r, arn));
        if !(invokes && covers) {
            continue;
        }
        match s.get("Effect").and_then(J::as_str) {
            Some("Deny") => return (false, true),
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    (allowed, false)
}

/// IAM wildcard matching: `*` any run of characters, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// A JWT authorizer: the token's claims (decoded, signature not checked: no network), its
/// issuer, audience and expiry checked.
fn jwt(token: Option<&str>, issuer: &Option<String>, audience: &[String]) -> Decision {
    let Some(token) = token else {
        return Decision::Refuse(UNAUTHORIZED);
    };
    let token = token
        .strip_prefix("Bearer ")
        .or_else(|| token.strip_prefix("bearer "))
        .unwrap_or(token)
        .trim();
    let Some(claims) = token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p.trim_end_matches('='))
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<J>(&b).ok())
        .filter(J::is_object)
    else {
        return Decision::Refuse(UNAUTHORIZED);
    };
    if let Some(iss) = issuer
        && claims.get("iss").and_then(J::as_str) != Some(iss.as_str())
    {
        return Decision::Refuse(UNAUTHORIZED);
    }
    if !audience.is_empty() {
        let mut auds: Vec<String> = match claims.get("aud") {
            Some(J::String(s)) => vec![s.clone()],
            Some(J::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        if let Some(c) = claims.get("client_id").and_then(J::as_str) {
            auds.push(c.to_string());
        }
        if !auds.iter().any(|a| audience.contains(a)) {
            return Decision::Refuse(UNAUTHORIZED);
        }
    }
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    if claims
        .get("exp")
        .and_then(J::as_f64)
        .is_some_and(|exp| exp < now)
    {
        return Decision::Refuse(UNAUTHORIZED);
    }
    // HTTP APIs pass claims as strings.
    let as_strings: serde_json::Map<String, J> = claims
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let s = match v {
                        J::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), J::from(s))
                })
                .collect()
        })
        .unwrap_or_default();
    let scopes = claims
        .get("scope")
        .and_then(J::as_str)
        .map(|s| J::from(s.split(' ').map(J::from).collect::<Vec<_>>()))
        .unwrap_or(J::Null);
    Decision::Allow(json!({ "jwt": { "claims": as_strings, "scopes": scopes } }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(glob(
            "arn:aws:execute-api:*:*:*/prod/GET/*",
            "arn:aws:execute-api:us-east-1:1:a/prod/GET/items/1"
        ));
        assert!(!glob(
            "arn:aws:execute-api:*:*:*/prod/POST/*",
            "arn:aws:execute-api:us-east-1:1:a/prod/GET/items"
        ));
        assert!(glob("*", "anything"));
        assert!(glob("a?c", "abc") && !glob("a?c", "abbc"));
    }

    #[test]
    fn an_explicit_deny_wins_over_an_allow() {
        let arn = "arn:aws:execute-api:us-east-1:1:a/prod/GET/x";
        let allow = json!({"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]});
        assert_eq!(evaluate(Some(&allow), arn), (true, false));
        let both = json!({"Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"},
            {"Effect": "Deny", "Action": ["execute-api:Invoke"], "Resource": [arn]}
        ]});
        assert_eq!(evaluate(Some(&both), arn), (false, true));
        assert_eq!(
            evaluate(Some(&json!({"Statement": []})), arn),
            (false, false)
        );
    }

    #[test]
    fn jwt_claims_are_decoded_and_checked() {
        let enc = |v: &J| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let token = format!(
            "Bearer {}.{}.sig",
            enc(&json!({"alg": "none"})),
            enc(
                &json!({"iss": "https://issuer", "aud": "app", "sub": "u1", "exp": 4102444800u64, "scope": "read write"})
            )
        );
        match jwt(
            Some(&token),
            &Some("https://issuer".into()),
            &["app".into()],
        ) {
            Decision::Allow(c) => {
                assert_eq!(c["jwt"]["claims"]["sub"], "u1");
                assert_eq!(c["jwt"]["claims"]["exp"], "4102444800");
                assert_eq!(c["jwt"]["scopes"], json!(["read", "write"]));
            }
            Decision::Refuse(r) => panic!("refused: {r:?}"),
        }
        assert!(matches!(
            jwt(Some(&token), &Some("https://other".into()), &[]),
            Decision::Refuse(r) if r.status == 401
        ));
        assert!(matches!(jwt(Some("garbage"), &None, &[]), Decision::Refuse(r) if r.status == 401));
    }
}
