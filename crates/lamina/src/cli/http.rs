//! The client side of Lamina's own routes (`/lamina/...`) for the commands that ask a running
//! server (`lamina migrate`, `logs`, `env`, `scan`): one place that sends a request, tells an absent
//! server from a refusing one, and turns a refusal into the server's own words. When
//! `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` are set (a key from `lamina auth
//! create-key`), every request is signed with SigV4 as boto3 would sign it.

use std::io::Read;

use serde_json::Value;

/// Why a request to the server failed.
#[derive(Debug)]
pub(super) enum Failure {
    /// No server answered.
    Unreachable(String),
    /// The server answered with an error, or with something that is not JSON.
    Refused(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable(m) | Self::Refused(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Failure {}

/// A client of one Lamina server.
pub(super) struct Server {
    base: String,
}

impl Server {
    /// A client of the server at `base` (`http://127.0.0.1:9001`, trailing `/` or not).
    pub(super) fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
        }
    }

    fn agent() -> ureq::Agent {
        // Error statuses are answers to read (they carry Lambda's `Message`), not failures.
        ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build(),
        )
    }

    fn unreachable(&self, e: ureq::Error) -> Failure {
        Failure::Unreachable(format!(
            "cannot reach the Lamina server at {} ({e}); is `lamina server` running? (--endpoint-url)",
            self.base
        ))
    }

    /// One request (`GET`, `POST` with a JSON body, or `DELETE`); a 2xx answer gives its
    /// status and its JSON (`Null` when empty). Any other status is a [`Failure::Refused`]
    /// carrying the error type and the server's message.
    pub(super) fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), Failure> {
        let url = format!("{}{path}", self.base);
        let agent = Self::agent();
        let bytes = match (method, body) {
            ("POST", Some(b)) => serde_json::to_vec(b)
                .map_err(|e| Failure::Refused(format!("encoding the request: {e}")))?,
            _ => Vec::new(),
        };
        let signed = self.signature(method, path, &bytes);
        let sent = match method {
            "POST" => {
                let mut request = agent.post(&url).header("content-type", "application/json");
                for (k, v) in &signed {
                    request = request.header(k, v);
                }
                request.send(&bytes[..])
            }
            "DELETE" => {
                let mut request = agent.delete(&url);
                for (k, v) in &signed {
                    request = request.header(k, v);
                }
                request.call()
            }
            _ => {
                let mut request = agent.get(&url);
                for (k, v) in &signed {
                    request = request.header(k, v);
                }
                request.call()
            }
        };
        let mut response = sent.map_err(|e| self.unreachable(e))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| Failure::Refused(format!("reading the server's answer: {e}")))?;
        let success = (200..300).contains(&status);
        let value = match serde_json::from_str::<Value>(&text) {
            Ok(v) => v,
            Err(_) if text.trim().is_empty() => Value::Null,
            // A refusal need not be JSON (a proxy's page); its status still says what happened.
            Err(_) if !success => Value::Null,
            Err(e) => {
                return Err(Failure::Refused(format!(
                    "the server's answer is not JSON ({e})"
                )));
            }
        };
        if !success {
            return Err(refusal(&response, status, &value));
        }
        Ok((status, value))
    }

    /// The SigV4 headers for a request, when the environment holds credentials.
    fn signature(&self, method: &str, path: &str, body: &[u8]) -> Vec<(String, String)> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let (Some(id), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
        else {
            return Vec::new();
        };
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".to_string());
        let host = self
            .base
            .split_once("://")
            .map_or(self.base.as_str(), |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut headers: Vec<(&str, &[u8])> = vec![("host", host.as_bytes())];
        if method == "POST" {
            headers.push(("content-type", b"application/json"));
        }
        let head = lamina_auth::sigv4::RequestHead {
            method,
            path,
            query,
            headers,
        };
        let credentials = lamina_auth::sigv4::SigningCredentials {
            access_key_id: &id,
            secret: &secret,
            session_token: None,
            region: &region,
            service: "lambda",
        };
        lamina_auth::sigv4::sign(&head, body, &credentials, time::OffsetDateTime::now_utc())
    }

    /// [`Server::request`] when only the answer's JSON matters.
    pub(super) fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, Failure> {
        self.request(method, path, body).map(|(_, v)| v)
    }

    /// `GET path` as a stream of bytes (a follow-mode log), once the server has said yes.
    pub(super) fn stream(&self, path: &str) -> Result<impl Read + use<>, Failure> {
        let url = format!("{}{path}", self.base);
        let mut request = Self::agent().get(&url);
        for (k, v) in self.signature("GET", path, b"") {
            request = request.header(k, v);
        }
        let mut response = request.call().map_err(|e| self.unreachable(e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let value = response
                .body_mut()
                .read_json::<Value>()
                .unwrap_or(Value::Null);
            return Err(refusal(&response, status, &value));
        }
        Ok(response.into_body().into_reader())
    }
}

/// A non-2xx answer in the server's words: `Type: Message`, or the status when it gave none.
fn refusal<B>(response: &ureq::http::Response<B>, status: u16, value: &Value) -> Failure {
    let kind = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|k| format!("{k}: "))
        .unwrap_or_default();
    let message = value["Message"]
        .as_str()
        .map_or_else(|| format!("HTTP {status}"), str::to_string);
    Failure::Refused(format!("{kind}{message}"))
}
