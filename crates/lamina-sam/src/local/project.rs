//! A template loaded for running: the file, its folder, the parameter values in force, the
//! evaluated [`Model`], and the `--env-vars` file. It answers "which function is this logical
//! id" with errors a user can act on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::function::{Function, ModelError};
use crate::intrinsic::Context;
use crate::local::env_vars::{EnvVars, EnvVarsError};
use crate::model::Model;
use crate::overrides::{OverrideError, parse_parameter_overrides};
use crate::template::{Template, TemplateError};

/// The file names looked for when no template is given, in SAM CLI's order.
pub const DEFAULT_TEMPLATES: [&str; 3] = ["template.yaml", "template.yml", "template.json"];

/// Why a template could not be loaded for running, or a function not found in it.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// No template at the path given.
    #[error("template file not found: {0} (pass the template with -t/--template)")]
    MissingTemplate(PathBuf),
    /// No template given and none in the current folder.
    #[error(
        "no template.yaml, template.yml or template.json in {0}: run from the folder of your SAM template or pass -t/--template"
    )]
    NoDefaultTemplate(PathBuf),
    /// The template does not parse.
    #[error("template {path} cannot be read: {source}")]
    Template {
        /// The file.
        path: PathBuf,
        /// Why.
        source: TemplateError,
    },
    /// A property could not be evaluated.
    #[error("template {path}: {source}")]
    Model {
        /// The file.
        path: PathBuf,
        /// Why (boxed: the error is large and rare).
        source: Box<ModelError>,
    },
    /// `--parameter-overrides` is malformed.
    #[error(transparent)]
    Overrides(#[from] OverrideError),
    /// `--env-vars` is unreadable or malformed.
    #[error(transparent)]
    EnvVars(#[from] EnvVarsError),
    /// The logical id is not a function of the template.
    #[error("{id} is not a function in {path}; its functions are: {}", list(.functions))]
    NotAFunction {
        /// The id asked for.
        id: String,
        /// The template.
        path: PathBuf,
        /// The functions there are.
        functions: Vec<String>,
    },
    /// No id given and the template has several functions.
    #[error("{path} has several functions; name one of: {}", list(.functions))]
    Ambiguous {
        /// The template.
        path: PathBuf,
        /// The functions there are.
        functions: Vec<String>,
    },
    /// The template has no function at all.
    #[error("{0} defines no AWS::Serverless::Function or AWS::Lambda::Function")]
    NoFunctions(PathBuf),
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items.join(", ")
    }
}

/// A template ready to run functions from.
#[derive(Debug, Clone)]
pub struct Project {
    /// The template file.
    pub template_path: PathBuf,
    /// Its folder, against which `CodeUri` and `ContentUri` resolve.
    pub template_dir: PathBuf,
    /// The parsed template.
    pub template: Template,
    /// Parameter values given on the command line.
    pub overrides: BTreeMap<String, String>,
    /// The functions and layers, evaluated with those values.
    pub model: Model,
    /// The `--env-vars` file, if any.
    pub env_vars: EnvVars,
}

impl Project {
    /// Loads `template` (or the default template of the current folder), with
    /// `--parameter-overrides` strings and an optional `--env-vars` file.
    pub fn load(
        template: Option<&Path>,
        overrides: &[String],
        env_vars: Option<&Path>,
    ) -> Result<Project, ProjectError> {
        let template_path = match template {
            Some(path) if path.is_file() => path.to_path_buf(),
            Some(path) if path.is_dir() => find_default(path)?,
            Some(path) => return Err(ProjectError::MissingTemplate(path.to_path_buf())),
            None => find_default(&std::env::current_dir().unwrap_or_else(|_| ".".into()))?,
        };
        let template_path = std::path::absolute(&template_path).unwrap_or(template_path);
        let template_dir = template_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let parsed = Template::load(&template_path).map_err(|source| ProjectError::Template {
            path: template_path.clone(),
            source,
        })?;
        let overrides = parse_parameter_overrides(overrides)?;
        let region = std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|_| super::LOCAL_REGION.to_string());
        let ctx = Context::new(&parsed, &overrides)
            .with_pseudo("AWS::Region", &region)
            .with_pseudo("AWS::AccountId", super::LOCAL_ACCOUNT_ID);
        let model = Model::build(&ctx).map_err(|source| ProjectError::Model {
            path: template_path.clone(),
            source: Box::new(source),
        })?;
        let env_vars = match env_vars {
            Some(path) => EnvVars::load(path)?,
            None => EnvVars::default(),
        };
        Ok(Project {
            template_path,
            template_dir,
            template: parsed,
            overrides,
            model,
            env_vars,
        })
    }

    /// The logical ids of the template's functions, in document order.
    pub fn function_ids(&self) -> Vec<String> {
        self.model
            .functions
            .iter()
            .map(|f| f.logical_id.clone())
            .collect()
    }

    /// The function `id` names; with no id, the template's only function. A function's
    /// `FunctionName` is accepted too, as SAM CLI accepts it.
    pub fn function(&self, id: Option<&str>) -> Result<&Function, ProjectError> {
        let functions = self.function_ids();
        match id {
            Some(id) => self
                .model
                .function(id)
                .or_else(|| {
                    self.model
                        .functions
                        .iter()
                        .find(|f| f.function_name.as_deref() == Some(id))
                })
                .ok_or_else(|| ProjectError::NotAFunction {
                    id: id.to_string(),
                    path: self.template_path.clone(),
                    functions,
                }),
            None => match self.model.functions.as_slice() {
                [only] => Ok(only),
                [] => Err(ProjectError::NoFunctions(self.template_path.clone())),
                _ => Err(ProjectError::Ambiguous {
                    path: self.template_path.clone(),
                    functions,
                }),
            },
        }
    }

    /// The environment variables `function` runs with: the template's, then `--env-vars`.
    pub fn environment(&self, function: &Function) -> BTreeMap<String, String> {
        self.env_vars
            .apply(&function.logical_id, &function.environment)
    }
}

/// The built template of `lamina sam build` when there is one (as SAM's local commands
/// prefer `.aws-sam/build/template.yaml`), else the folder's template.
fn find_default(dir: &Path) -> Result<PathBuf, ProjectError> {
    let built = dir.join(".aws-sam/build/template.yaml");
    if built.is_file() {
        return Ok(built);
    }
    DEFAULT_TEMPLATES
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| ProjectError::NoDefaultTemplate(dir.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name)
    }

    #[test]
    fn single_function_needs_no_id_and_unknown_ids_list_the_functions() {
        let p = Project::load(Some(&fixture("hello-python/template.yaml")), &[], None).unwrap();
        assert_eq!(p.function(None).unwrap().logical_id, "HelloWorldFunction");
        let err = p.function(Some("Nope")).unwrap_err().to_string();
        assert!(err.contains("Nope is not a function"), "{err}");
        assert!(err.contains("HelloWorldFunction"), "{err}");
    }

    #[test]
    fn several_functions_need_an_id() {
        let p = Project::load(Some(&fixture("api-routes/template.yaml")), &[], None).unwrap();
        let err = p.function(None).unwrap_err().to_string();
        assert!(err.contains("ItemsFunction, UsersFunction"), "{err}");
    }

    #[test]
    fn missing_template_says_what_to_do() {
        let err = Project::load(Some(Path::new("/nonexistent/t.yaml")), &[], None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("template file not found"), "{err}");
        assert!(err.contains("-t/--template"), "{err}");
    }
}
