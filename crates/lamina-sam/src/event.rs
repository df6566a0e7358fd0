//! A function's `Events`, typed as local tooling needs them: the API routes `start-api`
//! serves, and the other sources with their main properties (for `generate-event` defaults
//! and display). Values that only a deployed stack knows stay in their intrinsic JSON form.

use serde_json::Value as J;

use crate::intrinsic::{Context, stringify};
use crate::node::Node;

/// One entry of a function's `Events`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The event's name (its key under `Events`).
    pub name: String,
    /// What it is.
    pub kind: EventKind,
    /// Line of its key, 1-based.
    pub line: usize,
    /// Column of its key, 1-based.
    pub col: usize,
}

/// An event source and its main properties, evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// An API Gateway REST API route.
    Api {
        /// The resource path (`/hello/{name}`).
        path: String,
        /// The method, upper case (`GET`, `ANY`).
        method: String,
        /// `RestApiId`, when the route belongs to an explicit `AWS::Serverless::Api`.
        rest_api_id: Option<String>,
    },
    /// An API Gateway HTTP API route.
    HttpApi {
        /// The path; `None` is the catch-all `$default` route.
        path: Option<String>,
        /// The method, upper case; `None` is any method.
        method: Option<String>,
        /// `ApiId`, when the route belongs to an explicit `AWS::Serverless::HttpApi`.
        api_id: Option<String>,
        /// `PayloadFormatVersion` (`1.0` or `2.0`, default `2.0`).
        payload_format_version: String,
    },
    /// S3 bucket notifications.
    S3 {
        /// `Bucket`.
        bucket: J,
        /// `Events` (`s3:ObjectCreated:*`, …).
        events: Vec<String>,
    },
    /// An SQS queue.
    Sqs {
        /// `Queue`.
        queue: J,
    },
    /// An SNS topic.
    Sns {
        /// `Topic`.
        topic: J,
    },
    /// A CloudWatch Events schedule.
    Schedule {
        /// `Schedule` (`rate(5 minutes)`).
        schedule: J,
    },
    /// An EventBridge Scheduler schedule.
    ScheduleV2 {
        /// `ScheduleExpression`.
        schedule_expression: J,
    },
    /// A CloudWatch Events rule.
    CloudWatchEvent {
        /// `Pattern`.
        pattern: Option<J>,
    },
    /// An EventBridge rule.
    EventBridgeRule {
        /// `Pattern`.
        pattern: Option<J>,
    },
    /// A DynamoDB stream.
    DynamoDb {
        /// `Stream`.
        stream: J,
        /// `StartingPosition`.
        starting_position: Option<String>,
    },
    /// A Kinesis stream.
    Kinesis {
        /// `Stream`.
        stream: J,
        /// `StartingPosition`.
        starting_position: Option<String>,
    },
    /// Any other source, with its properties as JSON.
    Other {
        /// The `Type`.
        type_name: String,
        /// `Properties`, evaluated where possible.
        properties: J,
    },
}

impl Event {
    /// Reads one event from its name and declaration.
    pub fn from_node(name: &str, line: usize, col: usize, node: &Node, ctx: &Context<'_>) -> Event {
        let type_name = node.get("Type").and_then(Node::as_str).unwrap_or_default();
        let empty = Node::new(crate::node::Value::Map(Vec::new()), node.line, node.col);
        let props = node.get("Properties").unwrap_or(&empty);
        let json = |key: &str| {
            props
                .get(key)
                .map(|n| ctx.resolve_lenient(n))
                .unwrap_or(J::Null)
        };
        let text = |key: &str| {
            props
                .get(key)
                .map(|n| ctx.resolve_lenient(n))
                .as_ref()
                .and_then(stringify)
        };
        let kind = match type_name {
            "Api" => EventKind::Api {
                path: text("Path").unwrap_or_default(),
                method: method(text("Method").unwrap_or_default()),
                rest_api_id: text("RestApiId"),
            },
            "HttpApi" => EventKind::HttpApi {
                path: text("Path"),
                method: text("Method").map(method),
                api_id: text("ApiId"),
                payload_format_version: text("PayloadFormatVersion")
                    .unwrap_or_else(|| "2.0".into()),
            },
            "S3" => EventKind::S3 {
                bucket: json("Bucket"),
                events: match json("Events") {
                    J::Array(items) => items.iter().filter_map(stringify).collect(),
                    other => stringify(&other).into_iter().collect(),
                },
            },
            "SQS" => EventKind::Sqs {
                queue: json("Queue"),
            },
            "SNS" => EventKind::Sns {
                topic: json("Topic"),
            },
            "Schedule" => EventKind::Schedule {
                schedule: json("Schedule"),
            },
            "ScheduleV2" => EventKind::ScheduleV2 {
                schedule_expression: json("ScheduleExpression"),
            },
            "CloudWatchEvent" => EventKind::CloudWatchEvent {
                pattern: props.get("Pattern").map(|n| ctx.resolve_lenient(n)),
            },
            "EventBridgeRule" => EventKind::EventBridgeRule {
                pattern: props.get("Pattern").map(|n| ctx.resolve_lenient(n)),
            },
            "DynamoDB" => EventKind::DynamoDb {
                stream: json("Stream"),
                starting_position: text("StartingPosition"),
            },
            "Kinesis" => EventKind::Kinesis {
                stream: json("Stream"),
                starting_position: text("StartingPosition"),
            },
            other => EventKind::Other {
                type_name: other.to_string(),
                properties: ctx.resolve_lenient(props),
            },
        };
        Event {
            name: name.to_string(),
            kind,
            line,
            col,
        }
    }
}

/// A method in upper case, API Gateway's any-method extension as `ANY`.
fn method(text: String) -> String {
    let upper = text.to_ascii_uppercase();
    if upper == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
        "ANY".to_string()
    } else {
        upper
    }
}

/// Which kind of API Gateway API serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKind {
    /// A REST API (`Api` events; payload format 1.0).
    Rest,
    /// An HTTP API (`HttpApi` events).
    Http,
}

/// One HTTP route a function serves under `start-api`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The function's logical id.
    pub function: String,
    /// The event's name.
    pub event: String,
    /// REST or HTTP API.
    pub api: ApiKind,
    /// The method, upper case; `ANY` matches every method.
    pub method: String,
    /// The path (`/hello/{name}`, `/{proxy+}`); `$default` for an HTTP API catch-all.
    pub path: String,
    /// The explicit API the route belongs to, if any (`RestApiId` / `ApiId`).
    pub api_id: Option<String>,
    /// The payload format version: `1.0` for REST APIs, the event's for HTTP APIs.
    pub payload_format_version: String,
}

impl Route {
    /// The route an event defines, if it is an API event.
    pub fn from_event(function: &str, event: &Event) -> Option<Route> {
        let (api, method, path, api_id, payload) = match &event.kind {
            EventKind::Api {
                path,
                method,
                rest_api_id,
            } => (
                ApiKind::Rest,
                method.clone(),
                path.clone(),
                rest_api_id.clone(),
                "1.0".to_string(),
            ),
            EventKind::HttpApi {
                path,
                method,
                api_id,
                payload_format_version,
            } => (
                ApiKind::Http,
                method.clone().unwrap_or_else(|| "ANY".into()),
                path.clone().unwrap_or_else(|| "$default".into()),
                api_id.clone(),
                payload_format_version.clone(),
            ),
            _ => return None,
        };
        Some(Route {
            function: function.to_string(),
            event: event.name.clone(),
            api,
            method,
            path,
            api_id,
            payload_format_version: payload,
        })
    }
}
