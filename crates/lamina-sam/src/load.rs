//! Reading template text (YAML or JSON) into a [`Node`] tree with positions.
//!
//! The YAML event parser (`saphyr-parser`) keeps tags and line/column markers; this module
//! builds the tree from its events, resolves plain scalars to their YAML types, expands
//! anchors and aliases, and rewrites CloudFormation's short-form tags (`!Ref X`,
//! `!GetAtt A.B`, `!Sub …`) into their long form (`{"Ref": X}`, `{"Fn::GetAtt": [A, B]}`,
//! `{"Fn::Sub": …}`). JSON is read by the same parser (JSON is YAML's flow style), so JSON
//! templates get positions too. Interpreting the tree is `template`'s job.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::node::{INTRINSICS, Key, Node, Scalar, ScalarKind, Value};

/// Why a template's text could not be read into a tree.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The text is not well-formed YAML/JSON.
    #[error("{line}:{col}: template is not well-formed: {message}")]
    Syntax {
        /// Line, 1-based.
        line: usize,
        /// Column, 1-based.
        col: usize,
        /// The parser's explanation.
        message: String,
    },
    /// A mapping key is a collection, which CloudFormation never accepts.
    #[error("{line}:{col}: mapping keys must be strings")]
    ComplexKey {
        /// Line, 1-based.
        line: usize,
        /// Column, 1-based.
        col: usize,
    },
    /// An alias names an anchor that was never defined.
    #[error("{line}:{col}: alias refers to an unknown anchor")]
    UnknownAnchor {
        /// Line, 1-based.
        line: usize,
        /// Column, 1-based.
        col: usize,
    },
    /// The text holds no document at all.
    #[error("template is empty")]
    Empty,
    /// Aliases would expand the tree past [`MAX_NODES`] (a "billion laughs" template: a few
    /// hundred bytes whose nested aliases would need gigabytes).
    #[error("{line}:{col}: template expands to more than {MAX_NODES} values (aliases included)")]
    TooLarge {
        /// Line, 1-based, of the value that went over.
        line: usize,
        /// Column, 1-based.
        col: usize,
    },
}

/// The most values (scalars, sequences, mappings, keys) a template's tree may hold once its
/// aliases are expanded. CloudFormation's largest template body is 1 MB, which cannot spell
/// out more than about half a million values; aliases must not multiply past this.
pub const MAX_NODES: usize = 1_000_000;

/// Parses YAML or JSON text into a tree; only the first document of a stream is kept
/// (CloudFormation reads one).
pub fn parse(text: &str) -> Result<Node, LoadError> {
    let mut builder = Builder::default();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| LoadError::Syntax {
            line: e.marker().line(),
            col: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        if builder.feed(event, span)? {
            break;
        }
    }
    builder.root.ok_or(LoadError::Empty)
}

/// A collection being built.
struct Frame {
    items: Vec<Node>,
    keys: Vec<Key>,
    is_map: bool,
    line: usize,
    col: usize,
    tag: Option<Tag>,
    anchor: usize,
    /// Values in this collection's subtree so far, itself included.
    size: usize,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    /// Each anchor's node and the number of values in it.
    anchors: HashMap<usize, (Node, usize)>,
    root: Option<Node>,
    /// Values in the whole tree so far, every alias counted at its full size.
    total: usize,
}

impl Builder {
    /// Takes one event; returns true once the first document is complete.
    fn feed(&mut self, event: Event<'_>, span: Span) -> Result<bool, LoadError> {
        let (line, col) = (span.start.line(), span.start.col() + 1);
        let is_map = matches!(event, Event::MappingStart(..));
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let kind = if style == ScalarStyle::Plain {
                    plain_kind(&text)
                } else {
                    ScalarKind::Str
                };
                let node = Node::new(
                    Value::Scalar(Scalar {
                        text: text.into_owned(),
                        kind,
                    }),
                    line,
                    col,
                );
                let node = apply_tag(tag.map(|t| t.into_owned()), node);
                self.count(1, line, col)?;
                self.finish(node, anchor, 1)?;
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                self.stack.push(Frame {
                    items: Vec::new(),
                    keys: Vec::new(),
                    is_map,
                    line,
                    col,
                    tag: tag.map(|t| t.into_owned()),
                    anchor,
                    size: 1,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(frame) = self.stack.pop() {
                    let value = if frame.is_map {
                        Value::Map(frame.keys.into_iter().zip(frame.items).collect())
                    } else {
                        Value::Seq(frame.items)
                    };
                    let node = apply_tag(frame.tag, Node::new(value, frame.line, frame.col));
                    self.count(1, frame.line, frame.col)?;
                    self.finish(node, frame.anchor, frame.size)?;
                }
            }
            Event::Alias(id) => {
                let size = self
                    .anchors
                    .get(&id)
                    .map(|(_, size)| *size)
                    .ok_or(LoadError::UnknownAnchor { line, col })?;
                // Count before cloning: the clone is what would exhaust memory.
                self.count(size, line, col)?;
                let node = self
                    .anchors
                    .get(&id)
                    .map(|(node, _)| node.clone())
                    .ok_or(LoadError::UnknownAnchor { line, col })?;
                self.finish(node, 0, size)?;
            }
            Event::DocumentEnd => return Ok(self.root.is_some()),
            Event::StreamEnd => return Ok(true),
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) => {}
        }
        Ok(false)
    }

    /// Adds `size` values to the tree's total, refusing to go past [`MAX_NODES`].
    fn count(&mut self, size: usize, line: usize, col: usize) -> Result<(), LoadError> {
        self.total = self.total.saturating_add(size);
        if self.total > MAX_NODES {
            return Err(LoadError::TooLarge { line, col });
        }
        Ok(())
    }

    /// Places a completed node of `size` values in its parent (or as the root). A node that
    /// is not an alias's copy is counted here, one value at a time as it completes.
    fn finish(&mut self, node: Node, anchor: usize, size: usize) -> Result<(), LoadError> {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some(top) = self.stack.last_mut() else {
            self.root.get_or_insert(node);
            return Ok(());
        };
        top.size = top.size.saturating_add(size);
        if top.is_map && top.keys.len() == top.items.len() {
            // A key: CloudFormation keys are strings, so anything else is refused here.
            match &node.value {
                Value::Scalar(s) => top.keys.push(Key {
                    name: s.text.clone(),
                    line: node.line,
                    col: node.col,
                }),
                _ => {
                    return Err(LoadError::ComplexKey {
                        line: node.line,
                        col: node.col,
                    });
                }
            }
        } else {
            top.items.push(node);
        }
        Ok(())
    }
}

/// The YAML 1.2 core-schema type of a plain scalar.
fn plain_kind(text: &str) -> ScalarKind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarKind::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return ScalarKind::Bool,
        ".inf" | "-.inf" | "+.inf" | ".Inf" | "-.Inf" | ".INF" | ".nan" | ".NaN" | ".NAN" => {
            return ScalarKind::Float;
        }
        _ => {}
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return ScalarKind::Int;
    }
    if let Some(hex) = text.strip_prefix("0x")
        && !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return ScalarKind::Int;
    }
    if let Some(oct) = text.strip_prefix("0o")
        && !oct.is_empty()
        && oct.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return ScalarKind::Int;
    }
    if is_float(unsigned) {
        return ScalarKind::Float;
    }
    ScalarKind::Str
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, written out by hand.
fn is_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let exponent_ok = match exponent {
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && digits(e)
        }
        None => true,
    };
    // A bare integer is not a float; that case was caught before.
    mantissa_ok && exponent_ok && (frac.is_some() || exponent.is_some())
}

/// Applies a node's tag: YAML core tags retype a scalar, CloudFormation short forms become
/// their long form, and anything else is kept as [`Value::Tagged`].
fn apply_tag(tag: Option<Tag>, mut node: Node) -> Node {
    let Some(tag) = tag else { return node };
    if tag.handle == "tag:yaml.org,2002:" {
        if let Value::Scalar(s) = &mut node.value {
            s.kind = match tag.suffix.as_str() {
                "int" => ScalarKind::Int,
                "float" => ScalarKind::Float,
                "bool" => ScalarKind::Bool,
                "null" => ScalarKind::Null,
                _ => ScalarKind::Str,
            };
        }
        return node;
    }
    let (line, col) = (node.line, node.col);
    if tag.handle == "!" {
        let name = match tag.suffix.as_str() {
            "Ref" => Some("Ref".to_string()),
            "Condition" => Some("Condition".to_string()),
            other => {
                let long = format!("Fn::{other}");
                INTRINSICS.contains(&long.as_str()).then_some(long)
            }
        };
        if let Some(name) = name {
            let arg = if name == "Fn::GetAtt" {
                split_getatt(node)
            } else {
                node
            };
            let key = Key { name, line, col };
            return Node::new(Value::Map(vec![(key, arg)]), line, col);
        }
    }
    let full = format!("{}{}", tag.handle, tag.suffix);
    Node::new(Value::Tagged(full, Box::new(node)), line, col)
}

/// `!GetAtt Resource.Attribute` → `[Resource, Attribute]`; the split is at the first dot,
/// since attribute names may themselves contain dots (`Endpoint.Address`).
fn split_getatt(node: Node) -> Node {
    match &node.value {
        Value::Scalar(s) => match s.text.split_once('.') {
            Some((resource, attribute)) => {
                let attr_col = node.col + resource.chars().count() + 1;
                Node::new(
                    Value::Seq(vec![
                        Node::string(resource, node.line, node.col),
                        Node::string(attribute, node.line, attr_col),
                    ]),
                    node.line,
                    node.col,
                )
            }
            None => node,
        },
        _ => node,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_become_long_forms_with_positions() {
        let doc =
            parse("A: !Ref X\nB: !GetAtt Fn.Arn\nC: !Sub 'x${Y}'\nD: !If [C, 1, 2]\n").unwrap();
        let a = doc.get("A").unwrap();
        assert_eq!(a.intrinsic().map(|(n, _)| n), Some("Ref"));
        assert_eq!((a.line, a.col), (1, 4));
        let (name, arg) = doc.get("B").unwrap().intrinsic().unwrap();
        assert_eq!(name, "Fn::GetAtt");
        let parts: Vec<_> = arg
            .as_seq()
            .unwrap()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        assert_eq!(parts, ["Fn", "Arn"]);
        assert_eq!(doc.get("C").unwrap().intrinsic().unwrap().0, "Fn::Sub");
        let (name, arg) = doc.get("D").unwrap().intrinsic().unwrap();
        assert_eq!(name, "Fn::If");
        assert_eq!(arg.as_seq().unwrap().len(), 3);
    }

    #[test]
    fn every_short_form_tag_is_known() {
        for tag in [
            "Ref",
            "GetAtt",
            "Sub",
            "Join",
            "If",
            "Select",
            "Split",
            "FindInMap",
            "ImportValue",
            "Base64",
            "GetAZs",
            "Cidr",
            "Equals",
            "And",
            "Or",
            "Not",
            "Condition",
        ] {
            let doc = parse(&format!("X: !{tag} v\n")).unwrap();
            assert!(
                doc.get("X").unwrap().as_map().is_some(),
                "!{tag} was not rewritten"
            );
        }
        let doc = parse("X: !Bogus v\n").unwrap();
        assert!(matches!(doc.get("X").unwrap().value, Value::Tagged(ref t, _) if t == "!Bogus"));
    }

    #[test]
    fn scalars_get_yaml_types() {
        let doc =
            parse("a: 12\nb: '12'\nc: 1.5\nd: true\ne:\nf: 2010-09-09\ng: !!str 3\n").unwrap();
        let kind = |k: &str| doc.get(k).unwrap().as_scalar().unwrap().kind;
        assert_eq!(kind("a"), ScalarKind::Int);
        assert_eq!(kind("b"), ScalarKind::Str);
        assert_eq!(kind("c"), ScalarKind::Float);
        assert_eq!(kind("d"), ScalarKind::Bool);
        assert_eq!(kind("e"), ScalarKind::Null);
        assert_eq!(kind("f"), ScalarKind::Str);
        assert_eq!(kind("g"), ScalarKind::Str);
    }

    #[test]
    fn json_gets_positions_even_with_tabs() {
        let doc = parse("{\n\t\"a\": {\"Ref\": \"X\"},\n\t\"b\": [1, \"2\"]\n}\n").unwrap();
        let a = doc.get("a").unwrap();
        assert_eq!((a.line, a.col), (2, 7));
        assert_eq!(a.intrinsic().unwrap().0, "Ref");
        let b = doc.get("b").unwrap().as_seq().unwrap();
        assert_eq!(b[0].as_scalar().unwrap().kind, ScalarKind::Int);
        assert_eq!(b[1].as_scalar().unwrap().kind, ScalarKind::Str);
    }

    /// Nine levels of ten aliases each: 663 bytes that would expand to 10^9 values.
    #[test]
    fn a_billion_laughs_is_refused_before_it_expands() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        match parse(&text) {
            Err(LoadError::TooLarge { line, .. }) => {
                assert_eq!(line, 6, "a5 alone would hold 10^6")
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
        // The same shape one level short of the bound (10^5 values per alias) still loads.
        let small: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
        let doc = parse(&small).unwrap();
        let a4 = doc.get("a4").unwrap().as_seq().unwrap();
        assert_eq!(a4.len(), 10);
    }

    #[test]
    fn aliases_expand_and_syntax_errors_have_positions() {
        let doc = parse("a: &x {k: v}\nb: *x\n").unwrap();
        assert_eq!(doc.get("b").unwrap().get("k").unwrap().as_str(), Some("v"));
        match parse("a: [1, 2\nb: c\n") {
            Err(LoadError::Syntax { line, .. }) => assert!(line >= 1),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }
}
