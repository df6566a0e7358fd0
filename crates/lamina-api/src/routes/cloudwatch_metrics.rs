//! The CloudWatch metrics subset on the API's port (`POST /`), in both protocols clients
//! send: JSON 1.0 (`X-Amz-Target: GraniteServiceVersion20100801.<Operation>`, what current
//! botocore and boto3 use) and the query protocol (a form with `Action=<Operation>`, answered
//! in XML, what older botocore such as Debian's AWS CLI v2 uses). Both are parsed into the
//! same typed requests of `lamina_metrics::cloudwatch`, which decides; the answer is rendered
//! back in the protocol the request came in. Errors carry CloudWatch's codes: JSON
//! `{"__type","message"}` with `x-amzn-query-error: <Code>;Sender`, or the query protocol's
//! `<ErrorResponse>`.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lamina_metrics::Listed;
use lamina_metrics::cloudwatch::{
    CloudWatchError, GetMetricData, GetMetricStatistics, ListMetrics, MetricDataQuery, MetricRef,
};
use serde_json::{Map, Value};

use crate::AppState;

const TARGET_PREFIX: &str = "GraniteServiceVersion20100801.";
const XML_NAMESPACE: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";

/// The protocol a request came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Json,
    Query,
}

/// Whether `POST /` with these headers and body is a CloudWatch metrics request.
pub(super) fn is_metrics_request(headers: &HeaderMap, body: &[u8]) -> bool {
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        return target.starts_with(TARGET_PREFIX);
    }
    let form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    form && form_urlencoded::parse(body).any(|(k, v)| k == "Version" && v == "2010-08-01")
}

/// Answers a CloudWatch metrics request.
pub(super) async fn handle(state: Arc<AppState>, headers: HeaderMap, body: &[u8]) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let (protocol, operation, input) = match parse(&headers, body) {
        Ok(p) => p,
        Err((protocol, e)) => return render_error(protocol, &e, &request_id),
    };
    let metrics = match super::metrics::metrics_of(&state) {
        Ok(m) => m,
        Err(e) => {
            let e = CloudWatchError::Internal(e.message.clone());
            return render_error(protocol, &e, &request_id);
        }
    };
    let answer = tokio::task::spawn_blocking(move || run(&metrics, &operation, &input))
        .await
        .unwrap_or_else(|e| {
            Err(CloudWatchError::Internal(format!(
                "the metrics task failed: {e}"
            )))
        });
    match answer {
        Ok((operation, out)) => render(protocol, &operation, &out, &request_id),
        Err(e) => render_error(protocol, &e, &request_id),
    }
}

type Refusal = (Protocol, CloudWatchError);

/// The operation's name and its input as a JSON tree (a query form is folded into the same
/// tree: `A.member.1.B=v` → `{"A":[{"B":"v"}]}`).
fn parse(headers: &HeaderMap, body: &[u8]) -> Result<(Protocol, String, Value), Refusal> {
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        let operation = target.trim_start_matches(TARGET_PREFIX).to_string();
        let input = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Map::new())
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(v @ Value::Object(_)) => v,
                _ => {
                    return Err((
                        Protocol::Json,
                        CloudWatchError::InvalidParameterValue(
                            "The request body is not a JSON object.".into(),
                        ),
                    ));
                }
            }
        };
        return Ok((Protocol::Json, operation, input));
    }
    let mut input = Value::Object(Map::new());
    let mut operation = String::new();
    for (k, v) in form_urlencoded::parse(body) {
        match &*k {
            "Action" => operation = v.into_owned(),
            "Version" => {}
            _ => {
                let path: Vec<&str> = k.split('.').collect();
                insert(&mut input, &path, v.into_owned());
            }
        }
    }
    Ok((Protocol::Query, operation, input))
}

fn insert(node: &mut Value, path: &[&str], value: String) {
    let Some((first, rest)) = path.split_first() else {
        *node = Value::String(value);
        return;
    };
    if *first == "member"
        && let Some((index, rest)) = rest.split_first()
        && let Ok(n @ 1..=10_000) = index.parse::<usize>()
    {
        if !node.is_array() {
            *node = Value::Array(Vec::new());
        }
        if let Value::Array(items) = node {
            if items.len() < n {
                items.resize(n, Value::Null);
            }
            insert(&mut items[n - 1], rest, value);
        }
        return;
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    if let Value::Object(map) = node {
        insert(map.entry(*first).or_insert(Value::Null), rest, value);
    }
}

fn string(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn number(v: &Value, key: &str) -> Result<Option<i64>, CloudWatchError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad_value(key, &n.to_string())),
        Some(Value::String(s)) => s.parse().map(Some).map_err(|_| bad_value(key, s)),
        Some(other) => Err(bad_value(key, &other.to_string())),
    }
}

fn bad_value(key: &str, value: &str) -> CloudWatchError {
    CloudWatchError::InvalidParameterValue(format!(
        "The value {value} for parameter {key} is not valid."
    ))
}

/// A timestamp: epoch seconds (JSON) or ISO 8601 (query protocol).
fn timestamp(v: &Value, key: &str) -> Result<Option<i64>, CloudWatchError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .map(|f| Some(f.floor() as i64))
            .ok_or_else(|| bad_value(key, &n.to_string())),
        Some(Value::String(s)) => {
            if let Ok(f) = s.parse::<f64>() {
                return Ok(Some(f.floor() as i64));
            }
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Iso8601::DEFAULT)
                .map(|t| Some(t.unix_timestamp()))
                .map_err(|_| bad_value(key, s))
        }
        Some(other) => Err(bad_value(key, &other.to_string())),
    }
}

fn metric_ref(v: &Value) -> MetricRef {
    MetricRef {
        namespace: string(v, "Namespace"),
        metric_name: string(v, "MetricName"),
        dimensions: v
            .get("Dimensions")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|d| {
                        (
                            string(d, "Name").unwrap_or_default(),
                            string(d, "Value").unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// What an answer holds, before it is rendered as JSON or XML.
enum Out {
    Struct(Vec<(&'static str, Out)>),
    List(Vec<Out>),
    Map(Vec<(String, Out)>),
    Str(String),
    Num(f64),
    Time(i64),
}

fn run(
    metrics: &lamina_metrics::Metrics,
    operation: &str,
    input: &Value,
) -> Result<(String, Out), CloudWatchError> {
    let out = match operation {
        "GetMetricStatistics" => {
            let req = GetMetricStatistics {
                metric: metric_ref(input),
                start_s: timestamp(input, "StartTime")?,
                end_s: timestamp(input, "EndTime")?,
                period_s: number(input, "Period")?,
                statistics: strings(input, "Statistics"),
                extended_statistics: strings(input, "ExtendedStatistics"),
                unit: string(input, "Unit"),
            };
            let answer = metrics.get_metric_statistics(&req)?;
            let points = answer
                .datapoints
                .into_iter()
                .map(|d| {
                    let mut fields = vec![("Timestamp", Out::Time(d.timestamp_s))];
                    fields.extend(d.statistics.into_iter().map(|(n, v)| (n, Out::Num(v))));
                    fields.push(("Unit", Out::Str(d.unit.to_string())));
                    if !d.extended.is_empty() {
                        fields.push((
                            "ExtendedStatistics",
                            Out::Map(
                                d.extended
                                    .into_iter()
                                    .map(|(n, v)| (n, Out::Num(v)))
                                    .collect(),
                            ),
                        ));
                    }
                    Out::Struct(fields)
                })
                .collect();
            Out::Struct(vec![
                ("Label", Out::Str(answer.label)),
                ("Datapoints", Out::List(points)),
            ])
        }
        "GetMetricData" => {
            let queries = input
                .get("MetricDataQueries")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|q| {
                    let stat = q.get("MetricStat");
                    Ok(MetricDataQuery {
                        id: string(q, "Id"),
                        metric: stat.and_then(|s| s.get("Metric")).map(metric_ref),
                        period_s: match stat {
                            Some(s) => number(s, "Period")?,
                            None => None,
                        },
                        stat: stat.and_then(|s| string(s, "Stat")),
                        unit: stat.and_then(|s| string(s, "Unit")),
                        expression: string(q, "Expression"),
                        label: string(q, "Label"),
                        return_data: match q.get("ReturnData") {
                            Some(Value::Bool(b)) => Some(*b),
                            Some(Value::String(s)) => Some(s == "true"),
                            _ => None,
                        },
                    })
                })
                .collect::<Result<Vec<_>, CloudWatchError>>()?;
            let req = GetMetricData {
                queries,
                start_s: timestamp(input, "StartTime")?,
                end_s: timestamp(input, "EndTime")?,
                scan_by: string(input, "ScanBy"),
                max_datapoints: number(input, "MaxDatapoints")?,
            };
            let results = metrics
                .get_metric_data(&req)?
                .into_iter()
                .map(|r| {
                    Out::Struct(vec![
                        ("Id", Out::Str(r.id)),
                        ("Label", Out::Str(r.label)),
                        (
                            "Timestamps",
                            Out::List(r.timestamps.into_iter().map(Out::Time).collect()),
                        ),
                        (
                            "Values",
                            Out::List(r.values.into_iter().map(Out::Num).collect()),
                        ),
                        ("StatusCode", Out::Str("Complete".into())),
                    ])
                })
                .collect();
            Out::Struct(vec![
                ("MetricDataResults", Out::List(results)),
                ("Messages", Out::List(Vec::new())),
            ])
        }
        "ListMetrics" => {
            let req = ListMetrics {
                namespace: string(input, "Namespace"),
                metric_name: string(input, "MetricName"),
                dimensions: input
                    .get("Dimensions")
                    .and_then(Value::as_array)
                    .map(|items| {
                        items
                            .iter()
                            .map(|d| (string(d, "Name").unwrap_or_default(), string(d, "Value")))
                            .collect()
                    })
                    .unwrap_or_default(),
                next_token: string(input, "NextToken"),
            };
            let page = metrics.list_metrics(&req)?;
            let mut fields = vec![(
                "Metrics",
                Out::List(page.metrics.into_iter().map(listed).collect()),
            )];
            if let Some(token) = page.next_token {
                fields.push(("NextToken", Out::Str(token)));
            }
            Out::Struct(fields)
        }
        other => {
            return Err(CloudWatchError::InvalidParameterValue(format!(
                "Lamina does not serve the CloudWatch operation {other:?}; it serves GetMetricStatistics, GetMetricData and ListMetrics."
            )));
        }
    };
    Ok((operation.to_string(), out))
}

fn listed(l: Listed) -> Out {
    Out::Struct(vec![
        ("Namespace", Out::Str(l.namespace.to_string())),
        ("MetricName", Out::Str(l.metric.name().to_string())),
        (
            "Dimensions",
            Out::List(
                l.dimensions
                    .into_iter()
                    .map(|(n, v)| {
                        Out::Struct(vec![
                            ("Name", Out::Str(n.to_string())),
                            ("Value", Out::Str(v)),
                        ])
                    })
                    .collect(),
            ),
        ),
    ])
}

fn json(out: &Out) -> Value {
    match out {
        Out::Struct(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_string(), json(v)))
                .collect(),
        ),
        Out::Map(entries) => {
            Value::Object(entries.iter().map(|(k, v)| (k.clone(), json(v))).collect())
        }
        Out::List(items) => Value::Array(items.iter().map(json).collect()),
        Out::Str(s) => Value::String(s.clone()),
        Out::Num(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
        Out::Time(t) => Value::from(*t),
    }
}

fn xml(out: &Out, into: &mut String) {
    use std::fmt::Write;
    match out {
        Out::Struct(fields) => {
            for (k, v) in fields {
                let _ = write!(into, "<{k}>");
                xml(v, into);
                let _ = write!(into, "</{k}>");
            }
        }
        Out::Map(entries) => {
            for (k, v) in entries {
                let _ = write!(
                    into,
                    "<entry><key>{}</key><value>",
                    quick_xml::escape::escape(k.as_str())
                );
                xml(v, into);
                into.push_str("</value></entry>");
            }
        }
        Out::List(items) => {
            for item in items {
                into.push_str("<member>");
                xml(item, into);
                into.push_str("</member>");
            }
        }
        Out::Str(s) => into.push_str(&quick_xml::escape::escape(s.as_str())),
        Out::Num(n) => {
            let _ = write!(into, "{n:?}");
        }
        Out::Time(t) => into.push_str(&iso8601(*t)),
    }
}

fn iso8601(t: i64) -> String {
    const FORMAT: &[time::format_description::FormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| t.format(FORMAT).ok())
        .unwrap_or_default()
}

fn with_headers(mut r: Response, content_type: &'static str, request_id: &str) -> Response {
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amzn-requestid", v);
    }
    r
}

fn render(protocol: Protocol, operation: &str, out: &Out, request_id: &str) -> Response {
    match protocol {
        Protocol::Json => with_headers(
            (StatusCode::OK, json(out).to_string()).into_response(),
            "application/x-amz-json-1.0",
            request_id,
        ),
        Protocol::Query => {
            let mut body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{operation}Response xmlns=\"{XML_NAMESPACE}\"><{operation}Result>"
            );
            xml(out, &mut body);
            body.push_str(&format!(
                "</{operation}Result><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{operation}Response>"
            ));
            with_headers(
                (StatusCode::OK, body).into_response(),
                "text/xml",
                request_id,
            )
        }
    }
}

fn render_error(protocol: Protocol, e: &CloudWatchError, request_id: &str) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let fault = if e.sender_fault() {
        "Sender"
    } else {
        "Receiver"
    };
    match protocol {
        Protocol::Json => {
            let body = serde_json::json!({
                "__type": format!("com.amazonaws.monitoring#{}", e.shape()),
                "message": e.to_string(),
            });
            let mut r = with_headers(
                (status, body.to_string()).into_response(),
                "application/x-amz-json-1.0",
                request_id,
            );
            if let Ok(v) = HeaderValue::from_str(&format!("{};{fault}", e.code())) {
                r.headers_mut().insert("x-amzn-query-error", v);
            }
            r
        }
        Protocol::Query => {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{XML_NAMESPACE}\"><Error><Type>{fault}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                e.code(),
                quick_xml::escape::escape(e.to_string().as_str())
            );
            with_headers((status, body).into_response(), "text/xml", request_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_form_folds_into_the_json_tree() {
        let body = b"Action=GetMetricStatistics&Version=2010-08-01&Namespace=AWS%2FLambda&Dimensions.member.1.Name=FunctionName&Dimensions.member.1.Value=f&Statistics.member.2=Maximum&Statistics.member.1=Sum&Period=60";
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        assert!(is_metrics_request(&headers, body));
        let (protocol, op, input) = parse(&headers, body).unwrap();
        assert_eq!(
            (protocol, op.as_str()),
            (Protocol::Query, "GetMetricStatistics")
        );
        assert_eq!(
            input,
            serde_json::json!({
                "Namespace": "AWS/Lambda",
                "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
                "Statistics": ["Sum", "Maximum"],
                "Period": "60",
            })
        );
        assert_eq!(number(&input, "Period").unwrap(), Some(60));
    }

    #[test]
    fn timestamps_come_as_epoch_seconds_or_iso_8601() {
        let v = serde_json::json!({"a": 1_780_000_000.5, "b": "2026-05-28T20:26:40Z", "c": "x"});
        assert_eq!(timestamp(&v, "a").unwrap(), Some(1_780_000_000));
        assert_eq!(timestamp(&v, "b").unwrap(), Some(1_780_000_000));
        assert!(timestamp(&v, "c").is_err());
        assert_eq!(iso8601(1_780_000_000), "2026-05-28T20:26:40Z");
    }

    #[test]
    fn answers_render_in_both_protocols() {
        let out = Out::Struct(vec![
            ("Label", Out::Str("a<b".into())),
            (
                "Datapoints",
                Out::List(vec![Out::Struct(vec![
                    ("Timestamp", Out::Time(60)),
                    ("Sum", Out::Num(5.0)),
                    (
                        "ExtendedStatistics",
                        Out::Map(vec![("p99".into(), Out::Num(1.5))]),
                    ),
                ])]),
            ),
        ]);
        assert_eq!(
            json(&out),
            serde_json::json!({"Label": "a<b", "Datapoints": [{"Timestamp": 60, "Sum": 5.0, "ExtendedStatistics": {"p99": 1.5}}]})
        );
        let mut x = String::new();
        xml(&out, &mut x);
        assert_eq!(
            x,
            "<Label>a&lt;b</Label><Datapoints><member><Timestamp>1970-01-01T00:01:00Z</Timestamp><Sum>5.0</Sum><ExtendedStatistics><entry><key>p99</key><value>1.5</value></entry></ExtendedStatistics></member></Datapoints>"
        );
    }
}
