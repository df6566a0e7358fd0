//! The intrinsic functions that can be evaluated without a deployed stack, one arm each.

use base64::Engine as _;
use serde_json::Value as J;

use super::{Context, Eval, ResolveError, malformed, stringify};
use crate::node::Node;

impl Context<'_> {
    pub(super) fn function(
        &self,
        function: &str,
        arg: &Node,
        node: &Node,
        lenient: bool,
        depth: usize,
    ) -> Eval {
        let depth = depth + 1;
        let items = arg.as_seq().unwrap_or_default();
        match function {
            "Ref" => {
                let name = arg
                    .as_str()
                    .ok_or_else(|| malformed(function, "expects a name", node))?;
                self.reference(name, node)
            }
            "Fn::Sub" => self
                .sub(arg, node, lenient, depth)
                .map(|s| Some(J::String(s))),
            "Fn::If" => {
                let [cond, yes, no] = items else {
                    return Err(malformed(
                        function,
                        "expects [condition, value if true, value if false]",
                        node,
                    ));
                };
                let name = cond
                    .as_str()
                    .ok_or_else(|| malformed(function, "the condition must be a name", node))?;
                let chosen = if self.named_condition(name, depth, cond.line, cond.col)? {
                    yes
                } else {
                    no
                };
                self.eval(chosen, lenient, depth)
            }
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => {
                self.eval_condition(node, depth).map(|b| Some(J::Bool(b)))
            }
            "Fn::Join" => {
                let [delimiter, list] = items else {
                    return Err(malformed(function, "expects [delimiter, list]", node));
                };
                let delimiter = self.string_arg(function, delimiter, lenient, depth)?;
                let parts = self.list_arg(function, list, lenient, depth)?;
                let parts: Option<Vec<String>> = parts.iter().map(stringify).collect();
                let parts =
                    parts.ok_or_else(|| malformed(function, "list items must be strings", node))?;
                Ok(Some(J::String(parts.join(&delimiter))))
            }
            "Fn::Select" => {
                let [index, list] = items else {
                    return Err(malformed(function, "expects [index, list]", node));
                };
                let index = self.string_arg(function, index, lenient, depth)?;
                let index: usize = index
                    .parse()
                    .map_err(|_| malformed(function, "the index must be a whole number", node))?;
                let list = self.list_arg(function, list, lenient, depth)?;
                list.get(index).cloned().map(Some).ok_or_else(|| {
                    malformed(function, &format!("index {index} is out of range"), node)
                })
            }
            "Fn::Split" => {
                let [delimiter, source] = items else {
                    return Err(malformed(function, "expects [delimiter, string]", node));
                };
                let delimiter = self.string_arg(function, delimiter, lenient, depth)?;
                let source = self.string_arg(function, source, lenient, depth)?;
                if delimiter.is_empty() {
                    return Err(malformed(function, "the delimiter must not be empty", node));
                }
                Ok(Some(J::Array(
                    source
                        .split(&delimiter)
                        .map(|s| J::String(s.into()))
                        .collect(),
                )))
            }
            "Fn::FindInMap" => {
                let [map, top, second, ..] = items else {
                    return Err(malformed(
                        function,
                        "expects [map, top-level key, second-level key]",
                        node,
                    ));
                };
                let map_name = self.string_arg(function, map, lenient, depth)?;
                let top = self.string_arg(function, top, lenient, depth)?;
                let second = self.string_arg(function, second, lenient, depth)?;
                let mapping = self
                    .template
                    .mappings
                    .as_ref()
                    .and_then(|m| m.get(&map_name))
                    .ok_or_else(|| ResolveError::Undefined {
                        what: "mapping",
                        target: map_name.clone(),
                        line: map.line,
                        col: map.col,
                    })?;
                let value = mapping
                    .get(&top)
                    .and_then(|t| t.get(&second))
                    .ok_or_else(|| {
                        malformed(
                            function,
                            &format!("mapping '{map_name}' has no entry {top}/{second}"),
                            node,
                        )
                    })?;
                self.eval(value, lenient, depth)
            }
            "Fn::Base64" => {
                let text = self.string_arg(function, arg, lenient, depth)?;
                Ok(Some(J::String(
                    base64::engine::general_purpose::STANDARD.encode(text),
                )))
            }
            "Fn::GetAZs" => {
                let region = self
                    .string_arg(function, arg, lenient, depth)
                    .unwrap_or_default();
                let region = if region.is_empty() {
                    self.pseudo.get("AWS::Region").cloned().unwrap_or_default()
                } else {
                    region
                };
                Ok(Some(J::Array(
                    ["a", "b", "c"]
                        .iter()
                        .map(|z| J::String(format!("{region}{z}")))
                        .collect(),
                )))
            }
            "Fn::Length" => Ok(Some(J::from(
                self.list_arg(function, arg, lenient, depth)?.len(),
            ))),
            "Fn::ToJsonString" => {
                let value = self.eval(arg, lenient, depth)?.unwrap_or(J::Null);
                Ok(Some(J::String(value.to_string())))
            }
            _ => Err(ResolveError::Unresolvable {
                function: function.to_string(),
                line: node.line,
                col: node.col,
            }),
        }
    }
}
