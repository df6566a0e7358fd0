//! `AWS::Serverless::LayerVersion` and `AWS::Lambda::LayerVersion`, evaluated into what local
//! invoke needs: where the layer's content is, and what it is compatible with.

use std::path::{Path, PathBuf};

use serde_json::Value as J;

use crate::code::Code;
use crate::function::ModelError;
use crate::intrinsic::{Context, stringify};
use crate::template::Resource;

/// `AWS::Serverless::LayerVersion`.
pub const SERVERLESS_LAYER: &str = "AWS::Serverless::LayerVersion";
/// `AWS::Lambda::LayerVersion`.
pub const LAMBDA_LAYER: &str = "AWS::Lambda::LayerVersion";

/// A layer defined in the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerVersion {
    /// Its logical id.
    pub logical_id: String,
    /// `ContentUri` (SAM) or `Content` (CloudFormation).
    pub content: Option<Code>,
    /// `CompatibleRuntimes`.
    pub compatible_runtimes: Vec<String>,
    /// `CompatibleArchitectures`.
    pub compatible_architectures: Vec<String>,
    /// `LayerName`.
    pub layer_name: Option<String>,
}

impl LayerVersion {
    /// Reads a layer resource of either type.
    pub fn from_resource(
        resource: &Resource,
        ctx: &Context<'_>,
    ) -> Result<LayerVersion, ModelError> {
        let id = resource.logical_id.as_str();
        let get = |key: &str| -> Result<Option<J>, ModelError> {
            match resource.properties.as_ref().and_then(|p| p.get(key)) {
                None => Ok(None),
                Some(node) => ctx
                    .resolve(node)
                    .map(Some)
                    .map_err(|source| ModelError::Resolve {
                        logical_id: id.into(),
                        property: key.into(),
                        source,
                    }),
            }
        };
        let list = |key: &str| -> Result<Vec<String>, ModelError> {
            Ok(match get(key)? {
                Some(J::Array(items)) => items.iter().filter_map(stringify).collect(),
                _ => Vec::new(),
            })
        };
        let content_key = if resource.type_name.as_deref() == Some(LAMBDA_LAYER) {
            "Content"
        } else {
            "ContentUri"
        };
        Ok(LayerVersion {
            logical_id: id.to_string(),
            content: get(content_key)?.as_ref().and_then(Code::from_uri),
            compatible_runtimes: list("CompatibleRuntimes")?,
            compatible_architectures: list("CompatibleArchitectures")?,
            layer_name: get("LayerName")?.as_ref().and_then(stringify),
        })
    }

    /// The folder (or zip file) holding the layer's content, relative to the template's
    /// folder; `None` when the content is not local.
    pub fn content_dir(&self, template_dir: &Path) -> Option<PathBuf> {
        self.content
            .as_ref()
            .and_then(|c| c.local_path(template_dir))
    }
}
