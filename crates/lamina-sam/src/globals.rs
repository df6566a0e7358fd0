//! The `Globals` section: which sections and properties SAM accepts there, and how a global
//! value is merged into each resource (SAM's rules: the resource's scalar wins, maps merge
//! key by key, lists concatenate globals first, an intrinsic counts as a scalar, and a type
//! mismatch keeps the resource's value), and a resource's `IgnoreGlobals` opts out.

use crate::node::{Node, Value};
use crate::template::{Resource, Template};

/// Sections of `Globals` and the properties each accepts (SAM translator, 2026).
pub const SUPPORTED: &[(&str, &[&str])] = &[
    (
        "Function",
        &[
            "Handler",
            "Runtime",
            "CodeUri",
            "DeadLetterQueue",
            "Description",
            "MemorySize",
            "Timeout",
            "VpcConfig",
            "Environment",
            "Tags",
            "PropagateTags",
            "Tracing",
            "KmsKeyArn",
            "AutoPublishAlias",
            "AutoPublishAliasAllProperties",
            "Layers",
            "DeploymentPreference",
            "RolePath",
            "PermissionsBoundary",
            "ReservedConcurrentExecutions",
            "ProvisionedConcurrencyConfig",
            "AssumeRolePolicyDocument",
            "EventInvokeConfig",
            "FileSystemConfigs",
            "CodeSigningConfigArn",
            "Architectures",
            "SnapStart",
            "EphemeralStorage",
            "FunctionUrlConfig",
            "RuntimeManagementConfig",
            "LoggingConfig",
            "RecursiveLoop",
            "SourceKMSKeyArn",
            "TenancyConfig",
            "DurableConfig",
            "CapacityProviderConfig",
            "FunctionScalingConfig",
            "PublishToLatestPublished",
            "VersionDeletionPolicy",
        ],
    ),
    (
        "Api",
        &[
            "Auth",
            "Name",
            "DefinitionUri",
            "CacheClusterEnabled",
            "CacheClusterSize",
            "MergeDefinitions",
            "Variables",
            "EndpointConfiguration",
            "MethodSettings",
            "BinaryMediaTypes",
            "MinimumCompressionSize",
            "Cors",
            "GatewayResponses",
            "AccessLogSetting",
            "CanarySetting",
            "TracingEnabled",
            "OpenApiVersion",
            "Domain",
            "AlwaysDeploy",
            "PropagateTags",
            "SecurityPolicy",
            "EndpointAccessMode",
        ],
    ),
    (
        "HttpApi",
        &[
            "Auth",
            "AccessLogSettings",
            "StageVariables",
            "Tags",
            "CorsConfiguration",
            "DefaultRouteSettings",
            "Domain",
            "RouteSettings",
            "FailOnWarnings",
            "PropagateTags",
        ],
    ),
    ("SimpleTable", &["SSESpecification"]),
    ("StateMachine", &["PropagateTags"]),
    ("LayerVersion", &["PublishLambdaVersion"]),
    (
        "CapacityProvider",
        &[
            "VpcConfig",
            "OperatorRole",
            "Tags",
            "InstanceRequirements",
            "ScalingConfig",
            "KmsKeyArn",
            "PropagateTags",
        ],
    ),
    (
        "WebSocketApi",
        &[
            "AccessLogSettings",
            "ApiKeySelectionExpression",
            "DefaultRouteSettings",
            "DisableExecuteApiEndpoint",
            "DisableSchemaValidation",
            "Domain",
            "FailOnWarnings",
            "IpAddressType",
            "PropagateTags",
            "RouteSelectionExpression",
            "RouteSettings",
            "StageVariables",
            "Tags",
        ],
    ),
];

/// The properties `Globals` accepts for a section, or `None` for an unknown section.
pub fn supported_properties(section: &str) -> Option<&'static [&'static str]> {
    SUPPORTED
        .iter()
        .find(|(s, _)| *s == section)
        .map(|(_, p)| *p)
}

/// Merges a section of `Globals` (`global`) into a resource's `Properties` (`local`); either
/// may be absent. The result keeps the resource's positions where the resource gave a value.
pub fn merge(global: Option<&Node>, local: Option<&Node>) -> Option<Node> {
    match (global, local) {
        (None, None) => None,
        (Some(g), None) => Some(g.clone()),
        (None, Some(l)) => Some(l.clone()),
        (Some(g), Some(l)) => Some(merge_values(g, l)),
    }
}

/// A SAM resource's `Properties` with its `Globals` section merged in, honouring the
/// resource's `IgnoreGlobals` attribute (`'*'` for none, or a list of property names to
/// leave out). `section` is the Globals section for the resource type (`Function`, `Api`, …).
pub fn resource_properties(
    template: &Template,
    resource: &Resource,
    section: &str,
) -> Option<Node> {
    let local = resource
        .properties
        .as_ref()
        .filter(|p| p.as_map().is_some());
    let global = template.globals.as_ref().and_then(|g| g.get(section));
    let ignore = resource.node.get("IgnoreGlobals");
    let global = match ignore {
        Some(i) if i.as_str() == Some("*") => None,
        Some(i) => global.map(|g| {
            let skip: Vec<&str> = i
                .as_seq()
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .collect();
            let kept = g
                .as_map()
                .unwrap_or_default()
                .iter()
                .filter(|(k, _)| !skip.contains(&k.name.as_str()))
                .cloned()
                .collect();
            Node::new(Value::Map(kept), g.line, g.col)
        }),
        None => global.cloned(),
    };
    merge(global.as_ref(), local)
}

fn merge_values(global: &Node, local: &Node) -> Node {
    // An intrinsic resolves to a scalar at deploy time, so SAM treats it as one.
    let is_plain_map = |n: &Node| n.as_map().is_some() && n.intrinsic().is_none();
    match (&global.value, &local.value) {
        (Value::Map(g), Value::Map(l)) if is_plain_map(global) && is_plain_map(local) => {
            let mut merged = g.clone();
            for (key, value) in l {
                match merged.iter_mut().find(|(k, _)| k.name == key.name) {
                    Some((k, existing)) => {
                        *existing = merge_values(existing, value);
                        *k = key.clone();
                    }
                    None => merged.push((key.clone(), value.clone())),
                }
            }
            Node::new(Value::Map(merged), local.line, local.col)
        }
        (Value::Seq(g), Value::Seq(l)) => {
            let items = g.iter().chain(l).cloned().collect();
            Node::new(Value::Seq(items), local.line, local.col)
        }
        _ => local.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse;

    #[test]
    fn merges_as_sam_does() {
        let g = parse("Runtime: python3.12\nEnvironment: {Variables: {A: g, B: g}}\nLayers: [l1]\nTimeout: 10\n").unwrap();
        let l = parse("Runtime: nodejs20.x\nEnvironment: {Variables: {B: l}}\nLayers: [l2]\nTimeout: !Ref T\n").unwrap();
        let m = merge(Some(&g), Some(&l)).unwrap();
        assert_eq!(m.get("Runtime").unwrap().as_str(), Some("nodejs20.x"));
        let vars = m.get("Environment").unwrap().get("Variables").unwrap();
        assert_eq!(vars.get("A").unwrap().as_str(), Some("g"));
        assert_eq!(vars.get("B").unwrap().as_str(), Some("l"));
        let layers: Vec<_> = m
            .get("Layers")
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        assert_eq!(layers, ["l1", "l2"]);
        assert!(m.get("Timeout").unwrap().intrinsic().is_some());
    }

    #[test]
    fn ignore_globals_opts_a_resource_out() {
        let t = Template::parse(
            "Globals:\n  Function: {Runtime: python3.12, Handler: a.b, Timeout: 9}\n\
             Resources:\n  All: {Type: AWS::Serverless::Function, IgnoreGlobals: '*', Properties: {PackageType: Image}}\n\
             \x20 Some: {Type: AWS::Serverless::Function, IgnoreGlobals: [Runtime, Handler], Properties: {PackageType: Image}}\n",
        )
        .unwrap();
        let all = resource_properties(&t, t.resource("All").unwrap(), "Function").unwrap();
        assert!(all.get("Runtime").is_none() && all.get("Timeout").is_none());
        let some = resource_properties(&t, t.resource("Some").unwrap(), "Function").unwrap();
        assert!(some.get("Runtime").is_none() && some.get("Handler").is_none());
        assert_eq!(some.get("Timeout").and_then(Node::as_str), Some("9"));
    }
}
