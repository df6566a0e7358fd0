//! A CloudWatch Logs subset on the API's port: `POST /` with
//! `X-Amz-Target: Logs_20140328.<Operation>` (JSON 1.1), over the engine's durable log store,
//! so `aws logs tail`, boto3's `logs` client and other tooling work against Lamina unchanged.
//! Errors are the Logs JSON shape `{"__type","message"}` with HTTP 400.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use lamina_logs::{FilterQuery, GetQuery, Logs, LogsError, Pattern};
use serde_json::{Map, Value, json};

use crate::AppState;

/// Retention values CloudWatch accepts.
const RETENTION_DAYS: [u64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// A Logs error.
struct LogsFault {
    code: &'static str,
    message: String,
}

fn fault(code: &'static str, message: impl Into<String>) -> LogsFault {
    LogsFault {
        code,
        message: message.into(),
    }
}

fn invalid(message: impl Into<String>) -> LogsFault {
    fault("InvalidParameterException", message)
}

impl From<LogsError> for LogsFault {
    fn from(e: LogsError) -> Self {
        let code = match e {
            LogsError::GroupNotFound | LogsError::StreamNotFound => "ResourceNotFoundException",
            LogsError::GroupExists | LogsError::StreamExists => "ResourceAlreadyExistsException",
            LogsError::InvalidToken => "InvalidParameterException",
            LogsError::Io(_) => "ServiceUnavailableException",
        };
        fault(code, e.to_string())
    }
}

impl IntoResponse for LogsFault {
    fn into_response(self) -> Response {
        let status = if self.code == "ServiceUnavailableException" {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::BAD_REQUEST
        };
        json_response(
            status,
            &json!({ "__type": self.code, "message": self.message }),
        )
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    r
}

/// `POST /`: Logs operations, CloudWatch metrics operations (`cloudwatch_metrics.rs`);
/// anything else is no Lambda operation.
pub(super) fn routes() -> axum::Router<Arc<AppState>> {
    axum::Router::new().route("/", axum::routing::post(root_post))
}

async fn root_post(
    state: State<Arc<AppState>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if is_logs_request(&headers) {
        handle(state, headers, body).await
    } else if super::cloudwatch_metrics::is_metrics_request(&headers, &body) {
        super::cloudwatch_metrics::handle(state.0, headers, &body).await
    } else {
        super::unknown_route(method, uri).await.into_response()
    }
}

/// Whether `headers` ask for a Logs operation.
fn is_logs_request(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("Logs_20140328."))
}

/// `POST /` with a Logs target.
async fn handle(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    match run(&state, &headers, &body).await {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(f) => f.into_response(),
    }
}

async fn run(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Value, LogsFault> {
    let op = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix("Logs_20140328."))
        .unwrap_or_default()
        .to_string();
    let req: Map<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice(body) {
            Ok(Value::Object(m)) => m,
            _ => {
                return Err(fault(
                    "SerializationException",
                    "The request body is not a JSON object",
                ));
            }
        }
    };
    let engine = state
        .engine()
        .map_err(|e| fault("ServiceUnavailableException", e.message.clone()))?;
    let logs = engine
        .logs()
        .durable()
        .cloned()
        .ok_or_else(|| fault("ServiceUnavailableException", "No log store is open"))?;
    let account = state.control.account().clone();
    tokio::task::spawn_blocking(move || dispatch(&op, &req, &logs, &account))
        .await
        .map_err(|e| fault("ServiceUnavailableException", e.to_string()))?
}

fn s<'a>(req: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, LogsFault> {
    match req.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(v)) => Ok(Some(v.as_str())),
        Some(_) => Err(fault(
            "SerializationException",
            format!("{key} must be a string"),
        )),
    }
}

fn n(req: &Map<String, Value>, key: &str) -> Result<Option<i64>, LogsFault> {
    match req.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| fault("SerializationException", format!("{key} must be a number"))),
    }
}

fn b(req: &Map<String, Value>, key: &str) -> Result<Option<bool>, LogsFault> {
    match req.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(v)) => Ok(Some(*v)),
        Some(_) => Err(fault(
            "SerializationException",
            format!("{key} must be a boolean"),
        )),
    }
}

fn limit(req: &Map<String, Value>, max: i64, default: i64) -> Result<usize, LogsFault> {
    let v = n(req, "limit")?.unwrap_or(default);
    if v < 1 || v > max {
        return Err(invalid(format!(
            "1 validation error detected: Value '{v}' at 'limit' failed to satisfy constraint: Member must have value {}",
            if v < 1 {
                "greater than or equal to 1".to_string()
            } else {
                format!("less than or equal to {max}")
            }
        )));
    }
    Ok(v as usize)
}

/// `logGroupName`, or the name inside `logGroupIdentifier` (a name or an ARN).
fn group_name(req: &Map<String, Value>) -> Result<String, LogsFault> {
    match (s(req, "logGroupName")?, s(req, "logGroupIdentifier")?) {
        (Some(_), Some(_)) => Err(fault(
            "ValidationException",
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
        )),
        (Some(name), None) => Ok(name.to_string()),
        (None, Some(id)) => Ok(match id.split_once(":log-group:") {
            Some((_, rest)) => rest.strip_suffix(":*").unwrap_or(rest).to_string(),
            None => id.to_string(),
        }),
        (None, None) => Err(invalid(
            "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null",
        )),
    }
}

fn required<'a>(req: &'a Map<String, Value>, key: &str) -> Result<&'a str, LogsFault> {
    s(req, key)?.ok_or_else(|| {
        invalid(format!(
            "1 validation error detected: Value null at '{key}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

fn valid_group_name(name: &str) -> Result<(), LogsFault> {
    let ok = (1..=512).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#'));
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "1 validation error detected: Value '{name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
        )))
    }
}

fn group_arn(account: &lamina_model::Account, name: &str) -> String {
    format!(
        "arn:aws:logs:{}:{}:log-group:{name}",
        account.region, account.account_id
    )
}

fn encode_token(text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn decode_token(token: &str) -> Result<String, LogsFault> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| invalid("The specified nextToken is invalid."))
}

fn dispatch(
    op: &str,
    req: &Map<String, Value>,
    logs: &Logs,
    account: &lamina_model::Account,
) -> Result<Value, LogsFault> {
    match op {
        "CreateLogGroup" => {
            let name = required(req, "logGroupName")?;
            valid_group_name(name)?;
            logs.create_group(name)?;
            Ok(json!({}))
        }
        "CreateLogStream" => {
            let group = required(req, "logGroupName")?;
            let name = required(req, "logStreamName")?;
            if name.is_empty() || name.len() > 512 || name.contains([':', '*']) {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{name}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*"
                )));
            }
            logs.create_stream(group, name)?;
            Ok(json!({}))
        }
        "DeleteLogGroup" => {
            logs.delete_group(required(req, "logGroupName")?)?;
            Ok(json!({}))
        }
        "PutRetentionPolicy" => {
            let group = required(req, "logGroupName")?;
            let days = n(req, "retentionInDays")?.ok_or_else(|| {
                invalid("1 validation error detected: Value null at 'retentionInDays' failed to satisfy constraint: Member must not be null")
            })?;
            if !RETENTION_DAYS.contains(&(days as u64)) {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: {RETENTION_DAYS:?}"
                )));
            }
            logs.set_retention(group, Some(days as u32))?;
            Ok(json!({}))
        }
        "DeleteRetentionPolicy" => {
            logs.set_retention(required(req, "logGroupName")?, None)?;
            Ok(json!({}))
        }
        "PutLogEvents" => put_log_events(req, logs),
        "DescribeLogGroups" => describe_log_groups(req, logs, account),
        "DescribeLogStreams" => describe_log_streams(req, logs, account),
        "GetLogEvents" => get_log_events(req, logs),
        "FilterLogEvents" => filter_log_events(req, logs),
        "" => Err(fault("UnknownOperationException", "")),
        other => Err(fault(
            "UnknownOperationException",
            format!("Lamina does not implement the Logs operation {other}"),
        )),
    }
}

fn put_log_events(req: &Map<String, Value>, logs: &Logs) -> Result<Value, LogsFault> {
    let group = required(req, "logGroupName")?;
    let stream = required(req, "logStreamName")?;
    let Some(Value::Array(list)) = req.get("logEvents") else {
        return Err(invalid(
            "1 validation error detected: Value null at 'logEvents' failed to satisfy constraint: Member must not be null",
        ));
    };
    if list.is_empty() || list.len() > 10_000 {
        return Err(invalid(format!(
            "1 validation error detected: Value '{}' at 'logEvents' failed to satisfy constraint: Member must have length between 1 and 10000",
            list.len()
        )));
    }
    let mut events = Vec::with_capacity(list.len());
    let mut size = 0usize;
    for e in list {
        let (Some(ts), Some(msg)) = (
            e.get("timestamp").and_then(Value::as_i64),
            e.get("message").and_then(Value::as_str),
        ) else {
            return Err(invalid("Each log event needs a timestamp and a message"));
        };
        if msg.is_empty() {
            return Err(invalid(
                "1 validation error detected: Value '' at 'logEvents.message' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        size += msg.len() + 26;
        events.push((ts, msg.to_string()));
    }
    if size > 1_048_576 {
        return Err(invalid(
            "Upload too large: the batch exceeds 1,048,576 bytes (messages plus 26 bytes per event)",
        ));
    }
    if events.windows(2).any(|w| w[1].0 < w[0].0) {
        return Err(invalid(
            "Log events in a single PutLogEvents request must be in chronological order.",
        ));
    }
    let now = lamina_logs::now_ms();
    let too_old = events
        .iter()
        .take_while(|(t, _)| *t < now - 14 * 86_400_000)
        .count();
    let too_new_from = events
        .iter()
        .position(|(t, _)| *t > now + 2 * 3_600_000)
        .unwrap_or(events.len());
    let mut info = Map::new();
    if too_old > 0 {
        info.insert("tooOldLogEventEndIndex".into(), json!(too_old));
    }
    if too_new_from < events.len() {
        info.insert("tooNewLogEventStartIndex".into(), json!(too_new_from));
    }
    let accepted: Vec<_> = events
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i >= too_old && *i < too_new_from)
        .map(|(_, e)| e)
        .collect();
    if accepted.is_empty() {
        // Still checks that the stream exists.
        logs.streams(group)?
            .iter()
            .find(|s| s.name == stream)
            .ok_or(LogsError::StreamNotFound)?;
    } else {
        logs.put_events(group, stream, accepted)?;
    }
    let mut out = Map::new();
    out.insert(
        "nextSequenceToken".into(),
        json!(format!("{:056}", lamina_logs::now_ms())),
    );
    if !info.is_empty() {
        out.insert("rejectedLogEventsInfo".into(), Value::Object(info));
    }
    Ok(Value::Object(out))
}

fn describe_log_groups(
    req: &Map<String, Value>,
    logs: &Logs,
    account: &lamina_model::Account,
) -> Result<Value, LogsFault> {
    let prefix = s(req, "logGroupNamePrefix")?;
    let pattern = s(req, "logGroupNamePattern")?;
    if prefix.is_some() && pattern.is_some() {
        return Err(invalid(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
        ));
    }
    let limit = limit(req, 50, 50)?;
    let after = s(req, "nextToken")?.map(decode_token).transpose()?;
    let mut groups = logs.groups(prefix.unwrap_or(""));
    if let Some(p) = pattern {
        let p = p.to_lowercase();
        groups.retain(|g| g.name.to_lowercase().contains(&p));
    }
    if let Some(names) = req.get("logGroupIdentifiers").and_then(Value::as_array) {
        let wanted: Vec<String> = names
            .iter()
            .filter_map(Value::as_str)
            .map(|id| match id.split_once(":log-group:") {
                Some((_, rest)) => rest.strip_suffix(":*").unwrap_or(rest).to_string(),
                None => id.to_string(),
            })
            .collect();
        groups.retain(|g| wanted.contains(&g.name));
    }
    let rest: Vec<_> = groups
        .into_iter()
        .filter(|g| after.as_ref().is_none_or(|a| g.name.as_str() > a.as_str()))
        .collect();
    let page: Vec<Value> = rest
        .iter()
        .take(limit)
        .map(|g| {
            let arn = group_arn(account, &g.name);
            let mut v = json!({
                "logGroupName": g.name,
                "creationTime": g.creation_time,
                "metricFilterCount": 0,
                "arn": format!("{arn}:*"),
                "logGroupArn": arn,
                "storedBytes": g.stored_bytes,
                "logGroupClass": "STANDARD",
            });
            if let Some(d) = g.retention_days {
                v["retentionInDays"] = json!(d);
            }
            v
        })
        .collect();
    let mut out = json!({ "logGroups": page });
    if rest.len() > limit
        && let Some(last) = rest.get(limit - 1)
    {
        out["nextToken"] = json!(encode_token(&last.name));
    }
    Ok(out)
}

fn describe_log_streams(
    req: &Map<String, Value>,
    logs: &Logs,
    account: &lamina_model::Account,
) -> Result<Value, LogsFault> {
    let group = group_name(req)?;
    let prefix = s(req, "logStreamNamePrefix")?;
    let by_time = match s(req, "orderBy")? {
        None | Some("LogStreamName") => false,
        Some("LastEventTime") => true,
        Some(other) => {
            return Err(invalid(format!(
                "1 validation error detected: Value '{other}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"
            )));
        }
    };
    if by_time && prefix.is_some() {
        return Err(invalid(
            "Cannot order by LastEventTime with a logStreamNamePrefix.",
        ));
    }
    let descending = b(req, "descending")?.unwrap_or(false);
    let limit = limit(req, 50, 50)?;
    let from: usize = match s(req, "nextToken")? {
        Some(t) => decode_token(t)?
            .parse()
            .map_err(|_| invalid("The specified nextToken is invalid."))?,
        None => 0,
    };
    logs.settle(std::time::Duration::from_secs(2));
    let mut streams = logs.streams(&group)?;
    if let Some(p) = prefix {
        streams.retain(|s| s.name.starts_with(p));
    }
    if by_time {
        streams.sort_by_key(|s| (s.last_event.unwrap_or(s.creation_time), s.name.clone()));
    }
    if descending {
        streams.reverse();
    }
    let arn = group_arn(account, &group);
    let page: Vec<Value> = streams
        .iter()
        .skip(from)
        .take(limit)
        .map(|st| {
            let mut v = json!({
                "logStreamName": st.name,
                "creationTime": st.creation_time,
                "arn": format!("{arn}:log-stream:{}", st.name),
                "storedBytes": 0,
            });
            if let Some(t) = st.first_event {
                v["firstEventTimestamp"] = json!(t);
            }
            if let Some(t) = st.last_event {
                v["lastEventTimestamp"] = json!(t);
            }
            if let Some(t) = st.last_ingestion {
                v["lastIngestionTime"] = json!(t);
            }
            v
        })
        .collect();
    let mut out = json!({ "logStreams": page });
    if streams.len() > from + limit {
        out["nextToken"] = json!(encode_token(&(from + limit).to_string()));
    }
    Ok(out)
}

fn get_log_events(req: &Map<String, Value>, logs: &Logs) -> Result<Value, LogsFault> {
    let group = group_name(req)?;
    let stream = required(req, "logStreamName")?;
    let q = GetQuery {
        start_time: n(req, "startTime")?,
        end_time: n(req, "endTime")?,
        token: s(req, "nextToken")?.map(str::to_string),
        limit: limit(req, 10_000, 10_000)?,
        start_from_head: b(req, "startFromHead")?.unwrap_or(false),
    };
    logs.settle(std::time::Duration::from_secs(2));
    let page = logs.get_events(&group, stream, &q)?;
    let events: Vec<Value> = page
        .events
        .into_iter()
        .map(|e| json!({ "timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time }))
        .collect();
    Ok(json!({
        "events": events,
        "nextForwardToken": page.next_forward,
        "nextBackwardToken": page.next_backward,
    }))
}

fn filter_log_events(req: &Map<String, Value>, logs: &Logs) -> Result<Value, LogsFault> {
    let group = group_name(req)?;
    let names: Option<Vec<String>> = match req.get("logStreamNames") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| fault("SerializationException", "logStreamNames must be strings"))?,
        ),
        Some(_) => {
            return Err(fault(
                "SerializationException",
                "logStreamNames must be a list",
            ));
        }
    };
    let prefix = s(req, "logStreamNamePrefix")?;
    if names.is_some() && prefix.is_some() {
        return Err(invalid(
            "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
        ));
    }
    if names
        .as_ref()
        .is_some_and(|n| n.is_empty() || n.len() > 100)
    {
        return Err(invalid(
            "1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length between 1 and 100",
        ));
    }
    let text = s(req, "filterPattern")?.unwrap_or("");
    if text.len() > 1024 {
        return Err(invalid(
            "1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024",
        ));
    }
    let pattern = Pattern::parse(text).map_err(|e| invalid(e.to_string()))?;
    let q = FilterQuery {
        stream_names: names,
        stream_prefix: prefix.map(str::to_string),
        start_time: n(req, "startTime")?,
        end_time: n(req, "endTime")?,
        pattern,
        token: s(req, "nextToken")?.map(str::to_string),
        limit: limit(req, 10_000, 10_000)?,
    };
    logs.settle(std::time::Duration::from_secs(2));
    let page = logs.filter_events(&group, &q)?;
    let events: Vec<Value> = page
        .events
        .into_iter()
        .map(|e| {
            json!({
                "logStreamName": e.stream,
                "timestamp": e.timestamp,
                "message": e.message,
                "ingestionTime": e.ingestion_time,
                "eventId": e.event_id,
            })
        })
        .collect();
    let mut out = json!({ "events": events, "searchedLogStreams": [] });
    if let Some(t) = page.next_token {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}
