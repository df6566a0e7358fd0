//! The position-carrying document tree every template is parsed into.
//!
//! YAML and JSON templates both become a [`Node`]; short-form intrinsic tags are already
//! rewritten into their long form by the loader, so `!Ref X` and `{"Ref": "X"}` are the same
//! tree. This module owns the tree and its read-only accessors; it does not parse text
//! (see `load`) and does not evaluate intrinsics (see `intrinsic`).

/// One value of the document, with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: Value,
    /// Line of the node's first character, 1-based.
    pub line: usize,
    /// Column of the node's first character, 1-based.
    pub col: usize,
}

/// The shape of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar (string, number, boolean or null).
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order.
    Map(Vec<(Key, Node)>),
    /// A node under a tag that is neither a YAML core tag nor a CloudFormation intrinsic
    /// (`!Foo bar`); CloudFormation rejects those, so validation reports them.
    Tagged(String, Box<Node>),
}

/// A scalar's text and the type YAML's resolution rules give it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// The scalar's text as written (after unquoting and escapes).
    pub text: String,
    /// Its resolved type.
    pub kind: ScalarKind,
}

/// The type of a scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    /// A string (every quoted scalar, and plain text that is nothing else).
    Str,
    /// An integer.
    Int,
    /// A floating-point number.
    Float,
    /// A boolean.
    Bool,
    /// Null (`~`, `null`, or nothing).
    Null,
}

/// A mapping key with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The key's text.
    pub name: String,
    /// Line, 1-based.
    pub line: usize,
    /// Column, 1-based.
    pub col: usize,
}

/// The intrinsic function names CloudFormation understands, in their long form.
pub const INTRINSICS: &[&str] = &[
    "Ref",
    "Fn::GetAtt",
    "Fn::Sub",
    "Fn::Join",
    "Fn::If",
    "Fn::Select",
    "Fn::Split",
    "Fn::FindInMap",
    "Fn::ImportValue",
    "Fn::Base64",
    "Fn::GetAZs",
    "Fn::Cidr",
    "Fn::Equals",
    "Fn::And",
    "Fn::Or",
    "Fn::Not",
    "Fn::Transform",
    "Fn::Length",
    "Fn::ToJsonString",
    "Fn::ForEach",
];

impl Node {
    /// A node at a position.
    pub fn new(value: Value, line: usize, col: usize) -> Node {
        Node { value, line, col }
    }

    /// A string scalar at a position.
    pub fn string(text: impl Into<String>, line: usize, col: usize) -> Node {
        Node::new(
            Value::Scalar(Scalar {
                text: text.into(),
                kind: ScalarKind::Str,
            }),
            line,
            col,
        )
    }

    /// The mapping's entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence's items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar, if this is one.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The text of a non-null scalar (numbers and booleans included, as written).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) if s.kind != ScalarKind::Null => Some(&s.text),
            _ => None,
        }
    }

    /// Whether this is a null scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.kind == ScalarKind::Null)
    }

    /// The value under `key` in a mapping (the last one if the key repeats, as CloudFormation's
    /// parsers keep the last).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key and value under `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Key, &Node)> {
        self.as_map()?
            .iter()
            .rev()
            .find(|(k, _)| k.name == key)
            .map(|(k, v)| (k, v))
    }

    /// If this node is an intrinsic function call (a one-entry mapping whose key is `Ref` or
    /// `Fn::…`), its name and argument.
    pub fn intrinsic(&self) -> Option<(&str, &Node)> {
        match self.as_map()? {
            [(k, v)] if k.name == "Ref" || k.name.starts_with("Fn::") => Some((&k.name, v)),
            _ => None,
        }
    }

    /// If this node is a `{"Condition": "Name"}` reference, the condition's name.
    pub fn condition_ref(&self) -> Option<&str> {
        match self.as_map()? {
            [(k, v)] if k.name == "Condition" => v.as_str(),
            _ => None,
        }
    }

    /// A short description of the node's type for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Scalar(s) => match s.kind {
                ScalarKind::Str => "string",
                ScalarKind::Int => "integer",
                ScalarKind::Float => "number",
                ScalarKind::Bool => "boolean",
                ScalarKind::Null => "null",
            },
            Value::Seq(_) => "list",
            Value::Map(_) if self.intrinsic().is_some() => "intrinsic function",
            Value::Map(_) => "map",
            Value::Tagged(..) => "tagged value",
        }
    }

    /// Visits this node and every node below it, depth first, parents before children.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Node)) {
        visit(self);
        match &self.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => items.iter().for_each(|n| n.walk(visit)),
            Value::Map(entries) => entries.iter().for_each(|(_, n)| n.walk(visit)),
            Value::Tagged(_, inner) => inner.walk(visit),
        }
    }

    /// The node as plain JSON, intrinsics kept in their long form. Scalars keep their YAML type.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar(s) => match s.kind {
                ScalarKind::Null => J::Null,
                ScalarKind::Bool => J::Bool(s.text.eq_ignore_ascii_case("true")),
                ScalarKind::Int => s
                    .text
                    .parse::<i64>()
                    .map(J::from)
                    .unwrap_or_else(|_| J::String(s.text.clone())),
                ScalarKind::Float => s
                    .text
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(J::Number)
                    .unwrap_or_else(|| J::String(s.text.clone())),
                ScalarKind::Str => J::String(s.text.clone()),
            },
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
            Value::Tagged(_, inner) => inner.to_json(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intrinsic_is_a_one_entry_map_with_a_function_key() {
        let key = Key {
            name: "Ref".into(),
            line: 1,
            col: 1,
        };
        let node = Node::new(Value::Map(vec![(key, Node::string("X", 1, 6))]), 1, 1);
        let (name, arg) = node.intrinsic().unwrap();
        assert_eq!(name, "Ref");
        assert_eq!(arg.as_str(), Some("X"));
        assert_eq!(node.type_name(), "intrinsic function");
    }
}
