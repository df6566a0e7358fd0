//! Checks across functions: no two API events put the same method on the same path of the
//! same API (SAM: `API method "post" defined multiple times for path "/add".`), which would
//! also leave `start-api` unable to pick a function.

use std::collections::BTreeSet;

use super::Diagnostics;
use super::function::merged_properties;
use crate::function::SERVERLESS_FUNCTION;
use crate::intrinsic::{Context, stringify};
use crate::node::Node;
use crate::template::Template;

pub(super) fn check(t: &Template, ctx: &Context<'_>, out: &mut Diagnostics) {
    let mut seen: BTreeSet<(String, String, String, String)> = BTreeSet::new();
    for r in t.resources_of_type(SERVERLESS_FUNCTION) {
        let props = merged_properties(t, r);
        let events = props
            .get("Events")
            .and_then(Node::as_map)
            .unwrap_or_default();
        for (key, event) in events {
            let kind = event.get("Type").and_then(Node::as_str).unwrap_or_default();
            let (api_key, rest) = match kind {
                "Api" => ("RestApiId", true),
                "HttpApi" => ("ApiId", false),
                _ => continue,
            };
            let Some(p) = event.get("Properties") else {
                continue;
            };
            let text = |k: &str| {
                p.get(k)
                    .and_then(|n| ctx.resolve(n).ok())
                    .as_ref()
                    .and_then(stringify)
            };
            let (Some(path), Some(method)) = (text("Path"), text("Method")) else {
                continue;
            };
            // The API is named by the text of its reference; an implicit API by its kind.
            let api = p
                .get(api_key)
                .map(|n| n.to_json().to_string())
                .unwrap_or_else(|| "implicit".to_string());
            let method = method.to_ascii_lowercase();
            if !seen.insert((kind.to_string(), api, path.clone(), method.clone())) {
                let message = if rest {
                    format!("API method \"{method}\" defined multiple times for path \"{path}\".")
                } else {
                    format!("API method '{method}' defined multiple times for path '{path}'.")
                };
                out.error_at(
                    Some(&r.logical_id),
                    key.line,
                    key.col,
                    format!("Event with id [{}] is invalid. {message}", key.name),
                );
            }
        }
    }
}
