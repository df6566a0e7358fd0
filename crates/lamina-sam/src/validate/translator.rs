//! The SAM translator's own rules, checked the way `sam validate` applies them: property
//! names and value shapes of every `AWS::Serverless::*` resource and event source, required
//! properties, and the rules of individual properties (code locations, dead-letter queues,
//! destinations, function URLs, policy templates, API authorizers, tables, layers,
//! applications, state machines, connectors and event sources).
//!
//! A value that is a map of exactly one key counts as an intrinsic function and is left to
//! CloudFormation, as the translator does.

use super::Diagnostics;
use super::sam_data::RESOURCE_PROPERTIES;
use super::sam_data::{CONNECTOR_PROFILES, EVENT_PROPERTIES, POLICY_TEMPLATES, Prop};
use crate::globals;
use crate::intrinsic::Context;
use crate::node::{Node, ScalarKind, Value};
use crate::template::{Resource, Template};

const FUNCTION: &str = "AWS::Serverless::Function";
const API: &str = "AWS::Serverless::Api";
const HTTP_API: &str = "AWS::Serverless::HttpApi";
const TABLE: &str = "AWS::Serverless::SimpleTable";
const LAYER: &str = "AWS::Serverless::LayerVersion";
const APPLICATION: &str = "AWS::Serverless::Application";
const STATE_MACHINE: &str = "AWS::Serverless::StateMachine";
const CONNECTOR: &str = "AWS::Serverless::Connector";

pub(super) fn check(t: &Template, ctx: &Context<'_>, out: &mut Diagnostics) {
    if !t.is_serverless() {
        return;
    }
    for r in &t.resources {
        let Some(ty) = r.type_name.as_deref() else {
            continue;
        };
        let Some((_, props_table)) = RESOURCE_PROPERTIES.iter().find(|(n, _)| *n == ty) else {
            continue;
        };
        if r.node.as_map().is_none() {
            continue;
        }
        let props = merged(t, r, ty);
        let Some(entries) = props.as_map() else {
            continue;
        };
        let id = r.logical_id.as_str();
        // Unknown names are reported by the function and layer checks for those types.
        let names_checked_elsewhere = matches!(ty, FUNCTION | LAYER);
        shape(
            id,
            ty,
            entries,
            props_table,
            !names_checked_elsewhere,
            &props,
            out,
        );
        match ty {
            FUNCTION => function(t, ctx, id, &props, out),
            API => api(id, &props, out),
            HTTP_API => http_api(id, &props, out),
            TABLE => table(id, &props, out),
            LAYER => layer(id, &props, out),
            APPLICATION => application(id, &props, out),
            STATE_MACHINE => state_machine(t, id, &props, out),
            CONNECTOR => connector(t, id, &props, out),
            _ => {}
        }
        if let Some(connectors) = r.node.get("Connectors").and_then(Node::as_map) {
            for (key, c) in connectors {
                if let Some(p) = c.get("Properties") {
                    let source = r.logical_id.clone();
                    connector_with_source(t, id, &key.name, Some(&source), p, out);
                }
            }
        }
    }
}

/// A resource's properties with its `Globals` section merged in.
fn merged(t: &Template, r: &Resource, ty: &str) -> Node {
    let section = match ty {
        FUNCTION => Some("Function"),
        API => Some("Api"),
        HTTP_API => Some("HttpApi"),
        TABLE => Some("SimpleTable"),
        LAYER => Some("LayerVersion"),
        _ => None,
    };
    section
        .and_then(|s| globals::resource_properties(t, r, s))
        .or_else(|| r.properties.clone())
        .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), r.line, r.col))
}

/// Whether the translator leaves a value to CloudFormation: a map of exactly one key (it
/// takes any such map for an intrinsic function), or a YAML tag it does not know.
fn is_intrinsic(node: &Node) -> bool {
    matches!(&node.value, Value::Map(m) if m.len() == 1) || matches!(node.value, Value::Tagged(..))
}

/// What a scalar or collection is, in the one-letter codes of the property tables: `s`
/// string, `i` integer, `b` boolean, `f` float.
fn scalar_code(node: &Node) -> Option<char> {
    let s = node.as_scalar()?;
    Some(match s.kind {
        ScalarKind::Str => 's',
        ScalarKind::Int => 'i',
        ScalarKind::Bool => 'b',
        ScalarKind::Float => 'f',
        ScalarKind::Null => return None,
    })
}

/// Whether a value has one of the shapes a property table allows. The codes: `*` anything,
/// `s` a string, `i` an integer (booleans count, as in Python), `b` a boolean, `m` a map of
/// strings, `D` a map of maps, `I` a map of integers (a map mixing them needs each of its
/// values' codes; `mD` is any map), `l` a list
/// of strings, `L` a list of other scalars, `M` a list of maps (a list mixing them needs each
/// of its items' codes).
pub(super) fn fits(sig: &str, node: &Node) -> bool {
    if sig == "*" {
        return true;
    }
    match &node.value {
        Value::Scalar(_) => match scalar_code(node) {
            Some('b') => sig.contains('b') || sig.contains('i'),
            Some(c) => sig.contains(c),
            None => true,
        },
        Value::Map(entries) => {
            let any_map = sig.contains('m') && sig.contains('D');
            any_map
                || entries.iter().all(|(_, v)| match &v.value {
                    Value::Map(_) => sig.contains('D'),
                    Value::Scalar(_) if scalar_code(v) == Some('s') => sig.contains('m'),
                    Value::Scalar(_) if scalar_code(v) == Some('i') => sig.contains('I'),
                    _ => false,
                })
        }
        Value::Seq(items) => items.iter().all(|item| {
            let code = match &item.value {
                Value::Map(_) => 'M',
                Value::Scalar(_) if scalar_code(item) == Some('s') => 'l',
                _ => 'L',
            };
            sig.contains(code)
        }),
        Value::Tagged(..) => true,
    }
}

/// Unknown names, missing required properties and values of the wrong shape.
fn shape(
    id: &str,
    ty: &str,
    entries: &[(crate::node::Key, Node)],
    table: &[Prop],
    check_names: bool,
    props: &Node,
    out: &mut Diagnostics,
) {
    for (key, value) in entries {
        let Some((_, sig, _)) = table.iter().find(|(n, _, _)| *n == key.name) else {
            if check_names {
                out.error_at(
                    Some(id),
                    key.line,
                    key.col,
                    format!(
                        "property {} not defined for resource of type {ty}",
                        key.name
                    ),
                );
            }
            continue;
        };
        if value.is_null() || is_intrinsic(value) {
            continue;
        }
        if !fits(sig, value) {
            out.error(
                Some(id),
                value,
                format!("Type of property '{}' is invalid.", key.name),
            );
        }
    }
    for (name, _, required) in table {
        if *required && props.get(name).is_none_or(Node::is_null) {
            // `sam validate` fills in local code locations before translating.
            if matches!(*name, "ContentUri") {
                continue;
            }
            out.error(
                Some(id),
                props,
                format!("Missing required property '{name}'."),
            );
        }
    }
}

fn text(node: &Node) -> Option<&str> {
    node.as_scalar()
        .filter(|s| s.kind == ScalarKind::Str)
        .map(|s| s.text.as_str())
}

fn function(t: &Template, ctx: &Context<'_>, id: &str, props: &Node, out: &mut Diagnostics) {
    let some = Some(id);
    code_location(id, props, "CodeUri", out);
    if let Some(dlq) = props
        .get("DeadLetterQueue")
        .filter(|n| n.intrinsic().is_none())
        && dlq.as_map().is_some()
    {
        let ty = dlq.get("Type");
        if ty.is_none() || dlq.get("TargetArn").is_none() {
            out.error(
                some,
                dlq,
                "'DeadLetterQueue' requires Type and TargetArn properties to be specified.",
            );
        } else if let Some(ty) = ty.and_then(text)
            && !matches!(ty, "SQS" | "SNS")
        {
            out.error(
                some,
                dlq,
                "'DeadLetterQueue' requires Type of ['SQS', 'SNS']",
            );
        }
    }
    let alias = props.get("AutoPublishAlias").filter(|n| !n.is_null());
    if let Some(node) = alias {
        let ok = match node.intrinsic() {
            None => true,
            Some(("Ref", target)) => target
                .as_str()
                .and_then(|name| t.parameter(name))
                .is_some_and(|p| ctx.parameter(&p.logical_id).is_some()),
            Some(_) => false,
        };
        if !ok {
            out.error(
                some,
                node,
                "'AutoPublishAlias' must be a string or a Ref to a template parameter",
            );
        }
    }
    if let Some(node) = props
        .get("ProvisionedConcurrencyConfig")
        .filter(|n| !n.is_null())
        && alias.is_none()
    {
        out.error(
            some,
            node,
            "To set ProvisionedConcurrencyConfig AutoPublishALias must be defined on the function",
        );
    }
    if let Some(dp) = props
        .get("DeploymentPreference")
        .filter(|n| n.as_map().is_some())
        && dp.intrinsic().is_none()
        && dp.get("Type").is_none()
        && dp.get("Enabled").and_then(Node::as_str) != Some("false")
    {
        out.error(
            some,
            dp,
            "'DeploymentPreference' is missing required Property 'Type'",
        );
    }
    if let Some(url) = props
        .get("FunctionUrlConfig")
        .filter(|n| n.as_map().is_some())
    {
        function_url(id, url, out);
    }
    if let Some(config) = props
        .get("EventInvokeConfig")
        .filter(|n| n.as_map().is_some())
    {
        destinations(id, config, out);
    }
    if let Some(policies) = props.get("Policies") {
        policy_list(id, policies, out);
    }
    if let Some(events) = props.get("Events").and_then(Node::as_map) {
        for (key, event) in events {
            function_event(t, id, &key.name, key, event, out);
        }
    }
}

/// `CodeUri`/`ContentUri`: a map (other than a `Ref`) names an S3 object by Bucket and Key.
/// `sam validate` replaces every other value by an S3 URI first.
fn code_location(id: &str, props: &Node, key: &str, out: &mut Diagnostics) {
    let Some(node) = props.get(key) else { return };
    if node.as_map().is_none() || matches!(node.intrinsic(), Some(("Ref", _))) {
        return;
    }
    if node.get("Bucket").is_none() || node.get("Key").is_none() {
        out.error(
            Some(id),
            node,
            format!("'{key}' requires Bucket and Key properties to be specified."),
        );
    }
}

fn function_url(id: &str, url: &Node, out: &mut Diagnostics) {
    let auth = url.get("AuthType");
    let valid_auth = match auth {
        None => false,
        Some(n) if is_intrinsic(n) => true,
        Some(n) => matches!(text(n), Some("AWS_IAM" | "NONE")),
    };
    if !valid_auth {
        out.error(Some(id), auth.unwrap_or(url), "AuthType is required to configure function property `FunctionUrlConfig`. Please provide either AWS_IAM or NONE.");
    }
    if let Some(cors) = url.get("Cors").and_then(Node::as_map) {
        const CORS: &[&str] = &[
            "AllowCredentials",
            "AllowHeaders",
            "AllowMethods",
            "AllowOrigins",
            "ExposeHeaders",
            "MaxAge",
        ];
        for (key, _) in cors {
            if !CORS.contains(&key.name.as_str()) {
                out.error_at(
                    Some(id),
                    key.line,
                    key.col,
                    format!("{} is not a valid property for configuring Cors.", key.name),
                );
            }
        }
    }
}

fn destinations(id: &str, config: &Node, out: &mut Diagnostics) {
    let Some(dc) = config.get("DestinationConfig") else {
        return;
    };
    if dc.as_map().is_none() {
        out.error(
            Some(id),
            dc,
            "Type of property 'EventInvokeConfig.DestinationConfig' is invalid.",
        );
        return;
    }
    for which in ["OnSuccess", "OnFailure"] {
        let Some(dest) = dc.get(which).filter(|n| n.as_map().is_some()) else {
            continue;
        };
        let ty = dest.get("Type").and_then(Node::as_str);
        const TYPES: &[&str] = &["SQS", "SNS", "EventBridge", "Lambda", "S3Bucket"];
        if !ty.is_some_and(|t| TYPES.contains(&t)) {
            out.error(
                Some(id),
                dest,
                format!(
                    "'Type: {}' must be one of ['SQS', 'SNS', 'EventBridge', 'Lambda', 'S3Bucket']",
                    ty.unwrap_or("None")
                ),
            );
            continue;
        }
        if !matches!(ty, Some("SQS" | "SNS")) && dest.get("Destination").is_none() {
            out.error(
                Some(id),
                dest,
                "Destination is required if Type is not ['SQS', 'SNS']",
            );
        }
    }
}

/// Policies: managed policy names or ARNs, policy documents (a map with `Statement`),
/// intrinsics, or one policy template with its parameters.
fn policy_list(id: &str, policies: &Node, out: &mut Diagnostics) {
    let items: Vec<&Node> = match &policies.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Map(_) => vec![policies],
        _ => return,
    };
    for (index, item) in items.into_iter().enumerate() {
        let Some(entries) = item.as_map() else {
            continue;
        };
        if item.get("Statement").is_some() || item.intrinsic().is_some() {
            continue;
        }
        let template = match entries {
            [(key, params)] => POLICY_TEMPLATES
                .iter()
                .find(|(name, _)| *name == key.name)
                .map(|(name, required)| (*name, *required, params)),
            _ => None,
        };
        let Some((name, required, params)) = template else {
            out.error(
                Some(id),
                item,
                format!("Policy at index {index} in the 'Policies' property is not valid"),
            );
            continue;
        };
        let Some(given) = params.as_map() else {
            out.error(
                Some(id),
                params,
                format!("Must specify valid parameter values for policy template '{name}'"),
            );
            continue;
        };
        let missing: Vec<String> = required
            .iter()
            .filter(|p| !given.iter().any(|(k, _)| k.name == **p))
            .map(|p| format!("'{p}'"))
            .collect();
        if !missing.is_empty() {
            out.error(
                Some(id),
                params,
                format!(
                    "Following required parameters of template '{name}' don't have values: [{}]",
                    missing.join(", ")
                ),
            );
        }
    }
}

/// The `Auth` of an API: the names of its authorizers and its default authorizer.
struct ApiAuth {
    authorizers: Vec<String>,
    default: Option<String>,
}

fn api_auth(props: &Node) -> ApiAuth {
    let auth = props.get("Auth");
    ApiAuth {
        authorizers: auth
            .and_then(|a| a.get("Authorizers"))
            .and_then(Node::as_map)
            .map(|m| m.iter().map(|(k, _)| k.name.clone()).collect())
            .unwrap_or_default(),
        default: auth
            .and_then(|a| a.get("DefaultAuthorizer"))
            .and_then(Node::as_str)
            .map(str::to_string),
    }
}

fn default_authorizer(id: &str, props: &Node, out: &mut Diagnostics) {
    let auth = api_auth(props);
    if let Some(default) = &auth.default
        && default != "AWS_IAM"
        && !auth.authorizers.contains(default)
    {
        let node = props.get("Auth").unwrap_or(props);
        out.error(
            Some(id),
            node,
            format!("Unable to set DefaultAuthorizer because '{default}' was not defined in 'Authorizers'."),
        );
    }
}

fn api(id: &str, props: &Node, out: &mut Diagnostics) {
    default_authorizer(id, props, out);
    let Some(authorizers) = props
        .get("Auth")
        .and_then(|a| a.get("Authorizers"))
        .and_then(Node::as_map)
    else {
        return;
    };
    for (key, a) in authorizers {
        if a.get("UserPoolArn").is_some() {
            continue;
        }
        let payload = a.get("FunctionPayloadType").and_then(Node::as_str);
        match payload {
            None | Some("TOKEN") => {}
            Some("REQUEST") => {
                let identity = a.get("Identity");
                let has_source = ["Headers", "QueryStrings", "StageVariables", "Context"]
                    .iter()
                    .any(|k| identity.and_then(|i| i.get(k)).is_some());
                if !has_source {
                    out.error(Some(id), a, format!("{} Authorizer must specify Identity with at least one of Headers, QueryStrings, StageVariables, or Context.", key.name));
                }
            }
            Some(other) => out.error(
                Some(id),
                a,
                format!(
                    "{} Authorizer has invalid 'FunctionPayloadType': {other}.",
                    key.name
                ),
            ),
        }
    }
}

fn http_api(id: &str, props: &Node, out: &mut Diagnostics) {
    default_authorizer(id, props, out);
    let Some(authorizers) = props
        .get("Auth")
        .and_then(|a| a.get("Authorizers"))
        .and_then(Node::as_map)
    else {
        return;
    };
    for (key, a) in authorizers {
        if a.get("JwtConfiguration").is_some() {
            continue;
        }
        if a.get("FunctionArn").is_none() {
            out.error(
                Some(id),
                a,
                format!("{} Lambda Authorizer must define 'FunctionArn'.", key.name),
            );
        } else if a.get("AuthorizerPayloadFormatVersion").is_none() {
            out.error(
                Some(id),
                a,
                format!(
                    "{} Lambda Authorizer must define 'AuthorizerPayloadFormatVersion'.",
                    key.name
                ),
            );
        }
    }
}

fn table(id: &str, props: &Node, out: &mut Diagnostics) {
    let Some(pk) = props.get("PrimaryKey").filter(|n| n.as_map().is_some()) else {
        return;
    };
    for part in ["Name", "Type"] {
        if pk.get(part).is_none() {
            out.error(
                Some(id),
                pk,
                format!("Property 'PrimaryKey.{part}' is required."),
            );
        }
    }
    if let Some(ty) = pk.get("Type").and_then(text)
        && !matches!(ty, "String" | "Number" | "Binary")
    {
        out.error(Some(id), pk, format!("Invalid 'Type' \"{ty}\"."));
    }
}

fn layer(id: &str, props: &Node, out: &mut Diagnostics) {
    code_location(id, props, "ContentUri", out);
    if let Some(node) = props.get("RetentionPolicy")
        && let Some(value) = text(node)
        && !matches!(value.to_ascii_lowercase().as_str(), "retain" | "delete")
    {
        out.error(
            Some(id),
            node,
            "'RetentionPolicy' must be one of the following options: ['Retain', 'Delete'].",
        );
    }
}

fn application(id: &str, props: &Node, out: &mut Diagnostics) {
    if let Some(location) = props.get("Location").filter(|n| n.intrinsic().is_none())
        && location.as_map().is_some()
    {
        for key in ["ApplicationId", "SemanticVersion"] {
            if location.get(key).is_none() {
                out.error(
                    Some(id),
                    location,
                    format!("Resource is missing the required [{key}] property."),
                );
            }
        }
    }
}

fn state_machine(t: &Template, id: &str, props: &Node, out: &mut Diagnostics) {
    let has = |k: &str| props.get(k).is_some_and(|n| !n.is_null());
    match (has("Definition"), has("DefinitionUri")) {
        (true, true) => out.error(
            Some(id),
            props,
            "Specify either 'Definition' or 'DefinitionUri' property and not both.",
        ),
        (false, false) => out.error(
            Some(id),
            props,
            "Either 'Definition' or 'DefinitionUri' property must be specified.",
        ),
        _ => {}
    }
    if has("Role") && has("Policies") {
        out.error(
            Some(id),
            props,
            "Specify either 'Role' or 'Policies' (but not both at the same time) or neither of them",
        );
    }
    if let Some(policies) = props.get("Policies") {
        policy_list(id, policies, out);
    }
    if let Some(events) = props.get("Events").and_then(Node::as_map) {
        for (key, event) in events {
            let Some(ty) = event.get("Type").and_then(Node::as_str) else {
                continue;
            };
            let table_name = if ty == "ScheduleV2" {
                "ev:ScheduleV2".to_string()
            } else {
                format!("sm:{ty}")
            };
            let Some((_, table)) = EVENT_PROPERTIES.iter().find(|(n, _)| *n == table_name) else {
                out.error(
                    Some(id),
                    event,
                    format!("Event with id [{}] is invalid. Resource dict has missing or invalid value for key Type. Event Type is: {ty}.", key.name),
                );
                continue;
            };
            event_shape(id, &key.name, ty, event, table, out);
            if ty == "Api" {
                api_event_auth(t, id, &key.name, event, false, out);
            }
        }
    }
}

fn connector(t: &Template, id: &str, props: &Node, out: &mut Diagnostics) {
    connector_with_source(t, id, id, None, props, out);
}

/// A connector (a resource, or one embedded in its source's `Connectors`).
fn connector_with_source(
    t: &Template,
    id: &str,
    name: &str,
    embedded_source: Option<&str>,
    props: &Node,
    out: &mut Diagnostics,
) {
    let end_type = |end: Option<&Node>| -> Result<Option<String>, String> {
        let Some(end) = end else { return Ok(None) };
        if let Some(ty) = end.get("Type").and_then(Node::as_str) {
            return Ok(Some(cfn_type(ty).to_string()));
        }
        let Some(target) = end.get("Id").and_then(Node::as_str) else {
            return Ok(None);
        };
        match t.resource(target).and_then(|r| r.type_name.as_deref()) {
            Some(ty) => Ok(Some(cfn_type(ty).to_string())),
            None => Err(format!(
                "Unable to find resource with logical ID '{target}'."
            )),
        }
    };
    let source = match embedded_source {
        Some(s) => Ok(t
            .resource(s)
            .and_then(|r| r.type_name.as_deref())
            .map(|ty| cfn_type(ty).to_string())),
        None => end_type(props.get("Source")),
    };
    let mut destinations: Vec<&Node> = Vec::new();
    match props.get("Destination").map(|d| &d.value) {
        Some(Value::Seq(items)) => destinations.extend(items.iter()),
        Some(_) => destinations.extend(props.get("Destination")),
        None => {}
    }
    let Some(permissions) = props.get("Permissions") else {
        if embedded_source.is_some() {
            out.error(
                Some(id),
                props,
                format!("Missing required property 'Permissions' in connector '{name}'."),
            );
        }
        return;
    };
    let source = match source {
        Ok(s) => s,
        Err(message) => {
            out.error(Some(id), props, message);
            return;
        }
    };
    let wanted: Vec<&str> = permissions
        .as_seq()
        .map(|s| s.iter().filter_map(Node::as_str).collect())
        .unwrap_or_default();
    for dest in destinations {
        let dest_type = match end_type(Some(dest)) {
            Ok(d) => d,
            Err(message) => {
                out.error(Some(id), dest, message);
                continue;
            }
        };
        let (Some(s), Some(d)) = (&source, &dest_type) else {
            continue;
        };
        match CONNECTOR_PROFILES
            .iter()
            .find(|(ps, pd, _)| ps == s && pd == d)
        {
            None => out.error(
                Some(id),
                dest,
                format!("Unable to create connector from {s} to {d}; it's not supported or the template is invalid."),
            ),
            Some((_, _, allowed)) => {
                if wanted.iter().any(|w| !allowed.contains(w)) {
                    out.error(
                        Some(id),
                        permissions,
                        format!(
                            "Unsupported 'Permissions' provided for connector from {s} to {d}; valid values are: {}.",
                            allowed.join(", ")
                        ),
                    );
                }
            }
        }
    }
}

/// The CloudFormation type a SAM resource becomes, as connector profiles name it.
fn cfn_type(ty: &str) -> &str {
    match ty {
        FUNCTION => "AWS::Lambda::Function",
        STATE_MACHINE => "AWS::StepFunctions::StateMachine",
        API => "AWS::ApiGateway::RestApi",
        HTTP_API => "AWS::ApiGatewayV2::Api",
        TABLE => "AWS::DynamoDB::Table",
        other => other,
    }
}

fn event_shape(
    id: &str,
    event_id: &str,
    ty: &str,
    event: &Node,
    table: &[Prop],
    out: &mut Diagnostics,
) {
    let Some(props) = event.get("Properties") else {
        return;
    };
    let Some(entries) = props.as_map() else {
        return;
    };
    for (key, value) in entries {
        let Some((_, sig, _)) = table.iter().find(|(n, _, _)| *n == key.name) else {
            out.error_at(
                Some(id),
                key.line,
                key.col,
                format!(
                    "Event with id [{event_id}] is invalid. property {} not defined for resource of type {ty}",
                    key.name
                ),
            );
            continue;
        };
        if value.is_null() || is_intrinsic(value) {
            continue;
        }
        if !fits(sig, value) {
            out.error(
                Some(id),
                value,
                format!(
                    "Event with id [{event_id}] is invalid. Type of property '{}' is invalid.",
                    key.name
                ),
            );
        }
    }
}

fn function_event(
    t: &Template,
    id: &str,
    event_id: &str,
    key: &crate::node::Key,
    event: &Node,
    out: &mut Diagnostics,
) {
    if !event_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        out.error_at(
            Some(id),
            key.line,
            key.col,
            format!("Event with id [{event_id}] is invalid. Logical ids must be alphanumeric."),
        );
    }
    let Some(ty) = event.get("Type").and_then(Node::as_str) else {
        return;
    };
    let Some((_, table)) = EVENT_PROPERTIES
        .iter()
        .find(|(n, _)| n.strip_prefix("ev:") == Some(ty))
    else {
        return;
    };
    event_shape(id, event_id, ty, event, table, out);
    let props = event.get("Properties");
    let prop = |k: &str| props.and_then(|p| p.get(k)).filter(|n| !n.is_null());
    let fail = |out: &mut Diagnostics, node: &Node, message: &str| {
        out.error(
            Some(id),
            node,
            format!("Event with id [{event_id}] is invalid. {message}"),
        );
    };
    match ty {
        "Api" => {
            for k in ["Path", "Method"] {
                if let Some(n) = prop(k)
                    && text(n).is_none()
                {
                    fail(out, n, &format!("Property '{k}' should be a string."));
                }
            }
            if let Some(n) = prop("RestApiId") {
                let ok = ref_to(t, n, API);
                if !ok {
                    fail(
                        out,
                        n,
                        "RestApiId must be a valid reference to an 'AWS::Serverless::Api' resource in same template.",
                    );
                }
            }
            api_event_auth(t, id, event_id, event, false, out);
        }
        "HttpApi" => {
            if let Some(n) = prop("ApiId")
                && !ref_to(t, n, HTTP_API)
            {
                fail(
                    out,
                    n,
                    "ApiId must be a valid reference to an 'AWS::Serverless::HttpApi' resource in same template.",
                );
            }
            api_event_auth(t, id, event_id, event, true, out);
        }
        "Cognito" => {
            if let Some(n) = prop("UserPool")
                && !ref_to(t, n, "AWS::Cognito::UserPool")
            {
                fail(
                    out,
                    n,
                    "Cognito events must reference a Cognito UserPool in the same template.",
                );
            }
        }
        "Schedule" | "CloudWatchEvent" | "EventBridgeRule" => {
            if let (Some(_), Some(state)) = (prop("Enabled"), prop("State")) {
                fail(
                    out,
                    state,
                    "State and Enabled Properties cannot both be specified.",
                );
            }
        }
        "SelfManagedKafka" => {
            if prop("KafkaBootstrapServers").is_none() {
                fail(
                    out,
                    props.unwrap_or(event),
                    "No KafkaBootstrapServers provided for self managed kafka as an event source",
                );
            }
            if let Some(configs) = prop("SourceAccessConfigurations").and_then(Node::as_seq) {
                const KAFKA: &[&str] = &[
                    "VPC_SUBNET",
                    "VPC_SECURITY_GROUP",
                    "SASL_SCRAM_256_AUTH",
                    "SASL_SCRAM_512_AUTH",
                    "BASIC_AUTH",
                    "CLIENT_CERTIFICATE_TLS_AUTH",
                    "SERVER_ROOT_CA_CERTIFICATE",
                ];
                for c in configs {
                    if !c
                        .get("Type")
                        .and_then(Node::as_str)
                        .is_some_and(|t| KAFKA.contains(&t))
                    {
                        fail(
                            out,
                            c,
                            "Invalid SourceAccessConfigurations Type provided for self managed kafka event.",
                        );
                    }
                }
            }
        }
        _ => {}
    }
}

/// Whether a value is `Ref` to a resource of the given type in the template.
fn ref_to(t: &Template, node: &Node, ty: &str) -> bool {
    match node.intrinsic() {
        Some(("Ref", target)) => target
            .as_str()
            .and_then(|name| t.resource(name))
            .is_some_and(|r| r.type_name.as_deref() == Some(ty)),
        Some(_) => true,
        None => false,
    }
}

/// An API event's `Auth.Authorizer` names an authorizer of its API (`NONE` only where the API
/// has a default authorizer).
fn api_event_auth(
    t: &Template,
    id: &str,
    event_id: &str,
    event: &Node,
    http: bool,
    out: &mut Diagnostics,
) {
    let props = event.get("Properties");
    let Some(authorizer) = props
        .and_then(|p| p.get("Auth"))
        .and_then(|a| a.get("Authorizer"))
        .and_then(Node::as_str)
    else {
        return;
    };
    if authorizer == "AWS_IAM" {
        return;
    }
    let (api_key, ty, section) = if http {
        ("ApiId", HTTP_API, "HttpApi")
    } else {
        ("RestApiId", API, "Api")
    };
    let api_props = match props.and_then(|p| p.get(api_key)) {
        Some(n) => match n
            .intrinsic()
            .filter(|(f, _)| *f == "Ref")
            .and_then(|(_, target)| target.as_str())
            .and_then(|name| t.resource(name))
            .filter(|r| r.type_name.as_deref() == Some(ty))
        {
            Some(r) => merged(t, r, ty),
            None => return,
        },
        // The implicit API takes only what Globals gives it.
        None => t
            .globals
            .as_ref()
            .and_then(|g| g.get(section))
            .cloned()
            .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), event.line, event.col)),
    };
    let auth = api_auth(&api_props);
    let method = props
        .and_then(|p| p.get("Method"))
        .and_then(Node::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let path = props
        .and_then(|p| p.get("Path"))
        .and_then(Node::as_str)
        .unwrap_or("");
    let node = props.unwrap_or(event);
    if authorizer == "NONE" {
        if auth.default.is_none() {
            out.error(
                Some(id),
                node,
                format!("Event with id [{event_id}] is invalid. Unable to set Authorizer on API method [{method}] for path [{path}] because 'NONE' is only a valid value when a DefaultAuthorizer on the API is specified."),
            );
        }
        return;
    }
    if auth.authorizers.is_empty() {
        out.error(
            Some(id),
            node,
            format!("Event with id [{event_id}] is invalid. Unable to set Authorizer [{authorizer}] on API method [{method}] for path [{path}] because the related API does not define any Authorizers."),
        );
    } else if !auth.authorizers.iter().any(|a| a == authorizer) {
        out.error(
            Some(id),
            node,
            format!("Event with id [{event_id}] is invalid. Unable to set Authorizer [{authorizer}] on API method [{method}] for path [{path}] because it wasn't defined in the API's Authorizers."),
        );
    }
}
