//! Evaluating intrinsic functions and conditions locally, as `sam local` does: parameter
//! values (defaults, then `--parameter-overrides`), pseudo parameters, `Fn::If` on evaluated
//! `Conditions`, `Fn::FindInMap`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::Base64`,
//! `Fn::GetAZs`. What only a deployed stack knows (`Fn::GetAtt`, `Fn::ImportValue`,
//! `Fn::Cidr`) is [`ResolveError::Unresolvable`]; a `Ref` to a resource gives its logical id,
//! which is what local tooling uses as the resource's name.

use std::collections::BTreeMap;

use serde_json::Value as J;

use crate::node::{Node, Value};
use crate::template::Template;

mod condition;
mod function;
mod sub;

pub use sub::{SubPiece, sub_pieces};

/// Why a node could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResolveError {
    /// The function needs a deployed stack (`Fn::GetAtt`, `Fn::ImportValue`, …).
    #[error("{line}:{col}: {function} cannot be resolved locally")]
    Unresolvable {
        /// The function's name.
        function: String,
        /// Line, 1-based.
        line: usize,
        /// Column, 1-based.
        col: usize,
    },
    /// A reference to something the template does not define.
    #[error("{line}:{col}: {what} '{target}' is not defined")]
    Undefined {
        /// What kind of thing was looked for (`parameter or resource`, `condition`, `mapping`).
        what: &'static str,
        /// Its name.
        target: String,
        /// Line, 1-based.
        line: usize,
        /// Column, 1-based.
        col: usize,
    },
    /// A parameter was referenced that has neither a Default nor an override.
    #[error("{line}:{col}: parameter '{name}' has no value: give it a Default or an override")]
    NoValue {
        /// The parameter.
        name: String,
        /// Line, 1-based.
        line: usize,
        /// Column, 1-based.
        col: usize,
    },
    /// The function's arguments have the wrong shape.
    #[error("{line}:{col}: {function} is malformed: {reason}")]
    Malformed {
        /// The function's name.
        function: String,
        /// What is wrong.
        reason: String,
        /// Line, 1-based.
        line: usize,
        /// Column, 1-based.
        col: usize,
    },
}

/// Pseudo parameters and the values `sam local` gives them by default.
pub const PSEUDO_PARAMETERS: &[(&str, &str)] = &[
    ("AWS::Region", "us-east-1"),
    ("AWS::AccountId", "123456789012"),
    ("AWS::StackName", "local"),
    (
        "AWS::StackId",
        "arn:aws:cloudformation:us-east-1:123456789012:stack/local/51af3dc0-da77-11e4-872e-1234567db123",
    ),
    ("AWS::Partition", "aws"),
    ("AWS::URLSuffix", "amazonaws.com"),
    ("AWS::NotificationARNs", ""),
    ("AWS::NoValue", ""),
];

/// Condition nesting deeper than this is taken as a cycle.
const MAX_DEPTH: usize = 64;

/// Everything needed to evaluate intrinsics in one template.
#[derive(Debug, Clone)]
pub struct Context<'t> {
    template: &'t Template,
    parameters: BTreeMap<String, String>,
    pseudo: BTreeMap<String, String>,
}

type Eval = Result<Option<J>, ResolveError>;

impl<'t> Context<'t> {
    /// A context whose parameters take their Default, replaced by `overrides` where given
    /// (unknown override names are ignored, as SAM ignores them).
    pub fn new(template: &'t Template, overrides: &BTreeMap<String, String>) -> Context<'t> {
        let mut parameters = BTreeMap::new();
        for p in &template.parameters {
            let value = overrides
                .get(&p.logical_id)
                .cloned()
                .or_else(|| p.default.as_ref().and_then(default_text));
            if let Some(value) = value {
                parameters.insert(p.logical_id.clone(), value);
            }
        }
        let pseudo = PSEUDO_PARAMETERS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Context {
            template,
            parameters,
            pseudo,
        }
    }

    /// Sets a pseudo parameter (`AWS::Region`, `AWS::AccountId`, `AWS::StackName`, …).
    pub fn with_pseudo(mut self, name: &str, value: &str) -> Context<'t> {
        self.pseudo.insert(name.to_string(), value.to_string());
        self
    }

    /// The template this context evaluates.
    pub fn template(&self) -> &'t Template {
        self.template
    }

    /// The value a parameter has here, as text (lists comma-joined).
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters.get(name).map(String::as_str)
    }

    /// Evaluates a node to plain JSON. `Ref AWS::NoValue` at the top gives `null`; inside
    /// lists and maps it removes the entry.
    pub fn resolve(&self, node: &Node) -> Result<J, ResolveError> {
        Ok(self.eval(node, false, 0)?.unwrap_or(J::Null))
    }

    /// Like [`Context::resolve`], but whatever cannot be evaluated is kept in its long
    /// intrinsic form instead of failing (for display and for event properties).
    pub fn resolve_lenient(&self, node: &Node) -> J {
        match self.eval(node, true, 0) {
            Ok(v) => v.unwrap_or(J::Null),
            Err(_) => node.to_json(),
        }
    }

    /// Evaluates a node that must give a string (numbers and booleans are written out).
    pub fn resolve_string(&self, node: &Node) -> Result<String, ResolveError> {
        let value = self.resolve(node)?;
        stringify(&value).ok_or_else(|| ResolveError::Malformed {
            function: "value".into(),
            reason: format!("expected a string, found {}", json_type(&value)),
            line: node.line,
            col: node.col,
        })
    }

    fn eval(&self, node: &Node, lenient: bool, depth: usize) -> Eval {
        if depth > MAX_DEPTH {
            return Err(malformed("value", "nesting too deep", node));
        }
        match &node.value {
            Value::Scalar(_) => Ok(Some(node.to_json())),
            Value::Tagged(_, inner) => self.eval(inner, lenient, depth + 1),
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(v) = self.eval(item, lenient, depth + 1)? {
                        out.push(v);
                    }
                }
                Ok(Some(J::Array(out)))
            }
            Value::Map(entries) => {
                if let Some((function, arg)) = node.intrinsic() {
                    return match self.function(function, arg, node, lenient, depth) {
                        Err(ResolveError::Unresolvable { .. } | ResolveError::Undefined { .. })
                            if lenient =>
                        {
                            Ok(Some(node.to_json()))
                        }
                        other => other,
                    };
                }
                if node.condition_ref().is_some() {
                    return self
                        .eval_condition(node, depth + 1)
                        .map(|b| Some(J::Bool(b)));
                }
                let mut out = serde_json::Map::new();
                for (k, v) in entries {
                    if let Some(v) = self.eval(v, lenient, depth + 1)? {
                        out.insert(k.name.clone(), v);
                    }
                }
                Ok(Some(J::Object(out)))
            }
        }
    }

    /// `Ref name`: a pseudo parameter, a parameter, or a resource (its logical id).
    fn reference(&self, name: &str, node: &Node) -> Eval {
        if name == "AWS::NoValue" {
            return Ok(None);
        }
        if let Some(value) = self.pseudo.get(name) {
            if name == "AWS::NotificationARNs" {
                return Ok(Some(J::Array(Vec::new())));
            }
            return Ok(Some(J::String(value.clone())));
        }
        if let Some(param) = self.template.parameter(name) {
            let value = self
                .parameters
                .get(name)
                .ok_or_else(|| ResolveError::NoValue {
                    name: name.to_string(),
                    line: node.line,
                    col: node.col,
                })?;
            let is_list = param
                .type_name
                .as_deref()
                .is_some_and(|t| t == "CommaDelimitedList" || t.starts_with("List<"));
            return Ok(Some(if is_list {
                J::Array(
                    value
                        .split(',')
                        .map(|s| J::String(s.trim().to_string()))
                        .collect(),
                )
            } else {
                J::String(value.clone())
            }));
        }
        if self.template.resource(name).is_some() {
            return Ok(Some(J::String(name.to_string())));
        }
        Err(ResolveError::Undefined {
            what: "parameter or resource",
            target: name.to_string(),
            line: node.line,
            col: node.col,
        })
    }

    fn string_arg(
        &self,
        function: &str,
        node: &Node,
        lenient: bool,
        depth: usize,
    ) -> Result<String, ResolveError> {
        let value = self.eval(node, lenient, depth)?.unwrap_or(J::Null);
        stringify(&value).ok_or_else(|| malformed(function, "expected a string argument", node))
    }

    fn list_arg(
        &self,
        function: &str,
        node: &Node,
        lenient: bool,
        depth: usize,
    ) -> Result<Vec<J>, ResolveError> {
        match self.eval(node, lenient, depth)? {
            Some(J::Array(items)) => Ok(items),
            _ => Err(malformed(function, "expected a list argument", node)),
        }
    }
}

/// The text a JSON scalar stands for in a string context.
pub fn stringify(value: &J) -> Option<String> {
    match value {
        J::String(s) => Some(s.clone()),
        J::Number(n) => Some(n.to_string()),
        J::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn json_type(value: &J) -> &'static str {
    match value {
        J::Null => "null",
        J::Bool(_) => "boolean",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "list",
        J::Object(_) => "map",
    }
}

/// A parameter's Default as text (a list Default is comma-joined).
fn default_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Seq(items) => Some(
            items
                .iter()
                .filter_map(Node::as_str)
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => node
            .as_str()
            .map(str::to_string)
            .or_else(|| node.is_null().then(String::new)),
    }
}

fn malformed(function: &str, reason: &str, node: &Node) -> ResolveError {
    ResolveError::Malformed {
        function: function.to_string(),
        reason: reason.to_string(),
        line: node.line,
        col: node.col,
    }
}
