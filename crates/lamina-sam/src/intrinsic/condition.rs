//! Conditions: evaluating the `Conditions` section (`Fn::Equals`, `Fn::And`, `Fn::Or`,
//! `Fn::Not`, `{Condition: Name}`), with cycles between conditions caught.

use serde_json::Value as J;

use super::{Context, MAX_DEPTH, ResolveError, malformed, stringify};
use crate::node::Node;

impl Context<'_> {
    /// Evaluates the named condition of the `Conditions` section.
    pub fn condition(&self, name: &str) -> Result<bool, ResolveError> {
        self.named_condition(name, 0, 0, 0)
    }

    pub(super) fn named_condition(
        &self,
        name: &str,
        depth: usize,
        line: usize,
        col: usize,
    ) -> Result<bool, ResolveError> {
        let node = self
            .template
            .condition(name)
            .ok_or_else(|| ResolveError::Undefined {
                what: "condition",
                target: name.to_string(),
                line,
                col,
            })?;
        if depth > MAX_DEPTH {
            return Err(malformed(
                "Condition",
                "conditions refer to each other in a cycle",
                node,
            ));
        }
        self.eval_condition(node, depth + 1)
    }

    /// Evaluates a condition expression (`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`,
    /// `{Condition: Name}`).
    pub(super) fn eval_condition(&self, node: &Node, depth: usize) -> Result<bool, ResolveError> {
        if let Some(name) = node.condition_ref() {
            return self.named_condition(name, depth, node.line, node.col);
        }
        let Some((function, arg)) = node.intrinsic() else {
            return match self.eval(node, false, depth)? {
                Some(J::Bool(b)) => Ok(b),
                Some(J::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
                _ => Err(malformed(
                    "Condition",
                    "expected a condition function",
                    node,
                )),
            };
        };
        let items = arg.as_seq().unwrap_or_default();
        match function {
            "Fn::Equals" => {
                let [a, b] = items else {
                    return Err(malformed(function, "expects a list of two values", node));
                };
                let a = self.eval(a, false, depth)?.unwrap_or(J::Null);
                let b = self.eval(b, false, depth)?.unwrap_or(J::Null);
                Ok(match (stringify(&a), stringify(&b)) {
                    (Some(a), Some(b)) => a == b,
                    _ => a == b,
                })
            }
            "Fn::And" | "Fn::Or" => {
                if !(2..=10).contains(&items.len()) {
                    return Err(malformed(
                        function,
                        "expects a list of 2 to 10 conditions",
                        node,
                    ));
                }
                let mut values = items.iter().map(|c| self.eval_condition(c, depth + 1));
                if function == "Fn::And" {
                    values.try_fold(true, |acc, v| Ok(acc && v?))
                } else {
                    values.try_fold(false, |acc, v| Ok(acc || v?))
                }
            }
            "Fn::Not" => match items {
                [c] => Ok(!self.eval_condition(c, depth + 1)?),
                _ => Err(malformed(function, "expects a list of one condition", node)),
            },
            _ => match self.eval(node, false, depth)? {
                Some(J::Bool(b)) => Ok(b),
                _ => Err(malformed(function, "is not a condition function", node)),
            },
        }
    }
}
