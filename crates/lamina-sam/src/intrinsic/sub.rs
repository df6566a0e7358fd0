//! `Fn::Sub`: splitting its template into text and `${…}` variables, and filling them in.

use serde_json::Value as J;

use super::{Context, ResolveError, malformed, stringify};
use crate::node::{Node, Value};

impl Context<'_> {
    pub(super) fn sub(
        &self,
        arg: &Node,
        node: &Node,
        lenient: bool,
        depth: usize,
    ) -> Result<String, ResolveError> {
        let (text, vars) = match &arg.value {
            Value::Seq(items) => match items.as_slice() {
                [text, vars] => (text, vars.as_map().unwrap_or_default()),
                _ => {
                    return Err(malformed(
                        "Fn::Sub",
                        "expects a string or [string, variables]",
                        node,
                    ));
                }
            },
            _ => (arg, &[][..]),
        };
        let text = text
            .as_str()
            .ok_or_else(|| malformed("Fn::Sub", "the template must be a string", node))?;
        let mut out = String::new();
        for piece in sub_pieces(text) {
            match piece {
                SubPiece::Text(t) => out.push_str(t),
                SubPiece::Var(name) => {
                    let local = vars.iter().find(|(k, _)| k.name == name).map(|(_, v)| v);
                    let value = match local {
                        Some(v) => self.eval(v, lenient, depth)?,
                        None if name.contains('.') && !self.pseudo.contains_key(name) => {
                            if lenient {
                                out.push_str(&format!("${{{name}}}"));
                                continue;
                            }
                            return Err(ResolveError::Unresolvable {
                                function: "Fn::GetAtt".into(),
                                line: node.line,
                                col: node.col,
                            });
                        }
                        None => self.reference(name, node)?,
                    };
                    let value = value.unwrap_or(J::String(String::new()));
                    let text = stringify(&value).ok_or_else(|| {
                        malformed(
                            "Fn::Sub",
                            &format!("variable '{name}' is not a string"),
                            node,
                        )
                    })?;
                    out.push_str(&text);
                }
            }
        }
        Ok(out)
    }
}

/// A piece of an `Fn::Sub` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubPiece<'a> {
    /// Literal text (a `${!X}` escape comes out as the text `${X}`).
    Text(&'a str),
    /// A `${Name}` or `${Resource.Attribute}` variable.
    Var(&'a str),
}

/// Splits an `Fn::Sub` template into literal text and variables.
pub fn sub_pieces(text: &str) -> Vec<SubPiece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let end = start + len;
        if start > 0 {
            pieces.push(SubPiece::Text(&rest[..start]));
        }
        let inner = &rest[start + 2..end];
        if let Some(literal) = inner.strip_prefix('!') {
            pieces.push(SubPiece::Text("${"));
            pieces.push(SubPiece::Text(literal));
            pieces.push(SubPiece::Text("}"));
        } else {
            pieces.push(SubPiece::Var(inner.trim()));
        }
        rest = &rest[end + 1..];
    }
    if !rest.is_empty() {
        pieces.push(SubPiece::Text(rest));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_text_variables_and_escapes() {
        assert_eq!(
            sub_pieces("a${X}b${ R.Arn }${!Lit}c${open"),
            vec![
                SubPiece::Text("a"),
                SubPiece::Var("X"),
                SubPiece::Text("b"),
                SubPiece::Var("R.Arn"),
                SubPiece::Text("${"),
                SubPiece::Text("Lit"),
                SubPiece::Text("}"),
                SubPiece::Text("c${open"),
            ]
        );
    }
}
