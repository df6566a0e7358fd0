//! Warnings for `validate --lint`: a valid template that will still trouble a developer —
//! unused parameters, deprecated runtimes, runtimes no local image serves, code folders that
//! do not exist, event rules with no pattern, duplicate keys, code given twice or not at all.

use std::collections::BTreeSet;

use lamina_model::runtime;

use super::function::merged_properties;
use super::{Diagnostics, Options};
use crate::code::Code;
use crate::event::EventKind;
use crate::function::{Function, SERVERLESS_FUNCTION};
use crate::intrinsic::{Context, stringify};
use crate::layer::{LayerVersion, SERVERLESS_LAYER};
use crate::node::Node;
use crate::template::Template;

pub(super) fn check(
    t: &Template,
    ctx: &Context<'_>,
    options: &Options,
    used: &BTreeSet<String>,
    out: &mut Diagnostics,
) {
    duplicate_keys(&t.root, out);
    for p in &t.parameters {
        if !used.contains(&p.logical_id) {
            out.warning_at(
                Some(&p.logical_id),
                p.line,
                p.col,
                format!("parameter '{}' is declared but never used", p.logical_id),
            );
        }
    }
    for r in t.resources_of_type(SERVERLESS_FUNCTION) {
        let id = Some(r.logical_id.as_str());
        let props = merged_properties(t, r);
        if let Some(node) = props.get("Runtime")
            && let Some(name) = ctx.resolve(node).ok().as_ref().and_then(stringify)
            && let Some(info) = runtime::lookup(&name)
        {
            if info.deprecated {
                out.warning_at(
                    id,
                    node.line,
                    node.col,
                    format!(
                        "runtime '{name}' is deprecated: Lambda no longer creates functions with it"
                    ),
                );
            }
            if !runtime::is_runnable(&name) {
                out.warning_at(id, node.line, node.col, format!("runtime '{name}' cannot run locally: Lamina serves python*, nodejs* and provided* runtimes"));
            }
        }
        let has = |k: &str| props.get(k).is_some_and(|n| !n.is_null());
        let zip = props
            .get("PackageType")
            .and_then(|n| n.as_str())
            .is_none_or(|p| p == "Zip");
        if zip && has("InlineCode") && has("CodeUri") {
            out.warning_at(
                id,
                r.line,
                r.col,
                "both InlineCode and CodeUri are set: InlineCode is used and CodeUri ignored",
            );
        }
        if zip && !has("InlineCode") && !has("CodeUri") {
            out.warning_at(id, r.line, r.col, "neither CodeUri nor InlineCode is set: the template's folder is the function's code");
        }
        let Ok(function) = Function::from_resource(t, r, ctx) else {
            continue;
        };
        if let Some(Code::Local(path)) = &function.code {
            let at = props.get("CodeUri").unwrap_or(&props);
            if !options.base_dir.join(path).exists() {
                out.warning_at(
                    id,
                    at.line,
                    at.col,
                    format!(
                        "CodeUri '{path}' does not exist relative to {}",
                        options.base_dir.display()
                    ),
                );
            }
        }
        for event in &function.events {
            if let EventKind::CloudWatchEvent { pattern: None }
            | EventKind::EventBridgeRule { pattern: None } = event.kind
            {
                out.warning_at(
                    id,
                    event.line,
                    event.col,
                    format!(
                        "event '{}' has no Pattern: the rule will never match",
                        event.name
                    ),
                );
            }
        }
    }
    for r in t.resources_of_type(SERVERLESS_LAYER) {
        if r.properties
            .as_ref()
            .and_then(|p| p.get("ContentUri"))
            .is_none()
        {
            out.warning_at(
                Some(&r.logical_id),
                r.line,
                r.col,
                "ContentUri is not set: the template's folder is the layer's content",
            );
        }
        let Ok(layer) = LayerVersion::from_resource(r, ctx) else {
            continue;
        };
        if let Some(Code::Local(path)) = &layer.content
            && !options.base_dir.join(path).exists()
        {
            let at = r
                .properties
                .as_ref()
                .and_then(|p| p.get("ContentUri"))
                .map_or((r.line, r.col), |n| (n.line, n.col));
            out.warning_at(
                Some(&r.logical_id),
                at.0,
                at.1,
                format!(
                    "ContentUri '{path}' does not exist relative to {}",
                    options.base_dir.display()
                ),
            );
        }
    }
}

/// YAML and JSON parsers keep the last of two equal keys, so the first is silently lost.
fn duplicate_keys(root: &Node, out: &mut Diagnostics) {
    root.walk(&mut |node| {
        let Some(entries) = node.as_map() else { return };
        for (i, (key, _)) in entries.iter().enumerate() {
            if entries[..i].iter().any(|(k, _)| k.name == key.name) {
                out.warning_at(
                    None,
                    key.line,
                    key.col,
                    format!("duplicate key '{}': the earlier value is ignored", key.name),
                );
            }
        }
    });
}
