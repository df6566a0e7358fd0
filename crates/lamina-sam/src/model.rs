//! The functions and layers of a template, evaluated for one set of parameter values: what
//! `local invoke` and `start-api` work from. Resources whose `Condition` is false are left
//! out, as CloudFormation would not create them.

use std::path::{Path, PathBuf};

use crate::event::Route;
use crate::function::{Function, LAMBDA_FUNCTION, LayerRef, ModelError, SERVERLESS_FUNCTION};
use crate::intrinsic::Context;
use crate::layer::{LAMBDA_LAYER, LayerVersion, SERVERLESS_LAYER};

/// Every function and layer of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Functions, in document order.
    pub functions: Vec<Function>,
    /// Layers defined in the template, in document order.
    pub layers: Vec<LayerVersion>,
}

/// Where one of a function's layers comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerSource {
    /// A local folder (or zip) from a layer of this template.
    Local {
        /// The layer's logical id.
        logical_id: String,
        /// Its content path.
        path: PathBuf,
    },
    /// A layer of this template whose content is not local (S3), by logical id.
    Remote(String),
    /// A layer ARN (possibly a flag layer), to be looked up elsewhere.
    Arn(String),
}

impl Model {
    /// Builds the model of `ctx`'s template.
    pub fn build(ctx: &Context<'_>) -> Result<Model, ModelError> {
        let template = ctx.template();
        let mut functions = Vec::new();
        let mut layers = Vec::new();
        for resource in &template.resources {
            // A condition that cannot be evaluated keeps the resource: better to offer a
            // function than to hide it.
            if let Some(cond) = &resource.condition
                && ctx.condition(cond) == Ok(false)
            {
                continue;
            }
            match resource.type_name.as_deref() {
                Some(SERVERLESS_FUNCTION | LAMBDA_FUNCTION) => {
                    functions.push(Function::from_resource(template, resource, ctx)?);
                }
                Some(SERVERLESS_LAYER | LAMBDA_LAYER) => {
                    layers.push(LayerVersion::from_resource(resource, ctx)?);
                }
                _ => {}
            }
        }
        Ok(Model { functions, layers })
    }

    /// The function with this logical id.
    pub fn function(&self, logical_id: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.logical_id == logical_id)
    }

    /// The layer with this logical id.
    pub fn layer(&self, logical_id: &str) -> Option<&LayerVersion> {
        self.layers.iter().find(|l| l.logical_id == logical_id)
    }

    /// Where each of a function's layers comes from, in the function's order.
    pub fn layer_sources(&self, function: &Function, template_dir: &Path) -> Vec<LayerSource> {
        function
            .layers
            .iter()
            .map(|layer| match layer {
                LayerRef::Arn(arn) => LayerSource::Arn(arn.clone()),
                LayerRef::Local(id) => {
                    match self.layer(id).and_then(|l| l.content_dir(template_dir)) {
                        Some(path) => LayerSource::Local {
                            logical_id: id.clone(),
                            path,
                        },
                        None => LayerSource::Remote(id.clone()),
                    }
                }
            })
            .collect()
    }

    /// Every API route of every function, in document order.
    pub fn routes(&self) -> Vec<Route> {
        self.functions.iter().flat_map(Function::routes).collect()
    }
}
