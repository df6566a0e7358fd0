//! `lamina validate`: SAM's verdict on a template (`sam validate`), with `--lint` warnings.

use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `lamina validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The SAM or CloudFormation template (YAML or JSON).
    #[arg(
        short = 't',
        long = "template",
        alias = "template-file",
        default_value = "template.yaml"
    )]
    pub template: PathBuf,
    /// Also warn about unused parameters, deprecated runtimes, runtimes no local image serves
    /// and missing CodeUri folders.
    #[arg(long)]
    pub lint: bool,
    /// Parameter values for evaluating properties: `Key=Value` or
    /// `ParameterKey=Key,ParameterValue=Value`.
    #[arg(long = "parameter-overrides", num_args = 1..)]
    pub parameter_overrides: Vec<String>,
}

/// Runs `lamina validate`: the verdict on stdout, the problems on stderr, exit 1 if invalid.
pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let path = args.template.display().to_string();
    if !args.template.is_file() {
        anyhow::bail!("template file not found: {path} (pass the template with -t/--template)");
    }
    let options = lamina_sam::Options {
        lint: args.lint,
        base_dir: args
            .template
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".")),
        parameter_overrides: lamina_sam::parse_parameter_overrides(&args.parameter_overrides)?,
    };
    let diagnostics = lamina_sam::validate_file(&args.template, &options)
        .map_err(|e| anyhow::anyhow!("cannot read template {path}: {e}"))?;
    let (stdout, stderr) = lamina_sam::render_streams(&diagnostics, &path);
    eprint!("{stderr}");
    print!("{stdout}");
    Ok(if lamina_sam::has_errors(&diagnostics) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
