//! What `Ref`, `Fn::GetAtt`, `${…}` in `Fn::Sub`, `Fn::If`, `Condition`, `Fn::FindInMap` and
//! `DependsOn` point to must exist. Also reports tags CloudFormation does not know, and
//! returns the parameters the template uses (for the unused-parameter lint).

use std::collections::BTreeSet;

use super::Diagnostics;
use super::structure::SERVERLESS_TYPES;
use crate::intrinsic::{PSEUDO_PARAMETERS, SubPiece, sub_pieces};
use crate::node::{Node, Value};
use crate::template::Template;

struct Scope<'t> {
    t: &'t Template,
    /// Logical ids of the SAM resources, whose generated children (`FnRole`, `Fn.Alias`,
    /// `MyApiProdStage`) may be referenced although the template does not spell them out.
    serverless: Vec<&'t str>,
    used: BTreeSet<String>,
}

impl Scope<'_> {
    fn is_parameter(&self, name: &str) -> bool {
        self.t.parameter(name).is_some()
    }

    fn is_resource(&self, name: &str) -> bool {
        if self.t.resource(name).is_some() {
            return true;
        }
        // Resources the SAM translator generates: implicit APIs and children of SAM resources.
        if !self.serverless.is_empty()
            && (name.starts_with("ServerlessRestApi") || name.starts_with("ServerlessHttpApi"))
        {
            return true;
        }
        self.serverless.iter().any(|id| name.starts_with(id))
    }

    fn is_pseudo(name: &str) -> bool {
        PSEUDO_PARAMETERS.iter().any(|(p, _)| *p == name)
    }
}

pub(super) fn check(t: &Template, out: &mut Diagnostics) -> BTreeSet<String> {
    let serverless = t
        .resources
        .iter()
        .filter(|r| {
            // Embedded `Connectors` generate resources named after their parent too.
            r.node.get("Connectors").is_some()
                || r.type_name
                    .as_deref()
                    .is_some_and(|ty| SERVERLESS_TYPES.contains(&ty))
        })
        .map(|r| r.logical_id.as_str())
        .collect();
    let mut scope = Scope {
        t,
        serverless,
        used: BTreeSet::new(),
    };
    for r in &t.resources {
        let id = Some(r.logical_id.as_str());
        walk(&mut scope, id, &r.node, out);
        if let Some((_, cond)) = r.node.entry("Condition") {
            condition_name(&scope, id, cond, out);
        }
        if let Some(dep) = r.node.get("DependsOn") {
            let names: Vec<&Node> = match &dep.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![dep],
            };
            for n in names {
                if let Some(name) = n.as_str()
                    && !scope.is_resource(name)
                {
                    out.deploy(
                        id,
                        n,
                        format!("DependsOn refers to undefined resource '{name}'"),
                    );
                }
            }
        }
    }
    for section in ["Outputs", "Globals"] {
        for (key, node) in t
            .root
            .get(section)
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            let id = (section == "Outputs").then_some(key.name.as_str());
            walk(&mut scope, id, node, out);
            if section == "Outputs"
                && let Some(cond) = node.get("Condition")
            {
                condition_name(&scope, id, cond, out);
            }
        }
    }
    for (key, node) in &t.conditions {
        walk(&mut scope, Some(&key.name), node, out);
    }
    // Parameters used only by Rules or other parameters' metadata still count as used.
    if let Some(rules) = t.root.get("Rules") {
        walk(&mut scope, None, rules, out);
    }
    scope.used
}

fn condition_name(scope: &Scope<'_>, id: Option<&str>, node: &Node, out: &mut Diagnostics) {
    if let Some(name) = node.as_str()
        && scope.t.condition(name).is_none()
    {
        out.deploy(
            id,
            node,
            format!("Condition '{name}' is not defined in Conditions"),
        );
    }
}

fn walk(scope: &mut Scope<'_>, id: Option<&str>, node: &Node, out: &mut Diagnostics) {
    let mut found: Vec<&Node> = Vec::new();
    node.walk(&mut |n| found.push(n));
    for n in found {
        if let Value::Tagged(tag, _) = &n.value {
            out.deploy(id, n, format!("unknown tag '{tag}': CloudFormation knows !Ref, !GetAtt, !Sub, !Join, !If, !Select, !Split, !FindInMap, !ImportValue, !Base64, !GetAZs, !Cidr, !Equals, !And, !Or, !Not, !Condition"));
            continue;
        }
        if let Some(name) = n.condition_ref()
            && scope.t.condition(name).is_none()
        {
            out.deploy(
                id,
                n,
                format!("Condition '{name}' is not defined in Conditions"),
            );
        }
        let Some((function, arg)) = n.intrinsic() else {
            continue;
        };
        match function {
            "Ref" => {
                if let Some(name) = arg.as_str() {
                    reference(scope, id, n, name, false, out);
                }
            }
            "Fn::GetAtt" => {
                let resource = match &arg.value {
                    Value::Seq(items) => items.first().and_then(Node::as_str),
                    _ => arg.as_str().and_then(|s| s.split('.').next()),
                };
                if let Some(name) = resource
                    && !scope.is_resource(name)
                {
                    out.deploy(
                        id,
                        n,
                        format!("Fn::GetAtt refers to undefined resource '{name}'"),
                    );
                }
            }
            "Fn::Sub" => sub(scope, id, n, arg, out),
            "Fn::If" => {
                if let Some(cond) = arg.as_seq().and_then(|s| s.first()) {
                    condition_name(scope, id, cond, out);
                }
            }
            "Fn::FindInMap" => {
                if let Some(map) = arg.as_seq().and_then(|s| s.first())
                    && let Some(name) = map.as_str()
                    && scope
                        .t
                        .mappings
                        .as_ref()
                        .and_then(|m| m.get(name))
                        .is_none()
                {
                    out.deploy(
                        id,
                        map,
                        format!("Fn::FindInMap refers to undefined mapping '{name}'"),
                    );
                }
            }
            _ => {}
        }
    }
}

/// A `Ref` (or a `${Name}` in `Fn::Sub`) to a parameter, pseudo parameter or resource.
fn reference(
    scope: &mut Scope<'_>,
    id: Option<&str>,
    at: &Node,
    name: &str,
    in_sub: bool,
    out: &mut Diagnostics,
) {
    if scope.is_parameter(name) {
        scope.used.insert(name.to_string());
        return;
    }
    if Scope::is_pseudo(name) || scope.is_resource(name) {
        return;
    }
    let how = if in_sub {
        format!("Fn::Sub variable '${{{name}}}'")
    } else {
        format!("Ref '{name}'")
    };
    out.deploy(
        id,
        at,
        format!("{how} refers to an undefined parameter or resource"),
    );
}

fn sub(scope: &mut Scope<'_>, id: Option<&str>, n: &Node, arg: &Node, out: &mut Diagnostics) {
    let (text, vars) = match &arg.value {
        Value::Seq(items) => match items.as_slice() {
            [text, vars] => (text, vars.as_map().unwrap_or_default()),
            _ => return,
        },
        _ => (arg, &[][..]),
    };
    let Some(text) = text.as_str() else { return };
    for piece in sub_pieces(text) {
        let SubPiece::Var(name) = piece else { continue };
        if vars.iter().any(|(k, _)| k.name == name) {
            continue;
        }
        match name.split_once('.') {
            Some(_) if Scope::is_pseudo(name) => {}
            Some((resource, _)) => {
                if !scope.is_resource(resource) {
                    out.deploy(id, n, format!("Fn::Sub variable '${{{name}}}' refers to undefined resource '{resource}'"));
                }
            }
            None => reference(scope, id, n, name, true, out),
        }
    }
}
