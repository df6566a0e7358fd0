//! The template as a whole: its top-level sections read into typed fields, each keeping the
//! nodes (and so the positions) it came from.
//!
//! Reading is forgiving on purpose: a section of the wrong shape is left out of the typed
//! fields and reported by `validate`, which also looks at [`Template::root`]. Building
//! functions and layers from resources is `function` and `layer`'s job.

use std::path::{Path, PathBuf};

use crate::load::{self, LoadError};
use crate::node::{Key, Node, Value};

/// The transform that makes a template a SAM template.
pub const SERVERLESS_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// Why a template file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The file could not be read.
    #[error("cannot read template {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The text is not a well-formed document.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The document is not a mapping.
    #[error("{line}:{col}: template must be a mapping of sections, found a {found}")]
    NotAMap {
        /// Line, 1-based.
        line: usize,
        /// Column, 1-based.
        col: usize,
        /// What was found instead.
        found: &'static str,
    },
}

/// A parsed SAM/CloudFormation template.
#[derive(Debug, Clone)]
pub struct Template {
    /// The whole document.
    pub root: Node,
    /// `AWSTemplateFormatVersion`, if present.
    pub format_version: Option<Node>,
    /// The names listed under `Transform` (a string, a list, or `{Name: …}` maps).
    pub transform: Vec<Transform>,
    /// `Parameters`, in document order.
    pub parameters: Vec<Parameter>,
    /// `Mappings`, if present.
    pub mappings: Option<Node>,
    /// `Conditions`, in document order: name and its condition expression.
    pub conditions: Vec<(Key, Node)>,
    /// `Globals`, if present.
    pub globals: Option<Node>,
    /// `Resources`, in document order.
    pub resources: Vec<Resource>,
    /// `Outputs`, if present.
    pub outputs: Option<Node>,
}

/// One transform named by the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    /// Its name (`AWS::Serverless-2016-10-31`).
    pub name: String,
    /// Line, 1-based.
    pub line: usize,
    /// Column, 1-based.
    pub col: usize,
}

/// One entry of `Parameters`.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// The parameter's logical id.
    pub logical_id: String,
    /// Position of its key.
    pub line: usize,
    /// Position of its key.
    pub col: usize,
    /// `Type`, if it is a string.
    pub type_name: Option<String>,
    /// `Default`, if present.
    pub default: Option<Node>,
    /// The whole declaration.
    pub node: Node,
}

/// One entry of `Resources`.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The resource's logical id.
    pub logical_id: String,
    /// Position of its key.
    pub line: usize,
    /// Position of its key.
    pub col: usize,
    /// `Type`, if it is a string.
    pub type_name: Option<String>,
    /// `Properties`, if present.
    pub properties: Option<Node>,
    /// The `Condition` attribute, if present.
    pub condition: Option<String>,
    /// The whole declaration.
    pub node: Node,
}

impl Template {
    /// Reads and parses a template file (YAML or JSON).
    pub fn load(path: &Path) -> Result<Template, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Template::parse(&text)
    }

    /// Parses template text (YAML or JSON).
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        Template::from_node(load::parse(text)?)
    }

    /// Reads the sections of an already parsed document.
    pub fn from_node(root: Node) -> Result<Template, TemplateError> {
        if root.as_map().is_none() {
            return Err(TemplateError::NotAMap {
                line: root.line,
                col: root.col,
                found: root.type_name(),
            });
        }
        let entries = |section: &str| -> Vec<(Key, Node)> {
            root.get(section)
                .and_then(Node::as_map)
                .map(<[_]>::to_vec)
                .unwrap_or_default()
        };
        let parameters = entries("Parameters")
            .into_iter()
            .map(|(k, node)| Parameter {
                logical_id: k.name,
                line: k.line,
                col: k.col,
                type_name: node.get("Type").and_then(Node::as_str).map(str::to_string),
                default: node.get("Default").cloned(),
                node,
            })
            .collect();
        let resources = entries("Resources")
            .into_iter()
            .map(|(k, node)| Resource {
                logical_id: k.name,
                line: k.line,
                col: k.col,
                type_name: node.get("Type").and_then(Node::as_str).map(str::to_string),
                properties: node.get("Properties").cloned(),
                condition: node
                    .get("Condition")
                    .and_then(Node::as_str)
                    .map(str::to_string),
                node,
            })
            .collect();
        Ok(Template {
            format_version: root.get("AWSTemplateFormatVersion").cloned(),
            transform: root.get("Transform").map(transforms).unwrap_or_default(),
            parameters,
            mappings: root.get("Mappings").cloned(),
            conditions: entries("Conditions"),
            globals: root.get("Globals").cloned(),
            resources,
            outputs: root.get("Outputs").cloned(),
            root,
        })
    }

    /// The resource with this logical id.
    pub fn resource(&self, logical_id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }

    /// The parameter with this logical id.
    pub fn parameter(&self, logical_id: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.logical_id == logical_id)
    }

    /// The condition expression with this name.
    pub fn condition(&self, name: &str) -> Option<&Node> {
        self.conditions
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(_, n)| n)
    }

    /// Whether the template declares the SAM transform.
    pub fn is_serverless(&self) -> bool {
        self.transform
            .iter()
            .any(|t| t.name == SERVERLESS_TRANSFORM)
    }

    /// Resources whose type is `type_name`.
    pub fn resources_of_type<'a>(
        &'a self,
        type_name: &'a str,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources
            .iter()
            .filter(move |r| r.type_name.as_deref() == Some(type_name))
    }
}

/// The names under `Transform`: a string, a list of strings, or `{Name: …, Parameters: …}`.
fn transforms(node: &Node) -> Vec<Transform> {
    let one = |n: &Node| -> Option<Transform> {
        let named = n.get("Name").unwrap_or(n);
        named.as_str().map(|name| Transform {
            name: name.to_string(),
            line: named.line,
            col: named.col,
        })
    };
    match &node.value {
        Value::Seq(items) => items.iter().filter_map(one).collect(),
        _ => one(node).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections() {
        let t = Template::parse(
            "AWSTemplateFormatVersion: '2010-09-09'\nTransform: [AWS::Serverless-2016-10-31]\n\
             Parameters:\n  Stage: {Type: String, Default: dev}\n\
             Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Condition: IsProd\n",
        )
        .unwrap();
        assert!(t.is_serverless());
        assert_eq!(
            t.parameter("Stage").unwrap().type_name.as_deref(),
            Some("String")
        );
        let r = t.resource("Fn").unwrap();
        assert_eq!(r.condition.as_deref(), Some("IsProd"));
        assert_eq!((r.line, r.col), (6, 3));
    }

    #[test]
    fn a_list_at_top_level_is_refused() {
        assert!(matches!(
            Template::parse("- a\n"),
            Err(TemplateError::NotAMap { found: "list", .. })
        ));
    }
}
