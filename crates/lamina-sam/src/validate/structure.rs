//! Checks of the template's sections: top-level keys, `AWSTemplateFormatVersion`,
//! `Transform`, `Resources` and their attributes, `Parameters`, `Conditions`, `Globals`.

use serde_json::Value as J;

use super::{Diagnostics, Options, is_alphanumeric_id};
use crate::globals;
use crate::intrinsic::{Context, ResolveError, stringify};
use crate::node::Node;
use crate::template::{SERVERLESS_TRANSFORM, Template};

const TOP_LEVEL: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
    "Globals",
    "Hooks",
];

const RESOURCE_ATTRIBUTES: &[&str] = &[
    "Type",
    "Properties",
    "DependsOn",
    "Condition",
    "Metadata",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "CreationPolicy",
    "UpdatePolicy",
    "Connectors",
    "IgnoreGlobals",
    "Version",
];

/// Every `AWS::Serverless::*` type the translator knows.
pub(crate) const SERVERLESS_TYPES: &[&str] = &[
    "AWS::Serverless::Function",
    "AWS::Serverless::Api",
    "AWS::Serverless::HttpApi",
    "AWS::Serverless::SimpleTable",
    "AWS::Serverless::LayerVersion",
    "AWS::Serverless::Application",
    "AWS::Serverless::StateMachine",
    "AWS::Serverless::Connector",
    "AWS::Serverless::GraphQLApi",
    "AWS::Serverless::CapacityProvider",
    "AWS::Serverless::WebSocketApi",
];

/// Transforms CloudFormation itself provides; any other `AWS::` name is unknown (a name
/// without that prefix may be the account's own macro, so it is left alone).
const AWS_TRANSFORMS: &[&str] = &[
    SERVERLESS_TRANSFORM,
    "AWS::Include",
    "AWS::LanguageExtensions",
    "AWS::CodeDeployBlueGreen",
    "AWS::SecretsManager-2020-07-23",
    "AWS::SecretsManager-2024-09-16",
];

const PARAMETER_TYPES: &[&str] = &["String", "Number", "List<Number>", "CommaDelimitedList"];

pub(super) fn check(t: &Template, ctx: &Context<'_>, options: &Options, out: &mut Diagnostics) {
    top_level(t, out);
    transform(t, out);
    resources(t, out);
    parameters(t, options, out);
    conditions(t, ctx, out);
    globals_section(t, out);
}

fn top_level(t: &Template, out: &mut Diagnostics) {
    for (key, _) in t.root.as_map().unwrap_or_default() {
        if !TOP_LEVEL.contains(&key.name.as_str()) {
            out.deploy_at(
                None,
                key.line,
                key.col,
                format!("Invalid template property or properties [{}]", key.name),
            );
        }
    }
    if let Some(v) = &t.format_version
        && v.as_str() != Some("2010-09-09")
    {
        let found = v
            .as_str()
            .map_or_else(|| v.type_name().to_string(), |s| format!("'{s}'"));
        out.deploy(
            None,
            v,
            format!("AWSTemplateFormatVersion must be '2010-09-09', found {found}"),
        );
    }
}

fn transform(t: &Template, out: &mut Diagnostics) {
    for tr in &t.transform {
        if tr.name.starts_with("AWS::") && !AWS_TRANSFORMS.contains(&tr.name.as_str()) {
            out.deploy_at(None, tr.line, tr.col, format!("Transform '{}' is not a known transform; SAM templates use '{SERVERLESS_TRANSFORM}'", tr.name));
        }
    }
    if t.is_serverless() {
        return;
    }
    for r in &t.resources {
        if let Some(ty) = r
            .type_name
            .as_deref()
            .filter(|ty| ty.starts_with("AWS::Serverless::"))
        {
            out.deploy_at(
                Some(&r.logical_id),
                r.line,
                r.col,
                format!(
                    "resource type {ty} needs 'Transform: {SERVERLESS_TRANSFORM}' in the template"
                ),
            );
        }
    }
    if let Some((key, _)) = t.root.entry("Globals") {
        out.deploy_at(
            None,
            key.line,
            key.col,
            format!("'Globals' is only valid with 'Transform: {SERVERLESS_TRANSFORM}'"),
        );
    }
}

fn resources(t: &Template, out: &mut Diagnostics) {
    let Some((key, section)) = t.root.entry("Resources") else {
        out.error_at(
            None,
            t.root.line,
            t.root.col,
            "Structure of the SAM template is invalid. 'Resources' section is required",
        );
        return;
    };
    match section.as_map() {
        None => {
            out.error(None, section, "Structure of the SAM template is invalid. 'Resources' section must be a map of resources");
            return;
        }
        Some([]) => {
            out.error_at(
                None,
                key.line,
                key.col,
                "Structure of the SAM template is invalid. 'Resources' section must not be empty",
            );
            return;
        }
        Some(_) => {}
    }
    for r in &t.resources {
        let id = Some(r.logical_id.as_str());
        if !is_alphanumeric_id(&r.logical_id) {
            // The translator checks the ids of the resources it translates; CloudFormation
            // checks the others.
            let serverless = r
                .type_name
                .as_deref()
                .is_some_and(|ty| ty.starts_with("AWS::Serverless::"));
            let message = "Logical ids must be alphanumeric.";
            if serverless {
                out.error_at(id, r.line, r.col, message);
            } else {
                out.deploy_at(id, r.line, r.col, message);
            }
        }
        let Some(entries) = r.node.as_map() else {
            out.error(id, &r.node, "All 'Resources' must be Objects. If you're using YAML, this may be an indentation issue.");
            continue;
        };
        match r.node.get("Type") {
            None => out.deploy_at(id, r.line, r.col, "Resource dict missing key 'Type'."),
            Some(ty) => match ty.as_str() {
                None => out.deploy(id, ty, "'Type' must be a string"),
                Some(name)
                    if name.starts_with("AWS::Serverless::")
                        && !SERVERLESS_TYPES.contains(&name) =>
                {
                    out.deploy(id, ty, format!("Invalid resource type '{name}'"));
                }
                Some(_) => {}
            },
        }
        for (attr, _) in entries {
            if !RESOURCE_ATTRIBUTES.contains(&attr.name.as_str()) {
                out.deploy_at(
                    id,
                    attr.line,
                    attr.col,
                    format!("Invalid resource attribute '{}'", attr.name),
                );
            }
        }
        if let Some(props) = &r.properties
            && props.as_map().is_none()
            && props.intrinsic().is_none()
        {
            out.error(id, props, "'Properties' must be a map");
        }
    }
}

fn parameters(t: &Template, options: &Options, out: &mut Diagnostics) {
    if let Some(section) = t.root.get("Parameters")
        && section.as_map().is_none()
    {
        out.deploy(
            None,
            section,
            "'Parameters' must be a map of parameter declarations",
        );
        return;
    }
    for p in &t.parameters {
        let id = Some(p.logical_id.as_str());
        if !is_alphanumeric_id(&p.logical_id) {
            out.deploy_at(
                id,
                p.line,
                p.col,
                "logical ids must be alphanumeric (A-Za-z0-9)",
            );
        }
        if p.node.as_map().is_none() {
            out.deploy(id, &p.node, "a parameter must be a map with a 'Type'");
            continue;
        }
        let Some(ty) = p.type_name.as_deref() else {
            out.deploy_at(id, p.line, p.col, "parameter has no 'Type'");
            continue;
        };
        // `List<String>` and other list forms are accepted by CloudFormation's parser too.
        let aws_type = ty.starts_with("AWS::") || (ty.starts_with("List<") && ty.ends_with('>'));
        if !PARAMETER_TYPES.contains(&ty) && !aws_type {
            let node = p.node.get("Type").unwrap_or(&p.node);
            out.deploy(id, node, format!("parameter Type '{ty}' is not valid: use String, Number, List<Number>, CommaDelimitedList or an AWS-specific type"));
        }
        if let Some(default) = &p.default {
            check_value(
                p.logical_id.as_str(),
                ty,
                default,
                &p.node,
                default.as_str().map(str::to_string),
                "Default",
                out,
            );
        }
        if let Some(value) = options.parameter_overrides.get(&p.logical_id) {
            check_value(
                p.logical_id.as_str(),
                ty,
                &p.node,
                &p.node,
                Some(value.clone()),
                "override",
                out,
            );
        }
    }
}

/// Checks a Default or override against the parameter's Type, AllowedValues and bounds.
fn check_value(
    id: &str,
    ty: &str,
    at: &Node,
    decl: &Node,
    value: Option<String>,
    what: &str,
    out: &mut Diagnostics,
) {
    let Some(value) = value else { return };
    let list = ty == "CommaDelimitedList" || ty.starts_with("List<");
    let items: Vec<&str> = if list {
        value.split(',').map(str::trim).collect()
    } else {
        vec![value.as_str()]
    };
    if (ty == "Number" || ty == "List<Number>") && items.iter().any(|i| i.parse::<f64>().is_err()) {
        out.deploy(Some(id), at, format!("{what} '{value}' is not a number"));
        return;
    }
    if let Some(allowed) = decl.get("AllowedValues").and_then(Node::as_seq) {
        let allowed: Vec<&str> = allowed.iter().filter_map(Node::as_str).collect();
        for item in &items {
            if !allowed.contains(item) {
                out.deploy(
                    Some(id),
                    at,
                    format!(
                        "{what} '{item}' is not one of AllowedValues [{}]",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }
    let bound = |key: &str| {
        decl.get(key)
            .and_then(Node::as_str)
            .and_then(|s| s.parse::<f64>().ok())
    };
    let len = value.chars().count() as f64;
    if bound("MinLength").is_some_and(|m| len < m) || bound("MaxLength").is_some_and(|m| len > m) {
        out.deploy(
            Some(id),
            at,
            format!("{what} '{value}' breaks MinLength/MaxLength"),
        );
    }
    if let Ok(n) = value.parse::<f64>()
        && (bound("MinValue").is_some_and(|m| n < m) || bound("MaxValue").is_some_and(|m| n > m))
    {
        out.deploy(
            Some(id),
            at,
            format!("{what} '{value}' breaks MinValue/MaxValue"),
        );
    }
}

fn conditions(t: &Template, ctx: &Context<'_>, out: &mut Diagnostics) {
    if let Some(section) = t.root.get("Conditions")
        && section.as_map().is_none()
    {
        out.deploy(
            None,
            section,
            "'Conditions' must be a map of condition expressions",
        );
        return;
    }
    for (key, node) in &t.conditions {
        let id = Some(key.name.as_str());
        let is_condition = node.condition_ref().is_some()
            || matches!(
                node.intrinsic(),
                Some(("Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not", _))
            );
        if !is_condition {
            out.deploy(
                id,
                node,
                "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or a Condition reference",
            );
            continue;
        }
        // Undefined names are reported by the reference checks; only shape errors here.
        if let Err(ResolveError::Malformed {
            function,
            reason,
            line,
            col,
        }) = ctx.condition(&key.name)
        {
            out.deploy_at(id, line, col, format!("{function} {reason}"));
        }
    }
}

fn globals_section(t: &Template, out: &mut Diagnostics) {
    let Some(section) = &t.globals else { return };
    let Some(entries) = section.as_map() else {
        out.error(
            Some("Globals"),
            section,
            "'Globals' section is invalid. It must be a non-empty dictionary",
        );
        return;
    };
    let names: Vec<&str> = globals::SUPPORTED.iter().map(|(s, _)| *s).collect();
    for (key, value) in entries {
        let Some(supported) = globals::supported_properties(&key.name) else {
            out.error_at(Some("Globals"), key.line, key.col, format!("'Globals' section is invalid. '{}' is not supported. Must be one of the following values - [{}]", key.name, names.join(", ")));
            continue;
        };
        let Some(props) = value.as_map() else {
            out.error(
                Some("Globals"),
                value,
                format!(
                    "'Globals' section is invalid. Value of {} must be a dictionary",
                    key.name
                ),
            );
            continue;
        };
        for (prop, _) in props {
            if !supported.contains(&prop.name.as_str()) {
                out.error_at(
                    Some("Globals"),
                    prop.line,
                    prop.col,
                    format!(
                        "'Globals' section is invalid. '{}' is not a supported property of '{}'",
                        prop.name, key.name
                    ),
                );
            }
        }
    }
}

/// A value as text, for messages.
pub(crate) fn show(value: &J) -> String {
    stringify(value).unwrap_or_else(|| value.to_string())
}
