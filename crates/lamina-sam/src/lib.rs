//! SAM/CloudFormation templates for Lamina's local tooling: loading YAML and JSON templates
//! with positions (`load`, `node`), the typed template (`template`), `Globals` (`globals`),
//! local evaluation of intrinsics (`intrinsic`, `overrides`), the functions, layers and
//! routes local commands run (`function`, `layer`, `event`, `model`), and `validate`.
//!
//! The `lamina local` commands (invoke, start-api, start-lambda) run on [`Model`] in `local`.

pub mod code;
pub mod event;
pub mod function;
pub mod globals;
pub mod intrinsic;
pub mod layer;
pub mod load;
pub mod local;
pub mod model;
pub mod node;
pub mod overrides;
pub mod template;
pub mod validate;

pub use code::Code;
pub use event::{ApiKind, Event, EventKind, Route};
pub use function::{Function, LayerRef, ModelError, PackageType};
pub use intrinsic::{Context, ResolveError};
pub use layer::LayerVersion;
pub use load::{LoadError, parse};
pub use model::{LayerSource, Model};
pub use node::{Key, Node, Scalar, ScalarKind, Value};
pub use overrides::{OverrideError, parse_parameter_overrides};
pub use template::{Parameter, Resource, Template, TemplateError, Transform};
pub use validate::{
    Diagnostic, Options, Severity, has_errors, render, render_streams, validate, validate_file,
    validate_source,
};
