//! Checks of a function's `Events`: each has a known `Type` and the properties SAM requires
//! for it.

use super::Diagnostics;
use crate::intrinsic::{Context, stringify};
use crate::node::Node;

/// Every event source type SAM knows, with the properties it requires.
const EVENT_TYPES: &[(&str, &[&str])] = &[
    ("Api", &["Path", "Method"]),
    ("HttpApi", &[]),
    ("S3", &["Bucket", "Events"]),
    ("SQS", &["Queue"]),
    ("SNS", &["Topic"]),
    ("Schedule", &["Schedule"]),
    ("ScheduleV2", &["ScheduleExpression"]),
    ("CloudWatchEvent", &[]),
    ("EventBridgeRule", &[]),
    ("DynamoDB", &["Stream", "StartingPosition"]),
    ("Kinesis", &["Stream", "StartingPosition"]),
    ("CloudWatchLogs", &["LogGroupName", "FilterPattern"]),
    ("IoTRule", &["Sql"]),
    ("AlexaSkill", &[]),
    ("Cognito", &["UserPool", "Trigger"]),
    ("MSK", &["Stream", "StartingPosition"]),
    ("MQ", &["Broker", "Queues", "SourceAccessConfigurations"]),
    (
        "SelfManagedKafka",
        &["Topics", "SourceAccessConfigurations"],
    ),
    (
        "DocumentDB",
        &["Cluster", "DatabaseName", "SourceAccessConfigurations"],
    ),
];

const API_METHODS: &[&str] = &[
    "GET",
    "POST",
    "PUT",
    "DELETE",
    "PATCH",
    "HEAD",
    "OPTIONS",
    "ANY",
    "X-AMAZON-APIGATEWAY-ANY-METHOD",
];

pub(super) fn check(function: &str, events: &Node, ctx: &Context<'_>, out: &mut Diagnostics) {
    let id = Some(function);
    // `Events: ~` is accepted by SAM as no events.
    if events.is_null() {
        return;
    }
    let Some(entries) = events.as_map() else {
        out.error(id, events, "Events must be a map of event sources");
        return;
    };
    for (key, event) in entries {
        let fail = |out: &mut Diagnostics, node: &Node, message: String| {
            out.error(
                id,
                node,
                format!("Event with id [{}] is invalid. {message}", key.name),
            );
        };
        if event.as_map().is_none() {
            out.error_at(
                id,
                key.line,
                key.col,
                format!(
                    "Event with id [{}] is invalid. It must be a map with Type and Properties",
                    key.name
                ),
            );
            continue;
        }
        let Some(type_node) = event.get("Type") else {
            fail(out, event, "Property 'Type' is required.".into());
            continue;
        };
        let Some(type_name) = type_node.as_str() else {
            fail(out, type_node, "'Type' must be a string".into());
            continue;
        };
        let Some((_, required)) = EVENT_TYPES.iter().find(|(t, _)| *t == type_name) else {
            fail(
                out,
                type_node,
                format!(
                    "Resource dict has missing or invalid value for key Type. Event Type is: {type_name}."
                ),
            );
            continue;
        };
        let props = event.get("Properties");
        if let Some(p) = props
            && p.as_map().is_none()
        {
            fail(out, p, "'Properties' must be a map".into());
            continue;
        }
        for name in *required {
            if props.and_then(|p| p.get(name)).is_none_or(Node::is_null) {
                fail(
                    out,
                    props.unwrap_or(event),
                    format!("Property '{name}' is required."),
                );
            }
        }
        // An HTTP API route is the catch-all when it names neither Path nor Method; naming
        // one of them makes the other required (SAM's implicit HTTP API plugin).
        if type_name == "HttpApi" {
            let has = |k: &str| props.and_then(|p| p.get(k)).is_some_and(|n| !n.is_null());
            for (given, missing) in [("Path", "Method"), ("Method", "Path")] {
                if has(given) && !has(missing) {
                    fail(
                        out,
                        props.unwrap_or(event),
                        format!("Property '{missing}' is required."),
                    );
                }
            }
        }
        if type_name == "S3" {
            let bucket = props.and_then(|p| p.get("Bucket"));
            let in_template = bucket
                .and_then(Node::intrinsic)
                .filter(|(f, _)| *f == "Ref")
                .and_then(|(_, target)| target.as_str())
                .is_some_and(|name| ctx.template().resource(name).is_some());
            if let Some(bucket) = bucket
                && !in_template
            {
                fail(
                    out,
                    bucket,
                    "S3 events must reference an S3 bucket in the same template.".into(),
                );
            }
        }
        if matches!(type_name, "Api" | "HttpApi") {
            // API Gateway rejects these at deploy time; the translator lets them through.
            api_route(props, ctx, |node, message| {
                out.deploy(
                    id,
                    node,
                    format!("Event with id [{}] is invalid. {message}", key.name),
                );
            });
        }
    }
}

/// `Path` starts with `/` and `Method` is an HTTP method, where they are known.
fn api_route(props: Option<&Node>, ctx: &Context<'_>, mut warn: impl FnMut(&Node, String)) {
    let Some(props) = props else { return };
    if let Some(node) = props.get("Path")
        && let Some(path) = ctx.resolve(node).ok().as_ref().and_then(stringify)
        && !path.starts_with('/')
    {
        warn(node, format!("Path '{path}' must start with '/'"));
    }
    if let Some(node) = props.get("Method")
        && let Some(method) = ctx.resolve(node).ok().as_ref().and_then(stringify)
        && !API_METHODS.contains(&method.to_ascii_uppercase().as_str())
    {
        warn(
            node,
            format!(
                "Method '{method}' is not an HTTP method (get, post, put, delete, patch, head, options, any)"
            ),
        );
    }
}
