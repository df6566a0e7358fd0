//! `AWS::Serverless::Function` (after `Globals.Function` is merged in) and
//! `AWS::Lambda::Function`, evaluated into what local invoke and start-api need.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as J;

use crate::code::Code;
use crate::event::{Event, Route};
use crate::globals;
use crate::intrinsic::{Context, ResolveError, stringify};
use crate::node::Node;
use crate::template::{Resource, Template};

/// `AWS::Serverless::Function`.
pub const SERVERLESS_FUNCTION: &str = "AWS::Serverless::Function";
/// `AWS::Lambda::Function`.
pub const LAMBDA_FUNCTION: &str = "AWS::Lambda::Function";
/// Lambda's default memory size, MB.
pub const DEFAULT_MEMORY_MB: u32 = 128;
/// Lambda's default timeout, seconds.
pub const DEFAULT_TIMEOUT_S: u32 = 3;

/// Why a resource could not be turned into a typed function or layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A property could not be evaluated.
    #[error("[{logical_id}] property {property}: {source}")]
    Resolve {
        /// The resource.
        logical_id: String,
        /// The property.
        property: String,
        /// Why.
        source: ResolveError,
    },
    /// A property evaluated to a value of the wrong kind.
    #[error("{line}:{col}: [{logical_id}] property {property}: {reason}")]
    Invalid {
        /// The resource.
        logical_id: String,
        /// The property.
        property: String,
        /// What is wrong.
        reason: String,
        /// Line, 1-based.
        line: usize,
        /// Column, 1-based.
        col: usize,
    },
}

/// How a function is packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageType {
    /// Code in a zip (or folder) run by a managed runtime.
    Zip,
    /// A container image.
    Image,
}

/// A layer a function uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerRef {
    /// A layer version ARN, used as written.
    Arn(String),
    /// `!Ref` to a layer defined in this template, by logical id.
    Local(String),
}

/// A function, with `Globals` applied and intrinsics evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Its logical id.
    pub logical_id: String,
    /// Line of its key, 1-based.
    pub line: usize,
    /// Column of its key, 1-based.
    pub col: usize,
    /// `FunctionName`, if set.
    pub function_name: Option<String>,
    /// `PackageType`.
    pub package_type: PackageType,
    /// `CodeUri` / `InlineCode` / `ImageUri` (SAM) or `Code` (CloudFormation); `None` when
    /// absent, which SAM CLI reads as the template's own folder.
    pub code: Option<Code>,
    /// `Handler`.
    pub handler: Option<String>,
    /// `Runtime`.
    pub runtime: Option<String>,
    /// `MemorySize`, MB (default 128).
    pub memory_size: u32,
    /// `Timeout`, seconds (default 3).
    pub timeout: u32,
    /// `Environment.Variables`, as strings; a value only a deployed stack knows becomes
    /// the empty string, as in SAM CLI; one that evaluates to `AWS::NoValue` is left out.
    pub environment: BTreeMap<String, String>,
    /// `Layers`, in order.
    pub layers: Vec<LayerRef>,
    /// `ReservedConcurrentExecutions`.
    pub reserved_concurrent_executions: Option<u32>,
    /// `Architectures` (default `["x86_64"]`).
    pub architectures: Vec<String>,
    /// `AutoPublishAlias`.
    pub auto_publish_alias: Option<String>,
    /// `Events`, in order.
    pub events: Vec<Event>,
}

impl Function {
    /// Reads a function resource of either type. SAM functions get `Globals.Function` first.
    pub fn from_resource(
        template: &Template,
        resource: &Resource,
        ctx: &Context<'_>,
    ) -> Result<Function, ModelError> {
        let id = resource.logical_id.as_str();
        let serverless = resource.type_name.as_deref() == Some(SERVERLESS_FUNCTION);
        let props = if serverless {
            globals::resource_properties(template, resource, "Function")
        } else {
            resource.properties.clone()
        };
        let empty = Node::new(
            crate::node::Value::Map(Vec::new()),
            resource.line,
            resource.col,
        );
        let props = props.unwrap_or(empty);
        let get = |key: &str| -> Result<Option<J>, ModelError> {
            match props.get(key) {
                None => Ok(None),
                Some(node) => ctx
                    .resolve(node)
                    .map(|v| (!v.is_null()).then_some(v))
                    .map_err(|source| ModelError::Resolve {
                        logical_id: id.into(),
                        property: key.into(),
                        source,
                    }),
            }
        };
        let text = |key: &str| -> Result<Option<String>, ModelError> {
            Ok(get(key)?.as_ref().and_then(stringify))
        };
        let number = |key: &str| -> Result<Option<u32>, ModelError> {
            let Some(value) = get(key)? else {
                return Ok(None);
            };
            let node = props.get(key).unwrap_or(&props);
            stringify(&value)
                .and_then(|s| s.parse::<u32>().ok())
                .map(Some)
                .ok_or_else(|| invalid(id, key, "expected a whole number", node))
        };
        let package_type = match text("PackageType")?.as_deref() {
            Some("Image") => PackageType::Image,
            _ => PackageType::Zip,
        };
        let code = if serverless {
            if let Some(inline) = text("InlineCode")? {
                Some(Code::Inline(inline))
            } else if let Some(image) = text("ImageUri")? {
                Some(Code::Image(image))
            } else {
                get("CodeUri")?.as_ref().and_then(Code::from_uri)
            }
        } else {
            get("Code")?.as_ref().and_then(Code::from_uri)
        };
        Ok(Function {
            logical_id: id.to_string(),
            line: resource.line,
            col: resource.col,
            function_name: text("FunctionName")?,
            package_type,
            code,
            handler: text("Handler")?,
            runtime: text("Runtime")?,
            memory_size: number("MemorySize")?.unwrap_or(DEFAULT_MEMORY_MB),
            timeout: number("Timeout")?.unwrap_or(DEFAULT_TIMEOUT_S),
            environment: environment(&props, ctx),
            layers: layers(template, &props, ctx).map_err(|source| ModelError::Resolve {
                logical_id: id.into(),
                property: "Layers".into(),
                source,
            })?,
            reserved_concurrent_executions: number("ReservedConcurrentExecutions")?,
            architectures: match get("Architectures")? {
                Some(J::Array(items)) => items.iter().filter_map(stringify).collect(),
                _ => vec!["x86_64".to_string()],
            },
            auto_publish_alias: text("AutoPublishAlias")?,
            events: props
                .get("Events")
                .and_then(Node::as_map)
                .unwrap_or_default()
                .iter()
                .map(|(k, n)| Event::from_node(&k.name, k.line, k.col, n, ctx))
                .collect(),
        })
    }

    /// The folder (or zip file) holding the code, relative to the template's folder:
    /// `CodeUri`, or the template's folder itself when no code is given (SAM CLI's default).
    /// `None` for S3, inline and image code.
    pub fn code_dir(&self, template_dir: &Path) -> Option<PathBuf> {
        match &self.code {
            None if self.package_type == PackageType::Zip => Some(template_dir.to_path_buf()),
            None => None,
            Some(code) => code.local_path(template_dir),
        }
    }

    /// The HTTP routes this function serves (its `Api` and `HttpApi` events).
    pub fn routes(&self) -> Vec<Route> {
        self.events
            .iter()
            .filter_map(|e| Route::from_event(&self.logical_id, e))
            .collect()
    }
}

/// `Environment.Variables` as strings, SAM CLI's way: numbers and booleans written out,
/// anything unresolvable (or a list or map) the empty string.
fn environment(props: &Node, ctx: &Context<'_>) -> BTreeMap<String, String> {
    let vars = props
        .get("Environment")
        .and_then(|e| e.get("Variables"))
        .and_then(Node::as_map)
        .unwrap_or_default();
    vars.iter()
        .filter_map(|(k, v)| {
            let value = match ctx.resolve(v) {
                // `Ref AWS::NoValue` (usually under `Fn::If`) removes the variable.
                Ok(J::Null) => return None,
                Ok(value) => stringify(&value).unwrap_or_default(),
                Err(_) => String::new(),
            };
            Some((k.name.clone(), value))
        })
        .collect()
}

/// `Layers`: a `Ref` to a layer of this template stays a local reference; anything else
/// is evaluated to an ARN.
fn layers(
    template: &Template,
    props: &Node,
    ctx: &Context<'_>,
) -> Result<Vec<LayerRef>, ResolveError> {
    let mut out = Vec::new();
    let Some(node) = props.get("Layers") else {
        return Ok(out);
    };
    let items = node.as_seq().unwrap_or_default();
    for item in items {
        if let Some(("Ref", target)) = item.intrinsic()
            && let Some(name) = target.as_str()
            && template.resource(name).is_some()
        {
            out.push(LayerRef::Local(name.to_string()));
            continue;
        }
        if let Some(arn) = stringify(&ctx.resolve(item)?) {
            out.push(LayerRef::Arn(arn));
        }
    }
    Ok(out)
}

fn invalid(logical_id: &str, property: &str, reason: &str, node: &Node) -> ModelError {
    ModelError::Invalid {
        logical_id: logical_id.into(),
        property: property.into(),
        reason: reason.into(),
        line: node.line,
        col: node.col,
    }
}
