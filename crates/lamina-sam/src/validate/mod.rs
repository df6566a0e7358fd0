//! `lamina validate`: SAM's verdict on a template, with every problem named by logical id and
//! position. Errors are what the SAM translator (or CloudFormation right after it) would
//! reject; `lint` adds warnings about what would trouble local use.
//!
//! The checks live by subject: `structure` (sections, parameters, conditions, globals),
//! `function` (function and layer properties), `events`, `routes` (API routes across
//! functions), `references` (what `Ref`, `Fn::GetAtt`, `Fn::Sub`, conditions and mappings
//! point to) and `lint`.

mod events;
mod function;
mod lint;
mod references;
mod routes;
mod sam_data;
mod structure;
mod translator;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::Value as J;

use crate::intrinsic::Context;
use crate::load::LoadError;
use crate::node::Node;
use crate::template::{Template, TemplateError};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// SAM would reject the template.
    Error,
    /// The template is valid but something is likely wrong (only with `lint`).
    Warning,
}

/// One problem found in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// How bad it is.
    pub severity: Severity,
    /// The resource, parameter, condition or output it concerns, if any.
    pub logical_id: Option<String>,
    /// Line, 1-based.
    pub line: usize,
    /// Column, 1-based.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

/// What `validate` checks beyond SAM's verdict, and against what.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Add warnings (unused parameters, deprecated or locally unrunnable runtimes, missing
    /// code folders).
    pub lint: bool,
    /// The template's folder, against which `CodeUri` and `ContentUri` are checked.
    pub base_dir: PathBuf,
    /// Parameter values that replace Defaults when evaluating properties.
    pub parameter_overrides: BTreeMap<String, String>,
}

/// Checks a template; the result is empty for a clean template. Diagnostics are sorted by
/// position.
pub fn validate(template: &Template, options: &Options) -> Vec<Diagnostic> {
    let ctx = Context::new(template, &options.parameter_overrides);
    let mut out = Diagnostics {
        list: Vec::new(),
        lint: options.lint,
    };
    structure::check(template, &ctx, options, &mut out);
    function::check(template, &ctx, &mut out);
    routes::check(template, &ctx, &mut out);
    translator::check(template, &ctx, &mut out);
    let used = references::check(template, &mut out);
    if options.lint {
        lint::check(template, &ctx, options, &used, &mut out);
    }
    let mut list = out.list;
    list.sort_by_key(|d| (d.line, d.col, d.severity));
    list.dedup();
    list
}

/// Parses and checks template text; a text that does not parse gives one error at the
/// parser's position.
pub fn validate_source(text: &str, options: &Options) -> Vec<Diagnostic> {
    match Template::parse(text) {
        Ok(template) => validate(&template, options),
        Err(e) => vec![load_diagnostic(&e)],
    }
}

/// Reads, parses and checks a template file; `Err` only when the file cannot be read.
pub fn validate_file(
    path: &std::path::Path,
    options: &Options,
) -> Result<Vec<Diagnostic>, std::io::Error> {
    Ok(validate_source(&std::fs::read_to_string(path)?, options))
}

fn load_diagnostic(e: &TemplateError) -> Diagnostic {
    let (line, col, message) = match e {
        TemplateError::Load(LoadError::Syntax { line, col, message }) => (
            *line,
            *col,
            format!("template is not well-formed: {message}"),
        ),
        TemplateError::Load(LoadError::ComplexKey { line, col }) => {
            (*line, *col, "mapping keys must be strings".into())
        }
        TemplateError::Load(LoadError::UnknownAnchor { line, col }) => {
            (*line, *col, "alias refers to an unknown anchor".into())
        }
        TemplateError::Load(e @ LoadError::TooLarge { line, col }) => {
            let text = e.to_string();
            let message = text
                .split_once(": ")
                .map_or(text.clone(), |(_, m)| m.to_string());
            (*line, *col, message)
        }
        TemplateError::NotAMap { line, col, found } => (
            *line,
            *col,
            format!("template must be a mapping of sections, found a {found}"),
        ),
        other => (1, 1, other.to_string()),
    };
    Diagnostic {
        severity: Severity::Error,
        logical_id: None,
        line,
        col,
        message,
    }
}

/// Whether any diagnostic is an error (the CLI exits 1 then).
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

/// The CLI's output in one string: the problems (see [`render_streams`]) followed by the
/// verdict line.
pub fn render(diagnostics: &[Diagnostic], path: &str) -> String {
    let (stdout, stderr) = render_streams(diagnostics, path);
    stderr + &stdout
}

/// The CLI's output split as `sam validate` splits it: `(stdout, stderr)`.
///
/// stderr lists each problem as `path:line:col: [LogicalId] message` (warnings with
/// `warning: ` before the message). stdout holds SAM's verdict line: `<path> is a valid SAM
/// Template`, or `Template provided at '<path>' was invalid SAM Template. N error(s) found.`
/// (the CLI then exits 1).
pub fn render_streams(diagnostics: &[Diagnostic], path: &str) -> (String, String) {
    let mut problems = String::new();
    for d in diagnostics {
        let _ = write!(problems, "{path}:{}:{}: ", d.line, d.col);
        if let Some(id) = &d.logical_id {
            let _ = write!(problems, "[{id}] ");
        }
        if d.severity == Severity::Warning {
            problems.push_str("warning: ");
        }
        problems.push_str(&d.message);
        problems.push('\n');
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let verdict = if errors == 0 {
        format!("{path} is a valid SAM Template\n")
    } else {
        let plural = if errors == 1 { "" } else { "s" };
        format!(
            "Template provided at '{path}' was invalid SAM Template. {errors} error{plural} found.\n"
        )
    };
    (verdict, problems)
}

/// Collects diagnostics. Problems the SAM translator lets through but CloudFormation or
/// Lambda would reject at deploy time are kept only with `lint`, as warnings.
pub(crate) struct Diagnostics {
    list: Vec<Diagnostic>,
    lint: bool,
}

impl Diagnostics {
    fn push(
        &mut self,
        severity: Severity,
        id: Option<&str>,
        line: usize,
        col: usize,
        message: String,
    ) {
        self.list.push(Diagnostic {
            severity,
            logical_id: id.map(str::to_string),
            line,
            col,
            message,
        });
    }

    /// An error at a node.
    pub(crate) fn error(&mut self, id: Option<&str>, node: &Node, message: impl Into<String>) {
        self.push(Severity::Error, id, node.line, node.col, message.into());
    }

    /// An error at a position.
    pub(crate) fn error_at(
        &mut self,
        id: Option<&str>,
        line: usize,
        col: usize,
        message: impl Into<String>,
    ) {
        self.push(Severity::Error, id, line, col, message.into());
    }

    /// A problem SAM accepts but the deployment would not: a warning with `lint`, else
    /// nothing.
    pub(crate) fn deploy(&mut self, id: Option<&str>, node: &Node, message: impl Into<String>) {
        self.deploy_at(id, node.line, node.col, message);
    }

    /// [`Diagnostics::deploy`] at a position.
    pub(crate) fn deploy_at(
        &mut self,
        id: Option<&str>,
        line: usize,
        col: usize,
        message: impl Into<String>,
    ) {
        if self.lint {
            self.push(Severity::Warning, id, line, col, message.into());
        }
    }

    /// A warning at a position.
    pub(crate) fn warning_at(
        &mut self,
        id: Option<&str>,
        line: usize,
        col: usize,
        message: impl Into<String>,
    ) {
        self.push(Severity::Warning, id, line, col, message.into());
    }
}

/// A property's value when it is known without a deployed stack: the scalar itself, or the
/// intrinsic evaluated with the parameters' values. `None` when it cannot be known.
pub(crate) fn known_value(ctx: &Context<'_>, node: &Node) -> Option<J> {
    ctx.resolve(node).ok()
}

/// Whether a logical id is CloudFormation-valid (letters and digits only).
pub(crate) fn is_alphanumeric_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric())
}
