//! Checks of function and layer properties, after `Globals` is merged in: code source,
//! Handler and Runtime, bounds of MemorySize/Timeout, Layers, Environment, Architectures.

use lamina_model::runtime;
use serde_json::Value as J;

use super::structure::show;
use super::{Diagnostics, events, known_value};
use crate::function::{LAMBDA_FUNCTION, SERVERLESS_FUNCTION};
use crate::globals;
use crate::intrinsic::{Context, stringify};
use crate::layer::SERVERLESS_LAYER;
use crate::node::{Node, Value};
use crate::template::{Resource, Template};

/// Properties `AWS::Serverless::Function` accepts (SAM translator, 2026).
const FUNCTION_PROPERTIES: &[&str] = &[
    "FunctionName",
    "Handler",
    "Runtime",
    "CodeUri",
    "ImageUri",
    "PackageType",
    "InlineCode",
    "DeadLetterQueue",
    "Description",
    "MemorySize",
    "Timeout",
    "VpcConfig",
    "Role",
    "AssumeRolePolicyDocument",
    "Policies",
    "RolePath",
    "PermissionsBoundary",
    "Environment",
    "Events",
    "Tags",
    "PropagateTags",
    "Tracing",
    "KmsKeyArn",
    "DeploymentPreference",
    "ReservedConcurrentExecutions",
    "Layers",
    "EventInvokeConfig",
    "EphemeralStorage",
    "AutoPublishAlias",
    "AutoPublishAliasAllProperties",
    "AutoPublishCodeSha256",
    "VersionDescription",
    "ProvisionedConcurrencyConfig",
    "FileSystemConfigs",
    "ImageConfig",
    "CodeSigningConfigArn",
    "Architectures",
    "SnapStart",
    "FunctionUrlConfig",
    "RuntimeManagementConfig",
    "LoggingConfig",
    "RecursiveLoop",
    "SourceKMSKeyArn",
    "CapacityProviderConfig",
    "FunctionScalingConfig",
    "VersionDeletionPolicy",
    "PublishToLatestPublished",
    "TenancyConfig",
    "DurableConfig",
];

/// Properties `AWS::Serverless::LayerVersion` accepts.
const LAYER_PROPERTIES: &[&str] = &[
    "LayerName",
    "Description",
    "PublishLambdaVersion",
    "ContentUri",
    "CompatibleArchitectures",
    "CompatibleRuntimes",
    "LicenseInfo",
    "RetentionPolicy",
];

const MAX_LAYERS: usize = 5;

pub(super) fn check(t: &Template, ctx: &Context<'_>, out: &mut Diagnostics) {
    for r in &t.resources {
        if r.node.as_map().is_none() {
            continue;
        }
        match r.type_name.as_deref() {
            Some(SERVERLESS_FUNCTION) => serverless_function(t, r, ctx, out),
            Some(LAMBDA_FUNCTION) => {
                if let Some(props) = r.properties.as_ref().filter(|p| p.as_map().is_some()) {
                    common(r, props, ctx, out);
                }
            }
            Some(SERVERLESS_LAYER) => layer(r, ctx, out),
            _ => {}
        }
    }
}

/// The merged properties of a SAM function (or an empty map where it has none).
pub(crate) fn merged_properties(t: &Template, r: &Resource) -> Node {
    globals::resource_properties(t, r, "Function")
        .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), r.line, r.col))
}

fn serverless_function(t: &Template, r: &Resource, ctx: &Context<'_>, out: &mut Diagnostics) {
    let id = Some(r.logical_id.as_str());
    if let Some(local) = r.properties.as_ref().and_then(Node::as_map) {
        for (key, _) in local {
            if !FUNCTION_PROPERTIES.contains(&key.name.as_str()) {
                out.error_at(
                    id,
                    key.line,
                    key.col,
                    format!(
                        "property {} not defined for resource of type {SERVERLESS_FUNCTION}",
                        key.name
                    ),
                );
            }
        }
    }
    let props = merged_properties(t, r);
    let package = props
        .get("PackageType")
        .and_then(|n| known_value(ctx, n))
        .and_then(|v| stringify(&v));
    let has = |k: &str| props.get(k).is_some_and(|n| !n.is_null());
    match package.as_deref() {
        None | Some("Zip") => {
            // `sam validate` reads a missing CodeUri as "." and lets InlineCode win over
            // CodeUri, so neither case is an error; `--lint` mentions both.
            for missing in ["Handler", "Runtime"].into_iter().filter(|k| !has(k)) {
                out.error_at(id, r.line, r.col, format!("'{missing}' is missing: Runtime and Handler needs to be present when PackageType is of type `Zip`"));
            }
            if has("ImageUri") || has("ImageConfig") {
                out.deploy_at(
                    id,
                    r.line,
                    r.col,
                    "ImageUri or ImageConfig cannot be present when PackageType is of type `Zip`",
                );
            }
        }
        Some("Image") => {
            if has("Handler") || has("Runtime") || has("Layers") {
                out.error_at(id, r.line, r.col, "Runtime, Handler, Layers cannot be present when PackageType is of type `Image`");
            }
            let built_locally = r
                .node
                .get("Metadata")
                .is_some_and(|m| m.get("Dockerfile").is_some());
            if !has("ImageUri") && !built_locally {
                out.error_at(
                    id,
                    r.line,
                    r.col,
                    "ImageUri needs to be present when PackageType is of type `Image`",
                );
            }
        }
        Some(other) => {
            let node = props.get("PackageType").unwrap_or(&props);
            out.error(
                id,
                node,
                format!("PackageType needs to be `Zip` or `Image`, found '{other}'"),
            );
        }
    }
    common(r, &props, ctx, out);
    sam_only(r, &props, ctx, out);
    if let Some(node) = props.get("Events") {
        events::check(&r.logical_id, node, ctx, out);
    }
}

/// Checks shared by SAM and CloudFormation functions.
fn common(r: &Resource, props: &Node, ctx: &Context<'_>, out: &mut Diagnostics) {
    let id = Some(r.logical_id.as_str());
    if let Some(node) = props.get("Runtime")
        && let Some(value) = known_value(ctx, node)
    {
        match stringify(&value) {
            Some(name) if runtime::lookup(&name).is_some() => {}
            Some(name) => out.deploy(
                id,
                node,
                format!("Runtime '{name}' is not a Lambda runtime"),
            ),
            None => out.deploy(
                id,
                node,
                format!("Runtime must be a string, found {}", show(&value)),
            ),
        }
    }
    if let Some(node) = props.get("Handler")
        && let Some(value) = known_value(ctx, node)
        && stringify(&value).is_none_or(|h| h.is_empty())
    {
        out.deploy(id, node, "Handler must be a non-empty string");
    }
    bounded(r, props, ctx, "MemorySize", 128, 10240, "MB", out);
    bounded(r, props, ctx, "Timeout", 1, 900, "seconds", out);
    bounded(
        r,
        props,
        ctx,
        "ReservedConcurrentExecutions",
        0,
        u64::MAX,
        "",
        out,
    );
    if let Some(node) = props.get("Layers") {
        match known_value(ctx, node) {
            Some(J::Array(items)) if items.len() > MAX_LAYERS => {
                out.deploy(
                    id,
                    node,
                    format!(
                        "a function can use at most {MAX_LAYERS} layers, found {}",
                        items.len()
                    ),
                );
            }
            Some(J::Array(_)) | None => {}
            Some(_) => out.deploy(id, node, "Layers must be a list"),
        }
    }
    if let Some(node) = props.get("Environment") {
        environment(&r.logical_id, node, out);
    }
    if let Some(node) = props.get("Architectures") {
        match known_value(ctx, node) {
            Some(J::Array(items)) => {
                let ok = items.len() == 1 && matches!(items[0].as_str(), Some("x86_64" | "arm64"));
                if !ok {
                    out.deploy(
                        id,
                        node,
                        "Architectures must list exactly one of x86_64, arm64",
                    );
                }
            }
            Some(_) => out.deploy(id, node, "Architectures must be a list"),
            None => {}
        }
    }
}

/// An integer property within `[min, max]`.
#[allow(clippy::too_many_arguments)] // Each argument is one fact of the rule; a struct would only rename them.
fn bounded(
    r: &Resource,
    props: &Node,
    ctx: &Context<'_>,
    key: &str,
    min: u64,
    max: u64,
    unit: &str,
    out: &mut Diagnostics,
) {
    let Some(node) = props.get(key) else { return };
    let Some(value) = known_value(ctx, node) else {
        return;
    };
    let id = Some(r.logical_id.as_str());
    let number = stringify(&value).and_then(|s| s.parse::<u64>().ok());
    match number {
        None => out.deploy(
            id,
            node,
            format!("{key} must be a whole number, found {}", show(&value)),
        ),
        Some(n) if n < min || n > max => {
            out.deploy(
                id,
                node,
                format!("{key} must be between {min} and {max} {unit}, found {n}")
                    .replace("  ", " ")
                    .trim_end()
                    .to_string(),
            );
        }
        Some(_) => {}
    }
}

fn environment(id: &str, node: &Node, out: &mut Diagnostics) {
    let id = Some(id);
    if node.intrinsic().is_some() {
        return;
    }
    let Some(entries) = node.as_map() else {
        out.deploy(id, node, "Environment must be a map with 'Variables'");
        return;
    };
    for (key, value) in entries {
        if key.name != "Variables" {
            out.deploy_at(
                id,
                key.line,
                key.col,
                format!(
                    "Environment has no property '{}'; only 'Variables'",
                    key.name
                ),
            );
            continue;
        }
        if value.intrinsic().is_some() {
            continue;
        }
        let Some(vars) = value.as_map() else {
            out.deploy(id, value, "Environment.Variables must be a map of strings");
            continue;
        };
        for (name, v) in vars {
            let valid_name = name
                .name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && name
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid_name {
                out.deploy_at(id, name.line, name.col, format!("environment variable name '{}' is not valid: letters, digits and _, starting with a letter", name.name));
            }
            let scalar = v.as_scalar().is_some() && !v.is_null();
            if !scalar && v.intrinsic().is_none() {
                out.deploy(
                    id,
                    v,
                    format!(
                        "environment variable '{}' must be a string, found a {}",
                        name.name,
                        v.type_name()
                    ),
                );
            }
        }
    }
}

fn layer(r: &Resource, ctx: &Context<'_>, out: &mut Diagnostics) {
    let id = Some(r.logical_id.as_str());
    let props = r
        .properties
        .as_ref()
        .and_then(Node::as_map)
        .unwrap_or_default();
    for (key, _) in props {
        if !LAYER_PROPERTIES.contains(&key.name.as_str()) {
            out.error_at(
                id,
                key.line,
                key.col,
                format!(
                    "property {} not defined for resource of type {SERVERLESS_LAYER}",
                    key.name
                ),
            );
        }
    }
    let runtimes = r
        .properties
        .as_ref()
        .and_then(|p| p.get("CompatibleRuntimes"));
    if let Some(node) = runtimes
        && let Some(J::Array(items)) = known_value(ctx, node)
    {
        for item in items.iter().filter_map(stringify) {
            if runtime::lookup(&item).is_none() {
                out.deploy(
                    id,
                    node,
                    format!("CompatibleRuntimes: '{item}' is not a Lambda runtime"),
                );
            }
        }
    }
}

/// Rules of SAM's own properties: CodeUri's shape, AutoPublishAlias's name, and
/// DeploymentPreference needing an alias.
fn sam_only(r: &Resource, props: &Node, ctx: &Context<'_>, out: &mut Diagnostics) {
    let id = Some(r.logical_id.as_str());
    let alias = props.get("AutoPublishAlias");
    if let Some(node) = alias
        && let Some(value) = known_value(ctx, node)
    {
        match stringify(&value) {
            Some(name) if name.is_empty() => {
                out.deploy(id, node, "Alias name is required to create an alias");
            }
            Some(name) if !is_alias_name(&name) => out.error(
                id,
                node,
                format!(
                    "AutoPublishAlias name ('{name}') must contain only alphanumeric characters, hyphens, or underscores matching (?!^[0-9]+$)([a-zA-Z0-9-_]+) pattern."
                ),
            ),
            Some(_) => {}
            None => out.error(id, node, "AutoPublishAlias must be a string"),
        }
    }
    // A preference with `Enabled: false` (or one only known at deploy time) needs no alias.
    if let Some(node) = props.get("DeploymentPreference")
        && alias.is_none_or(Node::is_null)
        && node.get("Enabled").is_none_or(|e| {
            known_value(ctx, e).as_ref().and_then(stringify).as_deref() == Some("true")
        })
    {
        out.error(
            id,
            node,
            "'DeploymentPreference' requires AutoPublishAlias property to be specified.",
        );
    }
}

/// `(?!^[0-9]+$)([a-zA-Z0-9-_]+)`: letters, digits, `-` and `_`, and not only digits.
fn is_alias_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.chars().all(|c| c.is_ascii_digit())
}
